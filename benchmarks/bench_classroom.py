"""Time of one classroom step plus redraw at 512 samples, against the step alone.

``wgan_toys.classroom.Classroom`` on 8 Gaussians with WGAN-GP: each button press runs the step,
measures the new state (critic heatmap on an 80 x 80 grid, gradient arrows, exact plan and W1 by
``ot.emd`` on 512 + 512 points), redraws the figure and encodes the PNG that the widget shows
(``Classroom.png``). The baseline, measured in
the same run, is the bare training step (``ToyGAN.critic_step`` / ``iteration``) without
measuring or drawing. Target: step plus redraw under 200 ms.

Run ``python benchmarks/bench_classroom.py`` (about 20 s) or ``--quick``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import matplotlib

matplotlib.use("Agg")
import torch  # noqa: E402
from _timing import format_seconds, print_table  # noqa: E402  (puts the repo on sys.path)

from wgan_toys.classroom import Classroom  # noqa: E402


def median_time(action, repeats: int) -> float:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats, 64 samples")
    parser.add_argument("--samples", type=int, default=512, help="points per view (default: 512)")
    parser.add_argument("--repeats", type=int, default=15, help="steps timed per row (default: 15)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1)")
    args = parser.parse_args(argv)
    if args.quick:
        args.samples, args.repeats = 64, 3
    for name in ("samples", "repeats", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} == {getattr(args, name)}, must be >= 1")
    torch.set_num_threads(args.threads)
    classroom = Classroom(dataset="8gaussians", algorithm="wgan-gp", n_samples=args.samples)
    classroom.draw()
    classroom.png()
    trainer = classroom.trainer
    rows = []
    for label, bare, full in (
        ("critic step", trainer.critic_step, classroom.critic_step),
        ("generator step", trainer.generator_step, classroom.generator_step),
        ("iteration (n_critic = 5, then generator)", trainer.iteration, classroom.iteration),
    ):
        bare_seconds = median_time(bare, args.repeats)
        full_seconds = median_time(lambda: (full(), classroom.png()), args.repeats)
        rows.append(
            [
                label,
                format_seconds(bare_seconds),
                format_seconds(full_seconds),
                f"{full_seconds / bare_seconds:.1f}x",
                "yes" if full_seconds < 0.2 else "NO",
            ]
        )
    print(f"{args.samples} samples, median of {args.repeats}, {args.threads} thread(s)")
    print_table(["button", "bare step", "step + measure + redraw", "ratio", "under 200 ms"], rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
