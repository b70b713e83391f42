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


# --- lesson 08: the lesson's classroom (256 samples, seed 0) driven through its trainer, measured here by hand ---


def lesson_08_session(**settings):
    from wgan_toys.classroom import Classroom

    return Classroom(n_samples=256, **settings)


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


def penalty_pair(bias) -> tuple[float, float]:
    w = untrained_w1_by_assignment()
    return tuple(bias(w, weight) for weight in (10.0, 0.1))


# exercise -> (reference answer, worked independently of the checker; [(wrong answer, words of its hint), ...])
CASES = {
    "01.1": (math.log(2), [(0.0, "equal to 0"), (1.0, "log base 2"), (2 * math.log(2), "forget the 1/2")]),
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
    "04.5": (
        # W + W^2/20 = E and W + W^2/40 = E (the penalised loss), solved by the quadratic formula
        (
            (math.sqrt(100 + 240) - 10) / (math.sqrt(100 + 22) - 10),
            (math.sqrt(400 + 480) - 20) / (math.sqrt(400 + 44) - 20),
        ),
        [((12 / 1.1, 9.02), "invert E = W + W^2/20"), ((8.07, 8.07), "not the gap"), ((9.02, 9.02), "penalised loss")],
    ),
    "05.3": (4, [(3, "output layer"), (1, "not linear in c")]),
    "05.5": ({-0.5}, [(set(), "other side"), ({-0.5, 2.0}, "still an optimal critic"), ({0.25, -0.5}, "same side")]),
    "06.6": (penalised_floor, [(1.0, "take exact_w1")]),
    "07.4": (25 * 100 + 275 * 5, [(1500, "Algorithm 1's schedule"), (1500 + 2500, "replace the 5")]),
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
        ("08.3", 2.0, ValueError, "tuple of 2 numbers"),
        ("08.4", "21", TypeError, "tuple of 2 numbers"),
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
