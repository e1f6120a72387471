_base_ = './hrsegnet-b16_1xb32-100k_crackseg9k-400x400.py'
# HrSegNet-B32: the high-resolution path has 32 channels (Sec. 3.5, 4.4).
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
                type='OhemCrossEntropyLoss',
                thresh=0.7,
                min_kept=10000,
                loss_weight=0.5)) for i in (0, 1)
    ])
