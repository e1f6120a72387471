"""Inference speed of several models on several backends, measured side
by side with the machine's GEMM references."""
import tempfile
from typing import NamedTuple, Optional, Sequence

import numpy as np
from mmengine.config import Config

from .gemm_reference import gemm_cases
from .model_cases import log_failure, model_cases, sample_image
from .timing import Case, time_cases


class BenchmarkModel(NamedTuple):
    """A model to measure: its name in the rows, config and weights (None:
    random weights)."""
    name: str
    cfg: Config
    checkpoint: Optional[str] = None


def measure_inference(models: Sequence[BenchmarkModel],
                      backends: Sequence[str],
                      shape: Sequence[int],
                      batch: int = 1,
                      warmup: int = 10,
                      runs: int = 50,
                      threads: int = 1,
                      sample_img: Optional[np.ndarray] = None,
                      calib_data: Optional[str] = None) -> dict:
    """Time every model on every backend, and the GEMM references.

    Each model is prepared on every backend first
    (:func:`~mmcrack.benchmark.model_cases.model_cases`; the exported files
    live in a temporary folder until the timing ends), then all cases and
    the GEMM references (:func:`~mmcrack.benchmark.gemm_reference.
    gemm_cases`) are timed in the same rounds
    (:func:`~mmcrack.benchmark.timing.time_cases`). A model that cannot be
    prepared at all gets one row (backend ``'-'``) with the reason.

    Args:
        models (Sequence[BenchmarkModel]): The models.
        backends (Sequence[str]): The backends.
        shape (Sequence[int]): Input (H, W).
        batch (int): Images per run. Defaults to 1.
        warmup (int): Untimed runs of each case first. Defaults to 10.
        runs (int): Timed rounds. Defaults to 50.
        threads (int): CPU threads of the ONNX Runtime sessions.
        sample_img (np.ndarray, optional): A BGR image of ``shape`` to
            trace the exports with (default: noise,
            :func:`~mmcrack.benchmark.model_cases.sample_image`).
        calib_data (str, optional): Photos to calibrate the INT8 models on.

    Returns:
        dict: ``results`` (a :meth:`Case.row` per model and backend, in
        the order of ``models``) and ``gemm`` (a row per GEMM reference,
        batch 1).
    """
    if sample_img is None:
        sample_img = sample_image(shape)
    cases = []
    with tempfile.TemporaryDirectory() as work_dir:
        for model in models:
            try:
                cases += model_cases(
                    model.name,
                    model.cfg,
                    model.checkpoint,
                    backends,
                    shape,
                    work_dir,
                    sample_img,
                    batch=batch,
                    threads=threads,
                    calib_data=calib_data)
            except Exception as e:  # noqa: BLE001  (report, go on)
                log_failure()
                cases.append(
                    Case(
                        dict(model=model.name, params=0, macs=0),
                        '-',
                        error=f'{type(e).__name__}: {e}'))
        gemm = gemm_cases(backends, threads)
        time_cases(cases + gemm, warmup, runs)
    return dict(
        results=[case.row(batch) for case in cases],
        gemm=[case.row(1) for case in gemm])
