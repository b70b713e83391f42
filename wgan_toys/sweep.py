r"""Train S critics at once, in stacked parameters, for classroom sweeps over c, lambda or seeds.

"How important is c?" (the read-through's question) needs one critic per value of c, and
"is there a way to estimate K?" several pairs of laws (:func:`effective_slope_experiment`). :func:`train_critic_sweep` trains them together: a
:class:`~wgan_toys.networks.StackedCritics` evaluates all S critics with one batched matmul
per layer, each critic sees its own batch, and the loss is the sum of the S critic losses of
eq. (3), whose gradient is block-separate, so each critic follows its own trajectory. On this
2-core CPU 16 critics cost a small multiple of one (``benchmarks/bench_sweep.py``).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, eq. (3), Algorithm 1.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ._validation import check_choice, check_int
from .lipschitz import GradientPenalty, WeightClipping
from .networks import StackedCritics
from .runtime import build_seeded, resolve_device, torch_generator
from .train import StoppingRule, check_finite_loss, check_loop_settings, make_sampler, samplers_and_heldout

__all__ = [
    "SweepResult",
    "train_critic_sweep",
    "expectation_gaps",
    "clip_value_experiment",
    "effective_slope_experiment",
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
        ``step`` and ``estimates`` (a list of S floats) at each evaluation.
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
    converged: np.ndarray = None


def _per_critic_laws(source):
    """``source`` as a list of laws when it is a list or tuple of laws (one per critic), else None."""
    if isinstance(source, (list, tuple)) and source and all(hasattr(law, "sample_torch") for law in source):
        return list(source)
    return None


def train_critic_sweep(
    real,
    fake,
    method: str = "clip",
    clip_values=(0.01,),
    penalty_weights=(10.0,),
    n_critics: int | None = None,
    width: int = 64,
    depth: int = 3,
    activation: str = "relu",
    learning_rate: float | None = None,
    batch_size: int = 64,
    max_steps: int = 20000,
    eval_every: int = 50,
    patience: int = 6,
    tolerance: float = 1e-3,
    heldout_size: int = 4096,
    seed=0,
    device="cpu",
) -> SweepResult:
    """Train S critics between ``real`` and ``fake`` in one batched run.

    S is the length of ``clip_values`` (method 'clip') or ``penalty_weights`` (method 'gp'), or
    ``n_critics`` copies of a single value (a sweep over seeds: each copy starts from its own
    random weights and sees its own batches). ``real`` and ``fake`` may also be lists of S laws
    (objects with ``sample_torch``), one pair per critic, to compare critics across pairs in one
    run; a single setting then applies to every pair, and a list of settings must have length S.
    Each critic stops improving on its own; the run ends when all have (or at ``max_steps``).
    Other parameters as
    :func:`wgan_toys.train.train_critic`; the optimiser is the method's default (RMSProp 5e-5
    for clipping, Adam 1e-4 with betas (0, 0.9) for GP), applied to the stacked parameters,
    which for these elementwise optimisers equals S separate optimisers.
    """
    check_choice("method", method, ("clip", "gp"))
    check_loop_settings(batch_size, max_steps, eval_every, patience, heldout_size, tolerance)
    values_name = "clip_values" if method == "clip" else "penalty_weights"
    values = [float(v) for v in (clip_values if method == "clip" else penalty_weights)]
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
    device = resolve_device(device)
    lipschitz = (
        WeightClipping(torch.tensor(values, dtype=torch.float64))
        if method == "clip"
        else GradientPenalty(torch.tensor(values, dtype=torch.float64))
    )
    name = "clip_value" if method == "clip" else "penalty_weight"
    settings = [{"index": i, name: v} for i, v in enumerate(values)]

    if real_laws is None:
        sample_real, sample_fake, generator, heldout_real, heldout_fake = samplers_and_heldout(
            real, fake, heldout_size, seed, device
        )
        draw_real = lambda generator: sample_real(n_members * batch_size, generator).view(n_members, batch_size, -1)  # noqa: E731
        draw_fake = lambda generator: sample_fake(n_members * batch_size, generator).view(n_members, batch_size, -1)  # noqa: E731
        heldout_real, heldout_fake = heldout_real.expand(n_members, -1, -1), heldout_fake.expand(n_members, -1, -1)
    else:  # one pair per critic: critic i draws from real[i] and fake[i]
        generator = torch_generator(seed, device=device)
        real_samplers = [make_sampler(law, "real", device) for law in real_laws]
        fake_samplers = [make_sampler(law, "fake", device) for law in fake_laws]
        held = [sample(heldout_size, generator) for sample in real_samplers + fake_samplers]
        if len({tuple(batch.shape[1:]) for batch in held}) != 1:
            raise ValueError(
                f"the laws in real and fake draw points of shapes {sorted({tuple(batch.shape[1:]) for batch in held})}; they must all match."
            )
        heldout_real, heldout_fake = torch.stack(held[:n_members]), torch.stack(held[n_members:])  # (S, H, d)
        draw_real = lambda generator: torch.stack([sample(batch_size, generator) for sample in real_samplers])  # noqa: E731
        draw_fake = lambda generator: torch.stack([sample(batch_size, generator) for sample in fake_samplers])  # noqa: E731
    input_dim = heldout_real.shape[-1]

    def build():
        stack = StackedCritics(n_members, input_dim, width, depth, activation)
        with torch.no_grad():  # start flat, as make_critic does
            stack.weights[-1].zero_()
            stack.biases[-1].zero_()
        return stack

    critics = build_seeded(build, generator).to(device)
    if isinstance(lipschitz, WeightClipping):
        lipschitz.clip_value = lipschitz.clip_value.to(device)
    else:
        lipschitz.penalty_weight = lipschitz.penalty_weight.to(device)
    lipschitz.prepare(critics)
    optimizer = lipschitz.make_optimizer(critics.parameters(), learning_rate)

    def heldout_estimates() -> tuple[np.ndarray, np.ndarray]:
        estimate = critics(heldout_real).mean(dim=1) - critics(heldout_fake).mean(dim=1)  # (S,)
        penalty = lipschitz.penalty(
            critics, heldout_real, heldout_fake, torch_generator(1, device=device), batch_dims=2
        )
        penalty = penalty.expand(n_members) if penalty.dim() == 0 else penalty
        return (estimate - penalty).detach().cpu().numpy(), estimate.detach().cpu().numpy()

    stoppers = [StoppingRule(tolerance, patience) for _ in range(n_members)]
    converged = np.zeros(n_members, dtype=bool)
    history, start, step = [], time.perf_counter(), 0
    remedy = "lower learning_rate, or the largest penalty_weight, or check the samples for NaN"
    for step in range(1, max_steps + 1):
        real_batch, fake_batch = draw_real(generator), draw_fake(generator)  # (S, m, d) each
        wasserstein_estimates = critics(real_batch).mean(dim=1) - critics(fake_batch).mean(dim=1)  # (S,), eq. (3)
        penalties = lipschitz.penalty(critics, real_batch, fake_batch, generator, batch_dims=2)
        critic_loss = (-wasserstein_estimates + penalties).sum()  # block-separate gradients
        check_finite_loss(critic_loss, step, "the summed critic_loss", remedy)
        optimizer.zero_grad(set_to_none=True)
        critic_loss.backward()
        optimizer.step()
        lipschitz.after_step(critics)
        if step % eval_every == 0:
            objectives, estimates = heldout_estimates()
            history.append({"step": step, "estimates": estimates.tolist()})
            for i in range(n_members):
                if not converged[i] and stoppers[i].should_stop(float(objectives[i])):
                    converged[i] = True
            if converged.all():
                break
    _, estimates = heldout_estimates()
    if not np.all(np.isfinite(estimates)):
        raise ValueError("a critic's held-out estimate is not finite; " + remedy)
    return SweepResult(critics, settings, estimates, history, step, time.perf_counter() - start, converged)


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


def clip_value_experiment(
    real,
    fake,
    clip_values=(0.005, 0.01, 0.02, 0.05),
    n_seeds: int = 3,
    learning_rate: float = 5e-4,
    heldout_size: int = 1024,
    seed=0,
    **kwargs,
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
    learning_rate : float, default=5e-4
        RMSProp's step: 10 times Algorithm 1's 5e-5, so that the largest c reaches its walls
        in a few hundred steps. Other keywords go to :func:`train_critic_sweep`.

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
    clip_values = np.repeat(np.asarray(clip_values, dtype=float), n_seeds)
    result = train_critic_sweep(
        real,
        fake,
        "clip",
        clip_values=tuple(clip_values),
        learning_rate=learning_rate,
        heldout_size=heldout_size,
        seed=seed,
        **kwargs,
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
    learning_rate: float = 2e-4,
    max_steps: int = 300,
    heldout_size: int = 1024,
    seed=0,
    **kwargs,
) -> dict:
    r"""The effective slope :math:`(E_r f - E_g f)/W` of clipped critics across pairs of laws.

    Answers the read-through's "does the error change between distributions?": if the clipped
    critic estimated :math:`K \cdot W` with one K, the effective slope would be one number.
    Real law N(0, 1) throughout; *shift* pairs take the fake N(W, 1) for each W in ``shifts``;
    *scale* pairs take N(0, s^2) with :math:`s = 1 + W\sqrt{\pi/2}`, the same W by a change of
    width (:math:`W = |\Delta\sigma|\sqrt{2/\pi}` for equal means), for each W in
    ``scale_matches``. ``n_seeds`` critics per pair, all in one batched sweep (one pair per
    critic); the gap is integrated against the densities. RMSProp at ``learning_rate`` = 2e-4
    (4 times Algorithm 1's) for ``max_steps`` = 300: at c = 0.01 the critics reach 99% of their
    final held-out estimate within about 300 steps (``steps_to_99`` reports it per critic).

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
        learning_rate=learning_rate,
        max_steps=max_steps,
        heldout_size=heldout_size,
        seed=seed,
        **kwargs,
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
