"""Files a run writes that never lose data: atomic writes, metrics lines, checked checkpoints.

The file mechanics under :mod:`wgan_toys.runs` (which adds the folder: its lock, its run id, what
may be overwritten):

- :func:`atomic_write_bytes`, :func:`atomic_write_text`, :func:`atomic_write_json`: a uniquely
  named temporary file in the same folder (``.<name>.<8 characters>.tmp``, :data:`TEMPORARY_NAME`),
  flushed, fsynced, then ``os.replace``: a crash leaves the old file or the new one, with the mode
  the umask gives;
- :func:`read_jsonl`, :func:`truncate_jsonl`, :func:`append_jsonl`: ``metrics.jsonl``; a torn last
  line (what a crash mid-write leaves) is dropped with a warning, any other bad line (one nested
  deeper than 64 brackets included) is an error that names the file and the line;
- :func:`save_checkpoint`, :func:`load_checkpoint`: never a non-finite state, the previous
  checkpoint kept as ``checkpoint.previous.pt``, integrity checked by the zip CRC-32 of every member
  (torch itself loads damaged bytes silently), tensors only (``weights_only=True``).
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
import re
import shutil
import stat
import tempfile
import threading
import warnings
import zipfile
from typing import Any, Iterable

__all__ = [
    "CHECKPOINT",
    "PREVIOUS_CHECKPOINT",
    "TEMPORARY_NAME",
    "NonFiniteState",
    "append_jsonl",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "describe_os_error",
    "jsonl_lines",
    "load_checkpoint",
    "nonfinite_entries",
    "parse_json_object",
    "previous_path",
    "read_jsonl",
    "save_checkpoint",
    "truncate_jsonl",
]

CHECKPOINT = "checkpoint.pt"
PREVIOUS_CHECKPOINT = "checkpoint.previous.pt"  # previous_path(CHECKPOINT)
# the temporary files the atomic writers make: ".<name>.<8 characters of mkstemp>.tmp"
TEMPORARY_NAME = re.compile(r"^\.[A-Za-z0-9_.-]+\.[a-z0-9_]{8}\.tmp$")
_MAX_JSON_DEPTH = 64  # a metrics row is flat; deeper nesting is refused before json parses it
_umask_guard = threading.Lock()


class NonFiniteState(ValueError):
    """A state to be checkpointed holds NaN or infinite values (``names`` lists where)."""

    def __init__(self, message: str, names: list[str]):
        super().__init__(message)
        self.names = names


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


def _umask() -> int:
    """The process's umask (read from /proc where it is shown, else set and restored)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _umask_guard:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


@contextlib.contextmanager
def _temporary_beside(path: pathlib.Path):
    """A uniquely named temporary file in ``path``'s folder, opened for binary writing with the
    mode an ordinary new file gets (``0o666`` less the umask; ``mkstemp`` alone gives 0600);
    removed if the block fails (an error, Ctrl-C), left for the caller to rename if it succeeds."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = pathlib.Path(name)
    try:
        os.fchmod(descriptor, 0o666 & ~_umask())
        with os.fdopen(descriptor, "wb") as handle:
            yield handle, temporary
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _move_into_place(temporary: pathlib.Path, path: pathlib.Path, keep_previous: bool = False) -> pathlib.Path:
    """Rename the written ``temporary`` over ``path`` (first keeping the file it replaces as the
    previous checkpoint when ``keep_previous``) and fsync the folder; on failure the temporary is removed."""
    try:
        if keep_previous and path.exists():  # keep the good checkpoint it replaces
            _keep_previous(path)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def atomic_write_bytes(path, data: bytes) -> pathlib.Path:
    """Replace ``path`` by ``data`` atomically: a crash, a kill or a full disk leaves the old file
    (or none) or the new one, never a truncated one; the temporary file is removed on failure.

    Parameters
    ----------
    path : str or path-like
    data : bytes

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = pathlib.Path(path)
    with _temporary_beside(path) as (handle, temporary):
        handle.write(data)
    return _move_into_place(temporary, path)


def atomic_write_text(path, text: str) -> pathlib.Path:
    """Replace ``path`` by ``text`` atomically (:func:`atomic_write_bytes`, UTF-8)."""
    return atomic_write_bytes(path, text.encode())


def atomic_write_json(path, value) -> pathlib.Path:
    """Replace ``path`` by ``value`` as indented JSON, atomically (:func:`atomic_write_text`)."""
    return atomic_write_text(path, json.dumps(value, indent=2) + "\n")


# ----- metrics.jsonl ---------------------------------------------------------------------------
def jsonl_lines(path: pathlib.Path) -> list[tuple[str, dict]]:
    """(line, record) for each line of a JSON-lines file, each line's text kept for a byte-exact
    rewrite; as :func:`read_jsonl` reads them (a torn last line dropped with a warning)."""
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
            record = parse_json_object(line)
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
                "or start a new run in another out."
            ) from None
        parsed.append((line, record))
    return parsed


def parse_json_object(line: str) -> dict:
    """One JSON object; nesting deeper than ``_MAX_JSON_DEPTH`` is refused before parsing (a
    line of 100,000 brackets would exhaust the recursion of ``json``)."""
    depth = deepest = 0
    for character in re.sub(r'"(?:[^"\\]|\\.)*"', "", line):  # brackets outside strings
        if character in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > _MAX_JSON_DEPTH:
                raise ValueError(f"nested deeper than {_MAX_JSON_DEPTH} levels")
        elif character in "]}":
            depth -= 1
    try:
        record = json.loads(line)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(record, dict):
        raise ValueError(f"a JSON {type(record).__name__}, not an object")
    return record


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
    return [record for _, record in jsonl_lines(pathlib.Path(path))]


def truncate_jsonl(path, keep) -> int:
    """Keep the lines of ``path`` whose record satisfies ``keep(record)``, rewriting it atomically
    (a torn last line is dropped, with the warning of :func:`read_jsonl`). Kept lines are copied
    byte for byte. Returns how many lines were kept."""
    path = pathlib.Path(path)
    kept = [line for line, record in jsonl_lines(path) if keep(record)]
    atomic_write_text(path, "".join(line + "\n" for line in kept))
    return len(kept)


def append_jsonl(path, record: dict) -> None:
    """Append ``record`` to ``path`` as one JSON line and flush it (``allow_nan`` stays on: a
    diverged run's last NaN row is kept as Python's ``NaN``, which :func:`read_jsonl` reads).
    The file is opened without following a symbolic link and must be a regular file with one
    link, so a crafted ``metrics.jsonl`` never makes a run write outside its folder.

    Raises
    ------
    ValueError
        If ``path`` is a symbolic link, not a regular file, or a file with other hard links.
    """
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    not_plain = ValueError(
        f"{path} is not a plain file of its own (a symbolic link, a FIFO, a folder or a file with other hard "
        "links); a run appends its rows to a file it made. Remove it, or choose another out."
    )
    try:
        descriptor = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as error:
        if error.errno not in (errno.ELOOP, errno.ENXIO, errno.EISDIR):
            raise
        raise not_plain from None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(descriptor)
        raise not_plain
    with os.fdopen(descriptor, "a") as handle:
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
    return _move_into_place(temporary, path, keep_previous=True)


def _check_zip(path: pathlib.Path) -> None:
    """Every member's CRC-32 against its bytes: torch.save writes a zip archive with a CRC per
    member, but torch.load does not check them and loads damaged bytes silently."""
    try:
        with zipfile.ZipFile(path) as archive:
            # torch.save stores its members; a compressed one could inflate without bound, so it is not read
            compressed = [info.filename for info in archive.infolist() if info.compress_type != zipfile.ZIP_STORED]
            damaged = None if compressed else archive.testzip()
    except zipfile.BadZipFile as error:
        raise ValueError(
            f"{path} is not a checkpoint written by torch.save, or it is cut short or damaged ({error})."
        ) from None
    except (EOFError, ValueError, NotImplementedError, zipfile.LargeZipFile) as error:
        raise ValueError(f"{path} is damaged ({type(error).__name__}: {error}).") from None
    if compressed:
        raise ValueError(
            f"{path} holds compressed members ({compressed[0]!r}), which torch.save never writes: it is not a "
            "checkpoint of wgan_toys (nothing was inflated). Restore this run's checkpoint, or start a new run."
        )
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
