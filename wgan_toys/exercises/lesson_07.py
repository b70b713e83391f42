r"""The checkers of lesson 07's exercises (``notebooks/07_*.ipynb``): images (Section 4, Algorithm 1).

See :mod:`wgan_toys.exercises` for what a checker prints and when it raises.
"""

from __future__ import annotations

import functools
import math

from ._answers import Verdict, as_number, as_numbers, finish, is_unattempted, near


def check_penalty_settings(answer, strict: bool = False) -> Verdict:
    r"""Exercise 07.1: WGAN-GP's settings as ``ImageConfig(algorithm="wgan-gp")`` resolves them, the answer
    ``(penalty_weight lambda, learning_rate alpha, beta1, beta2)`` of Adam.

    Gulrajani et al. (2017), Algorithm 1: :math:`\lambda = 10`, Adam with :math:`\alpha = 10^{-4}`,
    :math:`(\beta_1, \beta_2) = (0, 0.9)`, :math:`n_{\text{critic}} = 5`. :math:`\beta_1 = 0` is Adam without momentum,
    the cause of instability the WGAN paper names (Section 4.2: "Adam (with :math:`\beta_1 > 0`)"); :math:`\lambda` sets
    the penalised critic's slope :math:`1 + W/(2\lambda)` (lesson 04), hence the estimate's scale. Reference:
    ``ImageConfig(algorithm="wgan-gp")`` (``penalty_weight``, ``resolved_learning_rate``, ``resolved_betas``); exact
    up to 1e-9 relative.
    """
    exercise = "07.1"
    what = "(penalty_weight, learning_rate, beta1, beta2) of ImageConfig(algorithm='wgan-gp')"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    penalty, rate, beta1, beta2 = as_numbers(exercise, answer, 4, what)
    from ..images.trainer import ImageConfig

    config, wgan, gan = (
        ImageConfig(algorithm="wgan-gp"),
        ImageConfig(algorithm="wgan"),
        ImageConfig(algorithm="gan-logd"),
    )
    betas, gan_betas = config.resolved_betas, gan.resolved_betas
    if betas is None or gan_betas is None:
        raise RuntimeError(
            f"ImageConfig's wgan-gp and gan-logd rows train with Adam, got betas {betas} and {gan_betas}: "
            "objectives.DEFAULTS must give both an Adam optimiser"
        )
    reference = (config.penalty_weight, config.resolved_learning_rate, *betas)
    if all(near(a, b, 1e-9, 1e-12) for a, b in zip((penalty, rate, beta1, beta2), reference)):
        return finish(
            exercise,
            "right",
            f"lambda = {reference[0]:g}, Adam alpha = {reference[1]:g}, betas ({reference[2]:g}, {reference[3]:g}): "
            "WGAN-GP's Algorithm 1, Adam without momentum",
            strict,
        )
    if not near(penalty, reference[0], 1e-9):
        return finish(
            exercise, "wrong", "read penalty_weight, the lambda of the penalty lambda (|grad f| - 1)^2.", strict
        )
    if near(rate, wgan.resolved_learning_rate, 1e-9):
        return finish(
            exercise,
            "wrong",
            "alpha = 5e-5 is WGAN's Algorithm 1 (RMSProp); read the wgan-gp row's learning rate.",
            strict,
        )
    if near(rate, gan.resolved_learning_rate, 1e-9) or near(beta1, gan_betas[0], 1e-9):
        return finish(
            exercise,
            "wrong",
            "those are DCGAN's Adam settings (the GAN baseline); WGAN-GP's Adam has no momentum on the first moment.",
            strict,
        )
    if near(beta1, reference[3], 1e-9) and near(beta2, reference[2], 0.0, 1e-12):
        return finish(exercise, "wrong", "beta1 and beta2 are in the other order: (beta1, beta2).", strict)
    return finish(exercise, "wrong", "print ImageConfig(algorithm='wgan-gp') and its resolved_* properties.", strict)


@functools.lru_cache(maxsize=None)
def _clipped_factors(image_size: int = 16) -> tuple[int, int]:
    """(convolution weights, batch-norm scales) of the package's DCGAN critic at ``image_size``, one channel: the
    parameter tensors that multiply the signal, each a factor c of the clipped family's bound."""
    from torch import nn

    from ..images.models import make_image_critic

    critic = make_image_critic("dcgan", image_size=image_size, channels=1)
    convolutions = sum(1 for module in critic.modules() if isinstance(module, nn.Conv2d))
    scales = sum(1 for module in critic.modules() if isinstance(module, nn.BatchNorm2d))
    return convolutions, scales


def check_clip_bound_ratio(answer, strict: bool = False) -> Verdict:
    r"""Exercise 07.2: ``(ratio of the clipped family's Lipschitz bounds at c = 0.05 and c = 0.005 with
    clip_parameters="all", that bound with clip_parameters="weights")`` for section 4's DCGAN critic (16x16, one channel).

    Section 3: a compact :math:`\mathcal{W} = [-c, c]^l` makes every :math:`f_w` K-Lipschitz. Each convolution is at
    most :math:`c` times its size in slope, and a batch-norm layer at most :math:`|\gamma| / \sqrt{\epsilon} \le
    c / \sqrt{\epsilon}` for any batch (the authors' "the epsilon in there"); its shift :math:`\beta` adds, it does not
    multiply. So the bound is :math:`\propto c^L`, L the convolutions plus the batch-norm layers of
    :func:`~wgan_toys.images.models.make_image_critic` at 16x16, and the ratio is :math:`10^L`. With
    ``clip_parameters="weights"`` the scales :math:`\gamma` are free and the family has no bound: ``math.inf``.
    Reference: the layers counted on the package's critic; tolerance 1e-6 relative.
    """
    exercise = "07.2"
    what = "(bound ratio for c = 0.05 vs 0.005 with 'all', the bound with 'weights': math.inf if none)"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    ratio, weights_only = as_numbers(exercise, answer, 2, what)
    convolutions, scales = _clipped_factors()
    layers = convolutions + scales
    reference = 10.0**layers
    if near(ratio, reference, 1e-6) and weights_only == math.inf:
        return finish(
            exercise,
            "right",
            f"10^{layers}: one factor c per convolution and per batch-norm scale; free scales, no bound",
            strict,
        )
    if near(ratio, 10.0**convolutions, 1e-6):
        return finish(
            exercise,
            "wrong",
            "the batch-norm scales are clipped too, and each multiplies the slope by |gamma|.",
            strict,
        )
    if near(ratio, 10.0 ** (layers + scales), 1e-6):
        return finish(
            exercise, "wrong", "a batch-norm shift beta adds a constant; it does not multiply the slope.", strict
        )
    if near(ratio, 10.0, 1e-6):
        return finish(exercise, "wrong", "the bound is not linear in c: the clipped layers multiply.", strict)
    if near(ratio, 100.0, 1e-6):
        return finish(
            exercise,
            "wrong",
            "batch norm divides by the batch's spread, but the bound holds for every batch: |gamma| / sqrt(eps) at worst.",
            strict,
        )
    if not near(ratio, reference, 1e-6):
        return finish(
            exercise,
            "wrong",
            "count the convolutions and batch-norm layers of section 4's critic: c per factor.",
            strict,
        )
    return finish(
        exercise,
        "wrong",
        "with clip_parameters='weights' the scales gamma are free: is the parameter set still bounded, and the slope?",
        strict,
    )


@functools.lru_cache(maxsize=None)
def _parameter_counts(image_size: int, channels: int) -> dict:
    from ..images.models import count_parameters, make_image_critic, make_image_generator

    counts = {
        name: count_parameters(make_image_generator(name, image_size, channels))
        for name in ("dcgan", "dcgan-nobn", "mlp")
    }
    counts["critic"] = count_parameters(make_image_critic("dcgan", image_size, channels))
    return counts


def check_mlp_parameter_ratio(answer, strict: bool = False) -> Verdict:
    r"""Exercise 07.3: the MLP generator's parameters over the DCGAN generator's at the size of the exercise's run,
    16x16 with one channel (Figure 7: "the number of parameters is similar to that of a DCGAN").

    Reference: :func:`~wgan_toys.images.models.count_parameters` of
    :func:`~wgan_toys.images.models.make_image_generator` (``"mlp"`` and ``"dcgan"``, default widths); tolerance 0.5%
    relative. At the paper's 64x64x3 the ratio is a little under 2, almost all of the MLP in its last layer; here the
    last layer writes 256 pixels instead of 12,288.
    """
    exercise = "07.3"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "the MLP generator's parameters / the DCGAN generator's at 16x16x1")
    counts = _parameter_counts(16, 1)
    reference = counts["mlp"] / counts["dcgan"]
    if near(value, reference, 0.005):
        return finish(exercise, "right", f"{reference:.2f}: at 16x16 too the MLP is not short of parameters", strict)
    paper = _parameter_counts(64, 3)
    if near(value, paper["mlp"] / paper["dcgan"], 0.005):
        return finish(
            exercise, "wrong", "that is the paper's 64x64x3 (section 2); the run is 16x16 with one channel.", strict
        )
    if near(value, 1 / reference, 0.005):
        return finish(exercise, "wrong", "other order: the MLP's count over the DCGAN's.", strict)
    if near(value, counts["mlp"] / counts["dcgan-nobn"], 0.005):
        return finish(
            exercise,
            "wrong",
            "that is the generator without batch norm (Figure 6); Figure 7 compares with DCGAN's.",
            strict,
        )
    if near(value, counts["mlp"] / counts["critic"], 0.005):
        return finish(exercise, "wrong", "that divides by the critic; Figure 7 compares the two generators.", strict)
    return finish(
        exercise,
        "wrong",
        "count_parameters(make_image_generator(name, image_size=16, channels=1)) for 'mlp' and 'dcgan'.",
        strict,
    )


def check_resumed_metrics(answer, strict: bool = False) -> Verdict:
    r"""Exercise 07.5: ``(rows of metrics.jsonl after train(until=150) and the resumed train(), largest |difference|
    between the parameters of the resumed and an uninterrupted run's final generators)`` for section 4's configuration
    (300 generator steps, ``log_every=10``).

    The trainer writes a row when ``generator_step % log_every == 0`` or at the step ``train`` stops (never at step
    0), and on resume drops the rows logged after the checkpoint; the checkpoint holds parameters, optimiser states
    and the random stream, so on a CPU the resumed run is bitwise equal to the uninterrupted one (``tests/test_images_trainer.py``
    checks it). Reference: the rows counted from ``ImageConfig``'s ``log_every`` and ``generator_steps``; exact.
    """
    exercise = "07.5"
    what = "(rows of metrics.jsonl, largest |difference| between the two final generators' parameters)"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    rows, difference = as_numbers(exercise, answer, 2, what)
    from ..images.trainer import ImageConfig

    config, stop = ImageConfig(image_size=16, generator_steps=300, log_every=10), 150
    logged = [step for step in range(1, config.generator_steps + 1) if step % config.log_every == 0 or step == stop]
    reference = len(logged)
    if rows == reference and difference == 0.0:
        return finish(exercise, "right", f"{reference} rows, no gap, no repeat; bitwise the same generator", strict)
    if rows == reference + 1:
        return finish(
            exercise, "wrong", "there is no row at step 0: the first is written after log_every steps.", strict
        )
    if rows == reference + stop // config.log_every:
        return finish(
            exercise,
            "wrong",
            "that counts rows 10 to 150 twice: resume continues the file, it does not repeat it.",
            strict,
        )
    if rows == (config.generator_steps - stop) // config.log_every:
        return finish(
            exercise, "wrong", "that counts only the resumed half: metrics.jsonl holds the whole run.", strict
        )
    if rows != reference:
        return finish(exercise, "wrong", "len(read_metrics(out)), after both train() calls.", strict)
    return finish(
        exercise,
        "wrong",
        "the checkpoint restores parameters, optimiser states and the random stream: compare two runs of the same "
        "config (same threads, precision) after both end, with torch.equal.",
        strict,
    )


def check_js_estimate_range(answer, strict: bool = False) -> Verdict:
    r"""Exercise 07.6: ``(the JS estimate of a discriminator that says D = 1/2 everywhere, the estimate's ceiling)``.

    The GAN run logs Figure 4's :math:`\tfrac12 L(D, g_\theta) + \log 2`, with
    :math:`L = \mathbb{E}_r \log D + \mathbb{E}_g \log(1 - D)`; Section 3 (lesson 03):
    :math:`\max_D L = 2\,JS - 2 \log 2`, so the estimate is at most JS, which is at most :math:`\log 2`, reached
    when the laws are disjoint (Example 1). Reference: :func:`~wgan_toys.objectives.js_estimate` of
    :func:`~wgan_toys.objectives.gan_objective` at zero logits, and
    :func:`~wgan_toys.distances.js_divergence` of two disjoint parallel lines; tolerance 5e-4 absolute (0.693 counts
    as log 2).
    """
    exercise = "07.6"
    what = "(JS estimate when D = 1/2 everywhere, the ceiling of the estimate)"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    undecided, ceiling = as_numbers(exercise, answer, 2, what)
    import torch

    from ..distances import js_divergence
    from ..distributions import ParallelLines
    from ..objectives import gan_objective, js_estimate

    zero = torch.zeros(4, dtype=torch.float64)
    reference = (float(js_estimate(gan_objective(zero, zero))), js_divergence(ParallelLines(0.0), ParallelLines(1.0)))
    log_2 = reference[1]
    if near(undecided, reference[0], 0.0, 5e-4) and near(ceiling, reference[1], 0.0, 5e-4):
        return finish(
            exercise, "right", f"from {reference[0]:g} (D cannot tell) up to log 2 = {log_2:.4f} at most", strict
        )
    if near(ceiling, 1.0, 0.0, 5e-4) or near(undecided, 1.0, 0.0, 5e-4):
        return finish(exercise, "wrong", "1 is log base 2; the trainer's logs are natural.", strict)
    if near(ceiling, 2 * log_2, 0.0, 5e-4):
        return finish(
            exercise,
            "wrong",
            "2 log 2 is JS without its 1/2 (Section 2's formula); the estimate uses the 1/2: did you forget the 1/2?",
            strict,
        )
    if near(undecided, -log_2, 0.0, 5e-4) or near(undecided, -2 * log_2, 0.0, 5e-4):
        return finish(exercise, "wrong", "L(D) = 2 log(1/2) at D = 1/2; the estimate is L/2 plus log 2.", strict)
    if math.isinf(ceiling):
        return finish(exercise, "wrong", "JS, unlike KL, is bounded: by which constant?", strict)
    if near(undecided, log_2, 0.0, 5e-4):
        return finish(
            exercise,
            "wrong",
            "D = 1/2 is a discriminator that cannot tell the laws apart: the bottom of the range.",
            strict,
        )
    return finish(exercise, "wrong", "evaluate (1/2) L(D) + log 2 at D = 1/2, and bound it by JS <= log 2.", strict)


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
    "07.1": check_penalty_settings,
    "07.2": check_clip_bound_ratio,
    "07.3": check_mlp_parameter_ratio,
    "07.4": check_paper_code_critic_steps,
    "07.5": check_resumed_metrics,
    "07.6": check_js_estimate_range,
}
