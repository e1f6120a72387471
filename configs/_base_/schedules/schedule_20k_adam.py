# CrackSeg's training (Sec. 3.1.2): Adam, initial lr 1e-4, weight decay 5e-4
# (an L2 term, as TensorFlow's weight decay). The paper gives only the initial
# rate; it decays here with mmseg's poly policy (power 0.9). The paper's
# "momentum 0.9997" matches the batch-norm decay of DeepLab's TensorFlow code
# (norm momentum 3e-4 in PyTorch terms); BN keeps PyTorch's 0.1 here, as so
# slow a decay only suits ImageNet-initialised statistics: add momentum=3e-4
# to norm_cfg to use it.
optimizer = dict(type='Adam', lr=1e-4, weight_decay=5e-4)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=20000,
        by_epoch=False)
]
# training schedule for 20k
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=20000, val_interval=2000)
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
