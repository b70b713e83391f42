r"""Does one training curve track another beyond the trend they share? A statistic, and its
false-positive rate measured on a null of independent series that share a decaying trend.

Figure 3's claim is "a clear correlation between lower error and better sample quality"
(Section 4.2). Within one run, any two quantities that both fall correlate; the question is
whether they move *together* around their trends. First differences answer that only when the
trends are linear: the differences of :math:`e^{-k/3}` are themselves a decaying series, so two
independent noisy series that both decay and level off have positively correlated differences
(:func:`null_rates` measures how often).

- :func:`shape_trend`: the least-squares fit of a monotone trend with curvature of one sign
  (decreasing convex, such as an exponential or power-law decay; increasing concave; and the two
  others), as a non-negative combination of hinges at the evaluation steps (``scipy.optimize.nnls``).
- :func:`residual_spearman`: Spearman's correlation of the two series' residuals around their own
  fitted trends, the trend-robust statistic; :func:`difference_spearman` is the first-difference one.
- :func:`shared_trend_pairs`: the null (``link=0``: two independent noisy series around decaying
  trends) and linked alternatives (a common noise term added to both).
- :func:`null_rates`: the measured rate at which a statistic exceeds a threshold, its mean, and
  the measured rate of "positive in all m runs".
- :func:`calibrated_threshold`: the threshold the residual statistic exceeds with probability at
  most ``level`` on every null of a stated family (measured, seeded).

The fitted trend is an assumption: a trend that rises and then falls is not in the family, its
residuals keep the bump, and a test on them is conservative there (it rejects less often).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Section 4.2, Figures 3 and 4.
"""

from __future__ import annotations

import functools

import numpy as np

from ._validation import check_int, check_positive, check_real, check_series
from .runtime import numpy_generator

__all__ = [
    "shape_trend",
    "trend_residuals",
    "residual_spearman",
    "difference_spearman",
    "shared_trend_pairs",
    "null_rates",
    "calibrated_threshold",
    "NULL_TRENDS",
]

# The null family of decays (steps k = 0, 1, ..., n - 1): the exponential pair of two rates,
# a power-law pair (heavier tail than any exponential) and a nearly linear pair.
NULL_TRENDS = {
    "exponential": (lambda k: np.exp(-k / 3), lambda k: np.exp(-1.3 * k / 3)),
    "power law": (lambda k: 1 / (1 + k), lambda k: 1 / (1 + k) ** 1.5),
    "slow": (lambda k: 1 / np.sqrt(1 + k), lambda k: 1 / (1 + k) ** 0.7),
}
NULL_NOISES = (0.05, 0.1, 0.2)  # noise standard deviation, as a fraction of the trend's initial drop


@functools.lru_cache(maxsize=16)
def _hinges(steps: tuple) -> tuple:
    """The four design matrices [1, -1, hinges] for a monotone trend with one-signed curvature."""
    k = np.asarray(steps, dtype=float)
    knots = k[1:-1] if len(k) > 2 else k[:0]
    ones = np.ones((len(k), 1))
    families = (
        np.maximum(0.0, knots[None, :] - k[:, None]),  # decreasing, convex (a decay)
        np.maximum(0.0, k[:, None] - knots[None, :]),  # increasing, convex
    )
    slope = (k - k[0])[:, None]
    designs = []
    for hinges in families:
        linear = -slope if hinges is families[0] else slope
        designs.append(np.hstack([ones, -ones, linear, hinges]))
    return tuple(designs)


def shape_trend(values, steps=None) -> np.ndarray:
    r"""The least-squares trend of one series among monotone functions with curvature of one sign.

    The trend is :math:`\pm (a + \sum_j w_j h_j(k))` with :math:`w_j \ge 0`, where the
    :math:`h_j` are a line and hinges :math:`(t_j - k)_+` (decreasing convex) or
    :math:`(k - t_j)_+` (increasing convex) at the interior steps; the sign and the family with the
    smaller residual sum of squares win. This spans every piecewise-linear decreasing convex
    (or increasing concave, increasing convex, decreasing concave) function with knots at the
    steps: exponential and power-law decays and their plateaus, without choosing a formula.

    Parameters
    ----------
    values : array_like, shape (n,)
        The series, finite, in step order.
    steps : array_like, shape (n,), optional
        The steps, strictly increasing; default ``0, 1, ..., n - 1``.

    Returns
    -------
    numpy.ndarray, shape (n,)
        The fitted trend.

    Examples
    --------
    >>> k = np.arange(8.0)
    >>> bool(np.allclose(shape_trend(np.exp(-k / 2)), np.exp(-k / 2), atol=0.02))
    True
    """
    from scipy.optimize import nnls

    values = check_series("values", values)
    steps = _steps(steps, len(values))
    fits = []  # (residual norm, fitted trend); the first of the smallest wins
    for design in _hinges(tuple(steps)):
        for sign in (1.0, -1.0):
            weights, error = nnls(design, sign * values)
            fits.append((error, sign * (design @ weights)))
    return min(fits, key=lambda fit: fit[0])[1]


def _steps(steps, n: int) -> np.ndarray:
    if steps is None:
        return np.arange(n, dtype=float)
    steps = check_series("steps", steps)
    if len(steps) != n or np.any(np.diff(steps) <= 0):
        raise ValueError(
            f"steps has {len(steps)} values, must have {n} (one per value) and increase strictly; "
            "pass the evaluation steps in order, or None for 0, 1, ..., n - 1."
        )
    return steps


def trend_residuals(values, steps=None) -> np.ndarray:
    """``values`` minus :func:`shape_trend` of ``values``: the series around its own trend."""
    values = check_series("values", values)
    return values - shape_trend(values, steps)


def _pair(x, y) -> tuple[np.ndarray, np.ndarray]:
    x, y = check_series("x", x), check_series("y", y)
    if x.shape != y.shape:
        raise ValueError(f"x and y have {len(x)} and {len(y)} values, must be measured at the same steps.")
    return x, y


def _spearman(a: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray):
    """Spearman's rho of ``a`` and ``b`` (derived from the series ``x`` and ``y``) rounded to 4
    digits; None for fewer than 3 points, or where ``a`` or ``b`` is constant up to rounding: its
    spread below 1e-12 of its series' size, as residuals are where the trend fits exactly."""
    size_x, size_y = (max(float(np.max(np.abs(v))), 1e-300) for v in (x, y))
    if len(a) < 3 or np.ptp(a) <= 1e-12 * size_x or np.ptp(b) <= 1e-12 * size_y:
        return None
    from scipy.stats import spearmanr

    return round(float(spearmanr(a, b).statistic), 4)


def residual_spearman(x, y, steps=None):
    """Spearman's correlation of the residuals of ``x`` and ``y`` around their own
    :func:`shape_trend` fits: the trend-robust statistic. None where undefined.

    Examples
    --------
    >>> k = np.arange(20.0)
    >>> common = np.random.default_rng(0).normal(0, 0.05, 20)
    >>> residual_spearman(np.exp(-k / 3) + common, np.exp(-k / 4) + common) > 0.9
    True
    """
    x, y = _pair(x, y)
    return _spearman(trend_residuals(x, steps), trend_residuals(y, steps), x, y)


def difference_spearman(x, y):
    """Spearman's correlation of the first differences of ``x`` and ``y`` (removes a linear trend
    only). None where undefined."""
    x, y = _pair(x, y)
    return _spearman(np.diff(x), np.diff(y), x, y)


def shared_trend_pairs(
    trends="exponential", noise: float = 0.1, link: float = 0.0, points: int = 20, draws: int = 1000, seed: int = 0
):
    r"""Pairs of noisy series around two decaying trends: the null (``link = 0``) or a linked
    alternative.

    Series ``x = trend_x + noise * (e_x + link * e)``, ``y = trend_y + noise * (e_y + link * e)``
    at steps ``0 .. points - 1``, with independent standard normal ``e_x, e_y, e`` at every step.
    Both trends fall from 1 to near 0, so ``noise`` is a fraction of the initial drop. With
    ``link = 1`` the two series' deviations from their trends correlate 0.5.

    Parameters
    ----------
    trends : str
        A key of :data:`NULL_TRENDS`.
    noise : float
        Noise standard deviation, > 0.
    link : float
        Weight of the common noise, >= 0.
    points, draws : int
        Series length (>= 4) and number of pairs (>= 1).
    seed : int
        Seed of the draws.

    Returns
    -------
    tuple of numpy.ndarray
        ``x`` and ``y``, each of shape (draws, points).
    """
    if trends not in NULL_TRENDS:
        raise ValueError(f"trends == {trends!r}, must be one of {sorted(NULL_TRENDS)}.")
    noise = check_positive("noise", noise)
    link = check_real("link", link)
    if link < 0:
        raise ValueError(
            f"link == {link!r}, must be finite and >= 0 (0 is the null, 1 a deviation correlation of 0.5)."
        )
    points, draws = check_int("points", points, minimum=4), check_int("draws", draws, minimum=1)
    rng = numpy_generator(seed)
    k = np.arange(points, dtype=float)
    common = link * rng.normal(size=(draws, points))
    x = NULL_TRENDS[trends][0](k) + noise * (rng.normal(size=(draws, points)) + common)
    y = NULL_TRENDS[trends][1](k) + noise * (rng.normal(size=(draws, points)) + common)
    return x, y


def null_rates(statistic, x, y, threshold: float, runs: int = 9, seed: int = 0) -> dict:
    """How a statistic behaves on simulated pairs (rows of ``x`` and ``y``).

    Parameters
    ----------
    statistic : callable
        ``statistic(x_row, y_row)``, a correlation or None (counted as not exceeding).
    x, y : numpy.ndarray, shape (draws, points)
        The pairs, e.g. from :func:`shared_trend_pairs`.
    threshold : float
        The rate reported is that of ``statistic > threshold``.
    runs : int, default=9
        Draws are grouped at random (seeded) into sets of ``runs``; ``all_positive`` is the share of
        sets whose statistic is > 0 in every member: what "positive in all nine runs" means.

    Returns
    -------
    dict
        ``rate`` (share above ``threshold``), ``mean`` (of the defined values), ``all_positive``,
        ``draws``, ``sets``.
    """
    runs = check_int("runs", runs, minimum=1)
    values = np.array([np.nan if (v := statistic(a, b)) is None else v for a, b in zip(x, y)])
    sets = len(values) // runs
    if sets < 1:
        raise ValueError(f"{len(values)} draws make no set of runs == {runs}; pass at least {runs} draws.")
    grouped = numpy_generator(seed).permutation(values)[: sets * runs].reshape(sets, runs)
    return {
        "rate": float(np.mean(np.nan_to_num(values, nan=-np.inf) > threshold)),
        "mean": float(np.nanmean(values)),
        "all_positive": float(np.mean(np.all(np.nan_to_num(grouped, nan=-1.0) > 0, axis=1))),
        "draws": int(len(values)),
        "sets": int(sets),
    }


@functools.lru_cache(maxsize=8)
def calibrated_threshold(points: int = 20, level: float = 0.05, draws: int = 1000, seed: int = 0) -> float:
    """The smallest threshold that :func:`residual_spearman` exceeds with measured probability at
    most ``level`` on every null of the family (:data:`NULL_TRENDS` x noise 5%, 10%, 20%).

    The largest of the per-null (1 - level) quantiles, each from ``draws`` seeded null pairs of
    ``points`` steps, rounded up to 0.01. It is a measured threshold: check it on fresh seeds
    (:func:`null_rates`), as the tests do.
    """
    points, draws = check_int("points", points, minimum=4), check_int("draws", draws, minimum=20)
    if not 0 < level < 1:
        raise ValueError(f"level == {level!r}, must be in (0, 1); 0.05 is a 5% false-positive rate.")
    quantiles = []
    for index, (trends, noise) in enumerate((t, s) for t in NULL_TRENDS for s in NULL_NOISES):
        x, y = shared_trend_pairs(trends, noise, 0.0, points, draws, seed + index)
        values = [residual_spearman(a, b) for a, b in zip(x, y)]
        quantiles.append(np.quantile([-1.0 if v is None else v for v in values], 1 - level))
    return float(np.ceil(max(quantiles) * 100) / 100)
