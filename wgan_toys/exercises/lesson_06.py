r"""The checkers of lesson 06's exercises (``notebooks/06_*.ipynb``): 2D toys (Section 4, Figures 3-4; WGAN-GP).

See :mod:`wgan_toys.exercises` for what a checker prints and when it raises.
"""

from __future__ import annotations

import functools

from ._answers import Verdict, as_number, finish, is_unattempted, near


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
    "06.6": check_penalised_floor,
}
