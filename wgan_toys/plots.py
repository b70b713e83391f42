"""The paper's figures and the pictures of the lessons.

Every ``plot_*`` function draws on ``ax`` (a new one if None) and returns it; every ``figure_*``
function builds a whole figure and returns it. Colours are the Okabe-Ito palette, which
survives colour blindness and a washed-out projector; labels use the paper's symbols.
This module imports matplotlib; ``import wgan_toys`` does not load it.

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Figure 1 and Example 1.
"""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler

from .distances import LOG_2, all_distances
from .distributions import FIGURE_2_FAKE, FIGURE_2_REAL, Gaussian1D, ParallelLines
from .empirical import median_filter
from .runtime import numpy_generator

__all__ = [
    "COLORS",
    "STYLE",
    "PROJECTOR_STYLE",
    "course_style",
    "plot_distance_vs_theta",
    "figure_1",
    "plot_transport_plan_2d",
    "figure_transport_parallel_lines",
    "figure_transport_gaussians",
    "plot_convergence",
    "figure_convergence",
    "figure_2",
    "plot_gaussian_pair",
    "plot_optimal_critic_1d",
    "plot_k_against_clip_value",
    "plot_effective_slope_against_w",
    "plot_weight_histogram",
    "plot_layer_gradient_norms",
    "plot_penalty_bias",
    "plot_penalty_slope",
    "plot_gradient_norm_audit",
    "plot_critic_field",
    "plot_estimate_against_exact",
    "plot_estimate_scatter",
    "figure_toy_run",
    "save_samples_animation",
    "figure_samples_over_iterations",
    "plot_image_run",
    "figure_section4",
]

# Okabe-Ito colours, one per quantity, used in every figure of the course.
COLORS = {
    "em": "#0072B2",  # blue
    "js": "#D55E00",  # vermillion
    "tv": "#009E73",  # bluish green
    "kl": "#CC79A7",  # reddish purple
    "kl_reverse": "#882255",
    "samples": "#E69F00",  # orange
    "real": "#0072B2",
    "fake": "#D55E00",
    "plan": "#555555",
}
# One style for every figure of the course (the rcParams that matter on a screen and a projector):
# readable ticks, the Okabe-Ito cycle, mathtext in the paper's symbols, legends that stay legible
# over a grid. Every public plot_* / figure_* function below draws inside it (see _styled, at the
# end of the module); PROJECTOR_STYLE is the same with everything larger, for a lecture hall.
STYLE = {
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8.5,
    "legend.framealpha": 0.9,
    "lines.linewidth": 2.0,
    "grid.alpha": 0.3,
    "mathtext.fontset": "dejavusans",
    "image.cmap": "cividis",
    "axes.prop_cycle": cycler(
        color=["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
    ),
}
PROJECTOR_STYLE = {
    **STYLE,
    "font.size": 16,
    "axes.titlesize": 16,
    "axes.labelsize": 16,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 14,
    "lines.linewidth": 3.5,
}


def course_style(projector: bool = False):
    """The course's figure style as a context manager: ``with course_style(): ...``.

    Every ``plot_*`` and ``figure_*`` function of this module already draws inside it; use it
    for figures a lesson draws by hand, so that they look like the package's.
    """
    return plt.rc_context(PROJECTOR_STYLE if projector else STYLE)


LABELS = {
    "em": r"EM distance $W(\mathbb{P}_0, \mathbb{P}_\theta)$",
    "js": r"JS divergence $JS(\mathbb{P}_0, \mathbb{P}_\theta)$",
    "tv": r"total variation $\delta(\mathbb{P}_0, \mathbb{P}_\theta)$",
    "kl": r"$KL(\mathbb{P}_0 \| \mathbb{P}_\theta) = KL(\mathbb{P}_\theta \| \mathbb{P}_0)$",
}


def _new_ax(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.6))
    return ax


def _sample_estimates(name: str, thetas, n_samples: int, bins: int, seed):
    """Sample-based estimates of distance ``name`` between P_0 and P_theta at each theta."""
    from .empirical import histogram_distances, wasserstein_1_samples

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
    from ._validation import check_choice

    check_choice("name", name, ("em", "js", "tv", "kl"))
    ax = _new_ax(ax)
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
    margin = 0.05 * (thetas.max() - thetas.min())
    ax.set_xlim(thetas.min() - margin, thetas.max() + margin)
    ax.set_xlabel(r"$\theta$")
    ax.set_title(LABELS[name], fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper center" if name in ("kl", "em") else "center right")
    return ax


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


def plot_transport_plan_2d(result, ax=None, max_segments: int = 400, labels=(r"$\mathbb{P}_r$", r"$\mathbb{P}_g$")):
    """Points of P and Q and the exact plan between them, one segment per transported mass.

    Parameters
    ----------
    result : wgan_toys.transport.TransportResult
        With 2D points.
    max_segments : int, default=400
        Draw the heaviest entries of the plan only.
    """
    ax = _new_ax(ax)
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


def figure_transport_parallel_lines(theta: float = 0.6, n_samples: int = 40, seed=0):
    """The exact plan between samples of P_0 and P_theta (Example 1): mass moves sideways,
    and its cost tends to W = |theta| as the samples grow."""
    from .transport import exact_transport

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


def figure_transport_gaussians(p: Gaussian1D = None, q: Gaussian1D = None, n_grid: int = 200):
    """Two exact W1 plans between two 1D Gaussians discretised on one grid.

    On the line the W1 plan is not unique. Left: the monotone plan (``ot.emd_1d``), the
    coupling of equal quantiles x -> F_Q^{-1}(F_P(x)), optimal for every convex cost. Right: the
    plan that the network simplex (``ot.emd``) happens to return, different but with the same
    cost W. The densities sit on the margins.
    """
    import ot

    from .distances import wasserstein_1
    from .transport import discretize, exact_transport

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


def plot_convergence(rows, name: str = "em", ax=None):
    """Mean |estimate - exact| against the sample size n, from
    :func:`wgan_toys.empirical.convergence_study`, with an n^(-1/2) guide line."""
    ax = _new_ax(ax)
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


def figure_convergence(
    p: Gaussian1D = None, q: Gaussian1D = None, sizes=(100, 300, 1000, 3000, 10000), repeats: int = 10, seed=0
):
    """Sample estimates of W1, TV and JS between two Gaussians approaching the exact values.

    Returns the figure, with ``fig.rows`` the :func:`wgan_toys.empirical.convergence_study` rows it
    drew (so that a lesson can check what it quotes without computing them twice)."""
    from .empirical import convergence_study

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
    fig.rows = rows
    return fig


def figure_2(discriminator, critic, real: Gaussian1D = FIGURE_2_REAL, fake: Gaussian1D = FIGURE_2_FAKE):
    """Figure 2 of the paper, with the exact answers overlaid.

    Draws a GAN discriminator and a WGAN critic trained (by the caller) to optimality between two
    Gaussians: (a) the densities, the trained D and the optimal D* = p_r / (p_r + p_g); (b) the
    critic, offset removed and divided by its fitted scale K, against the exact optimal critic
    (slope +-1); (c) the size of their gradients on a log scale: the discriminator's vanishes
    away from the overlap, the critic's does not. The figure trains nothing.

    Parameters
    ----------
    discriminator, critic : TrainingResult
        From :func:`wgan_toys.train.train_discriminator` and :func:`wgan_toys.train.train_critic`
        on ``real`` and ``fake`` (``wgan-toys figure 2`` uses weight clipping, seed 0).
    real, fake : Gaussian1D, default=FIGURE_2_REAL, FIGURE_2_FAKE
        N(0, 0.5^2) and N(4, 0.5^2) (:mod:`wgan_toys.distributions`).

    Returns
    -------
    matplotlib Figure
        With ``fig.fit``, the fitted scale and offset (:func:`wgan_toys.optimal.compare_to_potential`),
        for the lesson to quote.
    """
    from .measure import discriminator_gradients, network_gradients, network_values
    from .optimal import compare_to_potential, optimal_discriminator
    from .transport import OptimalCritic1D

    x = np.linspace(min(real.mean, fake.mean) - 3.0, max(real.mean, fake.mean) + 3.0, 801)
    from scipy.special import expit  # the logistic sigmoid, stable for any logit

    probability = expit(network_values(discriminator.network, x))
    discriminator_gradient = discriminator_gradients(discriminator.network, x)
    fit = compare_to_potential(lambda points: network_values(critic.network, points), real, fake)
    critic_rescaled = (network_values(critic.network, x) - fit["offset"]) / fit["k_fit"]
    critic_gradient = network_gradients(critic.network, x) / fit["k_fit"]

    fig, axes = plt.subplots(3, 1, figsize=(7.5, 9), sharex=True, constrained_layout=True)
    density_ax, critic_ax, gradient_ax = axes
    density_ax.fill_between(x, real.pdf(x), color=COLORS["real"], alpha=0.35, label=r"density of $\mathbb{P}_r$ (real)")
    density_ax.fill_between(x, fake.pdf(x), color=COLORS["fake"], alpha=0.35, label=r"density of $\mathbb{P}_g$ (fake)")
    density_ax.plot(x, probability, color=COLORS["js"], lw=2.5, label="trained GAN discriminator $D(x)$")
    density_ax.plot(
        x,
        optimal_discriminator(real, fake)(x),
        color="black",
        ls="--",
        lw=1.2,
        label=r"optimal $D^* = p_r / (p_r + p_g)$",
    )
    density_ax.set_ylim(-0.05, 1.5)
    density_ax.set_title("(a) the GAN discriminator saturates", fontsize=10)
    density_ax.legend(fontsize=8, loc="upper center", ncol=2)  # above D's ceiling of 1: covers no curve
    critic_ax.plot(
        x,
        critic_rescaled,
        color=COLORS["em"],
        lw=2.5,
        label=rf"WGAN critic $(f_w - b)/K$, {critic.method}; fitted effective slope K = {fit['k_fit']:.2e}",
    )
    critic_ax.plot(
        x,
        OptimalCritic1D(real, fake)(x),
        color="black",
        ls="--",
        lw=1.2,
        label=r"exact optimal critic $f^*$ (slope $\pm 1$)",
    )
    critic_ax.set_title(
        f"(b) the critic keeps a slope everywhere (estimate {critic.estimate:.3g}, W = {abs(real.mean - fake.mean):g}; "
        "K fitted to this critic)",
        fontsize=10,
    )
    critic_ax.legend(fontsize=8)
    gradient_ax.semilogy(
        x, np.abs(discriminator_gradient) + 1e-300, color=COLORS["js"], lw=2, label=r"$|dD/dx|$, discriminator"
    )
    gradient_ax.semilogy(x, np.abs(critic_gradient), color=COLORS["em"], lw=2, label=r"$|df_w/dx| / K$, critic")
    gradient_ax.axhline(1.0, color="black", ls="--", lw=1.2, label=r"$|f^{*\prime}| = 1$")
    gradient_ax.set_ylim(1e-12, 1e2)
    gradient_ax.set_xlabel("$x$")
    gradient_ax.set_title("(c) gradients: the discriminator's vanish, the critic's stay clean", fontsize=10)
    gradient_ax.legend(fontsize=8, loc="lower left")
    for ax in axes:
        ax.grid(alpha=0.3)
        for law, colour in ((real, COLORS["real"]), (fake, COLORS["fake"])):
            ax.axvline(law.mean, color=colour, lw=0.8, ls=":")
    fig.suptitle("Figure 2: optimal discriminator and critic between two Gaussians", fontsize=11)
    fig.fit = fit
    return fig


def plot_gaussian_pair(p: Gaussian1D, q: Gaussian1D, ax=None):
    """The two densities, with TV, KL both ways, JS and EM in the title (lesson 02's slider)."""
    ax = _new_ax(ax)
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


def plot_optimal_critic_1d(p, q, ax=None):
    """The exact optimal critic f* between two 1D laws (slope sign(F_Q - F_P)), with the CDF gap
    F_Q - F_P that sets its slope and the two densities."""
    from .transport import OptimalCritic1D

    ax = _new_ax(ax)
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


def _label_log_ticks(axis, values) -> None:
    """Major ticks at ``values`` with plain labels (0.005, 0.01, ...), no minor labels."""
    axis.set_ticks(list(values), [f"{value:g}" for value in values])
    axis.set_minor_formatter(plt.NullFormatter())


def plot_k_against_clip_value(experiment: dict, ax=None):
    """Effective slope (E_r f - E_g f) / W against the clipping constant c, log-log, from
    :func:`wgan_toys.sweep.clip_value_experiment`: every critic as a point, the range over critics
    as an error bar, the fitted power law, the largest |f'| measured on the mass region, and the
    family's bound prod_l c sqrt(n_{l-1} n_l)."""
    ax = _new_ax(ax)
    clip_values = np.asarray(experiment["clip_value"])
    slopes = np.asarray(experiment["effective_slope"])
    levels = np.unique(clip_values)
    median = np.array([np.median(slopes[clip_values == c]) for c in levels])
    low = np.array([slopes[clip_values == c].min() for c in levels])
    high = np.array([slopes[clip_values == c].max() for c in levels])
    ax.errorbar(
        levels,
        median,
        yerr=[median - low, high - median],
        fmt="o",
        color=COLORS["em"],
        ms=6,
        capsize=4,
        lw=1.5,
        label=f"effective slope, median and range of {int(np.sum(clip_values == levels[0]))} critics",
    )
    ax.plot(clip_values, slopes, ".", color=COLORS["em"], alpha=0.5, ms=5)
    exponent = experiment["fitted_exponent"]
    intercept = np.mean(np.log(slopes[slopes > 0]) - exponent * np.log(clip_values[slopes > 0]))
    fine = np.geomspace(levels.min(), levels.max(), 50)
    ax.plot(
        fine,
        np.exp(intercept) * fine**exponent,
        color=COLORS["em"],
        lw=1,
        ls=":",
        label=rf"fitted $\propto c^{{{exponent:.2f}}}$",
    )
    largest = [np.median(np.asarray(experiment["largest_slope"])[clip_values == c]) for c in levels]
    ax.plot(
        levels, largest, "s--", color=COLORS["samples"], lw=1.2, ms=5, label=r"largest $|f_w'|$ on the mass (median)"
    )
    bound = [np.asarray(experiment["family_bound"])[clip_values == c][0] for c in levels]
    ax.plot(levels, bound, "^-", color=COLORS["js"], lw=1.2, ms=5, label=r"family bound $\Pi_l\, c\sqrt{n_{l-1} n_l}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _label_log_ticks(ax.xaxis, levels)
    ax.set_xlabel("clipping constant $c$")
    ax.set_ylabel("slope")
    ax.set_title("effective slope $(E_r f - E_g f)/W$ against $c$", fontsize=10)
    ax.grid(alpha=0.3, which="major")
    ax.legend(fontsize=7.5, loc="upper left")
    return ax


def plot_effective_slope_against_w(experiment: dict, ax=None):
    """Effective slope of clipped critics against W for shifts and changes of scale, every critic
    a point (from :func:`wgan_toys.sweep.effective_slope_experiment`); the median of the shift
    pairs joined by a line."""
    ax = _new_ax(ax)
    kinds = np.asarray(experiment["kind"])
    wasserstein = np.asarray(experiment["nominal_wasserstein"])
    slopes = np.asarray(experiment["effective_slope"])
    styles = {
        "shift": ("o", COLORS["em"], r"shift: $N(W, 1)$"),
        "scale": ("s", COLORS["js"], r"scale: $N(0, s^2)$, same $W$"),
    }
    for kind, (marker, color, label) in styles.items():
        chosen = kinds == kind
        if not chosen.any():
            continue
        offset = 1.03 if kind == "scale" else 1.0  # side by side at the same W
        ax.plot(
            wasserstein[chosen] * offset,
            slopes[chosen],
            marker,
            color=color,
            alpha=0.7,
            ms=6,
            ls="none",
            label=label + " (each critic)",
        )
        levels = np.unique(wasserstein[chosen])
        ax.plot(
            levels * offset, [np.median(slopes[chosen & (wasserstein == w)]) for w in levels], "-", color=color, lw=1.5
        )
    ax.set_xscale("log")
    _label_log_ticks(ax.xaxis, np.unique(wasserstein))
    ax.set_ylim(0, 1.15 * slopes.max())
    ax.set_xlabel(r"$W(\mathbb{P}_r, \mathbb{P}_g)$ with $\mathbb{P}_r = N(0, 1)$")
    ax.set_ylabel(r"effective slope $(E_r f - E_g f) / W$")
    ax.set_title("one clipped family ($c$ fixed), different pairs", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return ax


def plot_weight_histogram(
    critic, ax=None, clip_value: float | None = None, label: str = "", color=None, bins: int = 60
):
    """Histogram of all weights of a critic; with ``clip_value``, the walls at +-c are marked
    (clipped weights pile up there, WGAN-GP's Figure 1, right)."""
    ax = _new_ax(ax)
    weights = np.concatenate(
        [parameter.detach().cpu().numpy().ravel() for name, parameter in critic.named_parameters() if "weight" in name]
    )
    ax.hist(weights, bins=bins, color=color or COLORS["em"], alpha=0.75, label=label)
    if clip_value is not None:
        for wall in (-clip_value, clip_value):
            ax.axvline(wall, color="black", ls="--", lw=1)
        share = float(np.mean(np.abs(weights) >= 0.999 * clip_value))
        ax.set_xticks([-clip_value, 0.0, clip_value])
        ax.set_title(f"{label}: {100 * share:.0f}% of weights at $\\pm c$", fontsize=10)
    else:
        ax.set_title(label, fontsize=10)
    ax.set_xlabel("weight value")
    ax.set_ylabel("count")
    return ax


def plot_layer_gradient_norms(norms_by_label: dict, ax=None):
    """Gradient norm of the critic loss per layer (log scale), one line per method
    (WGAN-GP's Figure 1, left)."""
    ax = _new_ax(ax)
    palette = [COLORS["em"], COLORS["tv"], COLORS["samples"], COLORS["kl"], COLORS["js"]]
    for (label, norms), color in zip(norms_by_label.items(), palette):
        ax.semilogy(np.arange(1, len(norms) + 1), norms, "o-", color=color, lw=2, label=label)
    ax.set_xlabel("layer (input first)")
    ax.set_ylabel(r"$\|\partial\,\mathrm{loss} / \partial h_{l-1}\|$ (mean per sample)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return ax


def plot_penalty_bias(pairs: dict, penalty_weights, trained: dict | None = None, ax=None):
    """The gradient-penalty bias (estimate - W) against lambda, log-log, one colour per pair.

    Solid: the exact optimum over all critics (:func:`wgan_toys.optimal.gradient_penalty_optimum`);
    dashed: its lower bound W^2 / (2 lambda); markers: trained critics.

    Parameters
    ----------
    pairs : dict
        ``{label: (real, fake)}`` of Gaussian1D laws.
    penalty_weights : sequence of float
        The lambdas to label; the curves span their range.
    trained : dict, optional
        ``{label: (lambdas, estimates)}``: trained critics' E_r f - E_g f.
    """
    from .optimal import gradient_penalty_optimum

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.8), constrained_layout=True)
    penalty_weights = np.asarray(penalty_weights, dtype=float)
    fine = np.geomspace(penalty_weights.min() / 1.5, penalty_weights.max() * 1.5, 25)
    palette = [COLORS["em"], COLORS["js"], COLORS["tv"], COLORS["kl"]]
    for (label, (real, fake)), color in zip(pairs.items(), palette):
        optima = [gradient_penalty_optimum(real, fake, weight, points=4001) for weight in fine]
        wasserstein = optima[0].wasserstein
        ax.plot(
            fine,
            [optimum.estimate - wasserstein for optimum in optima],
            color=color,
            lw=2,
            label=f"{label}: exact optimum",
        )
        ax.plot(
            fine, wasserstein**2 / (2 * fine), color=color, lw=1.5, ls="--", label=f"{label}: bound $W^2/(2\\lambda)$"
        )
        if trained and label in trained:
            lambdas, estimates = trained[label]
            ax.plot(
                lambdas,
                np.asarray(estimates) - wasserstein,
                "D",
                color=color,
                mec="black",
                ms=7,
                ls="none",
                label=f"{label}: trained critics",
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    _label_log_ticks(ax.xaxis, penalty_weights)
    ax.set_xlabel(r"penalty weight $\lambda$")
    ax.set_ylabel(r"bias $E_r f - E_g f - W$")
    ax.set_title("the gradient penalty's bias: exact optimum and linear bound", fontsize=10)
    ax.grid(alpha=0.3, which="major")
    ax.legend(
        fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0
    )  # beside the axes: no data covered
    return ax


def plot_penalty_slope(real: Gaussian1D, fake: Gaussian1D, penalty_weight: float, critics: dict, ax=None):
    """The slope f' of trained gradient-penalty critics against the exact optimum's
    sign(D) (1 + |D| / (2 lambda rho)) and the scaled optimal critic's constant 1 + W/(2 lambda)
    (times sign D), over the region holding 99.9% of both laws.

    ``critics`` maps a label to a trained network (1D input).
    """
    from .measure import network_gradients
    from .optimal import gradient_penalty_optimum, mass_region

    ax = _new_ax(ax)
    optimum = gradient_penalty_optimum(real, fake, penalty_weight, points=4001)
    region = mass_region(real, fake, mass=0.999, points=801)
    x = np.linspace(region.min(), region.max(), 401)
    exact = np.interp(x, optimum.grid, optimum.slope)
    ax.plot(x, exact, color="black", lw=2, label=r"exact optimum $\mathrm{sign}\,D\,(1 + |D|/(2\lambda\rho))$")
    linear = (1 + optimum.wasserstein / (2 * penalty_weight)) * np.sign(np.interp(x, optimum.grid, optimum.cdf_gap))
    ax.plot(x, linear, color="black", lw=1.2, ls="--", label=r"scaled $f^*$: $\pm(1 + W/(2\lambda))$")
    palette = [COLORS["js"], COLORS["em"], COLORS["tv"]]
    for (label, network), color in zip(critics.items(), palette):
        ax.plot(x, network_gradients(network, x), color=color, lw=1.8, alpha=0.9, label=label)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("$x$")
    ax.set_ylabel("slope $f'(x)$")
    ax.set_title(
        rf"$\mathbb{{P}}_r = N({real.mean:g}, {real.std:g}^2)$, $\mathbb{{P}}_g = N({fake.mean:g}, {fake.std:g}^2)$, $\lambda = {penalty_weight:g}$",
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return ax


def plot_gradient_norm_audit(audit: dict, ax=None, title: str = ""):
    """Box plots of ||grad f|| on real, fake, interpolated and off-support points
    (from :func:`wgan_toys.measure.gradient_norm_audit`), with the optimal value 1 marked."""
    ax = _new_ax(ax)
    groups = list(audit)
    ax.boxplot([audit[group] for group in groups], showfliers=False)
    ax.set_xticks(range(1, len(groups) + 1), [group.replace("_", "-") for group in groups])
    ax.axhline(1.0, color="black", ls="--", lw=1.2, label=r"optimal critic: $\|\nabla f^*\| = 1$")
    ax.set_ylabel(r"$\|\nabla_x f(x)\|$")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_critic_field(
    trainer, ax=None, grid_size: int = 120, arrows: int = 64, plan_points: int = 150, arrow_scale: float | None = None
):
    r"""Real and generated samples over the critic's contours (or the discriminator's D), with the
    generator's gradient arrows on the fakes and the exact transport plan as faint segments.

    The arrows are :meth:`~wgan_toys.toy_gan.ToyGAN.push`, minus the gradient of the loss the
    generator descends (for the minimax GAN, of :math:`\log(1 - D)`), drawn on ONE scale for the
    whole run: an arrow of the length printed in the key has norm ``arrow_scale``, by default the
    largest norm logged over the run (``trainer.arrow_scale()``) or on this frame if larger. A
    saturated discriminator therefore draws vanishing arrows; the largest norm on this frame is
    printed in the title. With WGAN-GP's Proposition 1 (Gulrajani et al. 2017), the optimal
    critic's gradient at a generated point points along its segment of the optimal plan.
    """
    from .transport import exact_transport

    ax = _new_ax(ax)
    real = trainer.dataset.sample(plan_points, seed=trainer.config.seed + 3)
    fake = trainer.generated()[:plan_points]
    both = np.concatenate([real, fake])
    low, high = both.min(0) - 0.5, both.max(0) + 0.5
    xs, ys = np.meshgrid(np.linspace(low[0], high[0], grid_size), np.linspace(low[1], high[1], grid_size))
    values = trainer.critic_values(np.stack([xs.ravel(), ys.ravel()], 1)).reshape(xs.shape)
    if not trainer.is_wgan:
        from scipy.special import expit  # the logistic sigmoid, stable for any logit

        values = expit(values)
    contours = ax.contourf(xs, ys, values, levels=20, cmap="cividis", alpha=0.55)
    plt.colorbar(contours, ax=ax, label=r"critic $f_w$" if trainer.is_wgan else r"discriminator $D$", shrink=0.8)
    plan = exact_transport(fake, real)
    rows, cols = np.nonzero(plan.plan > 1e-12)
    from matplotlib.collections import LineCollection

    # one collection for all segments: a Line2D per segment costs ~1 ms each to build and draw
    ax.add_collection(
        LineCollection(
            np.stack([fake[rows], real[cols]], axis=1), colors=COLORS["plan"], linewidths=0.6, alpha=0.6, zorder=1
        )
    )
    ax.scatter(*real.T, s=8, color=COLORS["real"], label="real", zorder=2)
    ax.scatter(*fake.T, s=8, color=COLORS["fake"], marker="s", label="generated", zorder=2)
    gradient = trainer.push(fake[:arrows])  # minus the gradient of the generator's loss at each point
    largest = float(np.linalg.norm(gradient, axis=1).max())
    if arrow_scale is None:
        arrow_scale = max(trainer.arrow_scale() or 0.0, largest)
    elif not arrow_scale > 0:
        raise ValueError(f"arrow_scale == {arrow_scale}, must be > 0 (the gradient norm drawn as a 0.5-long arrow).")
    scale = arrow_scale or 1.0  # a flat critic: every arrow is 0
    quiver = ax.quiver(
        fake[:arrows, 0],
        fake[:arrows, 1],
        *(gradient / scale).T,
        color="black",
        angles="xy",
        scale_units="xy",
        scale=2.0,
        width=0.004,
        minlength=0,
        zorder=3,
    )
    ax.quiverkey(
        quiver, 0.1, 0.04, 1.0, f"{arrow_scale:.1e}", labelpos="E", coordinates="axes", fontproperties={"size": 8}
    )
    what = (
        r"$\nabla_x f_w$"
        if trainer.is_wgan
        else (r"$-\nabla_x \log(1 - D)$" if trainer.config.algorithm == "gan" else r"$\nabla_x \log D$")
    )
    ax.set_title(
        f"{trainer.config.algorithm}, step {trainer.generator_steps}: exact plan cost {plan.cost:.3f}\n"
        f"arrows {what}, largest here {largest:.1e} (key: the run's largest, {arrow_scale:.1e})",
        fontsize=10,
    )
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="upper right")
    return ax


def _estimate_key(history):
    if "critic_estimate" in history[0]:
        return "critic_estimate", "critic estimate $E_r f - E_g f$", COLORS["em"]
    return "js_estimate", r"GAN's JS estimate $L/2 + \log 2$ (nats)", COLORS["js"]


def _floor_label(floor) -> str:
    return f"sample floor: $W_1$ between two real samples, n = {floor['n']} ({floor['repeats']} draws)"


def plot_estimate_against_exact(history, ax=None, window: int = 5, floor: dict | None = None):
    """The logged estimate and the exact W1 against generator steps, on ONE axis.

    Raw logged points for both; the estimate's running median over ``window`` evaluations (as
    Figure 3 filters its curves) drawn only where the window is full; and, when given, the sample
    floor of :func:`~wgan_toys.toys2d.sample_floor` as a band (min to max over its draws) with a
    line at its mean. Two separately scaled axes would make any two falling curves look alike;
    one axis shows whether the estimate is the distance, a multiple of it, or neither.
    """
    ax = _new_ax(ax)
    steps = np.array([row["generator_step"] for row in history])
    key, label, color = _estimate_key(history)
    estimate = np.array([row[key] for row in history], dtype=float)
    exact = np.array([row["exact_w1"] for row in history], dtype=float)
    if floor is not None:
        ax.axhspan(floor["low"], floor["high"], color="0.6", alpha=0.3, lw=0, label=_floor_label(floor))
        ax.axhline(floor["mean"], color="0.4", lw=1, ls=":")
    ax.plot(steps, exact, color="black", lw=1.5, marker="o", ms=3, label="exact $W_1$ (ot.emd2), logged")
    ax.plot(steps, estimate, color=color, lw=0, marker="o", ms=3, alpha=0.6, label=f"{label}, logged")
    if len(estimate) >= window:
        # empirical.median_filter is NaN where the centred window runs past an end: no shrunk windows
        ax.plot(
            steps, median_filter(estimate, window), color=color, lw=2, label=f"median of {window} (full windows only)"
        )
    ax.set_xlabel("generator steps")
    ax.set_ylabel("same units: distance" if key == "critic_estimate" else "exact $W_1$ and JS estimate")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)  # below the axes: it covers no data
    ax.grid(alpha=0.3)
    return ax


def plot_estimate_scatter(history, ax=None, floor: dict | None = None):
    """The logged estimate against the exact W1, one point per evaluation, coloured by generator step.

    The question of Figures 3-4 as a picture: if the loss tracks the distance, the points line up
    on an increasing curve; if not, they scatter. The first point (step 0, untrained critic) is
    ringed. The sample floor, when given, is a vertical band: exact W1 left of it is noise.
    """
    ax = _new_ax(ax)
    key, label, _ = _estimate_key(history)
    steps = np.array([row["generator_step"] for row in history])
    estimate = np.array([row[key] for row in history], dtype=float)
    exact = np.array([row["exact_w1"] for row in history], dtype=float)
    if floor is not None:
        ax.axvspan(floor["low"], floor["high"], color="0.6", alpha=0.3, lw=0, label="sample floor")
    points = ax.scatter(exact, estimate, c=steps, cmap="viridis", s=22, zorder=3)
    ax.scatter(
        exact[:1],
        estimate[:1],
        s=90,
        facecolors="none",
        edgecolors="black",
        zorder=4,
        label=f"step {steps[0]} (untrained)",
    )
    plt.colorbar(points, ax=ax, label="generator step", shrink=0.85)
    ax.set_xlabel("exact $W_1$ (ot.emd2)")
    ax.set_ylabel(label)
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    return ax


def figure_toy_run(trainer, floor: dict | None = None):
    """A toy run at a glance: the critic field with arrows and the plan; the estimate and the exact
    W1 on one axis over steps, with the sample floor; the estimate against the exact W1.

    ``floor`` defaults to :func:`~wgan_toys.toys2d.sample_floor` at the run's ``eval_samples``.
    """
    if floor is None:
        floor = _cached_floor(trainer.dataset, trainer.config.eval_samples)
    fig, axes = plt.subplots(
        1, 3, figsize=(18, 5.6), constrained_layout=True, gridspec_kw={"width_ratios": (1.25, 1, 1)}
    )
    plot_critic_field(trainer, ax=axes[0])
    plot_estimate_against_exact(trainer.history, ax=axes[1], floor=floor)
    plot_estimate_scatter(trainer.history, ax=axes[2], floor=floor)
    claim = "Figure 3's claim" if trainer.is_wgan else "Figure 4: the GAN's JS estimate"
    axes[1].set_title(f"does the loss track the exact distance? ({claim})", fontsize=10)
    axes[2].set_title("the same, estimate against exact $W_1$", fontsize=10)
    fig.floor = floor
    return fig


_FLOORS: dict = {}


def _cached_floor(dataset, n: int) -> dict:
    """sample_floor(dataset, n, repeats=4) once per (law, n) per session: an exact transport at n = 1000 takes ~0.2 s."""
    from .toys2d import sample_floor

    key = (dataset, n)
    if key not in _FLOORS:
        _FLOORS[key] = sample_floor(dataset, n, repeats=4)
    return _FLOORS[key]


def save_samples_animation(trainer, path: str, fps: int = 4):
    """An animated GIF of the fixed-noise samples at each evaluation, over the real data."""
    from matplotlib.animation import FuncAnimation, PillowWriter

    real = trainer.dataset.sample(1000, seed=trainer.config.seed + 4)
    floor = _cached_floor(trainer.dataset, trainer.config.eval_samples)
    fig, ax = plt.subplots(figsize=(5, 5))
    everything = np.concatenate([real] + [points for _, points in trainer.snapshots])
    low, high = np.quantile(everything, 0.005, axis=0) - 0.3, np.quantile(everything, 0.995, axis=0) + 0.3
    ax.scatter(*real.T, s=4, color=COLORS["real"], alpha=0.4, label="real")
    fake = ax.scatter([], [], s=4, color=COLORS["fake"], label="generated")
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="upper right")
    rows = {row["generator_step"]: row for row in trainer.history}

    def draw(index):
        step, points = trainer.snapshots[index]
        fake.set_offsets(points)
        w1 = rows.get(step, {}).get("exact_w1", float("nan"))
        ax.set_title(
            f"{trainer.config.algorithm}, generator step {step}, exact $W_1$ {w1:.3f}\n(sample floor {floor['low']:.2f} to {floor['high']:.2f})",
            fontsize=10,
        )
        return (fake,)

    animation = FuncAnimation(fig, draw, frames=len(trainer.snapshots), blit=False)
    animation.save(path, writer=PillowWriter(fps=fps))
    plt.close(fig)
    return path


def figure_samples_over_iterations(trainer, panels: int = 6):
    """Small multiples of the fixed-noise samples at evenly spaced evaluations, over the real data."""
    snapshots = trainer.snapshots
    chosen = [
        snapshots[i] for i in np.unique(np.linspace(0, len(snapshots) - 1, min(panels, len(snapshots))).astype(int))
    ]
    real = trainer.dataset.sample(1000, seed=trainer.config.seed + 4)
    fig, axes = plt.subplots(1, len(chosen), figsize=(2.6 * len(chosen), 2.9), constrained_layout=True, squeeze=False)
    rows = {row["generator_step"]: row for row in trainer.history}
    low, high = real.min(0) - 0.5, real.max(0) + 0.5
    for ax, (step, points) in zip(axes[0], chosen):
        ax.scatter(*real.T, s=2, color=COLORS["real"], alpha=0.4)
        ax.scatter(*points.T, s=2, color=COLORS["fake"])
        ax.set_xlim(low[0], high[0])
        ax.set_ylim(low[1], high[1])
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"step {step}\nexact $W_1$ {rows.get(step, {}).get('exact_w1', float('nan')):.3f}", fontsize=9)
    floor = _cached_floor(trainer.dataset, trainer.config.eval_samples)
    fig.suptitle(
        f"{trainer.config.algorithm} on {trainer.config.dataset}: generated (orange) over real (blue); exact $W_1$ between two real "
        f"samples of n = {floor['n']}, the sample floor: {floor['low']:.2f} to {floor['high']:.2f}",
        fontsize=10,
    )
    return fig


def plot_image_run(run, save=None, window: int = 11, correlation_window: int = 5, floor: float | None = None):
    """An image run at a glance, from its folder (or a list of metrics records).

    Left: the loss over training, the critic's estimate of eq. (3) (or the GAN's JS estimate):
    every logged value as a point, and the centred median over ``window`` logged points (Figures 3
    and 4) drawn only where the window is full. Middle: the sliced W1 to held-out real images at
    each evaluation, with the real-vs-real floor (``sliced_w_real`` as the trainer logged it, or
    ``floor``) and, on digits, the classes produced written at each point. Right: the two
    against each other, one point per evaluation coloured by generator step (the loss as the
    trailing median of the ``correlation_window`` values logged up to it,
    :func:`~wgan_toys.images.section4.loss_at_evaluations`), titled with Spearman's correlation
    of the levels and of the first differences. The scatter is the honest picture of "does the
    loss track quality": two curves on separately autoscaled axes look alike whenever both fall.
    With ``save`` the figure is written there and closed; returns the figure.
    """
    import pathlib

    from .empirical import rank_correlations
    from .images.section4 import loss_at_evaluations
    from .images.trainer import read_metrics

    records = read_metrics(run) if isinstance(run, (str, pathlib.Path)) else list(run)
    if not records:
        raise ValueError("the run has no metrics yet; train at least log_every generator steps.")
    fig, axes = plt.subplots(
        1, 3, figsize=(16, 4.9), constrained_layout=True, gridspec_kw={"width_ratios": (1, 1, 1.1)}
    )
    steps = np.array([r["generator_step"] for r in records])
    key, label, color = ("wasserstein_estimate", r"critic's estimate $E_r f_w - E_g f_w$", COLORS["em"])
    if key not in records[0]:
        key, label, color = ("js_estimate", r"JS estimate $\log 2 + L(D)/2$", COLORS["js"])
    values = np.array([r[key] for r in records], dtype=float)
    axes[0].plot(steps, values, "o", ms=2.5, color=color, alpha=0.45, label="logged")
    filtered = median_filter(values, window) if window % 2 else median_filter(values, window, align="trailing")
    axes[0].plot(steps, filtered, color=color, lw=2, label=f"median of {window} (full windows only)")
    if key == "js_estimate":
        axes[0].axhline(LOG_2, color="black", ls=":", lw=1, label=r"$\log 2$ (JS's maximum)")
    axes[0].set_xlabel("generator steps")
    axes[0].set_ylabel(label)
    axes[0].set_title("the loss (Figures 3-4), as logged", fontsize=10)
    axes[0].legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)  # below: covers no data
    axes[0].grid(alpha=0.3)

    evaluated = [r for r in records if "sliced_w" in r]
    if floor is None and evaluated and "sliced_w_real" in evaluated[-1]:
        floor = evaluated[-1]["sliced_w_real"]
    if evaluated:
        eval_steps = [r["generator_step"] for r in evaluated]
        sliced_w = [r["sliced_w"] for r in evaluated]
        axes[1].plot(eval_steps, sliced_w, "o-", color="black", lw=2, ms=4, label="generated vs held-out real")
        if floor is not None:
            axes[1].axhline(floor, color="black", ls=":", lw=1.2, label=f"real vs held-out real (floor) {floor:.3f}")
        if "classes_covered" in evaluated[0]:
            for step, value, record in zip(eval_steps, sliced_w, evaluated):
                axes[1].annotate(
                    str(record["classes_covered"]),
                    (step, value),
                    textcoords="offset points",
                    xytext=(0, 6),
                    ha="center",
                    fontsize=8,
                    color=COLORS["samples"],
                )
            axes[1].plot(
                [], [], ls="none", marker="$9$", color=COLORS["samples"], label="digit classes produced (of 10)"
            )
        axes[1].set_ylim(0, max(sliced_w) * 1.15)
        axes[1].legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    axes[1].set_xlabel("generator steps")
    axes[1].set_ylabel("sliced $W_1$ (lower is better)")
    axes[1].set_title("sample quality, measured offline", fontsize=10)
    axes[1].grid(alpha=0.3)

    eval_steps, losses, sliced = loss_at_evaluations(records, correlation_window) if evaluated else (np.array([]),) * 3
    if len(losses):
        axes[2].plot(sliced, losses, color="0.75", lw=0.8, zorder=1)  # the path, in step order
        points = axes[2].scatter(sliced, losses, c=eval_steps, cmap="viridis", s=36, zorder=3)
        plt.colorbar(points, ax=axes[2], label="generator step", shrink=0.9)
        if floor is not None:
            axes[2].axvline(floor, color="black", ls=":", lw=1.2, label="floor")
            axes[2].legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14))
        axes[2].set_xlim(left=0)
        result = rank_correlations(losses, sliced)

        def shown(value):
            return "undefined" if value is None else f"{value:+.2f}"

        axes[2].set_title(
            f"Spearman over {result['points']} evaluations: levels {shown(result['spearman'])}, "
            f"first differences {shown(result['spearman_of_differences'])}",
            fontsize=10,
        )
    axes[2].set_xlabel("sliced $W_1$ to held-out real images")
    axes[2].set_ylabel(f"loss, median of the last {correlation_window} logged")
    axes[2].grid(alpha=0.3)
    if save is not None:
        fig.savefig(save, dpi=110)
        plt.close(fig)
    return fig


def figure_section4(table: dict, folder, save=None):
    """Figures 5-7 on digits. One row per generator: the final samples of WGAN and of the GAN
    (the first seed's), and the sliced W1 of both over training (every seed; the first drawn
    bold) with the real-vs-real floor. A last row compares *runs*: each run's final loss against
    its final sliced W1, WGAN's critic estimate (one DCGAN critic and one c for every run, so one
    scale) on the left, the GAN's JS estimate in the middle, titled with Spearman's correlation
    across runs (:func:`~wgan_toys.images.section4.across_runs`); on the right, each run's own
    correlation of the levels against that of the first differences."""
    import pathlib

    from .images.section4 import across_runs
    from .images.trainer import read_metrics

    folder = pathlib.Path(folder)
    rows = table["rows"]
    generators = list(dict.fromkeys(row["generator"] for row in rows))
    seeds = list(dict.fromkeys(row.get("seed", 0) for row in rows))
    markers = dict(zip(generators, "osD^v"))
    floor = table["real_reference_sliced_w"]
    fig, axes = plt.subplots(
        len(generators) + 1,
        3,
        figsize=(12, 3.4 * (len(generators) + 1)),
        constrained_layout=True,
        squeeze=False,
        gridspec_kw={"width_ratios": [1, 1, 1.4]},
    )
    for line, generator in enumerate(generators):
        curve_ax = axes[line, 2]
        for column, algorithm in enumerate(("wgan", "gan")):
            ax = axes[line, column]
            ax.axis("off")
            runs = [r for r in rows if r["generator"] == generator and r["algorithm"] == algorithm]
            if not runs:
                continue
            row = runs[0]
            ax.imshow(plt.imread(folder / row["samples"]), cmap="gray", vmin=0.0, vmax=1.0)
            classes = f", digit classes: {row['classes_covered']}/10" if "classes_covered" in row else ""
            classes += f"\ndiversity {row['diversity']:.2f} (real digits: 1)" if "diversity" in row else ""
            ax.set_title(
                f"{algorithm.upper()}, {generator} generator ({row['figure']}), seed {row.get('seed', 0)}\n"
                f"sliced $W_1$ {row['sliced_w']:.3f}{classes}",
                fontsize=9,
            )
            for index, run in enumerate(runs):
                evaluated = [
                    r for r in read_metrics(folder / run.get("folder", f"{generator}-{algorithm}")) if "sliced_w" in r
                ]
                curve_ax.plot(
                    [r["generator_step"] for r in evaluated],
                    [r["sliced_w"] for r in evaluated],
                    "o-" if index == 0 else "-",
                    ms=3,
                    lw=1.8 if index == 0 else 0.9,
                    alpha=1.0 if index == 0 else 0.6,
                    color=COLORS["em"] if algorithm == "wgan" else COLORS["js"],
                )
        curve_ax.axhline(floor, color="black", ls=":", lw=1.2)
        curve_ax.set_ylim(bottom=0)
        curve_ax.set_xlabel("generator steps")
        curve_ax.set_ylabel("sliced $W_1$ to held-out digits")
        which = f", seed {seeds[0]} bold" if len(seeds) > 1 else ""
        curve_ax.set_title(
            f"{generator}: sliced $W_1$ over training{which}\n"  # the key in the title covers no data
            f"WGAN blue, GAN vermillion; dotted: real vs real {floor:.3f}",
            fontsize=9,
        )
        curve_ax.grid(alpha=0.3)
    agreement = across_runs(rows)
    bottom = axes[len(generators)]
    within = bottom[2]  # within each run: the level correlation against the differenced one
    for algorithm in ("wgan", "gan"):
        for generator in generators:
            runs = [
                r
                for r in rows
                if r["algorithm"] == algorithm
                and r["generator"] == generator
                and r.get("spearman_loss_vs_sliced_w") is not None
                and r.get("spearman_differences") is not None
            ]
            within.scatter(
                [r["spearman_loss_vs_sliced_w"] for r in runs],
                [r["spearman_differences"] for r in runs],
                marker=markers[generator],
                s=40,
                color=COLORS["em"] if algorithm == "wgan" else COLORS["js"],
                label=f"{algorithm.upper()}, {generator}",
            )
    within.axhline(0, color="black", lw=0.8)
    within.axvline(0, color="black", lw=0.8)
    within.set_xlim(-1.05, 1.05)
    within.set_ylim(-1.05, 1.05)
    within.set_xlabel("within a run: Spearman(loss, sliced $W_1$), levels")
    within.set_ylabel("first differences")
    within.set_title("each run's correlation, with and without the shared trend", fontsize=9)
    within.legend(fontsize=7, loc="upper left", ncol=2)
    within.grid(alpha=0.3)
    for ax, algorithm, label in (
        (bottom[0], "wgan", r"final critic estimate $E_r f_w - E_g f_w$"),
        (bottom[1], "gan", r"final JS estimate $\log 2 + L(D)/2$"),
    ):
        chosen = [r for r in rows if r["algorithm"] == algorithm and r.get("status", "trained") == "trained"]
        for generator in generators:
            runs = [r for r in chosen if r["generator"] == generator]
            ax.scatter(
                [r["sliced_w"] for r in runs],
                [r["final_loss"] for r in runs],
                marker=markers[generator],
                s=40,
                color=COLORS["em"] if algorithm == "wgan" else COLORS["js"],
                label=generator,
            )
        ax.axvline(floor, color="black", ls=":", lw=1.2)
        value = agreement.get(algorithm, {}).get("spearman")
        ax.set_title(
            f"{algorithm.upper()} runs: Spearman across {agreement.get(algorithm, {}).get('runs', 0)} runs "
            f"{'undefined' if value is None else f'{value:+.2f}'}",
            fontsize=9,
        )
        ax.set_xlabel("final sliced $W_1$ to held-out digits")
        ax.set_ylabel(label, fontsize=9)
        ax.set_xlim(left=0)
        ax.legend(fontsize=8, loc="best", title="generator", title_fontsize=8)
        ax.grid(alpha=0.3)
    if save is not None:
        fig.savefig(save, dpi=100)
        plt.close(fig)
    return fig


def _styled(function):
    """Draw ``function``'s figure inside :data:`STYLE` (one style for every figure of the course)."""

    @functools.wraps(function)
    def drawn_in_course_style(*args, **kwargs):
        with plt.rc_context(STYLE):
            result = function(*args, **kwargs)
            figure = getattr(result, "figure", result)
            if isinstance(figure, plt.Figure):
                # matplotlib makes tick labels lazily, at the first draw: draw once here so
                # that they take this style, not whatever rcParams hold when the figure is shown
                figure.draw_without_rendering()
            return result

    return drawn_in_course_style


for _name in __all__:
    if _name.startswith(("plot_", "figure_", "save_")):
        globals()[_name] = _styled(globals()[_name])
del _name
