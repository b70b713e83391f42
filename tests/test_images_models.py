"""The image networks of Section 4.3: the DCGAN and MLP generators and critics, their shapes and sizes."""

import pytest
import torch

from wgan_toys.images.models import count_parameters, make_image_critic, make_image_generator


@pytest.mark.parametrize("image_size", [16, 32, 64, 128])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("architecture", ["dcgan", "dcgan-nobn", "mlp"])
def test_generators_and_critics_map_between_noise_and_images(architecture, image_size, channels):
    generator = make_image_generator(architecture, image_size, channels, noise_dim=8, filters=4, mlp_width=16)
    images = generator(torch.randn(2, 8))
    assert images.shape == (2, channels, image_size, image_size)
    assert images.abs().max() <= 1.0  # tanh output, the data's range
    for critic_architecture in ("dcgan", "mlp"):
        critic = make_image_critic(critic_architecture, image_size, channels, filters=4, mlp_width=16)
        assert critic(images).shape == (2,)


def test_extra_layers_add_three_by_three_convolutions():
    plain = make_image_critic("dcgan", 32, 1, filters=8)
    extra = make_image_critic("dcgan", 32, 1, filters=8, extra_layers=2)
    assert count_parameters(extra) - count_parameters(plain) == 2 * (8 * 8 * 9 + 2 * 8)  # conv + batch norm
    generator = make_image_generator("dcgan", 32, 1, noise_dim=8, filters=8, extra_layers=1)
    assert generator(torch.randn(3, 8)).shape == (3, 1, 32, 32)


def test_figure_6_generator_has_an_order_of_magnitude_fewer_parameters():
    """Figure 6: without batch norm and with constant filters, "the number of parameters is
    therefore reduced by a bit more than an order of magnitude" (64x64, 3 channels, 64 filters)."""
    dcgan = count_parameters(make_image_generator("dcgan", 64, 3))
    constant = count_parameters(make_image_generator("dcgan-nobn", 64, 3))
    assert 10 < dcgan / constant < 15
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in make_image_generator("dcgan-nobn", 64, 3).modules())


def test_bad_model_settings_name_the_parameter():
    with pytest.raises(ValueError, match=r"image_size == 48, must be a power of two in \[16, 128\]"):
        make_image_generator("dcgan", 48)
    with pytest.raises(ValueError, match="architecture == 'resnet', must be one of 'dcgan', 'dcgan-nobn', 'mlp'"):
        make_image_generator("resnet")
    with pytest.raises(ValueError, match="channels == 2"):
        make_image_critic("dcgan", 32, 2)
