"""mmseg's visualizer painting only the crack pixels, for overlays."""
from typing import List, Optional

import numpy as np
from mmengine.structures import PixelData
from mmseg.registry import VISUALIZERS
from mmseg.visualization import SegLocalVisualizer


@VISUALIZERS.register_module()
class CrackLocalVisualizer(SegLocalVisualizer):
    """A :class:`SegLocalVisualizer` that paints only the crack pixels.

    mmseg's visualizer blends every class, background included, over the
    photo; with a black background colour the whole photo darkens and the
    thin cracks are hard to see. Here background pixels keep the photo as it
    is and every other class is blended with its palette colour at ``alpha``;
    no class names are written on the image. With ``draw_gt`` the ground
    truth (left) and the prediction (right) are drawn side by side, as mmseg
    does.

    Args:
        name (str): Name of the visualizer instance. Defaults to
            'visualizer'.
        alpha (float): Opacity of the crack colour. Defaults to 0.6.
        **kwargs: Passed to :class:`SegLocalVisualizer`.
    """

    def __init__(self, name: str = 'visualizer', alpha: float = 0.6,
                 **kwargs):
        super().__init__(name=name, alpha=alpha, **kwargs)

    def _draw_sem_seg(self,
                      image: np.ndarray,
                      sem_seg: PixelData,
                      classes: Optional[List],
                      palette: Optional[List],
                      with_labels: Optional[bool] = False) -> np.ndarray:
        labels = sem_seg.cpu().data[0]
        labels = labels.numpy() if hasattr(labels, 'numpy') else labels
        drawn = image.copy()
        for label in range(1, len(classes)):
            selected = labels == label
            colour = np.asarray(palette[label], dtype=np.float32)
            drawn[selected] = (image[selected] * (1 - self.alpha) +
                               colour * self.alpha).astype(np.uint8)
        self.set_image(drawn)
        return drawn
