r"""The image networks of the paper's Section 4.3, written from the architectures it names.

Three generators, as in Figures 5-7 (Section 4.3, "Improved stability"):

- ``dcgan``: the DCGAN generator of Radford et al. (2016): transposed convolutions that halve
  the number of filters while doubling the resolution, batch norm and ReLU, tanh output;
- ``dcgan-nobn``: the same shape *without batch norm and with a constant number of filters at
  every layer* (Figure 6: "the number of parameters is therefore reduced by a bit more than an
  order of magnitude");
- ``mlp``: a ReLU MLP with 512 hidden units (Figure 7; the paper's code has four linear layers,
  three of them hidden).

Two critics (the GAN's discriminator is the same network; its output is read as a logit and the
sigmoid lives in the loss, so "a DCGAN without the sigmoid", Figure 3, is literally the critic):

- ``dcgan``: strided convolutions with LeakyReLU(0.2) and a normalisation layer (batch norm as in
  the paper's code; ``normalization="layer"`` or ``"none"`` for WGAN-GP, whose per-sample
  gradient penalty is not defined through batch statistics);
- ``mlp``: a ReLU MLP with 512 hidden units.

Every network maps a batch to a batch: generators (n, noise_dim) -> (n, C, S, S) in [-1, 1],
critics (n, C, S, S) -> (n,). ``extra_layers`` adds the 3x3 stride-1 convolutions of the
paper's code (its ``--n_extra_layers``).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Section 4, Figures 3-7.
Radford, Metz, Chintala (2016), arXiv:1511.06434 (DCGAN).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._validation import check_choice, check_int
from . import CRITIC_ARCHITECTURES, GENERATOR_ARCHITECTURES, IMAGE_SIZES, NORMALIZATIONS

__all__ = [
    "GENERATOR_ARCHITECTURES",
    "CRITIC_ARCHITECTURES",
    "NORMALIZATIONS",
    "check_image_size",
    "check_channels",
    "make_image_generator",
    "make_image_critic",
    "count_parameters",
    "outputs_in_batches",
]


def check_image_size(image_size) -> int:
    """Return ``image_size`` if it is a power of two in [16, 128], else raise a ValueError."""
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size not in IMAGE_SIZES:
        raise ValueError(f"image_size == {image_size!r}, must be a power of two in [16, 128]: one of {IMAGE_SIZES}.")
    return image_size


def check_channels(channels) -> int:
    """Return ``channels`` if it is 1 or 3, else raise a ValueError."""
    if channels not in (1, 3):
        raise ValueError(f"channels == {channels!r}, must be 1 (grey) or 3 (RGB).")
    return channels


def _normalization(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)  # layer norm over (C, H, W), one scale per channel
    return nn.Identity()


def _dcgan_init_(module: nn.Module) -> None:
    """DCGAN's initialisation: convolutions N(0, 0.02), normalisation scales N(1, 0.02), shifts 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """DCGAN generator: z -> 4x4 -> ... -> S x S (Figure 5 with ``normalization="batch"``).

    With ``constant_filters=True`` and ``normalization="none"`` it is the generator of Figure 6.
    """

    def __init__(
        self,
        image_size: int = 64,
        channels: int = 3,
        noise_dim: int = 100,
        filters: int = 64,
        extra_layers: int = 0,
        normalization: str = "batch",
        constant_filters: bool = False,
    ):
        super().__init__()
        image_size = check_image_size(image_size)
        channels = check_channels(channels)
        check_int("noise_dim", noise_dim, minimum=1)
        check_int("filters", filters, minimum=1)
        check_int("extra_layers", extra_layers, minimum=0)
        check_choice("normalization", normalization, NORMALIZATIONS)
        self.noise_dim, self.image_size, self.channels = noise_dim, image_size, channels
        doublings = int(math.log2(image_size)) - 3  # 4x4 -> S/2 x S/2 in this many steps
        width = filters if constant_filters else filters * 2**doublings
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(noise_dim, width, 4, 1, 0, bias=False),
            _normalization(normalization, width),
            nn.ReLU(True),
        ]
        for _ in range(doublings):
            out = width if constant_filters else width // 2
            layers += [
                nn.ConvTranspose2d(width, out, 4, 2, 1, bias=False),
                _normalization(normalization, out),
                nn.ReLU(True),
            ]
            width = out
        for _ in range(extra_layers):
            layers += [
                nn.Conv2d(width, width, 3, 1, 1, bias=False),
                _normalization(normalization, width),
                nn.ReLU(True),
            ]
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*[layer for layer in layers if not isinstance(layer, nn.Identity)])
        self.apply(_dcgan_init_)

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return self.main(noise.reshape(noise.shape[0], self.noise_dim, 1, 1))


class DCGANCritic(nn.Module):
    """DCGAN critic / discriminator: S x S -> ... -> 4x4 -> one number per image (no sigmoid)."""

    def __init__(
        self,
        image_size: int = 64,
        channels: int = 3,
        filters: int = 64,
        extra_layers: int = 0,
        normalization: str = "batch",
    ):
        super().__init__()
        image_size = check_image_size(image_size)
        channels = check_channels(channels)
        check_int("filters", filters, minimum=1)
        check_int("extra_layers", extra_layers, minimum=0)
        check_choice("normalization", normalization, NORMALIZATIONS)
        self.image_size, self.channels = image_size, channels
        width = filters
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        for _ in range(extra_layers):
            layers += [
                nn.Conv2d(width, width, 3, 1, 1, bias=False),
                _normalization(normalization, width),
                nn.LeakyReLU(0.2, True),
            ]
        size = image_size // 2
        while size > 4:
            layers += [
                nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False),
                _normalization(normalization, 2 * width),
                nn.LeakyReLU(0.2, True),
            ]
            width, size = 2 * width, size // 2
        layers += [nn.Conv2d(width, 1, 4, 1, 0, bias=False)]
        self.main = nn.Sequential(*[layer for layer in layers if not isinstance(layer, nn.Identity)])
        self.apply(_dcgan_init_)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.main(images).reshape(images.shape[0])


class MLPGenerator(nn.Module):
    """ReLU MLP generator with ``width`` hidden units (Figure 7), tanh output reshaped to images.

    The paper's code leaves the last layer linear; the tanh here keeps samples in the data's
    range [-1, 1], as the DCGAN generators do.
    """

    def __init__(
        self, image_size: int = 64, channels: int = 3, noise_dim: int = 100, width: int = 512, hidden_layers: int = 3
    ):
        super().__init__()
        self.image_size, self.channels = check_image_size(image_size), check_channels(channels)
        self.noise_dim = check_int("noise_dim", noise_dim, minimum=1)
        check_int("width", width, minimum=1)
        check_int("hidden_layers", hidden_layers, minimum=1)
        layers: list[nn.Module] = []
        size_in = noise_dim
        for _ in range(hidden_layers):
            layers += [nn.Linear(size_in, width), nn.ReLU(True)]
            size_in = width
        layers += [nn.Linear(size_in, channels * image_size * image_size), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        out = self.main(noise.reshape(noise.shape[0], self.noise_dim))
        return out.reshape(noise.shape[0], self.channels, self.image_size, self.image_size)


class MLPCritic(nn.Module):
    """ReLU MLP critic / discriminator with ``width`` hidden units, one number per image."""

    def __init__(self, image_size: int = 64, channels: int = 3, width: int = 512, hidden_layers: int = 3):
        super().__init__()
        self.image_size, self.channels = check_image_size(image_size), check_channels(channels)
        check_int("width", width, minimum=1)
        check_int("hidden_layers", hidden_layers, minimum=1)
        layers: list[nn.Module] = [nn.Flatten()]
        size_in = channels * image_size * image_size
        for _ in range(hidden_layers):
            layers += [nn.Linear(size_in, width), nn.ReLU(True)]
            size_in = width
        layers += [nn.Linear(size_in, 1)]
        self.main = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.main(images).reshape(images.shape[0])


def make_image_generator(
    architecture: str = "dcgan",
    image_size: int = 64,
    channels: int = 3,
    noise_dim: int = 100,
    filters: int = 64,
    extra_layers: int = 0,
    mlp_width: int = 512,
) -> nn.Module:
    """One of :data:`GENERATOR_ARCHITECTURES` (``"dcgan"``, ``"dcgan-nobn"``, ``"mlp"``).

    >>> generator = make_image_generator("dcgan-nobn", image_size=16, channels=1, noise_dim=8, filters=4)
    >>> tuple(generator(torch.zeros(2, 8)).shape)
    (2, 1, 16, 16)
    """
    check_choice("architecture", architecture, GENERATOR_ARCHITECTURES)
    if architecture == "mlp":
        return MLPGenerator(image_size, channels, noise_dim, width=mlp_width)
    no_bn = architecture == "dcgan-nobn"
    return DCGANGenerator(
        image_size,
        channels,
        noise_dim,
        filters,
        extra_layers,
        normalization="none" if no_bn else "batch",
        constant_filters=no_bn,
    )


def make_image_critic(
    architecture: str = "dcgan",
    image_size: int = 64,
    channels: int = 3,
    filters: int = 64,
    extra_layers: int = 0,
    normalization: str = "batch",
    mlp_width: int = 512,
) -> nn.Module:
    """One of :data:`CRITIC_ARCHITECTURES` (``"dcgan"``, ``"mlp"``); also the GAN's discriminator.

    >>> critic = make_image_critic("dcgan", image_size=32, channels=1, filters=4)
    >>> tuple(critic(torch.zeros(3, 1, 32, 32)).shape)
    (3,)
    """
    check_choice("architecture", architecture, CRITIC_ARCHITECTURES)
    if architecture == "mlp":
        return MLPCritic(image_size, channels, width=mlp_width)
    return DCGANCritic(image_size, channels, filters, extra_layers, normalization)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable scalars in ``module``."""
    return sum(parameter.numel() for parameter in module.parameters() if parameter.requires_grad)


@torch.no_grad()
def outputs_in_batches(critic: nn.Module, images: torch.Tensor, companions) -> torch.Tensor:
    r"""The critic's outputs on the same ``images``, each time normalised together with another batch.

    A critic with batch norm in training mode (as Algorithm 1 trains it, and as the trainer feeds
    it: the real batch and the generated batch each normalised on its own) computes
    :math:`f_w(x; B)`, a function of the image *and of the batch* :math:`B` it arrives in. Row k of
    the result is :math:`f_w(x_i; \{x_1, \dots, x_n\} \cup B_k)` for the n ``images``; rows that
    differ show that :math:`f_w` is not a function of :math:`x` alone, so eq. (3)'s estimate
    :math:`\frac1m \sum f_w(x^{(i)}; B_r) - \frac1m \sum f_w(g_\theta(z^{(i)}); B_g)` estimates a
    difference of expectations of batch-dependent functions, not the dual objective of eq. (2)
    for one f. The critic's mode and its batch-norm running statistics are left as they were.

    Parameters
    ----------
    critic : nn.Module
        An image critic, (n, C, S, S) -> (n,).
    images : torch.Tensor, shape (n, C, S, S)
    companions : sequence of torch.Tensor, each shape (k_j, C, S, S)
        The batches that ``images`` join, one forward pass each.

    Returns
    -------
    torch.Tensor, shape (len(companions), n)

    References
    ----------
    Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, eq. (3), Algorithm 1; the discussion
    thread on batch norm in the critic ("f is not a function X -> R", answered by the authors).
    """
    buffers = [buffer.clone() for buffer in critic.buffers()]
    mode = critic.training
    critic.train()
    try:
        rows = [critic(torch.cat([images, batch.to(images)]))[: len(images)].float() for batch in companions]
    finally:
        critic.train(mode)
        for buffer, saved in zip(critic.buffers(), buffers):
            buffer.copy_(saved)
    return torch.stack(rows)
