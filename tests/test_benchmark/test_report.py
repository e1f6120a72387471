"""mmcrack.benchmark.report: the markdown table and the machine."""
from mmcrack.benchmark import (load_average, machine_info, markdown_table,
                               training_summary)


def _row(model, backend, images_per_s, macs=1e9):
    return dict(
        model=model,
        backend=backend,
        params=2e6,
        macs=macs,
        mean_ms=1e3 / images_per_s,
        median_ms=1e3 / images_per_s,
        p90_ms=1e3 / images_per_s,
        images_per_s=images_per_s,
        macs_per_s=macs * images_per_s)


GEMM = [
    dict(model='GEMM 2048^3', backend='torch-cpu', macs_per_s=100e9),
    dict(model='GEMM 2048^3', backend='onnxruntime-cpu', macs_per_s=50e9),
]


def test_table_rows():
    results = [
        _row('main', 'pytorch', 20.0),
        _row('main', 'onnxruntime', 40.0),
        _row('other', 'pytorch', 5.0, macs=4e9),
        dict(model='broken', backend='-', params=0, macs=0, error='E: why'),
    ]
    table = markdown_table(results, 'main', GEMM, (64, 96), 2)
    lines = table.splitlines()
    assert lines[0].startswith('Input 2x3x64x96; "x main"')
    assert lines[2].endswith('| % GEMM | x main |')
    # % GEMM against the row's backend's reference; x main = main's
    # throughput over the row's.
    assert lines[4] == ('| main | pytorch | 2.000 | 1.000 | 50.00 | 50.00 | '
                        '50.00 | 20.00 | 20.00 | 20.0 | 1.00 |')
    assert lines[5].endswith('| 40.00 | 80.0 | 1.00 |')
    assert lines[6].endswith('| 20.00 | 20.0 | 4.00 |')
    assert lines[7] == '| broken | - | 0.000 | 0.000 | E: why | | | | | | |'
    assert lines[-1].endswith(
        'torch-cpu GEMM 2048^3 100.0 GMAC/s, '
        'onnxruntime-cpu GEMM 2048^3 50.0 GMAC/s')


def test_training_summary():
    assert training_summary(
        dict(images_per_s=6.25, batch_size=8, iters=5, num_workers=2,
             data_wait_share=0.0071)) == (
                 'Training: 6.25 img/s (batch 8, 5 iterations, 2 workers); '
                 'waiting for data 0.7 % of each iteration.')


def test_machine():
    info = machine_info(3)
    assert info['threads'] == 3
    assert set(info) == {
        'cpu', 'cpu_model', 'threads', 'cuda', 'torch', 'onnxruntime',
        'tensorrt'
    }
    assert info['onnxruntime'] is not None
    average = load_average()
    assert average is None or len(average) == 3
