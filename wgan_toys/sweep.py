"""Moved: the sweeps now live in :mod:`wgan_toys.train`, beside the single-critic loop they share.

This module re-exports the moved names for one release, so that ``from wgan_toys import sweep``
and ``sweep.train_critic_sweep(...)`` keep working; import them from :mod:`wgan_toys.train`
instead. ``train_critic_sweep`` takes ``settings=FitSettings(...)`` and ``shape=NetworkShape(...)``
like the other trainers, and still accepts their fields as keywords (``max_steps=2000``,
``depth=8``); its defaults are ``train.SWEEP_SETTINGS`` (m = 64 per critic, as it was here).
"""

from .train import (
    SweepResult,
    clip_value_experiment,
    effective_slope_experiment,
    expectation_gaps,
    train_critic_sweep,
)

__all__ = [
    "SweepResult",
    "train_critic_sweep",
    "expectation_gaps",
    "clip_value_experiment",
    "effective_slope_experiment",
]
