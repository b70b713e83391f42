r"""Section 1's rows of ``wgan-toys verify``: Example 1 with the noise remedy, likelihood on it, Theorem 2's
first statement and Appendix A's two topologies.

A standalone module of row functions: each yields :class:`~wgan_toys.verify.CheckResult` rows, and
:data:`ROWS` lists them in table order for the verify table to register (``claim(row)`` for each).
Importing this module registers nothing. Each row measures its side independently of the code it checks:

- the closed forms of :mod:`~wgan_toys.distances` for two blurred lines against 2D adaptive quadrature
  (scipy's ``dblquad``) of the definitions, with the density written here from ``math.erf``;
- W1 = |theta| against POT's exact transport between samples drawn through the public sampler
  ``NoisyParallelLines.sample``, within the real-vs-real floor at the same sample size;
- the likelihood of data on a segment (drawn with ``ParallelLines.sample``) against the package's
  ``likelihood`` module, recomputed here: it grows like -log sigma as sigma -> 0, and the average
  log-likelihood ratio on samples tends to KL(P_r || P_theta);
- Theorem 2's first statement on a sequence of blurred lines, TV and JS measured by the same 2D quadrature,
  with TV^2 / 2 <= JS <= TV log 2 between them;
- Appendix A on the noiseless lines P_{1/n} -> P_0, drawn through ``ParallelLines.sample``: POT's W1 and the
  exact TV of the empirical laws (atoms matched row by row, no histogram, so no bin width hides a jump).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875, Section 1, Example 1, Theorem 2, Appendix A.
"""

from __future__ import annotations

import math

import numpy as np

from ..distances import LOG_2, all_distances, js_divergence
from ..distributions import Gaussian1D, NoisyParallelLines, ParallelLines
from ..likelihood import fit_noisy_lines, kl_by_likelihood, likelihood_profile
from ._registry import CheckResult, Status

__all__ = [
    "ROWS",
    "section_1_noisy_lines_by_quadrature",
    "section_1_noisy_lines_wasserstein",
    "section_1_likelihood",
    "theorem_2_tv_iff_js",
    "appendix_a_weak_not_strong",
    "NOISY_PAIRS",
]

#: (theta, sigma) pairs: the paper's noise of about 0.1, a wide noise, and an offset well below the noise
NOISY_PAIRS = [(0.3, 0.1), (-1.0, 0.5), (0.05, 0.1)]
_SQRT_2 = math.sqrt(2.0)
_NORMAL = 1.0 / math.sqrt(2.0 * math.pi)


def _density(theta: float, sigma: float):
    """p(y, x) of (theta, Z) + sigma N(0, I), Z ~ U[0, 1], written from math.exp and math.erfc (dblquad's order)."""

    def density(y: float, x: float) -> float:
        u = (x - theta) / sigma
        height = 0.5 * (math.erfc(-y / (sigma * _SQRT_2)) - math.erfc((1.0 - y) / (sigma * _SQRT_2)))
        return _NORMAL / sigma * math.exp(-0.5 * u * u) * height

    return density


def _quadrature_distances(theta: float, sigma: float, names=("tv", "kl", "kl_reverse", "js")) -> dict[str, float]:
    """TV, KL(P_0 || P_theta), KL(P_theta || P_0) and JS (those in ``names``) by 2D adaptive quadrature over the
    plane (10 sigma margins), split at x = theta / 2 where the two densities cross."""
    from scipy.integrate import dblquad

    p, q = _density(0.0, sigma), _density(theta, sigma)

    def kl(a, b):
        return a * math.log(a / b) if a > 0.0 else 0.0

    integrands = {
        "tv": lambda y, x: 0.5 * abs(p(y, x) - q(y, x)),
        "kl": lambda y, x: kl(p(y, x), q(y, x)),
        "kl_reverse": lambda y, x: kl(q(y, x), p(y, x)),
        "js": lambda y, x: 0.5 * (kl(p(y, x), 0.5 * (p(y, x) + q(y, x))) + kl(q(y, x), 0.5 * (p(y, x) + q(y, x)))),
    }
    low, high = min(0.0, theta) - 10.0 * sigma, max(0.0, theta) + 10.0 * sigma
    pieces = sorted((low, theta / 2.0, high))
    values = {}
    for name in names:
        integrand = integrands[name]
        values[name] = sum(
            dblquad(integrand, a, b, -10.0 * sigma, 1.0 + 10.0 * sigma, epsabs=1e-11, epsrel=1e-9)[0]
            for a, b in zip(pieces[:-1], pieces[1:])
        )
    return values


def _paper_values(theta: float, sigma: float) -> dict[str, float]:
    """Section 1 on Example 1 with one noise: the closed forms stated in the lesson (JS via the 1D Gaussians)."""
    kl = theta * theta / (2.0 * sigma * sigma)
    return {
        "tv": math.erf(abs(theta) / (2.0 * _SQRT_2 * sigma)),  # 2 Phi(|theta| / 2 sigma) - 1
        "kl": kl,
        "kl_reverse": kl,
        "js": js_divergence(Gaussian1D(0.0, sigma), Gaussian1D(theta, sigma)),
    }


def section_1_noisy_lines_by_quadrature():
    """Section 1's remedy on Example 1: with one noise sigma on both lines, KL = theta^2 / (2 sigma^2) both
    ways, TV = 2 Phi(|theta| / 2 sigma) - 1, JS = the JS of N(0, sigma^2) and N(theta, sigma^2), against 2D
    quadrature of the definitions."""
    for theta, sigma in NOISY_PAIRS:
        measured = _quadrature_distances(theta, sigma)
        paper = _paper_values(theta, sigma)
        package = all_distances(NoisyParallelLines(0.0, sigma), NoisyParallelLines(theta, sigma))
        worst = max(
            abs(source[name] - measured[name]) / max(abs(measured[name]), 1e-12)
            for source in (paper, package)
            for name in measured
        )
        yield CheckResult(
            f"Section 1, noisy lines theta = {theta:g}, sigma = {sigma:g}: TV, KL both ways, JS (2D quadrature)",
            " ".join(f"{name}={measured[name]:.8g}" for name in ("tv", "kl", "kl_reverse", "js")),
            f"formulas and package within 1e-6 relative (worst {worst:.1e}); "
            + " ".join(f"{name}={package[name]:.8g}" for name in ("tv", "kl", "kl_reverse", "js")),
            Status.PASS if worst <= 1e-6 else Status.FAIL,
        )


W1_SAMPLES = 1000


def section_1_noisy_lines_wasserstein():
    """W1 between blurred lines is |theta| whatever the noise (W1 >= |difference of means|, and the translation
    coupling attains it): POT's exact transport between samples of the public sampler, within the real-vs-real
    floor at the same n (the triangle inequality bounds the sampling error by W1(P_n, P) + W1(Q_n, Q))."""
    from ..empirical import wasserstein_1_samples

    for index, (theta, sigma) in enumerate(((0.5, 0.1), (-0.3, 0.3))):
        rng = np.random.default_rng(index)
        real = NoisyParallelLines(0.0, sigma).sample(W1_SAMPLES, seed=rng)
        fake = NoisyParallelLines(theta, sigma).sample(W1_SAMPLES, seed=rng)
        other_real = NoisyParallelLines(0.0, sigma).sample(W1_SAMPLES, seed=rng)
        measured = wasserstein_1_samples(real, fake)
        floor = wasserstein_1_samples(real, other_real)
        package = all_distances(NoisyParallelLines(0.0, sigma), NoisyParallelLines(theta, sigma))["em"]
        ok = abs(measured - abs(theta)) <= floor and package == abs(theta)
        yield CheckResult(
            f"Section 1, W1 of noisy lines = |theta| (theta = {theta:g}, sigma = {sigma:g}; POT, n = {W1_SAMPLES})",
            f"POT {measured:.4f}, real-vs-real floor {floor:.4f}",
            f"|theta| = {abs(theta):g} within the floor; package {package:g}",
            Status.PASS if ok else Status.FAIL,
        )


def _average_log_likelihood_by_hand(data: np.ndarray, theta: float, sigma: float) -> float:
    """The average of log N(x; theta, sigma^2) + log(Phi(y / sigma) - Phi((y - 1) / sigma)), written with scipy."""
    from scipy.special import log_ndtr
    from scipy.stats import norm

    x, y = data[:, 0], data[:, 1]
    upper, lower = log_ndtr(y / sigma), log_ndtr((y - 1.0) / sigma)
    return float(np.mean(norm.logpdf(x, theta, sigma) + upper + np.log1p(-np.exp(lower - upper))))


LIKELIHOOD_SAMPLES = 2000
LIKELIHOOD_SIGMAS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)


def section_1_likelihood():
    """Section 1: fitted by likelihood to data on a segment (Example 1, no noise), the noise sigma runs to 0,
    the likelihood growing like -log sigma without bound; on data with a density, the average log-likelihood
    ratio tends to KL(P_r || P_theta) (maximum likelihood minimises KL asymptotically)."""
    data = ParallelLines(0.0).sample(LIKELIHOOD_SAMPLES, seed=0)
    by_hand = np.array([_average_log_likelihood_by_hand(data, 0.0, s) for s in LIKELIHOOD_SIGMAS])
    package = likelihood_profile(data, LIKELIHOOD_SIGMAS)
    per_e_fold = np.diff(by_hand) / math.log(10.0)  # the gain per decade of 1/sigma over ln 10: -> 1
    fit = fit_noisy_lines(data, smallest_noise_std=1e-8)
    agree = float(np.max(np.abs(package - by_hand)))
    ok = agree <= 1e-9 and bool(np.all(np.abs(per_e_fold - 1.0) <= 0.01)) and fit.at_bound
    yield CheckResult(
        f"Section 1: likelihood of {LIKELIHOOD_SAMPLES} points on a segment unbounded as sigma -> 0",
        "gain per e-fold of 1/sigma, sigma = 1e-2 ... 1e-6: " + ", ".join(f"{g:.4f}" for g in per_e_fold),
        f"1 +- 0.01 (the -log sigma of the density); package profile within 1e-9 (max diff {agree:.1e}); "
        f"fit_noisy_lines stops at its smallest sigma: {fit.at_bound}",
        Status.PASS if ok else Status.FAIL,
    )
    theta, sigma = 0.3, 0.1
    estimate, error = kl_by_likelihood(
        NoisyParallelLines(0.0, sigma), NoisyParallelLines(theta, sigma), n_samples=20_000, seed=1
    )
    exact = theta * theta / (2.0 * sigma * sigma)
    yield CheckResult(
        f"Section 1: average log-likelihood ratio -> KL(P_r || P_theta) (noisy lines, theta = {theta:g}, "
        f"sigma = {sigma:g}, 20000 samples)",
        f"{estimate:.4f} +- {error:.4f} (standard error)",
        f"theta^2 / (2 sigma^2) = {exact:g} within 4 standard errors",
        Status.PASS if abs(estimate - exact) <= 4.0 * error else Status.FAIL,
    )


#: Theorem 2's sequence: P_n = NoisyParallelLines(1 / n, sigma) -> P_0 = NoisyParallelLines(0, sigma)
SEQUENCE_STEPS = (1, 3, 10, 30, 100)
SEQUENCE_NOISE = 0.1


def theorem_2_tv_iff_js():
    """Theorem 2, first statement: TV(P_n, P) -> 0 iff JS(P_n, P) -> 0, since TV^2 / 2 <= JS <= TV log 2 (TV with
    the 1/2 convention, JS in nats). On blurred lines P_n = (1/n, Z) + sigma N(0, I) -> P_0, TV and JS are measured
    by 2D quadrature of their definitions; both bounds hold at every n, both fall together, and the package's
    closed forms agree within 1e-6 relative."""
    rows = []
    for n in SEQUENCE_STEPS:
        measured = _quadrature_distances(1.0 / n, SEQUENCE_NOISE, names=("tv", "js"))
        package = all_distances(NoisyParallelLines(0.0, SEQUENCE_NOISE), NoisyParallelLines(1.0 / n, SEQUENCE_NOISE))
        rows.append((measured["tv"], measured["js"], package["tv"], package["js"]))
    tv, js, package_tv, package_js = (np.array(column) for column in zip(*rows))
    slack = 1e-10  # the quadrature's absolute error
    bounds = bool(np.all(tv * tv / 2.0 <= js + slack) and np.all(js <= tv * LOG_2 + slack))
    package_bounds = bool(np.all(package_tv**2 / 2.0 <= package_js) and np.all(package_js <= package_tv * LOG_2))
    falling = bool(np.all(np.diff(tv) < 0.0) and np.all(np.diff(js) < 0.0))
    agree = float(max(np.max(np.abs(package_tv / tv - 1.0)), np.max(np.abs(package_js / js - 1.0))))
    ok = bounds and package_bounds and falling and agree <= 1e-6
    yield CheckResult(
        f"Theorem 2 (first statement): TV -> 0 iff JS -> 0, TV^2/2 <= JS <= TV log 2, on blurred lines "
        f"theta = 1/n, sigma = {SEQUENCE_NOISE:g}, n = {', '.join(map(str, SEQUENCE_STEPS))} (2D quadrature)",
        "TV " + ", ".join(f"{v:.4g}" for v in tv) + "; JS " + ", ".join(f"{v:.4g}" for v in js),
        f"both bounds at every n (measured: {bounds}, package: {package_bounds}), both falling ({falling}); "
        f"package within 1e-6 relative (worst {agree:.1e})",
        Status.PASS if ok else Status.FAIL,
    )


def _empirical_total_variation(x: np.ndarray, y: np.ndarray) -> float:
    """Exact TV between the empirical laws of the rows of ``x`` and ``y`` (uniform weights): atoms matched by
    equality, no bins."""
    atoms, index = np.unique(np.concatenate([x, y]), axis=0, return_inverse=True)
    index = np.ravel(index)
    p = np.bincount(index[: len(x)], minlength=len(atoms)) / len(x)
    q = np.bincount(index[len(x) :], minlength=len(atoms)) / len(y)
    return 0.5 * float(np.abs(p - q).sum())


APPENDIX_A_STEPS = (1, 10, 100, 1000, 10_000)
APPENDIX_A_SAMPLES = 500


def appendix_a_weak_not_strong():
    """Appendix A: W1 metrises weak convergence, TV the strong topology. The lines P_{1/n} = (1/n, Z) converge
    to P_0 weakly, W1 = 1/n -> 0, but not strongly, TV = 1 for every n (Example 1). Measured through the public
    sampler ``ParallelLines.sample`` with one seed for both laws (so the heights coincide and the samples realise
    the translation coupling): POT's exact W1 between the samples equals 1/n, and the exact TV of the two
    empirical laws (atoms matched, no bins) stays 1; the package's values agree."""
    from ..empirical import wasserstein_1_samples

    measured_w1, measured_tv, package_w1, package_tv = [], [], [], []
    for index, n in enumerate(APPENDIX_A_STEPS):
        real = ParallelLines(0.0).sample(APPENDIX_A_SAMPLES, seed=index)
        fake = ParallelLines(1.0 / n).sample(APPENDIX_A_SAMPLES, seed=index)
        measured_w1.append(wasserstein_1_samples(real, fake))
        measured_tv.append(_empirical_total_variation(real, fake))
        exact = all_distances(ParallelLines(0.0), ParallelLines(1.0 / n))
        package_w1.append(exact["em"])
        package_tv.append(exact["tv"])
    steps = np.array(APPENDIX_A_STEPS, dtype=float)
    weak = bool(np.allclose(measured_w1, 1.0 / steps, rtol=1e-9, atol=0.0))
    not_strong = bool(np.allclose(measured_tv, 1.0, rtol=0.0, atol=1e-12))  # a sum of 1000 halves of 1/500
    package = bool(np.allclose(package_w1, 1.0 / steps, rtol=1e-12, atol=0.0) and np.all(np.array(package_tv) == 1.0))
    yield CheckResult(
        f"Appendix A: P_(1/n) -> P_0 weakly (W1 -> 0) but not strongly (TV = 1), Example 1's lines, "
        f"n = {', '.join(map(str, APPENDIX_A_STEPS))} ({APPENDIX_A_SAMPLES} public samples each, POT)",
        "W1 "
        + ", ".join(f"{v:.6g}" for v in measured_w1)
        + "; TV of the empirical laws "
        + ", ".join(f"{v:g}" for v in measured_tv),
        f"W1 = 1/n within 1e-9 relative ({weak}), TV = 1 at every n ({not_strong}); package agrees ({package})",
        Status.PASS if weak and not_strong and package else Status.FAIL,
    )


#: the rows, in table order, for the verify table to register
ROWS = (
    section_1_noisy_lines_by_quadrature,
    section_1_noisy_lines_wasserstein,
    section_1_likelihood,
    theorem_2_tv_iff_js,
    appendix_a_weak_not_strong,
)
