"""mmcrack.datasets.conversion.cfd_mat: CFD's groundTruth structs as 0/1
masks, crack = Segmentation in {2, 4} unless told otherwise."""
import argparse

import numpy as np
import pytest
from scipy.io import savemat

from mmcrack.datasets import CrackDataError
from mmcrack.datasets.conversion.cfd_mat import cfd_label, read_cfd_mat

#: A region map holding every CFD label: 1 background, 2 crack, 3 road
#: enclosed by cracks, 4 thin crack.
SEGMENTATION = np.array([[1, 2, 3], [4, 1, 2]], dtype=np.uint8)


def test_read_struct_and_cell(tmp_path):
    path = tmp_path / 'struct.mat'
    savemat(str(path), {'groundTruth': {'Segmentation': SEGMENTATION}})
    mask = read_cfd_mat(str(path))
    assert mask.dtype == np.uint8
    assert mask.tolist() == [[0, 1, 0], [1, 0, 1]]
    crack_or_enclosed = read_cfd_mat(str(path), (2, 3, 4))
    assert crack_or_enclosed.tolist() == [[0, 1, 1], [1, 0, 1]]
    # BSDS-style: a cell array holding the struct.
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = {'Segmentation': SEGMENTATION}
    savemat(str(tmp_path / 'cell.mat'), {'groundTruth': cell})
    assert np.array_equal(read_cfd_mat(str(tmp_path / 'cell.mat')), mask)


def test_bad_files_are_named(tmp_path):
    path = tmp_path / '007.mat'
    cells = np.empty((1, 2), dtype=object)
    cells[0, 0] = cells[0, 1] = {'Segmentation': SEGMENTATION}
    for content, error in (
        ({'groundTruth': cells}, '007.mat holds 2 groundTruth entries'),
        ({'labels': SEGMENTATION},
         r"007.mat holds no groundTruth.*\['labels'"),
        ({'groundTruth': {'Segmentation': np.ones((2, 2, 2))}},
         r'007.mat has shape \(2, 2, 2\)'),
        ({'groundTruth': {'Segmentation': SEGMENTATION + 1}},
         r'007.mat holds labels \[2, 3, 4, 5\]'),
    ):
        savemat(str(path), content)
        with pytest.raises(CrackDataError, match=error):
            read_cfd_mat(str(path))
    path.write_bytes(b'MATLAB 5.0 MAT-file, broken')
    with pytest.raises(CrackDataError, match='Cannot read CFD annotation'):
        read_cfd_mat(str(path))


def test_cfd_label():
    assert cfd_label('4') == 4
    with pytest.raises(argparse.ArgumentTypeError, match='5 is not a CFD'):
        cfd_label('5')
