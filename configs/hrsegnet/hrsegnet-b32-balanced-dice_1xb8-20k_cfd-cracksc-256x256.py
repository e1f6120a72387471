# HrSegNet-B32 "general": the recipe of the shipped B16 general model
# (./hrsegnet-b16-balanced-dice_1xb8-20k_cfd-cracksc-256x256.py: same data,
# crops, hook, losses and 20k schedule) with a 32-channel high-resolution
# path (Sec. 3.5, 4.4), to measure whether the wider model beats B16 on both
# val splits. CFD is licensed for non-commercial research only, and so is a
# model trained on it.
_base_ = ['./hrsegnet-b16-balanced-dice_1xb8-20k_cfd-cracksc-256x256.py']
base_channels = 32
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(base_channels=base_channels),
    decode_head=dict(in_channels=base_channels, channels=base_channels),
    auxiliary_head=[
        dict(
            type='HrSegNetAuxHead',
            in_channels=base_channels,
            channels=base_channels,
            in_index=i,
            num_classes=2,
            norm_cfg=norm_cfg,
            align_corners=True,
            loss_decode=dict(
                type='BalancedCrossEntropyLoss',
                pos_weight=1.0,
                loss_weight=0.5)) for i in (0, 1)
    ])
