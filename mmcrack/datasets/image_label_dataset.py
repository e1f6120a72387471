"""Image-level crack / no-crack dataset for weakly supervised training."""
import os.path as osp
import warnings
from typing import List, Sequence, Union

import mmengine
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from ..utils.constants import IMAGE_EXTENSIONS
from .mask_format import CrackDataError, check_crack_pair

#: Image label values: 0 no crack (road only), 1 crack.
IMAGE_LABELS = (0, 1)
#: The tool that writes this layout from a pixel-labelled set.
WEAK_HINT = ('Build an image-level set from a pixel-labelled one with '
             '`python tools/dataset_converters/make_weak_labels.py SRC OUT`')


@DATASETS.register_module()
class ImageLabelDataset(BaseSegDataset):
    """Crack images and crack-free images, labelled per image.

    The training set of weakly supervised crack segmentation (WP-CrackNet
    Sec. 4.1: crack images plus crack-free crops, "all labeled at the image
    level"). Each sample carries ``img_label`` (1 crack, 0 no crack), which
    ``PackSegInputs(meta_keys=(..., 'img_label'))`` puts in the data
    sample's metainfo. Two layouts::

        data_root/                      data_root/
            crack/*.jpg   (label 1)         labels.txt  "<image> <0|1>"
            no_crack/*.jpg (label 0)        <images anywhere below>

    With ``ann_file`` (a list file, one ``<relative image path> <label>``
    per line, paths relative to ``data_prefix['img_path']``) the list
    decides; otherwise every image under ``crack_dir`` is a crack image and
    every image under ``no_crack_dir`` a crack-free one (both relative to
    ``data_prefix['img_path']``). If ``data_prefix`` names a
    ``seg_map_path``, an image whose mask
    ``<seg_map_path>/<image path without suffix>.png`` exists gets it as
    ``seg_map_path``, checked like :class:`CrackDataset`'s masks, so that
    pixel masks, where they exist, can be loaded for evaluation
    (``LoadAnnotations``). Without it no masks are looked up (mmseg's
    default ``seg_map_path`` is ``data_root`` itself, where the images are).

    Args:
        img_suffix (str | Sequence[str]): Image file endings (folder
            layout). Defaults to
            :data:`~mmcrack.utils.constants.IMAGE_EXTENSIONS`.
        seg_map_suffix (str): Mask file ending. Defaults to '.png'.
        crack_dir (str): Folder of crack images. Defaults to 'crack'.
        no_crack_dir (str): Folder of crack-free images. Defaults to
            'no_crack'.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`
            (``data_root``, ``data_prefix``, ``ann_file``, ``pipeline``...).
    """
    METAINFO = dict(
        classes=('background', 'crack'), palette=[[0, 0, 0], [255, 0, 0]])

    def __init__(self,
                 img_suffix: Union[str, Sequence[str]] = IMAGE_EXTENSIONS,
                 seg_map_suffix: str = '.png',
                 crack_dir: str = 'crack',
                 no_crack_dir: str = 'no_crack',
                 **kwargs) -> None:
        self.crack_dir = crack_dir
        self.no_crack_dir = no_crack_dir
        self.with_masks = bool(
            kwargs.get('data_prefix', {}).get('seg_map_path'))
        kwargs.setdefault('reduce_zero_label', False)
        super().__init__(
            img_suffix=(img_suffix, ) if isinstance(img_suffix, str) else
            tuple(img_suffix),
            seg_map_suffix=seg_map_suffix,
            **kwargs)

    def _from_list(self) -> List[tuple]:
        if not osp.isfile(self.ann_file):
            raise CrackDataError(
                f'The image-level list file {self.ann_file} does not exist. '
                f'{WEAK_HINT}.')
        items = []
        for n, line in enumerate(mmengine.list_from_file(self.ann_file), 1):
            if not line.strip():
                continue
            parts = line.rsplit(maxsplit=1)
            if len(parts) != 2 or parts[1] not in ('0', '1'):
                raise CrackDataError(
                    f'{self.ann_file}, line {n}: expected "<image path> '
                    f'<0|1>" (1 = crack), got {line!r}.')
            items.append((parts[0], int(parts[1])))
        return items

    def _from_folders(self, img_dir: str) -> List[tuple]:
        items = []
        for folder, label in ((self.crack_dir, 1), (self.no_crack_dir, 0)):
            path = osp.join(img_dir, folder)
            if not osp.isdir(path):
                raise CrackDataError(
                    f'Folder {path} does not exist: an image-level set '
                    f'needs {self.crack_dir}/ and {self.no_crack_dir}/ '
                    f'under {img_dir or "."} (or an ann_file list). '
                    f'{WEAK_HINT}.')
            names = sorted(
                mmengine.scandir(path, suffix=self.img_suffix,
                                 recursive=True))
            items += [(osp.join(folder, name), label) for name in names]
        return items

    def load_data_list(self) -> List[dict]:
        """Collect (image, image label) pairs and check them."""
        img_dir = self.data_prefix.get('img_path', '')
        items = (
            self._from_list()
            if self.ann_file else self._from_folders(img_dir))
        if not items:
            raise CrackDataError(
                f'No images found (img_path {img_dir!r}, ann_file '
                f'{self.ann_file!r}, endings {self.img_suffix}). '
                f'{WEAK_HINT}.')
        data_list = []
        for rel_path, label in items:
            img_path = osp.join(img_dir, rel_path)
            if not osp.isfile(img_path):
                raise CrackDataError(f'Image {img_path} does not exist.')
            info = dict(
                img_path=img_path,
                img_label=label,
                label_map=self.label_map,
                reduce_zero_label=self.reduce_zero_label,
                seg_fields=[])
            if self.with_masks:
                mask = osp.join(self.data_prefix['seg_map_path'],
                                osp.splitext(rel_path)[0] +
                                self.seg_map_suffix)
                if osp.isfile(mask):
                    check_crack_pair(img_path, mask)
                    info['seg_map_path'] = mask
            data_list.append(info)
        counts = [sum(d['img_label'] == v for d in data_list)
                  for v in IMAGE_LABELS]
        if not all(counts):
            warnings.warn(
                f'The image-level set has {counts[1]} crack and {counts[0]} '
                'crack-free images: weakly supervised training needs both.')
        return data_list
