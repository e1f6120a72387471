# ./hrsegnet-b16-balanced-dice_1xb8-20k_cfd-cracksc-256x256.py with the
# generated crack set added to the training data (200 procedural 256x256
# photos beside the 251 real ones), to measure whether generated data helps
# the shipped model; validation stays on the CFD and CrackSC val splits.
# Prepare the generated set first:
#   python tools/misc/generate_synthetic_cracks.py data/crack_synthetic
_base_ = ['./hrsegnet-b16-balanced-dice_1xb8-20k_cfd-cracksc-256x256.py']
data_roots = [
    '../shared/data/cfd', '../shared/data/cracksc', 'data/crack_synthetic'
]
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(
            type='CrackDataset',
            data_root=data_root,
            data_prefix=dict(img_path='images', seg_map_path='masks'),
            split='train') for data_root in data_roots
    ]))
