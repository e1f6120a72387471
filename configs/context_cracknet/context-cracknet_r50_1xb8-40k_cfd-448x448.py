_base_ = [
    '../_base_/models/context_cracknet.py',
    '../_base_/datasets/cfd.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_adamw_plateau.py'
]
# Context-CrackNet on CFD (CrackForest) as in the paper (Sec. 4.1-4.2): every
# image resized to 448x448, the official albumentations augmentation, AdamW
# with the learning rate halved on plateaus, evaluation at 448x448. The
# schedule is ours: batch 8 for 40k iterations (the paper trains batch 32 for
# up to 1000 epochs with early stopping:
# context-cracknet_r50_1xb32-1000e_cfd-448x448.py).
crop_size = (448, 448)
model = dict(data_preprocessor=dict(size=crop_size))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='RandomRotate90', prob=0.5),
    # albumentations fills the mask border with background (0).
    dict(
        type='RandomShiftScaleRotate',
        shift_limit=0.1,
        scale_limit=0.1,
        rotate_limit=30,
        prob=0.5,
        seg_border_value=0),
    # The official GaussNoise(p=0.2) with albumentations 2.x's defaults
    # (the version the official code runs): std 0.2-0.44 of 255.
    dict(type='RandomGaussianNoise', std_range=(0.2, 0.44), prob=0.2),
    # ColorJitter(0.2, 0.2, 0.2, 0.1, p=0.5): the four changes in random
    # order, half of the time; a hue shift of 0.1 turn is 25.5 PIL units.
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='RandomDistort',
                brightness_range=0.2,
                brightness_prob=1.0,
                contrast_range=0.2,
                contrast_prob=1.0,
                saturation_range=0.2,
                saturation_prob=1.0,
                hue_range=25.5,
                hue_prob=1.0)
        ],
        prob=0.5),
    dict(type='PackSegInputs')
]
# The paper's evaluation (Sec. 4.1): image and mask resized to 448x448 and
# scored there. For full-resolution scores (predictions resized back to the
# photo, as mmseg does) pass
# --cfg-options test_dataloader.dataset.pipeline.3.enabled=False
# (and val_dataloader.dataset.pipeline.3.enabled=False while training).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadAnnotations'),
    dict(type='EvaluateAtInputSize'),
    dict(type='PackSegInputs')
]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[[dict(type='Resize', scale=crop_size, keep_ratio=False)],
                    {{_base_.tta_flips}}, [dict(type='LoadAnnotations')],
                    [dict(type='EvaluateAtInputSize')],
                    [dict(type='PackSegInputs')]])
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
