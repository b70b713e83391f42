"""One style for every figure of the course."""

import io

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from wgan_toys import Gaussian1D, plots  # noqa: E402


def test_every_public_drawing_function_draws_in_the_course_style():
    drawing = [name for name in plots.__all__ if name.startswith(("plot_", "figure_", "save_"))]
    assert len(drawing) > 15
    unstyled = [name for name in drawing if not hasattr(getattr(plots, name), "__wrapped__")]
    assert not unstyled, f"drawn outside plots.STYLE: {unstyled}"


def test_the_style_holds_whatever_the_callers_rcparams():
    """A caller's odd rcParams (font size 3) must not reach the figure: ticks, title and lines
    come out in STYLE's sizes, also after the figure is saved outside the style."""
    with plt.rc_context({"font.size": 3, "xtick.labelsize": 3, "axes.titlesize": 3, "lines.linewidth": 0.3}):
        ax = plots.plot_gaussian_pair(Gaussian1D(0, 1), Gaussian1D(2, 1.5))
        ax.figure.savefig(io.BytesIO(), format="png")
        tick_sizes = {label.get_fontsize() for label in ax.get_xticklabels()}
        assert tick_sizes == {plots.STYLE["xtick.labelsize"]}
        assert ax.title.get_fontsize() >= plots.STYLE["font.size"] - 1
        assert all(line.get_linewidth() >= 1.0 for line in ax.get_lines())
    plt.close(ax.figure)


def test_projector_style_is_larger_everywhere_it_differs():
    for key, value in plots.PROJECTOR_STYLE.items():
        if isinstance(value, (int, float)) and key in plots.STYLE and value != plots.STYLE[key]:
            assert value > plots.STYLE[key], key
    with plots.course_style(projector=True):
        assert plt.rcParams["font.size"] == pytest.approx(16)


def test_figures_return_their_data_beside_the_figure():
    """figure_convergence returns (figure, rows): the rows are convergence_study's for the same
    arguments (computed here again), and nothing is patched onto the matplotlib Figure."""
    from matplotlib.figure import Figure

    from wgan_toys.empirical import convergence_study

    p, q = Gaussian1D(0.0, 1.0), Gaussian1D(1.0, 1.5)
    drawn = plots.figure_convergence(p, q, sizes=(50, 100), repeats=2, seed=3)
    figure, rows = drawn
    assert isinstance(drawn, plots.ConvergenceFigure) and isinstance(figure, Figure)
    assert rows == convergence_study(p, q, sizes=(50, 100), repeats=2, seed=3)
    assert not hasattr(figure, "rows")
    plt.close(figure)
