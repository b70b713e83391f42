"""Bad input gets a ValueError or TypeError that names the parameter, its value and the range."""

import numpy as np
import pytest

from wgan_toys import Discrete1D, Gaussian1D, ParallelLines, Uniform1D
from wgan_toys.empirical import histogram_distances, wasserstein_1_samples
from wgan_toys.runtime import numpy_generator, resolve_device
from wgan_toys.transport import exact_transport


@pytest.mark.parametrize("std", [0.0, -1.0])
def test_non_positive_std(std):
    with pytest.raises(ValueError, match=rf"std == {std}, must be > 0"):
        Gaussian1D(0.0, std)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_parameters(value):
    with pytest.raises(ValueError, match="mean == .*, must be a finite real number"):
        Gaussian1D(value, 1.0)
    with pytest.raises(ValueError, match="theta == .*, must be a finite real number"):
        ParallelLines(value)


def test_wrong_types():
    with pytest.raises(TypeError, match="std must be a real number, got '1'"):
        Gaussian1D(0.0, "1")
    with pytest.raises(TypeError, match="theta must be a real number"):
        ParallelLines(True)
    with pytest.raises(TypeError, match="seed must be an int, None or a generator"):
        numpy_generator(1.5)
    with pytest.raises(ValueError, match="seed == -1, must be >= 0"):
        numpy_generator(-1)


def test_uniform_bounds_and_sample_counts():
    with pytest.raises(ValueError, match="high == 0.0, must be > low == 1.0"):
        Uniform1D(1.0, 0.0)
    with pytest.raises(ValueError, match="n == 0, must be >= 1"):
        Gaussian1D(0, 1).sample(0)


def test_empty_and_nan_samples():
    with pytest.raises(ValueError, match="x is empty"):
        wasserstein_1_samples([], [1.0])
    with pytest.raises(ValueError, match="y holds 1 NaN or infinite values"):
        wasserstein_1_samples([0.0, 1.0], [np.nan, 1.0])
    with pytest.raises(ValueError, match="points is empty"):
        Discrete1D([])


def test_mismatched_shapes():
    with pytest.raises(ValueError, match="y has dimension 3, must have dimension 2"):
        wasserstein_1_samples(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"source_weights has shape \(2,\), must be \(3,\)"):
        exact_transport(np.zeros(3), np.zeros(3), [0.5, 0.5])
    with pytest.raises(ValueError, match="x has shape"):
        histogram_distances(np.zeros((2, 2, 2)), np.zeros((2, 2)))


def test_negative_or_unnormalised_weights():
    with pytest.raises(ValueError, match="weights has minimum -0.5, all weights must be >= 0"):
        Discrete1D([0.0, 1.0], [1.5, -0.5])
    with pytest.raises(ValueError, match=r"x_weights sums to 2.0, must sum to 1 .* pass x_weights / x_weights.sum\(\)"):
        wasserstein_1_samples([0.0, 1.0], [0.0, 1.0], x_weights=[1.0, 1.0])


def test_missing_cuda_says_how_to_install():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU; the error only appears without one")
    with pytest.raises(ValueError, match="device == 'cuda' but this torch sees no CUDA GPU; install a CUDA build"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="device == 'tpu', must be 'auto', 'cpu'"):
        resolve_device("tpu")
    assert resolve_device("auto").type in {"cpu", "mps"}


def test_cli_accepts_negative_numbers_in_scientific_notation(capsys):
    """'--theta -1e-3' was refused with 'expected one argument'."""
    import json

    from wgan_toys.cli import main

    assert main(["distances", "parallel-lines", "--theta", "-1e-3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["em"] == pytest.approx(1e-3, rel=1e-12)
    assert (
        main(["distances", "gaussians", "--mu1", "-2.5e2", "--sigma1", "1", "--mu2", "0", "--sigma2", "1", "--json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["em"] == pytest.approx(250.0, rel=1e-12)


def test_cli_unwritable_output_is_one_line_and_exit_1(tmp_path, capsys):
    """An OSError (here: --out inside a regular file) ends in one line, exit status 1."""
    from wgan_toys.cli import main

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SystemExit) as stop:
        main(["figure", "1", "--out", str(blocker / "figure.png")])
    assert stop.value.code == 1
    message = capsys.readouterr().err.strip()
    assert message.startswith("wgan-toys figure: error:") and "check the path" in message and "\n" not in message


def test_figure_out_must_name_an_image_file_before_any_computing(tmp_path, capsys):
    """'--out DIR' said 'wrote DIR' but wrote DIR.png."""
    from wgan_toys.cli import main

    for bad in (str(tmp_path), str(tmp_path / "figure")):
        with pytest.raises(SystemExit) as stop:
            main(["figure", "1", "--out", bad])
        assert stop.value.code == 2
        error = capsys.readouterr().err
        assert "--out ==" in error and ".png, .pdf, .svg" in error
    assert not (tmp_path / "figure.png").exists()
