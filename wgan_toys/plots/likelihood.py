r"""Section 1's pictures: Example 1 blurred by noise, what the noise buys and costs, the likelihood as
sigma shrinks, and the two topologies of Theorem 2 and Appendix A (lesson 00).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Section 1, Example 1, Theorem 2, Appendix A.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..distances import LOG_2, all_distances
from ..distributions import NoisyParallelLines, ParallelLines
from ..runtime import numpy_generator
from ._style import COLORS, new_axes, styled

__all__ = [
    "figure_noisy_lines",
    "plot_noisy_distances",
    "plot_distance_slopes",
    "plot_likelihood_profile",
    "plot_sequence_distances",
]

_NAMES = {"tv": r"TV $\delta$", "kl": r"$KL$ (both ways)", "js": r"$JS$", "em": r"$W_1$"}


@styled
def figure_noisy_lines(theta: float = 0.5, noise_stds=(0.0, 0.03, 0.1, 0.3), n_samples: int = 300, seed=0):
    """Samples of P_0 and P_theta with no noise and with each sigma of ``noise_stds`` (Section 1's blur).

    One panel per sigma; sigma = 0 draws :class:`~wgan_toys.distributions.ParallelLines`, the others
    :class:`~wgan_toys.distributions.NoisyParallelLines`, all through their public samplers from one
    generator seeded by ``seed``.

    Returns
    -------
    matplotlib Figure
    """
    rng = numpy_generator(seed)
    figure, axes = plt.subplots(1, len(noise_stds), figsize=(2.6 * len(noise_stds), 2.9), sharex=True, sharey=True)
    for ax, sigma in zip(np.atleast_1d(axes), noise_stds):
        for offset, role in ((0.0, "real"), (theta, "fake")):
            law = ParallelLines(offset) if sigma == 0 else NoisyParallelLines(offset, sigma)
            points = law.sample(n_samples, seed=rng)
            label = r"$\mathbb{P}_0$" if role == "real" else rf"$\mathbb{{P}}_\theta$, $\theta = {theta:g}$"
            ax.scatter(points[:, 0], points[:, 1], s=4, alpha=0.5, color=COLORS[role], label=label)
        ax.set_title(r"no noise" if sigma == 0 else rf"$\sigma = {sigma:g}$")
        ax.set_xlabel("$x$")
        ax.set_aspect("equal")
    np.atleast_1d(axes)[0].set_ylabel("$y$")
    np.atleast_1d(axes)[0].legend(loc="lower left", markerscale=3, fontsize=7)
    figure.tight_layout()
    return figure


@styled
def plot_noisy_distances(noise_std: float = 0.1, thetas=None, ax=None):
    """TV, JS, W1 (left axis) and KL (right axis) between P_0 and P_theta, both blurred by ``noise_std``.

    The noiseless values (TV = 1, JS = log 2, KL = inf for theta != 0) are the dotted levels: the
    noise turns Example 1's jumps into smooth curves, which saturate once |theta| >> sigma.

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax)
    thetas = np.linspace(-1.0, 1.0, 401) if thetas is None else np.asarray(thetas, dtype=float)
    target = NoisyParallelLines(0.0, noise_std)
    rows = [all_distances(target, NoisyParallelLines(t, noise_std)) for t in thetas]
    for name in ("tv", "js", "em"):
        ax.plot(thetas, [row[name] for row in rows], color=COLORS[name], label=_NAMES[name])
    for level, name in ((1.0, "tv"), (LOG_2, "js")):
        ax.axhline(level, color=COLORS[name], lw=0.8, ls=":")
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel(r"$\rho(\mathbb{P}_0, \mathbb{P}_\theta)$, noise $\sigma = " + f"{noise_std:g}$")
    ax.set_ylim(-0.05, 1.1)
    right = ax.twinx()
    right.plot(thetas, [row["kl"] for row in rows], color=COLORS["kl"], ls="--", label=_NAMES["kl"] + " (right axis)")
    right.set_ylabel(r"$KL = \theta^2 / 2\sigma^2$", color=COLORS["kl"])
    lines = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper center", fontsize=7.5)
    return ax


@styled
def plot_distance_slopes(noise_stds, slopes: dict, theta: float, ax=None):
    """|d rho / d theta| at ``theta`` against the noise sigma, log-log (``slopes`` from
    :func:`wgan_toys.likelihood.distance_slopes`). A slope of exactly 0 in float64 is not drawn; the
    legend counts them.

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax)
    noise_stds = np.asarray(noise_stds, dtype=float)
    for name in ("kl", "tv", "js", "em"):
        values = np.abs(np.asarray(slopes[name], dtype=float))
        shown = values > 0
        hidden = "" if shown.all() else f" (0 in float64 at {int((~shown).sum())} smallest $\\sigma$)"
        ax.loglog(noise_stds[shown], values[shown], "o-", ms=3, color=COLORS[name], label=_NAMES[name] + hidden)
    ax.set_xlabel(r"noise $\sigma$")
    ax.set_ylabel(rf"$|d\rho/d\theta|$ at $\theta = {theta:g}$")
    ax.legend(fontsize=7.5)
    return ax


@styled
def plot_likelihood_profile(noise_stds, profiles: dict, ax=None):
    """Average log-likelihood against sigma (log axis), one curve per data set in ``profiles``
    (label -> values from :func:`wgan_toys.likelihood.likelihood_profile`).

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax)
    noise_stds = np.asarray(noise_stds, dtype=float)
    curves = {label: np.asarray(values, dtype=float) for label, values in profiles.items()}
    # the view: from the lowest value at the widest sigma to the highest value anywhere; a curve that plunges
    # below it (data with noise, fitted with a far smaller sigma) says so in its label instead of flattening the rest
    bottom = min(values[np.argmax(noise_stds)] for values in curves.values())
    top = max(np.max(values) for values in curves.values())
    margin = 0.05 * (top - bottom)
    for (label, values), color in zip(curves.items(), (COLORS["real"], COLORS["fake"], COLORS["samples"])):
        below = noise_stds[values < bottom - margin]
        if below.size:
            label += rf" (below the axis for $\sigma \leq {below.max():.2g}$)"
        ax.semilogx(noise_stds, values, "o-", ms=3, color=color, label=label)
    ax.set_ylim(bottom - margin, top + margin)
    ax.set_xlabel(r"noise $\sigma$ of the model $\mathbb{P}_{\hat\theta, \sigma}$")
    ax.set_ylabel(r"$\frac{1}{m}\sum_i \log p_{\hat\theta,\sigma}(x^{(i)})$")
    ax.legend(fontsize=7.5)
    return ax


@styled
def plot_sequence_distances(steps, sequences: dict, ax=None):
    """W1 (solid) and TV (dashed) along sequences of laws: ``sequences`` maps a label to the dict of
    :func:`wgan_toys.likelihood.sequence_distances`; ``steps`` is the index n of each law.

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax)
    for (label, values), color in zip(sequences.items(), (COLORS["real"], COLORS["fake"], COLORS["samples"])):
        ax.loglog(steps, values["em"], "o-", ms=3, color=color, label=f"$W_1$, {label}")
        tv = np.asarray(values["tv"], dtype=float)
        shown = tv > 0
        ax.loglog(np.asarray(steps)[shown], tv[shown], "s--", ms=3, color=color, label=rf"TV $\delta$, {label}")
    ax.set_xlabel("$n$")
    ax.set_ylabel(r"distance to the limit $\mathbb{P}_0$")
    ax.legend(fontsize=7)
    return ax
