r"""Train WGAN critics or a GAN discriminator to optimality between two fixed laws, one at a time
or S at once (a sweep over c, lambda, seeds or pairs of laws).

Every loop here is the same loop (:func:`_train_until_stopped`): draw fresh batches of the real
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

Sweeps: "how important is c?" (the read-through's question) needs one critic per value of c, and
"is there a way to estimate K?" several pairs of laws (:func:`effective_slope_experiment`).
:func:`train_critic_sweep` trains them together: a :class:`~wgan_toys.networks.StackedCritics`
evaluates all S critics with one batched matmul per layer, each critic sees its own batch, and
the loss is the sum of the S critic losses of eq. (3), whose gradient is block-separate, so each
critic follows its own trajectory. On a 2-core CPU 16 critics cost a small multiple of one
(``benchmarks/bench_sweep.py``).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, eq. (3), Algorithm 1, Section 4.2.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ._validation import (
    check_choice,
    check_int,
    check_samples,
)
from .algorithm1 import CriticObjective, critic_update, make_optimizer
from .lipschitz import GradientPenalty, LipschitzConstraint, NoConstraint, WeightClipping, make_constraint
from .networks import StackedCritics, make_critic, make_discriminator
from .objectives import gan_objective, js_estimate, wasserstein_estimate
from .runtime import build_seeded, resolve_device, torch_generator

__all__ = [
    "FitSettings",
    "NetworkShape",
    "TrainingResult",
    "TrainingDivergedError",
    "SweepResult",
    "train_critic",
    "train_discriminator",
    "train_critic_sweep",
    "expectation_gaps",
    "clip_value_experiment",
    "effective_slope_experiment",
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


@dataclass
class SweepResult:
    """S critics trained together.

    Attributes
    ----------
    critics : StackedCritics
        ``critics.member(i)`` gives critic i as an ordinary MLP.
    settings : list of dict
        Critic i's setting: ``{"clip_value": c}`` or ``{"penalty_weight": lambda}``, and ``index``.
    estimates : ndarray, shape (S,)
        Held-out E_r f - E_g f of each critic.
    history : list of dict
        ``step``, ``estimates`` (a list of S floats) and ``seconds`` at each evaluation.
    steps : int
    seconds : float
    converged : ndarray of bool, shape (S,)
    """

    critics: StackedCritics
    settings: list
    estimates: np.ndarray
    history: list = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    converged: np.ndarray | None = None


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


def _train_until_stopped(
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

    run = _train_until_stopped(
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

    run = _train_until_stopped(
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


def _per_critic_laws(source):
    """``source`` as a list of laws when it is a list or tuple of laws (one per critic), else None."""
    if isinstance(source, (list, tuple)) and source and all(hasattr(law, "sample_torch") for law in source):
        return list(source)
    return None


def train_critic_sweep(
    real,
    fake,
    constraint: str = "clip",
    clip_values=(0.01,),
    penalty_weights=(10.0,),
    n_critics: int | None = None,
    settings: FitSettings | None = None,
    shape: NetworkShape | None = None,
    **overrides,
) -> SweepResult:
    """Train S critics between ``real`` and ``fake`` in one batched run.

    S is the length of ``clip_values`` (constraint 'clip') or ``penalty_weights`` (constraint 'gp'), or
    ``n_critics`` copies of a single value (a sweep over seeds: each copy starts from its own
    random weights and sees its own batches). ``real`` and ``fake`` may also be lists of S laws
    (objects with ``sample_torch``), one pair per critic, to compare critics across pairs in one
    run; a single setting then applies to every pair, and a list of settings must have length S.
    Each critic stops improving on its own; the run ends when all have (or at ``max_steps``).
    ``settings``, ``shape`` and the keyword overrides as :func:`train_critic` (each critic draws
    ``batch_size`` points of each law per step); ``settings`` None takes :data:`SWEEP_SETTINGS`
    (m = 64, otherwise ``FitSettings()``'s defaults); the optimiser is the constraint's (RMSProp 5e-5 for
    clipping, Adam 1e-4 with betas (0, 0.9) for GP, at ``settings.learning_rate`` if given),
    applied to the stacked parameters, which for these elementwise optimisers equals S separate
    optimisers.
    """
    check_choice("constraint", constraint, ("clip", "gp"))
    settings = SWEEP_SETTINGS if settings is None else settings
    settings, shape = settings_and_shape("train_critic_sweep", settings, shape, overrides)
    batch_size, heldout_size = settings.batch_size, settings.heldout_size
    values_name = "clip_values" if constraint == "clip" else "penalty_weights"
    values = [float(v) for v in (clip_values if constraint == "clip" else penalty_weights)]
    if not values:
        raise ValueError(f"{values_name} is empty, must hold at least one value.")
    if n_critics is not None:
        check_int("n_critics", n_critics, minimum=1)
        if len(values) != 1:
            raise ValueError(f"n_critics == {n_critics} repeats one setting; pass a single value, not {len(values)}.")
        values = values * n_critics
    real_laws, fake_laws = _per_critic_laws(real), _per_critic_laws(fake)
    if real_laws is not None or fake_laws is not None:
        if real_laws is None or fake_laws is None or len(real_laws) != len(fake_laws):
            raise ValueError(
                "real and fake must both be lists of laws of the same length (one pair per critic), got "
                f"{len(real_laws) if real_laws else 'no list'} and {len(fake_laws) if fake_laws else 'no list'}."
            )
        if len(values) == 1:
            values = values * len(real_laws)
        elif len(values) != len(real_laws):
            raise ValueError(
                f"{values_name} has {len(values)} values and real/fake {len(real_laws)} pairs; pass one value or one per pair."
            )
    n_members = len(values)
    device = resolve_device(settings.device)
    lipschitz = (
        WeightClipping(torch.tensor(values, dtype=torch.float64))
        if constraint == "clip"
        else GradientPenalty(torch.tensor(values, dtype=torch.float64))
    )
    name = "clip_value" if constraint == "clip" else "penalty_weight"
    critic_settings = [{"index": i, name: v} for i, v in enumerate(values)]

    if real_laws is None:
        sample_real, sample_fake, rng, heldout_real, heldout_fake = samplers_and_heldout(
            real, fake, heldout_size, settings.seed, device
        )

        def draw_real():  # (S, m, d): S * m fresh points, critic i takes rows i*m to (i+1)*m
            return sample_real(n_members * batch_size, rng).view(n_members, batch_size, -1)

        def draw_fake():
            return sample_fake(n_members * batch_size, rng).view(n_members, batch_size, -1)

        heldout_real, heldout_fake = heldout_real.expand(n_members, -1, -1), heldout_fake.expand(n_members, -1, -1)
    else:  # one pair per critic: critic i draws from real[i] and fake[i]
        rng = torch_generator(settings.seed, device=device)
        real_samplers = [make_sampler(law, "real", device) for law in real_laws]
        fake_samplers = [make_sampler(law, "fake", device) for law in fake_laws]
        held = [sample(heldout_size, rng) for sample in real_samplers + fake_samplers]
        if len({tuple(batch.shape[1:]) for batch in held}) != 1:
            raise ValueError(
                f"the laws in real and fake draw points of shapes {sorted({tuple(batch.shape[1:]) for batch in held})}; they must all match."
            )
        heldout_real, heldout_fake = torch.stack(held[:n_members]), torch.stack(held[n_members:])  # (S, H, d)
        for member_real, member_fake in zip(heldout_real, heldout_fake):
            check_sample_scale(member_real, member_fake)

        def draw_real():  # (S, m, d)
            return torch.stack([sample(batch_size, rng) for sample in real_samplers])

        def draw_fake():
            return torch.stack([sample(batch_size, rng) for sample in fake_samplers])

    input_dim = heldout_real.shape[-1]

    def build():
        stack = StackedCritics(n_members, input_dim, shape.width, shape.depth, shape.activation)
        with torch.no_grad():  # start flat, as make_critic does
            stack.weights[-1].zero_()
            stack.biases[-1].zero_()
        return stack

    critics = build_seeded(build, rng).to(device)
    if isinstance(lipschitz, WeightClipping):
        lipschitz.clip_value = lipschitz.clip_value.to(device)
    else:
        lipschitz.penalty_weight = lipschitz.penalty_weight.to(device)
    lipschitz.prepare(critics)
    # objectives.DEFAULTS' fit rows; for these elementwise optimisers, one over the stack equals S separate ones
    optimizer = make_optimizer(critics.parameters(), constraint, "fit", learning_rate=settings.learning_rate)
    objective = CriticObjective(critics, lipschitz, rng=rng, stacked=True)  # sum of S eq. (3): block-separate

    def heldout_estimates() -> tuple[np.ndarray, np.ndarray]:
        estimate = critics(heldout_real).mean(dim=1) - critics(heldout_fake).mean(dim=1)  # (S,)
        penalty = lipschitz.penalty(
            critics, heldout_real, heldout_fake, torch_generator(1, device=device), batch_dims=2
        )
        penalty = penalty.expand(n_members) if penalty.dim() == 0 else penalty
        return (estimate - penalty).detach().cpu().numpy(), estimate.detach().cpu().numpy()

    def evaluate():
        objectives, estimates = heldout_estimates()
        return objectives, {"estimates": estimates.tolist()}

    remedy = "lower learning_rate, or the largest penalty_weight, or check the samples for NaN"
    run = _train_until_stopped(
        critics,
        objective,
        optimizer,
        lipschitz,
        draw_real,
        draw_fake,
        evaluate,
        settings,
        members=n_members,
        what="the summed critic_loss",
        remedy=remedy,
    )
    _, estimates = heldout_estimates()
    if not np.all(np.isfinite(estimates)):
        raise ValueError("a critic's held-out estimate is not finite; " + remedy)
    return SweepResult(
        critics, critic_settings, estimates, run.history, run.steps, time.perf_counter() - run.start, run.converged
    )


def _as_pairs(real, fake, n_members: int) -> list:
    real_laws, fake_laws = _per_critic_laws(real), _per_critic_laws(fake)
    if real_laws is None:
        return [(real, fake)] * n_members
    return list(zip(real_laws, fake_laws))


def expectation_gaps(result: SweepResult, real, fake) -> np.ndarray:
    r""":math:`E_r f_i - E_g f_i` of each critic of a sweep, integrated against the densities
    (:func:`wgan_toys.optimal.expectation_gap`): free of the held-out batch's sampling noise.

    ``real`` and ``fake`` as given to :func:`train_critic_sweep` (Gaussian1D laws, or lists of
    them). Returns shape (S,).
    """
    from .measure import network_values
    from .optimal import expectation_gap

    pairs = _as_pairs(real, fake, result.critics.n_critics)
    gaps = []
    for index, (p, q) in enumerate(pairs):
        member = result.critics.member(index)
        gaps.append(expectation_gap(lambda x, member=member: network_values(member, x), p, q))
    return np.array(gaps)


def _steps_to_fraction(result: SweepResult, fraction: float = 0.99) -> list:
    """The first evaluation step at which each critic's held-out estimate reached ``fraction`` of its last."""
    history = np.array([row["estimates"] for row in result.history])  # (evaluations, S)
    steps = [row["step"] for row in result.history]
    final = result.estimates
    return [
        int(steps[int(np.argmax(history[:, i] >= fraction * final[i]))]) if len(steps) else 0 for i in range(len(final))
    ]


# The two experiments' own settings (lesson 04 and verify quote numbers measured with them):
# m = 64 per critic as SWEEP_SETTINGS, held-out batches of 1024, a faster RMSProp than Algorithm 1's 5e-5.
CLIP_VALUE_EXPERIMENT = dataclasses.replace(SWEEP_SETTINGS, learning_rate=5e-4, heldout_size=1024)
EFFECTIVE_SLOPE_EXPERIMENT = dataclasses.replace(SWEEP_SETTINGS, learning_rate=2e-4, max_steps=300, heldout_size=1024)


def clip_value_experiment(
    real,
    fake,
    clip_values=(0.005, 0.01, 0.02, 0.05),
    n_seeds: int = 3,
    settings: FitSettings | None = None,
    shape: NetworkShape | None = None,
    **overrides,
) -> dict:
    r"""Effective slope against the clipping constant c, ``n_seeds`` critics per c, in one sweep.

    The *effective slope* of a trained critic is :math:`(E_r f - E_g f) / W`, the gap integrated
    against the densities: what the critic realises, at most the Lipschitz constant of f, which
    is at most the family's bound :math:`\prod_l c\sqrt{n_{l-1} n_l}`
    (:func:`~wgan_toys.lipschitz.clipped_family_bound`). The read-through's "K" is the family's
    constant; dividing an estimate by W measures the effective slope, not K.

    Parameters
    ----------
    real, fake : Gaussian1D
    clip_values : sequence of float, default=(0.005, 0.01, 0.02, 0.05)
    n_seeds : int, default=3
        Critics per c, each with its own initial weights and batches (one run, one ``seed``).
    settings : FitSettings, default=None
        None takes :data:`CLIP_VALUE_EXPERIMENT`: m = 64 and RMSProp at 5e-4, 10 times Algorithm
        1's 5e-5, so that the largest c reaches its walls in a few hundred steps, with a held-out
        batch of 1024. ``shape`` and keyword overrides (``learning_rate=``, ``seed=``, ``depth=``)
        as :func:`train_critic_sweep`.

    Returns
    -------
    dict
        ``clip_value``, ``replicate``, ``effective_slope``, ``largest_slope`` (max |f'| on the
        mass region, a lower bound on Lip(f)), ``family_bound``, ``converged``, ``steps_to_99``
        (first evaluation at 99% of the final held-out estimate): arrays of shape (S,);
        ``fitted_exponent`` (least-squares slope of log effective slope on log c, all critics),
        ``steps``, ``sweep``.
    """
    from .distances import wasserstein_1
    from .lipschitz import clipped_family_bound
    from .measure import lipschitz_constant_on_grid
    from .optimal import mass_region

    check_int("n_seeds", n_seeds, minimum=1)
    settings = CLIP_VALUE_EXPERIMENT if settings is None else settings
    settings, shape = settings_and_shape("clip_value_experiment", settings, shape, overrides)
    clip_values = np.repeat(np.asarray(clip_values, dtype=float), n_seeds)
    result = train_critic_sweep(
        real,
        fake,
        "clip",
        clip_values=tuple(clip_values),
        settings=settings,
        shape=shape,
    )
    slopes = expectation_gaps(result, real, fake) / wasserstein_1(real, fake)
    grid = mass_region(real, fake)
    members = [result.critics.member(i) for i in range(len(clip_values))]
    positive = slopes > 0
    exponent = (
        float(np.polyfit(np.log(clip_values[positive]), np.log(slopes[positive]), 1)[0])
        if positive.sum() >= 2
        else math.nan
    )
    return {
        "clip_value": clip_values,
        "replicate": np.tile(np.arange(n_seeds), len(clip_values) // n_seeds),
        "effective_slope": slopes,
        "largest_slope": np.array([lipschitz_constant_on_grid(member, grid) for member in members]),
        "family_bound": np.array([clipped_family_bound(member, c) for member, c in zip(members, clip_values)]),
        "converged": result.converged,
        "steps_to_99": np.array(_steps_to_fraction(result, 0.99)),
        "fitted_exponent": exponent,
        "steps": result.steps,
        "sweep": result,
    }


def effective_slope_experiment(
    shifts=(0.5, 1.0, 2.0, 4.0, 8.0),
    scale_matches=(1.0, 2.0, 4.0),
    n_seeds: int = 3,
    clip_value: float = 0.01,
    settings: FitSettings | None = None,
    shape: NetworkShape | None = None,
    **overrides,
) -> dict:
    r"""The effective slope :math:`(E_r f - E_g f)/W` of clipped critics across pairs of laws.

    Answers the read-through's "does the error change between distributions?": if the clipped
    critic estimated :math:`K \cdot W` with one K, the effective slope would be one number.
    Real law N(0, 1) throughout; *shift* pairs take the fake N(W, 1) for each W in ``shifts``;
    *scale* pairs take N(0, s^2) with :math:`s = 1 + W\sqrt{\pi/2}`, the same W by a change of
    width (:math:`W = |\Delta\sigma|\sqrt{2/\pi}` for equal means), for each W in
    ``scale_matches``. ``n_seeds`` critics per pair, all in one batched sweep (one pair per
    critic); the gap is integrated against the densities. ``settings`` None takes
    :data:`EFFECTIVE_SLOPE_EXPERIMENT`: m = 64, RMSProp at ``learning_rate`` = 2e-4 (4 times
    Algorithm 1's) for ``max_steps`` = 300: at c = 0.01 the critics reach 99% of their final
    held-out estimate within about 300 steps (``steps_to_99`` reports it per critic); keyword
    overrides as :func:`train_critic_sweep`.

    Returns
    -------
    dict
        ``kind`` ('shift' or 'scale'), ``nominal_wasserstein`` (the W asked for), ``wasserstein``
        (computed by :func:`~wgan_toys.distances.wasserstein_1`), ``replicate``, ``effective_slope``,
        ``converged``, ``steps_to_99``: arrays of shape (S,); ``steps``, ``sweep``, ``real``, ``fake``.
    """
    from .distances import wasserstein_1
    from .distributions import Gaussian1D

    check_int("n_seeds", n_seeds, minimum=1)
    settings = EFFECTIVE_SLOPE_EXPERIMENT if settings is None else settings
    settings, shape = settings_and_shape("effective_slope_experiment", settings, shape, overrides)
    base = Gaussian1D(0.0, 1.0)
    pairs = [("shift", float(w), base, Gaussian1D(float(w), 1.0)) for w in shifts]
    pairs += [
        ("scale", float(w), base, Gaussian1D(0.0, 1.0 + float(w) * math.sqrt(math.pi / 2))) for w in scale_matches
    ]
    pairs = pairs * n_seeds
    real, fake = [p for _, _, p, _ in pairs], [q for _, _, _, q in pairs]
    result = train_critic_sweep(
        real,
        fake,
        "clip",
        clip_values=(clip_value,),
        settings=settings,
        shape=shape,
    )
    wasserstein = np.array([wasserstein_1(p, q) for p, q in zip(real, fake)])
    return {
        "kind": np.array([kind for kind, _, _, _ in pairs]),
        "nominal_wasserstein": np.array([nominal for _, nominal, _, _ in pairs]),
        "wasserstein": wasserstein,
        "replicate": np.repeat(np.arange(n_seeds), len(pairs) // n_seeds),
        "effective_slope": expectation_gaps(result, real, fake) / wasserstein,
        "converged": result.converged,
        "steps_to_99": np.array(_steps_to_fraction(result, 0.99)),
        "steps": result.steps,
        "sweep": result,
        "real": real,
        "fake": fake,
    }
