r"""Rows on critics and discriminators: Kantorovich-Rubinstein duality (eq. (2)) by tightness,
Figure 2, the GAN bound of Section 4.2, the WGAN-GP optimum and weight clipping (Algorithm 1,
line 7). The networks are small MLPs trained once (one thread) and shared by the rows that use them.

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875: eq. (2), Figure 2, Sections 3 and 4.2, Algorithm 1.
Gulrajani, Ahmed, Arjovsky, Dumoulin, Courville (2017), arXiv:1704.00028 (WGAN-GP).
"""

from __future__ import annotations

import functools

import numpy as np

from ..distances import js_divergence, wasserstein_1
from ..distributions import FIGURE_2_FAKE, FIGURE_2_REAL, Gaussian1D
from ._registry import CheckResult, claim, status_of

__all__ = [
    "duality_by_tightness",
    "figure_2_gradients",
    "gan_bound",
    "gradient_penalty_optimum",
    "clipping_effective_slope",
    "FIGURE_2_PAIR",
    "GAN_BOUND_PAIR",
    "GRADIENT_PENALTY_PAIR",
    "GRADIENT_PENALTY_WEIGHT",
    "GRADIENT_PENALTY_CRITICS",
    "CLIP_VALUES",
    "CLIP_SEEDS",
    "CLIP_LEARNING_RATE",
    "trained_network",
    "clip_sweep",
    "penalty_sweep",
    "clear_trained",
]

FIGURE_2_PAIR = (FIGURE_2_REAL, FIGURE_2_FAKE)
GAN_BOUND_PAIR = (Gaussian1D(0.0, 1.0), Gaussian1D(2.0, 1.0))
# WGAN-GP on a change of scale and shift: the exact optimum (2.3328 at lambda = 1) and the linear lower
# bound W + W^2/(2 lambda) (1.8471) differ by 21%, so a row can tell the two apart; for a pure shift they
# differ by 2.5% (N(0,1) vs N(2,1)), less than a trained critic's own shortfall.
GRADIENT_PENALTY_PAIR = (Gaussian1D(0.0, 1.0), Gaussian1D(1.0, 2.0))
GRADIENT_PENALTY_WEIGHT = 1.0
GRADIENT_PENALTY_CRITICS = 4
CLIP_VALUES = (0.005, 0.01, 0.02)
CLIP_SEEDS = 2
CLIP_LEARNING_RATE = 5e-4


@functools.lru_cache(maxsize=None)
def trained_network(kind: str, real: Gaussian1D, fake: Gaussian1D):
    """A network trained to optimality between ``real`` and ``fake`` (seed 0): 'discriminator'
    (train_discriminator's stopping rule), 'discriminator-tight' (relative tolerance 1e-4, patience 8)
    or 'spectral' (a spectral-norm critic)."""
    from ..train import train_critic, train_discriminator

    if kind == "discriminator":
        return train_discriminator(real, fake, seed=0).network
    if kind == "discriminator-tight":  # a tighter stopping rule than the default: the GAN bound row asks for 2e-3
        return train_discriminator(real, fake, tolerance=1e-4, patience=8, seed=0).network
    if kind == "spectral":  # Adam 3e-3 instead of 1e-3: half the steps, E_r f - E_g f still within 0.05% of W
        return train_critic(real, fake, constraint="spectral", learning_rate=3e-3, seed=0).network
    raise ValueError(f"kind == {kind!r}, must be 'discriminator', 'discriminator-tight' or 'spectral'.")


@functools.lru_cache(maxsize=None)
def clip_sweep():
    """Clipped critics (Algorithm 1) on Figure 2's pair for each c in CLIP_VALUES and CLIP_SEEDS
    initialisations, trained together in stacked parameters.

    RMSProp at CLIP_LEARNING_RATE = 5e-4, ten times Algorithm 1's 5e-5, as lesson 4 (section 4)
    does: after a warm-up RMSProp moves each weight by about the step size (for gradients well above
    its eps), so the weights reach +-c in tens of steps instead of hundreds. The stopping rule then
    ends the run after 650 steps instead of 1550, with the same ordering of the effective slopes over c.
    """
    from ..sweep import train_critic_sweep

    return train_critic_sweep(
        *FIGURE_2_PAIR, "clip", clip_values=CLIP_VALUES * CLIP_SEEDS, learning_rate=CLIP_LEARNING_RATE, seed=0
    )


@functools.lru_cache(maxsize=None)
def penalty_sweep():
    """GRADIENT_PENALTY_CRITICS WGAN-GP critics on GRADIENT_PENALTY_PAIR at GRADIENT_PENALTY_WEIGHT,
    each from its own initialisation and batches (seed 0's stream), trained together (m = 64).

    Adam at 3e-4 instead of WGAN-GP's 1e-4, as lesson 04 section 7 does: the stopping rule ends the run
    after 1350 steps instead of 2200, with shares of the exact bias 0.78-0.90 (0.83-0.90 at 1e-4).
    """
    from ..sweep import train_critic_sweep

    return train_critic_sweep(
        *GRADIENT_PENALTY_PAIR,
        "gp",
        penalty_weights=(GRADIENT_PENALTY_WEIGHT,),
        n_critics=GRADIENT_PENALTY_CRITICS,
        learning_rate=3e-4,
        seed=0,
    )


def clear_trained(*names: str) -> None:
    """Forget the trained networks, so that the next row retrains them (the mutation tests): those of
    the named caches ('trained_network', 'clip_sweep', 'penalty_sweep'), or all three if none is named."""
    caches = {"trained_network": trained_network, "clip_sweep": clip_sweep, "penalty_sweep": penalty_sweep}
    for name in names or tuple(caches):
        if name not in caches:
            raise ValueError(f"name == {name!r}, must be one of {', '.join(caches)}.")
        caches[name].cache_clear()


# --------------------------------------------------------------------------------------------
# Kantorovich-Rubinstein duality, eq. (2), by tightness: POT's dual potentials reach W on samples,
# and so does the c-transform critic, which is 1-Lipschitz.


@claim
def duality_by_tightness():
    """Eq. (2) by tightness: POT's dual potentials and their c-transform reach W (samples), and a
    trained 1-Lipschitz critic reaches W within 1% (Figure 2's pair)."""
    import ot

    from ..measure import lipschitz_constant_on_grid, network_values
    from ..optimal import expectation_gap, integration_grid
    from ..runtime import numpy_generator
    from ..transport import exact_transport, kantorovich_critic

    p, q = Gaussian1D(-1.0, 0.5), Gaussian1D(2.0, 2.0)
    x, y = p.sample(300, seed=1), q.sample(300, seed=2)
    result = exact_transport(x, y)
    sorted_w = float(np.mean(np.abs(np.sort(x) - np.sort(y))))  # the monotone coupling, optimal on the line
    dual = float(result.source_weights @ result.source_potential + result.target_weights @ result.target_potential)
    ok = abs(result.cost - sorted_w) <= 1e-9 * sorted_w and abs(dual - sorted_w) <= 1e-9 * sorted_w
    yield CheckResult(
        "KR duality (1D samples, n = 300): POT cost = a.u + b.v = sorted-sample W1",
        f"cost {result.cost:.10g}, a.u + b.v {dual:.10g}",
        f"sorted-sample W1 {sorted_w:.10g} (rel 1e-9)",
        status_of(ok),
    )

    rng = numpy_generator(3)
    real = rng.normal(size=(200, 2)) * [0.5, 1.0]
    fake = rng.normal(size=(200, 2)) * [1.5, 0.3] + [2.0, 1.0]
    transport = exact_transport(real, fake)
    critic = kantorovich_critic(transport)
    gap = float(np.mean(critic(real)) - np.mean(critic(fake)))
    probes_a, probes_b = rng.normal(size=(4000, 2)) * 2 + 1, rng.normal(size=(4000, 2)) * 2 + 1
    slopes = np.abs(critic(probes_a) - critic(probes_b)) / np.linalg.norm(probes_a - probes_b, axis=1)
    independent = float(ot.emd2([], [], ot.dist(real, fake, metric="euclidean"), numItermax=10_000_000))
    ok = abs(gap - independent) <= 1e-8 * independent and float(slopes.max()) <= 1.0 + 1e-9
    yield CheckResult(
        "KR duality (2D samples, n = 200): c-transform critic f = min_j(|x - y_j| - v_j)",
        f"E_r f - E_g f = {gap:.8g}, max |f(a) - f(b)| / |a - b| = {slopes.max():.6f}",
        f"= W1 = {independent:.8g} (ot.emd2, Euclidean cost), <= 1",
        status_of(ok),
    )

    real_law, fake_law = FIGURE_2_PAIR
    critic_network = trained_network("spectral", real_law, fake_law)
    exact = wasserstein_1(real_law, fake_law)
    gap = expectation_gap(lambda points: network_values(critic_network, points), real_law, fake_law)
    lipschitz = lipschitz_constant_on_grid(critic_network, integration_grid(real_law, fake_law, 4001))
    ok = 0.99 * exact <= gap <= 1.01 * exact and lipschitz <= 1.01  # spectral norms by power iteration: ~1%
    yield CheckResult(
        "KR duality: trained spectral-norm critic is 1-Lipschitz and reaches W (Figure 2's pair, seed 0)",
        f"E_r f - E_g f = {gap:.4f} (quadrature), max|f'| = {lipschitz:.4f} (autograd on a 4001-point grid)",
        f"E_r f - E_g f in [0.99 W, 1.01 W] = [{0.99 * exact:.4f}, {1.01 * exact:.4f}], max|f'| <= 1.01",
        status_of(ok),
    )


# --------------------------------------------------------------------------------------------
# Figure 2, Section 4.2 and WGAN-GP, with trained networks.


@claim
def figure_2_gradients():
    """Figure 2: away from the overlap the discriminator's gradient vanishes, the clipped critic's does not."""
    from ..measure import discriminator_gradients, network_gradients, network_values
    from ..optimal import compare_to_potential

    real, fake = FIGURE_2_PAIR
    points = np.concatenate([real.sample(500, seed=1), fake.sample(500, seed=2)])
    discriminator = trained_network("discriminator", real, fake)
    discriminator_slope = float(np.median(np.abs(discriminator_gradients(discriminator, points))))
    yield CheckResult(
        "Figure 2: trained discriminator, median |dD/dx| on the samples",
        f"{discriminator_slope:.2e}",
        "< 1e-3 (vanishes)",
        status_of(discriminator_slope < 1e-3),
    )
    critic = clip_sweep().critics.member(CLIP_VALUES.index(0.01))
    slope = compare_to_potential(lambda x: network_values(critic, x), real, fake)["k_fit"]
    median_slope = float(np.median(np.abs(network_gradients(critic, points))))
    critic_slope = median_slope / abs(slope) if slope != 0 else 0.0  # a flat critic (slope 0) measures nothing
    yield CheckResult(
        "Figure 2: clipped critic (c = 0.01), median |df/dx| / fitted slope on the samples",
        f"{critic_slope:.3f} (median |df/dx| {median_slope:.2e}, fitted slope of f against f* {slope:.2e})",
        "> 0.5 (does not vanish; 0 for a critic that never moved from its flat start)",
        status_of(critic_slope > 0.5),
    )


@claim
def gan_bound():
    """Section 4.2: 1/2 L(D) + log 2 <= JS, with equality at D* = p_r / (p_r + p_g); a trained
    discriminator reaches JS within 2e-3."""
    from ..measure import network_values
    from ..optimal import js_lower_bound, optimal_discriminator_logit

    real, fake = Gaussian1D(0.0, 1.0), Gaussian1D(1.0, 1.5)
    exact = js_divergence(real, fake)
    at_optimum = js_lower_bound(optimal_discriminator_logit(real, fake), real, fake)
    yield CheckResult(
        "GAN bound at D*: 1/2 L(D*) + log 2 = JS (Simpson vs adaptive quadrature)",
        f"{at_optimum:.10f}",
        f"{exact:.10f} +- 1e-9",
        status_of(abs(at_optimum - exact) < 1e-9),
    )
    real, fake = GAN_BOUND_PAIR  # overlapping laws: JS = 0.337, far from its ceiling log 2
    exact = js_divergence(real, fake)
    discriminator = trained_network("discriminator-tight", real, fake)
    trained = js_lower_bound(lambda x: network_values(discriminator, x), real, fake)
    yield CheckResult(
        "GAN bound, trained D, N(0,1) vs N(2,1), seed 0: JS - 2e-3 <= 1/2 L(D) + log 2 <= JS",
        f"{trained:.6f} (quadrature)",
        f"in [{exact - 2e-3:.6f}, {exact:.6f}]",
        status_of(exact - 2e-3 <= trained <= exact + 1e-12),
    )


def _penalised_objective(
    critic, real: Gaussian1D, fake: Gaussian1D, penalty_weight: float, n: int = 200_000
) -> tuple[float, float]:
    """(E_r f - E_g f by quadrature, the WGAN-GP objective with the penalty by Monte Carlo over
    n fresh interpolates eps x_r + (1 - eps) x_g)."""
    import torch

    from ..lipschitz import gradient_norms
    from ..measure import network_values
    from ..optimal import expectation_gap
    from ..runtime import numpy_generator

    gap = expectation_gap(lambda x: network_values(critic, x), real, fake)
    rng = numpy_generator(7)
    epsilon = rng.uniform(size=n)
    points = epsilon * real.sample(n, seed=rng) + (1 - epsilon) * fake.sample(n, seed=rng)
    norms = gradient_norms(critic, torch.as_tensor(points[:, None], dtype=torch.float32)).detach().numpy().astype(float)
    return gap, gap - penalty_weight * float(np.mean((norms - 1.0) ** 2))


@claim
def gradient_penalty_optimum():
    """WGAN-GP on a change of scale: trained GP critics (4 initialisations) against the exact optimum
    over all critics (optimal.gradient_penalty_optimum); W + W^2/(2 lambda) is a lower bound, not the optimum."""
    from ..optimal import gradient_penalty_optimum as exact_optimum
    from ..sweep import expectation_gaps

    real, fake = GRADIENT_PENALTY_PAIR
    weight = GRADIENT_PENALTY_WEIGHT
    optimum = exact_optimum(real, fake, weight)
    sweep = penalty_sweep()
    gaps = expectation_gaps(sweep, real, fake)
    objectives = [_penalised_objective(sweep.critics.member(i), real, fake, weight)[1] for i in range(len(gaps))]
    pair = f"N({real.mean:g},{real.std:g}^2) vs N({fake.mean:g},{fake.std:g}^2), lambda = {weight:g}"
    yield CheckResult(
        f"WGAN-GP, {pair}: no critic beats the exact optimum ({len(gaps)} critics)",
        "penalised objectives " + ", ".join(f"{v:.4f}" for v in objectives) + " (penalty by Monte Carlo)",
        f"<= exact optimum {optimum.objective:.4f} (+ 3e-3 Monte Carlo)",
        status_of(max(objectives) <= optimum.objective + 3e-3),
    )
    # the share of the exact bias that each critic recovers: 1 at the exact optimum, and
    # (W + W^2/(2 lambda) - W)/(exact - W) = 0.58 for the linear lower bound
    shares = (gaps - optimum.wasserstein) / (optimum.estimate - optimum.wasserstein)
    linear_share = (optimum.linear_lower_bound - optimum.wasserstein) / (optimum.estimate - optimum.wasserstein)
    ok = bool(np.all((shares >= 0.7) & (shares <= 1.1))) and optimum.linear_lower_bound <= optimum.estimate
    yield CheckResult(
        f"WGAN-GP, {pair}: trained E_r f - E_g f recovers most of the exact optimum's bias ({len(gaps)} critics)",
        "E_r f - E_g f "
        + ", ".join(f"{g:.4f}" for g in gaps)
        + " (quadrature); share of the exact bias "
        + ", ".join(f"{s:.2f}" for s in shares),
        f"share (gap - W)/(exact - W) in [0.7, 1.1] for every critic; W = {optimum.wasserstein:.4f}, exact "
        f"{optimum.estimate:.4f}; linear lower bound {optimum.linear_lower_bound:.4f} (share {linear_share:.2f})",
        status_of(ok),
    )


@claim
def clipping_effective_slope():
    """Clipping (Algorithm 1, line 7): every parameter stays in [-c, c], so max|f'| is at most the family's
    bound K = prod_l c sqrt(n_(l-1) n_l); the fitted ratio estimate / W is an effective slope, far below K,
    which grows with c, across seeds."""
    from ..lipschitz import clipped_family_bound
    from ..measure import lipschitz_constant_on_grid, network_values
    from ..optimal import expectation_gap, integration_grid

    real, fake = FIGURE_2_PAIR
    exact = wasserstein_1(real, fake)
    sweep = clip_sweep()
    grid = integration_grid(real, fake, 4001)
    slopes = np.zeros((CLIP_SEEDS, len(CLIP_VALUES)))
    in_box, of_bound = 0.0, 0.0
    for index, setting in enumerate(sweep.settings):
        member, c = sweep.critics.member(index), setting["clip_value"]
        largest = max(float(parameter.detach().abs().max()) for parameter in member.parameters())
        in_box = max(in_box, largest / c)
        of_bound = max(of_bound, lipschitz_constant_on_grid(member, grid) / clipped_family_bound(member, c))
        gap = expectation_gap(lambda x: network_values(member, x), real, fake)
        slopes[index // len(CLIP_VALUES), index % len(CLIP_VALUES)] = gap / exact
    yield CheckResult(
        f"Clipping: parameters in [-c, c] and max|f'| <= K = prod_l c sqrt(n_(l-1) n_l), {slopes.size} critics",
        f"max |w| / c = {in_box:.4f}; max|f'| / K = {of_bound:.3f} (autograd on a 4001-point grid)",
        "both <= 1 (the box, and the family's Lipschitz bound, lipschitz.clipped_family_bound)",
        status_of(in_box <= 1.0 + 1e-6 and of_bound <= 1.0),
    )
    separated = bool(np.all(slopes[:, 1:].min(axis=0) > slopes[:, :-1].max(axis=0)))
    text = "; ".join(f"c={c:g}: " + ", ".join(f"{s:.2e}" for s in slopes[:, k]) for k, c in enumerate(CLIP_VALUES))
    yield CheckResult(
        f"Clipping: effective slope (E_r f - E_g f)/W grows with c, {CLIP_SEEDS} seeds",
        text + f" ({sweep.steps} steps)",
        "every seed at the larger c above every seed at the smaller",
        status_of(separated),
    )
