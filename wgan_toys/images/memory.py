"""What an image run's settings will allocate, estimated before anything is allocated.

:func:`estimated_bytes` counts, from the settings alone (nothing is built), the parameters and the
per-image activations of Section 4.3's networks (:mod:`~wgan_toys.images.models`): the DCGAN
pyramid halves the side and doubles the filters from ``image_size / 2`` down to 4 x 4 (batch norm
and the activation keep two more maps of each size), ``extra_layers`` add 3 x 3 layers at the
first size, and the MLPs have three hidden layers of ``mlp_width``. It adds up

- parameters, gradients and two optimiser states per parameter (Adam's two moments; RMSProp
  keeps one): 4 x 4 bytes per parameter of the two networks;
- the activations of a training step: a real and a generated batch through the critic and a
  generated batch through the generator (an upper estimate for WGAN and the GAN, where the
  gradient penalty's double backward is not needed);
- the evaluation: ``eval_samples`` generated images twice (the batches, then joined), the
  ``held_out`` real ones, both again in float64 for the sliced W1 (:mod:`~wgan_toys.images.quality`),
  and the diversity's matrix of pairwise distances, ``max(eval_samples, held_out)`` squared: at
  ``eval_samples=100000`` it alone is 40 GB, measured within 6% at 12,000 images.

It is an estimate (its parameter counts are within 0.2% of the built DCGAN and MLP networks' at
the default settings, an overestimate for ``dcgan-nobn``, whose filters do not double), good
enough to refuse settings that could never fit:
:class:`~wgan_toys.images.trainer.ImageConfig` refuses those whose estimate exceeds the machine's
memory (:func:`~wgan_toys._validation.check_memory`), with the estimate in the message. The data
set itself is not counted (its size is known only once it is read).
"""

from __future__ import annotations

__all__ = ["estimated_bytes", "network_sizes"]

FLOAT_BYTES = 4  # float32 parameters, states and activations


def _pyramid(image_size: int, filters: int) -> list[tuple[int, int]]:
    """(filters, side) of the DCGAN feature maps, from ``image_size / 2`` down to 4 x 4."""
    maps, side, width = [], image_size // 2, filters
    while side >= 4:
        maps.append((width, side))
        side, width = side // 2, width * 2
    return maps or [(filters, 4)]


def network_sizes(config, network: str) -> tuple[int, int]:
    """(parameters, activations per image) of the config's ``"generator"`` or ``"critic"``."""
    architecture = getattr(config, network)
    image = config.channels * config.image_size**2
    if architecture == "mlp":
        width = config.mlp_width
        first = config.noise_dim if network == "generator" else image
        last = image if network == "generator" else 1
        return first * width + 2 * width * width + width * last + 4 * width + last, 6 * width + image + last
    maps = _pyramid(config.image_size, config.filters)
    top = maps[-1][0]
    convolutions = 16 * config.channels * maps[0][0] + sum(16 * a[0] * b[0] for a, b in zip(maps, maps[1:]))
    convolutions += config.extra_layers * 9 * maps[0][0] ** 2
    convolutions += 16 * top * (config.noise_dim if network == "generator" else 1)
    activations = 3 * (sum(w * s * s for w, s in maps) + config.extra_layers * maps[0][0] * maps[0][1] ** 2)
    return convolutions + 4 * sum(w for w, _ in maps), activations + image


def estimated_bytes(config) -> int:
    """Bytes an :class:`~wgan_toys.images.trainer.ImageConfig` run needs, besides its data.

    >>> from wgan_toys.images.trainer import ImageConfig
    >>> 1e6 < estimated_bytes(ImageConfig(image_size=16, filters=8, noise_dim=16)) < 1e9
    True
    """
    generator, critic = network_sizes(config, "generator"), network_sizes(config, "critic")
    parameters = generator[0] + critic[0]
    training = 4 * parameters + 3 * config.batch_size * (generator[1] + 2 * critic[1])
    image = config.channels * config.image_size**2
    images = 2 * config.eval_samples + config.held_out + config.batch_size  # generate's batches, then joined
    evaluation = image * (images + 2 * (config.eval_samples + config.held_out))  # and in float64 for sliced W1
    distances = max(config.eval_samples, config.held_out) ** 2  # diversity: torch.cdist of all pairs
    return FLOAT_BYTES * (training + evaluation + distances)
