"""wgan_toys: the Wasserstein GAN paper (Arjovsky, Chintala, Bottou 2017) as toys you can run and check.

Modules, one concern each:

- ``distributions``: Example 1's ``ParallelLines(theta)``, ``NoisyParallelLines(theta, noise_std)`` (Section 1's
  noise remedy), ``Gaussian1D(mean, std)``, ``Uniform1D``, ``Discrete1D``.
- ``likelihood``: Section 1's maximum likelihood on Example 1 with noise, its limit KL(P_r || P_theta).
- ``distances``: exact TV, KL, JS, EM (Wasserstein-1), closed forms and quadrature references.
- ``empirical``: the same distances from samples or weighted points (POT's exact solver, histograms).
- ``transport``: exact transport plans, Kantorovich potentials, the exact optimal critic.
- ``verify``: every numerical check of the paper's claims, as a table (``wgan-toys verify``).
- ``plots``: the paper's figures and transport pictures (imports matplotlib; not loaded here).
- ``runtime``: the device helper and the seed helpers.
- ``cli``: the ``wgan-toys`` command.

``import wgan_toys`` loads numpy only: torch, POT, scipy and matplotlib load when first used.
"""

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
