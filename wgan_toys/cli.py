"""The ``wgan-toys`` command (also ``python -m wgan_toys``).

Subcommands::

    wgan-toys distances parallel-lines --theta T [--json]
    wgan-toys distances gaussians --mu1 M1 --sigma1 S1 --mu2 M2 --sigma2 S2 [--json]
    wgan-toys critic gaussians --mu1 M1 --sigma1 S1 --mu2 M2 --sigma2 S2 --constraint {clip,gp,spectral} [--json]
    wgan-toys discriminator gaussians --mu1 M1 --sigma1 S1 --mu2 M2 --sigma2 S2 [--json]
    wgan-toys figure {1,2,transport-lines,transport-gaussians,convergence} --out PATH
    wgan-toys toy --dataset 8gaussians --algorithm wgan-gp --out runs/toy
    wgan-toys toy-claims --out notebooks/data/toy_claims.json   # ~10 minutes
    wgan-toys train-images --dataset digits --arch dcgan --algorithm wgan --out runs/images
    torchrun --nproc_per_node=2 -m wgan_toys train-images ...   # DistributedDataParallel
    wgan-toys section4 --out runs/section4  # 3 generators x {WGAN, GAN} on digits (Figures 5-7)
    wgan-toys figures --out-dir DIR        # every figure, as the main job does
    wgan-toys verify [--list] [--only PATTERN]  # the paper's claims as PASS/FAIL/INFO rows

The ``distances`` path loads numpy and, for Gaussians, scipy's quadrature only: it answers in
well under a second. Everything heavier is imported inside the subcommand that needs it.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys

from .images import ROOT_ARGUMENT

# The share of the WGAN-GP bias (exact optimum over all critics minus W) that trained critics recover at
# small lambda, as measured by tests/test_cli.py (this command, N(0,1) vs N(0,3^2), lambda = 1, seeds 0
# and 1: 0.87, 0.89) and by lesson 04 section 7's check cell (its sweep's recipe: 0.6-0.9).
GP_BIAS_SHARE = (0.85, 0.9)
GP_BIAS_SHARE_HELP = (
    f"{GP_BIAS_SHARE[0]:g}-{GP_BIAS_SHARE[1]:g} of it for N(0,1) vs N(0,3^2) at lambda = 1 (seeds 0 and 1), "
    "0.6-0.9 in lesson 04 section 7 (lambda = 1, 3, 10, one seed), where the linear lower bound "
    "W + W^2/(2 lambda) stands for about half (0.53)."
)

DISTANCE_NAMES = {
    "tv": "total variation  delta(P, Q)",
    "kl": "KL(P || Q)",
    "kl_reverse": "KL(Q || P)",
    "js": "JS(P, Q)  (1/2 convention, nats)",
    "em": "EM / Wasserstein-1  W(P, Q)",
}


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors on one line (``wgan-toys toy: error: argument --width: invalid
    int value: 'x' (see wgan-toys toy --help)``), exit status 2; subcommands inherit it."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _path(text: str) -> str:
    """argparse type of a path flag: an empty path would silently mean the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"{text!r} names no file or folder; give a path")
    return text


def _json_number(value: float):
    """RFC 8259 has no infinity and no NaN: write infinity as the string "inf" and NaN (an
    undefined number, such as a correlation of a constant series) as null. Every json.dump here
    passes allow_nan=False, so a non-finite float that slips past this is an error, not NaN."""
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _real(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    return value


def _distances(args) -> int:
    from ._validation import check_real
    from .distances import all_distances
    from .distributions import ParallelLines

    if args.family == "parallel-lines":
        check_real("--theta", args.theta)
        p, q = ParallelLines(0.0), ParallelLines(args.theta)
        title = f"P = P_0, Q = P_theta with theta = {args.theta:g} (Example 1)"
    else:
        p, q = _gaussian_pair(args)
        title = f"P = N({args.mu1:g}, {args.sigma1:g}^2), Q = N({args.mu2:g}, {args.sigma2:g}^2)"
    values = all_distances(p, q)
    if args.json:
        print(json.dumps({key: _json_number(value) for key, value in values.items()}, allow_nan=False))
    else:
        print(title)
        for key, label in DISTANCE_NAMES.items():
            print(f"  {label:<36} {values[key]:.12g}")
    return 0


def _gaussian_pair(args):
    """P = N(mu1, sigma1^2) and Q = N(mu2, sigma2^2), with errors that name the flags."""
    from ._validation import check_positive, check_real
    from .distributions import Gaussian1D

    for flag in ("mu1", "mu2"):
        check_real(f"--{flag}", getattr(args, flag))
    for flag in ("sigma1", "sigma2"):
        check_positive(f"--{flag}", getattr(args, flag))
    return Gaussian1D(args.mu1, args.sigma1), Gaussian1D(args.mu2, args.sigma2)


def _print_report(values: dict, as_json: bool, title: str) -> None:
    if as_json:
        print(
            json.dumps(
                {key: _json_number(value) if isinstance(value, float) else value for key, value in values.items()},
                allow_nan=False,
            )
        )
        return
    print(title)
    for key, value in values.items():
        print(f"  {key:<26} {value:.6g}" if isinstance(value, float) else f"  {key:<26} {value}")


def _critic(args) -> int:
    _set_threads(args)
    _check_seeds([args.seed], "--seed")
    import numpy as np

    from ._validation import NON_NEGATIVE_FLOAT32, POSITIVE_FLOAT32, check_constraint
    from .distances import wasserstein_1
    from .measure import lipschitz_constant_on_grid, network_values
    from .objectives import algorithm_defaults
    from .optimal import expectation_gap, gradient_penalty_optimum, integration_grid
    from .train import train_critic

    p, q = _gaussian_pair(args)
    c, penalty = algorithm_defaults("wgan", "paper").clip_value, algorithm_defaults("wgan-gp", "paper").penalty_weight
    check_constraint("--clip-value", args.clip_value, POSITIVE_FLOAT32, f"the paper uses c = {c:g}")
    check_constraint(
        "--penalty-weight", args.penalty_weight, NON_NEGATIVE_FLOAT32, f"WGAN-GP uses lambda = {penalty:g}"
    )
    result = train_critic(  # lambda = 0 with --constraint gp: refused by lipschitz.GradientPenalty, before training
        p,
        q,
        constraint=args.constraint,
        clip_value=args.clip_value,
        penalty_weight=args.penalty_weight,
        seed=args.seed,
        device=args.device,
    )
    exact = wasserstein_1(p, q)
    grid = integration_grid(p, q, 4001)
    values = {
        "estimate": result.estimate,
        "exact_em": exact,
        "effective_slope": result.estimate / exact
        if exact > 0
        else float("nan"),  # what this critic realises, not the family's K
        "max_grad_norm": lipschitz_constant_on_grid(result.network, grid),
        "estimate_exact_expectation": expectation_gap(lambda x: network_values(result.network, x), p, q),
        "constraint": result.constraint,
        "steps": result.steps,
        "converged": result.converged,
        "seconds": result.seconds,
    }
    if not np.isfinite(values["effective_slope"]):
        values["effective_slope"] = None
    if args.constraint == "gp":
        # the exact maximiser's E_r f - E_g f over all critics (not W + W^2/(2 lambda), a lower bound)
        optimum = gradient_penalty_optimum(p, q, args.penalty_weight)
        values["exact_penalized_estimate"] = optimum.estimate
        values["linear_lower_bound"] = optimum.linear_lower_bound
        excess = optimum.estimate - optimum.wasserstein  # the exact optimum's bias above W
        values["bias_share"] = (values["estimate_exact_expectation"] - exact) / excess if excess > 0 else None
    _print_report(
        values,
        args.json,
        f"WGAN critic between P = N({p.mean:g}, {p.std:g}^2) (real) and Q = N({q.mean:g}, {q.std:g}^2) (fake)",
    )
    return 0


def _discriminator(args) -> int:
    _set_threads(args)
    _check_seeds([args.seed], "--seed")
    import numpy as np

    from .distances import js_divergence
    from .measure import network_values
    from .optimal import js_lower_bound, mass_region, optimal_discriminator
    from .train import train_discriminator

    p, q = _gaussian_pair(args)
    result = train_discriminator(p, q, seed=args.seed, device=args.device)
    region = mass_region(p, q)
    from scipy.special import expit  # the logistic sigmoid, stable for any logit

    trained = expit(network_values(result.network, region))  # D = sigmoid(logit)
    values = {
        # 1/2 L(D) + log 2 integrated against the true densities: a lower bound on JS for every D
        "js_lower_bound": js_lower_bound(lambda x: network_values(result.network, x), p, q),
        # the same quantity on the held-out samples: an estimate, which can exceed JS
        "js_estimate_samples": result.estimate,
        "exact_js": js_divergence(p, q),
        "max_abs_error_vs_optimal": float(np.max(np.abs(trained - optimal_discriminator(p, q)(region)))),
        "steps": result.steps,
        "converged": result.converged,
        "seconds": result.seconds,
    }
    _print_report(
        values,
        args.json,
        f"GAN discriminator between P = N({p.mean:g}, {p.std:g}^2) (real) and Q = N({q.mean:g}, {q.std:g}^2) (fake)",
    )
    return 0


def _toy(args) -> int:
    _set_threads(args)
    import dataclasses
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import plots
    from .runtime import progress_bar
    from .toy_gan import ToyConfig, ToyGAN, run_folder
    from .train import TrainingDivergedError

    given = {
        field.name: getattr(args, field.name)
        for field in dataclasses.fields(ToyConfig)
        if getattr(args, field.name, None) is not None
    }
    settings = ToyConfig(**given)  # every setting checked before a note is printed or a network built
    _note("toy", _unused_flags(given, "toy"))
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
                bar.set_postfix(_toy_fields(row, len(trainer.dataset.centers)), refresh=False)

            try:
                trainer.train(callback=log)
            except TrainingDivergedError as error:
                bar.close()
                print(
                    f"wgan-toys toy: stopped: {_one_line(error)} The {len(trainer.history)} rows logged so far are in {metrics_path}.",
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
            fig = plots.figure_toy_run(trainer)
        else:  # the generator's output is no longer finite: draw what was logged, over the sample floor
            from .toys2d import sample_floor

            fig, ax = plt.subplots(figsize=(7, 5), constrained_layout=True)
            plots.plot_estimate_against_exact(
                trainer.history, ax=ax, floor=sample_floor(trainer.dataset, config.eval_samples, repeats=4)
            )
        _save(fig, os.path.join(args.out, "toy_run.png"))
        plt.close(fig)
        fig = plots.figure_samples_over_iterations(trainer)
        _save(fig, os.path.join(args.out, "samples_over_iterations.png"))
        plt.close(fig)
        if not args.no_gif:
            plots.save_samples_animation(trainer, os.path.join(args.out, "samples.gif"))
            print(f"wrote {os.path.join(args.out, 'samples.gif')}")
    last = trainer.history[-1]
    share = last["exact_w1_seconds"] / max(last["wall_seconds"], 1e-9)
    shown = ", ".join(f"{name} {value}" for name, value in _toy_fields(last, len(trainer.dataset.centers)).items())
    print(
        f"wgan-toys toy: step {last['generator_step']} of {config.iterations}, {shown}; "
        f"wall {last['wall_seconds']:.1f} s, of which exact W1 logging {last['exact_w1_seconds']:.1f} s ({100 * share:.0f}%)"
    )
    return status


def _toy_fields(row: dict, modes: int) -> dict:
    """A toy metrics row as the fields ``wgan-toys toy`` shows: the estimate, the exact W1 and, for
    mixtures, the modes covered out of ``modes`` (:func:`~wgan_toys.toy_gan.logged_estimate`)."""
    from .toy_gan import logged_estimate

    fields = {"estimate": f"{logged_estimate(row)[1]:.4f}", "exact W1": f"{row['exact_w1']:.4f}"}
    if "modes_covered" in row:
        fields["modes"] = f"{row['modes_covered']}/{modes}"
    return fields


def _toy_claims(args) -> int:
    import os

    _set_threads(args)
    from tqdm.auto import tqdm

    from .run_files import atomic_write_text
    from .runs import check_output_path
    from .runtime import progress_bar
    from .toy_gan import claims_runs, claims_table

    _check_seeds(args.seeds)
    # before minutes of computing: a table that cannot be written is refused now, not after
    if os.path.isdir(args.out):
        raise OSError(21, "is a folder; give a file name for the table", args.out)
    check_output_path(args.out, "--out")  # never into a running run's folder, nor over a run's file
    _writable_folder(args.out)
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
    table = [{k: _json_number(v) if isinstance(v, float) else v for k, v in row.items()} for row in rows]
    atomic_write_text(args.out, json.dumps(table, indent=1, allow_nan=False))
    print(f"wrote {args.out}")
    return 0


FIGURE_SUFFIXES = (".png", ".pdf", ".svg")


def _check_figure_path(path: str, flag: str = "--out") -> str:
    """Refuse a figure path that matplotlib would silently change or that cannot be written,
    before any computing: no suffix (matplotlib appends .png), an existing folder, or a folder
    that cannot be created. Creates the folder."""
    import os

    if os.path.isdir(path):
        raise ValueError(f"{flag} == {path!r} is a folder, must be a file name ending in {', '.join(FIGURE_SUFFIXES)}.")
    if os.path.splitext(path)[1].lower() not in FIGURE_SUFFIXES:
        raise ValueError(f"{flag} == {path!r}, must end in {', '.join(FIGURE_SUFFIXES)}.")
    from .runs import check_output_path

    check_output_path(path, flag)  # never into a running run's folder, nor over a run's file
    _writable_folder(path)
    return path


def _writable_folder(path: str) -> None:
    """Create the folder of the file ``path`` and check that it can be written, before any computing."""
    import os

    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    if not os.access(folder, os.W_OK):
        raise OSError(13, "folder is not writable", folder)


def _save(fig, path: str) -> None:
    fig.savefig(_check_figure_path(path), dpi=130)
    print(f"wrote {path}")


def _figure_2(plots):
    """Figures take results and train nothing: Figure 2's discriminator and clipped critic are
    trained here, once, on one thread (seed 0)."""
    from .distributions import FIGURE_2_FAKE, FIGURE_2_REAL
    from .runtime import set_threads
    from .train import train_critic, train_discriminator

    set_threads(workload="mlp")
    discriminator = train_discriminator(FIGURE_2_REAL, FIGURE_2_FAKE, seed=0)
    critic = train_critic(FIGURE_2_REAL, FIGURE_2_FAKE, constraint="clip", seed=0)
    return plots.figure_2(discriminator, critic)


# name -> (draw(plots) -> Figure, file name in `figures --out-dir`)
FIGURES = {
    "1": (lambda plots: plots.figure_1(), "figure_1.png"),
    "transport-lines": (lambda plots: plots.figure_transport_parallel_lines(), "transport_parallel_lines.png"),
    "transport-gaussians": (lambda plots: plots.figure_transport_gaussians(), "transport_gaussians.png"),
    "convergence": (lambda plots: plots.figure_convergence(), "convergence_gaussians.png"),
    "2": (_figure_2, "figure_2.png"),
}


def _figure(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import plots

    _check_figure_path(args.out)
    draw, _ = FIGURES[args.name]
    fig = draw(plots)
    _save(fig, args.out)
    plt.close(fig)
    return 0


def _figures(args) -> int:
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import plots

    for _, file_name in FIGURES.values():
        _check_figure_path(os.path.join(args.out_dir, file_name), flag="--out-dir")
    for draw, file_name in FIGURES.values():
        fig = draw(plots)
        _save(fig, os.path.join(args.out_dir, file_name))
        plt.close(fig)
    return 0


def _verify(args) -> int:
    import time

    from .verify import format_row, format_summary, list_checks, run_checks, select_checks

    if args.list:
        for check in list_checks():
            print(f"{check.name:<27} {'slow' if check.slow else '':<5} {check.summary}")
        return 0
    _set_threads(args)
    if args.only is not None and not args.only.strip(" *"):
        raise ValueError(
            f"--only == {args.only!r} names no check and would run every one, the slow ones included; "
            "give a name, a substring or a glob such as 'theorem_*' (--list shows the names), or leave --only out."
        )
    checks = select_checks(args.only)
    from tqdm.auto import tqdm

    from .runtime import progress_bar

    print(
        f"wgan-toys verify: {len(checks)} checks, {args.threads} torch thread(s); each row prints as it completes",
        flush=True,
    )
    start = time.perf_counter()
    with progress_bar(len(checks), "verify", unit="check") as bar:

        def show(row):  # above the bar on a terminal, plain lines in a log
            tqdm.write(format_row(row), file=sys.stdout)
            sys.stdout.flush()

        rows = run_checks(checks, callback=show, check_done=lambda check: bar.update(1))
    print()
    skipped = [check.name for check in list_checks() if check.slow and check not in checks]
    if skipped and args.only is None:
        print(f"not run (slow, minutes; run one with --only NAME): {', '.join(skipped)}")
    print(format_summary(rows, time.perf_counter() - start))
    return 1 if any(row.failed for row in rows) else 0


def _add_gaussian_flags(command) -> None:
    for flag, help_text in (
        ("--mu1", "mean of P"),
        ("--sigma1", "std of P, > 0"),
        ("--mu2", "mean of Q"),
        ("--sigma2", "std of Q, > 0"),
    ):
        command.add_argument(flag, type=_real, required=True, help=help_text)


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


def _image_config_values(args) -> dict:
    """The ImageConfig settings the flags give. Every image flag defaults to None, so a flag is
    in the result exactly when it was given; ``--smoke`` fills the settings that were not given
    with tiny values and never overrides a flag. For a new run, every setting is checked here
    (by constructing the ImageConfig), before any folder is made or data loaded."""
    import dataclasses

    from .images.trainer import ImageConfig

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


def _unused_flags(values: dict, command: str) -> list[str]:
    """The flags given in ``values`` (config field names) that the chosen algorithm or data set
    never reads, each as ``--flag is not used by ...`` (a note, not an error: the run is valid)."""
    from .objectives import algorithm_defaults

    algorithm = values.get("algorithm", "wgan" if command == "train-images" else "wgan-gp")
    notes = []
    if algorithm != "wgan":
        notes += [
            f"--{name.replace('_', '-')} is not used by {algorithm} (only wgan clips the critic's parameters)"
            for name in ("clip_value", "clip_parameters")
            if name in values
        ]
    if algorithm != "wgan-gp" and "penalty_weight" in values:
        notes.append(f"--penalty-weight is not used by {algorithm} (only wgan-gp has a gradient penalty)")
    scale = "paper" if command == "train-images" else "toy"
    optimizer = values.get("critic_optimizer") or algorithm_defaults(algorithm, scale).optimizer
    notes += [
        f"--{name.replace('_', '-')} is not used by {algorithm}, which trains with {optimizer} (Adam's betas only)"
        for name in ("adam_beta1", "adam_beta2")
        if name in values and optimizer != "adam"
    ]
    if "data_root" in values and values.get("dataset", "digits") == "digits":
        notes.append("--data-root is not used with the digits data set (bundled with scikit-learn)")
    return notes


def _note(command: str, notes: list[str]) -> None:
    for note in notes:
        print(f"wgan-toys {command}: note: {note}", file=sys.stderr)


def _train_images(args) -> int:
    import contextlib
    import os
    import pathlib
    import signal

    from .images.trainer import RUN_MARKERS, ImageConfig, ImageTrainer, TrainingStopped, read_metrics
    from .runs import refuse_existing_run, run_lock

    out = pathlib.Path(args.out)
    if args.resume and args.overwrite:
        raise ValueError("--resume continues the run in --out and --overwrite replaces it: pass one of them.")
    if args.resume and not out.is_dir():  # refused before the lock would make the folder
        raise ValueError(f"--resume: {out} does not exist, so there is no run to continue; check --out.")
    values = _image_config_values(args)
    _note("train-images", _unused_flags(values, "train-images"))
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
            print(f"wgan-toys train-images: stopped: {_one_line(error)}", file=sys.stderr)
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
        from .plots import plot_image_run

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

    from .images.section4 import across_runs, format_table, run_section4
    from .plots import figure_section4, plot_image_run

    _check_seeds(args.seeds)
    if args.threads is not None:
        _set_threads(args)
    if args.smoke and args.generator_steps is not None:
        _note("section4", [f"--generator-steps {args.generator_steps} is not used with --smoke (three steps per run)"])
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


def _algorithm_help(default: str) -> str:
    from .objectives import ALGORITHM_DESCRIPTIONS

    described = "; ".join(f"{name}: {text}" for name, text in ALGORITHM_DESCRIPTIONS.items())
    return f"{described} (default: {default})"


def _add_image_arguments(command) -> None:
    # Every ImageConfig field has a flag here whose choices are the field's declared options and whose help ends with
    # "(default: X)", X the field's default or, for the algorithm's defaults, objectives.DEFAULTS (paper rows);
    # tests/test_cli_settings.py checks all three against the dataclass and the table.
    from .images import (
        CLIP_PARAMETERS,
        CRITIC_ARCHITECTURES,
        CRITIC_SCHEDULES,
        DATASETS,
        GENERATOR_ARCHITECTURES,
        NORMALIZATIONS,
        PRECISIONS,
    )
    from .objectives import ALGORITHMS, defaults_help

    add = command.add_argument
    add("--algorithm", choices=ALGORITHMS, help=_algorithm_help("wgan"))
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
        type=_real,
        help=f"alpha (default: {defaults_help('learning_rate', 'paper')})",
    )
    add("--adam-beta1", dest="adam_beta1", type=_real, help=f"(default: {defaults_help('betas', 'paper', 0)})")
    add("--adam-beta2", dest="adam_beta2", type=_real, help=f"(default: {defaults_help('betas', 'paper', 1)})")
    add("--clip-value", dest="clip_value", type=_real, help=f"c (default: {defaults_help('clip_value', 'paper')})")
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
        type=_real,
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
    add("--out", type=_path, default="runs/images", help="run folder (default: runs/images)")
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


def _add_toy_arguments(command) -> None:
    # Every ToyConfig field has a flag here whose choices are the field's declared options and whose help ends with
    # "(default: X)", X the field's default or, for the algorithm's defaults, objectives.DEFAULTS (toy rows);
    # tests/test_cli_settings.py checks all three against the dataclass and the table.
    from .objectives import ALGORITHMS, OPTIMIZERS, defaults_help
    from .toys2d import DATASETS

    add = command.add_argument
    add("--dataset", choices=tuple(DATASETS), help="(default: 8gaussians)")
    add("--algorithm", choices=ALGORITHMS, help=_algorithm_help("wgan-gp"))
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
        type=_real,
        help=f"alpha (default: {defaults_help('learning_rate', 'toy')})",
    )
    add(
        "--critic-optimizer",
        dest="critic_optimizer",
        choices=OPTIMIZERS,
        help=f"adam on wgan is Section 4.2's momentum test (default: {defaults_help('optimizer', 'toy')})",
    )
    add("--clip-value", dest="clip_value", type=_real, help=f"c (default: {defaults_help('clip_value', 'toy')})")
    add(
        "--penalty-weight",
        dest="penalty_weight",
        type=_real,
        help=f"lambda (default: {defaults_help('penalty_weight', 'toy')})",
    )
    add("--log-every", dest="log_every", type=int, help="generator steps between evaluations (default: 100)")
    add("--eval-samples", dest="eval_samples", type=int, help="points for exact W1 and coverage (default: 1000)")
    add("--seed", type=int, help="(default: 0)")
    add("--device", help="auto, cpu, cuda, cuda:N, mps (default: cpu)")


def _add_threads_flag(command) -> None:
    command.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default: 1; these small MLPs run fastest on one, and more threads "
        "than free cores can slow them down many times)",
    )


def _set_threads(args) -> None:
    from ._validation import THREADS, check_constraint

    check_constraint("--threads", args.threads, THREADS, "torch's CPU threads; use at most the cores you have")
    import torch

    torch.set_num_threads(args.threads)


def _check_seeds(seeds, flag: str = "--seeds") -> None:
    """Each seed an unsigned 32-bit integer, none given twice (a repeated seed repeats a run and
    would count it twice in the table)."""
    from ._validation import SEED, check_constraint

    for seed in seeds:
        check_constraint(flag, seed, SEED, "a seed is an unsigned 32-bit integer, 0 to 2**32 - 1")
    repeated = sorted({seed for seed in seeds if seeds.count(seed) > 1})
    if repeated:
        raise ValueError(
            f"{flag} == {' '.join(map(str, seeds))} repeats {', '.join(map(str, repeated))}; give each seed once "
            "(a repeated seed trains the same run again and counts it twice)."
        )


def _add_training_flags(command) -> None:
    _add_threads_flag(command)
    command.add_argument("--seed", type=int, default=0, help="seed of the samples and the initial weights (default: 0)")
    command.add_argument("--device", default="cpu", help="auto, cpu, cuda, cuda:N or mps (default: cpu)")
    command.add_argument("--json", action="store_true", help="print one JSON object")


def build_parser() -> argparse.ArgumentParser:
    from .objectives import algorithm_defaults  # the names and the table, without torch

    parser = _Parser(
        prog="wgan-toys",
        description="The Wasserstein GAN paper (Arjovsky, Chintala, Bottou 2017) as toys you can run and check.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    distances = commands.add_parser("distances", help="exact TV, KL both ways, JS and EM between two laws")
    families = distances.add_subparsers(dest="family", required=True, metavar="FAMILY")
    lines = families.add_parser("parallel-lines", help="Example 1: P_0 against P_theta")
    lines.add_argument("--theta", type=_real, required=True, help="horizontal offset theta of P_theta")
    lines.add_argument("--json", action="store_true", help='print one JSON object (inf as the string "inf")')
    gaussians = families.add_parser("gaussians", help="P = N(mu1, sigma1^2) against Q = N(mu2, sigma2^2)")
    _add_gaussian_flags(gaussians)
    gaussians.add_argument("--json", action="store_true", help='print one JSON object (inf as the string "inf")')
    distances.set_defaults(run=_distances)

    critic = commands.add_parser("critic", help="train a WGAN critic to optimality and compare it with the exact W")
    critic_laws = critic.add_subparsers(dest="family", required=True, metavar="FAMILY")
    critic_gaussians = critic_laws.add_parser("gaussians", help="P = N(mu1, sigma1^2) real, Q = N(mu2, sigma2^2) fake")
    _add_gaussian_flags(critic_gaussians)
    critic_gaussians.add_argument(
        "--constraint",
        choices=("clip", "gp", "spectral"),
        default="clip",
        help="how the critic is kept Lipschitz: weight clipping, the gradient penalty or spectral normalisation "
        "(default: clip)",
    )
    paper_wgan, paper_gp = algorithm_defaults("wgan", "paper"), algorithm_defaults("wgan-gp", "paper")
    critic_gaussians.add_argument(
        "--clip-value",
        type=_real,
        default=paper_wgan.clip_value,
        help=f"c for --constraint clip (default: {paper_wgan.clip_value:g}, Algorithm 1's)",
    )
    critic_gaussians.add_argument(
        "--penalty-weight",
        type=_real,
        default=paper_gp.penalty_weight,
        help=f"lambda for --constraint gp (default: {paper_gp.penalty_weight:g}, WGAN-GP's). The penalty lifts the "
        "critic's gap above W; the report gives the exact optimum over all critics and bias_share, the fraction of "
        f"its bias the trained critic recovers. At small lambda critics recover most of it, not all: {GP_BIAS_SHARE_HELP}",
    )
    _add_training_flags(critic_gaussians)
    critic.set_defaults(run=_critic)

    discriminator = commands.add_parser(
        "discriminator", help="train a GAN discriminator to optimality and compare it with D*"
    )
    discriminator_laws = discriminator.add_subparsers(dest="family", required=True, metavar="FAMILY")
    discriminator_gaussians = discriminator_laws.add_parser(
        "gaussians", help="P = N(mu1, sigma1^2) real, Q = N(mu2, sigma2^2) fake"
    )
    _add_gaussian_flags(discriminator_gaussians)
    _add_training_flags(discriminator_gaussians)
    discriminator.set_defaults(run=_discriminator)

    toy = commands.add_parser("toy", help="train GAN / WGAN / WGAN-GP on 2D toy data, with exact W1 logged")
    _add_toy_arguments(toy)
    toy.add_argument("--out", type=_path, default="runs/toy", help="run folder (default: runs/toy)")
    toy.add_argument("--no-gif", action="store_true", help="skip the animated GIF")
    toy.add_argument("--overwrite", action="store_true", help="replace a run already in --out (refused without it)")
    _add_threads_flag(toy)
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
        type=_path,
        default="runs/toy_claims.json",
        help="JSON file for the rows (default: runs/toy_claims.json)",
    )
    _add_threads_flag(claims)
    claims.set_defaults(run=_toy_claims)

    images = commands.add_parser("train-images", help="the final chapter: WGAN / GAN / WGAN-GP on images (Section 4)")
    _add_image_arguments(images)
    images.set_defaults(run=_train_images)

    from .images.prepare import add_prepare_command  # numpy only: the parser stays quick to build

    add_prepare_command(commands)

    section4 = commands.add_parser(
        "section4", help="Figures 5-7 on digits: 3 generators x {WGAN, GAN}, with a table (minutes)"
    )
    section4.add_argument(
        "--out",
        type=_path,
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

    figure = commands.add_parser("figure", help="write one figure as PNG")
    figure.add_argument("name", choices=list(FIGURES), help="1 and 2 are the paper's Figures 1 and 2, extended")
    figure.add_argument("--out", type=_path, required=True, help="output path, e.g. figures/figure_1.png")
    figure.set_defaults(run=_figure)

    figures = commands.add_parser("figures", help="write every figure into a folder")
    figures.add_argument("--out-dir", type=_path, default="figures", help="output folder (default: figures)")
    figures.set_defaults(run=_figures)

    verify = commands.add_parser(
        "verify", help="check the paper's claims numerically; exit 1 on any FAIL (INFO rows never fail)"
    )
    verify.add_argument("--list", action="store_true", help="list the checks (name, slow or not, claim) and exit")
    verify.add_argument(
        "--only",
        metavar="PATTERN",
        default=None,
        help="run only the checks whose name matches PATTERN (a glob such as 'theorem_*', or a substring); "
        "this also runs slow checks it names",
    )
    _add_threads_flag(verify)
    verify.set_defaults(run=_verify)
    return parser


_NEGATIVE = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")  # -5, -5., -.5, -1e-3
_ARGPARSE_NEGATIVE = re.compile(r"^-\d+$|^-\d*\.\d+$")  # what argparse itself reads as a number


def _join_negative_values(argv: list[str]) -> list[str]:
    """``--theta -1e-3`` -> ``--theta=-1e-3`` (and ``--theta -5.``).

    argparse takes a token that starts with '-' for an option unless it looks like a plain
    negative number; '-1e-3' and '-5.' do not look like one to it, so the value would be refused
    with "expected one argument". Joining it to its option keeps its meaning.
    """
    joined: list[str] = []
    for token in argv:
        previous = joined[-1] if joined else ""
        negative = _NEGATIVE.match(token) and not _ARGPARSE_NEGATIVE.match(token)
        if negative and previous.startswith("--") and "=" not in previous:
            joined[-1] = f"{previous}={token}"
        else:
            joined.append(token)
    return joined


# The library's errors speak its Python API; on the command line they name the flags.
_API_TO_FLAGS = (
    ("resume=True", "--resume"),
    ("overwrite=True", "--overwrite"),
    ("another out", "another --out"),
    ("point out at", "point --out at"),
    ("(out ", "(--out "),
    ("skip_unreadable=True", "--skip-unreadable"),  # images.data
    ("lower batch_size", "lower --batch-size"),
    (ROOT_ARGUMENT, "--data-root"),
    ("pattern == ", "--only == "),  # verify.select_checks
    ("penalty_weight == ", "--penalty-weight == "),  # lipschitz.GradientPenalty
    ("lower learning_rate", "lower --learning-rate"),  # TrainingDivergedError's remedies
    ("or penalty_weight for 'gp'", "or --penalty-weight for --constraint gp"),
    ("pass penalty_weight > 0", "pass --penalty-weight > 0"),
)
# errors the package raises by name (their messages say what to do); any of their subclasses too
_NAMED_ERRORS = ("TrainingDivergedError", "TrainingStopped")


def _one_line(error: BaseException) -> str:
    """The error's message on one line, in the command line's words."""
    text = " ".join(str(error).split()) or type(error).__name__
    for api, flag in _API_TO_FLAGS:
        text = text.replace(api, flag)
    return text


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, so that it stops as on Ctrl-C (its rows kept, a message
    printed) and exits with status 143."""


def _on_sigterm(signum, frame):
    raise Terminated


def _sigterm_handler(command: str):
    """Install :func:`_on_sigterm` for every command but ``train-images`` (which checkpoints first, in
    its own handler); return what to restore, or None where signals cannot be set (not the main thread)."""
    import signal
    import threading

    if command == "train-images" or threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _on_sigterm)


def main(argv=None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(_join_negative_values(argv))
    name = f"wgan-toys {args.command}"
    previous = _sigterm_handler(args.command)
    try:
        return args.run(args)
    except (ValueError, TypeError, ArithmeticError, RecursionError) as error:
        parser.exit(2, f"{name}: error: {_one_line(error)}\n")
    except MemoryError as error:
        parser.exit(2, f"{name}: error: out of memory ({_one_line(error)}); lower the sizes given in the flags.\n")
    except OSError as error:  # a folder that cannot be written, a file that cannot be read
        where = f" ({error.filename})" if getattr(error, "filename", None) else ""
        parser.exit(
            1,
            f"{name}: error: {error.strerror or _one_line(error)}{where}; check the path and its permissions.\n",
        )
    except Terminated:
        parser.exit(143, f"{name}: stopped by SIGTERM.\n")
    except KeyboardInterrupt:
        parser.exit(130, f"{name}: interrupted.\n")
    except RuntimeError as error:
        if not any(kind.__name__ in _NAMED_ERRORS for kind in type(error).__mro__):
            raise  # an error the package does not name is a bug: its traceback is what a report needs
        parser.exit(2, f"{name}: error: {_one_line(error)}\n")
    finally:
        if previous is not None:
            import signal

            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
