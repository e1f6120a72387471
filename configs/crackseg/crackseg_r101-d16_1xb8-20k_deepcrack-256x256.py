_base_ = [
    '../_base_/models/crackseg_r101.py', '../_base_/datasets/deepcrack.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_20k_adam.py'
]
# CrackSeg-R101 on DeepCrack as in the paper (Sec. 3.1.2): 256x256 blocks with
# random flips, colour enhancement and enlargement (random up-scaling by 1-2x;
# the paper gives no range), Adam. Batch 8 and 20k iterations are ours (the
# paper states neither); whole-image inference.
crop_size = (256, 256)
model = dict(data_preprocessor=dict(size=crop_size))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(544, 384),
        ratio_range=(1.0, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
