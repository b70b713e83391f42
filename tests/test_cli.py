"""The wgan-toys command: distances (text and RFC 8259 JSON), figures, verify, errors."""

import json
import math
import re
import subprocess
import sys

import pytest

from wgan_toys import LOG_2
from wgan_toys.cli import main


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "wgan_toys", *args], capture_output=True, text=True, timeout=1800
    )  # a hang guard, not a speed limit


@pytest.mark.subprocess
def test_parallel_lines_json_is_one_strict_json_object():
    result = run("distances", "parallel-lines", "--theta", "0.5", "--json")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"non-RFC 8259 constant {name}"))
    assert values == {"tv": 1.0, "kl": "inf", "kl_reverse": "inf", "js": LOG_2, "em": 0.5}
    assert result.stdout.count("\n") == 1


def test_gaussians_json_values(capsys):
    assert main(["distances", "gaussians", "--mu1", "0", "--sigma1", "1", "--mu2", "4", "--sigma2", "1", "--json"]) == 0
    values = json.loads(capsys.readouterr().out)
    assert set(values) == {"tv", "kl", "kl_reverse", "js", "em"}
    assert values["em"] == 4.0 and values["kl"] == 8.0 and values["kl_reverse"] == 8.0
    assert values["tv"] == pytest.approx(math.erf(4 / (2 * math.sqrt(2))), rel=1e-14)


def test_text_output_names_every_distance(capsys):
    assert main(["distances", "parallel-lines", "--theta", "0"]) == 0
    out = capsys.readouterr().out
    for label in ("total variation", "KL(P || Q)", "KL(Q || P)", "JS(P, Q)", "Wasserstein-1"):
        assert label in out


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["distances", "gaussians", "--mu1", "0", "--sigma1", "0", "--mu2", "1", "--sigma2", "1"],
            "--sigma1 == 0.0, must be > 0",
        ),
        (
            ["distances", "gaussians", "--mu1", "nan", "--sigma1", "1", "--mu2", "1", "--sigma2", "1"],
            "--mu1 == nan, must be a finite real number",
        ),
        (["distances", "parallel-lines", "--theta", "inf"], "--theta == inf, must be a finite real number"),
        (["distances", "parallel-lines", "--theta", "abc"], "'abc' is not a number"),
    ],
)
@pytest.mark.subprocess
def test_bad_input_exits_2_with_the_parameter_named(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.subprocess
def test_figure_1_writes_a_png(tmp_path):
    out = tmp_path / "sub" / "figure_1.png"
    result = run("figure", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_figure_2_trains_in_the_command_and_draws_the_trained_networks(tmp_path, monkeypatch):
    """The figure trains nothing; ``wgan-toys figure 2`` trains a discriminator and a clipped critic
    (seed 0) and hands them to plots.figure_2, which fits K to that very critic."""
    import matplotlib

    matplotlib.use("Agg")
    from wgan_toys import plots, train
    from wgan_toys.cli import main

    trained, drawn = {}, {}
    for name in ("train_critic", "train_discriminator"):
        real_function = getattr(train, name)
        monkeypatch.setattr(train, name, lambda *a, _f=real_function, _n=name, **k: trained.setdefault(_n, _f(*a, **k)))
    figure_2 = plots.figure_2
    monkeypatch.setattr(plots, "figure_2", lambda *a, **k: drawn.setdefault("fig", figure_2(*a, **k)))
    out = tmp_path / "figure_2.png"
    assert main(["figure", "2", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert trained["train_critic"].constraint.startswith("weight clipping")
    fit = drawn["fig"].fit
    # the figure's K fits the critic the command trained: K W is its estimate (to the fit's accuracy)
    assert fit["k_fit"] * 4.0 == pytest.approx(trained["train_critic"].estimate, rel=0.05)


@pytest.mark.slow
def test_verify_passes_and_prints_each_row_with_its_time(capsys):
    # in-process, so that the networks it trains are the ones test_verify's mutation tests reuse on
    # this worker (verify caches them); the console script itself is run by the other CLI tests
    code = main(["verify"])
    stdout = capsys.readouterr().out
    assert code == 0, stdout
    assert "FAIL" not in stdout
    assert "Example 1 at theta = 1e-06" in stdout and "Theorem 2" in stdout and "measured:" in stdout
    assert re.search(r"^PASS +\d+\.\d\d s  Example 1", stdout, re.MULTILINE)  # status, seconds, claim
    assert "not run (slow" in stdout and "mode_coverage" in stdout
    assert re.search(r"\d+ passed, 0 failed, 0 info \(undecided, not a pass\) in \d+\.\d s$", stdout.rstrip())


def test_verify_list_and_only(capsys):
    assert main(["verify", "--list"]) == 0
    listing = capsys.readouterr().out
    assert "example_1" in listing and "theorem_3" in listing and re.search(r"mode_coverage +slow", listing)
    assert main(["verify", "--only", "theorem_2_seq*"]) == 0
    out = capsys.readouterr().out
    assert (
        "Theorem 2" in out
        and "Example 1" not in out
        and out.rstrip().rsplit(" in ", 1)[0].endswith("4 passed, 0 failed, 0 info (undecided, not a pass)")
    )
    with pytest.raises(SystemExit) as exit_info:
        main(["verify", "--only", "no-such-check"])
    assert exit_info.value.code == 2
    assert "--only == 'no-such-check' matches no check" in capsys.readouterr().err


def test_verify_exits_1_when_a_claim_fails(monkeypatch, capsys):
    from wgan_toys import verify

    def failing():
        yield verify.CheckResult("a false claim", "1", "2", False)

    # one real check beside the false one (the whole table runs in the test above)
    monkeypatch.setattr(
        verify,
        "CHECKS",
        [verify.Check("theorem_2_sequences", verify.theorem_2_sequences), verify.Check("failing", failing)],
    )
    assert main(["verify"]) == 1
    out = capsys.readouterr().out
    assert "a false claim" in out and "FAIL" in out and "Theorem 2" in out
    assert out.rstrip().rsplit(" in ", 1)[0].endswith("4 passed, 1 failed, 0 info (undecided, not a pass)")


@pytest.mark.subprocess
def test_critic_json_report():
    result = run(
        "critic",
        "gaussians",
        "--mu1",
        "0",
        "--sigma1",
        "0.5",
        "--mu2",
        "4",
        "--sigma2",
        "0.5",
        "--constraint",
        "spectral",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"estimate", "exact_em", "effective_slope", "max_grad_norm", "steps", "seconds"} <= set(report)
    assert report["exact_em"] == 4.0
    assert report["effective_slope"] == pytest.approx(1.0, abs=0.02)  # spectral normalisation: slope 1
    assert report["estimate"] <= report["max_grad_norm"] * report["exact_em"] * 1.01


@pytest.mark.slow
def test_critic_gp_lands_on_the_exact_penalized_optimum(capsys):
    # N(0, 0.5^2) against N(0, 1.5^2), lambda = 10: the exact maximiser over all critics gives
    # 0.8581, the linear lower bound W + W^2/(2 lambda) 0.8297 (3.3% lower). A converged critic,
    # its gap integrated against the densities, lands within 1.5% of the exact value (seeds 0-3
    # measured 0.8588, 0.8519, 0.8617, 0.8540): a report of the linear bound, or of a slope with
    # D / (lambda rho) in place of D / (2 lambda rho) (0.918), falls outside.
    assert (
        main(
            [
                "critic",
                "gaussians",
                "--mu1",
                "0",
                "--sigma1",
                "0.5",
                "--mu2",
                "0",
                "--sigma2",
                "1.5",
                "--constraint",
                "gp",
                "--penalty-weight",
                "10",
                "--seed",
                "0",
                "--threads",
                "1",
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["converged"] is True
    assert report["exact_penalized_estimate"] == pytest.approx(
        0.858, abs=1e-3
    )  # by the discretised check in test_optimal
    assert report["exact_penalized_estimate"] > 1.03 * report["linear_lower_bound"]
    assert report["estimate_exact_expectation"] == pytest.approx(report["exact_penalized_estimate"], rel=0.015)
    assert report["estimate_exact_expectation"] > report["linear_lower_bound"]


@pytest.mark.slow
def test_critic_help_states_the_share_of_the_gp_bias_recovered_at_small_lambda(capsys):
    """``critic gaussians --penalty-weight``'s help states the fraction of the exact optimum's bias above W
    that a trained critic recovers at small lambda; the report's bias_share reproduces it on the pair the
    help names (N(0,1) vs N(0,3^2), lambda = 1: exact 4.004, linear bound 2.869, trained 3.702 at seed 0)."""
    from wgan_toys.cli import GP_BIAS_SHARE, GP_BIAS_SHARE_HELP, build_parser

    flags = [
        "--mu1",
        "0",
        "--sigma1",
        "1",
        "--mu2",
        "0",
        "--sigma2",
        "3",
        "--constraint",
        "gp",
        "--penalty-weight",
        "1",
    ]
    assert main(["critic", "gaussians", *flags, "--seed", "0", "--threads", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["converged"] is True
    assert report["exact_penalized_estimate"] == pytest.approx(4.004, abs=1e-3)
    assert GP_BIAS_SHARE[0] <= report["bias_share"] <= GP_BIAS_SHARE[1], report["bias_share"]
    linear_share = (report["linear_lower_bound"] - report["exact_em"]) / (
        report["exact_penalized_estimate"] - report["exact_em"]
    )
    assert f"({linear_share:.2f})" in GP_BIAS_SHARE_HELP
    critic_help = build_parser()._subparsers._group_actions[0].choices["critic"]
    gaussians_help = " ".join(critic_help._subparsers._group_actions[0].choices["gaussians"].format_help().split())
    assert " ".join(GP_BIAS_SHARE_HELP.split()) in gaussians_help


@pytest.mark.slow
def test_critic_reports_no_penalized_optimum_for_other_methods(capsys):
    assert (
        main(
            [
                "critic",
                "gaussians",
                "--mu1",
                "0",
                "--sigma1",
                "0.5",
                "--mu2",
                "1",
                "--sigma2",
                "0.5",
                "--constraint",
                "spectral",
                "--threads",
                "1",
                "--json",
            ]
        )
        == 0
    )
    assert "exact_penalized_estimate" not in json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_discriminator_json_report(capsys):
    assert (
        main(["discriminator", "gaussians", "--mu1", "0", "--sigma1", "0.5", "--mu2", "4", "--sigma2", "0.5", "--json"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert {"js_lower_bound", "js_estimate_samples", "exact_js", "max_abs_error_vs_optimal", "steps", "seconds"} <= set(
        report
    )
    # the bound is integrated against the densities: it cannot exceed JS (Section 4.2)
    assert report["exact_js"] - 0.01 <= report["js_lower_bound"] <= report["exact_js"]
    assert abs(report["js_estimate_samples"] - report["exact_js"]) < 0.02  # held-out samples: an estimate, either side
    assert report["max_abs_error_vs_optimal"] < 0.02


def test_discriminator_bound_stays_below_js_where_the_sample_estimate_does_not(capsys):
    # seed 3 on this pair: held-out sample estimate 0.6342 above JS = 0.6327; bound 0.6313
    assert (
        main(
            [
                "discriminator",
                "gaussians",
                "--mu1",
                "0",
                "--sigma1",
                "1",
                "--mu2",
                "4",
                "--sigma2",
                "1",
                "--seed",
                "3",
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["js_lower_bound"] <= report["exact_js"] < report["js_estimate_samples"]


@pytest.mark.subprocess
def test_critic_bad_clip_value():
    result = run(
        "critic", "gaussians", "--mu1", "0", "--sigma1", "1", "--mu2", "4", "--sigma2", "1", "--clip-value", "-0.01"
    )
    assert result.returncode == 2
    assert "--clip-value == -0.01, must be > 0 (the paper uses c = 0.01)" in result.stderr


@pytest.mark.slow  # seconds of CPU: trains or runs a command end to end
@pytest.mark.parametrize("command", ["critic", "discriminator"])
def test_a_pair_at_a_scale_float32_cannot_train_is_one_line_not_a_zero_estimate(command):
    """At sigma = 1e-30 both fits reported an estimate of 0 as converged; the command now says why not."""
    result = run(
        command, "gaussians", "--mu1", "0", "--sigma1", "1e-30", "--mu2", "2e-30", "--sigma2", "1e-30", "--json"
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "must be in [0.001, 1e+15]" in result.stderr


def test_toy_claims_refuses_an_unwritable_out_before_computing(tmp_path, monkeypatch, capsys):
    """Minutes of runs must not be lost to a table that cannot be written."""
    import wgan_toys.toy_gan as toy_gan

    monkeypatch.setattr(toy_gan, "claims_table", lambda **kwargs: pytest.fail("computed before checking --out"))
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(SystemExit) as stopped:
        main(["toy-claims", "--seeds", "0", "--threads", "1", "--out", str(blocker / "claims.json")])
    assert stopped.value.code == 1 and "check the path" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        main(["toy-claims", "--seeds", "0", "--threads", "1", "--out", str(tmp_path)])
    assert stopped.value.code == 1


def test_toy_claims_refuses_bad_settings_before_printing_its_header(tmp_path, monkeypatch, capsys):
    """A value the runs would refuse stops the command before its table's header or any run."""
    import wgan_toys.toy_gan as toy_gan

    monkeypatch.setattr(toy_gan, "claims_table", lambda **kwargs: pytest.fail("computed before checking settings"))
    for flag, value in (("--iterations", "-5"), ("--log-every", "0")):
        with pytest.raises(SystemExit) as stopped:
            main(["toy-claims", flag, value, "--seeds", "0", "--threads", "1", "--out", str(tmp_path / "t.json")])
        printed = capsys.readouterr()
        assert stopped.value.code == 2 and f"{flag} == {value}" in printed.err and printed.out == ""


@pytest.mark.slow
def test_toy_claims_prints_one_row_per_run_and_writes_the_table(tmp_path, capsys):
    out = tmp_path / "sub" / "claims.json"
    assert (
        main(
            ["toy-claims", "--iterations", "2", "--log-every", "1", "--seeds", "0", "--threads", "1", "--out", str(out)]
        )
        == 0
    )
    printed = capsys.readouterr().out.splitlines()
    rows = json.loads(out.read_text())
    assert len(rows) == 5  # wgan-gp, wgan, gan, gan-logd, and wgan with Adam, for one seed
    assert [line.split()[0] for line in printed[1:6]] == [row["algorithm"].split()[0] for row in rows]
    assert rows[-1]["algorithm"] == "wgan (adam critic)"


def test_toy_summary_reads_a_metrics_row():
    from wgan_toys.cli.toys import toy_fields

    row = {"generator_step": 20, "wasserstein_estimate": 0.4321, "exact_w1": 0.5, "modes_covered": 7}
    expected = {"estimate": "0.4321", "exact W1": "0.5000", "modes": "7/8"}
    assert toy_fields(row, 8) == expected
    gan = {"generator_step": 20, "js_estimate": 0.25, "exact_w1": 0.5}
    assert toy_fields(gan, 8) == {"estimate": "0.2500", "exact W1": "0.5000"}
