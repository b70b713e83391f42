"""Wall time of what a lecturer and CI run: ``verify``, the demo, each lesson, the test suite.

Targets on the quiet 2-core development machine: ``wgan-toys verify`` <= 20 s,
``make demo`` after setup (verify, then every figure) <= 60 s, ``make test`` <= 4 minutes. This
script times each of them in fresh processes and prints the time, the target, and the time in
units of a reference workload measured in the same run (a fixed numpy and torch loop on one
thread), so that runs on different or busy machines compare: a row's "reference units" stays put
when the whole machine is slower, and moves when the code does.

Parts (``--parts``, default all but ``tests``):

- ``verify``: ``python -m wgan_toys verify``;
- ``demo``: ``verify`` then ``python -m wgan_toys figures --out-dir TMP`` (what ``make demo`` runs);
- ``lessons``: each notebook of notebooks/ executed top to bottom with nbclient, as the tests do;
- ``tests``: ``python -m pytest -q`` (the whole suite, lessons included: minutes).

``--quick`` (the smoke run of tests/test_benchmarks.py) times ``figure 1`` and a one-cell smoke
notebook through the same lesson runner (the lessons themselves are executed by tests/test_notebooks.py).
Benchmarks never assert times: a row over its target says NO, and the exit status is 1 only if
a command fails.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import REPO_ROOT, format_seconds, print_table

TARGETS = {"verify": 20.0, "demo": 60.0, "tests": 240.0}  # seconds, quiet 2-core machine
PARTS = ("verify", "demo", "lessons", "tests")
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def reference_seconds() -> float:
    """A fixed one-thread workload: 20 float64 200x200 matmuls in numpy and 100 small torch MLP steps."""
    import numpy as np
    import torch

    torch.set_num_threads(1)
    start = time.perf_counter()
    matrix = np.random.default_rng(0).standard_normal((200, 200))
    for _ in range(20):
        matrix = np.tanh(matrix @ matrix.T / 200.0)
    network = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
    optimizer = torch.optim.SGD(network.parameters(), lr=1e-3)
    points = torch.randn(256, 2, generator=torch.Generator().manual_seed(0))
    for _ in range(100):
        optimizer.zero_grad()
        network(points).mean().backward()
        optimizer.step()
    return time.perf_counter() - start


def run_command(arguments: list[str]) -> float:
    """Wall time of ``python ARGUMENTS`` from the repository root; raises RuntimeError on failure."""
    start = time.perf_counter()
    finished = subprocess.run([sys.executable, *arguments], cwd=REPO_ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if finished.returncode != 0:
        raise RuntimeError(f"exit status {finished.returncode}: {(finished.stdout + finished.stderr).strip()[-800:]}")
    return seconds


def smoke_notebook(folder: Path) -> Path:
    """A one-cell notebook that imports the package and prints a closed form, for --quick."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            "import wgan_toys\nprint(wgan_toys.wasserstein_1(wgan_toys.ParallelLines(0.0), wgan_toys.ParallelLines(0.3)))"
        )
    )
    path = folder / "smoke.ipynb"
    nbformat.write(notebook, path)
    return path


def run_lesson(path: Path) -> float:
    """Wall time of executing one lesson with nbclient in a fresh kernel (notebooks/ as the cwd)."""
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: figure 1 and a one-cell notebook")
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=PARTS,
        default=["verify", "demo", "lessons"],
        help="what to time (default: verify demo lessons; add tests for the whole suite)",
    )
    args = parser.parse_args(argv)

    reference = reference_seconds()
    print(f"reference workload: {format_seconds(reference)} (one thread; 'units' = time / reference)")
    jobs: list[tuple[str, object]] = []
    with tempfile.TemporaryDirectory() as scratch:
        if args.quick:
            jobs.append(
                ("figure 1", lambda: run_command(["-m", "wgan_toys", "figure", "1", "--out", f"{scratch}/f1.png"]))
            )
            jobs.append(("lesson smoke (one cell)", lambda: run_lesson(smoke_notebook(Path(scratch)))))
        else:
            if "verify" in args.parts:
                jobs.append(("verify", lambda: run_command(["-m", "wgan_toys", "verify"])))
            if "demo" in args.parts:
                jobs.append(
                    (
                        "demo",
                        lambda: (
                            run_command(["-m", "wgan_toys", "verify"])
                            + run_command(["-m", "wgan_toys", "figures", "--out-dir", f"{scratch}/figures"])
                        ),
                    )
                )
            if "lessons" in args.parts:
                jobs += [(f"lesson {path.stem}", lambda path=path: run_lesson(path)) for path in NOTEBOOKS]
            if "tests" in args.parts:
                jobs.append(("tests", lambda: run_command(["-m", "pytest", "-q", "-p", "no:cacheprovider"])))
        rows, failures, lesson_total = [], [], 0.0
        for name, job in jobs:
            print(f"timing {name} ...", flush=True)
            try:
                seconds = job()
            except Exception as error:  # a failing command is reported, not hidden
                failures.append(f"{name}: {error}")
                rows.append([name, "failed", "", "", ""])
                continue
            if name.startswith("lesson"):
                lesson_total += seconds
            target = TARGETS.get(name)
            verdict = "" if target is None else ("yes" if seconds <= target else "NO")
            rows.append(
                [
                    name,
                    format_seconds(seconds),
                    f"{seconds / reference:.0f}",
                    "" if target is None else f"{target:.0f} s",
                    verdict,
                ]
            )
    if lesson_total:
        rows.append(["all lessons", format_seconds(lesson_total), f"{lesson_total / reference:.0f}", "", ""])
    print_table(["part", "time", "units", "target", "within target"], rows)
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
