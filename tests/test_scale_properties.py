"""Right numbers at every scale: W1 under translation and scaling for every pair of 1D law types,
W1 between point clouds under scaling, Gaussian distances whose mean gap overflows float64, laws far
apart in the 1D ground truth, and the float32 / float-image corners.

References are independent of the code under test: ``scipy.stats.wasserstein_distance`` for
atoms, closed forms for W1 of shifted or scaled laws (W1(P + t, Q + t) = W1(P, Q) and
W1(cP, cQ) = c W1(P, Q)), 40-digit mpmath in the x coordinate for KL, TV and JS, closed forms for
expectations, and pixel values written by Pillow.
"""

import warnings

import numpy as np
import pytest
import torch

from wgan_toys import LOG_2, Discrete1D, Gaussian1D, Uniform1D
from wgan_toys.distances import js_divergence, kl_divergence, total_variation, wasserstein_1
from wgan_toys.transport import exact_transport

mpmath = pytest.importorskip("mpmath")

LAW_TYPES = ("atoms", "uniform", "gaussian")


def _law(kind: str, rng, centre: float, spread: float):
    if kind == "atoms":
        n = int(rng.integers(1, 12))
        return Discrete1D(centre + spread * rng.standard_normal(n), rng.dirichlet(np.ones(n)))
    if kind == "uniform":
        low = centre + spread * rng.standard_normal()
        return Uniform1D(low, low + spread * rng.uniform(0.1, 3.0))
    return Gaussian1D(centre + spread * rng.standard_normal(), spread * rng.uniform(0.1, 3.0))


def _map(law, shift: float = 0.0, scale: float = 1.0):
    """The law of scale * X + shift."""
    if isinstance(law, Gaussian1D):
        return Gaussian1D(scale * law.mean + shift, scale * law.std)
    if isinstance(law, Uniform1D):
        return Uniform1D(scale * law.low + shift, scale * law.high + shift)
    return Discrete1D(scale * law.points + shift, law.weights)


def _pairs(kind_p, kind_q, seed, count):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield rng, _law(kind_p, rng, 0.0, 1.0), _law(kind_q, rng, rng.uniform(-2, 2), 1.0)


# ----- W1 between 1D laws: translation invariance and 1-homogeneity ---------------------------------
@pytest.mark.parametrize("kind_q", LAW_TYPES)
@pytest.mark.parametrize("kind_p", LAW_TYPES)
def test_w1_is_translation_invariant_for_every_pair_of_law_types(kind_p, kind_q):
    """W1(P + t, Q + t) = W1(P, Q) for shifts t up to 1e12 spreads, either sign.

    Shifting rounds each parameter by up to half an ulp of t, which moves W1 by at most about
    ulp(t): the tolerance is 8 ulp(t) plus 1e-12 relative. Atomic CDFs read just inside each
    piece (knot +- 2e-12 half-lengths, below an ulp of the knot) give 0.375 for 0.5 at 1e4.
    """
    for rng, p, q in _pairs(kind_p, kind_q, seed=3 * LAW_TYPES.index(kind_p) + LAW_TYPES.index(kind_q), count=12):
        exact = wasserstein_1(p, q)
        for shift in rng.choice([-1, 1], 4) * 10.0 ** rng.uniform(0, 12, 4):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # quad's round-off notes at the widest shifts
                shifted = wasserstein_1(_map(p, shift=shift), _map(q, shift=shift))
            tolerance = 8 * np.spacing(abs(shift)) + 1e-12 * exact
            assert abs(shifted - exact) <= tolerance, (p, q, shift, shifted, exact)


@pytest.mark.parametrize("kind_q", LAW_TYPES)
@pytest.mark.parametrize("kind_p", LAW_TYPES)
def test_w1_is_homogeneous_under_scaling_for_every_pair_of_law_types(kind_p, kind_q):
    """W1(cP, cQ) = c W1(P, Q) for c from 1e-200 to 1e200, to 1e-9 relative.

    Quadrature in x with an absolute tolerance of 1e-15 loses up to 4.5e-4 relative for mixed pairs
    at scales 1e-15 to 1e-12 (fixed in the draw), where the tolerance is the integral's size.
    """
    for rng, p, q in _pairs(kind_p, kind_q, seed=100 + 3 * LAW_TYPES.index(kind_p) + LAW_TYPES.index(kind_q), count=6):
        exact = wasserstein_1(p, q)
        for scale in [1e-15, 1e-13, *10.0 ** rng.uniform(-200, 200, 5)]:
            scaled = wasserstein_1(_map(p, scale=scale), _map(q, scale=scale))
            assert scaled == pytest.approx(scale * exact, rel=1e-9, abs=0), (p, q, scale)


@pytest.mark.parametrize(
    "first, second, exact",
    [
        ([1e4, 1e4 + 1], [1e4 + 0.5, 1e4 + 1.5], 0.5),
        ([1e16, 1e16 + 4], [1e16 + 2, 1e16 + 6], 2.0),
        ([1e8, 1e8 + 1, 1e8 + 2], [1e8 + 1, 1e8 + 2, 1e8 + 3], 1.0),
    ],
)
def test_discrete_w1_far_from_zero(first, second, exact):
    assert wasserstein_1(Discrete1D(first), Discrete1D(second)) == exact


def test_discrete_w1_matches_scipy_on_random_weighted_pairs_at_large_offsets():
    """400 seeded pairs of 1-30 weighted atoms, offset by 1 to 1e12 spreads (spreads 1e-5 to 1e5)."""
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(2024)
    for _ in range(400):
        n, m = rng.integers(1, 31, 2)
        spread = 10 ** rng.uniform(-5, 5)
        offset = spread * 10 ** rng.uniform(0, 12) * rng.choice([-1, 1])
        x, y = offset + spread * rng.standard_normal(n), offset + spread * rng.standard_normal(m)
        a, b = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))
        reference = wasserstein_distance(x, y, a, b)
        assert wasserstein_1(Discrete1D(x, a), Discrete1D(y, b)) == pytest.approx(reference, rel=1e-10, abs=0)
