"""The timing harness: calls to time, warmed up and then timed in round
robin, and their latency and throughput."""
import statistics
import time
from typing import Callable, List, Optional

TimedCall = Callable[[], object]


class Case:
    """One model (or GEMM reference) on one backend: a call to time, or why
    it cannot run.

    Args:
        base (dict): What the row reports besides the timings: ``model``
            (its name), ``params`` and ``macs`` (per image).
        backend (str): The backend's name.
        fn (callable, optional): One run (one batch). None with ``error``.
        sync (callable, optional): Waits until the run has finished (e.g.
            ``torch.cuda.synchronize``); called inside the timed span.
        error (str, optional): Why the case cannot run; it is not timed.
    """

    def __init__(self,
                 base: dict,
                 backend: str,
                 fn: Optional[TimedCall] = None,
                 sync: Optional[TimedCall] = None,
                 error: Optional[str] = None) -> None:
        self.base, self.backend = base, backend
        self.fn, self.sync, self.error = fn, sync or (lambda: None), error
        #: Milliseconds of each timed run.
        self.times: List[float] = []

    def row(self, batch: int) -> dict:
        """``base`` and ``backend`` with ``error``, or with ``mean_ms``,
        ``median_ms``, ``p90_ms``, ``min_ms``, ``runs``, ``images_per_s``
        (``batch`` per median run) and ``macs_per_s`` (at that rate)."""
        row = dict(self.base, backend=self.backend)
        if self.error is not None:
            row['error'] = self.error
            return row
        times = sorted(self.times)
        row.update(
            mean_ms=statistics.fmean(times),
            median_ms=statistics.median(times),
            p90_ms=times[min(len(times) - 1,
                             int(round(0.9 * (len(times) - 1))))],
            min_ms=times[0],
            runs=len(times))
        row['images_per_s'] = batch / (row['median_ms'] / 1e3)
        row['macs_per_s'] = row['macs'] * batch / (row['median_ms'] / 1e3)
        return row


def time_cases(cases: List[Case], warmup: int, runs: int) -> None:
    """Warm every case up, then time them in round robin.

    Each case without ``error`` runs ``warmup`` times untimed, then once per
    round for ``runs`` rounds, appending to its ``times``: load from other
    processes that comes and goes hits all of them alike, so the ratios
    between them hold even on a shared machine.
    """
    live = [case for case in cases if case.error is None]
    for case in live:
        for _ in range(warmup):
            case.fn()
        case.sync()
    for _ in range(runs):
        for case in live:
            start = time.perf_counter()
            case.fn()
            case.sync()
            case.times.append((time.perf_counter() - start) * 1e3)
