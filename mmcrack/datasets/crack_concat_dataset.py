"""Several crack sets as one, with one pipeline."""
from typing import List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset, ConcatDataset
from mmseg.registry import DATASETS


@DATASETS.register_module()
class CrackConcatDataset(ConcatDataset):
    """mmengine's :class:`ConcatDataset` whose sets share one ``pipeline``.

    ``pipeline`` is given to every set (a config dict) that has none, so a
    config names its pipeline once, where MMSegmentation's tools read it
    (``test_dataloader.dataset.pipeline``: ``MMSegInferencer``, test-time
    augmentation) and where a derived config overrides it.

    Args:
        datasets (Sequence[dict | BaseDataset]): The sets.
        pipeline (list[dict], optional): Their shared pipeline.
        **kwargs: The other arguments of :class:`ConcatDataset`.
    """

    def __init__(self,
                 datasets: Sequence[Union[dict, BaseDataset]],
                 pipeline: Optional[List[dict]] = None,
                 **kwargs) -> None:
        if pipeline is not None:
            datasets = [
                dict(d, pipeline=pipeline)
                if isinstance(d, dict) and 'pipeline' not in d else d
                for d in datasets
            ]
        super().__init__(datasets, **kwargs)
