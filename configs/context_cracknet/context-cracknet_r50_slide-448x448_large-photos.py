# Context-CrackNet on photos at their own resolution, for inference and
# testing with a checkpoint of any Context-CrackNet config: drone and
# survey-vehicle photos of 2000x1500 to 4000x3000 would lose their thin
# cracks if resized to 448x448 as the paper's datasets are. The photo keeps
# its size and 448x448 windows slide over it (stride 298: a third of each
# window overlaps its neighbour). CAGM resamples its Linformer projections
# only where a photo under 448 px cuts a window smaller; on a full window it
# computes what mode='exact' computes (tested), so the weights load as they
# are.
#   python tools/infer.py THIS_CONFIG CHECKPOINT PHOTOS
_base_ = './context-cracknet_r50_1xb8-40k_cfd-448x448.py'
crop_size = (448, 448)
model = dict(
    neck=dict(mode='resample'),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(298, 298)))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[{{_base_.tta_flips}}, [dict(type='LoadAnnotations')],
                    [dict(type='PackSegInputs')]])
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
