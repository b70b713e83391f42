"""Exact transport: plans and duals against ot.emd2 and scipy, the c-transform critic against
KR duality (eq. 2), and the exact 1D optimal critic against W1 (its slope sign derived in
wgan_toys.transport)."""

import math

import numpy as np
import ot
import pytest
from scipy import integrate, stats

from wgan_toys import Discrete1D, Gaussian1D, ParallelLines, Uniform1D, wasserstein_1
from wgan_toys.transport import OptimalCritic1D, discretize, exact_transport, kantorovich_critic


def _clouds(seed=0, n=120, m=90):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = rng.normal(size=(m, 2)) * [0.5, 2.0] + [3.0, 1.0]
    a = rng.random(n)
    b = rng.random(m)
    return x, y, a / a.sum(), b / b.sum()


def test_plan_cost_and_duals_agree_with_emd2():
    x, y, a, b = _clouds()
    result = exact_transport(x, y, a, b)
    reference = ot.emd2(a, b, ot.dist(x, y, metric="euclidean"))
    assert result.cost == pytest.approx(reference, rel=1e-10)
    assert result.plan.sum(axis=1) == pytest.approx(a, abs=1e-12)
    assert result.plan.sum(axis=0) == pytest.approx(b, abs=1e-12)
    dual_value = a @ result.source_potential + b @ result.target_potential
    assert dual_value == pytest.approx(result.cost, rel=1e-9)  # strong duality
    cost = np.linalg.norm(x[:, None] - y[None], axis=-1)
    assert np.max(result.source_potential[:, None] + result.target_potential[None] - cost) <= 1e-9


def test_c_transform_critic_is_optimal_and_1_lipschitz():
    x, y, a, b = _clouds(seed=1)
    result = exact_transport(x, y, a, b)
    critic = kantorovich_critic(result)
    estimate = a @ critic(x) - b @ critic(y)
    # E_P f - E_Q f = W (eq. 2), to the ~1e-9 precision of the network simplex duals
    assert estimate == pytest.approx(result.cost, rel=1e-8)
    rng = np.random.default_rng(2)
    u, v = rng.normal(size=(4000, 2)) * 4, rng.normal(size=(4000, 2)) * 4
    slopes = np.abs(critic(u) - critic(v)) / np.linalg.norm(u - v, axis=1)
    assert slopes.max() <= 1.0 + 1e-9


def test_parallel_lines_plan_cost_is_theta_plus_sampling_term():
    rng = np.random.default_rng(3)
    n = 400
    real, fake = ParallelLines(0.0).sample(n, seed=rng), ParallelLines(0.5).sample(n, seed=rng)
    result = exact_transport(real, fake)
    # every pair is at least |theta| apart, and matching sorted z's moves each point by
    # sqrt(theta^2 + dz^2) with dz ~ 1/sqrt(n): the cost sits just above |theta|
    assert 0.5 <= result.cost <= 0.5 + 1.0 / math.sqrt(n)


def test_1d_samples_transport_matches_scipy():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=200), rng.normal(size=150) * 2 + 1
    assert exact_transport(x, y).cost == pytest.approx(stats.wasserstein_distance(x, y), rel=1e-10)


def _expectation(critic, law):
    if isinstance(law, Discrete1D):
        return float(np.sum(critic(law.points) * law.weights))
    low, high = law.support
    low, high = max(low, -60.0), min(high, 60.0)
    center = law.mean if isinstance(law, Gaussian1D) else 0.5 * (low + high)
    return integrate.quad(
        lambda t: critic(np.array([t]))[0] * law.pdf(t), low, high, points=[center], limit=400, epsabs=1e-13
    )[0]


@pytest.mark.parametrize(
    "p, q",
    [
        (Gaussian1D(0, 1), Gaussian1D(4, 1)),
        (Gaussian1D(0, 1), Gaussian1D(1, 2)),
        (Gaussian1D(3, 2), Gaussian1D(-1, 0.5)),
        (Uniform1D(0, 1), Gaussian1D(0.5, 0.2)),
        (Discrete1D([0.0, 1.0]), Uniform1D()),
    ],
)
def test_optimal_critic_1d_reaches_w1(p, q):
    critic = OptimalCritic1D(p, q)
    assert _expectation(critic, p) - _expectation(critic, q) == pytest.approx(wasserstein_1(p, q), rel=1e-7, abs=1e-12)
    assert set(np.unique(critic.slopes)) <= {-1.0, 0.0, 1.0}


def test_optimal_critic_slope_sign_is_sign_of_cdf_gap():
    # P = N(0,1) real, Q = N(4,1) fake: F_Q < F_P everywhere, so f' = -1: the critic is high
    # on the real data (left) and falls toward the fakes, the picture of Figure 2
    critic = OptimalCritic1D(Gaussian1D(0, 1), Gaussian1D(4, 1))
    assert np.all(critic.gradient(np.linspace(-10, 10, 101)) == -1.0)
    assert critic(np.array([0.0]))[0] > critic(np.array([4.0]))[0]
    # swapping the roles flips the sign
    assert np.all(OptimalCritic1D(Gaussian1D(4, 1), Gaussian1D(0, 1)).gradient([-3.0, 2.0, 9.0]) == 1.0)
    # different widths: a V shape, kink at x* = (mu_Q s_P - mu_P s_Q) / (s_P - s_Q)
    v_shape = OptimalCritic1D(Gaussian1D(0, 1), Gaussian1D(1, 2))
    assert v_shape.crossings == pytest.approx([-1.0])
    assert list(v_shape.slopes) == [1.0, -1.0]


def test_optimal_critic_matches_pot_potential_up_to_a_constant():
    p, q = Gaussian1D(0, 1), Gaussian1D(3, 1.5)
    grid = np.linspace(-8, 12, 1500)
    result = exact_transport(grid, grid, discretize(p, grid), discretize(q, grid))
    pot_critic = kantorovich_critic(result)
    inside = (grid > -2) & (grid < 6)  # where both laws have mass
    difference = pot_critic(grid[inside]) - OptimalCritic1D(p, q)(grid[inside])
    assert np.ptp(difference) < 1e-6  # a constant offset, nothing else
