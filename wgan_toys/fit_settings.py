"""What every network trained to optimality shares, declared once: :class:`FitSettings` (batch size
m, steps, learning rate, stopping rule, held-out size, seed, device) and :class:`NetworkShape`
(width, depth, activation), the settings of :func:`~wgan_toys.train.train_critic`,
:func:`~wgan_toys.train.train_discriminator` and the sweeps built on their loop.

Each field declares its default, its range and its help once, with
:func:`~wgan_toys._validation.setting`: a ``FitSettings`` that exists is valid, and the flags of
``wgan-toys critic`` and ``discriminator`` are made from the fields (:mod:`wgan_toys.cli.settings`).
This module loads no torch (a ``torch.Generator`` or ``torch.device`` is recognised once torch
is loaded), so the command line reads the fields without it.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._validation import DEVICE, POSITIVE, POSITIVE_FLOAT32, SEED, Options, check_constraints, setting, size
from .objectives import defaults_help

if TYPE_CHECKING:
    import torch

__all__ = [
    "ACTIVATION_NAMES",
    "FitSettings",
    "NetworkShape",
    "SWEEP_SETTINGS",
    "FIT_FIELDS",
    "SHAPE_FIELDS",
    "settings_and_shape",
]

# the keys of networks.ACTIVATIONS (a test keeps them equal), without loading torch
ACTIVATION_NAMES = ("relu", "leaky_relu", "tanh", "elu", "softplus")


class _InstanceOf:
    """A constraint for :func:`~wgan_toys._validation.setting`: an instance of torch's class
    ``name`` (``"Generator"``, ``"device"``). No value is one while torch is not loaded, so the
    check never loads it."""

    def __init__(self, name: str, text: str):
        self.name, self.text = name, text

    def type_ok(self, value) -> bool:
        torch = sys.modules.get("torch")
        return torch is not None and isinstance(value, getattr(torch, self.name))

    __contains__ = type_ok

    @property
    def type_name(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class FitSettings:
    """How a network is trained to optimality: what :func:`~wgan_toys.train.train_critic`,
    :func:`~wgan_toys.train.train_discriminator` and :func:`~wgan_toys.sweep.train_critic_sweep`
    share, declared once.

    Each field declares its default and its range (checked on construction); a ``FitSettings``
    that exists is valid. Every trainer also takes these names as keywords, which override the
    fields of its ``settings``: ``train_critic(real, fake, max_steps=500)`` is
    ``train_critic(real, fake, settings=FitSettings(max_steps=500))``.

    Attributes
    ----------
    batch_size : int, default=256
        m, the points drawn from each law per step (per critic in a sweep). 256 for one network;
        a sweep of S critics draws S * m points per step, and its default settings are
        :data:`SWEEP_SETTINGS`, m = 64, at which lesson 04 and ``verify`` measure their sweeps.
    max_steps : int, default=20000
    learning_rate : float or None, default=None
        alpha, > 0. None takes the loop's default: the Lipschitz constraint's optimiser for a critic
        (RMSProp 5e-5 for clipping as Algorithm 1, Adam 1e-4 with betas (0, 0.9) for GP, Adam 1e-3
        for spectral normalisation), Adam 1e-3 for a discriminator.
    eval_every : int, default=50
        Steps between two evaluations on the held-out batch.
    patience : int, default=6
        Evaluations without improvement before a network stops.
    tolerance : float, default=1e-3
        The relative improvement of the held-out objective that counts, > 0.
    heldout_size : int, default=4096
        Points of each law in the fixed held-out batch, >= 2.
    seed : int, None or torch.Generator, default=0
        The run's random stream (initial weights, held-out and training batches); None draws one.
    device : str or torch.device, default='cpu'
        'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'.
    """

    batch_size: int = setting(
        256, size(2**20), "m, points of each law per step", help="m, the points drawn from each law per step"
    )
    max_steps: int = setting(20000, size(10**8), help="the most optimiser steps")
    learning_rate: float | None = setting(
        None,
        [POSITIVE_FLOAT32, None],
        "None takes the constraint's default, 5e-5 for clipping",
        help="alpha",
        default_text=defaults_help("learning_rate", "fit"),  # objectives.DEFAULTS' fit rows
    )
    eval_every: int = setting(50, size(10**8), help="steps between two evaluations on the held-out batch")
    patience: int = setting(6, size(10**6), help="evaluations without improvement before the network stops")
    tolerance: float = setting(
        1e-3,
        POSITIVE,
        "a relative improvement of the held-out objective",
        help="the relative improvement of the held-out objective that counts",
    )
    heldout_size: int = setting(4096, size(10**7, 2), help="points of each law in the fixed held-out batch")
    seed: int | None | torch.Generator = setting(
        0,
        [SEED, _InstanceOf("Generator", "a torch.Generator"), None],
        "an unsigned 32-bit integer",
        help="the run's random stream: initial weights, held-out and training batches",
    )
    device: str | torch.device = setting(
        "cpu", [DEVICE, _InstanceOf("device", "a torch.device")], help="where the network trains"
    )

    def __post_init__(self):
        check_constraints(self)


@dataclass(frozen=True)
class NetworkShape:
    """The MLP a trainer builds when it is not given a network (:func:`~wgan_toys.networks.make_critic`).

    Attributes
    ----------
    width : int, default=64
        Units per hidden layer.
    depth : int, default=3
        Hidden layers.
    activation : {'relu', 'leaky_relu', 'tanh', 'elu', 'softplus'}, default='relu'
    """

    width: int = setting(64, size(16384), help="units per hidden layer of the network built")
    depth: int = setting(3, size(64), help="hidden layers")
    activation: str = setting("relu", Options(ACTIVATION_NAMES), help="the hidden layers' nonlinearity")

    def __post_init__(self):
        check_constraints(self)


# The defaults of train_critic_sweep and of the two experiments built on it. Their batches were
# 64 per critic when the sweep had its own parameter list (lesson 04's penalty-bias checks and
# verify's clipping rows are measured at it; at m = 256 lesson 04's trained GP biases leave their
# stated ranges), so a sweep's m = 64 is declared here, once, beside the single trainers' 256.
SWEEP_SETTINGS = FitSettings(batch_size=64)
FIT_FIELDS = tuple(f.name for f in dataclasses.fields(FitSettings))
SHAPE_FIELDS = tuple(f.name for f in dataclasses.fields(NetworkShape))


def settings_and_shape(
    function: str, settings, shape, overrides: dict, fit_fields=FIT_FIELDS
) -> tuple[FitSettings, NetworkShape]:
    """``settings`` and ``shape`` (None: the defaults) with ``overrides``, a trainer's keyword
    arguments, applied to their fields and checked.

    ``fit_fields`` names the fields of :class:`FitSettings` that ``function`` reads. Raises
    TypeError for a keyword that is neither, listing the accepted names (as Python does for an
    unknown keyword), and ValueError or TypeError for a value outside a field's range.
    """
    settings = FitSettings() if settings is None else settings
    shape = NetworkShape() if shape is None else shape
    if not isinstance(settings, FitSettings):
        raise TypeError(f"settings must be a FitSettings or None, got {settings!r} of type {type(settings).__name__}.")
    if not isinstance(shape, NetworkShape):
        raise TypeError(f"shape must be a NetworkShape or None, got {shape!r} of type {type(shape).__name__}.")
    unknown = [name for name in overrides if name not in fit_fields and name not in SHAPE_FIELDS]
    if unknown:
        raise TypeError(
            f"{function}() got an unexpected keyword argument {', '.join(repr(name) for name in unknown)}; besides its "
            f"own parameters it takes settings=FitSettings(...), shape=NetworkShape(...) and, as keywords, these "
            f"fields of theirs: {', '.join(fit_fields + SHAPE_FIELDS)}."
        )
    settings = dataclasses.replace(settings, **{k: v for k, v in overrides.items() if k in fit_fields})
    shape = dataclasses.replace(shape, **{k: v for k, v in overrides.items() if k in SHAPE_FIELDS})
    return settings, shape
