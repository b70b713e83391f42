"""Exact distances against independent references: scipy.stats densities and CDFs integrated
with scipy's quad (not the package's own quadrature), and the paper's Example 1.

Tolerances: 1e-6 relative between closed forms and references (the project's bar; they agree to
~1e-12 in practice), JS to 1e-7 absolute.
"""

import math
import warnings

import numpy as np
import pytest
from scipy import integrate, stats

from wgan_toys import (
    LOG_2,
    Discrete1D,
    Gaussian1D,
    ParallelLines,
    Uniform1D,
    all_distances,
    js_divergence,
    kl_divergence,
    total_variation,
    wasserstein_1,
    wasserstein_2,
)
from wgan_toys.gaussian_distances import gaussian_density_crossings
from wgan_toys.quadrature import (
    js_divergence_quadrature,
    kl_divergence_quadrature,
    total_variation_quadrature,
    wasserstein_1_quadrature,
)

PAIRS = [
    ((0.0, 1.0), (0.3, 1.0)),
    ((0.0, 1.0), (4.0, 1.0)),
    ((-1.0, 0.5), (2.0, 2.0)),
    ((0.0, 1.0), (0.0, 3.0)),
    ((5.0, 0.1), (-5.0, 4.0)),
    ((1.0, 2.0), (1.5, 1.9)),
]


def _reference_integral(function, m1, s1, m2, s2):
    """Integrate over a wide window, split at the means, with scipy's quad."""
    low = min(m1 - 30 * s1, m2 - 30 * s2)
    high = max(m1 + 30 * s1, m2 + 30 * s2)
    points = sorted({m1 - 3 * s1, m1, m1 + 3 * s1, m2 - 3 * s2, m2, m2 + 3 * s2})
    edges = [low, *points, high]
    return sum(
        integrate.quad(function, a, b, epsabs=1e-14, epsrel=1e-12, limit=400)[0] for a, b in zip(edges[:-1], edges[1:])
    )


@pytest.mark.parametrize("first, second", PAIRS)
def test_gaussian_closed_forms_match_scipy_references(first, second):
    (m1, s1), (m2, s2) = first, second
    p, q = Gaussian1D(m1, s1), Gaussian1D(m2, s2)
    P, Q = stats.norm(m1, s1), stats.norm(m2, s2)
    tv = _reference_integral(lambda x: 0.5 * abs(P.pdf(x) - Q.pdf(x)), m1, s1, m2, s2)
    kl = _reference_integral(lambda x: P.pdf(x) * (P.logpdf(x) - Q.logpdf(x)), m1, s1, m2, s2)
    w1 = _reference_integral(lambda x: abs(P.cdf(x) - Q.cdf(x)), m1, s1, m2, s2)

    def js_term(x):
        lp, lq = P.logpdf(x), Q.logpdf(x)
        lm = np.logaddexp(lp, lq) - LOG_2
        return 0.5 * (math.exp(lp) * (lp - lm) + math.exp(lq) * (lq - lm))

    js = _reference_integral(js_term, m1, s1, m2, s2)
    assert total_variation(p, q) == pytest.approx(tv, rel=1e-6, abs=1e-12)
    assert kl_divergence(p, q) == pytest.approx(kl, rel=1e-6)
    assert wasserstein_1(p, q) == pytest.approx(w1, rel=1e-6)
    assert js_divergence(p, q) == pytest.approx(js, abs=1e-7)


@pytest.mark.parametrize("first, second", PAIRS)
def test_closed_forms_match_package_quadrature(first, second):
    p, q = Gaussian1D(*first), Gaussian1D(*second)
    for exact, numeric in (
        (total_variation, total_variation_quadrature),
        (kl_divergence, kl_divergence_quadrature),
        (wasserstein_1, wasserstein_1_quadrature),
    ):
        value, error = numeric(p, q)
        assert error < 1e-9
        assert exact(p, q) == pytest.approx(value, rel=1e-8, abs=1e-14)
    assert js_divergence_quadrature(p, q).abs_error < 1e-9


def test_kl_gaussian_textbook_values():
    # KL(N(0,1) || N(mu, 1)) = mu^2 / 2; KL(N(0,1) || N(0, s^2)) = log s + 1/(2 s^2) - 1/2
    assert kl_divergence(Gaussian1D(0, 1), Gaussian1D(3, 1)) == pytest.approx(4.5, rel=1e-15)
    assert kl_divergence(Gaussian1D(0, 1), Gaussian1D(0, 2)) == pytest.approx(math.log(2) + 1 / 8 - 0.5, rel=1e-12)


def test_kl_of_nearly_equal_gaussians_keeps_its_digits():
    # with s = 1 + 1e-6 the naive formula loses ~half its digits; the exact value is ~1e-12
    p, q = Gaussian1D(0.0, 1.0), Gaussian1D(0.0, 1.0 + 1e-6)
    exact = math.log(1 + 1e-6) + 1 / (2 * (1 + 1e-6) ** 2) - 0.5  # ~ 1e-12, to ~4 digits
    assert kl_divergence(p, q) == pytest.approx(exact, rel=1e-3)
    assert kl_divergence(p, q) == pytest.approx(1e-12, rel=1e-5)  # the series: t^2 (1 - ...) with t = 1e-6


def test_w1_gaussians_folded_normal_and_equal_std():
    assert wasserstein_1(Gaussian1D(0, 1), Gaussian1D(10, 1)) == 10.0  # POT's test_gaussian value
    # equal means: W1 = |ds| E|Z| = |ds| sqrt(2/pi)
    assert wasserstein_1(Gaussian1D(0, 1), Gaussian1D(0, 3)) == pytest.approx(2 * math.sqrt(2 / math.pi), rel=1e-14)
    p, q = Gaussian1D(-1, 0.5), Gaussian1D(2, 2)
    expected = integrate.quad(lambda z: abs(-3 - 1.5 * z) * stats.norm.pdf(z), -40, 40, points=[-2], epsabs=1e-14)[0]
    assert wasserstein_1(p, q) == pytest.approx(expected, rel=1e-10)


def test_w2_gaussians_closed_form():
    assert wasserstein_2(Gaussian1D(0, 1), Gaussian1D(3, 5)) == pytest.approx(5.0, rel=1e-15)
    with pytest.raises(TypeError, match="wasserstein_2 is exact only"):
        wasserstein_2(Uniform1D(), Uniform1D(0, 2))


def test_density_crossings_are_where_the_densities_meet():
    p, q = Gaussian1D(-1.0, 0.5), Gaussian1D(2.0, 2.0)
    crossings = gaussian_density_crossings(p, q)
    assert len(crossings) == 2
    for x in crossings:
        assert p.logpdf(x) == pytest.approx(q.logpdf(x), abs=1e-10)
    assert gaussian_density_crossings(Gaussian1D(0, 1), Gaussian1D(2, 1)) == (1.0,)
    assert total_variation(Gaussian1D(0, 1), Gaussian1D(0, 1)) == 0.0


@pytest.mark.parametrize("theta", [1e-9, 0.5, -2.0, 1e6])
def test_example_1_values_away_from_zero(theta):
    values = all_distances(ParallelLines(0.0), ParallelLines(theta))
    assert values == {"tv": 1.0, "kl": math.inf, "kl_reverse": math.inf, "js": LOG_2, "em": abs(theta)}


def test_example_1_at_zero_is_all_zero():
    assert all_distances(ParallelLines(0.0), ParallelLines(0.0)) == {
        "tv": 0.0,
        "kl": 0.0,
        "kl_reverse": 0.0,
        "js": 0.0,
        "em": 0.0,
    }


def test_infinite_kl_is_inf_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kl_divergence(Discrete1D([0.0]), Discrete1D([1.0])) == math.inf
        assert kl_divergence(Gaussian1D(0, 1), Uniform1D(0, 1)) == math.inf
        assert kl_divergence(Discrete1D([0.5]), Uniform1D()) == math.inf
        assert kl_divergence(ParallelLines(0), ParallelLines(1)) == math.inf


def test_far_apart_gaussians_stay_finite_and_exact():
    # a KL integrand written as log(pdf_p) - log(pdf_q) gives inf here; log-densities do not
    p, q = Gaussian1D(0.0, 1.0), Gaussian1D(40.0, 1.0)
    assert kl_divergence(p, q) == 800.0
    assert kl_divergence_quadrature(p, q).value == pytest.approx(800.0, rel=1e-10)
    assert js_divergence(p, q) == pytest.approx(LOG_2, abs=1e-10)
    assert total_variation(p, q) == 1.0


def test_discrete_laws_exact_sums():
    p = Discrete1D([0.0, 1.0], [0.25, 0.75])
    q = Discrete1D([0.0, 2.0], [0.5, 0.5])
    assert total_variation(p, q) == pytest.approx(0.75)
    assert kl_divergence(p, q) == math.inf
    # the mixture M = (P + Q)/2 puts 0.375, 0.375, 0.25 on 0, 1, 2
    expected_js = 0.5 * (0.25 * math.log(0.25 / 0.375) + 0.75 * math.log(0.75 / 0.375)) + 0.5 * (
        0.5 * math.log(0.5 / 0.375) + 0.5 * math.log(0.5 / 0.25)
    )
    assert js_divergence(p, q) == pytest.approx(expected_js, rel=1e-14)
    # W1 = int |F_P - F_Q|: the CDFs differ by 0.25 on [0, 1) and by 0.5 on [1, 2)
    assert wasserstein_1(p, q) == pytest.approx(0.25 * 1 + 0.5 * 1, rel=1e-14)
    assert wasserstein_1(p, q) == pytest.approx(
        stats.wasserstein_distance([0, 1], [0, 2], [0.25, 0.75], [0.5, 0.5]), rel=1e-12
    )


def test_grid_against_uniform_matches_scipy_and_one_over_four_n():
    for n in (1, 3, 50):
        grid = Discrete1D((np.arange(n) + 0.5) / n)
        assert wasserstein_1(grid, Uniform1D()) == pytest.approx(1 / (4 * n), rel=1e-12)
    assert wasserstein_1(Uniform1D(0, 1), Uniform1D(0.5, 3)) == pytest.approx(
        wasserstein_1_quadrature(Uniform1D(0, 1), Uniform1D(0.5, 3)).value, rel=1e-12
    )


def test_mixing_spaces_is_a_type_error():
    with pytest.raises(TypeError, match="ParallelLines live in R\\^2"):
        wasserstein_1(ParallelLines(0.0), Gaussian1D(0, 1))
    with pytest.raises(TypeError, match="for samples use wgan_toys.empirical"):
        total_variation(np.zeros(3), Gaussian1D(0, 1))
