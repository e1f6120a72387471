default_scope = 'mmseg'
custom_imports = dict(imports=['mmcrack'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # mmcrack.utils.compat falls back to gloo where CUDA is absent.
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='CrackLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False

# Test-time augmentation (tools/test.py --tta): each test image as it is,
# flipped left-right and flipped upside down; CrackTTAModel averages the
# three views' probabilities. This tta_pipeline suits the test pipelines
# that run at full resolution; a config whose test_pipeline resizes gives
# the same flips after its Resize (as Context-CrackNet's configs do).
tta_model = dict(type='CrackTTAModel')
tta_flips = [
    dict(type='RandomFlip', prob=0.0, direction='horizontal'),
    dict(type='RandomFlip', prob=1.0, direction='horizontal'),
    dict(type='RandomFlip', prob=1.0, direction='vertical')
]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            tta_flips, [dict(type='LoadAnnotations')],
            [dict(type='PackSegInputs')]
        ])
]
