"""Run folders that never lose or mix history: one lock, atomic writes, checked checkpoints.

What ``wgan-toys train-images`` (:mod:`~wgan_toys.images.trainer`) and ``wgan-toys toy``
(:mod:`~wgan_toys.toy_gan`) do to a run folder goes through this module:

- :func:`run_lock`: an exclusive ``fcntl.flock`` on ``OUT/.lock`` for the life of a run, so that
  a second process on the same folder is refused instead of interleaving two histories;
- :func:`atomic_write_text`, :func:`atomic_write_json`: a uniquely named temporary file in the
  same folder, flushed, fsynced, then ``os.replace``: a crash leaves the old file or the new one;
- :func:`read_jsonl`, :func:`truncate_jsonl`, :func:`append_jsonl`: ``metrics.jsonl``; a torn last
  line (what a crash mid-write leaves) is dropped with a warning, any other bad line is an error
  that names the file and the line;
- :func:`save_checkpoint`, :func:`load_checkpoint`, :func:`load_latest_checkpoint`: never a
  non-finite state, the previous checkpoint kept as ``checkpoint.previous.pt``, integrity checked
  by the zip CRC-32 of every member (torch itself loads damaged bytes silently), a load that
  falls back to the previous checkpoint with a warning;
- :func:`refuse_existing_run`, :func:`changed_settings`: a folder that holds a run is never
  overwritten without ``overwrite``, and a resumed run never silently changes its settings.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import math
import os
import pathlib
import pickle
import shutil
import tempfile
import threading
import warnings
import zipfile
from types import ModuleType
from typing import Any, Iterable

fcntl: ModuleType | None
try:
    import fcntl as _fcntl

    fcntl = _fcntl
except ImportError:  # Windows: no flock; runs are then not protected against a second process
    fcntl = None

__all__ = [
    "CHECKPOINT",
    "LOCK",
    "PREVIOUS_CHECKPOINT",
    "NonFiniteState",
    "append_jsonl",
    "atomic_write_json",
    "atomic_write_text",
    "changed_settings",
    "describe_os_error",
    "load_checkpoint",
    "load_latest_checkpoint",
    "nonfinite_entries",
    "previous_path",
    "read_jsonl",
    "refuse_existing_run",
    "run_lock",
    "save_checkpoint",
    "truncate_jsonl",
]

CHECKPOINT = "checkpoint.pt"
PREVIOUS_CHECKPOINT = "checkpoint.previous.pt"  # previous_path(CHECKPOINT)
LOCK = ".lock"


class NonFiniteState(ValueError):
    """A state to be checkpointed holds NaN or infinite values (``names`` lists where)."""

    def __init__(self, message: str, names: list[str]):
        super().__init__(message)
        self.names = names


# ----- the lock --------------------------------------------------------------------------------
_held: dict[str, list] = {}  # resolved folder -> [open lock file, depth]; the lock is re-entrant within a process
_held_guard = threading.Lock()


@contextlib.contextmanager
def run_lock(out):
    """Hold an exclusive lock on the run folder ``out`` (created if missing) while the block runs.

    The lock is ``fcntl.flock`` on ``out/.lock``: the kernel releases it when the process ends,
    however it ends, so a killed run never leaves a stale lock. Within one process the lock is
    re-entrant (a trainer's ``train`` inside the command's own lock). Taking it removes the
    temporary files (``.*.tmp``) that a killed writer left.

    Parameters
    ----------
    out : str or path-like
        The run folder.

    Raises
    ------
    ValueError
        If another process holds the lock: ``out is in use by another run (process PID)``.
    """
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    key = str(out.resolve())
    with _held_guard:
        if key in _held:
            _held[key][1] += 1
            handle = None
        else:
            handle = open(out / LOCK, "a+")
            if fcntl is not None:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown"
                    handle.close()
                    raise ValueError(
                        f"{out} is in use by another run (process {holder}); wait for it to finish, "
                        "or choose another --out. Nothing was written."
                    ) from None
                except OSError as error:  # a file system without locks (some network mounts)
                    warnings.warn(
                        f"could not lock {out / LOCK} ({error.strerror}); a second run in {out} would not be detected.",
                        RuntimeWarning,
                        stacklevel=3,
                    )
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            _held[key] = [handle, 1]
            for stale in out.glob(".*.tmp"):  # left by a killed writer; no one else writes here now
                stale.unlink(missing_ok=True)
    try:
        yield out
    finally:
        with _held_guard:
            _held[key][1] -= 1
            if _held[key][1] == 0:
                _held.pop(key)[0].close()  # closing the file releases the flock


# ----- atomic writes ---------------------------------------------------------------------------
def _fsync_folder(folder: pathlib.Path) -> None:
    """Make a rename in ``folder`` durable (POSIX); a no-op where folders cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _temporary_beside(path: pathlib.Path):
    """A uniquely named temporary file in ``path``'s folder, opened for binary writing; removed
    if the block fails (an error, Ctrl-C), left for the caller to rename if it succeeds."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = pathlib.Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle, temporary
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write_text(path, text: str) -> pathlib.Path:
    """Replace ``path`` by ``text`` atomically: a crash or a kill leaves the old file or the new one.

    Parameters
    ----------
    path : str or path-like
    text : str

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = pathlib.Path(path)
    with _temporary_beside(path) as (handle, temporary):
        handle.write(text.encode())
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def atomic_write_json(path, value) -> pathlib.Path:
    """Replace ``path`` by ``value`` as indented JSON, atomically (:func:`atomic_write_text`)."""
    return atomic_write_text(path, json.dumps(value, indent=2) + "\n")


# ----- metrics.jsonl ---------------------------------------------------------------------------
def _parse_lines(path: pathlib.Path) -> list[tuple[str, dict]]:
    """(line, record) for each line of a JSON-lines file; see :func:`read_jsonl`."""
    text = path.read_text(errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the file ends with a newline, as every complete record does
    torn_possible = not text.endswith("\n")
    parsed = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError(f"a JSON {type(record).__name__}, not an object")
        except ValueError as error:
            if number == len(lines) and torn_possible:
                warnings.warn(
                    f"{path}: dropped its last line {number}, cut short by a crash "
                    f"({len(line)} characters without a newline).",
                    RuntimeWarning,
                    stacklevel=3,
                )
                break
            raise ValueError(
                f"{path}, line {number}: not a JSON object ({error}); repair or delete that line, "
                "or start a new run with another --out."
            ) from None
        parsed.append((line, record))
    return parsed


def read_jsonl(path) -> list[dict]:
    """The records of a JSON-lines file (``metrics.jsonl``), one dict per line, in order.

    A last line without its newline that does not parse (a write cut short by a crash or a kill)
    is dropped with a ``RuntimeWarning`` that names the file; any other line that is not a JSON
    object is an error. Blank lines are skipped.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    list of dict

    Raises
    ------
    ValueError
        Naming the file and the line number of a bad line.
    """
    return [record for _, record in _parse_lines(pathlib.Path(path))]


def truncate_jsonl(path, keep) -> int:
    """Keep the lines of ``path`` whose record satisfies ``keep(record)``, rewriting it atomically
    (a torn last line is dropped, with the warning of :func:`read_jsonl`). Kept lines are copied
    byte for byte. Returns how many lines were kept."""
    path = pathlib.Path(path)
    kept = [line for line, record in _parse_lines(path) if keep(record)]
    atomic_write_text(path, "".join(line + "\n" for line in kept))
    return len(kept)


def append_jsonl(path, record: dict) -> None:
    """Append ``record`` to ``path`` as one JSON line and flush it (``allow_nan`` stays on: a
    diverged run's last NaN row is kept as Python's ``NaN``, which :func:`read_jsonl` reads)."""
    with open(path, "a") as handle:
        handle.write(json.dumps(record) + "\n")
        handle.flush()


# ----- checkpoints -----------------------------------------------------------------------------
def nonfinite_entries(state, prefix: str = "") -> list[str]:
    """The names of the floating-point tensors (and floats) in a nested ``state`` (dicts, lists,
    tuples) that hold a NaN or an infinity, e.g. ``['critic.main.0.weight',
    'critic_optimizer.state.3.square_avg']``."""
    import torch

    if isinstance(state, torch.Tensor):
        if (state.is_floating_point() or state.is_complex()) and not bool(torch.isfinite(state).all()):
            return [prefix or "tensor"]
        return []
    if isinstance(state, float):
        return [] if math.isfinite(state) else [prefix or "value"]
    items: Iterable[tuple[Any, Any]]
    if isinstance(state, dict):
        items = state.items()
    elif isinstance(state, (list, tuple)):
        items = enumerate(state)
    else:
        return []
    found = []
    for key, value in items:
        found += nonfinite_entries(value, f"{prefix}.{key}" if prefix else str(key))
    return found


def describe_os_error(error: OSError) -> str:
    """``'No space left on device (errno 28, ENOSPC)'``: an OSError's cause, with its errno named."""
    name = errno.errorcode.get(error.errno, "") if error.errno is not None else ""
    code = f" (errno {error.errno}, {name})" if error.errno is not None else ""
    return f"{error.strerror or error}{code}"


def previous_path(path) -> pathlib.Path:
    """Where the checkpoint that ``path`` replaced is kept: ``checkpoint.pt`` -> ``checkpoint.previous.pt``."""
    path = pathlib.Path(path)
    return path.with_name(f"{path.stem}.previous{path.suffix}")


def _keep_previous(path: pathlib.Path) -> None:
    """Hard-link (or copy) ``path`` to :func:`previous_path`, atomically."""
    previous = previous_path(path)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{previous.name}.", suffix=".tmp")
    os.close(descriptor)
    copy = pathlib.Path(name)
    try:
        copy.unlink()
        try:
            os.link(path, copy)
        except OSError:  # no hard links on this file system
            shutil.copyfile(path, copy)
        os.replace(copy, previous)
    except BaseException:
        copy.unlink(missing_ok=True)
        raise


def save_checkpoint(path, state: dict) -> pathlib.Path:
    """Write ``state`` to ``path`` with ``torch.save``, atomically, keeping the checkpoint it
    replaces as ``checkpoint.previous.pt`` beside it.

    The state is written to a uniquely named temporary file in the same folder, fsynced, and
    renamed over ``path``; the old ``path`` is first linked (or copied) to the previous copy, so
    a good checkpoint exists at every moment. A failed write (a full disk, Ctrl-C) removes the
    temporary file and leaves both checkpoints as they were.

    Parameters
    ----------
    path : str or path-like
    state : dict
        Tensors, numbers, strings and containers of them (what ``weights_only=True`` loads).

    Raises
    ------
    NonFiniteState
        If a floating-point value of ``state`` is NaN or infinite; nothing is written.
    OSError
        If the file cannot be written; the temporary file is removed first.
    """
    import torch

    path = pathlib.Path(path)
    bad = nonfinite_entries(state)
    if bad:
        shown = ", ".join(bad[:4]) + (f" and {len(bad) - 4} more" if len(bad) > 4 else "")
        raise NonFiniteState(f"the state holds NaN or infinite values ({shown}); {path} was not written", bad)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(state, buffer)  # in memory first: a full disk then raises a plain OSError, not torch's RuntimeError
    with _temporary_beside(path) as (handle, temporary):
        handle.write(buffer.getbuffer())
    del buffer
    try:
        if path.exists():  # keep the good checkpoint it replaces
            _keep_previous(path)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def _check_zip(path: pathlib.Path) -> None:
    """Every member's CRC-32 against its bytes: torch.save writes a zip archive with a CRC per
    member, but torch.load does not check them and loads damaged bytes silently."""
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except zipfile.BadZipFile as error:
        raise ValueError(
            f"{path} is not a checkpoint written by torch.save, or it is cut short or damaged ({error})."
        ) from None
    except (EOFError, ValueError, NotImplementedError, zipfile.LargeZipFile) as error:
        raise ValueError(f"{path} is damaged ({type(error).__name__}: {error}).") from None
    if damaged is not None:
        raise ValueError(f"{path} is damaged: the bytes of its member {damaged!r} fail their CRC-32 check.")


def load_checkpoint(path, required: tuple[str, ...] = ()) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint`, checked on the way.

    Parameters
    ----------
    path : str or path-like
    required : tuple of str, default=()
        Keys the checkpoint must hold.

    Returns
    -------
    dict
        The state, tensors on the CPU (``torch.load(..., weights_only=True)``).

    Raises
    ------
    ValueError
        One message that names the file: missing, not a zip archive, damaged (a CRC-32
        mismatch), holding objects that are not tensors, or lacking a ``required`` key.
    """
    import torch

    path = pathlib.Path(path)
    if not path.exists():
        raise ValueError(f"no checkpoint at {path}.")
    _check_zip(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ValueError(
            f"{path} holds objects that are not tensors; refusing to load it (wgan_toys never writes "
            "such a file; load it with weights_only=False only if you trust its source)."
        ) from None
    except (RuntimeError, EOFError, KeyError, AttributeError, TypeError, ValueError, IndexError) as error:
        raise ValueError(f"{path} could not be read as a checkpoint ({type(error).__name__}: {error}).") from None
    if not isinstance(state, dict):
        raise ValueError(
            f"{path} holds a {type(state).__name__}, not a checkpoint's dict; was it written by wgan_toys?"
        )
    missing = [key for key in required if key not in state]
    if missing:
        raise ValueError(f"{path} is not a checkpoint of this trainer: it lacks {', '.join(missing)}.")
    return state


def load_latest_checkpoint(folder, required: tuple[str, ...] = ()) -> tuple[dict, pathlib.Path]:
    """The state in ``folder/checkpoint.pt``, or, if that one is missing or fails
    :func:`load_checkpoint`, the one in ``folder/checkpoint.previous.pt`` with a
    ``RuntimeWarning`` that names both.

    Returns
    -------
    (dict, pathlib.Path)
        The state and the file it came from.

    Raises
    ------
    ValueError
        If neither loads; the message names both files and why.
    """
    folder = pathlib.Path(folder)
    primary, previous = folder / CHECKPOINT, previous_path(folder / CHECKPOINT)
    if not primary.exists() and not previous.exists():
        raise ValueError(f"no checkpoint at {primary}; start the run without --resume, or point --out at a run folder.")
    try:
        return load_checkpoint(primary, required), primary
    except ValueError as error:
        if not previous.exists():
            raise
        reason = str(error)
    try:
        state = load_checkpoint(previous, required)
    except ValueError as error:
        raise ValueError(f"{reason} The previous checkpoint does not load either: {error}") from None
    step = state.get("generator_step", "?")
    warnings.warn(
        f"{reason} Resuming from the previous checkpoint, {previous} (generator step {step}).",
        RuntimeWarning,
        stacklevel=2,
    )
    return state, previous


# ----- what a folder may already hold ------------------------------------------------------------
def refuse_existing_run(
    out, markers: tuple[str, ...], *, overwrite: bool = False, remove: tuple[str, ...] = (), resumable: bool = True
) -> None:
    """Refuse to start a new run in ``out`` if it holds any of ``markers`` (file names), unless
    ``overwrite``; then delete ``markers`` and the files matching the globs ``remove``.

    Raises
    ------
    ValueError
        ``out already holds a run (config.json, metrics.jsonl); pass --resume ..., --overwrite
        ..., or choose another --out. Nothing was overwritten.``
    """
    out = pathlib.Path(out)
    found = [name for name in markers if (out / name).exists()]
    if not found:
        return
    if not overwrite:
        can_resume = resumable and any(name in found for name in (CHECKPOINT, PREVIOUS_CHECKPOINT))
        how = (
            "pass --resume (ImageTrainer.resume) to continue it, --overwrite to replace it"
            if can_resume
            else "pass --overwrite to replace it"
        )
        raise ValueError(
            f"{out} already holds a run ({', '.join(found)}); {how}, or choose another --out. Nothing was overwritten."
        )
    for name in found:
        (out / name).unlink()
    for pattern in remove:
        for path in out.glob(pattern):
            if path.is_file():
                path.unlink()


def changed_settings(recorded: dict, given: dict, may_change: tuple[str, ...] = ()) -> list[str]:
    """The settings of ``given`` that differ from ``recorded``, as ``'name: was A, now B'``
    lines, leaving out the names in ``may_change``."""
    return [
        f"{name}: was {recorded.get(name)!r}, now {value!r}"
        for name, value in given.items()
        if name not in may_change and recorded.get(name) != value
    ]
