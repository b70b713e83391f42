r"""Section 4 on 2D toys: a :class:`~wgan_toys.toy_gan.ToyGAN` run drawn from its trainer: the
critic's field with the generator's arrows and the exact plan, the logged estimate against the
exact W1 and its sample floor, samples over the iterations (lesson 06, ``wgan-toys toy``).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Section 4, Figures 3-4.
"""

from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..empirical import median_filter
from ._style import COLORS, new_axes, styled

__all__ = [
    "plot_critic_field",
    "plot_estimate_against_exact",
    "plot_estimate_scatter",
    "ToyRunFigure",
    "figure_toy_run",
    "save_samples_animation",
    "figure_samples_over_iterations",
]


@styled
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
    ax = new_axes(ax)
    real = trainer.dataset.sample(plan_points, seed=trainer.config.seed + 3)
    fake = trainer.generated()[:plan_points]
    _draw_critic_contours(ax, trainer, np.concatenate([real, fake]), grid_size)
    plan = _draw_transport_plan(ax, fake, real)
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
        else (r"$-\nabla_x \log(1 - D)$" if trainer.generator_loss == "gan-minimax" else r"$\nabla_x \log D$")
    )
    ax.set_title(
        f"{trainer.config.algorithm}, step {trainer.generator_step}: exact plan cost {plan.cost:.3f}\n"
        f"arrows {what}, largest here {largest:.1e} (key: the run's largest, {arrow_scale:.1e})",
        fontsize=10,
    )
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="upper right")
    return ax


def _draw_critic_contours(ax, trainer, points: np.ndarray, grid_size: int) -> None:
    """The critic's values (or the discriminator's D) as filled contours over the box around
    ``points`` (0.5 beyond them), on a ``grid_size`` x ``grid_size`` grid, with a colour bar."""
    low, high = points.min(0) - 0.5, points.max(0) + 0.5
    xs, ys = np.meshgrid(np.linspace(low[0], high[0], grid_size), np.linspace(low[1], high[1], grid_size))
    values = trainer.critic_values(np.stack([xs.ravel(), ys.ravel()], 1)).reshape(xs.shape)
    if not trainer.is_wgan:
        from scipy.special import expit  # the logistic sigmoid, stable for any logit

        values = expit(values)
    contours = ax.contourf(xs, ys, values, levels=20, cmap="cividis", alpha=0.55)
    plt.colorbar(contours, ax=ax, label=r"critic $f_w$" if trainer.is_wgan else r"discriminator $D$", shrink=0.8)


def _draw_transport_plan(ax, fake: np.ndarray, real: np.ndarray):
    """The exact transport plan from ``fake`` to ``real`` as faint segments; returns the plan."""
    from matplotlib.collections import LineCollection

    from ..transport import exact_transport

    plan = exact_transport(fake, real)
    rows, cols = np.nonzero(plan.plan > 1e-12)
    # one collection for all segments: a Line2D per segment is built and drawn one by one
    ax.add_collection(
        LineCollection(
            np.stack([fake[rows], real[cols]], axis=1),  # type: ignore[arg-type]  # stubs: a Sequence; (n, 2, 2) arrays work
            colors=COLORS["plan"],
            linewidths=0.6,
            alpha=0.6,
            zorder=1,
        )
    )
    return plan


def _estimates(history):
    """The logged estimates of ``history`` (rows of a toy run, read by
    :func:`~wgan_toys.toy_gan.logged_estimate`), with their label and colour."""
    from ..toy_gan import logged_estimate

    keys, values = zip(*(logged_estimate(row) for row in history))
    estimate = np.array(values, dtype=float)
    if keys[0] == "wasserstein_estimate":
        return keys[0], estimate, "critic estimate $E_r f - E_g f$", COLORS["em"]
    return keys[0], estimate, r"GAN's JS estimate $L/2 + \log 2$ (nats)", COLORS["js"]


def _floor_label(floor) -> str:
    return f"sample floor: $W_1$ between two real samples, n = {floor['n']} ({floor['repeats']} draws)"


@styled
def plot_estimate_against_exact(history, ax=None, window: int = 5, floor: dict | None = None):
    """The logged estimate and the exact W1 against generator steps, on ONE axis.

    Raw logged points for both; the estimate's running median over ``window`` evaluations (as
    Figure 3 filters its curves) drawn only where the window is full; and, when given, the sample
    floor of :func:`~wgan_toys.toys2d.sample_floor` as a band (min to max over its draws) with a
    line at its mean. Two separately scaled axes would make any two falling curves look alike;
    one axis shows whether the estimate is the distance, a multiple of it, or neither.
    """
    ax = new_axes(ax)
    steps = np.array([row["generator_step"] for row in history])
    key, estimate, label, color = _estimates(history)
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
    ax.set_ylabel("same units: distance" if key == "wasserstein_estimate" else "exact $W_1$ and JS estimate")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)  # below the axes: it covers no data
    ax.grid(alpha=0.3)
    return ax


@styled
def plot_estimate_scatter(history, ax=None, floor: dict | None = None):
    """The logged estimate against the exact W1, one point per evaluation, coloured by generator step.

    The question of Figures 3-4 as a picture: if the loss tracks the distance, the points line up
    on an increasing curve; if not, they scatter. The first point (step 0, untrained critic) is
    ringed. The sample floor, when given, is a vertical band: exact W1 left of it is noise.
    """
    ax = new_axes(ax)
    key, estimate, label, _ = _estimates(history)
    steps = np.array([row["generator_step"] for row in history])
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


class ToyRunFigure(NamedTuple):
    """What :func:`figure_toy_run` returns: the ``figure`` and the sample ``floor`` it drew, the
    :func:`~wgan_toys.toys2d.sample_floor` band (``low``, ``mean``, ``high``, ...)."""

    figure: Figure
    floor: dict


@styled
def figure_toy_run(trainer, floor: dict | None = None) -> ToyRunFigure:
    """A toy run at a glance: the critic field with arrows and the plan; the estimate and the exact
    W1 on one axis over steps, with the sample floor; the estimate against the exact W1.

    ``floor`` defaults to :func:`~wgan_toys.toys2d.sample_floor` at the run's ``eval_samples``.
    Returns ``(figure, floor)``.
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
    return ToyRunFigure(fig, floor)


_FLOORS: dict = {}


def _cached_floor(dataset, n: int) -> dict:
    """sample_floor(dataset, n, repeats=4) once per (law, n) per session: an exact transport's cost grows
    quickly with n (``benchmarks/bench_emd.py`` times it against n)."""
    from ..toys2d import sample_floor

    key = (dataset, n)
    if key not in _FLOORS:
        _FLOORS[key] = sample_floor(dataset, n, repeats=4)
    return _FLOORS[key]


@styled
def save_samples_animation(trainer, path: str, fps: int = 4):
    """An animated GIF of the fixed-noise samples at each evaluation, over the real data."""
    from matplotlib.animation import FuncAnimation, PillowWriter

    real = trainer.dataset.sample(1000, seed=trainer.config.seed + 4)
    floor = _cached_floor(trainer.dataset, trainer.config.eval_samples)
    fig, ax = plt.subplots(figsize=(5, 5))
    everything = np.concatenate([real] + [points for _, points in trainer.snapshots])
    low, high = np.quantile(everything, 0.005, axis=0) - 0.3, np.quantile(everything, 0.995, axis=0) + 0.3
    ax.scatter(real[:, 0], real[:, 1], s=4, color=COLORS["real"], alpha=0.4, label="real")
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


@styled
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
