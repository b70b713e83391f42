"""Time of the 1D Wasserstein-1 distance between two equal-size samples, three ways, against n.

- fast path: ``wgan_toys.empirical.wasserstein_1_samples(x, y)``; with equal, unweighted 1D
  samples it is the mean absolute difference of the sorted samples (the monotone coupling is
  optimal on the line), O(n log n).
- POT: ``ot.wasserstein_1d(x, y, p=1)``, which integrates the gap of the quantile functions.
- scipy: ``scipy.stats.wasserstein_distance(x, y)``, which integrates the gap of the CDFs.

The samples are n draws each of N(0, 1) and N(1, 2). For each n the script prints the median
time of each method, the ratios POT / fast path and scipy / fast path, and the largest absolute
difference between the three values; then the fitted growth exponent of each method (slope of
log time against log n). The three values must agree: the exit status is 1 if any two differ
by more than 1e-9. The fast path and scipy agree to about 1e-16; POT drifts from them by rounding
that grows with n, about 2e-11 at n = 1e6.

Run ``python benchmarks/bench_w1_1d.py`` (n = 1e4, 1e5, 1e6; about 10 s) or ``--quick``.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import ot
from _timing import format_seconds, growth_exponent, median_seconds, print_table  # puts the repo on sys.path
from scipy.stats import wasserstein_distance

from wgan_toys.distances import wasserstein_1
from wgan_toys.distributions import Gaussian1D
from wgan_toys.empirical import wasserstein_1_samples

SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)
AGREEMENT_TOLERANCE = 1e-9  # the exit status is 1 above this
P, Q = Gaussian1D(0.0, 1.0), Gaussian1D(1.0, 2.0)
METHODS = {
    "fast path": wasserstein_1_samples,
    "POT": lambda x, y: float(ot.wasserstein_1d(x, y, p=1)),  # W_p^p, equal to W1 for p = 1
    "scipy": wasserstein_distance,
}
HEADERS = ["n", *(f"{name} time" for name in METHODS), "POT / fast", "scipy / fast", "W1", "max |difference|"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run: n = 1e3, 1e4")
    parser.add_argument("--repeats", type=int, default=5, help="most calls per method and n; median reported")
    parser.add_argument("--seed", type=int, default=0, help="seed of the samples")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats == {args.repeats}, must be >= 1.")
    sizes = QUICK_SIZES if args.quick else SIZES
    rng = np.random.default_rng(args.seed)
    print(f"1D W1 of equal-size samples: P = N(0, 1), Q = N(1, 2), exact W1 = {wasserstein_1(P, Q):.6f}")
    print(f"seed = {args.seed}")

    warm_x, warm_y = P.sample(100, seed=rng), Q.sample(100, seed=rng)
    for method in METHODS.values():  # warm-up: first-call costs stay outside the timings
        method(warm_x, warm_y)

    seconds = {name: [] for name in METHODS}
    rows, largest_difference = [], 0.0
    for n in sizes:
        x, y = P.sample(n, seed=rng), Q.sample(n, seed=rng)  # shapes (n,)
        values = {}
        for name, method in METHODS.items():
            median, _repeats, values[name] = median_seconds(lambda: method(x, y), args.repeats)
            seconds[name].append(median)
        difference = max(abs(a - b) for a, b in itertools.combinations(values.values(), 2))
        largest_difference = max(largest_difference, difference)
        fast_time, pot_time, scipy_time = (seconds[name][-1] for name in METHODS)
        times = [format_seconds(seconds[name][-1]) for name in METHODS]
        ratios = [f"{pot_time / fast_time:.1f}x", f"{scipy_time / fast_time:.1f}x"]
        rows.append([f"{n:,}", *times, *ratios, f"{values['fast path']:.6f}", f"{difference:.1e}"])
    print_table(HEADERS, rows)
    for name in METHODS:
        exponent = growth_exponent(sizes, seconds[name])
        print(f"growth exponent of {name} (slope of log time vs log n): {exponent:.2f}")

    if largest_difference > AGREEMENT_TOLERANCE:
        print(f"FAIL: the three values differ by {largest_difference:.1e} > {AGREEMENT_TOLERANCE:.0e}")
        return 1
    print(f"OK: the three values agree to {largest_difference:.1e} <= {AGREEMENT_TOLERANCE:.0e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
