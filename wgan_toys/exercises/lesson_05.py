r"""The checkers of lesson 05's exercises (``notebooks/05_*.ipynb``): learning the parallel lines (Example 1, Theorem 3, Algorithm 1).

See :mod:`wgan_toys.exercises` for what a checker prints and when it raises.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ._answers import Verdict, as_number, as_numbers, as_values, finish, is_unattempted, near, weight_layers

# the step schedule of learn_parallel_lines (theta_learning_rate 0.02, decay 0.99 per generator step) and the
# run length of the lesson's section 3: the yardsticks of exercises 05.2 and 05.4 descend with them
_STEP, _DECAY, _ITERATIONS = 0.02, 0.99, 150


@functools.lru_cache(maxsize=None)
def _network_run(algorithm: str, theta0: float, iterations: int, optimizer: str, seed: int) -> tuple:
    """(thetas, theta_gradients) of a short seeded ``learn_parallel_lines`` run on the CPU (computed once per process,
    on one thread, for the 10-20 iterations the checkers ask for)."""
    from ..parallel_lines import learn_parallel_lines

    run = learn_parallel_lines(
        algorithm, theta0=theta0, iterations=iterations, optimizer=optimizer, seed=seed, device="cpu"
    )
    return tuple(run["thetas"]), tuple(run["theta_gradients"])


def _exact_descent(learning_rate: float = _STEP, decay: float = _DECAY, steps: int = _ITERATIONS) -> np.ndarray:
    """theta_0 .. theta_steps of descent on the exact EM distance from theta0 = 1 (the limit of an optimal critic)."""
    from ..parallel_lines import descend_exact

    return descend_exact("em", theta0=1.0, learning_rate=learning_rate, steps=steps, decay=decay)


def check_rmsprop_from_far(answer, strict: bool = False) -> Verdict:
    r"""Exercise 05.1: :math:`\theta_{20}`, theta after 20 iterations of ``learn_parallel_lines("gan-minimax", theta0=5.0,
    optimizer="rmsprop", seed=0)`` (``run["thetas"][20]``): how far RMSProp (Algorithm 1, line 10) carries the minimax
    GAN when it starts far from the target (Section 3: the discriminator saturates, its gradient vanishes).

    RMSProp's step is :math:`\alpha_t g_t / (\sqrt{v_t} + \epsilon)` with :math:`v_t` a running mean of :math:`g^2`
    (decay 0.99, :math:`\epsilon = 10^{-8}`, no bias correction): for :math:`|g| \gg \epsilon` the first step is
    :math:`\alpha_0/\sqrt{0.01} = 10\alpha_0` whatever the gradient's size, but a gradient that
    keeps shrinking falls below the :math:`\sqrt{v_t}` that remembers its larger past, and theta stops. Reference:
    the same seeded 20-iteration run on the CPU; tolerance 0.005.
    """
    exercise = "05.1"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "theta after 20 RMSProp iterations from theta0 = 5")
    thetas, _ = _network_run("gan-minimax", 5.0, 20, "rmsprop", 0)
    reference = thetas[20]
    if near(value, reference, 0.0, 0.005):
        return finish(
            exercise,
            "right",
            f"theta_20 = {reference:.3f}: RMSProp's first steps are full-size, then it stalls far from 0",
            strict,
        )
    if value > 4.99:
        return finish(
            exercise,
            "wrong",
            "theta has hardly left 5: that is plain descent (optimizer='sgd'); the question is about RMSProp.",
            strict,
        )
    if near(value, thetas[1], 0.0, 0.005):
        return finish(exercise, "wrong", "that is theta after the first step; read thetas[20].", strict)
    if near(value, 5.0 - reference, 0.0, 0.005):
        return finish(exercise, "wrong", "that is how far theta moved; the answer is theta_20 itself.", strict)
    if abs(value) < 0.05:
        return finish(
            exercise,
            "wrong",
            "RMSProp rescued the run from theta0 = 1; did it reach 0 from theta0 = 5? Read the run's thetas[20].",
            strict,
        )
    if near(value, 5.0 - 20 * _STEP, 0.0, 0.005):
        return finish(
            exercise, "wrong", "that assumes 20 steps of learning_rate each; RMSProp's steps are not: run it.", strict
        )
    return finish(
        exercise,
        "wrong",
        "run learn_parallel_lines('gan-minimax', theta0=5.0, optimizer='rmsprop', seed=0) and read run['thetas'][20].",
        strict,
    )


def check_step_divided_by_slope(answer, strict: bool = False) -> Verdict:
    r"""Exercise 05.2: the first iteration t at which :math:`\theta_t \le 0` in ``learn_parallel_lines("wgan",
    optimizer="sgd", theta_learning_rate=0.02 / K, seed=0)``, K the clipped critic's effective slope of section 3.

    The clipped critic is about :math:`K f^*`, so plain descent with its step divided by K moves theta by
    :math:`0.02 \cdot 0.99^t \operatorname{sign}\theta` (Theorem 3): the exact descent on W of section 2 with the
    network runs' schedule, :math:`\theta_t = 1 - 2(1 - 0.99^t)`. Reference: the first crossing of
    :func:`~wgan_toys.parallel_lines.descend_exact` with that schedule; tolerance 2 iterations (K is the critic's
    slope only on average).
    """
    exercise = "05.2"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the first iteration t with theta_t <= 0")
    reference = int(np.flatnonzero(_exact_descent() <= 0)[0])
    if abs(value - reference) <= 2:
        return finish(
            exercise,
            "right",
            f"the exact descent on W crosses at t = {reference}: divided by K, the clipped critic's gradient is sign(theta)",
            strict,
        )
    if math.isinf(value) or value >= _ITERATIONS:
        return finish(
            exercise,
            "wrong",
            "theta does cross 0 once the step is divided by K: did you pass theta_learning_rate=0.02 / K?",
            strict,
        )
    if abs(value - 1.0 / _STEP) <= 2:
        return finish(
            exercise,
            "wrong",
            "that assumes steps of 0.02 each; the step is 0.02 * 0.99^t: add the shrinking steps up.",
            strict,
        )
    if abs(value - int(np.flatnonzero(_exact_descent(0.1, 0.97, 300) <= 0)[0])) <= 2:
        return finish(
            exercise,
            "wrong",
            "that is section 2's schedule (0.1 * 0.97^t); learn_parallel_lines steps theta by 0.02 * 0.99^t.",
            strict,
        )
    return finish(
        exercise,
        "wrong",
        "take K = the clipped run's median |d loss/d theta| from section 3 to 2 digits (a K off by 5% moves the "
        "crossing by about 5 iterations) and find the first t with thetas[t] <= 0.",
        strict,
    )


def check_overshoot_of_exact_critic(answer, strict: bool = False) -> Verdict:
    r"""Exercise 05.4: the yardstick for the overshoot as :math:`n_{\text{critic}} \to \infty`: the lowest
    :math:`\theta_t` over 150 steps of descent with an optimal critic at every step, i.e. with the exact gradient
    :math:`\operatorname{sign}\theta` (Theorem 3), from :math:`\theta_0 = 1` with the network runs' step
    :math:`0.02 \cdot 0.99^t`.

    Such a descent overshoots 0 by at most one step and keeps bouncing within one step of it; a trained critic that
    lags behind theta overshoots further. Reference: :func:`~wgan_toys.parallel_lines.descend_exact` with that
    schedule; tolerance 5e-4.
    """
    exercise = "05.4"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the lowest theta of the exact descent with step 0.02 * 0.99^t")
    descent = _exact_descent()
    reference = float(descent.min())
    if near(value, reference, 0.0, 5e-4):
        return finish(
            exercise, "right", f"{reference:.4f}, one step: any larger overshoot is the trained critic's lag", strict
        )
    if value > 0:
        return finish(
            exercise, "wrong", "the overshoot lies below 0: report the lowest theta, a negative number.", strict
        )
    crossing = int(np.flatnonzero(descent <= 0)[0])
    if near(value, descent[crossing], 0.0, 5e-4):
        return finish(
            exercise,
            "wrong",
            "that is theta at the first crossing; it keeps bouncing around 0: take the lowest over all 150 steps.",
            strict,
        )
    if near(value, float(_exact_descent(0.1, 0.97, 300).min()), 0.0, 5e-4):
        return finish(
            exercise,
            "wrong",
            "that is section 2's schedule (0.1 * 0.97^t); the network runs step theta by 0.02 * 0.99^t.",
            strict,
        )
    if value < -0.05:
        return finish(
            exercise,
            "wrong",
            "that is a trained critic's overshoot; the yardstick descends with the exact gradient (descend_exact).",
            strict,
        )
    return finish(
        exercise,
        "wrong",
        "descend_exact('em', theta0=1.0, learning_rate=0.02, decay=0.99, steps=150) and take the lowest theta.",
        strict,
    )


#: the clipping constants of exercise 05.3 and the seeds whose fitted exponents the checker accepts
CLIP_VALUES_05_3, SEEDS_05_3 = (0.005, 0.02, 0.05), (0, 1, 2)


@functools.lru_cache(maxsize=None)
def first_gradient(clip_value: float, seed: int) -> float:
    """``theta_gradients[0]`` of ``learn_parallel_lines("wgan", clip_value=c, optimizer="sgd", seed=seed)`` on the CPU:
    the generator's first gradient, after the first n_critic = 5 critic steps (one iteration: 0.1 s of CPU)."""
    from ..parallel_lines import learn_parallel_lines

    run = learn_parallel_lines("wgan", iterations=1, clip_value=clip_value, optimizer="sgd", seed=seed, device="cpu")
    return float(run["theta_gradients"][0])


def fitted_clip_exponent(seed: int, clip_values: tuple = CLIP_VALUES_05_3) -> float:
    """The least-squares slope of log|theta_gradients[0]| on log c over ``clip_values``, for one seed."""
    gradients = [abs(first_gradient(c, seed)) for c in clip_values]
    return float(np.polyfit(np.log(clip_values), np.log(gradients), 1)[0])


def check_clip_gradient_power(answer, strict: bool = False) -> Verdict:
    r"""Exercise 05.3: the fitted exponent p of ``theta_gradients[0]`` :math:`\propto c^p` for the clipped critic
    of ``learn_parallel_lines("wgan", optimizer="sgd")`` over c = 0.005, 0.02, 0.05 (Algorithm 1, line 7), for one
    of the seeds 0, 1, 2.

    The clipped family bounds the critic's slope, and with it the generator's gradient (Theorem 3 times K), by
    :math:`\prod_l c\sqrt{n_{l-1} n_l} \propto c^L`, L the number of weight layers: a bound, whose exponent the
    measured gradient need not follow. After the first 5 critic steps only the layers whose weights sit at the walls
    contribute a factor c: the output layer starts at zero and reaches its walls only for the smallest c, and the
    share of PyTorch's initial 64 x 64 weights beyond c falls as c grows. Reference: the fitted exponent of the
    seeded runs (9 one-iteration runs, about a second of CPU); tolerance 0.02 around any of the three seeds' values.
    """
    exercise = "05.3"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the fitted exponent p in theta_gradients[0] ~ c^p")
    exponents = [fitted_clip_exponent(seed) for seed in SEEDS_05_3]
    layers = weight_layers()
    if any(near(value, exponent, 0.0, 0.02) for exponent in exponents):
        return finish(
            exercise,
            "right",
            f"p = {exponents[0]:.2f} for seed 0, {min(exponents):.2f} to {max(exponents):.2f} over seeds 0-2: "
            "below the bound's exponent, an upper envelope that the first gradients do not follow",
            strict,
        )
    if near(value, layers, 0.0, 1e-9):
        return finish(
            exercise,
            "wrong",
            "that is the exponent of the family bound, prod_l c sqrt(n n'), a bound and not the measurement: "
            "fit log|theta_gradients[0]| on log c over the three runs.",
            strict,
        )
    if any(near(value, -exponent, 0.0, 0.02) for exponent in exponents):
        return finish(exercise, "wrong", "sign: the gradient grows with c; fit log|gradient| on log c.", strict)
    if near(value, layers - 1, 0.0, 1e-9) or near(value, 1.0, 0.0, 1e-9):
        return finish(
            exercise,
            "wrong",
            "that is a count, not a measurement: run the three clip values and fit the slope of log|gradient| on log c.",
            strict,
        )
    return finish(
        exercise,
        "wrong",
        "for c in (0.005, 0.02, 0.05) take run['theta_gradients'][0] of learn_parallel_lines('wgan', clip_value=c, "
        "optimizer='sgd', seed=0), then np.polyfit(np.log(cs), np.log(np.abs(gradients)), 1)[0].",
        strict,
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


def check_clipped_gradient_rescaled(answer, strict: bool = False) -> Verdict:
    r"""Exercise 05.6: for a clipped critic (``train_critic(..., constraint="clip")``) trained between
    :math:`\mathbb{P}_0` and :math:`\mathbb{P}_{0.5}`, ``theorem_3_gradient(critic.network, 0.5)`` divided by
    ``critic.estimate / 0.5``, its effective slope K.

    A clipped critic trained to optimality is about :math:`K f^*` (the paper: "up to a multiplicative factor"); its
    Theorem 3 gradient is :math:`K\,\nabla_\theta W` and its estimate :math:`K W`, so the ratio is
    :math:`\nabla_\theta W = \operatorname{sign}\theta` at the theta it was trained for. Reference:
    :func:`~wgan_toys.parallel_lines.exact_w_gradient_by_differences` at 0.5; tolerance 0.03.
    """
    exercise = "05.6"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the clipped critic's Theorem 3 gradient / (estimate / 0.5) at theta = 0.5")
    from ..parallel_lines import exact_w_gradient_by_differences

    reference = exact_w_gradient_by_differences(0.5)
    if near(value, reference, 0.0, 0.03):
        return finish(
            exercise,
            "right",
            "about sign(theta) = 1: the clipped critic is K f* near the theta it was trained at",
            strict,
        )
    if abs(value) < 0.01:
        return finish(
            exercise,
            "wrong",
            "that is the raw gradient, about the effective slope K: divide it by estimate / 0.5.",
            strict,
        )
    if near(value, -reference, 0.0, 0.03):
        return finish(
            exercise,
            "wrong",
            "sign error: theorem_3_gradient already carries Theorem 3's minus sign; W = |theta| grows at 0.5.",
            strict,
        )
    if near(value, 2 * reference, 0.0, 0.06):
        return finish(
            exercise, "wrong", "you divided by the estimate; the slope K is estimate / W = estimate / 0.5.", strict
        )
    if near(value, reference / 2, 0.0, 0.03):
        return finish(
            exercise,
            "wrong",
            "that is estimate / gradient; the slope K is estimate / 0.5, and the gradient is divided by it.",
            strict,
        )
    if near(value, 4 * reference, 0.0, 0.12):
        return finish(exercise, "wrong", "you multiplied the estimate by 0.5; the slope K is estimate / 0.5.", strict)
    return finish(
        exercise,
        "wrong",
        "train the clipped critic as in section 4, then theorem_3_gradient(critic.network, 0.5) / (critic.estimate / 0.5).",
        strict,
    )


def _early_peak(seed: int) -> tuple[float, float]:
    """(largest, first) |d loss / d theta| of the first 10 plain-descent iterations of the minimax GAN from theta0 = 1."""
    _, gradients = _network_run("gan-minimax", 1.0, 10, "sgd", seed)
    return float(np.max(np.abs(gradients))), abs(gradients[0])


def check_early_peak_other_seeds(answer, strict: bool = False) -> Verdict:
    r"""Exercise 05.8: the first claim of section 3's check cell for seeds 1 and 2: the largest
    :math:`|d\,\text{loss}/d\theta|` of the first 10 iterations of the minimax GAN with plain descent
    (``learn_parallel_lines("gan-minimax", theta0=1.0, optimizer="sgd", seed=s)``), as the pair (seed 1, seed 2).

    The claim says it lies between 0.1 and 1 (before the discriminator saturates, Section 3). Reference: the two
    seeded 10-iteration runs on the CPU (the first 10 iterations of a longer run are the same); tolerance 1%
    relative (seed 0's peak lies 3% from seed 2's).
    """
    exercise = "05.8"
    what = "(seed 1's, seed 2's) largest |d loss/d theta| of the first 10 plain-descent minimax GAN iterations"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    values = as_numbers(exercise, answer, 2, what)
    (peak_1, first_1), (peak_2, first_2) = _early_peak(1), _early_peak(2)

    def matches(pair) -> bool:
        return all(near(float(v), r, 0.01) for v, r in zip(values, pair))

    if matches((peak_1, peak_2)):
        return finish(
            exercise,
            "right",
            f"({peak_1:.3f}, {peak_2:.3f}): the claim 0.1 <= peak <= 1 holds for both; rerun the cell for the others",
            strict,
        )
    if matches((peak_2, peak_1)):
        return finish(exercise, "wrong", "other order: seed 1's peak first, then seed 2's.", strict)
    if matches((first_1, first_2)):
        return finish(
            exercise, "wrong", "those are the first gradients; the claim is about the largest of the first 10.", strict
        )
    peak_0 = _early_peak(0)[0]
    if any(near(float(v), peak_0, 0.01) for v in values):
        return finish(exercise, "wrong", "that is seed 0's peak, the lesson's: pass seed=1 and seed=2.", strict)
    return finish(
        exercise,
        "wrong",
        "for seed=1 and 2, run learn_parallel_lines('gan-minimax', theta0=1.0, optimizer='sgd', seed=seed) and take "
        "np.abs(run['theta_gradients'][:10]).max().",
        strict,
    )


CHECKERS = {
    "05.1": check_rmsprop_from_far,
    "05.2": check_step_divided_by_slope,
    "05.3": check_clip_gradient_power,
    "05.4": check_overshoot_of_exact_critic,
    "05.5": check_theorem_3_fixed_critic,
    "05.6": check_clipped_gradient_rescaled,
    "05.8": check_early_peak_other_seeds,
}
