"""objectives.py against the textbook formulas it rewrites in stable form (Section 4.2, eq. (3))."""

import math

import pytest
import torch

from wgan_toys.objectives import gan_objective, generator_losses, js_estimate, wasserstein_estimate

torch.set_num_threads(1)
LOGITS_REAL = torch.tensor([-3.0, -0.5, 0.0, 1.5, 4.0], dtype=torch.float64)
LOGITS_FAKE = torch.tensor([-2.0, 0.3, 2.5], dtype=torch.float64)


def test_gan_objective_is_e_log_d_plus_e_log_one_minus_d():
    d_real, d_fake = torch.sigmoid(LOGITS_REAL), torch.sigmoid(LOGITS_FAKE)
    naive = torch.log(d_real).mean() + torch.log(1 - d_fake).mean()
    assert gan_objective(LOGITS_REAL, LOGITS_FAKE).item() == pytest.approx(naive.item(), rel=1e-12)


def test_gan_objective_stays_finite_where_the_naive_formula_gives_minus_infinity():
    far = torch.tensor([-800.0], dtype=torch.float64)
    assert torch.log(torch.sigmoid(far)).item() == -math.inf
    assert gan_objective(far, -far).item() == pytest.approx(-1600.0)


def test_js_estimate_at_the_optimum_is_js():
    # D* = p_r / (p_r + p_g): for equal laws D* = 1/2, L(D*) = -2 log 2, so the estimate is JS = 0
    half = torch.zeros(4, dtype=torch.float64)
    assert js_estimate(gan_objective(half, half)).item() == pytest.approx(0.0, abs=1e-15)
    # a perfect discriminator on disjoint laws: L -> 0, the estimate -> log 2 (Example 1's JS)
    assert js_estimate(gan_objective(torch.tensor([60.0]), torch.tensor([-60.0]))).item() == pytest.approx(math.log(2))


def test_wasserstein_estimate_is_eq_3_and_positive_when_real_scores_higher():
    assert wasserstein_estimate(torch.tensor([2.0, 4.0]), torch.tensor([1.0, 1.0, 1.0])).item() == 2.0


@pytest.mark.parametrize(
    "kind, formula",
    [
        ("wgan", lambda out: -out),
        ("gan-minimax", lambda out: torch.log(1 - torch.sigmoid(out))),
        ("gan-logd", lambda out: -torch.log(torch.sigmoid(out))),
    ],
)
def test_generator_losses_match_their_formulas(kind, formula):
    assert torch.allclose(generator_losses(kind, LOGITS_FAKE), formula(LOGITS_FAKE), rtol=1e-12, atol=1e-15)


def test_an_unknown_generator_loss_is_refused_by_name():
    with pytest.raises(ValueError, match=r"kind == 'gan', must be one of wgan, gan-minimax, gan-logd"):
        generator_losses("gan", LOGITS_FAKE)


# ----- the table of defaults, against the papers (values written here from the sources) -----------
PAPERS = {
    # WGAN, Algorithm 1: "alpha = 0.00005, c = 0.01, m = 64, n_critic = 5", RMSProp
    "wgan": ("rmsprop", 5e-5, None, 5, 0.01, None, 64),
    # WGAN-GP (Gulrajani et al. 2017), Algorithm 1: "lambda = 10, n_critic = 5, alpha = 0.0001, beta1 = 0, beta2 = 0.9"
    "wgan-gp": ("adam", 1e-4, (0.0, 0.9), 5, None, 10.0, 64),
    # the DCGAN baseline (Radford et al. 2016): Adam, learning rate 0.0002, beta1 = 0.5 (beta2 Adam's 0.999)
    "gan-minimax": ("adam", 2e-4, (0.5, 0.999), 1, None, None, 64),
    "gan-logd": ("adam", 2e-4, (0.5, 0.999), 1, None, None, 64),
}
TOYS = {  # the toy defaults as they were before the table (toy_gan.ToyConfig.resolved), unchanged
    "wgan": ("rmsprop", 5e-4, (0.5, 0.9), 5, 0.01, None, 256),
    "wgan-gp": ("adam", 1e-3, (0.5, 0.9), 5, None, 0.1, 256),
    "gan-minimax": ("adam", 1e-3, (0.5, 0.999), 1, None, None, 256),
    "gan-logd": ("adam", 1e-3, (0.5, 0.999), 1, None, None, 256),
}
# networks trained to optimality (train.py), keyed by constraint: Algorithm 1's RMSProp, WGAN-GP's Adam
FITS = {
    "clip": ("rmsprop", 5e-5, None, 1, 0.01, None, 256),
    "gp": ("adam", 1e-4, (0.0, 0.9), 1, None, 10.0, 256),
    "spectral": ("adam", 1e-3, (0.5, 0.9), 1, None, None, 256),
    "none": ("adam", 1e-3, (0.9, 0.999), 1, None, None, 256),
    "discriminator": ("adam", 1e-3, (0.9, 0.999), 1, None, None, 256),
}
FIELDS = ("optimizer", "learning_rate", "betas", "n_critic", "clip_value", "penalty_weight", "batch_size")


@pytest.mark.parametrize("scale, expected", [("paper", PAPERS), ("toy", TOYS), ("fit", FITS)])
def test_each_row_of_the_defaults_table_holds_its_sources_values(scale, expected):
    from wgan_toys.objectives import ALGORITHMS, DEFAULTS, FIT_ROWS, algorithm_defaults

    assert set(DEFAULTS) == {(name, scale) for name in ALGORITHMS for scale in ("paper", "toy")} | {
        (name, "fit") for name in FIT_ROWS
    }
    for name, values in expected.items():
        row = algorithm_defaults(name, scale)
        assert tuple(getattr(row, field) for field in FIELDS) == values, (name, scale)
        assert row.source  # every row cites where its values come from


def test_an_unknown_row_is_refused_listing_the_names():
    from wgan_toys.objectives import algorithm_defaults

    with pytest.raises(ValueError, match=r"algorithm one of 'wgan', 'wgan-gp', 'gan-minimax', 'gan-logd'"):
        algorithm_defaults("gan", "paper")
