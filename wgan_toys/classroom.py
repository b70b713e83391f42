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

The redraw reuses its artists (an image, two scatters, a quiver, a line collection), which
keeps one step plus redraw at 140-200 ms at 512 samples on a 2-core laptop CPU (measured with
``benchmarks/bench_classroom.py``). On a slower machine lower ``n_samples`` and ``grid_size``.
"""

from __future__ import annotations

import dataclasses
import json
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection

from ._validation import check_choice, check_int
from .plots import COLORS, PROJECTOR_STYLE, STYLE
from .toy_gan import ALGORITHMS, ToyConfig, ToyGAN

__all__ = ["Classroom", "PROJECTOR_STYLE", "CLASSROOM_DATASETS"]

CLASSROOM_DATASETS = ("8gaussians", "25gaussians", "swissroll", "2clusters")


class Classroom:
    """Hands-on GAN / WGAN / WGAN-GP training with exact W1 beside the critic's estimate.

    Parameters
    ----------
    dataset : {'8gaussians', '25gaussians', 'swissroll', '2clusters'}, default='2clusters'
    algorithm : {'gan', 'gan-logd', 'wgan', 'wgan-gp'}, default='wgan-gp'
    learning_rate : float, default=None
        None takes the toy default (1e-3; 5e-4 for 'wgan').
    n_critic : int, default=None
        None takes 5 for WGAN(-GP) and 1 for GAN.
    clip_value, penalty_weight : float, default=0.01, 0.1
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
        clip_value: float = 0.01,
        penalty_weight: float = 0.1,
        n_samples: int = 512,
        grid_size: int = 80,
        projector: bool = False,
        seed: int = 0,
    ):
        check_choice("dataset", dataset, CLASSROOM_DATASETS)
        check_choice("algorithm", algorithm, ALGORITHMS)
        self.n_samples = check_int("n_samples", n_samples, minimum=8)
        self.grid_size = check_int("grid_size", grid_size, minimum=8)
        self.projector = bool(projector)
        self.config = ToyConfig(
            dataset=dataset,
            algorithm=algorithm,
            learning_rate=learning_rate,
            n_critic=n_critic,
            clip_value=clip_value,
            penalty_weight=penalty_weight,
            batch_size=n_samples,
            eval_samples=n_samples,
            width=64,
            seed=seed,
            iterations=0,
        )
        self.figure = None
        self._build()

    # ---------------------------------------------------------------- state
    def _build(self) -> None:
        from .toys2d import sample_floor

        self.trainer = ToyGAN(self.config)
        self.frames: list[dict] = []
        self.real = self.trainer.dataset.sample(self.n_samples, seed=self.config.seed + 5)
        # what a perfect generator would read against this real sample: W1 to fresh samples of the same law
        self.floor = sample_floor(
            self.trainer.dataset, self.n_samples, repeats=10, seed=self.config.seed + 6, reference=self.real
        )
        self._capture("start")

    def reset(self, _button=None) -> None:
        """Back to step 0 with the current settings (the 'reset' button)."""
        self._build()
        self.draw()

    def configure(self, **settings) -> None:
        """Change settings (dataset, algorithm, learning_rate, n_critic, clip_value, penalty_weight,
        seed) and reset; unknown names are an error that lists the valid ones."""
        allowed = ("dataset", "algorithm", "learning_rate", "n_critic", "clip_value", "penalty_weight", "seed")
        for name in settings:
            check_choice("setting", name, allowed)
        if "dataset" in settings:
            check_choice("dataset", settings["dataset"], CLASSROOM_DATASETS)
        self.config = dataclasses.replace(self.config, **settings)
        if "algorithm" in settings and "n_critic" not in settings:
            self.config = dataclasses.replace(self.config, n_critic=None)
        if "algorithm" in settings and "learning_rate" not in settings:
            self.config = dataclasses.replace(self.config, learning_rate=None)
        self.config.resolved()  # check every value before anything changes
        self._build()
        self.draw()

    def critic_step(self, _button=None) -> None:
        """One critic (or discriminator) update, then redraw (the 'critic step' button)."""
        self.trainer.critic_step()
        self._capture("critic step")
        self.draw()

    def train_critic(self, steps: int = 20, _button=None) -> None:
        """``steps`` critic (or discriminator) updates with the generator held, then one frame and a
        redraw (the 'critic x20' button): Section 3's "train the critic till optimality", or a GAN
        discriminator trained until it saturates."""
        steps = check_int("steps", steps, minimum=1)
        for _ in range(steps):
            self.trainer.critic_step()
        self._capture(f"{steps} critic steps")
        self.draw()

    def generator_step(self, _button=None) -> None:
        """One generator update, then redraw (the 'generator step' button)."""
        self.trainer.generator_step()
        self._capture("generator step")
        self.draw()

    def iteration(self, _button=None) -> None:
        """n_critic critic steps and one generator step (one tick of 'run'), then redraw."""
        self.trainer.iteration()
        self._capture("iteration")
        self.draw()

    # ---------------------------------------------------------------- measuring
    def _field_extent(self) -> tuple[float, float, float, float]:
        low, high = self.real.min(0) - 1.0, self.real.max(0) + 1.0
        return (low[0], high[0], low[1], high[1])

    def _capture(self, action: str) -> None:
        """Measure the current state and append it as a frame (for the views and for replay)."""
        from .transport import exact_transport

        trainer = self.trainer
        fake = trainer.generated()  # the fixed evaluation noise: samples move only when the generator does
        x0, x1, y0, y1 = self._field_extent()
        xs, ys = np.meshgrid(np.linspace(x0, x1, self.grid_size), np.linspace(y0, y1, self.grid_size))
        field = trainer.critic_values(np.stack([xs.ravel(), ys.ravel()], 1)).reshape(xs.shape)
        if not trainer.is_wgan:
            from scipy.special import expit  # the logistic sigmoid, stable for any logit

            field = expit(field)
        arrows = trainer.push(fake)  # minus the gradient of the generator's loss at each fake
        arrow_norm_max = float(np.linalg.norm(arrows, axis=1).max())
        arrow_scale = max([arrow_norm_max] + [f["arrow_scale"] for f in self.frames])  # the session's largest so far
        plan = exact_transport(fake, self.real)
        partner = plan.plan.argmax(axis=1)  # uniform weights: each fake goes to one real point
        with torch.no_grad():
            real_out = trainer.critic(torch.as_tensor(self.real, dtype=torch.float32, device=trainer.device))
            fake_out = trainer.critic(torch.as_tensor(fake, dtype=torch.float32, device=trainer.device))
        estimate = trainer.loss_estimate(real_out, fake_out)
        self.frames.append(
            {
                "action": action,
                "generator_step": trainer.generator_steps,
                "critic_steps": trainer.critic_steps,
                "estimate": estimate,
                "exact_w1": plan.cost,
                "fake": fake,
                "field": field,
                "arrows": arrows,
                "arrow_norm_max": arrow_norm_max,
                "arrow_scale": arrow_scale,
                "partner": partner,
            }
        )

    # ---------------------------------------------------------------- drawing
    def _style(self) -> dict:
        return PROJECTOR_STYLE if self.projector else STYLE

    def _create_figure(self) -> None:
        with plt.rc_context(self._style()):
            size = (15, 6.5) if self.projector else (11, 4.6)
            self.figure, (self.field_ax, self.chart_ax) = plt.subplots(
                1, 2, figsize=size, gridspec_kw={"width_ratios": (1.1, 1)}, constrained_layout=True
            )
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
            self.quiver = None
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
            self._floor_artists = []
            self._floor_drawn = None
            self.field_ax.set_xlim(*self._field_extent()[:2])
            self.field_ax.set_ylim(*self._field_extent()[2:])
            self.field_ax.legend(loc="upper right")
            self.colorbar = self.figure.colorbar(self.image, ax=self.field_ax, shrink=0.85)
            (self.estimate_line,) = self.chart_ax.plot([], [], color=COLORS["em"], label="critic estimate")
            (self.exact_line,) = self.chart_ax.plot([], [], color="black", ls="--", label=r"exact $W_1$ (ot.emd)")
            self.chart_ax.set_xlabel("frame (one per button press; the title of the field gives the steps)")
            self.chart_ax.grid(alpha=0.3)
            # made once, below the axes so that it covers no curve: only its text changes
            self.chart_legend = self.chart_ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
            self._layout_done = False
        # out of pyplot's list of open figures: Jupyter's inline backend would otherwise show it
        # again at the end of every cell; a cell shows it by returning ``draw()``'s value.
        # Closing leaves a bare canvas, so give it an Agg canvas of its own to render with.
        plt.close(self.figure)
        FigureCanvasAgg(self.figure)

    def draw(self, frame: dict | None = None):
        """Update both views to ``frame`` (default: the latest) and return the figure (a notebook
        cell that ends with ``classroom.draw()`` shows it once)."""
        if self.figure is None:
            self._create_figure()
        frame = frame or self.frames[-1]
        trainer = self.trainer
        with plt.rc_context(self._style()):
            self.image.set_data(frame["field"])
            self.image.set_clim(float(frame["field"].min()), float(frame["field"].max()) + 1e-12)
            self.colorbar.set_label(r"critic $f_w$" if trainer.is_wgan else r"discriminator $D$")
            fake = frame["fake"]
            self.fake_dots.set_offsets(fake)
            self.plan_lines.set_segments(np.stack([fake, self.real[frame["partner"]]], axis=1))
            arrows = frame["arrows"]
            scale = (
                frame["arrow_scale"] or 1.0
            )  # one scale per session (all arrows are 0 while it is 0): a saturated discriminator's arrows vanish
            every = max(1, len(fake) // 96)  # at most ~96 arrows stay readable
            if self.quiver is not None:
                self.quiver.remove()
            self.quiver = self.field_ax.quiver(
                fake[::every, 0],
                fake[::every, 1],
                arrows[::every, 0] / scale,
                arrows[::every, 1] / scale,
                color="black",
                angles="xy",
                scale_units="xy",
                scale=2.5,
                width=0.006 if self.projector else 0.004,
                minlength=0,
                zorder=4,
            )
            loss = (
                r"$f_w$"
                if trainer.is_wgan
                else (r"$-\log(1 - D)$" if trainer.config.algorithm == "gan" else r"$\log D$")
            )
            self.arrow_text.set_text(
                f"arrows: gradient of {loss}; largest here {frame['arrow_norm_max']:.1e},\n"
                f"full length (0.4) = {frame['arrow_scale']:.1e}, the session's largest"
            )
            self.field_ax.set_title(
                f"{self.config.algorithm} on {self.config.dataset}: generator step {frame['generator_step']}, "
                f"critic step {frame['critic_steps']}"
            )
            position = next((i for i, recorded in enumerate(self.frames) if recorded is frame), len(self.frames) - 1)
            shown = self.frames[: position + 1]
            index = np.arange(len(shown))
            label = "critic estimate $E_r f - E_g f$" if trainer.is_wgan else r"GAN's JS estimate $L/2 + \log 2$"
            self.estimate_line.set_data(index, [f["estimate"] for f in shown])
            self.chart_legend.get_texts()[0].set_text(label)
            self.exact_line.set_data(index, [f["exact_w1"] for f in shown])
            if self._floor_drawn is not self.floor:  # the floor changes with the data set and n
                for artist in self._floor_artists:
                    artist.remove()
                self._floor_artists = [
                    self.chart_ax.axhspan(
                        self.floor["low"], self.floor["high"], color="0.6", alpha=0.3, lw=0, zorder=0
                    ),
                    self.chart_ax.axhline(self.floor["mean"], color="0.4", lw=1, ls=":", zorder=0),
                    self.chart_ax.text(
                        0.01,
                        self.floor["high"],
                        f" sample floor (n = {self.n_samples})",
                        transform=self.chart_ax.get_yaxis_transform(),
                        va="bottom",
                        ha="left",
                        color="0.3",
                        fontsize="small",
                    ),
                ]
                self._floor_drawn = self.floor
            values = [f["estimate"] for f in shown] + [f["exact_w1"] for f in shown] + [self.floor["high"], 0.0]
            low, high = min(values), max(values)
            self.chart_ax.set_xlim(-0.5, max(len(shown) - 0.5, 1.0))
            self.chart_ax.set_ylim(low - 0.05 * (high - low + 1e-9), high + 0.12 * (high - low + 1e-9))
            self.chart_ax.set_title(
                f"estimate {frame['estimate']:.3f}   exact W1 {frame['exact_w1']:.3f}   "
                f"floor {self.floor['low']:.2f}-{self.floor['high']:.2f}"
            )
            if not self._layout_done:  # lay out once, then keep the layout: redraws get ~2x faster
                self.figure.canvas.draw()
                self.figure.set_layout_engine("none")
                self._layout_done = True
        return self.figure

    def png(self) -> bytes:
        """The current figure as PNG bytes: one Agg render and a fast PNG encoding (what the
        widget shows after each press; Jupyter's own figure display renders twice)."""
        import io

        from PIL import Image as PillowImage

        self.figure.canvas.draw()
        buffer = io.BytesIO()
        PillowImage.fromarray(np.asarray(self.figure.canvas.buffer_rgba())).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    # ---------------------------------------------------------------- record and replay
    def save_metrics(self, path: str) -> str:
        """One JSON object per recorded frame: action, steps, estimate, exact W1."""
        with open(path, "w") as handle:
            for frame in self.frames:
                row = {key: frame[key] for key in ("action", "generator_step", "critic_steps", "estimate", "exact_w1")}
                handle.write(json.dumps(row) + "\n")
        return path

    def save_gif(self, path: str, fps: int = 4) -> str:
        """Every recorded frame as an animated GIF (matplotlib's Pillow writer)."""
        from matplotlib.animation import FuncAnimation, PillowWriter

        self.draw(self.frames[0])
        animation = FuncAnimation(self.figure, lambda i: self.draw(self.frames[i]), frames=len(self.frames), blit=False)
        animation.save(path, writer=PillowWriter(fps=fps))
        self.draw()
        return path

    # ---------------------------------------------------------------- the widget
    def widget(self):
        """The controls and the views as one ipywidgets box, wired to this object's methods.

        The views are an ``ipywidgets.Image`` whose value is replaced after each press, not an
        ``Output`` widget: under nbclient (``make lessons``, the notebook tests) every capture into
        an Output widget makes the client send a comm message on the shell channel while it waits
        on that channel for the cell's reply, a race that can leave both sides idle until the cell
        timeout (jupyter/nbclient#312; lesson 08 once sat ~10 minutes on a busy machine). An Image
        widget's updates travel from the kernel only.
        """
        import ipywidgets as widgets

        view = widgets.Image(format="png")

        def show(*_):
            view.value = self.png()

        def act(method):
            def handler(button=None):
                start = time.perf_counter()
                method()
                show()
                timing.value = f"last step + redraw: {1000 * (time.perf_counter() - start):.0f} ms"

            return handler

        dataset = widgets.Dropdown(options=CLASSROOM_DATASETS, value=self.config.dataset, description="data")
        algorithm = widgets.Dropdown(options=ALGORITHMS, value=self.config.algorithm, description="algorithm")
        resolved = self.config.resolved()
        learning_rate = widgets.FloatLogSlider(
            value=resolved.learning_rate, base=10, min=-5, max=-1, description="learning rate"
        )
        n_critic = widgets.IntSlider(value=resolved.n_critic, min=1, max=20, description="n_critic")
        constant = widgets.FloatLogSlider(
            value=self.config.clip_value if self.config.algorithm == "wgan" else self.config.penalty_weight,
            base=10,
            min=-3,
            max=2,
            description="c or lambda",
        )
        projector = widgets.Checkbox(value=self.projector, description="projector")
        critic_button = widgets.Button(description="critic step")
        critic_many_button = widgets.Button(description="critic x20")
        generator_button = widgets.Button(description="generator step")
        reset_button = widgets.Button(description="reset")
        play = widgets.Play(value=0, min=0, max=10**6, step=1, interval=300, description="run")
        speed = widgets.IntSlider(value=300, min=50, max=2000, step=50, description="ms per step")
        timing = widgets.Label("")
        critic_button.on_click(act(self.critic_step))
        critic_many_button.on_click(act(self.train_critic))
        generator_button.on_click(act(self.generator_step))
        reset_button.on_click(act(self.reset))
        play.observe(lambda change: act(self.iteration)(), names="value")
        widgets.jslink((speed, "value"), (play, "interval"))

        def apply(_change):
            settings = {
                "dataset": dataset.value,
                "algorithm": algorithm.value,
                "learning_rate": learning_rate.value,
                "n_critic": n_critic.value,
            }
            settings["clip_value" if algorithm.value == "wgan" else "penalty_weight"] = constant.value
            self.projector = projector.value
            if self.figure is not None:
                plt.close(self.figure)
                self.figure = None
            self.configure(**settings)
            show()

        for control in (dataset, algorithm, learning_rate, n_critic, constant, projector):
            control.observe(apply, names="value")
        self.draw()
        show()
        controls = widgets.VBox(
            [
                widgets.HBox([dataset, algorithm, projector]),
                widgets.HBox([learning_rate, n_critic, constant]),
                widgets.HBox([critic_button, critic_many_button, generator_button, play, speed, reset_button]),
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
            "timing": timing,
        }
        return widgets.VBox([controls, view])
