"""What the ``wgan-toys`` commands share: the one-line argparse errors (:class:`Parser`), argument
types, the flags several commands take (threads, seeds, device, the Gaussian pair), JSON numbers,
reports, figure paths and the notes a command prints about flags it ignores.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from ..images import ROOT_ARGUMENT
from .settings import flag_words, real_arg

__all__ = [
    "Parser",
    "path_arg",
    "json_number",
    "real_arg",
    "gaussian_pair",
    "print_report",
    "FIGURE_SUFFIXES",
    "check_figure_path",
    "writable_folder",
    "save_figure",
    "add_gaussian_flags",
    "unused_flags",
    "print_notes",
    "algorithm_help",
    "add_threads_flag",
    "set_threads",
    "check_seeds",
    "Terminated",
    "API_TO_FLAGS",
    "one_line",
]


class Parser(argparse.ArgumentParser):
    """argparse with its usage errors on one line (``wgan-toys toy: error: argument --width: invalid
    int value: 'x' (see wgan-toys toy --help)``), exit status 2; subcommands inherit it."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def path_arg(text: str) -> str:
    """argparse type of a path flag: an empty path would silently mean the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"{text!r} names no file or folder; give a path")
    return text


def json_number(value: float):
    """RFC 8259 has no infinity and no NaN: write infinity as the string "inf" and NaN (an
    undefined number, such as a correlation of a constant series) as null. Every json.dump here
    passes allow_nan=False, so a non-finite float that slips past this is an error, not NaN."""
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def gaussian_pair(args):
    """P = N(mu1, sigma1^2) and Q = N(mu2, sigma2^2), with errors that name the flags."""
    from .._validation import check_positive, check_real
    from ..distributions import Gaussian1D

    for flag in ("mu1", "mu2"):
        check_real(f"--{flag}", getattr(args, flag))
    for flag in ("sigma1", "sigma2"):
        check_positive(f"--{flag}", getattr(args, flag))
    return Gaussian1D(args.mu1, args.sigma1), Gaussian1D(args.mu2, args.sigma2)


def print_report(values: dict, as_json: bool, title: str) -> None:
    """``values`` as one JSON object (``as_json``), or as ``title`` and one ``key: value`` line each."""
    if as_json:
        print(
            json.dumps(
                {key: json_number(value) if isinstance(value, float) else value for key, value in values.items()},
                allow_nan=False,
            )
        )
        return
    print(title)
    for key, value in values.items():
        print(f"  {key:<26} {value:.6g}" if isinstance(value, float) else f"  {key:<26} {value}")


FIGURE_SUFFIXES = (".png", ".pdf", ".svg")


def check_figure_path(path: str, flag: str = "--out") -> str:
    """Refuse a figure path that matplotlib would silently change or that cannot be written,
    before any computing: no suffix (matplotlib appends .png), an existing folder, or a folder
    that cannot be created. Creates the folder."""
    import os

    if os.path.isdir(path):
        raise ValueError(f"{flag} == {path!r} is a folder, must be a file name ending in {', '.join(FIGURE_SUFFIXES)}.")
    if os.path.splitext(path)[1].lower() not in FIGURE_SUFFIXES:
        raise ValueError(f"{flag} == {path!r}, must end in {', '.join(FIGURE_SUFFIXES)}.")
    from ..runs import check_output_path

    check_output_path(path, flag)  # never into a running run's folder, nor over a run's file
    writable_folder(path)
    return path


def writable_folder(path: str) -> None:
    """Create the folder of the file ``path`` and check that it can be written, before any computing."""
    import os

    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    if not os.access(folder, os.W_OK):
        raise OSError(13, "folder is not writable", folder)


def save_figure(fig, path: str) -> None:
    """Write ``fig`` to ``path`` (its suffix and folder checked first) and say so."""
    fig.savefig(check_figure_path(path), dpi=130)
    print(f"wrote {path}")


def add_gaussian_flags(command) -> None:
    """``--mu1 --sigma1 --mu2 --sigma2``: the pair of Gaussians P and Q."""
    for flag, help_text in (
        ("--mu1", "mean of P"),
        ("--sigma1", "std of P, > 0"),
        ("--mu2", "mean of Q"),
        ("--sigma2", "std of Q, > 0"),
    ):
        command.add_argument(flag, type=real_arg, required=True, help=help_text)


def unused_flags(values: dict, command: str) -> list[str]:
    """The flags given in ``values`` (config field names) that the chosen algorithm or data set
    never reads, each as ``--flag is not used by ...`` (a note, not an error: the run is valid)."""
    from ..objectives import algorithm_defaults

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


def print_notes(command: str, notes: list[str]) -> None:
    """Each of ``notes`` on stderr as ``wgan-toys COMMAND: note: ...``."""
    for note in notes:
        print(f"wgan-toys {command}: note: {note}", file=sys.stderr)


def algorithm_help(default: str) -> str:
    """The ``--algorithm`` help: each algorithm described, and the command's ``default``."""
    from ..objectives import ALGORITHM_DESCRIPTIONS

    described = "; ".join(f"{name}: {text}" for name, text in ALGORITHM_DESCRIPTIONS.items())
    return f"{described} (default: {default})"


def add_threads_flag(command) -> None:
    """``--threads``: torch's CPU threads (default 1)."""
    command.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default: 1; these small MLPs run fastest on one, and more threads "
        "than free cores can slow them down many times)",
    )


def set_threads(args) -> None:
    """Check ``--threads`` and set torch's CPU threads to it."""
    from .._validation import THREADS, check_constraint

    check_constraint("--threads", args.threads, THREADS, "torch's CPU threads; use at most the cores you have")
    import torch

    torch.set_num_threads(args.threads)


def check_seeds(seeds, flag: str = "--seeds") -> None:
    """Each seed an unsigned 32-bit integer, none given twice (a repeated seed repeats a run and
    would count it twice in the table)."""
    from .._validation import SEED, check_constraint

    for seed in seeds:
        check_constraint(flag, seed, SEED, "a seed is an unsigned 32-bit integer, 0 to 2**32 - 1")
    repeated = sorted({seed for seed in seeds if seeds.count(seed) > 1})
    if repeated:
        raise ValueError(
            f"{flag} == {' '.join(map(str, seeds))} repeats {', '.join(map(str, repeated))}; give each seed once "
            "(a repeated seed trains the same run again and counts it twice)."
        )


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, so that it stops as on Ctrl-C (its rows kept, a message
    printed) and exits with status 143."""


# The library's words for what a command calls a flag, where the command's own flags do not say
# them (flag_words derives the rest from each command's options: ``lower learning_rate``,
# ``penalty_weight == 0``, ``resume=True``, ``held_out=300``, verify's ``pattern``): ``out`` is
# also an English word, ``--constraint gp`` is train_critic's ``'gp'``, and prepare-images, which has
# no ``--dataset``, advises train-images' ``--dataset npz``.
API_TO_FLAGS = (
    ("another out", "another --out"),
    ("point out at", "point --out at"),
    ("(out ", "(--out "),
    ("folder as out.", "folder as --out."),
    (ROOT_ARGUMENT, "--data-root"),
    ("or penalty_weight for 'gp'", "or --penalty-weight for --constraint gp"),  # train_critic's remedy
    ("with dataset='npz'", "with --dataset npz"),  # images.formats, images.prepare, images.store
)


def one_line(error: BaseException, flag_of: dict[str, str] | None = None) -> str:
    """The error's message on one line, in the command line's words: :data:`API_TO_FLAGS`, then
    the command's flags (``flag_of``: each option's flag by destination, made by
    :func:`~wgan_toys.cli.settings.name_flags`; see :func:`~wgan_toys.cli.settings.flag_words`)."""
    text = " ".join(str(error).split()) or type(error).__name__
    for api, flag in API_TO_FLAGS:
        text = text.replace(api, flag)
    return flag_words(text, flag_of) if flag_of else text
