"""Cold-start wall time of the ``wgan-toys distances`` command against a bare Python start.

Each command runs in a fresh interpreter (``subprocess`` with ``sys.executable``, from the
repository root), so the time includes starting Python and every import. The baselines
``python -c pass`` and ``python -c "import numpy"`` are measured in the same run; the table
gives each command's median time over ``--repeats`` runs (after one untimed run that writes
the bytecode caches), its ratio to each baseline, and whether it is under the 1 s target.

``import wgan_toys`` is measured too: the package promises to load numpy only, so it should
cost little more than ``import numpy``. A command that exits with an error, or whose
``--json`` output is not JSON, is reported and makes the exit status 1.

Run ``python benchmarks/bench_cli_latency.py`` (5 runs each) or ``--quick`` (1 run each).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from _timing import REPO_ROOT, print_table

TARGET_SECONDS = 1.0  # the distances command should answer within a second
BASELINES = {
    "python -c pass": ["-c", "pass"],
    'python -c "import numpy"': ["-c", "import numpy"],
}
CLI = ["-m", "wgan_toys", "distances"]  # python -m wgan_toys distances ...
COMMANDS = {
    'python -c "import wgan_toys"': ["-c", "import wgan_toys"],
    "python -m wgan_toys distances parallel-lines": [*CLI, "parallel-lines", "--theta", "0.5", "--json"],
    "python -m wgan_toys distances gaussians": [
        *CLI,
        "gaussians",
        "--mu1",
        "0",
        "--sigma1",
        "1",
        "--mu2",
        "1",
        "--sigma2",
        "2",
        "--json",
    ],
}
HEADERS = ["command", "median time", "/ python -c pass", "/ import numpy", f"under {TARGET_SECONDS:g} s"]


def run_once(arguments: list[str]) -> float:
    """Wall time of one fresh ``python ARGUMENTS``; raises RuntimeError if it fails."""
    start = time.perf_counter()
    finished = subprocess.run([sys.executable, *arguments], cwd=REPO_ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if finished.returncode != 0:
        raise RuntimeError(f"exit status {finished.returncode}: {finished.stderr.strip()[-500:]}")
    if "--json" in arguments:
        try:
            json.loads(finished.stdout)
        except json.JSONDecodeError as error:
            raise RuntimeError(f"--json output is not JSON ({error}): {finished.stdout[:200]!r}") from None
    return seconds


def median_cold_start(arguments: list[str], repeats: int) -> float:
    """Median wall time of ``repeats`` fresh runs, after one untimed run that fills the caches."""
    run_once(arguments)
    return statistics.median(run_once(arguments) for _ in range(repeats))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run: 1 run per command")
    parser.add_argument("--repeats", type=int, default=5, help="runs per command; the median is reported")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats == {args.repeats}, must be >= 1.")
    repeats = 1 if args.quick else args.repeats
    print(f"cold start, median of {repeats} run(s) per command, with {sys.executable}")

    baseline = {name: median_cold_start(arguments, repeats) for name, arguments in BASELINES.items()}
    bare_start, numpy_start = baseline.values()
    rows, failures = [], []
    for name, arguments in {**BASELINES, **COMMANDS}.items():
        try:
            seconds = baseline[name] if name in baseline else median_cold_start(arguments, repeats)
        except RuntimeError as error:
            failures.append(f"{name}: {error}")
            rows.append([name, "failed", "", "", ""])
            continue
        under = "yes" if seconds < TARGET_SECONDS else "NO"
        ratios = [f"{seconds / bare_start:.1f}x", f"{seconds / numpy_start:.1f}x"]
        rows.append([name, f"{seconds * 1e3:.0f} ms", *ratios, under])
    print_table(HEADERS, rows)

    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
