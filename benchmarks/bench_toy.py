"""Wall time of the default 8-Gaussians WGAN-GP toy run, and the share spent on exact W1 logging.

Runs ``ToyGAN(ToyConfig())`` (8 Gaussians, WGAN-GP, 2000 generator steps, n_critic = 5, batch 256,
MLPs of 3 x 128, exact W1 by ``ot.emd2`` on 1000 + 1000 points every 100 steps) on one CPU
thread, as ``wgan-toys toy`` does by default. The baseline, measured in the same run, is the
same number of training iterations without any evaluation, so that the ratio is the cost of
logging. Targets: the run under 90 s, exact W1 logging under 20% of it.

Run ``python benchmarks/bench_toy.py`` (about 2.5 minutes) or ``--quick`` (50 steps).
"""

from __future__ import annotations

import argparse
import time

import torch
from _timing import format_seconds, print_table  # puts the repo on sys.path

from wgan_toys.toy_gan import ToyConfig, ToyGAN


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 generator steps, evaluation every 25")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1, as the CLI)")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads == {args.threads}, must be >= 1")
    torch.set_num_threads(args.threads)
    config = ToyConfig(iterations=50, log_every=25) if args.quick else ToyConfig()

    bare = ToyGAN(config)  # the baseline: the same iterations, no evaluation at all
    start = time.perf_counter()
    for _ in range(config.iterations):
        bare.iteration()
    bare_seconds = time.perf_counter() - start

    trainer = ToyGAN(config)
    trainer.train()
    last = trainer.history[-1]
    share = last["exact_w1_seconds"] / last["wall_seconds"]
    rows = [
        ["training only (baseline)", format_seconds(bare_seconds), "1.00x", "-"],
        [
            "full run, with logging",
            format_seconds(last["wall_seconds"]),
            f"{last['wall_seconds'] / bare_seconds:.2f}x",
            "yes" if last["wall_seconds"] < 90 else "NO",
        ],
        [
            "  of which exact W1",
            format_seconds(last["exact_w1_seconds"]),
            f"{100 * share:.1f}% of the run",
            "yes" if share < 0.2 else "NO",
        ],
    ]
    print(
        f"{config.algorithm} on {config.dataset}: {config.iterations} generator steps, {len(trainer.history)} evaluations, {args.threads} thread(s)"
    )
    print_table(["part", "time", "ratio", "within target"], rows)
    print(
        f"final exact W1 {last['exact_w1']:.4f}, modes covered {last.get('modes_covered')}, high-quality fraction {last.get('high_quality_fraction')}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
