"""The trainers' parameter tails are two dataclasses, FitSettings and NetworkShape,
declared once in train.py; every trainer takes ``settings=``/``shape=`` and their fields as
keywords; each kind of loop declares its batch size once (256 for one network, 64 per critic for
a sweep, which had drifted apart in two parameter lists).

Every field's range is checked with the other configs' in tests/test_config_constraints.py. The
batch sizes here are counted by a law that records every draw, not read from the settings.
"""

import dataclasses

import numpy as np
import pytest
import torch

from wgan_toys import Gaussian1D
from wgan_toys.experiments import clip_value_experiment
from wgan_toys.parallel_lines import learn_parallel_lines
from wgan_toys.sweep import train_critic_sweep
from wgan_toys.train import (
    SWEEP_SETTINGS,
    FitSettings,
    NetworkShape,
    train_critic,
    train_discriminator,
)

REAL, FAKE = Gaussian1D(0.0, 0.5), Gaussian1D(4.0, 0.5)  # Figure 2's pair


def test_settings_are_frozen():
    """A FitSettings that exists is valid (its ranges: tests/test_config_constraints.py): no field changes after."""
    for settings in (FitSettings(), NetworkShape()):
        with pytest.raises(dataclasses.FrozenInstanceError):
            settings.__setattr__(dataclasses.fields(settings)[0].name, 2)


class CountingLaw(Gaussian1D):
    """Gaussian1D that records how many points each draw asks for."""

    def __init__(self, mean, std):
        super().__init__(mean, std)
        object.__setattr__(self, "draws", [])  # a frozen dataclass

    def sample_torch(self, n, seed=None, device="cpu"):
        self.draws.append(n)
        return super().sample_torch(n, seed=seed, device=device)


@pytest.mark.slow
def test_each_kind_of_loop_states_its_batch_size_once():
    """256 points of each law per step for one network; 64 per critic for a sweep (SWEEP_SETTINGS,
    at which lesson 04 and verify measure); an explicit batch_size wins over both."""
    assert FitSettings().batch_size == 256 and SWEEP_SETTINGS.batch_size == 64
    for trainer in (train_critic, train_discriminator):
        real, fake = CountingLaw(0, 0.5), CountingLaw(4, 0.5)
        trainer(real, fake, max_steps=2, heldout_size=16)
        assert real.draws == [16, 256, 256] and fake.draws == [16, 256, 256], trainer.__name__
    real, fake = CountingLaw(0, 0.5), CountingLaw(4, 0.5)
    train_critic_sweep(real, fake, "clip", clip_values=(0.01, 0.02, 0.05), max_steps=2, heldout_size=16)
    assert real.draws == [16, 3 * 64, 3 * 64]  # the held-out batch, then 64 for each of 3 critics per step
    real_laws = [CountingLaw(0, 0.5), CountingLaw(0, 1.0)]
    train_critic_sweep(real_laws, [REAL, FAKE], "gp", max_steps=2, heldout_size=16, batch_size=256)
    assert [law.draws for law in real_laws] == [[16, 256, 256]] * 2  # one pair per critic


@pytest.mark.slow
def test_the_clip_value_experiment_states_its_own_batch():
    """The experiments were measured at m = 64 (lesson 04 and verify quote them): they keep it."""
    real, fake = CountingLaw(0, 0.5), CountingLaw(4, 0.5)
    clip_value_experiment(real, fake, clip_values=(0.01, 0.02), n_seeds=1, max_steps=2)
    assert real.draws == [1024, 2 * 64, 2 * 64]
    real, fake = CountingLaw(0, 0.5), CountingLaw(4, 0.5)
    clip_value_experiment(real, fake, clip_values=(0.01, 0.02), n_seeds=1, max_steps=2, batch_size=8)
    assert real.draws == [1024, 2 * 8, 2 * 8]


def _parameters(network):
    return torch.cat([parameter.detach().flatten() for parameter in network.parameters()])


def test_keywords_are_the_settings_fields():
    """``max_steps=40, batch_size=32, width=8`` is FitSettings(max_steps=40, batch_size=32) with
    NetworkShape(width=8): the same network bit for bit, 40 steps, 8 units wide."""
    by_keyword = train_critic(REAL, FAKE, max_steps=40, batch_size=32, heldout_size=64, width=8, seed=3)
    by_settings = train_critic(
        REAL,
        FAKE,
        settings=FitSettings(max_steps=40, batch_size=32, heldout_size=64, seed=3),
        shape=NetworkShape(width=8),
    )
    assert by_keyword.steps == by_settings.steps == 40
    assert by_keyword.network.layers[0].weight.shape == (8, 1)
    assert torch.equal(_parameters(by_keyword.network), _parameters(by_settings.network))
    assert by_keyword.estimate == by_settings.estimate
    other_seed = train_critic(REAL, FAKE, max_steps=40, batch_size=32, heldout_size=64, width=8, seed=4)
    assert not torch.equal(_parameters(by_keyword.network), _parameters(other_seed.network))
    # a keyword overrides the field of the settings it is given with
    assert train_critic(REAL, FAKE, settings=FitSettings(max_steps=40, heldout_size=64), max_steps=5).steps == 5


def test_the_discriminator_default_learning_rate_is_adam_1e_3():
    default = train_discriminator(REAL, FAKE, max_steps=20, heldout_size=64)
    explicit = train_discriminator(REAL, FAKE, max_steps=20, heldout_size=64, learning_rate=1e-3)
    slower = train_discriminator(REAL, FAKE, max_steps=20, heldout_size=64, learning_rate=1e-4)
    assert torch.equal(_parameters(default.network), _parameters(explicit.network))
    assert not torch.equal(_parameters(default.network), _parameters(slower.network))


@pytest.mark.parametrize(
    "trainer, arguments",
    [
        (train_critic, ()),
        (train_discriminator, ()),
        (train_critic_sweep, ("clip",)),
        (clip_value_experiment, ()),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_an_unknown_keyword_is_a_type_error_listing_the_accepted_names(trainer, arguments):
    with pytest.raises(
        TypeError,
        match=rf"^{trainer.__name__}\(\) got an "
        r"unexpected keyword argument 'hidden'; .* batch_size, max_steps, learning_rate, .* width, depth, activation\.$",
    ):
        trainer(REAL, FAKE, *arguments, hidden=32)


def test_bad_settings_objects_and_values_are_refused_before_training():
    with pytest.raises(TypeError, match=r"^settings must be a FitSettings or None, got \{'max_steps': 5\}"):
        train_critic(REAL, FAKE, settings={"max_steps": 5})
    with pytest.raises(TypeError, match=r"^shape must be a NetworkShape or None"):
        train_discriminator(REAL, FAKE, shape=FitSettings())
    with pytest.raises(ValueError, match=r"^heldout_size == 1, must be >= 2\.$"):
        train_critic_sweep(REAL, FAKE, "clip", heldout_size=1)
    with pytest.raises(ValueError, match=r"^learning_rate == 0\.0, must be > 0 or None"):
        train_discriminator(REAL, FAKE, learning_rate=0.0)  # was accepted: Adam at 0 never moves
    with pytest.raises(ValueError, match=r"^activation == 'sigmoid', must be one of 'relu'"):
        train_critic(REAL, FAKE, activation="sigmoid")


def test_learn_parallel_lines_takes_the_same_settings():
    by_keyword = learn_parallel_lines("wgan-gp", iterations=5, batch_size=32, seed=2, width=16)
    by_settings = learn_parallel_lines(
        "wgan-gp", iterations=5, settings=FitSettings(batch_size=32, seed=2), shape=NetworkShape(width=16)
    )
    assert np.array_equal(by_keyword["thetas"], by_settings["thetas"])
    assert not np.array_equal(by_keyword["thetas"], learn_parallel_lines("wgan-gp", iterations=5, seed=2)["thetas"])
    # the network's rate from the settings, or critic_learning_rate over it
    from_settings = learn_parallel_lines("wgan", iterations=5, settings=FitSettings(learning_rate=1e-2))
    from_keyword = learn_parallel_lines("wgan", iterations=5, critic_learning_rate=1e-2)
    assert np.array_equal(from_settings["thetas"], from_keyword["thetas"])
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'max_steps'.*: batch_size, seed, device, width"):
        learn_parallel_lines("wgan", iterations=5, max_steps=10)  # it runs iterations; no stopping rule
    with pytest.raises(ValueError, match=r"^critic_learning_rate == 0\.0, must be > 0\.$"):
        learn_parallel_lines("wgan", iterations=5, critic_learning_rate=0.0)  # was silently the default


@pytest.mark.parametrize("command", ["critic", "discriminator"])
def test_a_learning_rate_beyond_float32_is_one_line_naming_the_flag(command, capsys):
    from wgan_toys.cli import main

    with pytest.raises(ValueError, match=r"^learning_rate == 1e\+300, must be <= 3\.40\d*e\+38, the largest float32"):
        FitSettings(learning_rate=1e300)
    arguments = [command, "gaussians", "--mu1", "0", "--sigma1", "1", "--mu2", "1", "--sigma2", "1"]
    with pytest.raises(SystemExit) as exit:  # torch's optimiser raised RuntimeError: float overflow
        main([*arguments, "--learning-rate", "1e300", "--max-steps", "2"])
    error = capsys.readouterr().err
    assert exit.value.code == 2 and "--learning-rate == 1e+300, must be <= 3.40" in error
    assert len(error.splitlines()) == 1
