r"""Rows on the distances themselves: Example 1 through the package's sampler, symmetry and bounds,
closed forms against quadrature and POT, Theorem 1 (continuity of W, the jump of JS) and
Theorem 2's sequences.

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875: Example 1, Theorems 1-2, Section 2.
"""

from __future__ import annotations

import math

import numpy as np

from ..distances import (
    LOG_2,
    all_distances,
    js_divergence,
    kl_divergence,
    total_variation,
    wasserstein_1,
)
from ..distributions import Discrete1D, Gaussian1D, ParallelLines, Uniform1D
from ..quadrature import kl_divergence_quadrature, total_variation_quadrature, wasserstein_1_quadrature
from ._registry import CheckResult, claim, fmt, same, status_of

__all__ = [
    "example_1",
    "symmetry_and_bounds",
    "pinsker_and_mean_bound",
    "closed_forms_agree",
    "theorem_1_continuity",
    "theorem_2_sequences",
    "GAUSSIAN_PAIRS",
    "THEOREM_1_REAL",
    "LINE_SAMPLES",
    "sampled_lines",
    "line_histograms",
]

# Gaussian pairs used by several checks: close, far, different widths, very different widths.
GAUSSIAN_PAIRS = [
    (Gaussian1D(0.0, 1.0), Gaussian1D(0.3, 1.0)),
    (Gaussian1D(0.0, 1.0), Gaussian1D(4.0, 1.0)),
    (Gaussian1D(-1.0, 0.5), Gaussian1D(2.0, 2.0)),
    (Gaussian1D(0.0, 1.0), Gaussian1D(0.0, 3.0)),
    (Gaussian1D(5.0, 0.1), Gaussian1D(-5.0, 4.0)),
]

# --------------------------------------------------------------------------------------------
# Example 1 measured through the package's sampler, the one the lessons draw from:
# ParallelLines(0).sample(n, seed) and ParallelLines(theta).sample(n, seed) share their noise z, so
# they are g_0(Z) and g_theta(Z) for the same draws (Theorem 1's coupling). W is POT's exact
# transport between the two point sets, and equals |theta| exactly: the pairing (0, z_i) - (theta, z_i)
# costs |theta|, and no plan costs less than the difference of the mean abscissas. TV, KL and JS are
# histogram distances on a grid fixed in advance, independent of theta: 10 rows on [0, 1] and
# columns of width b centred on 0 (the middle column is [-b/2, b/2]).

LINE_SAMPLES = 32
LINE_COLUMN = 0.1  # b, the default column width
LINE_HALF_COLUMNS = 22  # columns each side of the middle one: the default grid spans [-2.25, 2.25]


def sampled_lines(theta: float, n: int = LINE_SAMPLES, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n points of P_0 and of P_theta from the package's sampler, with the same noise z; shapes (n, 2)."""
    return ParallelLines(0.0).sample(n, seed=seed), ParallelLines(theta).sample(n, seed=seed)


def line_histograms(theta: float, column: float = LINE_COLUMN) -> dict:
    """TV, KL both ways and JS between the histograms of the sampled P_0 and P_theta on the fixed grid
    of column width ``column`` (2 LINE_HALF_COLUMNS + 1 columns centred on 0, 10 rows on [0, 1])."""
    from ..empirical import histogram_distances

    half = (LINE_HALF_COLUMNS + 0.5) * column
    grid = {"bins": (2 * LINE_HALF_COLUMNS + 1, 10), "range": [(-half, half), (0.0, 1.0)]}
    return histogram_distances(*sampled_lines(theta), **grid)


def line_wasserstein(theta: float, n: int = LINE_SAMPLES) -> float:
    """W between the sampled P_0 and P_theta by POT's exact transport (Euclidean cost)."""
    from ..empirical import wasserstein_1_samples

    return wasserstein_1_samples(*sampled_lines(theta, n))


_EXAMPLE_1_KEYS = ("em", "js", "kl", "kl_reverse", "tv")


def _paper_example_1(theta: float) -> dict:
    """Example 1's values as the paper states them."""
    apart = theta != 0.0
    return {
        "em": abs(theta),
        "js": LOG_2 if apart else 0.0,
        "kl": math.inf if apart else 0.0,
        "kl_reverse": math.inf if apart else 0.0,
        "tv": 1.0 if apart else 0.0,
    }


@claim
def example_1():
    """Example 1: W = |theta|, JS = log 2, KL = +inf both ways, TV = 1 (theta != 0); measured through
    ParallelLines' sampler: W by POT, the others by histograms on a fixed grid where it resolves theta."""
    for theta in (1e-6, -0.5, 1.0):
        paper = _paper_example_1(theta)
        package = all_distances(ParallelLines(0.0), ParallelLines(theta))
        measured = {"em": line_wasserstein(theta)}
        if abs(theta) >= LINE_COLUMN:  # the segments sit in different columns
            measured.update(line_histograms(theta))
            seen = " ".join(f"{k}={fmt(measured[k])}" for k in _EXAMPLE_1_KEYS)
        else:
            seen = f"em={fmt(measured['em'])} (|theta| is below the column width {LINE_COLUMN:g}: histograms cannot see it)"
        ok = all(same(measured[k], paper[k]) for k in measured) and all(same(package[k], paper[k]) for k in paper)
        yield CheckResult(
            f"Example 1 at theta = {theta:g} (ParallelLines' sampler, {LINE_SAMPLES} points: POT + fixed-grid histograms)",
            seen,
            "paper and package: " + " ".join(f"{k}={fmt(paper[k])}" for k in _EXAMPLE_1_KEYS),
            status_of(ok),
        )


@claim
def symmetry_and_bounds():
    """TV, JS and W1 are symmetric; 0 <= TV <= 1 and 0 <= JS <= log 2 (Section 2), and TV^2/2 <= JS <= TV log 2.

    The package rounds TV into [0, 1] and JS into [0, log 2], so the ranges alone cannot fail on an error inside
    either computation (a JS without its 1/2 is rounded down to log 2); the inequalities between the two, which
    their independent computations (crossings and erfc, quadrature) must meet, can.
    """
    worst_asymmetry, inside, lower_slack, upper_slack = 0.0, True, math.inf, math.inf
    for p, q in GAUSSIAN_PAIRS:
        for distance in (total_variation, js_divergence, wasserstein_1):
            worst_asymmetry = max(worst_asymmetry, abs(distance(p, q) - distance(q, p)))
        tv, js = total_variation(p, q), js_divergence(p, q)
        inside &= 0.0 <= tv <= 1.0 and -1e-12 <= js <= LOG_2 + 1e-12
        lower_slack, upper_slack = min(lower_slack, js - tv * tv / 2), min(upper_slack, tv * LOG_2 - js)
    yield CheckResult(
        "TV, JS, W1 symmetric (5 Gaussian pairs)",
        f"max |d(P,Q)-d(Q,P)| = {worst_asymmetry:.1e}",
        "<= 1e-10",
        status_of(worst_asymmetry <= 1e-10),
    )
    yield CheckResult(
        "0 <= TV <= 1, 0 <= JS <= log 2 and TV^2/2 <= JS <= TV log 2 (5 Gaussian pairs)",
        f"{'inside' if inside else 'outside'}; min JS - TV^2/2 = {lower_slack:.3g}, min TV log 2 - JS = {upper_slack:.3g}",
        "inside, both slacks >= 0 (Pinsker on each half of JS; JS <= TV log 2)",
        status_of(inside and lower_slack >= 0.0 and upper_slack >= 0.0),
    )


@claim
def pinsker_and_mean_bound():
    """Pinsker's inequality TV <= sqrt(KL / 2), and W1 >= |E_P x - E_Q x|."""
    pinsker_slack = min(math.sqrt(kl_divergence(p, q) / 2.0) - total_variation(p, q) for p, q in GAUSSIAN_PAIRS)
    mean_slack = min(wasserstein_1(p, q) - abs(p.mean - q.mean) for p, q in GAUSSIAN_PAIRS)
    yield CheckResult(
        "Pinsker: TV <= sqrt(KL/2)", f"min slack {pinsker_slack:.3g}", ">= 0", status_of(pinsker_slack >= 0.0)
    )
    yield CheckResult("W1 >= |mean difference|", f"min slack {mean_slack:.3g}", ">= 0", status_of(mean_slack >= -1e-12))


def _js_by_simpson(p: Gaussian1D, q: Gaussian1D, points: int = 200_001) -> float:
    """JS(P, Q) = 1/2 KL(P || M) + 1/2 KL(Q || M), M = (P + Q)/2, by Simpson's rule over the span of
    both laws (+-14 standard deviations), from the log-densities."""
    from scipy.integrate import simpson

    low = min(p.mean - 14 * p.std, q.mean - 14 * q.std)
    high = max(p.mean + 14 * p.std, q.mean + 14 * q.std)
    x = np.linspace(low, high, points)
    log_p, log_q = p.logpdf(x), q.logpdf(x)
    log_m = np.logaddexp(log_p, log_q) - math.log(2.0)
    integrand = 0.5 * np.exp(log_p) * (log_p - log_m) + 0.5 * np.exp(log_q) * (log_q - log_m)
    return float(simpson(integrand, x=x))


@claim
def closed_forms_agree():
    """Closed forms vs adaptive quadrature of the definitions vs POT's exact solver."""
    import ot

    relative = 0.0
    for p, q in GAUSSIAN_PAIRS:
        for exact, numeric, first, second in (
            (kl_divergence, kl_divergence_quadrature, p, q),
            (kl_divergence, kl_divergence_quadrature, q, p),  # the reverse KL: every pair has P the narrower law
            (total_variation, total_variation_quadrature, p, q),
            (wasserstein_1, wasserstein_1_quadrature, p, q),
        ):
            a, b = exact(first, second), numeric(first, second).value
            relative = max(relative, abs(a - b) / max(abs(a), 1e-300))
    yield CheckResult(
        "closed form = quadrature (KL both ways, TV, W1)",
        f"max rel diff {relative:.1e}",
        "<= 1e-8",
        status_of(relative <= 1e-8),
    )
    # JS has no closed form for Gaussians: the package's value against Simpson's rule on the definition
    js_relative = max(abs(js_divergence(p, q) - _js_by_simpson(p, q)) / _js_by_simpson(p, q) for p, q in GAUSSIAN_PAIRS)
    yield CheckResult(
        "JS (package) = Simpson's rule on the definition (1/2 convention), 200001 points",
        f"max rel diff {js_relative:.1e}",
        "<= 1e-6",
        status_of(js_relative <= 1e-6),
    )
    # POT: W1 between the two laws discretised on one fine grid (error O(grid step^2))
    pot_error = 0.0
    for p, q in GAUSSIAN_PAIRS[:3]:
        low = min(p.mean - 12 * p.std, q.mean - 12 * q.std)
        high = max(p.mean + 12 * p.std, q.mean + 12 * q.std)
        grid = np.linspace(low, high, 20001)
        a, b = p.pdf(grid), q.pdf(grid)
        pot = float(ot.wasserstein_1d(grid, grid, a / a.sum(), b / b.sum(), p=1))
        pot_error = max(pot_error, abs(pot - wasserstein_1(p, q)) / wasserstein_1(p, q))
    yield CheckResult(
        "closed-form W1 = POT on a 20001-point grid",
        f"max rel diff {pot_error:.1e}",
        "<= 1e-5",
        status_of(pot_error <= 1e-5),
    )


# --------------------------------------------------------------------------------------------
# Theorem 1 on a family whose W is not |theta|: P_r = N(-3, 0.5^2) and g_theta(z) = theta + s(theta) z,
# s(theta) = 1 + theta^2 / 2, Z ~ N(0, 1). W is measured by adaptive quadrature of int |F_r - F_theta|.

THEOREM_1_REAL = Gaussian1D(-3.0, 0.5)


def _theorem_1_law(theta: float) -> Gaussian1D:
    return Gaussian1D(theta, 1.0 + 0.5 * theta**2)


def _coupling_cost(theta: float, other: float) -> float:
    """E_z |g_theta(z) - g_other(z)| by adaptive quadrature over z ~ N(0, 1) (Theorem 1's coupling)."""
    from scipy.integrate import quad

    shift = theta - other
    spread = _theorem_1_law(theta).std - _theorem_1_law(other).std
    density = lambda z: math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)  # noqa: E731
    integrand = lambda z: abs(shift + spread * z) * density(z)  # noqa: E731
    kink = [-shift / spread] if spread != 0 and abs(shift / spread) < 40 else []
    value, _ = quad(integrand, -40.0, 40.0, points=kink or None, limit=200, epsabs=1e-14, epsrel=1e-12)
    return value


@claim
def theorem_1_continuity():
    """Theorem 1: W(P_r, P_theta) is continuous, locally Lipschitz in theta with the coupling bound
    |W(theta) - W(theta')| <= E|g_theta(Z) - g_theta'(Z)|; JS on Example 1 jumps by log 2 at 0."""
    thetas = np.linspace(-1.0, 1.0, 41)
    quadrature = np.array([wasserstein_1_quadrature(THEOREM_1_REAL, _theorem_1_law(t)).value for t in thetas])
    closed = np.array([wasserstein_1(THEOREM_1_REAL, _theorem_1_law(t)) for t in thetas])
    disagreement = float(np.max(np.abs(closed - quadrature) / quadrature))
    yield CheckResult(
        "Theorem 1 family N(theta, (1 + theta^2/2)^2) vs N(-3, 0.5^2): W closed form = quadrature",
        f"max rel diff {disagreement:.1e} over 41 thetas",
        "<= 1e-8",
        status_of(disagreement <= 1e-8),
    )
    bounds = np.array([_coupling_cost(a, b) for a, b in zip(thetas[:-1], thetas[1:])])
    ratio = float(np.max(np.abs(np.diff(closed)) / bounds))
    yield CheckResult(
        "Theorem 1 (proof): |W(theta) - W(theta')| <= E|g_theta(Z) - g_theta'(Z)|, step 0.05",
        f"max |dW| / E|dg| = {ratio:.6f} (W: the package's; E|dg|: quadrature)",
        "<= 1 (and near 1: the bound is tight here)",
        status_of(0.9 <= ratio <= 1.0 + 1e-7),
    )
    # Theorem 1(3): JS is not continuous on Example 1. A histogram on a grid fixed in advance cannot
    # show a jump at 0: it sees theta only once P_theta leaves the middle column [-b/2, b/2].
    inside, beyond, package_jumps = [], [], []
    for column in (1e-1, 1e-3, 1e-6):
        for sign in (1.0, -1.0):
            inside.append(line_histograms(sign * column / 10, column)["js"])
            beyond.append(line_histograms(sign * 0.8 * column, column)["js"])
            package_jumps.append(
                js_divergence(ParallelLines(0.0), ParallelLines(sign * column / 10))
                - js_divergence(ParallelLines(0.0), ParallelLines(0.0))
            )
    ok = (
        all(same(j, LOG_2) for j in beyond)
        and all(j == 0.0 for j in inside)
        and all(same(j, LOG_2) for j in package_jumps)
    )
    yield CheckResult(
        "Theorem 1(3): JS(P_0, P_theta) on Example 1 jumps at theta = 0",
        f"histogram JS (sampler, fixed grids of column width b = 1e-1, 1e-3, 1e-6): at |theta| = 0.8 b "
        f"{min(beyond):.6g}..{max(beyond):.6g}; at |theta| = b/10 {min(inside):.6g}..{max(inside):.6g} "
        "(no jump below one column width)",
        f"log 2 = {LOG_2:.6g} beyond the middle column, 0 inside; package JS(P_0, P_h) - JS(P_0, P_0) at h = +-b/10: "
        f"{min(package_jumps):.6g}..{max(package_jumps):.6g} (log 2: the exact jump is at 0)",
        status_of(ok),
    )


# --------------------------------------------------------------------------------------------
# Theorem 2's sequences: atoms against a continuous law. W is the package's; TV and JS are measured
# from the laws' CDFs: A = the set of atoms has P_n(A) = 1 and Q(A) = sum of Q's CDF jumps at the
# atoms (0 for a continuous Q), so TV >= P_n(A) - Q(A), and JS follows from the same two numbers.


def _measured_singular(atoms: np.ndarray, continuous) -> tuple[float, float]:
    """(TV lower bound P_n(A) - Q(A), JS) for the uniform atoms against a law with a CDF."""
    jumps = np.array([float(continuous.cdf(a)) - float(continuous.cdf(np.nextafter(a, -np.inf))) for a in atoms])
    weights = np.full(len(atoms), 1.0 / len(atoms))
    q_on_atoms = float(np.sum(np.maximum(jumps, 0.0)))
    tv = 1.0 - q_on_atoms
    mixture = 0.5 * (weights + jumps)
    js = 0.5 * float(np.sum(weights * np.log(weights / mixture))) + 0.5 * (1.0 - q_on_atoms) * LOG_2
    return tv, js


@claim
def theorem_2_sequences():
    """Theorem 2: sequences that converge in distribution (so in W) but not in TV or JS."""
    sizes = (1, 10, 100, 1000, 10000)
    dirac_0 = Discrete1D([0.0])
    dirac_w = [wasserstein_1(Discrete1D([1.0 / n]), dirac_0) for n in sizes]
    worst = max(abs(w - 1.0 / n) * n for w, n in zip(dirac_w, sizes))
    yield CheckResult(
        "Theorem 2: delta(1/n) -> delta(0), W = 1/n (n = 1..1e4)",
        f"max |W n - 1| = {worst:.1e}",
        "<= 1e-9",
        status_of(worst <= 1e-9),
    )
    tv_dirac = [total_variation(Discrete1D([1.0 / n]), dirac_0) for n in sizes]
    js_dirac = [js_divergence(Discrete1D([1.0 / n]), dirac_0) for n in sizes]
    ok = all(same(t, 1.0) for t in tv_dirac) and all(same(j, LOG_2) for j in js_dirac)
    yield CheckResult(
        "Theorem 2: delta(1/n) vs delta(0), TV and JS stay at 1 and log 2",
        f"TV in [{min(tv_dirac):.6g}, {max(tv_dirac):.6g}], JS in [{min(js_dirac):.6g}, {max(js_dirac):.6g}]",
        "TV = 1, JS = log 2 (disjoint atoms)",
        status_of(ok),
    )
    uniform = Uniform1D(0.0, 1.0)
    grid_w, measured, package = [], [], []
    for n in sizes:
        atoms = (np.arange(n) + 0.5) / n  # n atoms at the cell midpoints
        grid = Discrete1D(atoms)
        grid_w.append(wasserstein_1(grid, uniform))
        measured.append(_measured_singular(atoms, uniform))
        package.append((total_variation(grid, uniform), js_divergence(grid, uniform)))
    worst = max(abs(w - 1.0 / (4 * n)) * 4 * n for w, n in zip(grid_w, sizes))
    yield CheckResult(
        "Theorem 2: n-point grid -> U[0,1], W = 1/(4n)",
        f"max |4 n W - 1| = {worst:.1e}",
        "<= 1e-9",
        status_of(worst <= 1e-9),
    )
    ok = all(
        same(m[0], 1.0) and same(m[1], LOG_2) and same(p[0], m[0]) and same(p[1], m[1])
        for m, p in zip(measured, package)
    )
    yield CheckResult(
        "Theorem 2: n-point grid vs U[0,1], TV and JS stay at max (from the CDFs)",
        f"TV >= P_n(A) - U(A) = {min(m[0] for m in measured):.6g}, JS = {min(m[1] for m in measured):.6g} (A = the atoms)",
        f"1 and log 2; package {min(p[0] for p in package):.6g}, {min(p[1] for p in package):.6g}",
        status_of(ok),
    )
