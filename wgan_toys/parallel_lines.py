r"""Learning Example 1: gradient descent on theta with each distance, and with trained networks.

The target is P_0; the model is P_theta, the law of g_theta(z) = (theta, z), Z ~ U[0, 1].

- :func:`exact_gradient`: d rho(P_0, P_theta) / d theta for rho in EM, JS, KL, TV, by a central
  difference of the exact values. EM gives sign(theta); JS and TV are constant for theta != 0,
  so their gradient is exactly 0 and descent never moves (Section 2, Figure 1). KL is +inf for
  every theta != 0: its difference quotient is inf - inf, so its gradient is undefined (nan),
  not 0, and there is no descent on it.
- :func:`descend_exact`: that descent, with a decaying step (|theta| has a kink at 0, so a fixed
  step would bounce around 0 at its own size).
- :func:`learn_parallel_lines`: the same problem learned with networks: a WGAN critic
  (Algorithm 1 with the generator g_theta), or a GAN discriminator with the minimax generator
  loss or the -log D trick. Returns the trajectory of theta.
- :func:`theorem_3_gradient`: :math:`-E_z[\nabla_\theta f(g_\theta(z))]` for a trained critic, which
  Theorem 3 says is :math:`\nabla_\theta W(P_r, P_\theta)` (times K) at the optimal critic.
- :func:`critic_objective`: :math:`V(f, \theta') = E_{P_0} f - E_z f(g_{\theta'}(z))` for one fixed critic
  over many :math:`\theta'`: the curve that touches :math:`W(\theta') = |\theta'|` from below where f is
  optimal (the envelope argument behind Theorem 3).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Example 1, Figure 1, Theorem 3, Algorithm 1.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ._validation import check_choice, check_int, check_positive, check_real
from .algorithm1 import CriticObjective, critic_update, generator_update, make_optimizer
from .distances import all_distances
from .distributions import ParallelLines
from .lipschitz import NoConstraint, make_constraint
from .networks import make_critic, make_discriminator
from .objectives import ALGORITHMS, generator_loss_kind
from .runtime import build_seeded, resolve_device, torch_generator
from .train import FitSettings, NetworkShape, TrainingDivergedError, settings_and_shape

__all__ = [
    "DISTANCES",
    "NETWORK_ALGORITHMS",
    "exact_gradient",
    "descend_exact",
    "learn_parallel_lines",
    "theorem_3_gradient",
    "critic_objective",
]

DISTANCES = ("em", "js", "kl", "tv")
NETWORK_ALGORITHMS = ALGORITHMS  # wgan, wgan-gp, gan-minimax, gan-logd
# FitSettings fields learn_parallel_lines takes as keywords (it also reads settings.learning_rate,
# the network's step; its own learning_rate keyword is theta's)
FIT_KEYWORDS = ("batch_size", "seed", "device")


def _distance(name: str, theta: float) -> float:
    return all_distances(ParallelLines(0.0), ParallelLines(theta))[name]


def exact_gradient(distance: str, theta: float, step: float = 1e-6) -> float:
    r"""d rho(P_0, P_theta) / d theta by a central difference of exact values (Example 1).

    .. math::

        \frac{\rho(P_0, P_{\theta + h}) - \rho(P_0, P_{\theta - h})}{2h}

    Returns
    -------
    float
        sign(theta) for 'em' (|theta| > step); 0.0 for 'js' and 'tv', whose values do not change
        away from theta = 0; ``nan`` for 'kl' (and any distance that is +inf at theta +- step):
        KL(P_0 || P_theta) = +inf for every theta != 0, and inf - inf is undefined, so KL has no
        gradient, not a zero one. Within ``step`` of 0 the quotient straddles the jump of JS and
        TV (and the kink of EM); there the true derivative does not exist.
    """
    check_choice("distance", distance, DISTANCES)
    theta = check_real("theta", theta)
    step = check_positive("step", step)
    upper, lower = _distance(distance, theta + step), _distance(distance, theta - step)
    if math.isinf(upper) or math.isinf(lower):  # KL: inf - inf is undefined
        return math.nan
    return (upper - lower) / (2 * step)


def descend_exact(
    distance: str, theta0: float = 1.0, learning_rate: float = 0.1, steps: int = 300, decay: float = 0.97
) -> np.ndarray:
    """Gradient descent on theta with the exact distance: theta <- theta - alpha_t d rho / d theta.

    alpha_t = learning_rate * decay^t: the steps add up to learning_rate / (1 - decay), enough to
    cross |theta0| <= that, and shrink, so that EM's descent settles at 0 instead of bouncing.

    Returns
    -------
    ndarray, shape (steps + 1,)
        theta_0, ..., theta_steps.

    Raises
    ------
    ValueError
        If the gradient is undefined at some theta_t: for 'kl' at every theta != 0 (KL is +inf
        on both sides), so there is nothing to descend.
    """
    check_choice("distance", distance, DISTANCES)
    theta = check_real("theta0", theta0)
    check_positive("learning_rate", learning_rate)
    steps = check_int("steps", steps, minimum=0)
    if not 0 < decay <= 1:
        raise ValueError(f"decay == {decay}, must be in (0, 1].")
    trajectory = [theta]
    for t in range(steps):
        gradient = exact_gradient(distance, theta)
        if math.isnan(gradient):
            raise ValueError(
                f"the gradient of {distance!r} at theta == {theta:g} is undefined: {distance}(P_0, P_theta) is +inf "
                "on both sides (inf - inf); there is no descent on it. Use 'em', 'js' or 'tv'."
            )
        theta = theta - learning_rate * decay**t * gradient
        trajectory.append(theta)
    return np.array(trajectory)


def _generate(theta: torch.Tensor, n: int, rng: torch.Generator) -> torch.Tensor:
    """g_theta(z) = (theta, z) for n draws of z ~ U[0, 1]; differentiable in theta. Shape (n, 2)."""
    return _lines(theta, torch.rand(n, generator=rng, device=theta.device))


def _lines(theta: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """g_theta(z) = (theta, z) for given z, shape (n,): the points (n, 2)."""
    return torch.stack([theta.expand(len(z)), z], dim=1)


def _theta_optimizer(theta: torch.Tensor, optimizer: str, learning_rate: float, decay: float):
    """The optimiser of theta and its schedule, the step times ``decay`` after each iteration.

    RMSProp (as Algorithm 1) divides out the critic's scale K; plain gradient descent ('sgd') takes
    steps proportional to the gradient, so vanishing ones show. The decaying step lets theta settle
    instead of bouncing around 0 at the size of one step.
    """
    theta_optimizer: torch.optim.Optimizer
    if optimizer == "rmsprop":
        theta_optimizer = torch.optim.RMSprop([theta], lr=learning_rate)
    else:
        theta_optimizer = torch.optim.SGD([theta], lr=learning_rate)
    return theta_optimizer, torch.optim.lr_scheduler.ExponentialLR(theta_optimizer, gamma=decay)


def learn_parallel_lines(
    algorithm: str = "wgan-gp",
    theta0: float = 1.0,
    iterations: int = 200,
    n_critic: int = 5,
    theta_learning_rate: float = 2e-2,
    decay: float = 0.99,
    optimizer: str = "rmsprop",
    critic_learning_rate: float | None = None,
    clip_value: float = 0.01,
    penalty_weight: float = 10.0,
    settings: FitSettings | None = None,
    shape: NetworkShape | None = None,
    **overrides,
) -> dict:
    """Learn theta of Example 1 with a trained critic or discriminator (Algorithm 1's loop).

    Each iteration: ``n_critic`` updates of the critic (eq. 3; clipping or gradient penalty) or of
    the discriminator (L(D) of Section 4.2), then one step on theta with step size
    ``theta_learning_rate * decay^iteration``, by RMSProp (``optimizer='rmsprop'``, as Algorithm
    1; it divides the gradient by its running size, which hides how small a vanishing gradient
    is) or by plain gradient descent (``optimizer='sgd'``, where a vanishing gradient stalls
    theta). Both updates are Algorithm 1's (:mod:`~wgan_toys.algorithm1`), with g_theta(z) = (theta, z):

    - ``wgan``, ``wgan-gp``: descend :math:`-E_z f_w(g_\\theta(z))` (Algorithm 1, line 10);
    - ``gan-minimax``: descend :math:`E_z \\log(1 - D(g_\\theta(z)))`;
    - ``gan-logd``: descend :math:`-E_z \\log D(g_\\theta(z))` (the -log D trick).

    The network's settings are the trainers' (:class:`~wgan_toys.train.FitSettings`,
    :class:`~wgan_toys.train.NetworkShape`), of which this loop reads ``batch_size`` (m points of
    each law per update, >= 2), ``learning_rate`` (the network's step; None takes the ``toy`` row
    of :data:`~wgan_toys.objectives.DEFAULTS`: RMSProp 5e-4 for ``wgan``, Adam 1e-3 with betas
    (0.5, 0.9) for ``wgan-gp``, as WGAN-GP's toy script, Adam 1e-3 with betas (0.5, 0.999) for the
    GANs), ``seed`` and ``device``; it runs ``iterations`` iterations, with no held-out stopping
    rule. ``batch_size``, ``seed``, ``device``, ``width``, ``depth`` and ``activation`` are also
    taken as keywords (``seed=1``, ``batch_size=64``); ``critic_learning_rate``, when given, is the
    network's step (over ``settings.learning_rate``).

    Returns
    -------
    dict
        ``thetas`` (iterations + 1,), ``theta_gradients`` (iterations,), ``algorithm``.
    """
    check_choice("algorithm", algorithm, NETWORK_ALGORITHMS)
    theta0 = check_real("theta0", theta0)
    iterations = check_int("iterations", iterations, minimum=0)
    n_critic = check_int("n_critic", n_critic, minimum=1)
    settings, shape = settings_and_shape("learn_parallel_lines", settings, shape, overrides, fit_fields=FIT_KEYWORDS)
    batch_size = check_int("batch_size", settings.batch_size, minimum=2)
    check_positive("theta_learning_rate", theta_learning_rate)
    if critic_learning_rate is not None:
        check_positive("critic_learning_rate", critic_learning_rate)
    critic_learning_rate = settings.learning_rate if critic_learning_rate is None else critic_learning_rate
    if not 0 < decay <= 1:
        raise ValueError(f"decay == {decay}, must be in (0, 1].")
    check_choice("optimizer", optimizer, ("rmsprop", "sgd"))
    device = resolve_device(settings.device)
    rng = torch_generator(settings.seed, device=device)
    loss_kind = generator_loss_kind(algorithm)  # wgan, gan-minimax or gan-logd
    wgan = loss_kind == "wgan"
    network = build_seeded(
        lambda: (make_critic if wgan else make_discriminator)(2, shape.width, shape.depth, shape.activation), rng
    ).to(device)
    constraint = make_constraint("clip" if algorithm == "wgan" else "gp", clip_value, penalty_weight) if wgan else None
    constraint = constraint or NoConstraint()  # a GAN discriminator: its loss is its own
    constraint.prepare(network)
    network_optimizer = make_optimizer(network.parameters(), algorithm, "toy", learning_rate=critic_learning_rate)
    objective = CriticObjective(network, constraint, discriminator=not wgan, rng=rng)
    theta = torch.tensor(theta0, device=device, requires_grad=True)
    theta_optimizer, schedule = _theta_optimizer(theta, optimizer, theta_learning_rate, decay)
    target = ParallelLines(0.0)
    thetas, gradients = [theta0], []
    for iteration in range(iterations):
        for _ in range(n_critic):  # Algorithm 1, lines 2-8
            critic_update(
                network,
                objective,
                network_optimizer,
                constraint,
                lambda: target.sample_torch(batch_size, seed=rng, device=device),
                lambda: _generate(theta.detach(), batch_size, rng),
            )

        def check(loss, iteration=iteration):
            if not torch.isfinite(loss):
                raise TrainingDivergedError(
                    f"the loss on theta became {loss.item()} at iteration {iteration}; lower theta_learning_rate."
                )

        generator_update(  # Algorithm 1, lines 9-11: -E f, E log(1 - D) or -E log D
            network,
            lambda z: _lines(theta, z),
            theta_optimizer,
            loss_kind,
            lambda: torch.rand(batch_size, generator=rng, device=device),
            check=check,
        )
        if theta.grad is None:  # theta requires grad and the generator's loss depends on it
            raise RuntimeError(f"theta has no gradient after the generator update at iteration {iteration}")
        gradients.append(float(theta.grad))
        schedule.step()
        thetas.append(float(theta.detach()))
    return {"algorithm": algorithm, "thetas": np.array(thetas), "theta_gradients": np.array(gradients)}


def theorem_3_gradient(critic, theta: float, n: int = 100_000, seed=0) -> float:
    """:math:`-E_z[\\nabla_\\theta f(g_\\theta(z))]` for a critic f on R^2, by autograd on theta.

    Theorem 3: at the optimal critic this equals :math:`\\nabla_\\theta W(P_0, P_\\theta)` (times K
    for a K-Lipschitz family), which for Example 1 is sign(theta).
    """
    theta = check_real("theta", theta)
    device = next(critic.parameters()).device
    parameter = torch.tensor(theta, device=device, requires_grad=True)
    points = _generate(parameter, check_int("n", n, minimum=1), torch_generator(seed, device=device))
    (gradient,) = torch.autograd.grad(-critic(points).mean(), parameter)
    return float(gradient)


def exact_w_gradient_by_differences(theta: float, step: float = 1e-4) -> float:
    """Finite difference of the exact W(P_0, P_theta) = |theta|: the reference for Theorem 3."""
    return (abs(theta + step) - abs(theta - step)) / (2 * step) if not math.isclose(theta, 0.0) else 0.0


def critic_objective(critic, thetas, n: int = 20_000, seed=0) -> np.ndarray:
    r"""The critic objective of eq. (3) for one fixed critic f at several generator parameters.

    .. math::

        V(f, \theta') = E_{x \sim P_0} f(x) - E_{z} f(g_{\theta'}(z)), \qquad g_{\theta'}(z) = (\theta', z),

    by Monte Carlo with the same n draws of the real points and of z at every :math:`\theta'`
    (common random numbers: the curve is smooth in :math:`\theta'`). For a 1-Lipschitz f,
    Kantorovich-Rubinstein duality (eq. (2)) gives :math:`V(f, \theta') \le W(P_0, P_{\theta'}) = |\theta'|`
    for every :math:`\theta'`, with equality where f is optimal; two curves that touch with one above
    the other share their slope there, which is Theorem 3 (the envelope theorem).

    Parameters
    ----------
    critic : nn.Module
        A critic on R^2.
    thetas : array_like, shape (k,)
    n : int, default=20000
    seed : int, None or torch.Generator, default=0

    Returns
    -------
    ndarray, shape (k,)
    """
    n = check_int("n", n, minimum=1)
    thetas = np.asarray(thetas, dtype=float).reshape(-1)
    if not np.all(np.isfinite(thetas)):
        raise ValueError(f"thetas must be finite, got {thetas.tolist()}.")
    device = next(critic.parameters()).device
    random = torch_generator(seed, device=device)
    real = ParallelLines(0.0).sample_torch(n, seed=random, device=device)
    z = torch.rand(n, generator=random, device=device)
    values = []
    with torch.no_grad():
        real_mean = critic(real).mean()
        for theta in thetas:
            fake = torch.stack([torch.full_like(z, float(theta)), z], dim=1)  # g_theta'(z) = (theta', z)
            values.append(float(real_mean - critic(fake).mean()))
    return np.array(values)
