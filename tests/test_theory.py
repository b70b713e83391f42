"""wgan_toys.theory: each measured side against an independent route (a float64 recursion of RMSProp's documented
update, closed forms for critics whose gradients are known, finite differences instead of autograd)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from wgan_toys import theory

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def rmsprop_steps_by_hand(gradient: float, distance: float, learning_rate: float) -> int:
    """PyTorch's documented RMSprop (alpha 0.99, eps 1e-8, no momentum, no centering) in float64, one weight."""
    mean_square, position, step = 0.0, 0.0, 0
    while position < distance:
        step += 1
        mean_square = 0.99 * mean_square + 0.01 * gradient**2
        position += learning_rate * abs(gradient) / (math.sqrt(mean_square) + 1e-8)
    return step


def test_rmsprop_steps_match_the_documented_update():
    gradients = (1.0, 1e-6, 1e-8, 1e-9)
    measured = theory.rmsprop_steps_to_reach(gradients, 0.01, learning_rate=5e-5)
    by_hand = np.array([rmsprop_steps_by_hand(g, 0.01, 5e-5) for g in gradients])
    assert np.all(np.abs(measured - by_hand) <= np.maximum(1, 1e-3 * by_hand)), (measured, by_hand)  # float32
    # far above eps the count hardly depends on g, and it is half of c / alpha = 200 (large early steps)
    assert 90 <= measured[0] <= 110 and abs(measured[1] - measured[0]) <= 10
    # at and below eps it grows: about 1/(1 + eps/g) at g = eps, in proportion to eps/g far below it
    assert 300 < measured[2] < 450 and measured[3] > 15 * measured[0]


def test_rmsprop_first_step_is_ten_alpha_above_eps_and_shrinks_below():
    path = theory.rmsprop_path([1.0, 1e-10], steps=2, learning_rate=5e-5)
    assert path[0].tolist() == [0.0, 0.0]
    assert path[1, 0] == pytest.approx(10 * 5e-5, rel=1e-5)  # alpha g / sqrt(0.01 g^2)
    assert path[1, 1] == pytest.approx(5e-5 * 1e-10 / (0.1 * 1e-10 + 1e-8), rel=1e-4)
    assert path[2, 0] - path[1, 0] == pytest.approx(5e-5 / math.sqrt(1 - 0.99**2), rel=1e-5)


def test_rmsprop_helpers_refuse_a_zero_gradient_and_name_it():
    with pytest.raises(ValueError, match="gradients == "):
        theory.rmsprop_path([1.0, 0.0], steps=3)
    with pytest.raises(RuntimeError, match="max_steps == 10"):
        theory.rmsprop_steps_to_reach([1e-10], 0.01, max_steps=10)


class RadialCritic(torch.nn.Module):
    """f(x) = -s |x|: slope s everywhere, high at the centre."""

    def __init__(self, slope: float):
        super().__init__()
        self.slope = torch.nn.Parameter(torch.tensor(float(slope)), requires_grad=False)

    def forward(self, x):
        return -self.slope * x.norm(dim=1, keepdim=True)


def test_penalty_terms_of_a_scaled_optimal_critic_meet_their_closed_forms():
    """N(0, I) against N(0, 9 I) in 2D: W = 2 E|x| = 2 sqrt(pi/2) (coupling x -> 3x, witness -|x|). The critic s f*
    has gradient norm s everywhere, so P = lambda (s - 1)^2 exactly and the gap is s W up to sampling; at
    s = 1 + W/(2 lambda) the penalty equals its lower bound and J its bound W + W^2/(4 lambda)."""
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((200_000, 2)), 3 * rng.standard_normal((200_000, 2))
    distance, weight = 2 * math.sqrt(math.pi / 2), 3.0
    best = 1 + distance / (2 * weight)
    terms = theory.penalty_bound_terms(RadialCritic(best), real, fake, weight, distance)
    assert terms["penalty"] == pytest.approx(weight * (best - 1) ** 2, rel=1e-5)
    assert terms["penalty"] == pytest.approx(terms["bound_penalty"], rel=1e-5)
    assert terms["gap"] == pytest.approx(best * distance, rel=5e-3)
    assert terms["objective"] == pytest.approx(terms["bound_objective"], rel=5e-3)
    assert terms["bound_gap"] == pytest.approx(distance + distance**2 / (2 * weight))
    assert terms["mean_abs_excess"] == pytest.approx(terms["bound_mean_abs_excess"], rel=1e-5)
    # the 1-Lipschitz optimum itself: no penalty, gap W, below the penalised bound
    unit = theory.penalty_bound_terms(RadialCritic(1.0), real, fake, weight, distance)
    assert unit["penalty"] < 1e-10 and unit["gap"] == pytest.approx(distance, rel=5e-3)
    assert unit["gap"] < unit["bound_gap"]


def test_penalty_terms_refuse_unpaired_samples():
    with pytest.raises(ValueError, match="must be equal"):
        theory.penalty_bound_terms(RadialCritic(1.0), np.zeros((3, 2)), np.ones((4, 2)), 1.0, 1.0)


class LinearCritic(torch.nn.Module):
    def __init__(self, direction):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1, bias=False)
        with torch.no_grad():
            self.layer.weight.copy_(torch.as_tensor(np.asarray(direction, dtype=np.float32)).reshape(1, 2))

    def forward(self, x):
        return self.layer(x)


def test_coupling_cosines_on_a_translation_are_one_for_the_optimal_critic():
    """fake = real + v with |v| large: by the triangle inequality the identity pairing is optimal (any other
    permutation costs sum |v + x_i - x_s(i)| >= n |v|), every segment points along -v, and f*(x) = -<x, v>/|v|."""
    rng = np.random.default_rng(1)
    real = rng.standard_normal((300, 2))
    shift = np.array([6.0, 8.0])
    measured = theory.coupling_cosines(LinearCritic(-shift / 10), real, real + shift, seed=0)
    assert np.array_equal(measured["partner"], np.arange(300))
    assert measured["wasserstein"] == pytest.approx(10.0, rel=1e-9)
    np.testing.assert_allclose(measured["cosine"], 1.0, atol=1e-6)
    assert np.median(measured["independent_cosine"]) < 0.999  # the baseline's directions spread
    wrong = theory.coupling_cosines(LinearCritic(shift / 10), real, real + shift, seed=0)
    np.testing.assert_allclose(wrong["cosine"], -1.0, atol=1e-6)


def gaussian_logit(real_mean, fake_mean, std, sharpness=1.0):
    """sharpness x log(p_r / p_g) for two Gaussians of one width: D* = p_r / (p_r + p_g) at sharpness 1."""
    return lambda x: sharpness * ((x - fake_mean) ** 2 - (x - real_mean) ** 2) / (2 * std**2)


def test_theorem_2_4_gradient_matches_finite_differences_and_stays_below_the_bound():
    logit = gaussian_logit(0.0, 4.0, 0.5)
    terms = theory.theorem_2_4_terms(logit, mean=4.0, std=0.5, n=5000, seed=3)
    z = torch.randn(5000, 1, generator=torch.Generator().manual_seed(3), dtype=torch.float64)

    def objective(mean, std):  # E_z log(1 - D(mean + std z)) on the same draws
        return float(torch.nn.functional.logsigmoid(-logit(mean + std * z)).mean())

    h = 1e-6
    by_differences = [
        (objective(4.0 + h, 0.5) - objective(4.0 - h, 0.5)) / (2 * h),
        (objective(4.0, 0.5 + h) - objective(4.0, 0.5 - h)) / (2 * h),
    ]
    np.testing.assert_allclose(terms["gradient"], by_differences, rtol=1e-5)
    assert terms["jacobian_bound"] == pytest.approx(float(torch.sqrt((1 + z**2).mean())))
    assert terms["gradient_norm"] < terms["bound"]


def test_theorem_2_4_epsilon_and_gradient_shrink_as_d_sharpens():
    measured = [
        theory.theorem_2_4_terms(gaussian_logit(0.0, 4.0, 0.5, k), mean=4.0, std=0.5, n=2000) for k in (0.25, 0.5, 1)
    ]
    epsilons = [m["epsilon"] for m in measured]
    norms = [m["gradient_norm"] for m in measured]
    assert epsilons[0] > epsilons[1] > epsilons[2] and norms[0] > norms[1] > norms[2]
    assert all(m["gradient_norm"] < m["bound"] for m in measured)


def test_theorem_2_4_truncated_generator_keeps_epsilon_below_its_value_at_the_support_edge():
    """z truncated to |z| <= 3: generated points lie in [2.5, 5.5], so the measured eps is at most |D| + |D'| at 2.5,
    the edge nearest the real law (D = sigmoid(l) falls with x there, l' = -16 for N(0, 0.5^2) against N(4, 0.5^2));
    untruncated draws reach x = 2 and beyond, where D' is about 4."""
    terms = theory.theorem_2_4_terms(gaussian_logit(0.0, 4.0, 0.5), mean=4.0, std=0.5, n=10_000, seed=0, truncation=3.0)
    edge = 1 / (1 + math.exp(8.0))  # D at x = 2.5: logit ((2.5 - 4)^2 - 2.5^2) / 0.5 = -8
    assert terms["epsilon"] <= edge + 16 * edge * (1 - edge)
    assert terms["gradient_norm"] < terms["bound"] < 0.01
    untruncated = theory.theorem_2_4_terms(gaussian_logit(0.0, 4.0, 0.5), mean=4.0, std=0.5, n=10_000, seed=0)
    assert untruncated["epsilon"] > 1


def test_theorem_2_4_refuses_a_truncation_that_rejection_cannot_serve():
    with pytest.raises(ValueError, match=r"truncation == 0.05, must be >= 0.1"):
        theory.theorem_2_4_terms(gaussian_logit(0.0, 4.0, 0.5), mean=4.0, std=0.5, truncation=0.05)
