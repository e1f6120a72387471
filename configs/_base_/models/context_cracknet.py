# Context-CrackNet (Kyem et al., 2025, arXiv:2501.14413): a ResNet50 encoder
# that also returns its stem, the CAGM (a Linformer block) on F3, the RFEM
# decoder and one sigmoid output channel trained with 0.5 BCE + 0.5 Dice.
# The CAGM's mode='exact' ties the model to 448x448 inputs, as the official
# code; mode='resample' runs any input size (e.g. sliding-window inference).
norm_cfg = dict(type='SyncBN', requires_grad=True)
# Sec. 4.1: normalized with the ImageNet mean and std of the ResNet, RGB.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    # Sec. 4.3 (official code: resnet50(pretrained=True)): the encoder
    # starts from torchvision's ImageNet ResNet50, fetched from torchvision's
    # published address (no torchvision needed; mmcrack.utils.pretrained).
    # Offline: --cfg-options model.backbone.init_cfg.checkpoint=PATH (a
    # downloaded copy), or model.backbone.init_cfg=None to train from
    # scratch on purpose.
    backbone=dict(
        type='ResNetWithStem',
        depth=50,
        out_indices=(0, 1, 2, 3, 4),
        pool_stem=False,
        style='pytorch',
        # torchvision's initialisation (no zero-init of the last BN of each
        # block) where no pretrained weights are loaded.
        zero_init_residual=False,
        norm_cfg=norm_cfg,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnet50-0676ba61.pth')),
    neck=dict(
        type='CAGM',
        in_channels=1024,
        in_index=3,
        num_heads=8,
        proj_len=256,
        feedforward_channels=2048,
        dropout=0.1,
        img_size=448,
        feature_stride=16,
        mode='exact'),
    decode_head=dict(
        type='ContextCrackNetHead',
        in_channels=[64, 256, 512, 1024, 2048],
        in_index=[0, 1, 2, 3, 4],
        channels=64,
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='BCEDiceLoss', bce_weight=0.5, dice_weight=0.5,
            smooth=1e-5)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
