# HrSegNet-B16 with the paper's recipe (OHEM, SGD) for 300 iterations on the
# generated dataset, a few minutes on 2 CPU cores: the base of the tool
# tests. Too short for this recipe to find the generated cracks (crack IoU
# 0.0); the demo (tools/run_demo.sh) trains
# ../balanced/hrsegnet-b16-balanced-dice_1xb8-1k_crack-synthetic-256x256.py.
_base_ = [
    '../_base_/models/hrsegnet.py', '../_base_/datasets/crack_synthetic.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_20k.py'
]
crop_size = (256, 256)
model = dict(data_preprocessor=dict(size=crop_size))
train_dataloader = dict(batch_size=8)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=30),
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=30,
        end=300,
        by_epoch=False)
]
train_cfg = dict(max_iters=300, val_interval=100)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=100, max_keep_ckpts=2))
