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


# ----- Figures 3-4: the median filter and the loss / quality correlation ------------------------
def test_median_filter_is_nan_where_the_window_is_not_full():
    """An untrained critic's first logged estimate is 0: the smoothed curve must not draw it at
    the level the run reaches later (a window shrunk at the ends did: 1.69 for a logged 0.000)."""
    from wgan_toys.empirical import median_filter

    values = np.array([0.0, 1.7, 1.6, 1.8, 1.69, 1.5, 1.4, 1.3, 1.2, 1.1, 1.0, 0.9, 0.8])
    centred = median_filter(values, 5)
    assert np.isnan(centred[:2]).all() and np.isnan(centred[-2:]).all()
    # every full window against numpy's median of the same slice, written out
    assert np.allclose(centred[2:-2], [np.median(values[i - 2 : i + 3]) for i in range(2, len(values) - 2)])
    trailing = median_filter(values, 5, align="trailing")
    assert np.isnan(trailing[:4]).all()
    assert np.allclose(trailing[4:], [np.median(values[i - 4 : i + 1]) for i in range(4, len(values))])
    assert np.isnan(median_filter(values[:3], 5)).all()  # no full window at all
    assert median_filter(values, 1).tolist() == values.tolist()


def test_median_filter_rejects_bad_windows():
    from wgan_toys.empirical import median_filter

    with pytest.raises(ValueError, match="window == 4, must be odd with align='centre'"):
        median_filter([1.0, 2.0, 3.0, 4.0, 5.0], 4)
    with pytest.raises(ValueError, match="window == 0, must be >= 1"):
        median_filter([1.0, 2.0], 0)
    with pytest.raises(ValueError, match="align == 'left', must be one of"):
        median_filter([1.0, 2.0], 1, align="left")


def test_differenced_correlation_removes_a_shared_trend():
    """Two independent random walks with the same downward drift: their levels rank alike (raw
    Spearman near 1), their steps do not (differenced Spearman near 0). A trend alone is not
    evidence that one series tracks the other."""
    from wgan_toys.empirical import rank_correlations

    rng = np.random.default_rng(0)
    n = 400
    loss = np.cumsum(-0.05 + 0.1 * rng.normal(size=n))
    quality = np.cumsum(-0.05 + 0.1 * rng.normal(size=n))
    result = rank_correlations(loss, quality)
    assert result["spearman"] > 0.9
    assert abs(result["spearman_of_differences"]) < 0.15  # sd of a null Spearman over 399 points: 0.05
    assert result["points"] == n


def test_differenced_correlation_sees_steps_that_move_together():
    """The other side: a quality series that follows the loss's own steps (plus noise) keeps a
    high differenced correlation, so the detrended number is not zero by construction; and a
    series that moves against the loss step by step is negative even when both trend down."""
    from wgan_toys.empirical import rank_correlations

    rng = np.random.default_rng(1)
    steps = -0.05 + 0.1 * rng.normal(size=300)
    loss = np.cumsum(steps)
    follows = np.cumsum(steps + 0.03 * rng.normal(size=300))
    opposes = np.cumsum(-0.1 - steps + 0.03 * rng.normal(size=300))
    assert rank_correlations(loss, follows)["spearman_of_differences"] > 0.9
    against = rank_correlations(loss, opposes)
    assert against["spearman"] > 0.5 and against["spearman_of_differences"] < -0.9


def test_rank_correlations_undefined_cases_are_none_and_bad_input_is_named():
    from wgan_toys.empirical import rank_correlations

    assert rank_correlations([1.0, 2.0], [2.0, 3.0]) == {"spearman": None, "spearman_of_differences": None, "points": 2}
    assert rank_correlations([1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0])["spearman"] is None
    with pytest.raises(ValueError, match="must be one-dimensional and equal"):
        rank_correlations([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="must be finite"):
        rank_correlations([1.0, float("nan"), 3.0], [1.0, 2.0, 3.0])
