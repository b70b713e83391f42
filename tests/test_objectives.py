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
