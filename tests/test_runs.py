"""Run folders under fault injection: a second process, a kill during a
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

from wgan_toys import run_files, runs
from wgan_toys.images.trainer import ImageConfig, ImageTrainer, TrainingStopped, read_metrics
from wgan_toys.run_files import (
    CHECKPOINT,
    PREVIOUS_CHECKPOINT,
    NonFiniteState,
    load_checkpoint,
    read_jsonl,
    save_checkpoint,
    truncate_jsonl,
)
from wgan_toys.runs import load_latest_checkpoint, run_lock
from wgan_toys.toy_gan import ToyConfig, ToyGAN, run_folder

TINY = dict(TINY_IMAGE_RUN, eval_every=100, sample_every=100)
TOY_SMOKE = ("--smoke", "--no-gif")  # ToyConfig.smoke(): a two-step toy run


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
from wgan_toys.runs import run_lock
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
from wgan_toys import run_files
def killed(source, target):  # the temporary file is written and fsynced; die before the rename
    os.kill(os.getpid(), signal.SIGKILL)
run_files.os.replace = killed
run_files.truncate_jsonl(sys.argv[1], lambda record: record["generator_step"] <= 10)
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
    path = run_files.atomic_write_json(tmp_path / "config.json", {"learning_rate": 5e-5})

    def interrupted(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_files.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_files.atomic_write_json(path, {"learning_rate": 1.0})
    assert json.loads(path.read_text()) == {"learning_rate": 5e-5}
    assert not list(tmp_path.glob(".*.tmp"))


def test_signal_handlers_are_installed_before_the_folder_is_rewritten(run, monkeypatch):
    trainer = ImageTrainer.resume(run, verbose=False)
    seen = []
    rewrite = run_files.atomic_write_text

    def watched(path, text):
        seen.append((pathlib.Path(path).name, signal.getsignal(signal.SIGINT)))
        return rewrite(path, text)

    monkeypatch.setattr("wgan_toys.run_files.atomic_write_text", watched)
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
    elif kind == "zip bomb":  # a deflated member of 32 MiB of zeros: checking its CRC would inflate it all
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("archive/data.pkl", bytes(32 << 20))


DAMAGE = {
    "bit flip": r"is damaged: the bytes of its member '.*' fail their CRC-32 check",
    "truncated": r"is not a checkpoint written by torch\.save, or it is cut short or damaged",
    "empty": r"is not a checkpoint written by torch\.save",
    "text": r"is not a checkpoint written by torch\.save",
    "foreign": r"is not a checkpoint of this trainer: it lacks config, generator",
    "crafted": r"holds objects that are not tensors; refusing to load it",
    "zip bomb": r"holds compressed members \('archive/data.pkl'\), which torch.save never writes",
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
        match=r"resume=True keeps the settings of the run in .*these differ: generator: was 'dcgan', "
        r"now 'mlp'; learning_rate: was 5e-05, now 0\.001\. Drop those settings.*device, threads",
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
        ValueError,
        match=rf"already holds a run \({marker}\); pass overwrite=True to replace it.*Nothing was overwritten",
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
    with pytest.raises(ValueError, match=r"already holds a run \(config\.json, metrics\.jsonl\); pass overwrite=True"):
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
        monkeypatch.setattr(run_files.os, "fsync", full_fsync)
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


# ----- a run folder belongs to one run ----------------------------------------------------------
def test_every_piece_of_a_run_records_its_id(run):
    state = load_checkpoint(run / CHECKPOINT)
    recorded = json.loads((run / "config.json").read_text())["run_id"]
    assert isinstance(state["run_id"], str) and len(state["run_id"]) == 32
    assert recorded == state["run_id"]
    assert {row["run_id"] for row in read_jsonl(run / "metrics.jsonl")} == {recorded}


@pytest.mark.slow  # seconds of CPU: trains or runs a command end to end
def test_a_checkpoint_copied_from_another_run_is_refused(run, tmp_path):
    other = tmp_path / "other"
    ImageTrainer(ImageConfig(**{**TINY, "seed": 1}), other, verbose=False).train()
    shutil.copy(other / CHECKPOINT, run / CHECKPOINT)
    before = (run / "metrics.jsonl").read_bytes(), (run / "config.json").read_bytes()
    with pytest.raises(ValueError, match=r"belongs to run .* records run .*copied in"):
        ImageTrainer.resume(run, generator_steps=6, verbose=False)
    result = _cli("train-images", "--resume", "--out", str(run), "--generator-steps", "6", "--threads", "1")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "start a new run in another --out" in result.stderr  # the API's words, as flags
    assert ((run / "metrics.jsonl").read_bytes(), (run / "config.json").read_bytes()) == before


def test_metrics_rows_of_another_run_or_without_a_step_are_refused_on_resume(run):
    metrics = run / "metrics.jsonl"
    lines = metrics.read_text().splitlines()
    metrics.write_text("\n".join([lines[0], "{}", *lines[1:]]) + "\n")  # a {} line survived truncation
    with pytest.raises(ValueError, match=r"metrics.jsonl, line 2: generator_step == None"):
        ImageTrainer.resume(run, verbose=False)
    foreign = json.loads(lines[0]) | {"run_id": "0" * 32}
    metrics.write_text("\n".join([json.dumps(foreign), *lines[1:]]) + "\n")
    with pytest.raises(ValueError, match=r"line 1 belongs to run 0{32}.*mixes two runs"):
        ImageTrainer.resume(run, verbose=False)


def test_metrics_rows_repeated_or_out_of_order_are_refused_on_resume(run):
    metrics = run / "metrics.jsonl"
    lines = metrics.read_text().splitlines()
    metrics.write_text("\n".join([*lines[:2], *lines]) + "\n")  # two copies of a history, one after the other
    before = metrics.read_bytes()
    with pytest.raises(ValueError, match=r"metrics.jsonl, line 3: generator_step 1 after 2; .*mixes two histories"):
        ImageTrainer.resume(run, verbose=False)
    assert metrics.read_bytes() == before


@pytest.mark.parametrize("cut", ["rows", "file"])
def test_a_metrics_file_cut_short_or_deleted_warns_naming_the_lost_steps(run, cut):
    metrics = run / "metrics.jsonl"
    if cut == "rows":  # rows 3 and 4 lost; the checkpoint is at step 4
        metrics.write_text("".join(line + "\n" for line in metrics.read_text().splitlines()[:2]))
        said = r"lacks 2 of the 4 rows this run logged \(every 1 generator steps\) up to its checkpoint's step 4, "
        said += "from step 3 to step 4"
    else:
        metrics.unlink()
        said = r"is missing, with 4 of the 4 rows .* from step 1 to step 4"
    with pytest.warns(RuntimeWarning, match=said):
        ImageTrainer.resume(run, generator_steps=5, verbose=False).train()
    assert [row["generator_step"] for row in read_metrics(run)] == ([1, 2, 5] if cut == "rows" else [5])


@pytest.mark.skipif(not pathlib.Path("/proc/self/fd").is_dir(), reason="names descriptors through /proc")
def test_metrics_rows_are_on_disk_before_the_checkpoint_that_follows_them(tmp_path, monkeypatch):
    events, fsync, replace = [], os.fsync, os.replace
    monkeypatch.setattr(
        os, "fsync", lambda fd: events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"))) or fsync(fd)
    )
    monkeypatch.setattr(os, "replace", lambda a, b, **k: events.append(("replace", str(b))) or replace(a, b, **k))
    out = tmp_path / "run"
    ImageTrainer(ImageConfig(**dict(TINY, generator_steps=2)), out, verbose=False).train()
    checkpoint = events.index(("replace", str(out / CHECKPOINT)))
    assert ("fsync", str(out / "metrics.jsonl")) in events[:checkpoint]


def test_overwrite_removes_every_file_of_the_previous_run_and_only_those(run):
    (run / "notes.txt").write_text("mine")
    (run / ".notes.tmp").write_text("mine too")
    trainer = ToyGAN(ToyConfig(iterations=0, width=8, eval_samples=50))
    with run_folder(trainer, run, overwrite=True) as log:
        log({"generator_step": 0})
    assert sorted(path.name for path in run.rglob("*") if path.is_file()) == [
        ".lock",
        ".notes.tmp",
        "config.json",
        "metrics.jsonl",
        "notes.txt",
    ]
    with pytest.raises(ValueError, match="no checkpoint at"):  # the image run's checkpoints went with it
        ImageTrainer.resume(run, verbose=False)


# ----- a crafted folder does no harm ------------------------------------------------------------
def test_a_lock_that_is_a_symlink_is_refused_and_its_target_untouched(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    out = tmp_path / "sym"
    out.mkdir()
    (out / ".lock").symlink_to(notes)
    with pytest.raises(ValueError, match=r"\.lock is a symbolic link"):
        with run_lock(out):
            pass
    assert notes.read_text() == "my notes\n"


@pytest.mark.parametrize("name", ["metrics.jsonl", "samples", "toy_run.png", "samples_over_iterations.png"])
def test_a_run_file_that_is_a_link_out_of_the_folder_is_refused_and_nothing_written_there(tmp_path, capsys, name):
    from wgan_toys.cli import main

    out, outside = tmp_path / "out", tmp_path / "outside"
    out.mkdir()
    (out / name).symlink_to(outside)  # dangling: appending or saving through it would create it
    if name == "samples":
        outside.mkdir()
    if name in ("metrics.jsonl", "samples"):
        with pytest.raises(ValueError, match=rf"{name} is a symbolic link \(to {re.escape(str(outside))}\); .*Remove"):
            ImageTrainer(ImageConfig(**dict(TINY, generator_steps=2)), out, verbose=False).train()
    else:
        with pytest.raises(SystemExit) as exit:
            main(["toy", *TOY_SMOKE, "--device", "cpu", "--out", str(out)])
        error = capsys.readouterr().err
        assert exit.value.code == 2 and f"{name} is a symbolic link" in error and len(error.splitlines()) == 1
    assert (not outside.exists()) if name != "samples" else list(outside.iterdir()) == []


def test_a_fifo_in_the_place_of_metrics_is_refused_on_resume_instead_of_waiting_on_it(run):
    (run / "metrics.jsonl").unlink()
    os.mkfifo(run / "metrics.jsonl")  # reading it would wait forever for a writer
    with pytest.raises(ValueError, match=r"metrics.jsonl is a FIFO where a run's file goes; remove it"):
        ImageTrainer.resume(run, verbose=False).train()


@pytest.mark.parametrize("kind", ["link", "fifo", "hard link"])
def test_metrics_rows_are_appended_only_to_a_plain_file_of_their_own(tmp_path, kind):
    notes, metrics = tmp_path / "notes.txt", tmp_path / "metrics.jsonl"
    notes.write_text("my notes\n")
    {"link": metrics.symlink_to, "hard link": metrics.hardlink_to}.get(kind, lambda _: os.mkfifo(metrics))(notes)
    with pytest.raises(ValueError, match=r"metrics.jsonl is not a plain file of its own"):
        run_files.append_jsonl(metrics, {"generator_step": 1})
    assert notes.read_text() == "my notes\n"


@pytest.mark.parametrize("kind", ["fifo", "folder", "hard link"])
def test_a_lock_that_is_not_a_plain_file_is_refused(tmp_path, kind):
    out = tmp_path / "out"
    out.mkdir()
    if kind == "fifo":
        os.mkfifo(out / ".lock")
    elif kind == "folder":
        (out / ".lock").mkdir()
    else:
        (tmp_path / "notes.txt").write_text("my notes\n")
        os.link(tmp_path / "notes.txt", out / ".lock")
    with pytest.raises(
        ValueError, match=r"\.lock is (a folder|not a regular file \(a FIFO\)|a file with other hard links)"
    ):
        with run_lock(out):
            pass
    if kind == "hard link":
        assert (tmp_path / "notes.txt").read_text() == "my notes\n"


def test_the_stale_file_sweep_removes_only_the_packages_temporary_files(tmp_path):
    for name in (".notes.tmp", ".config.json.tmp", "config.json.abcdefgh.tmp"):
        (tmp_path / name).write_text("a user's file")
    (tmp_path / ".metrics.jsonl.k2_9xq1z.tmp").write_text("left by a killed writer")
    with run_lock(tmp_path):
        pass
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        ".config.json.tmp",
        ".lock",
        ".notes.tmp",
        "config.json.abcdefgh.tmp",
    ]


def test_atomic_writes_keep_the_mode_the_umask_gives(tmp_path):
    previous = os.umask(0o022)
    try:
        written = run_files.atomic_write_text(tmp_path / "config.json", "{}")
        save_checkpoint(tmp_path / CHECKPOINT, {"step": torch.tensor(1)})
    finally:
        os.umask(previous)
    assert oct(written.stat().st_mode & 0o777) == oct(0o644)
    assert oct((tmp_path / CHECKPOINT).stat().st_mode & 0o777) == oct(0o644)


# ----- a checkpoint's contents are checked against its config ------------------------------------
def _edit_checkpoint(run, edit):
    state = load_checkpoint(run / CHECKPOINT)
    edit(state)
    torch.save(state, run / CHECKPOINT)
    (run / PREVIOUS_CHECKPOINT).unlink()


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda s: s["config"].update(filters=16),
            r"(generator|critic)\.main\.\S+ has shape .* but the network its config builds",
        ),
        (lambda s: s.update(order=s["order"] + 100000), r"order .* is not a permutation of the \d+ training images"),
        (
            lambda s: s.update(random=torch.zeros(3, dtype=torch.uint8)),
            r"random \(3 bytes\) is not a torch.Generator state",
        ),
        (lambda s: s["config"].pop("algorithm"), r"records no algorithm in its config"),
        (lambda s: s.update(position=-5), r"records position == -5, must be an integer >= 0"),
        (lambda s: s.update(generator_step="4"), r"records generator_step == '4', must be an integer"),
        (lambda s: s["config"].update(filters=10**6), r"records a config that is not valid: filters == 1000000"),
        (
            lambda s: s["critic_optimizer"]["state"][0].update(square_avg=torch.zeros(3)),
            r"critic_optimizer\.state\.0\.square_avg has shape \(3,\)",
        ),
    ],
    ids=[
        "size mismatch",
        "order out of range",
        "short rng state",
        "no algorithm",
        "negative position",
        "string step",
        "huge filters",
        "optimizer state",
    ],
)
def test_a_crafted_checkpoint_is_refused_in_one_line_naming_the_file(run, edit, message):
    _edit_checkpoint(run, edit)
    with pytest.raises(ValueError, match=message) as error:
        ImageTrainer.resume(run, verbose=False)
    assert str(run / CHECKPOINT) in str(error.value) and "\n" not in str(error.value)


def test_deeply_nested_json_in_metrics_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"generator_step": 1}\n' + "[" * 100000 + "]" * 100000 + "\n")
    with pytest.raises(ValueError, match=r"metrics.jsonl, line 2: not a JSON object \(nested deeper than 64"):
        read_jsonl(path)


def test_a_config_json_that_is_a_folder_is_named(run):
    (run / "config.json").unlink()
    (run / "config.json").mkdir()
    with pytest.raises(ValueError, match=r"config.json is not a file"):
        ImageTrainer.resume(run, verbose=False)


def test_a_full_disk_while_saving_samples_names_the_file_and_leaves_no_png(tmp_path, monkeypatch):
    trainer = ImageTrainer(ImageConfig(**TINY), tmp_path / "run", verbose=False)

    fsync = os.fsync

    def full(fd):  # the disk fills up while a sample grid is written
        if "step_" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return fsync(fd)

    monkeypatch.setattr(run_files.os, "fsync", full)
    with pytest.raises(TrainingStopped, match=r"could not write the sample grid \S+step_000000.png .*ENOSPC"):
        trainer.train()
    assert not list((tmp_path / "run" / "samples").iterdir())


def test_an_empty_out_is_refused_instead_of_meaning_the_current_folder(tmp_path, monkeypatch):
    # `wgan-toys toy --out ''` trained into the current folder (pathlib reads '' as '.')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(runs.RunFolderError, match=r"^out == '' names no folder"):
        runs.RunFolder("")
    with pytest.raises(runs.RunFolderError, match=r"^out == ' ' names no folder"):
        with runs.run_lock(" "):
            pass
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["train-images", "--smoke"], ["toy", *TOY_SMOKE]])
def test_an_out_that_is_a_file_is_named_with_its_flag(tmp_path, capsys, command):
    from wgan_toys.cli import main

    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    with pytest.raises(SystemExit) as exit:  # was: exit 1, "File exists (notes.txt); check the path"
        main([*command, "--device", "cpu", "--out", str(notes)])
    error = capsys.readouterr().err
    assert exit.value.code == 2 and f"--out == {str(notes)!r} is a file, not a folder" in error
    assert notes.read_text() == "my notes\n"


# ----- outputs never go into a running run's folder, nor over a run's file -----------------------
def test_output_commands_refuse_a_path_inside_a_locked_folder(tmp_path, capsys):
    # toy-claims --out runs/c3/metrics.jsonl beside a running train-images lost its rows
    from wgan_toys.cli import main

    out = tmp_path / "c3"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        for argv in (
            ["toy-claims", "--iterations", "1", "--out", str(out / "metrics.jsonl")],
            ["figure", "1", "--out", str(out / "curve.png")],
            ["figure", "1", "--out", str(out / "samples" / "extra.png")],
        ):
            with pytest.raises(SystemExit) as stop:
                main(argv)
            error = capsys.readouterr().err
            assert stop.value.code == 2 and error.count("\n") == 1, error
            assert f"which a running run holds (process {holder.pid})" in error and "--out ==" in error
        assert sorted(path.name for path in out.iterdir()) == [".lock"]
    finally:
        holder.communicate(input="", timeout=HANG_GUARD)


@pytest.mark.slow  # seconds of CPU: trains or runs a command end to end
def test_a_figure_is_not_written_over_a_file_of_a_run(tmp_path, capsys):
    from wgan_toys.cli import main

    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text("{}")
    (out / "curve.png").write_bytes(b"a run's curve")
    with pytest.raises(SystemExit) as stop:
        main(["figure", "1", "--out", str(out / "curve.png")])
    assert stop.value.code == 2 and "is a file of the run in" in capsys.readouterr().err
    assert (out / "curve.png").read_bytes() == b"a run's curve"
    assert main(["figure", "1", "--out", str(out / "figure_1.png")]) == 0  # a new file beside it is fine


# ----- section4 and toy-claims: one run per seed, the settings asked for ----------------------------
def test_section4_refuses_a_repeated_seed(tmp_path):
    from wgan_toys.images.section4 import run_section4

    with pytest.raises(ValueError, match=r"seeds == \(0, 0\) repeats 0; give each seed once"):
        run_section4(tmp_path / "s4", smoke=True, seeds=(0, 0))
    assert not (tmp_path / "s4").exists()


@pytest.mark.slow  # seconds of CPU: trains or runs a command end to end
def test_section4_refuses_a_folder_recorded_with_other_settings(tmp_path, monkeypatch, classifier_cache):
    # the 16 px runs were resumed and table.json claimed 32 px
    from wgan_toys.images.section4 import run_section4

    monkeypatch.setenv("WGAN_TOYS_CACHE", str(classifier_cache))
    one = dict(smoke=True, threads=1, runs=(("mlp", "wgan"),))
    run_section4(tmp_path / "s4", image_size=16, **one)
    table = (tmp_path / "s4" / "table.json").read_text()
    with pytest.raises(ValueError, match=r"image_size: was 16, now 32"):
        run_section4(tmp_path / "s4", image_size=32, **one)
    assert (tmp_path / "s4" / "table.json").read_text() == table


def test_toy_claims_refuses_a_repeated_seed_before_training(tmp_path, capsys):
    from wgan_toys.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["toy-claims", "--seeds", "0", "0", "--out", str(tmp_path / "claims.json")])
    assert stop.value.code == 2 and "--seeds == 0 0 repeats 0" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["config.json", "metrics.jsonl"])
def test_overwrite_names_a_folder_in_the_place_of_a_run_file(tmp_path, name):
    """A folder in the place of a run's file is named and nothing is deleted (writing the file over
    it would fail in os.replace, naming only a temporary file, .config.json.XXXX.tmp)."""
    out = tmp_path / "run"
    (out / name).mkdir(parents=True)
    (out / "checkpoint.pt").write_bytes(b"a previous run's")
    with pytest.raises(ValueError, match=rf"run/{re.escape(name)} is a folder where a run's {re.escape(name)} goes.*"):
        ImageTrainer(ImageConfig(**TINY), out, verbose=False, overwrite=True).train()
    assert (out / "checkpoint.pt").read_bytes() == b"a previous run's" and (out / name).is_dir()
    with pytest.raises(ValueError, match=rf"{re.escape(name)} is a folder where"):
        with run_folder(ToyGAN(ToyConfig(iterations=0, width=8, eval_samples=50)), out, overwrite=True):
            pass
    assert (out / "checkpoint.pt").read_bytes() == b"a previous run's" and (out / name).is_dir()
