# WP-CrackNet (Ma et al., Neurocomputing) on CrackSC with image-level labels
# only: 200 epochs of the 289 images the command in
# _base_/datasets/cracksc_weak.py builds (15k iterations of batch 4); the
# rest as on CFD (wp-cracknet_r38d_1xb4-46k_cfd-weak-256x256.py).
_base_ = [
    '../_base_/models/wp_cracknet.py', '../_base_/datasets/cracksc_weak.py',
    '../_base_/default_runtime.py'
]
crop_size = (256, 256)
max_iters = 15000
model = dict(
    data_preprocessor=dict(size=crop_size),
    # ACR's random grid on the reconstructor's split: 20 % of the 16x16
    # cells at first, +1 % per epoch (all cells from epoch 80 on).
    train_cfg=dict(
        remnant=dict(grid=16, start=0.2, end=1.0,
                     ramp_iters=max_iters * 2 // 5)))
# Poly decay with the official power 1.1, for each of the three optimizers.
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=1.1,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
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
