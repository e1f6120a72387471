# CrackSeg with the paper's best encoder, ResNet101 (Sec. 2.1), from
# torchvision's ImageNet ResNet101 (see ./crackseg.py).
_base_ = ['./crackseg.py']
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            checkpoint='https://download.pytorch.org/models/'
            'resnet101-63fe2227.pth')))
