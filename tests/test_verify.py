"""Every verify row can fail: ``FLIPS`` maps each row of the table to the mutations of the code it
checks that make it FAIL, each test below applies one mutation (monkeypatch) and asserts that every
row the table gives it FAILS, and one test asserts that the table covers every registered row.

A mutation changes the code a row checks (a distance, a sampler, the transport solver, the
Lipschitz methods, a trainer, an exact optimum, a gradient), never the row's measuring tool (the
reference quadrature, the histogram, POT's exact solver where it measures, the grid's max|f'|).

Cheap by design: each mutation runs only the checks whose rows it flips. The trained networks (a
discriminator, a spectral-norm critic, four WGAN-GP critics, six clipped critics) are trained once
per test session and shared, as in ``wgan-toys verify``; a mutation of a trainer retrains only the
networks it changes and forgets them afterwards.
"""

import dataclasses
import importlib
import math
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from wgan_toys import (
    distances,
    distributions,
    lipschitz,
    objectives,
    optimal,
    parallel_lines,
    sweep,
    train,
    transport,
    verify,
)
from wgan_toys.cli import main
from wgan_toys.verify import CheckResult, Status
from wgan_toys.verify import critics as critic_rows

torch.set_num_threads(1)

ROW_MODULES = tuple(importlib.import_module(name) for name in verify.ROW_MODULES)  # every registered module of rows


def rows_of(check):
    return verify.run_checks([check])


def patch(monkeypatch, name: str, function):
    """Replace the package function ``name`` in wgan_toys.distances and in every row module that holds it."""
    for module in (distances, *ROW_MODULES):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, function)


# --- the mutations: each replaces a piece of the code that rows check ------------------------------

js_right, kl_right, tv_right, w1_right = (
    distances.js_divergence,
    distances.kl_divergence,
    distances.total_variation,
    distances.wasserstein_1,
)


def js_without_the_half(monkeypatch):
    patch(monkeypatch, "js_divergence", lambda p, q: 2.0 * js_right(p, q))


def asymmetric_js(monkeypatch):
    patch(monkeypatch, "js_divergence", lambda p, q: 0.5 * kl_right(p, q) if p != q else 0.0)


def symmetric_kl(monkeypatch):
    patch(monkeypatch, "kl_divergence", lambda p, q: 0.5 * (kl_right(p, q) + kl_right(q, p)))


def kl_narrower_law_first(monkeypatch):
    """KL(narrow || wide) whatever the order, as if KL were standardised by width like TV and JS: right whenever
    sigma_P <= sigma_Q, wrong (KL(Q || P)) when P is the wider law."""

    def ordered(p, q):
        gaussians = isinstance(p, distances.Gaussian1D) and isinstance(q, distances.Gaussian1D)
        return kl_right(*sorted((p, q), key=lambda law: law.std)) if gaussians else kl_right(p, q)

    patch(monkeypatch, "kl_divergence", ordered)


def js_without_the_half_under_its_clamp(monkeypatch):
    """The Gaussian JS without its 1/2, then rounded into [0, log 2] as the package rounds it."""
    right = distances.gaussian_js_divergence
    patch(monkeypatch, "gaussian_js_divergence", lambda p, q: min(2.0 * right(p, q), distances.LOG_2))


def tv_without_the_half(monkeypatch):
    patch(monkeypatch, "total_variation", lambda p, q: 2.0 * tv_right(p, q))


def w1_is_w2(monkeypatch):
    def wrong(p, q):
        gaussians = isinstance(p, distances.Gaussian1D) and isinstance(q, distances.Gaussian1D)
        return distances.wasserstein_2(p, q) if gaussians else w1_right(p, q)

    patch(monkeypatch, "wasserstein_1", wrong)


def squared_w1(monkeypatch):
    patch(monkeypatch, "wasserstein_1", lambda p, q: w1_right(p, q) ** 2)


def sampler_at_half_theta(monkeypatch):
    """ParallelLines draws its points at abscissa theta/2 instead of theta."""

    def generator(self, z):
        z = np.asarray(z, dtype=float)
        return np.stack([np.full_like(z, self.theta / 2), z], axis=-1)

    monkeypatch.setattr(distributions.ParallelLines, "generator", generator)


def sampler_slants_the_segment(monkeypatch):
    """ParallelLines draws the segment from (0, 0) to (theta, 1) instead of the vertical one at abscissa theta."""

    def generator(self, z):
        z = np.asarray(z, dtype=float)
        return np.stack([self.theta * z, z], axis=-1)

    monkeypatch.setattr(distributions.ParallelLines, "generator", generator)


def squared_transport_cost(monkeypatch):
    monkeypatch.setattr(transport, "_pairwise_distances", lambda x, y: ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))


def c_transform_with_max(monkeypatch):
    def max_instead_of_min(result):
        def critic(points):
            x = np.asarray(points, dtype=float).reshape(len(points), -1)
            return np.max(transport._pairwise_distances(x, result.target) - result.target_potential, axis=1)

        return critic

    monkeypatch.setattr(transport, "kantorovich_critic", max_instead_of_min)


def c_transform_with_plus(monkeypatch):
    def plus_potential(result):
        def critic(points):
            x = np.asarray(points, dtype=float).reshape(len(points), -1)
            return np.min(transport._pairwise_distances(x, result.target) + result.target_potential, axis=1)

        return critic

    monkeypatch.setattr(transport, "kantorovich_critic", plus_potential)


def spectral_norm_twice_too_large(monkeypatch):
    """Each layer normalised to spectral norm 2 instead of 1 (a critic with Lipschitz bound 2^L)."""
    right = lipschitz.SpectralNormalization.prepare

    class Double(torch.nn.Module):
        def forward(self, weight):
            return 2.0 * weight

    def prepare(self, network):
        network = right(self, network)
        for module in network.modules():
            if isinstance(module, torch.nn.Linear):
                torch.nn.utils.parametrize.register_parametrization(module, "weight", Double())
        return network

    monkeypatch.setattr(lipschitz.SpectralNormalization, "prepare", prepare)


def discriminator_stopped_early(monkeypatch):
    """train_discriminator returns after 50 steps, far from D*."""
    right = train.train_discriminator
    monkeypatch.setattr(
        train, "train_discriminator", lambda real, fake, **kw: right(real, fake, **{**kw, "max_steps": 50})
    )


def js_lower_bound_without_the_half(monkeypatch):
    right = optimal.js_lower_bound
    monkeypatch.setattr(
        optimal, "js_lower_bound", lambda logit, p, q: 2.0 * (right(logit, p, q) - math.log(2.0)) + math.log(2.0)
    )


def discriminator_logit_of_the_wrong_sign(monkeypatch):
    right = optimal.optimal_discriminator_logit
    monkeypatch.setattr(optimal, "optimal_discriminator_logit", lambda p, q: lambda x: -right(p, q)(x))


def linear_formula_as_the_penalised_optimum(monkeypatch):
    right = optimal.gradient_penalty_optimum

    def linear(real, fake, penalty_weight, *args, **kwargs):
        exact = right(real, fake, penalty_weight, *args, **kwargs)
        w = exact.wasserstein
        return dataclasses.replace(exact, estimate=exact.linear_lower_bound, objective=w + w**2 / (4 * penalty_weight))

    monkeypatch.setattr(optimal, "gradient_penalty_optimum", linear)


def clipping_skips_the_biases(monkeypatch):
    """Algorithm 1, line 7 clips every parameter w; this clips the weight matrices only."""
    right = lipschitz.clip_weights_

    def weights_only(network, clip_value):
        for name, parameter in network.named_parameters():
            if "weight" in name:
                holder = SimpleNamespace(parameters=lambda parameter=parameter: [parameter])
                right(holder, clip_value)

    monkeypatch.setattr(lipschitz, "clip_weights_", weights_only)


def family_bound_without_the_fans(monkeypatch):
    """K = prod_l c instead of prod_l c sqrt(n_(l-1) n_l)."""
    monkeypatch.setattr(
        lipschitz, "clipped_family_bound", lambda network, c: c ** len(lipschitz._weight_matrices(network))
    )


def clipping_that_ignores_c(monkeypatch):
    right = lipschitz.clip_weights_

    def always_one_hundredth(network, clip_value):
        right(network, torch.full_like(clip_value, 0.01) if isinstance(clip_value, torch.Tensor) else 0.01)

    monkeypatch.setattr(lipschitz, "clip_weights_", always_one_hundredth)


def clipped_critic_never_steps(monkeypatch):
    """Weight clipping's optimiser built with learning rate 0: the clipped critics stay at their flat start."""
    right = sweep.make_optimizer

    def frozen_when_clipped(parameters, algorithm, scale, **options):
        if algorithm == "clip":
            return torch.optim.RMSprop(parameters, lr=0.0)
        return right(parameters, algorithm, scale, **options)

    monkeypatch.setattr(sweep, "make_optimizer", frozen_when_clipped)  # the rows' clipped critics are a sweep's


exact_gradient_right = parallel_lines.exact_gradient


def _exact_gradient_mutation(name, wrong):
    def mutation(monkeypatch):
        monkeypatch.setattr(
            parallel_lines,
            "exact_gradient",
            lambda distance, theta, step=1e-6: (
                wrong(theta, step) if distance == name else exact_gradient_right(distance, theta, step)
            ),
        )

    return mutation


em_gradient_of_the_wrong_sign = _exact_gradient_mutation("em", lambda t, h: -exact_gradient_right("em", t, h))
kl_gradient_zero = _exact_gradient_mutation("kl", lambda t, h: 0.0)  # "exactly 0" instead of undefined
js_gradient_of_the_em = _exact_gradient_mutation("js", lambda t, h: math.copysign(1.0, t))


def generator_loss_of_the_wrong_sign(monkeypatch):
    right = objectives.generator_losses
    monkeypatch.setattr(
        objectives,
        "generator_losses",
        lambda kind, output: -right(kind, output) if kind == "wgan" else right(kind, output),
    )


# mutation -> (apply, the checks to run, the cached networks it changes: those are retrained, before and after)
MUTATIONS = {
    "js without the half": (js_without_the_half, ("example_1", "symmetry_and_bounds", "closed_forms_agree",
                                                   "theorem_1_continuity", "theorem_2_sequences", "gan_bound"), ()),
    "asymmetric js": (asymmetric_js, ("symmetry_and_bounds",), ()),
    "js without the half under its clamp": (js_without_the_half_under_its_clamp, ("symmetry_and_bounds",), ()),
    "symmetric kl": (symmetric_kl, ("closed_forms_agree",), ()),
    "kl of the narrower law first": (kl_narrower_law_first, ("closed_forms_agree",), ()),
    "tv without the half": (tv_without_the_half, ("example_1", "pinsker_and_mean_bound", "theorem_2_sequences"), ()),
    "w1 is w2": (w1_is_w2, ("closed_forms_agree", "theorem_1_continuity"), ()),
    "squared w1": (squared_w1, ("example_1", "pinsker_and_mean_bound", "theorem_1_continuity", "theorem_2_sequences"), ()),
    "sampler at theta/2": (sampler_at_half_theta, ("example_1", "theorem_1_continuity"), ()),
    "sampler slants the segment": (sampler_slants_the_segment, ("descent_on_parallel_lines",), ()),
    "squared transport cost": (squared_transport_cost, ("duality_by_tightness",), ()),
    "c-transform with max": (c_transform_with_max, ("duality_by_tightness",), ()),
    "c-transform with +v": (c_transform_with_plus, ("duality_by_tightness",), ()),
    "spectral norm 2 per layer": (spectral_norm_twice_too_large, ("duality_by_tightness", "theorem_3"), ("trained_network",)),
    "discriminator stopped early": (discriminator_stopped_early, ("figure_2_gradients", "gan_bound"), ("trained_network",)),
    "js lower bound without the half": (js_lower_bound_without_the_half, ("gan_bound",), ()),
    "D* logit of the wrong sign": (discriminator_logit_of_the_wrong_sign, ("gan_bound",), ()),
    "linear formula as the penalised optimum": (linear_formula_as_the_penalised_optimum, ("gradient_penalty_optimum",), ()),
    "family bound without the fans": (family_bound_without_the_fans, ("clipping_effective_slope",), ()),
    "clipping skips the biases": (clipping_skips_the_biases, ("clipping_effective_slope",), ("clip_sweep",)),
    "clipped critic never steps": (clipped_critic_never_steps, ("figure_2_gradients", "clipping_effective_slope"), ("clip_sweep",)),
    "clipping ignores c": (clipping_that_ignores_c, ("clipping_effective_slope",), ("clip_sweep",)),
    "em gradient of the wrong sign": (em_gradient_of_the_wrong_sign, ("descent_on_parallel_lines",), ()),
    "kl gradient 0": (kl_gradient_zero, ("descent_on_parallel_lines",), ()),
    "js gradient of the em": (js_gradient_of_the_em, ("descent_on_parallel_lines",), ()),
    "generator loss of the wrong sign": (generator_loss_of_the_wrong_sign, ("theorem_3",), ()),
}  # fmt: skip

EXAMPLE_1 = "(ParallelLines' sampler, 32 points: POT + fixed-grid histograms)"
GP_PAIR = "WGAN-GP, N(0,1^2) vs N(1,2^2), lambda = 1"

# every row of the table -> the mutations of the code it checks that make it FAIL
FLIPS = {
    f"Example 1 at theta = 1e-06 {EXAMPLE_1}": ("js without the half", "tv without the half", "squared w1", "sampler at theta/2"),
    f"Example 1 at theta = -0.5 {EXAMPLE_1}": ("js without the half", "tv without the half", "squared w1", "sampler at theta/2"),
    f"Example 1 at theta = 1 {EXAMPLE_1}": ("js without the half", "tv without the half", "sampler at theta/2"),
    "TV, JS, W1 symmetric (5 Gaussian pairs)": ("asymmetric js",),
    "0 <= TV <= 1, 0 <= JS <= log 2 and TV^2/2 <= JS <= TV log 2 (5 Gaussian pairs)": (
        "js without the half", "js without the half under its clamp"),
    "Pinsker: TV <= sqrt(KL/2)": ("tv without the half",),
    "W1 >= |mean difference|": ("squared w1",),
    "closed form = quadrature (KL both ways, TV, W1)": ("symmetric kl", "kl of the narrower law first", "w1 is w2"),
    "JS (package) = Simpson's rule on the definition (1/2 convention), 200001 points": ("js without the half",),
    "closed-form W1 = POT on a 20001-point grid": ("w1 is w2",),
    "Theorem 1 family N(theta, (1 + theta^2/2)^2) vs N(-3, 0.5^2): W closed form = quadrature": ("w1 is w2",),
    "Theorem 1 (proof): |W(theta) - W(theta')| <= E|g_theta(Z) - g_theta'(Z)|, step 0.05": ("squared w1",),
    "Theorem 1(3): JS(P_0, P_theta) on Example 1 jumps at theta = 0": ("js without the half", "sampler at theta/2"),
    "Theorem 2: delta(1/n) -> delta(0), W = 1/n (n = 1..1e4)": ("squared w1",),
    "Theorem 2: delta(1/n) vs delta(0), TV and JS stay at 1 and log 2": ("js without the half", "tv without the half"),
    "Theorem 2: n-point grid -> U[0,1], W = 1/(4n)": ("squared w1",),
    "Theorem 2: n-point grid vs U[0,1], TV and JS stay at max (from the CDFs)": ("js without the half", "tv without the half"),
    "KR duality (1D samples, n = 300): POT cost = a.u + b.v = sorted-sample W1": ("squared transport cost",),
    "KR duality (2D samples, n = 200): c-transform critic f = min_j(|x - y_j| - v_j)": (
        "squared transport cost", "c-transform with max", "c-transform with +v"),
    "KR duality: trained spectral-norm critic is 1-Lipschitz and reaches W (Figure 2's pair, seed 0)": ("spectral norm 2 per layer",),
    "Figure 2: trained discriminator, median |dD/dx| on the samples": ("discriminator stopped early",),
    "Figure 2: clipped critic (c = 0.01), median |df/dx| / fitted slope on the samples": ("clipped critic never steps",),
    "GAN bound at D*: 1/2 L(D*) + log 2 = JS (Simpson vs adaptive quadrature)": (
        "js without the half", "js lower bound without the half", "D* logit of the wrong sign"),
    "GAN bound, trained D, N(0,1) vs N(2,1), seed 0: JS - 2e-3 <= 1/2 L(D) + log 2 <= JS": (
        "discriminator stopped early", "js lower bound without the half"),
    f"{GP_PAIR}: no critic beats the exact optimum (4 critics)": ("linear formula as the penalised optimum",),
    f"{GP_PAIR}: trained E_r f - E_g f recovers most of the exact optimum's bias (4 critics)": (
        "linear formula as the penalised optimum",),
    "Clipping: parameters in [-c, c] and max|f'| <= K = prod_l c sqrt(n_(l-1) n_l), 6 critics": (
        "clipping skips the biases", "family bound without the fans"),
    "Clipping: effective slope (E_r f - E_g f)/W grows with c, 2 seeds": ("clipping ignores c", "clipped critic never steps"),
    "Example 1: descent on EM reaches theta = 0 (gradient from POT, and the package's)": ("em gradient of the wrong sign",),
    "Example 1: d JS / d theta = d TV / d theta = 0 at theta = -1, -0.3, 0.01, 0.5, 2": ("js gradient of the em", "sampler slants the segment"),
    "Example 1: KL = +inf on both sides of every theta != 0, so d KL / d theta is undefined (not 0)": ("kl gradient 0",),
    "Example 1: descent on JS never moves (histogram gradient, and the package's)": ("js gradient of the em",),
    "Theorem 3 (spectral critic, Figure 2's pair, theta = (mu, sigma) = (4, 0.5))": (
        "spectral norm 2 per layer", "generator loss of the wrong sign"),
}  # fmt: skip


OWN_MODULES = ("wgan_toys.verify.distances", "wgan_toys.verify.critics", "wgan_toys.verify.learning")


@pytest.mark.slow
def test_the_table_passes_as_shipped_and_every_row_has_a_mutation():
    """Every row of this package's modules passes, and FLIPS names each of them, with known mutations. A
    module of rows with its own ROWS (wgan_toys.verify.section1) has its own test file doing the same."""
    own = [check for check in verify.select_checks() if check.function.__module__ in OWN_MODULES]
    rows = verify.run_checks(own)
    assert all(row.passed for row in rows), [row for row in rows if not row.passed]
    for module_name in set(verify.ROW_MODULES) - set(OWN_MODULES):
        test_file = Path(__file__).with_name(f"test_{module_name.removeprefix('wgan_toys.').replace('.', '_')}.py")
        assert test_file.exists(), f"{module_name} is in ROW_MODULES; {test_file.name} must flip each of its rows"
    claims = [row.claim for row in rows]
    assert len(claims) == len(set(claims)), "two rows share a claim: FLIPS could not tell them apart"
    assert set(claims) == set(FLIPS), (set(claims) - set(FLIPS), set(FLIPS) - set(claims))
    for claim, mutations in FLIPS.items():
        assert mutations and set(mutations) <= set(MUTATIONS), claim
    assert {check.name for check in verify.list_checks() if check.slow} == {"mode_coverage"}  # INFO, undecided


@pytest.mark.parametrize("mutation", list(MUTATIONS))
@pytest.mark.slow
def test_each_mutation_fails_the_rows_it_flips(monkeypatch, mutation):
    apply, check_names, retrains = MUTATIONS[mutation]
    expected = {claim for claim, mutations in FLIPS.items() if mutation in mutations}
    assert expected, f"{mutation} flips no row of FLIPS"
    apply(monkeypatch)
    if retrains:
        critic_rows.clear_trained(*retrains)
    try:
        checks = [check for name in check_names for check in verify.select_checks(name)]
        failed = {row.claim for row in verify.run_checks(checks) if row.failed}
    finally:
        if retrains:
            critic_rows.clear_trained(*retrains)  # the mutated networks must not serve the other tests
    assert expected <= failed, sorted(expected - failed)


def test_kl_has_no_gradient_and_no_descent():
    assert math.isnan(parallel_lines.exact_gradient("kl", 0.5))
    with pytest.raises(ValueError, match="gradient of 'kl' at theta == 1 is undefined"):
        parallel_lines.descend_exact("kl", theta0=1.0)


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
    assert [check.name for check in verify.select_checks("theorem_2_seq*")] == ["theorem_2_sequences"]
    assert "mode_coverage" not in [check.name for check in verify.select_checks()]
    assert [check.name for check in verify.select_checks("MODE")] == ["mode_coverage"]
    with pytest.raises(ValueError, match="pattern == 'nothing' matches no check; the checks are: .*example_1"):
        verify.select_checks("nothing")


def test_a_row_module_is_one_entry_of_row_modules():
    """The package registers the checks of each module of ROW_MODULES, in that order (the table's), and
    re-exports the machinery and each row module's public names."""
    by_module = [check.function.__module__ for check in verify.list_checks()]
    assert by_module == sorted(by_module, key=list(verify.ROW_MODULES).index)
    assert set(by_module) == set(verify.ROW_MODULES), "a module of ROW_MODULES registers no check"
    assert [name for name in verify.ROW_MODULES if name in OWN_MODULES] == list(OWN_MODULES)
    for name in verify.__all__:
        assert hasattr(verify, name), name
    assert {"claim", "CheckResult", "run_checks", "example_1", "theorem_2_sequences", "mode_coverage"} <= set(
        verify.__all__
    )


def test_a_module_elsewhere_in_the_package_registers_through_row_modules(monkeypatch):
    """A module of rows outside this package (a module of rows elsewhere) takes its place in
    the table from ROW_MODULES, whatever the order of the imports, and its names resolve on the package."""
    module = types.ModuleType("wgan_toys.verify_demo_rows")

    def demo_rows():
        yield CheckResult("a demo row", "1", "1", True)

    demo_rows.__module__, module.demo_rows, module.__all__ = module.__name__, demo_rows, ["demo_rows"]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(verify, "ROW_MODULES", (module.__name__, *verify.ROW_MODULES))
    monkeypatch.setattr(verify, "CHECKS", [*verify.CHECKS, verify.Check("demo_rows", demo_rows)])  # registered last
    names = [check.name for check in verify.list_checks()]
    assert names[0] == "demo_rows" and names.index("example_1") > 0
    assert [check.name for check in verify.select_checks()][0] == "demo_rows"
    assert verify.demo_rows is demo_rows
