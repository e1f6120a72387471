"""Normalisation of class activation maps (CAMs) to [0, 1]."""
import torch.nn.functional as F
from torch import Tensor


def max_norm(cam: Tensor, eps: float = 1e-5) -> Tensor:
    """Normalise each map of (N, C, h, w) CAMs to [0, 1] after a ReLU, as
    the ``max_norm`` of WP-CrackNet's official code:
    ``ReLU(x - min - eps) / (max - min + eps)``.

    Args:
        cam (Tensor): CAMs (N, C, h, w).
        eps (float): Keeps a flat map finite (it becomes 0). Defaults to
            1e-5.

    Returns:
        Tensor: The normalised CAMs, same shape.
    """
    cam = F.relu(cam)
    flat = cam.flatten(2)
    low = flat.min(dim=2)[0][..., None, None]
    high = flat.max(dim=2)[0][..., None, None]
    return F.relu(cam - low - eps) / (high - low + eps)
