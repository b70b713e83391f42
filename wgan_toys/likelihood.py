r"""Section 1: maximum likelihood, its limit KL(P_r || P_theta), and the noise remedy, on Example 1.

The paper opens with the classical way to learn a distribution: pick a family of densities
:math:`P_\theta` and maximise the average log-likelihood of the data,

.. math::

    \max_\theta \frac1m \sum_{i=1}^m \log P_\theta(x^{(i)}).

By the law of large numbers the average tends to :math:`E_{P_r} \log P_\theta = -H(P_r) -
KL(P_r \| P_\theta)` when :math:`P_r` has a density, so maximising likelihood minimises
:math:`KL(P_r \| P_\theta)` asymptotically. On Example 1 the segments have no density, KL is infinite,
and the "typical remedy" is to add noise to the model
(:class:`~wgan_toys.distributions.NoisyParallelLines`). This module holds the few computations the
lesson makes with it:

- :func:`average_log_likelihood`: the objective above for a law with a ``logpdf``;
- :func:`kl_by_likelihood`: the average log-likelihood ratio on samples of P_r drawn through the
  public sampler, an estimate of :math:`KL(P_r \| P_\theta)` with its standard error;
- :func:`likelihood_profile` and :func:`fit_noisy_lines`: theta and sigma fitted by likelihood; on data
  that lie on a line (no noise) the likelihood grows without bound as sigma -> 0;
- :func:`distance_slopes`: d rho / d theta of TV, KL, JS and W1 between blurred lines, by central
  differences of :mod:`~wgan_toys.distances`, for a range of noises (what the noise costs);
- :func:`sequence_distances`: the distances along a sequence of laws (Theorem 2, Appendix A).

References
----------
Arjovsky, Chintala, Bottou (2017), "Wasserstein GAN", arXiv:1701.07875, Section 1.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._validation import check_int, check_positive, check_samples
from .distances import all_distances
from .distributions import NoisyParallelLines

__all__ = [
    "NoisyLinesFit",
    "average_log_likelihood",
    "kl_by_likelihood",
    "likelihood_profile",
    "fit_noisy_lines",
    "distance_slopes",
    "sequence_distances",
]


def average_log_likelihood(model, data) -> float:
    r""":math:`\frac1m \sum_i \log p(x^{(i)})`, Section 1's objective, for ``model`` with a ``logpdf``.

    Parameters
    ----------
    model : NoisyParallelLines or Gaussian1D
        A law with a density (``logpdf``); :class:`~wgan_toys.distributions.ParallelLines` has none.
    data : array_like, shape (m, d)
        The examples :math:`x^{(i)}`.

    Returns
    -------
    float
        The average log-density, in nats; ``-inf`` if some example has density 0.

    Raises
    ------
    TypeError
        If ``model`` has no density.

    Examples
    --------
    >>> from wgan_toys.distributions import NoisyParallelLines
    >>> round(average_log_likelihood(NoisyParallelLines(0.0, 1.0), [[0.0, 0.5]]), 4)
    -1.8789
    """
    if not hasattr(model, "logpdf"):
        raise TypeError(
            f"model is {type(model).__name__}, which has no density on its space and so no likelihood; "
            "add noise to it (NoisyParallelLines(theta, noise_std)), the remedy of Section 1."
        )
    dim = getattr(model, "dim", 1)
    data = check_samples("data", data, dim=dim)
    values = model.logpdf(data) if dim > 1 else model.logpdf(data[:, 0])
    return float(np.mean(values))


def kl_by_likelihood(target, model, n_samples: int = 10_000, seed=None) -> tuple[float, float]:
    r"""KL(P_r || P_theta) estimated as an average log-likelihood ratio on samples of P_r.

    .. math::

        \widehat{KL} = \frac1n \sum_{i=1}^n \big[\log p_r(x^{(i)}) - \log p_\theta(x^{(i)})\big],
        \qquad x^{(i)} \sim P_r,

    the difference of the two average log-likelihoods that Section 1 compares: the best
    :math:`\theta` by likelihood is the one with the smallest :math:`\widehat{KL}`.

    Parameters
    ----------
    target, model : NoisyParallelLines or Gaussian1D
        P_r (sampled with its public ``sample``) and P_theta; both need a ``logpdf``.
    n_samples : int, default=10_000
        The sample size n.
    seed : int, None or numpy.random.Generator, default=None
        For the draw.

    Returns
    -------
    (float, float)
        The estimate and its standard error (the sample standard deviation of the log-ratios over
        sqrt(n)).
    """
    n_samples = check_int("n_samples", n_samples, minimum=2)
    data = target.sample(n_samples, seed=seed)
    if data.ndim == 1:
        data = data[:, None]
    log_ratio = target.logpdf(data if target.dim > 1 else data[:, 0]) - model.logpdf(
        data if model.dim > 1 else data[:, 0]
    )
    return float(np.mean(log_ratio)), float(np.std(log_ratio, ddof=1) / math.sqrt(n_samples))


def likelihood_profile(data, noise_stds, theta: float | None = None) -> np.ndarray:
    """The average log-likelihood of ``NoisyParallelLines(theta, sigma)`` for each sigma in ``noise_stds``.

    Parameters
    ----------
    data : array_like, shape (m, 2)
        Points in the plane.
    noise_stds : array_like, shape (k,)
        The sigmas, each finite and > 0.
    theta : float, default=None
        The offset; None takes its maximum-likelihood value, the mean of the horizontal coordinates
        (whatever sigma, since only the horizontal Gaussian depends on theta).

    Returns
    -------
    numpy.ndarray, shape (k,)
    """
    data = check_samples("data", data, dim=2)
    theta = float(np.mean(data[:, 0])) if theta is None else theta
    sigmas = [check_positive("noise_stds[i]", s) for s in np.atleast_1d(np.asarray(noise_stds, dtype=float))]
    return np.array([average_log_likelihood(NoisyParallelLines(theta, s), data) for s in sigmas])


class NoisyLinesFit(NamedTuple):
    """The maximum-likelihood fit of :func:`fit_noisy_lines`.

    ``at_bound`` is True when the best sigma is the smallest one allowed: the likelihood kept
    growing as sigma shrank, and the fit has no maximum inside the range.
    """

    theta: float
    noise_std: float
    average_log_likelihood: float
    at_bound: bool


def fit_noisy_lines(data, smallest_noise_std: float = 1e-8, largest_noise_std: float = 10.0) -> NoisyLinesFit:
    r"""Fit ``NoisyParallelLines(theta, sigma)`` to ``data`` by maximum likelihood (Section 1).

    theta's maximiser is the mean of the horizontal coordinates, in closed form; sigma's is found
    by bounded scalar search of the average log-likelihood over :math:`\log\sigma` in
    ``[smallest_noise_std, largest_noise_std]``. For data drawn with noise the maximum is inside
    the range, near the noise that made the data. For data on a segment (Example 1, no noise)
    the likelihood grows like :math:`-\log\sigma` as :math:`\sigma \to 0` and has no maximum: the
    fit stops at ``smallest_noise_std`` with ``at_bound=True``.

    Parameters
    ----------
    data : array_like, shape (m, 2)
        Points in the plane.
    smallest_noise_std, largest_noise_std : float, default=1e-8, 10.0
        The search range of sigma; 0 < smallest < largest.

    Returns
    -------
    NoisyLinesFit
    """
    from scipy.optimize import minimize_scalar

    data = check_samples("data", data, dim=2)
    low = check_positive("smallest_noise_std", smallest_noise_std)
    high = check_positive("largest_noise_std", largest_noise_std)
    if not low < high:
        raise ValueError(
            f"smallest_noise_std == {low}, must be < largest_noise_std == {high}; swap them or widen the range."
        )
    theta = float(np.mean(data[:, 0]))

    def negative(log_sigma: float) -> float:
        return -average_log_likelihood(NoisyParallelLines(theta, math.exp(log_sigma)), data)

    found = minimize_scalar(
        negative, bounds=(math.log(low), math.log(high)), method="bounded", options={"xatol": 1e-10}
    )
    candidates = [(float(found.fun), float(found.x)), (negative(math.log(low)), math.log(low))]
    value, log_sigma = min(candidates)
    sigma = math.exp(log_sigma)
    return NoisyLinesFit(theta, sigma, -value, at_bound=math.isclose(sigma, low, rel_tol=1e-6))


def distance_slopes(theta: float, noise_stds, step: float = 1e-4) -> dict[str, np.ndarray]:
    r"""The slopes :math:`d\rho/d\theta` of TV, KL, JS and W1 between P_0 and P_theta, both blurred.

    For each sigma in ``noise_stds``, the central difference
    :math:`(\rho(P_0, P_{\theta + h}) - \rho(P_0, P_{\theta - h})) / 2h` with ``h = step * sigma`` of
    the exact distances between ``NoisyParallelLines(0, sigma)`` and ``NoisyParallelLines(theta', sigma)``.
    What the noise buys and costs, as Section 1 describes it: KL's slope theta / sigma^2 explodes as
    sigma -> 0; TV's and JS's vanish once |theta| >> sigma (they saturate); W1's is 1 whatever sigma.

    Parameters
    ----------
    theta : float
        Where to take the slope; > 0 so that W1 is differentiable there.
    noise_stds : array_like, shape (k,)
        The sigmas, each > 0.
    step : float, default=1e-4
        The difference step in units of sigma.

    Returns
    -------
    dict
        ``{"tv", "kl", "js", "em"}`` -> array of shape (k,).
    """
    theta = check_positive("theta", theta, hint=" (W1 = |theta| has a kink at 0)")
    step = check_positive("step", step)
    slopes: dict[str, list[float]] = {name: [] for name in ("tv", "kl", "js", "em")}
    for sigma in np.atleast_1d(np.asarray(noise_stds, dtype=float)):
        sigma = check_positive("noise_stds[i]", sigma)
        h = step * sigma
        target = NoisyParallelLines(0.0, sigma)
        right = all_distances(target, NoisyParallelLines(theta + h, sigma))
        left = all_distances(target, NoisyParallelLines(theta - h, sigma))
        for name in slopes:
            slopes[name].append((right[name] - left[name]) / (2.0 * h))
    return {name: np.array(values) for name, values in slopes.items()}


def sequence_distances(target, laws) -> dict[str, np.ndarray]:
    """TV, KL, JS and W1 between each law of the sequence ``laws`` and its limit candidate ``target``.

    Theorem 2 and Appendix A on a sequence: ``laws = [ParallelLines(1 / n) for n in ...]`` converges
    to ``ParallelLines(0)`` in W1 (weakly) but not in TV (strongly); the same lines blurred by one
    noise converge in both.

    Returns
    -------
    dict
        ``{"tv", "kl", "kl_reverse", "js", "em"}`` -> array with one value per law.
    """
    rows = [all_distances(law, target) for law in laws]
    if not rows:
        raise ValueError("laws is empty, must hold at least one law of the sequence.")
    return {name: np.array([row[name] for row in rows]) for name in rows[0]}
