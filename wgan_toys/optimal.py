r"""Ground truth for trained networks on 1D laws: the optimal discriminator, the exact potential,
and the measurements that put a trained discriminator or critic next to them.

- :func:`optimal_discriminator_logit`: :math:`D^* = p_r / (p_r + p_g)`, as the logit
  :math:`\log p_r - \log p_g` (finite where D* rounds to 0 or 1).
- :func:`js_lower_bound`: :math:`\tfrac12 L(D) + \log 2 \le JS(P_r, P_g)` for any D, with
  equality at D* (Section 4.2: :math:`\max_D L(D) = 2 JS - 2 \log 2`), integrated exactly
  against the densities, not estimated from samples.
- :func:`expectation_gap`: :math:`E_{P_r} f - E_{P_g} f` of any function, against the densities;
  by Kantorovich-Rubinstein (eq. 2) it is at most :math:`\mathrm{Lip}(f) \cdot W`.
- :func:`compare_to_potential`: a learned critic against the exact optimal critic
  (:class:`~wgan_toys.transport.OptimalCritic1D`) after removing the constant offset and dividing
  by a scale fitted to this critic (eq. 3 is at most K W for a K-Lipschitz family, Section 3;
  the fitted scale is what this critic realises, not the family's K).
- :func:`gradient_penalty_optimum`: the exact maximiser of the WGAN-GP objective over *all*
  critics between two 1D Gaussians (a calculus-of-variations problem solved point by point),
  its estimate :math:`W + \tfrac{1}{2\lambda}\int D^2/\rho`, and the lower bound
  :math:`W + W^2/(2\lambda)` (derivation in the function's docstring).
- :func:`gradient_penalty_prediction`: that lower bound alone, the optimum over the scaled
  Kantorovich potentials :math:`s f^*` (linear critics when P_g is a shift of P_r).

Probes of a trained network (its values, gradients and gradient-norm audit) are in
:mod:`wgan_toys.measure`.

Integrals use composite Simpson on a fine grid over [min mean - 12 std, max mean + 12 std]
(mass outside < 1e-32), so a network is evaluated once on a vector of points; for laws far apart
(means 0 and 1e10) or of very different widths, where that grid's step exceeds a tenth of the
narrower std, each law's expectation is taken on its own grid, mean +- 12 std.

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, eqs. (2)-(3), Section 4.2, Figure 2.
Gulrajani et al. (2017), "Improved Training of Wasserstein GANs", arXiv:1704.00028.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ._validation import check_int, check_positive, check_real
from .distances import LOG_2
from .distributions import Gaussian1D

__all__ = [
    "integration_grid",
    "optimal_discriminator_logit",
    "optimal_discriminator",
    "js_lower_bound",
    "expectation_gap",
    "mass_region",
    "compare_to_potential",
    "compare_to_potential_2d",
    "gradient_penalty_prediction",
    "PenaltyOptimum",
    "gradient_penalty_optimum",
    "interpolate_density",
]

_GRID_POINTS = 40001  # odd, for Simpson's rule


def _check_gaussians(p, q):
    for name, law in (("p", p), ("q", q)):
        if not isinstance(law, Gaussian1D):
            raise TypeError(f"{name} must be a Gaussian1D, got {type(law).__name__}.")


def integration_grid(p: Gaussian1D, q: Gaussian1D, points: int = _GRID_POINTS) -> np.ndarray:
    """An odd number of equally spaced points covering both laws to 12 standard deviations.

    One grid over the union: between laws far apart (1e10 / ``points``) or of very different
    widths its step is wider than the narrower law, and the integrals here use each law's own grid
    instead (:func:`_resolves_both`).
    """
    low = min(p.mean - 12 * p.std, q.mean - 12 * q.std)
    high = max(p.mean + 12 * p.std, q.mean + 12 * q.std)
    return np.linspace(low, high, points)


_MAX_STEP_PER_STD = 0.1  # a union grid coarser than a tenth of the narrower std is not used
_STANDARD_GRID = np.linspace(-12.0, 12.0, _GRID_POINTS)  # z, in a law's own coordinate
_STANDARD_WEIGHTS = np.exp(-0.5 * _STANDARD_GRID**2) / math.sqrt(2.0 * math.pi)  # phi(z)


def _resolves_both(grid: np.ndarray, p: Gaussian1D, q: Gaussian1D) -> bool:
    """Whether the union ``grid``'s step is at most a tenth of the narrower law's std."""
    return bool(grid[1] - grid[0] <= _MAX_STEP_PER_STD * min(p.std, q.std))


def _expectation_pair(values_of, p: Gaussian1D, q: Gaussian1D) -> tuple[float, float]:
    """(E_P a(X), E_Q b(Y)) by Simpson, where ``values_of(points)`` returns (a(points), b(points)).

    On the union grid (:func:`integration_grid`, 40001 points) against the densities when it
    resolves both laws; otherwise each expectation in its own law's coordinate z (x = mean + std z,
    |z| <= 12, the same 40001 points, weights phi(z)), where the step is exact: for N(0, 1)
    against N(1e10, 1) the union grid's step of 2.5e6 steps over both densities (an expectation
    gap of 4e-21 for 2.4e6), and in x a mean of 1e10 rounds the points to 2e-6. ``values_of`` is
    called once.
    """
    grid = integration_grid(p, q)
    if _resolves_both(grid, p, q):
        a, b = values_of(grid)
        return _simpson(np.asarray(a, dtype=float) * p.pdf(grid), grid), _simpson(
            np.asarray(b, dtype=float) * q.pdf(grid), grid
        )
    a, b = values_of(np.concatenate([p.mean + p.std * _STANDARD_GRID, q.mean + q.std * _STANDARD_GRID]))
    own_p, own_q = np.asarray(a, dtype=float)[:_GRID_POINTS], np.asarray(b, dtype=float)[_GRID_POINTS:]
    return _simpson(own_p * _STANDARD_WEIGHTS, _STANDARD_GRID), _simpson(own_q * _STANDARD_WEIGHTS, _STANDARD_GRID)


def _simpson(values: np.ndarray, grid: np.ndarray) -> float:
    step = grid[1] - grid[0]
    return float(step / 3.0 * (values[0] + values[-1] + 4.0 * values[1:-1:2].sum() + 2.0 * values[2:-1:2].sum()))


def optimal_discriminator_logit(p, q):
    """The logit of D* = p_r / (p_r + p_g): ``x -> log p_r(x) - log p_g(x)``."""
    return lambda x: p.logpdf(x) - q.logpdf(x)


def optimal_discriminator(p, q):
    """D*(x) = p_r(x) / (p_r(x) + p_g(x)), the discriminator that maximises L(D) (Section 4.2)."""
    logit = optimal_discriminator_logit(p, q)
    from scipy.special import expit

    return lambda x: expit(logit(x))


def _log_sigmoid(logit: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -logit)


def js_lower_bound(logit_function, p: Gaussian1D, q: Gaussian1D) -> float:
    r"""The exact :math:`\tfrac12 L(D) + \log 2` for D = sigmoid(``logit_function``).

    .. math::

        L(D) = \int p_r \log D + \int p_g \log(1 - D) \le 2\, JS(P_r, P_g) - 2 \log 2

    Parameters
    ----------
    logit_function : callable
        Maps a numpy array of points (k,) to logits (k,).
    p, q : Gaussian1D
        P_r and P_g.
    """
    _check_gaussians(p, q)

    def values_of(points):
        logit = np.asarray(logit_function(points), dtype=float)
        return _log_sigmoid(logit), _log_sigmoid(-logit)

    on_real, on_fake = _expectation_pair(values_of, p, q)
    return 0.5 * (on_real + on_fake) + LOG_2


def expectation_gap(function, p: Gaussian1D, q: Gaussian1D) -> float:
    r""":math:`E_{P_r} f - E_{P_g} f`, integrated against the densities (no sampling noise)."""
    _check_gaussians(p, q)

    def values_of(points):
        values = np.asarray(function(points), dtype=float)
        return values, values

    on_real, on_fake = _expectation_pair(values_of, p, q)
    return on_real - on_fake


def mass_region(p: Gaussian1D, q: Gaussian1D, mass: float = 0.99, points: int = 2001) -> np.ndarray:
    """Grid points where the mass is: the union of the central ``mass`` intervals of P and Q.

    For separated laws the gap between them is left out: nothing is there to learn from. The
    points of a ``points``-point grid over both laws (:func:`integration_grid`) that fall in the
    intervals; when that grid is coarser than a tenth of the narrower std (laws far apart, or of
    very different widths, where an interval could hold no point), each interval gets its own
    ``points`` // 2 + 1 equally spaced points instead (sorted, duplicates merged).
    """
    _check_gaussians(p, q)
    mass = check_real("mass", mass)
    if not 0 < mass < 1:
        raise ValueError(f"mass == {mass}, must be in (0, 1).")
    points = check_int("points", points, minimum=2)
    tail = 0.5 * (1 - mass)
    intervals = [law.quantile([tail, 1 - tail]) for law in (p, q)]
    grid = integration_grid(p, q, points)
    if not _resolves_both(grid, p, q):
        return np.unique(np.concatenate([np.linspace(low, high, points // 2 + 1) for low, high in intervals]))
    keep = np.zeros(grid.shape, dtype=bool)
    for low, high in intervals:
        keep |= (grid >= low) & (grid <= high)
    return grid[keep]


def compare_to_potential(critic_function, p, q, mass: float = 0.99) -> dict:
    r"""Fit a learned critic f to the exact optimal critic f*: :math:`f \approx a f^* + b`.

    The fitted scale a is measured from this critic, so it says nothing about the Lipschitz
    bound K of the critic's family beyond a <= Lip(f) <= K where f follows f*; comparing an
    estimate with a W "times a" is circular.

    Least squares over :func:`mass_region`. Returns ``k_fit`` (a), ``offset`` (b) and
    ``max_abs_error``: :math:`\max |(f - b)/K - f^*|` over the region, the error after removing
    the constant and the scale, in units of f* (whose slope is 1).
    """
    from .transport import OptimalCritic1D

    region = mass_region(p, q, mass)
    exact = OptimalCritic1D(p, q)(region)
    learned = np.asarray(critic_function(region), dtype=float)
    design = np.stack([exact, np.ones_like(exact)], axis=1)
    (k_fit, offset), *_ = np.linalg.lstsq(design, learned, rcond=None)
    error = np.max(np.abs((learned - offset) / k_fit - exact)) if k_fit != 0 else math.inf
    return {"k_fit": float(k_fit), "offset": float(offset), "max_abs_error": float(error)}


def gradient_penalty_prediction(wasserstein: float, penalty_weight: float) -> dict:
    r"""The optimum of the WGAN-GP objective over the scaled optimal critics :math:`s f^*`: a lower
    bound on the optimum over all critics (:func:`gradient_penalty_optimum`).

    :math:`f^*` is a 1-Lipschitz critic that reaches W (eq. 2) with :math:`|f^{*\prime}| = 1`
    wherever the laws differ; for two Gaussians of equal width it is the line
    :math:`f^*(x) = \mp x`, so this family is the linear critics. With :math:`f = s f^*`,
    :math:`s \ge 0`, the gap is :math:`E_r f - E_g f = s W` and the gradient norm is s at every
    interpolate, so the WGAN-GP objective is

    .. math::

        J(s) = s W - \lambda (s - 1)^2, \qquad s^* = 1 + \frac{W}{2\lambda}, \qquad
        s^* W = W + \frac{W^2}{2\lambda}.

    Over *all* critics the optimum is larger, :math:`W + \frac{1}{2\lambda}\int D^2/\rho \ge
    W + W^2/(2\lambda)` by Cauchy-Schwarz, with equality only when :math:`|D|/\rho` is constant
    (see :func:`gradient_penalty_optimum`). For a shift of equal-width Gaussians the two are close
    (W = 4: 4.813 against 4.8 at lambda = 10); for a change of scale they are not.

    Returns
    -------
    dict
        ``slope`` = 1 + W/(2 lambda), ``estimate`` = W + W^2/(2 lambda).
    """
    wasserstein = check_real("wasserstein", wasserstein)
    if wasserstein < 0:
        raise ValueError(f"wasserstein == {wasserstein}, must be >= 0.")
    penalty_weight = check_positive("penalty_weight", penalty_weight, hint=" (WGAN-GP uses lambda = 10)")
    slope = 1.0 + wasserstein / (2.0 * penalty_weight)
    return {"slope": slope, "estimate": slope * wasserstein}


_EPSILON_NODES = 256  # Gauss-Legendre nodes over epsilon in [0, 1] for the interpolates' density


def _log_interpolate_density(
    real: Gaussian1D, fake: Gaussian1D, x: np.ndarray, nodes: int = _EPSILON_NODES
) -> np.ndarray:
    """log rho(x), rho the density of eps X_r + (1 - eps) X_g, eps ~ U[0, 1], X_r, X_g independent."""
    from scipy.special import logsumexp

    roots, weights = np.polynomial.legendre.leggauss(nodes)
    epsilon, weights = 0.5 * (roots + 1.0), 0.5 * weights  # Gauss-Legendre on [0, 1]
    mean = epsilon[:, None] * real.mean + (1.0 - epsilon[:, None]) * fake.mean  # (nodes, 1)
    variance = epsilon[:, None] ** 2 * real.std**2 + (1.0 - epsilon[:, None]) ** 2 * fake.std**2
    log_component = -0.5 * (x[None, :] - mean) ** 2 / variance - 0.5 * np.log(2.0 * math.pi * variance)  # (nodes, k)
    return logsumexp(log_component, axis=0, b=weights[:, None])


def interpolate_density(real: Gaussian1D, fake: Gaussian1D, x, nodes: int = _EPSILON_NODES) -> np.ndarray:
    r"""The density :math:`\rho` of WGAN-GP's interpolates :math:`\hat x = \epsilon x_r + (1 - \epsilon) x_g`.

    With :math:`\epsilon \sim U[0, 1]` and :math:`x_r \sim N(\mu_r, \sigma_r^2)`,
    :math:`x_g \sim N(\mu_g, \sigma_g^2)` independent, :math:`\hat x` given :math:`\epsilon` is
    :math:`N(\epsilon\mu_r + (1 - \epsilon)\mu_g,\; \epsilon^2\sigma_r^2 + (1 - \epsilon)^2\sigma_g^2)`, so

    .. math::

        \rho(x) = \int_0^1 N\big(x;\; \epsilon\mu_r + (1 - \epsilon)\mu_g,\;
                  \epsilon^2\sigma_r^2 + (1 - \epsilon)^2\sigma_g^2\big)\, d\epsilon,

    computed by Gauss-Legendre quadrature over :math:`\epsilon` with ``nodes`` nodes, in log space
    (finite far in the tails). Not the mixture :math:`(p_r + p_g)/2`: the interpolates fill the
    gap between the laws.

    Parameters
    ----------
    real, fake : Gaussian1D
        P_r and P_g.
    x : array_like, shape (k,)
    nodes : int, default=256

    Returns
    -------
    ndarray, shape (k,)
    """
    _check_gaussians(real, fake)
    from ._validation import check_int

    check_int("nodes", nodes, minimum=2)
    return np.exp(_log_interpolate_density(real, fake, np.atleast_1d(np.asarray(x, dtype=float)), nodes))


def _log_abs_difference(log_a: np.ndarray, log_b: np.ndarray) -> np.ndarray:
    """log |a - b| from log a and log b."""
    high, low = np.maximum(log_a, log_b), np.minimum(log_a, log_b)
    with np.errstate(divide="ignore"):
        return high + np.log(-np.expm1(low - high))


def _log_cdf_gap(real: Gaussian1D, fake: Gaussian1D, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sign(D) and log|D| for D = F_g - F_r = S_r - S_g, each side computed where it does not cancel."""
    from scipy.special import log_ndtr

    z_real, z_fake = (x - real.mean) / real.std, (x - fake.mean) / fake.std
    log_cdf_real, log_cdf_fake = log_ndtr(z_real), log_ndtr(z_fake)
    log_sf_real, log_sf_fake = log_ndtr(-z_real), log_ndtr(-z_fake)
    left = np.maximum(log_cdf_real, log_cdf_fake) <= np.maximum(log_sf_real, log_sf_fake)  # CDFs are the small side
    log_gap = np.where(
        left, _log_abs_difference(log_cdf_fake, log_cdf_real), _log_abs_difference(log_sf_real, log_sf_fake)
    )
    sign = np.where(left, np.sign(log_cdf_fake - log_cdf_real), np.sign(log_sf_real - log_sf_fake))
    return sign, log_gap


@dataclass(frozen=True)
class PenaltyOptimum:
    """The exact optimum of the WGAN-GP objective between two 1D Gaussians
    (from :func:`gradient_penalty_optimum`).

    Attributes
    ----------
    estimate : float
        :math:`E_r f - E_g f` of the maximiser: what a converged WGAN-GP critic reports.
    objective : float
        The penalised objective at the maximiser, ``estimate - penalty``.
    penalty : float
        :math:`\\lambda E_\\rho[(|f'| - 1)^2]` at the maximiser.
    wasserstein : float
        The exact W1.
    linear_lower_bound : float
        :math:`W + W^2/(2\\lambda)`, the optimum over the scaled optimal critics (linear
        critics for a shift); at most ``estimate``.
    penalty_weight : float
    grid : ndarray, shape (k,)
    slope : ndarray, shape (k,)
        The maximiser's :math:`f'` on ``grid``.
    cdf_gap : ndarray, shape (k,)
        :math:`D = F_g - F_r` on ``grid``.
    density : ndarray, shape (k,)
        :math:`\\rho`, the interpolates' density, on ``grid``.
    """

    estimate: float
    objective: float
    penalty: float
    wasserstein: float
    linear_lower_bound: float
    penalty_weight: float
    grid: np.ndarray
    slope: np.ndarray
    cdf_gap: np.ndarray
    density: np.ndarray


@functools.lru_cache(maxsize=32)
def _penalty_ingredients(real: Gaussian1D, fake: Gaussian1D, points: int, nodes: int) -> tuple:
    """What :func:`gradient_penalty_optimum` needs that does not depend on lambda, computed once per
    pair of laws and grid (a sweep over lambda, as Figure-style plots draw, reuses it): the grid,
    sign D, D = F_g - F_r, |D| / rho and rho on the grid, and W. The arrays are read-only."""
    from .distances import wasserstein_1

    grid = integration_grid(real, fake, points)
    sign, log_gap = _log_cdf_gap(real, fake, grid)
    log_density = _log_interpolate_density(real, fake, grid, nodes)
    ratio = np.exp(log_gap - log_density)  # |D| / rho
    gap = sign * np.exp(log_gap)
    sign = np.where(sign == 0, 1.0, sign)  # where D = 0 both slopes +-1 are optimal (no gain, no penalty)
    density = np.exp(log_density)
    for array in (grid, sign, gap, ratio, density):
        array.flags.writeable = False
    return grid, sign, gap, ratio, density, wasserstein_1(real, fake)


def gradient_penalty_optimum(
    real: Gaussian1D, fake: Gaussian1D, penalty_weight: float, points: int = 8001, nodes: int = _EPSILON_NODES
) -> PenaltyOptimum:
    r"""The exact maximiser, over all critics, of the WGAN-GP objective between two 1D Gaussians.

    WGAN-GP's critic maximises (Gulrajani et al. 2017, eq. (3), with the sign of eq. (3) of the
    WGAN paper)

    .. math::

        J[f] = E_{P_r} f - E_{P_g} f - \lambda\, E_{\hat x \sim \rho}\big[(|f'(\hat x)| - 1)^2\big],

    :math:`\rho` the density of the interpolates (:func:`interpolate_density`). In one dimension
    the gradient norm is :math:`|f'|`.

    **Derivation.** Integrate by parts with :math:`D = F_g - F_r` (the boundary terms vanish
    because D has Gaussian tails):

    .. math::

        E_{P_r} f - E_{P_g} f = \int f\,(p_r - p_g)\,dx = \int f'(x)\, D(x)\, dx,

    so :math:`J[f] = \int \big[f' D - \lambda \rho\, (|f'| - 1)^2\big] dx` depends on f only
    through :math:`g = f'`, point by point, and can be maximised under the integral. At a point with
    :math:`D > 0`, a negative g loses to -g (same penalty, smaller gain), and on
    :math:`g \ge 0` the concave :math:`gD - \lambda\rho(g - 1)^2` peaks at
    :math:`g = 1 + D/(2\lambda\rho)`; with :math:`D < 0` the mirror image. Hence

    .. math::

        f^{\prime}_\lambda(x) = \operatorname{sign} D(x)\,
            \Big(1 + \frac{|D(x)|}{2\lambda\,\rho(x)}\Big),

    .. math::

        E_{P_r} f_\lambda - E_{P_g} f_\lambda = \int |D| + \frac{1}{2\lambda}\int \frac{D^2}{\rho}
            = W + \frac{1}{2\lambda}\int \frac{D^2}{\rho},
        \qquad J[f_\lambda] = W + \frac{1}{4\lambda}\int \frac{D^2}{\rho},

    using :math:`W = \int |F_r - F_g|` on the line. (The penalty on :math:`f' - 1` instead of
    :math:`|f'| - 1` would give :math:`1 + D/(2\lambda\rho)` with no sign, the wrong answer where
    :math:`D < 0`.) The two-sided penalty also has a local maximum of the wrong sign,
    :math:`g = -\operatorname{sign} D\,(1 - |D|/(2\lambda\rho))`, wherever :math:`|D| < 2\lambda\rho`;
    the one-sided penalty :math:`\max(0, |f'| - 1)^2` has the same global maximiser (here
    :math:`|f'_\lambda| > 1` everywhere) and no wrong-sign local maximum.

    **The linear lower bound.** By Cauchy-Schwarz, with :math:`\int\rho = 1`,

    .. math::

        W^2 = \Big(\int \frac{|D|}{\sqrt\rho}\sqrt\rho\Big)^2 \le \int \frac{D^2}{\rho},
        \qquad\text{so}\qquad E_{P_r} f_\lambda - E_{P_g} f_\lambda \ge W + \frac{W^2}{2\lambda},

    with equality only when :math:`|D|/\rho` is constant. :math:`W + W^2/(2\lambda)` is the
    optimum over the scaled optimal critics :math:`s f^*` (:func:`gradient_penalty_prediction`),
    not over all critics. As :math:`\lambda \to \infty` both tend to W.

    Parameters
    ----------
    real, fake : Gaussian1D
        P_r and P_g.
    penalty_weight : float
        lambda > 0 (WGAN-GP uses 10).
    points : int, default=8001
        Odd number of grid points for Simpson's rule over
        [min mean - 12 std, max mean + 12 std].
    nodes : int, default=256
        Gauss-Legendre nodes over epsilon for :math:`\rho`.

    Returns
    -------
    PenaltyOptimum
        ``estimate``, ``objective``, ``penalty``, ``wasserstein``, ``linear_lower_bound`` and the
        maximiser's slope on the grid.

    Raises
    ------
    TypeError
        If ``real`` or ``fake`` is not a Gaussian1D.
    ValueError
        If ``penalty_weight`` is not > 0, or ``points`` is even or < 3.

    References
    ----------
    Gulrajani, Ahmed, Arjovsky, Dumoulin, Courville (2017), arXiv:1704.00028, eq. (3).
    Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, eqs. (2)-(3).

    Examples
    --------
    >>> from wgan_toys import Gaussian1D
    >>> optimum = gradient_penalty_optimum(Gaussian1D(0, 1), Gaussian1D(0, 3), penalty_weight=10.0)
    >>> round(optimum.wasserstein, 4), round(optimum.linear_lower_bound, 4), round(optimum.estimate, 4)
    (1.5958, 1.7231, 1.8366)
    """
    from ._validation import check_int

    _check_gaussians(real, fake)
    penalty_weight = check_positive("penalty_weight", penalty_weight, hint=" (WGAN-GP uses lambda = 10)")
    check_int("points", points, minimum=3)
    if points % 2 == 0:
        raise ValueError(f"points == {points}, must be odd (Simpson's rule).")
    check_int("nodes", nodes, minimum=2)
    grid, sign, gap, ratio, density, wasserstein = _penalty_ingredients(real, fake, points, nodes)
    slope = sign * (1.0 + ratio / (2.0 * penalty_weight))
    estimate = _simpson(slope * gap, grid)
    penalty = penalty_weight * _simpson(density * (np.abs(slope) - 1.0) ** 2, grid)
    return PenaltyOptimum(
        estimate=estimate,
        objective=estimate - penalty,
        penalty=penalty,
        wasserstein=wasserstein,
        linear_lower_bound=wasserstein + wasserstein**2 / (2.0 * penalty_weight),
        penalty_weight=penalty_weight,
        grid=grid,
        slope=slope,
        cdf_gap=gap,
        density=density,
    )


def compare_to_potential_2d(critic_function, real, fake) -> dict:
    r"""A learned critic on R^d against the exact Kantorovich potential between two samples.

    The exact potential is POT's dual turned into a function by the c-transform
    (:func:`wgan_toys.transport.kantorovich_critic`); the fit :math:`f \approx K f^* + b` is least
    squares over the real and generated points. Returns ``k_fit``, ``offset``, ``max_abs_error``
    (of :math:`(f - b)/K - f^*` over the points) and ``exact_w1`` (the transport cost).
    """
    from ._validation import check_samples
    from .transport import exact_transport, kantorovich_critic

    real = check_samples("real", real)
    fake = check_samples("fake", fake, dim=real.shape[1])
    transport = exact_transport(real, fake)
    points = np.concatenate([real, fake])
    exact = kantorovich_critic(transport)(points)
    learned = np.asarray(critic_function(points), dtype=float)
    design = np.stack([exact, np.ones_like(exact)], axis=1)
    (k_fit, offset), *_ = np.linalg.lstsq(design, learned, rcond=None)
    error = np.max(np.abs((learned - offset) / k_fit - exact)) if k_fit != 0 else math.inf
    return {"k_fit": float(k_fit), "offset": float(offset), "max_abs_error": float(error), "exact_w1": transport.cost}
