"""2D toy data, mode coverage (against the closed form of a 2D Gaussian's mass within 3 sigma),
and the ToyGAN stepping API that the CLI and the classroom share."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from wgan_toys.toy_gan import ToyConfig, ToyGAN
from wgan_toys.toys2d import DATASETS, make_dataset, mode_coverage
from wgan_toys.train import TrainingDivergedError


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_datasets_sample_reproducibly_in_numpy_and_torch(name):
    dataset = make_dataset(name)
    assert dataset.sample(100, seed=0).shape == (100, 2)
    assert np.array_equal(dataset.sample(50, seed=3), dataset.sample(50, seed=3))
    assert dataset.sample_torch(64, seed=0).shape == (64, 2)


def test_real_data_covers_every_mode_with_the_closed_form_quality():
    dataset = make_dataset("8gaussians")
    coverage = mode_coverage(dataset, dataset.sample(200_000, seed=0))
    assert coverage["modes_covered"] == 8
    # P(|N(0, s^2 I_2)| <= 3 s) = 1 - exp(-9/2) for a 2D Gaussian; 2e5 samples: sd ~ 2.3e-4
    assert coverage["high_quality_fraction"] == pytest.approx(1 - math.exp(-4.5), abs=2e-3)
    assert np.allclose(coverage["mode_shares"], (1 - math.exp(-4.5)) / 8, atol=3e-3)


def test_a_collapsed_generator_covers_one_mode():
    dataset = make_dataset("25gaussians")
    collapsed = np.tile([[1.0, 1.0]], (500, 1))
    assert mode_coverage(dataset, collapsed)["modes_covered"] == 1
    with pytest.raises(ValueError, match="dataset == 'swissroll' has no modes"):
        mode_coverage(make_dataset("swissroll"), collapsed)


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="dataset == 'moons', must be one of '8gaussians', '25gaussians', 'swissroll', '2clusters'"):
        make_dataset("moons")
    with pytest.raises(ValueError, match="algorithm == 'lsgan', must be one of 'gan', 'gan-logd', 'wgan', 'wgan-gp'"):
        ToyGAN(ToyConfig(algorithm="lsgan"))
    with pytest.raises(ValueError, match="clip_value == 0.0, must be > 0"):
        ToyGAN(ToyConfig(algorithm="wgan", clip_value=0.0))


def _parameters(module):
    return torch.cat([p.detach().flatten().clone() for p in module.parameters()])


def small_config(**changes):
    settings = dict(width=32, batch_size=64, eval_samples=200, iterations=10, log_every=5)
    settings.update(changes)
    return ToyConfig(**settings)


def test_critic_step_moves_only_the_critic_and_generator_step_only_the_generator():
    trainer = ToyGAN(small_config())
    critic, generator = _parameters(trainer.critic), _parameters(trainer.generator)
    trainer.critic_step()
    assert not torch.equal(_parameters(trainer.critic), critic)
    assert torch.equal(_parameters(trainer.generator), generator)
    critic = _parameters(trainer.critic)
    trainer.generator_step()
    assert torch.equal(_parameters(trainer.critic), critic)
    assert not torch.equal(_parameters(trainer.generator), generator)
    assert (trainer.critic_steps, trainer.generator_steps) == (1, 1)
    trainer.iteration()  # n_critic = 5 for WGAN-GP, then one generator step
    assert (trainer.critic_steps, trainer.generator_steps) == (6, 2)


def test_reset_returns_to_the_same_start_and_runs_repeat_exactly():
    trainer = ToyGAN(small_config(algorithm="wgan"))
    start = _parameters(trainer.generator)
    history = [dict(row) for row in trainer.train()]
    trainer.reset()
    assert torch.equal(_parameters(trainer.generator), start) and trainer.history == []
    again = trainer.train()
    drop = ("wall_seconds", "exact_w1_seconds")
    assert [{k: v for k, v in r.items() if k not in drop} for r in again] == [{k: v for k, v in r.items() if k not in drop} for r in history]


def test_train_logs_the_promised_keys_and_clips():
    trainer = ToyGAN(small_config(algorithm="wgan"))
    rows = trainer.train()
    assert [row["generator_step"] for row in rows] == [0, 5, 10]
    assert {"step", "critic_estimate", "exact_w1", "modes_covered", "high_quality_fraction"} <= set(rows[-1])
    assert all(float(p.detach().abs().max()) <= 0.01 for p in trainer.critic.parameters())
    gan_rows = ToyGAN(small_config(algorithm="gan-logd")).train()
    assert "js_estimate" in gan_rows[-1] and "critic_estimate" not in gan_rows[-1]


def test_a_diverging_run_stops_with_a_message_and_keeps_its_history():
    trainer = ToyGAN(small_config(algorithm="gan", learning_rate=1e30, iterations=50))
    with pytest.raises(TrainingDivergedError, match=r"became .* at generator step \d+ .*lower learning_rate"):
        trainer.train()
    assert len(trainer.history) >= 1


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "wgan_toys", *args], capture_output=True, text=True, timeout=300)


def test_toy_cli_writes_config_metrics_and_figures(tmp_path):
    out = tmp_path / "run"
    result = run_cli("toy", "--dataset", "8gaussians", "--algorithm", "wgan-gp", "--iterations", "20", "--log-every", "10",
                     "--eval-samples", "200", "--width", "32", "--out", str(out))
    assert result.returncode == 0, result.stderr
    config = json.loads((out / "config.json").read_text())
    assert config["algorithm"] == "wgan-gp" and config["n_critic"] == 5
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [0, 10, 20]
    assert {"step", "critic_estimate", "exact_w1", "modes_covered", "high_quality_fraction"} <= set(rows[-1])
    assert (out / "toy_run.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "samples_over_iterations.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "samples.gif").read_bytes()[:3] == b"GIF"
    assert "of which exact W1 logging" in result.stdout


def test_toy_cli_diverging_run_exits_1_and_keeps_metrics(tmp_path):
    out = tmp_path / "run"
    result = run_cli("toy", "--algorithm", "gan", "--learning-rate", "1e30", "--iterations", "30", "--log-every", "1",
                     "--eval-samples", "100", "--width", "16", "--no-gif", "--out", str(out))
    assert result.returncode == 1
    assert "stopped:" in result.stderr and "rows logged so far" in result.stderr
    assert len((out / "metrics.jsonl").read_text().splitlines()) >= 1


def test_toy_cli_unknown_algorithm_lists_choices():
    result = run_cli("toy", "--algorithm", "lsgan")
    assert result.returncode == 2
    assert "invalid choice: 'lsgan'" in result.stderr
    assert all(name in result.stderr for name in ("gan", "gan-logd", "wgan", "wgan-gp"))
