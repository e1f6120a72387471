# The shared benchmark budget on CFD: HrSegNet-B16, 3000 iterations of batch
# 8, random 256x256 crops and horizontal flips, OHEM cross-entropy, SGD (lr
# 0.01, momentum 0.9, weight decay 5e-4) with 200 warm-up iterations and
# poly decay; inputs normalised to (x - 127.5) / 127.5. Validation: every
# 5th sorted stem of ../shared/data/cfd, at full resolution (480x320).
_base_ = [
    '../_base_/models/hrsegnet.py', '../_base_/datasets/cfd.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_20k.py'
]
crop_size = (256, 256)
data_root = '../shared/data/cfd'
model = dict(data_preprocessor=dict(size=crop_size))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8,
    dataset=dict(
        data_root=data_root,
        ann_file='',
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='', split='val'))
test_dataloader = val_dataloader
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=200),
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=200,
        end=3000,
        by_epoch=False)
]
train_cfg = dict(max_iters=3000, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=1000, max_keep_ckpts=1))
