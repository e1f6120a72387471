"""Mixed-precision training on the CPU: bfloat16 autocast."""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmseg.registry import OPTIM_WRAPPERS


def cpu_supports_bf16() -> bool:
    """Whether this CPU runs bfloat16 natively (oneDNN's check: AVX-512 BF16
    or AMX), so that bfloat16 autocast can be faster than float32."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


@OPTIM_WRAPPERS.register_module()
class CPUBF16OptimWrapper(OptimWrapper):
    """An :class:`OptimWrapper` whose forward runs in bfloat16 autocast on
    the CPU, what ``tools/train.py --amp`` uses without a GPU.

    mmengine's ``AmpOptimWrapper`` refuses the CPU. bfloat16 keeps
    float32's exponent range, so no loss scaling is needed: parameters,
    gradients and the optimizer stay in float32 and only the operations that
    ``torch.autocast('cpu', dtype=torch.bfloat16)`` lists run in bfloat16.

    Args:
        **kwargs: The arguments of :class:`OptimWrapper`.

    Raises:
        RuntimeError: the CPU has no native bfloat16 support.
    """

    def __init__(self, **kwargs):
        if not cpu_supports_bf16():
            raise RuntimeError(
                'This CPU has no native bfloat16 support (AVX-512 BF16 or '
                'AMX), so --amp would be slower than float32 here: train '
                'without --amp.')
        super().__init__(**kwargs)

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=torch.bfloat16):
            yield
