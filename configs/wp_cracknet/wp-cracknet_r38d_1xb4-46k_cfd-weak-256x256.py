# WP-CrackNet (Ma et al., Neurocomputing) on CFD with image-level labels only.
# Sec. 4.2: 200 epochs (here 200 x 922 images / batch 4 = 46k iterations of
# the set built by the command in _base_/datasets/cfd_weak.py), lr 0.001 with
# poly decay (the detector's constant, as the official code), random
# resize/crop/flip, batch 4 (official code). Validation:
# the detector on the full-resolution val images with their pixel masks.
_base_ = [
    '../_base_/models/wp_cracknet.py', '../_base_/datasets/cfd_weak.py',
    '../_base_/default_runtime.py'
]
crop_size = (256, 256)
max_iters = 46000
model = dict(
    # Both encoders start from the ImageNet ResNet38d, as the official code
    # (PSA's and ACR's resnet_38d.params, converted by
    # tools/model_converters/resnet38d_mxnet2mmcrack.py). Elsewhere:
    # --cfg-options model.pretrained=PATH; from scratch on purpose:
    # model.pretrained=None.
    pretrained='~/.cache/mmcrack/checkpoints/resnet38d_imagenet.pth',
    data_preprocessor=dict(size=crop_size),
    # ACR's random grid on the reconstructor's split: 20 % of the 16x16
    # cells at first, +1 % per epoch (all cells from epoch 80 on).
    train_cfg=dict(
        remnant=dict(grid=16, start=0.2, end=1.0,
                     ramp_iters=max_iters * 2 // 5)),
    # Whole images by default; the paper's CFD protocol (Sec. 4.2: 3x3
    # patches resized to the training patches, crack-free ones dropped by
    # the classifier) with --cfg-options model.test_cfg.mode=grid.
    test_cfg=dict(mode='whole', grid=(3, 3), patch_size=crop_size))
# Poly decay with the official power 1.1 for the classifier and the
# reconstructor; the detector's AdamW keeps its rate, as in the official code
# (the paper does not say).
poly = dict(
    type='PolyLR',
    eta_min=0.0,
    power=1.1,
    begin=0,
    end=max_iters,
    by_epoch=False)
param_scheduler = dict(classifier=[poly], reconstructor=[poly], detector=[])
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=2000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=2000,
        save_best='IoU',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
