"""wgan_toys: the Wasserstein GAN paper (Arjovsky, Chintala, Bottou 2017) as toys you can run and check.

Modules, one concern each:

- ``distributions``: Example 1's ``ParallelLines(theta)``, ``NoisyParallelLines(theta, noise_std)`` (Section 1's
  noise remedy), ``Gaussian1D(mean, std)``, ``Uniform1D``, ``Discrete1D``.
- ``likelihood``: Section 1's maximum likelihood on Example 1 with noise, its limit KL(P_r || P_theta).
- ``distances``: exact TV, KL, JS, EM (Wasserstein-1) for every pair of laws above; ``gaussian_distances`` holds the
  closed forms for two Gaussians, ``quadrature`` the quadrature references that check them.
- ``empirical``: the same distances from samples or weighted points (POT's exact solver, histograms).
- ``transport``: exact transport plans, Kantorovich potentials, the exact optimal critic.
- ``verify``: every numerical check of the paper's claims, as a table (``wgan-toys verify``).
- ``plots``: the paper's figures and transport pictures (imports matplotlib; not loaded here).
- ``runtime``: the device helper and the seed helpers.
- ``cli``: the ``wgan-toys`` command.

``import wgan_toys`` loads numpy only: torch, POT, scipy and matplotlib load when first used. The
trainers and the other modules are reached from here too, each imported on first use (a module
``__getattr__``): ``wgan_toys.train_critic(real, fake)``, ``wgan_toys.ToyGAN``,
``wgan_toys.ImageTrainer``, ``wgan_toys.Classroom``, ``wgan_toys.verify.run_checks()``.
"""

import importlib

from .distances import (
    LOG_2,
    all_distances,
    js_divergence,
    kl_divergence,
    total_variation,
    wasserstein_1,
    wasserstein_2,
)
from .distributions import Discrete1D, Gaussian1D, NoisyParallelLines, ParallelLines, Uniform1D

__version__ = "0.1.0"

# name -> the module that defines it, imported when the name is first read
_LAZY = {
    "critic_update": "algorithm1",
    "generator_update": "algorithm1",
    "make_optimizer": "algorithm1",
    "FitSettings": "fit_settings",  # no torch: the settings alone
    "NetworkShape": "fit_settings",
    "train_critic": "train",
    "train_critic_sweep": "sweep",
    "train_discriminator": "train",
    "learn_parallel_lines": "parallel_lines",
    "ToyConfig": "toy_gan",
    "ToyGAN": "toy_gan",
    "ImageConfig": "images.trainer",
    "ImageTrainer": "images.trainer",
    "Classroom": "classroom",
    "run_checks": "verify",
}
# the modules, imported when first read as attributes (wgan_toys.verify, wgan_toys.plots, ...)
_MODULES = (
    "algorithm1",
    "classroom",
    "cli",
    "empirical",
    "experiments",
    "exercises",
    "fit_settings",
    "images",
    "lipschitz",
    "measure",
    "networks",
    "objectives",
    "optimal",
    "parallel_lines",
    "plots",
    "runtime",
    "sweep",
    "toy_gan",
    "toys2d",
    "train",
    "transport",
    "verify",
)


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # the next read finds it without this function
        return value
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_MODULES))


# what ``from wgan_toys import *`` takes: the numpy-only names (the lazy ones would load torch)
__all__ = [
    "LOG_2",
    "Discrete1D",
    "Gaussian1D",
    "NoisyParallelLines",
    "ParallelLines",
    "Uniform1D",
    "all_distances",
    "js_divergence",
    "kl_divergence",
    "total_variation",
    "wasserstein_1",
    "wasserstein_2",
]
