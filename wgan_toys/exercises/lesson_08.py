r"""The checkers of lesson 08's exercises (``notebooks/08_classroom.ipynb``): the classroom (Algorithm 1 step by step).

See :mod:`wgan_toys.exercises` for what a checker prints and when it raises.
"""

from __future__ import annotations

CHECKERS = {}
