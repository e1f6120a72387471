"""mmcrack.benchmark.timing: warm-up, round-robin timing, the rows."""
import pytest

from mmcrack.benchmark import Case, time_cases


def test_row_statistics():
    case = Case(dict(model='m', params=10, macs=2e9), 'pytorch')
    case.times = [40.0, 10.0, 20.0, 30.0, 1000.0]
    row = case.row(batch=2)
    assert row['model'] == 'm' and row['backend'] == 'pytorch'
    assert row['mean_ms'] == 220.0 and row['median_ms'] == 30.0
    assert row['p90_ms'] == 1000.0 and row['min_ms'] == 10.0
    assert row['runs'] == 5
    # Throughput from the median run: 2 images per 30 ms.
    assert row['images_per_s'] == pytest.approx(2 / 0.030)
    assert row['macs_per_s'] == pytest.approx(2e9 * 2 / 0.030)


def test_a_case_that_cannot_run_reports_why():
    row = Case(dict(model='m', params=0, macs=0), 'cuda',
               error='no GPU').row(1)
    assert row == dict(model='m', params=0, macs=0, backend='cuda',
                       error='no GPU')


def test_cases_run_in_round_robin_after_their_warmup():
    calls = []

    def case(name):
        return Case(
            dict(model=name, params=0, macs=0), 'b',
            lambda: calls.append(name), lambda: calls.append(f'{name}.sync'))

    a, b = case('a'), case('b')
    broken = Case(dict(model='x', params=0, macs=0), 'b', error='no')
    time_cases([a, broken, b], warmup=2, runs=3)
    assert calls[:6] == ['a', 'a', 'a.sync', 'b', 'b', 'b.sync']
    # Then one synchronised run of each per round.
    assert calls[6:] == ['a', 'a.sync', 'b', 'b.sync'] * 3
    assert len(a.times) == len(b.times) == 3 and broken.times == []
    assert all(t >= 0 for t in a.times + b.times)
