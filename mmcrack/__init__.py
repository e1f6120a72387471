"""mmcrack: crack-segmentation models, datasets and metrics for MMSegmentation.

Importing the package applies the compatibility fixes of
:mod:`mmcrack.utils.compat` and registers every module into MMSegmentation's
registries, so ``custom_imports=dict(imports=['mmcrack'])`` is all a config
needs.
"""
from .utils import compat

compat.apply_all()

from . import (datasets, engine, evaluation, models,  # noqa: E402,F401
               visualization)
from .version import __version__  # noqa: E402

__all__ = ['__version__']
