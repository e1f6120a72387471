# HrSegNet-B16 on CFD with balanced learning (Zhang et al., 2022, "Balanced
# Learning for Road Crack Segmentation"): the benchmark setting of
# ../hrsegnet/hrsegnet-b16_1xb8-3k_cfd-256x256.py, with the OHEM losses
# replaced by BalancedCrossEntropyLoss, the random crop by CrackAwareCrop,
# and BalancedLearningHook moving both every 50 iterations so that the
# training precision and recall of the crack class meet (formula in the
# hook's docstring). Any model whose heads take a loss_decode works the same
# way.
_base_ = ['../hrsegnet/hrsegnet-b16_1xb8-3k_cfd-256x256.py']
crop_size = (256, 256)
norm_cfg = dict(type='SyncBN', requires_grad=True)
balanced_loss = dict(
    type='BalancedCrossEntropyLoss', pos_weight=1.0, loss_weight=1.0)
model = dict(
    decode_head=dict(loss_decode=dict(balanced_loss, _delete_=True)),
    auxiliary_head=[
        dict(
            type='HrSegNetAuxHead',
            in_channels=16,
            channels=16,
            in_index=i,
            num_classes=2,
            norm_cfg=norm_cfg,
            align_corners=True,
            loss_decode=dict(balanced_loss, loss_weight=0.5))
        for i in (0, 1)
    ])
# Half the crops centred on a crack pixel at first; the hook moves it.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CrackAwareCrop', crop_size=crop_size, pos_prob=0.5),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
custom_hooks = [
    dict(
        type='BalancedLearningHook',
        interval=50,
        weight_step=0.2,
        min_weight=0.1,
        max_weight=100.0,
        prob_step=0.05,
        min_prob=0.0,
        max_prob=1.0)
]
