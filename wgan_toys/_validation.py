"""Small input checks shared by the package.

Every check raises ``ValueError`` or ``TypeError`` with a message that names the parameter,
its value, the allowed range and, where one exists, the fix. Nothing is clipped silently.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def check_real(name: str, value, *, allow_infinite: bool = False) -> float:
    """Return ``value`` as a float, or raise if it is not a finite real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}.")
    value = float(value)
    if math.isnan(value) or (not allow_infinite and math.isinf(value)):
        raise ValueError(f"{name} == {value}, must be a finite real number.")
    return value


def check_positive(name: str, value, *, hint: str = "") -> float:
    """Return ``value`` as a float, or raise unless it is finite and > 0."""
    value = check_real(name, value)
    if value <= 0:
        raise ValueError(f"{name} == {value}, must be > 0{hint}.")
    return value


def check_int(name: str, value, *, minimum: int) -> int:
    """Return ``value`` as an int, or raise unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} == {value}, must be >= {minimum}.")
    return int(value)


def check_samples(name: str, samples, *, dim: int | None = None) -> np.ndarray:
    """Return samples as a float array of shape (n, d); 1D input becomes (n, 1).

    Raises if the array is empty, holds NaN or infinity, or has the wrong dimension.
    """
    if hasattr(samples, "detach"):  # a torch tensor
        samples = samples.detach().cpu().numpy()
    array = np.asarray(samples, dtype=float)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{name} has shape {array.shape}, must be (n,) or (n, d).")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}), must hold at least one sample.")
    if not np.all(np.isfinite(array)):
        bad = int(np.sum(~np.isfinite(array)))
        raise ValueError(f"{name} holds {bad} NaN or infinite values, all entries must be finite.")
    if dim is not None and array.shape[1] != dim:
        raise ValueError(f"{name} has dimension {array.shape[1]}, must have dimension {dim} to match.")
    return array


def check_weights(name: str, weights, n: int, *, atol: float = 1e-9) -> np.ndarray:
    """Return a probability vector of length ``n``; ``None`` gives uniform weights.

    Weights must be finite, >= 0 and sum to 1 within ``atol`` (widened to n machine epsilons of
    the input's own float dtype, so float32 weights that sum to 1 in float32 are accepted):
    unnormalised weights are an error, not something to rescale silently (divide by their sum
    yourself if that is meant).
    """
    if weights is None:
        return np.full(n, 1.0 / n)
    if hasattr(weights, "detach"):  # a torch tensor
        weights = weights.detach().cpu().numpy()
    source = np.asarray(weights)
    if source.dtype.kind == "f":
        # a float32 vector that sums to 1 in float32 is off by up to ~n * 6e-8 in float64
        atol = max(atol, source.shape[0] * float(np.finfo(source.dtype).eps))
    array = np.asarray(source, dtype=float)
    if array.shape != (n,):
        raise ValueError(f"{name} has shape {array.shape}, must be ({n},) to match the points.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds NaN or infinite values, all weights must be finite.")
    if np.any(array < 0):
        raise ValueError(f"{name} has minimum {array.min()}, all weights must be >= 0.")
    total = float(array.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(
            f"{name} sums to {total!r}, must sum to 1 (within {atol}); "
            f"pass {name} / {name}.sum() to normalise."
        )
    return array


def check_choice(name: str, value, choices) -> str:
    """Raise unless ``value`` is one of ``choices``; the message lists the valid ones."""
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} == {value!r}, must be one of {valid}.")
    return value
