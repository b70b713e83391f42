"""Ground truth: D* against scipy, the GAN bound (Section 4.2) against exact JS, the exact
potential's fit, and the gradient-penalty prediction."""

import math

import numpy as np
import pytest
from scipy import stats

from wgan_toys import Gaussian1D, js_divergence, wasserstein_1
from wgan_toys.optimal import (
    compare_to_potential,
    expectation_gap,
    gradient_penalty_prediction,
    js_lower_bound,
    mass_region,
    optimal_discriminator,
    optimal_discriminator_logit,
)
from wgan_toys.transport import OptimalCritic1D

PAIRS = [(Gaussian1D(0, 1), Gaussian1D(1, 1.5)), (Gaussian1D(0, 0.5), Gaussian1D(4, 0.5)), (Gaussian1D(-2, 2), Gaussian1D(1, 0.3))]


def test_optimal_discriminator_is_p_over_p_plus_q():
    p, q = PAIRS[0]
    x = np.linspace(-5, 6, 50)
    expected = stats.norm(0, 1).pdf(x) / (stats.norm(0, 1).pdf(x) + stats.norm(1, 1.5).pdf(x))
    assert optimal_discriminator(p, q)(x) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("p, q", PAIRS)
def test_gan_bound_is_tight_at_d_star(p, q):
    assert js_lower_bound(optimal_discriminator_logit(p, q), p, q) == pytest.approx(js_divergence(p, q), abs=1e-9)


@pytest.mark.parametrize("p, q", PAIRS)
def test_gan_bound_holds_for_other_discriminators(p, q):
    exact = js_divergence(p, q)
    assert js_lower_bound(lambda x: np.zeros_like(x), p, q) == pytest.approx(0.0, abs=1e-9)  # D = 1/2
    logit = optimal_discriminator_logit(p, q)
    for scale in (0.5, 0.9, 1.1, 3.0):  # any other D is worse
        assert js_lower_bound(lambda x: scale * logit(x), p, q) < exact


@pytest.mark.parametrize("p, q", PAIRS)
def test_exact_optimal_critic_reaches_w1_against_densities(p, q):
    assert expectation_gap(OptimalCritic1D(p, q), p, q) == pytest.approx(wasserstein_1(p, q), rel=1e-7)


def test_compare_to_potential_recovers_scale_and_offset():
    p, q = PAIRS[0]
    exact = OptimalCritic1D(p, q)
    fit = compare_to_potential(lambda x: 3.0 * exact(x) + 2.0, p, q)
    assert fit["k_fit"] == pytest.approx(3.0, rel=1e-12)
    assert fit["offset"] == pytest.approx(2.0, abs=1e-10)
    assert fit["max_abs_error"] < 1e-10


def test_mass_region_leaves_out_the_empty_gap():
    region = mass_region(Gaussian1D(0, 0.5), Gaussian1D(4, 0.5))
    assert region.min() == pytest.approx(-1.29, abs=0.02) and region.max() == pytest.approx(5.29, abs=0.02)
    assert not np.any((region > 1.5) & (region < 2.5))
    with pytest.raises(ValueError, match=r"mass == 1.0, must be in \(0, 1\)"):
        mass_region(Gaussian1D(0, 1), Gaussian1D(1, 1), mass=1.0)


@pytest.mark.parametrize("penalty_weight, estimate", [(2.0, 8.0), (10.0, 4.8), (50.0, 4.16)])
def test_gradient_penalty_prediction(penalty_weight, estimate):
    prediction = gradient_penalty_prediction(4.0, penalty_weight)
    assert prediction["estimate"] == pytest.approx(estimate, rel=1e-14)
    assert prediction["slope"] == pytest.approx(1 + 4.0 / (2 * penalty_weight), rel=1e-14)
    # it maximises J(s) = s W - lambda (s - 1)^2
    slopes = np.linspace(0, 3, 30001)
    objective = slopes * 4.0 - penalty_weight * (slopes - 1) ** 2
    assert slopes[np.argmax(objective)] == pytest.approx(prediction["slope"], abs=1e-4)


def test_gradient_penalty_prediction_errors():
    with pytest.raises(ValueError, match=r"penalty_weight == 0.0, must be > 0 \(WGAN-GP uses lambda = 10\)"):
        gradient_penalty_prediction(4.0, 0.0)
    with pytest.raises(ValueError, match="wasserstein == -1.0, must be >= 0"):
        gradient_penalty_prediction(-1.0, 10.0)
    with pytest.raises(TypeError, match="p must be a Gaussian1D"):
        js_lower_bound(lambda x: x, "not a law", Gaussian1D(0, 1))
    assert math.isfinite(gradient_penalty_prediction(0.0, 10.0)["slope"])


def test_compare_to_potential_2d_recovers_a_rescaled_exact_potential():
    from wgan_toys.optimal import compare_to_potential_2d
    from wgan_toys.transport import exact_transport, kantorovich_critic

    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(150, 2)), rng.normal(size=(150, 2)) + [2.5, 0.0]
    exact = kantorovich_critic(exact_transport(real, fake))
    fit = compare_to_potential_2d(lambda x: 0.3 * exact(x) - 1.0, real, fake)
    assert fit["k_fit"] == pytest.approx(0.3, rel=1e-9) and fit["offset"] == pytest.approx(-1.0, abs=1e-9)
    assert fit["max_abs_error"] < 1e-8


def test_trained_2d_critic_against_the_exact_potential():
    from wgan_toys.optimal import compare_to_potential_2d
    from wgan_toys.train import network_values, train_critic

    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(400, 2)), rng.normal(size=(400, 2)) + [3.0, 0.0]
    result = train_critic(real, fake, method="spectral", max_steps=1500)
    fit = compare_to_potential_2d(lambda x: network_values(result.network, x), real, fake)
    # a 1-Lipschitz network that reaches the exact W of the samples is the exact potential up to
    # a constant on their support; a finite network gets within a fraction of the unit slope
    assert fit["k_fit"] == pytest.approx(1.0, abs=0.1)
    assert result.estimate == pytest.approx(fit["exact_w1"], rel=0.05)
