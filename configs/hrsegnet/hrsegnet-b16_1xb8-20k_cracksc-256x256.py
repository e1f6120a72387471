_base_ = [
    '../_base_/models/hrsegnet.py', '../_base_/datasets/cracksc.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_20k.py'
]
# HrSegNet-B16 on CrackSC with the paper's augmentation (Sec. 4.2,
# PaddleSeg's ResizeStepScaling, RandomPaddingCrop, RandomHorizontalFlip,
# RandomDistort) and OHEM on every head; 20k iterations of batch 8.
crop_size = (256, 256)
model = dict(data_preprocessor=dict(size=crop_size))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomStepScale', min_scale=0.5, max_scale=2.0, step=0.25),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='Pad', size=crop_size[::-1], pad_val=dict(img=127, seg=255)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandomDistort',
        brightness_range=0.5,
        contrast_range=0.5,
        saturation_range=0.5),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
