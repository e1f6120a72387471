# HrSegNet-B48 on CFD with balanced learning plus Dice: the B16 recipe of
# ./hrsegnet-b16-balanced-dice_1xb8-3k_cfd-256x256.py (same budget, crop,
# hook and losses) with a 48-channel high-resolution path (Sec. 3.5, 4.4).
_base_ = ['./hrsegnet-b16-balanced-dice_1xb8-3k_cfd-256x256.py']
base_channels = 48
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
