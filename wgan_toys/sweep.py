r"""S critics trained to optimality together, in one batched run: a sweep over c, lambda, seeds or
pairs of laws.

"How important is c?" (the read-through's question) needs one critic per value of c, and "is there
a way to estimate K?" several pairs of laws (:mod:`~wgan_toys.experiments`).
:func:`train_critic_sweep` trains them together: a :class:`~wgan_toys.networks.StackedCritics`
evaluates all S critics with one batched matmul per layer, each critic sees its own batch, and the
loss is the sum of the S critic losses of eq. (3), whose gradient is block-separate, so each critic
follows its own trajectory. The loop is :func:`~wgan_toys.train.train_until_stopped`, the one that
trains a single critic, with the settings of :class:`~wgan_toys.train.FitSettings` (a sweep's
defaults are :data:`~wgan_toys.train.SWEEP_SETTINGS`, m = 64 per critic). On a 2-core CPU 16
critics cost a small multiple of one (``benchmarks/bench_sweep.py``).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, eq. (3), Algorithm 1.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ._validation import check_choice, check_int
from .algorithm1 import CriticObjective, make_optimizer
from .lipschitz import GradientPenalty, WeightClipping
from .networks import StackedCritics
from .runtime import build_seeded, resolve_device, torch_generator
from .train import (
    SWEEP_SETTINGS,
    FitSettings,
    NetworkShape,
    check_sample_scale,
    make_sampler,
    samplers_and_heldout,
    settings_and_shape,
    train_until_stopped,
)

__all__ = [
    "SweepResult",
    "train_critic_sweep",
    "expectation_gaps",
]


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


def _per_critic_laws(source):
    """``source`` as a list of laws when it is a list or tuple of laws (one per critic), else None."""
    if isinstance(source, (list, tuple)) and source and all(hasattr(law, "sample_torch") for law in source):
        return list(source)
    return None


def _sweep_values(constraint: str, clip_values, penalty_weights, n_critics, real_laws, fake_laws) -> list[float]:
    """The S settings of the critics (c or lambda), one per critic, checked against ``n_critics``
    and against the pairs of laws (``real_laws``, ``fake_laws``: lists, or None for one pair)."""
    values_name = "clip_values" if constraint == "clip" else "penalty_weights"
    values = [float(v) for v in (clip_values if constraint == "clip" else penalty_weights)]
    if not values:
        raise ValueError(f"{values_name} is empty, must hold at least one value.")
    if n_critics is not None:
        check_int("n_critics", n_critics, minimum=1)
        if len(values) != 1:
            raise ValueError(f"n_critics == {n_critics} repeats one setting; pass a single value, not {len(values)}.")
        values = values * n_critics
    if real_laws is None and fake_laws is None:
        return values
    if real_laws is None or fake_laws is None or len(real_laws) != len(fake_laws):
        raise ValueError(
            "real and fake must both be lists of laws of the same length (one pair per critic), got "
            f"{len(real_laws) if real_laws else 'no list'} and {len(fake_laws) if fake_laws else 'no list'}."
        )
    if len(values) == 1:
        return values * len(real_laws)
    if len(values) != len(real_laws):
        raise ValueError(
            f"{values_name} has {len(values)} values and real/fake {len(real_laws)} pairs; pass one value or one per pair."
        )
    return values


def _one_pair_batches(real, fake, n_members: int, settings: FitSettings, device):
    """The run's random stream, the two batch draws and the held-out batches (S, H, d) when every
    critic trains on the same pair: critic i takes rows i*m to (i+1)*m of S * m fresh points."""
    batch_size = settings.batch_size
    sample_real, sample_fake, rng, heldout_real, heldout_fake = samplers_and_heldout(
        real, fake, settings.heldout_size, settings.seed, device
    )

    def draw_real():  # (S, m, d)
        return sample_real(n_members * batch_size, rng).view(n_members, batch_size, -1)

    def draw_fake():
        return sample_fake(n_members * batch_size, rng).view(n_members, batch_size, -1)

    return rng, draw_real, draw_fake, heldout_real.expand(n_members, -1, -1), heldout_fake.expand(n_members, -1, -1)


def _pair_per_critic_batches(real_laws: list, fake_laws: list, settings: FitSettings, device):
    """As ``_one_pair_batches`` with one pair per critic: critic i draws from real[i] and fake[i]."""
    batch_size, n_members = settings.batch_size, len(real_laws)
    rng = torch_generator(settings.seed, device=device)
    real_samplers = [make_sampler(law, "real", device) for law in real_laws]
    fake_samplers = [make_sampler(law, "fake", device) for law in fake_laws]
    held = [sample(settings.heldout_size, rng) for sample in real_samplers + fake_samplers]
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

    return rng, draw_real, draw_fake, heldout_real, heldout_fake


def _flat_stacked_critics(n_members: int, input_dim: int, shape: NetworkShape, rng, device) -> StackedCritics:
    """S critics of ``shape`` with their last layer at zero (a flat start, as make_critic), seeded by ``rng``."""

    def build():
        stack = StackedCritics(n_members, input_dim, shape.width, shape.depth, shape.activation)
        with torch.no_grad():
            stack.weights[-1].zero_()
            stack.biases[-1].zero_()
        return stack

    return build_seeded(build, rng).to(device)


def _heldout_estimates(critics, lipschitz, heldout_real, heldout_fake, device) -> tuple[np.ndarray, np.ndarray]:
    """Each critic's held-out objective (estimate minus its penalty) and estimate E_r f - E_g f, shape (S,)."""
    estimate = critics(heldout_real).mean(dim=1) - critics(heldout_fake).mean(dim=1)  # (S,)
    penalty = lipschitz.penalty(critics, heldout_real, heldout_fake, torch_generator(1, device=device), batch_dims=2)
    penalty = penalty.expand(len(estimate)) if penalty.dim() == 0 else penalty
    return (estimate - penalty).detach().cpu().numpy(), estimate.detach().cpu().numpy()


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
    ``settings``, ``shape`` and the keyword overrides as :func:`~wgan_toys.train.train_critic` (each
    critic draws ``batch_size`` points of each law per step); ``settings`` None takes
    :data:`~wgan_toys.train.SWEEP_SETTINGS` (m = 64, otherwise ``FitSettings()``'s defaults); the
    optimiser is the constraint's (RMSProp 5e-5 for clipping, Adam 1e-4 with betas (0, 0.9) for GP,
    at ``settings.learning_rate`` if given), applied to the stacked parameters, which for these
    elementwise optimisers equals S separate optimisers.
    """
    check_choice("constraint", constraint, ("clip", "gp"))
    settings = SWEEP_SETTINGS if settings is None else settings
    settings, shape = settings_and_shape("train_critic_sweep", settings, shape, overrides)
    real_laws, fake_laws = _per_critic_laws(real), _per_critic_laws(fake)
    values = _sweep_values(constraint, clip_values, penalty_weights, n_critics, real_laws, fake_laws)
    n_members, device = len(values), resolve_device(settings.device)
    weights = torch.tensor(values, dtype=torch.float64)
    lipschitz = WeightClipping(weights) if constraint == "clip" else GradientPenalty(weights)
    name = "clip_value" if constraint == "clip" else "penalty_weight"
    critic_settings = [{"index": i, name: v} for i, v in enumerate(values)]
    if real_laws is None:
        batches = _one_pair_batches(real, fake, n_members, settings, device)
    else:
        batches = _pair_per_critic_batches(real_laws, fake_laws, settings, device)
    rng, draw_real, draw_fake, heldout_real, heldout_fake = batches
    critics = _flat_stacked_critics(n_members, heldout_real.shape[-1], shape, rng, device)
    if isinstance(lipschitz, WeightClipping):
        lipschitz.clip_value = lipschitz.clip_value.to(device)
    else:
        lipschitz.penalty_weight = lipschitz.penalty_weight.to(device)
    lipschitz.prepare(critics)
    # objectives.DEFAULTS' fit rows; for these elementwise optimisers, one over the stack equals S separate ones
    optimizer = make_optimizer(critics.parameters(), constraint, "fit", learning_rate=settings.learning_rate)
    objective = CriticObjective(critics, lipschitz, rng=rng, stacked=True)  # sum of S eq. (3): block-separate

    def evaluate():
        objectives, estimates = _heldout_estimates(critics, lipschitz, heldout_real, heldout_fake, device)
        return objectives, {"estimates": estimates.tolist()}

    remedy = "lower learning_rate, or the largest penalty_weight, or check the samples for NaN"
    run = train_until_stopped(
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
    _, estimates = _heldout_estimates(critics, lipschitz, heldout_real, heldout_fake, device)
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
