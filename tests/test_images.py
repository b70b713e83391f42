"""The image chapter (Section 4): models, data, trainer, resume, DDP, quality numbers, CLI.

Sizes are tiny (16x16, 8 filters, a few steps) so that the whole file runs in well under a
minute on two cores; the full-scale settings live in benchmarks/ and the lesson's commands.
"""

import json
import math
import os
import pathlib
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
from helpers.image_runs import TINY_IMAGE_RUN, interrupt_a_long_run
from scipy.special import gammaln

from wgan_toys.images.data import load_images
from wgan_toys.images.grids import image_grid, save_image_grid
from wgan_toys.images.models import count_parameters, make_image_critic, make_image_generator
from wgan_toys.images.quality import digits_classifier, mode_coverage, sliced_wasserstein
from wgan_toys.images.trainer import CHECKPOINT, ImageConfig, ImageTrainer, TrainingStopped, read_metrics

ROOT = pathlib.Path(__file__).resolve().parents[1]
TINY = TINY_IMAGE_RUN


def _parameters(trainer):
    state = {f"generator.{k}": v for k, v in trainer.generator.state_dict().items()}
    state.update({f"critic.{k}": v for k, v in trainer.critic.state_dict().items()})
    return state


# ----- models (Section 4.3) ------------------------------------------------------------------
@pytest.mark.parametrize("image_size", [16, 32, 64, 128])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("architecture", ["dcgan", "dcgan-nobn", "mlp"])
def test_generators_and_critics_map_between_noise_and_images(architecture, image_size, channels):
    generator = make_image_generator(architecture, image_size, channels, noise_dim=8, filters=4, mlp_width=16)
    images = generator(torch.randn(2, 8))
    assert images.shape == (2, channels, image_size, image_size)
    assert images.abs().max() <= 1.0  # tanh output, the data's range
    for critic_architecture in ("dcgan", "mlp"):
        critic = make_image_critic(critic_architecture, image_size, channels, filters=4, mlp_width=16)
        assert critic(images).shape == (2,)


def test_extra_layers_add_three_by_three_convolutions():
    plain = make_image_critic("dcgan", 32, 1, filters=8)
    extra = make_image_critic("dcgan", 32, 1, filters=8, extra_layers=2)
    assert count_parameters(extra) - count_parameters(plain) == 2 * (8 * 8 * 9 + 2 * 8)  # conv + batch norm
    generator = make_image_generator("dcgan", 32, 1, noise_dim=8, filters=8, extra_layers=1)
    assert generator(torch.randn(3, 8)).shape == (3, 1, 32, 32)


def test_figure_6_generator_has_an_order_of_magnitude_fewer_parameters():
    """Figure 6: without batch norm and with constant filters, "the number of parameters is
    therefore reduced by a bit more than an order of magnitude" (64x64, 3 channels, 64 filters)."""
    dcgan = count_parameters(make_image_generator("dcgan", 64, 3))
    constant = count_parameters(make_image_generator("dcgan-nobn", 64, 3))
    assert 10 < dcgan / constant < 15
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in make_image_generator("dcgan-nobn", 64, 3).modules())


def test_bad_model_settings_name_the_parameter():
    with pytest.raises(ValueError, match=r"image_size == 48, must be a power of two in \[16, 128\]"):
        make_image_generator("dcgan", 48)
    with pytest.raises(ValueError, match="architecture == 'resnet', must be one of 'dcgan', 'dcgan-nobn', 'mlp'"):
        make_image_generator("resnet")
    with pytest.raises(ValueError, match="channels == 2"):
        make_image_critic("dcgan", 32, 2)


# ----- data ------------------------------------------------------------------------------------
def test_digits_are_resized_real_images_in_minus_one_one():
    data = load_images("digits", image_size=16, channels=3, held_out=97, verbose=False)
    assert data.preloaded and data.count == 1797 - 97
    assert data.tensor.dtype == torch.uint8 and data.tensor.shape == (1700, 3, 16, 16)
    batch = data.batch(torch.arange(5))
    assert batch.min() >= -1 and batch.max() <= 1 and batch.dtype == torch.float32
    assert torch.equal(batch[:, 0], batch[:, 2])  # grey digits repeated over RGB
    assert data.held_out.shape == (97, 3, 16, 16) and len(data.held_out_labels) == 97


def _write_images(folder, count, size=(20, 12)):
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for index in range(count):
        Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(
            folder / f"image_{index:03d}.png"
        )


def test_folder_data_streams_or_preloads_the_same_images(tmp_path):
    _write_images(tmp_path / "images" / "nested", 12)
    preloaded = load_images("folder", root=tmp_path / "images", image_size=16, channels=3, held_out=2, verbose=False)
    streamed = load_images(
        "folder", root=tmp_path / "images", image_size=16, channels=3, held_out=2, preload="no", verbose=False
    )
    assert preloaded.preloaded and not streamed.preloaded
    indices = torch.tensor([0, 3, 9])
    assert torch.equal(preloaded.batch(indices), streamed.batch(indices))
    assert torch.equal(preloaded.held_out, streamed.held_out)


def test_unreadable_image_is_an_error_naming_the_file_unless_skipped(tmp_path, capsys):
    _write_images(tmp_path, 6)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"cannot read image file .*broken\.png.*skip_unreadable=True"):
        load_images("folder", root=tmp_path, image_size=16, held_out=1, verbose=False)
    data = load_images("folder", root=tmp_path, image_size=16, held_out=1, skip_unreadable=True)
    assert data.skipped == 1 and data.count == 5
    assert "skipped 1 unreadable files" in capsys.readouterr().err


def test_empty_folder_and_unknown_dataset_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="no image files"):
        load_images("folder", root=tmp_path, image_size=16, verbose=False)
    with pytest.raises(ValueError, match="dataset == 'imagenet', must be one of 'digits', 'folder', 'npz'"):
        load_images("imagenet")
    with pytest.raises(ValueError, match=r"needs root \(data_root= in ImageConfig\)"):
        load_images("npz", image_size=16)


def test_npz_images_in_any_layout(tmp_path):
    rng = np.random.default_rng(1)
    channels_last = rng.integers(0, 256, (10, 16, 16, 3), dtype=np.uint8)
    np.savez(tmp_path / "a.npz", images=channels_last)
    np.savez(tmp_path / "b.npz", pictures=channels_last.transpose(0, 3, 1, 2).astype(np.float32) / 255)
    a = load_images("npz", root=tmp_path / "a.npz", image_size=16, channels=3, held_out=2, verbose=False)
    b = load_images("npz", root=tmp_path / "b.npz", image_size=16, channels=3, held_out=2, verbose=False)
    assert torch.equal(a.tensor, b.tensor)
    np.savez(tmp_path / "c.npz", images=np.full((4, 16, 16), 2.0))
    with pytest.raises(ValueError, match=r"float images must lie in \[0, 1\]"):
        load_images("npz", root=tmp_path / "c.npz", image_size=16, held_out=1, verbose=False)


def test_the_real_data_sets_without_their_files_say_what_to_do(tmp_path):
    """They are read without torchvision (tests/test_formats.py trains on each one's real layout)."""
    with pytest.raises(ValueError, match=r"no train-images-idx3-ubyte\(\.gz\) in"):
        load_images("mnist", root=tmp_path, image_size=32)
    with pytest.raises(ValueError, match="does not exist"):
        load_images("celeba", root=tmp_path / "nonexistent", image_size=32)


# ----- grids and quality numbers -----------------------------------------------------------------
def test_image_grid_tiles_with_padding(tmp_path):
    images = torch.stack([torch.full((3, 16, 16), value) for value in (-1.0, 0.0, 1.0)])
    grid = image_grid(images, columns=2)
    assert grid.shape == (2 * 18 + 2, 2 * 18 + 2, 3)
    assert grid[2, 2, 0] == 0 and grid[2, 20, 0] == 128 and grid[20, 2, 0] == 255
    path = save_image_grid(images, tmp_path / "grid.png", scale=2)
    from PIL import Image

    assert Image.open(path).size == (76, 76)


def test_sliced_wasserstein_of_a_shift_matches_its_closed_form():
    """Shifting every image by the vector v moves each projection by <theta, v>, so the sliced W1
    is ||v|| E|theta_1| = ||v|| Gamma(d/2) / (sqrt(pi) Gamma((d+1)/2)) for theta uniform on the sphere."""
    rng = torch.Generator().manual_seed(0)
    images = torch.rand(200, 1, 4, 4, generator=rng)
    shift = torch.randn(1, 1, 4, 4, generator=rng)
    dimension = 16
    expected = (
        shift.norm().item() * math.exp(gammaln(dimension / 2) - gammaln((dimension + 1) / 2)) / math.sqrt(math.pi)
    )
    measured = sliced_wasserstein(images + shift, images, n_projections=4000)
    assert measured == pytest.approx(expected, rel=0.03)  # Monte Carlo over 4000 directions
    assert sliced_wasserstein(images, images) == pytest.approx(0.0, abs=1e-12)


def test_diversity_is_one_for_real_images_and_zero_for_a_collapsed_generator():
    from wgan_toys.images.quality import diversity

    data = load_images("digits", image_size=16, held_out=300, verbose=False)
    other_real = data.batch(torch.arange(300))
    assert diversity(other_real, data.held_out) == pytest.approx(1.0, abs=0.05)  # real digits differ like real digits
    collapsed = data.held_out[:1].repeat(300, 1, 1, 1) + 0.01 * torch.randn(
        300, 1, 16, 16, generator=torch.Generator().manual_seed(0)
    )
    assert diversity(collapsed, data.held_out) < 0.05


def test_mode_coverage_counts_confident_classes_and_kl_from_uniform():
    assert mode_coverage(np.repeat(np.arange(10), 5)) == {
        "classes_covered": 10,
        "class_kl": 0.0,
        "confident_fraction": 1.0,
    }
    two = mode_coverage(np.array([3, 7] * 20))
    assert two["classes_covered"] == 2 and two["class_kl"] == pytest.approx(math.log(5), abs=1e-6)
    mostly_noise = mode_coverage(np.array([-1] * 95 + [1, 2, 3, 4, 5]), minimum_share=0.02)
    assert mostly_noise == {
        "classes_covered": 0,
        "class_kl": pytest.approx(math.log(2), abs=1e-6),
        "confident_fraction": 0.05,
    }


@pytest.mark.slow
def test_the_classifier_reads_no_digits_in_an_untrained_generators_noise(monkeypatch, classifier_cache):
    monkeypatch.setenv("WGAN_TOYS_CACHE", str(classifier_cache))
    trainer = ImageTrainer(ImageConfig(**dict(TINY, filters=32, noise_dim=100)), verbose=False)
    untrained = trainer.evaluate()
    assert untrained["confident_fraction"] < 0.2 and untrained["classes_covered"] <= 3
    assert trainer.classifier_accuracy >= 0.93


@pytest.mark.slow
def test_digits_classifier_is_accurate_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("WGAN_TOYS_CACHE", str(tmp_path))
    model, accuracy = digits_classifier(16, 1)
    assert accuracy >= 0.93  # held-out digits; measured 0.97-0.99
    assert (tmp_path / "digits_classifier_1x16_v1.pt").exists()
    again, cached_accuracy = digits_classifier(16, 1)
    assert cached_accuracy == accuracy
    data = load_images("digits", image_size=16, held_out=300, verbose=False)
    assert np.mean(again.predict(data.held_out) == data.held_out_labels) == pytest.approx(accuracy)


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


# ----- Section 4 on digits --------------------------------------------------------------------
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
