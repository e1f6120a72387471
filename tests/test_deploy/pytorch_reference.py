"""What an exported segmentor computes, in PyTorch: the reference the
deployment tests compare ONNX Runtime's outputs with. (A module of its own,
with a unique name: ``from conftest import`` picks whichever conftest
pytest loaded last.)"""
import copy

import numpy as np
import torch


def torch_logits(model, inputs: torch.Tensor,
                 dtype: torch.dtype = torch.float32) -> np.ndarray:
    """What the export computes, in PyTorch: logits at the input size.

    ``dtype=torch.float64`` runs a float64 copy of the model: the reference
    both float32 runs, PyTorch's and the exported graph's, are measured
    against.
    """
    if dtype != torch.float32:
        model = copy.deepcopy(model).to(dtype)
    height, width = inputs.shape[2:]
    metas = [dict(img_shape=(height, width), ori_shape=(height, width),
                  pad_shape=(height, width))] * inputs.shape[0]
    with torch.no_grad():
        return model.encode_decode(inputs.to(dtype), metas).numpy()


def label_map(model, inputs: torch.Tensor) -> np.ndarray:
    """PyTorch's label map: argmax, or the threshold of a 1-channel head."""
    logits = torch.from_numpy(torch_logits(model, inputs))
    if logits.shape[1] == 1:
        return (logits.sigmoid() > model.decode_head.threshold).long().numpy()
    return logits.argmax(dim=1, keepdim=True).numpy()
