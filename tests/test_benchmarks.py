"""Smoke tests of the benchmark scripts: each runs with ``--quick`` and prints its table.

They check that the scripts run and print what they promise, not how fast anything is.
"""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.subprocess, pytest.mark.slow]  # each test runs a script, for seconds to a minute

REPO_ROOT = Path(__file__).resolve().parents[1]
# A hang guard, not a speed limit: the quick runs take seconds on a quiet 2-core machine and may
# take many times longer beside other jobs; only a process that never ends is stopped.
HANG_GUARD_S = 1800


def run_quick(script: str, *options: str) -> subprocess.CompletedProcess:
    """``python benchmarks/SCRIPT --quick OPTIONS``; scripts that take --threads get one thread, so
    that a smoke run never oversubscribes a busy machine or a parallel test run."""
    return subprocess.run(
        [sys.executable, f"benchmarks/{script}", "--quick", *options],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
    )


def assert_header(stdout: str, columns: list[str]) -> None:
    """Some line of ``stdout``, the table's header, names every one of ``columns``."""
    header_found = any(all(column in line for column in columns) for line in stdout.splitlines())
    assert header_found, f"no header line with {columns} in:\n{stdout}"


def test_bench_emd_quick():
    finished = run_quick("bench_emd.py")
    assert finished.returncode == 0, finished.stderr
    assert_header(finished.stdout, ["n", "repeats", "median time", "time / smallest n", "empirical W1"])
    assert "growth exponent" in finished.stdout


def test_bench_w1_1d_quick_values_agree():
    finished = run_quick("bench_w1_1d.py")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert_header(finished.stdout, ["fast path time", "POT time", "scipy time", "POT / fast", "scipy / fast"])
    assert "OK: the three values agree" in finished.stdout


@pytest.mark.skipif(
    not (REPO_ROOT / "wgan_toys" / "__main__.py").exists(),
    reason="python -m wgan_toys needs wgan_toys/__main__.py, which is not written yet",
)
def test_bench_cli_latency_quick():
    finished = run_quick("bench_cli_latency.py")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    columns = ["command", "median time", "/ python -c pass", "/ import numpy", "under 1 s"]
    assert_header(finished.stdout, columns)


def test_bench_sweep_quick():
    finished = run_quick("bench_sweep.py", "--threads", "1")
    assert finished.returncode == 0, finished.stderr
    assert_header(finished.stdout, ["run", "time", "time / one critic", "within 3x target"])
    assert "stacked is" in finished.stdout


def test_bench_critic_quick():
    finished = run_quick("bench_critic.py", "--threads", "1")
    assert finished.returncode == 0, finished.stderr
    assert_header(finished.stdout, ["network", "steps", "time", "per step", "estimate", "under 3 s"])


def test_bench_toy_quick():
    finished = run_quick("bench_toy.py", "--threads", "1")
    assert finished.returncode == 0, finished.stderr
    assert_header(finished.stdout, ["part", "time", "ratio", "within target"])
    assert "of which exact W1" in finished.stdout


def test_bench_classroom_quick():
    finished = run_quick("bench_classroom.py", "--threads", "1")
    assert finished.returncode == 0, finished.stderr
    assert_header(finished.stdout, ["button", "bare step", "step + measure + redraw + JPEG", "CPU / bare step"])


def test_bench_images_quick():
    finished = run_quick("bench_images.py", "--threads", "1")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert_header(
        finished.stdout,
        ["implementation", "per generator step", "steps/s", "critic images/s", "achieved GFLOP/s", "speed / baseline"],
    )
    assert "paper code (baseline)" in finished.stdout
    assert "ours, defaults (auto)" in finished.stdout and 'ours, precision="fp32"' in finished.stdout
    assert "peak RSS" in finished.stdout


def test_bench_course_quick():
    finished = run_quick("bench_course.py")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert_header(finished.stdout, ["part", "time", "units", "target", "within target"])
    assert "lesson smoke (one cell)" in finished.stdout and "reference workload" in finished.stdout


def test_bench_data_quick():
    finished = run_quick("bench_data.py", "--threads", "1")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert_header(finished.stdout, ["quantity", "measured", "ratio", "target", "met"])
    for row in (
        "today: folder start-up pass",
        "prepare-images, 1 worker",
        "store start-up (LSUN index",
        "feed, batch()",
    ):
        assert row in finished.stdout
    assert "LSUN bedrooms (3,033,042 images)" in finished.stdout
