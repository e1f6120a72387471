"""The benchmark's results as a markdown table, and the machine they were
measured on."""
import os
import platform
from typing import Dict, List, Optional, Sequence

import torch

from .gemm_reference import GEMM_OF


def markdown_table(results: List[dict], main: str, gemm: List[dict],
                   shape: Sequence[int], batch: int) -> str:
    """The results as a markdown table, one row per model and backend.

    Args:
        results (list[dict]): The model rows
            (:func:`~mmcrack.benchmark.inference_speed.measure_inference`).
        main (str): The model the ``x <main>`` column compares with: its
            throughput over the row's, same backend.
        gemm (list[dict]): The GEMM reference rows; the ``% GEMM`` column
            is a row's MAC rate over its backend's reference
            (:data:`~mmcrack.benchmark.gemm_reference.GEMM_OF`), and a
            closing line lists them.
        shape (Sequence[int]): Input (H, W).
        batch (int): Images per run.
    """
    gemm_rate = {row['backend']: row['macs_per_s'] for row in gemm}
    main_rate = {
        r['backend']: r['images_per_s']
        for r in results if r['model'] == main and 'images_per_s' in r
    }
    lines = [
        f'Input {batch}x3x{shape[0]}x{shape[1]}; "x {main}" = {main}\'s '
        'throughput / the row\'s, same backend, same run; "% GEMM" = the '
        'row\'s MAC rate / the large-GEMM MAC rate of its backend.', '',
        '| model | backend | params (M) | GMACs | mean ms | median ms | '
        f'p90 ms | img/s | GMAC/s | % GEMM | x {main} |',
        '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
    ]
    for r in results:
        head = (f'| {r["model"]} | {r["backend"]} | {r["params"] / 1e6:.3f} '
                f'| {r["macs"] / 1e9:.3f} |')
        if 'images_per_s' not in r:
            lines.append(f'{head} {r.get("error", "-")} | | | | | | |')
            continue
        reference = gemm_rate.get(GEMM_OF.get(r['backend'], ''))
        share = (f'{100 * r["macs_per_s"] / reference:.1f}'
                 if reference else '-')
        ratio = (f'{main_rate[r["backend"]] / r["images_per_s"]:.2f}'
                 if r['backend'] in main_rate else '-')
        lines.append(
            f'{head} {r["mean_ms"]:.2f} | {r["median_ms"]:.2f} | '
            f'{r["p90_ms"]:.2f} | {r["images_per_s"]:.2f} | '
            f'{r["macs_per_s"] / 1e9:.2f} | {share} | {ratio} |')
    lines.append('')
    lines.append(
        'Large-GEMM MAC rate (fp32 matmul, int8 for onnxruntime-int8-cpu; '
        'timed in the same rounds): ' + ', '.join(
            f'{row["backend"]} {row["model"]} '
            f'{row["macs_per_s"] / 1e9:.1f} GMAC/s'
            for row in gemm if 'macs_per_s' in row))
    return '\n'.join(lines)


def training_summary(training: dict) -> str:
    """One sentence on a
    :func:`~mmcrack.benchmark.training_speed.measure_training` result."""
    return (f'Training: {training["images_per_s"]:.2f} img/s (batch '
            f'{training["batch_size"]}, {training["iters"]} iterations, '
            f'{training["num_workers"]} workers); waiting for data '
            f'{100 * training["data_wait_share"]:.1f} % of each iteration.')


def load_average() -> Optional[List[float]]:
    """The 1, 5 and 15 minute load averages, where the system has them."""
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def _cpu_model() -> Optional[str]:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return None


def _version(package: str) -> Optional[str]:
    try:
        from importlib.metadata import version
        return version(package)
    except Exception:  # noqa: BLE001  (not installed)
        return None


def machine_info(threads: int) -> Dict[str, object]:
    """What the numbers were measured on: ``cpu``, ``cpu_model``,
    ``threads``, ``cuda`` (the GPU's name, or None) and the versions of
    ``torch``, ``onnxruntime`` and ``tensorrt`` (None where absent)."""
    return dict(
        cpu=platform.processor() or platform.machine(),
        cpu_model=_cpu_model(),
        threads=threads,
        cuda=torch.cuda.get_device_name()
        if torch.cuda.is_available() else None,
        torch=torch.__version__,
        onnxruntime=_version('onnxruntime'),
        tensorrt=_version('tensorrt'))
