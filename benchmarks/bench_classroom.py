"""Time of one classroom press at 512 samples: the step, measuring, redrawing and the JPEG the widget shows.

``wgan_toys.classroom.Classroom`` on 8 Gaussians with WGAN-GP: a press runs the step, measures
what changed (the critic's heatmap on an 80 x 80 grid after a critic step; the generated samples
and their exact plan and W1 by ``ot.emd`` on 512 + 512 points after a generator step; the arrows
and the estimate after both), redraws the changing artists over the cached background and
encodes the JPEG the widget sends (``Classroom.jpeg``). The baseline, in the same run, is the bare
training step; the last column is the press's CPU time as a multiple of it.

Each press is timed twice: wall clock, and the process's CPU time (``time.process_time``). The
press is single-threaded (one torch thread), so its CPU time is what the wall clock reads on a
quiet machine, and it moves little when other jobs share the cores; the wall clock shows what a
lecturer on this machine would wait now. The browser adds its part (the widget message, decoding
the image): ``tools/lab_screenshot.js`` measures click to image in JupyterLab. Target: 150 ms
from click to image on a quiet machine; this benchmark measures the kernel's part of it. The last
line prints the one figure the README, lesson 08 and the classroom's docstring quote.

Run ``python benchmarks/bench_classroom.py`` (about 20 s) or ``--quick``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import matplotlib

matplotlib.use("Agg")
from _timing import format_seconds, print_table  # noqa: E402  (puts the repo on sys.path)

from wgan_toys.classroom import Classroom  # noqa: E402
from wgan_toys.runtime import set_threads  # noqa: E402


def times(action, repeats: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each of ``repeats`` calls of ``action()``."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats, 64 samples")
    parser.add_argument("--samples", type=int, default=512, help="points per view (default: 512)")
    parser.add_argument("--repeats", type=int, default=15, help="presses timed per row (default: 15)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1)")
    args = parser.parse_args(argv)
    if args.quick:
        args.samples, args.repeats = 64, 3
    for name in ("samples", "repeats", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} == {getattr(args, name)}, must be >= 1")
    set_threads(args.threads)
    classroom = Classroom(dataset="8gaussians", algorithm="wgan-gp", n_samples=args.samples)
    classroom.draw()
    classroom.jpeg()
    trainer = classroom.trainer
    # made at their first use, the first loading torch._dynamo (the widget imports it in its background
    # thread once its picture is shown): no timed press pays for it here
    trainer.critic_optimizer, trainer.generator_optimizer  # noqa: B018
    rows, presses = [], []
    for label, bare, full in (
        ("critic step", trainer.critic_step, classroom.critic_step),
        ("generator step", trainer.generator_step_update, classroom.generator_step),
        ("iteration (n_critic = 5, then generator)", trainer.iteration, classroom.iteration),
    ):
        bare_wall, _ = times(bare, args.repeats)
        wall, cpu = times(lambda: (full(), classroom.jpeg()), args.repeats)
        if not label.startswith("iteration"):
            presses += cpu
        medians = [statistics.median(values) for values in (bare_wall, cpu, wall)]
        rows.append([label] + [format_seconds(value) for value in medians] + [f"{medians[1] / medians[0]:.1f}x"])
    print(f"{args.samples} samples, median of {args.repeats} presses each, {args.threads} torch thread(s)")
    header = ["button", "bare step", "step + measure + redraw + JPEG: CPU", "wall", "CPU / bare step"]
    print_table(header, rows)
    press = statistics.median(presses)
    print(
        f"one press (critic or generator step + measure + redraw + JPEG): {1000 * press:.0f} ms of CPU time "
        f"(median of the {len(presses)} presses above)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
