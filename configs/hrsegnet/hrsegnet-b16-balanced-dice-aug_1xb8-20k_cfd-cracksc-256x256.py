# ./hrsegnet-b16-balanced-dice_1xb8-20k_cfd-cracksc-256x256.py with
# augmentation meant for photos of other roads and cameras: each photo
# rescaled by 0.75-1.5 (its long edge 360-720 px; both sets have a 480 px
# long edge) before the crack-centred crop, and mmseg's photometric
# distortion (brightness, contrast, saturation, hue) after the flip.
_base_ = ['./hrsegnet-b16-balanced-dice_1xb8-20k_cfd-cracksc-256x256.py']
crop_size = (256, 256)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(480, 480),
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='CrackAwareCrop', crop_size=crop_size, pos_prob=0.5),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
