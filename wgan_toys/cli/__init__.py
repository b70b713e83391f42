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

The commands live in one module per group: :mod:`~wgan_toys.cli.critics` (distances, critic,
discriminator), :mod:`~wgan_toys.cli.toys`, :mod:`~wgan_toys.cli.images` (train-images, section4),
:mod:`~wgan_toys.cli.figures`, :mod:`~wgan_toys.cli.checks` (verify); what they share is in
:mod:`~wgan_toys.cli.common`, and the flags made from a config's fields (``toy``, ``train-images``,
``critic``, ``discriminator``) in :mod:`~wgan_toys.cli.settings`, which also gives every command
the flag of each of its options, so that its error messages name them. :func:`build_parser` and
:func:`main` are here.
"""

from __future__ import annotations

import argparse
import re
import sys

from . import checks, critics, figures, images, toys
from .common import Parser, Terminated, one_line
from .critics import GP_BIAS_SHARE, GP_BIAS_SHARE_HELP
from .figures import FIGURES
from .images import SMOKE
from .settings import name_flags

__all__ = ["main", "build_parser", "Terminated", "GP_BIAS_SHARE", "GP_BIAS_SHARE_HELP", "FIGURES", "SMOKE"]


def build_parser() -> argparse.ArgumentParser:
    """The ``wgan-toys`` parser: one subcommand per command, each group's made by its module."""
    parser = Parser(
        prog="wgan-toys",
        description="The Wasserstein GAN paper (Arjovsky, Chintala, Bottou 2017) as toys you can run and check.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (critics, toys, images, figures, checks):  # the order of ``wgan-toys --help``
        group.add_commands(commands)
    name_flags(parser)  # each command's flag_of: its messages name its flags
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
# errors the package raises by name (their messages say what to do); any of their subclasses too
_NAMED_ERRORS = ("TrainingDivergedError", "TrainingStopped")


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
    flag_of = getattr(args, "flag_of", None)  # each option's flag (name_flags)
    previous = _sigterm_handler(args.command)
    try:
        return args.run(args)
    except (ValueError, TypeError, ArithmeticError, RecursionError) as error:
        parser.exit(2, f"{name}: error: {one_line(error, flag_of)}\n")
    except MemoryError as error:
        parser.exit(
            2, f"{name}: error: out of memory ({one_line(error, flag_of)}); lower the sizes given in the flags.\n"
        )
    except OSError as error:  # a folder that cannot be written, a file that cannot be read
        where = f" ({error.filename})" if getattr(error, "filename", None) else ""
        parser.exit(
            1,
            f"{name}: error: {error.strerror or one_line(error)}{where}; check the path and its permissions.\n",
        )
    except Terminated:
        parser.exit(143, f"{name}: stopped by SIGTERM.\n")
    except KeyboardInterrupt:
        parser.exit(130, f"{name}: interrupted.\n")
    except RuntimeError as error:
        if not any(kind.__name__ in _NAMED_ERRORS for kind in type(error).__mro__):
            raise  # an error the package does not name is a bug: its traceback is what a report needs
        parser.exit(2, f"{name}: error: {one_line(error, flag_of)}\n")
    finally:
        if previous is not None:
            import signal

            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
