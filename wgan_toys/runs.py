"""Run folders that never lose or mix history: one lock, one run id, nothing overwritten by accident.

What ``wgan-toys train-images`` (:mod:`~wgan_toys.images.trainer`) and ``wgan-toys toy``
(:mod:`~wgan_toys.toy_gan`) do to a run folder goes through this module, most of it through
:class:`RunFolder`:

- :func:`run_lock`: an exclusive ``fcntl.flock`` on ``OUT/.lock`` for the life of a run, so that
  a second process on the same folder is refused instead of interleaving two histories; the lock
  file is opened without following a symbolic link and must be a regular file with one link, so
  a crafted ``.lock`` never truncates another file;
- a run id (:func:`new_run_id`) recorded in ``config.json``, in the checkpoint and in each metrics
  row: a resume whose pieces disagree (a checkpoint copied in from another run) is refused
  (:meth:`RunFolder.check_resume`);
- :func:`load_latest_checkpoint`: the checkpoint, or the previous one with a warning when it
  does not load; the files themselves (atomic writes, ``metrics.jsonl``, checked checkpoints) are
  :mod:`wgan_toys.run_files`;
- :func:`refuse_existing_run`, :func:`changed_settings`: a folder that holds a run is never
  overwritten without ``overwrite``, an overwrite deletes every file a run of this package writes
  (:data:`RUN_FILES`, and nothing else), and a resumed run never silently changes its settings;
- :func:`check_output_path`: a table or a figure is never written into a folder a running run
  holds, nor over a file of a run.

Errors speak the Python API (``resume=True``, ``overwrite=True``, ``out``); the command line
translates them into its flags. They are :class:`RunFolderError`, a ``ValueError``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import stat
import threading
import uuid
import warnings
from types import ModuleType

from .run_files import (
    CHECKPOINT,
    PREVIOUS_CHECKPOINT,
    TEMPORARY_NAME,
    append_jsonl,
    atomic_write_json,
    atomic_write_text,
    jsonl_lines,
    load_checkpoint,
    parse_json_object,
    previous_path,
)

fcntl: ModuleType | None
try:
    import fcntl as _fcntl

    fcntl = _fcntl
except ImportError:  # Windows: no flock; runs are then not protected against a second process
    fcntl = None

__all__ = [
    "LOCK",
    "RUN_FILES",
    "RunFolder",
    "RunFolderError",
    "changed_settings",
    "check_output_path",
    "load_latest_checkpoint",
    "lock_holder",
    "new_run_id",
    "refuse_existing_run",
    "run_lock",
]

LOCK = ".lock"
# Every file a run of this package writes in its folder (the image trainer, the toy, the command line's
# figures); an overwrite deletes these and nothing else. Globs are relative to the run folder.
RUN_FILES = (
    "config.json",
    "metrics.jsonl",
    CHECKPOINT,
    PREVIOUS_CHECKPOINT,
    "curve.png",
    "toy_run.png",
    "samples_over_iterations.png",
    "samples.gif",
    "samples/step_*.png",
)


class RunFolderError(ValueError):
    """A run folder that cannot be used as asked (in use, holding another run, mixing two runs).

    Its message names the Python API's arguments (``out``, ``resume=True``,
    ``overwrite=True``); the command line translates them into its flags."""


def new_run_id() -> str:
    """A fresh run id (32 hexadecimal digits, :func:`uuid.uuid4`), recorded in ``config.json``,
    in the checkpoint and in each metrics row of one run."""
    return uuid.uuid4().hex


def _folder_path(out) -> pathlib.Path:
    """``out`` as a path; an empty string (which pathlib reads as the current folder), or a file, is refused."""
    if isinstance(out, str) and not out.strip():
        raise RunFolderError(f"out == {out!r} names no folder; give the run folder's path.")
    path = pathlib.Path(out)
    if path.exists() and not path.is_dir():
        raise RunFolderError(f"out == {str(out)!r} is a file, not a folder; give the run folder's path.")
    return path


# ----- the lock --------------------------------------------------------------------------------
_held: dict[str, list] = {}  # resolved folder -> [open lock file, depth]; the lock is re-entrant within a process
_held_guard = threading.Lock()


def _open_lock(path: pathlib.Path) -> int:
    """Open (or create) the lock file ``path`` for reading and writing without following a
    symbolic link, and check that it is a regular file with one link: a crafted ``.lock`` (a link to
    a user's file, a FIFO, a folder) is refused before anything is written to it."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as error:
        if error.errno == errno.ELOOP or path.is_symlink():
            raise RunFolderError(
                f"{path} is a symbolic link; a run's lock is a plain file that wgan_toys makes. Remove the link "
                "(nothing was written through it), or choose another out."
            ) from None
        if error.errno == errno.EISDIR:
            raise RunFolderError(f"{path} is a folder, not a lock file; remove it, or choose another out.") from None
        raise
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(descriptor)
        what = "a file with other hard links" if stat.S_ISREG(info.st_mode) else f"not a regular file ({_kind(info)})"
        raise RunFolderError(
            f"{path} is {what}; a run's lock is a plain file that wgan_toys makes. Remove it "
            "(nothing was written to it), or choose another out."
        )
    return descriptor


def _kind(info: os.stat_result) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a folder"), (stat.S_ISSOCK, "a socket")):
        if test(info.st_mode):
            return name
    return "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "not a file"


def _remove_stale_temporaries(out: pathlib.Path) -> None:
    """Delete the temporary files a killed writer of this module left (``.<name>.<8 chars>.tmp``,
    regular files only); a user's ``.notes.tmp`` is left alone."""
    for folder in (out, out / "samples"):
        if not folder.is_dir() or folder.is_symlink():
            continue
        for stale in folder.iterdir():
            if TEMPORARY_NAME.match(stale.name) and stale.is_file() and not stale.is_symlink():
                stale.unlink(missing_ok=True)


def _refuse_links(out: pathlib.Path) -> None:
    """Refuse a folder where one of a run's files (:data:`RUN_FILES`), or its ``samples`` folder, is a
    symbolic link (a run writes those itself, and appending or saving through a link, a dangling one
    included, would write outside the run folder), or a FIFO, a socket or a device (reading one
    would wait forever)."""
    for path in (out / "samples", *_run_files(out)):
        if path.is_symlink():
            raise RunFolderError(
                f"{path} is a symbolic link (to {os.readlink(path)}); a run writes its files itself, and writing "
                f"through the link would write outside {out}. Remove the link, or choose another out. Nothing was "
                "written."
            )
        info = path.stat() if path.exists() else None
        if info is not None and not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            raise RunFolderError(
                f"{path} is {_kind(info)} where a run's file goes; remove it, or choose another out. Nothing was written."
            )


@contextlib.contextmanager
def run_lock(out):
    """Hold an exclusive lock on the run folder ``out`` (created if missing) while the block runs.

    The lock is ``fcntl.flock`` on ``out/.lock``: the kernel releases it when the process ends,
    however it ends, so a killed run never leaves a stale lock. The lock file is opened without
    following a symbolic link and must be a regular file with one link. Within one process the
    lock is re-entrant (a trainer's ``train`` inside the command's own lock). Taking it removes
    the temporary files this module's writers name ``.<file>.<8 characters>.tmp`` that a killed
    writer left, and no other file, and refuses a folder where a run's file (or ``samples``) is a
    symbolic link.

    Parameters
    ----------
    out : str or path-like
        The run folder.

    Raises
    ------
    RunFolderError
        If another process holds the lock (``out is in use by another run (process PID)``),
        ``out/.lock`` is a symbolic link, a FIFO, a folder or a file with other hard links, or a
        run's file is a symbolic link.
    """
    out = _folder_path(out)
    out.mkdir(parents=True, exist_ok=True)
    key = str(out.resolve())
    with _held_guard:
        if key in _held:
            _held[key][1] += 1
        else:
            handle = os.fdopen(_open_lock(out / LOCK), "r+")
            if fcntl is not None:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.seek(0)
                    holder = handle.read(64).strip() or "unknown"
                    handle.close()
                    raise RunFolderError(
                        f"{out} is in use by another run (process {holder}); wait for it to finish, "
                        "or choose another out. Nothing was written."
                    ) from None
                except OSError as error:  # a file system without locks (some network mounts)
                    warnings.warn(
                        f"could not lock {out / LOCK} ({error.strerror}); a second run in {out} would not be detected.",
                        RuntimeWarning,
                        stacklevel=3,
                    )
            try:
                _refuse_links(out)
            except RunFolderError:
                handle.close()  # releases the flock
                raise
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            _held[key] = [handle, 1]
            _remove_stale_temporaries(out)  # no one else writes here now
    try:
        yield out
    finally:
        with _held_guard:
            _held[key][1] -= 1
            if _held[key][1] == 0:
                _held.pop(key)[0].close()  # closing the file releases the flock


def lock_holder(folder) -> str | None:
    """The process id another process recorded in ``folder/.lock`` while it holds the lock, or
    None when no other process holds it (no lock file, a free one, or one this process holds)."""
    folder = pathlib.Path(folder)
    path = folder / LOCK
    if fcntl is None or not path.is_file() or path.is_symlink():
        return None
    with _held_guard:
        if str(folder.resolve()) in _held:
            return None
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.read(descriptor, 64).decode(errors="replace").strip() or "unknown"
        except OSError:
            return None
        return None
    finally:
        os.close(descriptor)  # releases the shared lock taken to test it


def check_output_path(path, name: str = "out") -> pathlib.Path:
    """Refuse to write the file ``path`` (a table, a figure) inside a folder that a running run
    holds, or over a file of a run (:data:`RUN_FILES` in a folder that holds ``config.json``).

    Raises
    ------
    RunFolderError
        Naming the run folder, and the process that holds it.
    """
    path = pathlib.Path(path)
    absolute = path.absolute()
    for folder in absolute.parents:
        holder = lock_holder(folder)
        if holder is not None:
            raise RunFolderError(
                f"{name} == {str(path)!r} is inside {folder}, which a running run holds (process {holder}); "
                "writing there would mix with its files. Choose a path outside it."
            )
    for folder in (absolute.parent, absolute.parent.parent):
        relative = absolute.relative_to(folder).as_posix()
        owned = any(pathlib.PurePosixPath(relative).match(pattern) for pattern in RUN_FILES)
        if owned and absolute.exists() and (folder / "config.json").exists():
            raise RunFolderError(
                f"{name} == {str(path)!r} is a file of the run in {folder}; writing it would damage that run. "
                "Choose another path."
            )
    return path


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
        raise RunFolderError(
            f"no checkpoint at {primary}; start the run without resume=True, or point out at a run folder."
        )
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
def _run_files(out: pathlib.Path) -> list[pathlib.Path]:
    """The files of :data:`RUN_FILES` present in ``out`` (links count as files here)."""
    found = []
    for pattern in RUN_FILES:
        matches = sorted(out.glob(pattern)) if "*" in pattern else [out / pattern]
        found += [path for path in matches if path.is_symlink() or path.exists()]
    return found


def refuse_existing_run(
    out, markers: tuple[str, ...], *, overwrite: bool = False, remove: tuple[str, ...] = (), resumable: bool = True
) -> None:
    """Refuse to start a new run in ``out`` if it holds any of ``markers`` (file names), unless
    ``overwrite``; then delete every file of the previous run: all of :data:`RUN_FILES` (an image
    run's checkpoints and samples as much as a toy's figures) and the globs ``remove``, and no
    other file (a user's notes stay).

    Raises
    ------
    RunFolderError
        ``out already holds a run (config.json, metrics.jsonl); pass resume=True ...,
        overwrite=True ..., or choose another out. Nothing was overwritten.``; with ``overwrite``,
        a folder (or a FIFO) in the place of one of the run's files, named.
    """
    out = pathlib.Path(out)
    found = [name for name in (*markers, *RUN_FILES) if "*" not in name and (out / name).exists()]
    found = list(dict.fromkeys(found))
    if not found:
        return
    if not overwrite:
        can_resume = resumable and any(name in found for name in (CHECKPOINT, PREVIOUS_CHECKPOINT))
        how = (
            "pass resume=True to continue it, overwrite=True to replace it"
            if can_resume
            else "pass overwrite=True to replace it"
        )
        raise RunFolderError(
            f"{out} already holds a run ({', '.join(found)}); {how}, or choose another out. Nothing was overwritten."
        )
    for name in found:  # a folder or a FIFO where a run's file goes: overwrite deletes files only
        path = out / name
        if not (path.is_file() or path.is_symlink()):
            raise RunFolderError(
                f"{path} is {_kind(path.stat())} where a run's {name} goes, and overwrite=True deletes only a run's "
                "files; remove it yourself, or choose another out. Nothing was overwritten."
            )
    for path in _run_files(out):
        if path.is_file() or path.is_symlink():
            path.unlink()
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


# ----- one run's folder ----------------------------------------------------------------------
class RunFolder:
    """The folder of one run: its lock, its run id, ``config.json``, ``metrics.jsonl`` and its checkpoints.

    A run id (:func:`new_run_id`) ties the pieces together: :meth:`start` records it in
    ``config.json``, :meth:`append_metrics` in each metrics row, the trainer in its checkpoint;
    :meth:`check_resume` refuses a checkpoint whose id is not the one the folder's config and
    metrics record (a checkpoint copied in from another run folder).

    Parameters
    ----------
    path : str or path-like
        The run folder (created when locked).
    run_id : str or None, default=None
        The run's id; None makes a new one.

    Examples
    --------
    >>> import tempfile
    >>> from wgan_toys.run_files import read_jsonl
    >>> folder = RunFolder(tempfile.mkdtemp())
    >>> with folder.locked():
    ...     folder.start({"seed": 0})
    ...     folder.append_metrics({"generator_step": 1})
    >>> [row["run_id"] == folder.run_id for row in read_jsonl(folder.metrics)]
    [True]
    """

    def __init__(self, path, run_id: str | None = None):
        self.path = _folder_path(path)
        self.run_id = run_id or new_run_id()

    @property
    def config(self) -> pathlib.Path:
        return self.path / "config.json"

    @property
    def metrics(self) -> pathlib.Path:
        return self.path / "metrics.jsonl"

    @property
    def checkpoint(self) -> pathlib.Path:
        return self.path / CHECKPOINT

    def locked(self):
        """:func:`run_lock` on this folder (re-entrant within the process)."""
        return run_lock(self.path)

    def start(
        self, config: dict, *, overwrite: bool = False, markers: tuple[str, ...] = RUN_FILES, resumable: bool = False
    ) -> None:
        """Begin a new run: refuse a folder holding one unless ``overwrite`` (then delete its
        files, :func:`refuse_existing_run`), write ``config.json`` with the run id and an empty
        ``metrics.jsonl``. Call it while holding :meth:`locked`."""
        refuse_existing_run(
            self.path, tuple(m for m in markers if "*" not in m), overwrite=overwrite, resumable=resumable
        )
        self.write_config(config)
        atomic_write_text(self.metrics, "")

    def write_config(self, config: dict) -> None:
        """Write ``config.json`` (atomically) with this run's id."""
        atomic_write_json(self.config, {**config, "run_id": self.run_id})

    def append_metrics(self, record: dict) -> None:
        """Append ``record`` to ``metrics.jsonl`` with this run's id (:func:`append_jsonl`)."""
        append_jsonl(self.metrics, {**record, "run_id": self.run_id})

    def sync_metrics(self) -> None:
        """fsync ``metrics.jsonl`` (rows are flushed as they are appended, not synced): called before a
        checkpoint is written, so that a power loss never keeps a checkpoint whose rows are lost."""
        try:
            descriptor = os.open(self.metrics, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def recorded_config(self) -> dict | None:
        """``config.json`` as a dict, None if it does not exist.

        Raises
        ------
        RunFolderError
            If it is not a file (a folder, a FIFO) or not a JSON object; the message names it.
        """
        path = self.config
        if not path.exists() and not path.is_symlink():
            return None
        if not path.is_file():
            raise RunFolderError(f"{path} is not a file; a run's config.json is a JSON file that wgan_toys writes.")
        try:
            with open(path, "rb") as handle:
                text = handle.read((1 << 20) + 1)
            value = parse_json_object(text.decode("utf-8")) if len(text) <= 1 << 20 else None
        except (ValueError, UnicodeDecodeError) as error:
            raise RunFolderError(f"{path} is not a JSON object ({error}); was it written by wgan_toys?") from None
        if value is None:
            raise RunFolderError(f"{path} is over 1 MiB; a run's config.json is a few hundred bytes.")
        return value

    def check_resume(self, run_id: str | None, step: int, source=None, log_every: int | None = None) -> None:
        """Refuse a resume whose pieces belong to different runs: the checkpoint's ``run_id`` must
        be the one ``config.json`` records and the one of every metrics row up to ``step``; each
        row must hold an integer ``generator_step`` (a ``{}`` line is named), the steps increasing.
        With ``log_every``, a history that lacks rows the run logged up to ``step`` (a file cut or
        edited outside wgan_toys) gives a ``RuntimeWarning`` naming the missing steps: they cannot
        be written again, and the run continues after them.

        Parameters
        ----------
        run_id : str or None
            The checkpoint's run id.
        step : int
            The generator step the checkpoint reached (rows after it are dropped on resume).
        source : path-like or None
            The checkpoint file, for the message.
        log_every : int or None, default=None
            The run's steps between metrics rows: every multiple of it up to ``step`` has a row.

        Raises
        ------
        RunFolderError
            Naming the two files that disagree and the two ids.
        """
        source = source or self.checkpoint
        _refuse_links(self.path)  # before anything is read: a FIFO would wait forever
        config = self.recorded_config()
        if config is not None and config.get("run_id") != run_id:
            raise RunFolderError(
                f"{source} belongs to run {run_id}, but {self.config} records run {config.get('run_id')}: the "
                "checkpoint was written by another run (copied in?). Resuming would mix two runs' histories; "
                "restore this run's checkpoint, or start a new run in another out."
            )
        steps: list[int] = []
        for number, (_, record) in enumerate(jsonl_lines(self.metrics) if self.metrics.exists() else [], start=1):
            logged = record.get("generator_step")
            if isinstance(logged, bool) or not isinstance(logged, int) or logged < 0:
                raise RunFolderError(
                    f"{self.metrics}, line {number}: generator_step == {logged!r}, must be an integer >= 0 "
                    "(every metrics row records it); repair or delete that line."
                )
            if steps and logged <= steps[-1]:
                raise RunFolderError(
                    f"{self.metrics}, line {number}: generator_step {logged} after {steps[-1]}; a run logs each step "
                    "once, in order, so the file mixes two histories. Restore this run's file, or start a new run "
                    "in another out."
                )
            steps.append(logged)
            if logged <= step and record.get("run_id") != run_id:
                raise RunFolderError(
                    f"{self.metrics}, line {number} belongs to run {record.get('run_id')}, but {source} to run "
                    f"{run_id}: the folder mixes two runs. Restore this run's files, or start a new run in another out."
                )
        if log_every is not None:
            _warn_missing_rows(self.metrics, [logged for logged in steps if logged <= step], step, log_every)


def _warn_missing_rows(metrics: pathlib.Path, steps: list[int], step: int, log_every: int) -> None:
    """Warn, naming them, when ``steps`` (the rows' generator steps, increasing) lack a multiple
    of ``log_every`` up to ``step``: the rows a run logs, which resuming cannot write again."""
    expected = step // log_every
    missing = sorted(set(range(1, expected + 1)) - {found // log_every for found in steps if found % log_every == 0})
    if not missing:
        return
    first, last = missing[0] * log_every, missing[-1] * log_every
    where = f"{metrics} lacks" if metrics.exists() else f"{metrics} is missing, with"
    warnings.warn(
        f"{where} {len(missing)} of the {expected} rows this run logged (every {log_every} generator "
        f"steps) up to its checkpoint's step {step}, from step {first} to step {last}: that history was cut or "
        "edited outside wgan_toys and cannot be written again; the run continues after it. Stop it and restore "
        "the file from a copy to keep those rows.",
        RuntimeWarning,
        stacklevel=3,
    )
