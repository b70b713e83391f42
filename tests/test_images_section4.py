"""Section 4.3 on digits (images.section4): run summaries, the ranking across runs, the run figure and
the section4 command's table."""

import json

import numpy as np
import pytest
from helpers.image_runs import TINY_IMAGE_RUN

from wgan_toys.images.trainer import ImageConfig, ImageTrainer, read_metrics

TINY = TINY_IMAGE_RUN


def test_summarize_run_correlates_the_filtered_loss_with_sliced_w():
    from wgan_toys.images.section4 import format_table, loss_at_evaluations, summarize_run

    records = [
        {"generator_step": step, "wasserstein_estimate": 5.0 - 0.01 * step, "wall_seconds": step * 0.1}
        for step in range(1, 101)
    ]
    for record in records[9::10]:
        record.update(sliced_w=0.5 - 0.004 * record["generator_step"], classes_covered=10, class_kl=0.1)
    row = summarize_run(records, window=5)
    assert row["spearman_loss_vs_sliced_w"] == 1.0  # both fall together: Figure 3's claim
    assert row["spearman_differences"] is None  # equal steps: constant differences have no ranks
    assert row["evaluations"] == 10
    assert row["final_loss"] == pytest.approx(5.0 - 0.01 * 98, abs=1e-9)  # median of the last 5 of a line
    assert row["sliced_w"] == pytest.approx(0.1) and row["classes_covered"] == 10
    # the loss at an evaluation is the median of what was logged up to it, never after it
    records[10]["wasserstein_estimate"] = 1e6  # step 11, right after the evaluation at step 10
    steps, losses, _ = loss_at_evaluations(records, window=5)
    assert steps[0] == 10 and losses[0] == pytest.approx(5.0 - 0.01 * 8)
    for record in records:
        record["wasserstein_estimate"] = -record["wasserstein_estimate"]
    assert summarize_run(records)["spearman_loss_vs_sliced_w"] == -1.0
    table = format_table([{"generator": "mlp", "figure": "Figure 7", "algorithm": "gan", "seed": 0, **row}])
    assert "| mlp (Figure 7) | gan | 0 | 0.460 -> 0.1000 | - | 10 |" in table


def test_across_runs_ranks_runs_by_final_loss_and_sliced_w():
    from wgan_toys.images.section4 import across_runs

    rows = [
        {"algorithm": "wgan", "final_loss": loss, "sliced_w": quality}
        for loss, quality in ((3.0, 0.3), (1.0, 0.1), (2.0, 0.2))
    ]
    rows += [
        {"algorithm": "gan", "final_loss": loss, "sliced_w": quality}
        for loss, quality in ((0.6, 0.1), (0.5, 0.3), (0.4, 0.2))
    ]
    rows.append({"algorithm": "gan", "final_loss": 9.0, "sliced_w": 9.0, "status": "stopped: NaN"})  # left out
    assert across_runs(rows) == {"wgan": {"spearman": 1.0, "runs": 3}, "gan": {"spearman": -0.5, "runs": 3}}


@pytest.mark.slow
def test_image_run_figure_draws_raw_points_full_windows_and_the_floor(tmp_path, monkeypatch, classifier_cache):
    """The trainer logs the real-vs-real floor, and plot_image_run draws every logged value, the
    median only where its window is full, and the floor beside the sliced W1."""
    import matplotlib

    matplotlib.use("Agg")
    from wgan_toys.plots import plot_image_run

    monkeypatch.setenv("WGAN_TOYS_CACHE", str(classifier_cache))
    out = tmp_path / "run"
    ImageTrainer(ImageConfig(**dict(TINY, generator_steps=6, eval_every=2)), out, verbose=False).train()
    records = read_metrics(out)
    floors = {r["sliced_w_real"] for r in records if "sliced_w" in r}
    assert len(floors) == 1 and 0 < floors.pop() < min(r["sliced_w"] for r in records if "sliced_w" in r)
    figure = plot_image_run(out, window=3)
    raw, filtered = figure.axes[0].lines[:2]
    assert len(raw.get_xdata()) == 6
    assert np.isnan(filtered.get_ydata()[[0, -1]]).all() and np.isfinite(filtered.get_ydata()[1:-1]).all()
    floor_lines = [line for line in figure.axes[1].lines if "floor" in line.get_label()]
    assert len(floor_lines) == 1 and floor_lines[0].get_ydata()[0] == records[-1]["sliced_w_real"]


@pytest.mark.slow
def test_section4_smoke_writes_table_and_figure(tmp_path, monkeypatch, classifier_cache):
    """``wgan-toys section4`` trains (images.section4, no drawing), then draws section4.png and
    each run's curve.png (plots): here with two of the six runs, for two seeds."""
    import wgan_toys.images.section4 as section4
    from wgan_toys.cli import main

    monkeypatch.setenv("WGAN_TOYS_CACHE", str(classifier_cache))
    trained = []
    run_section4 = section4.run_section4
    monkeypatch.setattr(
        section4,
        "run_section4",
        lambda *args, **kwargs: (
            trained.extend(run_section4(*args, **kwargs, runs=(("dcgan", "wgan"), ("mlp", "gan")))) or trained
        ),
    )
    assert main(["section4", "--smoke", "--threads", "1", "--seeds", "0", "1", "--out", str(tmp_path / "s4")]) == 0
    rows = trained
    assert [(r["generator"], r["algorithm"], r["seed"]) for r in rows] == [
        ("dcgan", "wgan", 0),
        ("mlp", "gan", 0),
        ("dcgan", "wgan", 1),
        ("mlp", "gan", 1),
    ]
    assert (tmp_path / "s4" / "mlp-gan-seed1" / "config.json").exists()
    table = json.loads((tmp_path / "s4" / "table.json").read_text())
    assert 0 < table["real_reference_sliced_w"] < rows[0]["sliced_w"]  # real digits beat an untrained generator
    assert (tmp_path / "s4" / "section4.png").stat().st_size > 20_000
    assert all((tmp_path / "s4" / r["folder"] / "curve.png").stat().st_size > 10_000 for r in rows)
    assert all((tmp_path / "s4" / r["samples"]).exists() for r in rows)
    assert table["seeds"] == [0, 1] and table["clip_parameters"] == "all"
    assert table["across_runs"]["wgan"]["runs"] == 2
