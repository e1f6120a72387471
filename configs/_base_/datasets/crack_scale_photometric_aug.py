# Training pipeline meant for photos of other roads and cameras: each photo
# rescaled by 0.75-1.5 (its long edge 360-720 px; CFD and CrackSC have a
# 480 px long edge) before the crack-centred crop, and mmseg's photometric
# distortion (brightness, contrast, saturation, hue) after the flip. A config
# uses it with
#     train_dataloader = dict(
#         dataset=dict(pipeline={{_base_.scale_photometric_train_pipeline}}))
scale_photometric_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(480, 480),
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='CrackAwareCrop', crop_size=(256, 256), pos_prob=0.5),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
