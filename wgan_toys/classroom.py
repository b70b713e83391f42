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
their limits move, and limits move in steps), text is drawn unhinted and the widget receives JPEG.
A press at 512 samples takes about 130 ms from click to new image in JupyterLab on a quiet 2-core
machine (``tools/lab_screenshot.js``; ``benchmarks/bench_classroom.py`` times the kernel's part); on a
slower machine lower ``n_samples`` and ``grid_size``.
"""

from __future__ import annotations

import math
import time

from ._validation import check_choice, check_int
from .classroom_session import (
    ADJUSTABLE,
    CLASSROOM_ALGORITHMS,
    CLASSROOM_DATASETS,
    ClassroomSession,
    algorithm_settings,
    settings_note,
)
from .classroom_view import ClassroomView
from .objectives import ALGORITHMS, resolve_algorithm
from .plots import PROJECTOR_STYLE
from .toy_gan import ToyConfig

__all__ = [
    "Classroom",
    "PROJECTOR_STYLE",
    "CLASSROOM_ALGORITHMS",
    "CLASSROOM_DATASETS",
    "ADJUSTABLE",
    "algorithm_settings",
    "settings_note",
]


class Classroom(ClassroomView, ClassroomSession):
    """Hands-on GAN / WGAN / WGAN-GP training with exact W1 beside the critic's estimate.

    Parameters
    ----------
    dataset : {'8gaussians', '25gaussians', 'swissroll', '2clusters'}, default='2clusters'
    algorithm : {'wgan', 'wgan-gp', 'gan-minimax', 'gan-logd'}, default='wgan-gp'
        ('gan-minimax' is 'gan' in toy_gan before issue 13's names; 'gan' is accepted for it)
    learning_rate, n_critic, clip_value, penalty_weight : default=None
        alpha, n_critic, c (wgan) and lambda (wgan-gp); None takes the algorithm's value in
        :func:`algorithm_settings` (wgan: 5e-4, 5, c = 0.01; wgan-gp: 1e-3, 5, lambda = 0.1;
        the GANs: 1e-3, 1).
    n_samples : int, default=512
        Points drawn per view and used for the exact plan and W1.
    grid_size : int, default=80
        Heatmap resolution.
    projector : bool, default=False
        Large fonts and thick lines for a lecture hall.
    seed : int, default=0
    """

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
    ):
        check_choice("dataset", dataset, CLASSROOM_DATASETS)
        algorithm = resolve_algorithm(algorithm, "toy")[0]  # the old "gan", with a FutureWarning
        check_choice("algorithm", algorithm, ALGORITHMS)
        self.n_samples = check_int("n_samples", n_samples, minimum=8)
        self.grid_size = check_int("grid_size", grid_size, minimum=8)
        self.projector = bool(projector)
        given = {"learning_rate": learning_rate, "n_critic": n_critic}
        given.update(clip_value=clip_value, penalty_weight=penalty_weight)
        settings = {name: value for name, value in algorithm_settings(algorithm).items() if given.get(name) is None}
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
    def widget(self):
        """The controls and the views as one ipywidgets box, wired to this object's methods.

        The views are an ``ipywidgets.Image`` whose value is replaced after each press, not an
        ``Output`` widget: under nbclient (``make lessons``, the notebook tests) every capture into
        an Output widget makes the client send a comm message on the shell channel while it waits
        on that channel for the cell's reply, a race that can leave both sides idle until the cell
        timeout (jupyter/nbclient#312; lesson 08 once sat ~10 minutes on a busy machine). An Image
        widget's updates travel from the kernel only.

        Under the buttons, three lines: the chosen algorithm's settings and where they come from
        (:func:`settings_note`), what the last change did (restarted, or applied without a
        restart), and how long the last press or change took, named.
        """
        import html

        import ipywidgets as widgets

        view = widgets.Image(format="jpeg")
        defaults = widgets.HTML(html.escape(settings_note(self.config.algorithm)))  # HTML wraps; a Label cuts
        notice = widgets.Label("")
        timing = widgets.Label("")
        quiet = {"on": False}  # set while the sliders are moved by the program, not by a person

        def timed(what, method):
            start = time.perf_counter()
            message = method()
            view.value = self.jpeg()
            timing.value = (
                f"last {what} (step + measure + redraw + JPEG): {1000 * (time.perf_counter() - start):.0f} ms"
            )
            if message:
                notice.value = message

        def press(what, method):
            return lambda button=None: timed(what, method)

        dataset = widgets.Dropdown(options=CLASSROOM_DATASETS, value=self.config.dataset, description="data")
        algorithm = widgets.Dropdown(options=CLASSROOM_ALGORITHMS, value=self.config.algorithm, description="algorithm")
        learning_rate = widgets.FloatLogSlider(
            value=self.config.learning_rate,
            base=10,
            min=-5,
            max=-1,
            description="learning rate",
            readout_format=".1e",
            style={"description_width": "initial"},  # the whole name, not "learning r..."
        )
        n_critic = widgets.IntSlider(value=self.config.n_critic, min=1, max=20, description="n_critic")
        constant = widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=2, description="c", readout_format=".3g")
        projector = widgets.Checkbox(value=self.projector, description="projector")
        critic_button = widgets.Button(description="critic step")
        critic_many_button = widgets.Button(description="critic x20")
        generator_button = widgets.Button(description="generator step")
        reset_button = widgets.Button(description="reset")
        play = widgets.Play(value=0, min=0, max=10**6, step=1, interval=300, description="run")
        speed = widgets.IntSlider(value=300, min=50, max=2000, step=50, description="ms per step")
        critic_button.on_click(press("critic step", self.critic_step))
        critic_many_button.on_click(press("critic x20", self.train_critic))
        generator_button.on_click(press("generator step", self.generator_step))
        reset_button.on_click(press("reset", lambda: (self.reset(), "reset: back to step 0")[1]))
        widgets.jslink((speed, "value"), (play, "interval"))

        def tick(change):
            # the play button counts up; its stop button sets the count back to 0, which is no step
            if change["new"] > change["old"]:
                timed("iteration", self.iteration)

        play.observe(tick, names="value")

        def show_settings():
            """The sliders and the defaults line follow self.config (after a restart or a new algorithm)."""
            quiet["on"] = True
            try:
                learning_rate.value = self.config.learning_rate
                n_critic.value = self.config.n_critic
                name = {"wgan": "clip_value", "wgan-gp": "penalty_weight"}.get(self.config.algorithm)
                constant.disabled = name is None
                constant.description = {"clip_value": "c", "penalty_weight": "lambda", None: "(unused)"}[name]
                if name is not None:
                    constant.value = getattr(self.config, name)
                defaults.value = html.escape(settings_note(self.config.algorithm))
            finally:
                quiet["on"] = False

        def restart(change):
            if quiet["on"]:
                return
            setting = "dataset" if change["owner"] is dataset else "algorithm"

            def apply():
                self.configure(**{setting: change["new"]})
                show_settings()
                brings = " with its own settings (below)" if setting == "algorithm" else ""
                return f"{setting} {change['new']!r}: restarted at step 0{brings}"

            timed(f"{setting} change (restart)", apply)

        def adjust(change):
            if quiet["on"]:
                return
            owner = change["owner"]
            name = {id(learning_rate): "learning_rate", id(n_critic): "n_critic"}.get(id(owner))
            if name is None:
                name = "clip_value" if self.config.algorithm == "wgan" else "penalty_weight"
            current = getattr(self.config, name)
            if owner is not n_critic and abs(math.log10(change["new"] / current)) < 0.051:
                # the browser's log slider rounds a value set here (5e-4) to its step of 0.1 in
                # log10 (10**-3.3) and sends it back: that is no change, a person's is >= 0.1
                return

            def apply():
                message = self.adjust(**{name: change["new"]})
                self.draw()
                return message

            timed(f"{name} change", apply)

        def restyle(change):
            timed("projector change (restyle, no restart)", lambda: self.set_projector(change["new"]))

        dataset.observe(restart, names="value")
        algorithm.observe(restart, names="value")
        for control in (learning_rate, n_critic, constant):
            control.observe(adjust, names="value")
        projector.observe(restyle, names="value")
        show_settings()
        self.draw()
        view.value = self.jpeg()
        controls = widgets.VBox(
            [
                widgets.HBox([dataset, algorithm, projector]),
                widgets.HBox([learning_rate, n_critic, constant]),
                widgets.HBox([critic_button, critic_many_button, generator_button, play, speed, reset_button]),
                defaults,
                notice,
                timing,
            ]
        )
        self.controls = {
            "dataset": dataset,
            "algorithm": algorithm,
            "learning_rate": learning_rate,
            "n_critic": n_critic,
            "constant": constant,
            "projector": projector,
            "critic_step": critic_button,
            "critic_x20": critic_many_button,
            "generator_step": generator_button,
            "reset": reset_button,
            "run": play,
            "speed": speed,
            "defaults": defaults,
            "notice": notice,
            "timing": timing,
            "view": view,
        }
        return widgets.VBox([controls, view])
