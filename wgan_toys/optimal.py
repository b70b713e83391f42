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
  by the fitted scale K (eq. 3 estimates K W, Section 3).
- :func:`gradient_penalty_prediction`: where a gradient-penalty critic settles between two
  Gaussians of equal width (derivation in the function's docstring).
- :func:`gradient_norm_audit`: the distribution of :math:`\|\nabla f\|` on real, fake,
  interpolated and off-support points (the optimal critic has norm 1 between the laws,
  Gulrajani et al. 2017, Proposition 1).

Integrals use composite Simpson on a fine grid over [min mean - 12 std, max mean + 12 std]
(mass outside < 1e-32), so a network is evaluated once on a vector of points.

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, eqs. (2)-(3), Section 4.2, Figure 2.
Gulrajani et al. (2017), "Improved Training of Wasserstein GANs", arXiv:1704.00028.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_positive, check_real
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
    "gradient_norm_audit",
]

LOG_2 = math.log(2.0)
_GRID_POINTS = 40001  # odd, for Simpson's rule


def _check_gaussians(p, q):
    for name, law in (("p", p), ("q", q)):
        if not isinstance(law, Gaussian1D):
            raise TypeError(f"{name} must be a Gaussian1D, got {type(law).__name__}.")


def integration_grid(p: Gaussian1D, q: Gaussian1D, points: int = _GRID_POINTS) -> np.ndarray:
    """An odd number of equally spaced points covering both laws to 12 standard deviations."""
    low = min(p.mean - 12 * p.std, q.mean - 12 * q.std)
    high = max(p.mean + 12 * p.std, q.mean + 12 * q.std)
    return np.linspace(low, high, points)


def _simpson(values: np.ndarray, grid: np.ndarray) -> float:
    step = grid[1] - grid[0]
    return float(step / 3.0 * (values[0] + values[-1] + 4.0 * values[1:-1:2].sum() + 2.0 * values[2:-1:2].sum()))


def optimal_discriminator_logit(p, q):
    """The logit of D* = p_r / (p_r + p_g): ``x -> log p_r(x) - log p_g(x)``."""
    return lambda x: p.logpdf(x) - q.logpdf(x)


def optimal_discriminator(p, q):
    """D*(x) = p_r(x) / (p_r(x) + p_g(x)), the discriminator that maximises L(D) (Section 4.2)."""
    logit = optimal_discriminator_logit(p, q)
    return lambda x: 1.0 / (1.0 + np.exp(-logit(x)))


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
    grid = integration_grid(p, q)
    logit = np.asarray(logit_function(grid), dtype=float)
    integrand = p.pdf(grid) * _log_sigmoid(logit) + q.pdf(grid) * _log_sigmoid(-logit)
    return 0.5 * _simpson(integrand, grid) + LOG_2


def expectation_gap(function, p: Gaussian1D, q: Gaussian1D) -> float:
    r""":math:`E_{P_r} f - E_{P_g} f`, integrated against the densities (no sampling noise)."""
    _check_gaussians(p, q)
    grid = integration_grid(p, q)
    values = np.asarray(function(grid), dtype=float)
    return _simpson(values * (p.pdf(grid) - q.pdf(grid)), grid)


def mass_region(p: Gaussian1D, q: Gaussian1D, mass: float = 0.99, points: int = 2001) -> np.ndarray:
    """Grid points where the mass is: the union of the central ``mass`` intervals of P and Q.

    For separated laws the gap between them is left out: nothing is there to learn from.
    """
    _check_gaussians(p, q)
    mass = check_real("mass", mass)
    if not 0 < mass < 1:
        raise ValueError(f"mass == {mass}, must be in (0, 1).")
    tail = 0.5 * (1 - mass)
    grid = integration_grid(p, q, points)
    keep = np.zeros(grid.shape, dtype=bool)
    for law in (p, q):
        low, high = law.quantile([tail, 1 - tail])
        keep |= (grid >= low) & (grid <= high)
    return grid[keep]


def compare_to_potential(critic_function, p, q, mass: float = 0.99) -> dict:
    r"""Fit a learned critic f to the exact optimal critic f*: :math:`f \approx K f^* + b`.

    Least squares over :func:`mass_region`. Returns ``k_fit`` (K), ``offset`` (b) and
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
    r"""Where a gradient-penalty critic settles between two Gaussians of equal width.

    P_g is P_r shifted by W, so the optimal critic is linear, :math:`f(x) = -s\,x`, with slope
    s and gradient norm s at every interpolate. The WGAN-GP objective is then

    .. math::

        J(s) = E_r f - E_g f - \lambda E[(\|\nabla f\| - 1)^2] = s W - \lambda (s - 1)^2,

    maximised at :math:`s^* = 1 + W / (2\lambda)`, where the estimate is
    :math:`s^* W = W + W^2 / (2\lambda)`: the penalty lets the slope exceed 1 by
    :math:`W/(2\lambda)`, so a WGAN-GP loss curve overstates W, by more when W is large
    (early in training) and less as the generator closes the gap.

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


def gradient_norm_audit(critic, real, fake, off_support, seed=0) -> dict:
    """||grad f|| at real, fake, interpolated (one epsilon ~ U[0,1] per pair) and off-support
    points; each entry a numpy array of shape (n,).

    Parameters
    ----------
    critic : nn.Module
    real, fake : array_like, shape (n,) or (n, d)
        Paired samples (same n).
    off_support : array_like, shape (k,) or (k, d)
        Points away from both laws.
    seed : int, None or numpy Generator, default=0
    """
    from ._validation import check_samples
    from .runtime import numpy_generator
    from .train import network_gradients

    real = check_samples("real", real)
    fake = check_samples("fake", fake, dim=real.shape[1])
    if real.shape != fake.shape:
        raise ValueError(f"real has shape {real.shape} and fake {fake.shape}; they are paired, so they must match.")
    epsilon = numpy_generator(seed).uniform(size=(real.shape[0], 1))
    interpolated = epsilon * real + (1 - epsilon) * fake

    def norms(points):
        gradient = network_gradients(critic, points)
        return np.abs(gradient) if gradient.ndim == 1 else np.linalg.norm(gradient, axis=1)

    return {
        "real": norms(real),
        "fake": norms(fake),
        "interpolated": norms(interpolated),
        "off_support": norms(check_samples("off_support", off_support, dim=real.shape[1])),
    }


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
