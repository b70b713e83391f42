"""Time of the exact 2D Wasserstein-1 distance, eq. (1), against the number of points n.

``wgan_toys.transport.exact_transport`` builds the (n, n) Euclidean cost matrix and solves the
linear program with POT's network simplex (``ot.emd``). The two samples are n points each of
P = N(0, I) and Q = N((1, 0), I) in the plane; since Q is P translated by (1, 0), the exact
W1 is 1 and the empirical W1 approaches it as n grows.

For each n the script prints the median wall time (of up to ``--repeats`` calls, fewer once
a size costs more than 2 s), its ratio to the time at the smallest n measured in the same run,
and the empirical W1. Last, it prints the fitted growth exponent: the slope of log(time)
against log(n), so that time ~ n^slope.

Run ``python benchmarks/bench_emd.py`` (about 10 s) or ``--quick`` (n = 100, 200).
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import format_seconds, growth_exponent, median_seconds, print_table  # puts the repo on sys.path

from wgan_toys.transport import exact_transport

SIZES = (250, 500, 1000, 2000, 4000)
QUICK_SIZES = (100, 200)
SHIFT = np.array([1.0, 0.0])  # Q = P + SHIFT, so the exact W1 is ||SHIFT|| = 1
HEADERS = ["n", "repeats", "median time", "time / smallest n", "(n / smallest n)^2", "empirical W1"]


def gaussian_pair(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n points of N(0, I) and n points of N(SHIFT, I), shapes (n, 2) each."""
    return rng.standard_normal((n, 2)), rng.standard_normal((n, 2)) + SHIFT


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run: n = 100, 200")
    parser.add_argument("--repeats", type=int, default=5, help="most calls per n; the median is reported")
    parser.add_argument("--seed", type=int, default=0, help="seed of the samples")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats == {args.repeats}, must be >= 1.")
    sizes = QUICK_SIZES if args.quick else SIZES
    rng = np.random.default_rng(args.seed)
    print(f"exact 2D W1 (exact_transport, ot.emd): N(0, I) vs N((1, 0), I), exact W1 = 1, seed = {args.seed}")

    exact_transport(*gaussian_pair(10, rng))  # warm-up: imports POT, outside the timings

    seconds, rows = [], []
    for n in sizes:
        source, target = gaussian_pair(n, rng)
        median, repeats, result = median_seconds(lambda: exact_transport(source, target), args.repeats)
        seconds.append(median)
        rows.append([str(n), str(repeats), format_seconds(median), "", "", f"{result.cost:.4f}"])
    for row, n, median in zip(rows, sizes, seconds):
        row[3] = f"{median / seconds[0]:.1f}x"
        row[4] = f"{(n / sizes[0]) ** 2:.0f}x"
    print_table(HEADERS, rows)
    print(f"growth exponent (slope of log time vs log n): {growth_exponent(sizes, seconds):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
