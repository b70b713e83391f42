"""The exercise checkers: each accepts its reference answer, computed here independently of
the checker where a second route exists (a formula worked by hand, quadrature instead of a closed form), and
rejects plausible wrong answers with the hint that names the mistake; an unattempted answer prints one line and
does not raise; ``strict=True`` raises on anything but a right answer; bad input is refused by name."""

from __future__ import annotations

import functools
import math
import re

import numpy as np
import pytest
from scipy.stats import norm as scipy_norm

from wgan_toys import exercises
from wgan_toys.distributions import Gaussian1D
from wgan_toys.exercises import CHECKERS, MalformedAnswer, WrongAnswer, check
from wgan_toys.quadrature import js_divergence_quadrature

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def bisect(function, low: float, high: float, tolerance: float = 1e-10) -> float:
    """A root of an increasing ``function`` between ``low`` and ``high``."""
    while high - low > tolerance:
        middle = (low + high) / 2
        low, high = (middle, high) if function(middle) < 0 else (low, middle)
    return (low + high) / 2


def histogram_js_by_hand(theta: float) -> float:
    """figure_1's histogram JS, written with numpy: 4096 heights z of each segment from one seeded generator,
    21 x 10 cells on [-1.1, 1.1] x [0, 1], JS = (KL(p || m) + KL(q || m)) / 2 of the cell frequencies."""
    rng = np.random.default_rng(0)
    z_real, z_fake = rng.uniform(0.0, 1.0, 4096), rng.uniform(0.0, 1.0, 4096)
    cells = {"bins": (21, 10), "range": [(-1.1, 1.1), (0.0, 1.0)]}
    p = np.histogram2d(np.zeros(4096), z_real, **cells)[0].ravel() / 4096
    q = np.histogram2d(np.full(4096, theta), z_fake, **cells)[0].ravel() / 4096
    m = (p + q) / 2
    return sum(0.5 * float(np.sum(a[a > 0] * np.log(a[a > 0] / m[a > 0]))) for a in (p, q))


@functools.lru_cache(maxsize=None)
def clip_exponent_by_hand(seed: int) -> float:
    """Exercise 05.3 as a student runs it: three seeded one-iteration runs, and the least-squares slope of
    log|theta_gradients[0]| on log c written out as cov / var."""
    from wgan_toys.parallel_lines import learn_parallel_lines

    cs = np.log([0.005, 0.02, 0.05])
    runs = [
        learn_parallel_lines("wgan", iterations=1, clip_value=c, optimizer="sgd", seed=seed)
        for c in (0.005, 0.02, 0.05)
    ]
    logs = np.log([abs(run["theta_gradients"][0]) for run in runs])
    return float(np.sum((cs - cs.mean()) * (logs - logs.mean())) / np.sum((cs - cs.mean()) ** 2))


@functools.lru_cache(maxsize=None)
def binning_gaps_by_quadrature(bins: tuple = (10, 30)) -> tuple:
    """Exact JS minus the JS of the binned laws of N(0, 1) and N(1, 1.5^2), equal bins on [-5.5, 7.5]: each bin's mass
    by quad of the density (not the CDF), renormalised to the range; the exact JS by quadrature of its definition."""
    from scipy.integrate import quad

    p, q = Gaussian1D(0.0, 1.0), Gaussian1D(1.0, 1.5)
    exact = js_divergence_quadrature(p, q).value
    gaps = []
    for count in bins:
        edges = np.linspace(-5.5, 7.5, count + 1)
        masses = [np.array([quad(law.pdf, a, b)[0] for a, b in zip(edges[:-1], edges[1:])]) for law in (p, q)]
        a, b = (mass / mass.sum() for mass in masses)
        m = (a + b) / 2
        gaps.append(exact - 0.5 * float(np.sum(a * np.log(a / m)) + np.sum(b * np.log(b / m))))
    return tuple(gaps)


def flat_edges_by_hand() -> tuple[float, float]:
    # P = N(0, 1), Q = N(4, 1): logit l(x) = 8 - 4x, |D*'| = 4 s (1 - s) with s = sigmoid(l); solve 4 s (1 - s) = 1e-3
    logit = bisect(lambda t: -4 * math.exp(-t) / (1 + math.exp(-t)) ** 2 + 1e-3, 0.0, 30.0)  # decreasing in t > 0
    return (8 - logit) / 4, (8 + logit) / 4


def js_saturation_by_quadrature() -> float:
    p = Gaussian1D(0.0, 1.0)
    return bisect(
        lambda mu: js_divergence_quadrature(p, Gaussian1D(mu, 1.0)).value - 0.99 * math.log(2), 1.0, 10.0, 1e-6
    )


def mmd_saturation_by_hand(bandwidth: float) -> float:
    spread = bandwidth**2 + 2 * 0.5**2  # MMD / ceiling = sqrt(1 - exp(-shift^2 / (2 spread)))
    return math.sqrt(2 * spread * math.log(1 / (1 - 0.99**2)))


@functools.lru_cache(maxsize=None)
def floor_25gaussians_by_assignment() -> float:
    """The mean exact W1 between two real samples of 25 Gaussians, n = 1000, over the run charts' 4 seeded pairs,
    by the Hungarian method (scipy's linear_sum_assignment: equal uniform weights make the optimal plan a
    permutation) instead of ot.emd, on the pairs sample_floor draws (numpy's default_rng(0), two draws a pair)."""
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    from wgan_toys.toys2d import make_dataset

    dataset, rng, values = make_dataset("25gaussians"), np.random.default_rng(0), []
    for _ in range(4):
        cost = cdist(dataset.sample(1000, seed=rng), dataset.sample(1000, seed=rng))
        rows, columns = linear_sum_assignment(cost)
        values.append(cost[rows, columns].mean())
    return float(np.mean(values))


@functools.lru_cache(maxsize=None)
def clip_ratio_by_evaluate() -> float:
    """Estimate at c = 0.05 over estimate at c = 0.01 after 50 critic steps against the untrained generator, read
    from evaluate() as the student does (the checker draws evaluate's batches without its exact transport)."""
    from wgan_toys.toy_gan import ToyConfig, ToyGAN

    rows = {}
    for clip_value in (0.01, 0.05):
        trainer = ToyGAN(ToyConfig(algorithm="wgan", clip_value=clip_value, seed=0))
        for _ in range(50):
            trainer.critic_step()
        rows[clip_value] = trainer.evaluate()
    assert rows[0.01]["exact_w1"] == rows[0.05]["exact_w1"]  # one generator, one stream: the ratio is the slopes'
    return rows[0.05]["wasserstein_estimate"] / rows[0.01]["wasserstein_estimate"]


@functools.lru_cache(maxsize=None)
def momentum_row_by_hand() -> tuple[float, float]:
    """(exact W1, negative-cosine share) at generator step 5 of the Adam-critic WGAN at learning rate 5e-3, stepped
    by hand as train() steps it: the cosine between each critic step and the ascent direction -grad, read from the
    parameters before and after and the gradients the step left, and W1 by the Hungarian method on the batches
    evaluate() draws."""
    import torch
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    from wgan_toys.toy_gan import ToyConfig, ToyGAN

    trainer = ToyGAN(ToyConfig(algorithm="wgan", critic_optimizer="adam", learning_rate=5e-3, log_every=5, seed=0))
    trainer.real_batch(1000), trainer.noise(1000)  # the draws of train()'s evaluation at step 0
    flat = lambda tensors: torch.cat([t.detach().reshape(-1) for t in tensors])  # noqa: E731
    negative = 0
    for _ in range(5):
        for _ in range(trainer.config.n_critic):
            before = flat(trainer.critic.parameters())
            trainer.critic_step()
            step = flat(trainer.critic.parameters()) - before
            ascent = -flat(p.grad for p in trainer.critic.parameters())
            negative += int(torch.dot(step, ascent) < 0)
        trainer.generator_step_update()
    real = trainer.real_batch(1000).numpy()
    with torch.no_grad():
        fake = trainer.generator(trainer.noise(1000)).numpy()
    cost = cdist(real, fake)
    rows, columns = linear_sum_assignment(cost)
    return float(cost[rows, columns].mean()), negative / (5 * trainer.config.n_critic)


def untrained_w1_and_penalty_weight() -> tuple[float, float]:
    from wgan_toys.toy_gan import ToyConfig, ToyGAN

    trainer = ToyGAN(ToyConfig(dataset="8gaussians", algorithm="wgan-gp", seed=0))
    return trainer.evaluate()["exact_w1"], trainer.config.penalty_weight


def penalised_floor() -> float:
    w, penalty_weight = untrained_w1_and_penalty_weight()
    return w + w * w / (2 * penalty_weight)  # max over s of s W - lambda (s - 1)^2


def deep_clipped_feature_slope_by_hand() -> float:
    """dh_j|max_j |dh_j|dh_j/dx| at x = 0 of the last hidden layer of make_critic(depth=8) (seed 0) clipped to +-0.001, by numpy in
    float64: run x = 0 forward, keep each layer's ReLU pattern, and multiply the masked weight matrices."""
    from wgan_toys.networks import make_critic
    from wgan_toys.runtime import build_seeded

    network = build_seeded(lambda: make_critic(depth=8), 0)
    linears = [layer for layer in network.layers[:-1] if hasattr(layer, "weight")]
    h, slope = np.zeros(1), np.ones(1)
    for layer in linears:
        weight = np.clip(layer.weight.detach().double().numpy(), -0.001, 0.001)
        bias = np.clip(layer.bias.detach().double().numpy(), -0.001, 0.001)
        pre = weight @ h + bias
        h, slope = np.maximum(pre, 0.0), (pre > 0) * (weight @ slope)
    return float(np.abs(slope).max())


@functools.lru_cache(maxsize=None)
def exact_penalty_optimum_04() -> tuple[float, float]:
    """(W, estimate) of the WGAN-GP optimum over all critics between N(0, 1) and N(1, 1.5^2) at lambda = 10, on a
    grid, independently of optimal.gradient_penalty_optimum: maximising int f' D - lambda int rho (|f'| - 1)^2 pointwise
    gives f' = sign D (1 + |D| / (2 lambda rho)), so estimate = int f' D = W + int D^2 / rho / (2 lambda), with D = F_g - F_r
    and rho the density of eps x + (1 - eps) y, eps ~ U[0, 1] (Gauss-Legendre over eps)."""
    from scipy.stats import norm

    x = np.linspace(-12.0, 14.0, 40_001)
    gap = norm.cdf(x, 1.0, 1.5) - norm.cdf(x, 0.0, 1.0)
    nodes, weights = np.polynomial.legendre.leggauss(200)
    eps, weights = (nodes + 1) / 2, weights / 2
    rho = sum(w * norm.pdf(x, 1.0 - e, np.sqrt(e**2 + 2.25 * (1 - e) ** 2)) for e, w in zip(eps, weights))
    step = x[1] - x[0]
    w1 = float(np.sum(np.abs(gap)) * step)
    return w1, w1 + float(np.sum(gap**2 / rho) * step) / (2 * 10.0)


def exact_penalty_slope() -> float:
    w1, estimate = exact_penalty_optimum_04()
    return estimate / w1


def mlp_over_dcgan_by_hand(size: int, channels: int, noise: int = 100, width: int = 512, filters: int = 64) -> float:
    """The generators' parameter counts from their layers (images.models), written out: the MLP's three hidden
    linear layers and its output layer with biases; DCGAN's transposed 4x4 convolutions without biases, from noise
    to 4x4 with filters * 2^(log2(size) - 3) channels, halving to ``filters`` at size/2, then to ``channels``, with
    a batch-norm scale and shift per hidden channel."""
    mlp = (noise + 1) * width + 2 * (width + 1) * width + (width + 1) * channels * size * size
    widths = [filters * 2**k for k in range(int(math.log2(size)) - 3, -1, -1)]  # 4x4 ... size/2
    dcgan = noise * widths[0] * 16 + sum(a * b * 16 for a, b in zip(widths, widths[1:])) + widths[-1] * channels * 16
    return mlp / (dcgan + 2 * sum(widths))


@functools.lru_cache(maxsize=None)
def rmsprop_replayed_from_far() -> float:
    """theta_20 of lesson 05's RMSProp run from theta0 = 5 (minimax GAN, seed 0), replayed by hand from the run's own
    gradients: v_t = 0.99 v_(t-1) + 0.01 g_t^2, theta <- theta - 0.02 * 0.99^t g_t / (sqrt(v_t) + 1e-8) (torch's
    RMSprop defaults, independently of torch.optim)."""
    from wgan_toys.parallel_lines import learn_parallel_lines

    run = learn_parallel_lines("gan-minimax", theta0=5.0, iterations=20, optimizer="rmsprop", seed=0)
    theta, mean_square = 5.0, 0.0
    for t, gradient in enumerate(run["theta_gradients"]):
        mean_square = 0.99 * mean_square + 0.01 * gradient**2
        theta -= 0.02 * 0.99**t * gradient / (math.sqrt(mean_square) + 1e-8)
    assert abs(theta - run["thetas"][20]) < 1e-4, (theta, run["thetas"][20])
    return theta


def sign_descent_by_hand(learning_rate: float = 0.02, decay: float = 0.99, steps: int = 150) -> np.ndarray:
    """theta_t of descent on |theta| from 1 with the exact gradient sign(theta) and step learning_rate * decay^t."""
    thetas = [1.0]
    for t in range(steps):
        thetas.append(thetas[-1] - learning_rate * decay**t * np.sign(thetas[-1]))
    return np.array(thetas)


# --- lesson 08: the lesson's classroom (256 samples, seed 0) driven through its trainer, measured here by hand ---


def lesson_08_session(**settings):
    """A session as the lesson's ``classroom.configure(**settings)`` starts it (256 samples, the toy preset)."""
    from wgan_toys.classroom import Classroom

    return Classroom(n_samples=256, preset="toy", **settings)


@functools.lru_cache(maxsize=None)
def clip_shrink_by_hand() -> float:
    """08.1: eq. (3) after 20 critic steps at c = 0.01 over the same at c = 0.001, as float64 means of the critic's
    values (not through objectives.wasserstein_estimate)."""
    estimates = []
    for clip_value in (0.01, 0.001):
        session = lesson_08_session(dataset="2clusters", algorithm="wgan", clip_value=clip_value)
        for _ in range(20):
            session.trainer.critic_step()
        values = [
            session.trainer.critic_values(points).astype(float)
            for points in (session.real, session.trainer.generated())
        ]
        estimates.append(values[0].mean() - values[1].mean())
    return estimates[0] / estimates[1]


@functools.lru_cache(maxsize=None)
def saturation_arrows_by_hand() -> tuple[float, float]:
    """08.2: (-log D ratio, minimax ratio) of the largest arrow after 100 over after 30 discriminator steps, with the
    arrows by the chain rule: grad log D = (1 - D) grad l and -grad log(1 - D) = D grad l, D = sigmoid(l) (not
    through objectives.generator_losses or ToyGAN.push)."""
    import torch

    session = lesson_08_session(dataset="2clusters", algorithm="gan-logd")
    trainer = session.trainer
    largest = {}
    for steps in (30, 100):
        while trainer.critic_steps < steps:
            trainer.critic_step()
        x = torch.tensor(trainer.generated(), dtype=torch.float32, requires_grad=True)
        logit = trainer.critic(x)
        (slope,) = torch.autograd.grad(logit.sum(), x)
        d = torch.sigmoid(logit.detach())[:, None]
        largest[steps] = [float(((1 - d) * slope).norm(dim=1).max()), float((d * slope).norm(dim=1).max())]
    return largest[100][0] / largest[30][0], largest[100][1] / largest[30][1]


@functools.lru_cache(maxsize=None)
def untrained_w1_by_assignment() -> float:
    """08.3: the exact W1 at step 0 between the session's 256 generated and 256 real points, as an assignment
    problem (scipy's Hungarian method, not POT)."""
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    session = lesson_08_session(dataset="25gaussians", algorithm="wgan-gp")
    cost = cdist(session.trainer.generated(), session.real)
    rows, columns = linear_sum_assignment(cost)
    return float(cost[rows, columns].mean())


@functools.lru_cache(maxsize=None)
def early_peak_by_hand(seed: int) -> float:
    """05.8 as the student runs it: the largest |theta_gradients| of the first 10 plain-descent minimax GAN
    iterations from theta0 = 1."""
    from wgan_toys.parallel_lines import learn_parallel_lines

    run = learn_parallel_lines("gan-minimax", theta0=1.0, iterations=10, optimizer="sgd", seed=seed)
    return float(np.abs(run["theta_gradients"][:10]).max())


def penalty_pair(bias) -> tuple[float, float]:
    w = untrained_w1_by_assignment()
    return tuple(bias(w, weight) for weight in (10.0, 0.1))


def gaussian_js_by_quadrature(theta: float, sigma: float) -> float:
    """JS of N(0, sigma^2) and N(theta, sigma^2) by scipy.integrate.quad of its definition (1/2 convention, nats)."""
    from scipy import integrate

    def term(x):
        p, q = scipy_norm.pdf(x, 0.0, sigma), scipy_norm.pdf(x, theta, sigma)
        m = (p + q) / 2
        return 0.5 * (p * math.log(p / m) if p > 0 else 0.0) + 0.5 * (q * math.log(q / m) if q > 0 else 0.0)

    return integrate.quad(term, -12 * sigma, theta + 12 * sigma, points=[theta / 2], epsabs=1e-14, limit=200)[0]


def first_n_below_by_hand(distance, sigma: float = 0.1, level: float = 1e-3) -> int:
    """The first n with distance(1/n, sigma) < level, by bisection on n (each distance falls as n grows)."""
    low, high = 1, 100_000
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if distance(1 / middle, sigma) >= level else (low, middle)
    return high


# exercise -> (reference answer, worked independently of the checker; [(wrong answer, words of its hint), ...])
CASES = {
    # Section 1 on blurred lines, from the formulas by hand (scipy's normal quantile), not the package's distances
    "00.1": (0.3 / math.sqrt(2), [(0.3, "1/2 in front"), (0.045, "variance"), (0.15, "not theta / 2")]),
    "00.2": (
        2 * 0.1 * scipy_norm.ppf(0.995),  # 2 Phi(theta / (2 sigma)) - 1 = 0.99
        [(0.1 * scipy_norm.ppf(0.995), "cross at theta / 2"), (2 * 0.1 * scipy_norm.ppf(0.99), "Phi^-1(0.995)")],
    ),
    "00.3": (
        2 * math.log(10),  # every point on the line: the density's 1/sigma gains log 100, the edges ~1e-5 of that
        [
            (-2 * math.log(10), "grows as sigma shrinks"),
            (2000 * math.log(10), "total over the 1000"),
            (2.0, "log base 10"),
            (math.log(10), "one decade"),
        ],
    ),
    "00.5": (
        lambda: first_n_below_by_hand(gaussian_js_by_quadrature),  # 112
        [
            (lambda: first_n_below_by_hand(lambda t, s: t * t / (2 * s * s)), "KL"),  # 224
            (lambda: first_n_below_by_hand(lambda t, s: math.erf(t / (2 * math.sqrt(2) * s))), "TV drops"),
        ],  # 3990
    ),
    "01.1": (math.log(2), [(0.0, "equal to 0"), (1.0, "log base 2"), (2 * math.log(2), "forget the 1/2")]),
    "01.2": (
        lambda: (histogram_js_by_hand(0.03), histogram_js_by_hand(0.08)),  # the noise of theta = 0, then log 2
        [
            ((math.log(2), math.log(2)), "middle column"),
            ((0.0, math.log(2)), "binned laws"),
            (lambda: (histogram_js_by_hand(0.03), histogram_js_by_hand(0.03)), "share no column"),
            (lambda: (math.log(2), histogram_js_by_hand(0.03)), "other order"),
        ],
    ),
    "01.4": (
        (0.0, 0.8),  # W: 0.8 - 8 x 0.1 = 0, then |slope| = |theta| / h keeps it there; JS: slope 0, never moves
        [
            ((0.8, 0.0), "other order"),
            ((1.8, 0.8), "sign error"),
            ((0.8, 0.8), "did not move"),
            ((0.0, 0.0), "JS run reached 0"),
        ],
    ),
    "01.5": (
        {"tv", "kl_reverse", "js", "em"},  # 1/(n+1), log(1 + 1/n), JS, 1/(2n); KL(U[0,1+1/n] || U[0,1]) = inf
        [({"tv", "kl", "kl_reverse", "js", "em"}, "mass where"), ({"tv", "js", "em"}, "one direction of KL")],
    ),
    "01.6": (-1.0, [(-0.5, "sqrt(0.6^2 + delta^2)"), (1.0, "exponent is negative")]),  # excess ~ delta^2 / 1.2 ~ 1/n
    "02.1": (1.0, [(0.0, "standard deviation is > 0"), (2.0, "which terms cancel")]),
    "02.2": (
        binning_gaps_by_quadrature,
        [
            (lambda: binning_gaps_by_quadrature()[::-1], "other order"),
            (lambda: tuple(-gap for gap in binning_gaps_by_quadrature()), "positive numbers"),
            (lambda: tuple(0.0992901 - gap for gap in binning_gaps_by_quadrature()), "binned laws itself"),
            (lambda: binning_gaps_by_quadrature((9, 29)), "11 edges"),
            ((0.0098, 0.0012), "read from samples"),  # convergence_study's js_abs_error at n = 10^5, seed 0
        ],
    ),
    "02.4": (flat_edges_by_hand, [((4.07, -0.07), "left edge first"), ((0.2736, 3.7264), "chain rule")]),
    "02.5": (
        (1.0, 1.5),
        [((2.0, 3.0), "mass 2"), ((1.0, 1.0), "monotone plan's squared cost"), ((1.0, math.sqrt(1.5)), "square root")],
    ),
    "02.6": (
        js_saturation_by_quadrature,
        [(5.381, "absolute gap of 0.01"), (5.5, "within a slider step"), (-5.626, "positive")],
    ),
    "03.1": (
        0.398,  # 4 s (1 - s) at l = 2 - 4x over the fake samples: the checker's own draw (seed 2), to 3 digits
        [(4.0, "slope of the logit"), (-0.5, "differentiate")],
    ),
    "03.3": (
        16.0,  # (0.02 sqrt(1 * 64) 0.02 64 0.02 64 0.02 sqrt(64)) / (the same at 0.01) = 2^4
        [(2.0, "not linear in c"), (8.0, "output layer"), (1.0, "does depend on c"), (13.7, "fitted ratio")],
    ),
    "03.4": ((1, -1), [((-1, -1), "which sign"), ((1, 1), "moves away")]),
    "03.5": (1.2, [(1.4, "forget the 1/2"), (1.0, "maximise"), (0.8, "sign error")]),  # 1 + W / (2 lambda), W = 4
    "03.6": (1.0, [(-1.0, "minus sign"), (0.5, "multiplies z")]),
    "03.7": (lambda: mmd_saturation_by_hand(0.25), [(mmd_saturation_by_hand(0.5), "h = 0.5"), (2.2757, "MMD^2")]),
    "04.1": (
        exact_penalty_slope,
        [
            (1.0, "spectral normalisation"),
            (lambda: 1 + exact_penalty_optimum_04()[0] / 20, "lower bound"),
            (lambda: exact_penalty_optimum_04()[1], "divide it by W"),
        ],
    ),
    "04.2": ((3, 5), [((2, 4), "output layer"), ((5, 3), "other order")]),  # depth hidden layers + the output layer
    "04.3": (
        deep_clipped_feature_slope_by_hand,
        [
            (0.0, "differentiate instead"),
            (0.008 * 0.064**7, "family bound"),  # c sqrt(1 * 64) c^7 sqrt(64 * 64)^7, c = 0.001
            (1e-24, "each unit sums 64 inputs"),
            (1e-3, "first layers"),
        ],
    ),
    "04.5": (
        # W + W^2/20 = E and W + W^2/40 = E (the penalised loss), solved by the quadratic formula
        (
            (math.sqrt(100 + 240) - 10) / (math.sqrt(100 + 22) - 10),
            (math.sqrt(400 + 480) - 20) / (math.sqrt(400 + 44) - 20),
        ),
        [((12 / 1.1, 9.02), "invert E = W + W^2/20"), ((8.07, 8.07), "not the gap"), ((9.02, 9.02), "penalised loss")],
    ),
    "04.6": (
        (
            4.0 / 2,
            0,
        ),  # s < 0: J' = W - 2 lambda (s + 1) = 0 at s = -1 + W / (2 lambda) < 0 iff lambda > W / 2; one-sided: sW
        [
            ((2.0, 1), "charges nothing"),
            ((0.5, 0), "inverted the ratio"),
            ((4.0, 0), "when is that root negative"),
            ((10.0, 0), "section 9 trains"),
        ],
    ),
    "05.1": (
        rmsprop_replayed_from_far,
        [
            (4.9955, "plain descent"),
            (4.8, "after the first step"),
            (lambda: 5.0 - rmsprop_replayed_from_far(), "how far theta moved"),
            (0.0, "theta0 = 1"),
        ],
    ),
    # theta_t = 1 - 2 (1 - 0.99^t) <= 0 first at t = ceil(log 0.5 / log 0.99); section 2's 1 - (10/3)(1 - 0.97^t) at 12
    "05.2": (
        math.ceil(math.log(0.5) / math.log(0.99)),
        [
            (50, "shrinking steps"),
            (math.ceil(math.log(0.7) / math.log(0.97)), "section 2's schedule"),
            (math.inf, "0.02 / K"),
        ],
    ),
    "05.3": (
        lambda: clip_exponent_by_hand(0),
        [(4, "exponent of the family bound"), (lambda: -clip_exponent_by_hand(1), "sign"), (3, "a count")],
    ),
    "05.4": (
        lambda: sign_descent_by_hand().min(),
        [
            (lambda: -sign_descent_by_hand().min(), "negative number"),
            (lambda: sign_descent_by_hand()[np.flatnonzero(sign_descent_by_hand() <= 0)[0]], "first crossing"),
            (lambda: sign_descent_by_hand(0.1, 0.97, 300).min(), "section 2's schedule"),
            (-0.216, "trained critic's overshoot"),
        ],
    ),
    "05.5": ({-0.5}, [(set(), "other side"), ({-0.5, 2.0}, "still an optimal critic"), ({0.25, -0.5}, "same side")]),
    "05.6": (
        1.0,  # d|theta|/d theta at 0.5: a clipped critic K f* has gradient K and estimate K W = 0.5 K
        [(4e-4, "raw gradient"), (2.0, "divided by the estimate"), (-1.0, "sign error"), (0.5, "estimate / gradient")],
    ),
    "05.8": (
        lambda: (early_peak_by_hand(1), early_peak_by_hand(2)),
        [
            (lambda: (early_peak_by_hand(2), early_peak_by_hand(1)), "other order"),
            (lambda: (early_peak_by_hand(0), early_peak_by_hand(2)), "seed 0's peak"),
            ((0.0085, 0.0064), "first gradients"),
        ],
    ),
    "06.1": (
        floor_25gaussians_by_assignment,
        [(0.114, "floor of 8 Gaussians"), (0.270, "n = 256"), (0.1346, "one end of the grey band")],
    ),
    "06.2": (
        (0, 30, 60, 90, 100),  # train(): step 0, every 30 generator steps, and the last step (100 = 3 x 30 + 10)
        [((30, 60, 90), "before the first step"), ((0, 30, 60, 90), "not a multiple"), ((30, 60, 90, 100), "step 0")],
    ),
    "06.3": (
        clip_ratio_by_evaluate,
        [
            (625.0, "ratio of the family's bounds"),
            (5.0, "not linear in c"),
            (lambda: 1 / clip_ratio_by_evaluate(), "upside"),
        ],
    ),
    "06.4": (
        (3, 1 - math.exp(-4.5)),  # 3 modes; P(|x - centre| <= 3 sd) in 2D = P(chi^2_2 <= 9); other centres 30 sd away
        [
            ((3, 3 / 8), "not the share of modes"),
            ((8, 0.989), "real law"),
            ((3, 0.9973), "three-sigma rule"),
            ((3, 1.0), "not every point"),
            ((0.989, 3), "other order"),
        ],
    ),
    "06.5": (
        momentum_row_by_hand,
        [
            ((1.969, 0.04), "row at step 0"),
            (lambda: (momentum_row_by_hand()[0], 1.0), "count of critic steps"),
            (lambda: (momentum_row_by_hand()[0], 0.2), "not generator steps"),
            ((16.79, 0.0), "optimiser Adam"),
        ],
    ),
    "06.6": (penalised_floor, [(1.0, "take exact_w1")]),
    "07.1": (
        (
            10.0,
            1e-4,
            0.0,
            0.9,
        ),  # Gulrajani et al. (2017), Algorithm 1: lambda = 10, alpha = 1e-4, beta1 = 0, beta2 = 0.9
        [
            ((10.0, 5e-5, 0.0, 0.9), "WGAN's Algorithm 1"),
            ((10.0, 2e-4, 0.5, 0.999), "DCGAN's Adam"),
            ((10.0, 1e-4, 0.9, 0.0), "other order"),
            ((1.0, 1e-4, 0.0, 0.9), "read penalty_weight"),
        ],
    ),
    "07.2": (
        # 16x16 critic: conv 16 -> 8, conv 8 -> 4 with batch norm, conv 4 -> 1: three convolutions, one scale
        (1e4, math.inf),
        [
            ((1e3, math.inf), "batch-norm scales are clipped too"),
            ((1e5, math.inf), "shift beta adds"),
            ((10.0, math.inf), "not linear in c"),
            ((100.0, math.inf), "every batch"),
            ((1e4, 1e4), "gamma are free"),
        ],
    ),
    "07.3": (
        lambda: mlp_over_dcgan_by_hand(16, 1),
        [
            (lambda: mlp_over_dcgan_by_hand(64, 3), "paper's 64x64x3"),
            (lambda: 1 / mlp_over_dcgan_by_hand(16, 1), "other order"),
            (708_352 / (100 * 64 * 16 + 64 * 64 * 16 + 64 * 16), "without batch norm"),  # dcgan-nobn: 64 filters
        ],
    ),
    "07.4": (25 * 100 + 275 * 5, [(1500, "Algorithm 1's schedule"), (1500 + 2500, "replace the 5")]),
    "07.5": (
        (300 // 10, 0.0),  # a row every 10 steps, 150 among them; bitwise equal on a CPU
        [
            ((31, 0.0), "no row at step 0"),
            ((45, 0.0), "twice"),
            ((15, 0.0), "resumed half"),
            ((30, 1e-7), "random stream"),
        ],
    ),
    "07.6": (
        (0.0, math.log(2)),  # (1/2) 2 log(1/2) + log 2 = 0; estimate <= JS <= log 2
        [
            ((0.0, 1.0), "log base 2"),
            ((0.0, 2 * math.log(2)), "forget the 1/2"),
            ((-math.log(2), math.log(2)), "plus log 2"),
            ((math.log(2), math.log(2)), "cannot tell"),
            ((0.0, math.inf), "bounded"),
        ],
    ),
    "08.1": (
        clip_shrink_by_hand,
        [
            (1e4, "family bound"),
            (10.0, "not linear in c"),
            (1e3, "hidden layers only"),
            (lambda: 1 / clip_shrink_by_hand(), "other way round"),
        ],
    ),
    "08.2": (
        lambda: saturation_arrows_by_hand()[0],
        [
            (lambda: saturation_arrows_by_hand()[1], "minimax generator's ratio"),
            (lambda: 1 / saturation_arrows_by_hand()[0], "other way round"),
        ],
    ),
    "08.3": (
        lambda: penalty_pair(lambda w, weight: w + w * w / (2 * weight)),  # s* W, s* = 1 + W / (2 lambda)
        [
            (lambda: penalty_pair(lambda w, weight: w + w * w / (2 * weight))[::-1], "other order"),
            (lambda: penalty_pair(lambda w, weight: w), "W itself"),
            (lambda: penalty_pair(lambda w, weight: w + w * w / weight), "forget the 1/2"),
            (lambda: penalty_pair(lambda w, weight: w * w / (2 * weight)), "bias alone"),
            (lambda: penalty_pair(lambda w, weight: w + w * w / (4 * weight)), "penalised objective"),
        ],
    ),
    "08.4": (
        (1 + 20, 20 * 5),  # step 0 and one frame per tick of run; n_critic = 5 critic steps per tick
        [
            ((20, 100), "step 0"),
            ((20 * 6 + 1, 100), "one frame per press"),
            ((21, 20), "n_critic critic steps"),
            ((21, 120), "updates only"),
            ((100, 21), "other order"),
        ],
    ),
}


def reference(exercise):
    answer = CASES[exercise][0]
    return answer() if callable(answer) else answer


def weight_layers_of(network) -> int:
    return sum(1 for name, _ in network.named_parameters() if name.endswith("weight"))


def family_bound_by_hand(c: float) -> float:
    """prod_l c sqrt(n_(l-1) n_l) over the linear layers of make_critic(), read from the layers' shapes."""
    from wgan_toys.networks import make_critic

    shapes = [p.shape for name, p in make_critic().named_parameters() if name.endswith("weight")]
    return math.prod(c * math.sqrt(rows * columns) for rows, columns in shapes)


def kl_exponent_by_quadrature() -> float:
    """The power of dmu in KL(N(0, 1) || N(dmu, 1)), from KL at dmu = 0.5 and 1 integrated on a grid."""
    x = np.linspace(-12.0, 13.0, 200_001)

    def kl(shift):
        p, q = np.exp(-(x**2) / 2), np.exp(-((x - shift) ** 2) / 2)
        return float(np.sum(p * np.log(p / q)) * (x[1] - x[0]) / math.sqrt(2 * math.pi))

    return math.log(kl(1.0) / kl(0.5)) / math.log(2.0)


def js_exponent_by_quadrature() -> float:
    """The power of theta in JS(N(0, 1), N(theta, 1)) as theta -> 0, from JS at theta = 0.01 and 0.02 integrated
    on a grid (the horizontal part of two blurred parallel lines, whose vertical parts coincide)."""
    x = np.linspace(-12.0, 12.0, 400_001)

    def js(shift):
        p, q = np.exp(-(x**2) / 2), np.exp(-((x - shift) ** 2) / 2)
        m = (p + q) / 2
        return float(np.sum(p * np.log(p / m) + q * np.log(q / m)) * (x[1] - x[0]) / (2 * math.sqrt(2 * math.pi)))

    return math.log(js(0.02) / js(0.01)) / math.log(2.0)


# numbers a "right" message states beside the reference answer, each computed here by its own route:
# exercise -> callable returning the numbers (seeded runs by hand, exact bounds from the layers' shapes)
REPRODUCED = {
    "00.1": lambda: (kl_exponent_by_quadrature(),),  # KL = theta^2 / (2 sigma^2): the horizontal Gaussians' KL
    "00.5": lambda: (js_exponent_by_quadrature(),),  # JS ~ theta^2 / (8 sigma^2), so 1/n^2 on theta = 1/n
    "02.1": lambda: (kl_exponent_by_quadrature(),),
    "04.5": lambda: (12 / 1.1,),  # the naive inversion the message names as not the answer
    "05.3": lambda: tuple(clip_exponent_by_hand(seed) for seed in (1, 2)),
    "06.3": lambda: (math.log(family_bound_by_hand(0.05) / family_bound_by_hand(0.01)) / math.log(5),),
    "07.4": lambda: (reference("07.4") / 1500,),  # against Algorithm 1's 100 x 5 + ... = 1500 critic steps
    "08.1": lambda: (10.0 ** weight_layers_of(lesson_08_session().trainer.critic),),
    "08.2": lambda: saturation_arrows_by_hand()[1:],
    "08.3": lambda: (penalty_pair(lambda w, weight: w + w * w / (2 * weight))[1] / untrained_w1_by_assignment(),),
}

# the tolerance of a checker whose reference is a law and whose message quotes its own seeded measurement
ABSOLUTE_TOLERANCE = {"01.6": 0.25}

# a power (n^-0.94, 10^4), a fold or ratio (16-fold, 762x, 10.3 x W) or a fitted exponent (p = 2.71)
STATED = re.compile(
    r"(?P<base>\d+(?:\.\d+)?)?(?P<bracket>\))?\^\(?(?P<power>-?\d+(?:\.\d+)?)"
    r"|(?P<ratio>\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?:\s?x\b|-fold)"
    r"|\bp = (?P<exponent>-?\d+(?:\.\d+)?)"
)


def stated_numbers(message: str) -> list[tuple[str, float]]:
    """(text, value) of every power, ratio or fitted exponent a message states; a power of a number is its value
    (10^4 is 1e4), a power of a symbol is its exponent (n^-0.94 is -0.94)."""
    found = []
    for match in STATED.finditer(message):
        if match["power"] is not None:
            power = float(match["power"])
            number = match["base"] and not match["bracket"]
            found.append((match[0], float(match["base"]) ** power if number else power))
        else:
            found.append((match[0], float(match["ratio"] or match["exponent"])))
    return found


def flat_numbers(value) -> list[float]:
    if isinstance(value, (tuple, list, np.ndarray)):
        return [number for item in value for number in flat_numbers(item)]
    return [float(value)] if isinstance(value, (int, float, np.floating, np.integer)) else []


def agrees(text: str, stated: float, computed: float, tolerance: float) -> bool:
    """Equal to the digits printed (half a unit of the last one), to 1%, or within the checker's tolerance."""
    mantissa = re.sub(r"e[+-]?\d+$", "", text.split("^")[-1].split("=")[-1].strip(" x()-fold"))
    digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = re.search(r"e([+-]?\d+)$", re.sub(r"(x|-fold)$", "", text.strip()))
    unit = 10.0 ** (-digits + (int(exponent[1]) if exponent else 0))
    return abs(stated - computed) <= max(0.5 * unit, 0.01 * abs(computed), tolerance)


@pytest.mark.parametrize("exercise", sorted(CHECKERS))
def test_right_messages_state_only_numbers_that_the_exercise_reproduces(exercise, capsys):
    """A checker's "right" message may state a power, a ratio or a fitted exponent only if this file reproduces it
    by its own route (the reference answer, or REPRODUCED: seeded runs by hand, exact bounds from the layers'
    shapes), within the checker's tolerance. A law quoted as a measurement (c^4 for a first gradient that scales
    like c^2.7) fails here."""
    verdict = check(exercise, reference(exercise))
    message = capsys.readouterr().out
    assert verdict.status == "right", message
    allowed = flat_numbers(reference(exercise)) + list(REPRODUCED.get(exercise, tuple)())
    tolerance = ABSOLUTE_TOLERANCE.get(exercise, 0.0)
    for text, stated in stated_numbers(message):
        assert any(agrees(text, stated, value, tolerance) for value in allowed), (exercise, text, allowed, message)


def test_stated_numbers_reads_powers_ratios_and_exponents():
    message = "c^4; n^-0.94; 10^4; (0.05/0.01)^4 = 625; 762x; 1.4e+04x; 16-fold; 10.3 x W; p = 2.71; x = 4"
    assert [value for _, value in stated_numbers(message)] == [4.0, -0.94, 1e4, 4.0, 762.0, 1.4e4, 16.0, 10.3, 2.71]
    assert agrees("1.4e+04x", 1.4e4, 14_420.0, 0.0) and not agrees("1.4e+04x", 1.4e4, 15_200.0, 0.0)
    assert agrees("p = 2.71", 2.71, 2.7135, 0.0) and not agrees("c^4", 4.0, 2.7135, 0.0)


def test_every_checker_is_tested():
    assert sorted(CASES) == sorted(CHECKERS)


@pytest.mark.parametrize("exercise", sorted(CHECKERS))
def test_checker_accepts_its_reference(exercise, capsys):
    verdict = check(exercise, reference(exercise), strict=True)
    assert verdict and verdict.status == "right"
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and printed.startswith(f"Exercise {exercise}: right")


@pytest.mark.parametrize("exercise", sorted(CHECKERS))
def test_checker_rejects_plausible_wrong_answers_with_their_hint(exercise, capsys):
    wrong_answers = CASES[exercise][1]
    assert len(wrong_answers) >= 2 or exercise == "06.6"
    for answer, hint in wrong_answers:
        answer = answer() if callable(answer) else answer
        verdict = check(exercise, answer)
        printed = capsys.readouterr().out
        assert not verdict and verdict.status == "wrong", (exercise, answer)
        assert printed.count("\n") == 1 and printed.startswith(f"Exercise {exercise}: not yet: "), printed
        assert hint in printed, (exercise, answer, printed)
        with pytest.raises(WrongAnswer, match=f"Exercise {exercise}: not yet"):
            check(exercise, answer, strict=True)
        capsys.readouterr()


def test_js_range_accepts_log_2_to_three_decimals(capsys):
    """07.6's tolerance (5e-4) takes log 2 typed as 0.693, and still tells it from log base 2 and 2 log 2."""
    assert check("07.6", (0, 0.693))
    assert not check("07.6", (0, 0.69)) and not check("07.6", (0, 1.386))
    capsys.readouterr()


def test_penalised_floor_names_the_missing_half_and_w_itself(capsys):
    """06.6's two wrong answers, W itself and the bias without its 1/2, need the trainer's W: computed once."""
    w, penalty_weight = untrained_w1_and_penalty_weight()
    for answer, hint in (
        (w, "W itself"),
        (w + w * w / penalty_weight, "forget the 1/2"),
        (w * w / (2 * penalty_weight), "bias alone"),
    ):
        assert not check("06.6", answer)
        assert hint in capsys.readouterr().out


@pytest.mark.parametrize("exercise", sorted(CHECKERS))
@pytest.mark.parametrize("unattempted", [None, ...], ids=["None", "Ellipsis"])
def test_unattempted_prints_and_does_not_raise(exercise, unattempted, capsys):
    verdict = check(exercise, unattempted)
    assert capsys.readouterr().out == f"Exercise {exercise}: not attempted yet\n"
    assert verdict.status == "not attempted" and not verdict
    with pytest.raises(WrongAnswer, match="not attempted yet"):
        check(exercise, unattempted, strict=True)


@pytest.mark.parametrize(
    "exercise, answer, error, words",
    [
        ("01.1", "0.69", TypeError, "string"),
        ("01.1", [0.5, 0.6], ValueError, r"(?=.*shape \(2,\))(?=.*one number)"),
        ("01.1", True, TypeError, "boolean"),
        ("01.1", float("nan"), ValueError, "nan"),
        ("01.4", 0.0, ValueError, "tuple of 2 numbers"),
        ("01.4", (0.0, 0.8, 1.0), ValueError, r"shape \(3,\)"),
        ("01.5", "tv", TypeError, "set of names"),
        ("01.5", {"tv", "wasserstein"}, ValueError, "names among"),
        ("03.4", (2, -1), ValueError, "two signs"),
        ("05.5", {0.3}, ValueError, "values among"),
        ("05.8", 0.35, ValueError, "tuple of 2 numbers"),
        ("06.2", "0, 30", TypeError, "list of generator steps"),
        ("06.2", (0, 30.5), ValueError, "whole numbers"),
        ("08.3", 2.0, ValueError, "tuple of 2 numbers"),
        ("08.4", "21", TypeError, "tuple of 2 numbers"),
    ],
)
def test_bad_input_is_refused_by_name(exercise, answer, error, words, capsys):
    """Without ``strict`` a malformed answer prints one line naming the expected shape; with it, it raises."""
    verdict = check(exercise, answer)
    printed = capsys.readouterr().out
    assert verdict.status == "malformed" and not verdict
    assert printed.count("\n") == 1 and printed.startswith(f"Exercise {exercise}: not yet: expected "), printed
    assert re.search(words, printed), printed
    with pytest.raises(error, match=words):
        check(exercise, answer, strict=True)


# answers of the wrong type or shape, as a student might type them: a formula as a string, a half-filled tuple,
# a nested list, a complex number, a boolean, an object that is no number
MALFORMED = ["log 2", (8.07, None), [[1.0, 2.0], [3.0, 4.0]], 1j, True, [None], object()]


@pytest.mark.parametrize("exercise", sorted(CHECKERS))
def test_every_checker_answers_a_malformed_answer_with_one_line(exercise, capsys):
    """Every registered checker, fed each malformed answer, prints one line that says which shape of answer it
    expects (a number, a tuple of n numbers, a set of names ...) and raises nothing; ``strict`` raises a
    MalformedAnswer that is a TypeError or ValueError with the same words."""
    for answer in MALFORMED:
        verdict = check(exercise, answer)
        printed = capsys.readouterr().out
        assert printed.count("\n") == 1, (exercise, answer, printed)
        assert printed.startswith(f"Exercise {exercise}: not yet: expected "), (exercise, answer, printed)
        assert "; the answer given " in printed and "numpy.asarray" not in printed, printed
        assert verdict.status == "malformed" and not verdict, (exercise, answer)
        with pytest.raises(MalformedAnswer) as raised:
            check(exercise, answer, strict=True)
        assert isinstance(raised.value, (TypeError, ValueError))
        assert raised.value.line in printed
        capsys.readouterr()


def test_unknown_exercise_lists_the_checked_ones():
    with pytest.raises(ValueError, match="'04.9', must be one of 00.1, 00.2, 00.3, 00.5, 01.1, "):
        check("04.9", 1.0)


def test_torch_and_numpy_scalars_are_answers(capsys):
    torch = pytest.importorskip("torch")
    assert check("01.1", np.float32(math.log(2)))
    assert check("01.1", torch.tensor(math.log(2), dtype=torch.float64))
    assert check("01.4", np.array([0.0, 0.8]))
    capsys.readouterr()


def test_verdict_shows_nothing_more_in_a_notebook(capsys):
    """The checker prints its line; the returned Verdict displays nothing in IPython (no second line)."""
    verdict = check("01.1", None)
    assert verdict._ipython_display_() is None
    assert capsys.readouterr().out.count("\n") == 1


def test_mmd_closed_form_refuses_unequal_widths():
    with pytest.raises(ValueError, match="must be equal"):
        exercises.mmd_gaussians(Gaussian1D(0, 1), Gaussian1D(0, 2), 0.5)


def test_no_checker_docstring_holds_a_control_character():
    """A ``\\theta`` typed into a string that is not raw becomes a tab and ``heta``: the docstrings that students read
    through ``help(check)`` hold no tab or other control character but the newline."""
    from pathlib import Path

    for path in sorted(Path(exercises.__file__).parent.glob("*.py")):
        text = path.read_text()
        bad = sorted({hex(ord(char)) for char in text if ord(char) < 32 and char != "\n"})
        assert not bad, f"{path.name} holds control characters {bad}"
