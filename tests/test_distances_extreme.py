"""Gaussian distances at extreme but valid parameters, against mpmath.

The reference computes in the x coordinate at high precision (enough digits that the
cancellations which broke the float64 closed forms cannot occur): TV from the crossings of the
log-densities solved as a quadratic in mpmath and the normal CDFs there; JS by mpmath quadrature
of its definition, split at the crossings and at each law's mean +- k std. It shares no code with
wgan_toys.distances. Tolerances: 1e-7 absolute for TV and JS, 1e-7 relative for KL and W1.
"""

import math
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

mpmath = pytest.importorskip("mpmath")

from wgan_toys import LOG_2, Gaussian1D, js_divergence, kl_divergence, total_variation, wasserstein_1  # noqa: E402


def _digits_needed(p, q) -> int:
    spread = max(abs(p.mean), abs(q.mean), p.std, q.std) / min(p.std, q.std)
    return 40 + int(math.log10(max(spread, 1.0)))


def _reference(p, q):
    mp = mpmath.mp
    with mpmath.workdps(_digits_needed(p, q)):
        m1, s1, m2, s2 = (mp.mpf(v) for v in (p.mean, p.std, q.mean, q.std))
        # log p = log q: a x^2 + b x + c = 0
        a = 1 / (2 * s2**2) - 1 / (2 * s1**2)
        b = m1 / s1**2 - m2 / s2**2
        c = m2**2 / (2 * s2**2) - m1**2 / (2 * s1**2) + mp.log(s2 / s1)
        if a == 0:
            crossings = [] if b == 0 else [-c / b]
        else:
            root = mp.sqrt(b * b - 4 * a * c)
            crossings = sorted([(-b - root) / (2 * a), (-b + root) / (2 * a)])
        cdf_p = lambda x: mp.ncdf(x, mu=m1, sigma=s1)  # noqa: E731
        cdf_q = lambda x: mp.ncdf(x, mu=m2, sigma=s2)  # noqa: E731
        edges = [-mp.inf, *crossings, mp.inf]
        tv = sum(abs((cdf_p(hi) - cdf_p(lo)) - (cdf_q(hi) - cdf_q(lo))) for lo, hi in zip(edges[:-1], edges[1:])) / 2

        def log_density(x, m, s):
            return -(((x - m) / s) ** 2) / 2 - mp.log(s) - mp.log(2 * mp.pi) / 2

        def integrand(x):
            lp, lq = log_density(x, m1, s1), log_density(x, m2, s2)
            lm = mp.log((mp.exp(lp) + mp.exp(lq)) / 2)
            return (mp.exp(lp) * (lp - lm) + mp.exp(lq) * (lq - lm)) / 2

        points = set(crossings)
        for m, s in ((m1, s1), (m2, s2)):
            points.update(m + k * s for k in (-40, -12, -6, -3, -1, 0, 1, 3, 6, 12, 40))
        points = sorted(points)
        js = mp.quad(integrand, [-mp.inf, *points, mp.inf])
        return float(tv), float(js)


HARD_PAIRS = [
    ((3e6, 1e-6), (0.0, 400.0)),  # gave TV 0 (exact 1)
    ((0.0, 1.0), (1.0, 1.0)),
    ((-1.0, 0.5), (2.0, 2.0)),
    ((0.0, 1e-6), (1e-6, 1.0)),  # a spike inside a wide law
    ((5.0, 1e-3), (5.0, 1e3)),
    ((0.0, 1.0), (1e-8, 1.0 + 1e-9)),  # nearly equal
    ((1e5, 3.0), (1e5 + 2.0, 3.0000001)),  # far from the origin
    ((0.0, 1e-8), (30.0, 1e2)),
    ((-7.0, 2.0), (7.0, 1e-4)),
    ((2.25, 0.0625), (17.5, 2.125)),  # found by hypothesis: a piece of mass 1e-13 warned at epsabs 1e-14
]


@pytest.mark.parametrize("first, second", HARD_PAIRS)
def test_tv_and_js_match_high_precision_references(first, second):
    p, q = Gaussian1D(*first), Gaussian1D(*second)
    tv_reference, js_reference = _reference(p, q)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no IntegrationWarning either
        assert total_variation(p, q) == pytest.approx(tv_reference, abs=1e-7)
        assert total_variation(q, p) == pytest.approx(tv_reference, abs=1e-7)
        assert js_divergence(p, q) == pytest.approx(js_reference, abs=1e-7)


log_stds = st.floats(min_value=-12, max_value=12)
offsets = st.floats(min_value=-1e3, max_value=1e3)


@settings(max_examples=15, deadline=None)
@given(st.floats(min_value=-1e6, max_value=1e6), log_stds, offsets, log_stds)
@pytest.mark.slow
def test_tv_js_over_twelve_decades_of_scale(mean, log_std_p, offset, log_std_q):
    """Means up to 1e6, stds from 1e-12 to 1e12 and gaps up to 1e3 of the wider std."""
    std_p, std_q = 10.0**log_std_p, 10.0**log_std_q
    p = Gaussian1D(mean, std_p)
    q = Gaussian1D(mean + offset * max(std_p, std_q), std_q)
    tv_reference, js_reference = _reference(p, q)
    tv, js = total_variation(p, q), js_divergence(p, q)
    assert 0.0 <= tv <= 1.0 and 0.0 <= js <= LOG_2
    assert tv == pytest.approx(tv_reference, abs=1e-7)
    assert js == pytest.approx(js_reference, abs=1e-7)


@pytest.mark.parametrize("tiny", [1e-200, 1e-300, 1e-320, 5e-324])
def test_kl_at_extreme_widths_is_a_number_or_inf_never_an_error(tiny):
    wide, narrow = Gaussian1D(0.0, 1.0), Gaussian1D(0.0, tiny)
    # KL(N(0,1) || N(0,s^2)) = (1/s^2 - 1)/2 + log s: beyond float64 for these s
    assert kl_divergence(wide, narrow) == math.inf
    # KL(N(0,s^2) || N(0,1)) = (s^2 - 1)/2 - log s: finite, -log s dominates
    expected = float(mpmath.mpf(tiny) ** 2 / 2 - mpmath.mpf(1) / 2 - mpmath.log(mpmath.mpf(tiny)))
    assert kl_divergence(narrow, wide) == pytest.approx(expected, rel=1e-7)


def test_kl_far_apart_relative_accuracy():
    p, q = Gaussian1D(3e6, 1e-6), Gaussian1D(0.0, 400.0)
    with mpmath.workdps(60):
        m1, s1, m2, s2 = (mpmath.mpf(v) for v in (3e6, 1e-6, 0.0, 400.0))
        expected = float(mpmath.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mpmath.mpf(1) / 2)
    assert kl_divergence(p, q) == pytest.approx(expected, rel=1e-7)
    assert wasserstein_1(p, q) == pytest.approx(3e6, rel=1e-7)


def test_atoms_spanning_float64_give_the_exact_w1_not_nan():
    """Discrete1D at +-1e308 gave W1 NaN (its knots' distance overflows)."""
    from wgan_toys import Discrete1D

    wide = Discrete1D([-1e308, 1e308])
    assert wasserstein_1(wide, wide) == 0.0
    assert wasserstein_1(wide, Discrete1D([0.0])) == pytest.approx(
        1e308, rel=1e-12
    )  # each atom moves 1e308 with mass 1/2
    assert wasserstein_1(Discrete1D([-1e308]), Discrete1D([1e308])) == math.inf  # 2e308: beyond float64


def test_a_uniform_wider_than_float64_is_refused_by_name():
    from wgan_toys import Uniform1D

    with pytest.raises(ValueError, match="high - low == .* overflows float64"):
        Uniform1D(-1e308, 1e308)


def test_torch_samples_never_overflow_silently():
    torch = pytest.importorskip("torch")
    from wgan_toys import Discrete1D

    with pytest.raises(ValueError, match="pass dtype=torch.float64"):
        Gaussian1D(1e300, 1.0).sample_torch(4, seed=0)
    with pytest.raises(ValueError, match="pass dtype=torch.float64"):
        Discrete1D([1e300]).sample_torch(2, seed=0)
    assert torch.isfinite(Gaussian1D(1e300, 1.0).sample_torch(4, seed=0, dtype=torch.float64)).all()


def test_float32_weights_that_sum_to_one_in_float32_are_accepted():
    """A 1e-9 tolerance refused float32 weights, even after the message's own fix."""
    import numpy as np

    from wgan_toys.empirical import wasserstein_1_samples

    weights = np.random.default_rng(0).random(1000).astype(np.float32)
    weights = weights / weights.sum()
    points = np.arange(1000.0)
    assert wasserstein_1_samples(points, points + 1.0, weights, None) == pytest.approx(
        wasserstein_1_samples(
            points, points + 1.0, weights.astype(np.float64) / weights.astype(np.float64).sum(), None
        ),
        rel=1e-5,
    )
    with pytest.raises(ValueError, match="x_weights sums to"):
        wasserstein_1_samples(points, points, (weights * 1.01).astype(np.float32), None)
