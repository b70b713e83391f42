"""The ``wgan-toys`` command (also ``python -m wgan_toys``).

Subcommands::

    wgan-toys distances parallel-lines --theta T [--json]
    wgan-toys distances gaussians --mu1 M1 --sigma1 S1 --mu2 M2 --sigma2 S2 [--json]
    wgan-toys figure {1,transport-lines,transport-gaussians,convergence} --out PATH
    wgan-toys figures --out-dir DIR        # every figure, as the main job does
    wgan-toys verify                       # the paper's claims as a PASS/FAIL table

The ``distances`` path loads numpy and, for Gaussians, scipy's quadrature only: it answers in
well under a second. Everything heavier is imported inside the subcommand that needs it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

FIGURES = {
    "1": ("figure_1", "figure_1.png"),
    "transport-lines": ("figure_transport_parallel_lines", "transport_parallel_lines.png"),
    "transport-gaussians": ("figure_transport_gaussians", "transport_gaussians.png"),
    "convergence": ("figure_convergence", "convergence_gaussians.png"),
}
DISTANCE_NAMES = {
    "tv": "total variation  delta(P, Q)",
    "kl": "KL(P || Q)",
    "kl_reverse": "KL(Q || P)",
    "js": "JS(P, Q)  (1/2 convention, nats)",
    "em": "EM / Wasserstein-1  W(P, Q)",
}


def _json_number(value: float):
    """RFC 8259 has no infinity: write it as the string "inf"."""
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
    from ._validation import check_positive, check_real
    from .distances import all_distances
    from .distributions import Gaussian1D, ParallelLines

    if args.family == "parallel-lines":
        check_real("--theta", args.theta)
        p, q = ParallelLines(0.0), ParallelLines(args.theta)
        title = f"P = P_0, Q = P_theta with theta = {args.theta:g} (Example 1)"
    else:
        for flag in ("mu1", "mu2"):
            check_real(f"--{flag}", getattr(args, flag))
        for flag in ("sigma1", "sigma2"):
            check_positive(f"--{flag}", getattr(args, flag))
        p = Gaussian1D(args.mu1, args.sigma1)
        q = Gaussian1D(args.mu2, args.sigma2)
        title = f"P = N({args.mu1:g}, {args.sigma1:g}^2), Q = N({args.mu2:g}, {args.sigma2:g}^2)"
    values = all_distances(p, q)
    if args.json:
        print(json.dumps({key: _json_number(value) for key, value in values.items()}))
    else:
        print(title)
        for key, label in DISTANCE_NAMES.items():
            print(f"  {label:<36} {values[key]:.12g}")
    return 0


def _save(fig, path: str) -> None:
    import os

    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=130)
    print(f"wrote {path}")


def _figure(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import plots

    function_name, _ = FIGURES[args.name]
    fig = getattr(plots, function_name)()
    _save(fig, args.out)
    plt.close(fig)
    return 0


def _figures(args) -> int:
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import plots

    for function_name, file_name in FIGURES.values():
        fig = getattr(plots, function_name)()
        _save(fig, os.path.join(args.out_dir, file_name))
        plt.close(fig)
    return 0


def _verify(args) -> int:
    from .verify import format_table, run_checks

    rows = run_checks()
    print(format_table(rows))
    return 0 if all(row.passed for row in rows) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wgan-toys",
        description="The Wasserstein GAN paper (Arjovsky, Chintala, Bottou 2017) as toys you can run and check.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    distances = commands.add_parser("distances", help="exact TV, KL both ways, JS and EM between two laws")
    families = distances.add_subparsers(dest="family", required=True, metavar="FAMILY")
    lines = families.add_parser("parallel-lines", help="Example 1: P_0 against P_theta")
    lines.add_argument("--theta", type=_real, required=True, help="horizontal offset theta of P_theta")
    lines.add_argument("--json", action="store_true", help="print one JSON object (inf as the string \"inf\")")
    gaussians = families.add_parser("gaussians", help="P = N(mu1, sigma1^2) against Q = N(mu2, sigma2^2)")
    for flag, help_text in (("--mu1", "mean of P"), ("--sigma1", "std of P, > 0"), ("--mu2", "mean of Q"), ("--sigma2", "std of Q, > 0")):
        gaussians.add_argument(flag, type=_real, required=True, help=help_text)
    gaussians.add_argument("--json", action="store_true", help="print one JSON object (inf as the string \"inf\")")
    distances.set_defaults(run=_distances)

    figure = commands.add_parser("figure", help="write one figure as PNG")
    figure.add_argument("name", choices=list(FIGURES), help="1 is the paper's Figure 1, extended")
    figure.add_argument("--out", required=True, help="output path, e.g. figures/figure_1.png")
    figure.set_defaults(run=_figure)

    figures = commands.add_parser("figures", help="write every figure into a folder")
    figures.add_argument("--out-dir", default="figures", help="output folder (default: figures)")
    figures.set_defaults(run=_figures)

    verify = commands.add_parser("verify", help="check the paper's claims numerically; exit 1 on any FAIL")
    verify.set_defaults(run=_verify)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError) as error:
        parser.exit(2, f"wgan-toys {args.command}: error: {error}\n")


if __name__ == "__main__":
    sys.exit(main())
