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


def _deep_clipped_start(clip_value: float = 0.001, depth: int = 8, seed: int = 0):
    """Lesson 04's ``tiny``: ``make_critic(depth=8)`` built with seed 0 and clipped to [-c, c] (Algorithm 1, line 7)."""
    from ..lipschitz import WeightClipping
    from ..networks import make_critic
    from ..runtime import build_seeded

    return WeightClipping(clip_value).prepare(build_seeded(lambda: make_critic(depth=depth), seed))


@functools.lru_cache(maxsize=None)
def _feature_slope_at_zero() -> float:
    """max over the last hidden layer's units of |dh/dx| at x = 0, by autograd in float64."""
    import copy

    import torch

    features = copy.deepcopy(_deep_clipped_start().layers[:-1]).double()
    x = torch.zeros(1, 1, dtype=torch.float64)
    jacobian = torch.autograd.functional.jacobian(features, x)
    return float(jacobian.abs().max())


def check_deep_clipped_feature_slope(answer, strict: bool = False) -> Verdict:
    r"""Exercise 04.3: for the deep clipped critic of lesson 04's section 6 at its clipped start (``make_critic(depth=8)``
    built with seed 0, every parameter clipped to :math:`[-0.001, 0.001]`), the slope in x of its last hidden layer:
    :math:`\max_j |\partial h_j / \partial x|` at :math:`x = 0` over its 64 units.

    Section 3 of the paper: "If the clipping is small, this can easily lead to vanishing gradients when the number of
    layers is big". Each layer multiplies the x-dependent part by at most :math:`c\sqrt{n_{l-1} n_l}`, while the biases,
    of order c, stay; a slope of :math:`10^{-19}` moves features of size :math:`10^{-3}` by far less than float32's
    rounding between x = 0 and x = 4, so the two feature vectors are bit-for-bit equal and the trained critic cannot
    move. Reference: :func:`torch.autograd.functional.jacobian` of ``network.layers[:-1]`` in float64; tolerance 1%
    relative.
    """
    exercise = "04.3"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "max_j |dh_j/dx| of the last hidden layer at x = 0")
    reference = _feature_slope_at_zero()
    if near(value, reference, 0.01):
        return finish(
            exercise,
            "right",
            f"{reference:.2e}: x = 4 moves the features by ~{4 * reference:.0e}, far below float32's rounding of "
            "values ~1e-3",
            strict,
        )
    if value == 0.0:
        return finish(
            exercise,
            "wrong",
            "0 is what a float32 difference (h(4) - h(0)) / 4 gives, since the features round to the same numbers: "
            "differentiate instead (autograd), or work in float64.",
            strict,
        )
    bound = 0.001 * 8 * (0.001 * 64) ** 7  # c sqrt(1 * 64), then c sqrt(64 * 64) for each of 7 hidden layers
    if near(value, bound, 0.01):
        return finish(
            exercise,
            "wrong",
            "that is the family bound prod c sqrt(n_(l-1) n_l), a bound: ReLUs switch units off and signs cancel, "
            "so the measured slope is far smaller.",
            strict,
        )
    if near(value, 0.001**8, 0.01):
        return finish(
            exercise, "wrong", "c^8 multiplies one weight per layer; each unit sums 64 inputs: measure it.", strict
        )
    if value > 1e-6:
        return finish(
            exercise,
            "wrong",
            "that slope is of one of the first layers; take all 8 hidden layers, network.layers[:-1].",
            strict,
        )
    return finish(
        exercise,
        "wrong",
        "build the clipped start, take torch.autograd.functional.jacobian(network.layers[:-1], torch.zeros(1, 1)) and "
        "its largest absolute entry.",
        strict,
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


def _scaled_critic_objective(scale: np.ndarray, wasserstein: float, penalty_weight: float, one_sided: bool):
    """J(s) = s W - lambda (|s| - 1)^2 over the scaled optimal critics s f* (lesson 04, sections 7 and 9); the
    one-sided penalty charges only max(0, |s| - 1)^2."""
    excess = np.abs(scale) - 1.0
    return scale * wasserstein - penalty_weight * (np.maximum(excess, 0.0) if one_sided else excess) ** 2


def _wrong_sign_maxima(wasserstein: float, penalty_weight: float, one_sided: bool) -> int:
    """The number of local maxima of J(s) at s < 0, on a grid of step 1e-4 over [-3, 0]."""
    scale = np.linspace(-3.0, 0.0, 30_001)
    value = _scaled_critic_objective(scale, wasserstein, penalty_weight, one_sided)
    inner = (value[1:-1] > value[:-2]) & (value[1:-1] >= value[2:])
    return int(np.sum(inner))


@functools.lru_cache(maxsize=None)
def _trap_threshold_and_one_sided_traps(wasserstein: float = 4.0, penalty_weight: float = 10.0) -> tuple:
    """(the lambda above which the two-sided J has a wrong-sign local maximum, found by bisection; the number of
    wrong-sign local maxima of the one-sided J at ``penalty_weight``)."""
    low, high = 1e-3, 100.0  # no wrong-sign maximum at low, one at high
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (low, middle) if _wrong_sign_maxima(wasserstein, middle, False) else (middle, high)
    return (low + high) / 2, _wrong_sign_maxima(wasserstein, penalty_weight, True)


def check_wrong_sign_trap(answer, strict: bool = False) -> Verdict:
    r"""Exercise 04.6: a prediction for section 9's runs (Figure 2's pair, :math:`W = 4`), from the scaled optimal
    critics :math:`s f^*`: the smallest :math:`\lambda` above which the two-sided objective
    :math:`J(s) = sW - \lambda(|s| - 1)^2` has a local maximum at some :math:`s < 0` (a wrong-sign trap), and how many
    such maxima the one-sided :math:`J(s) = sW - \lambda\max(0, |s| - 1)^2` has at :math:`\lambda = 10`. The answer is
    ``(threshold lambda, number of one-sided wrong-sign maxima)``.

    WGAN-GP's penalty (Gulrajani et al. 2017, eq. (3)) on the linear picture of lesson 04, section 9: for :math:`s < 0`,
    :math:`J'(s) = W - 2\lambda(s + 1)` vanishes at :math:`s = -1 + W/(2\lambda) < 0` exactly when :math:`\lambda > W/2`; the
    one-sided J is :math:`sW`, increasing, on :math:`[-1, 0]`. Reference: local maxima of J on a grid of step
    :math:`10^{-4}`, the threshold by bisection over :math:`\lambda`; tolerance 1% on the threshold, the count exact.
    """
    exercise = "04.6"
    what = "(lambda above which the two-sided penalty has a wrong-sign local maximum, one-sided wrong-sign maxima at lambda = 10)"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    threshold, count = as_numbers(exercise, answer, 2, what)
    reference = _trap_threshold_and_one_sided_traps()
    right = [near(threshold, reference[0], 0.01), count == reference[1]]
    if all(right):
        return finish(
            exercise,
            "right",
            f"lambda > {reference[0]:.3g} opens the trap for the two-sided penalty; the one-sided penalty has none: "
            "now count the trapped runs",
            strict,
        )
    if not right[1]:
        return finish(
            exercise,
            "wrong",
            "the one-sided penalty charges nothing for |s| <= 1: on [-1, 0] its J is s W; where can it have a local "
            "maximum?",
            strict,
        )
    wasserstein = 4.0
    if near(threshold, 2 / wasserstein, 0.01):
        return finish(exercise, "wrong", "you inverted the ratio: the trap needs W / (2 lambda) < 1.", strict)
    if near(threshold, wasserstein, 0.01) or near(threshold, 2 * wasserstein, 0.01):
        return finish(
            exercise,
            "wrong",
            "solve J'(s) = W - 2 lambda (s + 1) = 0 for s < 0: when is that root negative?",
            strict,
        )
    if near(threshold, 10.0, 0.01):
        return finish(
            exercise, "wrong", "lambda = 10 is where section 9 trains; the trap opens at a smaller lambda.", strict
        )
    return finish(
        exercise,
        "wrong",
        "for s < 0, J(s) = s W - lambda (s + 1)^2: find where its maximum sits and for which lambda it is at s < 0.",
        strict,
    )


CHECKERS = {
    "04.1": check_penalty_effective_slope,
    "04.2": check_depth_exponents,
    "04.3": check_deep_clipped_feature_slope,
    "04.5": check_penalty_inversion,
    "04.6": check_wrong_sign_trap,
}
