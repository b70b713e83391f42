"""``wgan-toys toy`` and ``toy-claims``: GAN / WGAN / WGAN-GP on 2D toy data with exact W1 logged, and
Section 4's claims on the toys as a table.
"""

from __future__ import annotations

import json
import sys

from .common import (
    Terminated,
    add_threads_flag,
    check_seeds,
    json_number,
    one_line,
    path_arg,
    print_notes,
    save_figure,
    set_threads,
    unused_flags,
    writable_folder,
)
from .settings import add_setting_flags, given_settings

__all__ = ["add_commands", "toy_fields"]


def _toy(args) -> int:
    set_threads(args)
    import os

    from ..toy_gan import ToyConfig, ToyGAN, run_folder

    given = given_settings(args, ToyConfig)
    # built once, every setting checked before a note is printed or a network built
    settings = ToyConfig.smoke(**given) if args.smoke else ToyConfig(**given)
    print_notes("toy", unused_flags(given, "toy"))
    trainer = ToyGAN(settings)  # its config: these settings with the algorithm's defaults filled in
    config = trainer.config
    with run_folder(trainer, args.out, overwrite=args.overwrite) as log_row:  # locked; refuses an existing run
        print(
            f"wgan-toys toy: {config.algorithm} on {config.dataset}, seed {config.seed}, writing to {args.out}",
            file=sys.stderr,
        )
        status = _train_toy(trainer, log_row, os.path.join(args.out, "metrics.jsonl"), args.flag_of)
        if status > 1:  # interrupted: no figures
            return status
        _draw_toy_run(trainer, args.out, diverged=status == 1, gif=not args.no_gif)
    last = trainer.history[-1]
    share = last["exact_w1_seconds"] / max(last["wall_seconds"], 1e-9)
    shown = ", ".join(f"{name} {value}" for name, value in toy_fields(last, len(trainer.dataset.centers)).items())
    print(
        f"wgan-toys toy: step {last['generator_step']} of {config.iterations}, {shown}; "
        f"wall {last['wall_seconds']:.1f} s, of which exact W1 logging {last['exact_w1_seconds']:.1f} s ({100 * share:.0f}%)"
    )
    return status


def _train_toy(trainer, log_row, metrics_path: str, flag_of: dict) -> int:
    """Train with a progress bar, each row logged: 0 when done, 1 when it diverged, 130 or 143
    when interrupted by Ctrl-C or SIGTERM (the rows logged so far kept)."""
    from ..runtime import progress_bar
    from ..train import TrainingDivergedError

    config = trainer.config
    with progress_bar(config.iterations, "toy") as bar:

        def log(row):
            log_row(row)
            bar.update(row["generator_step"] - bar.n)
            bar.set_postfix(toy_fields(row, len(trainer.dataset.centers)), refresh=False)

        try:
            trainer.train(callback=log)
        except TrainingDivergedError as error:
            bar.close()
            print(
                f"wgan-toys toy: stopped: {one_line(error, flag_of)} The {len(trainer.history)} rows logged so far "
                f"are in {metrics_path}.",
                file=sys.stderr,
            )
            return 1
        except KeyboardInterrupt as stop:
            bar.close()
            how = "stopped by SIGTERM" if isinstance(stop, Terminated) else "interrupted"
            print(
                f"wgan-toys toy: {how} at step {trainer.generator_step} of {config.iterations}; the "
                f"{len(trainer.history)} rows logged so far are in {metrics_path}, no figures were drawn.",
                file=sys.stderr,
            )
            return 143 if isinstance(stop, Terminated) else 130
    return 0


def _draw_toy_run(trainer, out: str, *, diverged: bool, gif: bool) -> None:
    """``toy_run.png``, ``samples_over_iterations.png`` and (``gif``) ``samples.gif`` in ``out``; a
    run that ``diverged`` draws what was logged, over the sample floor."""
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plots

    if not diverged:
        fig = plots.figure_toy_run(trainer).figure
    else:  # the generator's output is no longer finite: draw what was logged, over the sample floor
        from ..toys2d import sample_floor

        fig, ax = plt.subplots(figsize=(7, 5), constrained_layout=True)
        plots.plot_estimate_against_exact(
            trainer.history, ax=ax, floor=sample_floor(trainer.dataset, trainer.config.eval_samples, repeats=4)
        )
    save_figure(fig, os.path.join(out, "toy_run.png"))
    plt.close(fig)
    fig = plots.figure_samples_over_iterations(trainer)
    save_figure(fig, os.path.join(out, "samples_over_iterations.png"))
    plt.close(fig)
    if gif:
        plots.save_samples_animation(trainer, os.path.join(out, "samples.gif"))
        print(f"wrote {os.path.join(out, 'samples.gif')}")


def toy_fields(row: dict, modes: int) -> dict:
    """A toy metrics row as the fields ``wgan-toys toy`` shows: the estimate, the exact W1 and, for
    mixtures, the modes covered out of ``modes`` (:func:`~wgan_toys.toy_gan.logged_estimate`)."""
    from ..toy_gan import logged_estimate

    fields = {"estimate": f"{logged_estimate(row)[1]:.4f}", "exact W1": f"{row['exact_w1']:.4f}"}
    if "modes_covered" in row:
        fields["modes"] = f"{row['modes_covered']}/{modes}"
    return fields


def _toy_claims(args) -> int:
    import os

    set_threads(args)
    from tqdm.auto import tqdm

    from ..run_files import atomic_write_text
    from ..runs import check_output_path
    from ..runtime import progress_bar
    from ..toy_gan import claims_runs, claims_table

    check_seeds(args.seeds)
    from ..toy_config import ToyConfig

    # before minutes of computing: settings the runs would refuse, and a table that cannot be written
    ToyConfig(dataset=args.dataset, iterations=args.iterations, log_every=args.log_every)
    if os.path.isdir(args.out):
        raise OSError(21, "is a folder; give a file name for the table", args.out)
    check_output_path(args.out, "--out")  # never into a running run's folder, nor over a run's file
    writable_folder(args.out)
    runs = len(args.seeds) * len(claims_runs())
    columns = (
        "algorithm",
        "seed",
        "spearman",
        "pearson",
        "final_exact_w1",
        "modes_covered",
        "high_quality_fraction",
        "negative_cosine_share",
        "seconds",
    )
    print("  ".join(columns))

    with progress_bar(runs, "toy-claims", unit="run") as bar:

        def show(row):
            line = "  ".join(f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in columns)
            tqdm.write(line, file=sys.stdout)  # above the bar on a terminal; a plain line in a log
            bar.update(1)

        rows = claims_table(
            seeds=tuple(args.seeds),
            dataset=args.dataset,
            iterations=args.iterations,
            log_every=args.log_every,
            callback=show,
        )
    check_output_path(args.out, "--out")  # again: a run may have started there meanwhile
    # NaN (a correlation of a run too short or too flat to have one) as null: RFC 8259 has no NaN
    table = [{k: json_number(v) if isinstance(v, float) else v for k, v in row.items()} for row in rows]
    atomic_write_text(args.out, json.dumps(table, indent=1, allow_nan=False))
    print(f"wrote {args.out}")
    return 0


def add_commands(commands) -> None:
    """The ``toy`` and ``toy-claims`` commands, on the subparsers ``commands``."""
    from ..toy_config import ToyConfig  # numpy only: the parser stays quick to build

    toy = commands.add_parser("toy", help="train GAN / WGAN / WGAN-GP on 2D toy data, with exact W1 logged")
    add_setting_flags(toy, ToyConfig)  # one flag per ToyConfig field
    toy.add_argument("--out", type=path_arg, default="runs/toy", help="run folder (default: runs/toy)")
    toy.add_argument("--no-gif", action="store_true", help="skip the animated GIF")
    toy.add_argument(
        "--smoke",
        action="store_true",
        help="two tiny steps to check the set-up (ToyConfig.smoke()); flags given explicitly win over its settings",
    )
    toy.add_argument("--overwrite", action="store_true", help="replace a run already in --out (refused without it)")
    add_threads_flag(toy)
    toy.set_defaults(run=_toy)

    claims = commands.add_parser(
        "toy-claims", help="Section 4's claims as a table: correlations, mode coverage, momentum (minutes)"
    )
    claims.add_argument("--dataset", choices=("8gaussians", "25gaussians", "2clusters"), default="8gaussians")
    claims.add_argument("--iterations", type=int, default=1000, help="generator steps per run (default: 1000)")
    claims.add_argument("--log-every", type=int, default=50, help="generator steps between evaluations (default: 50)")
    claims.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="default: 0 1 2")
    claims.add_argument(
        "--out",
        type=path_arg,
        default="runs/toy_claims.json",
        help="JSON file for the rows (default: runs/toy_claims.json)",
    )
    add_threads_flag(claims)
    claims.set_defaults(run=_toy_claims)
