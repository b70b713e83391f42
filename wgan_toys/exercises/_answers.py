"""What every exercise checker shares: the verdict, the one printed line, and answers read as numbers or names.

Private to :mod:`wgan_toys.exercises`; the lesson modules ``lesson_01`` ... ``lesson_08`` import from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import as_real_array

__all__ = [
    "AnswerShapeError",
    "AnswerTypeError",
    "MalformedAnswer",
    "Verdict",
    "WrongAnswer",
    "as_names",
    "as_number",
    "as_numbers",
    "as_values",
    "describe",
    "finish",
    "is_unattempted",
    "near",
    "weight_layers",
]


class WrongAnswer(AssertionError):
    """Raised by a checker with ``strict=True`` when the answer is wrong or missing; the message
    is the line the checker printed."""


class MalformedAnswer(Exception):
    """An answer of the wrong type or shape. ``line`` is what :func:`~wgan_toys.exercises.check` prints:
    the shape of answer expected and what was given instead."""

    def __init__(self, exercise: str, given: str, expected: str):
        self.exercise, self.given, self.expected = exercise, given, expected
        super().__init__(f"answer for exercise {exercise} {given}, must be {expected}.")

    @property
    def line(self) -> str:
        return f"expected {self.expected}; the answer given {self.given}."


class AnswerTypeError(MalformedAnswer, TypeError):
    """An answer of the wrong type (a string, a boolean, None inside a tuple, a complex number)."""


class AnswerShapeError(MalformedAnswer, ValueError):
    """An answer of the wrong shape or range of values (two numbers for one, nan, an unknown name)."""


@dataclass(frozen=True)
class Verdict:
    """What a checker decided: ``status`` is ``"right"``, ``"wrong"``, ``"malformed"`` (an answer of the
    wrong type or shape) or ``"not attempted"``; ``message`` is the line it printed. True only when right."""

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
    label = {"right": "right", "wrong": "not yet", "malformed": "not yet", "not attempted": "not attempted yet"}[status]
    message = f"Exercise {exercise}: {label}" + (f": {text}" if text else "")
    print(message)
    if strict and status != "right":
        raise WrongAnswer(message)
    return Verdict(exercise, status, message)


def describe(answer) -> str:
    """What ``answer`` is, in a few words, for a line that says it is not of the expected shape."""
    text = repr(answer)
    text = text if len(text) <= 40 else text[:37] + "..."
    if isinstance(answer, (str, bytes)):
        return f"is the string {text}"
    if isinstance(answer, (bool, np.bool_)):
        return f"is a boolean ({text})"
    if isinstance(answer, complex):
        return f"is a complex number ({text})"
    return f"is {text} ({type(answer).__name__})"


def _as_array(exercise: str, answer, expected: str) -> np.ndarray:
    """``answer`` as a float64 array, or an AnswerTypeError saying it does not hold numbers only."""
    try:
        return as_real_array(f"answer for exercise {exercise}", answer)
    except (TypeError, ValueError):
        pass
    given = describe(answer)
    if not given.startswith("is the string"):
        given += ", which is not numbers only"
    raise AnswerTypeError(exercise, given, expected) from None


def as_number(exercise: str, answer, what: str) -> float:
    """``answer`` as one finite float, or a :class:`MalformedAnswer` that says what was expected."""
    expected = f"one number (a float): {what}"
    if isinstance(answer, (bool, np.bool_)):
        raise AnswerTypeError(exercise, describe(answer), expected)
    array = _as_array(exercise, answer, expected)
    if array.size != 1:
        raise AnswerShapeError(exercise, f"has shape {array.shape}", expected)
    value = float(array.reshape(()))
    if math.isnan(value):
        raise AnswerShapeError(exercise, "is nan", expected)
    return value


def as_numbers(exercise: str, answer, count: int, what: str) -> np.ndarray:
    """``answer`` as ``count`` floats (a tuple, list or array), or a :class:`MalformedAnswer`."""
    expected = f"a tuple of {count} numbers: {what}"
    if isinstance(answer, (str, bytes, dict, set, bool, np.bool_)):
        raise AnswerTypeError(exercise, describe(answer), expected)
    array = _as_array(exercise, answer, expected)
    if array.shape != (count,):
        raise AnswerShapeError(exercise, f"has shape {array.shape}", expected)
    if np.isnan(array).any():
        raise AnswerShapeError(exercise, "holds nan", expected)
    return array


def as_names(exercise: str, answer, allowed, what: str) -> frozenset:
    """``answer`` as a set of names drawn from ``allowed`` (a set, list or tuple of strings)."""
    expected = f"a set of names such as {{'tv', 'em'}}, names among {sorted(allowed)}: {what}"
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
        raise AnswerTypeError(exercise, describe(answer), expected)
    names = list(answer)
    unknown = [name for name in names if not isinstance(name, str) or name not in allowed]
    if unknown:
        raise AnswerShapeError(exercise, f"holds {unknown!r}", expected)
    return frozenset(names)


def as_values(exercise: str, answer, allowed, what: str) -> frozenset:
    """``answer`` as a set of numbers drawn from ``allowed`` (an iterable of numbers; may be empty)."""
    expected = f"a set of numbers, values among {sorted(allowed)}: {what}"
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
        raise AnswerTypeError(exercise, describe(answer), expected)
    values = []
    for item in answer:
        if isinstance(item, (str, bytes, bool, np.bool_)):
            raise AnswerTypeError(exercise, f"holds {describe(item)[3:]}", expected)
        array = _as_array(exercise, item, expected)
        if array.size != 1 or np.isnan(array).any():
            raise AnswerShapeError(exercise, f"holds {item!r}", expected)
        values.append(float(array.reshape(())))
    unknown = [value for value in values if not any(math.isclose(value, a) for a in allowed)]
    if unknown:
        raise AnswerShapeError(exercise, f"holds {unknown!r}", expected)
    return frozenset(a for a in allowed if any(math.isclose(value, a) for value in values))


def near(value: float, target: float, relative: float = 1e-3, absolute: float = 0.0) -> bool:
    return math.isclose(value, target, rel_tol=relative, abs_tol=absolute)


def weight_layers(depth: int = 3) -> int:
    """The number of weight layers of ``networks.make_critic(depth=depth)``: its hidden layers and the output layer."""
    from ..networks import make_critic

    return sum(1 for name, _ in make_critic(depth=depth).named_parameters() if name.endswith("weight"))
