# WP-CrackNet (Ma et al., Neurocomputing; https://mias.group/WP-CrackNet/):
# weakly supervised crack segmentation from image-level labels. Two ResNet38d
# encoders (classifier, reconstructor), a U-Net reconstructor decoder and the
# PAAM detector, trained in turn by WPCrackNet.train_step with one optimizer
# each (see configs/wp_cracknet/ for the optim_wrapper dict).
# ImageNet normalisation, RGB, as the official code (ResNet38d weights).
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='WPCrackNet',
    data_preprocessor=data_preprocessor,
    # Both encoders; BatchNorm frozen as in the official code. For the
    # ImageNet weights, set init_cfg=dict(type='Pretrained',
    # checkpoint=<converted resnet_38d .pth>).
    backbone=dict(
        type='ResNet38d',
        channels=(64, 128, 256, 512, 1024, 2048, 4096),
        dropout=0.2,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True),
    cam_head=dict(type='CAMHead', in_channels=4096, channels=256,
                  num_classes=2),
    # Z = cat(b4 512 -> 64, b5 1024 -> 128, final 4096 -> D = 256).
    fusion=dict(
        type='ReconFeatureFusion',
        in_channels=(512, 1024, 4096),
        out_channels=(64, 128, 256)),
    # pix2pix U-Net; crops must be multiples of 2 ** num_downs = 256.
    generator=dict(type='UNetGenerator', in_channels=448, num_downs=8),
    decode_head=dict(
        type='WPCrackNetHead',
        in_channels=(1024, 1024),
        conv_channels=(512, 256, 128),
        deconv_channels=(64, 32),
        paam=dict(type='PAAM', se_ratio=16),
        norm_cfg=dict(type='BN'),
        threshold=0.5,
        # Eq. (22): BCE on the pseudo labels. class_weight is BCE's
        # pos_weight; the official code uses 5 (not in the paper).
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=True,
            class_weight=[5.0],
            loss_weight=1.0)),
    # Sec. 4.2: lambda_cec = 0.5; sigma 0.2 (official code).
    ceccm=dict(type='CECCMLoss', sigma=0.2, loss_weight=0.5),
    # Sec. 4.2 (Eqs. (16), (21)); rec_full is the official code's extra
    # full-reconstruction term (0 follows Eq. (16) literally).
    loss_weights=dict(
        rec_cls=1.0,
        rec_crack=0.5,
        rec_road=0.5,
        rec_full=0.2,
        cls_cls=1.0,
        cls_crack=0.8,
        cls_road=0.3),
    # Official denseCRF settings.
    crf_cfg=dict(
        num_iters=10,
        gaussian_sxy=3,
        gaussian_compat=3,
        bilateral_sxy=80,
        bilateral_srgb=13,
        bilateral_compat=10,
        bg_power=0.5),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# One optimizer per sub-module (the keys name them), stepped in turn by
# WPCrackNet.train_step; it belongs to the model, not to a schedule.
# Official code: SGD (its PolyOptimizer hands weight_decay to SGD's momentum
# slot, so it runs without momentum), weight decay 5e-4 on weights, biases at
# 2x lr without decay, the U-Net's transposed convs at 10x lr; AdamW for the
# detector.
sgd = dict(type='SGD', lr=1e-3, momentum=0.0, weight_decay=5e-4)
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    classifier=dict(
        type='OptimWrapper',
        optimizer=sgd,
        paramwise_cfg=dict(bias_lr_mult=2.0, bias_decay_mult=0.0)),
    reconstructor=dict(
        type='OptimWrapper',
        optimizer=sgd,
        paramwise_cfg=dict(
            bias_lr_mult=2.0,
            bias_decay_mult=0.0,
            custom_keys={'generator.ups': dict(lr_mult=10.0)})),
    detector=dict(
        type='OptimWrapper',
        optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01)))
