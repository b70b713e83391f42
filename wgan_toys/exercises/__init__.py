r"""Exercises that check themselves: one checker per code exercise of the lessons.

Each lesson in ``notebooks/`` ends with exercises. A code exercise has an answer cell that the
student fills (``answer = ...``) and a call right after it::

    from wgan_toys.exercises import check

    answer = ...  # the number the exercise asks for
    check("01.1", answer)

The checker computes the reference answer with the package itself (the closed forms of
:mod:`~wgan_toys.distances`, POT through :mod:`~wgan_toys.transport`, ...), compares within a
stated tolerance and prints **one line**: ``right``, or ``not yet`` with a hint that names the
likely mistake (a sign error, a missing 1/2, the other direction of KL, log base 2 instead of e,
...) without giving the answer away. An unattempted answer (``None`` or ``...``) prints ``not
attempted yet`` and does not raise, so a student notebook runs top to bottom as shipped.
``strict=True`` (the solution notebooks and the tests) raises :class:`WrongAnswer` unless the
answer is right. An answer of the wrong type or shape (a string, ``(8.07, None)``, two numbers for
one) prints one line, ``not yet: expected`` the shape of answer the exercise asks for; with
``strict=True`` it raises :class:`MalformedAnswer` (a ``TypeError`` or ``ValueError``) with that text.

The checkers of lesson LL live in ``lesson_LL`` (one function per exercise, with its private
reference computations); ``_answers`` holds what they share (the verdict, the printed line, reading
an answer). ``CHECKERS`` maps each exercise id (``"LL.N"``: lesson LL, exercise N) to its checker;
``check`` looks it up. Exercises that are not listed are pen-and-paper: the lesson gives a hint and
``solutions/`` a worked solution.

References
----------
Arjovsky, Chintala, Bottou (2017), *Wasserstein GAN*, arXiv:1701.07875.
Gulrajani et al. (2017), *Improved Training of Wasserstein GANs* (WGAN-GP), arXiv:1704.00028.
"""

from __future__ import annotations

from . import lesson_00, lesson_01, lesson_02, lesson_03, lesson_04, lesson_05, lesson_06, lesson_07, lesson_08
from ._answers import MalformedAnswer, Verdict, WrongAnswer, finish
from .lesson_03 import mmd_gaussians

__all__ = [
    "CHECKERS",
    "MalformedAnswer",
    "Verdict",
    "WrongAnswer",
    "check",
    "mmd_gaussians",
    # the lesson modules, so that the API reference shows every checker with its docstring
    "lesson_00",
    "lesson_01",
    "lesson_02",
    "lesson_03",
    "lesson_04",
    "lesson_05",
    "lesson_06",
    "lesson_07",
    "lesson_08",
]

#: exercise id ("LL.N") -> its checker, gathered from the lesson modules in the course's order
CHECKERS = {
    **lesson_00.CHECKERS,
    **lesson_01.CHECKERS,
    **lesson_02.CHECKERS,
    **lesson_03.CHECKERS,
    **lesson_04.CHECKERS,
    **lesson_05.CHECKERS,
    **lesson_06.CHECKERS,
    **lesson_07.CHECKERS,
    **lesson_08.CHECKERS,
}


def check(exercise: str, answer, strict: bool = False) -> Verdict:
    """Check ``answer`` to ``exercise`` (``"LL.N"``: lesson LL, exercise N) and print one line.

    Parameters
    ----------
    exercise : str
        An id of :data:`CHECKERS`, e.g. ``"01.1"``.
    answer : object
        The student's answer; ``None`` or ``...`` means not attempted yet.
    strict : bool, default=False
        Raise :class:`WrongAnswer` unless the answer is right (solution notebooks, tests).

    Returns
    -------
    Verdict
        True when right.

    Raises
    ------
    ValueError
        If ``exercise`` has no checker (the message lists those that do).
    MalformedAnswer
        With ``strict=True``, if the answer has the wrong type (a ``TypeError``) or shape (a ``ValueError``);
        without it the checker prints one line that says which shape of answer is expected.
    WrongAnswer
        With ``strict=True``, if the answer is wrong or missing.

    Examples
    --------
    >>> check("01.1", None).status
    Exercise 01.1: not attempted yet
    'not attempted'
    >>> check("01.1", "log 2").status
    Exercise 01.1: not yet: expected one number (a float): JS(P_0, P_theta) at theta = 5e-324; the answer given is the string 'log 2'.
    'malformed'
    """
    if exercise not in CHECKERS:
        raise ValueError(
            f"exercise == {exercise!r}, must be one of {', '.join(CHECKERS)} (the exercises with a checker)."
        )
    try:
        return CHECKERS[exercise](answer, strict=strict)
    except MalformedAnswer as error:
        if strict:
            raise
        return finish(exercise, "malformed", error.line, strict=False)
