"""Binary crack dataset (background / crack)."""
import os
import os.path as osp
from typing import List, Optional, Sequence, Union

import mmengine
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .mask_format import CONVERTER_HINT, CrackDataError, check_crack_pair
from .split import select_split


@DATASETS.register_module()
class CrackDataset(BaseSegDataset):
    """Binary crack segmentation dataset: ``background`` and ``crack``.

    The layout is the one every mmcrack converter writes::

        data_root/
            images/<stem>.jpg (or .png)
            masks/<stem>.png     single channel: 0 background, 1 crack,
                                 255 ignore; same size as the image
            splits/<split>.txt   optional: one stem per line

    Which stems form the dataset is decided, in this order, by ``ann_file``
    (a list of stems, as in :class:`BaseSegDataset`), else by ``split`` with
    the deterministic rule of :func:`mmcrack.datasets.split.select_split`
    (every ``val_every``-th sorted stem is validation), else all images.

    With ``check_files=True`` every image/mask pair is checked when the dataset
    is built (see :func:`check_crack_pair`), so a 0/255 mask, an RGB mask, a
    size mismatch, an unreadable file or an empty split stops the run before
    training starts, with a message that names the file and the fix.

    Args:
        img_suffix (str | Sequence[str]): Image file endings.
            Defaults to ('.jpg', '.png').
        seg_map_suffix (str): Mask file ending. Defaults to '.png'.
        split (str, optional): 'train', 'val' or None (every image); used
            only without ``ann_file``. Defaults to None.
        val_every (int): With ``split``, every ``val_every``-th sorted stem
            goes to 'val'. Defaults to 5.
        check_files (bool): Check every pair when the dataset is built.
            Defaults to True.
        allow_ignore_without_crack (bool): Accept masks holding 255 (ignore)
            but no crack pixel; off by default because such a mask is
            nearly always an unconverted 0/255 mask. Defaults to False.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`.
    """
    METAINFO = dict(
        classes=('background', 'crack'), palette=[[0, 0, 0], [255, 0, 0]])

    def __init__(self,
                 img_suffix: Union[str, Sequence[str]] = ('.jpg', '.png'),
                 seg_map_suffix: str = '.png',
                 split: Optional[str] = None,
                 val_every: int = 5,
                 check_files: bool = True,
                 allow_ignore_without_crack: bool = False,
                 **kwargs) -> None:
        self.split = split
        self.val_every = val_every
        self.check_files = check_files
        self.allow_ignore_without_crack = allow_ignore_without_crack
        kwargs.setdefault('reduce_zero_label', False)
        if kwargs['reduce_zero_label']:
            raise CrackDataError(
                'CrackDataset needs reduce_zero_label=False: 0 is the '
                'background class of a crack mask.')
        super().__init__(
            img_suffix=(img_suffix, ) if isinstance(img_suffix, str) else
            tuple(img_suffix),
            seg_map_suffix=seg_map_suffix,
            **kwargs)

    def prepare_data(self, idx: int):
        """Run the pipeline on sample ``idx``; a file that fails to load
        (changed on disk since the check, or never checked with
        ``check_files=False``) is named with the fix."""
        try:
            return super().prepare_data(idx)
        except (AssertionError, OSError, ValueError) as err:
            info = self.get_data_info(idx)
            raise CrackDataError(
                f'Cannot load sample {info["img_path"]} (mask '
                f'{info.get("seg_map_path")}): {type(err).__name__}: {err}. '
                'Replace or remove the file (and its mask or split entry), '
                'then start again; `tools/train.py --resume` continues from '
                'the last checkpoint.') from err

    def _image_stems(self, img_dir: str) -> dict:
        """Map each image stem under ``img_dir`` to its file name."""
        if not osp.isdir(img_dir):
            where = ('' if osp.isabs(img_dir) else
                     f' (relative to the working directory {os.getcwd()}: '
                     'run from the folder the config expects, or give '
                     'data_root as an absolute path)')
            raise CrackDataError(
                f'Image folder {img_dir} does not exist{where}. Check '
                f'data_root and data_prefix in the config. {CONVERTER_HINT}.')
        stems = {}
        for name in mmengine.scandir(
                img_dir, suffix=self.img_suffix, recursive=True):
            stem = osp.splitext(name)[0]
            if stem in stems:
                raise CrackDataError(
                    f'Images {stems[stem]} and {name} in {img_dir} share the '
                    f'stem {stem}: keep one image per stem.')
            stems[stem] = name
        return stems

    def load_data_list(self) -> List[dict]:
        """Collect image/mask pairs, select the split and check every pair."""
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path')
        images = self._image_stems(img_dir)
        if self.ann_file:
            wanted = [
                stem.strip()
                for stem in mmengine.list_from_file(self.ann_file)
                if stem.strip()
            ]
            missing = [s for s in wanted if s not in images]
            if missing:
                raise CrackDataError(
                    f'{len(missing)} stems listed in {self.ann_file} have no '
                    f'image in {img_dir} (first: {missing[0]}).')
            stems = wanted
        else:
            stems = select_split(sorted(images), self.split, self.val_every)
        if not stems and self.ann_file:
            raise CrackDataError(
                f'The split file {self.ann_file} lists no stems: write one '
                'image stem (file name without ending) per line, or drop '
                'ann_file to split by the rule.')
        if not stems and images:
            raise CrackDataError(
                f'Split {self.split!r} of the {len(images)} images in '
                f'{img_dir} is empty: every {self.val_every}-th sorted stem '
                "is 'val', so 'val' needs at least that many images. Add "
                'images, lower val_every, or give a split file (ann_file).')
        if not stems:
            raise CrackDataError(
                f'No images in {img_dir} (endings {self.img_suffix}). '
                f'{CONVERTER_HINT}.')
        data_list = []
        progress = (
            mmengine.ProgressBar(len(stems))
            if self.check_files and len(stems) >= 1000 else None)
        for stem in stems:
            data_info = dict(
                img_path=osp.join(img_dir, images[stem]),
                label_map=self.label_map,
                reduce_zero_label=self.reduce_zero_label,
                seg_fields=[])
            if ann_dir is not None:
                data_info['seg_map_path'] = osp.join(
                    ann_dir, stem + self.seg_map_suffix)
                if self.check_files:
                    if not osp.isfile(data_info['seg_map_path']):
                        raise CrackDataError(
                            f'Image {data_info["img_path"]} has no mask '
                            f'{data_info["seg_map_path"]}.')
                    check_crack_pair(data_info['img_path'],
                                     data_info['seg_map_path'],
                                     self.allow_ignore_without_crack)
            if progress is not None:
                progress.update()
            data_list.append(data_info)
        return data_list
