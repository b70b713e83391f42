r"""Section 3's pictures: Figure 2 (a discriminator and a critic trained by the caller, against D*
and the exact critic) and the Lipschitz constraints: clipping's effective slope against c and
across pairs of laws, weights at the walls +-c, gradient norms per layer, the gradient penalty's
bias and slope, gradient-norm audits (lessons 03 and 04). Every function draws results; none trains.

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Section 3, Figure 2, Algorithm 1.
Gulrajani et al. (2017), arXiv:1704.00028, Figure 1 (WGAN-GP).
"""

from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..distributions import FIGURE_2_FAKE, FIGURE_2_REAL, Gaussian1D
from ._style import COLORS, new_axes, styled

__all__ = [
    "Figure2",
    "figure_2",
    "plot_k_against_clip_value",
    "plot_effective_slope_against_w",
    "plot_weight_histogram",
    "plot_layer_gradient_norms",
    "plot_penalty_bias",
    "plot_penalty_slope",
    "plot_gradient_norm_audit",
]


class Figure2(NamedTuple):
    """What :func:`figure_2` returns: the ``figure`` and the ``fit`` it drew, the critic's fitted scale
    ``k_fit`` and ``offset`` (:func:`wgan_toys.optimal.compare_to_potential`)."""

    figure: Figure
    fit: dict


@styled
def figure_2(discriminator, critic, real: Gaussian1D = FIGURE_2_REAL, fake: Gaussian1D = FIGURE_2_FAKE) -> Figure2:
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
    Figure2
        ``(figure, fit)``: the matplotlib Figure and the fitted scale and offset
        (:func:`wgan_toys.optimal.compare_to_potential`), for the lesson to quote.
    """
    from ..measure import discriminator_gradients, network_gradients, network_values
    from ..optimal import compare_to_potential
    from ..transport import OptimalCritic1D

    x = np.linspace(min(real.mean, fake.mean) - 3.0, max(real.mean, fake.mean) + 3.0, 801)
    from scipy.special import expit  # the logistic sigmoid, stable for any logit

    probability = expit(network_values(discriminator.network, x))
    discriminator_gradient = discriminator_gradients(discriminator.network, x)
    fit = compare_to_potential(lambda points: network_values(critic.network, points), real, fake)
    critic_rescaled = (network_values(critic.network, x) - fit["offset"]) / fit["k_fit"]
    critic_gradient = network_gradients(critic.network, x) / fit["k_fit"]

    fig, axes = plt.subplots(3, 1, figsize=(7.5, 9), sharex=True, constrained_layout=True)
    density_ax, critic_ax, gradient_ax = axes
    _draw_discriminator_panel(density_ax, x, probability, real, fake)
    critic_ax.plot(
        x,
        critic_rescaled,
        color=COLORS["em"],
        lw=2.5,
        label=rf"WGAN critic $(f_w - b)/K$, {critic.constraint}; fitted effective slope K = {fit['k_fit']:.2e}",
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
    return Figure2(fig, fit)


def _draw_discriminator_panel(ax, x: np.ndarray, probability: np.ndarray, real: Gaussian1D, fake: Gaussian1D) -> None:
    """Figure 2(a): the two densities, the trained discriminator's D(x) and the optimal D*."""
    from ..optimal import optimal_discriminator

    ax.fill_between(x, real.pdf(x), color=COLORS["real"], alpha=0.35, label=r"density of $\mathbb{P}_r$ (real)")
    ax.fill_between(x, fake.pdf(x), color=COLORS["fake"], alpha=0.35, label=r"density of $\mathbb{P}_g$ (fake)")
    ax.plot(x, probability, color=COLORS["js"], lw=2.5, label="trained GAN discriminator $D(x)$")
    ax.plot(
        x,
        optimal_discriminator(real, fake)(x),
        color="black",
        ls="--",
        lw=1.2,
        label=r"optimal $D^* = p_r / (p_r + p_g)$",
    )
    ax.set_ylim(-0.05, 1.5)
    ax.set_title("(a) the GAN discriminator saturates", fontsize=10)
    ax.legend(fontsize=8, loc="upper center", ncol=2)  # above D's ceiling of 1: covers no curve


def _label_log_ticks(axis, values) -> None:
    """Major ticks at ``values`` with plain labels (0.005, 0.01, ...), no minor labels."""
    axis.set_ticks(list(values), [f"{value:g}" for value in values])
    axis.set_minor_formatter(plt.NullFormatter())


@styled
def plot_k_against_clip_value(experiment: dict, ax=None):
    """Effective slope (E_r f - E_g f) / W against the clipping constant c, log-log, from
    :func:`wgan_toys.experiments.clip_value_experiment`: every critic as a point, the range over critics
    as an error bar, the fitted power law, the largest |f'| measured on the mass region, and the
    family's bound prod_l c sqrt(n_{l-1} n_l)."""
    ax = new_axes(ax)
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


@styled
def plot_effective_slope_against_w(experiment: dict, ax=None):
    """Effective slope of clipped critics against W for shifts and changes of scale, every critic
    a point (from :func:`wgan_toys.experiments.effective_slope_experiment`); the median of the shift
    pairs joined by a line."""
    ax = new_axes(ax)
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


@styled
def plot_weight_histogram(
    critic, ax=None, clip_value: float | None = None, label: str = "", color=None, bins: int = 60
):
    """Histogram of all weights of a critic; with ``clip_value``, the walls at +-c are marked
    (clipped weights pile up there, WGAN-GP's Figure 1, right)."""
    ax = new_axes(ax)
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


@styled
def plot_layer_gradient_norms(norms_by_label: dict, ax=None):
    """Gradient norm of the critic loss per layer (log scale), one line per method
    (WGAN-GP's Figure 1, left)."""
    ax = new_axes(ax)
    palette = [COLORS["em"], COLORS["tv"], COLORS["samples"], COLORS["kl"], COLORS["js"]]
    for (label, norms), color in zip(norms_by_label.items(), palette):
        ax.semilogy(np.arange(1, len(norms) + 1), norms, "o-", color=color, lw=2, label=label)
    ax.set_xlabel("layer (input first)")
    ax.set_ylabel(r"$\|\partial\,\mathrm{loss} / \partial h_{l-1}\|$ (mean per sample)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return ax


@styled
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
    from ..optimal import gradient_penalty_optimum

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


@styled
def plot_penalty_slope(real: Gaussian1D, fake: Gaussian1D, penalty_weight: float, critics: dict, ax=None):
    """The slope f' of trained gradient-penalty critics against the exact optimum's
    sign(D) (1 + |D| / (2 lambda rho)) and the scaled optimal critic's constant 1 + W/(2 lambda)
    (times sign D), over the region holding 99.9% of both laws.

    ``critics`` maps a label to a trained network (1D input).
    """
    from ..measure import network_gradients
    from ..optimal import gradient_penalty_optimum, mass_region

    ax = new_axes(ax)
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


@styled
def plot_gradient_norm_audit(audit: dict, ax=None, title: str = ""):
    """Box plots of ||grad f|| on real, fake, interpolated and off-support points
    (from :func:`wgan_toys.measure.gradient_norm_audit`), with the optimal value 1 marked."""
    ax = new_axes(ax)
    groups = list(audit)
    ax.boxplot([audit[group] for group in groups], showfliers=False)
    ax.set_xticks(range(1, len(groups) + 1), [group.replace("_", "-") for group in groups])
    ax.axhline(1.0, color="black", ls="--", lw=1.2, label=r"optimal critic: $\|\nabla f^*\| = 1$")
    ax.set_ylabel(r"$\|\nabla_x f(x)\|$")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax
