"""PaddleSeg's colour distortion: PIL brightness, contrast, saturation, hue."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS
from PIL import Image, ImageEnhance


@TRANSFORMS.register_module()
class RandomDistort(BaseTransform):
    """Distort brightness, contrast, saturation and hue in random order.

    PaddleSeg's ``RandomDistort``, with which HrSegNet is trained
    (Sec. 4.2: "random variations to an image's brightness, contrast, and
    saturation levels, with each parameter set to 0.5"). The four
    operations run in a random order, each with its own probability:

    * brightness, contrast, saturation: PIL's ``ImageEnhance.Brightness``,
      ``Contrast`` and ``Color`` with a factor drawn from
      ``[1 - range, 1 + range]``;
    * hue: the H channel of PIL's HSV image (0-255) shifted by a value drawn
      from ``[-hue_range, hue_range]``, wrapping around.

    The official configs leave the hue at PaddleSeg's defaults (range 18,
    probability 0.5), so it is on here too. This differs from mmseg's
    ``PhotoMetricDistortion``, whose brightness is additive and whose
    contrast is not centred on the image mean. Images are BGR, as mmcv
    loads them; the operations run on the RGB image, as in PaddleSeg.

    Required Keys:

    - img

    Modified Keys:

    - img

    Args:
        brightness_range (float): Range of the brightness factor.
            Defaults to 0.5.
        brightness_prob (float): Probability of the brightness change.
            Defaults to 0.5.
        contrast_range (float): Range of the contrast factor. Defaults to
            0.5.
        contrast_prob (float): Probability of the contrast change.
            Defaults to 0.5.
        saturation_range (float): Range of the saturation factor.
            Defaults to 0.5.
        saturation_prob (float): Probability of the saturation change.
            Defaults to 0.5.
        hue_range (float): Largest hue shift, in PIL's 0-255 hue units.
            Defaults to 18.
        hue_prob (float): Probability of the hue change. Defaults to 0.5.
    """

    OPS = ('brightness', 'contrast', 'saturation', 'hue')

    def __init__(self,
                 brightness_range: float = 0.5,
                 brightness_prob: float = 0.5,
                 contrast_range: float = 0.5,
                 contrast_prob: float = 0.5,
                 saturation_range: float = 0.5,
                 saturation_prob: float = 0.5,
                 hue_range: float = 18,
                 hue_prob: float = 0.5) -> None:
        self.ranges = dict(
            brightness=brightness_range,
            contrast=contrast_range,
            saturation=saturation_range,
            hue=hue_range)
        self.probs = dict(
            brightness=brightness_prob,
            contrast=contrast_prob,
            saturation=saturation_prob,
            hue=hue_prob)

    def _apply(self, op: str, img: Image.Image) -> Image.Image:
        """Apply one operation with a freshly drawn strength."""
        r = self.ranges[op]
        if op == 'hue':
            delta = np.random.uniform(-r, r)
            hsv = np.array(img.convert('HSV'))
            hue = np.trunc(hsv[..., 0] + delta).astype(np.int64)
            hsv[..., 0] = np.mod(hue, 256).astype(np.uint8)
            return Image.fromarray(hsv, mode='HSV').convert('RGB')
        factor = np.random.uniform(1 - r, 1 + r)
        enhance = dict(
            brightness=ImageEnhance.Brightness,
            contrast=ImageEnhance.Contrast,
            saturation=ImageEnhance.Color)[op]
        return enhance(img).enhance(factor)

    def transform(self, results: dict) -> dict:
        """Distort ``results['img']`` (BGR, H x W x 3)."""
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(
                f'RandomDistort needs a 3-channel image, got shape '
                f'{img.shape}.')
        # As PaddleSeg: float images are truncated to uint8 first.
        pil = Image.fromarray(np.ascontiguousarray(img[..., ::-1]).astype(
            np.uint8))
        for i in np.random.permutation(len(self.OPS)):
            op = self.OPS[i]
            if np.random.uniform(0, 1) < self.probs[op]:
                pil = self._apply(op, pil)
        results['img'] = np.ascontiguousarray(np.asarray(pil)[..., ::-1])
        return results

    def __repr__(self) -> str:
        args = ', '.join(f'{op}_range={self.ranges[op]}, '
                         f'{op}_prob={self.probs[op]}' for op in self.OPS)
        return f'{self.__class__.__name__}({args})'
