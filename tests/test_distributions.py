"""Distributions: seeded sampling (numpy and torch, on each device), densities against scipy."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from wgan_toys import Discrete1D, Gaussian1D, ParallelLines, Uniform1D


def test_gaussian_density_and_cdf_match_scipy():
    law = Gaussian1D(1.5, 0.7)
    x = np.linspace(-5, 8, 101)
    assert law.pdf(x) == pytest.approx(stats.norm(1.5, 0.7).pdf(x), rel=1e-12)
    assert law.cdf(x) == pytest.approx(stats.norm(1.5, 0.7).cdf(x), rel=1e-12, abs=1e-300)
    assert law.quantile(law.cdf(x[40:60])) == pytest.approx(x[40:60], rel=1e-10)
    # far in the tail the log-density stays finite where log(pdf) is -inf
    assert np.isfinite(law.logpdf(1e3))


def test_samples_are_reproducible_from_a_seed_and_independent_without():
    law = Gaussian1D(0, 1)
    assert np.array_equal(law.sample(5, seed=3), law.sample(5, seed=3))
    assert not np.array_equal(law.sample(5, seed=3), law.sample(5, seed=4))
    rng = np.random.default_rng(0)
    first, second = law.sample(5, seed=rng), law.sample(5, seed=rng)  # a shared generator advances
    assert not np.array_equal(first, second)


def test_sample_moments():
    x = Gaussian1D(2.0, 3.0).sample(200000, seed=0)
    assert x.mean() == pytest.approx(2.0, abs=5 * 3.0 / math.sqrt(200000))
    assert x.std() == pytest.approx(3.0, rel=0.01)


def test_parallel_lines_samples_lie_on_their_line():
    points = ParallelLines(-0.7).sample(1000, seed=1)
    assert points.shape == (1000, 2)
    assert np.all(points[:, 0] == -0.7)
    assert points[:, 1].min() >= 0 and points[:, 1].max() <= 1
    assert np.array_equal(ParallelLines(2.0).generator(np.array([0.25])), np.array([[2.0, 0.25]]))


def test_torch_sampling_on_each_device(device):
    points = ParallelLines(0.5).sample_torch(64, seed=0, device=device)
    assert points.shape == (64, 2) and points.device.type == device
    assert torch.all(points[:, 0] == 0.5)
    gaussian = Gaussian1D(1.0, 2.0).sample_torch(64, seed=0, device=device)
    assert gaussian.shape == (64, 1)
    assert torch.equal(gaussian, Gaussian1D(1.0, 2.0).sample_torch(64, seed=0, device=device))
    assert Uniform1D(2, 3).sample_torch(10, seed=1, device=device).min() >= 2


def test_discrete_merges_repeated_points_and_has_a_step_cdf():
    law = Discrete1D([1.0, 0.0, 1.0], [0.25, 0.5, 0.25])
    assert list(law.points) == [0.0, 1.0] and list(law.weights) == [0.5, 0.5]
    assert list(law.cdf([-1.0, 0.0, 0.5, 1.0])) == [0.0, 0.5, 0.5, 1.0]
    assert set(law.sample(100, seed=0)) <= {0.0, 1.0}
