"""mmcrack.benchmark.training_speed."""
from pathlib import Path

from mmengine.config import Config

from mmcrack.benchmark import measure_training

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


def test_training_measurement_on_an_image_level_set(cfd_weak_128):
    """``data_root`` with WP-CrackNet: the image-level set keeps its list
    file (a pixel-labelled set's split rule would not apply)."""
    cfg = Config.fromfile(
        CONFIGS / 'wp_cracknet' /
        'wp-cracknet_r38d-w8-scratch_1xb8-600_cfd-weak-128x128.py')
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    result = measure_training(
        cfg, 1, warmup=0, data_root=str(cfd_weak_128), batch_size=2)
    assert result['iters'] == 1 and result['batch_size'] == 2
    assert result['num_workers'] == 0 and result['crop'] == [128, 128]
    assert result['images_per_s'] > 0
    assert 0 <= result['data_wait_share'] <= 1
    # The caller's config is left as it was.
    assert cfg.train_dataloader.batch_size == 8
