"""Algorithm 1 on images (images.trainer): the paper's defaults, clipping after the update, run folders,
bitwise resume, NaN stops, DistributedDataParallel over gloo, and the train-images command.

Sizes are tiny (16x16, 8 filters, a few steps); the full-scale settings live in benchmarks/ and lesson 07."""

import json
import math
import os
import pathlib
import re
import signal
import subprocess
import sys

import pytest
import torch
from helpers.image_runs import TINY_IMAGE_RUN, interrupt_a_long_run

from wgan_toys.images.models import make_image_critic
from wgan_toys.images.trainer import CHECKPOINT, ImageConfig, ImageTrainer, TrainingStopped, read_metrics

ROOT = pathlib.Path(__file__).resolve().parents[1]
TINY = TINY_IMAGE_RUN


def _parameters(trainer):
    state = {f"generator.{k}": v for k, v in trainer.generator.state_dict().items()}
    state.update({f"critic.{k}": v for k, v in trainer.critic.state_dict().items()})
    return state


# ----- Algorithm 1 on images -------------------------------------------------------------------
def test_config_defaults_follow_the_papers():
    wgan, gan, gp, minimax = (ImageConfig(algorithm=name) for name in ("wgan", "gan-logd", "wgan-gp", "gan-minimax"))
    assert (wgan.resolved_learning_rate, wgan.clip_value, wgan.batch_size, wgan.resolved_n_critic) == (
        5e-5,
        0.01,
        64,
        5,
    )
    assert (gan.resolved_learning_rate, gan.resolved_betas, gan.resolved_n_critic) == (2e-4, (0.5, 0.999), 1)
    assert (minimax.resolved_learning_rate, minimax.resolved_betas, minimax.resolved_n_critic) == (
        2e-4,
        (0.5, 0.999),
        1,
    )
    assert (gp.resolved_learning_rate, gp.resolved_betas, gp.penalty_weight, gp.resolved_normalization) == (
        1e-4,
        (0.0, 0.9),
        10.0,
        "layer",
    )
    paper = ImageConfig(critic_schedule="paper-code")
    assert [paper.critic_iterations(step) for step in (0, 24, 25, 499, 500, 1000)] == [100, 100, 5, 5, 100, 100]


def test_precision_fp32_is_exact_and_bf16_keeps_float32_parameters(tmp_path):
    exact = ImageTrainer(ImageConfig(**dict(TINY, precision="fp32")), tmp_path / "fp32", verbose=False).train(until=1)
    assert exact.autocast_dtype is None and not exact.channels_last
    assert json.loads((tmp_path / "fp32" / "config.json").read_text())["autocast"] == "fp32"
    fast = ImageTrainer(ImageConfig(**dict(TINY, precision="bf16", channels_last=True)), verbose=False).train(until=1)
    assert fast.autocast_dtype == torch.bfloat16 and fast.channels_last
    assert all(p.dtype == torch.float32 for p in [*fast.generator.parameters(), *fast.critic.parameters()])
    assert float(fast.last["estimate"]) == pytest.approx(float(exact.last["estimate"]), rel=0.05)


def test_every_critic_parameter_is_clipped_after_the_update_by_default():
    """Algorithm 1, line 7 clips w, all the critic's parameters: batch-norm scales (initialised
    near 1) and shifts end in [-c, c] too, and the box is active after the first step."""
    trainer = ImageTrainer(ImageConfig(**TINY), verbose=False)
    assert trainer.config.clip_parameters == "all"
    scales = [m.weight for m in trainer.critic.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert scales and min(s.min().item() for s in scales) > 0.5  # outside the box before the step
    trainer.critic_step()
    c = trainer.config.clip_value
    for name, parameter in trainer.critic.named_parameters():
        assert parameter.abs().max().item() <= c, name
    assert all(s.max().item() == pytest.approx(c) for s in scales)  # N(1, 0.02) scales pushed onto the face


def test_clipping_follows_the_update():
    """Clip after the RMSProp step (Algorithm 1, lines 6-7): a clip *before* the step, as the
    paper's public code does, leaves the last update outside the box."""
    trainer = ImageTrainer(ImageConfig(**TINY), verbose=False)
    trainer.critic_step()
    trainer.critic_step()  # weights already on the faces move off them with the update, then return
    assert max(p.abs().max().item() for p in trainer.critic.parameters()) <= trainer.config.clip_value


def test_weights_only_clipping_leaves_batch_norm_outside_the_box():
    trainer = ImageTrainer(ImageConfig(**TINY, clip_parameters="weights"), verbose=False)
    trainer.critic_step()
    weights = [
        p for m in trainer.critic.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) for p in m.parameters()
    ]
    assert max(p.abs().max().item() for p in weights) <= 0.01
    assert any(p.abs().max().item() == pytest.approx(0.01) for p in weights)  # the box is active
    scales = [m.weight for m in trainer.critic.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert min(s.min().item() for s in scales) > 0.9  # N(1, 0.02) scales, left near 1, outside [-c, c]
    with pytest.raises(ValueError, match="clip_parameters == 'bn', must be one of 'all', 'weights'"):
        ImageConfig(clip_parameters="bn")


def test_a_batch_norm_critic_scores_the_same_image_differently_in_different_batches():
    """f_w(x; B): with batch norm in training mode the output for x depends on its companions;
    without normalisation it does not. The running statistics and the mode are left unchanged."""
    from wgan_toys.images.models import outputs_in_batches

    generator = torch.Generator().manual_seed(0)
    images = torch.rand(4, 1, 16, 16, generator=generator) * 2 - 1
    near, far = torch.rand(12, 1, 16, 16, generator=generator) * 2 - 1, torch.rand(12, 1, 16, 16, generator=generator)
    torch.manual_seed(0)
    critic = make_image_critic("dcgan", 16, 1, filters=8, normalization="batch").eval()
    before = [b.clone() for b in critic.buffers()]
    rows = outputs_in_batches(critic, images, [near, far])
    assert rows.shape == (2, 4)
    assert (rows[0] - rows[1]).abs().max() > 1e-3 * rows.abs().max()
    assert not critic.training and all(torch.equal(a, b) for a, b in zip(before, critic.buffers()))
    plain = make_image_critic("dcgan", 16, 1, filters=8, normalization="none")
    rows = outputs_in_batches(plain, images, [near, far])
    assert torch.allclose(rows[0], rows[1], atol=1e-6) and torch.allclose(rows[0], plain(images), atol=1e-6)


def test_cli_clip_parameters_flag_maps_to_the_config():
    from wgan_toys.cli import build_parser
    from wgan_toys.cli.images import image_config_values

    parser = build_parser()
    default = ImageConfig(**image_config_values(parser.parse_args(["train-images"])))
    weights = ImageConfig(**image_config_values(parser.parse_args(["train-images", "--clip-parameters", "weights"])))
    assert (default.clip_parameters, weights.clip_parameters) == ("all", "weights")
    with pytest.raises(SystemExit):  # the old flag is gone, not silently ignored
        parser.parse_args(["train-images", "--clip-batchnorm"])
    section4 = parser.parse_args(["section4", "--seeds", "0", "1"])
    assert section4.seeds == [0, 1] and parser.parse_args(["section4", "--seed", "3"]).seeds == [3]


def test_a_checkpoint_that_does_not_say_what_it_clipped_is_refused(tmp_path):
    """A checkpoint without clip_parameters is not resumed under today's default silently."""
    out = tmp_path / "old"
    ImageTrainer(ImageConfig(**dict(TINY, generator_steps=2, eval_every=100)), out, verbose=False).train()
    state = torch.load(out / CHECKPOINT, weights_only=True)
    del state["config"]["clip_parameters"]
    torch.save(state, out / CHECKPOINT)
    with pytest.raises(ValueError, match="records no clip_parameters"):
        ImageTrainer.resume(out, verbose=False)


@pytest.mark.parametrize("algorithm,generator", [("wgan", "dcgan"), ("gan-logd", "mlp"), ("wgan-gp", "dcgan-nobn")])
@pytest.mark.slow
def test_a_run_folder_holds_everything(tmp_path, algorithm, generator, monkeypatch, classifier_cache):
    monkeypatch.setenv("WGAN_TOYS_CACHE", str(classifier_cache))
    out = tmp_path / "run"
    trainer = ImageTrainer(
        ImageConfig(**dict(TINY, algorithm=algorithm, generator=generator)), out, verbose=False
    ).train()
    assert trainer.generator_step == 4 and trainer.critic_steps == 4 * (1 if algorithm == "gan-logd" else 5)
    config = json.loads((out / "config.json").read_text())
    assert config["algorithm"] == algorithm and config["world_size"] == 1
    records = read_metrics(out)
    assert [r["generator_step"] for r in records] == [1, 2, 3, 4]
    estimate = "js_estimate" if algorithm == "gan-logd" else "wasserstein_estimate"
    for record in records:
        assert {"critic_steps", estimate, "critic_loss", "generator_loss", "images_per_second", "wall_seconds"} <= set(
            record
        )
    if algorithm == "gan-logd":
        assert all(0 <= r["js_estimate"] <= math.log(2) + 1e-6 or r["js_estimate"] < 0 for r in records)
    elif algorithm == "wgan":  # eq. (3), positive once the critic has separated real from fake
        assert all(r["wasserstein_estimate"] == pytest.approx(-r["critic_loss"]) for r in records)
        # every parameter clipped (batch-norm scales from ~1 to c) starts the critic near 0: positive by step 4
        assert (
            records[-1]["wasserstein_estimate"] > 0
            and records[-1]["wasserstein_estimate"] > records[0]["wasserstein_estimate"]
        )
    else:  # WGAN-GP's loss adds the penalty (>= 0) to -estimate; a fresh critic can start below 0
        assert all(r["wasserstein_estimate"] >= -r["critic_loss"] - 1e-6 for r in records)
    evaluated = [r for r in records if "sliced_w" in r]
    assert [r["generator_step"] for r in evaluated] == [2, 4]
    assert all(
        r["sliced_w"] > 0 and 0 <= r["classes_covered"] <= 10 and 0 <= r["confident_fraction"] <= 1 for r in evaluated
    )
    assert all(0 <= r["diversity"] < 5 for r in evaluated)
    assert sorted(p.name for p in (out / "samples").iterdir()) == [
        "step_000000.png",
        "step_000002.png",
        "step_000004.png",
    ]
    assert not (out / "curve.png").exists()  # the trainer writes data; figures are drawn by their callers
    from wgan_toys.plots import plot_image_run

    plot_image_run(out, save=out / "curve.png")
    assert (out / "curve.png").stat().st_size > 10_000
    state = torch.load(out / CHECKPOINT, weights_only=True)
    assert state["generator_step"] == 4
    assert not list(out.glob(".*.tmp"))


@pytest.mark.slow
def test_resume_continues_bitwise_on_cpu(tmp_path):
    """An interrupted run resumed from its checkpoint ends with the parameters of an
    uninterrupted one, bit for bit (data order, noise and optimiser state are all restored)."""
    for algorithm, precision in (("wgan", "fp32"), ("wgan-gp", "fp32"), ("wgan", "bf16")):
        config = ImageConfig(
            **dict(
                TINY, algorithm=algorithm, generator_steps=6, checkpoint_every=3, eval_every=100, precision=precision
            )
        )
        name = f"{algorithm}-{precision}"
        straight = ImageTrainer(config, tmp_path / f"{name}-straight", verbose=False).train()
        first = ImageTrainer(config, tmp_path / f"{name}-split", verbose=False).train(until=3)
        del first
        resumed = ImageTrainer.resume(tmp_path / f"{name}-split", verbose=False)
        assert resumed.generator_step == 3
        resumed.train()
        a, b = _parameters(straight), _parameters(resumed)
        assert all(torch.equal(a[key], b[key]) for key in a), name
        steps = [r["generator_step"] for r in read_metrics(tmp_path / f"{name}-split")]
        assert steps == [1, 2, 3, 4, 5, 6]


def test_resume_drops_metrics_logged_after_the_checkpoint(tmp_path):
    out = tmp_path / "run"
    ImageTrainer(
        ImageConfig(**dict(TINY, generator_steps=4, checkpoint_every=2, eval_every=100)), out, verbose=False
    ).train(until=3)
    # until=3 writes a checkpoint at step 2 and a final one at 3; fake an older checkpoint at 2
    trainer = ImageTrainer.resume(out, verbose=False)
    trainer.generator_step = 2
    trainer._prepare_folder()
    assert [r["generator_step"] for r in read_metrics(out)] == [1, 2]


def test_a_nan_loss_stops_the_run_and_keeps_the_last_checkpoint(tmp_path):
    out = tmp_path / "run"
    trainer = ImageTrainer(ImageConfig(**dict(TINY, generator_steps=10, eval_every=100)), out, verbose=False).train(
        until=2
    )
    saved = torch.load(out / CHECKPOINT, weights_only=True)
    with torch.no_grad():
        next(trainer.critic.parameters()).fill_(float("nan"))
    with pytest.raises(TrainingStopped, match=r"NaN or infinite by generator step 3.*checkpoint.pt\) is kept"):
        trainer.train()
    kept = torch.load(out / CHECKPOINT, weights_only=True)
    assert kept["generator_step"] == 2
    assert all(torch.equal(saved["critic"][k], kept["critic"][k]) for k in saved["critic"])


def test_bad_settings_are_clear_errors():
    with pytest.raises(
        ValueError, match="algorithm == 'wgan2', must be one of 'wgan', 'wgan-gp', 'gan-minimax', 'gan-logd'"
    ):
        ImageConfig(algorithm="wgan2")
    with pytest.raises(ValueError, match=r"image_size == 100, must be a power of two"):
        ImageConfig(image_size=100)
    with pytest.raises(ValueError, match="generator == 'vit', must be one of"):
        ImageConfig(generator="vit")
    with pytest.raises(ValueError, match="adam_beta1 == 1.5, must be in"):
        ImageConfig(adam_beta1=1.5)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="sees no CUDA GPU; install a CUDA build"):
            ImageTrainer(ImageConfig(**dict(TINY, device="cuda")), verbose=False)


# ----- several processes: DistributedDataParallel over gloo ------------------------------------
@pytest.mark.subprocess
def test_two_gloo_processes_match_each_other_and_one_process(tmp_path, classifier_cache):
    """torchrun --nproc_per_node=2: after 3 generator steps the two ranks hold identical
    parameters (weight clipping included), and without batch norm they match one process with the
    same global batch to 1e-6 (measured: 3e-8; only the order of float sums differs) in float32.
    Only rank 0 writes the run folder."""
    tiny = dict(TINY, generator_steps=3, eval_every=3, sample_every=3, checkpoint_every=3, precision="fp32")
    configs = {
        "wgan_batchnorm": dict(tiny, algorithm="wgan"),
        "wgan": dict(tiny, algorithm="wgan", generator="dcgan-nobn", critic_normalization="none"),
        "wgan_gp": dict(tiny, algorithm="wgan-gp", generator="dcgan-nobn"),
        "gan_mlp": dict(tiny, algorithm="gan-logd", generator="mlp", critic="mlp"),
    }
    env = dict(os.environ, OMP_NUM_THREADS="1", WGAN_TOYS_CACHE=str(classifier_cache))
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        str(ROOT / "tests" / "helpers" / "ddp_worker.py"),
        str(tmp_path),
        json.dumps(configs),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=1800
    )  # a hang guard, not a speed limit
    assert result.returncode == 0, result.stderr[-3000:]
    for name, values in configs.items():
        rank0 = torch.load(tmp_path / f"{name}.rank0.pt", weights_only=True)
        rank1 = torch.load(tmp_path / f"{name}.rank1.pt", weights_only=True)
        for key in rank0:
            if "running_" not in key and "num_batches" not in key:  # batch-norm buffers are per process
                assert torch.equal(rank0[key], rank1[key]), (name, key)
        assert [r["generator_step"] for r in read_metrics(tmp_path / name)] == [1, 2, 3]  # rank 0 alone wrote
        assert json.loads((tmp_path / name / "config.json").read_text())["world_size"] == 2
        if name == "wgan_batchnorm":
            clipped = [v for k, v in rank0.items() if k.startswith("critic.") and v.dim() == 4]
            assert max(v.abs().max().item() for v in clipped) <= 0.01
            continue
        single = _parameters(ImageTrainer(ImageConfig(**values), verbose=False).train())
        gap = max((rank0[key] - single[key]).abs().max().item() for key in rank0)
        assert gap < 1e-6, (name, gap)


# ----- command line ---------------------------------------------------------------------------
def _cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "wgan_toys", *args], capture_output=True, text=True, **kwargs)


@pytest.mark.subprocess
def test_cli_smoke_run_then_refuses_to_overwrite_then_resumes(tmp_path, classifier_cache):
    out = tmp_path / "run"
    env = dict(os.environ, WGAN_TOYS_CACHE=str(classifier_cache))
    first = _cli(
        "train-images",
        "--dataset",
        "digits",
        "--arch",
        "dcgan",
        "--algorithm",
        "wgan",
        "--smoke",
        "--out",
        str(out),
        env=env,
    )
    assert first.returncode == 0, first.stderr
    assert (out / "curve.png").exists() and (out / CHECKPOINT).exists()
    again = _cli("train-images", "--smoke", "--out", str(out), env=env)
    assert again.returncode == 2 and "pass --resume" in again.stderr and "Nothing was overwritten" in again.stderr
    more = _cli("train-images", "--resume", "--generator-steps", "5", "--out", str(out), env=env)
    assert more.returncode == 0, more.stderr
    assert read_metrics(out)[-1]["generator_step"] == 5
    bad = _cli("train-images", "--smoke", "--image-size", "24", "--out", str(tmp_path / "bad"), env=env)
    assert (
        bad.returncode == 2 and "argument --image-size: invalid choice: 24 (choose from 16, 32, 64, 128)" in bad.stderr
    )


@pytest.mark.subprocess
def test_ctrl_c_writes_a_checkpoint_that_resumes(tmp_path, classifier_cache):
    out = tmp_path / "run"
    env = dict(os.environ, WGAN_TOYS_CACHE=str(classifier_cache))
    returncode, stderr = interrupt_a_long_run(out, signal.SIGINT, rows=3, env=env)
    assert returncode == 130, stderr  # 128 + SIGINT, as a shell reports a Ctrl-C
    assert "writing the checkpoint" in stderr
    assert re.search(
        rf"interrupted at step \d+ of 100000; continue with --resume --out {re.escape(str(out))}\n$", stderr
    ), stderr
    assert "Traceback" not in stderr
    state = torch.load(out / CHECKPOINT, weights_only=True)
    assert state["generator_step"] >= 3
    assert read_metrics(out)[-1]["generator_step"] == state["generator_step"]
