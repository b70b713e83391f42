"""Right numbers at every scale: W1 under translation and scaling for every pair of 1D law types,
W1 between point clouds under scaling, Gaussian distances whose mean gap overflows float64, laws far
apart in the 1D ground truth, and the float32 / float-image corners.

References are independent of the code under test: ``scipy.stats.wasserstein_distance`` for
atoms, closed forms for W1 of shifted or scaled laws (W1(P + t, Q + t) = W1(P, Q) and
W1(cP, cQ) = c W1(P, Q)), 40-digit mpmath in the x coordinate for KL, TV and JS, closed forms for
expectations, and pixel values written by Pillow.
"""

import math
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


def test_w1_of_mixed_pairs_near_the_ends_of_float64():
    """Laws apart by more than half of float64's range: separated, so W1 is the gap of the means
    (1.7e308; x-coordinate quadrature gives 8e307), and beyond float64 it is inf (not nan, not an
    OverflowError)."""
    far_apart = wasserstein_1(Uniform1D(-0.8e308, 0.8e308), Gaussian1D(1.7e308, 1e300))
    assert far_apart == pytest.approx(1.7e308, rel=1e-12, abs=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # quad's notes on an infinite integrand
        assert wasserstein_1(Discrete1D([1.7e308]), Gaussian1D(-1.7e308, 1.0)) == math.inf
        assert wasserstein_1(Gaussian1D(1e308, 1e307), Discrete1D([-1e308])) == math.inf


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


# ----- W1 between point clouds: 1-homogeneity over c in [1e-200, 1e200] -------------------------
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_point_cloud_w1_is_homogeneous_under_scaling(dim):
    """exact_transport(c x, c y).cost = c exact_transport(x, y).cost to 1e-12 relative.

    Unnormalised costs lose 6% at c = 1e-14, 25% from 1e-16 to 1e-160, all of it below 1e-170, and
    ``ot.emd`` calls c = 1e200 infeasible. The duals scale with c too (a.u + b.v = cost).
    """
    rng = np.random.default_rng(dim)
    x = rng.standard_normal((50, dim))
    y = rng.standard_normal((50, dim)) + 0.5
    exact = exact_transport(x, y).cost
    scales = np.concatenate([[1e-200, 1e-14, 1e-12, 1e200], 10.0 ** rng.uniform(-200, 200, 16)])
    for scale in scales:
        result = exact_transport(scale * x, scale * y)
        assert result.cost == pytest.approx(scale * exact, rel=1e-12, abs=0), scale
        dual = result.source_weights @ result.source_potential + result.target_weights @ result.target_potential
        assert dual == pytest.approx(result.cost, rel=1e-9, abs=0), scale


# ----- Gaussians: mean gaps beyond float64, near-equal laws, stds 1e400 apart -----------------------
def _mp_kl(p, q):
    with mpmath.workdps(40):
        m1, s1, m2, s2 = (mpmath.mpf(v) for v in (p.mean, p.std, q.mean, q.std))
        return mpmath.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mpmath.mpf(1) / 2


def _mp_tv_js(p, q):
    """TV from the crossings of the two log-densities and JS by quadrature, in x, at 40 digits."""
    with mpmath.workdps(40):
        m1, s1, m2, s2 = (mpmath.mpf(v) for v in (p.mean, p.std, q.mean, q.std))
        a = 1 / (2 * s2**2) - 1 / (2 * s1**2)
        b = m1 / s1**2 - m2 / s2**2
        c = m2**2 / (2 * s2**2) - m1**2 / (2 * s1**2) + mpmath.log(s2 / s1)
        if a == 0:
            crossings = [-c / b]
        else:
            root = mpmath.sqrt(b * b - 4 * a * c)
            crossings = sorted([(-b - root) / (2 * a), (-b + root) / (2 * a)])
        edges = [-mpmath.inf, *crossings, mpmath.inf]

        def mass(m, s, lo, hi):
            return mpmath.ncdf(hi, mu=m, sigma=s) - mpmath.ncdf(lo, mu=m, sigma=s)

        tv = sum(abs(mass(m1, s1, lo, hi) - mass(m2, s2, lo, hi)) for lo, hi in zip(edges[:-1], edges[1:])) / 2

        def log_density(x, m, s):
            return -(((x - m) / s) ** 2) / 2 - mpmath.log(s) - mpmath.log(2 * mpmath.pi) / 2

        def integrand(x):
            lp, lq = log_density(x, m1, s1), log_density(x, m2, s2)
            lm = mpmath.log((mpmath.exp(lp) + mpmath.exp(lq)) / 2)
            return (mpmath.exp(lp) * (lp - lm) + mpmath.exp(lq) * (lq - lm)) / 2

        points = {*crossings, *(m + k * s for m, s in ((m1, s1), (m2, s2)) for k in (-12, -4, -1, 0, 1, 4, 12))}
        js = mpmath.quad(integrand, [-mpmath.inf, *sorted(points), mpmath.inf])
        return float(tv), float(js)


@pytest.mark.parametrize(
    "p, q",
    [
        (Gaussian1D(1e308, 1e308), Gaussian1D(-1e308, 1e308)),
        (Gaussian1D(-1.5e308, 3e307), Gaussian1D(1.5e308, 1e308)),
        (Gaussian1D(1.7e308, 1e308), Gaussian1D(-1.7e308, 1.5e308)),
    ],
)
def test_gaussians_whose_mean_gap_overflows(p, q):
    """The mean gap (2e308 and more) overflows, the standardised one (2 to 30) does not: TV, KL both
    ways and JS against mpmath (the differenced means give 1, inf, inf, log 2)."""
    tv, js = _mp_tv_js(p, q)
    assert total_variation(p, q) == pytest.approx(tv, abs=1e-9)
    assert js_divergence(p, q) == pytest.approx(js, abs=1e-9)
    assert kl_divergence(p, q) == pytest.approx(float(_mp_kl(p, q)), rel=1e-12)
    assert kl_divergence(q, p) == pytest.approx(float(_mp_kl(q, p)), rel=1e-12)


def test_kl_with_an_overflowing_mean_gap_is_finite():
    p, q = Gaussian1D(1e308, 1.0), Gaussian1D(-1e308, 1e300)
    assert kl_divergence(p, q) == pytest.approx(float(_mp_kl(p, q)), rel=1e-14)  # 2.0e16, not inf
    assert kl_divergence(p, q) == pytest.approx(2.0e16, rel=1e-12)


def test_kl_of_nearly_equal_gaussians_keeps_its_digits():
    """100 seeded pairs with stds 1e-12 to 1e-3 apart (relative) and means as far apart or (half of
    them) equal, at scales 1e-100 to 1e100: KL to 1e-9 relative of 40-digit mpmath (expm1(2t) - 2t
    cancels, and log(s_p) - log(s_q) too: that puts 35 of these 100 pairs beyond 1e-7)."""
    rng = np.random.default_rng(7)
    for _ in range(100):
        scale = 10 ** rng.uniform(-100, 100)
        mean, std = scale * rng.standard_normal(), scale * rng.uniform(0.5, 2.0)
        p = Gaussian1D(mean, std)
        q = Gaussian1D(
            mean + std * 10 ** rng.uniform(-12, -3) * rng.choice([-1, 1]) * (rng.uniform() < 0.5),
            std * (1 + 10 ** rng.uniform(-12, -3) * rng.choice([-1, 1])),
        )
        for first, second in ((p, q), (q, p)):
            assert kl_divergence(first, second) == pytest.approx(float(_mp_kl(first, second)), rel=1e-9, abs=0)


@pytest.mark.parametrize("small, large", [(1e-200, 1e200), (5e-324, 1.0), (1e-160, 1e164), (1e-300, 1.0)])
def test_js_when_one_std_is_negligible_beside_the_other(small, large):
    """Std ratios below 1e-300 (to 0 in float64) give log 2, as the limit of the ratio -> 0 does
    (not a ZeroDivisionError); ratios just above the threshold agree."""
    for p, q in ((Gaussian1D(0.0, small), Gaussian1D(0.0, large)), (Gaussian1D(3.0, large), Gaussian1D(0.0, small))):
        assert js_divergence(p, q) == pytest.approx(LOG_2, abs=1e-15)
    near = js_divergence(Gaussian1D(0.0, 1e-150), Gaussian1D(0.0, 1e149))  # ratio 1e-299, by quadrature
    assert near == pytest.approx(LOG_2, abs=1e-15)


def test_js_over_wide_pairs_never_raises():
    rng = np.random.default_rng(11)
    for _ in range(150):
        p = Gaussian1D(10 ** rng.uniform(-3, 3) * rng.standard_normal(), 10 ** rng.uniform(-300, 300))
        q = Gaussian1D(10 ** rng.uniform(-3, 3) * rng.standard_normal(), 10 ** rng.uniform(-300, 300))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = js_divergence(p, q)
        assert 0.0 <= value <= LOG_2


# ----- TV between a uniform and a Gaussian stays in [0, 1] --------------------------------------
def _mp_tv_uniform_gaussian(u: Uniform1D, g: Gaussian1D) -> float:
    """1 - int min(u, g) in mpmath: the uniform's density 1/w meets g where |x - m| = s z*."""
    with mpmath.workdps(40):
        a, b, m, s = (mpmath.mpf(v) for v in (u.low, u.high, g.mean, g.std))
        height = 1 / (b - a)

        def gauss_mass(lo, hi):
            return mpmath.ncdf(hi, mu=m, sigma=s) - mpmath.ncdf(lo, mu=m, sigma=s) if hi > lo else 0

        peak_ratio = (b - a) / (s * mpmath.sqrt(2 * mpmath.pi))  # g's peak over 1/w
        if peak_ratio <= 1:
            overlap = gauss_mass(a, b)  # g below 1/w everywhere
        else:
            half = s * mpmath.sqrt(2 * mpmath.log(peak_ratio))  # g > 1/w on (m - half, m + half)
            inner_lo, inner_hi = max(a, m - half), min(b, m + half)
            inner = height * max(inner_hi - inner_lo, 0)
            overlap = inner + gauss_mass(a, min(b, m - half)) + gauss_mass(max(a, m + half), b)
        return float(1 - overlap)


def test_tv_of_a_uniform_and_a_gaussian_stays_in_range_and_matches_mpmath():
    """It left [0, 1] (1.0000000000000429 among 300 seeded pairs): now in [0, 1] by construction
    and within 1e-9 of an mpmath reference, at scales 1e-20 to 1e20."""
    rng = np.random.default_rng(1)
    for _ in range(150):
        scale = 10 ** rng.uniform(-20, 20)
        low = rng.normal() * scale * 10 ** rng.uniform(-3, 3)
        u = Uniform1D(low, low + scale * 10 ** rng.uniform(-3, 3))
        g = Gaussian1D(rng.normal() * scale, scale * 10 ** rng.uniform(-4, 4))
        reference = _mp_tv_uniform_gaussian(u, g)
        for p, q in ((u, g), (g, u)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = total_variation(p, q)
            assert 0.0 <= value <= 1.0, (p, q, value)
            assert value == pytest.approx(reference, abs=1e-9), (p, q)


# ----- the 1D ground truth for laws far apart ------------------------------------------------------
@pytest.mark.parametrize("far", [1e5, 1e10])
def test_expectation_gap_for_laws_far_apart(far):
    """E_P f - E_Q f for f(x) = |x - far/3| + tanh(x - far), P = N(0, 1), Q = N(far, 1).

    Closed form: E_P |X - c| = c and E_Q |Y - c| = far - c (the laws sit 1e5 std from c), so the
    first part is 2c - far; E_Q tanh(Y - far) = 0 by symmetry and E_P tanh(X - far) = -1 to 1e-300.
    One grid over both laws gives -42330 and -6e-18 for -33334.33 and -3.3e9.
    """
    from wgan_toys.optimal import expectation_gap

    p, q, c = Gaussian1D(0.0, 1.0), Gaussian1D(far, 1.0), far / 3

    def function(x):
        return np.abs(x - c) + np.tanh(x - far)

    assert expectation_gap(function, p, q) == pytest.approx(2 * c - far - 1.0, rel=1e-11)


@pytest.mark.parametrize("far", [1e5, 1e10])
def test_ground_truth_regions_for_laws_far_apart(far):
    """mass_region covers each law's central 99% (empty on one grid over both: "points is empty" from the
    discriminator); at the optimal discriminator the JS lower bound is JS = log 2; the optimal
    critic's gap is W1 = far (Kantorovich-Rubinstein, eq. (2))."""
    from wgan_toys.optimal import expectation_gap, js_lower_bound, mass_region, optimal_discriminator_logit
    from wgan_toys.transport import OptimalCritic1D

    p, q = Gaussian1D(0.0, 1.0), Gaussian1D(far, 1.0)
    region = mass_region(p, q)
    for law in (p, q):
        tail = 0.5 * (1 - 0.99)  # as mass_region computes it (0.005 + 4e-18)
        low, high = law.quantile([tail, 1 - tail])
        inside = region[(region >= low) & (region <= high)]
        assert inside.size >= 1000 and inside.min() == low and inside.max() == high
    assert js_lower_bound(optimal_discriminator_logit(p, q), p, q) == pytest.approx(LOG_2, abs=1e-12)
    assert expectation_gap(OptimalCritic1D(p, q), p, q) == pytest.approx(far, rel=1e-12)


# ----- float32 sampling and float images -----------------------------------------------------------
def test_sample_torch_refuses_a_std_below_float32s_range():
    for law in (Gaussian1D(0.0, 1e-50), Uniform1D(0.0, 1e-45)):
        with pytest.raises(ValueError, match=r"smallest normal number .* pass dtype=torch.float64"):
            law.sample_torch(3, seed=0)  # float32: every sample would be exactly 0
    samples = Gaussian1D(0.0, 1e-50).sample_torch(4000, seed=0, dtype=torch.float64)
    assert float(samples.std()) == pytest.approx(1e-50, rel=0.05, abs=0)


def _float_tiffs(folder, values):
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for index, pixels in enumerate(values):
        Image.fromarray(pixels.astype(np.float32), mode="F").save(folder / f"image_{index}.tif")


def test_float_tiffs_in_0_1_are_scaled_like_npz_floats(tmp_path):
    from PIL import Image

    from wgan_toys.images.data import load_images

    rng = np.random.default_rng(3)
    values = rng.uniform(0, 1, (3, 16, 16))
    _float_tiffs(tmp_path / "float", values)
    with Image.open(tmp_path / "float" / "image_0.tif") as image:
        assert image.mode == "F"
    for preload in ("yes", "no"):
        data = load_images("folder", root=tmp_path / "float", image_size=16, held_out=1, preload=preload, verbose=False)
        images = data.batch(torch.arange(data.count))  # [-1, 1]
        levels = torch.round((images + 1) * 255 / 2).to(torch.int64)
        expected = torch.from_numpy(np.round(values[1:] * 255).astype(np.int64))[:, None]
        assert torch.equal(levels, expected), preload  # not all 0 (black)


def test_float_tiffs_outside_0_1_are_refused_with_the_reason(tmp_path):
    from wgan_toys.images.data import load_images

    _float_tiffs(tmp_path / "wide", [np.full((16, 16), 0.5), np.linspace(0, 255, 256).reshape(16, 16)])
    with pytest.raises(ValueError, match=r"image_1\.tif.*mode F.*values in \[0, 255\].*must lie in \[0, 1\]"):
        load_images("folder", root=tmp_path / "wide", image_size=16, held_out=1, verbose=False)
