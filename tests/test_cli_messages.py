"""What the command says about itself: flags that a run does not use are named, SIGTERM stops the toy
with a message, a negative float such as ``-5.`` is a value, and a failed first checkpoint does not
advise a resume that has nothing to resume."""

import errno
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from helpers.image_runs import HANG_GUARD, TINY_IMAGE_RUN

from wgan_toys.cli import main
from wgan_toys.cli.common import unused_flags


def test_negative_floats_without_digits_after_the_point_are_values(capsys):
    # "--theta -5." was refused as "expected one argument"
    assert main(["distances", "parallel-lines", "--theta", "-5.", "--json"]) == 0
    assert '"em": 5.0' in capsys.readouterr().out


@pytest.mark.parametrize(
    "values, command, note",
    [
        ({"algorithm": "wgan-gp", "clip_value": 0.02}, "toy", "--clip-value is not used by wgan-gp"),
        ({"algorithm": "wgan", "penalty_weight": 1.0}, "toy", "--penalty-weight is not used by wgan"),
        (
            {"algorithm": "wgan", "adam_beta1": 0.5},
            "train-images",
            "--adam-beta1 is not used by wgan, which trains with rmsprop",
        ),
        ({"data_root": "x"}, "train-images", "--data-root is not used with the digits data set"),
    ],
)
def test_flags_the_run_never_reads_are_named(values, command, note):
    assert any(note in line for line in unused_flags(values, command))


def test_flags_the_run_reads_are_not_named():
    assert unused_flags({"algorithm": "wgan", "clip_value": 0.02}, "toy") == []
    assert unused_flags({"algorithm": "wgan-gp", "adam_beta1": 0.5, "penalty_weight": 5.0}, "train-images") == []


def test_section4_smoke_names_the_generator_steps_it_overrides(monkeypatch, capsys, tmp_path):
    import wgan_toys.images.section4 as section4

    def stop(*args, **kwargs):
        raise ValueError("stopped here")

    monkeypatch.setattr(section4, "run_section4", stop)
    with pytest.raises(SystemExit):
        main(["section4", "--smoke", "--generator-steps", "50", "--out", str(tmp_path / "s4")])
    assert "note: --generator-steps 50 is not used with --smoke" in capsys.readouterr().err


@pytest.mark.subprocess
def test_sigterm_stops_the_toy_with_a_message_and_status_143(tmp_path):
    # the toy exited 143 without a word
    toy = subprocess.Popen(
        [sys.executable, "-m", "wgan_toys", "toy", "--iterations", "100000", "--log-every", "1", "--threads", "1"]
        + ["--width", "8", "--eval-samples", "50", "--no-gif", "--out", str(tmp_path / "toy")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    metrics = tmp_path / "toy" / "metrics.jsonl"
    while not (metrics.exists() and metrics.read_text().count("\n") >= 2):
        assert toy.poll() is None, toy.communicate()
        time.sleep(0.1)
    toy.send_signal(signal.SIGTERM)
    _, error = toy.communicate(timeout=HANG_GUARD)
    assert toy.returncode == 143
    assert "wgan-toys toy: stopped by SIGTERM at step" in error and "Traceback" not in error


def _checkpoints_meet_a_full_disk(monkeypatch):
    """torch.save of a checkpoint (a dict with generator_step) raises ENOSPC; anything else saves."""
    save = torch.save

    def full(state, *args, **kwargs):
        if isinstance(state, dict) and "generator_step" in state:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return save(state, *args, **kwargs)

    monkeypatch.setattr(torch, "save", full)


def test_a_failed_first_checkpoint_advises_a_new_run_not_a_resume(tmp_path, monkeypatch):
    from wgan_toys.images.trainer import ImageConfig, ImageTrainer, TrainingStopped

    torch.set_num_threads(1)
    _checkpoints_meet_a_full_disk(monkeypatch)
    trainer = ImageTrainer(ImageConfig(**dict(TINY_IMAGE_RUN, generator_steps=2)), tmp_path / "run", verbose=False)
    with pytest.raises(TrainingStopped, match=r"then start it again with overwrite=True") as stopped:
        trainer.train()
    assert "resume" not in str(stopped.value)


def _library_messages():
    """Every string literal (f-string parts too) inside a ``raise`` or a ``warnings.warn(...)`` of the
    package, outside the command line, as (module, line, text)."""
    import ast
    import pathlib

    import wgan_toys

    root = pathlib.Path(wgan_toys.__file__).parent
    for path in sorted(root.rglob("*.py")):
        if path.name == "__main__.py" or path.relative_to(root).parts[0] == "cli":  # the command line's package
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            warn = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "warn"
            if isinstance(node, ast.Raise) or warn:
                for part in ast.walk(node):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        yield path.relative_to(root).as_posix(), part.lineno, part.value


def test_library_messages_speak_the_python_api_not_flags():
    """The library's errors and warnings name Python parameters (``skip_unreadable=True``); only the
    command line names its flags (``--skip-unreadable``), translating the library's words."""
    import re

    flags = [
        f"{module}:{line}: {text!r}"
        for module, line, text in _library_messages()
        if re.search(r"(?<![\w-])--[a-z]", text) and "pip install" not in text
    ]
    assert flags == []


def test_the_command_line_names_its_flags_for_the_data_errors(tmp_path, capsys):
    """``load_images`` says root (data_root= in ImageConfig) and skip_unreadable=True; the command
    says --data-root and --skip-unreadable."""
    import numpy as np
    from PIL import Image

    from wgan_toys.images.data import load_images

    for index in range(4):
        pixels = np.random.default_rng(index).integers(0, 256, (20, 20), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / f"image_{index}.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"needs root \(data_root= in ImageConfig\)") as missing:
        load_images("folder", image_size=16, verbose=False)
    with pytest.raises(ValueError, match=r"or pass skip_unreadable=True to skip") as broken:
        load_images("folder", root=tmp_path, image_size=16, held_out=1, verbose=False)
    assert "--" not in str(missing.value) + str(broken.value)
    for flags, said in (
        ([], "dataset 'folder' needs --data-root: the folder that holds the images."),
        (["--data-root", str(tmp_path)], "or pass --skip-unreadable to skip such files and count them."),
    ):
        out = tmp_path / f"run{len(flags)}"
        with pytest.raises(SystemExit) as exit_info:
            main(["train-images", "--smoke", "--dataset", "folder", *flags, "--out", str(out)])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and said in err and len(err.strip().splitlines()) == 1, err


def test_a_stopped_image_run_is_advised_in_flags(tmp_path, monkeypatch, capsys):
    """The trainer's TrainingStopped says overwrite=True (out ...); train-images, which catches it,
    prints the flags: --overwrite (--out ...)."""
    _checkpoints_meet_a_full_disk(monkeypatch)
    out = tmp_path / "run"
    flags = ["--smoke", "--threads", "1", "--device", "cpu", "--generator-steps", "2", "--out", str(out)]
    assert main(["train-images", *flags]) == 1
    err = capsys.readouterr().err
    assert f"then start it again with --overwrite (--out {out})" in err and "=True" not in err, err


@pytest.mark.slow  # seconds of CPU: trains or runs a command end to end
def test_a_diverged_toy_is_advised_in_flags(tmp_path, monkeypatch, capsys):
    """ToyGAN's TrainingDivergedError says 'lower learning_rate'; the toy command, which catches it,
    prints --learning-rate."""
    from wgan_toys.toy_gan import ToyGAN

    train = ToyGAN.train

    def diverge(self, iterations=None, callback=None):
        train(self, 1, callback)  # one real step, logged
        self._check(torch.tensor(float("nan")), "the critic's loss")  # the trainer's own check and message

    monkeypatch.setattr(ToyGAN, "train", diverge)
    assert main(["toy", "--threads", "1", "--iterations", "2", "--out", str(tmp_path / "toy")]) == 1
    err = capsys.readouterr().err
    assert "stopped: the critic's loss became nan" in err and "lower --learning-rate (now" in err, err
    assert "learning_rate" not in err, err
