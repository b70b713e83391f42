r"""Small MLPs for the toy problems: the critic :math:`f_w` of eq. (3) and the GAN discriminator.

Both map a batch of points of shape (n, d) to shape (n,). The critic's output is a real
number with no squashing (the paper's critic "can't saturate"); the discriminator returns
*logits*, and :math:`D(x) = \sigma(\text{logit}(x))` is the probability that x is real. Losses use
the logits directly, which keeps :math:`\log D` finite where the sigmoid rounds to 0 or 1.

:class:`StackedCritics` holds S critics of the same shape in stacked tensors and runs them all
with one batched matmul per layer: the classroom sweeps over c, lambda or seeds train S
critics for little more than the price of one.
"""

from __future__ import annotations

import math
from typing import Callable, cast

import torch
from torch import nn

from ._validation import check_choice, check_int

__all__ = ["ACTIVATIONS", "MLP", "make_critic", "make_discriminator", "make_generator", "StackedCritics"]

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "softplus": nn.Softplus,
}


class MLP(nn.Module):
    """A multilayer perceptron from R^d to R (or R^k): ``depth`` hidden layers of ``width`` units.

    Parameters
    ----------
    input_dim : int, default=1
        d, the dimension of the points (1 for the Gaussians of Figure 2, 2 for the 2D toys).
    width : int, default=64
    depth : int, default=3
        Number of hidden layers (>= 1).
    activation : {'relu', 'leaky_relu', 'tanh', 'elu', 'softplus'}, default='relu'
    output_dim : int, default=1
        1 for a critic or discriminator (output shape (n,)); 2 for a 2D generator (n, 2).
    """

    def __init__(
        self, input_dim: int = 1, width: int = 64, depth: int = 3, activation: str = "relu", output_dim: int = 1
    ):
        super().__init__()
        self.input_dim = check_int("input_dim", input_dim, minimum=1)
        self.output_dim = check_int("output_dim", output_dim, minimum=1)
        check_int("width", width, minimum=1)
        check_int("depth", depth, minimum=1)
        check_choice("activation", activation, tuple(ACTIVATIONS))
        layers, fan_in = [], input_dim
        for _ in range(depth):
            layers += [nn.Linear(fan_in, width), ACTIVATIONS[activation]()]
            fan_in = width
        layers.append(nn.Linear(fan_in, output_dim))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 1:
            x = x[:, None]
        out = self.layers(x)
        return out.squeeze(-1) if self.output_dim == 1 else out  # (n, d) -> (n,) or (n, output_dim)


def _start_flat(network: MLP) -> MLP:
    last = cast(nn.Linear, network.layers[-1])  # MLP ends with its output nn.Linear
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    return network


def make_critic(
    input_dim: int = 1, width: int = 64, depth: int = 3, activation: str = "relu", start_flat: bool = True
) -> MLP:
    """The WGAN critic f_w (eq. 3): an MLP with a real-valued output.

    With ``start_flat`` (default) the output layer starts at zero, so f starts constant and the
    first steps take the sign of its slope from the data, not from the random initialisation.
    On N(0, 0.5^2) against N(4, 0.5^2) with lambda = 10, a random start (seed 0, lesson 04b,
    section 9, whose check cell asserts an estimate below -2) settles a gradient-penalty critic
    in a local optimum of the wrong sign, about -3 instead of the optimum's +4.8, because turning
    the slope from +1 to -1 crosses slope 0, which the two-sided penalty charges lambda for.
    """
    critic = MLP(input_dim, width, depth, activation)
    return _start_flat(critic) if start_flat else critic


def make_discriminator(
    input_dim: int = 1, width: int = 64, depth: int = 3, activation: str = "relu", start_flat: bool = True
) -> MLP:
    """The GAN discriminator as logits: D(x) = sigmoid(network(x)); ``start_flat`` starts at D = 1/2."""
    discriminator = MLP(input_dim, width, depth, activation)
    return _start_flat(discriminator) if start_flat else discriminator


def make_generator(
    noise_dim: int = 2, output_dim: int = 2, width: int = 128, depth: int = 3, activation: str = "relu"
) -> MLP:
    """The generator g_theta: an MLP from noise z in R^noise_dim to points in R^output_dim."""
    return MLP(noise_dim, width, depth, activation, output_dim=output_dim)


class StackedCritics(nn.Module):
    """S independent MLP critics in stacked parameters, evaluated with batched matmuls.

    ``forward(x)`` takes x of shape (S, n, d) (one batch per critic) or (n, d) (the same batch
    for all) and returns (S, n). Each critic is initialised like ``nn.Linear`` and gets its own
    gradients: the sum of the S losses has block-separate gradients, so one optimiser step
    on the stack equals S independent steps (for elementwise optimisers such as RMSProp and
    Adam).
    """

    def __init__(
        self,
        n_critics: int,
        input_dim: int = 1,
        width: int = 64,
        depth: int = 3,
        activation: str = "relu",
        rng: torch.Generator | None = None,
    ):
        super().__init__()
        self.n_critics = check_int("n_critics", n_critics, minimum=1)
        check_int("depth", depth, minimum=1)
        check_choice("activation", activation, tuple(ACTIVATIONS))
        self.input_dim = check_int("input_dim", input_dim, minimum=1)
        sizes = [input_dim] + [check_int("width", width, minimum=1)] * depth + [1]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / math.sqrt(fan_in)  # nn.Linear's default initialisation
            weight = (torch.rand(n_critics, fan_in, fan_out, generator=rng) * 2 - 1) * bound
            bias = (torch.rand(n_critics, 1, fan_out, generator=rng) * 2 - 1) * bound
            self.weights.append(nn.Parameter(weight))
            self.biases.append(nn.Parameter(bias))
        self.activation = ACTIVATIONS[activation]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            x = x.expand(self.n_critics, *x.shape)  # (n, d) -> (S, n, d)
        hidden = x
        last = len(self.weights) - 1
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            hidden = torch.baddbmm(bias, hidden, weight)  # (S, n, fan_in) @ (S, fan_in, fan_out)
            if index < last:
                hidden = self.activation(hidden)
        return hidden.squeeze(-1)  # (S, n)

    def member(self, index: int) -> MLP:
        """Critic ``index`` copied into an ordinary :class:`MLP` (for plots and audits)."""
        depth = len(self.weights) - 1
        width = self.weights[0].shape[2]
        activation = next(name for name, make in ACTIVATIONS.items() if isinstance(self.activation, type(make())))
        single = MLP(self.input_dim, width, depth, activation)
        linears = [layer for layer in single.layers if isinstance(layer, nn.Linear)]
        with torch.no_grad():
            for linear, weight, bias in zip(linears, self.weights, self.biases):
                linear.weight.copy_(weight[index].T)
                linear.bias.copy_(bias[index, 0])
        return single.to(self.weights[0].device)
