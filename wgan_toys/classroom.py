"""Classroom mode: step GAN, WGAN and WGAN-GP training by hand in JupyterLab, with exact W1 on screen.

:class:`Classroom` wraps one :class:`~wgan_toys.toy_gan.ToyGAN` and one matplotlib figure with
two views: the field (the critic's values, or the discriminator's D, as a heatmap; real and
generated samples; the generator's gradient arrows on the fakes; the exact transport plan as
faint segments from each fake to its real partner) and a chart of the critic's estimate (or the
GAN's JS estimate) next to the exact W1 over steps, on one axis, over the sample floor (the
exact W1 between the real sample and other samples of the same law, :func:`~wgan_toys.toys2d.sample_floor`).
Its methods are the buttons: :meth:`Classroom.critic_step`, :meth:`Classroom.train_critic`,
:meth:`Classroom.generator_step`, :meth:`Classroom.iteration`, :meth:`Classroom.reset`,
:meth:`Classroom.configure`.

The arrows are :meth:`~wgan_toys.toy_gan.ToyGAN.push`: minus the gradient, at each generated
point, of the loss the generator descends (for the minimax GAN, of log(1 - D)). They are drawn
on one scale per session, the largest norm seen since the last reset (it never shrinks), and the
frame prints its own largest norm: when a discriminator saturates, its arrows visibly vanish. :meth:`Classroom.widget` lays out
ipywidgets controls that call exactly these methods, so a test that calls them exercises what
a lecturer's click does. Without a frontend (CI, nbconvert) the same object draws static
frames.

Record and replay: every step appends a frame (the samples, the field, the arrows, the plan
and the numbers). :meth:`Classroom.save_gif` and :meth:`Classroom.save_metrics` export them, so
a demo prepared at home replays in class without computing.

Each algorithm brings its own settings when chosen: its toy-scale row of
:data:`~wgan_toys.objectives.DEFAULTS` (:func:`algorithm_settings`), stated on screen with the
paper's values beside them and the table's reason for any difference (:func:`settings_note`). The learning rate, ``n_critic``, ``c`` and ``lambda`` apply to the running session from
the next step (:meth:`Classroom.adjust`); a new data set or algorithm restarts at step 0
(:meth:`Classroom.configure`) and the widget says so; the projector box only restyles.

Speed: a press measures only what changed (a critic step keeps the generated samples and their
exact plan, a generator step keeps the critic's field) and redraws only the artists that change
over a cached background (blitting; the axes, ticks, legends and colour bar are redrawn only when
their limits move, and limits move in steps), text is drawn unhinted and the widget receives JPEG. A
restart (a new data set, algorithm or preset, a reset) solves no transport problem it has solved
before (step 0's samples are the same for every algorithm; the widget's background thread prepares
each data set's) and redraws only the side of the background that moved: the chart for a new
algorithm, the field too for a new data set, whose pixels are kept for the next time it is chosen.
``tools/lab_screenshot.js`` measures a press from click to new image in JupyterLab and
``benchmarks/bench_classroom.py`` the kernel's part; on a slow machine lower ``n_samples`` and ``grid_size``.

Presets: ``preset='paper'`` (the default) shows the paper's claim, WGAN-GP at lambda = 10 and the
clipped critic's estimate divided by its measured slope (at a learning rate its critic keeps up
with); ``preset='toy'`` takes the toy table's values, the toy script's lambda = 0.1 included, its
bias stated on screen (:func:`~wgan_toys.classroom_session.estimate_note`). The
widget is one row of controls, a note of two lines and a status line of fixed heights over a picture
that takes the rest of the window (it fits 1280x720 in every state);
:meth:`Classroom.present` shows it as a full page. The session (training and measuring) is
:class:`~wgan_toys.classroom_session.ClassroomSession`, the drawing
:class:`~wgan_toys.classroom_view.ClassroomView`; this module holds the constructor and the widget.
"""

from __future__ import annotations

import math
import time

from ._validation import Boolean, check_choice, check_constraint, size
from .classroom_session import (
    ADJUSTABLE,
    CLASSROOM_ALGORITHMS,
    CLASSROOM_DATASETS,
    PRESETS,
    ClassroomSession,
    algorithm_settings,
    estimate_note,
    settings_note,
)
from .classroom_view import ClassroomView
from .objectives import ALGORITHMS
from .plots import PROJECTOR_STYLE
from .toy_gan import ToyConfig

__all__ = [
    "Classroom",
    "PROJECTOR_STYLE",
    "CLASSROOM_ALGORITHMS",
    "CLASSROOM_DATASETS",
    "ADJUSTABLE",
    "PRESETS",
    "estimate_note",
    "algorithm_settings",
    "settings_note",
    "widget_height_budget",
]


# A press draws n_samples points, solves their exact n x n transport problem and evaluates the
# critic on grid_size**2 points: bounded so that a press stays interactive.
MAX_SAMPLES = 2048
MAX_GRID_SIZE = 400
_SAMPLES_WHY = "each press solves an n x n transport problem; 512 is interactive"
_GRID_WHY = "the critic is evaluated on grid_size**2 points each press; 80 is the default"


class Classroom(ClassroomView, ClassroomSession):
    """Hands-on GAN / WGAN / WGAN-GP training with exact W1 beside the critic's estimate.

    Parameters
    ----------
    dataset : {'8gaussians', '25gaussians', 'swissroll', '2clusters'}, default='2clusters'
    algorithm : {'wgan', 'wgan-gp', 'gan-minimax', 'gan-logd'}, default='wgan-gp'
    learning_rate, n_critic, clip_value, penalty_weight : default=None
        alpha, n_critic, c (wgan) and lambda (wgan-gp); None takes the algorithm's value in
        :func:`algorithm_settings` under ``preset`` (wgan: 2e-4, or 5e-4 under the toy preset, 5,
        c = 0.01; wgan-gp: 1e-3, 5, lambda = 10, or 0.1 under the toy preset; the GANs: 1e-3, 1).
    n_samples : int, default=512
        Points drawn per view and used for the exact plan and W1; 8 to :data:`MAX_SAMPLES` (each
        press solves an n x n transport problem).
    grid_size : int, default=80
        Heatmap resolution, 8 to :data:`MAX_GRID_SIZE` (the critic is evaluated on grid_size**2
        points each press).
    projector : bool, default=False
        Large fonts and thick lines for a lecture hall.
    seed : int, default=0
    preset : {'paper', 'toy'}, default='paper'
        'paper' shows the paper's claim: WGAN-GP at the paper's lambda = 10 (its estimate tracks exact
        W1), and the clipped WGAN critic's estimate divided by its measured slope on the chart, at a
        learning rate (2e-4) its critic keeps up with. 'toy' takes the toy table's values (WGAN-GP's
        toy-script lambda = 0.1, WGAN's 5e-4) and charts every estimate as measured, with
        their bias explained on screen (:func:`~wgan_toys.classroom_session.estimate_note`).
    """

    controls: dict  # the widget's controls by name, set by :meth:`widget`

    def __init__(
        self,
        dataset: str = "2clusters",
        algorithm: str = "wgan-gp",
        learning_rate=None,
        n_critic=None,
        clip_value=None,
        penalty_weight=None,
        n_samples: int = 512,
        grid_size: int = 80,
        projector: bool = False,
        seed: int = 0,
        preset: str = "paper",
    ):
        check_choice("dataset", dataset, CLASSROOM_DATASETS)
        check_choice("algorithm", algorithm, ALGORITHMS)
        self.n_samples = check_constraint("n_samples", n_samples, size(MAX_SAMPLES, 8), _SAMPLES_WHY)
        self.grid_size = check_constraint("grid_size", grid_size, size(MAX_GRID_SIZE, 8), _GRID_WHY)
        self.projector = check_constraint("projector", projector, Boolean())  # "no" is not False
        given = {"learning_rate": learning_rate, "n_critic": n_critic}
        given.update(clip_value=clip_value, penalty_weight=penalty_weight)
        self.preset = check_choice("preset", preset, tuple(PRESETS))
        chosen = algorithm_settings(algorithm, self.preset)
        settings = {name: value for name, value in chosen.items() if given.get(name) is None}
        settings.update({name: value for name, value in given.items() if value is not None})
        self.config = ToyConfig(
            dataset=dataset,
            algorithm=algorithm,
            batch_size=n_samples,
            eval_samples=n_samples,
            width=64,
            seed=seed,
            iterations=0,
            **settings,
        )
        self._init_view(self.projector)
        self._build()

    # ---------------------------------------------------------------- the widget
    def widget(self, timing: bool | None = None):
        """The controls and the picture as one ipywidgets box, wired to this object's methods.

        One row of controls (data set, algorithm, preset, the step buttons, run/pause, reset, and a
        *sliders* toggle that shows the learning rate, n_critic, c or lambda, the run speed and the
        projector box), a note on the settings and on what the chart's estimate is (two lines of
        fixed height, each cut to the window, its full text the hover title), and the picture,
        which takes the height the rows above leave (:func:`widget_height_budget`): the whole widget
        fits a 1280x720 screen in every state. A status line appears when a change restarted the
        session or applied without a restart; ``timing=True`` (or the environment variable
        ``WGAN_TOYS_CLASSROOM_TIMING=1``, which ``tools/lab_screenshot.js`` asks for) shows it from the
        start, with how long the last press took in the kernel.

        The picture is an ``ipywidgets.Image`` whose value is replaced after each press, not an
        ``Output`` widget: under nbclient (``make lessons``, the notebook tests) every capture into
        an Output widget makes the client send a comm message on the shell channel while it waits
        on that channel for the cell's reply, a race that can leave both sides idle until the cell
        timeout (jupyter/nbclient#312). An Image widget's updates travel from the kernel only.
        """
        import os

        if timing is None:
            timing = os.environ.get("WGAN_TOYS_CLASSROOM_TIMING") == "1"
        return _Wiring(self, bool(timing)).box

    def present(self):
        """The widget as a full-page view for a lecture: it covers the notebook's whole area (the
        cells hidden behind it; JupyterLab confines a fixed element to the notebook's panel, so a
        browser in full screen gives it the most room), in projector style, with the picture as
        large as that area allows; its *leave full page* button returns to the notebook's layout."""
        if not self.projector:
            self.set_projector(True)
        wiring = _Wiring(self, timing=False, present=True)
        return wiring.box


# The widget at 1280x720 (a projector's), in JupyterLab with the file browser collapsed: the notebook
# shows 100vh - 121 px (menu, tab, toolbar and status bars). The box is at most NOTEBOOK_CHROME_PX
# less than the window's height, and the picture is the only part that shrinks (a flex column):
# the rows above it have fixed heights, so every state (sliders shown, a notice, projector fonts)
# fits, the picture giving up what they take. A full page (present) has no bars to leave room for.
NOTEBOOK_CHROME_PX = 130
ROW_HEIGHTS_PX = {"controls": 38, "sliders": 64, "note": 40, "status": 22}  # the rows above the picture
CONTROL_LINES = {False: 1, True: 2}  # the controls' row wraps once at projector fonts in 1100 px
CONTROL_FONT_PX = {False: 15, True: 17}  # control labels and buttons; projector mode larger
# the dropdowns' widths (description and choice), wide enough for their longest choice at those fonts
DROPDOWN_WIDTHS = {
    False: {"dataset": "160px", "algorithm": "190px", "preset": "190px"},
    True: {"dataset": "180px", "algorithm": "215px", "preset": "215px"},
}
NOTE_FONT_PX = 14
WIDGET_CSS = f"""<style>
.wgan-classroom {{max-height: calc(100vh - {NOTEBOOK_CHROME_PX}px); overflow: hidden;}}
.wgan-classroom .widget-button, .wgan-classroom .widget-toggle-button, .wgan-classroom select,
.wgan-classroom .widget-label, .wgan-classroom .widget-readout, .wgan-classroom .widget-checkbox label
{{font-size: {CONTROL_FONT_PX[False]}px;}}
.wgan-classroom.wgan-projector .widget-button, .wgan-classroom.wgan-projector .widget-toggle-button,
.wgan-classroom.wgan-projector select, .wgan-classroom.wgan-projector .widget-label,
.wgan-classroom.wgan-projector .widget-readout {{font-size: {CONTROL_FONT_PX[True]}px;}}
.wgan-classroom .wgan-note {{font-size: {NOTE_FONT_PX}px; line-height: 1.35; color: #333;}}
.wgan-classroom .wgan-note div {{white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}}
.wgan-classroom .wgan-status .widget-label {{font-size: 14px; white-space: nowrap; overflow: hidden;
 text-overflow: ellipsis; height: {ROW_HEIGHTS_PX["status"]}px; line-height: {ROW_HEIGHTS_PX["status"]}px;}}
.wgan-classroom.wgan-present {{position: fixed; inset: 0; z-index: 10000; background: white; padding: 6px 10px;
 max-height: none;}}
</style>"""


def widget_height_budget(
    viewport_height: int = 720, sliders: bool = False, status: bool = True, projector: bool = False
) -> int:
    """The picture's largest height in pixels in JupyterLab at a ``viewport_height`` px high window
    (1280 px wide, the file browser collapsed): what the box's height limit leaves below the rows
    of fixed height above it (the controls, on two lines at projector fonts; the sliders when shown;
    the note; the status line when it has something to say)."""
    rows = ROW_HEIGHTS_PX["controls"] * CONTROL_LINES[projector] + ROW_HEIGHTS_PX["note"]
    rows += ROW_HEIGHTS_PX["sliders"] if sliders else 0
    rows += ROW_HEIGHTS_PX["status"] if status else 0
    return viewport_height - NOTEBOOK_CHROME_PX - rows


def _note_html(lines: list[tuple[str, str]]) -> str:
    """The note: one line per (brief, full) pair, cut with an ellipsis if the window is narrow, the
    full sentence its hover text."""
    import html

    shown = "".join(f"<div title='{html.escape(full, quote=True)}'>{html.escape(brief)}</div>" for brief, full in lines)
    return f"<div class='wgan-note'>{shown}</div>"


class _Wiring:
    """The widget: controls made once, each wired to one of the classroom's methods."""

    def __init__(self, classroom: Classroom, timing: bool, present: bool = False):
        import ipywidgets as widgets

        self.classroom, self.widgets, self.quiet = classroom, widgets, False
        self.controls = controls = self._make_controls(present)
        self.timing = timing
        controls["timing"].layout.display = None if timing else "none"
        self._wire()
        self.show_settings()
        classroom.draw()
        controls["view"].value = classroom.jpeg()
        classroom.prepare_data_sets()

        def row(names, height, **layout):  # a row of fixed height: only the picture shrinks
            return widgets.HBox(
                [controls[name] for name in names],
                layout=widgets.Layout(flex="0 0 auto", min_height=f"{height}px", overflow="hidden", **layout),
            )

        # the notice and the timing share one line, shown only when one of them has something to say
        self.status = row(("notice", "timing"), ROW_HEIGHTS_PX["status"], display="none", flex_flow="row nowrap")
        self.status.layout.height = f"{ROW_HEIGHTS_PX['status']}px"
        self.status.add_class("wgan-status")
        self.sliders = row(SLIDERS, ROW_HEIGHTS_PX["sliders"], display="none", flex_flow="row wrap")
        rows = [
            widgets.HTML(WIDGET_CSS, layout=widgets.Layout(display="none")),
            row(ROW, ROW_HEIGHTS_PX["controls"], flex_flow="row wrap"),
            self.sliders,
            controls["defaults"],
            self.status,
            controls["view"],
        ]
        self.box = widgets.VBox(rows)
        self.box.add_class("wgan-classroom")
        if present:
            self.box.add_class("wgan-present")
        if classroom.projector:
            self.box.add_class("wgan-projector")
        self._show_status()
        classroom.controls = controls

    def _make_controls(self, present: bool) -> dict:
        widgets, config, projector = self.widgets, self.classroom.config, self.classroom.projector
        wide = {"description_width": "initial"}  # the whole name, not "learning r..."

        def button(text, tooltip):
            return widgets.Button(description=text, tooltip=tooltip, layout=widgets.Layout(width="auto"))

        def dropdown(name, description, options, value, **extra):
            width = DROPDOWN_WIDTHS[projector][name]
            return widgets.Dropdown(
                options=options,
                value=value,
                description=description,
                style=wide,
                layout=widgets.Layout(width=width),
                **extra,
            )

        return {
            "dataset": dropdown("dataset", "data", CLASSROOM_DATASETS, config.dataset),
            "algorithm": dropdown("algorithm", "algorithm", CLASSROOM_ALGORITHMS, config.algorithm),
            "preset": dropdown(
                "preset",
                "preset",
                [("paper's claim", "paper"), ("toy script", "toy")],
                self.classroom.preset,
                tooltip=" / ".join(PRESETS.values()),
            ),
            "critic_step": button("critic step", "one critic (or discriminator) update"),
            "critic_x20": button("critic x20", "20 critic updates with the generator held"),
            "generator_step": button("generator step", "one generator update"),
            "run": widgets.Play(
                value=0,
                min=0,
                max=10**6,
                step=1,
                interval=300,
                show_repeat=False,
                tooltip="run / pause: one iteration (n_critic critic steps, one generator step) per tick; stop: back to 0, no step",
                layout=widgets.Layout(width="auto"),
            ),
            "reset": button("reset", "back to step 0 with the current settings"),
            "show_sliders": widgets.ToggleButton(
                description="sliders",
                tooltip="learning rate, n_critic, c or lambda, speed, projector",
                layout=widgets.Layout(width="auto"),
            ),
            "leave": button("leave full page", "back to the notebook")
            if present
            else widgets.HTML(layout=widgets.Layout(display="none")),
            **self._make_settings_and_view(present),
        }

    def _make_settings_and_view(self, present: bool) -> dict:
        widgets, config = self.widgets, self.classroom.config
        wide = {"description_width": "initial"}  # the whole name, not "learning r..."
        return {
            "learning_rate": widgets.FloatLogSlider(
                value=config.learning_rate,
                base=10,
                min=-5,
                max=-1,
                description="learning rate",
                readout_format=".1e",
                style=wide,
            ),
            "n_critic": widgets.IntSlider(value=config.n_critic, min=1, max=20, description="n_critic", style=wide),
            "constant": widgets.FloatLogSlider(
                value=0.01, base=10, min=-3, max=2, description="c", readout_format=".3g"
            ),
            "speed": widgets.IntSlider(value=300, min=50, max=2000, step=50, description="ms per step", style=wide),
            "projector": widgets.Checkbox(value=self.classroom.projector, description="projector", indent=False),
            # two lines of fixed height, each cut to the window with its full text a hover away
            "defaults": widgets.HTML(
                "",
                layout=widgets.Layout(
                    flex="0 0 auto", height=f"{ROW_HEIGHTS_PX['note']}px", overflow="hidden", width="100%"
                ),
            ),
            "notice": widgets.Label("", layout=widgets.Layout(display="none", flex="0 1 auto", min_width="0")),
            "timing": widgets.Label("", layout=widgets.Layout(flex="0 1 auto", min_width="0", margin="0 0 0 16px")),
            # the only part that shrinks (flex): whatever the rows above take, the box fits its height limit
            "view": widgets.Image(
                format="jpeg",
                layout=widgets.Layout(
                    width="100%", height="auto", flex="1 1 auto", min_height="0", object_fit="contain"
                ),
            ),
        }

    def timed(self, what, method) -> None:
        start = time.perf_counter()
        message = method()
        controls = self.controls
        controls["view"].value = self.classroom.jpeg()
        milliseconds = 1000 * (time.perf_counter() - start)
        # the number first: a narrow window cuts the line's end
        controls["timing"].value = f"last {what}: {milliseconds:.0f} ms (step + measure + redraw + JPEG)"
        controls["timing"].tooltip = controls["timing"].value  # the whole line, where the window cuts it
        if message:
            controls["notice"].value = controls["notice"].tooltip = message
            controls["notice"].layout.display = None
        self._show_status()

    def _show_status(self) -> None:
        """The status line (notice and timing) takes its row only when it has something to say."""
        controls = self.controls
        shown = self.timing or controls["notice"].layout.display is None
        self.status.layout.display = None if shown else "none"

    def _wire(self) -> None:
        classroom, controls = self.classroom, self.controls

        def press(what, method):
            return lambda button=None: self.timed(what, method)

        controls["critic_step"].on_click(press("critic step", classroom.critic_step))
        controls["critic_x20"].on_click(press("critic x20", classroom.train_critic))
        controls["generator_step"].on_click(press("generator step", classroom.generator_step))

        def reset() -> str:
            classroom.reset()
            return "reset: back to step 0"

        controls["reset"].on_click(press("reset", reset))
        self.widgets.jslink((controls["speed"], "value"), (controls["run"], "interval"))
        controls["run"].observe(self.tick, names="value")
        for name in ("dataset", "algorithm", "preset"):
            controls[name].observe(self.restart, names="value")
        for name in ("learning_rate", "n_critic", "constant"):
            controls[name].observe(self.adjust, names="value")
        controls["projector"].observe(self.restyle, names="value")
        controls["show_sliders"].observe(self.toggle_sliders, names="value")
        if isinstance(controls["leave"], self.widgets.Button):
            controls["leave"].on_click(lambda button=None: self.box.remove_class("wgan-present"))

    def tick(self, change) -> None:
        # the play button counts up; its stop button sets the count back to 0, which is no step
        if change["new"] > change["old"]:
            self.timed("iteration", self.classroom.iteration)

    def toggle_sliders(self, change) -> None:
        self.sliders.layout.display = None if change["new"] else "none"

    def show_settings(self) -> None:
        """The sliders and the notes follow the classroom's config (after a restart or a new algorithm)."""
        classroom, controls = self.classroom, self.controls
        config = classroom.config
        self.quiet = True  # the sliders are moved by the program, not by a person
        try:
            controls["learning_rate"].value = config.learning_rate
            controls["n_critic"].value = config.n_critic
            name = {"wgan": "clip_value", "wgan-gp": "penalty_weight"}.get(config.algorithm)
            constant = controls["constant"]
            constant.layout.display = "none" if name is None else None  # a GAN has neither c nor lambda
            if name is not None:
                constant.description = {"clip_value": "c", "penalty_weight": "lambda"}[name]
                constant.value = getattr(config, name)
            lines = [
                (note(config.algorithm, classroom.preset, brief=True), note(config.algorithm, classroom.preset))
                for note in (settings_note, estimate_note)
            ]
            controls["defaults"].value = _note_html(lines)
        finally:
            self.quiet = False

    def restart(self, change) -> None:
        if self.quiet:
            return
        setting = next(name for name in ("dataset", "algorithm", "preset") if change["owner"] is self.controls[name])

        def apply():
            self.classroom.configure(**{setting: change["new"]})
            self.show_settings()
            brings = " with its own settings (below)" if setting != "dataset" else ""
            return f"{setting} {change['new']!r}: restarted at step 0{brings}"

        self.timed(f"{setting} change (restart)", apply)

    def adjust(self, change) -> None:
        if self.quiet:
            return
        classroom, controls, owner = self.classroom, self.controls, change["owner"]
        name = {id(controls["learning_rate"]): "learning_rate", id(controls["n_critic"]): "n_critic"}.get(id(owner))
        if name is None:
            name = "clip_value" if classroom.config.algorithm == "wgan" else "penalty_weight"
        current = getattr(classroom.config, name)
        if owner is not controls["n_critic"] and abs(math.log10(change["new"] / current)) < 0.051:
            # the browser's log slider rounds a value set here (5e-4) to its step of 0.1 in
            # log10 (10**-3.3) and sends it back: that is no change, a person's is >= 0.1
            return

        def apply():
            message = classroom.adjust(**{name: change["new"]})
            classroom.draw()
            return message

        self.timed(f"{name} change", apply)

    def restyle(self, change) -> None:
        if change["new"]:
            self.box.add_class("wgan-projector")
        else:
            self.box.remove_class("wgan-projector")
        for name, width in DROPDOWN_WIDTHS[bool(change["new"])].items():
            self.controls[name].layout.width = width
        self.timed("projector change (restyle, no restart)", lambda: self.classroom.set_projector(change["new"]))


ROW = (
    "dataset",
    "algorithm",
    "preset",
    "critic_step",
    "critic_x20",
    "generator_step",
    "run",
    "reset",
    "show_sliders",
    "leave",
)
SLIDERS = ("learning_rate", "n_critic", "constant", "speed", "projector")
