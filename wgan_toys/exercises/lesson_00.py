r"""The checkers of lesson 00's exercises (``notebooks/00_maximum_likelihood.ipynb``): maximum likelihood, the
noise remedy and its cost (Section 1), Theorem 2's first statement.

See :mod:`wgan_toys.exercises` for what a checker prints and when it raises.
"""

from __future__ import annotations

import math

from ..distances import all_distances, kl_divergence, total_variation
from ..distributions import NoisyParallelLines, ParallelLines
from ._answers import Verdict, as_number, finish, is_unattempted, near

KL_THETA = 0.3  # exercise 00.1: the offset at which KL = 1 nat is asked for
TV_NOISE = 0.1  # exercise 00.2: the noise sigma (the paper's Section 1 quotes about 0.1 per pixel)
TV_LEVEL = 0.99
LINE_SAMPLES = 1000  # exercise 00.3: points of ParallelLines(0.25), seed 0
JS_NOISE, JS_LEVEL = 0.1, 1e-3  # exercise 00.5


def _root(function, low: float, high: float) -> float:
    from scipy.optimize import brentq

    return float(brentq(function, low, high, xtol=1e-14, rtol=1e-12))


def check_noise_for_one_nat(answer, strict: bool = False) -> Verdict:
    r"""Exercise 00.1: the noise :math:`\sigma` at which :math:`KL(\mathbb{P}_{0,\sigma} \| \mathbb{P}_{0.3,\sigma}) = 1`
    nat, for the parallel lines of Example 1 blurred by :math:`N(0, \sigma^2 I)` on both sides.

    With one noise the vertical parts cancel and :math:`KL = \theta^2 / (2\sigma^2)` (Section 1's remedy), so
    :math:`\sigma = \theta / \sqrt 2`. Reference: the root in :math:`\sigma` of the package's ``kl_divergence``
    minus 1 (brentq); tolerance :math:`10^{-3}` relative.
    """
    exercise = "00.1"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the noise sigma at which KL = 1 nat")
    reference = _root(
        lambda s: kl_divergence(NoisyParallelLines(0.0, s), NoisyParallelLines(KL_THETA, s)) - 1.0, 0.01, 10.0
    )
    if near(value, reference, 1e-3):
        return finish(exercise, "right", "KL = theta^2 / (2 sigma^2) = 1 at sigma = theta / sqrt(2)", strict)
    hints = [
        (KL_THETA, "KL = theta^2 / sigma^2 misses a factor: the Gaussians' KL has a 1/2 in front."),
        (reference**2, "that is sigma^2, the variance; the answer is the standard deviation sigma."),
        (
            KL_THETA / 2.0,
            "the shift is theta = 0.3 in KL, not theta / 2 (that halving belongs to TV's crossing point).",
        ),
    ]
    for wrong, hint in hints:
        if near(value, wrong, 1e-3):
            return finish(exercise, "wrong", hint, strict)
    return finish(exercise, "wrong", "write KL of N(0, sigma^2) and N(theta, sigma^2) and solve KL = 1.", strict)


def check_theta_where_tv_saturates(answer, strict: bool = False) -> Verdict:
    r"""Exercise 00.2: the offset :math:`\theta > 0` at which :math:`TV(\mathbb{P}_{0,\sigma}, \mathbb{P}_{\theta,\sigma})`
    reaches 0.99 for :math:`\sigma = 0.1`, beyond which TV is flat within 1%: where the noise stops buying a gradient.

    :math:`TV = 2\Phi(|\theta| / 2\sigma) - 1` (the densities cross halfway, at :math:`\theta / 2`), so
    :math:`\theta = 2\sigma\,\Phi^{-1}(0.995)`. Reference: the root in :math:`\theta` of the package's
    ``total_variation`` minus 0.99 (brentq); tolerance :math:`10^{-3}` relative.
    """
    exercise = "00.2"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the offset theta at which TV = 0.99")
    reference = _root(
        lambda t: total_variation(NoisyParallelLines(0.0, TV_NOISE), NoisyParallelLines(t, TV_NOISE)) - TV_LEVEL,
        1e-6,
        10.0,
    )
    if near(value, reference, 1e-3):
        return finish(exercise, "right", "TV is within 1% of 1 once |theta| is about 5 sigma", strict)
    if near(value, reference / 2.0, 1e-3):
        return finish(
            exercise,
            "wrong",
            "the densities cross at theta / 2, not at theta: TV = 2 Phi(|theta| / (2 sigma)) - 1.",
            strict,
        )
    if value < reference and value > 0.0:
        return finish(
            exercise,
            "wrong",
            "TV is still below 0.99 there: is 2 Phi(x) - 1 = 0.99 solved by x = Phi^-1(0.995) or Phi^-1(0.99)?",
            strict,
        )
    return finish(exercise, "wrong", "print wt.total_variation for a few theta and bisect on TV = 0.99.", strict)


def _line_data():
    return ParallelLines(0.25).sample(LINE_SAMPLES, seed=0)


def check_likelihood_gain(answer, strict: bool = False) -> Verdict:
    r"""Exercise 00.3: how much the *average* log-likelihood of ``NoisyParallelLines(theta_hat, sigma)`` grows, in nats
    per point, when :math:`\sigma` shrinks from :math:`10^{-4}` to :math:`10^{-6}`, on 1000 points of Example 1's
    segment ``ParallelLines(0.25).sample(1000, seed=0)`` (no noise): maximum likelihood on data without a density.

    Every point sits on the model's line, so the horizontal density :math:`1/(\sigma\sqrt{2\pi})` grows like
    :math:`-\log\sigma` and the gain is :math:`\log 100 \approx 4.605` per point, without bound as :math:`\sigma \to 0`.
    Reference: the difference of :func:`~wgan_toys.likelihood.likelihood_profile` at the two sigmas; tolerance
    :math:`10^{-3}` relative.
    """
    from ..likelihood import likelihood_profile

    exercise = "00.3"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the gain of the average log-likelihood, in nats per point")
    low, high = likelihood_profile(_line_data(), [1e-4, 1e-6])
    reference = float(high - low)
    if near(value, reference, 1e-3):
        return finish(exercise, "right", "log(100) nats per point for two decades of sigma, and no maximum", strict)
    hints = [
        (-reference, "the likelihood grows as sigma shrinks: gain = value at 1e-6 minus value at 1e-4."),
        (reference * LINE_SAMPLES, "that is the total over the 1000 points; the exercise asks for the average."),
        (reference / math.log(10.0), "that is in log base 10; the package and the paper use natural logs."),
        (reference / 2.0, "that is one decade of sigma; 1e-4 to 1e-6 is two."),
    ]
    for wrong, hint in hints:
        if near(value, wrong, 1e-3):
            return finish(exercise, "wrong", hint, strict)
    return finish(exercise, "wrong", "compute likelihood.likelihood_profile(data, [1e-4, 1e-6]) and subtract.", strict)


def _first_below(name: str, noise: float, level: float, limit: int = 100_000) -> int:
    target = NoisyParallelLines(0.0, noise)
    for n in range(1, limit):
        if all_distances(target, NoisyParallelLines(1.0 / n, noise))[name] < level:
            return n
    raise RuntimeError(f"{name} stays above {level} up to n = {limit}")  # pragma: no cover


def check_first_n_with_small_js(answer, strict: bool = False) -> Verdict:
    r"""Exercise 00.5: the first n for which :math:`JS(\mathbb{P}_{0,\sigma}, \mathbb{P}_{1/n,\sigma}) < 10^{-3}` with
    :math:`\sigma = 0.1` (Theorem 2's first statement on a sequence).

    For small shifts :math:`JS \approx \theta^2 / (8\sigma^2)`, :math:`KL = \theta^2 / (2\sigma^2)` and
    :math:`TV \approx \theta / (\sigma\sqrt{2\pi})`: TV and JS go to 0 together, at different rates (TV^2 / 2 <= JS <=
    TV log 2). Reference: the first n whose package JS is below :math:`10^{-3}`, found by scanning n; exact.
    """
    exercise = "00.5"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the first n with JS < 1e-3")
    reference = _first_below("js", JS_NOISE, JS_LEVEL)
    if abs(value - reference) < 0.5:
        return finish(
            exercise, "right", "JS ~ theta^2 / (8 sigma^2): it falls like 1/n^2 while TV falls like 1/n", strict
        )
    if abs(value - _first_below("kl", JS_NOISE, JS_LEVEL)) < 0.5:
        return finish(
            exercise,
            "wrong",
            "that is where KL = theta^2 / (2 sigma^2) drops below 1e-3; the exercise asks for JS.",
            strict,
        )
    if abs(value - _first_below("tv", JS_NOISE, JS_LEVEL)) < 0.5:
        return finish(
            exercise,
            "wrong",
            "that is where TV drops below 1e-3; JS, about TV^2 / 2 here, gets there much sooner.",
            strict,
        )
    return finish(
        exercise, "wrong", "loop over n = 1, 2, ... and print wt.js_divergence until it is below 1e-3.", strict
    )


CHECKERS = {
    "00.1": check_noise_for_one_nat,
    "00.2": check_theta_where_tv_saturates,
    "00.3": check_likelihood_gain,
    "00.5": check_first_n_with_small_js,
}
