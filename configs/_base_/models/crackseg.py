# CrackSeg (Song et al., J. Adv. Transp. 2020, doi:10.1155/2020/6412562):
# a dilated ResNet (output stride 16) returning Conv1 + pool1 and
# Block1-Block4, the multiscale dilated convolution module on Block3 +
# Block4 ("Fusion-S-dilated", Table 4) and the up-sampling module with the
# Conv1 and Block1 low-level features (Tables 1 and 5); two-class softmax
# cross-entropy. ResNet50 here; the paper's best model is ResNet101 (set the
# backbone depth=101, see configs/crackseg/).
norm_cfg = dict(type='SyncBN', requires_grad=True)
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
    # Sec. 2.1: the encoder starts from torchvision's ImageNet ResNet,
    # fetched from torchvision's published address (no torchvision needed;
    # mmcrack.utils.pretrained; the R101 configs give ResNet101's).
    # Offline: --cfg-options model.backbone.init_cfg.checkpoint=PATH (a
    # downloaded copy), or model.backbone.init_cfg=None to train from
    # scratch on purpose.
    backbone=dict(
        type='ResNetWithStem',
        depth=50,
        out_indices=(0, 1, 2, 3, 4),
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        contract_dilation=True,
        pool_stem=True,
        style='pytorch',
        norm_cfg=norm_cfg,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnet50-0676ba61.pth')),
    # Appends the fused Block3 + Block4 feature as output 5.
    neck=dict(
        type='MultiscaleDilatedConv',
        in_channels=(1024, 2048),
        in_index=(3, 4),
        channels=256,
        out_channels=256,
        kernel_sizes=(1, 3, 5),
        dilations=(1, 3, 5),
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='CrackSegHead',
        in_channels=[64, 256, 256],
        in_index=[0, 1, 5],
        channels=256,
        high_channels=512,
        low_channels=256,
        num_convs=3,
        num_classes=2,
        out_channels=2,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
