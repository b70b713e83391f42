r"""Train S critics at once, in stacked parameters, for classroom sweeps over c, lambda or seeds.

"How does the clipping constant c change K?" (the read-through's question) needs one critic per
value of c. :func:`train_critic_sweep` trains them together: a
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
from .train import _check_finite, _check_loop_settings, _samplers_and_heldout, _Stopper

__all__ = ["SweepResult", "train_critic_sweep"]


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
    random weights and sees its own batches). Each critic stops improving on its own; the run
    ends when all have (or at ``max_steps``). Other parameters as
    :func:`wgan_toys.train.train_critic`; the optimiser is the method's default (RMSProp 5e-5
    for clipping, Adam 1e-4 with betas (0, 0.9) for GP), applied to the stacked parameters,
    which for these elementwise optimisers equals S separate optimisers.
    """
    check_choice("method", method, ("clip", "gp"))
    _check_loop_settings(batch_size, max_steps, eval_every, patience, heldout_size, tolerance)
    values = [float(v) for v in (clip_values if method == "clip" else penalty_weights)]
    if not values:
        raise ValueError(f"{'clip_values' if method == 'clip' else 'penalty_weights'} is empty, must hold at least one value.")
    if n_critics is not None:
        check_int("n_critics", n_critics, minimum=1)
        if len(values) != 1:
            raise ValueError(f"n_critics == {n_critics} repeats one setting; pass a single value, not {len(values)}.")
        values = values * n_critics
    n_members = len(values)
    device = resolve_device(device)
    lipschitz = WeightClipping(torch.tensor(values, dtype=torch.float64)) if method == "clip" else GradientPenalty(torch.tensor(values, dtype=torch.float64))
    name = "clip_value" if method == "clip" else "penalty_weight"
    settings = [{"index": i, name: v} for i, v in enumerate(values)]

    sample_real, sample_fake, generator, heldout_real, heldout_fake = _samplers_and_heldout(real, fake, heldout_size, seed, device)
    input_dim = heldout_real.shape[1]

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
        penalty = lipschitz.penalty(critics, heldout_real.expand(n_members, -1, -1), heldout_fake.expand(n_members, -1, -1),
                                    torch_generator(1, device=device), batch_dims=2)
        penalty = penalty.expand(n_members) if penalty.dim() == 0 else penalty
        return (estimate - penalty).detach().cpu().numpy(), estimate.detach().cpu().numpy()

    stoppers = [_Stopper(tolerance, patience) for _ in range(n_members)]
    converged = np.zeros(n_members, dtype=bool)
    history, start, step = [], time.perf_counter(), 0
    remedy = "lower learning_rate, or the largest penalty_weight, or check the samples for NaN"
    for step in range(1, max_steps + 1):
        real_batch = sample_real(n_members * batch_size, generator).view(n_members, batch_size, -1)  # (S, m, d)
        fake_batch = sample_fake(n_members * batch_size, generator).view(n_members, batch_size, -1)
        wasserstein_estimates = critics(real_batch).mean(dim=1) - critics(fake_batch).mean(dim=1)  # (S,), eq. (3)
        penalties = lipschitz.penalty(critics, real_batch, fake_batch, generator, batch_dims=2)
        critic_loss = (-wasserstein_estimates + penalties).sum()  # block-separate gradients
        _check_finite(critic_loss, step, "the summed critic_loss", remedy)
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


def lipschitz_constant_on_grid(critic, grid) -> float:
    """The largest |df/dx| of a 1D critic over ``grid`` (a lower bound on its Lipschitz constant)."""
    from .train import network_gradients

    return float(np.max(np.abs(network_gradients(critic, grid)))) if len(grid) else math.nan
