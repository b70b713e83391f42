"""Time of S critics trained in one batched run against one critic and against a loop of S.

Classroom sweeps (over c, lambda or seeds) train S critics. ``wgan_toys.networks.StackedCritics``
holds them in stacked parameters and runs one batched matmul per layer. This script times
``--steps`` critic steps (eq. 3, weight clipping, RMSProp as Algorithm 1) at batch m = 64 for:

- one critic (``make_critic``), the baseline;
- S critics one after the other (a naive loop), which costs about S times the baseline;
- S critics in one ``StackedCritics`` run.

It prints each time (medians of 5 alternating pairs of one-critic and stacked runs, the stacked
ratio being the median of the paired ratios, which drifting load affects least) and the ratios
to the baseline. Target: 16 stacked critics take at most 3x
one critic. Run ``python benchmarks/bench_sweep.py`` (about 15 s) or ``--quick``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from _timing import format_seconds, print_table  # puts the repo on sys.path

from wgan_toys.lipschitz import clip_weights_
from wgan_toys.networks import StackedCritics, make_critic

CLIP_VALUE = 0.01  # c, Algorithm 1
LEARNING_RATE = 5e-5  # alpha, Algorithm 1


def time_steps(critic, clip_value, batch_shape, steps: int, generator) -> float:
    """Wall time of ``steps`` clipped RMSProp critic steps on fresh Gaussian batches."""
    optimizer = torch.optim.RMSprop(critic.parameters(), lr=LEARNING_RATE)
    start = time.perf_counter()
    for _ in range(steps):
        real = torch.randn(*batch_shape, generator=generator)
        fake = torch.randn(*batch_shape, generator=generator) + 4.0
        critic_loss = -(critic(real).mean(dim=-1) - critic(fake).mean(dim=-1)).sum()  # eq. (3), summed over critics
        optimizer.zero_grad(set_to_none=True)
        critic_loss.backward()
        optimizer.step()
        clip_weights_(critic, clip_value)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run: 20 steps, S = 4")
    parser.add_argument("--critics", type=int, default=16, help="S, the number of critics (default: 16)")
    parser.add_argument("--steps", type=int, default=500, help="critic steps timed per setting (default: 500)")
    parser.add_argument("--batch-size", type=int, default=64, help="m, points per critic and law (default: 64)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: 2)")
    args = parser.parse_args(argv)
    if args.quick:
        args.critics, args.steps = 4, 20
    for name in ("critics", "steps", "batch_size", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} == {getattr(args, name)}, must be >= 1")
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(0)
    critics, m, steps = args.critics, args.batch_size, args.steps
    print(f"{steps} critic steps, batch m = {m}, MLP 1 -> 64 -> 64 -> 64 -> 1, {args.threads} threads")

    time_steps(make_critic(1), CLIP_VALUE, (m, 1), 5, generator)  # warm-up
    # one and stacked runs alternate, 5 pairs, so that drifting load hits both alike; the
    # ratio reported is the median of the 5 paired ratios
    pairs = []
    for _ in range(5):
        one_run = time_steps(make_critic(1), CLIP_VALUE, (m, 1), steps, generator)
        stacked_run = time_steps(
            StackedCritics(critics, 1), torch.full((critics,), CLIP_VALUE), (critics, m, 1), steps, generator
        )
        pairs.append((one_run, stacked_run))
    one = statistics.median(one_run for one_run, _ in pairs)
    stacked = statistics.median(stacked_run for _, stacked_run in pairs)
    ratio = statistics.median(stacked_run / one_run for one_run, stacked_run in pairs)
    loop = sum(time_steps(make_critic(1), CLIP_VALUE, (m, 1), steps, generator) for _ in range(critics))
    rows = [
        ["one critic (baseline)", format_seconds(one), "1.00x", "-"],
        [f"{critics} critics, loop", format_seconds(loop), f"{loop / one:.2f}x", "-"],
        [
            f"{critics} critics, stacked",
            format_seconds(stacked),
            f"{ratio:.2f}x (median of paired runs)",
            "yes" if ratio <= 3.0 else "NO",
        ],
    ]
    print_table(["run", "time", "time / one critic", "within 3x target"], rows)
    print(f"stacked is {loop / stacked:.1f}x faster than the loop")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
