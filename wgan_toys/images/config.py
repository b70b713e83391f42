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
from types import MappingProxyType

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
from ..objectives import ALGORITHM_DESCRIPTIONS, ALGORITHMS, algorithm_defaults, defaults_help, generator_loss_kind
from ..runs import changed_settings
from . import (
    CLIP_PARAMETERS,
    CRITIC_ARCHITECTURES,
    CRITIC_SCHEDULES,
    DATASETS,
    GENERATOR_ARCHITECTURES,
    IMAGE_SIZES,
    NORMALIZATIONS,
    PRECISIONS,
)

__all__ = [
    "ALGORITHMS",
    "ImageConfig",
    "RESUME_MAY_CHANGE",
    "SMOKE",
    "resolved_settings",
    "resumed_values",
    "upgrade_config",
]

_WGAN, _WGAN_GP = algorithm_defaults("wgan", "paper"), algorithm_defaults("wgan-gp", "paper")
RESUME_MAY_CHANGE = ("device", "threads")  # besides generator_steps, never below the step reached
# The one tiny run (seconds on a CPU): ``wgan-toys train-images --smoke``, ``section4 --smoke`` and the
# tests start from it (:meth:`ImageConfig.smoke`), each overriding only what it needs.
SMOKE = MappingProxyType(
    dict(
        image_size=16,
        filters=8,
        noise_dim=16,
        mlp_width=32,
        generator_steps=3,
        log_every=1,
        sample_every=3,
        eval_every=3,
        eval_samples=64,
        checkpoint_every=3,
        held_out=100,
    )
)


@dataclass
class ImageConfig:
    """Settings of an image run. ``None`` means "the algorithm's default" (see the module doc).

    The names follow Algorithm 1: ``learning_rate`` is alpha, ``clip_value`` is c,
    ``batch_size`` is m (the *global* batch, split over processes), ``n_critic`` is n_critic.
    ``threads`` sets torch's CPU threads for the whole process (``torch.set_num_threads``).
    """

    # Each setting's default, constraint and help, declared once: checked by check_constraints on
    # construction, and the flags of ``wgan-toys train-images`` are made from them (cli.settings).
    algorithm: str = setting(
        "wgan", Options(ALGORITHMS), help="; ".join(f"{name}: {text}" for name, text in ALGORITHM_DESCRIPTIONS.items())
    )
    dataset: str = setting(
        "digits",
        Options(DATASETS),
        help=(
            "digits (bundled with scikit-learn), folder, npz, prepared (a prepare-images store), or the real "
            "data sets' own files: mnist (IDX), cifar10 (binary or python), celeba (aligned JPEGs), lsun (LMDB)"
        ),
    )
    data_root: str | None = setting(
        None,
        [Text(), None],
        help="the image folder, the .npz or .npy file, the prepared store, or the folder holding the data set's files",
        default_text="none; every source but digits needs it",
    )
    image_size: int = setting(
        32, Options(IMAGE_SIZES, text=f"a power of two in [16, 128]: one of {IMAGE_SIZES}"), help="pixels per side"
    )
    channels: int = setting(1, Options((1, 3), text="1 (grey) or 3 (RGB)"), help="1 (grey) or 3 (RGB)")
    generator: str = setting(
        "dcgan",
        Options(GENERATOR_ARCHITECTURES),
        help="generator: dcgan (Figure 5), dcgan-nobn (Figure 6), mlp (Figure 7)",
        flags=("--arch", "--generator"),
    )
    critic: str = setting(
        "dcgan", Options(CRITIC_ARCHITECTURES), help="critic / discriminator", flags=("--critic-arch",)
    )
    critic_normalization: str | None = setting(
        None, [Options(NORMALIZATIONS), None], default_text="batch for wgan and the GANs, layer for wgan-gp"
    )
    # every size-like setting has an upper bound (checked before anything is allocated), and
    # __post_init__ refuses settings whose estimated memory (images.memory) exceeds the machine's
    noise_dim: int = setting(100, size(16384), help="dimension of the noise z")
    filters: int = setting(64, size(1024), help="ngf = ndf")
    extra_layers: int = setting(0, size(16, 0), help="extra 3x3 layers, as the paper's code")
    mlp_width: int = setting(512, size(16384), help="hidden units of the mlp generator and critic")
    batch_size: int = setting(
        _WGAN.batch_size, size(65536), f"the paper uses m = {_WGAN.batch_size}", help="m, the global batch"
    )
    generator_steps: int = setting(
        1000, size(10**9), help="generator iterations", flags=("--generator-steps", "--steps")
    )
    n_critic: int | None = setting(
        None,
        [size(10**4), None],
        f"the paper uses n_critic = {_WGAN.n_critic}",
        help="critic steps per generator step",
        default_text=defaults_help("n_critic", "paper"),
    )  # None: the algorithm's (objectives.DEFAULTS, paper scale), as the next three
    critic_schedule: str = setting(
        "algorithm-1",
        Options(CRITIC_SCHEDULES),
        help="paper-code: 100 critic steps for the first 25 generator steps and every 500th",
    )
    learning_rate: float | None = setting(
        None,
        [POSITIVE_FLOAT32, None],
        f"the defaults are alpha = {defaults_help('learning_rate', 'paper')}",
        help="alpha",
        default_text=defaults_help("learning_rate", "paper"),
    )
    adam_beta1: float | None = setting(  # Adam rows only
        None, [Interval(Real, 0, 1, closed="left"), None], default_text=defaults_help("betas", "paper", 0)
    )
    adam_beta2: float | None = setting(
        None, [Interval(Real, 0, 1, closed="left"), None], default_text=defaults_help("betas", "paper", 1)
    )
    clip_value: float = setting(
        _WGAN.clip_value,
        POSITIVE_FLOAT32,
        f"the paper uses c = {_WGAN.clip_value:g}",
        help="c",
        default_text=defaults_help("clip_value", "paper"),
    )
    clip_parameters: str = setting(
        "all",
        Options(CLIP_PARAMETERS),
        help="wgan: all: clip w, every critic parameter, batch-norm scales and shifts included "
        "(Algorithm 1, line 7); weights: convolution and linear weights only",
    )
    penalty_weight: float = setting(
        _WGAN_GP.penalty_weight,
        NON_NEGATIVE_FLOAT32,
        f"WGAN-GP uses lambda = {_WGAN_GP.penalty_weight:g}",
        help="lambda",
        default_text=defaults_help("penalty_weight", "paper"),
    )
    seed: int = setting(
        0, SEED, "a seed is an unsigned 32-bit integer, 0 to 2**32 - 1", help="one stream, shared by every process"
    )
    device: str = setting("auto", DEVICE)
    precision: str = setting(
        "auto",
        Options(PRECISIONS),
        help="auto: bf16 autocast where the device has native bf16 (CUDA, AVX512-BF16 or AMX CPUs), else fp32; "
        "fp32 is exact (compare runs, processes); bf16",
    )
    channels_last: bool | None = setting(
        None, [Boolean(), None], help="channels-last memory format", default_text="on with bf16"
    )
    threads: int | None = setting(
        None,
        [THREADS, None],
        help="torch CPU threads of the whole process",
        default_text="the cores, divided among processes",
    )
    log_every: int = setting(10, size(10**9), help="generator steps between metrics lines")
    sample_every: int = setting(100, size(10**9), help="generator steps between sample grids")
    eval_every: int = setting(100, size(10**9), help="generator steps between sliced W evaluations")
    eval_samples: int = setting(300, size(100_000), help="generated images per evaluation")
    checkpoint_every: int = setting(100, size(10**9), help="generator steps between checkpoints")
    held_out: int = setting(300, size(1_000_000, 0), help="real images kept out of training")
    preload: str = setting(
        "auto", Options(("auto", "yes", "no")), help="hold the data on the device; auto: if it fits 4 GiB"
    )
    skip_unreadable: bool = setting(
        False,
        Boolean(),
        help="skip (and count) image files Pillow cannot read, instead of stopping",
        default_text="stop",
    )

    @staticmethod
    def smoke_settings(**overrides) -> dict:
        """The settings of :meth:`smoke` (:data:`SMOKE`), ``overrides`` winning, unchecked."""
        return {**SMOKE, **overrides}

    @classmethod
    def smoke(cls, **overrides) -> ImageConfig:
        """The tiny run: 16x16 images, 8 filters, three generator steps (seconds on a CPU), with
        ``overrides`` (any fields) winning: ``ImageConfig.smoke(algorithm="wgan-gp")``."""
        return cls(**cls.smoke_settings(**overrides))

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
            "lower filters, mlp_width, batch_size, eval_samples or held_out",
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
