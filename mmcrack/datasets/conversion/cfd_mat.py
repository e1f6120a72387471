"""CFD's ground truth: the MATLAB ``groundTruth`` struct of each
``groundTruth/<NNN>.mat`` of CrackForest (Shi et al., T-ITS 2016).

Its field ``Segmentation`` is a region map, 1 = background, 2 = crack,
3 = road patches enclosed by crack loops, 4 = extra thin crack strokes (a
visual check of all 22 files holding 3 or 4 showed this), so crack is
Segmentation in {2, 4} by default (:data:`DEFAULT_CRACK_LABELS`).
:func:`read_cfd_mat` reads one file as a 0/1 mask.
"""
import argparse
from typing import Sequence

import numpy as np
from scipy.io import loadmat

from ..mask_format import CrackDataError

#: Segmentation labels of the CFD region maps.
CFD_LABELS = (1, 2, 3, 4)
#: Labels counted as crack by default: crack and extra thin crack strokes.
DEFAULT_CRACK_LABELS = (2, 4)


def read_cfd_mat(
        path: str,
        crack_labels: Sequence[int] = DEFAULT_CRACK_LABELS) -> np.ndarray:
    """Read ``groundTruth.Segmentation`` of a CFD ``.mat`` file as 0/1.

    Args:
        path (str): The ``.mat`` file.
        crack_labels (Sequence[int]): Segmentation labels that are crack.

    Returns:
        np.ndarray: uint8 (H, W) mask, 1 where Segmentation is a crack label.

    Raises:
        CrackDataError: If the file cannot be read, holds no
            groundTruth.Segmentation, or holds labels outside 1-4.
    """
    try:
        mat = loadmat(path, simplify_cells=True)
    except Exception as err:  # scipy raises several types for bad files
        raise CrackDataError(
            f'Cannot read CFD annotation {path}: {err}. Remove or replace '
            'the file.') from err
    gt = mat.get('groundTruth')
    if isinstance(gt, (list, np.ndarray)) and not isinstance(gt, dict):
        gts = list(np.ravel(gt)) if isinstance(gt, np.ndarray) else gt
        if len(gts) != 1:
            raise CrackDataError(
                f'CFD annotation {path} holds {len(gts)} groundTruth '
                'entries; CFD has one annotation per image.')
        gt = gts[0]
    if not isinstance(gt, dict) or 'Segmentation' not in gt:
        raise CrackDataError(
            f'{path} holds no groundTruth.Segmentation (variables: '
            f'{sorted(k for k in mat if not k.startswith("__"))}); is it a '
            'CFD groundTruth file?')
    seg = np.asarray(gt['Segmentation'])
    if seg.ndim != 2:
        raise CrackDataError(
            f'groundTruth.Segmentation in {path} has shape {seg.shape}; a '
            '2-D region map was expected.')
    labels = np.unique(seg)
    unexpected = np.setdiff1d(labels, CFD_LABELS)
    if unexpected.size:
        raise CrackDataError(
            f'groundTruth.Segmentation in {path} holds labels '
            f'{labels.tolist()}; CFD region maps hold only 1 (background), '
            '2 (crack), 3 (road enclosed by cracks) and 4 (thin crack). '
            'Check the file.')
    return np.isin(seg, crack_labels).astype(np.uint8)


def cfd_label(text: str) -> int:
    """A CFD Segmentation label given on the command line (argparse type).

    Raises:
        argparse.ArgumentTypeError: When ``text`` is not one of
            :data:`CFD_LABELS`.
    """
    value = int(text)
    if value not in CFD_LABELS:
        raise argparse.ArgumentTypeError(f'{value} is not a CFD label (1-4)')
    return value
