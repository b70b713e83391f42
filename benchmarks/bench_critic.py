"""Time to train one critic (and the GAN discriminator) to optimality on the Figure 2 problem.

``wgan_toys.train.train_critic`` between P_r = N(0, 0.5^2) and P_g = N(4, 0.5^2) (W = 4), with
its stopping rule (held-out objective flat for 6 checks of 50 steps), for each Lipschitz method,
and ``train_discriminator`` on the same pair. Prints steps, wall time, time per step, the
estimate and the exact value beside it. Target: one critic in under 3 s on a 2-core CPU.
The baseline is the time of 100 bare forward-backward passes of the same MLP at the same
batch, measured in the same run, so that the ratio shows the training loop's overhead.

Run ``python benchmarks/bench_critic.py`` (about 15 s) or ``--quick`` (clipping only).
"""

from __future__ import annotations

import argparse
import time

import torch
from _timing import format_seconds, print_table  # puts the repo on sys.path

from wgan_toys import js_divergence, wasserstein_1
from wgan_toys.networks import make_critic
from wgan_toys.plots import FIGURE_2_FAKE, FIGURE_2_REAL
from wgan_toys.train import train_critic, train_discriminator


def bare_step_seconds(batch_size: int = 256, repeats: int = 100) -> float:
    """Seconds per forward-backward pass of the default critic on two batches (the baseline)."""
    critic = make_critic(1, start_flat=False)
    real, fake = torch.randn(batch_size, 1), torch.randn(batch_size, 1) + 4
    start = time.perf_counter()
    for _ in range(repeats):
        (critic(real).mean() - critic(fake).mean()).backward()
    return (time.perf_counter() - start) / repeats


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="clipping only")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads == {args.threads}, must be >= 1")
    torch.set_num_threads(args.threads)
    print(
        f"seed {args.seed}; P_r = N(0, 0.5^2), P_g = N(4, 0.5^2); exact W = {wasserstein_1(FIGURE_2_REAL, FIGURE_2_FAKE):g}"
    )
    baseline = bare_step_seconds()
    rows = []
    for method in ("clip",) if args.quick else ("clip", "gp", "spectral"):
        result = train_critic(FIGURE_2_REAL, FIGURE_2_FAKE, constraint=method, seed=args.seed)
        per_step = result.seconds / result.steps
        rows.append(
            [
                f"critic, {result.constraint}",
                str(result.steps),
                format_seconds(result.seconds),
                format_seconds(per_step),
                f"{per_step / baseline:.1f}x",
                f"{result.estimate:.4g}",
                "W = 4 (x K)",
                "yes" if result.seconds < 3 else "NO",
            ]
        )
    if not args.quick:
        result = train_discriminator(FIGURE_2_REAL, FIGURE_2_FAKE, seed=args.seed)
        per_step = result.seconds / result.steps
        rows.append(
            [
                "discriminator",
                str(result.steps),
                format_seconds(result.seconds),
                format_seconds(per_step),
                f"{per_step / baseline:.1f}x",
                f"{result.estimate:.4g}",
                f"JS = {js_divergence(FIGURE_2_REAL, FIGURE_2_FAKE):.4g}",
                "yes" if result.seconds < 3 else "NO",
            ]
        )
    print(f"baseline: one bare forward-backward pass at batch 256 takes {format_seconds(baseline)}")
    print_table(["network", "steps", "time", "per step", "per step / baseline", "estimate", "exact", "under 3 s"], rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
