r"""Distances estimated from samples or weighted points, and how they approach the exact ones.

- :func:`wasserstein_1_samples`: W1 between two empirical laws, exactly (it is a finite linear
  program). On the line with equal, unweighted samples it is the mean absolute difference of
  the sorted samples (the monotone coupling is optimal), an O(n log n) fast path; weighted or
  unequal 1D samples go to ``ot.wasserstein_1d(..., p=1)`` (which returns W_p^p, equal to W1
  only for p = 1); 2D and up go to ``ot.emd2`` with the Euclidean cost.
- :func:`histogram_distances`: TV, KL both ways and JS between the two histograms on one shared
  grid. These are the sample-based views of Figure 1: once the two samples land in disjoint
  bins they give TV = 1, JS = log 2, KL = inf, whatever the gap.
- :func:`convergence_study`: each estimate against the exact value as n grows.
- :func:`median_filter`: Figures 3-4's smoothing, only where the window is full.
- :func:`rank_correlations`: Spearman's correlation of two training series, raw and of their
  first differences (a shared linear trend removed; for a trend that decays and levels off see
  :mod:`wgan_toys.trend`).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, eq. (1), Example 1.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_int, check_samples, check_series, check_weights
from .distances import LOG_2, all_distances
from .runtime import numpy_generator

# histogram cells over all axes: three float64 arrays of this many entries (p, q, their mixture) are
# about 240 MB; bins = 10**9 once asked numpy for over 23 GB before the kernel stopped it
MAX_HISTOGRAM_CELLS = 10**7

__all__ = ["wasserstein_1_samples", "histogram_distances", "convergence_study", "median_filter", "rank_correlations"]


def wasserstein_1_samples(x, y, x_weights=None, y_weights=None) -> float:
    r"""Exact W1, eq. (1), between the empirical laws :math:`\sum_i a_i \delta_{x_i}` and
    :math:`\sum_j b_j \delta_{y_j}`.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Samples of P.
    y : array_like, shape (m,) or (m, d)
        Samples of Q, same d.
    x_weights, y_weights : array_like, shapes (n,) and (m,), default=None
        Probabilities (>= 0, summing to 1); None gives uniform weights.

    Returns
    -------
    float

    Examples
    --------
    >>> wasserstein_1_samples([0.0, 1.0], [3.0, 2.0])
    2.0
    """
    x = check_samples("x", x)
    y = check_samples("y", y, dim=x.shape[1])
    a = check_weights("x_weights", x_weights, x.shape[0]) if x_weights is not None else None
    b = check_weights("y_weights", y_weights, y.shape[0]) if y_weights is not None else None
    if x.shape[1] == 1:
        if a is None and b is None and x.shape[0] == y.shape[0]:
            return float(np.mean(np.abs(np.sort(x[:, 0]) - np.sort(y[:, 0]))))
        import ot

        return float(ot.wasserstein_1d(x[:, 0], y[:, 0], a, b, p=1))
    from .transport import exact_transport

    return exact_transport(x, y, a, b).cost


def _kl_of_histograms(p: np.ndarray, q: np.ndarray) -> float:
    on_p = p > 0
    if np.any(q[on_p] == 0):
        return float("inf")
    return float(np.sum(p[on_p] * np.log(p[on_p] / q[on_p])))


def _check_cells(bins, dim: int) -> None:
    """Refuse ``bins`` whose grid has more than :data:`MAX_HISTOGRAM_CELLS` cells, before numpy allocates it."""
    import numbers

    if isinstance(bins, (numbers.Integral, bool)) or isinstance(bins, np.integer):
        per_axis = [check_int("bins", bins, minimum=1)] * dim
    elif not isinstance(bins, (list, tuple, np.ndarray)):
        raise TypeError(f"bins must be an integer or one integer or edge array per axis, got {bins!r}.")
    else:
        per_axis = [
            check_int("bins", b, minimum=1) if isinstance(b, numbers.Integral) else max(np.size(b) - 1, 1) for b in bins
        ]
    cells = int(np.prod([float(n) for n in per_axis]))
    if cells > MAX_HISTOGRAM_CELLS:
        raise ValueError(
            f"bins == {bins!r} gives {cells:.3g} cells in {dim} dimension(s), more than {MAX_HISTOGRAM_CELLS:.0e} "
            f"(three arrays of that many numbers: about {24 * cells / 2**30:.3g} GiB); pass fewer bins."
        )


def histogram_distances(x, y, bins=50, range=None) -> dict[str, float]:
    """TV, KL(P||Q), KL(Q||P) and JS between the histograms of two samples on one shared grid.

    Parameters
    ----------
    x, y : array_like, shapes (n,) or (n, d), and (m,) or (m, d)
        Samples of P and Q (d <= 3).
    bins : int or sequence, default=50
        Bins per axis, as in ``numpy.histogramdd`` (an int, or one int or edge array per axis);
        all axes together at most :data:`MAX_HISTOGRAM_CELLS` cells.
    range : sequence of (low, high) per axis, default=None
        The shared grid; None spans both samples.

    Returns
    -------
    dict
        Keys ``tv``, ``kl``, ``kl_reverse``, ``js``; an infinite KL is ``inf``.
    """
    x = check_samples("x", x)
    y = check_samples("y", y, dim=x.shape[1])
    if x.shape[1] > 3:
        raise ValueError(f"x has dimension {x.shape[1]}, histograms are supported for d <= 3.")
    if range is None:
        both = np.concatenate([x, y])
        low, high = both.min(0), both.max(0)
        pad = np.where(high > low, 1e-9 * (high - low), 0.5)
        range = list(zip(low - pad, high + pad))
    _check_cells(bins, x.shape[1])
    edges = np.histogramdd(np.concatenate([x, y]), bins=bins, range=range)[1]
    p = np.histogramdd(x, bins=edges)[0].ravel()
    q = np.histogramdd(y, bins=edges)[0].ravel()
    if p.sum() == 0 or q.sum() == 0:
        raise ValueError("range holds none of the samples of x or y; widen it.")
    p, q = p / p.sum(), q / q.sum()
    mixture = 0.5 * (p + q)
    return {
        "tv": float(0.5 * np.abs(p - q).sum()),
        "kl": _kl_of_histograms(p, q),
        "kl_reverse": _kl_of_histograms(q, p),
        "js": min(0.5 * _kl_of_histograms(p, mixture) + 0.5 * _kl_of_histograms(q, mixture), LOG_2),
    }


def convergence_study(p, q, sizes=(100, 300, 1000, 3000), repeats=5, bins=30, seed=None) -> list[dict]:
    """Sample-based estimates of TV, JS and W1 against the exact values, for growing n.

    For each n, draws ``repeats`` pairs of n samples from P and Q and records the mean and
    standard deviation of each estimate, with the exact value beside it.

    Parameters
    ----------
    p, q : ParallelLines or Gaussian1D pair
    sizes : sequence of int, default=(100, 300, 1000, 3000)
    repeats : int, default=5
    bins : int, default=30
        Bins per axis of the shared histogram grid.
    seed : int, None or numpy.random.Generator, default=None

    Returns
    -------
    list of dict
        One row per n with keys ``n``, then ``{name}_mean``, ``{name}_std``, ``{name}_exact`` and
        ``{name}_abs_error`` (the mean of ``|estimate - exact|`` over the repeats) for name in
        ``em``, ``tv``, ``js``. W1 from samples converges to the exact value; histogram TV and
        JS converge to the values of the *binned* laws, so their error levels off at the
        binning bias.
    """
    repeats = check_int("repeats", repeats, minimum=1)
    rng = numpy_generator(seed)
    exact = all_distances(p, q)
    rows = []
    for n in sizes:
        n = check_int("sizes[i]", n, minimum=2)
        estimates: dict[str, list[float]] = {"em": [], "tv": [], "js": []}
        for _ in np.arange(repeats):
            x, y = p.sample(n, seed=rng), q.sample(n, seed=rng)
            estimates["em"].append(wasserstein_1_samples(x, y))
            histogram = histogram_distances(x, y, bins=bins)
            estimates["tv"].append(histogram["tv"])
            estimates["js"].append(histogram["js"])
        row: dict[str, float] = {"n": n}
        for name, values in estimates.items():
            row[f"{name}_mean"] = float(np.mean(values))
            row[f"{name}_std"] = float(np.std(values))
            row[f"{name}_exact"] = exact[name]
            row[f"{name}_abs_error"] = float(np.mean(np.abs(np.array(values) - exact[name])))
        rows.append(row)
    return rows


def median_filter(values, window: int, align: str = "centre") -> np.ndarray:
    """Running median over ``window`` consecutive points, only where the window is full: the
    smoothing of the training curves in Figures 3 and 4 ("passed through a median filter").

    A window that runs past either end of the series is *not* shrunk: there the result is NaN
    (matplotlib leaves a gap). A shrunk window would report, at the first point, the median of
    points that lie after it: a curve whose first logged value is 0.000 would start at the
    level the run reaches later.

    Parameters
    ----------
    values : array_like, shape (n,)
        The series, in order (one entry per logged step).
    window : int
        Points per median, >= 1; odd for ``align="centre"``.
    align : {"centre", "trailing"}, default="centre"
        ``"centre"``: point i gets the median of points i - window//2 .. i + window//2 (a plot's
        smoothing). ``"trailing"``: point i gets the median of points i - window + 1 .. i, the
        values logged up to and including it (what was known at that step).

    Returns
    -------
    numpy.ndarray, shape (n,)
        NaN where the window is not full: the first and last ``window // 2`` points (centre) or
        the first ``window - 1`` points (trailing).

    Raises
    ------
    ValueError
        If ``window`` < 1, ``window`` is even with ``align="centre"``, ``align`` is unknown, or
        ``values`` is empty, holds NaN or infinity, or is not one-dimensional.
    TypeError
        If ``values`` holds strings, complex numbers or objects.

    Examples
    --------
    >>> median_filter([0.0, 9.0, 2.0, 3.0, 8.0], 3).tolist()
    [nan, 2.0, 3.0, 3.0, nan]
    >>> median_filter([0.0, 9.0, 2.0, 3.0, 8.0], 3, align="trailing").tolist()
    [nan, nan, 2.0, 3.0, 3.0]
    """
    window = check_int("window", window, minimum=1)
    if align not in ("centre", "trailing"):
        raise ValueError(f"align == {align!r}, must be one of 'centre', 'trailing'.")
    if align == "centre" and window % 2 == 0:
        raise ValueError(f"window == {window}, must be odd with align='centre' (a centred window has a middle point).")
    values = check_series("values", values)
    filtered = np.full(len(values), np.nan)
    if len(values) < window:
        return filtered
    medians = np.median(np.lib.stride_tricks.sliding_window_view(values, window), axis=1)
    first = window // 2 if align == "centre" else window - 1
    filtered[first : first + len(medians)] = medians
    return filtered


def rank_correlations(x, y) -> dict:
    """Spearman's rank correlation of two series measured at the same steps, raw and of their
    first differences: Figure 3's "correlation between lower error and better sample quality"
    with and without the shared trend.

    Within one training run almost any two quantities that both fall correlate: the raw
    correlation of the levels then says "both fell", not "one tracks the other". The correlation
    of the first differences, :math:`\\Delta x_k = x_{k+1} - x_k` against :math:`\\Delta y_k`,
    removes a common *linear* drift and asks whether the two move *together from one step to the
    next*: two independent random walks with the same drift give a raw correlation near 1 and a
    differenced one near 0. A shared trend that decays and levels off is not removed: its
    differences are themselves a decaying series, so two independent noisy series around
    :math:`e^{-k/3}` and :math:`e^{-1.3k/3}` have a differenced correlation of about +0.4 at a noise
    of 5% of the drop (measured in ``tests/test_trend.py``). The trend-robust statistic is
    :func:`wgan_toys.trend.residual_spearman`.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The two series, in step order, without NaN.

    Returns
    -------
    dict
        ``spearman`` (levels, n points), ``spearman_of_differences`` (n - 1 differences), and
        ``points`` (n). A correlation is None where it is undefined: fewer than 3 values, or a
        constant series.

    References
    ----------
    Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Section 4.2, Figures 3 and 4.

    Examples
    --------
    >>> rank_correlations([5.0, 4.0, 4.5, 3.0], [0.9, 0.7, 0.8, 0.5])
    {'spearman': 1.0, 'spearman_of_differences': 1.0, 'points': 4}
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y have shapes {x.shape} and {y.shape}, must be one-dimensional and equal.")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite (drop the steps where a filtered series is NaN first).")
    scale_x, scale_y = (float(np.max(np.abs(v), initial=0.0)) for v in (x, y))
    return {
        "spearman": _spearman(x, y, scale_x, scale_y),
        "spearman_of_differences": _spearman(np.diff(x), np.diff(y), scale_x, scale_y),
        "points": int(len(x)),
    }


def _spearman(x: np.ndarray, y: np.ndarray, scale_x: float, scale_y: float):
    """Spearman's rho, None for fewer than 3 points or a series constant up to rounding (its
    spread below 1e-9 of the levels' size: equal steps of a float line differ by ~1e-16)."""
    if len(x) < 3 or np.ptp(x) <= 1e-9 * scale_x or np.ptp(y) <= 1e-9 * scale_y:
        return None
    from scipy.stats import spearmanr

    return round(float(spearmanr(x, y).statistic), 4)
