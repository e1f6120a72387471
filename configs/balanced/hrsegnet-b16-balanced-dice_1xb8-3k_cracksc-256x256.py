# Balanced learning plus Dice for HrSegNet-B16
# (hrsegnet-b16-balanced-dice_1xb8-3k_cfd-256x256.py) on CrackSC, whose
# cracks are ~2 px wide on shadowed asphalt. Validation: every 5th sorted
# stem of ../shared/data/cracksc, at full resolution (320x480).
_base_ = ['./hrsegnet-b16-balanced-dice_1xb8-3k_cfd-256x256.py']
data_root = '../shared/data/cracksc'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
