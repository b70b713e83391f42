r"""Exact distances between probability laws: TV, KL, JS and EM (Wasserstein-1), Section 2.

For two laws P and Q (the paper's P_r and P_g):

- total variation (TV), :math:`\delta(P, Q) = \sup_A |P(A) - Q(A)| = \tfrac12 \int |p - q|`;
- Kullback-Leibler, :math:`KL(P \| Q) = \int \log(p / q)\, p`, infinite when P puts mass where
  Q has none; the reverse KL is ``kl_divergence(q, p)``;
- Jensen-Shannon, :math:`JS(P, Q) = \tfrac12 KL(P \| M) + \tfrac12 KL(Q \| M)` with
  :math:`M = (P + Q) / 2`, in nats, so :math:`0 \le JS \le \log 2`. The paper's Section 2 prints
  this formula without the factor 1/2, but its Example 1 value (log 2) and the GAN bound
  :math:`2\,JS - 2\log 2` (Section 4) use the 1/2 convention, which is the one used here;
- Earth-Mover / Wasserstein-1, eq. (1),
  :math:`W(P, Q) = \inf_{\gamma \in \Pi(P, Q)} E_{(x, y) \sim \gamma} \|x - y\|`, which on the
  line equals :math:`\int |F_P - F_Q|`.

Which pairs are exact:

- :class:`~wgan_toys.distributions.ParallelLines` pairs: Example 1 (W = ``|theta|``, JS = log 2,
  KL = +inf, TV = 1 when theta != 0; all 0 when theta = 0);
- :class:`~wgan_toys.distributions.Gaussian1D` pairs: closed forms for KL (in log space), TV
  (from the density crossings, solved in the narrower law's standardised coordinate, and normal
  CDFs; guarded by the Hellinger bounds), W1 (folded-normal mean) and W2; JS by adaptive
  quadrature of each half in its own law's coordinate. TV and JS agree with 40-digit mpmath
  references to 1e-7 for stds from 1e-12 to 1e12 and means up to 1e6 (tests/test_distances_extreme.py);
  a value beyond float64 (a KL of 1e400) is ``math.inf``;
- :class:`~wgan_toys.distributions.Discrete1D` pairs: exact finite sums;
- an atomic law against a continuous one: mutually singular (TV = 1, JS = log 2, KL = +inf),
  W1 by quadrature of the CDF difference;
- other continuous 1D pairs (:class:`~wgan_toys.distributions.Uniform1D`): adaptive quadrature.

The ``*_quadrature`` functions integrate the definitions numerically for any two continuous 1D
laws and return ``(value, abs_error)``; the tests use them as an independent check of the
closed forms. Infinite values are ``math.inf``, never NaN. Nothing here imports torch or POT
(see :mod:`wgan_toys.empirical` for distances from samples).

Pairs of :class:`~wgan_toys.distributions.NoisyParallelLines` with the same noise (Section 1's remedy
applied to Example 1) are exact too: KL = dtheta^2 / (2 sigma^2) both ways, TV = 2 Phi(|dtheta| / (2 sigma))
- 1, JS = that of N(0, sigma^2) and N(dtheta, sigma^2), W1 = |dtheta| (see ``_noisy_lines_pair``).

References
----------
Arjovsky, Chintala, Bottou (2017), "Wasserstein GAN", arXiv:1701.07875, Section 2, Example 1.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .distributions import Discrete1D, Gaussian1D, NoisyParallelLines, ParallelLines, Uniform1D

LOG_2 = math.log(2.0)
_SQRT_2 = math.sqrt(2.0)
_TINY = np.finfo(float).tiny  # the smallest normal float64
_GAUSSIAN_WINDOW = 40.0  # quadrature runs over mean +- 40 std: the mass outside is < 1e-300

__all__ = [
    "LOG_2",
    "QuadratureResult",
    "total_variation",
    "kl_divergence",
    "js_divergence",
    "wasserstein_1",
    "wasserstein_2",
    "all_distances",
    "total_variation_quadrature",
    "kl_divergence_quadrature",
    "js_divergence_quadrature",
    "wasserstein_1_quadrature",
]


class QuadratureResult(NamedTuple):
    """A number computed by adaptive quadrature, with quadrature's absolute error estimate."""

    value: float
    abs_error: float


# --------------------------------------------------------------------------- helpers


def _family(distribution) -> str:
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


def _pair(p, q) -> str:
    families = (_family(p), _family(q))
    if "noisy_lines" in families:
        return _noisy_lines_pair(p, q)
    if "lines" in families and families != ("lines", "lines"):
        raise TypeError(
            "ParallelLines live in R^2 and can only be compared with ParallelLines, got "
            f"{type(p).__name__} and {type(q).__name__}."
        )
    if families == ("lines", "lines"):
        return "lines"
    if families == ("atoms", "atoms"):
        return "atoms"
    if "atoms" in families:
        return "singular"
    if isinstance(p, Gaussian1D) and isinstance(q, Gaussian1D):
        return "gaussians"
    return "continuous"


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


def _gaussian_total_variation(p: Gaussian1D, q: Gaussian1D) -> float:
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


def _gaussian_js_divergence(p: Gaussian1D, q: Gaussian1D) -> float:
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


def _quad(integrand, p, q, length_scaled: bool = False) -> QuadratureResult:
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


def _logpdf_scalar(d):
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
    if _family(d) != "continuous":
        raise TypeError(f"{name} must be a continuous 1D law (Gaussian1D or Uniform1D), got {type(d).__name__}.")


# ------------------------------------------------------------------ quadrature references


def total_variation_quadrature(p, q) -> QuadratureResult:
    r"""TV by adaptive quadrature of :math:`\tfrac12 \int |p(x) - q(x)|\,dx` (1D continuous laws)."""
    _check_continuous("p", p)
    _check_continuous("q", q)
    log_p, log_q = _logpdf_scalar(p), _logpdf_scalar(q)
    return _quad(lambda x: 0.5 * abs(math.exp(log_p(x)) - math.exp(log_q(x))), p, q)


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
    log_p, log_q = _logpdf_scalar(p), _logpdf_scalar(q)

    def integrand(x):
        lp = log_p(x)
        return 0.0 if lp == -math.inf else math.exp(lp) * (lp - log_q(x))

    return _quad(integrand, p, q)


def js_divergence_quadrature(p, q) -> QuadratureResult:
    r"""JS(P, Q) (1/2 convention, nats) by adaptive quadrature, with its error estimate.

    .. math::

        JS = \tfrac12 \int p \log \frac{2p}{p + q} + \tfrac12 \int q \log \frac{2q}{p + q}

    evaluated with log-densities and ``logaddexp`` so that no term overflows.
    """
    _check_continuous("p", p)
    _check_continuous("q", q)
    log_p, log_q = _logpdf_scalar(p), _logpdf_scalar(q)

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

    return _quad(integrand, p, q)


def wasserstein_1_quadrature(p, q) -> QuadratureResult:
    r"""W1 on the line by adaptive quadrature of :math:`\int |F_P(x) - F_Q(x)|\,dx`.

    Works for any two 1D laws with a ``cdf`` (continuous or atomic); atoms are breakpoints. The
    integral is taken in the coordinate (x - c) / 2^e that maps the integration window to about
    [-1, 1] (:func:`_recentred`) and scaled back by 2^e, so that its relative accuracy is the same
    at every offset and scale (W1(P + t, Q + t) = W1(P, Q), W1(cP, cQ) = c W1(P, Q)).
    """
    for name, d in (("p", p), ("q", q)):
        if _family(d) == "lines":
            raise TypeError(f"{name} must be a 1D law, got {type(d).__name__}.")
    low, high, _ = integration_window(p, q)
    exponent = 0
    if math.isfinite(low) and math.isfinite(high):  # not when a Gaussian's window passes 1.8e308
        centre, exponent = 0.5 * low + 0.5 * high, _binary_exponent(0.5 * high - 0.5 * low)
        p, q = _recentred(p, centre, exponent), _recentred(q, centre, exponent)
    value, error = _quad(lambda x: abs(float(p.cdf(x)) - float(q.cdf(x))), p, q, length_scaled=True)
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


# -------------------------------------------------------------------------- closed forms


def _lines_value(p: ParallelLines, q: ParallelLines, value_if_apart: float) -> float:
    return 0.0 if p.theta == q.theta else value_if_apart


def _atoms_union(p: Discrete1D, q: Discrete1D) -> tuple[np.ndarray, np.ndarray]:
    support = np.union1d(p.points, q.points)
    p_mass = np.zeros(support.shape[0])
    q_mass = np.zeros(support.shape[0])
    p_mass[np.searchsorted(support, p.points)] = p.weights
    q_mass[np.searchsorted(support, q.points)] = q.weights
    return p_mass, q_mass


def _kl_sum(p_mass: np.ndarray, q_mass: np.ndarray) -> float:
    on_p = p_mass > 0
    if np.any(q_mass[on_p] == 0):
        return math.inf
    return float(np.sum(p_mass[on_p] * (np.log(p_mass[on_p]) - np.log(q_mass[on_p]))))


def total_variation(p, q) -> float:
    r"""Total variation :math:`\delta(P, Q) = \sup_A |P(A) - Q(A)| = \tfrac12 \int |p - q|`.

    For two Gaussians, exactly: with x_1 < x_2 the points where the densities cross,
    :math:`\delta = |(\Phi_P(x_2) - \Phi_P(x_1)) - (\Phi_Q(x_2) - \Phi_Q(x_1))|`; with equal
    std it is :math:`\operatorname{erf}(|\mu_P - \mu_Q| / (2\sqrt2\,\sigma))`.

    Parameters
    ----------
    p, q : ParallelLines, Gaussian1D, Uniform1D or Discrete1D
        The two laws (ParallelLines only against ParallelLines).

    Returns
    -------
    float
        A number in [0, 1].

    Examples
    --------
    >>> total_variation(ParallelLines(0.0), ParallelLines(0.3))
    1.0
    >>> round(total_variation(Gaussian1D(0, 1), Gaussian1D(1, 1)), 6)
    0.382925
    """
    pair = _pair(p, q)
    if pair == "noisy_lines":
        return _noisy_lines_total_variation(p, q)
    if pair == "lines":
        return _lines_value(p, q, 1.0)
    if pair == "atoms":
        p_mass, q_mass = _atoms_union(p, q)
        return float(0.5 * np.abs(p_mass - q_mass).sum())
    if pair == "singular":
        return 1.0
    if pair == "gaussians":
        return _gaussian_total_variation(p, q)
    return _continuous_total_variation(p, q)


def _continuous_total_variation(p, q) -> float:
    """TV of two continuous 1D laws by quadrature, in [0, 1] by construction (no clipping).

    1/2 int |p - q| has a non-negative integrand, so it is >= 0; above 1/2 the value is taken
    as 1 - int min(p, q) instead (also a non-negative integrand), which is <= 1 and keeps the
    digits of a TV near 1 (1/2 int |p - q| of disjoint laws can exceed 1 by 5e-14).
    """
    value = total_variation_quadrature(p, q).value
    if value <= 0.5:
        return value
    log_p, log_q = _logpdf_scalar(p), _logpdf_scalar(q)
    overlap = _quad(lambda x: math.exp(min(log_p(x), log_q(x))), p, q).value
    return 1.0 - overlap


def kl_divergence(p, q) -> float:
    r"""Kullback-Leibler divergence :math:`KL(P \| Q) = \int \log(p/q)\, p` in nats.

    Asymmetric: the reverse KL is ``kl_divergence(q, p)``. For Gaussians,
    :math:`KL = \log\frac{\sigma_Q}{\sigma_P} + \frac{\sigma_P^2 + (\mu_P - \mu_Q)^2}{2\sigma_Q^2}
    - \frac12`, evaluated without cancellation when the laws are close.

    Returns
    -------
    float
        A number in [0, inf]; ``math.inf`` (never NaN, no warning) when P puts mass where Q
        has none, as in Example 1 for theta != 0.

    Examples
    --------
    >>> kl_divergence(ParallelLines(0.0), ParallelLines(0.3))
    inf
    >>> kl_divergence(Gaussian1D(0, 1), Gaussian1D(2, 1))
    2.0
    """
    pair = _pair(p, q)
    if pair == "noisy_lines":
        return _noisy_lines_kl_divergence(p, q)
    if pair == "lines":
        return _lines_value(p, q, math.inf)
    if pair == "atoms":
        return _kl_sum(*_atoms_union(p, q))
    if pair == "singular":
        return math.inf
    if pair == "gaussians":
        return _gaussian_kl_divergence(p, q)
    return kl_divergence_quadrature(p, q).value


def _gaussian_kl_divergence(p: Gaussian1D, q: Gaussian1D) -> float:
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


def js_divergence(p, q) -> float:
    r"""Jensen-Shannon divergence, :math:`JS = \tfrac12 KL(P\|M) + \tfrac12 KL(Q\|M)`, M = (P+Q)/2.

    Natural log, so :math:`0 \le JS \le \log 2`, with log 2 exactly when P and Q are mutually
    singular (Example 1). The paper's Section 2 writes the formula without the 1/2; its
    Example 1 (JS = log 2) and its GAN bound (Section 4, :math:`2 JS - 2\log 2`) use the 1/2,
    as this function does. For Gaussians there is no closed form: adaptive quadrature of each
    half in its own law's standardised coordinate (accurate to ~1e-10 for any two Gaussians
    representable in float64); :func:`js_divergence_quadrature` is the x-coordinate reference.

    Examples
    --------
    >>> js_divergence(ParallelLines(0.0), ParallelLines(0.3)) == LOG_2
    True
    >>> round(js_divergence(Gaussian1D(0, 1), Gaussian1D(1, 1)), 6)
    0.111421
    """
    pair = _pair(p, q)
    if pair == "noisy_lines":
        return _noisy_lines_js_divergence(p, q)
    if pair == "lines":
        return _lines_value(p, q, LOG_2)
    if pair == "atoms":
        p_mass, q_mass = _atoms_union(p, q)
        mixture = 0.5 * (p_mass + q_mass)
        return min(0.5 * _kl_sum(p_mass, mixture) + 0.5 * _kl_sum(q_mass, mixture), LOG_2)
    if pair == "singular":
        return LOG_2
    if pair == "gaussians":
        return _gaussian_js_divergence(p, q)
    return min(max(js_divergence_quadrature(p, q).value, 0.0), LOG_2)


def wasserstein_1(p, q) -> float:
    r"""Earth-Mover (Wasserstein-1) distance, eq. (1).

    .. math::

        W(P, Q) = \inf_{\gamma \in \Pi(P, Q)} E_{(x, y) \sim \gamma} \|x - y\|

    Example 1: :math:`W(P_0, P_\theta) = |\theta|`. Two Gaussians: the monotone (quantile)
    coupling x = mu_P + sigma_P z, y = mu_Q + sigma_Q z is optimal on the line, so
    W = E|dmu + dsigma Z| with Z ~ N(0, 1), the mean of a folded normal:

    .. math::

        W = |\Delta\sigma| \sqrt{2/\pi}\, e^{-\Delta\mu^2 / (2\Delta\sigma^2)}
            + \Delta\mu\, \operatorname{erf}\!\big(\Delta\mu / (\sqrt2 |\Delta\sigma|)\big),

    which is :math:`|\Delta\mu|` when the stds agree. Other 1D pairs: :math:`\int |F_P - F_Q|`.

    Examples
    --------
    >>> wasserstein_1(ParallelLines(0.0), ParallelLines(-0.3))
    0.3
    >>> wasserstein_1(Gaussian1D(0, 1), Gaussian1D(4, 1))
    4.0
    """
    pair = _pair(p, q)
    if pair == "noisy_lines":
        return _noisy_lines_wasserstein_1(p, q)
    if pair == "lines":
        return abs(p.theta - q.theta)
    if pair == "gaussians":
        mean_gap = p.mean - q.mean
        std_gap = abs(p.std - q.std)
        if std_gap == 0.0:
            return abs(mean_gap)
        ratio = mean_gap / std_gap
        return std_gap * math.sqrt(2.0 / math.pi) * math.exp(-0.5 * ratio * ratio) + mean_gap * math.erf(
            ratio / _SQRT_2
        )
    if all(isinstance(d, (Discrete1D, Uniform1D)) for d in (p, q)):
        return _wasserstein_1_piecewise_linear(p, q)
    return wasserstein_1_quadrature(p, q).value


def _knots(d) -> np.ndarray:
    return d.points if isinstance(d, Discrete1D) else np.array(d.support)


def _wasserstein_1_piecewise_linear(p, q) -> float:
    """Exact int |F_P - F_Q| when both CDFs are piecewise linear (atoms and uniforms).

    Between consecutive knots k_i < k_{i+1} the gap h = F_P - F_Q is linear. Its end values are
    read at the knots themselves, never at a point "just inside" (below one ulp of a knot far
    from 0, such a point is the knot, and an atom's jump would be counted): on the piece, an
    atomic CDF is the cumulative weight of the atoms <= k_i (``cdf(k_i)``, right-continuous, a
    cumulative sum read by index), a uniform one runs from ``cdf(k_i)`` to ``cdf(k_{i+1})``.
    The integral of |h| over a piece of length L with end values h0, h1 is L |h0 + h1| / 2
    without a sign change and L (h0^2 + h1^2) / (2 (|h0| + |h1|)) with one.
    """
    knots = np.union1d(_knots(p), _knots(q))
    if knots.size < 2:
        return 0.0
    left, right = knots[:-1], knots[1:]
    # half-lengths cannot overflow (the knots are finite floats); a length can (1e308 - -1e308)
    half_length = 0.5 * right - 0.5 * left

    def ends(d):
        start = np.asarray(d.cdf(left), dtype=float)  # the value on [k_i, k_{i+1}) starts here
        return start, start if isinstance(d, Discrete1D) else np.asarray(d.cdf(right), dtype=float)

    (p0, p1), (q0, q1) = ends(p), ends(q)
    h0, h1 = p0 - q0, p1 - q1
    same_sign = h0 * h1 >= 0
    denominator = np.where(same_sign, 1.0, np.abs(h0) + np.abs(h1))
    pieces = np.where(same_sign, 0.5 * np.abs(h0 + h1), 0.5 * (h0**2 + h1**2) / denominator)
    with np.errstate(over="ignore"):  # a sum beyond float64 is inf, as the docstring says
        return float(np.sum(2.0 * (pieces * half_length)))


def wasserstein_2(p: Gaussian1D | ParallelLines, q: Gaussian1D | ParallelLines) -> float:
    r"""Wasserstein-2 between two 1D Gaussians: :math:`\sqrt{\Delta\mu^2 + \Delta\sigma^2}`.

    Example 1 pairs give ``|theta|`` as well. Other pairs are not supported.
    """
    pair = _pair(p, q)  # raises TypeError for ParallelLines against anything else
    if isinstance(p, ParallelLines) and isinstance(q, ParallelLines):
        return abs(p.theta - q.theta)
    if not (isinstance(p, Gaussian1D) and isinstance(q, Gaussian1D)):
        raise TypeError(f"wasserstein_2 is exact only for Gaussian1D or ParallelLines pairs, got {pair}.")
    return math.hypot(p.mean - q.mean, p.std - q.std)


def all_distances(p, q) -> dict[str, float]:
    """TV, KL(P||Q), KL(Q||P), JS and EM for P = ``p`` and Q = ``q``, as a dict.

    Keys: ``tv``, ``kl``, ``kl_reverse``, ``js``, ``em`` (the ``wgan-toys distances`` output).
    """
    return {
        "tv": total_variation(p, q),
        "kl": kl_divergence(p, q),
        "kl_reverse": kl_divergence(q, p),
        "js": js_divergence(p, q),
        "em": wasserstein_1(p, q),
    }


# ------------------------------------------------- Section 1: Example 1 blurred by Gaussian noise


def _noisy_lines_pair(p, q) -> str:
    r"""``"noisy_lines"`` for two :class:`NoisyParallelLines` with one noise; a clear error otherwise.

    With the same :math:`\sigma`, :math:`P = N(\theta_P, \sigma^2) \otimes V` and
    :math:`Q = N(\theta_Q, \sigma^2) \otimes V`, where :math:`V = U[0, 1] * N(0, \sigma^2)` is the common
    vertical law (the noise is isotropic, so the two coordinates are independent). The density ratio
    :math:`p/q` is then the ratio of the horizontal Gaussians alone, so every f-divergence (TV, KL, JS)
    of the pair equals that of :math:`N(\theta_P, \sigma^2)` and :math:`N(\theta_Q, \sigma^2)`.
    """
    for name, law in (("p", p), ("q", q)):
        if not isinstance(law, NoisyParallelLines):
            raise TypeError(
                f"{name} is {type(law).__name__}: NoisyParallelLines can only be compared with NoisyParallelLines "
                "(both live in R^2; ParallelLines is the noiseless limit, against which KL is infinite); "
                f"got {type(p).__name__} and {type(q).__name__}."
            )
    if p.noise_std != q.noise_std:
        raise ValueError(
            f"q.noise_std == {q.noise_std}, must equal p.noise_std == {p.noise_std}: the distances are exact only "
            "when both lines carry the same noise; blur both laws with one sigma."
        )
    return "noisy_lines"


def _noisy_lines_total_variation(p: NoisyParallelLines, q: NoisyParallelLines) -> float:
    """TV = 2 Phi(|dtheta| / (2 sigma)) - 1 = erf(|dtheta| / (2 sqrt(2) sigma)), the horizontal Gaussians' TV."""
    shift = abs(p.theta - q.theta)
    scaled = shift / (2.0 * _SQRT_2 * p.noise_std) if math.isfinite(shift) else math.inf
    return math.erf(scaled)


def _noisy_lines_kl_divergence(p: NoisyParallelLines, q: NoisyParallelLines) -> float:
    """KL = dtheta^2 / (2 sigma^2), the same both ways; ``math.inf`` beyond float64."""
    shift = p.theta - q.theta
    scaled = shift / p.noise_std if math.isfinite(shift) else math.inf
    return 0.5 * scaled * scaled  # a float product overflows to inf, never an OverflowError


def _noisy_lines_js_divergence(p: NoisyParallelLines, q: NoisyParallelLines) -> float:
    """JS = the JS of the horizontal Gaussians N(theta_P, sigma^2) and N(theta_Q, sigma^2)."""
    return js_divergence(p.horizontal, q.horizontal)


def _noisy_lines_wasserstein_1(p: NoisyParallelLines, q: NoisyParallelLines) -> float:
    r"""W1 = :math:`|\theta_P - \theta_Q|` exactly, with or without noise.

    Lower bound: for any coupling :math:`\gamma` of P and Q, :math:`E_\gamma\|X - Y\| \ge
    \|E_\gamma(X - Y)\| = \|E_P X - E_Q Y\| = |\theta_P - \theta_Q|` (Jensen; the vertical means are both
    1/2). Upper bound: the translation coupling :math:`Y = X + (\theta_Q - \theta_P, 0)`, which maps P onto
    Q because the noise and the heights are the same, moves every point by exactly
    :math:`|\theta_P - \theta_Q|`. So the noise neither helps nor hurts W1.
    """
    return abs(p.theta - q.theta)
