r"""Distances between two 1D Gaussians in closed form, computed so that they keep their digits
for any two Gaussians float64 can hold: the density crossings, TV, KL, JS (by quadrature in each
law's own standardised coordinate) and the Hellinger guard of TV (Section 2).

Everything is computed in the narrower law's standardised coordinate (``_StandardisedPair``),
where no quantity cancels: N(3e6, 1e-12) against N(0, 400^2), stds 1e-9 apart, means 3.6e308
apart. TV and JS agree with 40-digit mpmath references to 1e-7 for stds from 1e-12 to 1e12 and
means up to 1e6 (tests/test_distances_extreme.py); a value beyond float64 (a KL of 1e400) is
``math.inf``. :mod:`~wgan_toys.distances` dispatches a pair of
:class:`~wgan_toys.distributions.Gaussian1D` here.

References
----------
Arjovsky, Chintala, Bottou (2017), "Wasserstein GAN", arXiv:1701.07875, Section 2.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from .distributions import Gaussian1D

LOG_2 = math.log(2.0)
_SQRT_2 = math.sqrt(2.0)

__all__ = [
    "gaussian_density_crossings",
    "gaussian_total_variation",
    "gaussian_kl_divergence",
    "gaussian_js_divergence",
]


def _normal_cdf(z: float) -> float:
    """Phi(z), accurate in both tails."""
    return 0.5 * math.erfc(-z / _SQRT_2)


def _normal_mass(a: float, b: float) -> float:
    """Phi(b) - Phi(a) for a <= b, computed in the tail where it does not cancel."""
    if a > 0:
        return 0.5 * (math.erfc(a / _SQRT_2) - math.erfc(b / _SQRT_2))
    return 0.5 * (math.erfc(-b / _SQRT_2) - math.erfc(-a / _SQRT_2))


class _StandardisedPair(NamedTuple):
    """Two Gaussians seen from the narrower one (Gaussian1D ``narrow``, ``wide``, std_n <= std_w).

    With z = (x - mu_n) / sigma_n the narrow law's coordinate, the wide law's coordinate is
    u = (x - mu_w) / sigma_w = offset + ratio z, with ratio = sigma_n / sigma_w in [0, 1] and
    offset = (mu_n - mu_w) / sigma_w. Working in these coordinates keeps every quantity of order
    one even for N(3e6, 1e-12) against N(0, 400^2), where x-coordinates cancel.
    """

    narrow: Gaussian1D
    wide: Gaussian1D
    offset: float  # (mu_n - mu_w) / sigma_w, may be +-inf when the gap overflows
    ratio: float  # sigma_n / sigma_w, may underflow to 0
    log_ratio: float  # log(sigma_n / sigma_w) <= 0, always finite


def _scaled_gap(mean_a: float, mean_b: float, scale: float) -> float:
    """(mean_a - mean_b) / scale without forming an overflowing difference.

    Two finite means can be up to 3.6e308 apart, beyond float64: then the half-difference
    mean_a / 2 - mean_b / 2 (always finite) is divided by ``scale`` and doubled, so that
    N(1e308, 1e308^2) against N(-1e308, 1e308^2) has offset 2, not inf. The result is +-inf
    only when the standardised gap itself exceeds float64.
    """
    gap = mean_a - mean_b
    if math.isfinite(gap):
        return gap / scale
    return 2.0 * ((0.5 * mean_a - 0.5 * mean_b) / scale)


def _standardise(p: Gaussian1D, q: Gaussian1D) -> _StandardisedPair:
    narrow, wide = (p, q) if p.std <= q.std else (q, p)
    log_ratio = _log_std_ratio(narrow.std, wide.std)
    offset = _scaled_gap(narrow.mean, wide.mean, wide.std)
    return _StandardisedPair(narrow, wide, offset, math.exp(log_ratio), log_ratio)


def _log_std_ratio(std_a: float, std_b: float) -> float:
    """log(std_a / std_b) for positive floats, finite for any two of them.

    Close stds (ratio in [1/2, 2]) use log1p of the relative difference, exact by Sterbenz's
    lemma, so that stds 1e-9 apart keep all their digits; others a difference of logs.
    """
    if 0.5 * std_b <= std_a <= 2.0 * std_b:
        return math.log1p((std_a - std_b) / std_b)
    return math.log(std_a) - math.log(std_b)


def _standardised_crossings(pair: _StandardisedPair) -> tuple[float, ...]:
    """The crossings p_n = p_w in the narrow law's coordinate z (sorted; none, one or two).

    log p_n - log p_w = 0 reads (1 - r^2) z^2 - 2 d r z - (d^2 + 2L) = 0 with r = ``ratio``,
    d = ``offset`` and L = -log r >= 0. Its discriminant divided by 4 is d^2 r^2 + (1 - r^2)(d^2
    + 2L) = d^2 + 2 (1 - r^2) L: a hypot, so it never overflows, and the two roots are taken in
    the stable form q / a and c / q. With equal stds (r = 1) the one crossing is z = -d / 2.
    """
    offset, ratio, log_ratio = pair.offset, pair.ratio, pair.log_ratio
    if not math.isfinite(offset):
        return ()
    if log_ratio == 0.0:
        return () if offset == 0.0 else (-0.5 * offset,)
    leading = -math.expm1(2.0 * log_ratio)  # 1 - r^2 without cancellation, in (0, 1]
    spread = -log_ratio  # L
    root = math.hypot(offset, math.sqrt(2.0 * leading * spread))
    q = offset * ratio + (math.copysign(root, offset) if offset != 0.0 else root)
    first = q / leading
    second = -(offset * (offset / q) + 2.0 * spread / q)  # c / q with c = -(d^2 + 2L)
    return tuple(sorted((first, second)))


def gaussian_density_crossings(p: Gaussian1D, q: Gaussian1D) -> tuple[float, ...]:
    """The points x where p(x) = q(x), in increasing order (none, one or two).

    log p = log q is a quadratic in x (linear with equal stds). It is solved in the narrower
    law's standardised coordinate (see ``_standardised_crossings``), where it does not cancel,
    and mapped back to x = mu_n + sigma_n z.
    """
    pair = _standardise(p, q)
    return tuple(pair.narrow.mean + pair.narrow.std * z for z in _standardised_crossings(pair))


def _log1p_exp(t: float) -> float:
    """log(1 + e^t) without overflow (softplus)."""
    if t > 0.0:
        return t + math.log1p(math.exp(-t))
    return math.log1p(math.exp(t))


_Z_WINDOW = 40.0  # a standard normal puts < 1e-300 outside [-40, 40]


def _expectation_in_own_coordinate(pair: _StandardisedPair, of_narrow: bool, integrand) -> float:
    """E[integrand(log q/p along the way)] under one law of the pair, in that law's coordinate.

    ``integrand(log_other_minus_log_own)`` is a function of log(other density) - log(own
    density) at the point; the expectation is the integral of phi(t) times it over t in
    [-40, 40], split at the density crossings expressed in t, so that every piece is smooth.
    """
    from scipy.integrate import quad

    offset, ratio, log_ratio = pair.offset, pair.ratio, pair.log_ratio
    crossings = _standardised_crossings(pair)
    if of_narrow:
        # own z, other u = offset + ratio z; log p_w - log p_n = (z^2 - u^2)/2 + log r
        def log_gap(t):
            u = offset + ratio * t
            return 0.5 * (t * t - u * u) + log_ratio

        breaks = list(crossings)
    else:
        # own u, other z = (u - offset) / ratio; log p_n - log p_w = (u^2 - z^2)/2 - log r
        def log_gap(t):
            z = (t - offset) / ratio
            return 0.5 * (t * t - z * z) - log_ratio

        breaks = [offset + ratio * z for z in crossings]
        if ratio > 0.0:
            # the narrow law's own bulk, seen from the wide law: a spike of width ratio
            breaks += [offset + ratio * k for k in (-8.0, -1.0, 0.0, 1.0, 8.0)]
    edges = sorted({-_Z_WINDOW, _Z_WINDOW, *(b for b in breaks if -_Z_WINDOW < b < _Z_WINDOW)})
    normal = 1.0 / math.sqrt(2.0 * math.pi)
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        piece, _ = quad(
            lambda t: normal * math.exp(-0.5 * t * t) * integrand(log_gap(t)),
            a,
            b,
            epsabs=1e-13,
            epsrel=1e-12,
            limit=200,
        )
        total += piece
    return total


def gaussian_total_variation(p: Gaussian1D, q: Gaussian1D) -> float:
    """TV between two Gaussians from the crossings in the narrow law's coordinate.

    Between the two crossings the narrow density is the larger one, so TV = N(z_1, z_2) -
    W(u_1, u_2) with N, W the two laws' masses there, each from erfc in its own coordinate.
    The Hellinger bounds H^2 <= TV <= H sqrt(2 - H^2) guard the result; a value outside them
    (round-off) is recomputed by quadrature of E_n[(1 - p_w / p_n)^+] in the narrow coordinate.
    """
    pair = _standardise(p, q)
    if not math.isfinite(pair.offset):
        return 1.0
    crossings = _standardised_crossings(pair)
    if not crossings:
        return 0.0
    if len(crossings) == 1:
        return math.erf(abs(pair.offset) / (2.0 * _SQRT_2))
    low, high = crossings
    narrow_mass = _normal_mass(low, high)
    wide_mass = _normal_mass(pair.offset + pair.ratio * low, pair.offset + pair.ratio * high)
    value = min(max(narrow_mass - wide_mass, 0.0), 1.0)
    hellinger_squared = _gaussian_hellinger_squared(pair)
    lower, upper = hellinger_squared, math.sqrt(hellinger_squared * (2.0 - hellinger_squared))
    if not lower - 1e-12 <= value <= upper + 1e-12:
        value = _expectation_in_own_coordinate(pair, True, lambda log_gap: -math.expm1(min(log_gap, 0.0)))
    return value


def _gaussian_hellinger_squared(pair: _StandardisedPair) -> float:
    """H^2 = 1 - BC, BC = sqrt(2 r / (1 + r^2)) exp(-d^2 / (4 (1 + r^2))) (Bhattacharyya)."""
    one_plus = 1.0 + pair.ratio * pair.ratio
    log_bc = 0.5 * (LOG_2 + pair.log_ratio - math.log(one_plus)) - pair.offset * pair.offset / (4.0 * one_plus)
    return -math.expm1(log_bc)


def gaussian_js_divergence(p: Gaussian1D, q: Gaussian1D) -> float:
    """JS between two Gaussians: each half as an expectation in its own law's coordinate.

    JS = 1/2 E_P[log 2 - log(1 + q/p)] + 1/2 E_Q[log 2 - log(1 + p/q)]; each integrand lies in
    (-inf, log 2], the log-ratios are computed in standardised coordinates (no cancellation), and
    the pieces are split at the crossings. The sum is rounded into [0, log 2].

    When the std ratio r is below 1e-300 (or underflows to 0, as for stds 1e-200 and 1e200,
    where the wide law's coordinate would divide by 0), JS is log 2 to float64 precision: the
    deficit is O(r log(1/r)^{3/2}), under 1e-295.
    """
    if p == q:
        return 0.0
    pair = _standardise(p, q)
    if not math.isfinite(pair.offset) or pair.ratio < 1e-300:
        return LOG_2
    half = lambda log_gap: LOG_2 - _log1p_exp(log_gap)  # noqa: E731
    value = 0.5 * (_expectation_in_own_coordinate(pair, True, half) + _expectation_in_own_coordinate(pair, False, half))
    return min(max(value, 0.0), LOG_2)


def gaussian_kl_divergence(p: Gaussian1D, q: Gaussian1D) -> float:
    """KL between Gaussians in log space: 1/2 (expm1(2t) - 2t + ((mu_P - mu_Q)/sigma_Q)^2).

    t = log(sigma_P / sigma_Q) is finite for any positive floats (log1p of the relative difference
    for close stds), e^{2t} - 1 - 2t is a Taylor series for small t, and the mean gap is scaled
    without an overflowing difference; a value beyond float64 (e.g. sigma_Q = 1e-320 against
    sigma_P = 1) is ``math.inf``, never an OverflowError or NaN.
    """
    log_ratio = _log_std_ratio(p.std, q.std)
    # sigma_P^2/sigma_Q^2 - 1 - 2 log(sigma_P/sigma_Q) = expm1(2t) - 2t with t = log ratio
    variance_term = _expm1_minus_identity(2.0 * log_ratio) if 2.0 * log_ratio < 709.0 else math.inf
    scaled_gap = _scaled_gap(p.mean, q.mean, q.std)
    mean_term = scaled_gap * scaled_gap if abs(scaled_gap) < 1e154 else math.inf
    return 0.5 * (variance_term + mean_term)


def _expm1_minus_identity(x: float) -> float:
    """e^x - 1 - x, by its Taylor series x^2/2 + x^3/6 + ... for |x| < 1 (where expm1(x) - x cancels)."""
    if abs(x) >= 1.0:
        return math.expm1(x) - x
    term, total, k = x, 0.0, 1
    while True:
        k += 1
        term *= x / k
        if total + term == total:
            return total
        total += term
