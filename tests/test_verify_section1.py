"""Every row of wgan_toys.verify.section1 passes as shipped and is flipped (FAILS) by at least one mutation of the
code it checks: the closed forms of wgan_toys.distances for blurred and noiseless lines, the public samplers
NoisyParallelLines.sample and ParallelLines.sample, NoisyParallelLines.logpdf and wgan_toys.likelihood.

Rows are matched by their claim text, so the test is per row, not per check.
"""

import math

import numpy as np
import pytest

from wgan_toys import distances, likelihood
from wgan_toys.distributions import Gaussian1D, NoisyParallelLines, ParallelLines
from wgan_toys.verify import Status, run_checks
from wgan_toys.verify import section1 as verify_section1


def _kl_without_the_square(p, q):
    return abs(p.theta - q.theta) / p.noise_std


def _tv_without_the_half(p, q):  # 2 Phi(|dtheta| / sigma) - 1: the shift not split between the two laws
    return math.erf(abs(p.theta - q.theta) / (math.sqrt(2.0) * p.noise_std))


def _js_without_the_half(p, q):
    return 2.0 * distances.js_divergence(p.horizontal, q.horizontal)


def _w1_of_the_independent_coupling(p, q):  # E|X - Y| for X, Y independent would add the noise's spread
    return math.hypot(p.theta - q.theta, 2.0 * p.noise_std)


def _noisy_line_at_half_theta(self, z, noise):
    z = np.asarray(z, dtype=float)
    return ParallelLines(self.theta / 2.0).generator(z) + self.noise_std * np.asarray(noise, dtype=float)


def _logpdf_without_its_normaliser(self, points):  # the horizontal Gaussian without its 1/sigma
    points = np.asarray(points, dtype=float)
    u = (points[:, 0] - self.theta) / self.noise_std
    sigma = self.noise_std
    height = Gaussian1D(0.0, 1.0).cdf(points[:, 1] / sigma) - Gaussian1D(0.0, 1.0).cdf((points[:, 1] - 1.0) / sigma)
    with np.errstate(divide="ignore"):
        return -0.5 * u * u - 0.5 * math.log(2 * math.pi) + np.log(height)


def _kl_by_likelihood_reversed(target, model, n_samples=10_000, seed=None):
    data = model.sample(n_samples, seed=seed)  # samples of P_theta instead of P_r
    ratio = target.logpdf(data) - model.logpdf(data)
    return float(np.mean(ratio)), float(np.std(ratio, ddof=1) / math.sqrt(n_samples))


def _line_at_rounded_theta(self, z):  # a sampler that draws at the wrong abscissa once theta < 0.005
    z = np.asarray(z, dtype=float)
    return np.stack([np.full_like(z, round(self.theta, 2)), z], axis=1)


def _lines_w1_squared(p, q):
    return (p.theta - q.theta) ** 2


MUTATIONS = {
    verify_section1.section_1_noisy_lines_by_quadrature: [
        lambda mp: mp.setattr(distances, "_noisy_lines_kl_divergence", _kl_without_the_square),
        lambda mp: mp.setattr(distances, "_noisy_lines_total_variation", _tv_without_the_half),
        lambda mp: mp.setattr(distances, "_noisy_lines_js_divergence", _js_without_the_half),
    ],
    verify_section1.section_1_noisy_lines_wasserstein: [
        lambda mp: mp.setattr(distances, "_noisy_lines_wasserstein_1", _w1_of_the_independent_coupling),
        lambda mp: mp.setattr(NoisyParallelLines, "generator", _noisy_line_at_half_theta),
    ],
    verify_section1.section_1_likelihood: [
        lambda mp: mp.setattr(NoisyParallelLines, "logpdf", _logpdf_without_its_normaliser),
        lambda mp: [
            mp.setattr(m, "kl_by_likelihood", _kl_by_likelihood_reversed) for m in (likelihood, verify_section1)
        ],
    ],
    verify_section1.theorem_2_tv_iff_js: [
        lambda mp: mp.setattr(distances, "_noisy_lines_js_divergence", _js_without_the_half),
        lambda mp: mp.setattr(distances, "_noisy_lines_total_variation", _tv_without_the_half),
    ],
    verify_section1.appendix_a_weak_not_strong: [
        lambda mp: mp.setattr(ParallelLines, "generator", _line_at_rounded_theta),
        lambda mp: mp.setattr(distances, "wasserstein_1", lambda p, q: _lines_w1_squared(p, q)),
    ],
}


def test_every_row_function_has_mutations():
    assert set(MUTATIONS) == set(verify_section1.ROWS)


@pytest.mark.parametrize("check", verify_section1.ROWS, ids=lambda check: check.__name__)
@pytest.mark.slow
def test_each_row_passes_and_is_flipped_by_a_mutation(check, monkeypatch):
    rows = run_checks([check])
    assert rows and all(row.status is Status.PASS for row in rows), [row.measured for row in rows if not row.passed]
    flipped = set()
    for mutate in MUTATIONS[check]:
        with monkeypatch.context() as patched:
            mutate(patched)
            mutated = run_checks([check])
        failed = {row.claim for row in mutated if row.failed}
        assert failed, f"{check.__name__}: a mutation flipped no row"
        flipped |= failed
    unflipped = {row.claim for row in rows} - flipped
    assert not unflipped, f"rows that no mutation flips: {unflipped}"


def test_the_rows_open_the_table_in_their_order():
    from wgan_toys import verify

    names = [check.name for check in verify.list_checks()]
    assert names[: len(verify_section1.ROWS)] == [row.__name__ for row in verify_section1.ROWS]
