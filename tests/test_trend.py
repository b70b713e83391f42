"""The trend-robust correlation of two training curves: its false-positive rate measured on a null of
independent noisy series that share a decaying trend (seeds other than the calibration's), its power
on a linked alternative, and the first-difference statistic's failure on the same null."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from wgan_toys.empirical import rank_correlations
from wgan_toys.trend import (
    calibrated_threshold,
    difference_spearman,
    null_rates,
    residual_spearman,
    shape_trend,
    shared_trend_pairs,
    trend_residuals,
)

DRAWS = 450  # 50 sets of nine runs per null


@pytest.fixture(scope="module")
def threshold():
    return calibrated_threshold(points=20, level=0.05, draws=300, seed=0)


def test_the_calibrated_threshold_is_above_the_independent_pairs_one(threshold):
    """Residuals of a fitted trend have fewer degrees of freedom than n independent points: the
    measured threshold lies above Spearman's normal approximation 1.645 / sqrt(n - 1) = 0.377."""
    assert 0.38 < threshold < 0.6


@pytest.mark.parametrize("noise", [0.05, 0.1, 0.2])
@pytest.mark.parametrize("trends", ["exponential", "power law"])
def test_residual_correlation_false_positive_rate_on_a_shared_trend(threshold, trends, noise):
    x, y = shared_trend_pairs(trends, noise, link=0.0, points=20, draws=DRAWS, seed=1000)
    rates = null_rates(residual_spearman, x, y, threshold, runs=9, seed=1)
    # 5% nominal; 450 draws give a binomial standard error of 1 point
    assert rates["rate"] <= 0.085, rates
    assert abs(rates["mean"]) < 0.06, rates
    assert rates["all_positive"] <= 0.04, rates  # 1/512 = 0.002 for fair coins; 50 sets


def test_residual_correlation_detects_a_linked_alternative(threshold):
    """link = 1: the deviations of the two series from their trends correlate 0.5 (Pearson)."""
    x, y = shared_trend_pairs("exponential", 0.1, link=1.0, points=20, draws=DRAWS, seed=2000)
    rates = null_rates(residual_spearman, x, y, threshold, runs=9, seed=2)
    assert rates["rate"] >= 0.35, rates
    assert 0.35 <= rates["mean"] <= 0.55, rates
    assert rates["all_positive"] >= 0.6, rates


@pytest.mark.parametrize(("noise", "at_least", "mean"), [(0.05, 0.7, (0.3, 0.5)), (0.1, 0.05, (0.15, 0.35))])
def test_first_differences_are_positive_in_all_nine_runs_far_more_often_than_1_in_512(noise, at_least, mean):
    """The claim "positive in all nine runs, which unrelated changes would produce 1 time in 512"
    fails: on independent series around e^(-k/3) and e^(-1.3 k/3) the differenced Spearman is
    positive in all of nine runs with a probability far above 1/512 (the package's own
    ``rank_correlations`` gives the differenced values)."""
    x, y = shared_trend_pairs("exponential", noise, link=0.0, points=20, draws=DRAWS, seed=3000)

    def old(a, b):
        return rank_correlations(a, b)["spearman_of_differences"]

    rates = null_rates(old, x, y, 0.0, runs=9, seed=3)
    assert mean[0] < rates["mean"] < mean[1] and rates["all_positive"] >= at_least, rates
    assert rates["all_positive"] > 10 / 512
    assert null_rates(difference_spearman, x, y, 0.0, runs=9, seed=3) == rates


def test_shape_trend_recovers_decays_without_a_formula():
    k = np.arange(20.0)
    for trend in (np.exp(-k / 3), 1 / (1 + k), 0.3 - 0.01 * k, -np.exp(-k / 5)):
        assert np.max(np.abs(shape_trend(trend) - trend)) < 0.02
    steps = 50.0 * (k + 1)
    assert np.max(np.abs(shape_trend(np.exp(-steps / 200), steps) - np.exp(-steps / 200))) < 0.02


def test_residuals_of_noise_around_a_decay_track_the_noise():
    rng = np.random.default_rng(5)
    k = np.arange(40.0)
    noise = rng.normal(0, 0.05, 40)
    residuals = trend_residuals(np.exp(-k / 6) + noise)
    assert spearmanr(residuals, noise).statistic > 0.8


def test_a_rise_then_fall_is_outside_the_family_and_keeps_its_bump():
    """The documented limit: a trend that rises and falls leaves its bump in the residuals."""
    k = np.arange(20.0)
    bump = k * np.exp(-k / 3)
    assert np.max(np.abs(trend_residuals(bump))) > 0.1


def test_undefined_and_refused_inputs():
    line = 1.0 - 0.1 * np.arange(6.0)
    assert residual_spearman(line, np.exp(-np.arange(6.0))) is None  # a line is its own trend: no residual
    with pytest.raises(ValueError, match="x and y have 5 and 6 values"):
        residual_spearman(np.zeros(5), np.zeros(6))
    with pytest.raises(ValueError, match="steps has 3 values, must have 4"):
        shape_trend([1.0, 0.5, 0.3, 0.2], steps=[0, 1, 2])
    with pytest.raises(ValueError, match="increase strictly"):
        shape_trend([1.0, 0.5, 0.3], steps=[0, 2, 1])
    with pytest.raises(ValueError, match="trends == 'linear'"):
        shared_trend_pairs("linear")
    with pytest.raises(ValueError, match="link == -1"):
        shared_trend_pairs(link=-1.0)
    with pytest.raises(ValueError, match="make no set of runs == 9"):
        null_rates(residual_spearman, np.zeros((3, 5)), np.zeros((3, 5)), 0.5)
    with pytest.raises(ValueError, match="level == 1.5"):
        calibrated_threshold(level=1.5)


def test_the_section4_summary_carries_the_trend_robust_statistic():
    """``summarize_run`` writes ``residual_spearman`` of the loss and the sliced W1 at the evaluations."""
    from wgan_toys.images.section4 import loss_at_evaluations, summarize_run

    rng = np.random.default_rng(7)
    common = rng.normal(0, 0.02, 21)
    records = []
    for step in range(1, 201):
        record = {"generator_step": step, "wasserstein_estimate": float(np.exp(-step / 60)), "wall_seconds": 0.1 * step}
        if step % 10 == 0:
            k = step // 10
            record["wasserstein_estimate"] += float(common[k] + rng.normal(0, 0.02))
            record["sliced_w"] = float(0.5 * np.exp(-step / 40) + common[k] + rng.normal(0, 0.02))
        records.append(record)
    row = summarize_run(records, window=1)
    steps, losses, sliced = loss_at_evaluations(records, window=1)
    assert row["residual_spearman"] == residual_spearman(losses, sliced, steps)
    assert row["residual_spearman"] > 0.3  # linked noise: seen beyond the two trends


@pytest.mark.slow
def test_the_toy_claims_table_carries_the_trend_robust_statistic():
    """``toy_gan.claims_table`` writes ``residual_spearman`` of the logged estimate and the exact W1 (step 0
    left out), recomputed here from a second, identical run."""
    import torch

    from wgan_toys.toy_gan import ToyConfig, ToyGAN, claims_table

    torch.set_num_threads(1)
    small = dict(width=16, batch_size=64, eval_samples=200, iterations=60, log_every=10)
    (row,) = claims_table(algorithms=("wgan-gp",), seeds=(0,), momentum_test=False, **small)
    trainer = ToyGAN(ToyConfig(algorithm="wgan-gp", seed=0, **small))
    trainer.train()
    history = trainer.history[1:]
    expected = residual_spearman(
        [r["wasserstein_estimate"] for r in history],
        [r["exact_w1"] for r in history],
        [r["generator_step"] for r in history],
    )
    assert expected is not None and row["residual_spearman"] == expected
