"""Property tests (hypothesis) over random Gaussian pairs: symmetry (TV, JS, W1), bounds
(0 <= TV <= 1, 0 <= JS <= log 2), triangle inequality (W1, TV), Pinsker, W1 >= |dmu|."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from wgan_toys import LOG_2, Gaussian1D, js_divergence, kl_divergence, total_variation, wasserstein_1

means = st.floats(min_value=-20, max_value=20, allow_nan=False)
stds = st.floats(min_value=0.05, max_value=10, allow_nan=False)
gaussians = st.builds(Gaussian1D, means, stds)
TOLERANCE = 1e-10  # round-off allowance for exact identities; JS also carries quadrature error < 1e-9


@settings(max_examples=60, deadline=None)
@given(gaussians, gaussians)
def test_symmetry(p, q):
    assert math.isclose(total_variation(p, q), total_variation(q, p), rel_tol=1e-12, abs_tol=1e-14)
    assert math.isclose(wasserstein_1(p, q), wasserstein_1(q, p), rel_tol=1e-12, abs_tol=1e-14)
    assert math.isclose(js_divergence(p, q), js_divergence(q, p), abs_tol=1e-9)


@settings(max_examples=60, deadline=None)
@given(gaussians, gaussians)
def test_bounds(p, q):
    assert 0.0 <= total_variation(p, q) <= 1.0
    assert -1e-9 <= js_divergence(p, q) <= LOG_2 + 1e-9
    assert kl_divergence(p, q) >= 0.0
    assert wasserstein_1(p, q) >= 0.0


@settings(max_examples=60, deadline=None)
@given(gaussians, gaussians, gaussians)
def test_triangle_inequality(p, q, r):
    assert wasserstein_1(p, r) <= wasserstein_1(p, q) + wasserstein_1(q, r) + TOLERANCE
    assert total_variation(p, r) <= total_variation(p, q) + total_variation(q, r) + TOLERANCE


@settings(max_examples=100, deadline=None)
@given(gaussians, gaussians)
def test_pinsker(p, q):
    assert total_variation(p, q) <= math.sqrt(kl_divergence(p, q) / 2.0) + TOLERANCE


@settings(max_examples=100, deadline=None)
@given(gaussians, gaussians)
def test_w1_at_least_mean_gap_and_at_most_w2(p, q):
    w1 = wasserstein_1(p, q)
    assert w1 >= abs(p.mean - q.mean) - TOLERANCE
    assert w1 <= math.hypot(p.mean - q.mean, p.std - q.std) + TOLERANCE  # W1 <= W2


import numpy as np  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

from wgan_toys.empirical import wasserstein_1_samples  # noqa: E402

clouds = arrays(np.float64, (12, 2), elements=st.floats(min_value=-3, max_value=3, allow_nan=False))


@settings(max_examples=40, deadline=None)
@given(
    clouds,
    clouds,
    st.floats(min_value=-1e8, max_value=1e8, allow_nan=False),
    st.floats(min_value=-1e8, max_value=1e8, allow_nan=False),
)
def test_w1_of_point_clouds_is_translation_invariant(x, y, shift_x, shift_y):
    """Shifting both clouds by 1e7 gave 1.019 instead of 1.067, by 1e8 gave 0."""
    shift = np.array([shift_x, shift_y])
    # the shifted coordinates carry float64 round-off of |shift| * 2^-52 each
    tolerance = 1e-9 + 8 * np.abs(shift).max() * np.finfo(float).eps
    assert math.isclose(wasserstein_1_samples(x + shift, y + shift), wasserstein_1_samples(x, y), abs_tol=tolerance)
