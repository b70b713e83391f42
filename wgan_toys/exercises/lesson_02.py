r"""The checkers of lesson 02's exercises (``notebooks/02_*.ipynb``): two Gaussians (Section 2, eq. (1)-(2)).

See :mod:`wgan_toys.exercises` for what a checker prints and when it raises.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..distances import LOG_2, js_divergence, kl_divergence, wasserstein_1
from ..distributions import Gaussian1D
from ._answers import Verdict, as_number, as_numbers, finish, is_unattempted, near


def check_kl_symmetric_width(answer, strict: bool = False) -> Verdict:
    r"""Exercise 02.1: the :math:`\sigma_2` for which :math:`KL(\mathbb{P} \| \mathbb{Q}) = KL(\mathbb{Q} \| \mathbb{P})`
    for every :math:`\mu_2`, with :math:`\mathbb{P} = N(0, 1)`, :math:`\mathbb{Q} = N(\mu_2, \sigma_2^2)`.

    From the closed form :math:`KL = \log\frac{\sigma_Q}{\sigma_P} + \frac{\sigma_P^2 + \Delta\mu^2}{2\sigma_Q^2} - \frac12`
    (Section 2's KL between Gaussians). Checked with ``kl_divergence`` both ways at
    :math:`\mu_2 = 0.5, 1, 3`: the gap must be below :math:`10^{-9}` at all three.
    """
    exercise = "02.1"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "sigma_2, a standard deviation > 0")
    p = Gaussian1D(0.0, 1.0)
    if value <= 0:
        return finish(
            exercise,
            "wrong",
            "a standard deviation is > 0; if you meant mu_2 = 0: with equal means KL is still asymmetric unless a "
            "condition on sigma_2 holds.",
            strict,
        )
    gaps = [kl_divergence(p, Gaussian1D(mu, value)) - kl_divergence(Gaussian1D(mu, value), p) for mu in (0.5, 1.0, 3.0)]
    if max(abs(gap) for gap in gaps) < 1e-9:
        return finish(exercise, "right", "equal widths: then KL = dmu^2 / 2 both ways", strict)
    return finish(
        exercise,
        "wrong",
        f"at sigma_2 = {value:g}, KL(P||Q) - KL(Q||P) = {gaps[1]:+.3f} for mu_2 = 1: write both closed forms and "
        "subtract them; which terms cancel for every mu_2?",
        strict,
    )


_BINNING_RANGE = (-5.5, 7.5)  # about the span of 10^5 samples of N(0, 1) and of N(1, 1.5^2)


def _binned_js(p: Gaussian1D, q: Gaussian1D, bins: int, low: float, high: float) -> float:
    """JS between the binned laws: masses F(b_{k+1}) - F(b_k) of ``bins`` equal bins on [low, high], renormalised
    to the range as a histogram of samples is."""
    edges = np.linspace(low, high, bins + 1)
    masses = [np.diff(law.cdf(edges)) for law in (p, q)]
    p_bins, q_bins = (mass / mass.sum() for mass in masses)
    mixture = (p_bins + q_bins) / 2
    return float(sum(0.5 * np.sum(b[b > 0] * np.log(b[b > 0] / mixture[b > 0])) for b in (p_bins, q_bins)))


@functools.lru_cache(maxsize=None)
def _binning_gaps(bins: tuple = (10, 30)) -> tuple:
    p, q = Gaussian1D(0.0, 1.0), Gaussian1D(1.0, 1.5)
    exact = js_divergence(p, q)
    return tuple(exact - _binned_js(p, q, count, *_BINNING_RANGE) for count in bins)


def check_binning_bias(answer, strict: bool = False) -> Verdict:
    r"""Exercise 02.2: the level at which the histogram estimate of JS levels off, for
    :math:`\mathbb{P} = N(0, 1)`, :math:`\mathbb{Q} = N(1, 1.5^2)`: the gap :math:`JS(\mathbb{P}, \mathbb{Q}) - JS(\text{binned})`
    between the exact JS and the JS of the *binned* laws, for 10 and for 30 equal bins on :math:`[-5.5, 7.5]` (about
    the span of :math:`10^5` samples of both laws, where ``empirical.convergence_study`` puts its grid at
    :math:`n = 10^5`). The answer is ``(gap for 10 bins, gap for 30 bins)``.

    Theorem 2 (lesson 02, section 2): TV and JS need smoothing, and a histogram estimate converges to the distance
    between the binned laws. Binning is a map applied to both laws, so it can only lower JS. Reference: the bin masses
    from the normal CDFs, renormalised to the range like a histogram, against :func:`~wgan_toys.distances.js_divergence`;
    tolerance 2% relative on each.
    """
    exercise = "02.2"
    what = "(exact JS - JS of the binned laws for 10 bins, the same for 30 bins)"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    coarse, fine = as_numbers(exercise, answer, 2, what)
    reference = _binning_gaps()

    def close(value, target, relative=0.02):
        return near(value, target, relative)

    if close(coarse, reference[0]) and close(fine, reference[1]):
        return finish(
            exercise,
            "right",
            f"10 bins lose {reference[0]:.4f} of JS, 30 bins {reference[1]:.5f}: the levels the errors stop at",
            strict,
        )
    if close(coarse, reference[1]) and close(fine, reference[0]):
        return finish(exercise, "wrong", "your two numbers are in the other order: (10 bins, 30 bins).", strict)
    if coarse < 0 or fine < 0:
        return finish(
            exercise,
            "wrong",
            "binning merges mass and can only lower JS, so the binned JS is below the exact one: give the gaps as "
            "positive numbers.",
            strict,
        )
    exact = js_divergence(Gaussian1D(0.0, 1.0), Gaussian1D(1.0, 1.5))
    if close(coarse, exact - reference[0]) or close(fine, exact - reference[1]):
        return finish(
            exercise,
            "wrong",
            "that is the JS of the binned laws itself; the level is its distance from the exact JS.",
            strict,
        )
    nine, twenty_nine = _binning_gaps((9, 29))
    if close(coarse, nine) and close(fine, twenty_nine):
        return finish(exercise, "wrong", "10 bins have 11 edges: np.linspace(-5.5, 7.5, 11).", strict)
    if close(coarse, reference[0], 0.3) and close(fine, reference[1], 0.5):
        return finish(
            exercise,
            "wrong",
            "close, but read from samples: the study's level carries sampling noise and a grid that moves with the "
            "samples; compute the gap exactly from the bin masses.",
            strict,
        )
    return finish(
        exercise,
        "wrong",
        "bin each law with its CDF, F(b_k+1) - F(b_k), on 11 and 31 equal edges over [-5.5, 7.5], take the JS of "
        "the two vectors and subtract it from wt.js_divergence(p, q).",
        strict,
    )


def _flat_edges(p: Gaussian1D, q: Gaussian1D, threshold: float) -> tuple[float, float]:
    """Edges of the middle region where |dD*/dx| >= threshold, on a grid of step 1e-4."""
    from ..optimal import optimal_discriminator

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
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    low, high = as_numbers(exercise, answer, 2, what)
    p, q = Gaussian1D(0.0, 1.0), Gaussian1D(4.0, 1.0)
    reference = _flat_edges(p, q, 1e-3)
    if near(low, reference[0], 0.0, 1e-3) and near(high, reference[1], 0.0, 1e-3):
        return finish(exercise, "right", f"D* is flat outside [{reference[0]:.3f}, {reference[1]:.3f}]", strict)
    if low > high:
        return finish(exercise, "wrong", "give the left edge first: (a, b) with a < b.", strict)
    forgot_chain = _flat_edges(p, q, 4e-3)  # sigma (1 - sigma) < 1e-3: the factor |l'| = 4 left out
    if near(low, forgot_chain[0], 0.0, 5e-3) and near(high, forgot_chain[1], 0.0, 5e-3):
        return finish(
            exercise,
            "wrong",
            "your edges are where D*(1 - D*) < 1e-3 (or D* within 1e-3 of 0 or 1): the slope also carries the "
            "logit's derivative, chain rule.",
            strict,
        )
    return finish(exercise, "wrong", "evaluate |dD*/dx| on a fine grid and read where it crosses 1e-3.", strict)


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
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    linear, squared = as_numbers(exercise, answer, 2, what)
    from ..distributions import Discrete1D

    source, target = np.array([0.0, 1.0]), np.array([1.0, 2.0])
    monotone, crossing = np.diag([0.5, 0.5]), np.array([[0.0, 0.5], [0.5, 0.0]])
    mixed = 0.5 * monotone + 0.5 * crossing
    reference = _plan_costs(mixed, source, target)
    optimum = wasserstein_1(Discrete1D(source), Discrete1D(target))  # W1 by the quantile functions
    if not math.isclose(reference[0], optimum, abs_tol=1e-12):  # the mixture is optimal for W1
        raise RuntimeError(f"the mixed plan costs {reference[0]}, W1 is {optimum}: distances is broken")
    if near(linear, reference[0], 0.0, 1e-9) and near(squared, reference[1], 0.0, 1e-9):
        return finish(exercise, "right", "same W1 cost as the monotone plan, a larger squared cost", strict)
    if near(linear, 2 * reference[0], 0.0, 1e-9):
        return finish(exercise, "wrong", "your plan carries mass 2: each half plan has mass 1/2 in all, not 1.", strict)
    if not near(linear, reference[0], 0.0, 1e-9):
        return finish(exercise, "wrong", "the W1 cost is sum(plan * |x - y|); both pure plans cost the same.", strict)
    if near(squared, 1.0, 0.0, 1e-9):
        return finish(
            exercise, "wrong", "that is the monotone plan's squared cost; the crossing half moves mass 2 and 0.", strict
        )
    if near(squared, math.sqrt(reference[1]), 0.0, 1e-9):
        return finish(
            exercise, "wrong", "you took a square root: the cost with |x - y|^2 is sum(plan * (x - y)^2).", strict
        )
    return finish(exercise, "wrong", "the squared cost is sum(plan * (x - y)^2) over the four pairs.", strict)


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
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "mu_2 where JS = 0.99 log 2")
    reference = _shift_where_js_reaches(0.99 * LOG_2)
    if near(value, reference, 0.0, 0.01):
        return finish(exercise, "right", f"mu_2 = {reference:.3f}, where W = {reference:.3f} and still grows", strict)
    if value < 0:
        return finish(
            exercise, "wrong", "the exercise asks for the positive shift (JS is symmetric in the sign).", strict
        )
    if near(value, _shift_where_js_reaches(LOG_2 - 0.01), 0.0, 0.01):
        return finish(exercise, "wrong", "you used an absolute gap of 0.01; 1% of log 2 is smaller.", strict)
    if abs(value - reference) <= 0.25:
        return finish(exercise, "wrong", "close, within a slider step: find the crossing to 0.01 (bisection).", strict)
    side = "JS is still below 0.99 log 2 there" if value < reference else "JS crossed 0.99 log 2 before that"
    return finish(exercise, "wrong", f"{side}; print wt.js_divergence at your mu_2.", strict)


CHECKERS = {
    "02.1": check_kl_symmetric_width,
    "02.2": check_binning_bias,
    "02.4": check_flat_discriminator_edges,
    "02.5": check_mixed_plan_costs,
    "02.6": check_js_saturation_shift,
}
