r"""Quadrature references: TV, KL, JS and W1 between two 1D laws by adaptive quadrature of their
definitions (Section 2), each with quadrature's error estimate.

The ``*_quadrature`` functions integrate the definitions numerically for any two continuous 1D
laws (W1 for any two with a CDF) over a window holding all but 1e-300 of both laws
(:func:`integration_window`), one smooth piece at a time, and return ``(value, abs_error)``; the
tests use them as an independent check of the closed forms of :mod:`~wgan_toys.distances`, which
falls back on them for pairs without one.

References
----------
Arjovsky, Chintala, Bottou (2017), "Wasserstein GAN", arXiv:1701.07875, Section 2, eq. (1).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .distributions import Discrete1D, Gaussian1D, NoisyParallelLines, ParallelLines, Uniform1D
from .gaussian_distances import LOG_2, gaussian_density_crossings

_TINY = np.finfo(float).tiny  # the smallest normal float64
_GAUSSIAN_WINDOW = 40.0  # quadrature runs over mean +- 40 std: the mass outside is < 1e-300

__all__ = [
    "QuadratureResult",
    "integration_window",
    "total_variation_quadrature",
    "kl_divergence_quadrature",
    "js_divergence_quadrature",
    "wasserstein_1_quadrature",
]


class QuadratureResult(NamedTuple):
    """A number computed by adaptive quadrature, with quadrature's absolute error estimate."""

    value: float
    abs_error: float


def law_family(distribution) -> str:
    """Which kind of law ``distribution`` is: 'noisy_lines', 'lines', 'atoms' or 'continuous'; a
    TypeError for anything else (samples go to :mod:`~wgan_toys.empirical`)."""
    if isinstance(distribution, NoisyParallelLines):
        return "noisy_lines"
    if isinstance(distribution, ParallelLines):
        return "lines"
    if isinstance(distribution, Discrete1D):
        return "atoms"
    if isinstance(distribution, (Gaussian1D, Uniform1D)):
        return "continuous"
    raise TypeError(
        "expected ParallelLines, Gaussian1D, Uniform1D or Discrete1D, got "
        f"{type(distribution).__name__}; for samples use wgan_toys.empirical."
    )


def _gaussian_points(d: Gaussian1D) -> list[float]:
    return [d.mean + k * d.std for k in (-10, -5, -2, 0, 2, 5, 10)]


def integration_window(p, q) -> tuple[float, float, list[float]]:
    """A finite interval holding all but < 1e-300 of both laws, and breakpoints for quad."""
    lows, highs, points = [], [], []
    for d in (p, q):
        if isinstance(d, Gaussian1D):
            lows.append(d.mean - _GAUSSIAN_WINDOW * d.std)
            highs.append(d.mean + _GAUSSIAN_WINDOW * d.std)
            points += _gaussian_points(d)
        else:
            low, high = d.support
            lows.append(low)
            highs.append(high)
            points += list(getattr(d, "points", [low, high]))
    if isinstance(p, Gaussian1D) and isinstance(q, Gaussian1D):
        points += list(gaussian_density_crossings(p, q))
    low, high = min(lows), max(highs)
    inner = sorted({x for x in points if low < x < high})
    return low, high, inner


def quad_over_window(integrand, p, q, length_scaled: bool = False) -> QuadratureResult:
    """Adaptive quadrature over the pieces of :func:`integration_window`.

    The absolute tolerance is 1e-15, for integrals of order one (of a density); with
    ``length_scaled`` (an integral of order the laws' width, as W1 is) it is 1e-15 times
    the window's width / 80, so that the relative accuracy does not depend on the scale (an
    absolute 1e-15 would be all of W1 between laws of width 1e-14).
    """
    from scipy.integrate import quad

    low, high, points = integration_window(p, q)
    edges = [low, *points, high]
    epsabs = 1e-15 * (0.5 * high - 0.5 * low) / 40.0 if length_scaled else 1e-15
    value, error = 0.0, 0.0
    for a, b in zip(edges[:-1], edges[1:]):  # one quad per piece: each piece is smooth
        piece, piece_error = quad(integrand, a, b, epsabs=epsabs, epsrel=1e-13, limit=200)
        value += piece
        error += piece_error
    return QuadratureResult(value, error)


def scalar_logpdf(d):
    """log p(x) of a Gaussian1D or Uniform1D for one float x (-inf outside a uniform's support)."""
    if isinstance(d, Gaussian1D):
        mean, std, shift = d.mean, d.std, -math.log(d.std) - 0.5 * math.log(2 * math.pi)
        return lambda x: -0.5 * ((x - mean) / std) ** 2 + shift
    low, high, log_density = d.low, d.high, -math.log(d.high - d.low)
    return lambda x: log_density if low <= x <= high else -math.inf


def _support_inside(p, q) -> bool:
    """Whether the support of continuous P lies inside that of continuous Q."""
    (p_low, p_high), (q_low, q_high) = p.support, q.support
    return q_low <= p_low and p_high <= q_high


def _check_continuous(name: str, d) -> None:
    if law_family(d) != "continuous":
        raise TypeError(f"{name} must be a continuous 1D law (Gaussian1D or Uniform1D), got {type(d).__name__}.")


def total_variation_quadrature(p, q) -> QuadratureResult:
    r"""TV by adaptive quadrature of :math:`\tfrac12 \int |p(x) - q(x)|\,dx` (1D continuous laws)."""
    _check_continuous("p", p)
    _check_continuous("q", q)
    log_p, log_q = scalar_logpdf(p), scalar_logpdf(q)
    return quad_over_window(lambda x: 0.5 * abs(math.exp(log_p(x)) - math.exp(log_q(x))), p, q)


def kl_divergence_quadrature(p, q) -> QuadratureResult:
    r"""KL(P || Q) by adaptive quadrature of :math:`\int p (\log p - \log q)`, using log-densities.

    Writing the integrand as ``log(pdf_p) - log(pdf_q)`` gives inf or NaN as soon as the
    integration reaches the far tails, where a density underflows to 0 (about 38.6 std from its
    mean); log-densities stay finite there.
    Returns ``(inf, 0)`` when P has mass outside the support of Q.
    """
    _check_continuous("p", p)
    _check_continuous("q", q)
    if not _support_inside(p, q):
        return QuadratureResult(math.inf, 0.0)
    log_p, log_q = scalar_logpdf(p), scalar_logpdf(q)

    def integrand(x):
        lp = log_p(x)
        return 0.0 if lp == -math.inf else math.exp(lp) * (lp - log_q(x))

    return quad_over_window(integrand, p, q)


def js_divergence_quadrature(p, q) -> QuadratureResult:
    r"""JS(P, Q) (1/2 convention, nats) by adaptive quadrature, with its error estimate.

    .. math::

        JS = \tfrac12 \int p \log \frac{2p}{p + q} + \tfrac12 \int q \log \frac{2q}{p + q}

    evaluated with log-densities and ``logaddexp`` so that no term overflows.
    """
    _check_continuous("p", p)
    _check_continuous("q", q)
    log_p, log_q = scalar_logpdf(p), scalar_logpdf(q)

    def integrand(x):
        lp, lq = log_p(x), log_q(x)
        if lp == -math.inf and lq == -math.inf:
            return 0.0
        log_mixture = float(np.logaddexp(lp, lq)) - LOG_2
        total = 0.0
        if lp > -math.inf:
            total += math.exp(lp) * (lp - log_mixture)
        if lq > -math.inf:
            total += math.exp(lq) * (lq - log_mixture)
        return 0.5 * total

    return quad_over_window(integrand, p, q)


def wasserstein_1_quadrature(p, q) -> QuadratureResult:
    r"""W1 on the line by adaptive quadrature of :math:`\int |F_P(x) - F_Q(x)|\,dx`.

    Works for any two 1D laws with a ``cdf`` (continuous or atomic); atoms are breakpoints. The
    integral is taken in the coordinate (x - c) / 2^e that maps the integration window to about
    [-1, 1] (:func:`_recentred`) and scaled back by 2^e, so that its relative accuracy is the same
    at every offset and scale (W1(P + t, Q + t) = W1(P, Q), W1(cP, cQ) = c W1(P, Q)).
    """
    for name, d in (("p", p), ("q", q)):
        if law_family(d) == "lines":
            raise TypeError(f"{name} must be a 1D law, got {type(d).__name__}.")
    low, high, _ = integration_window(p, q)
    exponent = 0
    if math.isfinite(low) and math.isfinite(high):  # not when a Gaussian's window passes 1.8e308
        centre, exponent = 0.5 * low + 0.5 * high, _binary_exponent(0.5 * high - 0.5 * low)
        p, q = _recentred(p, centre, exponent), _recentred(q, centre, exponent)
    value, error = quad_over_window(lambda x: abs(float(p.cdf(x)) - float(q.cdf(x))), p, q, length_scaled=True)
    with np.errstate(over="ignore"):  # a W1 beyond float64 (atoms at +-1.7e308) is inf
        return QuadratureResult(float(np.ldexp(value, exponent)), float(np.ldexp(error, exponent)))


def _binary_exponent(value: float) -> int:
    """e with 2^(e-1) <= ``value`` < 2^e (0 for 0): dividing by 2^e is exact and brings it to [1/2, 1)."""
    return math.frexp(value)[1] if value > 0 else 0


def _recentred(d, centre: float, exponent: int):
    """The law of (X - centre) / 2^exponent, so that W1 is integrated on a window of order one.

    W1(P, Q) = 2^exponent W1(P', Q') exactly (a power of 2), and every parameter moves by at most
    half an ulp of the window; in x, rounding of the nodes near 1e6 costs 1e-7 relative, and quad's
    absolute tolerance costs up to 4.5e-4 relative at scales of 1e-13. A Gaussian or uniform
    whose width underflows in the new coordinate (below 2^-1022 of the window) is replaced by an
    atom at its mean: W1 moves by at most its mean deviation (triangle inequality), below one ulp
    of the window.
    """

    def place(x):
        return np.ldexp(np.asarray(x, dtype=float) - centre, -exponent)

    if isinstance(d, Discrete1D):
        return Discrete1D(place(d.points), d.weights)
    if isinstance(d, Gaussian1D):
        mean, std = float(place(d.mean)), math.ldexp(d.std, -exponent)
        return Gaussian1D(mean, std) if std >= _TINY else Discrete1D([mean])
    low, high = float(place(d.low)), float(place(d.high))
    return Uniform1D(low, high) if high - low >= _TINY else Discrete1D([0.5 * low + 0.5 * high])
