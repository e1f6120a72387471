# WP-CrackNet (Ma et al., Neurocomputing) on CrackSC with image-level labels
# only: 200 epochs of the 289 images the command in
# _base_/datasets/cracksc_weak.py builds (15k iterations of batch 4); the
# rest as on CFD (wp-cracknet_r38d_1xb4-46k_cfd-weak-256x256.py).
_base_ = ['./wp-cracknet_r38d_1xb4-46k_cfd-weak-256x256.py']
max_iters = 15000
model = dict(train_cfg=dict(remnant=dict(ramp_iters=max_iters * 2 // 5)))
poly = dict(
    type='PolyLR',
    eta_min=0.0,
    power=1.1,
    begin=0,
    end=max_iters,
    by_epoch=False)
param_scheduler = dict(classifier=[poly], reconstructor=[poly], detector=[])
train_cfg = dict(max_iters=max_iters)
data_root = 'data/cracksc'
train_dataloader = dict(dataset=dict(data_root='data/cracksc_weak'))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
