# HrSegNet-B16 on CFD with balanced learning plus a Dice term on the main
# head: ./hrsegnet-b16-balanced_1xb8-3k_cfd-256x256.py (same budget, crop,
# hook and balanced cross-entropy) with BCEDiceLoss as a pure Dice loss on
# the crack probability (bce_weight=0), summed over the batch. The Dice term
# rewards overlap with the thin crack class directly, which the per-pixel
# cross-entropy does not; BalancedLearningHook still steers the
# cross-entropy's positive weight and the crack-centred crops.
_base_ = ['./hrsegnet-b16-balanced_1xb8-3k_cfd-256x256.py']
model = dict(
    decode_head=dict(loss_decode=[
        dict(
            type='BalancedCrossEntropyLoss', pos_weight=1.0, loss_weight=1.0),
        dict(
            type='BCEDiceLoss',
            bce_weight=0.0,
            dice_weight=1.0,
            loss_weight=1.0,
            loss_name='loss_dice')
    ]))
