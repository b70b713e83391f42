"""Sample grids and the quality numbers of the image runs: sliced W1 against its closed form, diversity,
the digits classifier's mode coverage."""

import math

import numpy as np
import pytest
import torch
from helpers.image_runs import TINY_IMAGE_RUN
from scipy.special import gammaln

from wgan_toys.images.data import load_images
from wgan_toys.images.grids import image_grid, save_image_grid
from wgan_toys.images.quality import digits_classifier, mode_coverage, sliced_wasserstein
from wgan_toys.images.trainer import ImageConfig, ImageTrainer

TINY = TINY_IMAGE_RUN


def test_image_grid_tiles_with_padding(tmp_path):
    images = torch.stack([torch.full((3, 16, 16), value) for value in (-1.0, 0.0, 1.0)])
    grid = image_grid(images, columns=2)
    assert grid.shape == (2 * 18 + 2, 2 * 18 + 2, 3)
    assert grid[2, 2, 0] == 0 and grid[2, 20, 0] == 128 and grid[20, 2, 0] == 255
    path = save_image_grid(images, tmp_path / "grid.png", scale=2)
    from PIL import Image

    assert Image.open(path).size == (76, 76)


def test_sliced_wasserstein_of_a_shift_matches_its_closed_form():
    """Shifting every image by the vector v moves each projection by <theta, v>, so the sliced W1
    is ||v|| E|theta_1| = ||v|| Gamma(d/2) / (sqrt(pi) Gamma((d+1)/2)) for theta uniform on the sphere."""
    rng = torch.Generator().manual_seed(0)
    images = torch.rand(200, 1, 4, 4, generator=rng)
    shift = torch.randn(1, 1, 4, 4, generator=rng)
    dimension = 16
    expected = (
        shift.norm().item() * math.exp(gammaln(dimension / 2) - gammaln((dimension + 1) / 2)) / math.sqrt(math.pi)
    )
    measured = sliced_wasserstein(images + shift, images, n_projections=4000)
    assert measured == pytest.approx(expected, rel=0.03)  # Monte Carlo over 4000 directions
    assert sliced_wasserstein(images, images) == pytest.approx(0.0, abs=1e-12)


def test_diversity_is_one_for_real_images_and_zero_for_a_collapsed_generator():
    from wgan_toys.images.quality import diversity

    data = load_images("digits", image_size=16, held_out=300, verbose=False)
    other_real = data.batch(torch.arange(300))
    assert diversity(other_real, data.held_out) == pytest.approx(1.0, abs=0.05)  # real digits differ like real digits
    collapsed = data.held_out[:1].repeat(300, 1, 1, 1) + 0.01 * torch.randn(
        300, 1, 16, 16, generator=torch.Generator().manual_seed(0)
    )
    assert diversity(collapsed, data.held_out) < 0.05


def test_mode_coverage_counts_confident_classes_and_kl_from_uniform():
    assert mode_coverage(np.repeat(np.arange(10), 5)) == {
        "classes_covered": 10,
        "class_kl": 0.0,
        "confident_fraction": 1.0,
    }
    two = mode_coverage(np.array([3, 7] * 20))
    assert two["classes_covered"] == 2 and two["class_kl"] == pytest.approx(math.log(5), abs=1e-6)
    mostly_noise = mode_coverage(np.array([-1] * 95 + [1, 2, 3, 4, 5]), minimum_share=0.02)
    assert mostly_noise == {
        "classes_covered": 0,
        "class_kl": pytest.approx(math.log(2), abs=1e-6),
        "confident_fraction": 0.05,
    }


@pytest.mark.slow
def test_the_classifier_reads_no_digits_in_an_untrained_generators_noise(monkeypatch, classifier_cache):
    monkeypatch.setenv("WGAN_TOYS_CACHE", str(classifier_cache))
    trainer = ImageTrainer(ImageConfig(**dict(TINY, filters=32, noise_dim=100)), verbose=False)
    untrained = trainer.evaluate()
    assert untrained["confident_fraction"] < 0.2 and untrained["classes_covered"] <= 3
    assert trainer.classifier_accuracy >= 0.93


@pytest.mark.slow
def test_digits_classifier_is_accurate_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("WGAN_TOYS_CACHE", str(tmp_path))
    model, accuracy = digits_classifier(16, 1)
    assert accuracy >= 0.93  # held-out digits; measured 0.97-0.99
    assert (tmp_path / "digits_classifier_1x16_v1.pt").exists()
    again, cached_accuracy = digits_classifier(16, 1)
    assert cached_accuracy == accuracy
    data = load_images("digits", image_size=16, held_out=300, verbose=False)
    assert np.mean(again.predict(data.held_out) == data.held_out_labels) == pytest.approx(accuracy)
