"""What every exercise checker shares: the verdict, the one printed line, and answers read as numbers or names.

Private to :mod:`wgan_toys.exercises`; the lesson modules ``lesson_01`` ... ``lesson_08`` import from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import as_real_array

__all__ = [
    "Verdict",
    "WrongAnswer",
    "as_names",
    "as_number",
    "as_numbers",
    "as_values",
    "finish",
    "is_unattempted",
    "near",
    "weight_layers",
]


class WrongAnswer(AssertionError):
    """Raised by a checker with ``strict=True`` when the answer is wrong or missing; the message
    is the line the checker printed."""


@dataclass(frozen=True)
class Verdict:
    """What a checker decided: ``status`` is ``"right"``, ``"wrong"`` or ``"not attempted"``;
    ``message`` is the line it printed. True only when right."""

    exercise: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == "right"

    def _ipython_display_(self) -> None:
        """Show nothing in a notebook: the checker has already printed its one line."""


def is_unattempted(answer) -> bool:
    return answer is None or answer is Ellipsis


def finish(exercise: str, status: str, text: str, strict: bool) -> Verdict:
    label = {"right": "right", "wrong": "not yet", "not attempted": "not attempted yet"}[status]
    message = f"Exercise {exercise}: {label}" + (f": {text}" if text else "")
    print(message)
    if strict and status != "right":
        raise WrongAnswer(message)
    return Verdict(exercise, status, message)


def as_number(exercise: str, answer, what: str) -> float:
    """``answer`` as one finite float, or a TypeError/ValueError that says what was expected."""
    if isinstance(answer, (bool, np.bool_)):
        raise TypeError(f"answer for exercise {exercise} is a boolean ({answer!r}), must be {what} (a float).")
    array = as_real_array(f"answer for exercise {exercise}", answer)
    if array.size != 1:
        raise ValueError(f"answer for exercise {exercise} has shape {array.shape}, must be one number: {what}.")
    value = float(array.reshape(()))
    if math.isnan(value):
        raise ValueError(f"answer for exercise {exercise} is nan, must be {what}.")
    return value


def as_numbers(exercise: str, answer, count: int, what: str) -> np.ndarray:
    """``answer`` as ``count`` floats (a tuple, list or array), or a clear error."""
    if isinstance(answer, (str, bytes, dict, set)):
        raise TypeError(
            f"answer for exercise {exercise} is a {type(answer).__name__}, must be a tuple of {count} numbers: {what}."
        )
    array = as_real_array(f"answer for exercise {exercise}", answer)
    if array.shape != (count,):
        raise ValueError(
            f"answer for exercise {exercise} has shape {array.shape}, must be a tuple of {count} numbers: {what}."
        )
    if np.isnan(array).any():
        raise ValueError(f"answer for exercise {exercise} holds nan, must be {count} numbers: {what}.")
    return array


def as_names(exercise: str, answer, allowed, what: str) -> frozenset:
    """``answer`` as a set of names drawn from ``allowed`` (a set, list or tuple of strings)."""
    if isinstance(answer, str) or not hasattr(answer, "__iter__"):
        raise TypeError(
            f"answer for exercise {exercise} is {answer!r}, must be a set of names such as {{'tv', 'em'}}: {what}."
        )
    names = list(answer)
    unknown = [name for name in names if not isinstance(name, str) or name not in allowed]
    if unknown:
        raise ValueError(
            f"answer for exercise {exercise} holds {unknown!r}, must hold names among {sorted(allowed)}: {what}."
        )
    return frozenset(names)


def as_values(exercise: str, answer, allowed, what: str) -> frozenset:
    """``answer`` as a set of numbers drawn from ``allowed`` (an iterable of numbers; may be empty)."""
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
        raise TypeError(f"answer for exercise {exercise} is {answer!r}, must be a set of numbers: {what}.")
    values = [as_number(exercise, item, what) for item in answer]
    unknown = [value for value in values if not any(math.isclose(value, a) for a in allowed)]
    if unknown:
        raise ValueError(
            f"answer for exercise {exercise} holds {unknown!r}, must hold values among {sorted(allowed)}: {what}."
        )
    return frozenset(a for a in allowed if any(math.isclose(value, a) for value in values))


def near(value: float, target: float, relative: float = 1e-3, absolute: float = 0.0) -> bool:
    return math.isclose(value, target, rel_tol=relative, abs_tol=absolute)


def weight_layers(depth: int = 3) -> int:
    """The number of weight layers of ``networks.make_critic(depth=depth)``: its hidden layers and the output layer."""
    from ..networks import make_critic

    return sum(1 for name, _ in make_critic(depth=depth).named_parameters() if name.endswith("weight"))
