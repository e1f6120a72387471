_base_ = [
    '../_base_/models/hrsegnet.py', '../_base_/datasets/crackseg9k.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_100k.py'
]
# HrSegNet-B16 trained as in the paper (Sec. 4.2) and the official
# configs/hrsegnetb16.yml: one GPU, batch 32, 400x400 crops, SGD with
# linear warm-up and poly decay over 100k iterations, OHEM on every head.
crop_size = (400, 400)
model = dict(data_preprocessor=dict(size=crop_size))
# PaddleSeg's augmentation, in its order: ResizeStepScaling (0.5-2.0 in
# steps of 0.25), RandomPaddingCrop, RandomHorizontalFlip, RandomDistort.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomStepScale', min_scale=0.5, max_scale=2.0, step=0.25),
    dict(type='RandomCrop', crop_size=crop_size),
    # RandomPaddingCrop pads smaller images at the bottom right with 127.5
    # (127 once RandomDistort casts to uint8) and the mask with 255.
    dict(type='Pad', size=crop_size[::-1], pad_val=dict(img=127, seg=255)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandomDistort',
        brightness_range=0.5,
        contrast_range=0.5,
        saturation_range=0.5),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
