"""``wgan-toys train-images`` and ``section4``: Algorithm 1 and its baselines on images (one process or
``torchrun``), and Figures 5-7 on digits with a table.
"""

from __future__ import annotations

import argparse
import json
import sys

from .common import (
    algorithm_help,
    check_seeds,
    one_line,
    path_arg,
    print_notes,
    real_arg,
    set_threads,
    unused_flags,
)

__all__ = ["add_commands", "SMOKE", "image_config_values"]

SMOKE = dict(
    image_size=16,
    filters=8,
    noise_dim=16,
    mlp_width=64,
    generator_steps=3,
    log_every=1,
    sample_every=3,
    eval_every=3,
    eval_samples=64,
    checkpoint_every=3,
    held_out=100,
)


def image_config_values(args) -> dict:
    """The ImageConfig settings the flags give. Every image flag defaults to None, so a flag is
    in the result exactly when it was given; ``--smoke`` fills the settings that were not given
    with tiny values and never overrides a flag. For a new run, every setting is checked here
    (by constructing the ImageConfig), before any folder is made or data loaded."""
    import dataclasses

    from ..images.trainer import ImageConfig

    values = {
        field.name: getattr(args, field.name)
        for field in dataclasses.fields(ImageConfig)
        if getattr(args, field.name, None) is not None
    }
    if args.smoke:
        values = {**SMOKE, **values}
    if not args.resume:
        ImageConfig(**values)  # raises on the first bad setting, naming it
    return values


def _train_images(args) -> int:
    import contextlib
    import os
    import pathlib
    import signal

    from ..images.trainer import RUN_MARKERS, ImageConfig, ImageTrainer, TrainingStopped, read_metrics
    from ..runs import refuse_existing_run, run_lock

    out = pathlib.Path(args.out)
    if args.resume and args.overwrite:
        raise ValueError("--resume continues the run in --out and --overwrite replaces it: pass one of them.")
    if args.resume and not out.is_dir():  # refused before the lock would make the folder
        raise ValueError(f"--resume: {out} does not exist, so there is no run to continue; check --out.")
    values = image_config_values(args)
    print_notes("train-images", unused_flags(values, "train-images"))
    with contextlib.ExitStack() as stack:
        if int(os.environ.get("RANK", "0")) == 0:  # rank 0 alone writes the folder
            stack.enter_context(run_lock(out))  # before any data is loaded: a second process is refused at once
            if not args.resume and not args.overwrite:
                refuse_existing_run(out, RUN_MARKERS)
        if args.resume:
            trainer = ImageTrainer.resume(out, settings=values)
        else:
            trainer = ImageTrainer(ImageConfig(**values), out, overwrite=args.overwrite)
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
            print(f"wgan-toys train-images: stopped: {one_line(error)}", file=sys.stderr)
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
            "section4", [f"--generator-steps {args.generator_steps} is not used with --smoke (three steps per run)"]
        )
    rows = run_section4(
        args.out,
        generator_steps=1000 if args.generator_steps is None else args.generator_steps,
        image_size=args.image_size,
        threads=args.threads,
        smoke=args.smoke,
        seeds=args.seeds,
    )
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
    # Every ImageConfig field has a flag here whose choices are the field's declared options and whose help ends with
    # "(default: X)", X the field's default or, for the algorithm's defaults, objectives.DEFAULTS (paper rows);
    # tests/test_cli_settings.py checks all three against the dataclass and the table.
    from ..images import (
        CLIP_PARAMETERS,
        CRITIC_ARCHITECTURES,
        CRITIC_SCHEDULES,
        DATASETS,
        GENERATOR_ARCHITECTURES,
        NORMALIZATIONS,
        PRECISIONS,
    )
    from ..objectives import ALGORITHMS, defaults_help

    add = command.add_argument
    add("--algorithm", choices=ALGORITHMS, help=algorithm_help("wgan"))
    add(
        "--dataset",
        choices=DATASETS,
        help="digits (bundled with scikit-learn), folder, npz, or a torchvision set (default: digits)",
    )
    add(
        "--data-root",
        dest="data_root",
        help="the image folder, the .npz file, or the torchvision root (default: none; folder and npz need it)",
    )
    add(
        "--arch",
        "--generator",
        dest="generator",
        choices=GENERATOR_ARCHITECTURES,
        help="generator: dcgan (Figure 5), dcgan-nobn (Figure 6), mlp (Figure 7) (default: dcgan)",
    )
    add("--critic-arch", dest="critic", choices=CRITIC_ARCHITECTURES, help="critic / discriminator (default: dcgan)")
    add(
        "--critic-normalization",
        dest="critic_normalization",
        choices=NORMALIZATIONS,
        help="(default: batch for wgan and the GANs, layer for wgan-gp)",
    )
    add("--image-size", dest="image_size", type=int, help="16, 32, 64 or 128 (default: 32)")
    add("--channels", type=int, help="1 or 3 (default: 1)")
    add("--noise-dim", dest="noise_dim", type=int, help="(default: 100)")
    add("--filters", type=int, help="ngf = ndf (default: 64)")
    add("--extra-layers", dest="extra_layers", type=int, help="extra 3x3 layers, as the paper's code (default: 0)")
    add("--mlp-width", dest="mlp_width", type=int, help="hidden units of the mlp generator and critic (default: 512)")
    add("--batch-size", dest="batch_size", type=int, help="m, the global batch (default: 64)")
    add("--generator-steps", "--steps", dest="generator_steps", type=int, help="generator iterations (default: 1000)")
    add(
        "--n-critic",
        dest="n_critic",
        type=int,
        help=f"critic steps per generator step (default: {defaults_help('n_critic', 'paper')})",
    )
    add(
        "--critic-schedule",
        dest="critic_schedule",
        choices=CRITIC_SCHEDULES,
        help="paper-code: 100 critic steps for the first 25 generator steps and every 500th (default: algorithm-1)",
    )
    add(
        "--learning-rate",
        dest="learning_rate",
        type=real_arg,
        help=f"alpha (default: {defaults_help('learning_rate', 'paper')})",
    )
    add("--adam-beta1", dest="adam_beta1", type=real_arg, help=f"(default: {defaults_help('betas', 'paper', 0)})")
    add("--adam-beta2", dest="adam_beta2", type=real_arg, help=f"(default: {defaults_help('betas', 'paper', 1)})")
    add("--clip-value", dest="clip_value", type=real_arg, help=f"c (default: {defaults_help('clip_value', 'paper')})")
    add(
        "--clip-parameters",
        dest="clip_parameters",
        choices=CLIP_PARAMETERS,
        help="wgan: all: clip w, every critic parameter, batch-norm scales and shifts included "
        "(Algorithm 1); weights: convolution and linear weights only (default: all)",
    )
    add(
        "--penalty-weight",
        dest="penalty_weight",
        type=real_arg,
        help=f"lambda (default: {defaults_help('penalty_weight', 'paper')})",
    )
    add("--seed", type=int, help="(default: 0)")
    add("--device", help="auto, cpu, cuda, cuda:N, mps (default: auto)")
    add(
        "--precision",
        choices=PRECISIONS,
        help="auto: bf16 autocast where the device has native bf16 (CUDA, AVX512-BF16 or AMX CPUs), else fp32; "
        "fp32 is exact (compare runs, processes); bf16 (default: auto)",
    )
    add(
        "--channels-last",
        dest="channels_last",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="channels-last memory format (default: on with bf16)",
    )
    add("--threads", type=int, help="torch CPU threads (default: the cores, divided among processes)")
    add("--log-every", dest="log_every", type=int, help="generator steps between metrics lines (default: 10)")
    add("--sample-every", dest="sample_every", type=int, help="generator steps between sample grids (default: 100)")
    add("--eval-every", dest="eval_every", type=int, help="generator steps between sliced W evaluations (default: 100)")
    add("--eval-samples", dest="eval_samples", type=int, help="generated images per evaluation (default: 300)")
    add(
        "--checkpoint-every",
        dest="checkpoint_every",
        type=int,
        help="generator steps between checkpoints (default: 100)",
    )
    add("--held-out", dest="held_out", type=int, help="real images kept out of training (default: 300)")
    add(
        "--preload",
        choices=("auto", "yes", "no"),
        help="hold the data on the device; auto: if it fits 4 GiB (default: auto)",
    )
    add(
        "--skip-unreadable",
        dest="skip_unreadable",
        action="store_true",
        default=None,
        help="skip (and count) image files Pillow cannot read, instead of stopping (default: stop)",
    )
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
    section4.add_argument(
        "--generator-steps", dest="generator_steps", type=int, default=None, help="per run (default: 1000)"
    )
    section4.add_argument("--image-size", dest="image_size", type=int, default=16, help="default: 16")
    section4.add_argument(
        "--seeds",
        "--seed",
        type=int,
        nargs="+",
        default=[0],
        help="one set of six runs per seed (default: 0); the table compares runs across them",
    )
    section4.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: the cores)")
    section4.add_argument("--smoke", action="store_true", help="three tiny steps per run")
    section4.set_defaults(run=_section4)
