"""Helpers shared by the benchmark scripts: the repository on the path, timing, growth, tables.

The scripts run as ``python benchmarks/NAME.py`` from a checkout, where Python puts
``benchmarks/`` (not the repository root) on ``sys.path``; :data:`REPO_ROOT` is added so that
``import wgan_toys`` finds the checkout's package whether or not it is installed.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def median_seconds(function, max_repeats: int, budget_seconds: float = 2.0) -> tuple[float, int, object]:
    """Median wall time of ``function()`` over up to ``max_repeats`` calls.

    Repeats stop early once ``budget_seconds`` have been spent, so slow sizes run once or
    twice and cheap ones get the full median. Returns ``(median_seconds, repeats_done, value)``
    with ``value`` what the last call returned.
    """
    seconds: list[float] = []
    while len(seconds) < max_repeats and sum(seconds) < budget_seconds:
        start = time.perf_counter()
        value = function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), len(seconds), value


def growth_exponent(sizes, seconds) -> float:
    """Slope of log(time) against log(n), by least squares: time ~ n^slope."""
    slope, _intercept = np.polyfit(np.log(np.asarray(sizes, float)), np.log(np.asarray(seconds, float)), 1)
    return float(slope)


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """Print rows of strings as a plain text table: first column left-aligned, the rest right."""
    widths = [max([len(header)] + [len(row[i]) for row in rows]) for i, header in enumerate(headers)]

    def line(cells) -> str:
        first = cells[0].ljust(widths[0])
        others = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:])]
        return "  ".join([first, *others]).rstrip()

    print(line(headers))
    print(line(["-" * width for width in widths]))
    for row in rows:
        print(line(row))


def format_seconds(seconds: float) -> str:
    """A wall time in the unit that suits it: '812 us', '14.2 ms', '1.23 s'."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"
