# CrackSeg9k: 9,255 images of 400x400; HrSegNet trains on 400x400 crops.
# Prepare it with
#   python tools/dataset_converters/crackseg9k.py SRC data/crackseg9k
# which splits it as the HrSegNet authors do (their official lists: 8,751
# aligned pairs, 6,951 train / 900 val / 900 test). Validation and testing
# read splits/val.txt; the paper's test set is
#   --cfg-options test_dataloader.dataset.ann_file=splits/test.txt
dataset_type = 'CrackDataset'
data_root = 'data/crackseg9k'
crop_size = (400, 400)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(400, 400),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images', seg_map_path='masks'),
        ann_file='splits/train.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images', seg_map_path='masks'),
        ann_file='splits/val.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CrackMetric')
test_evaluator = val_evaluator
