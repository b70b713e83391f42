"""Section 5's IPMs: the MMD's closed forms against the sample estimate (an independent route), the
bounded critic's LP against the package's exact total variation, and the sup-norm class of the
paper's MMD definition separating two Diracs by 2 where the RKHS unit ball gives the continuous MMD."""

import math

import numpy as np
import pytest

from wgan_toys.distances import total_variation
from wgan_toys.distributions import Discrete1D, Gaussian1D
from wgan_toys.ipm import bounded_critic_ipm, mmd_diracs, mmd_gaussians, mmd_squared, steep_rkhs_function


@pytest.mark.parametrize(("mean_q", "std_q", "bandwidth"), [(0.5, 1.0, 1.0), (2.0, 0.5, 0.3), (0.0, 2.0, 1.5)])
def test_closed_form_mmd_matches_the_sample_estimate(mean_q, std_q, bandwidth):
    rng = np.random.default_rng(0)
    estimates = [mmd_squared(rng.normal(0, 1, 1500), rng.normal(mean_q, std_q, 1500), bandwidth) for _ in range(4)]
    exact = mmd_gaussians(0.0, 1.0, mean_q, std_q, bandwidth) ** 2
    # the U-statistic's spread at n = 1500 is below 0.01 here; four draws averaged
    assert np.mean(estimates) == pytest.approx(exact, abs=0.01)


def test_mmd_of_two_diracs_is_the_estimate_of_two_repeated_points():
    for theta in (1e-3, 0.1, 1.0, 5.0):
        assert mmd_diracs(theta, 0.7) ** 2 == pytest.approx(mmd_squared([0.0, 0.0], [theta, theta], 0.7), rel=1e-9)
        assert mmd_diracs(theta, 0.7) == pytest.approx(mmd_gaussians(0.0, 1e-9, theta, 1e-9, 0.7), rel=1e-6)


def test_mmd_is_continuous_at_zero_and_saturates_far_away():
    """Like W (= |theta|) and unlike TV (= 1 for theta != 0) near 0; unlike W far away: the slope dies."""
    for theta in (1e-1, 1e-2, 1e-3):
        assert mmd_diracs(theta, 1.0) == pytest.approx(theta, rel=0.01)  # ~ |theta| / sigma
    slope_far = (mmd_diracs(6.0 + 1e-4, 1.0) - mmd_diracs(6.0 - 1e-4, 1.0)) / 2e-4
    assert mmd_diracs(6.0, 1.0) == pytest.approx(math.sqrt(2), rel=1e-6) and 0 < slope_far < 1e-6


def test_the_sup_norm_class_of_section_5_separates_two_diracs_by_about_2():
    """{f in H: ||f||_inf <= 1} gives E_{delta_theta} f - E_{delta_0} f ~ 2 for every theta != 0 (TV's
    discontinuity), while the RKHS unit ball gives MMD ~ |theta| / sigma."""
    grid = np.linspace(-50, 50, 200001)
    for theta in (0.5, 1e-2, 1e-4):
        f = steep_rkhs_function(grid, theta, 1.0)
        assert np.max(np.abs(f)) <= 1.0
        gap = steep_rkhs_function(theta, theta, 1.0) - steep_rkhs_function(0.0, theta, 1.0)
        assert gap > 2 - theta**2 and mmd_diracs(theta, 1.0) < 1.1 * theta


def test_bounded_critic_gives_m_times_total_variation():
    """An EBGAN discriminator in [0, m] at its optimum measures m TV (Section 5, Appendix D)."""
    support = [0.0, 1.0, 2.0, 3.0]
    p, q = np.array([0.4, 0.3, 0.2, 0.1]), np.array([0.1, 0.2, 0.3, 0.4])
    value, critic = bounded_critic_ipm(p, q, bound=3.0)
    assert value == pytest.approx(3.0 * total_variation(Discrete1D(support, p), Discrete1D(support, q)), abs=1e-9)
    assert critic.tolist() == pytest.approx([3.0, 3.0, 0.0, 0.0])
    grid = np.linspace(-10, 12, 4401)
    for shift in (0.1, 1.0, 4.0):
        p = Gaussian1D(0.0, 1.0).pdf(grid)
        q = Gaussian1D(shift, 1.0).pdf(grid)
        value, _ = bounded_critic_ipm(p / p.sum(), q / q.sum())
        assert value == pytest.approx(total_variation(Gaussian1D(0.0, 1.0), Gaussian1D(shift, 1.0)), abs=2e-3)


def test_refused_inputs():
    with pytest.raises(ValueError, match="bandwidth"):
        mmd_squared([0.0, 1.0], [0.0, 1.0], 0.0)
    with pytest.raises(ValueError, match="at least 2 points"):
        mmd_squared([0.0], [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="probability vectors"):
        bounded_critic_ipm([0.5, 0.6], [0.5, 0.5])
    with pytest.raises(ValueError, match="theta == 0.0"):
        steep_rkhs_function(0.0, 0.0, 1.0)
