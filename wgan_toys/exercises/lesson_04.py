r"""The checkers of lesson 04's exercises (``notebooks/04_*.ipynb``): keeping the critic Lipschitz (Algorithm 1, line 7; WGAN-GP).

See :mod:`wgan_toys.exercises` for what a checker prints and when it raises.
"""

from __future__ import annotations

import functools

import numpy as np

from ..distributions import Gaussian1D
from ._answers import Verdict, as_number, as_numbers, finish, is_unattempted, near, weight_layers


@functools.lru_cache(maxsize=None)
def _penalty_optimum_04():
    from ..optimal import gradient_penalty_optimum

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
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "estimate / W of the exact WGAN-GP optimum")
    optimum = _penalty_optimum_04()
    reference = optimum.estimate / optimum.wasserstein
    if near(value, reference, 0.003):
        return finish(exercise, "right", f"{reference:.4f}: above 1, and above the linear critics' bound", strict)
    if near(value, optimum.linear_lower_bound / optimum.wasserstein, 0.003):
        return finish(
            exercise,
            "wrong",
            "that is the optimum over the scaled optimal critics, a lower bound; over all critics the slope bends with |D|/rho.",
            strict,
        )
    if near(value, optimum.estimate, 0.003):
        return finish(exercise, "wrong", "that is the estimate itself; divide it by W.", strict)
    if near(value, 1.0, 0.003):
        return finish(
            exercise, "wrong", "1 is what spectral normalisation reaches; the penalty's optimum overshoots it.", strict
        )
    return finish(
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
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    values = as_numbers(exercise, answer, 2, what)
    reference = np.array([weight_layers(depth) for depth in (2, 4)], dtype=float)
    if np.allclose(values, reference, rtol=0, atol=1e-9):
        return finish(exercise, "right", "one factor c per weight layer: hidden layers plus the output", strict)
    if np.allclose(values, reference - 1, rtol=0, atol=1e-9):
        return finish(
            exercise, "wrong", "you counted the hidden layers; the output layer's weights are clipped too.", strict
        )
    if np.allclose(values, reference[::-1], rtol=0, atol=1e-9):
        return finish(exercise, "wrong", "your two numbers are in the other order: (depth=2, depth=4).", strict)
    return finish(
        exercise, "wrong", "count the weight matrices of networks.make_critic(depth=d), each bounded by c.", strict
    )


def _shift_w_from_gap(gap: float, penalty_weight: float, penalised_loss: bool) -> float:
    """Invert the WGAN-GP optimum over linear critics: the gap W + W^2/(2 lambda), or the penalised objective
    W + W^2/(4 lambda) (the gap minus the penalty lambda (s* - 1)^2 = W^2/(4 lambda))."""
    from scipy.optimize import brentq

    from ..optimal import gradient_penalty_prediction

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
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    gap_factor, loss_factor = as_numbers(exercise, answer, 2, what)
    reference = [
        _shift_w_from_gap(12.0, 10.0, penalised) / _shift_w_from_gap(1.1, 10.0, penalised)
        for penalised in (False, True)
    ]
    right = [near(gap_factor, reference[0], 0.01), near(loss_factor, reference[1], 0.01)]
    if all(right):
        return finish(exercise, "right", f"W fell {reference[0]:.2f}x, not 12/1.1 = {12 / 1.1:.2f}x", strict)
    if near(gap_factor, 12 / 1.1, 0.01) or near(loss_factor, 12 / 1.1, 0.01):
        return finish(
            exercise, "wrong", "12/1.1 is the factor of the logged numbers; invert E = W + W^2/20 first.", strict
        )
    if not right[0]:
        if near(gap_factor, reference[1], 0.01):
            return finish(
                exercise,
                "wrong",
                "your first factor inverts the penalised loss; the gap is W + W^2/(2 lambda).",
                strict,
            )
        return finish(exercise, "wrong", "solve W + W^2/20 = 12 and = 1.1 (quadratics in W) and divide.", strict)
    if near(loss_factor, reference[0], 0.01):
        return finish(
            exercise,
            "wrong",
            "the penalised loss subtracts the penalty lambda (s* - 1)^2 at the optimum: it is not the gap.",
            strict,
        )
    return finish(exercise, "wrong", "at s* = 1 + W/(2 lambda), what is s W - lambda (s - 1)^2? Invert that.", strict)


CHECKERS = {
    "04.1": check_penalty_effective_slope,
    "04.2": check_depth_exponents,
    "04.5": check_penalty_inversion,
}
