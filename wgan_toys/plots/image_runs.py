r"""Section 4 on images: an image run read from its folder (the loss, sliced W1 to held-out images,
the two against each other) and Figures 5-7 across generators, algorithms and seeds (lesson 07,
``wgan-toys train-images`` and ``wgan-toys section4``).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Section 4, Figures 3-7.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..distances import LOG_2
from ..empirical import median_filter
from ._style import COLORS, styled

__all__ = [
    "plot_image_run",
    "figure_section4",
]


@styled
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

    from ..images.trainer import read_metrics

    records = read_metrics(run) if isinstance(run, (str, pathlib.Path)) else list(run)
    if not records:
        raise ValueError("the run has no metrics yet; train at least log_every generator steps.")
    fig, axes = plt.subplots(
        1, 3, figsize=(16, 4.9), constrained_layout=True, gridspec_kw={"width_ratios": (1, 1, 1.1)}
    )
    _draw_logged_loss(axes[0], records, window)
    evaluated = [r for r in records if "sliced_w" in r]
    if floor is None and evaluated and "sliced_w_real" in evaluated[-1]:
        floor = evaluated[-1]["sliced_w_real"]
    _draw_sliced_w(axes[1], evaluated, floor)
    _draw_loss_against_sliced_w(axes[2], records, evaluated, floor, correlation_window)
    if save is not None:
        fig.savefig(save, dpi=110)
        plt.close(fig)
    return fig


def _draw_logged_loss(ax, records: list[dict], window: int) -> None:
    """The loss as logged (points) and its median over ``window`` logged values, full windows only."""
    steps = np.array([r["generator_step"] for r in records])
    key, label, color = ("wasserstein_estimate", r"critic's estimate $E_r f_w - E_g f_w$", COLORS["em"])
    if key not in records[0]:
        key, label, color = ("js_estimate", r"JS estimate $\log 2 + L(D)/2$", COLORS["js"])
    values = np.array([r[key] for r in records], dtype=float)
    ax.plot(steps, values, "o", ms=2.5, color=color, alpha=0.45, label="logged")
    filtered = median_filter(values, window) if window % 2 else median_filter(values, window, align="trailing")
    ax.plot(steps, filtered, color=color, lw=2, label=f"median of {window} (full windows only)")
    if key == "js_estimate":
        ax.axhline(LOG_2, color="black", ls=":", lw=1, label=r"$\log 2$ (JS's maximum)")
    ax.set_xlabel("generator steps")
    ax.set_ylabel(label)
    ax.set_title("the loss (Figures 3-4), as logged", fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)  # below: covers no data
    ax.grid(alpha=0.3)


def _draw_sliced_w(ax, evaluated: list[dict], floor: float | None) -> None:
    """Sliced W1 at each evaluation, the real-vs-real floor, and the digit classes written at each point."""
    if evaluated:
        eval_steps = [r["generator_step"] for r in evaluated]
        sliced_w = [r["sliced_w"] for r in evaluated]
        ax.plot(eval_steps, sliced_w, "o-", color="black", lw=2, ms=4, label="generated vs held-out real")
        if floor is not None:
            ax.axhline(floor, color="black", ls=":", lw=1.2, label=f"real vs held-out real (floor) {floor:.3f}")
        if "classes_covered" in evaluated[0]:
            for step, value, record in zip(eval_steps, sliced_w, evaluated):
                ax.annotate(
                    str(record["classes_covered"]),
                    (step, value),
                    textcoords="offset points",
                    xytext=(0, 6),
                    ha="center",
                    fontsize=8,
                    color=COLORS["samples"],
                )
            ax.plot([], [], ls="none", marker="$9$", color=COLORS["samples"], label="digit classes produced (of 10)")
        ax.set_ylim(0, max(sliced_w) * 1.15)
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    ax.set_xlabel("generator steps")
    ax.set_ylabel("sliced $W_1$ (lower is better)")
    ax.set_title("sample quality, measured offline", fontsize=10)
    ax.grid(alpha=0.3)


def _draw_loss_against_sliced_w(ax, records, evaluated, floor: float | None, correlation_window: int) -> None:
    """The loss (trailing median) against sliced W1, one point per evaluation, titled with Spearman's
    correlation of the levels and of the first differences."""
    from ..empirical import rank_correlations
    from ..images.section4 import loss_at_evaluations

    loss_steps, losses, sliced = loss_at_evaluations(records, correlation_window) if evaluated else (np.array([]),) * 3
    if len(losses):
        ax.plot(sliced, losses, color="0.75", lw=0.8, zorder=1)  # the path, in step order
        points = ax.scatter(sliced, losses, c=loss_steps, cmap="viridis", s=36, zorder=3)
        plt.colorbar(points, ax=ax, label="generator step", shrink=0.9)
        if floor is not None:
            ax.axvline(floor, color="black", ls=":", lw=1.2, label="floor")
            ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14))
        ax.set_xlim(left=0)
        result = rank_correlations(losses, sliced)

        def shown(value):
            return "undefined" if value is None else f"{value:+.2f}"

        ax.set_title(
            f"Spearman over {result['points']} evaluations: levels {shown(result['spearman'])}, "
            f"first differences {shown(result['spearman_of_differences'])}",
            fontsize=10,
        )
    ax.set_xlabel("sliced $W_1$ to held-out real images")
    ax.set_ylabel(f"loss, median of the last {correlation_window} logged")
    ax.grid(alpha=0.3)


def _color_of(algorithm: str) -> str:
    return COLORS["em"] if algorithm == "wgan" else COLORS["js"]


@styled
def figure_section4(table: dict, folder, save=None):
    """Figures 5-7 on digits. One row per generator: the final samples of WGAN and of the GAN
    (the first seed's), and the sliced W1 of both over training (every seed; the first drawn
    bold) with the real-vs-real floor. A last row compares *runs*: each run's final loss against
    its final sliced W1, WGAN's critic estimate (one DCGAN critic and one c for every run, so one
    scale) on the left, the GAN's JS estimate in the middle, titled with Spearman's correlation
    across runs (:func:`~wgan_toys.images.section4.across_runs`); on the right, each run's own
    correlation of the levels against that of the first differences."""
    import pathlib

    from ..images.section4 import across_runs

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
        _draw_generator_row(axes[line], rows, generator, folder, floor, seeds)
    agreement = across_runs(rows)
    bottom = axes[len(generators)]
    _draw_within_runs(bottom[2], rows, generators, markers)
    for ax, algorithm, label in (
        (bottom[0], "wgan", r"final critic estimate $E_r f_w - E_g f_w$"),
        (bottom[1], "gan", r"final JS estimate $\log 2 + L(D)/2$"),
    ):
        _draw_across_runs(ax, rows, algorithm, label, generators, markers, floor, agreement.get(algorithm, {}))
    if save is not None:
        fig.savefig(save, dpi=100)
        plt.close(fig)
    return fig


def _draw_generator_row(row_axes, rows: list[dict], generator: str, folder, floor: float, seeds: list) -> None:
    """One generator's row of :func:`figure_section4`: WGAN's and the GAN's final samples (first
    seed), and the sliced W1 of every run over training against the floor."""
    curve_ax = row_axes[2]
    for column, algorithm in enumerate(("wgan", "gan")):
        ax = row_axes[column]
        ax.axis("off")
        runs = [r for r in rows if r["generator"] == generator and r["algorithm"] == algorithm]
        if not runs:
            continue
        _draw_final_samples(ax, runs[0], generator, algorithm, folder)
        for index, run in enumerate(runs):
            _draw_sliced_w_curve(
                curve_ax, folder / run.get("folder", f"{generator}-{algorithm}"), algorithm, index == 0
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


def _draw_final_samples(ax, row: dict, generator: str, algorithm: str, folder) -> None:
    """A run's final samples, titled with its figure, seed, sliced W1, classes and diversity."""
    ax.imshow(plt.imread(folder / row["samples"]), cmap="gray", vmin=0.0, vmax=1.0)
    classes = f", digit classes: {row['classes_covered']}/10" if "classes_covered" in row else ""
    classes += f"\ndiversity {row['diversity']:.2f} (real digits: 1)" if "diversity" in row else ""
    ax.set_title(
        f"{algorithm.upper()}, {generator} generator ({row['figure']}), seed {row.get('seed', 0)}\n"
        f"sliced $W_1$ {row['sliced_w']:.3f}{classes}",
        fontsize=9,
    )


def _draw_sliced_w_curve(ax, run_folder, algorithm: str, bold: bool) -> None:
    """One run's sliced W1 at each evaluation, read from its metrics (the first seed's ``bold``)."""
    from ..images.trainer import read_metrics

    evaluated = [r for r in read_metrics(run_folder) if "sliced_w" in r]
    ax.plot(
        [r["generator_step"] for r in evaluated],
        [r["sliced_w"] for r in evaluated],
        "o-" if bold else "-",
        ms=3,
        lw=1.8 if bold else 0.9,
        alpha=1.0 if bold else 0.6,
        color=_color_of(algorithm),
    )


def _draw_within_runs(ax, rows: list[dict], generators: list[str], markers: dict) -> None:
    """Within each run: its Spearman correlation of the levels against that of the first differences."""
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
            ax.scatter(
                [r["spearman_loss_vs_sliced_w"] for r in runs],
                [r["spearman_differences"] for r in runs],
                marker=markers[generator],
                s=40,
                color=_color_of(algorithm),
                label=f"{algorithm.upper()}, {generator}",
            )
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(-1.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("within a run: Spearman(loss, sliced $W_1$), levels")
    ax.set_ylabel("first differences")
    ax.set_title("each run's correlation, with and without the shared trend", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    ax.grid(alpha=0.3)


def _draw_across_runs(
    ax, rows, algorithm: str, label: str, generators, markers: dict, floor: float, agreement: dict
) -> None:
    """Across one algorithm's finished runs: final loss against final sliced W1, titled with Spearman's
    correlation across them (``agreement``: :func:`~wgan_toys.images.section4.across_runs`'s entry)."""
    chosen = [r for r in rows if r["algorithm"] == algorithm and r.get("status", "trained") == "trained"]
    for generator in generators:
        runs = [r for r in chosen if r["generator"] == generator]
        ax.scatter(
            [r["sliced_w"] for r in runs],
            [r["final_loss"] for r in runs],
            marker=markers[generator],
            s=40,
            color=_color_of(algorithm),
            label=generator,
        )
    ax.axvline(floor, color="black", ls=":", lw=1.2)
    value = agreement.get("spearman")
    ax.set_title(
        f"{algorithm.upper()} runs: Spearman across {agreement.get('runs', 0)} runs "
        f"{'undefined' if value is None else f'{value:+.2f}'}",
        fontsize=9,
    )
    ax.set_xlabel("final sliced $W_1$ to held-out digits")
    ax.set_ylabel(label, fontsize=9)
    ax.set_xlim(left=0)
    ax.legend(fontsize=8, loc="best", title="generator", title_fontsize=8)
    ax.grid(alpha=0.3)
