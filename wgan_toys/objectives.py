r"""The losses of Algorithm 1 and of its GAN baseline, written once for every trainer.

Every training loop of the package (``train``, ``parallel_lines``, ``toy_gan``,
``images.trainer``, ``measure``) computes its losses here, so that one formula has one
implementation:

- :func:`wasserstein_estimate`: eq. (3)'s :math:`\mathbb{E}_r f_w - \mathbb{E}_g f_w`, positive
  once the critic separates real from fake; the critic minimises ``critic_loss = -estimate``
  (plus a penalty for WGAN-GP), Algorithm 1, lines 5-6.
- :func:`gan_objective`: the discriminator's :math:`L(D) = \mathbb{E}_r \log D + \mathbb{E}_g
  \log(1 - D)` (Section 4.2), from logits, with :math:`\log \sigma(\ell) = -\mathrm{softplus}(-\ell)`
  and :math:`\log(1 - \sigma(\ell)) = -\mathrm{softplus}(\ell)`, stable for any logit.
- :func:`js_estimate`: :math:`\tfrac12 L(D) + \log 2 \le JS`, with equality at
  :math:`D^* = p_r / (p_r + p_g)` (the quantity of Figure 4).
- :func:`generator_losses`: what the generator descends, per sample, for each of
  :data:`GENERATOR_LOSSES`: ``"wgan"`` :math:`-f_w(g_\theta(z))` (Algorithm 1, line 10);
  ``"gan-minimax"`` :math:`\log(1 - D(g_\theta(z)))`; ``"gan-logd"`` :math:`-\log D(g_\theta(z))`,
  the "-log D trick" of the paper's DCGAN baseline (Section 4.1).

References: Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875.
"""

from __future__ import annotations

import torch
from torch.nn import functional

from .distances import LOG_2

__all__ = ["GENERATOR_LOSSES", "wasserstein_estimate", "gan_objective", "js_estimate", "generator_losses"]

GENERATOR_LOSSES = ("wgan", "gan-minimax", "gan-logd")


def wasserstein_estimate(critic_real: torch.Tensor, critic_fake: torch.Tensor) -> torch.Tensor:
    r"""Eq. (3): :math:`\frac1m \sum f_w(x^{(i)}) - \frac1m \sum f_w(g_\theta(z^{(i)}))`.

    Parameters
    ----------
    critic_real, critic_fake : Tensor, shape (m,) or (m, 1)
        The critic's outputs on a real and a generated batch.

    Returns
    -------
    Tensor, shape ()
        Positive for a critic that scores real above fake; ``-estimate`` is the critic's loss.
    """
    return critic_real.mean() - critic_fake.mean()


def gan_objective(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r""":math:`L(D) = \mathbb{E}_r \log D + \mathbb{E}_g \log(1 - D)` from the discriminator's
    logits (Section 4.2); the discriminator maximises it, and :math:`\max_D L = 2 JS - 2 \log 2`."""
    return -functional.softplus(-real_logits).mean() - functional.softplus(fake_logits).mean()


def js_estimate(objective):
    r""":math:`\tfrac12 L(D) + \log 2`, a lower bound on JS (1/2 convention), tight at :math:`D^*`."""
    return 0.5 * objective + LOG_2


def generator_losses(kind: str, output: torch.Tensor) -> torch.Tensor:
    r"""The generator's loss for each generated point, from the critic's output there.

    Parameters
    ----------
    kind : {"wgan", "gan-minimax", "gan-logd"}
        ``"wgan"``: :math:`-f_w(x)`; ``"gan-minimax"``: :math:`\log(1 - D(x)) =
        -\mathrm{softplus}(\ell(x))`; ``"gan-logd"``: :math:`-\log D(x) = \mathrm{softplus}(-\ell(x))`,
        with :math:`\ell` the discriminator's logit.
    output : Tensor
        The critic's values or the discriminator's logits at the generated points.

    Returns
    -------
    Tensor, the shape of ``output``; the generator descends its mean.
    """
    if kind == "wgan":
        return -output
    if kind == "gan-minimax":
        return -functional.softplus(output)
    if kind == "gan-logd":
        return functional.softplus(-output)
    raise ValueError(f"kind == {kind!r}, must be one of {', '.join(GENERATOR_LOSSES)}.")
