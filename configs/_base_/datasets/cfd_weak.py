# CFD (CrackForest): 118 images of 480x320, for weakly supervised training:
# image-level labels for training, pixel masks for validation only.
# Prepare the pixel-labelled set with tools/dataset_converters/cfd.py, then
# the image-level training set from its train split (every 5th sorted stem is
# val and never used for training):
#   python tools/dataset_converters/make_weak_labels.py data/cfd \
#       data/cfd_weak --scale 1.6 --grid 3 --negatives-per-image 1 \
#       --negative-size 160 --resize 256
# Sec. 4.1 for CFD: each training image enlarged and cut into a 3x3 grid of
# patches labelled crack / no crack (--grid 3), plus crack-free crops.
data_root = 'data/cfd'
weak_data_root = 'data/cfd_weak'
crop_size = (256, 256)
# PackSegInputs' default meta keys plus the image label.
meta_keys = ('img_path', 'ori_shape', 'img_shape', 'pad_shape',
             'scale_factor', 'flip', 'flip_direction', 'img_label')
# The official augmentation: random resize (long side 1.5-2x of the 256
# patches, i.e. 384-512), random 256 crop, horizontal flip.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(256, 256),
        ratio_range=(1.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackSegInputs', meta_keys=meta_keys)
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='ImageLabelDataset',
        data_root=weak_data_root,
        ann_file='labels.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CrackDataset',
        data_root=data_root,
        data_prefix=dict(img_path='images', seg_map_path='masks'),
        split='val',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CrackMetric')
test_evaluator = val_evaluator
