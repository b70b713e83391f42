r"""Measured companions of results the lessons cite from outside the WGAN paper.

Four statements that the course uses and a student can check with a few seconds of CPU:

- :func:`rmsprop_steps_to_reach`, :func:`rmsprop_path`: what ``torch.optim.RMSprop`` (Algorithm 1's optimiser)
  does to one weight under a constant gradient g. Its step is :math:`\alpha g / (\sqrt{v_t} + \epsilon)` with
  :math:`v_t = 0.99 v_{t-1} + 0.01 g^2`, :math:`v_0 = 0` and :math:`\epsilon = 10^{-8}`, without bias correction:
  :math:`\alpha / \sqrt{1 - 0.99^t}` per step for :math:`|g| \gg \epsilon` (10 alpha at the first step, within 1% of
  alpha after about 400), and a step that shrinks in proportion to :math:`|g|/\epsilon` for :math:`|g| \ll \epsilon`
  (lessons 04 and 05).
- :func:`penalty_bound_terms`: the gradient-penalty objective of WGAN-GP, eq. (3) of Gulrajani et al., measured on a
  trained critic in any dimension, beside the lower bounds :math:`\lambda\,\mathbb{E}(\|\nabla f\| - 1)^2 \ge
  W^2/(4\lambda)` and :math:`\mathbb{E}_r f - \mathbb{E}_g f \ge W + W^2/(2\lambda)` that hold at its optimum
  (lesson 04, section 7).
- :func:`coupling_cosines`: WGAN-GP's Proposition 1 measured: the cosine between a critic's gradient at points on
  the segments of the exact optimal coupling (POT) and the segments' direction (lesson 04, section 8).
- :func:`theorem_2_4_terms`: Arjovsky and Bottou (2017), Theorem 2.4, the bound on the minimax generator's gradient
  for a discriminator :math:`\varepsilon`-close to a perfect one (lesson 03).

References
----------
Arjovsky, Chintala, Bottou (2017), *Wasserstein GAN*, arXiv:1701.07875.
Arjovsky, Bottou (2017), *Towards Principled Methods for Training Generative Adversarial Networks*, arXiv:1701.04862.
Gulrajani, Ahmed, Arjovsky, Dumoulin, Courville (2017), *Improved Training of Wasserstein GANs*, arXiv:1704.00028.
Tieleman, Hinton (2012), Lecture 6.5, RMSProp; ``torch.optim.RMSprop`` (alpha = 0.99, eps = 1e-8 by default).
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_int, check_positive, check_samples
from .runtime import numpy_generator, torch_generator

__all__ = [
    "coupling_cosines",
    "penalty_bound_terms",
    "rmsprop_path",
    "rmsprop_steps_to_reach",
    "theorem_2_4_terms",
]


def _constant_gradients(gradients) -> np.ndarray:
    values = np.atleast_1d(np.asarray(gradients, dtype=float))
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)) or np.any(values == 0):
        raise ValueError(
            f"gradients == {gradients!r}, must be a non-empty list of finite non-zero numbers (one constant "
            "gradient per weight, e.g. (1.0, 1e-6, 1e-8, 1e-10))."
        )
    return values


def rmsprop_path(gradients, steps: int, learning_rate: float = 5e-5) -> np.ndarray:
    r"""Positions of weights that start at 0 and take ``steps`` steps of ``torch.optim.RMSprop`` under constant
    gradients (one weight per gradient, moving against it).

    .. math::

        v_t = 0.99\,v_{t-1} + 0.01\,g^2, \qquad w_t = w_{t-1} - \alpha\,\frac{g}{\sqrt{v_t} + 10^{-8}}

    Parameters
    ----------
    gradients : array_like, shape (G,)
        The constant gradients g, non-zero.
    steps : int
        Number of steps, >= 1.
    learning_rate : float, default=5e-5
        alpha (Algorithm 1's default), > 0.

    Returns
    -------
    ndarray, shape (steps + 1, G)
        :math:`|w_t|` for t = 0 ... steps (row 0 is the start, 0).

    Examples
    --------
    >>> path = rmsprop_path([1.0], steps=1, learning_rate=5e-5)
    >>> round(float(path[1, 0] / 5e-5), 3)  # the first step: alpha / sqrt(0.01) = 10 alpha
    10.0
    """
    import torch

    values = _constant_gradients(gradients)
    steps = check_int("steps", steps, minimum=1)
    learning_rate = check_positive("learning_rate", learning_rate)
    weight = torch.zeros(values.size, requires_grad=True)
    optimizer = torch.optim.RMSprop([weight], lr=learning_rate)
    gradient = torch.tensor(values, dtype=weight.dtype)
    path = np.zeros((steps + 1, values.size))
    for t in range(1, steps + 1):
        weight.grad = gradient.clone()
        optimizer.step()
        path[t] = np.abs(weight.detach().numpy())
    return path


def rmsprop_steps_to_reach(
    gradients, distance: float, learning_rate: float = 5e-5, max_steps: int = 1_000_000
) -> np.ndarray:
    r"""Steps ``torch.optim.RMSprop`` takes to move a weight from 0 by ``distance`` under each constant gradient.

    With :math:`|g| \gg \epsilon = 10^{-8}` the answer hardly depends on g, and it is below
    ``distance / learning_rate``: the first steps are larger than alpha (no bias correction, :func:`rmsprop_path`).
    With :math:`|g| \lesssim \epsilon` each step shrinks by about :math:`|g|/(0.1|g| + \epsilon)` in the first steps
    and :math:`|g|/(|g| + \epsilon)` later, and the count grows in proportion.

    Parameters
    ----------
    gradients : array_like, shape (G,)
        The constant gradients g, non-zero.
    distance : float
        How far each weight must move (c for a weight that crosses from 0 to a clipping wall), > 0.
    learning_rate : float, default=5e-5
        alpha, > 0.
    max_steps : int, default=1_000_000
        Give up after this many steps, >= 1.

    Returns
    -------
    ndarray of int, shape (G,)
        The first t with :math:`|w_t| \ge` ``distance``.

    Raises
    ------
    RuntimeError
        If some weight has not moved ``distance`` after ``max_steps`` steps.
    """
    import torch

    values = _constant_gradients(gradients)
    distance = check_positive("distance", distance)
    learning_rate = check_positive("learning_rate", learning_rate)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    weight = torch.zeros(values.size, requires_grad=True)
    optimizer = torch.optim.RMSprop([weight], lr=learning_rate)
    gradient = torch.tensor(values, dtype=weight.dtype)
    reached = np.zeros(values.size, dtype=int)
    for t in range(1, max_steps + 1):
        weight.grad = gradient.clone()
        optimizer.step()
        newly = (reached == 0) & (np.abs(weight.detach().numpy()) >= distance)
        reached[newly] = t
        if np.all(reached > 0):
            return reached
    raise RuntimeError(
        f"after max_steps == {max_steps} some weights had not moved {distance}: gradients "
        f"{values[reached == 0].tolist()}; raise max_steps."
    )


def _as_tensor(points, dtype):
    import torch

    return torch.as_tensor(np.asarray(points, dtype=float), dtype=dtype)


def _critic_gradients(critic, points) -> np.ndarray:
    """grad_x f at ``points`` (n, d), by autograd through the critic; shape (n, d)."""
    import torch

    parameter = next(critic.parameters())
    x = _as_tensor(points, parameter.dtype).to(parameter.device).requires_grad_(True)
    (gradient,) = torch.autograd.grad(critic(x).sum(), x)
    return gradient.detach().cpu().double().numpy()


def _critic_values(critic, points) -> np.ndarray:
    import torch

    parameter = next(critic.parameters())
    with torch.no_grad():
        values = critic(_as_tensor(points, parameter.dtype).to(parameter.device))
    return values.reshape(-1).cpu().double().numpy()


def penalty_bound_terms(critic, real, fake, penalty_weight: float, wasserstein: float, seed=0) -> dict:
    r"""The terms of WGAN-GP's objective for a trained critic, and the lower bounds they obey at its optimum.

    With :math:`\hat x = \epsilon x_r + (1 - \epsilon) x_g` (one :math:`\epsilon \sim U[0, 1]` per pair of the given
    samples) and :math:`a = \|\nabla f(\hat x)\|`, the penalised objective is
    :math:`J[f] = \text{gap} - P`, :math:`\text{gap} = \mathbb{E}_r f - \mathbb{E}_g f`,
    :math:`P = \lambda\,\mathbb{E}(a - 1)^2`. At a maximiser :math:`f_\lambda` (with :math:`a > 0` almost surely)
    and for a 1-Lipschitz optimal critic :math:`f^*` of eq. (2), :math:`\frac{d}{dt} J[f_\lambda + t f^*] = 0` gives

    .. math::

        W = 2\lambda\,\mathbb{E}\big[(a - 1)\,\langle \nabla f_\lambda / a, \nabla f^* \rangle\big]
        \le 2\lambda\,\mathbb{E}|a - 1| \le 2\lambda\sqrt{\mathbb{E}(a - 1)^2},
        \quad\text{so}\quad P \ge \frac{W^2}{4\lambda};

    if moreover :math:`\|\nabla f^*\| = 1` at almost every interpolate, :math:`J[f_\lambda] \ge \max_s J[s f^*]
    = W + W^2/(4\lambda)`, and :math:`\text{gap} = J + P \ge W + W^2/(2\lambda)`.

    Parameters
    ----------
    critic : torch.nn.Module
        f, mapping (n, d) to (n, 1).
    real, fake : array_like, shapes (n, d)
        Samples of P_r and P_g, the same number n of each (paired in order for the interpolates).
    penalty_weight : float
        lambda, > 0.
    wasserstein : float
        W(P_r, P_g), from an independent route (a closed form, or POT), > 0.
    seed : int, None or numpy Generator, default=0
        For the interpolation weights epsilon.

    Returns
    -------
    dict
        ``gap``, ``penalty`` (P), ``objective`` (J), ``mean_abs_excess`` (E|a - 1|), ``bound_gap``
        (W + W^2/(2 lambda)), ``bound_penalty`` (W^2/(4 lambda)), ``bound_objective`` (W + W^2/(4 lambda)),
        ``bound_mean_abs_excess`` (W/(2 lambda)).
    """
    x_real = check_samples("real", real)
    x_fake = check_samples("fake", fake, dim=x_real.shape[1])
    if len(x_real) != len(x_fake):
        raise ValueError(
            f"real has {len(x_real)} points and fake {len(x_fake)}, must be equal: they are paired for the "
            "interpolates."
        )
    weight = check_positive("penalty_weight", penalty_weight)
    distance = check_positive("wasserstein", wasserstein)
    epsilon = numpy_generator(seed).random((len(x_real), 1))
    norms = np.linalg.norm(_critic_gradients(critic, epsilon * x_real + (1 - epsilon) * x_fake), axis=1)
    gap = float(_critic_values(critic, x_real).mean() - _critic_values(critic, x_fake).mean())
    penalty = weight * float(np.mean((norms - 1) ** 2))
    return {
        "gap": gap,
        "penalty": penalty,
        "objective": gap - penalty,
        "mean_abs_excess": float(np.mean(np.abs(norms - 1))),
        "bound_gap": distance + distance**2 / (2 * weight),
        "bound_penalty": distance**2 / (4 * weight),
        "bound_objective": distance + distance**2 / (4 * weight),
        "bound_mean_abs_excess": distance / (2 * weight),
    }


def coupling_cosines(critic, real, fake, seed=0) -> dict:
    r"""WGAN-GP's Proposition 1, measured: the critic's gradient against the segments of the exact optimal coupling.

    Proposition 1 (Gulrajani et al. 2017): if the optimal critic :math:`f^*` is differentiable, :math:`\pi` the
    optimal coupling and :math:`x_t = t x + (1 - t) y` for :math:`(x, y) \sim \pi` (x generated, y real), then
    :math:`\nabla f^*(x_t) = (y - x_t)/\|y - x_t\|` with probability 1. Here :math:`\pi` is the exact plan between
    the two samples, of equal size n, computed by POT (``ot.emd`` through
    :func:`~wgan_toys.transport.exact_transport`), which for uniform weights is a permutation; one
    :math:`t \sim U[0, 1]` per pair. As a baseline, the same points against the direction to a real point drawn
    independently, as WGAN-GP's interpolates pair them.

    Parameters
    ----------
    critic : torch.nn.Module
        f, mapping (n, d) to (n, 1).
    real, fake : array_like, shapes (n, d)
        Samples of P_r and P_g, the same n (a few hundred to a few thousand: ``ot.emd`` is cubic-ish in n).
    seed : int, None or numpy Generator, default=0
        For t and the baseline's pairing.

    Returns
    -------
    dict
        ``cosine`` (n,) along the coupling's segments, ``independent_cosine`` (n,) for the baseline, ``partner``
        (n,) the index of each fake point's real partner, ``wasserstein`` the plan's cost.
    """
    from .transport import exact_transport

    x_real = check_samples("real", real)
    x_fake = check_samples("fake", fake, dim=x_real.shape[1])
    if len(x_real) != len(x_fake):
        raise ValueError(
            f"real has {len(x_real)} points and fake {len(x_fake)}, must be equal: the plan is then a permutation."
        )
    result = exact_transport(x_real, x_fake)
    partner = result.plan.argmax(axis=0)  # the real point each fake point is sent to
    if not np.allclose(result.plan[partner, np.arange(len(x_fake))], 1 / len(x_fake)):
        raise RuntimeError("the exact plan between equal-size uniform samples is not a permutation: ties in the costs?")
    rng = numpy_generator(seed)
    t = rng.random((len(x_fake), 1))
    points = t * x_fake + (1 - t) * x_real[partner]
    gradients = _critic_gradients(critic, points)
    unit = gradients / np.linalg.norm(gradients, axis=1, keepdims=True)

    def cosines(targets):
        direction = targets - points
        return np.sum(unit * direction, axis=1) / np.linalg.norm(direction, axis=1)

    return {
        "cosine": cosines(x_real[partner]),
        "independent_cosine": cosines(x_real[rng.permutation(len(x_real))]),
        "partner": partner,
        "wasserstein": result.cost,
    }


def theorem_2_4_terms(logit, mean: float, std: float, n: int = 10_000, seed=0, truncation: float | None = None) -> dict:
    r"""Both sides of Arjovsky and Bottou's Theorem 2.4 for a generator :math:`g_\theta(z) = \mu + \sigma z` on the
    line, :math:`\theta = (\mu, \sigma)`, :math:`z \sim N(0, 1)` (truncated to :math:`|z| \le` ``truncation`` if given),
    and a discriminator :math:`D = \text{sigmoid}(\text{logit})`.

    Theorem 2.4 (Arjovsky and Bottou 2017, "vanishing gradients on the generator"): let :math:`g_\theta` be
    differentiable, D a differentiable discriminator, the conditions of their Theorem 2.1 or 2.2 hold (the supports
    are disjoint compact sets, or low-dimensional manifolds that are not perfectly aligned, so that a perfect
    discriminator :math:`D^*` exists, 1 on the real support and 0 on the generated one, with :math:`\nabla_x D^* = 0`
    on both), :math:`\|D - D^*\| < \varepsilon` in the norm :math:`\|D\| = \sup_x |D(x)| + \|\nabla_x D(x)\|_2`, and
    :math:`\mathbb{E}_z \|J_\theta g_\theta(z)\|_2^2 \le M^2`. Then

    .. math::

        \big\|\nabla_\theta \mathbb{E}_z \log(1 - D(g_\theta(z)))\big\|_2 < M\,\frac{\varepsilon}{1 - \varepsilon}.

    Its proof uses the norm only at the generated points, where :math:`D^* = 0` and :math:`\nabla D^* = 0`; this
    function measures :math:`\varepsilon` there, as :math:`\max_i (|D(x_i)| + |D'(x_i)|)` over the n generated
    points :math:`x_i = \mu + \sigma z_i`, which is at most the theorem's :math:`\|D - D^*\|` (a supremum over every
    x), so the bound computed with it is the stronger one. M is measured on the same draws,
    :math:`M^2 = \frac1n\sum_i (1 + z_i^2)` (:math:`J_\theta g = (1, z)`), and the gradient by autograd in
    :math:`(\mu, \sigma)`.

    Parameters
    ----------
    logit : callable
        torch tensor (n, 1) -> logit of D, (n, 1) or (n,); a trained network or a closed form.
    mean, std : float
        mu and sigma of the generator (std > 0).
    n : int, default=10_000
        Draws of z, >= 2.
    seed : int, None or torch.Generator, default=0
    truncation : float or None, default=None
        If given (>= 0.1), z is drawn from N(0, 1) conditioned on :math:`|z| \le` ``truncation`` (by rejection), so the
        generated law has the compact support :math:`[\mu - \sigma b, \mu + \sigma b]` that the theorem assumes.

    Returns
    -------
    dict
        ``gradient`` (the two components), ``gradient_norm``, ``epsilon``, ``jacobian_bound`` (M), ``bound``
        (M eps/(1 - eps), inf when eps >= 1).
    """
    import torch

    mean = float(mean)
    std = check_positive("std", std)
    n = check_int("n", n, minimum=2)
    z = _standard_normal_draws(n, seed, truncation)
    theta = torch.tensor([mean, std], dtype=torch.float64, requires_grad=True)
    points = theta[0] + theta[1] * z
    (gradient,) = torch.autograd.grad(torch.nn.functional.logsigmoid(-_logit_of(logit, points)).mean(), theta)
    x = points.detach().clone().requires_grad_(True)
    discriminator = torch.sigmoid(_logit_of(logit, x))
    (slope,) = torch.autograd.grad(discriminator.sum(), x)
    epsilon = float((discriminator.detach().abs() + slope.abs()).max())
    jacobian_bound = float(torch.sqrt((1 + z**2).mean()))
    norm = float(gradient.norm())
    return {
        "gradient": gradient.numpy(),
        "gradient_norm": norm,
        "epsilon": epsilon,
        "jacobian_bound": jacobian_bound,
        "bound": jacobian_bound * epsilon / (1 - epsilon) if epsilon < 1 else math.inf,
    }


def _standard_normal_draws(n: int, seed, truncation):
    """(n, 1) float64 draws of N(0, 1), conditioned on |z| <= truncation by rejection when it is given."""
    import torch

    generator = torch_generator(seed)
    if truncation is None:
        return torch.randn(n, 1, generator=generator, dtype=torch.float64)
    bound = check_positive("truncation", truncation)
    if bound < 0.1:
        raise ValueError(
            f"truncation == {truncation!r}, must be >= 0.1 (or None): below it rejection keeps under 8% of the draws; "
            "widen it."
        )
    kept = torch.empty(0, 1, dtype=torch.float64)
    while len(kept) < n:
        draws = torch.randn(2 * n, 1, generator=generator, dtype=torch.float64)
        kept = torch.cat([kept, draws[draws.abs().squeeze(1) <= bound]])
    return kept[:n]


def _logit_of(logit, points):
    """logit(points) as a float64 column, whatever dtype the callable (a float32 network) computes in."""
    import torch

    parameters = list(logit.parameters()) if isinstance(logit, torch.nn.Module) else []
    dtype = parameters[0].dtype if parameters else points.dtype
    return logit(points.to(dtype)).reshape(-1, 1).to(torch.float64)
