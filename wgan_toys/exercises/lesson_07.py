r"""The checkers of lesson 07's exercises (``notebooks/07_*.ipynb``): images (Section 4, Algorithm 1).

See :mod:`wgan_toys.exercises` for what a checker prints and when it raises.
"""

from __future__ import annotations

from ._answers import Verdict, as_number, finish, is_unattempted, near


def check_paper_code_critic_steps(answer, strict: bool = False) -> Verdict:
    r"""Exercise 07.4: the number of critic steps in a 300-generator-step run with ``critic_schedule="paper-code"``.

    Algorithm 1 takes :math:`n_{\text{critic}} = 5` critic steps per generator step; the paper's code takes 100 for
    the first 25 generator steps and every 500th. Reference: ``ImageConfig.critic_iterations`` summed over the run;
    exact.
    """
    exercise = "07.4"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the critic steps of a 300-step paper-code run")
    from ..images.trainer import ImageConfig

    paper_code, algorithm_1 = ImageConfig(critic_schedule="paper-code"), ImageConfig()
    reference = sum(paper_code.critic_iterations(step) for step in range(300))
    plain = sum(algorithm_1.critic_iterations(step) for step in range(300))
    if near(value, reference, 0.0, 0.5):
        return finish(
            exercise, "right", f"{reference} critic steps, {reference / plain:.2f}x Algorithm 1's {plain}", strict
        )
    if near(value, plain, 0.0, 0.5):
        return finish(
            exercise, "wrong", "that is Algorithm 1's schedule; the paper's code changes the first 25 steps.", strict
        )
    if near(value, plain + 25 * 100, 0.0, 0.5):
        return finish(
            exercise,
            "wrong",
            "the 100 critic steps replace the 5 of those generator steps; they do not add to them.",
            strict,
        )
    return finish(
        exercise,
        "wrong",
        "print ImageConfig(critic_schedule='paper-code').critic_iterations(step) for a few steps.",
        strict,
    )


CHECKERS = {
    "07.4": check_paper_code_critic_steps,
}
