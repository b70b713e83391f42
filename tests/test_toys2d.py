"""The 2D toy data sets (toys2d): reproducible samples, and mode coverage against the closed form of a
2D Gaussian's mass within 3 sigma."""

import math

import numpy as np
import pytest

from wgan_toys.toys2d import DATASETS, make_dataset, mode_coverage

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_datasets_sample_reproducibly_in_numpy_and_torch(name):
    dataset = make_dataset(name)
    assert dataset.sample(100, seed=0).shape == (100, 2)
    assert np.array_equal(dataset.sample(50, seed=3), dataset.sample(50, seed=3))
    assert dataset.sample_torch(64, seed=0).shape == (64, 2)


def test_real_data_covers_every_mode_with_the_closed_form_quality():
    dataset = make_dataset("8gaussians")
    coverage = mode_coverage(dataset, dataset.sample(200_000, seed=0))
    assert coverage["modes_covered"] == 8
    # P(|N(0, s^2 I_2)| <= 3 s) = 1 - exp(-9/2) for a 2D Gaussian; 2e5 samples: sd ~ 2.3e-4
    assert coverage["high_quality_fraction"] == pytest.approx(1 - math.exp(-4.5), abs=2e-3)
    assert np.allclose(coverage["mode_shares"], (1 - math.exp(-4.5)) / 8, atol=3e-3)


def test_a_collapsed_generator_covers_one_mode():
    dataset = make_dataset("25gaussians")
    collapsed = np.tile([[1.0, 1.0]], (500, 1))
    assert mode_coverage(dataset, collapsed)["modes_covered"] == 1
    with pytest.raises(ValueError, match="dataset == 'swissroll' has no modes"):
        mode_coverage(make_dataset("swissroll"), collapsed)
