"""A seeded fuzz of the ``wgan-toys`` command: every command, with one flag set to an out-of-range,
huge or malformed value, exits with status 2 and one line on stderr, never a traceback, before any
training starts and within bounded memory.

The cases are drawn from per-flag pools of values each flag must refuse (its range's far side,
sizes beyond their caps, float32 overflow) and a pool of malformed text every numeric flag must
refuse; a seeded random generator picks a few dozen (command, flag, value) triples. They run in one
child process (``main`` called in a loop, stderr captured per case), which reports its peak memory:
a size that reached an allocator would show there, or kill the child.
"""

import json
import random
import subprocess
import sys
import textwrap

import pytest

MALFORMED = ["abc", "", "nan", "inf", "-inf", "1e999", "0x1p3", "--"]
GAUSSIANS = ["--mu1", "0", "--sigma1", "1", "--mu2", "1", "--sigma2", "1"]
# command prefix, flag, values it must refuse (beyond MALFORMED for numeric flags)
FLAGS = {
    ("distances", "gaussians"): {
        "--sigma1": ["0", "-1", "1e-400"],
        "--mu2": ["1e400"],
    },
    ("distances", "parallel-lines"): {"--theta": ["1e400"]},
    ("critic", "gaussians"): {
        "--clip-value": ["0", "-0.01", "1e308", "1e39"],
        "--penalty-weight": ["-1", "1e308"],
        "--threads": ["0", "1000000", "-4"],
        "--seed": ["-1", "4294967296", "1.5"],
        "--device": ["tpu", "cuda:x"],
        "--constraint": ["sgd"],
    },
    ("discriminator", "gaussians"): {"--threads": ["0", "99999999"], "--seed": ["-5", str(2**64)], "--device": ["gpu"]},
    ("toy",): {
        "--width": ["0", "1000000", "1e6"],
        "--depth": ["0", "10000"],
        "--batch-size": ["1", "1000000000"],
        "--noise-dim": ["0", "1000000000"],
        "--eval-samples": ["1", "10000000"],
        "--iterations": ["-1", "10000000000"],
        "--n-critic": ["0", "100000000"],
        "--learning-rate": ["0", "-1e-3", "1e308"],
        "--clip-value": ["0", "1e308"],
        "--penalty-weight": ["-0.1", "1e308"],
        "--log-every": ["0", "10000000000"],
        "--threads": ["0", "100000"],
        "--seed": ["-1", "4294967296"],
        "--dataset": ["moons"],
        "--out": ["", " "],
    },
    ("toy-claims",): {
        "--iterations": ["-5"],
        "--log-every": ["0"],
        "--seeds": ["-1", "abc"],
        "--threads": ["0"],
        "--out": [""],
    },
    ("verify",): {"--only": ["", " ", "*", "no_check_has_this_name"], "--threads": ["0", "99999999"]},
    ("figure", "1"): {"--out": ["", "figure.txt"]},
    ("train-images",): {
        "--batch-size": ["0", "1000000000"],
        "--mlp-width": ["0", "10000000"],
        "--filters": ["0", "1000000"],
        "--noise-dim": ["0", "1000000000"],
        "--eval-samples": ["0", "10000000"],
        "--extra-layers": ["-1", "100000"],
        "--held-out": ["-1", "10000000000"],
        "--image-size": ["48", "100000"],
        "--channels": ["2"],
        "--generator-steps": ["0", "100000000000"],
        "--n-critic": ["0", "1000000"],
        "--learning-rate": ["0", "1e308"],
        "--clip-value": ["0", "1e308"],
        "--penalty-weight": ["-1", "1e308"],
        "--adam-beta1": ["1", "-0.1"],
        "--threads": ["0", "100000"],
        "--seed": ["-5", "4294967296"],
        "--device": ["gpu"],
        "--checkpoint-every": ["0"],
        "--out": [""],
    },
    ("section4",): {
        "--seeds": ["-1", "abc"],
        "--generator-steps": ["0", "100000000000"],
        "--image-size": ["48", "1000000"],
        "--threads": ["0"],
        "--out": [""],
    },
}
NOT_NUMERIC = {"--device", "--constraint", "--dataset", "--out", "--only", "--seeds"}
REQUIRED = {("distances", "gaussians"): GAUSSIANS, ("critic", "gaussians"): GAUSSIANS}
REQUIRED[("discriminator", "gaussians")] = GAUSSIANS
REQUIRED[("distances", "parallel-lines")] = ["--theta", "0.5"]
FIXED = [
    # the sizes and numbers that reached torch (a traceback, or an allocation the kernel killed)
    ["toy", "--clip-value", "1e308", "--algorithm", "wgan"],
    ["toy", "--learning-rate", "1e308"],
    ["toy", "--penalty-weight", "1e308"],
    ["toy", "--threads", "1000000"],
    ["toy", "--batch-size", "1000000000"],
    ["toy", "--width", "1000000"],
    ["toy", "--depth", "10000"],
    ["toy", "--noise-dim", "1000000000"],
    ["toy", "--eval-samples", "10000000"],
    ["train-images", "--filters", "1000000"],
    ["train-images", "--mlp-width", "10000000", "--arch", "mlp"],
    ["train-images", "--eval-samples", "10000000"],
    ["train-images", "--batch-size", "65536", "--filters", "1024", "--image-size", "128"],  # within caps, not memory
    ["section4", "--seeds", "0", "0"],  # a repeated seed counted each run twice
    ["toy-claims", "--seeds", "3", "3"],
    ["train-images", "--resume", "--overwrite"],
    ["train-images", "--resume"],  # no run to resume in the folder
    ["critic", "gaussians", *GAUSSIANS, "--constraint", "gp", "--penalty-weight", "0"],  # an unbounded objective
    ["nosuchcommand"],
    ["toy", "--width"],
]


def cases(seed: int = 20261207, count: int = 48):
    """``count`` seeded (argv) cases, and FIXED; folders and files are made relative to the child's cwd."""
    rng = random.Random(seed)
    drawn = []
    commands = sorted(FLAGS)
    for _ in range(count):
        command = rng.choice(commands)
        flag = rng.choice(sorted(FLAGS[command]))
        malformed = flag not in NOT_NUMERIC and rng.random() < 0.4
        value = rng.choice(MALFORMED if malformed else FLAGS[command][flag])
        argv = [*command, *REQUIRED.get(command, [])]
        if flag in argv:  # a required flag fuzzed: replace its value
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
        if "--out" in FLAGS[command] and flag != "--out":
            argv += ["--out", f"out{len(drawn)}" + (".json" if command == ("toy-claims",) else "")]
        drawn.append(argv)
    fixed = [
        [*argv, "--out", f"fixed{index}"] if argv[0] in ("toy", "train-images") else argv
        for index, argv in enumerate(FIXED)
    ]
    return drawn + fixed


CHILD = textwrap.dedent(
    """
    import contextlib, io, json, os, resource, sys
    os.environ["OMP_NUM_THREADS"] = "1"
    from wgan_toys.cli import main
    results = []
    for argv in json.loads(sys.argv[1]):
        err, out, code, crash = io.StringIO(), io.StringIO(), None, None
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                code = main(argv)
        except SystemExit as stop:
            code = stop.code
        except BaseException as error:  # what a user would see as a traceback
            crash = f"{type(error).__name__}: {error}"
        results.append({"argv": argv, "code": code, "stderr": err.getvalue(), "crash": crash})
    # this process's own high-water mark: /proc's VmHWM belongs to the memory map made at exec, while
    # ru_maxrss keeps the (larger) peak of the pytest worker this child was forked from
    try:
        status = open("/proc/self/status").read()
        peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
    except (OSError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"results": results, "peak_bytes": peak}))
    """
)


@pytest.mark.subprocess
def test_every_command_refuses_bad_flags_in_one_line_with_status_2(tmp_path):
    drawn = cases()
    assert len(drawn) >= 60 and len({argv[0] for argv in drawn}) >= 8  # every command is drawn
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(drawn)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=1800,  # a hang guard, not a speed limit
    )
    assert child.returncode == 0, child.stderr[-2000:]
    report = json.loads(child.stdout.splitlines()[-1])
    bad = []
    for result in report["results"]:
        lines = [line for line in result["stderr"].splitlines() if line.strip()]
        if result["crash"] or result["code"] != 2 or len(lines) != 1 or "Traceback" in result["stderr"]:
            bad.append((result["argv"], result["code"], result["crash"], lines[-3:]))
    assert bad == []
    assert report["peak_bytes"] < 2**30  # nothing allocated what a refused size asked for
    assert not any((tmp_path / name).exists() for name in ("config.json", "metrics.jsonl", ".lock"))
    assert not list(tmp_path.glob("*/.lock"))  # no refused command made a run folder
