r"""Exercises that check themselves: one checker per code exercise of the lessons (issue 14).

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
answer is right. Answers of the wrong type or shape raise ``TypeError`` or ``ValueError`` naming
what was expected, whatever ``strict`` says.

``CHECKERS`` maps each exercise id (``"LL.N"``: lesson LL, exercise N) to its checker; ``check``
looks it up. Exercises that are not listed are pen-and-paper or open explorations: the lesson
gives a hint and ``solutions/`` a worked solution.

References
----------
Arjovsky, Chintala, Bottou (2017), *Wasserstein GAN*, arXiv:1701.07875.
Gulrajani et al. (2017), *Improved Training of Wasserstein GANs* (WGAN-GP), arXiv:1704.00028.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ._validation import as_real_array
from .distances import LOG_2, all_distances, js_divergence, kl_divergence, wasserstein_1
from .distributions import FIGURE_2_FAKE, FIGURE_2_REAL, Gaussian1D, ParallelLines

__all__ = ["CHECKERS", "Verdict", "WrongAnswer", "check"]


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


def _is_unattempted(answer) -> bool:
    return answer is None or answer is Ellipsis


def _finish(exercise: str, status: str, text: str, strict: bool) -> Verdict:
    label = {"right": "right", "wrong": "not yet", "not attempted": "not attempted yet"}[status]
    message = f"Exercise {exercise}: {label}" + (f": {text}" if text else "")
    print(message)
    if strict and status != "right":
        raise WrongAnswer(message)
    return Verdict(exercise, status, message)


def _number(exercise: str, answer, what: str) -> float:
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


def _numbers(exercise: str, answer, count: int, what: str) -> np.ndarray:
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


def _names(exercise: str, answer, allowed, what: str) -> frozenset:
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


def _values(exercise: str, answer, allowed, what: str) -> frozenset:
    """``answer`` as a set of numbers drawn from ``allowed`` (an iterable of numbers; may be empty)."""
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
        raise TypeError(f"answer for exercise {exercise} is {answer!r}, must be a set of numbers: {what}.")
    values = [_number(exercise, item, what) for item in answer]
    unknown = [value for value in values if not any(math.isclose(value, a) for a in allowed)]
    if unknown:
        raise ValueError(
            f"answer for exercise {exercise} holds {unknown!r}, must hold values among {sorted(allowed)}: {what}."
        )
    return frozenset(a for a in allowed if any(math.isclose(value, a) for value in values))


def _near(value: float, target: float, relative: float = 1e-3, absolute: float = 0.0) -> bool:
    return math.isclose(value, target, rel_tol=relative, abs_tol=absolute)


# ---------------------------------------------------------------------------------------------
# Lesson 01: parallel lines (Example 1, Figure 1, Theorems 1-2)


def check_js_at_smallest_theta(answer, strict: bool = False) -> Verdict:
    r"""Exercise 01.1: JS between :math:`\mathbb{P}_0` and :math:`\mathbb{P}_\theta` at the smallest positive
    float, :math:`\theta = 5 \cdot 10^{-324}`.

    Example 1: for every :math:`\theta \ne 0` the supports are disjoint and :math:`JS = \log 2`, with the
    :math:`\tfrac12` convention and natural logs (Section 2). Tolerance: :math:`10^{-6}` absolute (a float32 answer passes).
    """
    exercise = "01.1"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    value = _number(exercise, answer, "JS(P_0, P_theta) at theta = 5e-324")
    reference = js_divergence(ParallelLines(0.0), ParallelLines(5e-324))
    if _near(value, reference, 0.0, 1e-6):
        return _finish(
            exercise, "right", f"JS = {reference:.6f} for every theta != 0: no gradient, however close", strict
        )
    hints = [
        (0.0, "JS is 0 only where the two segments coincide; is theta = 5e-324 equal to 0?"),
        (1.0, "your value is 1: that is JS with log base 2 (bits); the package and the paper use natural logs."),
        (2 * reference, "your value is about twice the reference: did you forget the 1/2 in JS?"),
        (
            math.inf,
            "JS is bounded (it averages two KLs against the mixture M = (P + Q)/2); KL is the one that is infinite.",
        ),
    ]
    for wrong, hint in hints:
        if _near(value, wrong, 1e-6, 1e-12):
            return _finish(exercise, "wrong", hint, strict)
    return _finish(exercise, "wrong", "compute wt.js_divergence(target, wt.ParallelLines(5e-324)) and compare.", strict)


def _descent_by_finite_differences(distance, theta: float, steps: int, learning_rate: float, h: float) -> float:
    target = ParallelLines(0.0)
    for _ in range(steps):
        slope = (distance(target, ParallelLines(theta + h)) - distance(target, ParallelLines(theta - h))) / (2 * h)
        theta = theta - learning_rate * slope
    return theta


def check_descent_by_hand(answer, strict: bool = False) -> Verdict:
    r"""Exercise 01.4: ten steps :math:`\theta \leftarrow \theta - 0.1\,\widehat{d\rho/d\theta}` from
    :math:`\theta = 0.8`, with the central difference of lesson 01's section 5 (:math:`h = 10^{-3}`), for
    :math:`\rho = W` and :math:`\rho = JS`. The answer is ``(final theta for W, final theta for JS)``.

    Figure 1: W is :math:`|\theta|` (slope :math:`\operatorname{sign}\theta`), JS is constant away from 0.
    Tolerance: :math:`10^{-6}` absolute on each.
    """
    exercise = "01.4"
    what = "(final theta of the W run, final theta of the JS run)"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    final_w, final_js = _numbers(exercise, answer, 2, what)
    reference_w = _descent_by_finite_differences(wasserstein_1, 0.8, 10, 0.1, 1e-3)
    reference_js = _descent_by_finite_differences(js_divergence, 0.8, 10, 0.1, 1e-3)
    right_w, right_js = _near(final_w, reference_w, 0.0, 1e-6), _near(final_js, reference_js, 0.0, 1e-6)
    if right_w and right_js:
        return _finish(exercise, "right", "W walks to 0 in 8 steps and stays; JS never moves from 0.8", strict)
    if _near(final_w, reference_js, 0.0, 1e-6) and _near(final_js, reference_w, 0.0, 1e-6):
        return _finish(exercise, "wrong", "your two numbers are in the other order: (W run, JS run).", strict)
    if not right_w:
        if final_w > 0.8 + 1e-9:
            hint = "your W run moved away from 0: descent subtracts the gradient (theta - 0.1 * slope), a sign error?"
        elif _near(final_w, 0.8, 0.0, 1e-6):
            hint = "your W run did not move: the finite difference of |theta| is sign(theta), not 0."
        elif final_w < -1e-6:
            hint = (
                "your W run overshot 0: is your step 0.1 * slope, and the slope the central difference with h = 1e-3?"
            )
        else:
            hint = "your W run stopped short of where it ends: did you take all 10 steps?"
        return _finish(exercise, "wrong", hint, strict)
    if abs(final_js) < 1e-6:
        hint = "your JS run reached 0: JS's finite difference is exactly 0 at every theta != 0, so how far can it move?"
    else:
        hint = "your JS run moved: JS(P_0, P_theta) is log 2 at theta +- h when |theta| > h, so its difference is 0."
    return _finish(exercise, "wrong", hint, strict)


_DISTANCE_NAMES = frozenset({"tv", "kl", "kl_reverse", "js", "em"})


def check_distances_that_vanish(answer, strict: bool = False) -> Verdict:
    r"""Exercise 01.5: which of ``all_distances(U[0, 1 + 1/n], U[0, 1])``'s keys go to 0 as
    :math:`n \to \infty`? The answer is a set of keys, e.g. ``{"tv", "em"}``.

    Theorem 2: TV, JS and W converge to 0 here; :math:`KL(U[0, 1 + 1/n] \| U[0, 1]) = +\infty` for every
    n (mass where the second law has none), while the reverse KL is :math:`\log(1 + 1/n) \to 0`. The
    reference keys are those whose value at n = 1000 is below 1/100 of their value at n = 1.
    """
    exercise = "01.5"
    what = "the keys of wt.all_distances whose values go to 0"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    names = _names(exercise, answer, _DISTANCE_NAMES, what)
    first = all_distances(_uniform(0.0, 2.0), _uniform(0.0, 1.0))
    late = all_distances(_uniform(0.0, 1.001), _uniform(0.0, 1.0))
    reference = frozenset(name for name in _DISTANCE_NAMES if late[name] < first[name] / 100)
    if names == reference:
        return _finish(exercise, "right", "TV, JS, EM and one direction of KL go to 0", strict)
    if "kl" in names:
        return _finish(
            exercise,
            "wrong",
            "KL(U[0, 1 + 1/n] || U[0, 1]) puts mass where U[0, 1] has none: what is its value?",
            strict,
        )
    if "kl_reverse" not in names and "kl_reverse" in reference:
        return _finish(
            exercise, "wrong", "one direction of KL does go to 0: compare d['kl'] with d['kl_reverse'].", strict
        )
    missing = sorted(reference - names)
    return _finish(
        exercise, "wrong", f"print the values for n = 1, 10, 100 again: {missing[0]!r} also shrinks.", strict
    )


def _uniform(low: float, high: float):
    from .distributions import Uniform1D

    return Uniform1D(low, high)


@functools.lru_cache(maxsize=None)
def _plan_cost_exponent() -> float:
    """The log-log slope of the mean excess cost over 8 seeds at n = 10, 40, 160 (computed once per process)."""
    sizes = np.array([10, 40, 160])
    return float(np.polyfit(np.log(sizes), np.log(_plan_cost_excess(0.6, sizes, 8)), 1)[0])


def _plan_cost_excess(theta: float, sizes, repeats: int) -> np.ndarray:
    from .transport import exact_transport

    excess = []
    for n in sizes:
        costs = []
        for seed in range(repeats):
            rng = np.random.default_rng(seed)
            real, fake = ParallelLines(0.0).sample(n, seed=rng), ParallelLines(theta).sample(n, seed=rng)
            costs.append(exact_transport(real, fake).cost)
        excess.append(np.mean(costs) - abs(theta))
    return np.array(excess)


def check_plan_cost_rate(answer, strict: bool = False) -> Verdict:
    r"""Exercise 01.6: the exponent a in :math:`\text{cost}_n - |\theta| \propto n^{a}` for the exact plan
    between n samples of :math:`\mathbb{P}_0` and of :math:`\mathbb{P}_{0.6}` (eq. (1) on samples).

    The plan moves mass sideways by :math:`|\theta|` and pairs heights :math:`z, z'` a distance
    :math:`\delta \sim n^{-1/2}` apart: :math:`\sqrt{\theta^2 + \delta^2} - |\theta| \approx \delta^2/(2|\theta|)`.
    Reference: the log-log slope of the mean excess over 8 seeds at n = 10, 40, 160 (exact plans by
    ``ot.emd``); tolerance 0.25.
    """
    exercise = "01.6"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    value = _number(exercise, answer, "the exponent a in cost - 0.6 ~ n^a")
    reference = _plan_cost_exponent()
    if abs(value - reference) <= 0.25:
        return _finish(exercise, "right", f"the excess falls like n^{reference:.2f}, about 1/n", strict)
    if value > 0:
        return _finish(
            exercise, "wrong", "the cost approaches 0.6 from above as n grows: the exponent is negative.", strict
        )
    if abs(value + 0.5) <= 0.15:
        return _finish(
            exercise,
            "wrong",
            "n^(-1/2) is how fast the paired heights z, z' get close (delta); how does sqrt(0.6^2 + delta^2) - 0.6 "
            "depend on delta?",
            strict,
        )
    return _finish(
        exercise, "wrong", "plot log(cost - 0.6) against log(n) for n = 10, 40, 160 and read the slope.", strict
    )


# ---------------------------------------------------------------------------------------------
# Lesson 02: two Gaussians (Section 2, eq. (1)-(2))


def check_kl_symmetric_width(answer, strict: bool = False) -> Verdict:
    r"""Exercise 02.1: the :math:`\sigma_2` for which :math:`KL(\mathbb{P} \| \mathbb{Q}) = KL(\mathbb{Q} \| \mathbb{P})`
    for every :math:`\mu_2`, with :math:`\mathbb{P} = N(0, 1)`, :math:`\mathbb{Q} = N(\mu_2, \sigma_2^2)`.

    From the closed form :math:`KL = \log\frac{\sigma_Q}{\sigma_P} + \frac{\sigma_P^2 + \Delta\mu^2}{2\sigma_Q^2} - \frac12`
    (Section 2's KL between Gaussians). Checked with ``kl_divergence`` both ways at
    :math:`\mu_2 = 0.5, 1, 3`: the gap must be below :math:`10^{-9}` at all three.
    """
    exercise = "02.1"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    value = _number(exercise, answer, "sigma_2, a standard deviation > 0")
    p = Gaussian1D(0.0, 1.0)
    if value <= 0:
        return _finish(
            exercise,
            "wrong",
            "a standard deviation is > 0; if you meant mu_2 = 0: with equal means KL is still asymmetric unless a "
            "condition on sigma_2 holds.",
            strict,
        )
    gaps = [kl_divergence(p, Gaussian1D(mu, value)) - kl_divergence(Gaussian1D(mu, value), p) for mu in (0.5, 1.0, 3.0)]
    if max(abs(gap) for gap in gaps) < 1e-9:
        return _finish(exercise, "right", "equal widths: then KL = dmu^2 / 2 both ways", strict)
    return _finish(
        exercise,
        "wrong",
        f"at sigma_2 = {value:g}, KL(P||Q) - KL(Q||P) = {gaps[1]:+.3f} for mu_2 = 1: write both closed forms and "
        "subtract them; which terms cancel for every mu_2?",
        strict,
    )


def _flat_edges(p: Gaussian1D, q: Gaussian1D, threshold: float) -> tuple[float, float]:
    """Edges of the middle region where |dD*/dx| >= threshold, on a grid of step 1e-4."""
    from .optimal import optimal_discriminator

    discriminator = optimal_discriminator(p, q)
    grid = np.arange(-2.0, 6.0, 1e-4)
    slope = np.abs(np.gradient(discriminator(grid), grid))
    steep = grid[slope >= threshold]
    return float(steep.min()), float(steep.max())


def check_flat_discriminator_edges(answer, strict: bool = False) -> Verdict:
    r"""Exercise 02.4: for :math:`\mathbb{P} = N(0, 1)`, :math:`\mathbb{Q} = N(4, 1)`, the optimal discriminator
    :math:`D^* = p/(p + q)` (Section 4.2, Figure 2) is flat, :math:`|D^{*\prime}(x)| < 10^{-3}`, outside an interval
    :math:`[a, b]`. The answer is ``(a, b)``.

    :math:`D^* = \sigma(\ell)` with :math:`\ell = \log p - \log q`, so :math:`D^{*\prime} = \sigma(1 - \sigma)\,\ell'`.
    Reference: :func:`~wgan_toys.optimal.optimal_discriminator` differentiated on a grid of step
    :math:`10^{-4}`; tolerance :math:`10^{-3}` on each edge.
    """
    exercise = "02.4"
    what = "(a, b): |dD*/dx| < 1e-3 for x < a and for x > b"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    low, high = _numbers(exercise, answer, 2, what)
    p, q = Gaussian1D(0.0, 1.0), Gaussian1D(4.0, 1.0)
    reference = _flat_edges(p, q, 1e-3)
    if _near(low, reference[0], 0.0, 1e-3) and _near(high, reference[1], 0.0, 1e-3):
        return _finish(exercise, "right", f"D* is flat outside [{reference[0]:.3f}, {reference[1]:.3f}]", strict)
    if low > high:
        return _finish(exercise, "wrong", "give the left edge first: (a, b) with a < b.", strict)
    forgot_chain = _flat_edges(p, q, 4e-3)  # sigma (1 - sigma) < 1e-3: the factor |l'| = 4 left out
    if _near(low, forgot_chain[0], 0.0, 5e-3) and _near(high, forgot_chain[1], 0.0, 5e-3):
        return _finish(
            exercise,
            "wrong",
            "your edges are where D*(1 - D*) < 1e-3 (or D* within 1e-3 of 0 or 1): the slope also carries the "
            "logit's derivative, chain rule.",
            strict,
        )
    return _finish(exercise, "wrong", "evaluate |dD*/dx| on a fine grid and read where it crosses 1e-3.", strict)


def _plan_costs(plan: np.ndarray, source: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    difference = source[:, None] - target[None, :]
    return float(np.sum(plan * np.abs(difference))), float(np.sum(plan * difference**2))


def check_mixed_plan_costs(answer, strict: bool = False) -> Verdict:
    r"""Exercise 02.5: in the books example (mass 1/2 at 0 and at 1 moved to 1 and 2), the plan
    :math:`\tfrac12(\text{monotone}) + \tfrac12(\text{crossing})` has costs ``(cost with |x - y|, cost with |x - y|^2)``.

    Eq. (1): the W1 cost of a plan is :math:`\sum_{ij}\gamma_{ij}|x_i - y_j|`; both pure plans and so every
    mixture cost W = 1 (the W1 plan is not unique), while the squared cost is strictly convex in the
    displacement, so only the monotone plan reaches :math:`W_2^2 = 1`. Reference: the mixed plan's two costs, the first
    checked against :func:`~wgan_toys.distances.wasserstein_1` of the two discrete laws; tolerance :math:`10^{-9}`.
    """
    exercise = "02.5"
    what = "(cost of the mixed plan with |x - y|, cost with |x - y|^2)"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    linear, squared = _numbers(exercise, answer, 2, what)
    from .distributions import Discrete1D

    source, target = np.array([0.0, 1.0]), np.array([1.0, 2.0])
    monotone, crossing = np.diag([0.5, 0.5]), np.array([[0.0, 0.5], [0.5, 0.0]])
    mixed = 0.5 * monotone + 0.5 * crossing
    reference = _plan_costs(mixed, source, target)
    optimum = wasserstein_1(Discrete1D(source), Discrete1D(target))  # W1 by the quantile functions
    if not math.isclose(reference[0], optimum, abs_tol=1e-12):  # the mixture is optimal for W1
        raise RuntimeError(f"the mixed plan costs {reference[0]}, W1 is {optimum}: distances is broken")
    if _near(linear, reference[0], 0.0, 1e-9) and _near(squared, reference[1], 0.0, 1e-9):
        return _finish(exercise, "right", "same W1 cost as the monotone plan, a larger squared cost", strict)
    if _near(linear, 2 * reference[0], 0.0, 1e-9):
        return _finish(
            exercise, "wrong", "your plan carries mass 2: each half plan has mass 1/2 in all, not 1.", strict
        )
    if not _near(linear, reference[0], 0.0, 1e-9):
        return _finish(exercise, "wrong", "the W1 cost is sum(plan * |x - y|); both pure plans cost the same.", strict)
    if _near(squared, 1.0, 0.0, 1e-9):
        return _finish(
            exercise, "wrong", "that is the monotone plan's squared cost; the crossing half moves mass 2 and 0.", strict
        )
    if _near(squared, math.sqrt(reference[1]), 0.0, 1e-9):
        return _finish(
            exercise, "wrong", "you took a square root: the cost with |x - y|^2 is sum(plan * (x - y)^2).", strict
        )
    return _finish(exercise, "wrong", "the squared cost is sum(plan * (x - y)^2) over the four pairs.", strict)


def _shift_where_js_reaches(level: float) -> float:
    from scipy.optimize import brentq

    p = Gaussian1D(0.0, 1.0)
    return float(brentq(lambda mu: js_divergence(p, Gaussian1D(mu, 1.0)) - level, 0.1, 30.0, xtol=1e-10))


def check_js_saturation_shift(answer, strict: bool = False) -> Verdict:
    r"""Exercise 02.6: the shift :math:`\mu_2 > 0` at which :math:`JS(N(0, 1), N(\mu_2, 1))` reaches 99% of
    :math:`\log 2`.

    Section 2: JS saturates at :math:`\log 2` while :math:`W = |\mu_2|` keeps growing. Reference: a root of
    ``js_divergence`` by Brent's method; tolerance 0.01.
    """
    exercise = "02.6"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    value = _number(exercise, answer, "mu_2 where JS = 0.99 log 2")
    reference = _shift_where_js_reaches(0.99 * LOG_2)
    if _near(value, reference, 0.0, 0.01):
        return _finish(exercise, "right", f"mu_2 = {reference:.3f}, where W = {reference:.3f} and still grows", strict)
    if value < 0:
        return _finish(
            exercise, "wrong", "the exercise asks for the positive shift (JS is symmetric in the sign).", strict
        )
    if _near(value, _shift_where_js_reaches(LOG_2 - 0.01), 0.0, 0.01):
        return _finish(exercise, "wrong", "you used an absolute gap of 0.01; 1% of log 2 is smaller.", strict)
    if abs(value - reference) <= 0.25:
        return _finish(exercise, "wrong", "close, within a slider step: find the crossing to 0.01 (bisection).", strict)
    side = "JS is still below 0.99 log 2 there" if value < reference else "JS crossed 0.99 log 2 before that"
    return _finish(exercise, "wrong", f"{side}; print wt.js_divergence at your mu_2.", strict)


# ---------------------------------------------------------------------------------------------
# Lesson 03: the discriminator and the critic (Figure 2, Section 4.2, Theorem 3, Section 5)


def check_discriminator_slope_at_fake(answer, strict: bool = False) -> Verdict:
    r"""Exercise 03.1: the median of :math:`|dD^*/dx|` at ``Gaussian1D(1.0, 0.5).sample(1000, seed=2)``, for
    :math:`D^* = p_r/(p_r + p_g)` between the lesson's real law N(0, 0.5^2) and the fake law N(1, 0.5^2).

    Section 4.2: the trained discriminator approaches :math:`D^*`; Figure 2: its slope vanishes where the
    laws do not overlap. Reference: :func:`~wgan_toys.optimal.optimal_discriminator` differentiated by a
    central difference (h = 1e-5); tolerance 2% relative.
    """
    exercise = "03.1"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    value = _number(exercise, answer, "the median |dD*/dx| at the fake samples")
    from .optimal import optimal_discriminator, optimal_discriminator_logit

    real, fake = FIGURE_2_REAL, Gaussian1D(1.0, 0.5)
    points, h = fake.sample(1000, seed=2), 1e-5
    discriminator, logit = optimal_discriminator(real, fake), optimal_discriminator_logit(real, fake)
    reference = float(np.median(np.abs(discriminator(points + h) - discriminator(points - h)) / (2 * h)))
    if _near(value, reference, 0.02):
        return _finish(
            exercise, "right", f"median |dD*/dx| = {reference:.3f}, no longer tiny: the laws overlap", strict
        )
    logit_slope = float(np.median(np.abs(logit(points + h) - logit(points - h)) / (2 * h)))
    if _near(value, logit_slope, 0.02):
        return _finish(exercise, "wrong", "that is the slope of the logit; D* = sigmoid(logit): chain rule.", strict)
    if _near(value, float(np.median(discriminator(points))), 0.02):
        return _finish(exercise, "wrong", "that is the median of D* itself, not of its slope.", strict)
    return _finish(
        exercise, "wrong", "differentiate D* = optimal.optimal_discriminator(real, fake) at the points.", strict
    )


def _weight_layers(depth: int = 3) -> int:
    from .networks import make_critic

    return sum(1 for name, _ in make_critic(depth=depth).named_parameters() if name.endswith("weight"))


def check_clip_ratio(answer, strict: bool = False) -> Verdict:
    r"""Exercise 03.3: the guessed ratio :math:`K(c = 0.02) / K(c = 0.01)` for ``train_critic``'s default critic.

    Algorithm 1, line 7 clips every weight to :math:`[-c, c]`; the clipped family's Lipschitz bound is
    :math:`\prod_l c\sqrt{n_{l-1} n_l}`, so doubling c multiplies it by :math:`2^L`, L the number of weight
    layers of :func:`~wgan_toys.networks.make_critic` (lesson 04 measures the fitted K growing roughly
    like that). Tolerance: 1% relative.
    """
    exercise = "03.3"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    value = _number(exercise, answer, "the ratio K(c = 0.02) / K(c = 0.01)")
    layers = _weight_layers()
    reference = 2.0**layers
    if _near(value, reference, 0.01):
        return _finish(exercise, "right", f"2^{layers}: c enters once per weight layer (lesson 04 measures it)", strict)
    if _near(value, 2.0, 0.01):
        return _finish(
            exercise,
            "wrong",
            "K is not linear in c: every layer's weights are clipped, and the layers multiply.",
            strict,
        )
    if _near(value, 2.0 ** (layers - 1), 0.01):
        return _finish(
            exercise, "wrong", "you counted the hidden layers; the output layer's weights are clipped too.", strict
        )
    if _near(value, 1.0, 0.01):
        return _finish(exercise, "wrong", "K does depend on c: the clipped weights bound every layer's slope.", strict)
    return _finish(
        exercise, "wrong", "count the weight layers of networks.make_critic() and how c bounds each.", strict
    )


def check_swapped_signs(answer, strict: bool = False) -> Verdict:
    r"""Exercise 03.4: swap ``one`` and ``mone`` in the critic's two ``backward`` calls of the paper's code. The
    answer is ``(sign of the printed Loss_D once trained, multiplier the generator's backward then needs)``,
    each +1 or -1 (``one`` is +1, ``mone`` is -1).

    The code computes ``errD = errD_real - errD_fake`` and descends it, so its critic is minus eq. (3)'s and
    Loss_D is about :math:`-KW < 0` ("plot -Loss_D"). Swapped, the critic ascends
    :math:`\mathbb{E}_r f - \mathbb{E}_g f` (eq. (3)), Loss_D turns positive, and the generator must ascend
    :math:`\mathbb{E}_z f(g_\theta(z))` (Algorithm 1, line 10 with this sign): ``errG.backward(mone)``.
    """
    exercise = "03.4"
    what = "(sign of Loss_D, the generator's backward multiplier), each +1 or -1"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    loss_sign, generator = _numbers(exercise, answer, 2, what)
    if loss_sign not in (1.0, -1.0) or generator not in (1.0, -1.0):
        raise ValueError(f"answer for exercise {exercise} is {tuple(answer)!r}, must be two signs, +1 or -1: {what}.")
    # eq. (3): with the swap the critic maximises E_r f - E_g f, which the code prints as errD_real - errD_fake > 0;
    # the generator then maximises E_z f(g(z)), i.e. descends -E_z f, i.e. backward(mone)
    reference = (1.0, -1.0)
    if (loss_sign, generator) == reference:
        return _finish(exercise, "right", "Loss_D now prints eq. (3)'s positive estimate; errG.backward(mone)", strict)
    if loss_sign != reference[0]:
        return _finish(
            exercise,
            "wrong",
            "after the swap the critic ascends errD_real - errD_fake, the quantity Loss_D prints: which sign does it settle at?",
            strict,
        )
    return _finish(
        exercise,
        "wrong",
        "with the critic's sign flipped, f is now high on real data: a generator that still descends f(g(z)) moves away.",
        strict,
    )


def check_penalty_slope(answer, strict: bool = False) -> Verdict:
    r"""Exercise 03.5: the effective slope (estimate / W) of the best linear critic :math:`s f^*` under the
    gradient penalty, :math:`\lambda = 10`, between the lesson's laws N(0, 0.5^2) and N(4, 0.5^2).

    WGAN-GP's objective over :math:`f = s f^*` is :math:`J(s) = sW - \lambda(s - 1)^2`, maximised at
    :math:`s^* = 1 + W/(2\lambda)` (:func:`~wgan_toys.optimal.gradient_penalty_prediction`; lesson 04), above 1;
    spectral normalisation bounds the slope by 1 and reaches it. Tolerance :math:`10^{-6}` relative.
    """
    exercise = "03.5"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    value = _number(exercise, answer, "the slope s* of the penalised linear critic")
    from .optimal import gradient_penalty_prediction

    distance = wasserstein_1(FIGURE_2_REAL, FIGURE_2_FAKE)
    reference = gradient_penalty_prediction(distance, 10.0)["slope"]
    if _near(value, reference, 1e-6):
        return _finish(exercise, "right", f"s* = 1 + W/(2 lambda) = {reference:g}: the penalty's bias", strict)
    if _near(value, 1 + distance / 10.0, 1e-6):
        return _finish(
            exercise,
            "wrong",
            "your excess over 1 is twice the reference: did you forget the 1/2 from dJ/ds = 0?",
            strict,
        )
    if _near(value, 1.0, 1e-6):
        return _finish(
            exercise,
            "wrong",
            "1 is the slope the penalty aims at; maximise J(s) = sW - lambda (s - 1)^2 over s.",
            strict,
        )
    if _near(value, 1 - distance / 20.0, 1e-6):
        return _finish(
            exercise, "wrong", "sign error: J grows with s at s = 1 (dJ/ds = W > 0), so s* is above 1.", strict
        )
    return _finish(
        exercise, "wrong", "set dJ/ds = 0 for J(s) = sW - lambda (s - 1)^2 with W = 4 and lambda = 10.", strict
    )


def check_theorem_3_by_hand(answer, strict: bool = False) -> Verdict:
    r"""Exercise 03.6: :math:`-\mathbb{E}_z[\tfrac{d}{d\theta} f^*(\theta + 0.5 z)]` for the exact critic of slope
    -1 and :math:`\theta > 0`, which Theorem 3 says equals :math:`\tfrac{d}{d\theta} W(\mathbb{P}_r, \mathbb{P}_\theta)`.

    Reference: the same expectation by autograd over 10,000 draws of z with ``f*(x) = -x``, and the central
    difference of the exact :math:`W(N(0, 0.5^2), N(\theta, 0.5^2))` at :math:`\theta = 1`; tolerance 1e-6.
    """
    exercise = "03.6"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    value = _number(exercise, answer, "-E_z[d/dtheta f*(theta + 0.5 z)]")
    import torch

    theta = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    z = torch.randn(10_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    (gradient,) = torch.autograd.grad(-(-(theta + 0.5 * z)).mean(), theta)
    h = 1e-6
    by_distance = (
        wasserstein_1(FIGURE_2_REAL, Gaussian1D(1.0 + h, 0.5)) - wasserstein_1(FIGURE_2_REAL, Gaussian1D(1.0 - h, 0.5))
    ) / (2 * h)
    reference = float(gradient)
    if not math.isclose(reference, by_distance, abs_tol=1e-6):
        raise RuntimeError(f"Theorem 3 reference {reference} and dW/dtheta {by_distance} disagree: distances is broken")
    if _near(value, reference, 0.0, 1e-6):
        return _finish(exercise, "right", "-E[-1] = 1 = dW/dtheta for theta > 0 (W = theta)", strict)
    if _near(value, -reference, 0.0, 1e-6):
        return _finish(exercise, "wrong", "sign error: Theorem 3 has a minus sign in front of the expectation.", strict)
    if _near(value, 0.5 * reference, 0.0, 1e-6):
        return _finish(exercise, "wrong", "d/dtheta of theta + 0.5 z is 1: the 0.5 multiplies z, not theta.", strict)
    return _finish(
        exercise, "wrong", "f*(x) = -x + b: differentiate f*(theta + 0.5 z) in theta, then average over z.", strict
    )


def mmd_gaussians(p: Gaussian1D, q: Gaussian1D, bandwidth: float) -> float:
    r"""MMD with the Gaussian kernel :math:`k(x, y) = e^{-(x - y)^2/(2h^2)}` between two Gaussians of equal width
    s (Section 5, eq. (4) over an RKHS ball):

    .. math::

        \text{MMD}^2 = \frac{2h}{\sqrt{h^2 + 2s^2}}\Big(1 - e^{-\Delta^2 / (2(h^2 + 2s^2))}\Big).
    """
    if not math.isclose(p.std, q.std):
        raise ValueError(f"p.std == {p.std} and q.std == {q.std}, must be equal: the closed form is for equal widths.")
    spread = bandwidth**2 + 2 * p.std**2
    return math.sqrt(2 * bandwidth / math.sqrt(spread) * (1 - math.exp(-((p.mean - q.mean) ** 2) / (2 * spread))))


def _shift_where_mmd_saturates(bandwidth: float, fraction: float, squared: bool = False) -> float:
    from scipy.optimize import brentq

    real = FIGURE_2_REAL
    ceiling = mmd_gaussians(real, Gaussian1D(1e6, real.std), bandwidth)

    def gap(shift):
        value = mmd_gaussians(real, Gaussian1D(shift, real.std), bandwidth) / ceiling
        return (value**2 if squared else value) - fraction

    return float(brentq(gap, 1e-6, 50.0, xtol=1e-12))


def check_mmd_saturation_shift(answer, strict: bool = False) -> Verdict:
    r"""Exercise 03.7: the shift at which MMD (bandwidth h = 0.25) between N(0, 0.5^2) and N(shift, 0.5^2) reaches
    99% of its ceiling, its limit as the shift grows (Section 5: the RKHS ball saturates, W does not).

    Reference: a root of :func:`mmd_gaussians` by Brent's method; tolerance 0.005.
    """
    exercise = "03.7"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    value = _number(exercise, answer, "the shift where MMD = 0.99 x its ceiling at h = 0.25")
    reference = _shift_where_mmd_saturates(0.25, 0.99)
    if _near(value, reference, 0.0, 0.005):
        return _finish(exercise, "right", f"shift {reference:.3f}: MMD saturates, W = shift does not", strict)
    if _near(value, _shift_where_mmd_saturates(0.5, 0.99), 0.0, 0.005):
        return _finish(exercise, "wrong", "that is the shift for h = 0.5, the lesson's bandwidth; halve it.", strict)
    if _near(value, _shift_where_mmd_saturates(0.25, 0.99, squared=True), 0.0, 0.005):
        return _finish(
            exercise, "wrong", "that is where MMD^2 reaches 99% of its ceiling; the question is about MMD.", strict
        )
    return _finish(exercise, "wrong", "divide MMD by its limit for a huge shift and solve for 0.99.", strict)


# ---------------------------------------------------------------------------------------------
# Lesson 04: keeping the critic Lipschitz (Algorithm 1, line 7; WGAN-GP)


@functools.lru_cache(maxsize=None)
def _penalty_optimum_04():
    from .optimal import gradient_penalty_optimum

    return gradient_penalty_optimum(Gaussian1D(0.0, 1.0), Gaussian1D(1.0, 1.5), 10.0)


def check_penalty_effective_slope(answer, strict: bool = False) -> Verdict:
    r"""Exercise 04.1: the effective slope, estimate / W, of a converged gradient-penalty critic
    (:math:`\lambda = 10`) between :math:`\mathbb{P}_r = N(0, 1)` and :math:`\mathbb{P}_g = N(1, 1.5^2)`: the exact optimum
    of the WGAN-GP objective over all critics.

    Its slope is :math:`\operatorname{sign} D\,(1 + |D|/(2\lambda\rho))` and its gap :math:`W + \frac{1}{2\lambda}\int D^2/\rho`,
    above the linear critics' :math:`W + W^2/(2\lambda)` (lesson 04, section 7). Reference:
    :func:`~wgan_toys.optimal.gradient_penalty_optimum`; tolerance 0.3% relative.
    """
    exercise = "04.1"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    value = _number(exercise, answer, "estimate / W of the exact WGAN-GP optimum")
    optimum = _penalty_optimum_04()
    reference = optimum.estimate / optimum.wasserstein
    if _near(value, reference, 0.003):
        return _finish(exercise, "right", f"{reference:.4f}: above 1, and above the linear critics' bound", strict)
    if _near(value, optimum.linear_lower_bound / optimum.wasserstein, 0.003):
        return _finish(
            exercise,
            "wrong",
            "that is the optimum over the scaled optimal critics, a lower bound; over all critics the slope bends with |D|/rho.",
            strict,
        )
    if _near(value, optimum.estimate, 0.003):
        return _finish(exercise, "wrong", "that is the estimate itself; divide it by W.", strict)
    if _near(value, 1.0, 0.003):
        return _finish(
            exercise, "wrong", "1 is what spectral normalisation reaches; the penalty's optimum overshoots it.", strict
        )
    return _finish(
        exercise, "wrong", "use optimal.gradient_penalty_optimum(real, fake, 10.0): its estimate over its W.", strict
    )


def check_depth_exponents(answer, strict: bool = False) -> Verdict:
    r"""Exercise 04.2: the exponents L in the effective slope :math:`\propto c^L` that the clipped family's bound
    :math:`\prod_l c\sqrt{n_{l-1} n_l}` predicts for ``make_critic(depth=2)`` and ``make_critic(depth=4)``. The answer
    is ``(L for depth 2, L for depth 4)``.

    Algorithm 1, line 7 clips every weight; each weight layer contributes one factor c. Reference: the weight layers
    of :func:`~wgan_toys.networks.make_critic` counted; exact.
    """
    exercise = "04.2"
    what = "(exponent for depth=2, exponent for depth=4)"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    values = _numbers(exercise, answer, 2, what)
    reference = np.array([_weight_layers(depth) for depth in (2, 4)], dtype=float)
    if np.allclose(values, reference, rtol=0, atol=1e-9):
        return _finish(exercise, "right", "one factor c per weight layer: hidden layers plus the output", strict)
    if np.allclose(values, reference - 1, rtol=0, atol=1e-9):
        return _finish(
            exercise, "wrong", "you counted the hidden layers; the output layer's weights are clipped too.", strict
        )
    if np.allclose(values, reference[::-1], rtol=0, atol=1e-9):
        return _finish(exercise, "wrong", "your two numbers are in the other order: (depth=2, depth=4).", strict)
    return _finish(
        exercise, "wrong", "count the weight matrices of networks.make_critic(depth=d), each bounded by c.", strict
    )


def _shift_w_from_gap(gap: float, penalty_weight: float, penalised_loss: bool) -> float:
    """Invert the WGAN-GP optimum over linear critics: the gap W + W^2/(2 lambda), or the penalised objective
    W + W^2/(4 lambda) (the gap minus the penalty lambda (s* - 1)^2 = W^2/(4 lambda))."""
    from scipy.optimize import brentq

    from .optimal import gradient_penalty_prediction

    def logged(w):
        value = gradient_penalty_prediction(w, penalty_weight)
        return value["estimate"] - (penalty_weight * (value["slope"] - 1) ** 2 if penalised_loss else 0.0)

    return float(brentq(lambda w: logged(w) - gap, 0.0, gap, xtol=1e-12))


def check_penalty_inversion(answer, strict: bool = False) -> Verdict:
    r"""Exercise 04.5: a WGAN-GP run (:math:`\lambda = 10`, shifted Gaussians) logs a gap falling from 12 to 1.1. The
    answer is ``(factor by which W fell, the same factor had the run logged the penalised loss)``.

    Over the linear critics :math:`s f^*` the optimum is :math:`s^* = 1 + W/(2\lambda)` with gap
    :math:`W + W^2/(2\lambda)` and penalised objective :math:`W + W^2/(4\lambda)`
    (:func:`~wgan_toys.optimal.gradient_penalty_prediction`; nearly exact for shifts, lesson 04 section 7).
    Reference: both inverted by Brent's method; tolerance 1% relative.
    """
    exercise = "04.5"
    what = "(factor by which W fell from the logged gap, the factor from a logged penalised loss)"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    gap_factor, loss_factor = _numbers(exercise, answer, 2, what)
    reference = [
        _shift_w_from_gap(12.0, 10.0, penalised) / _shift_w_from_gap(1.1, 10.0, penalised)
        for penalised in (False, True)
    ]
    right = [_near(gap_factor, reference[0], 0.01), _near(loss_factor, reference[1], 0.01)]
    if all(right):
        return _finish(exercise, "right", f"W fell {reference[0]:.2f}x, not 12/1.1 = {12 / 1.1:.2f}x", strict)
    if _near(gap_factor, 12 / 1.1, 0.01) or _near(loss_factor, 12 / 1.1, 0.01):
        return _finish(
            exercise, "wrong", "12/1.1 is the factor of the logged numbers; invert E = W + W^2/20 first.", strict
        )
    if not right[0]:
        if _near(gap_factor, reference[1], 0.01):
            return _finish(
                exercise,
                "wrong",
                "your first factor inverts the penalised loss; the gap is W + W^2/(2 lambda).",
                strict,
            )
        return _finish(exercise, "wrong", "solve W + W^2/20 = 12 and = 1.1 (quadratics in W) and divide.", strict)
    if _near(loss_factor, reference[0], 0.01):
        return _finish(
            exercise,
            "wrong",
            "the penalised loss subtracts the penalty lambda (s* - 1)^2 at the optimum: it is not the gap.",
            strict,
        )
    return _finish(exercise, "wrong", "at s* = 1 + W/(2 lambda), what is s W - lambda (s - 1)^2? Invert that.", strict)


# ---------------------------------------------------------------------------------------------
# Lesson 05: learning the parallel lines (Example 1, Theorem 3, Algorithm 1)


def check_clip_gradient_power(answer, strict: bool = False) -> Verdict:
    r"""Exercise 05.3: the power p in ``theta_gradients[0]`` :math:`\propto c^p` for the clipped critic of
    ``learn_parallel_lines`` (Algorithm 1, line 7), as the clipped family's bound predicts.

    The critic's slope, and with it the generator's gradient (Theorem 3 times K), is bounded by
    :math:`\prod_l c\sqrt{n_{l-1} n_l} \propto c^L`, L the number of weight layers (3 hidden layers and
    the output). Exact answer: L, counted from :func:`~wgan_toys.networks.make_critic`.
    """
    exercise = "05.3"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    value = _number(exercise, answer, "the power p in gradient ~ c^p")
    layers = _weight_layers()
    if _near(value, layers, 0.0, 1e-9):
        return _finish(
            exercise, "right", f"c^{layers}: one factor c per weight layer (measure it: one seed is one seed)", strict
        )
    if _near(value, layers - 1, 0.0, 1e-9):
        return _finish(
            exercise, "wrong", "you counted the hidden layers; the output layer's weights are clipped too.", strict
        )
    if _near(value, 1.0, 0.0, 1e-9):
        return _finish(
            exercise, "wrong", "the gradient is not linear in c: each clipped layer contributes a factor.", strict
        )
    return _finish(
        exercise, "wrong", "count the weight matrices the gradient passes through, each bounded by c.", strict
    )


def check_theorem_3_fixed_critic(answer, strict: bool = False) -> Verdict:
    r"""Exercise 05.5: hold the optimal critic of :math:`\theta = 0.5`, :math:`f(x) = -x_1` (Example 1, up to a
    constant), fixed and evaluate Theorem 3's :math:`-\mathbb{E}_z[\nabla_\theta f(g_\theta(z))]` at
    :math:`\theta = 0.25, -0.5, 2.0`. The answer is the set of those :math:`\theta` where it differs from
    :math:`\operatorname{sign}\theta = \nabla_\theta W` (may be empty: ``set()``).

    Reference: :func:`~wgan_toys.parallel_lines.theorem_3_gradient` with that linear critic.
    """
    exercise = "05.5"
    thetas = (0.25, -0.5, 2.0)
    what = "the thetas among 0.25, -0.5, 2.0 where the fixed critic's gradient is not sign(theta)"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    chosen = _values(exercise, answer, thetas, what)
    import torch

    from .parallel_lines import theorem_3_gradient

    critic = torch.nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[-1.0, 0.0]]))
        critic.bias.zero_()
    reference = frozenset(
        theta
        for theta in thetas
        if not math.isclose(theorem_3_gradient(critic, theta, n=1000), np.sign(theta), abs_tol=1e-6)
    )
    if chosen == reference:
        return _finish(
            exercise, "right", "across theta = 0 the optimal critic changes sign, and a fixed one cannot", strict
        )
    if not chosen:
        return _finish(
            exercise,
            "wrong",
            "one of the three lies on the other side of the target: is f still optimal there?",
            strict,
        )
    if 2.0 in chosen:
        return _finish(
            exercise,
            "wrong",
            "at theta = 2 the fixed f = -x_1 is still an optimal critic: W = |theta| there too.",
            strict,
        )
    return _finish(
        exercise, "wrong", "theta = 0.25 lies on the same side as 0.5, where f = -x_1 stays optimal.", strict
    )


# ---------------------------------------------------------------------------------------------
# Lesson 06: 2D toys (Section 4, Figures 3-4; WGAN-GP)


@functools.lru_cache(maxsize=None)
def _untrained_toy_w1() -> tuple[float, float]:
    """(exact_w1 at step 0, penalty_weight) of the seed-0 WGAN-GP toy on 8 Gaussians (computed once per process)."""
    from .toy_gan import ToyConfig, ToyGAN

    trainer = ToyGAN(ToyConfig(dataset="8gaussians", algorithm="wgan-gp", seed=0))
    return trainer.evaluate()["exact_w1"], trainer.config.penalty_weight


def check_penalised_floor(answer, strict: bool = False) -> Verdict:
    r"""Exercise 06.6: the value a fully trained WGAN-GP critic's estimate must at least reach against the
    *untrained* generator of ``ToyGAN(ToyConfig(dataset="8gaussians", algorithm="wgan-gp", seed=0))``:
    :math:`W + W^2/(2\lambda)` with W the ``exact_w1`` of its step-0 ``evaluate()`` and :math:`\lambda` its
    ``penalty_weight``.

    WGAN-GP's objective over the scaled optimal critics is :math:`J(s) = sW - \lambda(s - 1)^2`, maximised at
    :math:`s^* W = W + W^2/(2\lambda)`, a lower bound on the optimum over all critics
    (:func:`~wgan_toys.optimal.gradient_penalty_prediction`). Tolerance 1e-6 relative.
    """
    exercise = "06.6"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    value = _number(exercise, answer, "W + W^2 / (2 lambda) at step 0")
    from .optimal import gradient_penalty_prediction

    distance, penalty_weight = _untrained_toy_w1()
    reference = gradient_penalty_prediction(distance, penalty_weight)["estimate"]
    if _near(value, reference, 1e-6):
        return _finish(
            exercise, "right", f"W = {distance:.4f}, bound {reference:.4f}: above W, the penalty's bias", strict
        )
    if _near(value, distance, 1e-6):
        return _finish(
            exercise,
            "wrong",
            "that is W itself; the penalised optimum is above it (maximise sW - lambda (s - 1)^2).",
            strict,
        )
    if _near(value, distance + distance**2 / penalty_weight, 1e-6):
        return _finish(
            exercise, "wrong", "your bias is twice the reference: did you forget the 1/2 in W^2 / (2 lambda)?", strict
        )
    if _near(value, distance**2 / (2 * penalty_weight), 1e-6):
        return _finish(exercise, "wrong", "that is the bias alone; the bound is W plus it.", strict)
    return _finish(
        exercise, "wrong", "take exact_w1 from a fresh trainer's evaluate() and the config's penalty_weight.", strict
    )


# ---------------------------------------------------------------------------------------------
# Lesson 07: images (Section 4, Algorithm 1)


def check_paper_code_critic_steps(answer, strict: bool = False) -> Verdict:
    r"""Exercise 07.4: the number of critic steps in a 300-generator-step run with ``critic_schedule="paper-code"``.

    Algorithm 1 takes :math:`n_{\text{critic}} = 5` critic steps per generator step; the paper's code takes 100 for
    the first 25 generator steps and every 500th. Reference: ``ImageConfig.critic_iterations`` summed over the run;
    exact.
    """
    exercise = "07.4"
    if _is_unattempted(answer):
        return _finish(exercise, "not attempted", "", strict)
    value = _number(exercise, answer, "the critic steps of a 300-step paper-code run")
    from .images.trainer import ImageConfig

    paper_code, algorithm_1 = ImageConfig(critic_schedule="paper-code"), ImageConfig()
    reference = sum(paper_code.critic_iterations(step) for step in range(300))
    plain = sum(algorithm_1.critic_iterations(step) for step in range(300))
    if _near(value, reference, 0.0, 0.5):
        return _finish(
            exercise, "right", f"{reference} critic steps, {reference / plain:.2f}x Algorithm 1's {plain}", strict
        )
    if _near(value, plain, 0.0, 0.5):
        return _finish(
            exercise, "wrong", "that is Algorithm 1's schedule; the paper's code changes the first 25 steps.", strict
        )
    if _near(value, plain + 25 * 100, 0.0, 0.5):
        return _finish(
            exercise,
            "wrong",
            "the 100 critic steps replace the 5 of those generator steps; they do not add to them.",
            strict,
        )
    return _finish(
        exercise,
        "wrong",
        "print ImageConfig(critic_schedule='paper-code').critic_iterations(step) for a few steps.",
        strict,
    )


CHECKERS = {
    "01.1": check_js_at_smallest_theta,
    "01.4": check_descent_by_hand,
    "01.5": check_distances_that_vanish,
    "01.6": check_plan_cost_rate,
    "02.1": check_kl_symmetric_width,
    "02.4": check_flat_discriminator_edges,
    "02.5": check_mixed_plan_costs,
    "02.6": check_js_saturation_shift,
    "03.1": check_discriminator_slope_at_fake,
    "03.3": check_clip_ratio,
    "03.4": check_swapped_signs,
    "03.5": check_penalty_slope,
    "03.6": check_theorem_3_by_hand,
    "03.7": check_mmd_saturation_shift,
    "04.1": check_penalty_effective_slope,
    "04.2": check_depth_exponents,
    "04.5": check_penalty_inversion,
    "05.3": check_clip_gradient_power,
    "05.5": check_theorem_3_fixed_critic,
    "06.6": check_penalised_floor,
    "07.4": check_paper_code_critic_steps,
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
        If ``exercise`` has no checker (the message lists those that do), or the answer has the wrong shape.
    TypeError
        If the answer has the wrong type.
    WrongAnswer
        With ``strict=True``, if the answer is wrong or missing.

    Examples
    --------
    >>> check("01.1", None).status
    Exercise 01.1: not attempted yet
    'not attempted'
    """
    if exercise not in CHECKERS:
        raise ValueError(
            f"exercise == {exercise!r}, must be one of {', '.join(CHECKERS)} (the exercises with a checker)."
        )
    return CHECKERS[exercise](answer, strict=strict)
