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
classes produced and the KL divergence of the class histogram from uniform, and the Spearman correlation over
training between the loss (median-filtered as in Figure 3) and the sliced W1. A positive
correlation means "the loss falls when the samples get better". ``wgan-toys section4`` prints the
table; lesson 07 shows it with the samples.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

from ..empirical import median_filter
from . import GENERATOR_ARCHITECTURES

__all__ = ["SECTION4_RUNS", "run_section4", "summarize_run", "format_table", "real_reference"]

SECTION4_RUNS = tuple((generator, algorithm) for generator in GENERATOR_ARCHITECTURES for algorithm in ("wgan", "gan"))
FIGURES = {"dcgan": "Figure 5", "dcgan-nobn": "Figure 6", "mlp": "Figure 7"}



def summarize_run(records: list[dict], window: int = 11) -> dict:
    """Final quality numbers and the loss / quality rank correlation of one run's metrics."""
    from scipy.stats import spearmanr

    key = "wasserstein_estimate" if "wasserstein_estimate" in records[0] else "js_estimate"
    steps = np.array([r["generator_step"] for r in records])
    smoothed = dict(zip(steps.tolist(), median_filter([r[key] for r in records], window)))
    evaluated = [r for r in records if "sliced_w" in r]
    final = evaluated[-1]
    row = {"loss": key, "final_loss": round(float(smoothed[final["generator_step"]]), 5),
           "sliced_w": round(final["sliced_w"], 5), "generator_step": final["generator_step"],
           "wall_seconds": round(records[-1]["wall_seconds"], 1)}
    row["first_sliced_w"] = round(evaluated[0]["sliced_w"], 5)
    for name in ("diversity", "classes_covered", "class_kl", "confident_fraction"):
        if name in final:
            row[name] = final[name]
    if len(evaluated) >= 3:
        losses = [smoothed[r["generator_step"]] for r in evaluated]
        qualities = [r["sliced_w"] for r in evaluated]
        if len(set(losses)) < 2 or len(set(qualities)) < 2:
            row["spearman_loss_vs_sliced_w"] = None  # a constant series has no rank correlation
        else:
            row["spearman_loss_vs_sliced_w"] = round(float(spearmanr(losses, qualities).statistic), 3)
    return row


def real_reference(image_size: int = 16, samples: int = 300) -> float:
    """Sliced W1 between training digits and the held-out digits: the floor a perfect generator
    would reach with the same number of samples."""
    import torch

    from .data import load_images
    from .quality import sliced_wasserstein

    data = load_images("digits", image_size=image_size, held_out=300, verbose=False)
    return round(sliced_wasserstein(data.batch(torch.arange(samples)), data.held_out), 5)


def run_section4(out="runs/section4", generator_steps: int = 1000, image_size: int = 16, seed: int = 0,
                 threads: int | None = None, smoke: bool = False, runs=SECTION4_RUNS) -> list[dict]:
    """Train the six runs (or ``runs``) into ``out/<generator>-<algorithm>`` and write
    ``out/table.json`` and ``out/section4.png``; returns the rows."""
    from .trainer import ImageConfig, ImageTrainer, TrainingStopped, read_metrics

    out = pathlib.Path(out)
    rows = []
    every = max(1, generator_steps // 20)
    for generator, algorithm in runs:
        values = dict(algorithm=algorithm, generator=generator, critic="dcgan", dataset="digits", image_size=image_size,
                      channels=1, generator_steps=generator_steps, seed=seed, threads=threads, device="cpu",
                      log_every=max(1, every // 5), eval_every=every, sample_every=every, checkpoint_every=every)
        if smoke:
            values.update(filters=8, noise_dim=16, mlp_width=32, generator_steps=3, log_every=1, eval_every=1,
                          sample_every=3, checkpoint_every=3, eval_samples=64, held_out=100)
        folder = out / f"{generator}-{algorithm}"
        print(f"wgan-toys section4: {algorithm} with the {generator} generator ({FIGURES[generator]}) -> {folder}", flush=True)
        status = "trained"
        try:
            trainer = ImageTrainer.resume(folder, verbose=True) if (folder / "checkpoint.pt").exists() else ImageTrainer(ImageConfig(**values), folder)
            trainer.train()
        except TrainingStopped as error:
            status = f"stopped: {error}"
        row = {"generator": generator, "algorithm": algorithm, "figure": FIGURES[generator], "status": status,
               **summarize_run(read_metrics(folder))}
        row["samples"] = str(sorted((folder / "samples").glob("step_*.png"))[-1].relative_to(out))
        rows.append(row)
    table = {"image_size": image_size, "generator_steps": 3 if smoke else generator_steps, "seed": seed,
             "real_reference_sliced_w": real_reference(image_size, 100 if smoke else 300), "rows": rows}
    out.mkdir(parents=True, exist_ok=True)
    (out / "table.json").write_text(json.dumps(table, indent=2) + "\n")
    from ..plots import figure_section4

    figure_section4(table, out, save=out / "section4.png")
    return rows


def format_table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    lines = ["| generator | algorithm | sliced W1 (first evaluation -> end) | diversity | classes | KL from uniform | read as digits | loss at end | Spearman(loss, sliced W) |",
             "|---|---|---|---|---|---|---|---|---|"]
    names = {"wasserstein_estimate": "W estimate", "js_estimate": "JS estimate"}
    for row in rows:
        kl = f"{row['class_kl']:.3f}" if "class_kl" in row else "-"
        confident = f"{row['confident_fraction']:.2f}" if "confident_fraction" in row else "-"
        start = f"{row['first_sliced_w']:.3f} -> " if "first_sliced_w" in row else ""
        spread = f"{row['diversity']:.2f}" if "diversity" in row else "-"
        lines.append(f"| {row['generator']} ({row['figure']}) | {row['algorithm']} | {start}{row['sliced_w']:.4f} | {spread} | "
                     f"{row.get('classes_covered', '-')} | {kl} | {confident} | {names[row['loss']]} {row['final_loss']:.4f} | "
                     f"{row.get('spearman_loss_vs_sliced_w') if row.get('spearman_loss_vs_sliced_w') is not None else '-'} |")
    return "\n".join(lines)
