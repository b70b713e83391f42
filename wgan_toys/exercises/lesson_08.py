r"""The checkers of lesson 08's exercises (``notebooks/08_classroom.ipynb``): the classroom (Algorithm 1 step by step).

Every answer comes from the lesson's ``classroom``: a :class:`~wgan_toys.classroom.Classroom` with 256 samples,
seed 0 and the toy preset, restarted at step 0 by ``configure(...)``. The references drive the same object through its public API
(its ``trainer``, a :class:`~wgan_toys.toy_gan.ToyGAN`, its ``real`` sample and ``frames``) without drawing, and are
computed once per process.

See :mod:`wgan_toys.exercises` for what a checker prints and when it raises.
"""

from __future__ import annotations

import functools

import numpy as np

from ._answers import Verdict, as_number, as_numbers, finish, is_unattempted, near

# the lesson's classroom (sections 1-2): Classroom(..., n_samples=256, preset="toy"), seed 0
LESSON_SAMPLES, LESSON_PRESET = 256, "toy"


def _session(**settings):
    """A fresh classroom session at step 0, as the lesson's ``classroom.configure(**settings)`` starts it."""
    from ..classroom import Classroom

    return Classroom(n_samples=LESSON_SAMPLES, preset=LESSON_PRESET, **settings)


def _estimate_now(session) -> float:
    """Eq. (3) as a frame of the classroom measures it: :math:`E_r f_w - E_g f_w` on the session's real sample
    and its generated points (the fixed evaluation noise)."""
    import torch

    trainer = session.trainer
    with torch.no_grad():
        real = trainer.critic(torch.as_tensor(session.real, dtype=torch.float32, device=trainer.device))
        fake = trainer.critic(torch.as_tensor(trainer.generated(), dtype=torch.float32, device=trainer.device))
    return trainer.loss_estimate(real, fake)


@functools.lru_cache(maxsize=None)
def _clipped_estimates_08() -> tuple[float, float, int]:
    """(estimate at c = 0.01, estimate at c = 0.001, weight layers of the critic), each session after 20 critic
    steps (one press of *critic x20*) on ``2clusters``."""
    estimates = []
    for clip_value in (0.01, 0.001):
        session = _session(dataset="2clusters", algorithm="wgan", clip_value=clip_value)
        for _ in range(20):
            session.trainer.critic_step()
        estimates.append(_estimate_now(session))
    layers = sum(1 for name, _ in session.trainer.critic.named_parameters() if name.endswith("weight"))
    return estimates[0], estimates[1], layers


def check_clip_shrink(answer, strict: bool = False) -> Verdict:
    r"""Exercise 08.1: the factor by which the clipped critic's estimate falls when c goes from 0.01 to 0.001:
    ``configure(dataset="2clusters", algorithm="wgan", clip_value=c)`` on the lesson's classroom, one press of
    *critic x20* (``train_critic(20)``), then ``frames[-1]["estimate"]`` at c = 0.01 over that at c = 0.001.

    Algorithm 1, line 7 clips every weight to :math:`[-c, c]`, so the family bound
    :math:`\prod_l c\sqrt{n_{l-1} n_l}` falls by exactly :math:`10^L` (L weight layers); the trained critics'
    estimates, an effective slope times W (lesson 04), fall by a measured factor of that order, not by 10.
    Reference: the two seeded sessions stepped through the classroom's trainer (20 RMSProp steps each, threads as
    set, CPU) and eq. (3) on the session's samples; tolerance 3% relative (a perturbation of every weight by one
    part in a million moves it by under 1%).
    """
    exercise = "08.1"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "estimate at c = 0.01 / estimate at c = 0.001 after train_critic(20)")
    wide, narrow, layers = _clipped_estimates_08()
    reference = wide / narrow
    if near(value, reference, 0.03):
        return finish(
            exercise,
            "right",
            f"the estimate fell {reference:.3g}x; the family bound falls exactly 10^{layers}: the same order, not 10",
            strict,
        )
    if near(value, 10.0**layers, 0.01):
        return finish(
            exercise,
            "wrong",
            f"10^{layers} is how far the family bound falls, a prediction; the answer is measured: divide the two "
            "estimates.",
            strict,
        )
    if near(value, 10.0, 0.01):
        return finish(
            exercise,
            "wrong",
            "the estimate is not linear in c: every layer's weights are clipped, and the layers multiply; measure it.",
            strict,
        )
    if near(value, 10.0 ** (layers - 1), 0.01):
        return finish(
            exercise,
            "wrong",
            "10^(L - 1) counts the hidden layers only (the output layer is clipped too); and measure rather than "
            "predict.",
            strict,
        )
    if near(value, 1 / reference, 0.03):
        return finish(
            exercise, "wrong", "the other way round: the estimate at c = 0.01 over the one at c = 0.001.", strict
        )
    return finish(
        exercise,
        "wrong",
        "for each c: configure(dataset='2clusters', algorithm='wgan', clip_value=c), train_critic(20), read "
        "frames[-1]['estimate']; then divide.",
        strict,
    )


@functools.lru_cache(maxsize=None)
def _saturation_arrows_08() -> dict:
    """``{steps: {generator loss: largest arrow}}`` at the generated points after 30 and 100 discriminator steps
    of a ``gan-logd`` session on ``2clusters``, for the -log D loss (the session's arrows) and the minimax loss.

    A discriminator step ascends L(D) whatever the generator descends (both GANs have one row of settings in
    ``objectives.DEFAULTS``), so the minimax arrows at the same discriminator are those of a ``gan-minimax``
    session."""
    import torch

    from ..objectives import generator_losses

    session = _session(dataset="2clusters", algorithm="gan-logd")
    trainer = session.trainer
    points = torch.as_tensor(trainer.generated(), dtype=torch.float32, device=trainer.device)

    def largest(kind: str) -> float:
        x = points.clone().requires_grad_(True)
        (gradient,) = torch.autograd.grad(-generator_losses(kind, trainer.critic(x)).sum(), x)
        return float(gradient.norm(dim=1).max())

    arrows = {}
    for steps in (30, 100):
        while trainer.critic_steps < steps:
            trainer.critic_step()
        arrows[steps] = {kind: largest(kind) for kind in ("gan-logd", "gan-minimax")}
    return arrows


def check_logd_arrows(answer, strict: bool = False) -> Verdict:
    r"""Exercise 08.2: section 2 with the -log D generator. After ``configure(dataset="2clusters",
    algorithm="gan-logd")``, ``train_critic(30)`` and ``train_critic(70)``: the largest arrow after 100
    discriminator steps over the largest after 30 (``frames[-1]["arrow_norm_max"]``).

    The arrows are :math:`\nabla_x \log D = (1 - D)\,\nabla_x \ell` (the -log D trick, Section 4), which does not
    vanish as the discriminator saturates at the fakes (:math:`D \to 0`, Figure 2), unlike the minimax
    :math:`D\,\nabla_x \ell`. Reference: the seeded session stepped through the classroom's trainer, the arrows by
    autograd of ``objectives.generator_losses``; tolerance 10% relative (the largest arrow is a maximum over points:
    perturbing every weight by one part in a million moves the ratio by up to 2%).
    """
    exercise = "08.2"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    value = as_number(exercise, answer, "largest arrow after 100 discriminator steps / after 30, gan-logd")
    arrows = _saturation_arrows_08()
    reference = arrows[100]["gan-logd"] / arrows[30]["gan-logd"]
    minimax = arrows[100]["gan-minimax"] / arrows[30]["gan-minimax"]
    if near(value, reference, 0.10):
        return finish(
            exercise,
            "right",
            f"the -log D arrows grew {reference:.2g}x while the minimax ones fell to {minimax:.2g}x: 1 - D -> 1 at the fakes",
            strict,
        )
    if near(value, minimax, 0.10):
        return finish(
            exercise,
            "wrong",
            "that is the minimax generator's ratio (its arrows D grad l vanish); configure algorithm='gan-logd' first.",
            strict,
        )
    if near(value, 1 / reference, 0.10):
        return finish(
            exercise, "wrong", "the other way round: the largest arrow after 100 steps over after 30.", strict
        )
    return finish(
        exercise,
        "wrong",
        "configure(dataset='2clusters', algorithm='gan-logd'), train_critic(30), read frames[-1]['arrow_norm_max'], "
        "train_critic(70), read it again and divide.",
        strict,
    )


@functools.lru_cache(maxsize=None)
def _untrained_w1_08() -> float:
    """The exact W1 on screen at step 0 of a ``wgan-gp`` session on ``25gaussians`` (it does not depend on lambda)."""
    return float(_session(dataset="25gaussians", algorithm="wgan-gp").frames[0]["exact_w1"])


PENALTY_WEIGHTS_08 = (10.0, 0.1)  # lambda: WGAN-GP's paper value, then its toy value (the classroom's default)


def check_penalty_bias_pair(answer, strict: bool = False) -> Verdict:
    r"""Exercise 08.3: what lesson 04's linear critics predict a trained WGAN-GP critic's estimate reaches against
    the untrained generator of ``configure(dataset="25gaussians", algorithm="wgan-gp", penalty_weight=lambda)``:
    the pair :math:`W + W^2/(2\lambda)` for :math:`\lambda = 10` and :math:`\lambda = 0.1`, W the exact W1 on
    screen at step 0 (``frames[0]["exact_w1"]``).

    Over the critics :math:`s f^*` the WGAN-GP objective is :math:`J(s) = sW - \lambda(s - 1)^2`, maximised at
    :math:`s^* = 1 + W/(2\lambda)` with gap :math:`s^* W` (:func:`~wgan_toys.optimal.gradient_penalty_prediction`;
    below the optimum over all critics, lesson 04). Reference: that function at the session's W, the exact W1 of
    ``ot.emd`` between its 256 generated and 256 real points; tolerance 1e-4 relative.
    """
    exercise = "08.3"
    what = "(W + W^2/(2 lambda) at lambda = 10, the same at lambda = 0.1)"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    values = as_numbers(exercise, answer, 2, what)
    from ..optimal import gradient_penalty_prediction

    distance = _untrained_w1_08()
    weights = np.array(PENALTY_WEIGHTS_08)
    reference = np.array([gradient_penalty_prediction(distance, weight)["estimate"] for weight in weights])

    def matches(candidate) -> bool:
        return bool(np.allclose(values, candidate, rtol=1e-4, atol=0.0))

    if matches(reference):
        return finish(
            exercise,
            "right",
            f"W = {distance:.4f}: {reference[0]:.4f} at lambda = 10, {reference[1]:.4f} at lambda = 0.1, "
            f"{reference[1] / distance:.1f} x W",
            strict,
        )
    if matches(reference[::-1]):
        return finish(
            exercise, "wrong", "your two numbers are in the other order: (lambda = 10, lambda = 0.1).", strict
        )
    if matches([distance, distance]):
        return finish(
            exercise,
            "wrong",
            "that is W itself, twice; the penalty lets the slope pass 1: maximise sW - lambda (s - 1)^2.",
            strict,
        )
    if matches(distance + distance**2 / weights):
        return finish(exercise, "wrong", "did you forget the 1/2 in W^2 / (2 lambda)?", strict)
    if matches(distance**2 / (2 * weights)):
        return finish(exercise, "wrong", "that is the bias alone; the estimate is W plus it.", strict)
    if matches(distance + distance**2 / (4 * weights)):
        return finish(
            exercise,
            "wrong",
            "that is the penalised objective J(s*), the gap minus the penalty; eq. (3) logs the gap s* W.",
            strict,
        )
    return finish(
        exercise,
        "wrong",
        "W is the exact W1 at step 0 (frames[0]['exact_w1'] after configure(dataset='25gaussians', "
        "algorithm='wgan-gp')); then W + W^2/(2 lambda) for lambda = 10 and 0.1.",
        strict,
    )


@functools.lru_cache(maxsize=None)
def _recorded_session_08() -> tuple[int, int]:
    """(frames a GIF of 20 ticks of *run* holds, critic steps in its metrics.jsonl's last line): the frames a fresh
    session holds before any press, plus one per press; n_critic critic steps per tick (the wgan-gp default)."""
    from ..classroom import Classroom, algorithm_settings

    start = len(Classroom(dataset="2clusters", algorithm="wgan-gp", n_samples=8, grid_size=8).frames)
    return start + 20, 20 * algorithm_settings("wgan-gp")["n_critic"]


def check_recorded_session(answer, strict: bool = False) -> Verdict:
    r"""Exercise 08.4: a ``wgan-gp`` session recorded over 20 ticks of *run* (``iteration()``: Algorithm 1's loop,
    n_critic critic steps and one generator step): ``(frames in save_gif's GIF, critic_steps in the last line of
    save_metrics's metrics.jsonl)``.

    ``save_gif`` writes one GIF frame per recorded frame, the session's step 0 included, and every press records
    one frame. Reference: a fresh session's frames plus 20, and 20 times the algorithm's ``n_critic``
    (:func:`~wgan_toys.classroom.algorithm_settings`); exact.
    """
    exercise = "08.4"
    what = "(frames in the GIF, critic_steps in the last line of metrics.jsonl)"
    if is_unattempted(answer):
        return finish(exercise, "not attempted", "", strict)
    values = as_numbers(exercise, answer, 2, what)
    frames, critic_steps = _recorded_session_08()
    presses, per_press = frames - 1, critic_steps // 20

    def matches(candidate) -> bool:
        return bool(np.allclose(values, candidate, rtol=0.0, atol=1e-9))

    if matches((frames, critic_steps)):
        return finish(
            exercise, "right", f"{frames} frames (step 0 and one per press), {critic_steps} critic steps", strict
        )
    if matches((critic_steps, frames)):
        return finish(exercise, "wrong", "your two numbers are in the other order: (frames, critic steps).", strict)
    if values[0] == presses:
        return finish(exercise, "wrong", "the recording starts with the session's step 0, before any press.", strict)
    if values[0] in (20 * (per_press + 1), 20 * (per_press + 1) + 1, critic_steps, critic_steps + 1):
        return finish(
            exercise, "wrong", "one frame per press (a tick of run), not one per critic or generator update.", strict
        )
    if values[1] == presses:
        return finish(
            exercise, "wrong", "a tick of run is an iteration: n_critic critic steps, then one generator step.", strict
        )
    if values[1] == critic_steps + presses:
        return finish(exercise, "wrong", "critic_steps counts the critic's updates only, not the generator's.", strict)
    return finish(
        exercise,
        "wrong",
        "record it: 20 x iteration(), then len(frames) (what save_gif writes) and the last line of save_metrics.",
        strict,
    )


CHECKERS = {
    "08.1": check_clip_shrink,
    "08.2": check_logd_arrows,
    "08.3": check_penalty_bias_pair,
    "08.4": check_recorded_session,
}
