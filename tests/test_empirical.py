"""Distances from samples: the fast 1D path against POT and scipy to 1e-12, and estimates
against exact values within a tolerance derived from n."""

import math

import numpy as np
import ot
import pytest
from scipy import integrate, stats

from wgan_toys import LOG_2, Gaussian1D, ParallelLines, wasserstein_1
from wgan_toys.empirical import convergence_study, histogram_distances, wasserstein_1_samples


def test_sorted_fast_path_equals_pot_and_scipy():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=5000), rng.standard_t(3, size=5000)
    fast = wasserstein_1_samples(x, y)
    assert fast == pytest.approx(ot.wasserstein_1d(x, y, p=1), abs=1e-12)
    assert fast == pytest.approx(stats.wasserstein_distance(x, y), abs=1e-12)


def test_weighted_and_unequal_1d_go_through_pot():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=300), rng.normal(size=200) + 1
    a = rng.random(300)
    a /= a.sum()
    assert wasserstein_1_samples(x, y, x_weights=a) == pytest.approx(stats.wasserstein_distance(x, y, a), rel=1e-10)


def test_2d_uses_euclidean_not_squared_cost():
    x = np.array([[0.0, 0.0]])
    y = np.array([[3.0, 4.0]])
    assert wasserstein_1_samples(x, y) == pytest.approx(5.0)  # ot.dist's default would give 25


def _bobkov_ledoux(law: Gaussian1D) -> float:
    """J(P) = int sqrt(F (1 - F)) dx; E W1(P_n, P) <= J(P) / sqrt(n) on the line."""
    return integrate.quad(lambda x: math.sqrt(law.cdf(x) * (1 - law.cdf(x))), -60, 60, points=[law.mean])[0]


@pytest.mark.parametrize("n", [1000, 100000])
def test_sample_w1_within_tolerance_derived_from_n(n):
    p, q = Gaussian1D(0, 1), Gaussian1D(1, 2)
    rng = np.random.default_rng(5)
    estimate = wasserstein_1_samples(p.sample(n, seed=rng), q.sample(n, seed=rng))
    # |W1(P_n, Q_n) - W1(P, Q)| <= W1(P_n, P) + W1(Q_n, Q), each with mean <= J / sqrt(n);
    # 4 times the mean bound (fixed seed; Markov puts the chance of exceeding it below 1/4)
    tolerance = 4 * (_bobkov_ledoux(p) + _bobkov_ledoux(q)) / math.sqrt(n)
    assert abs(estimate - wasserstein_1(p, q)) <= tolerance


def test_histograms_of_parallel_lines_saturate_like_example_1():
    rng = np.random.default_rng(6)
    x, y = ParallelLines(0).sample(500, seed=rng), ParallelLines(0.3).sample(500, seed=rng)
    values = histogram_distances(x, y, bins=(21, 10), range=[(-1.1, 1.1), (0, 1)])
    assert values == {"tv": 1.0, "kl": math.inf, "kl_reverse": math.inf, "js": LOG_2}


def test_histogram_tv_of_gaussians_approaches_exact():
    rng = np.random.default_rng(7)
    p, q = Gaussian1D(0, 1), Gaussian1D(1, 1)
    values = histogram_distances(p.sample(200000, seed=rng), q.sample(200000, seed=rng), bins=60)
    # 0.3829 exact; 60 bins of width ~0.2 and 2e5 samples put the estimate within 0.01
    assert values["tv"] == pytest.approx(0.382925, abs=0.01)


def test_convergence_study_errors_shrink():
    rows = convergence_study(Gaussian1D(0, 1), Gaussian1D(1, 1.5), sizes=(100, 10000), repeats=8, seed=0)
    assert rows[1]["em_abs_error"] < rows[0]["em_abs_error"] / 3  # n x100 -> error / 10 expected
    assert rows[0]["em_exact"] == wasserstein_1(Gaussian1D(0, 1), Gaussian1D(1, 1.5))
