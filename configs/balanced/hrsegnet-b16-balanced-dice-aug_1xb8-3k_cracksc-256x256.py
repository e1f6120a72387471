# ./hrsegnet-b16-balanced-dice-aug_1xb8-3k_cfd-256x256.py on CrackSC (every
# 5th sorted stem of ../shared/data/cracksc validates), for the cross-set
# check the other way round.
_base_ = ['./hrsegnet-b16-balanced-dice-aug_1xb8-3k_cfd-256x256.py']
data_root = '../shared/data/cracksc'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
