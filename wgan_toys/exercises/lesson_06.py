r"""The checkers of lesson 06's exercises (``notebooks/06_*.ipynb``): 2D toys (Section 4, Figures 3-4; WGAN-GP).

See :mod:`wgan_toys.exercises` for what a checker prints and when it raises. The references that train come from
short seeded runs on the CPU with the trainer's defaults (one thread in the tests), each computed once per process.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from .._validation import as_real_array
from ._answers import (
    AnswerShapeError,
    AnswerTypeError,
    Verdict,
    as_number,
    as_numbers,
    describe,
    finish,
    is_unattempted,
    near,
)

# --- 06.1: the sample floor of 25 Gaussians -------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _floor(dataset: str, n: int) -> dict:
    """``toys2d.sample_floor`` as the run charts draw it (``plots.figure_toy_run``: 4 pairs, seed 0)."""
    from ..toys2d import make_dataset, sample_floor

    return sample_floor(make_dataset(dataset), n, repeats=4, seed=0)


def check_sample_floor_25(answer, strict: bool = False) -> Verdict:
    r"""Exercise 06.1: the sample floor that the exact-:math:`W_1` chart of a ``25gaussians`` run carries: the mean
    exact :math:`W_1` between two real samples of ``eval_samples`` = 1000 points, over the chart's 4 seeded pairs
    (``plots.figure_toy_run(trainer).floor["mean"]``, i.e.
    ``toys2d.sample_floor(make_dataset("25gaussians"), 1000, repeats=4, seed=0)["mean"]``).

    Figure 3 plots the critic's estimate against training; the exact :math:`W_1` beside it measures the generator
    only down to this floor, what a perfect generator reads with 1000 points (not 0). Reference:
    :func:`~wgan_toys.toys2d.sample_floor` (exact plans by ``ot.emd``); tolerance 1% relative.
    """
    exercise = "06.1"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the mean sample floor of 25gaussians at n = 1000")
    floor = _floor("25gaussians", 1000)
    if near(value, floor["mean"], 0.01):
        return finish(
            exercise,
            "right",
            f"floor {floor['mean']:.3f}: what a perfect generator reads at n = 1000; set the run's final W1 beside it",
            strict,
        )
    if near(value, floor["low"], 0.01) or near(value, floor["high"], 0.01):
        return finish(
            exercise, "wrong", "that is one end of the grey band; the answer is the mean of its draws.", strict
        )
    if near(value, _floor("8gaussians", 1000)["mean"], 0.01):
        return finish(
            exercise,
            "wrong",
            "that is the floor of 8 Gaussians (section 3's floor); the floor depends on the law: redraw the chart.",
            strict,
        )
    if near(value, _floor("25gaussians", 256)["mean"], 0.01):
        return finish(
            exercise,
            "wrong",
            "that floor is at n = 256, the batch size; the exact W1 is measured on eval_samples = 1000 points.",
            strict,
        )
    return finish(
        exercise,
        "wrong",
        "draw plots.figure_toy_run(trainer) for the 25gaussians run and read its floor['mean'] (toys2d.sample_floor).",
        strict,
    )


# --- 06.2: the GIF's frames --------------------------------------------------------------------------------------

FRAME_RUN = {"iterations": 100, "log_every": 30}  # the run whose GIF frames exercise 06.2 asks for


@functools.lru_cache(maxsize=None)
def _frame_steps(iterations: int, log_every: int) -> tuple[int, ...]:
    """The generator steps of ``ToyGAN.train``'s snapshots (one GIF frame each) for ``iterations`` and ``log_every``.

    The schedule depends on nothing else, so the run uses 2-unit networks and 2-point evaluations.
    """
    from ..toy_gan import ToyConfig, ToyGAN

    config = ToyConfig(
        algorithm="gan-minimax",
        iterations=iterations,
        log_every=log_every,
        width=2,
        depth=1,
        batch_size=2,
        eval_samples=2,
        seed=0,
    )
    trainer = ToyGAN(config)
    trainer.train()
    return tuple(step for step, _ in trainer.snapshots)


def _as_steps(exercise: str, answer, what: str) -> tuple[int, ...]:
    """``answer`` as sorted whole numbers (a list, tuple, set or array of steps), or a :class:`MalformedAnswer`."""
    expected = f"a list of generator steps, whole numbers: {what}"
    if isinstance(answer, (str, bytes, dict)) or not hasattr(answer, "__iter__"):
        raise AnswerTypeError(exercise, describe(answer), expected)
    try:
        array = as_real_array(f"answer for exercise {exercise}", list(answer))
    except (TypeError, ValueError):
        raise AnswerTypeError(exercise, describe(answer) + ", which is not numbers only", expected) from None
    if array.ndim != 1 or not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
        raise AnswerShapeError(exercise, f"is {answer!r}", expected)
    return tuple(sorted(int(step) for step in array))


def check_gif_frame_steps(answer, strict: bool = False) -> Verdict:
    r"""Exercise 06.2: the generator steps that the frames of ``plots.save_samples_animation`` show for a run of
    ``ToyConfig(iterations=100, log_every=30)``: one frame per evaluation of :meth:`~wgan_toys.toy_gan.ToyGAN.train`
    (``trainer.snapshots``), so "at which step do all 8 modes appear" is answered to ``log_every`` steps.

    ``train`` evaluates the untrained generator at step 0, every ``log_every`` generator steps (Algorithm 1's outer
    loop) and once more at the end. Reference: the snapshots of a seeded ``train()`` with those two settings
    (the schedule depends on no other); exact.
    """
    exercise = "06.2"
    what = "the generator steps of the GIF's frames for iterations=100, log_every=30"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    steps = _as_steps(exercise, answer, what)
    reference = _frame_steps(**FRAME_RUN)
    if steps == reference:
        return finish(exercise, "right", f"{len(reference)} frames: step 0, every log_every steps, and the end", strict)
    interior = tuple(step for step in reference if 0 < step < FRAME_RUN["iterations"])
    if steps == interior:
        return finish(
            exercise, "wrong", "train() also evaluates before the first step and once more when it stops.", strict
        )
    if steps == (0,) + interior:
        return finish(
            exercise,
            "wrong",
            "100 is not a multiple of 30: train() evaluates once more at its last step.",
            strict,
        )
    if steps == interior + (FRAME_RUN["iterations"],):
        return finish(exercise, "wrong", "train() evaluates the untrained generator at step 0 too.", strict)
    return finish(
        exercise, "wrong", "one frame per row of trainer.history: read [step for step, _ in trainer.snapshots].", strict
    )


# --- 06.3: the clipped critic's estimate at c = 0.05 against c = 0.01 -------------------------------------------

CLIP_STEPS = 50  # critic steps against the untrained generator in exercise 06.3


@functools.lru_cache(maxsize=None)
def _clipped_estimates(steps: int = CLIP_STEPS) -> dict:
    r"""The clipped critic's estimate after ``steps`` critic steps against the untrained generator, for c = 0.01 and
    0.05 (``ToyConfig(algorithm="wgan", seed=0)``), on the batches that ``evaluate()`` would draw next, and the
    clipped family's bound :math:`\prod_l c\sqrt{n_{l-1} n_l}` for each c."""
    import torch

    from ..toy_gan import ToyConfig, ToyGAN

    estimates, bounds = {}, {}
    for clip_value in (0.01, 0.05):
        trainer = ToyGAN(ToyConfig(algorithm="wgan", clip_value=clip_value, seed=0))
        for _ in range(steps):
            trainer.critic_step()
        n = trainer.config.eval_samples
        real = trainer.real_batch(n)  # evaluate()'s draws, in its order, without its exact transport
        with torch.no_grad():
            fake = trainer.generator(trainer.noise(n))
            estimates[clip_value] = trainer.loss_estimate(trainer.critic(real), trainer.critic(fake))
        shapes = [p.shape for name, p in trainer.critic.named_parameters() if name.endswith("weight")]
        bounds[clip_value] = math.prod(clip_value * math.sqrt(rows * columns) for rows, columns in shapes)
    return {"estimates": estimates, "bounds": bounds, "layers": len(shapes)}


def check_clip_estimate_ratio(answer, strict: bool = False) -> Verdict:
    r"""Exercise 06.3: how many times larger the clipped critic's estimate is at c = 0.05 than at c = 0.01, each
    after 50 critic steps (no generator step) from ``ToyGAN(ToyConfig(algorithm="wgan", clip_value=c, seed=0))``,
    read from ``evaluate()["wasserstein_estimate"]``.

    Both critics face the same untrained generator on the same batches, so the ratio is that of their effective
    slopes (estimate / :math:`W_1`, lesson 04). Algorithm 1, line 7 bounds the family's Lipschitz constant by
    :math:`\prod_l c\sqrt{n_{l-1} n_l}`, whose ratio :math:`(0.05/0.01)^L` is a prediction from a bound, not the
    measurement. Reference: the same seeded runs; tolerance 3% relative.
    """
    exercise = "06.3"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "estimate at c = 0.05 / estimate at c = 0.01")
    measured = _clipped_estimates()
    estimates, layers = measured["estimates"], measured["layers"]
    reference = estimates[0.05] / estimates[0.01]
    if near(value, reference, 0.03):
        return finish(
            exercise,
            "right",
            f"{reference:.0f}x, against (0.05/0.01)^{layers} = {5**layers} for the bounds: the slopes are measured",
            strict,
        )
    if near(value, 1 / reference, 0.03):
        return finish(
            exercise, "wrong", "your ratio is upside down: the estimate at c = 0.05 over that at 0.01.", strict
        )
    if near(value, 5.0, 0.03):
        return finish(
            exercise,
            "wrong",
            "the estimate is not linear in c: every layer's weights are clipped, the layers multiply.",
            strict,
        )
    if any(near(value, 5.0**power, 0.03) for power in range(2, layers + 2)):
        return finish(
            exercise,
            "wrong",
            "that is a ratio of the family's bounds, (0.05/0.01)^L: a prediction; measure the two estimates.",
            strict,
        )
    return finish(
        exercise,
        "wrong",
        "train two fresh critics 50 steps each (trainer.critic_step()), then divide their evaluate() estimates.",
        strict,
    )


# --- 06.4: mode collapse as the scores see it -------------------------------------------------------------------

COLLAPSE_MODES, COLLAPSE_SAMPLES = 3, 10_000  # exercise 06.4: the first 3 of 8 modes, 10000 points, seed 0


@functools.lru_cache(maxsize=None)
def _collapse_scores() -> tuple[float, float]:
    """(modes_covered, high_quality_fraction) by ``toys2d.mode_coverage`` against 8 Gaussians of a sample of the
    8 Gaussians' law restricted to its first 3 modes."""
    from ..toys2d import ToyDataset, make_dataset, mode_coverage

    real = make_dataset("8gaussians")
    collapsed = ToyDataset("collapsed", real.centers[:COLLAPSE_MODES], real.mode_std)
    score = mode_coverage(real, collapsed.sample(COLLAPSE_SAMPLES, seed=0))
    return float(score["modes_covered"]), score["high_quality_fraction"]


def check_collapse_scores(answer, strict: bool = False) -> Verdict:
    r"""Exercise 06.4: ``(modes_covered, high_quality_fraction)`` that ``toys2d.mode_coverage`` gives, against
    ``8gaussians``, to a collapsed generator's sample: 10000 points of the first 3 of the 8 modes, equally weighted,
    with the modes' own spread (``ToyDataset("collapsed", real.centers[:3], real.mode_std).sample(10000, seed=0)``).

    Section 4.3's mode collapse shows as few modes at high quality. Reference: that seeded sample scored by
    :func:`~wgan_toys.toys2d.mode_coverage`; the count exact, the fraction within 0.003 (its exact value for any
    sample size is :math:`P(\chi^2_2 \le 9) = 1 - e^{-9/2}`, inside that tolerance).
    """
    exercise = "06.4"
    what = "(modes_covered, high_quality_fraction) of the collapsed sample"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    modes, fraction = as_numbers(exercise, answer, 2, what)
    reference_modes, reference_fraction = _collapse_scores()
    modes_right, fraction_right = modes == reference_modes, near(fraction, reference_fraction, 0.0, 0.003)
    if modes_right and fraction_right:
        return finish(
            exercise,
            "right",
            f"{reference_modes:.0f}/8 modes at quality {reference_fraction:.3f}, as high as the real data's: collapse",
            strict,
        )
    if near(modes, reference_fraction, 0.0, 0.003) and fraction == reference_modes:
        return finish(exercise, "wrong", "your two numbers are in the other order: (modes, fraction).", strict)
    if not modes_right:
        if modes == 8:
            return finish(
                exercise, "wrong", "8 is the number of modes of the real law; count those the sample covers.", strict
            )
        if modes == 8 - COLLAPSE_MODES:
            return finish(exercise, "wrong", "you counted the modes the sample misses; count those it covers.", strict)
        return finish(
            exercise, "wrong", "a mode is covered when at least 1% of the points lie within 3 sd of it.", strict
        )
    if near(fraction, reference_modes / 8, 0.0, 0.003):
        return finish(
            exercise,
            "wrong",
            "the high-quality fraction is the share of points near some mode, not the share of modes covered.",
            strict,
        )
    if near(fraction, math.erf(3 / math.sqrt(2)), 0.0, 0.001):
        return finish(
            exercise,
            "wrong",
            "0.9973 is the 1D three-sigma rule; in 2D a disk of radius 3 sd holds less of the mass.",
            strict,
        )
    if near(fraction, 1.0, 0.0, 0.001):
        return finish(
            exercise, "wrong", "not every point of a Gaussian lies within 3 standard deviations of its centre.", strict
        )
    return finish(exercise, "wrong", "score the sample with toys2d.mode_coverage(real, sample).", strict)


# --- 06.5: the momentum test at ten times the learning rate ----------------------------------------------------

MOMENTUM_RUN: dict[str, Any] = {
    "algorithm": "wgan",
    "critic_optimizer": "adam",
    "learning_rate": 5e-3,
    "log_every": 5,
    "seed": 0,
}


@functools.lru_cache(maxsize=None)
def _momentum_row() -> dict:
    """The row at generator step 5 of ``ToyGAN(ToyConfig(**MOMENTUM_RUN)).train()`` (about 0.4 s)."""
    from ..toy_gan import ToyConfig, ToyGAN

    trainer = ToyGAN(ToyConfig(iterations=5, **MOMENTUM_RUN))
    history = trainer.train()
    return {"start": history[0], "row": history[-1], "critic_steps": trainer.critic_steps}


def check_momentum_runaway(answer, strict: bool = False) -> Verdict:
    r"""Exercise 06.5: ``(exact_w1, negative_cosine_share)`` of the row at generator step 5 of
    ``ToyGAN(ToyConfig(algorithm="wgan", critic_optimizer="adam", learning_rate=5e-3, log_every=5, seed=0)).train()``.

    Section 4.2: with Adam on the critic "the cosine between the Adam step and the gradient usually turned
    negative" as the loss blew up; the trainer logs the share of critic steps since the last row whose step had a
    negative cosine with the ascent direction. Reference: the same seeded run (5 generator steps); tolerance 0.5%
    relative on the exact :math:`W_1`, 0.005 absolute on the share.
    """
    exercise = "06.5"
    what = "(exact_w1, negative_cosine_share) of the row at generator step 5"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    distance, share = as_numbers(exercise, answer, 2, what)
    run = _momentum_row()
    row, start = run["row"], run["start"]
    distance_right = near(distance, row["exact_w1"], 0.005)
    share_right = near(share, row["negative_cosine_share"], 0.0, 0.005)
    if distance_right and share_right:
        return finish(
            exercise,
            "right",
            f"W1 {start['exact_w1']:.2f} -> {row['exact_w1']:.1f} in 5 steps; share {row['negative_cosine_share']:.2f}",
            strict,
        )
    if not distance_right:
        if near(distance, start["exact_w1"], 0.005):
            return finish(
                exercise, "wrong", "that exact W1 is the row at step 0 (history[0]); take the row at step 5.", strict
            )
        if near(distance, row["wasserstein_estimate"], 0.005, 1e-6):
            return finish(
                exercise, "wrong", "that is the critic's estimate; the first number is the row's exact_w1.", strict
            )
        if share == 0 and not near(distance, row["exact_w1"], 0.05):
            return finish(
                exercise,
                "wrong",
                "a share of 0 and another W1: is the critic's optimiser Adam, at learning_rate=5e-3?",
                strict,
            )
        return finish(
            exercise,
            "wrong",
            "train with exactly these settings (log_every=5, seed 0) and take the row at generator step 5.",
            strict,
        )
    negatives = row["negative_cosine_share"] * run["critic_steps"]
    if near(share, negatives, 0.0, 1e-9) and negatives >= 1:
        return finish(
            exercise, "wrong", "that is a count of critic steps; the share divides it by their number.", strict
        )
    if near(share, negatives / row["generator_step"], 0.0, 1e-9):
        return finish(
            exercise,
            "wrong",
            "the share is over critic steps (n_critic per generator step), not generator steps.",
            strict,
        )
    return finish(exercise, "wrong", "read the row's negative_cosine_share, a fraction of the critic steps.", strict)


# --- 06.6: the penalised critic's floor ----------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _untrained_toy_w1() -> tuple[float, float]:
    """(exact_w1 at step 0, penalty_weight) of the seed-0 WGAN-GP toy on 8 Gaussians (computed once per process)."""
    from ..toy_gan import ToyConfig, ToyGAN

    trainer = ToyGAN(ToyConfig(dataset="8gaussians", algorithm="wgan-gp", seed=0))
    return trainer.evaluate()["exact_w1"], trainer.config.penalty_weight


def check_penalised_floor(answer, strict: bool = False) -> Verdict:
    r"""Exercise 06.6: the value a fully trained WGAN-GP critic's estimate must at least reach against the
    *untrained* generator of ``ToyGAN(ToyConfig(dataset="8gaussians", algorithm="wgan-gp", seed=0))``:
    :math:`W + W^2/(2\lambda)` with W the ``exact_w1`` of its step-0 ``evaluate()`` and :math:`\lambda` its
    ``penalty_weight``.

    WGAN-GP's objective over the scaled optimal critics is :math:`J(s) = sW - \lambda(s - 1)^2`, maximised at
    :math:`s^* W = W + W^2/(2\lambda)`, a lower bound on the optimum over all critics
    (:func:`~wgan_toys.optimal.gradient_penalty_prediction`). Tolerance 1e-6 relative.
    """
    exercise = "06.6"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "W + W^2 / (2 lambda) at step 0")
    from ..optimal import gradient_penalty_prediction

    distance, penalty_weight = _untrained_toy_w1()
    reference = gradient_penalty_prediction(distance, penalty_weight)["estimate"]
    if near(value, reference, 1e-6):
        return finish(
            exercise, "right", f"W = {distance:.4f}, bound {reference:.4f}: above W, the penalty's bias", strict
        )
    if near(value, distance, 1e-6):
        return finish(
            exercise,
            "wrong",
            "that is W itself; the penalised optimum is above it (maximise sW - lambda (s - 1)^2).",
            strict,
        )
    if near(value, distance + distance**2 / penalty_weight, 1e-6):
        return finish(
            exercise, "wrong", "your bias is twice the reference: did you forget the 1/2 in W^2 / (2 lambda)?", strict
        )
    if near(value, distance**2 / (2 * penalty_weight), 1e-6):
        return finish(exercise, "wrong", "that is the bias alone; the bound is W plus it.", strict)
    return finish(
        exercise, "wrong", "take exact_w1 from a fresh trainer's evaluate() and the config's penalty_weight.", strict
    )


CHECKERS = {
    "06.1": check_sample_floor_25,
    "06.2": check_gif_frame_steps,
    "06.3": check_clip_estimate_ratio,
    "06.4": check_collapse_scores,
    "06.5": check_momentum_runaway,
    "06.6": check_penalised_floor,
}
