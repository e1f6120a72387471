# ./hrsegnet-b16-balanced-dice_1xb8-3k_cfd-256x256.py with the augmentation
# of the shipped model's augmented recipe (scale 0.75-1.5 and photometric
# distortion: ../_base_/datasets/crack_scale_photometric_aug.py), for the
# cross-set check: train on CFD, validate on CFD and on CrackSC
# (--cfg-options test_dataloader.dataset.data_root=../shared/data/cracksc).
_base_ = [
    './hrsegnet-b16-balanced-dice_1xb8-3k_cfd-256x256.py',
    '../_base_/datasets/crack_scale_photometric_aug.py'
]
train_dataloader = dict(
    dataset=dict(pipeline={{_base_.scale_photometric_train_pipeline}}))
