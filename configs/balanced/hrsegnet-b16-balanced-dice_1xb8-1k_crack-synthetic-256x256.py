# The demo (tools/run_demo.sh): HrSegNet-B16 with balanced learning plus
# Dice (./hrsegnet-b16-balanced-dice_1xb8-3k_cfd-256x256.py) for 1000
# iterations on the generated dataset
# (tools/misc/generate_synthetic_cracks.py), about 10 minutes on 2 CPU cores.
_base_ = ['./hrsegnet-b16-balanced-dice_1xb8-3k_cfd-256x256.py']
data_root = 'data/crack_synthetic'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root, ann_file='splits/train.txt', split=None))
val_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='splits/val.txt', split=None))
test_dataloader = val_dataloader
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=100),
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=100,
        end=1000,
        by_epoch=False)
]
train_cfg = dict(max_iters=1000, val_interval=250)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=250, max_keep_ckpts=2))
