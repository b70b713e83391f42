"""Learning Example 1: exact gradients (EM: sign(theta); JS, TV: exactly 0; KL: undefined, since
KL = +inf on both sides), descent, the network-based learners, and Theorem 3 against finite
differences of W = |theta|."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from wgan_toys.parallel_lines import (
    critic_objective,
    descend_exact,
    exact_gradient,
    exact_w_gradient_by_differences,
    learn_parallel_lines,
    theorem_3_gradient,
)


@pytest.mark.parametrize("theta", [-1.0, -0.2, 0.3, 2.0])
def test_exact_gradients(theta):
    assert exact_gradient("em", theta) == pytest.approx(np.sign(theta), rel=1e-6)
    for name in ("js", "tv"):
        assert exact_gradient(name, theta) == 0.0
    assert math.isnan(exact_gradient("kl", theta))  # inf - inf: undefined, not 0


def test_no_descent_on_kl():
    with pytest.raises(
        ValueError, match=r"the gradient of 'kl' at theta == 0.5 is undefined: kl\(P_0, P_theta\) is \+inf"
    ):
        descend_exact("kl", theta0=0.5)


def test_descent_on_em_reaches_zero_and_on_js_never_moves():
    assert abs(descend_exact("em", theta0=1.0)[-1]) < 1e-3
    assert abs(descend_exact("em", theta0=-0.7)[-1]) < 1e-3
    assert np.all(descend_exact("js", theta0=1.0) == 1.0)
    with pytest.raises(ValueError, match="distance == 'hellinger', must be one of 'em', 'js', 'kl', 'tv'"):
        descend_exact("hellinger")


class ExactCritic(nn.Module):
    """The optimal critic for P_0 against P_theta with theta > 0: f(x, y) = -x."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, points):
        return -points[:, 0] + 0 * self.unused


def test_theorem_3_with_the_exact_critic():
    assert theorem_3_gradient(ExactCritic(), 0.5) == pytest.approx(exact_w_gradient_by_differences(0.5), abs=1e-6)


def test_critic_objective_of_the_exact_critic():
    # f(x) = -x_1: V(f, theta') = E_0 f - E f(theta', z) = theta', which touches W = |theta'| for theta' >= 0
    thetas = [-1.0, 0.0, 0.5, 2.0]
    assert critic_objective(ExactCritic(), thetas, n=1000) == pytest.approx(thetas, abs=1e-6)
    with pytest.raises(ValueError, match="thetas must be finite"):
        critic_objective(ExactCritic(), [0.0, float("nan")])


@pytest.mark.slow
def test_wgan_gp_learns_theta_and_minimax_gan_stalls_under_plain_descent():
    wgan = learn_parallel_lines("wgan-gp", iterations=150, optimizer="sgd", theta_learning_rate=0.05)
    assert abs(wgan["thetas"][-1]) < 0.1
    gan = learn_parallel_lines("gan-minimax", iterations=150, optimizer="sgd", theta_learning_rate=0.05)
    assert abs(gan["thetas"][-1]) > 0.5  # the saturated discriminator's gradient vanishes
    assert np.abs(gan["theta_gradients"][-10:]).mean() < 1e-2 < np.abs(wgan["theta_gradients"][:10]).mean()
