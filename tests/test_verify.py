"""Every verify row can fail: each test swaps in a wrong implementation of something a row checks
(monkeypatch) and asserts that a row of that check FAILS; the unmutated check passes.

Cheap by design: each test runs one check, not the table. The trained networks (a discriminator,
a spectral-norm critic, a WGAN-GP critic, six clipped critics) are trained once per test session
and shared, as in ``wgan-toys verify``; only the clipping test retrains its six critics.
"""

import dataclasses
import math

import numpy as np
import pytest
import torch

from wgan_toys import distances, empirical, lipschitz, measure, optimal, parallel_lines, transport, verify
from wgan_toys.cli import main
from wgan_toys.verify import CheckResult, Status

torch.set_num_threads(1)


def rows_of(check):
    return verify.run_checks([check])


def failing(check, claim_part: str = "") -> list[str]:
    """The claims of the rows of ``check`` that FAIL (and contain ``claim_part``)."""
    return [row.claim for row in rows_of(check) if row.failed and claim_part in row.claim]


def patch(monkeypatch, name: str, function, modules=(distances, verify)):
    """Replace ``name`` in every module that holds it (the package's own callers included)."""
    for module in modules:
        if hasattr(module, name):
            monkeypatch.setattr(module, name, function)


# --- mutations of the distances -------------------------------------------------------------

js_right, kl_right, tv_right, w1_right = (
    distances.js_divergence,
    distances.kl_divergence,
    distances.total_variation,
    distances.wasserstein_1,
)


def js_without_the_half(p, q):
    return 2.0 * js_right(p, q)


def kl_symmetric(p, q):
    return 0.5 * (kl_right(p, q) + kl_right(q, p))


def tv_without_the_half(p, q):
    return 2.0 * tv_right(p, q)


def w1_is_w2(p, q):
    return (
        distances.wasserstein_2(p, q)
        if isinstance(p, distances.Gaussian1D) and isinstance(q, distances.Gaussian1D)
        else w1_right(p, q)
    )


def w1_squared(p, q):
    return w1_right(p, q) ** 2


@pytest.mark.parametrize(
    "check",
    [
        verify.example_1,
        verify.symmetry_and_bounds,
        verify.pinsker_and_mean_bound,
        verify.closed_forms_agree,
        verify.theorem_1_continuity,
        verify.theorem_2_sequences,
        verify.descent_on_parallel_lines,
    ],
)
def test_the_cheap_checks_pass_as_shipped(check):
    rows = rows_of(check)
    assert rows and all(row.passed for row in rows), [row for row in rows if not row.passed]


@pytest.mark.parametrize(
    "check, claim_part",
    [
        (verify.example_1, "Example 1 at theta = -0.5"),
        (verify.symmetry_and_bounds, "0 <= JS <= log 2"),
        (verify.theorem_1_continuity, "Theorem 1(3)"),
        (verify.gan_bound, "at D*"),
    ],
)
def test_js_without_the_half_fails(monkeypatch, check, claim_part):
    patch(monkeypatch, "js_divergence", js_without_the_half)
    assert failing(check, claim_part)


def test_an_asymmetric_js_fails(monkeypatch):
    patch(monkeypatch, "js_divergence", lambda p, q: 0.5 * kl_right(p, q) if p != q else 0.0)
    assert failing(verify.symmetry_and_bounds, "symmetric")


def test_a_symmetric_kl_fails(monkeypatch):
    patch(monkeypatch, "kl_divergence", kl_symmetric)
    assert failing(verify.closed_forms_agree, "closed form = quadrature")


@pytest.mark.parametrize(
    "check, claim_part",
    [
        (verify.closed_forms_agree, "closed form = quadrature"),
        (verify.closed_forms_agree, "POT"),
        (verify.theorem_1_continuity, "W closed form = quadrature"),
    ],
)
def test_w1_replaced_by_w2_fails(monkeypatch, check, claim_part):
    patch(monkeypatch, "wasserstein_1", w1_is_w2)
    assert failing(check, claim_part)


def test_a_squared_w1_fails(monkeypatch):
    patch(monkeypatch, "wasserstein_1", w1_squared)
    assert failing(verify.pinsker_and_mean_bound, "W1 >= |mean difference|")
    assert failing(verify.theorem_2_sequences, "W = 1/n")
    assert failing(verify.theorem_2_sequences, "W = 1/(4n)")


def test_tv_without_the_half_fails(monkeypatch):
    patch(monkeypatch, "total_variation", tv_without_the_half)
    assert failing(verify.pinsker_and_mean_bound, "Pinsker")
    assert failing(verify.theorem_2_sequences, "delta(1/n) vs delta(0)")
    assert failing(verify.theorem_2_sequences, "n-point grid vs U[0,1]")
    assert failing(verify.example_1, "theta = 1 ")


def test_a_wrong_quadrature_fails_theorem_1s_bound(monkeypatch):
    right = verify.wasserstein_1_quadrature
    monkeypatch.setattr(
        verify, "wasserstein_1_quadrature", lambda p, q: distances.QuadratureResult(1.5 * right(p, q).value, 0.0)
    )
    assert failing(verify.theorem_1_continuity, "Theorem 1 (proof)")


# --- mutations of the sample-based measurements and of optimal transport ------------------------


def test_histogram_js_without_the_half_fails(monkeypatch):
    right = empirical.histogram_distances

    def wrong(*args, **kwargs):
        values = right(*args, **kwargs)
        return {**values, "js": 2 * values["js"]}

    monkeypatch.setattr(empirical, "histogram_distances", wrong)
    assert failing(verify.example_1, "theta = 1 ")
    assert failing(verify.theorem_1_continuity, "Theorem 1(3)")


def test_a_squared_transport_cost_fails(monkeypatch):
    monkeypatch.setattr(transport, "_pairwise_distances", lambda x, y: ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))
    assert failing(verify.example_1, "theta = -0.5")
    assert failing(verify.duality_by_tightness, "POT cost")


def test_a_wrong_c_transform_fails(monkeypatch):
    def max_instead_of_min(result):
        def critic(points):
            x = np.asarray(points, dtype=float).reshape(len(points), -1)
            return np.max(transport._pairwise_distances(x, result.target) - result.target_potential, axis=1)

        return critic

    monkeypatch.setattr(transport, "kantorovich_critic", max_instead_of_min)
    assert failing(verify.duality_by_tightness, "c-transform")


def test_a_plus_sign_in_the_c_transform_fails(monkeypatch):
    def plus_potential(result):
        def critic(points):
            x = np.asarray(points, dtype=float).reshape(len(points), -1)
            return np.min(transport._pairwise_distances(x, result.target) + result.target_potential, axis=1)

        return critic

    monkeypatch.setattr(transport, "kantorovich_critic", plus_potential)
    assert failing(verify.duality_by_tightness, "c-transform")


# --- mutations of the gradients of Example 1 ------------------------------------------------------


def test_exact_gradient_mutations_fail(monkeypatch):
    right = parallel_lines.exact_gradient

    monkeypatch.setattr(
        parallel_lines,
        "exact_gradient",
        lambda name, theta, step=1e-6: -right(name, theta, step) if name == "em" else right(name, theta, step),
    )
    assert failing(verify.descent_on_parallel_lines, "descent on EM")
    monkeypatch.setattr(
        parallel_lines,
        "exact_gradient",
        lambda name, theta, step=1e-6: 0.0 if name == "kl" else right(name, theta, step),
    )
    assert failing(verify.descent_on_parallel_lines, "KL")  # the old "exactly 0" for KL
    monkeypatch.setattr(
        parallel_lines,
        "exact_gradient",
        lambda name, theta, step=1e-6: math.copysign(1.0, theta) if name == "js" else right(name, theta, step),
    )
    assert failing(verify.descent_on_parallel_lines, "d JS / d theta")
    assert failing(verify.descent_on_parallel_lines, "descent on JS")


def test_kl_has_no_gradient_and_no_descent():
    assert math.isnan(parallel_lines.exact_gradient("kl", 0.5))
    with pytest.raises(ValueError, match="gradient of 'kl' at theta == 1 is undefined"):
        parallel_lines.descend_exact("kl", theta0=1.0)


# --- mutations seen through trained networks (trained once per session) -----------------------


def test_the_trained_network_checks_pass_as_shipped():
    for check in (
        verify.duality_by_tightness,
        verify.figure_2_gradients,
        verify.gan_bound,
        verify.gradient_penalty_optimum,
        verify.theorem_3,
    ):
        rows = rows_of(check)
        assert all(row.passed for row in rows), [row for row in rows if not row.passed]


def test_a_wrong_expectation_gap_fails_the_tightness_row(monkeypatch):
    right = optimal.expectation_gap
    monkeypatch.setattr(optimal, "expectation_gap", lambda function, p, q: 0.9 * right(function, p, q))
    assert failing(verify.duality_by_tightness, "spectral-norm critic")


def test_a_discriminator_gradient_without_d_one_minus_d_fails(monkeypatch):
    monkeypatch.setattr(measure, "discriminator_gradients", measure.network_gradients)
    assert failing(verify.figure_2_gradients, "discriminator")


def test_a_wrong_fitted_slope_fails_figure_2(monkeypatch):
    right = optimal.compare_to_potential
    monkeypatch.setattr(
        optimal,
        "compare_to_potential",
        lambda *args, **kwargs: {**right(*args, **kwargs), "k_fit": 10 * right(*args, **kwargs)["k_fit"]},
    )
    assert failing(verify.figure_2_gradients, "clipped critic")


def test_a_js_lower_bound_without_the_half_fails(monkeypatch):
    right = optimal.js_lower_bound
    monkeypatch.setattr(
        optimal, "js_lower_bound", lambda logit, p, q: 2.0 * (right(logit, p, q) - math.log(2.0)) + math.log(2.0)
    )
    assert failing(verify.gan_bound, "trained D")
    assert failing(verify.gan_bound, "at D*")


def test_the_linear_formula_as_the_penalised_optimum_fails(monkeypatch):
    right = optimal.gradient_penalty_optimum

    def linear(real, fake, penalty_weight, *args, **kwargs):
        exact = right(real, fake, penalty_weight, *args, **kwargs)
        w = exact.wasserstein
        return dataclasses.replace(exact, estimate=exact.linear_lower_bound, objective=w + w**2 / (4 * penalty_weight))

    monkeypatch.setattr(optimal, "gradient_penalty_optimum", linear)
    assert failing(verify.gradient_penalty_optimum, "no critic beats")
    assert failing(verify.gradient_penalty_optimum, "near the exact")


def test_a_wrong_quadrature_fails_theorem_3(monkeypatch):
    right = verify.wasserstein_1_quadrature
    monkeypatch.setattr(
        verify, "wasserstein_1_quadrature", lambda p, q: distances.QuadratureResult(2.0 * right(p, q).value, 0.0)
    )
    assert failing(verify.theorem_3)


def test_clipping_rows_pass_and_fail(monkeypatch):
    assert all(row.passed for row in rows_of(verify.clipping_effective_slope))
    right = measure.lipschitz_constant_on_grid
    monkeypatch.setattr(measure, "lipschitz_constant_on_grid", lambda critic, grid: 0.5 * right(critic, grid))
    assert failing(verify.clipping_effective_slope, "<= max|f'| W")


def test_clipping_that_ignores_c_fails(monkeypatch):
    right = lipschitz.clip_weights_

    def always_one_hundredth(network, clip_value):
        right(network, torch.full_like(clip_value, 0.01) if isinstance(clip_value, torch.Tensor) else 0.01)

    monkeypatch.setattr(lipschitz, "clip_weights_", always_one_hundredth)
    verify._clip_sweep.cache_clear()
    try:
        assert failing(verify.clipping_effective_slope, "grows with c")
    finally:
        verify._clip_sweep.cache_clear()


def test_every_check_has_a_mutation_test():
    """The checks the tests above flip; a new check needs a mutation test (or is INFO)."""
    covered = {
        "example_1",
        "symmetry_and_bounds",
        "pinsker_and_mean_bound",
        "closed_forms_agree",
        "theorem_1_continuity",
        "theorem_2_sequences",
        "duality_by_tightness",
        "figure_2_gradients",
        "gan_bound",
        "gradient_penalty_optimum",
        "clipping_effective_slope",
        "descent_on_parallel_lines",
        "theorem_3",
    }
    informational = {"mode_coverage"}
    assert {check.name for check in verify.list_checks()} == covered | informational


# --- the table: status, selection, crashes -------------------------------------------------------


def test_status_and_exit_code(monkeypatch, capsys):
    assert CheckResult("a", "1", "1", True).status is Status.PASS
    assert CheckResult("a", "1", "2", False).failed
    info = CheckResult("undecided", "?", "?", Status.INFO)
    assert not info.passed and not info.failed

    def informational():
        yield CheckResult("a claim the toys cannot decide", "x", "y", Status.INFO)

    monkeypatch.setattr(verify, "CHECKS", [verify.Check("informational", informational)])
    assert main(["verify", "--only", "informational"]) == 0  # INFO never fails the exit status
    out = capsys.readouterr().out
    assert "INFO" in out and "PASS" not in out.replace("passed", "")
    assert "0 passed, 0 failed, 1 info" in out


def test_a_crashing_check_is_one_fail_row():
    def crashes():
        yield CheckResult("fine", "1", "1", True)
        raise RuntimeError("boom")

    rows = verify.run_checks([crashes])
    assert [row.status for row in rows] == [Status.PASS, Status.FAIL]
    assert "RuntimeError: boom" in rows[1].measured


def test_select_checks():
    assert [check.name for check in verify.select_checks("theorem_2*")] == ["theorem_2_sequences"]
    assert "mode_coverage" not in [check.name for check in verify.select_checks()]
    assert [check.name for check in verify.select_checks("MODE")] == ["mode_coverage"]
    with pytest.raises(ValueError, match="--only == 'nothing' matches no check; the checks are: example_1"):
        verify.select_checks("nothing")
