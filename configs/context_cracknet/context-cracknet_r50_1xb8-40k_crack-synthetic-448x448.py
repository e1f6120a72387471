# Context-CrackNet on the generated crack set (tools/misc/
# generate_synthetic_cracks.py): the recipe of the CFD config (the paper's,
# Sec. 4.1-4.2: every image resized to 448x448, the official albumentations
# augmentation, AdamW with the learning rate halved on plateaus, 40k
# iterations) on the generated images.
_base_ = './context-cracknet_r50_1xb8-40k_cfd-448x448.py'
data_root = 'data/crack_synthetic'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
