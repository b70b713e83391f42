"""Run folders under fault injection (issue 11, items 5-13): a second process, a kill during a
rewrite, a torn line, NaN state, damaged checkpoints, changed settings, an existing run, a full
disk, and signals. Each test first produces the fault, then checks that nothing was lost or mixed.

Runs are tiny (16x16, 8 filters, 4 generator steps, one thread); one is trained per module and
copied into each test's folder.
"""

import errno
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import zipfile

import pytest
import torch
from helpers.image_runs import HANG_GUARD, TINY_IMAGE_RUN, interrupt_a_long_run

from wgan_toys.images import runs
from wgan_toys.images.runs import (
    CHECKPOINT,
    PREVIOUS_CHECKPOINT,
    NonFiniteState,
    load_checkpoint,
    load_latest_checkpoint,
    read_jsonl,
    run_lock,
    save_checkpoint,
    truncate_jsonl,
)
from wgan_toys.images.trainer import ImageConfig, ImageTrainer, TrainingStopped, read_metrics
from wgan_toys.toy_gan import ToyConfig, ToyGAN, run_folder

TINY = dict(TINY_IMAGE_RUN, eval_every=100, sample_every=100)
TOY_SMOKE = ("--iterations", "2", "--eval-samples", "50", "--width", "8", "--no-gif")  # a two-step toy run


def _python(*args, **kwargs):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=HANG_GUARD, **kwargs
    )


def _cli(*args):
    return _python("-m", "wgan_toys", *args)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A 4-step WGAN run: checkpoint.pt at step 4, checkpoint.previous.pt at step 2."""
    out = tmp_path_factory.mktemp("runs") / "finished"
    ImageTrainer(ImageConfig(**TINY), out, verbose=False).train()
    return out


@pytest.fixture
def run(finished_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    return copy


# ----- item 5: one run per folder --------------------------------------------------------------
HOLD_LOCK = """
import sys, time
from wgan_toys.images.runs import run_lock
with run_lock(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.read()  # hold it until the parent closes our stdin
"""


@pytest.mark.subprocess
def test_a_second_process_is_refused_while_a_run_holds_the_folder(tmp_path):
    out = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(
            ValueError, match=rf"{re.escape(str(out))} is in use by another run \(process {holder.pid}\)"
        ):
            with run_lock(out):
                pass
        images = _cli("train-images", "--smoke", "--threads", "1", "--device", "cpu", "--out", str(out))
        assert images.returncode == 2, images.stderr
        assert f"{out} is in use by another run (process {holder.pid})" in images.stderr
        toy = _cli("toy", *TOY_SMOKE, "--log-every", "1", "--out", str(out))
        assert toy.returncode == 2 and "is in use by another run" in toy.stderr, toy.stderr
        assert sorted(path.name for path in out.iterdir()) == [".lock"]  # nothing was written
    finally:
        holder.communicate(input="", timeout=HANG_GUARD)
    with run_lock(out):  # the kernel released it with the holder
        with run_lock(out):  # and it is re-entrant within one process
            pass


# ----- item 6: rewrites are atomic, handlers come first ---------------------------------------
KILL_DURING_REWRITE = """
import os, signal, sys
from wgan_toys.images import runs
def killed(source, target):  # the temporary file is written and fsynced; die before the rename
    os.kill(os.getpid(), signal.SIGKILL)
runs.os.replace = killed
runs.truncate_jsonl(sys.argv[1], lambda record: record["generator_step"] <= 10)
"""


@pytest.mark.subprocess
def test_a_kill_during_resumes_rewrite_loses_nothing(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text(
        "".join(json.dumps({"generator_step": step, "critic_loss": -0.1 * step}) + "\n" for step in range(1, 100_001))
    )
    before = metrics.read_bytes()
    killed = _python("-c", KILL_DURING_REWRITE, str(metrics))
    assert killed.returncode == -signal.SIGKILL
    assert metrics.read_bytes() == before  # all 100,000 rows, as they were
    assert len(list(tmp_path.glob(".metrics.jsonl.*.tmp"))) == 1  # the dead writer's temporary file
    with run_lock(tmp_path):  # the next run clears it
        assert not list(tmp_path.glob(".*.tmp"))
    assert truncate_jsonl(metrics, lambda record: record["generator_step"] <= 10) == 10
    assert [record["generator_step"] for record in read_jsonl(metrics)] == list(range(1, 11))


def test_an_interrupted_config_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = runs.atomic_write_json(tmp_path / "config.json", {"learning_rate": 5e-5})

    def interrupted(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(runs.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        runs.atomic_write_json(path, {"learning_rate": 1.0})
    assert json.loads(path.read_text()) == {"learning_rate": 5e-5}
    assert not list(tmp_path.glob(".*.tmp"))


def test_signal_handlers_are_installed_before_the_folder_is_rewritten(run, monkeypatch):
    trainer = ImageTrainer.resume(run, verbose=False)
    seen = []
    rewrite = runs.atomic_write_text

    def watched(path, text):
        seen.append((pathlib.Path(path).name, signal.getsignal(signal.SIGINT)))
        return rewrite(path, text)

    monkeypatch.setattr("wgan_toys.images.runs.atomic_write_text", watched)
    trainer.train(until=4)
    assert [name for name, _ in seen] == ["config.json", "metrics.jsonl"]
    assert all(
        getattr(handler, "__name__", None) == "request_stop" for _, handler in seen
    )  # the trainer's, not Python's


# ----- item 7: torn and bad lines ---------------------------------------------------------------
def test_a_torn_last_line_is_dropped_with_a_warning_and_the_run_resumes(run):
    metrics = run / "metrics.jsonl"
    rows = metrics.read_text()
    metrics.write_text(rows + '{"generator_step": 5, "critic_lo')  # what a crash mid-write leaves
    with pytest.warns(RuntimeWarning, match=rf"{re.escape(str(metrics))}: dropped its last line 5, cut short"):
        assert [record["generator_step"] for record in read_metrics(run)] == [1, 2, 3, 4]
    with pytest.warns(RuntimeWarning, match="cut short"):
        ImageTrainer.resume(run, generator_steps=5, verbose=False).train()
    assert [record["generator_step"] for record in read_metrics(run)] == [1, 2, 3, 4, 5]
    assert metrics.read_text().startswith(rows)


@pytest.mark.parametrize(
    "text, line",
    [
        ('{"generator_step": 1}\n{"generator_st\n{"generator_step": 3}\n', 2),  # a bad middle line
        ('{"generator_step": 1}\n[1, 2]\n', 2),  # JSON, but not an object
        ('{"generator_step": 1}\n{"generator_st\n', 2),  # a bad last line that has its newline: not torn by a crash
    ],
)
def test_any_other_bad_line_is_an_error_naming_file_and_line(tmp_path, text, line):
    path = tmp_path / "metrics.jsonl"
    path.write_text(text)
    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}, line {line}: not a JSON object"):
        read_jsonl(path)


# ----- item 8: never a non-finite checkpoint --------------------------------------------------
def test_nan_parameters_are_never_checkpointed(run):
    trainer = ImageTrainer.resume(run, generator_steps=8, verbose=False)
    update = trainer.generator_step_update

    def poisoned():  # the loss is finite, the update that follows it is not
        update()
        if trainer.generator_step == 6:
            with torch.no_grad():
                weight = next(trainer.generator.parameters())
                weight[(0,) * weight.dim()] = float("nan")

    trainer.generator_step_update = poisoned
    good = (run / CHECKPOINT).read_bytes()
    with pytest.raises(
        TrainingStopped,
        match=r"NaN or infinite by generator step 6 \(generator\.\S+\); they were not saved\. "
        r"The last good checkpoint \(.*checkpoint\.pt, generator step 4\) is kept",
    ):
        trainer.train()
    assert (run / CHECKPOINT).read_bytes() == good
    assert load_checkpoint(run / PREVIOUS_CHECKPOINT)["generator_step"] == 2


def test_non_finite_optimiser_state_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / CHECKPOINT
    save_checkpoint(path, {"generator_step": 1, "weight": torch.ones(3)})
    state = {
        "generator_step": 2,
        "weight": torch.ones(3),
        "optimizer": {"state": {0: {"square_avg": torch.tensor([1.0, float("inf")])}}},
    }
    with pytest.raises(NonFiniteState, match=r"optimizer\.state\.0\.square_avg"):
        save_checkpoint(path, state)
    assert load_checkpoint(path)["generator_step"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [CHECKPOINT]


# ----- item 11: damaged, foreign and crafted checkpoints -------------------------------------
class _Crafted:
    def __reduce__(self):
        return (print, ("this ran",))


def _damage(path: pathlib.Path, kind: str) -> None:
    data = bytearray(path.read_bytes())
    if kind == "bit flip":  # in a tensor's bytes: torch.load alone would load it silently
        with zipfile.ZipFile(path) as archive:
            member = max(archive.infolist(), key=lambda info: info.file_size)
        start = data.find(zipfile.ZipFile(path).read(member.filename)[:64])
        data[start + 20] ^= 0x10
        path.write_bytes(bytes(data))
    elif kind == "truncated":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not a checkpoint\n")
    elif kind == "foreign":
        torch.save({"model": torch.zeros(2)}, path)
    elif kind == "crafted":
        torch.save({"generator_step": _Crafted()}, path)


DAMAGE = {
    "bit flip": r"is damaged: the bytes of its member '.*' fail their CRC-32 check",
    "truncated": r"is not a checkpoint written by torch\.save, or it is cut short or damaged",
    "empty": r"is not a checkpoint written by torch\.save",
    "text": r"is not a checkpoint written by torch\.save",
    "foreign": r"is not a checkpoint of this trainer: it lacks config, generator",
    "crafted": r"holds objects that are not tensors; refusing to load it",
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_bad_checkpoint_is_one_error_naming_the_file(tmp_path, kind):
    path = tmp_path / CHECKPOINT
    save_checkpoint(path, {"config": {}, "generator": {"weight": torch.arange(64.0)}, "generator_step": 3})
    _damage(path, kind)
    required = ("config", "generator", "critic") if kind == "foreign" else ()
    with pytest.raises(ValueError, match=re.escape(str(path)) + " " + DAMAGE[kind]):
        load_checkpoint(path, required)
    with pytest.raises(ValueError, match=re.escape(str(path))):  # no previous copy to fall back on
        load_latest_checkpoint(tmp_path, required)


@pytest.mark.parametrize("kind", ["bit flip", "truncated", "crafted", "missing"])
def test_resume_falls_back_to_the_previous_checkpoint_with_a_warning(run, kind):
    if kind == "missing":  # a kill between keeping the previous copy and the rename
        (run / CHECKPOINT).unlink()
    else:
        _damage(run / CHECKPOINT, kind)
    with pytest.warns(
        RuntimeWarning, match=r"Resuming from the previous checkpoint, .*checkpoint\.previous\.pt \(generator step 2\)"
    ):
        trainer = ImageTrainer.resume(run, verbose=False)
    assert trainer.generator_step == 2
    trainer.train()
    assert [record["generator_step"] for record in read_metrics(run)] == [1, 2, 3, 4]
    assert load_checkpoint(run / CHECKPOINT)["generator_step"] == 4


# ----- item 9: resume keeps the recorded settings ---------------------------------------------
def test_changed_settings_are_refused_on_resume(run):
    with pytest.raises(
        ValueError,
        match=r"--resume keeps the settings of the run in .*these differ: generator: was 'dcgan', "
        r"now 'mlp'; learning_rate: was 5e-05, now 0\.001\. Drop those flags.*device, threads",
    ):
        ImageTrainer.resume(run, settings={"generator": "mlp", "learning_rate": 1e-3, "device": "cpu"}, verbose=False)
    # a default given explicitly, and the settings that may change
    trainer = ImageTrainer.resume(
        run,
        settings={"learning_rate": 5e-5, "n_critic": 5, "device": "cpu", "threads": 1, "generator_steps": 6},
        verbose=False,
    )
    assert trainer.config.generator_steps == 6 and trainer.generator_step == 4


@pytest.mark.subprocess
def test_cli_refuses_a_changed_flag_on_resume(run):
    result = _cli("train-images", "--resume", "--arch", "mlp", "--out", str(run))
    assert result.returncode == 2
    assert "these differ: generator: was 'dcgan', now 'mlp'" in result.stderr and "Traceback" not in result.stderr


def test_generator_steps_cannot_shrink_below_the_step_reached(run):
    with pytest.raises(
        ValueError, match=r"generator_steps == 3, must be >= 4, the generator step the run in .* reached"
    ):
        ImageTrainer.resume(run, generator_steps=3, verbose=False)
    assert ImageTrainer.resume(run, generator_steps=4, verbose=False).config.generator_steps == 4


# ----- item 12: an existing run is not overwritten --------------------------------------------
@pytest.mark.parametrize("marker", ["config.json", "metrics.jsonl"])
def test_a_run_without_a_checkpoint_is_not_overwritten_without_overwrite(tmp_path, marker):
    out = tmp_path / "run"
    out.mkdir()
    (out / marker).write_text("{}\n")
    (out / "samples").mkdir()
    (out / "samples" / "step_000100.png").write_bytes(b"old")
    with pytest.raises(
        ValueError, match=rf"already holds a run \({marker}\); pass --overwrite to replace it.*Nothing was overwritten"
    ):
        ImageTrainer(ImageConfig(**TINY), out, verbose=False).train()
    assert (out / marker).read_text() == "{}\n"
    ImageTrainer(ImageConfig(**dict(TINY, generator_steps=2)), out, verbose=False, overwrite=True).train()
    assert [record["generator_step"] for record in read_metrics(out)] == [1, 2]
    assert not (out / "samples" / "step_000100.png").exists()  # the old run's samples went with it


@pytest.mark.subprocess
def test_toy_run_folders_are_not_overwritten_without_overwrite(tmp_path):
    torch.set_num_threads(1)
    out = tmp_path / "toy"
    trainer = ToyGAN(ToyConfig(iterations=2, log_every=1, eval_samples=50, width=8, batch_size=16))
    with run_folder(trainer, out) as log:
        trainer.train(callback=log)
    rows = (out / "metrics.jsonl").read_text()
    assert len(rows.splitlines()) == 3
    with pytest.raises(ValueError, match=r"already holds a run \(config\.json, metrics\.jsonl\); pass --overwrite"):
        with run_folder(trainer, out):
            pass
    assert (out / "metrics.jsonl").read_text() == rows
    refused = _cli("toy", *TOY_SMOKE, "--log-every", "1", "--out", str(out))
    assert refused.returncode == 2 and "pass --overwrite" in refused.stderr
    replaced = _cli("toy", *TOY_SMOKE, "--log-every", "2", "--overwrite", "--out", str(out))
    assert replaced.returncode == 0, replaced.stderr
    assert [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [0, 2]
    assert re.search(r"wgan-toys toy: step 2 of 2, estimate .*of which exact W1 logging", replaced.stdout)


# ----- item 13: a full disk during a checkpoint -----------------------------------------------
@pytest.mark.parametrize("where", ["torch.save", "fsync"])
def test_a_full_disk_during_a_checkpoint_cleans_up_and_names_errno(run, monkeypatch, where):
    trainer = ImageTrainer.resume(run, generator_steps=6, verbose=False)
    good = (run / CHECKPOINT).read_bytes()

    save, fsync = torch.save, os.fsync

    def full_save(state, *args, **kwargs):  # the checkpoint, not the digits classifier's cache
        if isinstance(state, dict) and "generator_step" in state:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return save(state, *args, **kwargs)

    def full_fsync(descriptor):  # the disk fills while the one large file, the checkpoint, is flushed
        if os.fstat(descriptor).st_size > 20_000:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return fsync(descriptor)

    if where == "torch.save":
        monkeypatch.setattr(torch, "save", full_save)
    else:
        monkeypatch.setattr(runs.os, "fsync", full_fsync)
    with pytest.raises(
        TrainingStopped,
        match=r"could not write .*checkpoint\.pt at generator step 6: No space left on device "
        r"\(errno 28, ENOSPC\); the temporary file was removed\. The last good checkpoint "
        r"\(.*, generator step 4\) is kept\. Free space",
    ):
        trainer.train()
    monkeypatch.undo()
    assert not list(run.glob(".*.tmp"))
    assert (run / CHECKPOINT).read_bytes() == good
    resumed = ImageTrainer.resume(run, generator_steps=6, verbose=False).train()  # with space again, it continues
    assert resumed.generator_step == 6 and [r["generator_step"] for r in read_metrics(run)] == [1, 2, 3, 4, 5, 6]


# ----- item 10: signals -----------------------------------------------------------------------
SECOND_CTRL_C_WHILE_SAVING = """
import os, signal, sys
import torch
import wgan_toys.images.trainer as trainer_module
from wgan_toys.images.trainer import ImageConfig, ImageTrainer
torch.set_num_threads(1)
save = trainer_module.save_checkpoint
def save_under_a_second_ctrl_c(path, state):
    os.kill(os.getpid(), signal.SIGINT)
    return save(path, state)
trainer_module.save_checkpoint = save_under_a_second_ctrl_c
trainer = ImageTrainer(ImageConfig(**{config}), sys.argv[1], verbose=True)
iteration = trainer.iteration
def first_ctrl_c():
    iteration()
    if trainer.generator_step == 2:
        os.kill(os.getpid(), signal.SIGINT)
trainer.iteration = first_ctrl_c
trainer.train()
print(trainer.stop_signal, trainer.generator_step, trainer.saved_step)
"""


@pytest.mark.subprocess
def test_a_second_ctrl_c_while_saving_lets_the_checkpoint_finish(tmp_path):
    out = tmp_path / "run"
    script = SECOND_CTRL_C_WHILE_SAVING.replace("{config}", repr(dict(TINY, generator_steps=50, checkpoint_every=100)))
    result = _python("-c", script, str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(int(signal.SIGINT)), "2", "2"]
    assert "still writing the checkpoint" in result.stderr and "Traceback" not in result.stderr
    assert load_checkpoint(out / CHECKPOINT)["generator_step"] == 2


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.subprocess
def test_an_interrupted_run_exits_128_plus_the_signal_with_one_line(tmp_path, signum, status):
    out = tmp_path / "run"
    returncode, stderr = interrupt_a_long_run(out, signum, rows=2)
    assert returncode == status, stderr
    last = stderr.strip().splitlines()[-1]
    assert re.fullmatch(
        rf"wgan-toys train-images: interrupted at step (\d+) of 100000; continue with --resume --out {re.escape(str(out))}",
        last,
    ), stderr
    assert "Traceback" not in stderr
    step = int(re.search(r"at step (\d+)", last).group(1))
    assert load_checkpoint(out / CHECKPOINT)["generator_step"] == step == read_metrics(out)[-1]["generator_step"]
