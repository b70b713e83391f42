"""The classroom's session: one :class:`~wgan_toys.toy_gan.ToyGAN` stepped by hand, measured after each
press (the critic's field, the generated samples, their exact plan and W1, the generator's arrows) and
recorded as frames.

:class:`ClassroomSession` is the training-and-measuring half of :class:`~wgan_toys.classroom.Classroom`;
the drawing half is :class:`~wgan_toys.classroom_view.ClassroomView`. A press method ends with
``self.draw()``, which the view provides.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import torch

from ._validation import check_choice, check_int
from .objectives import ALGORITHMS, algorithm_defaults, resolve_algorithm
from .toy_gan import ToyGAN

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


def algorithm_settings(algorithm: str) -> dict:
    """What ``algorithm`` brings when it is chosen (the constructor's None, the algorithm dropdown,
    ``configure(algorithm=...)``): its row of :data:`~wgan_toys.objectives.DEFAULTS` at toy scale,
    the one table of defaults (learning rate, n_critic, and c or lambda where the algorithm has one).

    Examples
    --------
    >>> algorithm_settings("wgan")
    {'learning_rate': 0.0005, 'n_critic': 5, 'clip_value': 0.01}
    """
    row = algorithm_defaults(resolve_algorithm(algorithm, "toy", warn=False)[0], "toy")
    settings = {"learning_rate": row.learning_rate, "n_critic": row.n_critic}
    settings.update({name: getattr(row, name) for name in ("clip_value", "penalty_weight") if getattr(row, name)})
    return settings


def settings_note(algorithm: str) -> str:
    """One line for the screen: ``algorithm``'s toy settings, the paper's values beside them and
    the table's reason for the difference (its ``source``)."""
    name = resolve_algorithm(algorithm, "toy", warn=False)[0]
    toy, paper = algorithm_defaults(name, "toy"), algorithm_defaults(name, "paper")
    optimizer = toy.optimizer if toy.optimizer == "rmsprop" else f"adam {toy.betas}"
    parts = [f"learning rate {toy.learning_rate:g} (paper {paper.learning_rate:g})", f"n_critic {toy.n_critic}"]
    if toy.clip_value:
        parts.append(f"c = {toy.clip_value:g} (paper {paper.clip_value:g})")
    if toy.penalty_weight:
        parts.append(f"lambda = {toy.penalty_weight:g} (paper {paper.penalty_weight:g})")
    return f"{name} at toy scale: {optimizer}, {', '.join(parts)}. {toy.source}"


class ClassroomSession:
    """Training and measuring: the state a press changes (``config``, ``trainer``, ``real``, ``floor``,
    ``frames``). A subclass sets ``config``, ``n_samples`` and ``grid_size``, then calls ``_build``, and
    provides ``draw``."""

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
            settings["algorithm"] = resolve_algorithm(settings["algorithm"], "toy")[0]
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

    # ---------------------------------------------------------------- record and replay
    def save_metrics(self, path: str) -> str:
        """One JSON object per recorded frame: action, steps, estimate, exact W1."""
        with open(path, "w") as handle:
            for frame in self.frames:
                row = {key: frame[key] for key in ("action", "generator_step", "critic_steps", "estimate", "exact_w1")}
                handle.write(json.dumps(row) + "\n")
        return path
