r"""Section 2's pictures: the distances on Example 1 (Figure 1), between two Gaussians, exact
transport plans, and sample estimates converging to the exact values (lessons 01 and 02).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Example 1, Figure 1, eq. (1)-(2).
"""

from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..distances import LOG_2, all_distances
from ..distributions import Gaussian1D, ParallelLines
from ..runtime import numpy_generator
from ._style import COLORS, STYLE, new_axes, styled

__all__ = [
    "LABELS",
    "plot_distance_vs_theta",
    "figure_1",
    "plot_transport_plan_2d",
    "figure_transport_parallel_lines",
    "figure_transport_gaussians",
    "plot_convergence",
    "ConvergenceFigure",
    "figure_convergence",
    "plot_gaussian_pair",
    "gaussian_pair_widget",
    "plot_optimal_critic_1d",
]

LABELS = {
    "em": r"EM distance $W(\mathbb{P}_0, \mathbb{P}_\theta)$",
    "js": r"JS divergence $JS(\mathbb{P}_0, \mathbb{P}_\theta)$",
    "tv": r"total variation $\delta(\mathbb{P}_0, \mathbb{P}_\theta)$",
    "kl": r"$KL(\mathbb{P}_0 \| \mathbb{P}_\theta) = KL(\mathbb{P}_\theta \| \mathbb{P}_0)$",
}


def _sample_estimates(name: str, thetas, n_samples: int, bins: int, seed):
    """Sample-based estimates of distance ``name`` between P_0 and P_theta at each theta."""
    from ..empirical import histogram_distances, wasserstein_1_samples

    rng = numpy_generator(seed)
    target = ParallelLines(0.0)
    values = []
    for theta in thetas:
        x, y = target.sample(n_samples, seed=rng), ParallelLines(theta).sample(n_samples, seed=rng)
        if name == "em":
            values.append(wasserstein_1_samples(x, y))
        else:
            # one fixed grid for every theta: bins of width 2.2 / bins on the horizontal axis
            histogram = histogram_distances(x, y, bins=(bins, 10), range=[(-1.1, 1.1), (0.0, 1.0)])
            values.append(histogram[name])
    return np.array(values)


def _draw_sample_estimates(ax, name: str, n_samples: int, sample_thetas, bins: int, seed) -> None:
    """Sample estimates of distance ``name`` at ``sample_thetas`` (None: 21 points on [-1, 1]) as
    diamonds; infinite ones are counted in the legend, not drawn."""
    sample_thetas = np.linspace(-1.0, 1.0, 21) if sample_thetas is None else np.asarray(sample_thetas, dtype=float)
    estimates = _sample_estimates(name, sample_thetas, n_samples, bins, seed)
    shown = np.isfinite(estimates)
    method = "POT, exact on samples" if name == "em" else f"histograms, {bins} columns"
    hidden = "" if shown.all() else f"; {int((~shown).sum())} of {shown.size} are +inf, not drawn"
    ax.plot(
        sample_thetas[shown],
        estimates[shown],
        "D",
        color=COLORS["samples"],
        ms=5,
        mec="black",
        mew=0.5,
        label=f"{n_samples} samples ({method}{hidden})",
        zorder=4,
    )


@styled
def plot_distance_vs_theta(
    name: str, thetas=None, ax=None, n_samples: int = 0, sample_thetas=None, bins: int = 21, seed=0
):
    """One panel of Figure 1: distance ``name`` between P_0 and P_theta against theta.

    Parameters
    ----------
    name : {'em', 'js', 'tv', 'kl'}
        Which distance. Only finite values are drawn: for 'kl', +inf at every theta != 0 is
        stated in a note on the panel, not drawn as a level (there is no finite value there,
        and no gradient), and only the finite value at theta = 0 is a point.
    thetas : array_like, default=None
        Where to draw the exact curve; None gives 801 points on [-1, 1], theta = 0 included.
    ax : matplotlib Axes, default=None
    n_samples : int, default=0
        If > 0, overlay estimates from ``n_samples`` samples of each law at ``sample_thetas``:
        POT's exact W1 for 'em', histograms on a shared grid with ``bins`` columns otherwise.
        Infinite estimates (KL between disjoint histograms) are counted in the legend, not drawn.
    sample_thetas : array_like, default=None
        Where to put the sample estimates; None gives 21 points on [-1, 1].
    seed : int, None or numpy.random.Generator, default=0

    Returns
    -------
    matplotlib Axes
    """
    from .._validation import check_choice

    check_choice("name", name, ("em", "js", "tv", "kl"))
    ax = new_axes(ax)
    thetas = np.linspace(-1.0, 1.0, 801) if thetas is None else np.asarray(thetas, dtype=float)
    target = ParallelLines(0.0)
    exact = np.array([all_distances(target, ParallelLines(t))[name] for t in thetas])
    color = COLORS[name]
    finite = np.isfinite(exact)
    if name == "em":
        ax.plot(thetas, exact, color=color, lw=2.5, label="exact")
    else:
        # constant except at theta = 0: draw the finite pieces and mark the jump
        for side in (thetas < 0, thetas > 0):
            keep = side & finite
            if keep.any():
                ax.plot(thetas[keep], exact[keep], color=color, lw=2.5, label="exact" if side[0] else None)
                ax.plot([0], [exact[keep][0]], "o", mfc="white", mec=color, ms=8, mew=2, zorder=3)
        ax.plot(
            [0], [0], "o", color=color, ms=8, zorder=3, label=r"exact value at $\theta = 0$" if name == "kl" else None
        )
        if name == "kl":
            ax.set_ylim(-0.05, 1.15)
            ax.text(
                0.5,
                0.45,
                "$+\\infty$ for every $\\theta \\neq 0$:\nno finite value, no gradient\n(not drawn)",
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=10,
                color=color,
                bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": color},
            )
        elif name == "js":
            ax.axhline(LOG_2, color="0.6", lw=0.8, ls=":")
            ax.set_ylim(-0.05, 0.8)
            ax.text(-0.98, LOG_2 + 0.02, r"$\log 2$", fontsize=9, color="0.4")
        else:
            ax.set_ylim(-0.05, 1.15)
    if n_samples > 0:
        _draw_sample_estimates(ax, name, n_samples, sample_thetas, bins, seed)
    margin = 0.05 * (thetas.max() - thetas.min())
    ax.set_xlim(thetas.min() - margin, thetas.max() + margin)
    ax.set_xlabel(r"$\theta$")
    ax.set_title(LABELS[name], fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper center" if name in ("kl", "em") else "center right")
    return ax


@styled
def figure_1(n_samples: int = 256, seed=0):
    """Figure 1 of the paper, extended: EM and JS (the paper's two panels), then TV and KL,
    between P_0 and P_theta of Example 1 against theta, with sample-based estimates overlaid.
    """
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.2), constrained_layout=True)
    rng = numpy_generator(seed)
    for ax, name in zip(axes.ravel(), ("em", "js", "tv", "kl")):
        plot_distance_vs_theta(name, ax=ax, n_samples=n_samples, seed=rng)
    fig.suptitle(
        "Figure 1, extended: Example 1 (parallel lines). Only EM is continuous in θ and gives a usable gradient.",
        fontsize=11,
    )
    return fig


@styled
def plot_transport_plan_2d(result, ax=None, max_segments: int = 400, labels=(r"$\mathbb{P}_r$", r"$\mathbb{P}_g$")):
    """Points of P and Q and the exact plan between them, one segment per transported mass.

    Parameters
    ----------
    result : wgan_toys.transport.TransportResult
        With 2D points.
    max_segments : int, default=400
        Draw the heaviest entries of the plan only.
    """
    ax = new_axes(ax)
    plan = result.plan
    order = np.argsort(plan, axis=None)[::-1][:max_segments]
    rows, cols = np.unravel_index(order, plan.shape)
    heaviest = plan[rows[0], cols[0]]
    for i, j in zip(rows, cols):
        if plan[i, j] <= 0:
            break
        segment = np.stack([result.source[i], result.target[j]])
        ax.plot(
            segment[:, 0],
            segment[:, 1],
            color=COLORS["plan"],
            lw=0.8,
            alpha=0.25 + 0.6 * plan[i, j] / heaviest,
            zorder=1,
        )
    ax.scatter(*result.source.T, s=12, color=COLORS["real"], label=labels[0], zorder=2)
    ax.scatter(*result.target.T, s=12, color=COLORS["fake"], marker="s", label=labels[1], zorder=2)
    ax.set_title(f"exact transport plan, cost W = {result.cost:.4f}", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    ax.set_aspect("equal", adjustable="datalim")
    return ax


@styled
def figure_transport_parallel_lines(theta: float = 0.6, n_samples: int = 40, seed=0):
    """The exact plan between samples of P_0 and P_theta (Example 1): mass moves sideways,
    and its cost tends to W = |theta| as the samples grow."""
    from ..transport import exact_transport

    rng = numpy_generator(seed)
    real, fake = ParallelLines(0.0).sample(n_samples, seed=rng), ParallelLines(theta).sample(n_samples, seed=rng)
    result = exact_transport(real, fake)
    fig, ax = plt.subplots(figsize=(5, 5), constrained_layout=True)
    plot_transport_plan_2d(result, ax=ax, labels=(r"$\mathbb{P}_0$", rf"$\mathbb{{P}}_\theta$, $\theta={theta:g}$"))
    ax.set_title(
        f"Example 1: exact plan on {n_samples} samples\ncost {result.cost:.4f}, exact W = |θ| = {abs(theta):g}",
        fontsize=10,
    )
    ax.set_xlabel("first coordinate")
    ax.set_ylabel("second coordinate (Z)")
    return fig


@styled
def figure_transport_gaussians(p: Gaussian1D | None = None, q: Gaussian1D | None = None, n_grid: int = 200):
    """Two exact W1 plans between two 1D Gaussians discretised on one grid.

    On the line the W1 plan is not unique. Left: the monotone plan (``ot.emd_1d``), the
    coupling of equal quantiles x -> F_Q^{-1}(F_P(x)), optimal for every convex cost. Right: the
    plan that the network simplex (``ot.emd``) happens to return, different but with the same
    cost W. The densities sit on the margins.
    """
    import ot

    from ..distances import wasserstein_1
    from ..transport import discretize, exact_transport

    p = Gaussian1D(-1.0, 0.6) if p is None else p
    q = Gaussian1D(1.5, 1.2) if q is None else q
    low = min(p.mean - 4 * p.std, q.mean - 4 * q.std)
    high = max(p.mean + 4 * p.std, q.mean + 4 * q.std)
    grid = np.linspace(low, high, n_grid)
    a, b = discretize(p, grid), discretize(q, grid)
    simplex = exact_transport(grid, grid, a, b)
    monotone = ot.emd_1d(grid, grid, a, b, metric="euclidean", dense=True)
    monotone_cost = float(np.sum(monotone * np.abs(grid[:, None] - grid[None, :])))
    fig = plt.figure(figsize=(11, 5.6), constrained_layout=True)
    layout = fig.add_gridspec(2, 3, width_ratios=(1, 4, 4), height_ratios=(1, 4))
    left = fig.add_subplot(layout[1, 0])
    left.fill_betweenx(grid, a, color=COLORS["real"], alpha=0.7)
    left.set_xlim(a.max() * 1.1, 0)
    left.set_xticks([])
    left.set_ylabel(rf"$x \sim \mathbb{{P}} = N({p.mean:g}, {p.std:g}^2)$")
    panels = (
        (monotone, f"monotone plan (ot.emd_1d): cost {monotone_cost:.4f}"),
        (simplex.plan, f"network simplex plan (ot.emd): cost {simplex.cost:.4f}"),
    )
    for column, (plan, title) in enumerate(panels, start=1):
        top = fig.add_subplot(layout[0, column])
        top.fill_between(grid, b, color=COLORS["fake"], alpha=0.7)
        top.set_xlim(low, high)
        top.set_yticks([])
        top.set_xticks([])
        top.set_title(title, fontsize=10)
        main = fig.add_subplot(layout[1, column], sharey=left)
        main.imshow(
            plan,
            origin="lower",
            extent=(low, high, low, high),
            cmap="Greys",
            aspect="auto",
            vmax=np.quantile(plan[plan > 0], 0.98),
        )
        main.plot(grid, grid, color="0.6", lw=0.8, ls=":", label="y = x")
        main.plot(
            q.quantile(p.cdf(grid)), grid, color=COLORS["samples"], ls="--", lw=1.2, label=r"$y = F_Q^{-1}(F_P(x))$"
        )
        main.set_xlim(low, high)
        main.set_xlabel(rf"$y \sim \mathbb{{Q}} = N({q.mean:g}, {q.std:g}^2)$")
        main.legend(fontsize=8, loc="lower right")
    fig.suptitle(
        f"Exact $W_1$ plans between two Gaussians: not unique on the line, same cost; closed form W = {wasserstein_1(p, q):.4f}",
        fontsize=11,
    )
    return fig


@styled
def plot_convergence(rows, name: str = "em", ax=None):
    """Mean |estimate - exact| against the sample size n, from
    :func:`wgan_toys.empirical.convergence_study`, with an n^(-1/2) guide line."""
    ax = new_axes(ax)
    n = np.array([row["n"] for row in rows], dtype=float)
    error = np.array([row[f"{name}_abs_error"] for row in rows])
    ax.plot(n, error, "o-", color=COLORS[name], lw=2, label=f"{name.upper()} from samples")
    ax.plot(n, error[0] * np.sqrt(n[0] / n), ":", color="0.4", lw=1.5, label=r"$\propto n^{-1/2}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("samples per law, n")
    ax.set_ylabel("mean |estimate - exact|")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return ax


class ConvergenceFigure(NamedTuple):
    """What :func:`figure_convergence` returns: the ``figure`` and the ``rows`` it drew, those of
    :func:`wgan_toys.empirical.convergence_study`, one per sample size."""

    figure: Figure
    rows: list[dict]


@styled
def figure_convergence(
    p: Gaussian1D | None = None,
    q: Gaussian1D | None = None,
    sizes=(100, 300, 1000, 3000, 10000),
    repeats: int = 10,
    seed=0,
) -> ConvergenceFigure:
    """Sample estimates of W1, TV and JS between two Gaussians approaching the exact values.

    Returns ``(figure, rows)``, with ``rows`` the :func:`wgan_toys.empirical.convergence_study` rows it
    drew (so that a lesson can check what it quotes without computing them twice)."""
    from ..empirical import convergence_study

    p = Gaussian1D(0.0, 1.0) if p is None else p
    q = Gaussian1D(1.0, 1.5) if q is None else q
    rows = convergence_study(p, q, sizes=sizes, repeats=repeats, seed=seed)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), constrained_layout=True)
    for ax, name in zip(axes, ("em", "tv", "js")):
        plot_convergence(rows, name, ax=ax)
        method = "exact $W_1$ of the samples" if name == "em" else "histograms, 30 bins"
        ax.set_title(f"{name.upper()} (exact {rows[0][f'{name}_exact']:.4f}), {method}", fontsize=10)
    fig.suptitle(
        f"Sample estimates approach the exact values: P = N({p.mean:g}, {p.std:g}²), Q = N({q.mean:g}, {q.std:g}²)",
        fontsize=11,
    )
    return ConvergenceFigure(fig, rows)


@styled
def plot_gaussian_pair(p: Gaussian1D, q: Gaussian1D, ax=None):
    """The two densities, with TV, KL both ways, JS and EM in the title (lesson 02's slider)."""
    ax = new_axes(ax)
    values = all_distances(p, q)
    low = min(p.mean - 4 * p.std, q.mean - 4 * q.std)
    high = max(p.mean + 4 * p.std, q.mean + 4 * q.std)
    x = np.linspace(low, high, 600)
    ax.fill_between(x, p.pdf(x), color=COLORS["real"], alpha=0.4, label=rf"$P = N({p.mean:g}, {p.std:g}^2)$")
    ax.fill_between(x, q.pdf(x), color=COLORS["fake"], alpha=0.4, label=rf"$Q = N({q.mean:g}, {q.std:g}^2)$")
    ax.set_title(
        "TV {tv:.3f}   KL(P||Q) {kl:.3f}   KL(Q||P) {kl_reverse:.3f}   JS {js:.3f}   EM {em:.3f}".format(**values),
        fontsize=9,
    )
    ax.set_xlabel("$x$")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def gaussian_pair_widget(p: Gaussian1D, mu2: float = 3.0, sigma2: float = 1.0):
    r"""Sliders for :math:`\mu_2` and :math:`\sigma_2` of :math:`Q = N(\mu_2, \sigma_2^2)` beside a fixed
    ``p``, and :func:`plot_gaussian_pair`'s picture, redrawn at each move (lesson 02, section 6).

    The picture is an ``ipywidgets.Image`` whose PNG is replaced, not an ``Output`` widget (what
    ``ipywidgets.interact`` uses): executing a notebook headless (the tests, ``make book``), every
    capture into an Output widget makes nbclient send a comm message on the shell channel while it
    waits on that channel for the cell's reply, a race that can leave both sides idle until the cell
    times out (jupyter/nbclient#312; lesson 02 hung so once, beside two busy processes).

    Returns
    -------
    ipywidgets.VBox
        The two sliders over the picture; its ``children`` are ``[HBox([mu2, sigma2]), image]``.
    """
    import io

    import ipywidgets as widgets

    mean = widgets.FloatSlider(value=mu2, min=-5.0, max=5.0, step=0.25, description="mu2")
    spread = widgets.FloatSlider(value=sigma2, min=0.25, max=3.0, step=0.05, description="sigma2")
    picture = widgets.Image(format="png")

    def redraw(_change=None):
        with plt.rc_context(STYLE):
            figure, ax = plt.subplots(figsize=(8, 3), constrained_layout=True)
            plot_gaussian_pair(p, Gaussian1D(mean.value, spread.value), ax=ax)
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png")
        plt.close(figure)  # out of pyplot's list: the inline backend would show it again
        picture.value = buffer.getvalue()

    mean.observe(redraw, names="value")
    spread.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([mean, spread]), picture])


@styled
def plot_optimal_critic_1d(p, q, ax=None):
    """The exact optimal critic f* between two 1D laws (slope sign(F_Q - F_P)), with the CDF gap
    F_Q - F_P that sets its slope and the two densities."""
    from ..transport import OptimalCritic1D

    ax = new_axes(ax)
    low = min(p.mean - 4 * p.std, q.mean - 4 * q.std)
    high = max(p.mean + 4 * p.std, q.mean + 4 * q.std)
    x = np.linspace(low, high, 800)
    critic = OptimalCritic1D(p, q)
    ax.plot(x, critic(x), color=COLORS["em"], lw=2.5, label=r"exact optimal critic $f^*$")
    ax.plot(x, q.cdf(x) - p.cdf(x), color="0.3", lw=1.2, ls="--", label=r"$F_Q - F_P$ (sets the slope's sign)")
    ax.fill_between(x, p.pdf(x), color=COLORS["real"], alpha=0.3, label=r"$p$ (real)")
    ax.fill_between(x, q.pdf(x), color=COLORS["fake"], alpha=0.3, label=r"$q$ (fake)")
    for crossing in critic.crossings:
        if low < crossing < high:
            ax.axvline(crossing, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel("$x$")
    ax.set_title(r"$f^{*\prime} = \mathrm{sign}(F_Q - F_P)$: $E_P f^* - E_Q f^* = W$", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax
