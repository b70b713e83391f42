r"""The checkers of lesson 01's exercises (``notebooks/01_*.ipynb``): parallel lines (Example 1, Figure 1, Theorems 1-2).

See :mod:`wgan_toys.exercises` for what a checker prints and when it raises.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..distances import LOG_2, all_distances, js_divergence, wasserstein_1
from ..distributions import ParallelLines
from ._answers import Verdict, as_names, as_number, as_numbers, finish, is_unattempted, near


def check_js_at_smallest_theta(answer, strict: bool = False) -> Verdict:
    r"""Exercise 01.1: JS between :math:`\mathbb{P}_0` and :math:`\mathbb{P}_\theta` at the smallest positive
    float, :math:`\theta = 5 \cdot 10^{-324}`.

    Example 1: for every :math:`\theta \ne 0` the supports are disjoint and :math:`JS = \log 2`, with the
    :math:`\tfrac12` convention and natural logs (Section 2). Tolerance: :math:`10^{-6}` absolute (a float32 answer passes).
    """
    exercise = "01.1"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "JS(P_0, P_theta) at theta = 5e-324")
    reference = js_divergence(ParallelLines(0.0), ParallelLines(5e-324))
    if near(value, reference, 0.0, 1e-6):
        return finish(
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
        if near(value, wrong, 1e-6, 1e-12):
            return finish(exercise, "wrong", hint, strict)
    return finish(exercise, "wrong", "compute wt.js_divergence(target, wt.ParallelLines(5e-324)) and compare.", strict)


_FIGURE_1_GRID = {"bins": (21, 10), "range": [(-1.1, 1.1), (0.0, 1.0)]}  # plots.figure_1's histogram grid


@functools.lru_cache(maxsize=None)
def _histogram_js(theta: float, n_samples: int = 4096, seed: int = 0) -> float:
    """figure_1's histogram JS between n samples of P_0 and of P_theta, drawn from one generator (P_0 first)."""
    from ..empirical import histogram_distances

    rng = np.random.default_rng(seed)
    real, fake = ParallelLines(0.0).sample(n_samples, seed=rng), ParallelLines(theta).sample(n_samples, seed=rng)
    return histogram_distances(real, fake, **_FIGURE_1_GRID)["js"]


def check_histogram_js_inside_a_column(answer, strict: bool = False) -> Verdict:
    r"""Exercise 01.2: the histogram estimates of JS that ``plots.figure_1`` would draw at :math:`\theta = 0.03` and at
    :math:`\theta = 0.08`, from 4096 samples of each law (``rng = np.random.default_rng(0)``, then
    ``target.sample(4096, seed=rng)`` and ``wt.ParallelLines(theta).sample(4096, seed=rng)``, a fresh generator per
    :math:`\theta`) on figure_1's grid: 21 columns on :math:`[-1.1, 1.1]`, 10 rows on :math:`[0, 1]`. The answer is
    ``(estimate at 0.03, estimate at 0.08)``.

    Example 1, Figure 1: the exact JS is :math:`\log 2` at both. The middle column is :math:`[-2.2/42, 2.2/42]`, so at
    0.03 both samples land in it, the binned laws coincide (their JS is 0) and the estimate is the sampling noise of
    the 10 rows, as at :math:`\theta = 0`; at 0.08 the samples sit in different columns and the estimate is
    :math:`\log 2`. Reference: :func:`~wgan_toys.empirical.histogram_distances` on that draw; tolerance
    :math:`10^{-6}` relative (the draw is seeded).
    """
    exercise = "01.2"
    what = "(histogram JS at theta = 0.03, histogram JS at theta = 0.08)"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    inside, outside = as_numbers(exercise, answer, 2, what)
    reference = (_histogram_js(0.03), _histogram_js(0.08))

    def close(value, target):
        return near(value, target, 1e-6, 1e-12)

    if close(inside, reference[0]) and close(outside, reference[1]):
        return finish(
            exercise,
            "right",
            f"{reference[0]:.2e} inside the middle column, the noise of theta = 0; log 2 one column over",
            strict,
        )
    if close(inside, reference[1]) and close(outside, reference[0]):
        return finish(
            exercise, "wrong", "your two numbers are in the other order: (theta = 0.03, theta = 0.08).", strict
        )
    if close(inside, LOG_2):
        return finish(
            exercise,
            "wrong",
            "log 2 is the exact JS; at theta = 0.03 both segments fall inside the middle column: what does a "
            "histogram see of theta there?",
            strict,
        )
    if inside == 0.0:
        return finish(
            exercise,
            "wrong",
            "0 is the JS of the binned laws; two finite samples of them give histograms that differ a little: "
            "compute the estimate from the draw.",
            strict,
        )
    if not close(outside, reference[1]) and outside < 0.5 * LOG_2:
        return finish(
            exercise,
            "wrong",
            "theta = 0.08 is beyond the middle column's edge 2.2/42 = 0.052: the two samples share no column there.",
            strict,
        )
    return finish(
        exercise,
        "wrong",
        "draw both samples from one np.random.default_rng(0) per theta (P_0 first) and call "
        "empirical.histogram_distances(x, y, bins=(21, 10), range=[(-1.1, 1.1), (0, 1)]).",
        strict,
    )


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
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    final_w, final_js = as_numbers(exercise, answer, 2, what)
    reference_w = _descent_by_finite_differences(wasserstein_1, 0.8, 10, 0.1, 1e-3)
    reference_js = _descent_by_finite_differences(js_divergence, 0.8, 10, 0.1, 1e-3)
    right_w, right_js = near(final_w, reference_w, 0.0, 1e-6), near(final_js, reference_js, 0.0, 1e-6)
    if right_w and right_js:
        return finish(exercise, "right", "W walks to 0 in 8 steps and stays; JS never moves from 0.8", strict)
    if near(final_w, reference_js, 0.0, 1e-6) and near(final_js, reference_w, 0.0, 1e-6):
        return finish(exercise, "wrong", "your two numbers are in the other order: (W run, JS run).", strict)
    if not right_w:
        if final_w > 0.8 + 1e-9:
            hint = "your W run moved away from 0: descent subtracts the gradient (theta - 0.1 * slope), a sign error?"
        elif near(final_w, 0.8, 0.0, 1e-6):
            hint = "your W run did not move: the finite difference of |theta| is sign(theta), not 0."
        elif final_w < -1e-6:
            hint = (
                "your W run overshot 0: is your step 0.1 * slope, and the slope the central difference with h = 1e-3?"
            )
        else:
            hint = "your W run stopped short of where it ends: did you take all 10 steps?"
        return finish(exercise, "wrong", hint, strict)
    if abs(final_js) < 1e-6:
        hint = "your JS run reached 0: JS's finite difference is exactly 0 at every theta != 0, so how far can it move?"
    else:
        hint = "your JS run moved: JS(P_0, P_theta) is log 2 at theta +- h when |theta| > h, so its difference is 0."
    return finish(exercise, "wrong", hint, strict)


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
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    names = as_names(exercise, answer, _DISTANCE_NAMES, what)
    first = all_distances(_uniform(0.0, 2.0), _uniform(0.0, 1.0))
    late = all_distances(_uniform(0.0, 1.001), _uniform(0.0, 1.0))
    reference = frozenset(name for name in _DISTANCE_NAMES if late[name] < first[name] / 100)
    if names == reference:
        return finish(exercise, "right", "TV, JS, EM and one direction of KL go to 0", strict)
    if "kl" in names:
        return finish(
            exercise,
            "wrong",
            "KL(U[0, 1 + 1/n] || U[0, 1]) puts mass where U[0, 1] has none: what is its value?",
            strict,
        )
    if "kl_reverse" not in names and "kl_reverse" in reference:
        return finish(
            exercise, "wrong", "one direction of KL does go to 0: compare d['kl'] with d['kl_reverse'].", strict
        )
    missing = sorted(reference - names)
    return finish(exercise, "wrong", f"print the values for n = 1, 10, 100 again: {missing[0]!r} also shrinks.", strict)


def _uniform(low: float, high: float):
    from ..distributions import Uniform1D

    return Uniform1D(low, high)


@functools.lru_cache(maxsize=None)
def _plan_cost_exponent() -> float:
    """The log-log slope of the mean excess cost over 8 seeds at n = 10, 40, 160 (computed once per process)."""
    sizes = np.array([10, 40, 160])
    return float(np.polyfit(np.log(sizes), np.log(_plan_cost_excess(0.6, sizes, 8)), 1)[0])


def _plan_cost_excess(theta: float, sizes, repeats: int) -> np.ndarray:
    from ..transport import exact_transport

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
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the exponent a in cost - 0.6 ~ n^a")
    reference = _plan_cost_exponent()
    if abs(value - reference) <= 0.25:
        return finish(exercise, "right", f"the excess falls like n^{reference:.2f}, about 1/n", strict)
    if value > 0:
        return finish(
            exercise, "wrong", "the cost approaches 0.6 from above as n grows: the exponent is negative.", strict
        )
    if abs(value + 0.5) <= 0.15:
        return finish(
            exercise,
            "wrong",
            "n^(-1/2) is how fast the paired heights z, z' get close (delta); how does sqrt(0.6^2 + delta^2) - 0.6 "
            "depend on delta?",
            strict,
        )
    return finish(
        exercise, "wrong", "plot log(cost - 0.6) against log(n) for n = 10, 40, 160 and read the slope.", strict
    )


CHECKERS = {
    "01.1": check_js_at_smallest_theta,
    "01.2": check_histogram_js_inside_a_column,
    "01.4": check_descent_by_hand,
    "01.5": check_distances_that_vanish,
    "01.6": check_plan_cost_rate,
}
