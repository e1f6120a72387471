# ./hrsegnet-b16-balanced-dice_1xb8-20k_cfd-cracksc-256x256.py with
# augmentation meant for photos of other roads and cameras (scale 0.75-1.5
# and photometric distortion: ../_base_/datasets/crack_scale_photometric_aug.py).
_base_ = [
    './hrsegnet-b16-balanced-dice_1xb8-20k_cfd-cracksc-256x256.py',
    '../_base_/datasets/crack_scale_photometric_aug.py'
]
train_dataloader = dict(
    dataset=dict(pipeline={{_base_.scale_photometric_train_pipeline}}))
