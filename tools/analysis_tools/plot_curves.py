"""Plot training loss and validation metrics over iterations to a PNG.

Reads MMEngine's ``vis_data/scalars.json`` (one JSON object per line:
training lines hold ``loss``, ``lr``, ``iter`` and ``step``; validation
lines hold the metrics, e.g. ``IoU``, ``F1``, and ``step``, the iteration
they were computed at, but no ``iter``). One panel per key, one line per run,
x axis the ``step``. Keys of validation lines are read as ``val/<key>``
(both kinds of line hold ``time``: ``time`` is the training one), and a key
also matches prefixed names (``IoU`` matches ``val/IoU``, not ``mIoU``).

Each RUN is a ``scalars.json`` file or a work dir. MMEngine writes a new
``<timestamp>/vis_data/scalars.json`` every time training starts in a work
dir, so a run resumed with ``--resume`` is spread over several files: they
are joined oldest first, each taking over from its first step, so that a
fresh run in the same work dir replaces the earlier history.

Example:
    python tools/analysis_tools/plot_curves.py \\
        work_dirs/hrsegnet-b16_cracksc work_dirs/hrsegnet-b32_cracksc \\
        --keys loss IoU F1 --legend B16 B32 --out curves.png
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

#: Keys plotted without --keys.
DEFAULT_KEYS = ('loss', 'IoU', 'F1')
#: Figure width and height per panel, in inches; at --dpi 100 a figure of
#: N panels is 800 x (300 * N) pixels.
PANEL_SIZE = (8.0, 3.0)

Series = Dict[str, Tuple[List[float], List[float]]]


def find_scalars(run: str) -> List[str]:
    """The ``scalars.json`` files of a run, oldest first: the file itself,
    or every ``*/vis_data/scalars.json`` under a work dir."""
    if osp.isfile(run):
        return [run]
    candidates = glob.glob(osp.join(run, '*', 'vis_data', 'scalars.json'))
    candidates += glob.glob(osp.join(run, 'vis_data', 'scalars.json'))
    if not candidates:
        raise FileNotFoundError(
            f'No scalars.json in {run}: expected {run}/<timestamp>/vis_data/'
            'scalars.json, which MMEngine writes with LocalVisBackend.')
    return sorted(candidates, key=osp.getmtime)


def load_scalars(path: str) -> Series:
    """Every numeric key of a ``scalars.json`` as ``(steps, values)``.

    Keys of validation lines (those without ``iter``) get the prefix
    ``val/``. Lines that are not JSON objects (a line being written by a
    running job) and lines without ``step`` are skipped.
    """
    series: Series = {}
    with open(path) as f:
        for line in f:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(record, dict) or 'step' not in record:
                continue
            step = record['step']
            prefix = '' if 'iter' in record else 'val/'
            for key, value in record.items():
                if key == 'step' or isinstance(
                        value, bool) or not isinstance(value, (int, float)):
                    continue
                steps, values = series.setdefault(prefix + key, ([], []))
                steps.append(step)
                values.append(float(value))
    return series


def join_resumed(parts: Sequence[Series]) -> Series:
    """One series from the files of a run, oldest first.

    Each part takes over from its first step: the points of earlier parts
    at that step or later are dropped (a run resumed from a checkpoint logs
    the steps after it again), so a fresh run, which starts where the
    earlier history starts, replaces that history.
    """
    joined: Series = {}
    for part in parts:
        start = min((steps[0] for steps, _ in part.values()),
                    default=float('inf'))
        for key in list(joined) + [k for k in part if k not in joined]:
            steps, values = joined.get(key, ([], []))
            kept = [i for i, step in enumerate(steps) if step < start]
            new_steps, new_values = part.get(key, ([], []))
            joined[key] = ([steps[i] for i in kept] + new_steps,
                           [values[i] for i in kept] + new_values)
    return {key: points for key, points in joined.items() if points[0]}


def select(series: Series, key: str) -> Optional[Tuple[list, list]]:
    """The series named ``key``, or ``<prefix>/key``; None if absent."""
    if key in series:
        return series[key]
    for name, values in series.items():
        if name.endswith('/' + key):
            return values
    return None


def plot_curves(runs: Sequence[Series],
                labels: Sequence[str],
                keys: Sequence[str],
                out: str,
                title: Optional[str] = None,
                dpi: int = 100) -> List[str]:
    """Draw one panel per key with one line per run and save a PNG.

    Keys found in no run are left out.

    Returns:
        list[str]: The keys drawn.

    Raises:
        KeyError: if no key is found in any run.
    """
    keys = [k for k in keys if any(select(s, k) for s in runs)]
    if not keys:
        available = sorted(set().union(*runs))
        raise KeyError(
            f'None of the keys is in the runs; available keys: {available}')
    fig, axes = plt.subplots(
        len(keys),
        1,
        figsize=(PANEL_SIZE[0], PANEL_SIZE[1] * len(keys)),
        dpi=dpi,
        sharex=True,
        squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        for series, label in zip(runs, labels):
            data = select(series, key)
            if data is None:
                continue
            steps, values = data
            # Validation metrics are sparse: mark every point.
            marker = 'o' if len(steps) <= 50 else None
            ax.plot(steps, values, label=label, marker=marker, markersize=3)
        ax.set_ylabel(key)
        ax.grid(True, alpha=0.3)
        ax.legend(loc='best', fontsize='small')
    axes[-1, 0].set_xlabel('iteration')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return keys


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'runs',
        nargs='+',
        metavar='RUN',
        help='scalars.json files or work dirs (every '
        '*/vis_data/scalars.json in each, joined oldest first: the parts '
        'of a resumed run make one curve)')
    parser.add_argument(
        '--keys',
        nargs='+',
        default=list(DEFAULT_KEYS),
        help='keys to plot, one panel each (default: loss IoU F1); keys '
        'found in no run are left out')
    parser.add_argument(
        '--legend',
        nargs='+',
        help='one label per run (default: the work dir names)')
    parser.add_argument(
        '--out', default='curves.png', help='output PNG (default: curves.png)')
    parser.add_argument('--title', help='figure title')
    parser.add_argument(
        '--dpi',
        type=int,
        default=100,
        help='pixels per inch: each panel is 8 x 3 inches (default: 100)')
    args = parser.parse_args(argv)
    if args.legend is not None and len(args.legend) != len(args.runs):
        parser.error(f'--legend has {len(args.legend)} labels for '
                     f'{len(args.runs)} runs')
    return args


def run_label(path: str) -> str:
    """Work-dir name of ``<work_dir>/<timestamp>/vis_data/scalars.json``."""
    parts = osp.abspath(path).split(osp.sep)
    return parts[-4] if len(parts) >= 4 and parts[-2] == 'vis_data' \
        else osp.splitext(parts[-1])[0]


def main(argv: Optional[Sequence[str]] = None) -> List[str]:
    args = parse_args(argv)
    files = [find_scalars(run) for run in args.runs]
    runs = [join_resumed([load_scalars(path) for path in paths])
            for paths in files]
    labels = args.legend or [run_label(paths[-1]) for paths in files]
    keys = plot_curves(runs, labels, args.keys, args.out, args.title, args.dpi)
    missing = [k for k in args.keys if k not in keys]
    print(f'Plotted {", ".join(keys)} of {len(runs)} run(s) to '
          f'{osp.abspath(args.out)}' +
          (f' (not found: {", ".join(missing)})' if missing else ''))
    for label, paths in zip(labels, files):
        print(f'  {label}: {" + ".join(paths)}')
    return keys


if __name__ == '__main__':
    main()
