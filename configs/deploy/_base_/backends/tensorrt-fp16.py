_base_ = ['./tensorrt.py']
backend_config = dict(common_config=dict(fp16_mode=True))
