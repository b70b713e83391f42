"""``wgan-toys figure`` and ``figures``: one figure, or every figure into a folder (figures take
results and train nothing; Figure 2's networks are trained here).
"""

from __future__ import annotations

from .common import (
    check_figure_path,
    path_arg,
    save_figure,
)

__all__ = ["add_commands", "FIGURES"]


def _figure_2(plots):
    """Figures take results and train nothing: Figure 2's discriminator and clipped critic are
    trained here, once, on one thread (seed 0)."""
    from ..distributions import FIGURE_2_FAKE, FIGURE_2_REAL
    from ..runtime import set_threads
    from ..train import train_critic, train_discriminator

    set_threads(workload="mlp")
    discriminator = train_discriminator(FIGURE_2_REAL, FIGURE_2_FAKE, seed=0)
    critic = train_critic(FIGURE_2_REAL, FIGURE_2_FAKE, constraint="clip", seed=0)
    return plots.figure_2(discriminator, critic).figure


# name -> (draw(plots) -> Figure, file name in `figures --out-dir`)
FIGURES = {
    "1": (lambda plots: plots.figure_1(), "figure_1.png"),
    "transport-lines": (lambda plots: plots.figure_transport_parallel_lines(), "transport_parallel_lines.png"),
    "transport-gaussians": (lambda plots: plots.figure_transport_gaussians(), "transport_gaussians.png"),
    "convergence": (lambda plots: plots.figure_convergence().figure, "convergence_gaussians.png"),
    "2": (_figure_2, "figure_2.png"),
}


def _figure(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plots

    check_figure_path(args.out)
    draw, _ = FIGURES[args.name]
    fig = draw(plots)
    save_figure(fig, args.out)
    plt.close(fig)
    return 0


def _figures(args) -> int:
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plots

    for _, file_name in FIGURES.values():
        check_figure_path(os.path.join(args.out_dir, file_name), flag="--out-dir")
    for draw, file_name in FIGURES.values():
        fig = draw(plots)
        save_figure(fig, os.path.join(args.out_dir, file_name))
        plt.close(fig)
    return 0


def add_commands(commands) -> None:
    """The ``figure`` and ``figures`` commands, on the subparsers ``commands``."""
    figure = commands.add_parser("figure", help="write one figure as PNG")
    figure.add_argument("name", choices=list(FIGURES), help="1 and 2 are the paper's Figures 1 and 2, extended")
    figure.add_argument("--out", type=path_arg, required=True, help="output path, e.g. figures/figure_1.png")
    figure.set_defaults(run=_figure)

    figures = commands.add_parser("figures", help="write every figure into a folder")
    figures.add_argument("--out-dir", type=path_arg, default="figures", help="output folder (default: figures)")
    figures.set_defaults(run=_figures)
