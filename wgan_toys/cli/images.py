"""``wgan-toys train-images`` and ``section4``: Algorithm 1 and its baselines on images (one process or
``torchrun``), and Figures 5-7 on digits with a table.
"""

from __future__ import annotations

import inspect
import json
import sys
from types import MappingProxyType

from ..images import section4 as section4_runs  # numpy only: the parser stays quick to build
from ..images.config import SMOKE, ImageConfig
from .common import (
    check_seeds,
    one_line,
    path_arg,
    print_notes,
    set_threads,
    unused_flags,
)
from .settings import add_setting_flags, given_settings

__all__ = ["add_commands", "SMOKE", "SECTION4_SETTINGS", "SECTION4_DEFAULTS", "image_config_values"]

# the ImageConfig settings section4 takes (the others are its runs' own: section4_config), and
# run_section4's defaults of them (per run: 1000 generator steps, 16x16), which its help states; read
# once, here, from the function the command calls
SECTION4_SETTINGS = ("generator_steps", "image_size", "threads")
SECTION4_DEFAULTS = MappingProxyType(
    {name: inspect.signature(section4_runs.run_section4).parameters[name].default for name in SECTION4_SETTINGS}
)


def image_config_values(args) -> dict:
    """The ImageConfig settings the flags give: exactly the flags given (each defaults to None)
    and, with ``--smoke``, the tiny run's settings (:meth:`ImageConfig.smoke_settings`) for those
    not given; a flag given always wins."""
    values = given_settings(args, ImageConfig)
    return ImageConfig.smoke_settings(**values) if args.smoke else values


def _train_images(args) -> int:
    import contextlib
    import os
    import pathlib

    from ..images.trainer import RUN_MARKERS, ImageTrainer
    from ..runs import refuse_existing_run, run_lock

    out = pathlib.Path(args.out)
    if args.resume and args.overwrite:
        raise ValueError("--resume continues the run in --out and --overwrite replaces it: pass one of them.")
    if args.resume and not out.is_dir():  # refused before the lock would make the folder
        raise ValueError(f"--resume: {out} does not exist, so there is no run to continue; check --out.")
    values = image_config_values(args)
    # a new run's config, built once: every setting checked before any folder is made or data loaded
    config = None if args.resume else ImageConfig(**values)
    print_notes("train-images", unused_flags(values, "train-images"))
    with contextlib.ExitStack() as stack:
        if int(os.environ.get("RANK", "0")) == 0:  # rank 0 alone writes the folder
            stack.enter_context(run_lock(out))  # before any data is loaded: a second process is refused at once
            if config is not None and not args.overwrite:
                refuse_existing_run(out, RUN_MARKERS)
        if config is None:
            trainer = ImageTrainer.resume(out, settings=values)
        else:
            trainer = ImageTrainer(config, out, overwrite=args.overwrite)
        stopped = _train(trainer, out, args.flag_of)
    return _report(trainer, out) if stopped is None else stopped


def _train(trainer, out, flag_of: dict) -> int | None:
    """Train, saying what and where first; the exit status if training stopped early, else None."""
    import signal

    from ..images.trainer import TrainingStopped

    config = trainer.config
    if trainer.is_main:
        where = f"{trainer.world_size} processes" if trainer.world_size > 1 else str(trainer.device)
        print(
            f"wgan-toys train-images: {config.algorithm}, generator {config.generator}, critic {config.critic}, "
            f"{config.dataset} {config.channels}x{config.image_size}x{config.image_size}, {where}, "
            f"from generator step {trainer.generator_step} to {config.generator_steps}, writing to {out}",
            file=sys.stderr,
        )
    try:
        trainer.train()
    except TrainingStopped as error:
        print(f"wgan-toys train-images: stopped: {one_line(error, flag_of)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # a second Ctrl-C: stopped at once, without a checkpoint of this step
        if trainer.is_main:
            resume = (
                f"continue with --resume --out {out} (from its last checkpoint, generator step {trainer.saved_step})"
                if trainer.saved_step is not None
                else f"no checkpoint was written; start again with --overwrite --out {out}"
            )
            print(
                f"wgan-toys train-images: interrupted at step {trainer.generator_step} of {config.generator_steps}; {resume}",
                file=sys.stderr,
            )
        return 128 + int(trainer.stop_signal or signal.SIGINT)
    finally:
        trainer.close()
    return None


def _report(trainer, out) -> int:
    """After training: the way to continue an interrupted run, or the curve and a summary line."""
    from ..images.trainer import read_metrics

    config = trainer.config
    if trainer.stop_signal is not None:  # Ctrl-C or SIGTERM: the step finished and was checkpointed
        if trainer.is_main:
            print(
                f"wgan-toys train-images: interrupted at step {trainer.generator_step} of {config.generator_steps}; "
                f"continue with --resume --out {out}",
                file=sys.stderr,
            )
        return 128 + int(trainer.stop_signal)
    if trainer.is_main:
        from ..plots import plot_image_run

        plot_image_run(out, save=out / "curve.png")  # the trainer writes data; the figure is drawn here
        evaluated = [record for record in read_metrics(out) if "sliced_w" in record]
        quality = (
            f", sliced W1 {evaluated[-1]['sliced_w']:.4f} (real floor {evaluated[-1]['sliced_w_real']:.4f})"
            if evaluated and "sliced_w_real" in evaluated[-1]
            else ""
        )
        name = "JS" if config.is_gan else "W"
        estimate = f", {name} estimate {float(trainer.last['estimate']):.4f}" if "estimate" in trainer.last else ""
        print(
            f"wgan-toys train-images: generator step {trainer.generator_step} of {config.generator_steps}, "
            f"{trainer.critic_steps} critic steps, {trainer.wall_seconds:.1f} s{estimate}{quality}; "
            f"see {out}/curve.png and {out}/samples/",
            file=sys.stderr,
        )
    return 0


def _section4(args) -> int:
    import pathlib

    from ..images.section4 import across_runs, format_table, run_section4
    from ..plots import figure_section4, plot_image_run

    check_seeds(args.seeds)
    if args.threads is not None:
        set_threads(args)
    if args.smoke and args.generator_steps is not None:
        print_notes(
            "section4",
            [
                f"--generator-steps {args.generator_steps} is not used with --smoke ({SMOKE['generator_steps']} steps per run)"
            ],
        )
    # the settings given (the others: run_section4's defaults, which the help states)
    rows = run_section4(args.out, **given_settings(args, ImageConfig), smoke=args.smoke, seeds=args.seeds)
    out = pathlib.Path(args.out)
    for row in rows:
        plot_image_run(out / row["folder"], save=out / row["folder"] / "curve.png")
    figure_section4(json.loads((out / "table.json").read_text()), out, save=out / "section4.png")
    print(format_table(rows))
    for algorithm, agreement in across_runs(rows).items():
        value = "undefined" if agreement["spearman"] is None else f"{agreement['spearman']:+.2f}"
        print(f"{algorithm}: Spearman(final loss, final sliced W1) across {agreement['runs']} runs: {value}")
    return 0


def _add_image_arguments(command) -> None:
    """One flag per ImageConfig field (made from its declared default, constraint and help), and
    the run's own: ``--out --resume --overwrite --smoke``."""
    add_setting_flags(command, ImageConfig)
    add = command.add_argument
    add("--out", type=path_arg, default="runs/images", help="run folder (default: runs/images)")
    add(
        "--resume",
        action="store_true",
        help="continue the run in --out from its checkpoint (with the settings it "
        "recorded; only --device, --threads and a larger --generator-steps may change)",
    )
    add(
        "--overwrite",
        action="store_true",
        help="start a new run in --out even if it holds one (its files are replaced)",
    )
    add(
        "--smoke",
        action="store_true",
        help="a few tiny steps to check the set-up (what the tests run); "
        "flags given explicitly win over its tiny settings",
    )


def add_commands(commands) -> None:
    """The ``train-images`` and ``section4`` commands, on the subparsers ``commands``."""
    images = commands.add_parser("train-images", help="the final chapter: WGAN / GAN / WGAN-GP on images (Section 4)")
    _add_image_arguments(images)
    images.set_defaults(run=_train_images)

    from ..images.prepare import add_prepare_command  # numpy only: the parser stays quick to build

    add_prepare_command(commands)

    section4 = commands.add_parser(
        "section4", help="Figures 5-7 on digits: 3 generators x {WGAN, GAN}, with a table (minutes)"
    )
    section4.add_argument(
        "--out",
        type=path_arg,
        default="runs/section4",
        help="folder for the six runs and table.json (default: runs/section4)",
    )
    add_setting_flags(section4, ImageConfig, only=SECTION4_SETTINGS, defaults=dict(SECTION4_DEFAULTS))
    section4.add_argument(
        "--seeds",
        "--seed",
        type=int,
        nargs="+",
        default=[0],
        help="one set of six runs per seed (default: 0); the table compares runs across them",
    )
    section4.add_argument(
        "--smoke", action="store_true", help=f"ImageConfig.smoke(): {SMOKE['generator_steps']} tiny steps per run"
    )
    section4.set_defaults(run=_section4)
