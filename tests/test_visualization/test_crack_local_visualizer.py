import mmcv
import numpy as np
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmcrack.visualization import CrackLocalVisualizer


def test_paints_only_crack_pixels(tmp_path):
    image = np.full((6, 8, 3), 100, np.uint8)
    pred = torch.zeros(1, 6, 8, dtype=torch.long)
    pred[0, 2, :] = 1
    sample = SegDataSample()
    sample.pred_sem_seg = PixelData(data=pred)
    sample.gt_sem_seg = PixelData(data=pred.clone())
    visualizer = CrackLocalVisualizer(
        name='crack_vis_test', alpha=0.5, save_dir=str(tmp_path))
    visualizer.dataset_meta = dict(
        classes=('background', 'crack'), palette=[[0, 0, 0], [255, 0, 0]])
    out_file = tmp_path / 'overlay.png'
    visualizer.add_datasample(
        'sample', image, sample, draw_gt=True, out_file=str(out_file))
    drawn = mmcv.imread(str(out_file), channel_order='rgb')
    # Ground truth left, prediction right, each 8 px wide.
    assert drawn.shape == (6, 16, 3)
    for half in (drawn[:, :8], drawn[:, 8:]):
        assert (half[0] == 100).all() and (half[5] == 100).all()
        assert (half[2] == [177, 50, 50]).all()
