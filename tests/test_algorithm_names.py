"""Issue 13: one vocabulary of algorithms (objectives.ALGORITHMS), the same in both trainers and the
command. The old name "gan" meant the minimax loss in ``wgan-toys toy`` and the -log D trick in
``wgan-toys train-images``; for one release it still does, in each, with a note naming the loss.

"As before" is checked by numbers: a run under the old name equals, value for value, the run under
the new name with the same seed, and differs from the run under the other GAN loss (so a wrong
mapping fails). Which loss each new name trains is checked against the textbook formulas in
tests/test_objectives.py and tests/test_toys.py.
"""

import json
import math
import warnings

import pytest
from helpers.image_runs import TINY_IMAGE_RUN

from wgan_toys.cli import main
from wgan_toys.images.trainer import ImageConfig, ImageTrainer, read_metrics
from wgan_toys.objectives import ALGORITHMS, RENAMED_ALGORITHMS, resolve_algorithm
from wgan_toys.runtime import set_threads
from wgan_toys.toy_gan import ToyConfig, ToyGAN

set_threads(1)
TIMES = ("wall_seconds", "exact_w1_seconds", "images_per_second", "seconds")
TOY = dict(width=16, batch_size=64, eval_samples=100, iterations=6, log_every=3)
IMAGES = dict(TINY_IMAGE_RUN, generator="mlp", critic="mlp", generator_steps=3, eval_every=3)


def _numbers(rows) -> str:
    """The logged rows without their timings (the only values two identical runs may differ in), as
    JSON text so that a NaN (an undefined cosine at step 0) compares equal to itself."""
    return json.dumps([{key: value for key, value in row.items() if key not in TIMES} for row in rows], sort_keys=True)


def test_the_four_names_are_unambiguous_and_the_old_one_means_a_loss_per_command():
    assert ALGORITHMS == ("wgan", "wgan-gp", "gan-minimax", "gan-logd")
    assert RENAMED_ALGORITHMS == {"toy": {"gan": "gan-minimax"}, "train-images": {"gan": "gan-logd"}}
    for command in RENAMED_ALGORITHMS:
        for name in ALGORITHMS:  # today's names pass unchanged, without a note
            assert resolve_algorithm(name, command, warn=False) == (name, None)


# ----- the toy: "gan" is the minimax loss ------------------------------------------------------
def test_toy_gan_warns_naming_the_minimax_loss_and_the_new_name():
    with pytest.warns(FutureWarning) as caught:
        config = ToyConfig(algorithm="gan")
    assert config.algorithm == "gan-minimax"
    message = str(caught[0].message)
    assert "log(1 - D(g(z)))" in message and "algorithm='gan-minimax'" in message
    assert caught[0].filename == __file__  # the warning points at the caller's line, not at the package


@pytest.mark.slow
def test_toy_gan_trains_the_same_numbers_as_gan_minimax_and_not_as_gan_logd():
    with pytest.warns(FutureWarning):
        old = ToyGAN(ToyConfig(algorithm="gan", **TOY)).train()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new names say nothing
        minimax = ToyGAN(ToyConfig(algorithm="gan-minimax", **TOY)).train()
        logd = ToyGAN(ToyConfig(algorithm="gan-logd", **TOY)).train()
    assert _numbers(old) == _numbers(minimax)
    assert all(row["generator_loss"] < 0 for row in minimax[1:])  # log(1 - D) < 0; -log D > 0
    assert all(row["generator_loss"] > 0 for row in logd[1:])


@pytest.mark.slow
def test_toy_command_gan_prints_a_note_and_writes_the_gan_minimax_run(tmp_path, capsys):
    common = ["toy", "--iterations", "2", "--log-every", "1", "--eval-samples", "50", "--width", "8", "--no-gif"]
    assert main([*common, "--algorithm", "gan", "--out", str(tmp_path / "old")]) == 0
    note = capsys.readouterr().err
    assert "note: --algorithm gan is the minimax GAN loss log(1 - D(g(z)))" in note
    assert "type --algorithm gan-minimax" in note
    assert main([*common, "--algorithm", "gan-minimax", "--out", str(tmp_path / "new")]) == 0
    assert "note:" not in capsys.readouterr().err
    assert json.loads((tmp_path / "old" / "config.json").read_text())["algorithm"] == "gan-minimax"
    runs = [(tmp_path / name / "metrics.jsonl").read_text().splitlines() for name in ("old", "new")]
    assert _numbers(map(json.loads, runs[0])) == _numbers(map(json.loads, runs[1]))


# ----- the images: "gan" is the -log D trick ---------------------------------------------------
def test_image_gan_warns_naming_the_log_d_trick_and_the_new_name():
    with pytest.warns(FutureWarning, match=r"-log D\(g\(z\)\).*algorithm='gan-logd'"):
        config = ImageConfig(algorithm="gan")
    assert config.algorithm == "gan-logd"


@pytest.mark.slow
def test_image_gan_trains_the_same_numbers_as_gan_logd_and_not_as_gan_minimax(tmp_path, monkeypatch, classifier_cache):
    monkeypatch.setenv("WGAN_TOYS_CACHE", str(classifier_cache))
    runs = {}
    for name in ("gan", "gan-logd", "gan-minimax"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            config = ImageConfig(**dict(IMAGES, algorithm=name))
        ImageTrainer(config, tmp_path / name, verbose=False).train()
        runs[name] = _numbers(read_metrics(tmp_path / name))
    assert runs["gan"] == runs["gan-logd"]
    logd, minimax = json.loads(runs["gan-logd"]), json.loads(runs["gan-minimax"])
    assert all(r["generator_loss"] > 0 for r in logd)  # -log D > 0
    assert all(r["generator_loss"] < 0 for r in minimax)  # log(1 - D) < 0
    assert all(math.isfinite(r["js_estimate"]) for r in minimax)  # a GAN logs the JS estimate


@pytest.mark.slow
def test_train_images_command_gan_prints_a_note_and_writes_the_gan_logd_run(
    tmp_path, capsys, monkeypatch, classifier_cache
):
    monkeypatch.setenv("WGAN_TOYS_CACHE", str(classifier_cache))
    common = ["train-images", "--smoke", "--device", "cpu", "--threads", "1", "--arch", "mlp", "--critic-arch", "mlp"]
    assert main([*common, "--algorithm", "gan", "--out", str(tmp_path / "old")]) == 0
    note = capsys.readouterr().err
    assert "note: --algorithm gan is the -log D trick's loss -log D(g(z))" in note
    assert "type --algorithm gan-logd" in note
    assert main([*common, "--algorithm", "gan-logd", "--out", str(tmp_path / "new")]) == 0
    assert json.loads((tmp_path / "old" / "config.json").read_text())["algorithm"] == "gan-logd"
    assert _numbers(read_metrics(tmp_path / "old")) == _numbers(read_metrics(tmp_path / "new"))


@pytest.mark.slow
def test_a_checkpoint_that_recorded_gan_resumes_as_gan_logd_without_a_warning(tmp_path, monkeypatch, classifier_cache):
    monkeypatch.setenv("WGAN_TOYS_CACHE", str(classifier_cache))
    from wgan_toys.images import runs

    out = tmp_path / "run"
    trainer = ImageTrainer(ImageConfig(**dict(IMAGES, algorithm="gan-logd", generator_steps=2)), out, verbose=False)
    trainer.train()
    state = trainer.state_dict()
    state["config"]["algorithm"] = "gan"  # what a run of the previous release recorded
    runs.save_checkpoint(out / runs.CHECKPOINT, state)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resumed = ImageTrainer.resume(out, generator_steps=3, verbose=False)
    assert resumed.config.algorithm == "gan-logd" and resumed.generator_step == 2
    resumed.train()
    assert resumed.generator_step == 3


# ----- unknown names ---------------------------------------------------------------------------
@pytest.mark.parametrize("config_class", [ToyConfig, ImageConfig])
def test_an_unknown_name_lists_the_four(config_class):
    with pytest.raises(
        ValueError, match="algorithm == 'lsgan', must be one of 'wgan', 'wgan-gp', 'gan-minimax', 'gan-logd'"
    ):
        config_class(algorithm="lsgan")


@pytest.mark.parametrize("command", ["toy", "train-images"])
def test_the_command_refuses_an_unknown_name_listing_the_four(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--algorithm", "lsgan"])
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert "invalid choice: 'lsgan' (choose from 'wgan', 'wgan-gp', 'gan-minimax', 'gan-logd')" in error
