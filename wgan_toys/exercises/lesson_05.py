r"""The checkers of lesson 05's exercises (``notebooks/05_*.ipynb``): learning the parallel lines (Example 1, Theorem 3, Algorithm 1).

See :mod:`wgan_toys.exercises` for what a checker prints and when it raises.
"""

from __future__ import annotations

import math

import numpy as np

from ._answers import Verdict, as_number, as_values, finish, is_unattempted, near, weight_layers


def check_clip_gradient_power(answer, strict: bool = False) -> Verdict:
    r"""Exercise 05.3: the power p in ``theta_gradients[0]`` :math:`\propto c^p` for the clipped critic of
    ``learn_parallel_lines`` (Algorithm 1, line 7), as the clipped family's bound predicts.

    The critic's slope, and with it the generator's gradient (Theorem 3 times K), is bounded by
    :math:`\prod_l c\sqrt{n_{l-1} n_l} \propto c^L`, L the number of weight layers (3 hidden layers and
    the output). Exact answer: L, counted from :func:`~wgan_toys.networks.make_critic`.
    """
    exercise = "05.3"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the power p in gradient ~ c^p")
    layers = weight_layers()
    if near(value, layers, 0.0, 1e-9):
        return finish(
            exercise, "right", f"c^{layers}: one factor c per weight layer (measure it: one seed is one seed)", strict
        )
    if near(value, layers - 1, 0.0, 1e-9):
        return finish(
            exercise, "wrong", "you counted the hidden layers; the output layer's weights are clipped too.", strict
        )
    if near(value, 1.0, 0.0, 1e-9):
        return finish(
            exercise, "wrong", "the gradient is not linear in c: each clipped layer contributes a factor.", strict
        )
    return finish(
        exercise, "wrong", "count the weight matrices the gradient passes through, each bounded by c.", strict
    )


def check_theorem_3_fixed_critic(answer, strict: bool = False) -> Verdict:
    r"""Exercise 05.5: hold the optimal critic of :math:`\theta = 0.5`, :math:`f(x) = -x_1` (Example 1, up to a
    constant), fixed and evaluate Theorem 3's :math:`-\mathbb{E}_z[\nabla_\theta f(g_\theta(z))]` at
    :math:`\theta = 0.25, -0.5, 2.0`. The answer is the set of those :math:`\theta` where it differs from
    :math:`\operatorname{sign}\theta = \nabla_\theta W` (may be empty: ``set()``).

    Reference: :func:`~wgan_toys.parallel_lines.theorem_3_gradient` with that linear critic.
    """
    exercise = "05.5"
    thetas = (0.25, -0.5, 2.0)
    what = "the thetas among 0.25, -0.5, 2.0 where the fixed critic's gradient is not sign(theta)"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    chosen = as_values(exercise, answer, thetas, what)
    import torch

    from ..parallel_lines import theorem_3_gradient

    critic = torch.nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[-1.0, 0.0]]))
        critic.bias.zero_()
    reference = frozenset(
        theta
        for theta in thetas
        if not math.isclose(theorem_3_gradient(critic, theta, n=1000), np.sign(theta), abs_tol=1e-6)
    )
    if chosen == reference:
        return finish(
            exercise, "right", "across theta = 0 the optimal critic changes sign, and a fixed one cannot", strict
        )
    if not chosen:
        return finish(
            exercise,
            "wrong",
            "one of the three lies on the other side of the target: is f still optimal there?",
            strict,
        )
    if 2.0 in chosen:
        return finish(
            exercise,
            "wrong",
            "at theta = 2 the fixed f = -x_1 is still an optimal critic: W = |theta| there too.",
            strict,
        )
    return finish(exercise, "wrong", "theta = 0.25 lies on the same side as 0.5, where f = -x_1 stays optimal.", strict)


CHECKERS = {
    "05.3": check_clip_gradient_power,
    "05.5": check_theorem_3_fixed_critic,
}
