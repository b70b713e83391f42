r"""The checkers of lesson 03's exercises (``notebooks/03_*.ipynb``): the discriminator and the critic (Figure 2, Section 4.2, Theorem 3, Section 5).

See :mod:`wgan_toys.exercises` for what a checker prints and when it raises.
"""

from __future__ import annotations

import math

import numpy as np

from ..distances import wasserstein_1
from ..distributions import FIGURE_2_FAKE, FIGURE_2_REAL, Gaussian1D
from ._answers import AnswerShapeError, Verdict, as_number, as_numbers, finish, is_unattempted, near, weight_layers


def check_discriminator_slope_at_fake(answer, strict: bool = False) -> Verdict:
    r"""Exercise 03.1: the median of :math:`|dD^*/dx|` at ``Gaussian1D(1.0, 0.5).sample(1000, seed=2)``, for
    :math:`D^* = p_r/(p_r + p_g)` between the lesson's real law N(0, 0.5^2) and the fake law N(1, 0.5^2).

    Section 4.2: the trained discriminator approaches :math:`D^*`; Figure 2: its slope vanishes where the
    laws do not overlap. Reference: :func:`~wgan_toys.optimal.optimal_discriminator` differentiated by a
    central difference (h = 1e-5); tolerance 2% relative.
    """
    exercise = "03.1"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the median |dD*/dx| at the fake samples")
    from ..optimal import optimal_discriminator, optimal_discriminator_logit

    real, fake = FIGURE_2_REAL, Gaussian1D(1.0, 0.5)
    points, h = fake.sample(1000, seed=2), 1e-5
    discriminator, logit = optimal_discriminator(real, fake), optimal_discriminator_logit(real, fake)
    reference = float(np.median(np.abs(discriminator(points + h) - discriminator(points - h)) / (2 * h)))
    if near(value, reference, 0.02):
        return finish(exercise, "right", f"median |dD*/dx| = {reference:.3f}, no longer tiny: the laws overlap", strict)
    logit_slope = float(np.median(np.abs(logit(points + h) - logit(points - h)) / (2 * h)))
    if near(value, logit_slope, 0.02):
        return finish(exercise, "wrong", "that is the slope of the logit; D* = sigmoid(logit): chain rule.", strict)
    if near(value, float(np.median(discriminator(points))), 0.02):
        return finish(exercise, "wrong", "that is the median of D* itself, not of its slope.", strict)
    return finish(
        exercise, "wrong", "differentiate D* = optimal.optimal_discriminator(real, fake) at the points.", strict
    )


def _family_bound_ratio(depth: int = 3) -> float:
    """K_family(c = 0.02) / K_family(c = 0.01) for ``make_critic(depth=depth)``, from the bound itself."""
    from ..lipschitz import clipped_family_bound
    from ..networks import make_critic

    critic = make_critic(depth=depth)
    return clipped_family_bound(critic, 0.02) / clipped_family_bound(critic, 0.01)


def check_clip_ratio(answer, strict: bool = False) -> Verdict:
    r"""Exercise 03.3: the ratio :math:`K_{\text{family}}(c = 0.02) / K_{\text{family}}(c = 0.01)` of the clipped
    family's Lipschitz bounds for ``train_critic``'s default critic, the prediction to hold the fitted ratio against.

    Algorithm 1, line 7 clips every weight to :math:`[-c, c]`; the clipped family's Lipschitz bound is
    :math:`\prod_l c\sqrt{n_{l-1} n_l}` (:func:`~wgan_toys.lipschitz.clipped_family_bound`), so doubling c
    multiplies it by :math:`2^L`, L the number of weight layers of :func:`~wgan_toys.networks.make_critic`. A
    bound, not a law: the fitted K of trained critics need not grow by the same factor (the worked solution trains
    both and measures a smaller one). Reference: the bound evaluated at both c; tolerance 1% relative.
    """
    exercise = "03.3"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the ratio K_family(c = 0.02) / K_family(c = 0.01) of the family's bounds")
    layers = weight_layers()
    reference = _family_bound_ratio()
    if near(value, reference, 0.01):
        return finish(
            exercise,
            "right",
            f"the bound grows {reference:g}-fold; now train both critics: the fitted ratio is a measurement, "
            "and need not reach it",
            strict,
        )
    if near(value, 2.0, 0.01):
        return finish(
            exercise,
            "wrong",
            "the bound is not linear in c: every layer's weights are clipped, and the layers' bounds multiply.",
            strict,
        )
    if near(value, 2.0 ** (layers - 1), 0.01):
        return finish(
            exercise, "wrong", "you counted the hidden layers; the output layer's weights are clipped too.", strict
        )
    if near(value, 1.0, 0.01):
        return finish(
            exercise, "wrong", "the bound does depend on c: the clipped weights bound every layer's slope.", strict
        )
    if 0.5 * reference < value < reference:
        return finish(
            exercise,
            "wrong",
            "that looks like a fitted ratio of trained critics; the question asks for the family's bound, "
            "lipschitz.clipped_family_bound, at both c.",
            strict,
        )
    return finish(
        exercise,
        "wrong",
        "evaluate lipschitz.clipped_family_bound(networks.make_critic(), c) at c = 0.02 and 0.01, or count the "
        "weight layers and how c bounds each.",
        strict,
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
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    loss_sign, generator = as_numbers(exercise, answer, 2, what)
    if loss_sign not in (1.0, -1.0) or generator not in (1.0, -1.0):
        raise AnswerShapeError(exercise, f"is {tuple(answer)!r}", f"two signs, +1 or -1: {what}")
    # eq. (3): with the swap the critic maximises E_r f - E_g f, which the code prints as errD_real - errD_fake > 0;
    # the generator then maximises E_z f(g(z)), i.e. descends -E_z f, i.e. backward(mone)
    reference = (1.0, -1.0)
    if (loss_sign, generator) == reference:
        return finish(exercise, "right", "Loss_D now prints eq. (3)'s positive estimate; errG.backward(mone)", strict)
    if loss_sign != reference[0]:
        return finish(
            exercise,
            "wrong",
            "after the swap the critic ascends errD_real - errD_fake, the quantity Loss_D prints: which sign does it settle at?",
            strict,
        )
    return finish(
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
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the slope s* of the penalised linear critic")
    from ..optimal import gradient_penalty_prediction

    distance = wasserstein_1(FIGURE_2_REAL, FIGURE_2_FAKE)
    reference = gradient_penalty_prediction(distance, 10.0)["slope"]
    if near(value, reference, 1e-6):
        return finish(exercise, "right", f"s* = 1 + W/(2 lambda) = {reference:g}: the penalty's bias", strict)
    if near(value, 1 + distance / 10.0, 1e-6):
        return finish(
            exercise,
            "wrong",
            "your excess over 1 is twice the reference: did you forget the 1/2 from dJ/ds = 0?",
            strict,
        )
    if near(value, 1.0, 1e-6):
        return finish(
            exercise,
            "wrong",
            "1 is the slope the penalty aims at; maximise J(s) = sW - lambda (s - 1)^2 over s.",
            strict,
        )
    if near(value, 1 - distance / 20.0, 1e-6):
        return finish(
            exercise, "wrong", "sign error: J grows with s at s = 1 (dJ/ds = W > 0), so s* is above 1.", strict
        )
    return finish(
        exercise, "wrong", "set dJ/ds = 0 for J(s) = sW - lambda (s - 1)^2 with W = 4 and lambda = 10.", strict
    )


def check_theorem_3_by_hand(answer, strict: bool = False) -> Verdict:
    r"""Exercise 03.6: :math:`-\mathbb{E}_z[\tfrac{d}{d\theta} f^*(\theta + 0.5 z)]` for the exact critic of slope
    -1 and :math:`\theta > 0`, which Theorem 3 says equals :math:`\tfrac{d}{d\theta} W(\mathbb{P}_r, \mathbb{P}_\theta)`.

    Reference: the same expectation by autograd over 10,000 draws of z with ``f*(x) = -x``, and the central
    difference of the exact :math:`W(N(0, 0.5^2), N(\theta, 0.5^2))` at :math:`\theta = 1`; tolerance 1e-6.
    """
    exercise = "03.6"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "-E_z[d/dtheta f*(theta + 0.5 z)]")
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
    if near(value, reference, 0.0, 1e-6):
        return finish(exercise, "right", "-E[-1] = 1 = dW/dtheta for theta > 0 (W = theta)", strict)
    if near(value, -reference, 0.0, 1e-6):
        return finish(exercise, "wrong", "sign error: Theorem 3 has a minus sign in front of the expectation.", strict)
    if near(value, 0.5 * reference, 0.0, 1e-6):
        return finish(exercise, "wrong", "d/dtheta of theta + 0.5 z is 1: the 0.5 multiplies z, not theta.", strict)
    return finish(
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
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the shift where MMD = 0.99 x its ceiling at h = 0.25")
    reference = _shift_where_mmd_saturates(0.25, 0.99)
    if near(value, reference, 0.0, 0.005):
        return finish(exercise, "right", f"shift {reference:.3f}: MMD saturates, W = shift does not", strict)
    if near(value, _shift_where_mmd_saturates(0.5, 0.99), 0.0, 0.005):
        return finish(exercise, "wrong", "that is the shift for h = 0.5, the lesson's bandwidth; halve it.", strict)
    if near(value, _shift_where_mmd_saturates(0.25, 0.99, squared=True), 0.0, 0.005):
        return finish(
            exercise, "wrong", "that is where MMD^2 reaches 99% of its ceiling; the question is about MMD.", strict
        )
    return finish(exercise, "wrong", "divide MMD by its limit for a huge shift and solve for 0.99.", strict)


CHECKERS = {
    "03.1": check_discriminator_slope_at_fake,
    "03.3": check_clip_ratio,
    "03.4": check_swapped_signs,
    "03.5": check_penalty_slope,
    "03.6": check_theorem_3_by_hand,
    "03.7": check_mmd_saturation_shift,
}
