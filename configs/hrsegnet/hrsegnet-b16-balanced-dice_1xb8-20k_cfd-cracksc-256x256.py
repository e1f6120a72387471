# HrSegNet-B16 "general": one model for photos of both CFD and CrackSC,
# trained from scratch (as the paper trains HrSegNet) with balanced learning
# plus Dice (../balanced/hrsegnet-b16-balanced-dice_1xb8-3k_cfd-256x256.py)
# for 20k iterations of batch 8 on the union of the two train splits, read
# where they lie (../shared/data; every 5th sorted stem of each set is
# validation). Validation runs over both val splits at full resolution;
# CrackMetric scores each set ('cfd/...', 'cracksc/...') and the best
# checkpoint is the one with the best mean crack IoU of the two.
# CFD is licensed for non-commercial research only, and so is a model
# trained on it.
_base_ = ['../balanced/hrsegnet-b16-balanced-dice_1xb8-3k_cfd-256x256.py']
data_roots = ['../shared/data/cfd', '../shared/data/cracksc']
crop_size = (256, 256)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CrackAwareCrop', crop_size=crop_size, pos_prob=0.5),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
# One pipeline for both sets (CrackConcatDataset), where mmseg's tools read
# it and derived configs override it.
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CrackConcatDataset',
        pipeline=train_pipeline,
        datasets=[
            dict(
                type='CrackDataset',
                data_root=data_root,
                data_prefix=dict(img_path='images', seg_map_path='masks'),
                split='train') for data_root in data_roots
        ]))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CrackConcatDataset',
        pipeline=test_pipeline,
        datasets=[
            dict(
                type='CrackDataset',
                data_root=data_root,
                data_prefix=dict(img_path='images', seg_map_path='masks'),
                split='val') for data_root in data_roots
        ]))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='CrackMetric', subsets=dict(cfd=data_roots[0], cracksc=data_roots[1]))
test_evaluator = val_evaluator
max_iters = 20000
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=200),
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=200,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=1000)
default_hooks = dict(
    checkpoint=dict(
        interval=1000, max_keep_ckpts=3, save_best='IoU_subset_mean'))
