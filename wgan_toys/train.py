r"""Train a WGAN critic or a GAN discriminator to optimality between two fixed laws.

Both loops draw fresh batches of the real law P_r and the generated law P_g, take optimiser
steps, and every ``eval_every`` steps measure the objective on one fixed held-out batch; they
stop when it has not improved by more than ``tolerance`` for ``patience`` evaluations (or at
``max_steps``). The same code runs on CPU and GPU (``device``).

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

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, eq. (3), Algorithm 1, Section 4.2.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn

from ._validation import check_int, check_positive, check_samples
from .distances import LOG_2
from .lipschitz import LipschitzMethod, make_lipschitz_method
from .networks import make_critic, make_discriminator
from .objectives import gan_objective, wasserstein_estimate
from .runtime import build_seeded, resolve_device, torch_generator

__all__ = [
    "TrainingResult",
    "TrainingDivergedError",
    "train_critic",
    "train_discriminator",
    "make_sampler",
    "gan_objective",
    "StoppingRule",
    "check_finite_loss",
    "check_loop_settings",
    "samplers_and_heldout",
]


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
    method : str
    """

    network: nn.Module
    estimate: float
    history: list = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    converged: bool = False
    method: str = ""


def make_sampler(source, name: str, device):
    """A function ``sample(n, generator) -> Tensor (n, d)`` for a law or for a set of samples.

    ``source`` is a distribution with ``sample_torch`` (fresh draws each call) or an array or
    tensor of samples of shape (N,) or (N, d) (batches drawn with replacement).
    """
    if hasattr(source, "sample_torch"):
        return lambda n, generator: source.sample_torch(n, seed=generator, device=device)
    if isinstance(source, torch.Tensor):
        source = source.detach().cpu().numpy()
    data = torch.as_tensor(check_samples(name, source), dtype=torch.float32, device=device)

    def sample(n, generator):
        index = torch.randint(0, data.shape[0], (n,), generator=generator, device=device)
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


def check_loop_settings(batch_size, max_steps, eval_every, patience, heldout_size, tolerance):
    """The loop settings shared by :func:`train_critic`, :func:`train_discriminator` and
    :func:`wgan_toys.sweep.train_critic_sweep`, checked with named errors."""
    check_int("batch_size", batch_size, minimum=1)
    check_int("max_steps", max_steps, minimum=1)
    check_int("eval_every", eval_every, minimum=1)
    check_int("patience", patience, minimum=1)
    check_int("heldout_size", heldout_size, minimum=2)
    check_positive("tolerance", tolerance)


def samplers_and_heldout(real, fake, heldout_size: int, seed, device):
    """The two samplers, the run's random stream and the fixed held-out batches.

    The held-out batches come first from the stream; the training batches follow them. Raises
    if real and fake points have different shapes.
    """
    sample_real, sample_fake = make_sampler(real, "real", device), make_sampler(fake, "fake", device)
    generator = torch_generator(seed, device=device)
    heldout_real, heldout_fake = sample_real(heldout_size, generator), sample_fake(heldout_size, generator)
    if heldout_real.shape[1:] != heldout_fake.shape[1:]:
        raise ValueError(
            f"real points have shape {tuple(heldout_real.shape[1:])} and fake {tuple(heldout_fake.shape[1:])}; they must match."
        )
    return sample_real, sample_fake, generator, heldout_real, heldout_fake


def train_critic(
    real,
    fake,
    method: str | LipschitzMethod = "clip",
    clip_value: float = 0.01,
    penalty_weight: float = 10.0,
    critic: nn.Module | None = None,
    width: int = 64,
    depth: int = 3,
    activation: str = "relu",
    learning_rate: float | None = None,
    batch_size: int = 256,
    max_steps: int = 20000,
    eval_every: int = 50,
    patience: int = 6,
    tolerance: float = 1e-3,
    heldout_size: int = 4096,
    seed=0,
    device="cpu",
) -> TrainingResult:
    r"""Train the critic f_w of eq. (3) to optimality between ``real`` (P_r) and ``fake`` (P_g).

    Each step (Algorithm 1, lines 3-7, with the generator frozen): draw m = ``batch_size``
    points of each law, ascend :math:`E_r f_w - E_g f_w` (minus the penalty, for GP), then
    apply the method's constraint (clipping). Stops when the held-out objective has not
    improved by more than ``tolerance`` (relative) for ``patience`` evaluations.

    Parameters
    ----------
    real, fake : distribution with ``sample_torch``, or array of samples (n,) or (n, d)
        P_r and P_g.
    method : {'clip', 'gp', 'spectral', 'none'} or LipschitzMethod, default='clip'
    clip_value : float, default=0.01
        c of Algorithm 1 (method 'clip'), > 0.
    penalty_weight : float, default=10.0
        lambda of WGAN-GP (method 'gp'), >= 0.
    critic : nn.Module, default=None
        A network to train; None builds ``make_critic(d, width, depth, activation)``.
    learning_rate : float, default=None
        > 0; None takes the method's default: RMSProp 5e-5 for clipping (Algorithm 1), Adam 1e-4
        with betas (0, 0.9) for GP, Adam 1e-3 for spectral normalisation.
    batch_size : int, default=256
    max_steps : int, default=20000
    eval_every, patience : int, default=50, 6
    tolerance : float, default=1e-3
    heldout_size : int, default=4096
    seed : int, None or torch.Generator, default=0
    device : str, default='cpu'
        'auto', 'cpu', 'cuda', 'mps'.

    Returns
    -------
    TrainingResult
        ``estimate`` is the held-out E_r f - E_g f.

    Raises
    ------
    TrainingDivergedError
        If the loss becomes NaN or infinite.
    """
    check_loop_settings(batch_size, max_steps, eval_every, patience, heldout_size, tolerance)
    if learning_rate is not None:  # not `learning_rate or default`: 0 and NaN are errors, not the default
        check_positive("learning_rate", learning_rate, hint=" (None takes the method's default, 5e-5 for clipping)")
    device = resolve_device(device)
    lipschitz = (
        method if isinstance(method, LipschitzMethod) else make_lipschitz_method(method, clip_value, penalty_weight)
    )
    sample_real, sample_fake, generator, heldout_real, heldout_fake = samplers_and_heldout(
        real, fake, heldout_size, seed, device
    )
    if critic is None:
        input_dim = heldout_real.shape[1]
        start_flat = lipschitz.name != "spectral"  # a zero layer has spectral norm 0: no flat start
        critic = build_seeded(lambda: make_critic(input_dim, width, depth, activation, start_flat), generator)
    critic = lipschitz.prepare(critic.to(device))
    optimizer = lipschitz.make_optimizer(critic.parameters(), learning_rate)
    remedy = "lower learning_rate, or penalty_weight for 'gp', or check the samples for NaN"

    def heldout_objective() -> tuple[float, float]:
        estimate = wasserstein_estimate(critic(heldout_real), critic(heldout_fake)).item()
        penalty = lipschitz.penalty(critic, heldout_real, heldout_fake, torch_generator(1, device=device))
        return estimate - float(penalty.detach()), estimate

    stopper, history, start = StoppingRule(tolerance, patience), [], time.perf_counter()
    critic.train()
    step, converged = 0, False
    for step in range(1, max_steps + 1):
        real_batch, fake_batch = sample_real(batch_size, generator), sample_fake(batch_size, generator)
        batch_estimate = wasserstein_estimate(critic(real_batch), critic(fake_batch))  # eq. (3)
        critic_loss = -batch_estimate + lipschitz.penalty(critic, real_batch, fake_batch, generator)
        check_finite_loss(critic_loss, step, "critic_loss", remedy)
        optimizer.zero_grad(set_to_none=True)
        critic_loss.backward()
        optimizer.step()
        lipschitz.after_step(critic)  # Algorithm 1, line 7 for clipping
        if step % eval_every == 0:
            objective, estimate = heldout_objective()
            check_finite_loss(torch.tensor(objective), step, "the held-out critic objective", remedy)
            history.append(
                {"step": step, "objective": objective, "estimate": estimate, "seconds": time.perf_counter() - start}
            )
            if stopper.should_stop(objective):
                converged = True
                break
    critic.eval()
    objective, estimate = heldout_objective()
    return TrainingResult(critic, estimate, history, step, time.perf_counter() - start, converged, lipschitz.describe())


def train_discriminator(
    real,
    fake,
    discriminator: nn.Module | None = None,
    width: int = 64,
    depth: int = 3,
    activation: str = "relu",
    learning_rate: float = 1e-3,
    batch_size: int = 256,
    max_steps: int = 20000,
    eval_every: int = 50,
    patience: int = 6,
    tolerance: float = 1e-3,
    heldout_size: int = 4096,
    seed=0,
    device="cpu",
) -> TrainingResult:
    r"""Train a GAN discriminator to optimality: ascend :math:`L(D) = E_r \log D + E_g \log(1 - D)`.

    Adam with ``learning_rate``. Parameters as :func:`train_critic`. ``estimate`` is the held-out
    ``js_lower_bound`` :math:`\tfrac12 L(D) + \log 2 \le JS(P_r, P_g)`; the network returns
    logits, D = sigmoid(logits).
    """
    check_loop_settings(batch_size, max_steps, eval_every, patience, heldout_size, tolerance)
    check_positive("learning_rate", learning_rate)
    device = resolve_device(device)
    sample_real, sample_fake, generator, heldout_real, heldout_fake = samplers_and_heldout(
        real, fake, heldout_size, seed, device
    )
    if discriminator is None:
        input_dim = heldout_real.shape[1]
        discriminator = build_seeded(lambda: make_discriminator(input_dim, width, depth, activation), generator)
    discriminator = discriminator.to(device)
    optimizer = torch.optim.Adam(discriminator.parameters(), lr=learning_rate)
    remedy = "lower learning_rate or check the samples for NaN"

    def heldout_objective() -> float:
        with torch.no_grad():
            return gan_objective(discriminator(heldout_real), discriminator(heldout_fake)).item()

    stopper, history, start = StoppingRule(tolerance, patience), [], time.perf_counter()
    discriminator.train()
    step, converged = 0, False
    for step in range(1, max_steps + 1):
        real_batch, fake_batch = sample_real(batch_size, generator), sample_fake(batch_size, generator)
        discriminator_loss = -gan_objective(discriminator(real_batch), discriminator(fake_batch))
        check_finite_loss(discriminator_loss, step, "discriminator_loss", remedy)
        optimizer.zero_grad(set_to_none=True)
        discriminator_loss.backward()
        optimizer.step()
        if step % eval_every == 0:
            objective = heldout_objective()
            history.append(
                {
                    "step": step,
                    "objective": objective,
                    "estimate": 0.5 * objective + LOG_2,
                    "seconds": time.perf_counter() - start,
                }
            )
            if stopper.should_stop(objective):
                converged = True
                break
    discriminator.eval()
    return TrainingResult(
        discriminator,
        0.5 * heldout_objective() + LOG_2,
        history,
        step,
        time.perf_counter() - start,
        converged,
        "GAN discriminator",
    )
