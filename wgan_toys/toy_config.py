"""The settings of a toy run: :class:`ToyConfig`, each field's default, constraint and help
declared once (checked on construction, and the flags of ``wgan-toys toy`` made from them), with
the algorithm's defaults resolved from the ``toy`` rows of :data:`~wgan_toys.objectives.DEFAULTS`.

:class:`~wgan_toys.toy_gan.ToyGAN` trains with one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import MappingProxyType

from ._validation import (
    DEVICE,
    NON_NEGATIVE_FLOAT32,
    POSITIVE_FLOAT32,
    SEED,
    Options,
    check_constraints,
    check_memory,
    setting,
    size,
)
from .objectives import ALGORITHM_DESCRIPTIONS, OPTIMIZERS, algorithm_defaults, defaults_help
from .objectives import ALGORITHMS as ALGORITHM_NAMES
from .toys2d import DATASETS as TOY_DATASETS

__all__ = ["ALGORITHMS", "DATASETS", "SMOKE", "ToyConfig"]

ALGORITHMS = ALGORITHM_NAMES  # the names ToyConfig accepts (the classroom's check and dropdown read them)
_WGAN, _WGAN_GP = algorithm_defaults("wgan", "toy"), algorithm_defaults("wgan-gp", "toy")
DATASETS = tuple(TOY_DATASETS)  # 8gaussians, 25gaussians, swissroll, 2clusters
SMOKE = MappingProxyType(dict(iterations=2, width=8, eval_samples=50, log_every=1))  # ToyConfig.smoke()


@dataclass
class ToyConfig:
    """Settings of a toy run; the names map to Algorithm 1 as noted.

    ``None`` means "the algorithm's default" (see :meth:`resolved`).
    """

    # Each setting's default, constraint and help, declared once: checked by check_constraints on
    # construction, and the flags of ``wgan-toys toy`` are made from them (cli.settings).
    dataset: str = setting("8gaussians", Options(DATASETS), help="the real law P_r")
    algorithm: str = setting(
        "wgan-gp",
        Options(ALGORITHM_NAMES),
        help="; ".join(f"{name}: {text}" for name, text in ALGORITHM_DESCRIPTIONS.items()),
    )
    # sizes have upper bounds, and __post_init__ refuses settings whose memory estimate exceeds the machine's
    iterations: int = setting(2000, size(10**8, 0), help="generator steps (Algorithm 1's outer loop)")
    n_critic: int | None = setting(
        None,
        [size(10**4), None],
        "the paper uses n_critic = 5",
        help="critic steps per generator step",
        default_text=defaults_help("n_critic", "toy"),
    )
    batch_size: int = setting(_WGAN_GP.batch_size, size(2**20, 2), help="m")
    noise_dim: int = setting(2, size(16384), help="dimension of the noise z ~ N(0, I)")
    width: int = setting(128, size(16384), help="hidden units of generator and critic")
    depth: int = setting(3, size(64), help="hidden layers of generator and critic")
    learning_rate: float | None = setting(
        None,
        [POSITIVE_FLOAT32, None],
        f"the toys use alpha = {defaults_help('learning_rate', 'toy')}",
        help="alpha",
        default_text=defaults_help("learning_rate", "toy"),
    )
    critic_optimizer: str | None = setting(
        None,
        [Options(OPTIMIZERS), None],
        help="adam on wgan is Section 4.2's momentum test",
        default_text=defaults_help("optimizer", "toy"),
    )
    clip_value: float = setting(
        _WGAN.clip_value,
        POSITIVE_FLOAT32,
        f"the paper uses c = {_WGAN.clip_value:g}",
        help="c",
        default_text=defaults_help("clip_value", "toy"),
    )
    penalty_weight: float = setting(
        _WGAN_GP.penalty_weight,
        NON_NEGATIVE_FLOAT32,
        f"WGAN-GP uses lambda = {algorithm_defaults('wgan-gp', 'paper').penalty_weight:g}, "
        f"{_WGAN_GP.penalty_weight:g} on toys",
        help="lambda (WGAN-GP's toy experiments use 0.1)",
        default_text=defaults_help("penalty_weight", "toy"),
    )
    log_every: int = setting(100, size(10**8), help="generator steps between evaluations")
    eval_samples: int = setting(
        1000,
        size(20_000, 2),
        "the exact W1 solves an n x n transport problem",
        help="points for exact W1 and mode coverage (>= 1000 for the claims)",
    )
    seed: int = setting(
        0,
        SEED,
        "a seed is an unsigned 32-bit integer, 0 to 2**32 - 1",
        help="the generator's; seed + 1 and seed + 2 seed the critic and the evaluation",
    )
    device: str = setting("cpu", DEVICE)

    @classmethod
    def smoke(cls, **overrides) -> ToyConfig:
        """The tiny toy run (``wgan-toys toy --smoke``): two generator steps of a width-8 network,
        evaluated on 50 points, ``overrides`` winning."""
        return cls(**{**SMOKE, **overrides})

    def __post_init__(self):
        check_constraints(self)
        # float32: weights, gradients, two optimiser states of both MLPs; three batches' activations; the
        # exact W1's n x n cost matrix and plan (float64)
        parameters = 2 * (self.depth * self.width**2 + self.width * (self.noise_dim + 4))
        activations = 3 * 3 * self.batch_size * self.width * self.depth
        check_memory(
            4 * (4 * parameters + activations) + 16 * self.eval_samples**2,
            f"the networks (width {self.width}, depth {self.depth}), a batch of {self.batch_size} and an "
            f"exact W1 over {self.eval_samples} points",
            "lower width, depth, batch_size or eval_samples",
        )

    @property
    def defaults(self):
        """The algorithm's row of :data:`~wgan_toys.objectives.DEFAULTS` at toy scale."""
        return algorithm_defaults(self.algorithm, "toy")

    @property
    def resolved_n_critic(self) -> int:
        """``n_critic``, or the algorithm's when it is None."""
        return self.defaults.n_critic if self.n_critic is None else self.n_critic

    @property
    def resolved_learning_rate(self) -> float:
        """``learning_rate``, or the algorithm's when it is None."""
        return self.defaults.learning_rate if self.learning_rate is None else self.learning_rate

    @property
    def resolved_critic_optimizer(self) -> str:
        """``critic_optimizer``, or the algorithm's when it is None."""
        return self.defaults.optimizer if self.critic_optimizer is None else self.critic_optimizer

    def resolved(self) -> "ToyConfig":
        """A copy with the algorithm's defaults filled in (every field was checked on construction)."""
        row = self.defaults
        defaults = {"n_critic": row.n_critic, "learning_rate": row.learning_rate, "critic_optimizer": row.optimizer}
        return dataclasses.replace(self, **{k: v for k, v in defaults.items() if getattr(self, k) is None})
