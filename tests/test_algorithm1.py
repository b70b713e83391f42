"""Algorithm 1, once (``wgan_toys.algorithm1``): every trainer's numbers, bit for bit, and the
steps themselves against independent references.

The first half records short seeded runs of every trainer (critics and a discriminator trained
to optimality, a sweep, Example 1's parallel lines, the 2D toys, the image trainer) as exact
float hex strings: sums of the trained parameters and the losses. The values were measured on
the trainers as they stood before they called ``algorithm1`` (each with its own copy of the
critic step); a refactoring that changes one operation's order, one random draw or one default
changes them. The second half checks the steps against references that do not share their code:
finite differences of eq. (3), the clipping box, a gradient penalty computed by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from wgan_toys.images.config import ImageConfig

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def hexes(*values) -> list[str]:
    return [float(v).hex() for v in values]


def parameter_sum(module) -> float:
    return float(sum(p.detach().double().sum() for p in module.parameters()))


# ----------------------------------------------------------------- trainers, bit for bit
SHORT_FIT = dict(max_steps=30, eval_every=10, heldout_size=256, batch_size=64, width=16, depth=2, seed=3)


def critic_run(constraint: str) -> list[str]:
    from wgan_toys import Gaussian1D
    from wgan_toys.train import train_critic

    result = train_critic(Gaussian1D(0.0, 1.0), Gaussian1D(2.0, 0.5), constraint, **SHORT_FIT)
    rows = [value for row in result.history for value in (row["objective"], row["estimate"])]
    return hexes(result.estimate, parameter_sum(result.network), *rows)


def discriminator_run() -> list[str]:
    from wgan_toys import Gaussian1D
    from wgan_toys.train import train_discriminator

    result = train_discriminator(Gaussian1D(0.0, 1.0), Gaussian1D(2.0, 0.5), **SHORT_FIT)
    return hexes(result.estimate, parameter_sum(result.network), *[row["objective"] for row in result.history])


def sweep_run(constraint: str) -> list[str]:
    from wgan_toys import Gaussian1D
    from wgan_toys.sweep import train_critic_sweep

    result = train_critic_sweep(
        Gaussian1D(0.0, 1.0),
        Gaussian1D(2.0, 0.5),
        constraint,
        clip_values=(0.01, 0.05),
        penalty_weights=(1.0, 10.0),
        **SHORT_FIT,
    )
    return hexes(*result.estimates, parameter_sum(result.critics))


def parallel_lines_run(algorithm: str) -> list[str]:
    from wgan_toys.parallel_lines import learn_parallel_lines

    result = learn_parallel_lines(algorithm, iterations=4, n_critic=3, batch_size=32, width=16, depth=2, seed=5)
    return hexes(*result["thetas"], *result["theta_gradients"])


def toy_run(algorithm: str, critic_optimizer: str | None = None) -> list[str]:
    from wgan_toys.toy_gan import ToyConfig, ToyGAN

    config = ToyConfig(algorithm=algorithm, critic_optimizer=critic_optimizer, batch_size=32, width=16, depth=2, seed=7)
    trainer = ToyGAN(config)
    losses = []
    for _ in range(3):
        losses += [trainer.critic_step() for _ in range(2)]
        losses.append(trainer.generator_step_update())
    cosines = trainer._recent["step_cosine"]
    return hexes(*losses, *cosines, parameter_sum(trainer.critic), parameter_sum(trainer.generator))


IMAGE_RUN = ImageConfig.smoke_settings(batch_size=16, generator_steps=2, device="cpu", threads=1, precision="fp32")


def image_run(algorithm: str, **settings) -> list[str]:
    from wgan_toys.images.trainer import ImageConfig, ImageTrainer

    trainer = ImageTrainer(ImageConfig(**IMAGE_RUN, algorithm=algorithm, n_critic=2, **settings), verbose=False)
    values = []
    for _ in range(2):
        trainer.iteration()
        values += [trainer.last["critic_loss"], trainer.last["estimate"], trainer.last["generator_loss"]]
    return hexes(*values, parameter_sum(trainer.critic), parameter_sum(trainer.generator))


RUNS = {
    "critic-clip": lambda: critic_run("clip"),
    "critic-gp": lambda: critic_run("gp"),
    "critic-spectral": lambda: critic_run("spectral"),
    "critic-none": lambda: critic_run("none"),
    "discriminator": discriminator_run,
    "sweep-clip": lambda: sweep_run("clip"),
    "sweep-gp": lambda: sweep_run("gp"),
    "lines-wgan": lambda: parallel_lines_run("wgan"),
    "lines-wgan-gp": lambda: parallel_lines_run("wgan-gp"),
    "lines-gan-minimax": lambda: parallel_lines_run("gan-minimax"),
    "lines-gan-logd": lambda: parallel_lines_run("gan-logd"),
    "toy-wgan": lambda: toy_run("wgan"),
    "toy-wgan-adam": lambda: toy_run("wgan", "adam"),
    "toy-wgan-gp": lambda: toy_run("wgan-gp"),
    "toy-gan-minimax": lambda: toy_run("gan-minimax"),
    "toy-gan-logd": lambda: toy_run("gan-logd"),
    "image-wgan": lambda: image_run("wgan"),
    "image-wgan-weights": lambda: image_run("wgan", clip_parameters="weights"),
    "image-wgan-gp": lambda: image_run("wgan-gp"),
    "image-gan-minimax": lambda: image_run("gan-minimax"),
    "image-gan-logd": lambda: image_run("gan-logd"),
}

# fmt: off
RECORDED: dict[str, list[str]] = {
    'critic-clip': ['0x1.3504580000000p-14', '0x1.c359de4e00000p-2', '0x1.4d8da80000000p-16', '0x1.4d8da80000000p-16', '0x1.7577e80000000p-15', '0x1.7577e80000000p-15', '0x1.3504580000000p-14', '0x1.3504580000000p-14'],
    'critic-gp': ['0x1.406e700000000p-7', '0x1.0cc91f0e58000p+3', '-0x1.3eb7842840000p+3', '0x1.937d7c0000000p-9', '-0x1.3d63b3a840000p+3', '0x1.9f52be0000000p-8', '-0x1.3c069e6400000p+3', '0x1.406e700000000p-7'],
    'critic-none': ['0x1.a2ac740000000p-3', '0x1.6ac0a0e250000p+3', '0x1.30cd140000000p-5', '0x1.30cd140000000p-5', '0x1.a1a5ec0000000p-4', '0x1.a1a5ec0000000p-4', '0x1.a2ac740000000p-3', '0x1.a2ac740000000p-3'],
    'critic-spectral': ['0x1.a67efc0000000p-2', '0x1.05fa2adfcb900p+3', '0x1.e438680000000p-4', '0x1.e438680000000p-4', '0x1.ff7f700000000p-3', '0x1.ff7f700000000p-3', '0x1.a6b5540000000p-2', '0x1.a6b5540000000p-2'],
    'discriminator': ['0x1.84397efa39ef0p-5', '0x1.66da8d0ae0000p+3', '-0x1.5e397c0000000p+0', '-0x1.5660ba0000000p+0', '-0x1.4aa0980000000p+0'],
    'image-gan-logd': ['0x1.7e55c40000000p+0', '-0x1.b719400000000p-5', '0x1.6466e80000000p-1', '0x1.6cd1a40000000p+0', '-0x1.3dae800000000p-6', '0x1.616f4e0000000p-1', '0x1.f0f1478e8f800p+3', '0x1.68df0f3dc1800p+4'],
    'image-gan-minimax': ['0x1.7e55c40000000p+0', '-0x1.b719400000000p-5', '-0x1.61a0580000000p-1', '0x1.6cd6100000000p+0', '-0x1.3e3c000000000p-6', '-0x1.64956c0000000p-1', '0x1.f0f250ec45000p+3', '0x1.68f1c66827c00p+4'],
    'image-wgan': ['0x1.0e52780000000p-12', '-0x1.0e52780000000p-12', '0x1.031b1a0000000p-14', '0x1.75d9040000000p-13', '-0x1.75d9040000000p-13', '0x1.4aea540000000p-15', '-0x1.0b79aa5de0000p-5', '0x1.6a25caa350800p+4'],
    'image-wgan-gp': ['0x1.8ea6f40000000p+1', '-0x1.5471f80000000p-3', '-0x1.7512700000000p-8', '0x1.4450820000000p+1', '-0x1.23bc840000000p-3', '-0x1.df925e0000000p-7', '0x1.f20a394488000p+3', '0x1.68ebd93433c00p+4'],
    'image-wgan-weights': ['0x1.b04ba80000000p-6', '-0x1.b04ba80000000p-6', '0x1.7a39d80000000p-12', '-0x1.e375220000000p-7', '0x1.e375220000000p-7', '-0x1.133ba00000000p-8', '0x1.fa76ef9609000p+3', '0x1.696bc811bc800p+4'],
    'lines-gan-logd': ['0x1.0000000000000p+0', '0x1.999b320000000p-1', '0x1.3d38240000000p-1', '0x1.d917f20000000p-2', '0x1.4b2bc80000000p-2', '0x1.ae260c0000000p-10', '0x1.d9cb180000000p-9', '0x1.5d7d340000000p-8', '0x1.b96a900000000p-8'],
    'lines-gan-minimax': ['0x1.0000000000000p+0', '0x1.999b320000000p-1', '0x1.3d3abc0000000p-1', '0x1.d920b00000000p-2', '0x1.4b32000000000p-2', '0x1.ae4b6e0000000p-10', '0x1.d9a5d60000000p-9', '0x1.5d55c00000000p-8', '0x1.b9528a0000000p-8'],
    'lines-wgan': ['0x1.0000000000000p+0', '0x1.99e4020000000p-1', '0x1.3ca8720000000p-1', '0x1.ec64420000000p-2', '0x1.79d6740000000p-2', '0x1.26b2be0000000p-15', '0x1.59ded40000000p-14', '0x1.7119420000000p-14', '0x1.7119420000000p-14'],
    # the critic's Adam takes the toy row's betas (0.5, 0.9), those of WGAN-GP's toy script (CHANGELOG, 0.2.0)
    'lines-wgan-gp': ['0x1.0000000000000p+0', '0x1.999a660000000p-1', '0x1.3c743c0000000p-1', '0x1.d4eb740000000p-2', '0x1.3ff5cc0000000p-2', '0x1.aea3b20000000p-9', '0x1.f2e48c0000000p-8', '0x1.7eb0620000000p-7', '0x1.07eba40000000p-6'],
    'sweep-clip': ['0x1.0aea1e0000000p-14', '0x1.e8a9000000000p-12', '0x1.637f57ef00000p-1'],
    'sweep-gp': ['0x1.3cca3c0000000p-6', '0x1.c3c3920000000p-7', '0x1.c60c720370000p+3'],
    'toy-gan-logd': ['0x1.62e4300000000p+0', '0x1.62adea0000000p+0', '0x1.631be80000000p-1', '0x1.6264600000000p+0', '0x1.6244d80000000p+0', '0x1.638ec20000000p-1', '0x1.6203fe0000000p+0', '0x1.61c2540000000p+0', '0x1.64145c0000000p-1', '0x1.93773e0000000p-1', '0x1.7ec3820000000p-3', '0x1.66d8f00000000p-3', '0x1.5fa2260000000p-3', '0x1.4f9e5c0000000p-3', '0x1.56966e0000000p-3', '-0x1.88568cd380000p+0', '-0x1.76ec5a3200000p-1'],
    'toy-gan-minimax': ['0x1.62e4300000000p+0', '0x1.62adea0000000p+0', '-0x1.62ac7c0000000p-1', '0x1.6264600000000p+0', '0x1.6244d80000000p+0', '-0x1.6239d60000000p-1', '0x1.6203fe0000000p+0', '0x1.61c2540000000p+0', '-0x1.61b4b80000000p-1', '0x1.93773e0000000p-1', '0x1.7ec3820000000p-3', '0x1.66d8f00000000p-3', '0x1.5fa2260000000p-3', '0x1.4f9e5e0000000p-3', '0x1.5696700000000p-3', '-0x1.88568c6100000p+0', '-0x1.76ed487600000p-1'],
    'toy-wgan': ['-0x0.0p+0', '-0x1.1027b00000000p-17', '-0x1.a01d100000000p-15', '-0x1.fbae540000000p-16', '-0x1.68d2100000000p-15', '-0x1.d416ee0000000p-14', '-0x1.c9e4680000000p-15', '-0x1.2311b80000000p-14', '-0x1.c35d8e0000000p-14', '0x1.ca82720000000p-1', '0x1.c6bbc40000000p-2', '0x1.4533700000000p-2', '0x1.4fcd800000000p-2', '0x1.1bc7960000000p-2', '0x1.aa4b5c0000000p-3', '0x1.b21fbdd000000p-5', '-0x1.884535dc00000p-1'],
    'toy-wgan-adam': ['-0x0.0p+0', '-0x1.b3ade00000000p-21', '-0x1.bf8dde0000000p-18', '-0x1.128c3c0000000p-19', '-0x1.5a34f00000000p-19', '-0x1.18439c0000000p-17', '-0x1.fedd700000000p-19', '-0x1.44311c0000000p-18', '-0x1.13f27a0000000p-16', '0x1.ca72040000000p-1', '0x1.5bb43a0000000p-2', '0x1.54be540000000p-2', '0x1.64b3680000000p-2', '0x1.7984200000000p-2', '0x1.76be2c0000000p-2', '-0x1.e57445b800000p-4', '-0x1.a44aa57900000p-1'],
    'toy-wgan-gp': ['0x1.99999a0000000p-4', '0x1.90ee740000000p-4', '-0x1.07a52c0000000p-12', '0x1.8951840000000p-4', '0x1.7c58560000000p-4', '-0x1.c2e8d40000000p-12', '0x1.70acf80000000p-4', '0x1.68ab0c0000000p-4', '-0x1.5b7c300000000p-12', '0x1.93773a0000000p-1', '0x1.8b9b0e0000000p-3', '0x1.7176940000000p-3', '0x1.745cda0000000p-3', '0x1.7350360000000p-3', '0x1.6cb2180000000p-3', '-0x1.8fcd441880000p+0', '-0x1.8e03a24000000p-1'],
}
# fmt: on


@pytest.mark.parametrize("name", sorted(RUNS))
def test_every_trainer_keeps_its_numbers_bit_for_bit(name):
    assert RUNS[name]() == RECORDED[name]


if __name__ == "__main__":  # print the table to paste into RECORDED
    torch.set_num_threads(1)
    for name in sorted(RUNS):
        print(f"    {name!r}: {RUNS[name]()!r},")


# ----------------------------------------------------------------- the steps, against references
class TinyCritic(torch.nn.Module):
    """f_w(x) = v . tanh(W x + b) + d on R^1, float64: small enough to differentiate by hand."""

    def __init__(self, seed: int = 0):
        super().__init__()
        draw = torch.Generator().manual_seed(seed)
        self.W = torch.nn.Parameter(torch.randn(3, 1, generator=draw, dtype=torch.float64))
        self.b = torch.nn.Parameter(torch.randn(3, generator=draw, dtype=torch.float64))
        self.v = torch.nn.Parameter(torch.randn(3, generator=draw, dtype=torch.float64))
        self.d = torch.nn.Parameter(torch.randn((), generator=draw, dtype=torch.float64))

    def forward(self, x):
        return torch.tanh(x @ self.W.T + self.b) @ self.v + self.d


def eq3_numpy(parameters: dict, real: np.ndarray, fake: np.ndarray) -> float:
    """Eq. (3), 1/m sum f_w(x) - 1/m sum f_w(g(z)), in numpy, from the parameters alone."""

    def f(x):
        return np.tanh(x[:, None] * parameters["W"][:, 0] + parameters["b"]) @ parameters["v"] + parameters["d"]

    return float(f(real).mean() - f(fake).mean())


def batches():
    draw = torch.Generator().manual_seed(1)
    real = torch.randn(16, 1, generator=draw, dtype=torch.float64)
    fake = torch.randn(16, 1, generator=draw, dtype=torch.float64) + 2.0
    return real, fake


def test_critic_update_descends_minus_eq_3_by_its_finite_difference_gradient():
    """With SGD at step h, critic_update moves w by -h grad(-eq. (3)) = h grad(eq. (3)); the gradient
    of eq. (3) by central differences of a numpy evaluation agrees to 1e-8."""
    from wgan_toys.algorithm1 import CriticObjective, critic_update
    from wgan_toys.lipschitz import NoConstraint

    critic, constraint = TinyCritic(), NoConstraint()
    real, fake = batches()
    before = {name: p.detach().numpy().copy() for name, p in critic.named_parameters()}
    step = 1e-3
    optimizer = torch.optim.SGD(critic.parameters(), lr=step)
    loss, estimate = critic_update(
        critic, CriticObjective(critic, constraint), optimizer, constraint, lambda: real, lambda: fake
    )
    reference = eq3_numpy(before, real.numpy()[:, 0], fake.numpy()[:, 0])
    assert float(estimate.detach()) == pytest.approx(reference, abs=1e-12) and float(loss.detach()) == pytest.approx(
        -reference
    )
    h = 1e-6
    for name, parameter in critic.named_parameters():
        moved = (parameter.detach().numpy() - before[name]) / step  # = grad of eq. (3)
        for index in np.ndindex(before[name].shape):
            up = {k: v.copy() for k, v in before.items()}
            down = {k: v.copy() for k, v in before.items()}
            up[name][index] += h
            down[name][index] -= h
            difference = (
                eq3_numpy(up, real.numpy()[:, 0], fake.numpy()[:, 0])
                - eq3_numpy(down, real.numpy()[:, 0], fake.numpy()[:, 0])
            ) / (2 * h)
            assert moved[index] == pytest.approx(difference, abs=1e-8), (name, index)


def test_weight_clipping_after_the_update_keeps_every_parameter_in_the_box():
    """Line 7 after line 6: a large step throws parameters out of [-c, c]; every one ends inside,
    those the step left inside are the plain SGD step, and those outside sit on the walls."""
    from wgan_toys.algorithm1 import CriticObjective, critic_update
    from wgan_toys.lipschitz import WeightClipping

    c = 0.05
    critic, plain = TinyCritic(), TinyCritic()
    constraint = WeightClipping(c)
    constraint.prepare(critic)
    with torch.no_grad():
        for p, q in zip(plain.parameters(), critic.parameters()):
            p.copy_(q)
    real, fake = batches()
    for network in (critic, plain):
        optimizer = torch.optim.SGD(network.parameters(), lr=0.5)
        rule = constraint if network is critic else WeightClipping(1e9)  # the unclipped step
        critic_update(network, CriticObjective(network, rule), optimizer, rule, lambda: real, lambda: fake)
    clipped = torch.cat([p.detach().flatten() for p in critic.parameters()])
    stepped = torch.cat([p.detach().flatten() for p in plain.parameters()])
    assert bool((clipped.abs() <= c).all())
    inside = stepped.abs() <= c
    assert bool((clipped[inside] == stepped[inside]).all())
    assert bool((clipped[~inside] == c * stepped[~inside].sign()).all()) and int((~inside).sum()) > 0


def test_gradient_penalty_term_is_the_hand_computed_penalty_on_a_linear_critic():
    """f(x) = a . x + b has gradient a at every interpolate, so the penalty is lambda (|a| - 1)^2
    whatever epsilon; the objective adds it to -eq. (3)."""
    from wgan_toys.algorithm1 import CriticObjective
    from wgan_toys.lipschitz import GradientPenalty

    a, b, weight = np.array([0.3, -2.0]), 0.7, 4.0
    critic = torch.nn.Linear(2, 1).double()
    with torch.no_grad():
        critic.weight.copy_(torch.tensor(a)[None])
        critic.bias.fill_(b)
    draw = torch.Generator().manual_seed(2)
    real, fake = torch.randn(32, 2, dtype=torch.float64, generator=draw), torch.randn(32, 2, dtype=torch.float64)
    objective = CriticObjective(critic, GradientPenalty(weight), rng=torch.Generator().manual_seed(3))
    loss, estimate = objective(real, fake)
    by_hand_estimate = float((real.numpy() @ a).mean() - (fake.numpy() @ a).mean())
    by_hand_penalty = weight * (math.hypot(*a) - 1.0) ** 2
    assert float(estimate) == pytest.approx(by_hand_estimate, abs=1e-12)
    assert float(loss.detach()) == pytest.approx(-by_hand_estimate + by_hand_penalty, rel=1e-12)


def test_generator_update_steps_theta_along_the_critics_slope_and_leaves_w_alone():
    """Lines 9-11 on Example 1's g_theta(z) = (theta, z) against f(x) = a . x: -1/m sum f(g(z)) has
    theta-gradient -a_0, so SGD at step h moves theta by h a_0; w is unchanged and trainable again."""
    from wgan_toys.algorithm1 import generator_update

    critic = torch.nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[0.25, -1.5]]))
        critic.bias.fill_(0.1)
    weights = [p.detach().clone() for p in critic.parameters()]
    theta = torch.tensor(1.0, requires_grad=True)
    optimizer = torch.optim.SGD([theta], lr=0.1)
    generator_update(
        critic, lambda z: torch.stack([theta.expand(len(z)), z], dim=1), optimizer, "wgan", lambda: torch.rand(8)
    )
    assert float(theta.detach()) == pytest.approx(1.0 + 0.1 * 0.25, abs=1e-7)
    assert all(torch.equal(p, q) for p, q in zip(critic.parameters(), weights))
    assert all(p.requires_grad and p.grad is None for p in critic.parameters())


def test_optimisers_come_from_the_defaults_table(monkeypatch):
    """make_optimizer reads objectives.DEFAULTS: change a row and the toy trainer's optimisers follow."""
    import dataclasses

    from wgan_toys import objectives
    from wgan_toys.toy_gan import ToyConfig, ToyGAN

    row = objectives.DEFAULTS[("wgan-gp", "toy")]
    monkeypatch.setitem(objectives.DEFAULTS, ("wgan-gp", "toy"), dataclasses.replace(row, betas=(0.25, 0.75)))
    trainer = ToyGAN(ToyConfig(algorithm="wgan-gp", width=8, depth=1))
    for optimizer in (trainer.critic_optimizer, trainer.generator_optimizer):
        assert optimizer.defaults["betas"] == (0.25, 0.75) and optimizer.defaults["lr"] == row.learning_rate


def test_adam_on_a_row_without_betas_names_the_missing_betas():
    """The paper's WGAN row is RMSProp and has no betas: Adam asked for on it without betas is a
    ValueError that names betas and the row, and Adam with given betas is made with them."""
    from wgan_toys.algorithm1 import make_optimizer
    from wgan_toys.objectives import DEFAULTS

    assert DEFAULTS[("wgan", "paper")].betas is None
    parameters = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError, match=r"betas == None and the row \('wgan', 'paper'\)"):
        make_optimizer(parameters, "wgan", "paper", optimizer="adam")
    optimizer = make_optimizer(parameters, "wgan", "paper", optimizer="adam", betas=(0.5, 0.9))
    assert isinstance(optimizer, torch.optim.Adam) and optimizer.defaults["betas"] == (0.5, 0.9)


def test_no_trainer_takes_its_own_optimiser_step():
    """Only algorithm1 calls backward() for a critic or a generator: a trainer that copies the step
    shows up here (the digits classifier of images.quality trains a classifier, not Algorithm 1)."""
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "wgan_toys"
    allowed = {"algorithm1.py", "quality.py"}
    copies = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name not in allowed and ".backward()" in path.read_text()
    ]
    assert not copies, f"these modules call .backward() themselves instead of wgan_toys.algorithm1: {copies}"
