r"""Probes of trained networks: values, gradients, a Lipschitz estimate, gradient-norm audits.

Everything here reads a network that some loop has already trained (:mod:`wgan_toys.train`,
:mod:`wgan_toys.toy_gan`) and returns numpy numbers to set beside the
exact answers of :mod:`wgan_toys.optimal` and :mod:`wgan_toys.transport`:

- :func:`network_values`, :func:`network_gradients`: :math:`f_w(x)` and :math:`\nabla_x f_w(x)`
  at numpy points;
- :func:`discriminator_gradients`: :math:`dD/dx = D(1-D)\, d\,\text{logit}/dx`, the vanishing
  gradient of Figure 2;
- :func:`lipschitz_constant_on_grid`: the largest :math:`|f'|` on a grid, a lower bound on the
  Lipschitz constant;
- :func:`gradient_norm_audit`: :math:`\|\nabla f\|` at real, generated, interpolated and
  off-support points (WGAN-GP's Corollary 1: norm 1 on the lines joining coupled points);
- :func:`layer_gradient_norms`: the backpropagated signal at each layer (WGAN-GP's Figure 1).

No training happens here.

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Figure 2, Section 3.
Gulrajani et al. (2017), arXiv:1704.00028, Proposition 1, Corollary 1, Figure 1.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn

from ._validation import check_samples
from .objectives import wasserstein_estimate
from .runtime import numpy_generator

__all__ = [
    "network_values",
    "network_gradients",
    "discriminator_gradients",
    "lipschitz_constant_on_grid",
    "gradient_norm_audit",
    "layer_gradient_norms",
]


def network_values(network: nn.Module, points, device=None) -> np.ndarray:
    """Evaluate ``network`` on numpy points (n,) or (n, d); returns numpy (n,)."""
    device = device or next(network.parameters()).device
    x = torch.as_tensor(check_samples("points", points), dtype=torch.float32, device=device)
    with torch.no_grad():
        return network(x).cpu().numpy().astype(float)


def network_gradients(network: nn.Module, points, device=None) -> np.ndarray:
    """Gradients of ``network`` at numpy points: shape (n,) in 1D, (n, d) otherwise."""
    device = device or next(network.parameters()).device
    array = check_samples("points", points)
    x = torch.as_tensor(array, dtype=torch.float32, device=device).requires_grad_(True)
    (gradient,) = torch.autograd.grad(network(x).sum(), x)
    values = gradient.cpu().numpy().astype(float)
    return values[:, 0] if array.shape[1] == 1 else values


def discriminator_gradients(network: nn.Module, points) -> np.ndarray:
    """dD/dx = D (1 - D) d logit/dx for a discriminator that returns logits (Figure 2's
    vanishing gradient), at numpy points; shape as :func:`network_gradients`."""
    from scipy.special import expit

    probability = expit(network_values(network, points))
    gradient = network_gradients(network, points)
    return (
        (probability * (1 - probability))[:, None] * gradient
        if gradient.ndim == 2
        else probability * (1 - probability) * gradient
    )


def lipschitz_constant_on_grid(critic, grid) -> float:
    """The largest ``|df/dx|`` of a 1D critic over ``grid`` (a lower bound on its Lipschitz constant)."""
    return float(np.max(np.abs(network_gradients(critic, grid)))) if len(grid) else math.nan


def gradient_norm_audit(critic, real, fake, off_support, seed=0) -> dict:
    """||grad f|| at real, fake, interpolated (one epsilon ~ U[0,1] per pair) and off-support
    points; each entry a numpy array of shape (n,).

    Parameters
    ----------
    critic : nn.Module
    real, fake : array_like, shape (n,) or (n, d)
        Paired samples (same n).
    off_support : array_like, shape (k,) or (k, d)
        Points away from both laws.
    seed : int, None or numpy Generator, default=0
    """
    real = check_samples("real", real)
    fake = check_samples("fake", fake, dim=real.shape[1])
    if real.shape != fake.shape:
        raise ValueError(f"real has shape {real.shape} and fake {fake.shape}; they are paired, so they must match.")
    epsilon = numpy_generator(seed).uniform(size=(real.shape[0], 1))
    interpolated = epsilon * real + (1 - epsilon) * fake

    def norms(points):
        gradient = network_gradients(critic, points)
        return np.abs(gradient) if gradient.ndim == 1 else np.linalg.norm(gradient, axis=1)

    return {
        "real": norms(real),
        "fake": norms(fake),
        "interpolated": norms(interpolated),
        "off_support": norms(check_samples("off_support", off_support, dim=real.shape[1])),
    }


def layer_gradient_norms(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> list[float]:
    r"""Size of the backpropagated signal :math:`\partial(\text{critic\_loss}) / \partial h_{l-1}` at
    the input of each linear layer l (input layer first), in float64.

    The diagnostic of WGAN-GP's Figure 1 (left): with weight clipping each layer multiplies
    the signal by roughly c times a width factor, so it vanishes geometrically towards the input
    for small c and explodes for large c; with a gradient penalty it keeps one size. Returns
    the mean over the batch of the per-sample norms, one number per linear layer.
    """
    network = copy.deepcopy(critic).double()
    linears = [module for module in network.modules() if isinstance(module, nn.Linear)]
    inputs = []
    hooks = [layer.register_forward_pre_hook(lambda module, args: inputs.append(args[0])) for layer in linears]
    try:
        real, fake = real.detach().double().requires_grad_(True), fake.detach().double().requires_grad_(True)
        critic_loss = -wasserstein_estimate(network(real), network(fake))
    finally:
        for hook in hooks:
            hook.remove()
    gradients = torch.autograd.grad(critic_loss, inputs)
    count = len(linears)
    # each layer ran twice (real, then fake): add the two signals of the same layer
    return [
        float((gradients[i].flatten(1).norm(dim=1).mean() + gradients[i + count].flatten(1).norm(dim=1).mean()) / 2)
        for i in range(count)
    ]
