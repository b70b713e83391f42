r"""Experiments on clipped critics built on :func:`~wgan_toys.sweep.train_critic_sweep`: the effective
slope against the clipping constant c (:func:`clip_value_experiment`) and across pairs of laws
(:func:`effective_slope_experiment`), the read-through's "how important is c?" and "is there a way
to estimate K?" (lesson 04, ``verify``).

The *effective slope* of a trained critic is :math:`(E_r f - E_g f) / W`, the gap integrated
against the densities: what the critic realises, at most the Lipschitz constant of f, which is at
most the clipped family's bound (Section 3). Each experiment states its own settings
(:data:`CLIP_VALUE_EXPERIMENT`, :data:`EFFECTIVE_SLOPE_EXPERIMENT`).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, eq. (3), Algorithm 1, Section 3.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ._validation import check_int
from .sweep import SweepResult, expectation_gaps, train_critic_sweep
from .train import SWEEP_SETTINGS, FitSettings, NetworkShape, settings_and_shape

__all__ = [
    "CLIP_VALUE_EXPERIMENT",
    "EFFECTIVE_SLOPE_EXPERIMENT",
    "clip_value_experiment",
    "effective_slope_experiment",
]


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
        as :func:`~wgan_toys.sweep.train_critic_sweep`.

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
    overrides as :func:`~wgan_toys.sweep.train_critic_sweep`.

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
