r"""Train a WGAN critic or a GAN discriminator to optimality between two fixed laws.

Every loop here is the same loop (:func:`train_until_stopped`): draw fresh batches of the real
law P_r and the generated law P_g, take an optimiser step, apply the constraint, and every
``eval_every`` steps measure the objective on one fixed held-out batch; a network stops when its
held-out objective has not improved by more than ``tolerance`` for ``patience`` evaluations (or
at ``max_steps``). The same code runs on CPU and GPU (``device``). What the loops share is
declared once, in two frozen dataclasses: :class:`FitSettings` (batch size m, steps, learning
rate, stopping rule, held-out size, seed, device) and :class:`NetworkShape` (width, depth,
activation). Every trainer takes ``settings=`` and ``shape=``, and the fields of both as keyword
overrides (``train_critic(real, fake, max_steps=500)``).

Critic, eq. (3), with the sign convention of the whole package:

.. math::

    \text{wasserstein\_estimate} = E_{x \sim P_r} f_w(x) - E_{x \sim P_g} f_w(x) \;(\ge 0),
    \qquad \text{critic\_loss} = -\text{wasserstein\_estimate} + \text{penalty}.

For a family of K-Lipschitz critics the estimate is at most :math:`K \cdot W(P_r, P_g)`
(Section 3); what a trained critic realises, estimate / W, is its *effective slope*, which
depends on the pair of laws and on the run (lesson 4). Discriminator, the GAN objective (Section 4.2, Goodfellow et al.):

.. math::

    L(D, g_\theta) = E_{x \sim P_r} \log D(x) + E_{x \sim P_g} \log(1 - D(x)),
    \qquad \max_D L = 2\, JS(P_r, P_g) - 2 \log 2,

so :math:`\tfrac12 L(D) + \log 2` is a lower bound on JS for every D, tight at
:math:`D^* = p_r / (p_r + p_g)`.

S critics trained together in one batched run (a sweep over c, lambda, seeds or pairs of laws)
are :mod:`~wgan_toys.sweep`'s, on this module's loop and settings; the experiments built on
sweeps are :mod:`~wgan_toys.experiments`'s.

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, eq. (3), Algorithm 1, Section 4.2.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ._validation import check_samples
from .algorithm1 import CriticObjective, critic_update, make_optimizer
from .lipschitz import LipschitzConstraint, NoConstraint, make_constraint
from .networks import make_critic, make_discriminator
from .objectives import gan_objective, js_estimate, wasserstein_estimate
from .runtime import build_seeded, resolve_device, torch_generator

__all__ = [
    "FitSettings",
    "NetworkShape",
    "TrainingResult",
    "TrainingDivergedError",
    "train_critic",
    "train_discriminator",
    "train_until_stopped",
    "make_sampler",
    "gan_objective",
    "StoppingRule",
    "check_finite_loss",
    "samplers_and_heldout",
    "check_sample_scale",
    "SAMPLE_SPREAD",
    "settings_and_shape",
    "SWEEP_SETTINGS",
]


# the settings every loop here reads, declared (torch-free) in their own module
from .fit_settings import SWEEP_SETTINGS, FitSettings, NetworkShape, settings_and_shape


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite; the message names the step and suggests a remedy."""


@dataclass
class TrainingResult:
    """What a training run returns.

    Attributes
    ----------
    network : nn.Module
        The trained critic f_w or discriminator (logits), in eval mode.
    estimate : float
        Critic: ``wasserstein_estimate`` = E_r f - E_g f on the held-out batch (>= 0).
        Discriminator: ``js_lower_bound`` = L(D)/2 + log 2 on the held-out batch.
    history : list of dict
        One row per evaluation: ``step``, ``objective``, ``estimate``, ``seconds``.
    steps : int
    seconds : float
    converged : bool
        False when ``max_steps`` ended the run first.
    constraint : str
        How the network was kept Lipschitz, in words (``"weight clipping, c = 0.01"``).
    """

    network: nn.Module
    estimate: float
    history: list = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    converged: bool = False
    constraint: str = ""


def make_sampler(source, name: str, device):
    """A function ``sample(n, rng) -> Tensor (n, d)`` for a law or for a set of samples.

    ``source`` is a distribution with ``sample_torch`` (fresh draws each call) or an array or
    tensor of samples of shape (N,) or (N, d) (batches drawn with replacement).
    """
    if hasattr(source, "sample_torch"):
        return lambda n, rng: source.sample_torch(n, seed=rng, device=device)
    if isinstance(source, torch.Tensor):
        source = source.detach().cpu().numpy()
    data = torch.as_tensor(check_samples(name, source), dtype=torch.float32, device=device)

    def sample(n, rng):
        index = torch.randint(0, data.shape[0], (n,), generator=rng, device=device)
        return data[index]

    return sample


def check_finite_loss(loss: torch.Tensor, step: int, what: str, remedy: str) -> None:
    """Raise :class:`TrainingDivergedError` naming ``what``, the step and ``remedy`` if ``loss`` is
    NaN or infinite (every training loop here, one critic or a stacked sweep, calls it)."""
    if not torch.isfinite(loss):
        raise TrainingDivergedError(f"{what} became {loss.item()} at step {step}; {remedy}.")


class StoppingRule:
    """Stop when the held-out objective has not risen by > tolerance for ``patience`` checks."""

    def __init__(self, tolerance: float, patience: int):
        self.tolerance, self.patience = tolerance, patience
        self.best, self.waited = -math.inf, 0

    def should_stop(self, objective: float) -> bool:
        if not math.isfinite(self.best) or objective > self.best + self.tolerance * abs(self.best):
            self.best, self.waited = objective, 0
        else:
            self.waited += 1
        return self.waited >= self.patience


# The spread of the samples (root mean square distance to their pooled mean) at which the float32
# networks of this module, initialised, clipped and stepped at unit scale, give their numbers;
# measured on N(0, s^2) against N(2s, s^2), 600 steps: at s = 1e-3 and 1e5 the clipped, penalised
# and GAN fits agree with s = 1; at s = 1e-5 the discriminator's JS estimate is 1.6e-5 instead of
# about 0.3, at 1e-6 clipping's estimate is exactly 0, and at 1e-30 and 1e30 every fit reports 0
# as converged (its updates underflow, or RMSProp's and Adam's squared gradients overflow, which
# starts near s = 1e19).
SAMPLE_SPREAD = (1e-3, 1e15)
SAMPLE_OFFSET = 1e6  # largest |x| over the spread: float32 resolves about 7 digits


def check_sample_scale(real: torch.Tensor, fake: torch.Tensor) -> None:
    """Refuse held-out batches at a scale the float32 networks cannot train at (:data:`SAMPLE_SPREAD`).

    Raises
    ------
    ValueError
        If the pooled points' spread is outside :data:`SAMPLE_SPREAD`, or they sit more than
        :data:`SAMPLE_OFFSET` spreads from 0, with the fix: W1 is 1-homogeneous and
        translation-invariant (W1(c x + b, c y + b) = abs(c) W1(x, y)), so train on rescaled samples.
    """
    points = torch.cat([real.reshape(-1, real.shape[-1]), fake.reshape(-1, fake.shape[-1])]).double()
    spread = float(points.std(dim=0, unbiased=False).norm())
    if spread == 0.0:  # every point the same: nothing to resolve, an estimate of 0 is right
        return
    low, high = SAMPLE_SPREAD
    fix = (
        "the networks are float32, initialised and stepped for data of spread about 1; train on "
        "(x - m) / s for a centre m and scale s of the samples and multiply the estimate by s "
        "(W1(c x + b, c y + b) = |c| W1(x, y))."
    )
    if not low <= spread <= high:
        raise ValueError(
            f"the real and fake samples have spread {spread:.3g} (root mean square distance to their mean), "
            f"must be in [{low:g}, {high:g}]: at this scale the critic's updates "
            f"{'underflow' if spread < low else 'overflow'} and it would report a meaningless estimate "
            f"(0 at 1e-30 and 1e30) as converged; {fix}"
        )
    offset = float(points.abs().max())
    if offset > SAMPLE_OFFSET * spread:
        raise ValueError(
            f"the real and fake samples reach |x| = {offset:.3g}, {offset / spread:.3g} times their spread "
            f"{spread:.3g}, must be at most {SAMPLE_OFFSET:g} times: float32 resolves about 7 digits, so the "
            f"differences between the points are lost; {fix}"
        )


def samplers_and_heldout(real, fake, heldout_size: int, seed, device):
    """The two samplers, the run's random stream and the fixed held-out batches.

    The held-out batches come first from the stream; the training batches follow them. Raises
    if real and fake points have different shapes.
    """
    sample_real, sample_fake = make_sampler(real, "real", device), make_sampler(fake, "fake", device)
    rng = torch_generator(seed, device=device)
    heldout_real, heldout_fake = sample_real(heldout_size, rng), sample_fake(heldout_size, rng)
    if heldout_real.shape[1:] != heldout_fake.shape[1:]:
        raise ValueError(
            f"real points have shape {tuple(heldout_real.shape[1:])} and fake {tuple(heldout_fake.shape[1:])}; they must match."
        )
    check_sample_scale(heldout_real, heldout_fake)
    return sample_real, sample_fake, rng, heldout_real, heldout_fake


@dataclass
class _Run:
    steps: int
    history: list
    converged: np.ndarray  # (S,) bool
    start: float  # time.perf_counter() at the first step


def train_until_stopped(
    critic,
    objective,
    optimizer,
    constraint,
    sample_real,
    sample_fake,
    evaluate,
    settings: FitSettings,
    *,
    members=1,
    what,
    remedy,
) -> _Run:
    """Algorithm 1's critic loop (lines 2-8) with the generator frozen, for one network or S stacked ones.

    Each step is :func:`~wgan_toys.algorithm1.critic_update`: ``sample_real()`` and
    ``sample_fake()`` draw the batches, ``objective`` gives the loss (named ``what`` in a
    divergence error), then the optimiser step and the constraint (clipping, Algorithm 1, line 7).
    Every ``eval_every`` steps ``evaluate()`` gives the held-out objective of each of the
    S = ``members`` networks, shape (S,) or a float, and the rest of a history row; a member stops
    when its objective has not improved for ``patience`` evaluations, and the run ends when every
    member has stopped, or at ``max_steps``. Leaves ``critic`` in eval mode.
    """
    stoppers = [StoppingRule(settings.tolerance, settings.patience) for _ in range(members)]
    history, converged = [], np.zeros(members, dtype=bool)
    start, step = time.perf_counter(), 0
    critic.train()
    for step in range(1, settings.max_steps + 1):
        critic_update(
            critic,
            objective,
            optimizer,
            constraint,
            sample_real,
            sample_fake,
            check=lambda loss: check_finite_loss(loss, step, what, remedy),
        )
        if step % settings.eval_every == 0:
            objectives, row = evaluate()
            objectives = np.atleast_1d(np.asarray(objectives, dtype=float))
            if not np.all(np.isfinite(objectives)):
                shown = objectives.tolist() if objectives.size > 1 else objectives.item()
                raise TrainingDivergedError(f"the held-out objective became {shown} at step {step}; {remedy}.")
            history.append({"step": step, **row, "seconds": time.perf_counter() - start})
            for index, stopper in enumerate(stoppers):
                if not converged[index] and stopper.should_stop(float(objectives[index])):
                    converged[index] = True
            if converged.all():
                break
    critic.eval()
    return _Run(step, history, converged, start)


def train_critic(
    real,
    fake,
    constraint: str | LipschitzConstraint = "clip",
    clip_value: float = 0.01,
    penalty_weight: float = 10.0,
    critic: nn.Module | None = None,
    settings: FitSettings | None = None,
    shape: NetworkShape | None = None,
    **overrides,
) -> TrainingResult:
    r"""Train the critic f_w of eq. (3) to optimality between ``real`` (P_r) and ``fake`` (P_g).

    Each step (Algorithm 1, lines 3-7, with the generator frozen): draw m = ``batch_size``
    points of each law, ascend :math:`E_r f_w - E_g f_w` (minus the penalty, for GP), then
    apply the constraint's update (clipping). Stops when the held-out objective has not
    improved by more than ``tolerance`` (relative) for ``patience`` evaluations.

    Parameters
    ----------
    real, fake : distribution with ``sample_torch``, or array of samples (n,) or (n, d)
        P_r and P_g.
    constraint : {'clip', 'gp', 'spectral', 'none'} or LipschitzConstraint, default='clip'
        How the critic is kept Lipschitz (:mod:`~wgan_toys.lipschitz`).
    clip_value : float, default=0.01
        c of Algorithm 1 (constraint 'clip'), > 0.
    penalty_weight : float, default=10.0
        lambda of WGAN-GP (constraint 'gp'), >= 0.
    critic : nn.Module, default=None
        A network to train; None builds ``make_critic(d, width, depth, activation)`` from ``shape``.
    settings : FitSettings, default=None
        Batch size, steps, learning rate (None: the constraint's default, RMSProp 5e-5 for clipping
        as Algorithm 1, Adam 1e-4 with betas (0, 0.9) for GP, Adam 1e-3 for spectral
        normalisation), stopping rule, held-out size, seed, device; None takes ``FitSettings()``.
    shape : NetworkShape, default=None
        Width, depth and activation of the critic built when ``critic`` is None.
    **overrides
        Fields of :class:`FitSettings` and :class:`NetworkShape` by name (``max_steps=500``,
        ``batch_size=64``, ``width=32``, ``seed=1``), applied over ``settings`` and ``shape``.

    Returns
    -------
    TrainingResult
        ``estimate`` is the held-out E_r f - E_g f.

    Raises
    ------
    TrainingDivergedError
        If the loss becomes NaN or infinite.
    TypeError
        For a keyword that is not a parameter or a field of the two settings.
    """
    settings, shape = settings_and_shape("train_critic", settings, shape, overrides)
    device = resolve_device(settings.device)
    lipschitz = (
        constraint
        if isinstance(constraint, LipschitzConstraint)
        else make_constraint(constraint, clip_value, penalty_weight)
    )
    sample_real, sample_fake, rng, heldout_real, heldout_fake = samplers_and_heldout(
        real, fake, settings.heldout_size, settings.seed, device
    )
    if critic is None:
        input_dim = heldout_real.shape[1]
        start_flat = lipschitz.name != "spectral"  # a zero layer has spectral norm 0: no flat start
        critic = build_seeded(
            lambda: make_critic(input_dim, shape.width, shape.depth, shape.activation, start_flat), rng
        )
    critic = lipschitz.prepare(critic.to(device))
    row = lipschitz.name if lipschitz.name in ("clip", "gp", "spectral") else "none"  # objectives.DEFAULTS, fit rows
    optimizer = make_optimizer(critic.parameters(), row, "fit", learning_rate=settings.learning_rate)
    objective = CriticObjective(critic, lipschitz, rng=rng)  # eq. (3), plus the penalty for GP

    def heldout_objective() -> tuple[float, float]:
        estimate = wasserstein_estimate(critic(heldout_real), critic(heldout_fake)).item()
        penalty = lipschitz.penalty(critic, heldout_real, heldout_fake, torch_generator(1, device=device))
        return estimate - float(penalty.detach()), estimate

    def evaluate():
        objective, estimate = heldout_objective()
        return objective, {"objective": objective, "estimate": estimate}

    run = train_until_stopped(
        critic,
        objective,
        optimizer,
        lipschitz,  # Algorithm 1, line 7 for clipping
        lambda: sample_real(settings.batch_size, rng),
        lambda: sample_fake(settings.batch_size, rng),
        evaluate,
        settings,
        what="critic_loss",
        remedy="lower learning_rate, or penalty_weight for 'gp', or check the samples for NaN",
    )
    _, estimate = heldout_objective()
    return TrainingResult(
        critic,
        estimate,
        run.history,
        run.steps,
        time.perf_counter() - run.start,
        bool(run.converged.all()),
        lipschitz.describe(),
    )


def train_discriminator(
    real,
    fake,
    discriminator: nn.Module | None = None,
    settings: FitSettings | None = None,
    shape: NetworkShape | None = None,
    **overrides,
) -> TrainingResult:
    r"""Train a GAN discriminator to optimality: ascend :math:`L(D) = E_r \log D + E_g \log(1 - D)`.

    Adam at ``settings.learning_rate`` (None: 1e-3). Parameters as :func:`train_critic`.
    ``estimate`` is the held-out ``js_lower_bound`` :math:`\tfrac12 L(D) + \log 2 \le JS(P_r, P_g)`;
    the network returns logits, D = sigmoid(logits).
    """
    settings, shape = settings_and_shape("train_discriminator", settings, shape, overrides)
    device = resolve_device(settings.device)
    sample_real, sample_fake, rng, heldout_real, heldout_fake = samplers_and_heldout(
        real, fake, settings.heldout_size, settings.seed, device
    )
    if discriminator is None:
        input_dim = heldout_real.shape[1]
        discriminator = build_seeded(
            lambda: make_discriminator(input_dim, shape.width, shape.depth, shape.activation), rng
        )
    discriminator = discriminator.to(device)
    optimizer = make_optimizer(discriminator.parameters(), "discriminator", "fit", learning_rate=settings.learning_rate)
    constraint = NoConstraint()  # the discriminator's loss is its own: -L(D)
    objective = CriticObjective(discriminator, constraint, discriminator=True)

    def heldout_objective() -> float:
        with torch.no_grad():
            return gan_objective(discriminator(heldout_real), discriminator(heldout_fake)).item()

    def evaluate():
        objective = heldout_objective()
        return objective, {"objective": objective, "estimate": js_estimate(objective)}

    run = train_until_stopped(
        discriminator,
        objective,
        optimizer,
        constraint,
        lambda: sample_real(settings.batch_size, rng),
        lambda: sample_fake(settings.batch_size, rng),
        evaluate,
        settings,
        what="discriminator_loss",
        remedy="lower learning_rate or check the samples for NaN",
    )
    return TrainingResult(
        discriminator,
        js_estimate(heldout_objective()),
        run.history,
        run.steps,
        time.perf_counter() - run.start,
        bool(run.converged.all()),
        "GAN discriminator",
    )
