r"""Algorithm 1's vocabulary, written once for every trainer: the algorithms' names, their
optimiser defaults, and the losses.

**Names.** :data:`ALGORITHMS` (``wgan``, ``wgan-gp``, ``gan-minimax``, ``gan-logd``), each with a
one-line description in :data:`ALGORITHM_DESCRIPTIONS`; both trainers (``toy_gan``,
``images.trainer``), ``parallel_lines`` and the command take these names.

**Defaults.** :data:`DEFAULTS` holds one :class:`Defaults` row per algorithm and scale: ``paper``
(the image trainer: the values of the papers, each row citing its source) and ``toy`` (the 2D
toys and Example 1's parallel lines, tuned to move within a few thousand steps); the ``fit`` rows,
keyed by constraint (and ``discriminator``), hold the optimisers of networks trained to optimality
between two fixed laws (``train``). Algorithm 1's optimiser factory
(:func:`wgan_toys.algorithm1.make_optimizer`) reads them and nothing else. ``ImageConfig`` and ``ToyConfig`` read their
algorithm-dependent defaults from it, and the command's help and the README quote it
(:func:`defaults_help`, :func:`defaults_table`); a test checks that they agree.

**Losses.** Every training loop of the package (``train``, ``parallel_lines``, ``toy_gan``,
``images.trainer``, ``measure``) computes its losses here, so that one formula has one
implementation:

- :func:`wasserstein_estimate`: eq. (3)'s :math:`\mathbb{E}_r f_w - \mathbb{E}_g f_w`, positive
  once the critic separates real from fake; the critic minimises ``critic_loss = -estimate``
  (plus a penalty for WGAN-GP), Algorithm 1, lines 5-6.
- :func:`gan_objective`: the discriminator's :math:`L(D) = \mathbb{E}_r \log D + \mathbb{E}_g
  \log(1 - D)` (Section 4.2), from logits, with :math:`\log \sigma(\ell) = -\mathrm{softplus}(-\ell)`
  and :math:`\log(1 - \sigma(\ell)) = -\mathrm{softplus}(\ell)`, stable for any logit.
- :func:`js_estimate`: :math:`\tfrac12 L(D) + \log 2 \le JS`, with equality at
  :math:`D^* = p_r / (p_r + p_g)` (the quantity of Figure 4).
- :func:`generator_losses`: what the generator descends, per sample, for each of
  :data:`GENERATOR_LOSSES`: ``"wgan"`` :math:`-f_w(g_\theta(z))` (Algorithm 1, line 10);
  ``"gan-minimax"`` :math:`\log(1 - D(g_\theta(z)))`; ``"gan-logd"`` :math:`-\log D(g_\theta(z))`,
  the "-log D trick" of the paper's DCGAN baseline (Section 4.1).

torch is imported inside the loss functions, so that the command line reads the names and the
table without loading it (``benchmarks/bench_cli_latency.py`` times the cold start).

References: Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875; Gulrajani et al. (2017),
arXiv:1704.00028; Goodfellow et al. (2014), arXiv:1406.2661; Radford, Metz, Chintala (2016),
arXiv:1511.06434.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .distances import LOG_2

if TYPE_CHECKING:
    import torch

__all__ = [
    "ALGORITHMS",
    "ALGORITHM_DESCRIPTIONS",
    "DEFAULTS",
    "FIT_ROWS",
    "GENERATOR_LOSSES",
    "OPTIMIZERS",
    "SCALES",
    "Defaults",
    "algorithm_defaults",
    "defaults_help",
    "defaults_table",
    "gan_objective",
    "generator_loss_kind",
    "generator_losses",
    "js_estimate",
    "wasserstein_estimate",
]

# ------------------------------------------------------------------------------------ names
ALGORITHM_DESCRIPTIONS = {
    "wgan": "WGAN, the paper's Algorithm 1: weights clipped to [-c, c], RMSProp; the generator descends -E f_w(g(z))",
    "wgan-gp": "WGAN-GP, Algorithm 1 of Gulrajani et al. (2017): a gradient penalty on interpolates instead of "
    "clipping, Adam",
    "gan-minimax": "GAN, the minimax game of Goodfellow et al. (2014): the generator descends E log(1 - D(g(z))), "
    "whose gradient vanishes where D saturates (Figure 2)",
    "gan-logd": "GAN with Goodfellow et al.'s -log D trick: the generator descends -E log D(g(z)) (the paper's DCGAN "
    "baseline, Section 4.2)",
}
ALGORITHMS = tuple(ALGORITHM_DESCRIPTIONS)  # ("wgan", "wgan-gp", "gan-minimax", "gan-logd")
GENERATOR_LOSSES = ("wgan", "gan-minimax", "gan-logd")
OPTIMIZERS = ("rmsprop", "adam")  # the values of Defaults.optimizer (both networks use the algorithm's)


def generator_loss_kind(algorithm: str) -> str:
    """The generator loss of ``algorithm`` (one of :data:`GENERATOR_LOSSES`): WGAN-GP's is WGAN's."""
    return "wgan" if algorithm in ("wgan", "wgan-gp") else algorithm


# --------------------------------------------------------------------------------- defaults
SCALES = ("paper", "toy")


@dataclass(frozen=True)
class Defaults:
    """One algorithm's default optimiser and Lipschitz settings at one scale (a row of :data:`DEFAULTS`).

    Attributes
    ----------
    optimizer : {"rmsprop", "adam"}
        For the critic (discriminator) and the generator alike.
    learning_rate : float
        alpha.
    betas : (float, float) or None
        Adam's (beta1, beta2); on an RMSProp row, those of an Adam critic where a trainer allows
        one (the toy's momentum test, Section 4.2), else None.
    n_critic : int
        Critic steps per generator step.
    clip_value : float or None
        c, for ``wgan``.
    penalty_weight : float or None
        lambda, for ``wgan-gp``.
    batch_size : int
        m.
    source : str
        Where the values come from.
    """

    optimizer: str
    learning_rate: float
    betas: tuple[float, float] | None
    n_critic: int
    clip_value: float | None
    penalty_weight: float | None
    batch_size: int
    source: str


_DCGAN = "DCGAN baseline (Radford et al. 2016): Adam alpha = 2e-4, beta1 = 0.5, one D step per G step"
_TOY_GAN = "toys: Adam alpha = 1e-3, betas (0.5, 0.999), one D step per G step"
DEFAULTS = {
    ("wgan", "paper"): Defaults(
        "rmsprop",
        5e-5,
        None,
        5,
        0.01,
        None,
        64,
        "WGAN Algorithm 1: RMSProp, alpha = 5e-5, c = 0.01, m = 64, n_critic = 5",
    ),
    ("wgan-gp", "paper"): Defaults(
        "adam",
        1e-4,
        (0.0, 0.9),
        5,
        None,
        10.0,
        64,
        "WGAN-GP Algorithm 1: Adam alpha = 1e-4, betas (0, 0.9), lambda = 10",
    ),
    ("gan-minimax", "paper"): Defaults("adam", 2e-4, (0.5, 0.999), 1, None, None, 64, _DCGAN),
    ("gan-logd", "paper"): Defaults("adam", 2e-4, (0.5, 0.999), 1, None, None, 64, _DCGAN),
    ("wgan", "toy"): Defaults(
        "rmsprop",
        5e-4,
        (0.5, 0.9),
        5,
        0.01,
        None,
        256,
        "toys: Algorithm 1 with 10x its alpha, so that a toy moves within a few thousand steps; "
        "the betas are those of an Adam critic (Section 4.2's momentum test)",
    ),
    ("wgan-gp", "toy"): Defaults(
        "adam",
        1e-3,
        (0.5, 0.9),
        5,
        None,
        0.1,
        256,
        "toys: WGAN-GP's toy script (lambda = 0.1, betas (0.5, 0.9), m = 256) with alpha 1e-3 (it uses 1e-4)",
    ),
    ("gan-minimax", "toy"): Defaults("adam", 1e-3, (0.5, 0.999), 1, None, None, 256, _TOY_GAN),
    ("gan-logd", "toy"): Defaults("adam", 1e-3, (0.5, 0.999), 1, None, None, 256, _TOY_GAN),
    # fit: one network trained to optimality between two fixed laws (train.train_critic, keyed by
    # its constraint, and train.train_discriminator); n_critic does not apply (no generator)
    ("clip", "fit"): Defaults("rmsprop", 5e-5, None, 1, 0.01, None, 256, "WGAN Algorithm 1: RMSProp, alpha = 5e-5"),
    ("gp", "fit"): Defaults(
        "adam", 1e-4, (0.0, 0.9), 1, None, 10.0, 256, "WGAN-GP Algorithm 1: Adam alpha = 1e-4, betas (0, 0.9)"
    ),
    ("spectral", "fit"): Defaults(
        "adam", 1e-3, (0.5, 0.9), 1, None, None, 256, "spectral normalisation: Adam alpha = 1e-3, betas (0.5, 0.9)"
    ),
    ("none", "fit"): Defaults(
        "adam", 1e-3, (0.9, 0.999), 1, None, None, 256, "no constraint: Adam alpha = 1e-3, torch's betas"
    ),
    ("discriminator", "fit"): Defaults(
        "adam", 1e-3, (0.9, 0.999), 1, None, None, 256, "GAN discriminator: Adam alpha = 1e-3, torch's betas"
    ),
}
FIT_ROWS = ("clip", "gp", "spectral", "none", "discriminator")  # the keys of the "fit" rows


def algorithm_defaults(algorithm: str, scale: str) -> Defaults:
    """The row of :data:`DEFAULTS` for ``algorithm`` (one of :data:`ALGORITHMS`) at ``scale``
    (``"paper"``: the image trainer; ``"toy"``: the 2D toys and Example 1), or for a network
    trained to optimality (``"fit"``: ``algorithm`` one of :data:`FIT_ROWS`, a constraint or
    ``"discriminator"``).

    Examples
    --------
    >>> algorithm_defaults("wgan", "paper").learning_rate
    5e-05
    """
    if (algorithm, scale) not in DEFAULTS:
        raise ValueError(
            f"(algorithm, scale) == ({algorithm!r}, {scale!r}), must have algorithm one of "
            f"{', '.join(map(repr, ALGORITHMS))} and scale one of {', '.join(map(repr, SCALES))}, or "
            f"scale 'fit' with algorithm one of {', '.join(map(repr, FIT_ROWS))}."
        )
    return DEFAULTS[(algorithm, scale)]


def _show(value) -> str:
    """A default as the help and the README print it: ``5e-5``, ``(0, 0.9)``, ``rmsprop``, ``-``."""
    if value is None:
        return "-"
    if isinstance(value, tuple):
        return "(" + ", ".join(map(_show, value)) + ")"
    return value if isinstance(value, str) else f"{value:g}".replace("e-0", "e-")


def defaults_help(field: str, scale: str, item: int | None = None) -> str:
    """The default of one :class:`Defaults` field (its ``item``-th entry, for ``betas``) for each
    algorithm at ``scale`` (each of :data:`FIT_ROWS` at ``"fit"``), algorithms with equal values grouped and those without a value (None)
    left out: what the command's help prints after "default:".

    Examples
    --------
    >>> defaults_help("learning_rate", "paper")
    '5e-5 (wgan), 0.0001 (wgan-gp), 0.0002 (gan-minimax, gan-logd)'
    >>> defaults_help("betas", "paper", item=0)
    '0 (wgan-gp), 0.5 (gan-minimax, gan-logd)'
    >>> defaults_help("clip_value", "toy")
    '0.01 (wgan)'
    >>> defaults_help("learning_rate", "fit")  # the rows of networks trained to optimality
    '5e-5 (clip), 0.0001 (gp), 0.001 (spectral, none, discriminator)'
    """
    groups: dict = {}
    for algorithm in FIT_ROWS if scale == "fit" else ALGORITHMS:
        value = getattr(DEFAULTS[(algorithm, scale)], field)
        if value is not None and item is not None:
            value = value[item]
        if value is not None:
            groups.setdefault(value, []).append(algorithm)
    return ", ".join(f"{_show(value)} ({', '.join(names)})" for value, names in groups.items())


def defaults_table() -> str:
    """:data:`DEFAULTS` as a Markdown table (the README quotes it; a test checks that it does)."""
    lines = [
        "| algorithm | scale | optimiser | alpha | betas | n_critic | c | lambda | m | source |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for scale in SCALES:
        for algorithm in ALGORITHMS:
            row = DEFAULTS[(algorithm, scale)]
            lines.append(
                f"| `{algorithm}` | {scale} | {row.optimizer} | {_show(row.learning_rate)} | {_show(row.betas)} | "
                f"{row.n_critic} | {_show(row.clip_value)} | {_show(row.penalty_weight)} | {row.batch_size} | "
                f"{row.source} |"
            )
    return "\n".join(lines)


# ----------------------------------------------------------------------------------- losses
def wasserstein_estimate(critic_real: torch.Tensor, critic_fake: torch.Tensor) -> torch.Tensor:
    r"""Eq. (3): :math:`\frac1m \sum f_w(x^{(i)}) - \frac1m \sum f_w(g_\theta(z^{(i)}))`.

    Parameters
    ----------
    critic_real, critic_fake : Tensor, shape (m,) or (m, 1)
        The critic's outputs on a real and a generated batch.

    Returns
    -------
    Tensor, shape ()
        Positive for a critic that scores real above fake; ``-estimate`` is the critic's loss.
    """
    return critic_real.mean() - critic_fake.mean()


def gan_objective(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r""":math:`L(D) = \mathbb{E}_r \log D + \mathbb{E}_g \log(1 - D)` from the discriminator's
    logits (Section 4.2); the discriminator maximises it, and :math:`\max_D L = 2 JS - 2 \log 2`."""
    from torch.nn import functional

    return -functional.softplus(-real_logits).mean() - functional.softplus(fake_logits).mean()


def js_estimate(objective):
    r""":math:`\tfrac12 L(D) + \log 2`, a lower bound on JS (1/2 convention), tight at :math:`D^*`."""
    return 0.5 * objective + LOG_2


def generator_losses(kind: str, output: torch.Tensor) -> torch.Tensor:
    r"""The generator's loss for each generated point, from the critic's output there.

    Parameters
    ----------
    kind : {"wgan", "gan-minimax", "gan-logd"}
        ``"wgan"``: :math:`-f_w(x)`; ``"gan-minimax"``: :math:`\log(1 - D(x)) =
        -\mathrm{softplus}(\ell(x))`; ``"gan-logd"``: :math:`-\log D(x) = \mathrm{softplus}(-\ell(x))`,
        with :math:`\ell` the discriminator's logit.
    output : Tensor
        The critic's values or the discriminator's logits at the generated points.

    Returns
    -------
    Tensor, the shape of ``output``; the generator descends its mean.
    """
    from torch.nn import functional

    if kind == "wgan":
        return -output
    if kind == "gan-minimax":
        return -functional.softplus(output)
    if kind == "gan-logd":
        return functional.softplus(-output)
    raise ValueError(f"kind == {kind!r}, must be one of {', '.join(GENERATOR_LOSSES)}.")
