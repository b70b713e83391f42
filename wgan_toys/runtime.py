"""Randomness and devices: the one place that turns a seed into a generator and ``"auto"``
into a device.

The library never seeds globally. Every random function takes ``seed`` (an ``int``, ``None`` or
an existing generator) and builds a local generator from it with :func:`numpy_generator` or
:func:`torch_generator`. Scripts print the seed they drew with :func:`draw_seed`.

Threads: every torch workload the project starts sets its CPU thread count through
:func:`set_threads`, so that nothing oversubscribes a busy laptop (small MLPs slow down tens of
times when torch runs more threads than there are free cores).

torch is imported only inside the functions that need it, so that the closed-form distances
and the ``wgan-toys distances`` command start fast.
"""

from __future__ import annotations

import numbers
import os
import secrets
import sys

import numpy as np

CUDA_INSTALL_HINT = (
    "install a CUDA build of torch, for example "
    "`pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128` "
    "(pick the CUDA version your driver supports), or pass device='cpu'"
)


def draw_seed() -> int:
    """Return a fresh random seed in [0, 2**31), for scripts that print the seed they used."""
    return secrets.randbelow(2**31)


def _check_seed(seed) -> None:
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, None or a generator, got {seed!r} of type {type(seed).__name__}.")
    if seed < 0:
        raise ValueError(f"seed == {seed}, must be >= 0.")


def numpy_generator(seed=None) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``seed``.

    Parameters
    ----------
    seed : int, None or numpy.random.Generator, default=None
        An existing generator is returned unchanged (so a caller can thread one generator
        through several calls); an int gives a reproducible stream; None draws fresh entropy.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    _check_seed(seed)
    return np.random.default_rng(seed)


def torch_generator(seed=None, device="cpu"):
    """Return a ``torch.Generator`` on ``device`` for ``seed`` (an int, None or a generator)."""
    import torch

    if isinstance(seed, torch.Generator):
        return seed
    _check_seed(seed)
    generator = torch.Generator(device=device)
    generator.manual_seed(draw_seed() if seed is None else int(seed))
    return generator


def resolve_device(device="auto", *, verbose: bool = False):
    """Turn ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or a ``torch.device``
    into a ``torch.device``.

    ``"auto"`` picks cuda, then mps, then cpu, and says which on stderr when ``verbose``.
    Asking for a device that is not there is an error that says how to get it; there is no
    silent fallback to the CPU.
    """
    import torch

    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'auto', 'cpu' or 'cuda', got {device!r}.")
    if device == "auto":
        if torch.cuda.is_available():
            chosen = torch.device("cuda")
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            chosen = torch.device("mps")
        else:
            chosen = torch.device("cpu")
        if verbose:
            print(f"wgan_toys: device='auto' picked {chosen}", file=sys.stderr)
        return chosen
    try:
        chosen = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"device == {device!r}, must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'.") from error
    if chosen.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device == {device!r} but this torch sees no CUDA GPU; {CUDA_INSTALL_HINT}.")
        if chosen.index is not None and chosen.index >= torch.cuda.device_count():
            raise ValueError(f"device == {device!r}, must name a GPU index < {torch.cuda.device_count()}.")
    if chosen.type == "mps" and not (
        getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    ):
        raise ValueError(f"device == {device!r} but MPS is not available here; pass device='cpu'.")
    return chosen


def build_seeded(factory, seed):
    """Call ``factory()`` (e.g. a network constructor) with torch's RNG seeded from ``seed``,
    inside ``torch.random.fork_rng`` so that the global RNG state is left as it was.

    ``seed`` may be an int, None, or a torch.Generator (then an int is drawn from it).
    """
    import torch

    if isinstance(seed, torch.Generator):
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=seed, device=seed.device).item())
    _check_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(draw_seed() if seed is None else seed)
        return factory()


THREAD_WORKLOADS = ("mlp", "conv")


def available_cores() -> int:
    """The number of CPU cores this process may run on (its affinity mask, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def default_threads(workload: str = "mlp") -> int:
    """The thread count that does not oversubscribe the machine for ``workload``.

    ``"mlp"`` (the toys' small networks): 1, which is the fastest setting for them and safe beside
    other jobs. ``"conv"`` (the image chapter's convolutions): the cores that are free now, that
    is the available cores minus the one-minute load average (at least 1).
    """
    if workload not in THREAD_WORKLOADS:
        raise ValueError(f"workload == {workload!r}, must be one of {THREAD_WORKLOADS}.")
    if workload == "mlp":
        return 1
    cores = available_cores()
    try:
        busy = int(round(os.getloadavg()[0]))
    except (AttributeError, OSError):
        busy = 0
    return max(1, cores - busy)


def set_threads(threads: int | None = None, workload: str = "mlp") -> int:
    """Set torch's CPU thread count for this process and return it.

    Parameters
    ----------
    threads : int or None, default=None
        The number of threads, >= 1. None takes :func:`default_threads` for ``workload``.
    workload : {"mlp", "conv"}, default="mlp"
        What the threads will run; used only when ``threads`` is None.

    Raises
    ------
    ValueError
        If ``threads`` is < 1, or ``workload`` is not one of ``THREAD_WORKLOADS``.
    """
    if threads is None:
        threads = default_threads(workload)
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral):
        raise TypeError(f"threads must be an int >= 1 or None, got {threads!r}.")
    if threads < 1:
        raise ValueError(f"threads == {threads}, must be >= 1 (1 is fastest for the toys' small MLPs).")
    import torch

    torch.set_num_threads(int(threads))
    return int(threads)


def _is_kernel_stream(stream) -> bool:
    """True for the stdout/stderr replacement of a Jupyter (ipykernel) kernel, where tqdm.auto draws
    a notebook widget instead of carriage returns."""
    return type(stream).__module__.startswith("ipykernel.")


def progress_bar(total: int, description: str, *, unit: str = "step", stream=None, enabled: bool | None = None):
    """A tqdm progress bar on a terminal; silent when the stream is not one.

    Every long-running command draws its progress through this one helper (train-images, toy,
    toy-claims, section4, verify), so that a log file or a CI job gets no carriage-return noise:
    the caller prints one summary line at the end instead. Use ``bar.write(text)`` for lines that
    must appear above the bar.

    Parameters
    ----------
    total : int
        Number of units the task has.
    description : str
        Shown left of the bar, e.g. ``"verify"``.
    unit : str, default="step"
    stream : file-like, default=sys.stderr
    enabled : bool or None, default=None
        ``None`` draws the bar only when ``stream`` is a terminal or a Jupyter kernel's output
        stream (a lesson's long cell then shows tqdm's notebook bar); a log file or a pipe gets none.
    """
    from tqdm.auto import tqdm

    stream = sys.stderr if stream is None else stream
    if enabled is None:
        enabled = bool(getattr(stream, "isatty", lambda: False)()) or _is_kernel_stream(stream)
    return tqdm(
        total=total, desc=description, unit=unit, file=stream, disable=not enabled, dynamic_ncols=True, leave=False
    )
