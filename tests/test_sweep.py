"""Stacked critics: the same numbers as separate critics, one step and a whole sweep."""

import numpy as np
import pytest
import torch

from wgan_toys import Gaussian1D
from wgan_toys.lipschitz import clip_weights_
from wgan_toys.networks import StackedCritics
from wgan_toys.sweep import train_critic_sweep


def test_stacked_forward_equals_each_member():
    stack = StackedCritics(4, 2, 16, 3, activation="tanh", rng=torch.Generator().manual_seed(0))
    x = torch.randn(4, 10, 2)
    out = stack(x)
    assert out.shape == (4, 10)
    for i in range(4):
        assert torch.allclose(stack.member(i)(x[i]), out[i], atol=1e-6)
    shared = torch.randn(7, 2)
    assert stack(shared).shape == (4, 7)


def test_one_stacked_step_equals_separate_steps():
    """The summed loss has block-separate gradients: RMSProp on the stack = S separate RMSProps."""
    stack = StackedCritics(3, 1, 8, 2, rng=torch.Generator().manual_seed(1))
    members = [stack.member(i) for i in range(3)]
    clip_values = torch.tensor([0.05, 0.1, 0.5])
    real, fake = torch.randn(3, 32, 1), torch.randn(3, 32, 1) + 2
    optimizer = torch.optim.RMSprop(stack.parameters(), lr=1e-2)
    for _ in range(3):
        loss = -(stack(real).mean(dim=1) - stack(fake).mean(dim=1)).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        clip_weights_(stack, clip_values)
    for i, member in enumerate(members):
        member_optimizer = torch.optim.RMSprop(member.parameters(), lr=1e-2)
        for _ in range(3):
            loss = -(member(real[i]).mean() - member(fake[i]).mean())
            member_optimizer.zero_grad()
            loss.backward()
            member_optimizer.step()
            clip_weights_(member, float(clip_values[i]))
        x = torch.linspace(-3, 5, 50)[:, None]
        assert torch.allclose(member(x), stack.member(i)(x), atol=1e-6)


@pytest.mark.slow
def test_clip_sweep_k_grows_with_c():
    real, fake = Gaussian1D(0, 0.5), Gaussian1D(4, 0.5)
    sweep = train_critic_sweep(real, fake, "clip", clip_values=(0.005, 0.01, 0.02), max_steps=3000)
    assert np.all(np.diff(sweep.estimates) > 0)
    assert sweep.settings[1] == {"index": 1, "clip_value": 0.01}


def test_seed_sweep_gives_distinct_critics():
    sweep = train_critic_sweep(
        Gaussian1D(0, 1), Gaussian1D(3, 1), "gp", penalty_weights=(10.0,), n_critics=3, max_steps=100
    )
    assert len(sweep.settings) == 3
    weights = sweep.critics.weights[0].detach()
    assert not torch.allclose(weights[0], weights[1])


def test_sweep_errors():
    with pytest.raises(ValueError, match="constraint == 'spectral', must be one of 'clip', 'gp'"):
        train_critic_sweep(Gaussian1D(0, 1), Gaussian1D(1, 1), "spectral")
    with pytest.raises(ValueError, match="clip_values is empty"):
        train_critic_sweep(Gaussian1D(0, 1), Gaussian1D(1, 1), "clip", clip_values=())
    with pytest.raises(ValueError, match=r"clip_value == \[0.01, -0.1\], every entry must be > 0"):
        train_critic_sweep(Gaussian1D(0, 1), Gaussian1D(1, 1), "clip", clip_values=(0.01, -0.1))
    with pytest.raises(ValueError, match="n_critics == 2 repeats one setting"):
        train_critic_sweep(Gaussian1D(0, 1), Gaussian1D(1, 1), "clip", clip_values=(0.01, 0.02), n_critics=2)


def test_one_pair_per_critic_trains_each_critic_on_its_own_pair():
    # critic 0 sees N(0, 1) against N(2, 1) (f falls), critic 1 N(0, 1) against N(-2, 1) (f rises):
    # a sweep that drew every critic's batches from the first pair would give both the same sign
    from wgan_toys.measure import network_gradients, network_values
    from wgan_toys.optimal import expectation_gap
    from wgan_toys.sweep import expectation_gaps

    real = [Gaussian1D(0, 1), Gaussian1D(0, 1)]
    fake = [Gaussian1D(2, 1), Gaussian1D(-2, 1)]
    sweep = train_critic_sweep(real, fake, "gp", penalty_weights=(10.0,), max_steps=300, heldout_size=512, seed=0)
    assert len(sweep.settings) == 2 and sweep.settings[1] == {"index": 1, "penalty_weight": 10.0}
    slopes = [float(np.median(network_gradients(sweep.critics.member(i), np.linspace(-1, 1, 21)))) for i in range(2)]
    assert slopes[0] < -0.5 and slopes[1] > 0.5
    gaps = expectation_gaps(sweep, real, fake)
    for i in range(2):
        member = sweep.critics.member(i)
        assert gaps[i] == pytest.approx(
            expectation_gap(lambda x: network_values(member, x), real[i], fake[i]), rel=1e-12
        )
        assert gaps[i] == pytest.approx(2.0, rel=0.25)  # W = 2, GP bias 2^2 / 20 = 0.2
        assert sweep.estimates[i] == pytest.approx(gaps[i], rel=0.1)  # held-out batch of 512 against the densities


def test_one_pair_per_critic_errors():
    with pytest.raises(ValueError, match="real and fake must both be lists of laws of the same length"):
        train_critic_sweep([Gaussian1D(0, 1)] * 2, Gaussian1D(1, 1), "clip")
    with pytest.raises(ValueError, match="clip_values has 3 values and real/fake 2 pairs"):
        train_critic_sweep([Gaussian1D(0, 1)] * 2, [Gaussian1D(1, 1)] * 2, "clip", clip_values=(0.01, 0.02, 0.03))


def test_effective_slope_experiment_pairs_and_bounds():
    from wgan_toys.experiments import effective_slope_experiment
    from wgan_toys.lipschitz import clipped_family_bound

    result = effective_slope_experiment(shifts=(1.0,), scale_matches=(1.0,), n_seeds=2, max_steps=100, seed=0)
    assert result["kind"].tolist() == ["shift", "scale", "shift", "scale"]
    # the scale pair N(0, s^2) with s = 1 + sqrt(pi/2) has W = 1, by the closed form of wasserstein_1
    assert result["wasserstein"] == pytest.approx([1.0, 1.0, 1.0, 1.0], rel=1e-12)
    assert result["fake"][1].std == pytest.approx(1 + np.sqrt(np.pi / 2))
    bound = clipped_family_bound(result["sweep"].critics.member(0), 0.01)
    assert np.all(result["effective_slope"] > 0) and np.all(result["effective_slope"] < bound)
