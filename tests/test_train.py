"""Training to optimality, checked against the exact answers: W (closed form), the exact
potential, D* and the gradient-penalty prediction. Tolerances are stated per test; each
training run takes about a second on a 2-core CPU."""

import numpy as np
import pytest
import torch

from wgan_toys import Gaussian1D, js_divergence, wasserstein_1
from wgan_toys.measure import gradient_norm_audit, lipschitz_constant_on_grid, network_values
from wgan_toys.optimal import (
    compare_to_potential,
    expectation_gap,
    gradient_penalty_optimum,
    gradient_penalty_prediction,
    integration_grid,
    js_lower_bound,
    mass_region,
    optimal_discriminator,
)
from wgan_toys.train import TrainingDivergedError, train_critic, train_discriminator

REAL, FAKE = Gaussian1D(0.0, 0.5), Gaussian1D(4.0, 0.5)  # Figure 2's pair, W = 4


def values_of(network):
    return lambda x: network_values(network, x)


@pytest.mark.slow
def test_spectral_critic_reaches_w_and_the_exact_potential():
    result = train_critic(REAL, FAKE, constraint="spectral")
    assert result.converged
    assert result.estimate == pytest.approx(4.0, rel=0.02)  # 1-Lipschitz: estimates W itself
    fit = compare_to_potential(values_of(result.network), REAL, FAKE)
    assert fit["k_fit"] == pytest.approx(1.0, abs=0.02)
    assert fit["max_abs_error"] < 0.05  # in units of f*, over the region holding 99% of the mass


@pytest.mark.slow
def test_gradient_penalty_estimate_matches_the_exact_optimum():
    real, fake = Gaussian1D(0.0, 1.0), Gaussian1D(4.0, 1.0)
    result = train_critic(real, fake, constraint="gp", penalty_weight=2.0)
    predicted = gradient_penalty_prediction(4.0, 2.0)  # the linear lower bound, 8.0
    exact = gradient_penalty_optimum(real, fake, 2.0)  # over all critics, 8.065 (for a shift the two are close)
    gap = expectation_gap(values_of(result.network), real, fake)  # measured 8.056
    assert gap == pytest.approx(exact.estimate, abs=0.1)
    assert result.estimate == pytest.approx(exact.estimate, abs=0.25)  # held-out batch: sampling noise
    audit = gradient_norm_audit(
        result.network, real.sample(400, seed=1), fake.sample(400, seed=2), np.linspace(12, 20, 50)
    )
    assert np.median(audit["interpolated"]) == pytest.approx(predicted["slope"], abs=0.1)  # 2.0, not 1


@pytest.mark.slow
def test_one_sided_penalty_escapes_the_wrong_sign_start():
    # A random start whose slope has the wrong sign: the two-sided penalty charges lambda for
    # passing through slope 0, so the critic settles at the wrong-sign local optimum (near
    # -W + W^2/(2 lambda) = -3.2); the one-sided penalty charges nothing below norm 1 and the same
    # start reaches the exact optimum (4.81; both forms share it, test_optimal).
    from wgan_toys.lipschitz import GradientPenalty
    from wgan_toys.networks import make_critic
    from wgan_toys.runtime import build_seeded

    estimates = {}
    for one_sided in (False, True):
        critic = build_seeded(lambda: make_critic(start_flat=False), 0)
        estimates[one_sided] = train_critic(
            REAL, FAKE, constraint=GradientPenalty(10.0, one_sided=one_sided), critic=critic
        ).estimate
    assert estimates[False] < -2.0
    assert estimates[True] == pytest.approx(gradient_penalty_optimum(REAL, FAKE, 10.0).estimate, rel=0.03)


def test_clipped_critic_obeys_kantorovich_rubinstein():
    result = train_critic(REAL, FAKE, constraint="clip", clip_value=0.01)
    gap = expectation_gap(values_of(result.network), REAL, FAKE)
    largest_slope = lipschitz_constant_on_grid(result.network, integration_grid(REAL, FAKE, 4001))
    assert 0 < gap <= largest_slope * wasserstein_1(REAL, FAKE) * (1 + 1e-6)  # eq. (2)
    assert result.estimate == pytest.approx(gap, rel=0.05)  # held-out batch vs exact expectation
    assert all(float(p.detach().abs().max()) <= 0.01 for p in result.network.parameters())


@pytest.mark.slow
def test_discriminator_approaches_d_star_and_the_js_bound():
    result = train_discriminator(REAL, FAKE)
    region = mass_region(REAL, FAKE)
    trained = 1 / (1 + np.exp(-network_values(result.network, region)))
    assert np.max(np.abs(trained - optimal_discriminator(REAL, FAKE)(region))) < 0.02
    bound = js_lower_bound(values_of(result.network), REAL, FAKE)
    assert js_divergence(REAL, FAKE) - 0.005 <= bound <= js_divergence(REAL, FAKE)


def test_same_seed_same_result_and_global_rng_untouched():
    state = torch.get_rng_state()
    first = train_critic(REAL, FAKE, constraint="clip", max_steps=100)
    second = train_critic(REAL, FAKE, constraint="clip", max_steps=100)
    assert first.estimate == second.estimate
    assert torch.equal(torch.get_rng_state(), state)


def test_training_from_samples_and_on_each_device(device):
    real = REAL.sample(2000, seed=0)
    result = train_critic(real, FAKE, constraint="spectral", max_steps=200, device=device)
    assert result.steps <= 200 and result.estimate > 0
    assert next(result.network.parameters()).device.type == device


def test_diverging_training_names_the_step_and_a_remedy():
    with pytest.raises(
        TrainingDivergedError, match=r"critic_loss became (nan|inf|-inf) at step \d+; lower learning_rate"
    ):
        train_critic(REAL, FAKE, constraint="none", learning_rate=1e30, max_steps=200)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"batch_size": 0}, "batch_size == 0, must be >= 1"),
        ({"clip_value": -0.01}, "clip_value == -0.01, must be > 0"),
        ({"constraint": "gp", "penalty_weight": -2.0}, "penalty_weight == -2.0, must be >= 0"),
        ({"tolerance": 0.0}, "tolerance == 0.0, must be > 0"),
        ({"heldout_size": 1}, "heldout_size == 1, must be >= 2"),
        ({"width": 0}, "width == 0, must be >= 1"),
    ],
)
def test_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_critic(REAL, FAKE, **kwargs)


def test_bad_samples():
    with pytest.raises(ValueError, match="real holds 1 NaN"):
        train_critic(np.array([0.0, np.nan, 1.0]), FAKE)
    with pytest.raises(ValueError, match="real is empty"):
        train_discriminator(np.zeros((0, 1)), FAKE)
    with pytest.raises(ValueError, match=r"real points have shape \(2,\) and fake \(1,\)"):
        train_critic(np.zeros((10, 2)), FAKE)


@pytest.mark.parametrize("scale", [1e-30, 1e-6, 1e30])
def test_samples_at_a_scale_float32_cannot_train_are_refused_with_the_fix(scale):
    """N(0, s^2) against N(2s, s^2) has W = 2s at every s, but float32 critics trained at these
    scales reported an estimate of exactly 0 as converged (clipping at 1e-6; every fit at 1e-30 and
    1e30). Each trainer now refuses the samples, naming their spread, the range and the rescaling."""
    from wgan_toys.sweep import train_critic_sweep

    real, fake = Gaussian1D(0.0, scale), Gaussian1D(2 * scale, scale)
    message = r"samples have spread .*, must be in \[0.001, 1e\+15\]: .* multiply the estimate by s"
    with pytest.raises(ValueError, match=message):
        train_critic(real, fake, constraint="clip", max_steps=100)
    with pytest.raises(ValueError, match=message):
        train_discriminator(real, fake, max_steps=100)
    with pytest.raises(ValueError, match=message):
        train_critic_sweep(real, fake, "gp", penalty_weights=(1.0, 10.0), max_steps=100)
    with pytest.raises(ValueError, match=message):
        train_critic_sweep([REAL, real], [FAKE, fake], "gp", max_steps=100)  # one pair per critic


def test_samples_far_from_0_for_their_spread_are_refused():
    """float32 spaces numbers near 1e7 one apart, so N(1e7, 1) against N(1e7 + 2, 1) is mostly lost
    (at 1e30 every sample is the same number)."""
    with pytest.raises(ValueError, match=r"reach \|x\| = .*, must be at most 1e\+06 times: float32 resolves"):
        train_critic(Gaussian1D(1e7, 1.0), Gaussian1D(1e7 + 2.0, 1.0), constraint="gp", max_steps=100)


@pytest.mark.slow  # seconds of CPU: trains or runs a command end to end
def test_the_edges_of_the_trainable_range_still_train():
    """At spreads 1e-3 and 1e5 the penalised critic's estimate is W = 2s to within 30% after 600 steps
    (W + W^2/(2 lambda) bounds it above at large s, hence lambda = 1e6 there)."""
    for scale, weight in ((1e-3, 10.0), (1e5, 1e6)):
        result = train_critic(
            Gaussian1D(0.0, scale), Gaussian1D(2 * scale, scale), constraint="gp", penalty_weight=weight, max_steps=600
        )
        assert result.estimate == pytest.approx(2 * scale, rel=0.3), (scale, result.estimate)


def test_a_gradient_penalty_of_zero_is_refused_by_the_library_before_training(monkeypatch):
    """At lambda = 0 eq. (3) is unbounded over critics: train_critic, the stacked sweep and
    GradientPenalty refuse it (the library, not only the command line), before any step."""
    import wgan_toys.sweep as sweep_module
    import wgan_toys.train as train_module
    from wgan_toys.lipschitz import GradientPenalty, make_constraint
    from wgan_toys.sweep import train_critic_sweep

    def no_training(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(train_module, "samplers_and_heldout", no_training)
    monkeypatch.setattr(sweep_module, "samplers_and_heldout", no_training)
    message = r"penalty_weight == -?0(\.0)? leaves the critic unconstrained: .*eq\. \(3\).* pass penalty_weight > 0"
    real, fake = Gaussian1D(0, 1), Gaussian1D(4, 1)
    for zero in (0, 0.0, -0.0):
        with pytest.raises(ValueError, match=message):
            train_critic(real, fake, constraint="gp", penalty_weight=zero)
    with pytest.raises(ValueError, match=message):
        make_constraint("gp", penalty_weight=0.0)
    with pytest.raises(ValueError, match=r"penalty_weight == \[10\.0, 0\.0\] leaves the critic unconstrained"):
        GradientPenalty(torch.tensor([10.0, 0.0]))
    with pytest.raises(ValueError, match="leaves the critic unconstrained"):
        train_critic_sweep(real, fake, "gp", penalty_weights=(10.0, 0.0), max_steps=10)
    assert GradientPenalty(1e-6).penalty_weight == 1e-6  # any lambda > 0 is a constraint
