"""The exercise checkers (issue 14, item 2): each accepts its reference answer, computed here independently of
the checker where a second route exists (a formula worked by hand, quadrature instead of a closed form), and
rejects plausible wrong answers with the hint that names the mistake; an unattempted answer prints one line and
does not raise; ``strict=True`` raises on anything but a right answer; bad input is refused by name."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from wgan_toys import exercises
from wgan_toys.distances import js_divergence_quadrature
from wgan_toys.distributions import Gaussian1D
from wgan_toys.exercises import CHECKERS, WrongAnswer, check
from wgan_toys.runtime import set_threads


@pytest.fixture(autouse=True)
def one_thread():
    set_threads(1)


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


def untrained_w1_and_penalty_weight() -> tuple[float, float]:
    from wgan_toys.toy_gan import ToyConfig, ToyGAN

    trainer = ToyGAN(ToyConfig(dataset="8gaussians", algorithm="wgan-gp", seed=0))
    return trainer.evaluate()["exact_w1"], trainer.config.penalty_weight


def penalised_floor() -> float:
    w, penalty_weight = untrained_w1_and_penalty_weight()
    return w + w * w / (2 * penalty_weight)  # max over s of s W - lambda (s - 1)^2


def deep_clipped_feature_slope_by_hand() -> float:
    """max_j |dh_j/dx| at x = 0 of the last hidden layer of make_critic(depth=8) (seed 0) clipped to +-0.001, by numpy in
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


# exercise -> (reference answer, worked independently of the checker; [(wrong answer, words of its hint), ...])
CASES = {
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
    "03.3": (16.0, [(2.0, "not linear in c"), (8.0, "output layer"), (1.0, "does depend on c")]),
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
    "05.3": (4, [(3, "output layer"), (1, "not linear in c")]),
    "05.5": ({-0.5}, [(set(), "other side"), ({-0.5, 2.0}, "still an optimal critic"), ({0.25, -0.5}, "same side")]),
    "06.6": (penalised_floor, [(1.0, "take exact_w1")]),
    "07.4": (25 * 100 + 275 * 5, [(1500, "Algorithm 1's schedule"), (1500 + 2500, "replace the 5")]),
}


def reference(exercise):
    answer = CASES[exercise][0]
    return answer() if callable(answer) else answer


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
        ("01.1", [0.5, 0.6], ValueError, r"shape \(2,\), must be one number"),
        ("01.1", True, TypeError, "boolean"),
        ("01.1", float("nan"), ValueError, "nan"),
        ("01.4", 0.0, ValueError, "tuple of 2 numbers"),
        ("01.4", (0.0, 0.8, 1.0), ValueError, r"shape \(3,\)"),
        ("01.5", "tv", TypeError, "set of names"),
        ("01.5", {"tv", "wasserstein"}, ValueError, "names among"),
        ("03.4", (2, -1), ValueError, "two signs"),
        ("05.5", {0.3}, ValueError, "values among"),
    ],
)
def test_bad_input_is_refused_by_name(exercise, answer, error, words):
    with pytest.raises(error, match=words):
        check(exercise, answer)


def test_unknown_exercise_lists_the_checked_ones():
    with pytest.raises(ValueError, match="'04.9', must be one of 01.1, "):
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
