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
  quadrature of each half in its own law's coordinate (:mod:`~wgan_toys.gaussian_distances`). TV and JS agree with 40-digit mpmath
  references to 1e-7 for stds from 1e-12 to 1e12 and means up to 1e6 (tests/test_distances_extreme.py);
  a value beyond float64 (a KL of 1e400) is ``math.inf``;
- :class:`~wgan_toys.distributions.Discrete1D` pairs: exact finite sums;
- an atomic law against a continuous one: mutually singular (TV = 1, JS = log 2, KL = +inf),
  W1 by quadrature of the CDF difference;
- other continuous 1D pairs (:class:`~wgan_toys.distributions.Uniform1D`): adaptive quadrature.

The ``*_quadrature`` functions of :mod:`~wgan_toys.quadrature` integrate the definitions
numerically for any two continuous 1D laws and return ``(value, abs_error)``; the tests use them
as an independent check of the closed forms. Infinite values are ``math.inf``, never NaN. Nothing here imports torch or POT
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

import numpy as np

from .distributions import Discrete1D, Gaussian1D, NoisyParallelLines, ParallelLines, Uniform1D
from .gaussian_distances import (
    LOG_2,
    gaussian_js_divergence,
    gaussian_kl_divergence,
    gaussian_total_variation,
)
from .quadrature import (
    js_divergence_quadrature,
    kl_divergence_quadrature,
    law_family,
    quad_over_window,
    scalar_logpdf,
    total_variation_quadrature,
    wasserstein_1_quadrature,
)

_SQRT_2 = math.sqrt(2.0)

__all__ = [
    "LOG_2",
    "total_variation",
    "kl_divergence",
    "js_divergence",
    "wasserstein_1",
    "wasserstein_2",
    "all_distances",
]


def _pair(p, q) -> str:
    families = (law_family(p), law_family(q))
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
        return gaussian_total_variation(p, q)
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
    log_p, log_q = scalar_logpdf(p), scalar_logpdf(q)
    overlap = quad_over_window(lambda x: math.exp(min(log_p(x), log_q(x))), p, q).value
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
        return gaussian_kl_divergence(p, q)
    return kl_divergence_quadrature(p, q).value


def js_divergence(p, q) -> float:
    r"""Jensen-Shannon divergence, :math:`JS = \tfrac12 KL(P\|M) + \tfrac12 KL(Q\|M)`, M = (P+Q)/2.

    Natural log, so :math:`0 \le JS \le \log 2`, with log 2 exactly when P and Q are mutually
    singular (Example 1). The paper's Section 2 writes the formula without the 1/2; its
    Example 1 (JS = log 2) and its GAN bound (Section 4, :math:`2 JS - 2\log 2`) use the 1/2,
    as this function does. For Gaussians there is no closed form: adaptive quadrature of each
    half in its own law's standardised coordinate (within 1e-7 of 40-digit mpmath references for stds from
    1e-12 to 1e12 and means up to 1e6, tests/test_distances_extreme.py; quad's tolerances are 1e-13 absolute and
    1e-12 relative per piece); :func:`~wgan_toys.quadrature.js_divergence_quadrature` is the x-coordinate reference.

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
        return gaussian_js_divergence(p, q)
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
