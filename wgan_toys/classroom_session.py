"""The classroom's session: one :class:`~wgan_toys.toy_gan.ToyGAN` stepped by hand, measured after each
press (the critic's field, the generated samples, their exact plan and W1, the generator's arrows) and
recorded as frames.

:class:`ClassroomSession` is the training-and-measuring half of :class:`~wgan_toys.classroom.Classroom`;
the drawing half is :class:`~wgan_toys.classroom_view.ClassroomView`. A press method ends with
``self.draw()``, which the view provides.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import torch

from ._validation import check_choice, check_file_path, check_int
from .objectives import ALGORITHMS, algorithm_defaults
from .toy_gan import ToyConfig, ToyGAN

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "ClassroomSession",
    "CLASSROOM_ALGORITHMS",
    "CLASSROOM_DATASETS",
    "ADJUSTABLE",
    "algorithm_settings",
    "settings_note",
]

CLASSROOM_DATASETS = ("8gaussians", "25gaussians", "swissroll", "2clusters")

ADJUSTABLE = ("learning_rate", "n_critic", "clip_value", "penalty_weight")  # apply without a restart
CLASSROOM_ALGORITHMS = ALGORITHMS  # the dropdown's choices: wgan, wgan-gp, gan-minimax, gan-logd


PRESETS = {
    "paper": "the paper's claim: WGAN-GP at lambda = 10 (its Algorithm 1), the clipped critic's estimate over its slope K",
    "toy": "WGAN-GP's toy script: lambda = 0.1, every estimate as measured",
}


def _check_preset(preset: str) -> str:
    return check_choice("preset", preset, tuple(PRESETS))


# What the paper's preset changes from the toy rows of DEFAULTS, and why (the toy preset changes nothing).
# WGAN-GP takes the paper's lambda = 10, under which the penalty holds the critic's slope near 1. The
# clipped WGAN takes a smaller learning rate than the toy row's 5e-4: the generator then moves little
# enough per step that five critic steps keep the critic near its optimum, and estimate / K follows W1
# as a fraction of it (test_classroom checks the fraction and the correlation on 8 Gaussians); at 5e-4
# the critic falls behind and estimate / K drops to 0 while W1 is still above 1.
PAPER_PRESET: Mapping[str, dict[str, float | None]] = MappingProxyType(
    {
        "wgan-gp": {"penalty_weight": algorithm_defaults("wgan-gp", "paper").penalty_weight},
        "wgan": {"learning_rate": 2e-4},
    }
)


def algorithm_settings(algorithm: str, preset: str = "paper") -> dict:
    """What ``algorithm`` brings when it is chosen (the constructor's None, the algorithm dropdown,
    ``configure(algorithm=...)``): its row of :data:`~wgan_toys.objectives.DEFAULTS` at toy scale,
    the one table of defaults (learning rate, n_critic, and c or lambda where the algorithm has one),
    with :data:`PAPER_PRESET`'s changes under ``preset='paper'``: WGAN-GP's lambda = 10 (the paper
    row's, under which the estimate tracks W1) and the clipped WGAN's learning rate 2e-4 (under which
    its critic keeps up with the generator). ``preset='toy'`` keeps the toy rows as they are,
    lambda = 0.1 and its bias included.

    Examples
    --------
    >>> algorithm_settings("wgan"), algorithm_settings("wgan", "toy")["learning_rate"]
    ({'learning_rate': 0.0002, 'n_critic': 5, 'clip_value': 0.01}, 0.0005)
    >>> algorithm_settings("wgan-gp")["penalty_weight"], algorithm_settings("wgan-gp", "toy")["penalty_weight"]
    (10.0, 0.1)
    """
    row = algorithm_defaults(algorithm, "toy")
    settings: dict[str, float | None] = {"learning_rate": row.learning_rate, "n_critic": row.n_critic}
    settings.update({name: getattr(row, name) for name in ("clip_value", "penalty_weight") if getattr(row, name)})
    if _check_preset(preset) == "paper":
        settings.update(PAPER_PRESET.get(algorithm, {}))
    return settings


# what the chart's estimate is, by (algorithm, preset): the full sentence (a hover away on screen) and
# the brief one the widget shows on one line (at most BRIEF_NOTE_CHARS characters). A GAN's is the same
# under both presets.
_ESTIMATE_NOTES = {
    ("wgan-gp", "paper"): (
        "lambda = 10: the penalty holds the critic's slope near 1, so its estimate E_r f - E_g f tracks W1.",
        "lambda = 10: the penalty holds the critic's slope near 1, so its estimate E_r f - E_g f tracks W1.",
    ),
    ("wgan-gp", "toy"): (
        "lambda = 0.1 (the toy script's): the penalty lets the critic's slope grow above 1 and its estimate "
        "overshoot W1; for linear critics the optimum is W + W^2/(2 lambda) (lesson 04b). "
        "The paper's preset uses lambda = 10.",
        "lambda = 0.1 (toy script): the critic's slope can grow above 1 and its estimate overshoot W1 "
        "(W + W^2/(2 lambda), lesson 04b).",
    ),
    ("wgan", "paper"): (
        "chart: the clipped critic's estimate divided by its slope K, the largest |grad f| measured at the "
        "samples and the midpoints of their transport segments (a lower bound on its Lipschitz constant, so "
        "the ratio may exceed W1).",
        "chart: the clipped critic's estimate / its slope K (the largest |grad f| measured, a lower bound: "
        "the ratio may exceed W1).",
    ),
    ("wgan", "toy"): (
        "chart: the clipped critic's estimate as measured, W1 times the critic's slope K (about 1e-4 at "
        "c = 0.01): a line near 0 on W1's axis. The paper's preset divides it by K.",
        "chart: the clipped critic's estimate as measured, W1 times its slope K (about 1e-4 at c = 0.01): "
        "a line near 0.",
    ),
    ("gan", "paper"): (
        "chart: the GAN's JS estimate L/2 + log 2 on W1's axis (it measures JS, not W1).",
        "chart: the GAN's JS estimate L/2 + log 2 on W1's axis (it measures JS, not W1).",
    ),
}
BRIEF_NOTE_CHARS = 130  # one line of the widget's note at 14 px across a 1280 px screen's notebook


def estimate_note(algorithm: str, preset: str = "paper", brief: bool = False) -> str:
    """One line for the screen: what the chart's estimate is under ``preset``, and its bias.

    ``brief=True`` gives the shortened line the widget shows (at most :data:`BRIEF_NOTE_CHARS`
    characters, the bias still named; the full sentence is its hover text).

    Examples
    --------
    >>> "overshoot W1" in estimate_note("wgan-gp", "toy", brief=True)
    True
    """
    preset = _check_preset(preset)
    key = (algorithm, preset) if algorithm in ("wgan", "wgan-gp") else ("gan", "paper")
    full, short = _ESTIMATE_NOTES[key]
    return short if brief else full


def settings_note(algorithm: str, preset: str = "paper", brief: bool = False) -> str:
    """One line for the screen: ``algorithm``'s settings under ``preset``, the paper's values beside
    them and the table's reason for the difference (its ``source``; left out with ``brief=True``,
    the widget's line, whose hover text is the full note)."""
    name = algorithm
    toy, paper = algorithm_defaults(name, "toy"), algorithm_defaults(name, "paper")
    chosen = algorithm_settings(name, preset)
    optimizer = toy.optimizer if toy.optimizer == "rmsprop" else f"adam {toy.betas}"
    rate = f"learning rate {chosen['learning_rate']:g}"
    if chosen["learning_rate"] != toy.learning_rate:
        rate += f" (toy {toy.learning_rate:g}, paper {paper.learning_rate:g})"
    else:
        rate += f" (paper {paper.learning_rate:g})"
    parts = [rate, f"n_critic {toy.n_critic}"]
    if toy.clip_value:
        parts.append(f"c = {toy.clip_value:g} (paper {paper.clip_value:g})")
    if toy.penalty_weight:
        parts.append(f"lambda = {chosen['penalty_weight']:g} (paper {paper.penalty_weight:g})")
    line = f"{name} at toy scale: {optimizer}, {', '.join(parts)}."
    if brief:
        return line
    slower = chosen["learning_rate"] != toy.learning_rate
    why = " The paper's preset lowers the learning rate so that five critic steps keep up with the generator."
    return f"{line} {toy.source}.{why if slower else ''}"


@functools.lru_cache(maxsize=16)
def _real_and_floor(dataset: str, n_samples: int, seed: int) -> tuple[np.ndarray, dict]:
    """The session's real sample and its sample floor (the exact W1 between it and fresh samples of
    the same law: what a perfect generator would read), computed once per data set, size and seed:
    a reset or a new algorithm keeps them, and a data set chosen again finds them (ten ``ot.emd``
    solves at ``n_samples`` points)."""
    from .toys2d import make_dataset, sample_floor

    law = make_dataset(dataset)  # the same law as the session's ToyGAN draws its batches from
    real = law.sample(n_samples, seed=seed + 5)
    floor = sample_floor(law, n_samples, repeats=10, seed=seed + 6, reference=real)
    return real, floor


# the exact plans of step 0's generated samples (the same for every algorithm: the generator and its
# evaluation noise depend only on the seed and the network's shape) to each data set's real sample
_STEP_0_PLANS: dict[tuple, tuple[np.ndarray, float]] = {}
_MAX_STEP_0_PLANS = 64


def _exact_plan(fake: np.ndarray, real: np.ndarray) -> tuple[np.ndarray, float]:
    """Each generated point's partner in the exact plan to the real sample (uniform weights: one
    real point each), and the plan's cost, W1 between the two samples."""
    from .transport import exact_transport

    plan = exact_transport(fake, real)
    return plan.plan.argmax(axis=1), plan.cost


def _step_0_plan(dataset: str, n_samples: int, seed: int, fake: np.ndarray, real: np.ndarray) -> tuple:
    """:func:`_exact_plan` of step 0's samples, solved once per data set, size, seed and samples: a new
    algorithm, a reset or a data set chosen again starts with no ``ot.emd`` solve."""
    key = (dataset, n_samples, seed, hashlib.sha1(np.ascontiguousarray(fake).tobytes()).hexdigest())
    found = _STEP_0_PLANS.get(key)
    if found is None:
        found = _exact_plan(fake, real)
        while len(_STEP_0_PLANS) >= _MAX_STEP_0_PLANS:
            _STEP_0_PLANS.pop(next(iter(_STEP_0_PLANS)), None)
        _STEP_0_PLANS[key] = found
    return found


class ClassroomSession:
    """Training and measuring: the state a press changes (``config``, ``trainer``, ``real``, ``floor``,
    ``frames``). A subclass sets ``config``, ``n_samples`` and ``grid_size``, then calls ``_build``, and
    provides ``draw``."""

    # set by the subclass before ``_build``
    config: ToyConfig
    preset: str
    n_samples: int
    grid_size: int

    if TYPE_CHECKING:  # provided by ClassroomView

        def draw(self, frame: dict | None = None) -> Figure: ...

    # ---------------------------------------------------------------- state
    def _build(self) -> None:
        self.trainer = ToyGAN(self.config)
        self.frames: list[dict] = []
        self.real, self.floor = _real_and_floor(self.config.dataset, self.n_samples, self.config.seed)
        self._capture("start")

    def reset(self, _button=None) -> None:
        """Back to step 0 with the current settings (the 'reset' button)."""
        self._build()
        self.draw()

    def configure(self, **settings) -> None:
        """Change settings (dataset, algorithm, preset, learning_rate, n_critic, clip_value,
        penalty_weight, seed) and restart at step 0; unknown names are an error that lists the valid ones.

        A new ``algorithm`` or ``preset`` brings the algorithm's values under the preset
        (:func:`algorithm_settings`) for every setting not given in the same call, so that choosing 'wgan' after 'wgan-gp' trains with c = 0.01 and
        5e-4, not with the previous sliders. To change the learning rate, n_critic, c or lambda
        without a restart, use :meth:`adjust`.
        """
        allowed = ("dataset", "algorithm", "preset") + ADJUSTABLE + ("seed",)
        for name in settings:
            check_choice("setting", name, allowed)
        if "dataset" in settings:
            check_choice("dataset", settings["dataset"], CLASSROOM_DATASETS)
        preset = _check_preset(settings.pop("preset", self.preset))
        if "algorithm" in settings or preset != self.preset:
            algorithm = check_choice("algorithm", settings.get("algorithm", self.config.algorithm), ALGORITHMS)
            settings["algorithm"] = algorithm
            settings = {**algorithm_settings(algorithm, preset), **settings}
        self.config = dataclasses.replace(self.config, **settings)  # checks every value before anything changes
        self.preset = preset
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

    def prepare_data_sets(self):
        """Compute the other data sets' real samples, sample floors and step 0's exact plans in a
        background thread (the widget starts it once its picture is shown), so that choosing one
        later finds them: a data-set change then costs a new session and a redraw, not eleven
        ``ot.emd`` solves. The thread first imports what the first step needs and drawing step 0 did
        not (the optimisers, made at their first use, load ``torch._dynamo``)."""
        import threading

        start = self.frames[0] if self.frames and self.frames[0]["generator_step"] == 0 else None

        def prepare(n_samples=self.n_samples, seed=self.config.seed):
            # what the first press needs and step 0 did not: the optimisers' torch._dynamo (1-3 s of imports)
            import torch._dynamo  # noqa: F401

            for dataset in CLASSROOM_DATASETS:
                real, _ = _real_and_floor(dataset, n_samples, seed)
                if start is not None:
                    _step_0_plan(dataset, n_samples, seed, start["fake"], real)

        thread = threading.Thread(target=prepare, name="classroom-floors", daemon=True)
        thread.start()
        return thread

    # ---------------------------------------------------------------- measuring
    def _field_extent(self) -> tuple[float, float, float, float]:
        low, high = self.real.min(0) - 1.0, self.real.max(0) + 1.0
        return (low[0], high[0], low[1], high[1])

    def _capture(self, action: str) -> None:
        """Measure the current state and append it as a frame (for the views and for replay).

        Only what changed is measured again: with the generator unchanged since the last frame
        (a critic step) the generated samples, their exact plan and W1 are that frame's; with the
        critic unchanged (a generator step) so is the field.

        A frame's ``estimate`` is eq. (3) (or the GAN's JS estimate) as measured; ``slope`` is the
        critic's measured slope K (:meth:`_measure_slope`, None for a GAN); ``shown`` is what the
        chart plots: the estimate divided by K for the clipped critic under the paper's preset
        (``scaled``), else the estimate."""
        trainer = self.trainer
        last = self.frames[-1] if self.frames else None
        fake, partner, exact_w1 = self._measure_samples(last)
        field = self._measure_field(last)
        arrows = trainer.push(fake)  # minus the gradient of the generator's loss at each fake
        arrow_norm_max = float(np.linalg.norm(arrows, axis=1).max())
        arrow_scale = max(arrow_norm_max, last["arrow_scale"] if last else 0.0)  # the session's largest so far
        with torch.no_grad():
            real_out = trainer.critic(torch.as_tensor(self.real, dtype=torch.float32, device=trainer.device))
            fake_out = trainer.critic(torch.as_tensor(fake, dtype=torch.float32, device=trainer.device))
        estimate = trainer.loss_estimate(real_out, fake_out)
        slope = self._measure_slope(fake, partner) if trainer.is_wgan else None
        scaled = self.preset == "paper" and self.config.algorithm == "wgan"
        self.frames.append(
            {
                "action": action,
                "generator_step": int(trainer.generator_step),
                "critic_steps": trainer.critic_steps,
                "estimate": estimate,
                "exact_w1": exact_w1,
                "slope": slope,
                "scaled": scaled,  # the chart shows estimate / K (0 / 0 at a constant critic: shown as 0)
                "shown": estimate / slope if scaled and slope else estimate,
                "fake": fake,
                "field": field,
                "arrows": arrows,
                "arrow_norm_max": arrow_norm_max,
                "arrow_scale": arrow_scale,
                "partner": partner,
            }
        )

    def _measure_samples(self, last: dict | None) -> tuple:
        """The generated samples, each one's partner in the exact plan to the real sample, and W1."""
        if last is not None and last["generator_step"] == self.trainer.generator_step:
            return last["fake"], last["partner"], last["exact_w1"]
        fake = self.trainer.generated()  # the fixed evaluation noise: samples move only when the generator does
        if self.trainer.generator_step == 0:
            partner, cost = _step_0_plan(self.config.dataset, self.n_samples, self.config.seed, fake, self.real)
        else:
            partner, cost = _exact_plan(fake, self.real)
        return fake, partner, cost

    def _measure_field(self, last: dict | None) -> np.ndarray:
        """The critic's values (or the discriminator's D) on the grid over the field."""
        trainer = self.trainer
        if last is not None and last["critic_steps"] == trainer.critic_steps:
            return last["field"]
        x0, x1, y0, y1 = self._field_extent()
        xs, ys = np.meshgrid(np.linspace(x0, x1, self.grid_size), np.linspace(y0, y1, self.grid_size))
        field = trainer.critic_values(np.stack([xs.ravel(), ys.ravel()], 1)).reshape(xs.shape)
        if not trainer.is_wgan:
            from scipy.special import expit  # the logistic sigmoid, stable for any logit

            field = expit(field)
        return field

    def _measure_slope(self, fake: np.ndarray, partner: np.ndarray) -> float:
        """The critic's slope K: the largest gradient norm of f_w at the real and generated samples and
        at the midpoints of the exact plan's segments (where an optimal critic has slope 1, Gulrajani
        et al. Prop. 1). A lower bound on f_w's Lipschitz constant, so estimate / K may exceed W1."""
        from .lipschitz import gradient_norms

        trainer = self.trainer
        points = np.concatenate([self.real, fake, 0.5 * (fake + self.real[partner])])
        tensor = torch.as_tensor(points, dtype=torch.float32, device=trainer.device)
        return float(gradient_norms(trainer.critic, tensor).max())

    # ---------------------------------------------------------------- record and replay
    def save_metrics(self, path: str) -> str:
        """One JSON object per recorded frame: action, steps, estimate, exact W1."""
        with open(check_file_path("path", path), "w") as handle:
            for frame in self.frames:
                row = {key: frame[key] for key in ("action", "generator_step", "critic_steps", "estimate", "exact_w1")}
                handle.write(json.dumps(row) + "\n")
        return path
