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

import dataclasses
import json
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ._validation import Boolean, check_choice, check_constraint, check_int, size
from .objectives import ALGORITHMS, algorithm_defaults
from .plots import COLORS, PROJECTOR_STYLE, STYLE
from .toy_gan import ToyConfig, ToyGAN

__all__ = [
    "Classroom",
    "PROJECTOR_STYLE",
    "CLASSROOM_ALGORITHMS",
    "CLASSROOM_DATASETS",
    "algorithm_settings",
    "settings_note",
]

CLASSROOM_DATASETS = ("8gaussians", "25gaussians", "swissroll", "2clusters")

ADJUSTABLE = ("learning_rate", "n_critic", "clip_value", "penalty_weight")  # apply without a restart
CLASSROOM_ALGORITHMS = ALGORITHMS  # the dropdown's choices: wgan, wgan-gp, gan-minimax, gan-logd


def algorithm_settings(algorithm: str) -> dict:
    """What ``algorithm`` brings when it is chosen (the constructor's None, the algorithm dropdown,
    ``configure(algorithm=...)``): its row of :data:`~wgan_toys.objectives.DEFAULTS` at toy scale,
    the one table of defaults (learning rate, n_critic, and c or lambda where the algorithm has one).

    Examples
    --------
    >>> algorithm_settings("wgan")
    {'learning_rate': 0.0005, 'n_critic': 5, 'clip_value': 0.01}
    """
    row = algorithm_defaults(algorithm, "toy")
    settings = {"learning_rate": row.learning_rate, "n_critic": row.n_critic}
    settings.update({name: getattr(row, name) for name in ("clip_value", "penalty_weight") if getattr(row, name)})
    return settings


def settings_note(algorithm: str) -> str:
    """One line for the screen: ``algorithm``'s toy settings, the paper's values beside them and
    the table's reason for the difference (its ``source``)."""
    toy, paper = algorithm_defaults(algorithm, "toy"), algorithm_defaults(algorithm, "paper")
    optimizer = toy.optimizer if toy.optimizer == "rmsprop" else f"adam {toy.betas}"
    parts = [f"learning rate {toy.learning_rate:g} (paper {paper.learning_rate:g})", f"n_critic {toy.n_critic}"]
    if toy.clip_value:
        parts.append(f"c = {toy.clip_value:g} (paper {paper.clip_value:g})")
    if toy.penalty_weight:
        parts.append(f"lambda = {toy.penalty_weight:g} (paper {paper.penalty_weight:g})")
    return f"{algorithm} at toy scale: {optimizer}, {', '.join(parts)}. {toy.source}"


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


# A press draws n_samples points, solves their exact n x n transport problem and evaluates the
# critic on grid_size**2 points: bounded so that a press stays interactive (6000 points took 49 s
# to build and 6 s a press; grid_size = 20000 asked for 6 GB).
MAX_SAMPLES = 2048
MAX_GRID_SIZE = 400
_SAMPLES_WHY = "each press solves an n x n transport problem; 512 is interactive"
_GRID_WHY = "the critic is evaluated on grid_size**2 points each press; 80 is the default"


class Classroom:
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
        Points drawn per view and used for the exact plan and W1; 8 to :data:`MAX_SAMPLES` (each
        press solves an n x n transport problem: about 6 s a press at 6000 points).
    grid_size : int, default=80
        Heatmap resolution, 8 to :data:`MAX_GRID_SIZE` (the critic is evaluated on grid_size**2
        points each press).
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
        check_choice("algorithm", algorithm, ALGORITHMS)
        self.n_samples = check_constraint("n_samples", n_samples, size(MAX_SAMPLES, 8), _SAMPLES_WHY)
        self.grid_size = check_constraint("grid_size", grid_size, size(MAX_GRID_SIZE, 8), _GRID_WHY)
        self.projector = check_constraint("projector", projector, Boolean())  # "no" is not False
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
        seed) and restart at step 0; unknown names are an error that lists the valid ones.

        A new ``algorithm`` brings its own values (:func:`algorithm_settings`) for every setting
        not given in the same call, so that choosing 'wgan' after 'wgan-gp' trains with c = 0.01 and
        5e-4, not with the previous sliders. To change the learning rate, n_critic, c or lambda
        without a restart, use :meth:`adjust`.
        """
        allowed = ("dataset", "algorithm") + ADJUSTABLE + ("seed",)
        for name in settings:
            check_choice("setting", name, allowed)
        if "dataset" in settings:
            check_choice("dataset", settings["dataset"], CLASSROOM_DATASETS)
        if "algorithm" in settings:
            check_choice("algorithm", settings["algorithm"], ALGORITHMS)
            settings = {**algorithm_settings(settings["algorithm"]), **settings}
        previous = self.config
        self.config = dataclasses.replace(self.config, **settings)  # checks every value before anything changes
        if (self.config.dataset, self.config.seed) != (previous.dataset, previous.seed):
            self.figure = None  # new real points and a new field extent: a new figure, not the cached one
        self._build()
        self.draw()

    def adjust(self, **settings) -> str:
        """Change the learning rate, n_critic, c or lambda of the running session, without a restart.

        The optimisers' learning rate changes in place (their moments are kept); n_critic applies
        from the next iteration, c (wgan) from the next critic step's clipping (Algorithm 1, line 7),
        lambda (wgan-gp) from the next critic loss. Returns a one-line description for the screen.
        """
        for name in settings:
            check_choice("setting", name, ADJUSTABLE)
        self.config = dataclasses.replace(self.config, **settings)  # checks each value
        trainer = self.trainer
        trainer.config = dataclasses.replace(trainer.config, **settings)
        if "learning_rate" in settings:
            for optimizer in (trainer.critic_optimizer, trainer.generator_optimizer):
                for group in optimizer.param_groups:
                    group["lr"] = float(settings["learning_rate"])
        shown = ", ".join(f"{name} = {value:.3g}" for name, value in settings.items())
        return f"{shown}: applies from the next step, no restart (still at generator step {trainer.generator_step})"

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
        self.trainer.generator_step_update()
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
        """Measure the current state and append it as a frame (for the views and for replay).

        Only what changed is measured again: with the generator unchanged since the last frame
        (a critic step) the generated samples, their exact plan and W1 are that frame's; with the
        critic unchanged (a generator step) so is the field."""
        from .transport import exact_transport

        trainer = self.trainer
        last = self.frames[-1] if self.frames else None
        if last is not None and last["generator_step"] == trainer.generator_step:
            fake, partner, exact_w1 = last["fake"], last["partner"], last["exact_w1"]
        else:
            fake = trainer.generated()  # the fixed evaluation noise: samples move only when the generator does
            plan = exact_transport(fake, self.real)
            partner = plan.plan.argmax(axis=1)  # uniform weights: each fake goes to one real point
            exact_w1 = plan.cost
        if last is not None and last["critic_steps"] == trainer.critic_steps:
            field = last["field"]
        else:
            x0, x1, y0, y1 = self._field_extent()
            xs, ys = np.meshgrid(np.linspace(x0, x1, self.grid_size), np.linspace(y0, y1, self.grid_size))
            field = trainer.critic_values(np.stack([xs.ravel(), ys.ravel()], 1)).reshape(xs.shape)
            if not trainer.is_wgan:
                from scipy.special import expit  # the logistic sigmoid, stable for any logit

                field = expit(field)
        arrows = trainer.push(fake)  # minus the gradient of the generator's loss at each fake
        arrow_norm_max = float(np.linalg.norm(arrows, axis=1).max())
        arrow_scale = max(arrow_norm_max, last["arrow_scale"] if last else 0.0)  # the session's largest so far
        with torch.no_grad():
            real_out = trainer.critic(torch.as_tensor(self.real, dtype=torch.float32, device=trainer.device))
            fake_out = trainer.critic(torch.as_tensor(fake, dtype=torch.float32, device=trainer.device))
        estimate = trainer.loss_estimate(real_out, fake_out)
        self.frames.append(
            {
                "action": action,
                "generator_step": int(trainer.generator_step),
                "critic_steps": trainer.critic_steps,
                "estimate": estimate,
                "exact_w1": exact_w1,
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
        # unhinted glyphs: the per-press titles and labels draw ~40% faster (2.8 instead of 4.7 ms a
        # title), at the price of slightly softer text
        return {**(PROJECTOR_STYLE if self.projector else STYLE), "text.hinting": "none"}

    def set_projector(self, projector: bool) -> None:
        """Large fonts and thick lines on or off (the 'projector' box): a new figure, same session."""
        self.projector = bool(projector)
        self.figure = None
        self.draw()

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
            every = max(1, self.n_samples // 96)  # at most ~96 arrows stay readable
            self.arrow_every = every
            shown = np.zeros((len(range(0, self.n_samples, every)), 2))
            self.quiver = self.field_ax.quiver(
                *shown.T,
                *shown.T,
                color="black",
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
            self._floor_artists = []
            self._floor_drawn = None
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
            self.colorbar = self.figure.colorbar(self.image, ax=self.field_ax, shrink=0.85)
            # while the layout is made (once, in draw), labels as wide as _short_number's widest
            self.colorbar.formatter = FuncFormatter(lambda value, position: "-0.00075")
            (self.estimate_line,) = self.chart_ax.plot([], [], color=COLORS["em"], label="critic estimate")
            (self.exact_line,) = self.chart_ax.plot([], [], color="black", ls="--", label=r"exact $W_1$ (ot.emd)")
            self.chart_ax.set_xlabel("frame (one per button press)")
            self.chart_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            self.chart_ax.yaxis.set_major_formatter(FuncFormatter(lambda value, position: "-0.125"))  # as above
            self.chart_ax.grid(alpha=0.3)
            # made once, below the axes so that it covers no curve: only its text changes
            self.chart_legend = self.chart_ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
            self._layout_done = False
            self._background = None
            self._background_key = None
            self._colorbar_pixels = self._colorbar_box = None
            self._chart_left = None  # left of this pixel column the chart draws nothing (set at the layout)
            self._plan_drawn = None  # the (fake, partner) arrays the plan lines show
        # out of pyplot's list of open figures: Jupyter's inline backend would otherwise show it
        # again at the end of every cell; a cell shows it by returning ``draw()``'s value.
        # Closing leaves a bare canvas, so give it an Agg canvas of its own to render with.
        plt.close(self.figure)
        FigureCanvasAgg(self.figure)

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

    def draw(self, frame: dict | None = None):
        """Update both views to ``frame`` (default: the latest) and return the figure (a notebook
        cell that ends with ``classroom.draw()`` shows it once)."""
        if self.figure is None:
            self._create_figure()
        frame = frame or self.frames[-1]
        trainer = self.trainer
        with plt.rc_context(self._style()):
            field = frame["field"]
            self.image.set_data(field)
            if trainer.is_wgan:
                current = self.image.get_clim() if self._background_key is not None else None
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
            shown_plan = self._plan_drawn
            if shown_plan is None or shown_plan[0] is not fake or shown_plan[1] is not frame["partner"]:
                self.plan_lines.set_segments(np.stack([fake, self.real[frame["partner"]]], axis=1))
                self._plan_drawn = (fake, frame["partner"])  # held, so that their identity stays theirs
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
            self.field_legend.get_texts()[2].set_text(rf"arrows: $\nabla$ {loss}")
            self.arrow_text.set_text(
                f"largest here {frame['arrow_norm_max']:.1e}\n"
                f"length 0.4 = {frame['arrow_scale']:.1e}, the session's largest"
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
            # limits that move in steps (1-2-5 frames, round values): the background is redrawn only then
            last_x = max(5, len(shown) - 1)
            magnitude = 10 ** math.floor(math.log10(last_x))
            right = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= last_x)
            self.chart_ax.set_xlim(-0.5, right + 0.5)
            current = self.chart_ax.get_ylim() if self._background_key is not None else None
            self.chart_ax.set_ylim(*_stable_limits(current, min(values), max(values), below=0.05, above=0.15))
            self.chart_ax.set_title(
                f"estimate {frame['estimate']:.3f}   exact W1 {frame['exact_w1']:.3f}   "
                f"floor {self.floor['low']:.2f}-{self.floor['high']:.2f}"
            )
            if not self._layout_done:  # lay out once, then keep the layout: redraws get ~2x faster
                self.figure.canvas.draw()
                # with the layout's widest tick labels: the chart's side never reaches further left
                self._chart_left = math.floor(self.chart_ax.get_tightbbox(self.figure.canvas.get_renderer()).x0) - 2
                self.figure.set_layout_engine("none")
                self.colorbar.formatter = FuncFormatter(_short_number)
                self.chart_ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _short_number(value, digits=3)))
                self._layout_done = True
        return self.figure

    def _background_state(self) -> tuple:
        """Everything drawn in the cached background that a press can change, as ``(field side,
        chart side)``: when only the chart side moved, only the chart is redrawn."""
        field_side = (self.field_legend.get_texts()[2].get_text(),)
        chart_side = (
            self.chart_ax.get_xlim(),
            self.chart_ax.get_ylim(),
            self.chart_legend.get_texts()[0].get_text(),
            id(self._floor_drawn),
        )
        return field_side, chart_side

    def _colorbar_region(self, renderer):
        """The pixels the colour bar may cover: its tight box as drawn now, widened to the chart's
        frame on the right, where longer tick labels after a change of limits would reach (all of
        it is background there, so restoring it is exact)."""
        from matplotlib.transforms import Bbox

        tight = self.colorbar.ax.get_tightbbox(renderer).padded(3)
        right = max(tight.x1, self.chart_ax.bbox.x0 - 1)
        return Bbox.from_extents(tight.x0, tight.y0, right, tight.y1)

    def _redraw_chart_background(self) -> None:
        """Redraw the chart's side of the cached background (axes, ticks, legend, floor band) over the
        old one, for a change of the chart's limits, legend or floor. The figure's right part, from the
        chart's leftmost pixel at the layout (its widest tick labels) on, is painted with the figure's
        colour first, which is what a full render draws there before the chart: nothing else of the
        background lies there (the colour bar left of it is redrawn at each press), so the result is
        pixel for pixel the full render's."""
        from matplotlib.patches import Rectangle
        from matplotlib.transforms import IdentityTransform

        canvas = self.figure.canvas
        canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        width, height = canvas.get_width_height()
        blank = Rectangle(
            (self._chart_left, 0),
            width - self._chart_left,
            height,
            transform=IdentityTransform(),
            facecolor=self.figure.get_facecolor(),
            edgecolor="none",
            antialiased=False,
        )
        blank.set_figure(self.figure)
        blank.draw(renderer)
        self.chart_ax.draw(renderer)

    def render(self) -> np.ndarray:
        """The current figure as an RGBA array: the cached background (axes, ticks, legends, colour
        bar; redrawn when a limit or label moved) with the changing artists drawn over it."""
        if self.figure is None:
            self.draw()
        canvas = self.figure.canvas
        changing = self._changing_artists()
        with plt.rc_context(self._style()):
            state = self._background_state()
            if state != self._background_key:
                # hidden for the background; a title is emptied instead, which keeps its position
                titles = {id(ax.title): ax.title.get_text() for ax in (self.field_ax, self.chart_ax)}
                for artist in changing:
                    artist.set_text("") if id(artist) in titles else artist.set_visible(False)
                try:
                    if self._background_key is not None and state[0] == self._background_key[0]:
                        self._redraw_chart_background()  # only the chart moved: most background changes
                    else:
                        canvas.draw()
                finally:
                    for artist in changing:
                        artist.set_text(titles[id(artist)]) if id(artist) in titles else artist.set_visible(True)
                self._background = canvas.copy_from_bbox(self.figure.bbox)
                self._background_key = state
                self._colorbar_pixels = self._colorbar_box = None  # its box reaches into the chart's tick labels
            else:
                canvas.restore_region(self._background)
            renderer = canvas.get_renderer()
            for artist in changing:
                if artist is not self.colorbar.ax:
                    artist.draw(renderer)
                    continue
                # the colour bar as last drawn while its limits and label stay (most presses: _stable_limits)
                drawn = (self.image.get_clim(), artist.get_title())
                if self._colorbar_pixels is not None and self._colorbar_pixels[0] == drawn:
                    canvas.restore_region(self._colorbar_pixels[1])
                else:
                    artist.draw(renderer)
                    if self._colorbar_box is None:  # once per background: a tight box costs as much as the draw
                        self._colorbar_box = self._colorbar_region(renderer)
                    self._colorbar_pixels = (drawn, canvas.copy_from_bbox(self._colorbar_box))
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

    # ---------------------------------------------------------------- record and replay
    def save_metrics(self, path: str) -> str:
        """One JSON object per recorded frame: action, steps, estimate, exact W1."""
        with open(path, "w") as handle:
            for frame in self.frames:
                row = {key: frame[key] for key in ("action", "generator_step", "critic_steps", "estimate", "exact_w1")}
                handle.write(json.dumps(row) + "\n")
        return path

    def save_gif(self, path: str, fps: int = 4) -> str:
        """Every recorded frame as an animated GIF, ``fps`` frames a second, looping.

        Each frame is drawn as a press draws it (:meth:`render`: the changing artists over the cached
        background, pixel for pixel a full render), so a session records in a fraction of the time a
        full redraw per frame takes."""
        fps = check_int("fps", fps, minimum=1)
        pictures = []
        for frame in self.frames:
            self.draw(frame)
            pictures.append(self._picture())
        pictures[0].save(path, format="gif", save_all=True, append_images=pictures[1:], duration=1000 // fps, loop=0)
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
