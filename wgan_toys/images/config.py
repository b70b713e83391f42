"""The settings of an image run: :class:`ImageConfig`, each field's default and constraint declared
once (checked on construction), and the algorithm's defaults resolved from the ``paper`` rows of
:data:`~wgan_toys.objectives.DEFAULTS`; :func:`resolved_settings` and :func:`upgrade_config` compare
and read back the config a run recorded.

:class:`~wgan_toys.images.trainer.ImageTrainer` trains with one (see its module for the algorithms'
defaults and what a run writes).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from numbers import Real

from .._validation import (
    DEVICE,
    NON_NEGATIVE_FLOAT32,
    POSITIVE_FLOAT32,
    SEED,
    THREADS,
    Boolean,
    Interval,
    Options,
    Text,
    check_constraints,
    check_int,
    check_memory,
    setting,
    size,
)
from ..objectives import ALGORITHMS, algorithm_defaults, defaults_help, generator_loss_kind
from ..runs import changed_settings
from . import (
    CLIP_PARAMETERS,
    CRITIC_ARCHITECTURES,
    CRITIC_SCHEDULES,
    DATASETS,
    GENERATOR_ARCHITECTURES,
    NORMALIZATIONS,
    PRECISIONS,
)
from .models import IMAGE_SIZES

__all__ = ["ALGORITHMS", "ImageConfig", "RESUME_MAY_CHANGE", "resolved_settings", "resumed_values", "upgrade_config"]

_WGAN, _WGAN_GP = algorithm_defaults("wgan", "paper"), algorithm_defaults("wgan-gp", "paper")
RESUME_MAY_CHANGE = ("device", "threads")  # besides generator_steps, never below the step reached


@dataclass
class ImageConfig:
    """Settings of an image run. ``None`` means "the algorithm's default" (see the module doc).

    The names follow Algorithm 1: ``learning_rate`` is alpha, ``clip_value`` is c,
    ``batch_size`` is m (the *global* batch, split over processes), ``n_critic`` is n_critic.
    ``threads`` sets torch's CPU threads for the whole process (``torch.set_num_threads``).
    """

    # Each setting's default and constraint, declared once (checked by check_constraints on construction).
    algorithm: str = setting("wgan", Options(ALGORITHMS))  # wgan, wgan-gp, gan-minimax, gan-logd
    dataset: str = setting("digits", Options(DATASETS))
    data_root: str | None = setting(None, [Text(), None])
    image_size: int = setting(32, Options(IMAGE_SIZES, text=f"a power of two in [16, 128]: one of {IMAGE_SIZES}"))
    channels: int = setting(1, Options((1, 3), text="1 (grey) or 3 (RGB)"))
    generator: str = setting("dcgan", Options(GENERATOR_ARCHITECTURES))
    critic: str = setting("dcgan", Options(CRITIC_ARCHITECTURES))
    critic_normalization: str | None = setting(
        None, [Options(NORMALIZATIONS), None]
    )  # batch (wgan, gan-*) / layer (wgan-gp)
    # every size-like setting has an upper bound (checked before anything is allocated), and
    # __post_init__ refuses settings whose estimated memory (images.memory) exceeds the machine's
    noise_dim: int = setting(100, size(16384))
    filters: int = setting(64, size(1024))
    extra_layers: int = setting(0, size(16, 0))
    mlp_width: int = setting(512, size(16384))
    batch_size: int = setting(_WGAN.batch_size, size(65536), f"the paper uses m = {_WGAN.batch_size}")
    generator_steps: int = setting(1000, size(10**9))
    n_critic: int | None = setting(
        None, [size(10**4), None], f"the paper uses n_critic = {_WGAN.n_critic}"
    )  # None: the algorithm's (objectives.DEFAULTS, paper scale), as the next three
    critic_schedule: str = setting("algorithm-1", Options(CRITIC_SCHEDULES))
    learning_rate: float | None = setting(
        None, [POSITIVE_FLOAT32, None], f"the defaults are alpha = {defaults_help('learning_rate', 'paper')}"
    )
    adam_beta1: float | None = setting(None, [Interval(Real, 0, 1, closed="left"), None])  # Adam rows only
    adam_beta2: float | None = setting(None, [Interval(Real, 0, 1, closed="left"), None])
    clip_value: float = setting(_WGAN.clip_value, POSITIVE_FLOAT32, f"the paper uses c = {_WGAN.clip_value:g}")
    clip_parameters: str = setting(
        "all", Options(CLIP_PARAMETERS)
    )  # all: w, every critic parameter (Alg. 1, line 7); weights: conv/linear only
    penalty_weight: float = setting(
        _WGAN_GP.penalty_weight, NON_NEGATIVE_FLOAT32, f"WGAN-GP uses lambda = {_WGAN_GP.penalty_weight:g}"
    )
    seed: int = setting(
        0, SEED, "a seed is an unsigned 32-bit integer, 0 to 2**32 - 1"
    )  # one stream, shared by every process
    device: str = setting("auto", DEVICE)
    precision: str = setting(
        "auto", Options(PRECISIONS)
    )  # bf16 autocast where the device has native bf16 (CUDA, AVX512-BF16/AMX CPUs), else fp32
    channels_last: bool | None = setting(None, [Boolean(), None])  # default: on with bf16
    threads: int | None = setting(None, [THREADS, None])
    log_every: int = setting(10, size(10**9))
    sample_every: int = setting(100, size(10**9))
    eval_every: int = setting(100, size(10**9))
    eval_samples: int = setting(300, size(100_000))
    checkpoint_every: int = setting(100, size(10**9))
    held_out: int = setting(300, size(1_000_000, 0))
    preload: str = setting("auto", Options(("auto", "yes", "no")))
    skip_unreadable: bool = setting(False, Boolean())

    def __post_init__(self):
        try:
            check_constraints(self)
        except ValueError as error:  # a size beyond its cap: say what it would have needed
            raise ValueError(f"{error}{_memory_note(self) if 'upper bound' in str(error) else ''}") from None
        if self.dataset != "digits" and self.held_out == 0:
            raise ValueError(
                "held_out == 0 leaves no real images for the sliced Wasserstein distance; pass held_out >= 1."
            )
        from .memory import estimated_bytes

        check_memory(
            estimated_bytes(self),
            f"the networks, a batch of {self.batch_size} and the evaluation of these settings (filters "
            f"{self.filters}, mlp_width {self.mlp_width}, noise_dim {self.noise_dim}, image_size {self.image_size})",
            "lower filters, mlp_width, batch_size or eval_samples",
        )

    # the algorithm's defaults (objectives.DEFAULTS, paper scale), resolved
    @property
    def defaults(self):
        """The algorithm's row of :data:`~wgan_toys.objectives.DEFAULTS` at paper scale."""
        return algorithm_defaults(self.algorithm, "paper")

    @property
    def is_gan(self) -> bool:
        """A discriminator trained on L(D) (``gan-minimax``, ``gan-logd``), not a critic on eq. (3)."""
        return generator_loss_kind(self.algorithm) != "wgan"

    @property
    def resolved_n_critic(self) -> int:
        return self.n_critic if self.n_critic is not None else self.defaults.n_critic

    @property
    def resolved_learning_rate(self) -> float:
        return self.learning_rate if self.learning_rate is not None else self.defaults.learning_rate

    @property
    def resolved_betas(self) -> tuple[float, float] | None:
        """Adam's betas (None for WGAN, which uses RMSProp)."""
        if self.defaults.optimizer != "adam":
            return None
        default = self.defaults.betas
        return (
            default[0] if self.adam_beta1 is None else self.adam_beta1,
            default[1] if self.adam_beta2 is None else self.adam_beta2,
        )

    @property
    def resolved_normalization(self) -> str:
        if self.critic_normalization is not None:
            return self.critic_normalization
        return "layer" if self.algorithm == "wgan-gp" else "batch"

    def critic_iterations(self, generator_step: int) -> int:
        """Critic steps before generator step ``generator_step`` (counted from 0)."""
        if self.critic_schedule == "paper-code" and (generator_step < 25 or generator_step % 500 == 0):
            return 100
        return self.resolved_n_critic


def _memory_note(config: ImageConfig) -> str:
    """`` These settings would need about 1.2 TiB of memory.`` (empty where the estimate cannot be made)."""
    from .._validation import format_bytes
    from .memory import estimated_bytes

    try:
        return f" These settings would need about {format_bytes(estimated_bytes(config))} of memory."
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError):
        return ""


def resolved_settings(config: ImageConfig) -> dict:
    """The config's fields with each ``None`` ("the algorithm's default") replaced by its value,
    so that giving a default explicitly on resume is no change."""
    values = dataclasses.asdict(config)
    values.update(
        n_critic=config.resolved_n_critic,
        learning_rate=config.resolved_learning_rate,
        critic_normalization=config.resolved_normalization,
    )
    if config.resolved_betas is not None:
        values["adam_beta1"], values["adam_beta2"] = config.resolved_betas
    return values


def upgrade_config(values: dict, path) -> dict:
    """A checkpoint's config, refused when it does not say which critic parameters it clipped
    (``clip_parameters``): resuming under today's default could change the run silently."""
    if "clip_parameters" not in values:
        raise ValueError(
            f"{path} records no clip_parameters, so which critic parameters it clipped is unknown; "
            "start a new run instead of resuming this one."
        )
    return values


def resumed_values(values: dict, settings: dict | None, generator_steps: int | None, reached: int, out) -> dict:
    """The config ``values`` a run in ``out`` recorded, with ``settings`` given again and a new total
    of ``generator_steps`` (``ImageTrainer.resume``'s arguments): each setting must equal what the run
    recorded, except :data:`RESUME_MAY_CHANGE`, and ``generator_steps`` may only grow from the step
    ``reached``.

    Raises
    ------
    ValueError
        A changed setting (listing each), or ``generator_steps`` below the step reached.
    """
    given = dict(settings or {})
    if generator_steps is not None:
        given["generator_steps"] = generator_steps
    steps = given.pop("generator_steps", None)
    recorded = resolved_settings(ImageConfig(**values))
    changed = changed_settings(recorded, resolved_settings(ImageConfig(**{**values, **given})), RESUME_MAY_CHANGE)
    if changed:
        raise ValueError(
            f"resume=True keeps the settings of the run in {out}, and these differ: {'; '.join(changed)}. "
            f"Drop those settings, or start a new run in another out (on resume only "
            f"{', '.join(RESUME_MAY_CHANGE)} and, upward, generator_steps may change)."
        )
    if steps is not None:
        if check_int("generator_steps", steps, minimum=1) < reached:
            raise ValueError(
                f"generator_steps == {steps}, must be >= {reached}, the generator step the run in {out} "
                "reached; resume=True can extend a run, not undo its steps."
            )
        values["generator_steps"] = steps
    values.update({name: given[name] for name in RESUME_MAY_CHANGE if name in given})
    return values
