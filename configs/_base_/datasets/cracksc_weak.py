# CrackSC: 195 images of 320x480, for weakly supervised training:
# image-level labels for training, pixel masks for validation only.
# Prepare the pixel-labelled set with tools/dataset_converters/cracksc.py, then
# the image-level training set from its train split (every 5th sorted stem is
# val and never used for training):
#   python tools/dataset_converters/make_weak_labels.py data/cracksc \
#       data/cracksc_weak --negatives-per-image 1 --negative-size 160 \
#       --resize 256
# Crack images plus one crack-free crop cut from each (Sec. 4.1, as for
# Crack500 and DeepCrack).
# Everything else as for CFD (cfd_weak.py).
_base_ = ['./cfd_weak.py']
data_root = 'data/cracksc'
weak_data_root = 'data/cracksc_weak'
train_dataloader = dict(dataset=dict(data_root=weak_data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
