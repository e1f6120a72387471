"""Center-enhanced CAM consistency (CECCM) loss of WP-CrackNet."""
import torch
from mmseg.registry import MODELS
from torch import Tensor

from ..losses import BaseCrackLoss


def center_enhance(cam: Tensor, sigma: float = 0.2) -> Tensor:
    """Weight each CAM by a Gaussian centred on its centre of mass.

    WP-CrackNet Eqs. (4)-(6): ``mu = sum(p M(p)) / sum(M(p))`` over pixel
    positions ``p`` in normalised coordinates (``x = j / (W - 1)``, ``y = i
    / (H - 1)``, so both run over [0, 1] as in the official code), ``G(p) =
    exp(-|p - mu|^2 / (2 sigma^2))`` and ``M_G = M * G``.

    Args:
        cam (Tensor): Non-negative CAMs (N, C, H, W).
        sigma (float): Spread of the Gaussian in normalised coordinates.
            Defaults to 0.2.

    Returns:
        Tensor: The centre-enhanced CAMs, (N, C, H, W). A CAM that sums to 0
        has no centre; its ``M_G`` is 0 (callers leave such CAMs out).
    """
    h, w = cam.shape[2:]
    ys = torch.linspace(0, 1, h, device=cam.device, dtype=cam.dtype)
    xs = torch.linspace(0, 1, w, device=cam.device, dtype=cam.dtype)
    total = cam.sum(dim=(2, 3), keepdim=True).clamp(min=1e-12)
    mu_y = (cam * ys.view(1, 1, h, 1)).sum(dim=(2, 3), keepdim=True) / total
    mu_x = (cam * xs.view(1, 1, 1, w)).sum(dim=(2, 3), keepdim=True) / total
    dist2 = (ys.view(1, 1, h, 1) - mu_y)**2 + (xs.view(1, 1, 1, w) - mu_x)**2
    return cam * torch.exp(-dist2 / (2 * sigma**2))


@MODELS.register_module()
class CECCMLoss(BaseCrackLoss):
    """Center-enhanced CAM consistency loss (CECCM).

    `WP-CrackNet <https://mias.group/WP-CrackNet/>`_ Sec. 3.2 and Eq. (20):
    ``L_CEC = 1/(HW) sum |M_CG - M^rec_CG|``, the mean absolute difference
    between the centre-enhanced crack CAMs of the classifier and of the
    reconstructor encoder (see :func:`center_enhance`), averaged over the
    samples. Each CAM is first min-max normalised to [0, 1], as the
    official code does. A sample whose CAM (either one) sums to less than
    ``eps`` after normalisation has no centre and is left out; with no
    sample left the loss is 0 (still attached to the graph).

    Fixed from the official code: it enhances the two-channel CAMs of the
    whole batch and gives up on the enhancement for the *whole batch* as
    soon as any channel sums to ~0, which the road channel of every crack
    image (zeroed by the image label) always does, so the official CECCM
    never centre-enhances and is a plain L1 between the CAMs; and it
    averages that L1 over both channels, one of them the road channel that
    the image label zeroes, so the stated ``lambda_cec = 0.5`` weighs the
    crack CAMs by 0.25 in effect. Here only the crack CAMs are compared, so
    the paper's weight is the weight they get, and the test is per
    sample.

    Args:
        sigma (float): Spread of the Gaussian in normalised coordinates.
            Defaults to 0.2 (official code).
        eps (float): A CAM summing to less than this is left out. Defaults
            to 1e-4 (official code).
        loss_weight (float): Weight ``lambda_cec``. Defaults to 0.5
            (Sec. 4.2).
        loss_name (str): Name of the loss item. Defaults to 'loss_cec'.
    """

    def __init__(self,
                 sigma: float = 0.2,
                 eps: float = 1e-4,
                 loss_weight: float = 0.5,
                 loss_name: str = 'loss_cec') -> None:
        super().__init__(loss_weight, loss_name)
        self.sigma = sigma
        self.eps = eps

    @staticmethod
    def normalize(cam: Tensor) -> Tensor:
        """Min-max normalise each map of (N, C, H, W) to [0, 1]."""
        flat = cam.flatten(2)
        low = flat.min(dim=2)[0][..., None, None]
        high = flat.max(dim=2)[0][..., None, None]
        return (cam - low) / (high - low + 1e-6)

    def forward(self, cam: Tensor, cam_rec: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            cam (Tensor): Crack CAMs of the classifier, (N, H, W) or (N, 1,
                H, W).
            cam_rec (Tensor): Crack CAMs of the reconstructor encoder, same
                shape.

        Returns:
            Tensor: The scalar loss times ``loss_weight``.
        """
        if cam.shape != cam_rec.shape:
            raise ValueError(f'CAM shapes differ: {tuple(cam.shape)} and '
                             f'{tuple(cam_rec.shape)}.')
        if cam.dim() == 3:
            cam, cam_rec = cam[:, None], cam_rec[:, None]
        cam, cam_rec = self.normalize(cam), self.normalize(cam_rec)
        valid = ((cam.sum(dim=(1, 2, 3)) >= self.eps) &
                 (cam_rec.sum(dim=(1, 2, 3)) >= self.eps))
        diff = (center_enhance(cam, self.sigma) -
                center_enhance(cam_rec, self.sigma)).abs().mean(dim=(1, 2, 3))
        if not valid.any():
            return diff.sum() * 0.
        return self.loss_weight * diff[valid].mean()
