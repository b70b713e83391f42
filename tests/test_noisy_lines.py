"""Section 1's noise remedy on Example 1 (NoisyParallelLines), the likelihood module, and Theorem 2's first
statement, against independent references: densities written here from math.erfc and integrated by scipy's
2D adaptive quadrature (dblquad), POT on samples of the public sampler, sample moments, central differences.

Tolerances: 1e-7 relative for closed forms against 2D quadrature (they agree to ~1e-15 in practice);
sample statistics within 4 standard errors; POT within the real-vs-real floor at the same n.
"""

import math

import numpy as np
import pytest
from scipy import integrate

from wgan_toys import (
    LOG_2,
    Discrete1D,
    Gaussian1D,
    NoisyParallelLines,
    ParallelLines,
    all_distances,
    js_divergence,
    kl_divergence,
    total_variation,
    wasserstein_1,
)
from wgan_toys.likelihood import (
    average_log_likelihood,
    distance_slopes,
    fit_noisy_lines,
    kl_by_likelihood,
    likelihood_profile,
    sequence_distances,
)

SQRT_2 = math.sqrt(2.0)


def density(theta, sigma):
    """p(y, x) of (theta, Z) + sigma N(0, I), Z ~ U[0, 1]: a normal in x times Phi(y/s) - Phi((y-1)/s) in y."""

    def p(y, x):
        u = (x - theta) / sigma
        height = 0.5 * (math.erfc(-y / (sigma * SQRT_2)) - math.erfc((1.0 - y) / (sigma * SQRT_2)))
        return math.exp(-0.5 * u * u) / (sigma * math.sqrt(2 * math.pi)) * height

    return p


def plane_integral(integrand, theta_p, theta_q, sigma):
    low, high = min(theta_p, theta_q) - 10 * sigma, max(theta_p, theta_q) + 10 * sigma
    middle = 0.5 * (theta_p + theta_q)  # the densities cross on this vertical line
    return sum(
        integrate.dblquad(integrand, a, b, -10 * sigma, 1 + 10 * sigma, epsabs=1e-11, epsrel=1e-9)[0]
        for a, b in ((low, middle), (middle, high))
    )


def kl_term(a, b):
    return a * math.log(a / b) if a > 0 else 0.0


PAIRS = [(0.0, 0.3, 0.1), (0.2, -0.8, 0.5), (0.0, 0.05, 0.1), (1.0, 1.4, 0.2)]


@pytest.mark.parametrize("theta_p, theta_q, sigma", PAIRS)
def test_closed_forms_against_2d_quadrature(theta_p, theta_q, sigma):
    p_law, q_law = NoisyParallelLines(theta_p, sigma), NoisyParallelLines(theta_q, sigma)
    p, q = density(theta_p, sigma), density(theta_q, sigma)
    references = {
        "tv": plane_integral(lambda y, x: 0.5 * abs(p(y, x) - q(y, x)), theta_p, theta_q, sigma),
        "kl": plane_integral(lambda y, x: kl_term(p(y, x), q(y, x)), theta_p, theta_q, sigma),
        "kl_reverse": plane_integral(lambda y, x: kl_term(q(y, x), p(y, x)), theta_p, theta_q, sigma),
        "js": plane_integral(
            lambda y, x: (
                0.5 * kl_term(p(y, x), 0.5 * (p(y, x) + q(y, x))) + 0.5 * kl_term(q(y, x), 0.5 * (p(y, x) + q(y, x)))
            ),
            theta_p,
            theta_q,
            sigma,
        ),
    }
    exact = all_distances(p_law, q_law)
    for name, reference in references.items():
        assert exact[name] == pytest.approx(reference, rel=1e-7, abs=1e-12), name
    shift = theta_q - theta_p
    # the stated formulas, from the standard normal CDF written with erfc
    assert exact["kl"] == pytest.approx(shift**2 / (2 * sigma**2), rel=1e-12)
    phi = 0.5 * math.erfc(-abs(shift) / (2 * sigma) / SQRT_2)
    assert exact["tv"] == pytest.approx(2 * phi - 1, rel=1e-12)
    assert exact["js"] == pytest.approx(js_divergence(Gaussian1D(0.0, sigma), Gaussian1D(shift, sigma)), rel=1e-12)
    assert exact["em"] == abs(shift)


def test_the_density_integrates_to_one_and_matches_the_independent_one():
    law = NoisyParallelLines(0.4, 0.2)
    total = plane_integral(density(0.4, 0.2), 0.4, 0.4, 0.2)
    assert total == pytest.approx(1.0, abs=1e-9)
    points = np.array([[0.4, 0.5], [0.1, -0.3], [1.0, 1.2], [0.4, 7.0]])
    mine = np.array([density(0.4, 0.2)(y, x) for x, y in points])
    assert law.pdf(points) == pytest.approx(mine, rel=1e-10)
    # far in the tails the density underflows; the log-density stays finite and exact
    far = law.logpdf([[0.4, -30.0]])[0]
    assert math.isfinite(far) and far < -10_000


@pytest.mark.parametrize("theta, sigma", [(0.5, 0.1), (-0.3, 0.3)])
def test_wasserstein_1_against_pot_on_public_samples(theta, sigma):
    """W1 = |theta| exactly: POT between 1000 samples of each law, within the real-vs-real floor (the triangle
    inequality bounds the sampling error by W1(P_n, P) + W1(Q_n, Q), which the floor W1(P_n, P'_n) estimates)."""
    from wgan_toys.empirical import wasserstein_1_samples

    rng = np.random.default_rng(3)
    real = NoisyParallelLines(0.0, sigma).sample(1000, seed=rng)
    fake = NoisyParallelLines(theta, sigma).sample(1000, seed=rng)
    floor = wasserstein_1_samples(real, NoisyParallelLines(0.0, sigma).sample(1000, seed=rng))
    assert abs(wasserstein_1_samples(real, fake) - abs(theta)) <= floor
    assert wasserstein_1(NoisyParallelLines(0.0, sigma), NoisyParallelLines(theta, sigma)) == abs(theta)


def test_sampler_moments():
    """Horizontal N(theta, sigma^2); vertical U[0, 1] + N(0, sigma^2): mean 1/2, variance 1/12 + sigma^2."""
    theta, sigma, n = 0.7, 0.2, 40_000
    points = NoisyParallelLines(theta, sigma).sample(n, seed=0)
    x, y = points[:, 0], points[:, 1]
    assert abs(x.mean() - theta) <= 4 * sigma / math.sqrt(n)
    assert abs(y.mean() - 0.5) <= 4 * math.sqrt(1 / 12 + sigma**2) / math.sqrt(n)
    assert x.var() == pytest.approx(sigma**2, rel=0.03)
    assert y.var() == pytest.approx(1 / 12 + sigma**2, rel=0.03)
    assert abs(np.corrcoef(x, y)[0, 1]) <= 4 / math.sqrt(n)
    assert np.array_equal(
        NoisyParallelLines(theta, sigma).sample(5, seed=1), NoisyParallelLines(theta, sigma).sample(5, seed=1)
    )


def test_sample_torch():
    torch = pytest.importorskip("torch")
    points = NoisyParallelLines(0.5, 0.1).sample_torch(20_000, seed=0, dtype=torch.float64)
    assert points.shape == (20_000, 2) and points.dtype == torch.float64
    assert float(points[:, 0].mean()) == pytest.approx(0.5, abs=4 * 0.1 / math.sqrt(20_000))
    assert float(points[:, 0].std()) == pytest.approx(0.1, rel=0.03)


def test_errors_name_the_parameter():
    with pytest.raises(ValueError, match=r"noise_std == 0.0, must be > 0 \(sigma -> 0 is ParallelLines"):
        NoisyParallelLines(0.0, 0.0)
    with pytest.raises(TypeError, match="NoisyParallelLines can only be compared with NoisyParallelLines"):
        total_variation(NoisyParallelLines(0.0, 0.1), ParallelLines(0.0))
    with pytest.raises(TypeError, match="NoisyParallelLines can only be compared"):
        kl_divergence(Gaussian1D(0.0, 1.0), NoisyParallelLines(0.0, 0.1))
    with pytest.raises(ValueError, match=r"q.noise_std == 0.2, must equal p.noise_std == 0.1"):
        js_divergence(NoisyParallelLines(0.0, 0.1), NoisyParallelLines(0.0, 0.2))
    with pytest.raises(TypeError, match="no density"):
        average_log_likelihood(ParallelLines(0.0), [[0.0, 0.5]])


def test_extremes_are_finite_or_inf_never_nan():
    far = all_distances(NoisyParallelLines(0.0, 1e-300), NoisyParallelLines(1e10, 1e-300))
    assert far == {"tv": 1.0, "kl": math.inf, "kl_reverse": math.inf, "js": LOG_2, "em": 1e10}
    same = all_distances(NoisyParallelLines(0.3, 0.1), NoisyParallelLines(0.3, 0.1))
    assert same == {"tv": 0.0, "kl": 0.0, "kl_reverse": 0.0, "js": 0.0, "em": 0.0}


# --- the likelihood module ---------------------------------------------------------------------------


def test_fit_recovers_the_noise_of_noisy_data_and_runs_to_zero_on_a_segment():
    noisy = NoisyParallelLines(0.25, 0.1).sample(4000, seed=0)
    fit = fit_noisy_lines(noisy)
    assert not fit.at_bound
    assert abs(fit.theta - 0.25) <= 4 * 0.1 / math.sqrt(4000)
    assert fit.noise_std == pytest.approx(0.1, rel=0.05)
    # the maximiser: the profile is lower on both sides of it
    around = likelihood_profile(noisy, [fit.noise_std * 0.99, fit.noise_std, fit.noise_std * 1.01])
    assert around[1] >= around[0] and around[1] >= around[2]
    line = ParallelLines(0.0).sample(1000, seed=0)
    fit = fit_noisy_lines(line, smallest_noise_std=1e-7)
    assert fit.at_bound and fit.noise_std == pytest.approx(1e-7)
    # unbounded: each decade of sigma adds about log 10 per point
    profile = likelihood_profile(line, [1e-3, 1e-4, 1e-5])
    assert np.diff(profile) == pytest.approx([math.log(10)] * 2, rel=1e-3)


def test_kl_by_likelihood_tends_to_the_closed_form():
    for target, model in (
        (NoisyParallelLines(0.0, 0.1), NoisyParallelLines(0.3, 0.1)),
        (Gaussian1D(0.0, 1.0), Gaussian1D(1.0, 2.0)),
    ):
        estimate, error = kl_by_likelihood(target, model, n_samples=20_000, seed=0)
        assert abs(estimate - kl_divergence(target, model)) <= 4 * error


def test_distance_slopes_match_the_derivatives():
    sigmas = np.array([0.5, 0.1, 0.05])
    theta = 0.3
    slopes = distance_slopes(theta, sigmas)
    assert slopes["kl"] == pytest.approx(theta / sigmas**2, rel=1e-6)
    normal = np.exp(-0.5 * (theta / (2 * sigmas)) ** 2) / math.sqrt(2 * math.pi)
    assert slopes["tv"] == pytest.approx(normal / sigmas, rel=1e-5)  # d/dtheta of 2 Phi(theta / 2 sigma) - 1
    assert slopes["em"] == pytest.approx(np.ones(3))


# --- Theorem 2's first statement and Appendix A ----------------------------------------------------------


def theorem_2_pairs():
    pairs = [(NoisyParallelLines(0.0, 0.1), NoisyParallelLines(t, 0.1)) for t in (0.01, 0.1, 0.3, 1.0)]
    pairs += [(Gaussian1D(0.0, 1.0), Gaussian1D(m, s)) for m, s in ((0.1, 1.0), (2.0, 0.5), (0.0, 3.0))]
    pairs += [(Discrete1D([0.0, 1.0], [0.3, 0.7]), Discrete1D([0.0, 1.0, 2.0], [0.5, 0.25, 0.25]))]
    pairs += [(ParallelLines(0.0), ParallelLines(0.5)), (Discrete1D([0.0]), Discrete1D([1.0]))]
    return pairs


@pytest.mark.parametrize("p, q", theorem_2_pairs())
def test_tv_squared_over_two_below_js_below_tv_log_2(p, q):
    """TV^2 / 2 <= JS <= TV log 2 (1/2 convention, nats), so TV -> 0 iff JS -> 0 (Theorem 2.1)."""
    tv, js = total_variation(p, q), js_divergence(p, q)
    assert tv * tv / 2 <= js + 1e-15
    assert js <= tv * LOG_2 + 1e-15


def test_the_upper_bound_is_reached_by_disjoint_laws():
    assert (
        js_divergence(ParallelLines(0.0), ParallelLines(0.5))
        == total_variation(ParallelLines(0.0), ParallelLines(0.5)) * LOG_2
    )


def test_weak_but_not_strong_convergence_and_both():
    steps = np.array([1, 10, 100, 1000])
    lines = sequence_distances(ParallelLines(0.0), [ParallelLines(1 / n) for n in steps])
    assert lines["em"] == pytest.approx(1 / steps) and np.all(lines["tv"] == 1.0) and np.all(lines["js"] == LOG_2)
    noisy = sequence_distances(NoisyParallelLines(0.0, 0.1), [NoisyParallelLines(1 / n, 0.1) for n in steps])
    assert noisy["em"] == pytest.approx(1 / steps)
    assert np.all(np.diff(noisy["tv"]) < 0) and noisy["tv"][-1] < 0.01 and noisy["js"][-1] < 1e-4
    with pytest.raises(ValueError, match="laws is empty"):
        sequence_distances(ParallelLines(0.0), [])
