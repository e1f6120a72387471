# HrSegNet (Li et al., 2023, arXiv:2307.00270), HrSegNet-B16 by default:
# set `base_channels` of the backbone and `in_channels`/`channels` of every
# head together for the B32/B48/B64 variants (see configs/hrsegnet/).
norm_cfg = dict(type='SyncBN', requires_grad=True)
# Paddle's Normalize: RGB, (x / 255 - 0.5) / 0.5 = (x - 127.5) / 127.5.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
# Sec. 4.2: OHEM cross-entropy on every head; Eq. (2): aux weight 0.5.
ohem_loss = dict(
    type='OhemCrossEntropyLoss', thresh=0.7, min_kept=10000, loss_weight=1.0)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='HrSegNet',
        in_channels=3,
        base_channels=16,
        norm_cfg=norm_cfg,
        align_corners=True),
    decode_head=dict(
        type='HrSegNetHead',
        in_channels=16,
        channels=16,
        in_index=2,
        num_classes=2,
        norm_cfg=norm_cfg,
        align_corners=True,
        loss_decode=ohem_loss),
    # Sec. 3.4: deep supervision on HrSeg blocks 1 and 2, training only.
    auxiliary_head=[
        dict(
            type='HrSegNetAuxHead',
            in_channels=16,
            channels=16,
            in_index=i,
            num_classes=2,
            norm_cfg=norm_cfg,
            align_corners=True,
            loss_decode=dict(ohem_loss, loss_weight=0.5)) for i in (0, 1)
    ],
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
