r"""Section 5's other integral probability metrics, eq. (4), beside W: the maximum mean
discrepancy (MMD) of GMMNs, and the bounded critic of EBGANs (total variation).

Eq. (4) is :math:`d_{\mathcal F}(P_r, P_\theta) = \sup_{f \in \mathcal F} E_{P_r} f - E_{P_\theta} f`. Its
function class decides everything:

- 1-Lipschitz functions: :math:`W` (Kantorovich-Rubinstein duality).
- Functions with :math:`0 \le f \le m` (an EBGAN discriminator near optimality): :math:`m \cdot \delta`,
  with :math:`\delta = \sup_A |P_r(A) - P_\theta(A)|` the total variation, attained by
  :math:`f = m\,1\{p_r > p_\theta\}` (:func:`bounded_critic_ipm` finds it by a linear program). With
  :math:`|f| \le 1` the supremum is :math:`2\delta`.
- The unit ball of a reproducing kernel Hilbert space :math:`\mathcal H`,
  :math:`\{f \in \mathcal H: \|f\|_{\mathcal H} \le 1\}`: the MMD, :math:`\|\mu_{P_r} - \mu_{P_\theta}\|_{\mathcal H}`
  with :math:`\mu_P = E_{x \sim P}\, k(x, \cdot)` (Gretton et al. 2012). Section 5 writes the class as
  :math:`\{f \in \mathcal H: \|f\|_\infty \le 1\}`; that class is a different one: for the Gaussian kernel it
  holds functions as steep as one likes (:func:`steep_rkhs_function`), and its IPM between two Diracs
  :math:`\delta_0, \delta_\theta` is 2 for every :math:`\theta \ne 0`, the discontinuity of TV, where
  the MMD is :math:`\sqrt{2(1 - e^{-\theta^2 / (2\sigma^2)})}`, continuous.

Functions: :func:`mmd_squared` (the unbiased estimate from samples, :math:`O(n^2)` kernel
evaluations), :func:`mmd_gaussians` and :func:`mmd_diracs` (closed forms on the line),
:func:`bounded_critic_ipm`, :func:`steep_rkhs_function`.

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Section 5, eq. (4).
Gretton, Borgwardt, Rasch, Schoelkopf, Smola (2012), "A kernel two-sample test", JMLR 13, Lemma 4, Lemma 6.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_positive, check_real, check_samples, check_series

__all__ = ["mmd_squared", "mmd_gaussians", "mmd_diracs", "bounded_critic_ipm", "steep_rkhs_function"]


def _gram(x: np.ndarray, y: np.ndarray, bandwidth: float) -> np.ndarray:
    squared = np.sum(x**2, 1)[:, None] + np.sum(y**2, 1)[None, :] - 2 * x @ y.T
    return np.exp(-np.maximum(squared, 0.0) / (2 * bandwidth**2))


def mmd_squared(x, y, bandwidth: float) -> float:
    r"""The unbiased estimate of :math:`\mathrm{MMD}^2` with the Gaussian kernel
    :math:`k(a, b) = e^{-\|a - b\|^2 / (2\sigma^2)}` (Gretton et al. 2012, Lemma 6).

    :math:`\frac{1}{n(n-1)} \sum_{i \ne j} k(x_i, x_j) + \frac{1}{m(m-1)} \sum_{i \ne j} k(y_i, y_j)
    - \frac{2}{nm} \sum_{i, j} k(x_i, y_j)`: :math:`n^2 + m^2 + nm` kernel evaluations, the quadratic cost
    of Section 5. Its spread about the true value falls like :math:`1/\sqrt n` in any dimension
    (it can be negative when the laws are equal).

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d), or (n,) and (m,) on the line
        Samples of the two laws, n, m >= 2.
    bandwidth : float
        The kernel's :math:`\sigma`, > 0.

    Returns
    -------
    float

    Examples
    --------
    >>> round(mmd_squared([0.0, 0.0], [1.0, 1.0], 1.0), 4)  # 1 + 1 - 2 exp(-1/2)
    0.7869
    """
    bandwidth = check_positive("bandwidth", bandwidth)
    x, y = check_samples("x", x), check_samples("y", y)
    if x.shape[1] != y.shape[1] or len(x) < 2 or len(y) < 2:
        raise ValueError(f"x has shape {x.shape} and y {y.shape}: both need at least 2 points of one dimension.")
    n, m = len(x), len(y)
    within_x = (np.sum(_gram(x, x, bandwidth)) - n) / (n * (n - 1))
    within_y = (np.sum(_gram(y, y, bandwidth)) - m) / (m * (m - 1))
    return float(within_x + within_y - 2 * np.mean(_gram(x, y, bandwidth)))


def mmd_gaussians(mean_p: float, std_p: float, mean_q: float, std_q: float, bandwidth: float) -> float:
    r"""The exact MMD between :math:`N(\mu_P, s_P^2)` and :math:`N(\mu_Q, s_Q^2)` on the line, Gaussian
    kernel of bandwidth :math:`\sigma`.

    :math:`E\,k(X, Y) = \frac{\sigma}{\sqrt{\sigma^2 + s_X^2 + s_Y^2}}\, e^{-(\mu_X - \mu_Y)^2 / (2(\sigma^2 + s_X^2 + s_Y^2))}`
    for independent Gaussians, and :math:`\mathrm{MMD}^2 = E k(X, X') + E k(Y, Y') - 2 E k(X, Y)`.

    Examples
    --------
    >>> round(mmd_gaussians(0.0, 1.0, 0.0, 1.0, 0.5), 12)
    0.0
    """
    mean_p, mean_q = check_real("mean_p", mean_p), check_real("mean_q", mean_q)
    std_p, std_q = check_positive("std_p", std_p), check_positive("std_q", std_q)
    bandwidth = check_positive("bandwidth", bandwidth)

    def cross(delta: float, variance: float) -> float:
        total = bandwidth**2 + variance
        return bandwidth / math.sqrt(total) * math.exp(-(delta**2) / (2 * total))

    squared = cross(0.0, 2 * std_p**2) + cross(0.0, 2 * std_q**2) - 2 * cross(mean_p - mean_q, std_p**2 + std_q**2)
    return math.sqrt(max(squared, 0.0))  # rounding can leave -1e-17 for equal laws


def mmd_diracs(theta: float, bandwidth: float) -> float:
    r""":math:`\mathrm{MMD}(\delta_0, \delta_\theta) = \sqrt{2(1 - e^{-\theta^2/(2\sigma^2)})}`: Example 1's
    horizontal coordinate. About :math:`|\theta|/\sigma` near 0 (continuous, like :math:`W = |\theta|`),
    and :math:`\sqrt 2` with a vanishing slope for :math:`|\theta| \gg \sigma` (the saturation
    Section 5 warns of for low-bandwidth kernels)."""
    theta, bandwidth = check_real("theta", theta), check_positive("bandwidth", bandwidth)
    return math.sqrt(2 * -math.expm1(-(theta**2) / (2 * bandwidth**2)))


def bounded_critic_ipm(p, q, bound: float = 1.0) -> tuple[float, np.ndarray]:
    r"""Eq. (4) over critics with :math:`0 \le f \le m` on a finite support, by a linear program:
    an EBGAN discriminator near optimality.

    Parameters
    ----------
    p, q : array_like, shape (k,)
        Probability vectors of the two laws on the same k points (each sums to 1).
    bound : float, default=1
        :math:`m`, > 0.

    Returns
    -------
    tuple
        The supremum (which the theory says is :math:`m\,\delta(p, q)`) and the maximising critic.
    """
    from scipy.optimize import linprog

    p, q, bound = check_series("p", p), check_series("q", q), check_positive("bound", bound)
    if p.shape != q.shape or np.any(p < 0) or np.any(q < 0) or abs(p.sum() - 1) > 1e-9 or abs(q.sum() - 1) > 1e-9:
        raise ValueError("p and q must be probability vectors on the same points: non-negative, summing to 1.")
    result = linprog(-(p - q), bounds=[(0.0, bound)] * len(p), method="highs")
    return float(-result.fun), result.x


def steep_rkhs_function(x, theta: float, bandwidth: float) -> np.ndarray:
    r"""A function of the Gaussian kernel's RKHS with :math:`\|f\|_\infty \le 1`, :math:`f(0) = -1` and
    :math:`f(\theta) \approx 1`, for any :math:`\theta \ne 0`:
    :math:`f(x) = \sin(\pi (x - \theta/2)/\theta)\, e^{-x^2/(2\sigma^2)}`.

    A Gaussian window of width :math:`\tau` times a sinusoid has the Fourier transform
    :math:`\propto e^{-\tau^2 (\omega - \omega_0)^2 / 2}`, so it lies in the RKHS of the Gaussian kernel of
    bandwidth :math:`\sigma` (whose norm weighs :math:`|\hat f(\omega)|^2` by :math:`e^{\sigma^2 \omega^2/2}`) as
    soon as :math:`\tau^2 > \sigma^2/2`; here :math:`\tau = \sigma`. Its RKHS norm grows like
    :math:`e^{\sigma^2 \omega_0^2/4}` with :math:`\omega_0 = \pi/\theta`: bounded in sup norm, unbounded
    in the RKHS norm. So the class :math:`\{f \in \mathcal H: \|f\|_\infty \le 1\}` separates
    :math:`\delta_0` from :math:`\delta_\theta` by about 2 however close they are."""
    theta, bandwidth = check_real("theta", theta), check_positive("bandwidth", bandwidth)
    if theta == 0:
        raise ValueError("theta == 0.0, must be non-zero: the function swings from -1 at 0 to +1 at theta.")
    x = np.asarray(x, dtype=float)
    return np.sin(np.pi * (x - theta / 2) / theta) * np.exp(-(x**2) / (2 * bandwidth**2))
