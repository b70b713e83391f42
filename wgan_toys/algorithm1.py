r"""Algorithm 1 of the paper, written once: the critic update, the generator update and the optimisers
that every trainer of the package calls.

The paper's pseudo-code (Arjovsky, Chintala, Bottou 2017, Algorithm 1; defaults
:math:`\alpha = 0.00005`, :math:`c = 0.01`, :math:`m = 64`, :math:`n_{critic} = 5`), numbered as
the paper's text cites it ("lines 2-8" train the critic, "line 10" the generator, Section 4.2):

.. code-block:: text

     1: while theta has not converged do
     2:     for t = 0, ..., n_critic do
     3:         Sample {x^(i)} ~ P_r, a batch from the real data.
     4:         Sample {z^(i)} ~ p(z), a batch of prior samples.
     5:         g_w <- grad_w [ 1/m sum_i f_w(x^(i)) - 1/m sum_i f_w(g_theta(z^(i))) ]
     6:         w <- w + alpha * RMSProp(w, g_w)
     7:         w <- clip(w, -c, c)
     8:     end for
     9:     Sample {z^(i)} ~ p(z), a batch of prior samples.
    10:     g_theta <- -grad_theta 1/m sum_i f_w(g_theta(z^(i)))
    11:     theta <- theta - alpha * RMSProp(theta, g_theta)
    12: end while

Here, in the same order:

- :class:`CriticObjective`: line 5's bracket, eq. (3), as a loss to descend
  (``-wasserstein_estimate``), plus the constraint's penalty for WGAN-GP (eq. (3) of Gulrajani et
  al.); or, for a GAN discriminator, :math:`-L(D)` (Section 4.2).
- :func:`critic_update`: lines 3-7, one critic (or discriminator) update, with the Lipschitz
  constraint as a swappable object (:mod:`~wgan_toys.lipschitz`): weight clipping after the step
  (line 7), the gradient penalty inside the loss, spectral normalisation in the layers, or none.
- :func:`generator_update`: lines 9-11, one generator update on one of the generator losses of
  :func:`~wgan_toys.objectives.generator_losses` (line 10's :math:`-f_w`, or a GAN's).
- :func:`make_optimizer`: lines 6 and 11's optimiser, read from
  :data:`~wgan_toys.objectives.DEFAULTS` and nowhere else (RMSProp for WGAN, Adam for WGAN-GP and
  the GANs).

The trainers add data, devices, logging and stopping rules around these steps and never copy
them: ``train`` (critics and discriminators trained to optimality between two fixed laws),
``parallel_lines`` (Example 1's theta), ``toy_gan`` (the 2D toys and the classroom) and
``images.trainer`` (Section 4).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, eq. (3), Algorithm 1, Section 4.2.
Gulrajani et al. (2017), arXiv:1704.00028, eq. (3), Algorithm 1.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import torch
from torch import nn

from .lipschitz import LipschitzConstraint
from .objectives import algorithm_defaults, gan_objective, generator_losses, js_estimate, wasserstein_estimate

__all__ = ["CriticObjective", "critic_update", "generator_update", "make_optimizer"]


def make_optimizer(
    parameters,
    algorithm: str,
    scale: str,
    *,
    learning_rate: float | None = None,
    betas: tuple[float, float] | None = None,
    optimizer: str | None = None,
) -> torch.optim.Optimizer:
    r"""The optimiser of Algorithm 1, lines 6 and 11, from the row ``(algorithm, scale)`` of
    :data:`~wgan_toys.objectives.DEFAULTS`.

    Parameters
    ----------
    parameters : iterable of Tensor
        w (the critic's) or theta (the generator's).
    algorithm, scale : str
        The row of ``DEFAULTS``: an algorithm at ``"paper"`` or ``"toy"`` scale, or a constraint
        (``"clip"``, ``"gp"``, ``"spectral"``, ``"none"``) or ``"discriminator"`` at ``"fit"``
        scale (networks trained to optimality between two fixed laws).
    learning_rate : float, optional
        alpha; None takes the row's.
    betas : (float, float), optional
        Adam's; None takes the row's (ignored by RMSProp).
    optimizer : {"rmsprop", "adam"}, optional
        None takes the row's (Section 4.2's momentum test puts Adam on a WGAN critic).

    Returns
    -------
    torch.optim.Optimizer
        ``RMSprop(lr=alpha)`` (Algorithm 1) or ``Adam(lr=alpha, betas=betas)`` (WGAN-GP's Algorithm 1).
    """
    row = algorithm_defaults(algorithm, scale)
    name = row.optimizer if optimizer is None else optimizer
    alpha = row.learning_rate if learning_rate is None else learning_rate
    if name == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=alpha)
    if name == "adam":
        chosen = row.betas if betas is None else betas
        if chosen is None:
            raise ValueError(
                f"betas == None and the row ({algorithm!r}, {scale!r}) has none; give Adam's betas, e.g. (0.5, 0.9)."
            )
        return torch.optim.Adam(parameters, lr=alpha, betas=chosen)
    raise ValueError(f"optimizer == {name!r}, must be 'rmsprop' or 'adam'.")


def _widen(values: torch.Tensor) -> torch.Tensor:
    """Half-precision outputs (bfloat16 autocast) in float32 for the losses; float32 and float64 as they are."""
    return values.float() if values.dtype in (torch.bfloat16, torch.float16) else values


class CriticObjective(nn.Module):
    r"""The loss the critic descends: Algorithm 1, line 5, as one module (so that
    DistributedDataParallel sees one forward per backward).

    WGAN: :math:`-\big(\frac1m \sum_i f_w(x^{(i)}) - \frac1m \sum_i f_w(g_\theta(z^{(i)}))\big)`,
    the negative of eq. (3)'s estimate, plus the constraint's penalty where it has one (WGAN-GP,
    eq. (3) of Gulrajani et al.). Discriminator: :math:`-L(D) = -\mathbb{E}_r \log D -
    \mathbb{E}_g \log(1 - D)` from logits (Section 4.2).

    Parameters
    ----------
    critic : nn.Module
        f_w (the discriminator's logits when ``discriminator``).
    constraint : LipschitzConstraint
        Its ``penalty`` joins the loss when ``constraint.penalizes`` (the gradient penalty).
    discriminator : bool, default=False
        Descend :math:`-L(D)` instead of eq. (3).
    rng : torch.Generator, optional
        The source of the penalty's mixing weights epsilon.
    joint_batch : bool, default=False
        Evaluate the critic once on real and fake concatenated (not with batch norm, whose
        statistics would then mix the two).
    stacked : bool, default=False
        S critics at once (:class:`~wgan_toys.networks.StackedCritics`, batches (S, m, d)): the
        loss is the sum of their S losses, whose gradient is block-separate.

    Returns (from ``forward(real, fake, epsilon=None)``)
    -------
    (loss, estimate) : (Tensor, Tensor)
        The loss to descend and, detached, eq. (3)'s estimate (WGAN, shape (S,) when stacked) or
        the JS estimate :math:`\tfrac12 L(D) + \log 2` (discriminator).
    """

    def __init__(
        self,
        critic: nn.Module,
        constraint: LipschitzConstraint,
        *,
        discriminator: bool = False,
        rng: torch.Generator | None = None,
        joint_batch: bool = False,
        stacked: bool = False,
    ):
        super().__init__()
        self.critic, self.constraint, self.discriminator = critic, constraint, discriminator
        self.rng, self.joint_batch, self.stacked = rng, joint_batch, stacked

    def forward(self, real: torch.Tensor, fake: torch.Tensor, epsilon: torch.Tensor | None = None):
        if self.joint_batch:
            real_out, fake_out = self.critic(torch.cat([real, fake])).split(len(real))
        else:
            real_out, fake_out = self.critic(real), self.critic(fake)
        real_out, fake_out = _widen(real_out), _widen(fake_out)
        if self.discriminator:  # -L(D), Section 4.2; JS estimate = L(D) / 2 + log 2 (Figure 4)
            objective = gan_objective(real_out, fake_out)
            return -objective, js_estimate(objective.detach())
        if self.stacked:  # one eq. (3) per critic, shape (S,)
            estimate = real_out.mean(dim=1) - fake_out.mean(dim=1)
        else:
            estimate = wasserstein_estimate(real_out, fake_out)  # eq. (3)
        loss = -estimate
        if self.constraint.penalizes:  # WGAN-GP: lambda E[(||grad f(x_hat)|| - 1)^2]
            batch_dims = 2 if self.stacked else 1
            loss = loss + self.constraint.penalty(
                self.critic, real, fake, self.rng, batch_dims=batch_dims, epsilon=epsilon
            )
        return (loss.sum() if self.stacked else loss), estimate.detach()


def critic_update(
    critic: nn.Module,
    objective: Callable,
    optimizer: torch.optim.Optimizer,
    constraint: LipschitzConstraint,
    sample_real: Callable[[], torch.Tensor],
    sample_fake: Callable[[], torch.Tensor],
    *,
    check: Callable[[torch.Tensor], None] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""One critic (or discriminator) update: Algorithm 1, lines 3-7.

    Parameters
    ----------
    critic : nn.Module
        f_w, the network whose parameters w the step moves and the constraint keeps in bounds.
    objective : CriticObjective, or a callable ``(real, fake) -> (loss, estimate)``
        Line 5's loss (a trainer may wrap the module: DistributedDataParallel, autocast, epsilon).
    optimizer : torch.optim.Optimizer
        Over w (:func:`make_optimizer`).
    constraint : LipschitzConstraint
        ``constraint.after_update(critic)`` runs after the step (line 7: clipping; nothing for the
        penalty, spectral normalisation or a discriminator).
    sample_real, sample_fake : callable
        ``sample_real()`` draws m real points (line 3), then ``sample_fake()`` maps m prior
        samples through g_theta, with no gradient to theta (line 4); called in this order.
    check : callable, optional
        ``check(loss)`` before the step: a trainer's divergence check (it raises).

    Returns
    -------
    (loss, estimate) : (Tensor, Tensor)
        As ``objective`` returned them; the loss keeps its graph until the caller drops it.
    """
    # Alg. 1, line 3: sample {x^(i)}_{i=1}^m ~ P_r, a batch from the real data
    real = sample_real()
    # Alg. 1, line 4: sample {z^(i)}_{i=1}^m ~ p(z), a batch of prior samples, as g_theta(z^(i)) (theta fixed)
    fake = sample_fake()
    # Alg. 1, line 5: g_w <- grad_w [1/m sum f_w(x^(i)) - 1/m sum f_w(g_theta(z^(i)))] (we descend its negative)
    loss, estimate = objective(real, fake)
    if check is not None:
        check(loss)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    # Alg. 1, line 6: w <- w + alpha * RMSProp(w, g_w) (or Adam: WGAN-GP, the GANs)
    optimizer.step()
    # Alg. 1, line 7: w <- clip(w, -c, c) (weight clipping; the other constraints do nothing here)
    constraint.after_update(critic)
    return loss, estimate


def generator_update(
    critic: nn.Module,
    generator: Callable[[torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    loss_kind: str,
    sample_prior: Callable[[], torch.Tensor],
    *,
    check: Callable[[torch.Tensor], None] | None = None,
    autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
) -> torch.Tensor:
    r"""One generator update: Algorithm 1, lines 9-11.

    Parameters
    ----------
    critic : nn.Module
        f_w, held fixed: its parameters get no gradient here.
    generator : callable
        g_theta, ``z -> points`` (a network, or Example 1's ``z -> (theta, z)``).
    optimizer : torch.optim.Optimizer
        Over theta.
    loss_kind : {"wgan", "gan-minimax", "gan-logd"}
        The generator's loss (:func:`~wgan_toys.objectives.generator_losses`): ``"wgan"``
        descends :math:`-\frac1m \sum_i f_w(g_\theta(z^{(i)}))` (line 10).
    sample_prior : callable
        ``sample_prior()`` draws m prior samples z (line 9).
    check : callable, optional
        ``check(loss)`` before the step (it raises).
    autocast : callable, optional
        A context for the forward pass (the image trainer's bfloat16).

    Returns
    -------
    Tensor
        The loss, shape ().
    """
    # Alg. 1, line 9: sample {z^(i)}_{i=1}^m ~ p(z), a batch of prior samples
    z = sample_prior()
    critic.requires_grad_(False)  # w is fixed here: no parameter gradients for the critic
    try:
        # Alg. 1, line 10: g_theta <- -grad_theta 1/m sum f_w(g_theta(z^(i))) (or a GAN's generator loss)
        with autocast():
            output = _widen(critic(generator(z)))
        loss = generator_losses(loss_kind, output).mean()
        if check is not None:
            check(loss)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
    finally:
        critic.requires_grad_(True)
    # Alg. 1, line 11: theta <- theta - alpha * RMSProp(theta, g_theta)
    optimizer.step()
    return loss
