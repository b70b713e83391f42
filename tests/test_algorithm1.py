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


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread (sums in one order: the recorded numbers are those of one thread)."""
    from wgan_toys.runtime import set_threads

    before = torch.get_num_threads()
    set_threads(1)
    yield
    torch.set_num_threads(before)


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
    from wgan_toys.train import train_critic_sweep

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

    config = ToyConfig(
        algorithm=algorithm, critic_optimizer=critic_optimizer, batch_size=32, width=16, depth=2, seed=7
    )
    trainer = ToyGAN(config)
    losses = []
    for _ in range(3):
        losses += [trainer.critic_step() for _ in range(2)]
        losses.append(trainer.generator_step_update())
    cosines = trainer._recent["step_cosine"]
    return hexes(*losses, *cosines, parameter_sum(trainer.critic), parameter_sum(trainer.generator))


IMAGE_RUN = dict(
    image_size=16,
    filters=8,
    noise_dim=16,
    mlp_width=32,
    batch_size=16,
    generator_steps=2,
    device="cpu",
    threads=1,
    precision="fp32",
    held_out=100,
)


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
    "lines-gan-minimax": lambda: parallel_lines_run("gan"),
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
    'lines-wgan-gp': ['0x1.0000000000000p+0', '0x1.999a3e0000000p-1', '0x1.3d14980000000p-1', '0x1.d8d2580000000p-2', '0x1.4562dc0000000p-2', '0x1.0c48c00000000p-8', '0x1.2a0e800000000p-7', '0x1.b706980000000p-7', '0x1.2cb1e40000000p-6'],
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
