r"""Section 4 on digits, on a CPU: the three generators of Section 4.3 x {WGAN, GAN}.

The paper trains a DCGAN generator (Figure 5), a DCGAN generator without batch norm and with a
constant number of filters (Figure 6) and a 4-layer ReLU MLP with 512 units (Figure 7), each with
WGAN and with the standard GAN (-log D), always against a DCGAN critic / discriminator, on LSUN
bedrooms. Its claims: WGAN trains all three, the GAN fails without batch norm and collapses with
the MLP (Section 4.3), and the WGAN loss tracks sample quality while the GAN's does not
(Section 4.2, Figures 3 and 4).

:func:`run_section4` runs the six combinations on scikit-learn's digits and returns one row per
run: the sliced W1 to held-out digits at the first and last evaluations, the diversity of the
samples (mean pairwise distance over that of real digits: near 0 is mode collapse), the digit
classes produced and the KL divergence of the class histogram from uniform, and three Spearman
correlations over training between the loss (median-filtered) and the sliced W1: of the levels,
of their first differences (:func:`~wgan_toys.empirical.rank_correlations`), and of their
residuals around fitted trends (:func:`~wgan_toys.trend.residual_spearman`). Within one run
any two series that both fall have a high level correlation, so that number alone shows "both
fell"; the differenced one removes only a linear trend (two independent series that share a
decay have positively correlated differences); the residual one asks whether they move together
around their trends, at a false-positive rate measured on such a null.
:func:`across_runs` asks the paper's other question, "losses can be subjected to comparison"
(Figure 3's caption: the same DCGAN critic for every generator): does the final estimate rank
*separate runs* as their final sliced W1 does? With ``seeds`` the six runs repeat for each seed.
``wgan-toys section4`` prints the table; lesson 07 shows it with the samples.
"""

from __future__ import annotations

import pathlib

import numpy as np

from ..empirical import median_filter, rank_correlations
from ..trend import residual_spearman
from . import GENERATOR_ARCHITECTURES

__all__ = [
    "SECTION4_RUNS",
    "run_section4",
    "section4_config",
    "summarize_run",
    "loss_at_evaluations",
    "across_runs",
    "format_table",
    "real_reference",
]

SECTION4_RUNS = tuple((generator, algorithm) for generator in GENERATOR_ARCHITECTURES for algorithm in ("wgan", "gan"))
FIGURES = {"dcgan": "Figure 5", "dcgan-nobn": "Figure 6", "mlp": "Figure 7"}


def loss_at_evaluations(records: list[dict], window: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The logged loss at each evaluation step, as the trailing median of the ``window`` values
    logged up to and including that step, beside the sliced W1 measured there.

    Trailing, so that each value uses only what was logged by its step; with ``window`` equal to
    ``eval_every / log_every`` (5 in the lesson and in :func:`run_section4`), two evaluations share
    no logged value, so the filter itself does not correlate their differences. Evaluations with
    fewer than ``window`` values logged before them are dropped.

    Returns
    -------
    steps, losses, sliced_w : numpy.ndarray, each shape (k,)
    """
    key = "wasserstein_estimate" if "wasserstein_estimate" in records[0] else "js_estimate"
    filtered = median_filter([r[key] for r in records], window, align="trailing")
    kept = [
        (r["generator_step"], value, r["sliced_w"])
        for r, value in zip(records, filtered)
        if "sliced_w" in r and np.isfinite(value)
    ]
    steps, losses, sliced = (np.array(column, dtype=float) for column in zip(*kept)) if kept else (np.array([]),) * 3
    return steps, losses, sliced


def summarize_run(records: list[dict], window: int = 5) -> dict:
    """Final quality numbers and the loss / quality rank correlations of one run's metrics.

    ``final_loss`` is the median of the last ``window`` logged values of the loss (the critic's
    estimate for WGAN, the JS estimate for the GAN); ``spearman_loss_vs_sliced_w`` and
    ``spearman_differences`` are :func:`~wgan_toys.empirical.rank_correlations` of the loss at
    each evaluation (:func:`loss_at_evaluations`) against the sliced W1 there, over
    ``evaluations`` points (None where undefined); ``residual_spearman`` is the trend-robust
    :func:`~wgan_toys.trend.residual_spearman` of the same two series (first differences remove
    only a linear trend).
    """
    key = "wasserstein_estimate" if "wasserstein_estimate" in records[0] else "js_estimate"
    evaluated = [r for r in records if "sliced_w" in r]
    final = evaluated[-1]
    logged = [r[key] for r in records if r["generator_step"] <= final["generator_step"]]
    row = {
        "loss": key,
        "final_loss": round(float(np.median(logged[-window:])), 5),
        "sliced_w": round(final["sliced_w"], 5),
        "generator_step": final["generator_step"],
        "wall_seconds": round(records[-1]["wall_seconds"], 1),
    }
    row["first_sliced_w"] = round(evaluated[0]["sliced_w"], 5)
    for name in ("diversity", "classes_covered", "class_kl", "confident_fraction"):
        if name in final:
            row[name] = final[name]
    steps, losses, sliced = loss_at_evaluations(records, window)
    correlations = rank_correlations(losses, sliced)
    row["spearman_loss_vs_sliced_w"] = correlations["spearman"]
    row["spearman_differences"] = correlations["spearman_of_differences"]
    row["residual_spearman"] = residual_spearman(losses, sliced, steps)
    row["evaluations"] = correlations["points"]
    return row


def across_runs(rows: list[dict]) -> dict:
    """Does the final loss rank separate runs as their final sliced W1 does? For each algorithm,
    Spearman's correlation between ``final_loss`` and ``sliced_w`` over its finished runs.

    For WGAN every run has the same DCGAN critic and clip value, so the estimates share one scale
    ("losses can be subjected to comparison", Figure 3's caption); the GAN's JS estimates are
    compared the same way, for Figure 4's contrast. Returns
    ``{algorithm: {"spearman": r or None, "runs": n}}``.
    """
    result = {}
    for algorithm in dict.fromkeys(row["algorithm"] for row in rows):
        chosen = [row for row in rows if row["algorithm"] == algorithm and row.get("status", "trained") == "trained"]
        losses = np.array([row["final_loss"] for row in chosen], dtype=float)
        sliced = np.array([row["sliced_w"] for row in chosen], dtype=float)
        spearman = (
            rank_correlations(losses, sliced)["spearman"] if len(chosen) else None
        )  # levels only: runs have no order
        result[algorithm] = {"spearman": spearman, "runs": len(chosen)}
    return result


def real_reference(image_size: int = 16, samples: int = 300) -> float:
    """Sliced W1 between training digits and the held-out digits: the floor a perfect generator
    would reach with the same number of samples."""
    import torch

    from .data import load_images
    from .quality import sliced_wasserstein

    data = load_images("digits", image_size=image_size, held_out=300, verbose=False)
    if data.held_out is None:
        raise RuntimeError("load_images(..., held_out=300) returned no held-out images")
    return round(sliced_wasserstein(data.batch(torch.arange(samples)), data.held_out), 5)


def run_section4(
    out="runs/section4",
    generator_steps: int = 1000,
    image_size: int = 16,
    seed: int = 0,
    threads: int | None = None,
    smoke: bool = False,
    runs=SECTION4_RUNS,
    seeds=None,
) -> list[dict]:
    """Train the six runs (or ``runs``) for each of ``seeds`` (default ``(seed,)``) into
    ``out/<generator>-<algorithm>-seed<seed>`` and write ``out/table.json``; returns the rows.
    ``wgan-toys section4`` then draws ``out/section4.png`` (:func:`wgan_toys.plots.figure_section4`)
    and each run's ``curve.png``. A folder that already holds a run is resumed (a
    finished one is only read), so an interrupted call continues where it stopped; a run recorded
    with other settings (another image size, fewer steps than it reached, tiny ``smoke`` ones) is
    refused, naming each setting (its folder would otherwise be reported under the settings asked
    for). Each seed is given once."""
    from ..run_files import atomic_write_json
    from .trainer import ImageConfig, read_metrics

    out = pathlib.Path(out)
    seeds = (seed,) if seeds is None else tuple(seeds)
    if not seeds:
        raise ValueError("seeds == (), give at least one seed.")
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise ValueError(
            f"seeds == {seeds} repeats {', '.join(map(str, repeated))}; give each seed once (a repeated seed "
            "trains the same runs again and counts them twice across runs)."
        )
    rows: list[dict] = []
    total = len(seeds) * len(runs)
    for run_seed in seeds:
        for generator, algorithm in runs:
            folder = out / f"{generator}-{algorithm}-seed{run_seed}"
            print(
                f"wgan-toys section4: run {len(rows) + 1} of {total}: {algorithm} with the {generator} generator ({FIGURES[generator]}), seed {run_seed} -> {folder}",
                flush=True,
            )
            config = section4_config(generator, algorithm, run_seed, generator_steps, image_size, threads, smoke)
            row = {
                "generator": generator,
                "algorithm": algorithm,
                "figure": FIGURES[generator],
                "seed": run_seed,
                "status": _train_or_resume(config, folder),
                **summarize_run(read_metrics(folder), window=1 if smoke else 5),
            }
            row["folder"] = folder.name
            row["samples"] = str(sorted((folder / "samples").glob("step_*.png"))[-1].relative_to(out))
            rows.append(row)
    table = {
        "image_size": image_size,
        "generator_steps": ImageConfig.smoke().generator_steps if smoke else generator_steps,
        "seeds": list(seeds),
        "clip_parameters": ImageConfig().clip_parameters,
        "real_reference_sliced_w": real_reference(image_size, 100 if smoke else 300),
        "rows": rows,
        "across_runs": across_runs(rows),
    }
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "table.json", table)
    return rows


def section4_config(
    generator: str, algorithm: str, seed: int, generator_steps: int, image_size: int, threads, smoke: bool
):
    """The :class:`~wgan_toys.images.config.ImageConfig` of one run: ``generator`` against a DCGAN
    critic on digits, ``algorithm`` "wgan" or "gan" (the -log D GAN), on the CPU. A full run logs
    five times between two of its 20 evaluations (the trailing median of :func:`summarize_run`);
    a ``smoke`` one is :meth:`ImageConfig.smoke`, evaluated at every step (three points for its
    correlations)."""
    from .config import ImageConfig

    values = dict(
        algorithm={"gan": "gan-logd"}.get(algorithm, algorithm),  # the table keeps its label "gan"
        generator=generator,
        critic="dcgan",
        dataset="digits",
        image_size=image_size,
        channels=1,
        seed=seed,
        threads=threads,
        device="cpu",
    )
    if smoke:
        return ImageConfig.smoke(**values, eval_every=1)
    every = max(1, generator_steps // 20)
    return ImageConfig(
        **values,
        generator_steps=generator_steps,
        log_every=max(1, every // 5),
        eval_every=every,
        sample_every=every,
        checkpoint_every=every,
    )


def _train_or_resume(config, folder) -> str:
    """Train ``config`` into ``folder``, resuming the run there if it has a checkpoint (a finished
    one is only read); ``"trained"``, or ``"stopped: ..."`` when the trainer stopped it."""
    import dataclasses

    from ..run_files import CHECKPOINT, PREVIOUS_CHECKPOINT
    from .trainer import ImageTrainer, TrainingStopped

    try:
        if any((folder / name).exists() for name in (CHECKPOINT, PREVIOUS_CHECKPOINT)):
            # every setting compared with what the run recorded (only threads and device may change)
            trainer = ImageTrainer.resume(folder, settings=dataclasses.asdict(config), verbose=True)
        else:  # nothing to resume: a run cut short before its first checkpoint starts again
            trainer = ImageTrainer(config, folder, overwrite=True)
        trainer.train()
    except TrainingStopped as error:
        return f"stopped: {error}"
    return "trained"


def format_table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    lines = [
        "| generator | algorithm | seed | sliced W1 (first evaluation -> end) | diversity | classes | KL from uniform | "
        "read as digits | loss at end | Spearman(loss, sliced W): levels | first differences |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    names = {"wasserstein_estimate": "W estimate", "js_estimate": "JS estimate"}

    def number(value):
        return "-" if value is None else f"{value:+.2f}"

    for row in rows:
        kl = f"{row['class_kl']:.3f}" if "class_kl" in row else "-"
        confident = f"{row['confident_fraction']:.2f}" if "confident_fraction" in row else "-"
        start = f"{row['first_sliced_w']:.3f} -> " if "first_sliced_w" in row else ""
        spread = f"{row['diversity']:.2f}" if "diversity" in row else "-"
        lines.append(
            f"| {row['generator']} ({row['figure']}) | {row['algorithm']} | {row.get('seed', '-')} | {start}{row['sliced_w']:.4f} | "
            f"{spread} | {row.get('classes_covered', '-')} | {kl} | {confident} | {names[row['loss']]} {row['final_loss']:.4f} | "
            f"{number(row.get('spearman_loss_vs_sliced_w'))} | {number(row.get('spearman_differences'))} |"
        )
    return "\n".join(lines)
