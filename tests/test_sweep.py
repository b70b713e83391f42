"""Stacked critics: the same numbers as separate critics, one step and a whole sweep."""

import numpy as np
import pytest
import torch

from wgan_toys import Gaussian1D
from wgan_toys.lipschitz import clip_weights_
from wgan_toys.networks import StackedCritics
from wgan_toys.sweep import train_critic_sweep


def test_stacked_forward_equals_each_member():
    stack = StackedCritics(4, 2, 16, 3, activation="tanh", generator=torch.Generator().manual_seed(0))
    x = torch.randn(4, 10, 2)
    out = stack(x)
    assert out.shape == (4, 10)
    for i in range(4):
        assert torch.allclose(stack.member(i)(x[i]), out[i], atol=1e-6)
    shared = torch.randn(7, 2)
    assert stack(shared).shape == (4, 7)


def test_one_stacked_step_equals_separate_steps():
    """The summed loss has block-separate gradients: RMSProp on the stack = S separate RMSProps."""
    stack = StackedCritics(3, 1, 8, 2, generator=torch.Generator().manual_seed(1))
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


def test_clip_sweep_k_grows_with_c():
    real, fake = Gaussian1D(0, 0.5), Gaussian1D(4, 0.5)
    sweep = train_critic_sweep(real, fake, "clip", clip_values=(0.005, 0.01, 0.02), max_steps=3000)
    assert np.all(np.diff(sweep.estimates) > 0)
    assert sweep.settings[1] == {"index": 1, "clip_value": 0.01}


def test_seed_sweep_gives_distinct_critics():
    sweep = train_critic_sweep(Gaussian1D(0, 1), Gaussian1D(3, 1), "gp", penalty_weights=(10.0,), n_critics=3, max_steps=100)
    assert len(sweep.settings) == 3
    weights = sweep.critics.weights[0].detach()
    assert not torch.allclose(weights[0], weights[1])


def test_sweep_errors():
    with pytest.raises(ValueError, match="method == 'spectral', must be one of 'clip', 'gp'"):
        train_critic_sweep(Gaussian1D(0, 1), Gaussian1D(1, 1), "spectral")
    with pytest.raises(ValueError, match="clip_values is empty"):
        train_critic_sweep(Gaussian1D(0, 1), Gaussian1D(1, 1), "clip", clip_values=())
    with pytest.raises(ValueError, match=r"clip_value == \[0.01, -0.1\], every entry must be > 0"):
        train_critic_sweep(Gaussian1D(0, 1), Gaussian1D(1, 1), "clip", clip_values=(0.01, -0.1))
    with pytest.raises(ValueError, match="n_critics == 2 repeats one setting"):
        train_critic_sweep(Gaussian1D(0, 1), Gaussian1D(1, 1), "clip", clip_values=(0.01, 0.02), n_critics=2)
