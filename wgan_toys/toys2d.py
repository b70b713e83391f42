"""2D toy data sets and the numbers that judge a generator on them.

The data sets of the WGAN-GP toy experiments and of the classroom: ``8gaussians`` (a ring of 8
modes), ``25gaussians`` (a 5 x 5 grid), ``swissroll`` and ``2clusters`` (two separated blobs,
the 2D cousin of Figure 2). Mixtures know their mode centres and width, so that a generated
sample can be scored:

- ``modes_covered``: how many modes receive at least ``min_share`` of the samples within
  ``3 * mode_std`` of their centre;
- ``high_quality_fraction``: the share of samples within ``3 * mode_std`` of some centre.

These are the usual mode-collapse numbers (Srivastava et al. 2017), used here to test the
paper's claim that "in no experiment did we see evidence of mode collapse" (Section 4).

:func:`sample_floor` is the yardstick's own noise: the exact W1 between two samples of the *same*
law at the size the trainer measures with. A generator whose exact W1 sits at the floor cannot be
told from the real law with that many points; a curve there has converged to sampling noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import check_choice, check_int, check_samples
from .runtime import numpy_generator, torch_generator

__all__ = ["DATASETS", "ToyDataset", "make_dataset", "mode_coverage", "sample_floor"]


@dataclass(frozen=True)
class ToyDataset:
    """A 2D toy law: a Gaussian mixture (``centers``, ``mode_std``) or the swiss roll.

    Use :func:`make_dataset` to build one by name. ``sample`` returns numpy (n, 2);
    ``sample_torch`` returns a float32 tensor (n, 2) on ``device``.
    """

    name: str
    centers: tuple = ()
    mode_std: float = 0.0
    dim: int = 2

    @property
    def is_mixture(self) -> bool:
        return len(self.centers) > 0

    def sample(self, n: int, seed=None) -> np.ndarray:
        n = check_int("n", n, minimum=1)
        rng = numpy_generator(seed)
        if self.is_mixture:
            centers = np.asarray(self.centers)
            which = rng.integers(0, len(centers), size=n)
            return centers[which] + self.mode_std * rng.standard_normal((n, 2))
        # swiss roll: t in [1.5 pi, 4.5 pi], (t cos t, t sin t) / 5, a little noise
        t = 1.5 * math.pi * (1 + 2 * rng.random(n))
        points = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / 5.0
        return points + 0.05 * rng.standard_normal((n, 2))

    def sample_torch(self, n: int, seed=None, device="cpu", dtype=None):
        import torch

        n = check_int("n", n, minimum=1)
        rng = torch_generator(seed, device=device)
        dtype = dtype or torch.float32
        if self.is_mixture:
            centers = torch.as_tensor(self.centers, dtype=dtype, device=device)
            which = torch.randint(0, len(self.centers), (n,), generator=rng, device=device)
            noise = torch.randn(n, 2, generator=rng, device=device, dtype=dtype)
            return centers[which] + self.mode_std * noise
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=rng, device=device, dtype=dtype))
        points = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1) / 5.0
        return points + 0.05 * torch.randn(n, 2, generator=rng, device=device, dtype=dtype)


def _ring(count: int, radius: float) -> tuple:
    return tuple(
        (radius * math.cos(2 * math.pi * k / count), radius * math.sin(2 * math.pi * k / count)) for k in range(count)
    )


DATASETS = {
    "8gaussians": lambda: ToyDataset("8gaussians", _ring(8, 2.0), 0.05),
    "25gaussians": lambda: ToyDataset(
        "25gaussians", tuple((float(i), float(j)) for i in range(-2, 3) for j in range(-2, 3)), 0.05
    ),
    "swissroll": lambda: ToyDataset("swissroll"),
    "2clusters": lambda: ToyDataset("2clusters", ((-2.0, 0.0), (2.0, 0.0)), 0.3),
}


def make_dataset(name: str) -> ToyDataset:
    """The toy data set called ``name``: one of ``8gaussians``, ``25gaussians``, ``swissroll``, ``2clusters``."""
    check_choice("dataset", name, tuple(DATASETS))
    return DATASETS[name]()


def mode_coverage(dataset: ToyDataset, samples, min_share: float = 0.01) -> dict:
    """Mode coverage of generated ``samples`` (n, 2) for a mixture data set.

    Returns
    -------
    dict
        ``modes_covered`` (int), ``modes`` (the number of modes), ``high_quality_fraction``
        (share of samples within 3 mode_std of a centre) and ``mode_shares`` (list).
    """
    if not dataset.is_mixture:
        raise ValueError(
            f"dataset == {dataset.name!r} has no modes; mode coverage needs a mixture such as '8gaussians'."
        )
    points = check_samples("samples", samples, dim=2)
    centers = np.asarray(dataset.centers)
    distances = np.linalg.norm(points[:, None, :] - centers[None, :, :], axis=2)  # (n, modes)
    nearest = distances.argmin(axis=1)
    close = distances[np.arange(points.shape[0]), nearest] <= 3.0 * dataset.mode_std
    shares = np.bincount(nearest[close], minlength=len(centers)) / points.shape[0]
    return {
        "modes_covered": int(np.sum(shares >= min_share)),
        "modes": len(centers),
        "high_quality_fraction": float(close.mean()),
        "mode_shares": shares.tolist(),
    }


def sample_floor(dataset: ToyDataset, n: int, repeats: int = 10, seed=0, reference=None) -> dict:
    """The exact W1 between two samples of the same law at size n: what a perfect generator reads.

    Draws ``repeats`` pairs of independent n-samples of ``dataset`` (or, with ``reference``, one
    fresh n-sample against the fixed ``reference`` sample each time) and computes the exact W1 of
    each pair with ``ot.emd`` (:func:`~wgan_toys.empirical.wasserstein_1_samples`). Draw it on
    every chart of exact W1 against training steps: above it the generator is measurably wrong,
    at it the measurement cannot see further.

    Parameters
    ----------
    dataset : ToyDataset
    n : int
        Sample size of each side, as in the measurement it accompanies (``eval_samples``).
    repeats : int, default=10
    seed : int, None or numpy.random.Generator, default=0
    reference : array_like, shape (n, 2), default=None
        A fixed real sample that the measurement compares with (the classroom's); None draws
        both sides afresh (the trainer's ``evaluate``).

    Returns
    -------
    dict
        ``n``, ``repeats``, ``values`` (list), ``mean``, ``low`` and ``high`` (their minimum and
        maximum).
    """
    from .empirical import wasserstein_1_samples

    n = check_int("n", n, minimum=2)
    repeats = check_int("repeats", repeats, minimum=1)
    if reference is not None:
        reference = check_samples("reference", reference, dim=2)
        if reference.shape[0] != n:
            raise ValueError(f"reference has {reference.shape[0]} points, must have n == {n}.")
    rng = numpy_generator(seed)
    values = []
    for _ in range(repeats):
        first = dataset.sample(n, seed=rng) if reference is None else reference
        values.append(wasserstein_1_samples(first, dataset.sample(n, seed=rng)))
    return {
        "n": n,
        "repeats": repeats,
        "values": values,
        "mean": float(np.mean(values)),
        "low": float(np.min(values)),
        "high": float(np.max(values)),
    }
