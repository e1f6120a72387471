# TensorRT 10, built by mmcrack.deploy.tensorrt (not mmdeploy's TensorRT 8
# wrapper): `max_workspace_size` in bytes (0: TensorRT's default, the whole
# device memory), `log_level` one of 'VERBOSE', 'INFO', 'WARNING', 'ERROR'.
# The config is loadable without TensorRT installed.
backend_config = dict(
    type='tensorrt',
    common_config=dict(
        fp16_mode=False, log_level='WARNING', max_workspace_size=1 << 30))
