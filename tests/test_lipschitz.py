"""Lipschitz methods: clipping clamps, the gradient penalty uses one epsilon and one norm per
sample, spectral normalisation gives a 1-Lipschitz MLP, errors name the parameter."""

import numpy as np
import pytest
import torch
from torch import nn

from wgan_toys.lipschitz import (
    GradientPenalty,
    SpectralNormalization,
    clip_weights_,
    gradient_penalty,
    make_constraint,
)
from wgan_toys.measure import layer_gradient_norms
from wgan_toys.networks import MLP, StackedCritics


class HalfSquare(nn.Module):
    """f(x) = |x|^2 / 2, whose gradient at x is x: the penalty is computable by hand."""

    def forward(self, x):
        return 0.5 * (x**2).flatten(1).sum(dim=1)


def test_clip_weights_clamps_every_parameter():
    critic = MLP(2, 16, 2)
    with torch.no_grad():
        for parameter in critic.parameters():
            parameter.mul_(100)
    clip_weights_(critic, 0.01)
    assert all(float(p.detach().abs().max()) <= 0.01 for p in critic.parameters())
    assert any(float(p.detach().abs().max()) == pytest.approx(0.01) for p in critic.parameters())


def test_clip_weights_per_stacked_critic():
    stack = StackedCritics(3, 1, 8, 2)
    with torch.no_grad():
        for parameter in stack.parameters():
            parameter.fill_(1.0)
    clip_weights_(stack, torch.tensor([0.01, 0.1, 1.0]))
    for parameter in stack.parameters():
        assert parameter[:, ...].amax(dim=tuple(range(1, parameter.dim()))).tolist() == pytest.approx([0.01, 0.1, 1.0])


def test_gradient_penalty_one_epsilon_and_one_norm_per_sample():
    n, penalty_weight = 256, 10.0
    real, fake = torch.ones(n, 3), torch.zeros(n, 3)
    penalty = gradient_penalty(HalfSquare(), real, fake, penalty_weight, rng=torch.Generator().manual_seed(5))
    # by hand: x_hat_i = epsilon_i (1, 1, 1), gradient x_hat_i, per-sample norm sqrt(3) epsilon_i
    epsilon = torch.rand(n, 1, generator=torch.Generator().manual_seed(5))
    expected = penalty_weight * ((np.sqrt(3) * epsilon[:, 0] - 1) ** 2).mean()
    assert float(penalty.detach()) == pytest.approx(float(expected), rel=1e-6)
    # the common bug, one norm over the whole batch, gives a very different number
    batch_norm_bug = penalty_weight * (np.sqrt(3) * epsilon.norm() - 1) ** 2
    assert abs(float(penalty.detach()) - float(batch_norm_bug)) > 1.0


def test_one_sided_penalty_charges_only_norms_above_one():
    n, penalty_weight = 256, 10.0
    real, fake = torch.ones(n, 3), torch.zeros(n, 3)
    one_sided = gradient_penalty(
        HalfSquare(), real, fake, penalty_weight, rng=torch.Generator().manual_seed(5), one_sided=True
    )
    # by hand: norm sqrt(3) epsilon_i, charged only where it exceeds 1 (epsilon > 0.577)
    epsilon = torch.rand(n, 1, generator=torch.Generator().manual_seed(5))[:, 0]
    expected = penalty_weight * (torch.clamp(np.sqrt(3) * epsilon - 1, min=0) ** 2).mean()
    assert float(one_sided.detach()) == pytest.approx(float(expected), rel=1e-6)
    two_sided = gradient_penalty(HalfSquare(), real, fake, penalty_weight, rng=torch.Generator().manual_seed(5))
    assert float(two_sided.detach()) > 2 * float(
        one_sided.detach()
    )  # the two-sided form also charges the norms below 1
    flat = gradient_penalty(lambda x: 0.0 * x.sum(dim=1), real, fake, penalty_weight, one_sided=True)  # norm 0: free
    assert float(flat.detach()) == 0.0
    method = GradientPenalty(2.0, one_sided=True)
    assert method.describe() == "one-sided gradient penalty, lambda = 2.0"
    with pytest.raises(TypeError, match="one_sided must be True or False, got 'yes'"):
        GradientPenalty(2.0, one_sided="yes")


def test_linear_critic_penalty_is_lambda_times_slope_gap_squared():
    critic = nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, 4.0]]))  # gradient norm 5 everywhere
    penalty = gradient_penalty(lambda x: critic(x).squeeze(-1), torch.randn(64, 2), torch.randn(64, 2), 2.0)
    assert float(penalty.detach()) == pytest.approx(2.0 * 16.0, rel=1e-6)


def test_stacked_penalty_equals_each_critics_own():
    stack = StackedCritics(3, 2, 8, 2, rng=torch.Generator().manual_seed(0))
    real, fake = torch.randn(3, 32, 2), torch.randn(3, 32, 2)
    weights = torch.tensor([1.0, 10.0, 100.0])
    stacked = gradient_penalty(stack, real, fake, weights, rng=torch.Generator().manual_seed(1), batch_dims=2)
    epsilon = torch.rand(3, 32, 1, generator=torch.Generator().manual_seed(1))
    for i in range(3):
        member = stack.member(i)
        interpolates = (epsilon[i] * real[i] + (1 - epsilon[i]) * fake[i]).requires_grad_(True)
        (gradient,) = torch.autograd.grad(member(interpolates).sum(), interpolates)
        own = weights[i] * ((gradient.norm(dim=1) - 1) ** 2).mean()
        assert float(stacked[i].detach()) == pytest.approx(float(own), rel=1e-5)


def test_spectral_normalisation_gives_a_1_lipschitz_mlp():
    critic = SpectralNormalization().prepare(MLP(2, 64, 3))
    critic.train()
    for _ in range(30):  # let the power iteration converge
        critic(torch.randn(8, 2))
    critic.eval()
    u, v = torch.randn(2000, 2) * 3, torch.randn(2000, 2) * 3
    with torch.no_grad():
        slopes = (critic(u) - critic(v)).abs() / (u - v).norm(dim=1)
    assert float(slopes.max()) <= 1.0 + 1e-3


def test_layer_gradient_norms_vanish_for_small_clip_values():
    torch.manual_seed(0)
    critic = MLP(1, 32, 6)
    clip_weights_(critic, 0.01)
    norms = layer_gradient_norms(critic, torch.randn(64, 1), torch.randn(64, 1) + 4)
    assert len(norms) == 7
    assert norms[0] < norms[-1] * 1e-3  # the signal shrinks towards the input


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"constraint": "clip", "clip_value": -0.01},
            ValueError,
            r"clip_value == -0.01, must be > 0 \(the paper uses c = 0.01\)",
        ),
        ({"constraint": "clip", "clip_value": 0.0}, ValueError, "clip_value == 0.0, must be > 0"),
        (
            {"constraint": "gp", "penalty_weight": -1.0},
            ValueError,
            r"penalty_weight == -1.0, must be >= 0 \(WGAN-GP uses lambda = 10\)",
        ),
        ({"constraint": "sn"}, ValueError, "constraint == 'sn', must be one of 'clip', 'gp', 'spectral', 'none'"),
    ],
)
def test_bad_constraint_settings(kwargs, error, message):
    with pytest.raises(error, match=message):
        make_constraint(**kwargs)


def test_constraint_optimisers_follow_the_papers():
    from wgan_toys.algorithm1 import make_optimizer

    parameters = [nn.Parameter(torch.zeros(1))]
    rmsprop = make_optimizer(parameters, "clip", "fit")
    assert isinstance(rmsprop, torch.optim.RMSprop) and rmsprop.defaults["lr"] == 5e-5  # Algorithm 1
    adam = make_optimizer(parameters, "gp", "fit")
    assert adam.defaults["lr"] == 1e-4 and adam.defaults["betas"] == (0.0, 0.9)  # WGAN-GP Algorithm 1
    assert GradientPenalty().penalty_weight == 10.0


def test_pytorch_init_clipped_at_001_puts_91_percent_at_the_walls():
    from wgan_toys.lipschitz import fraction_at_clip_value
    from wgan_toys.networks import make_critic

    torch.manual_seed(0)
    critic = make_critic()
    clip_weights_(critic, 0.01)
    share = fraction_at_clip_value(critic, 0.01)
    # by hand: the input layer's 64 weights ~ U[-1, 1], the two 64x64 layers' ~ U[-1/8, 1/8], the
    # output layer (flat start) 0; P(|w| >= 0.999 c) = 1 - 0.999 c / bound
    wall = 0.999 * 0.01
    expected = (64 * (1 - wall) + 2 * 4096 * (1 - 8 * wall)) / (64 + 2 * 4096 + 64)
    assert share["all"] == pytest.approx(expected, abs=0.01)
    assert share["per_layer"][-1] == 0.0 and share["per_layer"][1] == pytest.approx(1 - 8 * wall, abs=0.015)


def test_uniform_in_box_starts_inside_the_walls():
    from wgan_toys.lipschitz import fraction_at_clip_value, uniform_in_box_

    critic = uniform_in_box_(MLP(1, 64, 3), 0.01, seed=0)
    values = torch.cat([p.detach().flatten() for p in critic.parameters()])
    assert float(values.abs().max()) <= 0.01
    assert float(values.abs().mean()) == pytest.approx(0.005, rel=0.05)  # uniform on [-c, c]: E|w| = c / 2
    assert fraction_at_clip_value(critic, 0.01)["all"] < 0.005


def test_family_bound_is_reached_by_the_all_c_network_and_bounds_every_slope():
    from wgan_toys.lipschitz import clipped_family_bound, spectral_norm_product

    critic = MLP(1, 16, 2)
    bound = clipped_family_bound(critic, 0.1)
    assert bound == pytest.approx(0.1**3 * np.sqrt(16) * np.sqrt(16 * 16) * np.sqrt(16), rel=1e-12)
    with torch.no_grad():  # every weight at +c: the rank-one matrices that reach the bound
        for module in critic.modules():
            if isinstance(module, nn.Linear):
                module.weight.fill_(0.1)
    assert spectral_norm_product(critic) == pytest.approx(bound, rel=1e-6)
    torch.manual_seed(1)
    random = MLP(1, 16, 2)
    clip_weights_(random, 0.1)
    x = torch.linspace(-5, 5, 2001)[:, None]
    with torch.no_grad():
        finite_slopes = (random(x[1:]) - random(x[:-1])).abs() / (x[1, 0] - x[0, 0])
    assert float(finite_slopes.max()) <= spectral_norm_product(random) * (1 + 1e-5) <= bound * (1 + 1e-5)


def test_spectral_normalisation_is_reproducible_and_leaves_the_global_random_state_alone():
    # torch's spectral_norm draws its power-iteration start vectors from the global random state:
    # two train_critic(constraint="spectral", seed=0) calls in one process used to differ (3.83622 vs
    # 3.83636 after 300 steps), and each consumed the caller's random numbers
    from wgan_toys import Gaussian1D
    from wgan_toys.train import train_critic

    real, fake = Gaussian1D(0.0, 1.0), Gaussian1D(4.0, 1.0)
    before = torch.get_rng_state()
    first = train_critic(real, fake, constraint="spectral", max_steps=100, eval_every=50, seed=0)
    torch.randn(7)  # the caller's own draws between two runs change nothing
    second = train_critic(real, fake, constraint="spectral", max_steps=100, eval_every=50, seed=0)
    assert first.estimate == second.estimate
    for a, b in zip(first.network.state_dict().values(), second.network.state_dict().values()):
        assert torch.equal(a, b)
    torch.set_rng_state(before)
    torch.randn(7)
    after_own_draws = torch.get_rng_state()
    torch.set_rng_state(before)
    train_critic(real, fake, constraint="spectral", max_steps=50, eval_every=50, seed=0)
    torch.randn(7)
    assert torch.equal(torch.get_rng_state(), after_own_draws)  # training drew nothing from the global state
