"""The course's figure style and the two helpers every drawing module of :mod:`wgan_toys.plots` shares.

``COLORS``, ``STYLE``, ``PROJECTOR_STYLE`` and :func:`course_style` are public and re-exported by
:mod:`wgan_toys.plots`; :func:`styled` (the decorator that draws a function's figure in
``STYLE``) and :func:`new_axes` serve the package's own modules only: this module is private to
the package, so nothing outside ``wgan_toys.plots`` imports it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
from cycler import cycler

if TYPE_CHECKING:  # matplotlib >= 3.8 names its rcParams keys; the annotations are never evaluated
    from matplotlib.typing import RcKeyType

__all__ = ["COLORS", "STYLE", "PROJECTOR_STYLE", "course_style", "styled", "new_axes"]

# Okabe-Ito colours, one per quantity, used in every figure of the course.
COLORS = {
    "em": "#0072B2",  # blue
    "js": "#D55E00",  # vermillion
    "tv": "#009E73",  # bluish green
    "kl": "#CC79A7",  # reddish purple
    "kl_reverse": "#882255",
    "samples": "#E69F00",  # orange
    "real": "#0072B2",
    "fake": "#D55E00",
    "plan": "#555555",
}
# One style for every figure of the course (the rcParams that matter on a screen and a projector):
# readable ticks, the Okabe-Ito cycle, mathtext in the paper's symbols, legends that stay legible
# over a grid. Every public plot_* / figure_* / save_* function of the package draws inside it (each
# is decorated with styled, below); PROJECTOR_STYLE is the same with everything larger, for a lecture hall.
STYLE: dict[RcKeyType, Any] = {
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8.5,
    "legend.framealpha": 0.9,
    "lines.linewidth": 2.0,
    "grid.alpha": 0.3,
    "mathtext.fontset": "dejavusans",
    "image.cmap": "cividis",
    "axes.prop_cycle": cycler(
        color=["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
    ),
}
PROJECTOR_STYLE: dict[RcKeyType, Any] = {
    **STYLE,
    "font.size": 16,
    "axes.titlesize": 16,
    "axes.labelsize": 16,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 14,
    "lines.linewidth": 3.5,
}


def course_style(projector: bool = False):
    """The course's figure style as a context manager: ``with course_style(): ...``.

    Every ``plot_*`` and ``figure_*`` function of :mod:`wgan_toys.plots` already draws inside it; use it
    for figures a lesson draws by hand, so that they look like the package's.
    """
    return plt.rc_context(PROJECTOR_STYLE if projector else STYLE)


def new_axes(ax):
    """``ax``, or a new 5 x 3.6 inch Axes when it is None (every ``plot_*`` function starts here)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.6))
    return ax


def styled(function):
    """Draw ``function``'s figure inside :data:`STYLE` (one style for every figure of the course)."""

    @functools.wraps(function)
    def drawn_in_course_style(*args, **kwargs):
        with plt.rc_context(STYLE):
            result = function(*args, **kwargs)
            figure = getattr(result, "figure", result)
            if isinstance(figure, plt.Figure):
                # matplotlib makes tick labels lazily, at the first draw: draw once here so
                # that they take this style, not whatever rcParams hold when the figure is shown
                figure.draw_without_rendering()
            return result

    return drawn_in_course_style
