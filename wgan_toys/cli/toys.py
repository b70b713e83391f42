"""``wgan-toys toy`` and ``toy-claims``: GAN / WGAN / WGAN-GP on 2D toy data with exact W1 logged, and
Section 4's claims on the toys as a table.
"""

from __future__ import annotations

import json
import sys

from .common import (
    Terminated,
    add_threads_flag,
    algorithm_help,
    check_seeds,
    json_number,
    one_line,
    path_arg,
    print_notes,
    real_arg,
    save_figure,
    set_threads,
    unused_flags,
    writable_folder,
)

__all__ = ["add_commands", "toy_fields"]


def _toy(args) -> int:
    set_threads(args)
    import dataclasses
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plots
    from ..runtime import progress_bar
    from ..toy_gan import ToyConfig, ToyGAN, run_folder
    from ..train import TrainingDivergedError

    given = {
        field.name: getattr(args, field.name)
        for field in dataclasses.fields(ToyConfig)
        if getattr(args, field.name, None) is not None
    }
    settings = ToyConfig(**given)  # every setting checked before a note is printed or a network built
    print_notes("toy", unused_flags(given, "toy"))
    trainer = ToyGAN(settings)
    config = trainer.config
    metrics_path = os.path.join(args.out, "metrics.jsonl")
    with run_folder(trainer, args.out, overwrite=args.overwrite) as log_row:  # locked; refuses an existing run
        print(
            f"wgan-toys toy: {config.algorithm} on {config.dataset}, seed {config.seed}, writing to {args.out}",
            file=sys.stderr,
        )
        status = 0
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
                    f"wgan-toys toy: stopped: {one_line(error)} The {len(trainer.history)} rows logged so far are in {metrics_path}.",
                    file=sys.stderr,
                )
                status = 1
            except KeyboardInterrupt as stop:
                bar.close()
                how = "stopped by SIGTERM" if isinstance(stop, Terminated) else "interrupted"
                print(
                    f"wgan-toys toy: {how} at step {trainer.generator_step} of {config.iterations}; the "
                    f"{len(trainer.history)} rows logged so far are in {metrics_path}, no figures were drawn.",
                    file=sys.stderr,
                )
                return 143 if isinstance(stop, Terminated) else 130
        if status == 0:
            fig = plots.figure_toy_run(trainer).figure
        else:  # the generator's output is no longer finite: draw what was logged, over the sample floor
            from ..toys2d import sample_floor

            fig, ax = plt.subplots(figsize=(7, 5), constrained_layout=True)
            plots.plot_estimate_against_exact(
                trainer.history, ax=ax, floor=sample_floor(trainer.dataset, config.eval_samples, repeats=4)
            )
        save_figure(fig, os.path.join(args.out, "toy_run.png"))
        plt.close(fig)
        fig = plots.figure_samples_over_iterations(trainer)
        save_figure(fig, os.path.join(args.out, "samples_over_iterations.png"))
        plt.close(fig)
        if not args.no_gif:
            plots.save_samples_animation(trainer, os.path.join(args.out, "samples.gif"))
            print(f"wrote {os.path.join(args.out, 'samples.gif')}")
    last = trainer.history[-1]
    share = last["exact_w1_seconds"] / max(last["wall_seconds"], 1e-9)
    shown = ", ".join(f"{name} {value}" for name, value in toy_fields(last, len(trainer.dataset.centers)).items())
    print(
        f"wgan-toys toy: step {last['generator_step']} of {config.iterations}, {shown}; "
        f"wall {last['wall_seconds']:.1f} s, of which exact W1 logging {last['exact_w1_seconds']:.1f} s ({100 * share:.0f}%)"
    )
    return status


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
    # before minutes of computing: a table that cannot be written is refused now, not after
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


def _add_toy_arguments(command) -> None:
    # Every ToyConfig field has a flag here whose choices are the field's declared options and whose help ends with
    # "(default: X)", X the field's default or, for the algorithm's defaults, objectives.DEFAULTS (toy rows);
    # tests/test_cli_settings.py checks all three against the dataclass and the table.
    from ..objectives import ALGORITHMS, OPTIMIZERS, defaults_help
    from ..toys2d import DATASETS

    add = command.add_argument
    add("--dataset", choices=tuple(DATASETS), help="(default: 8gaussians)")
    add("--algorithm", choices=ALGORITHMS, help=algorithm_help("wgan-gp"))
    add("--iterations", type=int, help="generator steps (default: 2000)")
    add(
        "--n-critic",
        dest="n_critic",
        type=int,
        help=f"critic steps per generator step (default: {defaults_help('n_critic', 'toy')})",
    )
    add("--batch-size", dest="batch_size", type=int, help="m (default: 256)")
    add("--noise-dim", dest="noise_dim", type=int, help="dimension of the noise z (default: 2)")
    add("--width", type=int, help="hidden units of generator and critic (default: 128)")
    add("--depth", type=int, help="hidden layers of generator and critic (default: 3)")
    add(
        "--learning-rate",
        dest="learning_rate",
        type=real_arg,
        help=f"alpha (default: {defaults_help('learning_rate', 'toy')})",
    )
    add(
        "--critic-optimizer",
        dest="critic_optimizer",
        choices=OPTIMIZERS,
        help=f"adam on wgan is Section 4.2's momentum test (default: {defaults_help('optimizer', 'toy')})",
    )
    add("--clip-value", dest="clip_value", type=real_arg, help=f"c (default: {defaults_help('clip_value', 'toy')})")
    add(
        "--penalty-weight",
        dest="penalty_weight",
        type=real_arg,
        help=f"lambda (default: {defaults_help('penalty_weight', 'toy')})",
    )
    add("--log-every", dest="log_every", type=int, help="generator steps between evaluations (default: 100)")
    add("--eval-samples", dest="eval_samples", type=int, help="points for exact W1 and coverage (default: 1000)")
    add("--seed", type=int, help="(default: 0)")
    add("--device", help="auto, cpu, cuda, cuda:N, mps (default: cpu)")


def add_commands(commands) -> None:
    """The ``toy`` and ``toy-claims`` commands, on the subparsers ``commands``."""
    toy = commands.add_parser("toy", help="train GAN / WGAN / WGAN-GP on 2D toy data, with exact W1 logged")
    _add_toy_arguments(toy)
    toy.add_argument("--out", type=path_arg, default="runs/toy", help="run folder (default: runs/toy)")
    toy.add_argument("--no-gif", action="store_true", help="skip the animated GIF")
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
