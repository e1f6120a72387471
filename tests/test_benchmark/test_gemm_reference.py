"""mmcrack.benchmark.gemm_reference: each reference multiplies the
matrices its name and MACs say."""
import pytest
import torch

from mmcrack.benchmark import (ALL_BACKENDS, GEMM_OF, GEMM_SIZES, gemm_cases,
                               gemm_name)
from mmcrack.benchmark.gemm_reference import torch_gemm_case

SMALL = {backend: 32 + 8 * i for i, backend in enumerate(GEMM_SIZES)}


def test_every_backend_has_a_reference_with_a_size():
    assert set(GEMM_OF) == set(ALL_BACKENDS)
    assert set(GEMM_OF.values()) == set(GEMM_SIZES)


def test_cpu_references_run_the_size_they_are_named_by():
    cases = gemm_cases(['pytorch', 'onnxruntime', 'onnxruntime-int8'],
                       threads=1,
                       sizes=SMALL)
    assert [case.backend for case in cases] == [
        'torch-cpu', 'onnxruntime-cpu', 'onnxruntime-int8-cpu'
    ]
    for case in cases:
        size = SMALL[case.backend]
        out = case.fn()
        out = out[0] if isinstance(out, list) else out
        assert tuple(out.shape) == (size, size), case.backend
        assert case.base == dict(
            model=gemm_name(size), params=0, macs=size**3)


def test_one_reference_per_family():
    cases = gemm_cases(['pytorch', 'cuda', 'cuda-fp16'], 1, sizes=SMALL)
    expected = ['torch-cpu'] + (['torch-cuda']
                                if torch.cuda.is_available() else [])
    assert [case.backend for case in cases] == expected


def test_torch_reference_is_named_by_its_size():
    case = torch_gemm_case(48)
    assert case.backend == 'torch-cpu'
    assert case.base['model'] == 'GEMM 48^3'
    assert case.fn().shape == (48, 48)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_cuda_reference_is_named_by_its_size():
    """It once multiplied 4096^3 and said 'GEMM 2048^3'."""
    case, = gemm_cases(['cuda'], 1)
    size = GEMM_SIZES['torch-cuda']
    assert case.backend == 'torch-cuda'
    assert case.base['model'] == gemm_name(size)
    assert case.fn().shape == (size, size)
