"""ToyGAN (toy_gan), the stepping API that the toy command and the classroom share: one critic or
generator step moves only its network, runs repeat exactly, divergence keeps its history; the
generator's arrows against finite differences; the W1 charts and the toy command."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from wgan_toys.toy_gan import ToyConfig, ToyGAN
from wgan_toys.toys2d import make_dataset
from wgan_toys.train import TrainingDivergedError

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(
        ValueError, match="dataset == 'moons', must be one of '8gaussians', '25gaussians', 'swissroll', '2clusters'"
    ):
        make_dataset("moons")
    with pytest.raises(
        ValueError, match="algorithm == 'lsgan', must be one of 'wgan', 'wgan-gp', 'gan-minimax', 'gan-logd'"
    ):
        ToyGAN(ToyConfig(algorithm="lsgan"))
    with pytest.raises(ValueError, match="clip_value == 0.0, must be > 0"):
        ToyGAN(ToyConfig(algorithm="wgan", clip_value=0.0))


def _parameters(module):
    return torch.cat([p.detach().flatten().clone() for p in module.parameters()])


def small_config(**changes):
    settings = dict(width=32, batch_size=64, eval_samples=200, iterations=10, log_every=5)
    settings.update(changes)
    return ToyConfig(**settings)


def test_critic_step_moves_only_the_critic_and_generator_step_only_the_generator():
    trainer = ToyGAN(small_config())
    critic, generator = _parameters(trainer.critic), _parameters(trainer.generator)
    trainer.critic_step()
    assert not torch.equal(_parameters(trainer.critic), critic)
    assert torch.equal(_parameters(trainer.generator), generator)
    critic = _parameters(trainer.critic)
    trainer.generator_step_update()
    assert torch.equal(_parameters(trainer.critic), critic)
    assert not torch.equal(_parameters(trainer.generator), generator)
    assert (trainer.critic_steps, trainer.generator_step) == (1, 1)
    trainer.iteration()  # n_critic = 5 for WGAN-GP, then one generator step
    assert (trainer.critic_steps, trainer.generator_step) == (6, 2)


def test_generator_step_counts_the_updates_as_in_the_image_trainer():
    import copy

    trainer = ToyGAN(small_config())
    assert isinstance(trainer.generator_step, int) and trainer.generator_step == 0
    for expected in (1, 2):
        trainer.generator_step_update()
        assert trainer.generator_step == expected
    trainer.iteration()
    rows = trainer.train(iterations=2)
    assert trainer.generator_step == 5 and rows[-1]["generator_step"] == 5 and type(rows[-1]["generator_step"]) is int
    assert json.loads(json.dumps({"step": trainer.generator_step})) == {"step": 5}
    assert type(copy.deepcopy(trainer.generator_step)) is int
    trainer.reset()
    assert trainer.generator_step == 0


def test_reset_returns_to_the_same_start_and_runs_repeat_exactly():
    trainer = ToyGAN(small_config(algorithm="wgan"))
    start = _parameters(trainer.generator)
    history = [dict(row) for row in trainer.train()]
    trainer.reset()
    assert torch.equal(_parameters(trainer.generator), start) and trainer.history == []
    again = trainer.train()
    drop = ("wall_seconds", "exact_w1_seconds")
    assert [{k: v for k, v in r.items() if k not in drop} for r in again] == [
        {k: v for k, v in r.items() if k not in drop} for r in history
    ]


def test_train_logs_the_promised_keys_and_clips():
    trainer = ToyGAN(small_config(algorithm="wgan"))
    rows = trainer.train()
    assert [row["generator_step"] for row in rows] == [0, 5, 10]
    assert {"step", "wasserstein_estimate", "exact_w1", "modes_covered", "high_quality_fraction"} <= set(rows[-1])
    assert all(float(p.detach().abs().max()) <= 0.01 for p in trainer.critic.parameters())
    gan_rows = ToyGAN(small_config(algorithm="gan-logd")).train()
    assert "js_estimate" in gan_rows[-1] and "wasserstein_estimate" not in gan_rows[-1]


def test_a_diverging_run_stops_with_a_message_and_keeps_its_history():
    trainer = ToyGAN(small_config(algorithm="gan-minimax", learning_rate=1e30, iterations=50))
    with pytest.raises(TrainingDivergedError, match=r"became .* at generator step \d+ .*lower learning_rate"):
        trainer.train()
    assert len(trainer.history) >= 1


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "wgan_toys", *args], capture_output=True, text=True, timeout=1800
    )  # a hang guard, not a speed limit


@pytest.mark.subprocess
def test_toy_cli_writes_config_metrics_and_figures(tmp_path):
    out = tmp_path / "run"
    result = run_cli(
        "toy",
        "--dataset",
        "8gaussians",
        "--algorithm",
        "wgan-gp",
        "--iterations",
        "20",
        "--log-every",
        "10",
        "--eval-samples",
        "200",
        "--width",
        "32",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    config = json.loads((out / "config.json").read_text())
    assert config["algorithm"] == "wgan-gp" and config["n_critic"] == 5
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [0, 10, 20]
    assert {"step", "wasserstein_estimate", "exact_w1", "modes_covered", "high_quality_fraction"} <= set(rows[-1])
    assert (out / "toy_run.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "samples_over_iterations.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "samples.gif").read_bytes()[:3] == b"GIF"
    assert "of which exact W1 logging" in result.stdout


@pytest.mark.subprocess
def test_toy_cli_diverging_run_exits_1_and_keeps_metrics(tmp_path):
    out = tmp_path / "run"
    result = run_cli(
        "toy",
        "--algorithm",
        "gan-minimax",
        "--learning-rate",
        "1e30",
        "--iterations",
        "30",
        "--log-every",
        "1",
        "--eval-samples",
        "100",
        "--width",
        "16",
        "--no-gif",
        "--out",
        str(out),
    )
    assert result.returncode == 1
    assert "stopped:" in result.stderr and "rows logged so far" in result.stderr
    assert len((out / "metrics.jsonl").read_text().splitlines()) >= 1


@pytest.mark.subprocess
def test_toy_cli_unknown_algorithm_lists_choices():
    result = run_cli("toy", "--algorithm", "lsgan")
    assert result.returncode == 2
    assert "invalid choice: 'lsgan'" in result.stderr
    assert all(name in result.stderr for name in ("gan-minimax", "gan-logd", "wgan", "wgan-gp"))


# ---------------------------------------------------------------- the generator's arrows
def _minus_loss_gradient_by_finite_differences(trainer, points, loss_of_logit, step=1e-6):
    """-d/dx loss(critic(x)) by central differences on a float64 copy of the critic (a small step:
    the ReLU network has kinks, and a wider step straddles them at a few points)."""
    import copy

    critic = copy.deepcopy(trainer.critic).double()

    def loss(x):
        with torch.no_grad():
            return loss_of_logit(critic(torch.as_tensor(x, dtype=torch.float64)).numpy().reshape(-1))

    gradient = np.zeros_like(points)
    for k in range(points.shape[1]):
        shift = np.zeros(points.shape[1])
        shift[k] = step
        gradient[:, k] = -(loss(points + shift) - loss(points - shift)) / (2 * step)
    return gradient


@pytest.mark.parametrize(
    "algorithm, loss_of_logit",
    [
        (
            "gan-minimax",
            lambda logit: np.log1p(-1.0 / (1.0 + np.exp(-logit))),
        ),  # log(1 - D), the minimax generator's loss
        ("gan-logd", lambda logit: -np.log(1.0 / (1.0 + np.exp(-logit)))),  # -log D
        ("wgan-gp", lambda value: -value),  # -f_w
    ],
)
def test_push_is_minus_the_gradient_of_the_loss_the_generator_descends(algorithm, loss_of_logit):
    trainer = ToyGAN(small_config(algorithm=algorithm))
    for _ in range(100):  # a discriminator sure of itself: D(fake) ~ 0.15, so log D and log(1 - D) differ
        trainer.critic_step()
    points = trainer.generated()[:50].astype(float)
    expected = _minus_loss_gradient_by_finite_differences(trainer, points, loss_of_logit)
    pushed = trainer.push(points)
    scale = np.abs(expected).max()
    assert scale > 0
    assert np.allclose(pushed, expected, rtol=1e-3, atol=1e-3 * scale)
    if algorithm == "gan-minimax":  # the check can tell the two GAN losses apart at these points
        other = _minus_loss_gradient_by_finite_differences(
            trainer, points, lambda logit: -np.log(1.0 / (1.0 + np.exp(-logit)))
        )
        assert not np.allclose(other, expected, rtol=0.1, atol=0.1 * scale)


def test_evaluate_logs_the_push_norms_and_the_run_scale_is_their_maximum():
    trainer = ToyGAN(small_config(algorithm="gan-minimax"))
    rows = trainer.train()
    norms = np.linalg.norm(trainer.push(trainer.generated()), axis=1)
    assert rows[-1]["push_norm_median"] <= rows[-1]["push_norm_max"]
    assert trainer.arrow_scale() == max(row["push_norm_max"] for row in rows)
    assert norms.max() > 0


def test_field_plot_draws_every_frame_on_the_runs_scale():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.quiver import Quiver

    from wgan_toys import plots

    trainer = ToyGAN(small_config(algorithm="gan-minimax"))
    trainer.train()
    ax = plots.plot_critic_field(
        trainer, grid_size=12, arrows=20, plan_points=30, arrow_scale=10 * trainer.arrow_scale()
    )
    quiver = next(c for c in ax.collections if isinstance(c, Quiver))
    drawn = np.hypot(quiver.U, quiver.V)
    pushed = np.linalg.norm(trainer.push(trainer.generated()[:20]), axis=1)
    assert np.allclose(
        drawn, pushed / (10 * trainer.arrow_scale()), rtol=1e-5
    )  # not divided by this frame's own maximum
    assert drawn.max() < 0.11
    with pytest.raises(ValueError, match="arrow_scale == 0.0, must be > 0"):
        plots.plot_critic_field(trainer, grid_size=12, arrow_scale=0.0)
    plt.close("all")


# ---------------------------------------------------------------- the sample floor and the W1 charts
def test_sample_floor_is_exact_w1_between_samples_of_one_law_and_falls_with_n():
    import ot
    from scipy.spatial.distance import cdist

    from wgan_toys.runtime import numpy_generator
    from wgan_toys.toys2d import sample_floor

    dataset = make_dataset("8gaussians")
    floor = sample_floor(dataset, 300, repeats=4, seed=1)
    rng = numpy_generator(1)
    for value in floor["values"]:  # the same draws, solved here by ot.emd2 on a scipy cost matrix
        x, y = dataset.sample(300, seed=rng), dataset.sample(300, seed=rng)
        assert value == pytest.approx(ot.emd2(np.full(300, 1 / 300), np.full(300, 1 / 300), cdist(x, y)), rel=1e-9)
    assert floor["low"] <= floor["mean"] <= floor["high"] and floor["low"] > 0.05
    large = sample_floor(dataset, 1200, repeats=3, seed=2)
    assert large["high"] < floor["low"]  # sampling noise shrinks with n; a floor between two different laws would not
    with pytest.raises(ValueError, match="reference has 5 points, must have n == 300"):
        sample_floor(dataset, 300, reference=np.zeros((5, 2)))


def test_a_row_without_an_estimate_key_is_named_in_the_error():
    from wgan_toys.toy_gan import logged_estimate

    assert logged_estimate({"generator_step": 0, "wasserstein_estimate": 1.7}) == ("wasserstein_estimate", 1.7)
    for row in ({"generator_step": 0, "exact_w1": 1.0}, {"generator_step": 0, "critic_estimate": 1.7}):
        with pytest.raises(KeyError, match="none of the estimate keys"):
            logged_estimate(row)


def test_estimate_chart_is_one_axis_with_raw_points_and_filters_only_full_windows():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from wgan_toys import plots

    history = [
        {"generator_step": 10 * i, "wasserstein_estimate": 0.0 if i == 0 else 2.0 - 0.1 * i, "exact_w1": 1.5 - 0.1 * i}
        for i in range(9)
    ]
    floor = {"n": 100, "repeats": 3, "values": [0.1, 0.2, 0.3], "mean": 0.2, "low": 0.1, "high": 0.3}
    fig, ax = plt.subplots()
    plots.plot_estimate_against_exact(history, ax=ax, window=5, floor=floor)
    assert len(fig.axes) == 1  # no second, separately scaled axis
    lines = {line.get_label(): line for line in ax.get_lines()}
    raw = next(
        line for label, line in lines.items() if label.startswith("critic estimate") and label.endswith("logged")
    )
    assert raw.get_ydata()[0] == 0.0  # step 0 drawn as logged
    filtered = next(line for label, line in lines.items() if label.startswith("median of 5")).get_ydata()
    assert np.isnan(filtered[[0, 1, 7, 8]]).all() and np.isfinite(filtered[2:7]).all()
    assert filtered[2] == pytest.approx(np.median([0.0, 1.9, 1.8, 1.7, 1.6]))
    assert any(label.startswith("sample floor") for label in ax.get_legend_handles_labels()[1])
    plt.close(fig)


@pytest.mark.parametrize("algorithm", ["wgan", "wgan-gp", "gan-minimax", "gan-logd"])
def test_resolved_settings_are_what_resolved_fills_in_and_a_given_value_wins(algorithm):
    """ToyConfig.resolved_* (what ToyGAN reads, typed without None) agree with resolved()'s copy, on
    every algorithm's row of objectives.DEFAULTS, and a value the user gave is kept."""
    config = ToyConfig(algorithm=algorithm)
    filled = config.resolved()
    assert (config.resolved_n_critic, config.resolved_learning_rate, config.resolved_critic_optimizer) == (
        filled.n_critic,
        filled.learning_rate,
        filled.critic_optimizer,
    )
    assert None not in (filled.n_critic, filled.learning_rate, filled.critic_optimizer)
    given = ToyConfig(algorithm=algorithm, n_critic=7, learning_rate=3e-4, critic_optimizer="adam")
    assert (given.resolved_n_critic, given.resolved_learning_rate, given.resolved_critic_optimizer) == (7, 3e-4, "adam")


def test_rmsprop_steps_never_point_against_the_gradient_even_when_clipping_bites():
    """Lesson 06 (momentum, Section 4.2): without momentum, RMSProp's step has the ascent direction's sign in every
    coordinate, and projecting onto the box [-c, c], which holds the previous weights, keeps each sign or makes it 0;
    so the negative-cosine share of clipped WGAN with RMSProp is 0 by construction, at a step size where clipping acts."""
    trainer = ToyGAN(small_config(algorithm="wgan", learning_rate=5e-3))
    for _ in range(40):
        trainer.critic_step()
    clip = trainer.config.clip_value
    weights = _parameters(trainer.critic)
    assert (weights.abs() >= clip * (1 - 1e-6)).float().mean() > 0.1  # clipping acts on many weights
    cosines = np.array(trainer._recent["step_cosine"])
    assert np.all(np.isfinite(cosines)) and cosines.min() >= 0.0 and cosines.mean() > 0.1, cosines
    assert trainer.evaluate()["negative_cosine_share"] == 0.0
