"""A toy run that explodes while staying finite is reported, not a silent exit
0; toy-claims writes an undefined correlation as JSON null, not NaN. (``figure --out DIR`` is
tested in test_errors.py.)"""

import json
import math

import pytest
import torch

from wgan_toys.toy_gan import EXPLOSION_FACTOR, ToyConfig, ToyGAN
from wgan_toys.train import TrainingDivergedError

torch.set_num_threads(1)

SMALL = dict(width=16, batch_size=64, eval_samples=200, iterations=40, log_every=10)


@pytest.mark.parametrize("algorithm", ["wgan-gp", "gan-minimax", "gan-logd"])
@pytest.mark.slow
def test_a_finite_explosion_stops_the_run_after_logging_its_row(algorithm):
    trainer = ToyGAN(ToyConfig(algorithm=algorithm, learning_rate=1e3, **SMALL))
    logged = []
    with pytest.raises(
        TrainingDivergedError,
        match=r"became .* at generator step 10, more than 1000 x .*"
        r"the run exploded .*lower learning_rate \(now 1000\.0\)",
    ):
        trainer.train(callback=logged.append)
    last = trainer.history[-1]
    assert logged == trainer.history and last["generator_step"] == 10  # the exploded row is logged, then the stop
    key = "wasserstein_estimate" if trainer.is_wgan else "js_estimate"
    assert math.isfinite(last["exact_w1"]) and math.isfinite(last[key])  # finite: the NaN check alone missed it
    assert last["exact_w1"] > EXPLOSION_FACTOR * trainer.data_scale


def test_a_parameter_norm_past_the_bound_is_reported_by_name():
    trainer = ToyGAN(ToyConfig(algorithm="wgan-gp", **SMALL))
    with torch.no_grad():  # blow up the critic's hidden layers only: the generator's points stay where they are
        for parameter in list(trainer.critic.parameters())[:-2]:
            parameter.mul_(2 * EXPLOSION_FACTOR)
    with pytest.raises(TrainingDivergedError, match=r"(the critic's parameter norm|wasserstein_estimate\|) became"):
        trainer.train(iterations=0)


def test_a_healthy_run_is_far_inside_the_bounds():
    trainer = ToyGAN(ToyConfig(algorithm="wgan-gp", **SMALL))
    rows = trainer.train()
    assert [row["generator_step"] for row in rows] == [0, 10, 20, 30, 40]
    assert max(row["exact_w1"] for row in rows) < 10 * trainer.data_scale


def test_toy_cli_reports_an_explosion_and_exits_1(tmp_path, capsys):
    from wgan_toys.cli import main

    out = tmp_path / "run"
    status = main(
        [
            "toy",
            "--learning-rate",
            "1e3",
            "--iterations",
            "40",
            "--log-every",
            "10",
            "--eval-samples",
            "200",
            "--width",
            "16",
            "--no-gif",
            "--threads",
            "1",
            "--out",
            str(out),
        ]
    )
    assert status == 1  # was 0, without a word
    error = capsys.readouterr().err
    assert "stopped: the exact W1 became" in error and "the run exploded" in error
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["generator_step"] == 10  # the row that showed it is in the metrics


@pytest.mark.slow
def test_toy_claims_writes_an_undefined_correlation_as_null(tmp_path, capsys):
    from wgan_toys.cli import main

    out = tmp_path / "claims.json"
    # one generator step leaves one logged row after step 0: no correlation is defined
    assert (
        main(
            ["toy-claims", "--iterations", "1", "--log-every", "1", "--seeds", "0", "--threads", "1", "--out", str(out)]
        )
        == 0
    )
    text = out.read_text()
    assert "NaN" not in text  # json.loads accepts NaN; RFC 8259 and most other readers do not
    rows = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
    assert {row["spearman"] for row in rows} == {None} and {row["pearson"] for row in rows} == {None}
    assert all(isinstance(row["final_exact_w1"], float) for row in rows)
    assert f"wrote {out}" in capsys.readouterr().out
