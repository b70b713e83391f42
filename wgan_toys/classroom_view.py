"""The classroom's view: one matplotlib figure with the field (heatmap, samples, arrows, exact plan) and
the chart (estimate, exact W1, sample floor), redrawn by blitting: the artists a press changes are drawn
over a cached background, which is redrawn only when a limit, a legend or the floor moved.

:class:`ClassroomView` is the drawing half of :class:`~wgan_toys.classroom.Classroom`; it reads the
session's ``frames``, ``real``, ``floor``, ``config``, ``trainer`` and ``n_samples``. Everything it
caches between presses lives in one :class:`ViewCache`, made in ``__init__`` and emptied with each new
figure.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, cast

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ._validation import check_file_path, check_int
from .plots import COLORS, PROJECTOR_STYLE, STYLE

if TYPE_CHECKING:
    from .toy_gan import ToyConfig, ToyGAN

__all__ = ["ClassroomView", "ViewCache", "ESTIMATE_LABELS"]

ESTIMATE_LABELS = {  # the chart's estimate: a WGAN critic's, the clipped one over its slope, a GAN's
    "critic": r"critic estimate $E_r f - E_g f$",
    "scaled": r"critic estimate / its slope $K$",
    "gan": r"GAN's JS estimate $L/2 + \log 2$",
}


def _short_number(value, _position=None, digits: int = 2) -> str:
    """A tick label of ``digits`` significant digits, at most 8 characters for 2 digits: the layout
    is made once, for labels that wide, so a longer one would run into the neighbouring axes."""
    return f"{value:.{digits}g}".replace("e+0", "e").replace("e-0", "e-")


def _nice_limits(low: float, high: float, below: float, above: float) -> tuple[float, float]:
    """``[low, high]`` padded by ``below`` / ``above`` of its span and rounded outwards to a round step."""
    span = high - low
    if not span > 1e-9 * max(1.0, abs(low), abs(high)):  # a flat field or a single value
        half = 0.01 * max(1.0, abs(low))
        return (low - half, high + half)
    step = 10.0 ** math.floor(math.log10(span / 10))
    return (math.floor((low - below * span) / step) * step, math.ceil((high + above * span) / step) * step)


def _stable_limits(current, low, high, below=0.1, above=0.1) -> tuple[float, float]:
    """Keep ``current`` while it holds ``[low, high]`` and the data fill at least 40% of it; else new
    round limits, with half the data's span more room on the side it left by (values that grow
    step after step then move the limits every few steps, not at every step). Limits that move
    in steps keep the cached background (ticks, colour bar) valid."""
    if current is not None:
        start, stop = current
        if start <= low and high <= stop and (high - low) >= 0.4 * (stop - start):
            return current
        below += 0.5 if low < start else 0.0
        above += 0.5 if high > stop else 0.0
    return _nice_limits(low, high, below, above)


def _agg_canvas(figure: Figure) -> FigureCanvasAgg:
    """The Agg canvas :meth:`ClassroomView._create_figure` gives its figure (to blit and read pixels)."""
    return cast(FigureCanvasAgg, figure.canvas)


@dataclasses.dataclass
class ViewCache:
    """What the view keeps between presses; a new figure starts with an empty one."""

    layout_done: bool = False  # the layout is made at the first draw, then kept
    background: object = None  # the canvas's pixels without the changing artists
    background_key: tuple | None = None  # what the background shows (_background_state)
    colorbar_pixels: tuple | None = None  # ((limits, title), pixels) of the colour bar as last drawn
    colorbar_box: object = None  # the pixels the colour bar may cover (measured at the layout)
    chart_left: int | None = None  # left of this pixel column the chart draws nothing (set at the layout)
    field_backgrounds: dict = dataclasses.field(default_factory=dict)  # the field side's pixels by its state
    plan_drawn: tuple | None = None  # the (fake, partner) arrays the plan lines show
    floor_artists: list = dataclasses.field(default_factory=list)
    floor_drawn: object = None  # the floor the chart shows
    real_drawn: object = None  # the real sample the field shows


class ClassroomView:
    """Drawing and blitting (see the module's docstring)."""

    figure: Figure | None  # None until the first draw, and again for a new figure
    # the session's state, which the view reads (set by ClassroomSession and Classroom)
    config: ToyConfig
    trainer: ToyGAN
    real: np.ndarray
    floor: dict
    frames: list[dict]
    n_samples: int

    if TYPE_CHECKING:  # provided by ClassroomSession

        def _field_extent(self) -> tuple[float, float, float, float]: ...

    def _shown_figure(self) -> Figure:
        """The figure that ``draw`` made (the methods that read it run after the first draw)."""
        if self.figure is None:
            raise RuntimeError("the classroom has no figure yet; call draw() first")
        return self.figure

    def _init_view(self, projector: bool) -> None:
        self.projector = bool(projector)
        self.figure = None
        self._cache = ViewCache()

    # ---------------------------------------------------------------- drawing
    def _style(self) -> dict:
        # unhinted glyphs: the per-press titles and labels draw ~40% faster (2.8 instead of 4.7 ms a
        # title), at the price of slightly softer text
        return {**(PROJECTOR_STYLE if self.projector else STYLE), "text.hinting": "none"}

    def set_projector(self, projector: bool) -> None:
        """Large fonts and thick lines on or off (the 'projector' box): a new figure, same session."""
        self.projector = bool(projector)
        self.figure = None
        self.draw()

    def _create_figure(self) -> None:
        self._cache = ViewCache()
        with plt.rc_context(self._style()):
            size = (15, 6.5) if self.projector else (11, 4.6)
            figure, (self.field_ax, self.chart_ax) = plt.subplots(
                1, 2, figsize=size, gridspec_kw={"width_ratios": (1.1, 1)}, constrained_layout=True
            )
            self.figure = figure
            self._create_field()
            self._create_chart()
        # out of pyplot's list of open figures: Jupyter's inline backend would otherwise show it
        # again at the end of every cell; a cell shows it by returning ``draw()``'s value.
        # Closing leaves a bare canvas, so give it an Agg canvas of its own to render with.
        plt.close(figure)
        FigureCanvasAgg(figure)

    def _create_field(self) -> None:
        """The field's artists: heatmap, plan lines, real and generated dots, arrows, their key, the colour bar."""
        self.image = self.field_ax.imshow(
            np.zeros((2, 2)), origin="lower", extent=self._field_extent(), cmap="cividis", aspect="equal", alpha=0.8
        )
        self.plan_lines = LineCollection([], colors=COLORS["plan"], linewidths=0.6, alpha=0.45)
        self.field_ax.add_collection(self.plan_lines)
        marker = 40 if self.projector else 10
        self.real_dots = self.field_ax.scatter(*self.real.T, s=marker, color=COLORS["real"], label="real", zorder=3)
        self.fake_dots = self.field_ax.scatter(
            [], [], s=marker, color=COLORS["fake"], marker="s", label="generated", zorder=3
        )
        every = max(1, self.n_samples // 48)  # at most ~48 arrows stay readable where the samples crowd
        self.arrow_every = every
        shown = np.zeros((len(range(0, self.n_samples, every)), 2))
        self.quiver = self.field_ax.quiver(
            *shown.T,
            *shown.T,
            color="black",
            alpha=0.75,
            angles="xy",
            scale_units="xy",
            scale=2.5,
            width=0.006 if self.projector else 0.004,
            minlength=0,
            zorder=4,
        )
        self.arrow_text = self.field_ax.text(
            0.02,
            0.02,
            "",
            transform=self.field_ax.transAxes,
            va="bottom",
            ha="left",
            zorder=5,
            fontsize="small",
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
        )
        self.field_ax.set_xlim(*self._field_extent()[:2])
        self.field_ax.set_ylim(*self._field_extent()[2:])
        # below the axes, like the chart's: inside, it would hide samples (and the heatmap is redrawn over it)
        # the arrows' key is a legend entry (drawn once, in the background), not text redrawn at each press
        arrow_key = Line2D([], [], color="black", marker=r"$\rightarrow$", markersize=11, ls="none")
        self.field_legend = self.field_ax.legend(
            handles=[self.real_dots, self.fake_dots, arrow_key],
            labels=["real", "generated", "arrows"],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.08),
            ncol=3,
        )
        self.colorbar = self._shown_figure().colorbar(self.image, ax=self.field_ax, shrink=0.85)
        # while the layout is made (once, in draw), labels as wide as _short_number's widest
        self.colorbar.formatter = FuncFormatter(lambda value, position: "-0.00075")

    def _create_chart(self) -> None:
        """The chart's artists: the estimate and exact W1 lines, axis, grid and legend (with the floor's key)."""
        from matplotlib.patches import Patch

        (self.estimate_line,) = self.chart_ax.plot(
            [], [], color=COLORS["em"], marker="o", ms=3, label="critic estimate"
        )
        (self.exact_line,) = self.chart_ax.plot(
            [], [], color="black", ls="--", marker="o", ms=3, label=r"exact $W_1$ (ot.emd)"
        )  # the markers show frame 0's values, which a line of one point would not
        floor_key = Patch(color="0.6", alpha=0.5, label=f"sample floor (n = {self.n_samples})")
        self.chart_ax.set_xlabel("frame (one per button press)")
        self.chart_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.chart_ax.yaxis.set_major_formatter(FuncFormatter(lambda value, position: "-0.125"))  # as above
        self.chart_ax.grid(alpha=0.3)
        # made once, below the axes so that it covers no curve: only its text changes
        self.chart_legend = self.chart_ax.legend(
            handles=[self.estimate_line, self.exact_line, floor_key],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16),
            ncol=2,
        )

    def _changing_artists(self) -> list:
        """The artists a press changes, in drawing order; everything else is the cached background."""
        field = [self.image, self.plan_lines, self.real_dots, self.fake_dots, self.quiver, self.arrow_text]
        field += list(self.field_ax.spines.values())  # static, but the heatmap is drawn under them, as are the dots
        field.sort(key=lambda artist: artist.get_zorder())  # stable: the order of a full render
        # the colour bar's axes whole: the critic's values drift (f_w + constant is as good a critic), so its
        # limits move at most presses, and 15-20 ms for its ticks beat a new background
        return (
            [self.colorbar.ax] + field + [self.field_ax.title, self.estimate_line, self.exact_line, self.chart_ax.title]
        )

    def draw(self, frame: dict | None = None) -> Figure:
        """Update both views to ``frame`` (default: the latest) and return the figure (a notebook
        cell that ends with ``classroom.draw()`` shows it once)."""
        if self.figure is None:
            self._create_figure()
        frame = frame or self.frames[-1]
        with plt.rc_context(self._style()):
            self._draw_field(frame)
            self._draw_chart(frame)
            if not self._cache.layout_done:  # lay out once, then keep the layout: redraws get ~2x faster
                self._make_layout()
        return self._shown_figure()

    def _draw_field(self, frame: dict) -> None:
        """The heatmap and its colour limits, the generated samples, their plan lines and arrows, the title."""
        trainer = self.trainer
        if self._cache.real_drawn is not self.real:  # a new data set or seed: new real points, a new extent
            self._show_real()
        field = frame["field"]
        self.image.set_data(field)
        if trainer.is_wgan:
            current = self.image.get_clim() if self._cache.background_key is not None else None
            low, high = float(field.min()), float(field.max())
            # at least a fifth of the field's level, so that 2-digit labels differ (f_w + constant
            # is as good a critic: a nearly flat field sits at any level)
            middle, half = (low + high) / 2, max(high - low, 0.2 * max(abs(low), abs(high))) / 2
            self.image.set_clim(*_stable_limits(current, middle - half, middle + half, below=0.0, above=0.0))
        else:
            self.image.set_clim(0.0, 1.0)  # D is a probability
        self.colorbar.ax.set_title(r"critic $f_w$" if trainer.is_wgan else r"$D$", fontsize="small")
        fake = frame["fake"]
        self.fake_dots.set_offsets(fake)
        # a critic step keeps the samples and their plan: the same arrays, whose 512 paths need no rebuilding
        shown_plan = self._cache.plan_drawn
        if shown_plan is None or shown_plan[0] is not fake or shown_plan[1] is not frame["partner"]:
            segments = np.stack([fake, self.real[frame["partner"]]], axis=1)  # (n, 2, 2)
            self.plan_lines.set_segments(segments)  # type: ignore[arg-type]  # stubs: a Sequence; arrays work
            self._cache.plan_drawn = (fake, frame["partner"])  # held, so that their identity stays theirs
        arrows = frame["arrows"]
        # one scale per session (all arrows are 0 while it is 0): a saturated discriminator's arrows vanish
        scale = frame["arrow_scale"] or 1.0
        every = self.arrow_every
        self.quiver.set_offsets(fake[::every])
        self.quiver.set_UVC(arrows[::every, 0] / scale, arrows[::every, 1] / scale)
        loss = (
            r"$f_w$"
            if trainer.is_wgan
            else (r"$-\log(1 - D)$" if trainer.config.algorithm == "gan-minimax" else r"$\log D$")
        )
        # the loss is named in the corner, not in the legend: the legend is background, and a new
        # algorithm then leaves the field's side of the background as it is
        self.arrow_text.set_text(
            rf"arrows $\nabla$ {loss}: largest here {frame['arrow_norm_max']:.1e}"
            f"\nlength 0.4 = {frame['arrow_scale']:.1e}, the session's largest"
        )
        self.field_ax.set_title(
            f"{self.config.algorithm} on {self.config.dataset}: generator step {frame['generator_step']}, "
            f"critic step {frame['critic_steps']}"
        )

    def _show_real(self) -> None:
        """The session's real points and the field's extent around them, in the same figure and layout."""
        extent = self._field_extent()
        self.real_dots.set_offsets(self.real)
        self.image.set_extent(extent)
        self.field_ax.set_xlim(*extent[:2])
        self.field_ax.set_ylim(*extent[2:])
        self._cache.real_drawn = self.real

    def _draw_chart(self, frame: dict) -> None:
        """The estimate and exact W1 up to ``frame``, the legend's label, the floor, limits that move in steps."""
        position = next((i for i, recorded in enumerate(self.frames) if recorded is frame), len(self.frames) - 1)
        shown = self.frames[: position + 1]
        index = np.arange(len(shown))
        scaled = frame["scaled"]
        kind = "scaled" if scaled else ("critic" if self.trainer.is_wgan else "gan")
        self.estimate_line.set_data(index, [f["shown"] for f in shown])
        self.chart_legend.get_texts()[0].set_text(ESTIMATE_LABELS[kind])
        self.exact_line.set_data(index, [f["exact_w1"] for f in shown])
        if self._cache.floor_drawn is not self.floor:  # the floor changes with the data set and n
            self._draw_floor()
        values = [f["shown"] for f in shown] + [f["exact_w1"] for f in shown] + [self.floor["high"], 0.0]
        # limits that move in steps (1-2-5 frames, round values): the background is redrawn only then
        last_x = max(5, len(shown) - 1)
        magnitude = 10 ** math.floor(math.log10(last_x))
        right = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= last_x)
        self.chart_ax.set_xlim(-0.5, right + 0.5)
        current = self.chart_ax.get_ylim() if self._cache.background_key is not None else None
        self.chart_ax.set_ylim(*_stable_limits(current, min(values), max(values), below=0.05, above=0.15))
        estimate = f"estimate/K {frame['shown']:.3f}" if scaled else f"estimate {frame['shown']:.3f}"
        self.chart_ax.set_title(
            f"{estimate}   exact W1 {frame['exact_w1']:.3f}   floor {self.floor['low']:.2f}-{self.floor['high']:.2f}"
        )

    def _draw_floor(self) -> None:
        """The sample floor's band and mean on the chart, in place of the previous floor's (its key is in the legend)."""
        for artist in self._cache.floor_artists:
            artist.remove()
        self._cache.floor_artists = [
            self.chart_ax.axhspan(self.floor["low"], self.floor["high"], color="0.6", alpha=0.3, lw=0, zorder=0),
            self.chart_ax.axhline(self.floor["mean"], color="0.4", lw=1, ls=":", zorder=0),
        ]
        self._cache.floor_drawn = self.floor

    def _make_layout(self) -> None:
        """Lay the figure out once, with the widest tick labels and legend label, then keep that layout."""
        label = self.chart_legend.get_texts()[0]
        shown = label.get_text()
        label.set_text(max(ESTIMATE_LABELS.values(), key=len))  # so that no later label is cut off
        title = self.colorbar.ax.title
        shown_title = title.get_text()
        title.set_text(r"critic $f_w$")  # the wider of its two titles
        figure = self._shown_figure()
        canvas = _agg_canvas(figure)
        figure.draw_without_rendering()  # the layout and every artist's position, no pixels: render() draws them
        # the pixels the colour bar may ever cover, measured once with its widest labels and title
        # (a tight box costs as much as drawing the colour bar: 30-50 ms at each new background)
        self._cache.colorbar_box = self._colorbar_region(canvas.get_renderer())
        label.set_text(shown)
        title.set_text(shown_title)
        # with the layout's widest tick labels: the chart's side never reaches further left
        self._cache.chart_left = math.floor(self.chart_ax.get_tightbbox(canvas.get_renderer()).x0) - 2
        figure.set_layout_engine("none")
        self.colorbar.formatter = FuncFormatter(_short_number)
        self.chart_ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _short_number(value, digits=3)))
        self._cache.layout_done = True

    def _background_state(self) -> tuple:
        """Everything drawn in the cached background that a press can change, as ``(field side,
        chart side)``: only the side that moved is redrawn. The field's side changes only with the
        field's limits (a new data set), the chart's with its limits, legend or floor."""
        field_side = (self.field_ax.get_xlim(), self.field_ax.get_ylim())
        chart_side = (
            self.chart_ax.get_xlim(),
            self.chart_ax.get_ylim(),
            self.chart_legend.get_texts()[0].get_text(),
            id(self._cache.floor_drawn),
        )
        return field_side, chart_side

    def _colorbar_region(self, renderer):
        """The pixels the colour bar may cover: its tight box at the layout (its widest labels and
        title), widened to the chart's frame on the right, where longer tick labels after a change of
        limits would reach, and by a label's height above and below (all of it is background there,
        so restoring it is exact)."""
        from matplotlib.transforms import Bbox

        box = self.colorbar.ax.get_tightbbox(renderer)
        if box is None:
            raise RuntimeError("the colour bar has no extent to restore; draw the figure once before blitting")
        tight = box.padded(3)
        right = max(tight.x1, self.chart_ax.bbox.x0 - 1)
        # a tick label as high again above and below: the end ticks sit at the colour bar's ends for
        # some limits (a GAN's 0 and 1) and not for those of the layout
        label = self.colorbar.ax.get_yticklabels()[0]
        extra = float(label.get_fontsize()) * self._shown_figure().dpi / 72
        return Bbox.from_extents(tight.x0, tight.y0 - extra, right, tight.y1 + extra)

    def _blank(self, left: int, right: int) -> None:
        """Paint the figure's colour over the pixel columns from ``left`` to ``right``, which is what a
        full render draws there before any axes."""
        from matplotlib.patches import Rectangle
        from matplotlib.transforms import IdentityTransform

        figure = self._shown_figure()
        canvas = _agg_canvas(figure)
        height = canvas.get_width_height()[1]
        blank = Rectangle(
            (left, 0),
            right - left,
            height,
            transform=IdentityTransform(),
            facecolor=figure.get_facecolor(),
            edgecolor="none",
            antialiased=False,
        )
        blank.set_figure(figure)
        blank.draw(canvas.get_renderer())

    def _chart_left(self) -> int:
        left = self._cache.chart_left
        if left is None:
            raise RuntimeError("a side of the background is redrawn only after the first full render")
        return left

    def _redraw_chart_background(self) -> None:
        """Redraw the chart's side of the cached background (axes, ticks, legend, floor band) over the
        old one, for a change of the chart's limits, legend or floor. The figure's right part, from the
        chart's leftmost pixel at the layout (its widest tick labels) on, is painted with the figure's
        colour first, which is what a full render draws there before the chart: nothing else of the
        background lies there (the colour bar left of it is redrawn at each press), so the result is
        pixel for pixel the full render's."""
        canvas = _agg_canvas(self._shown_figure())
        self._blank(self._chart_left(), canvas.get_width_height()[0])
        self.chart_ax.draw(canvas.get_renderer())

    def _redraw_field_background(self, field_side: tuple) -> None:
        """The field's side of the background (left of the chart's leftmost pixel: the field's axes,
        ticks and legend; the colour bar there is drawn at each press) for the field's limits
        ``field_side``: the pixels kept from the last time these limits were drawn (a data set chosen
        again), else painted with the figure's colour and drawn, pixel for pixel as a full render."""
        from matplotlib.transforms import Bbox

        canvas, left = _agg_canvas(self._shown_figure()), self._chart_left()
        kept = self._cache.field_backgrounds
        if field_side in kept:
            canvas.restore_region(kept[field_side])
            self.field_ax.apply_aspect()  # the box that equal aspect gives these limits, as a draw sets it
            return
        self._blank(0, left)
        self.field_ax.draw(canvas.get_renderer())
        while len(kept) >= 8:  # one per data set is all the widget needs
            kept.pop(next(iter(kept)))
        kept[field_side] = canvas.copy_from_bbox(Bbox.from_extents(0, 0, left, canvas.get_width_height()[1]))

    def render(self) -> np.ndarray:
        """The current figure as an RGBA array: the cached background (axes, ticks, legends, colour
        bar; redrawn when a limit or label moved) with the changing artists drawn over it."""
        if self.figure is None:
            self.draw()
        figure = self._shown_figure()
        canvas = _agg_canvas(figure)
        changing = self._changing_artists()
        with plt.rc_context(self._style()):
            state = self._background_state()
            if state != self._cache.background_key:
                # hidden for the background; a title is emptied instead, which keeps its position
                titles = {id(ax.title): ax.title.get_text() for ax in (self.field_ax, self.chart_ax)}
                for artist in changing:
                    artist.set_text("") if id(artist) in titles else artist.set_visible(False)
                try:
                    drawn = self._cache.background_key
                    if drawn is None:
                        canvas.draw()
                    else:  # only the side that moved: the chart's limits at most presses, both for a new data set
                        canvas.restore_region(self._cache.background)
                        if state[0] != drawn[0]:
                            self._redraw_field_background(state[0])
                        if state[1] != drawn[1]:
                            self._redraw_chart_background()
                finally:
                    for artist in changing:
                        artist.set_text(titles[id(artist)]) if id(artist) in titles else artist.set_visible(True)
                self._cache.background = canvas.copy_from_bbox(figure.bbox)
                self._cache.background_key = state
                self._cache.colorbar_pixels = None  # drawn over a new background: draw it again
            else:
                canvas.restore_region(self._cache.background)
            renderer = canvas.get_renderer()
            for artist in changing:
                if artist is not self.colorbar.ax:
                    artist.draw(renderer)
                    continue
                # the colour bar as last drawn while its limits and label stay (most presses: _stable_limits)
                drawn = (self.image.get_clim(), artist.get_title())
                if self._cache.colorbar_pixels is not None and self._cache.colorbar_pixels[0] == drawn:
                    canvas.restore_region(self._cache.colorbar_pixels[1])
                else:
                    artist.draw(renderer)
                    self._cache.colorbar_pixels = (drawn, canvas.copy_from_bbox(self._cache.colorbar_box))
        return np.asarray(canvas.buffer_rgba())

    def _picture(self):
        """:meth:`render` as a Pillow RGB image, a copy (the canvas is drawn over at the next press)."""
        from PIL import Image as PillowImage

        pixels = self.render()
        height, width = pixels.shape[:2]
        return PillowImage.frombuffer("RGBA", (width, height), pixels, "raw", "RGBA", 0, 1).convert("RGB")

    def _encoded(self, **save) -> bytes:
        import io

        buffer = io.BytesIO()
        self._picture().save(buffer, **save)
        return buffer.getvalue()

    def png(self) -> bytes:
        """The current figure as PNG bytes, lossless: :meth:`render` and a fast PNG encoding (zlib
        level 1) of its RGB channels."""
        return self._encoded(format="png", compress_level=1)

    def jpeg(self) -> bytes:
        """The current figure as JPEG bytes (what the widget shows after each press): :meth:`render`
        encoded at quality 90 without chroma subsampling. About 4x faster to encode than
        :meth:`png` at the same size (~85 kB at 512 samples), the heatmap's smooth gradient being
        what PNG compresses worst; text and lines show no visible loss at this quality."""
        return self._encoded(format="jpeg", quality=90, subsampling=0)

    def save_gif(self, path: str, fps: int = 4) -> str:
        """Every recorded frame as an animated GIF, ``fps`` frames a second, looping.

        Each frame is drawn as a press draws it (:meth:`render`: the changing artists over the cached
        background, pixel for pixel a full render), so a session records in a fraction of the time a
        full redraw per frame takes. ``path`` is checked before any frame is drawn: a path that is
        not a file path, or whose folder is missing or read-only, costs no rendering."""
        path = check_file_path("path", path)
        fps = check_int("fps", fps, minimum=1)
        pictures = []
        for frame in self.frames:
            self.draw(frame)
            pictures.append(self._picture())
        pictures[0].save(path, format="gif", save_all=True, append_images=pictures[1:], duration=1000 // fps, loop=0)
        self.draw()
        return path
