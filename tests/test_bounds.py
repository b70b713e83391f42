"""Unbounded work is refused with its reason before it starts: the classroom's sample and grid sizes,
histogram bins, ``verify --only ''`` (which matched every check), WGAN-GP's critic with lambda = 0
(an objective with no maximum). Each of these ran for minutes or was killed by the kernel."""

import numpy as np
import pytest

from wgan_toys.empirical import MAX_HISTOGRAM_CELLS, histogram_distances


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(n_samples=6000), r"^n_samples == 6000, must be <= 2048, .*n x n transport problem"),
        (dict(grid_size=20000), r"^grid_size == 20000, must be <= 400, .*grid_size\*\*2 points"),
        (dict(n_samples=4), r"^n_samples == 4, must be >= 8"),
    ],
)
def test_the_classroom_refuses_sizes_beyond_its_caps_before_building(settings, message, monkeypatch):
    from wgan_toys import classroom

    monkeypatch.setattr(classroom.Classroom, "_build", lambda self: pytest.fail("built before checking"))
    with pytest.raises(ValueError, match=message):
        classroom.Classroom(**settings)


def test_the_classroom_refuses_a_projector_that_is_not_a_boolean():
    from wgan_toys.classroom import Classroom

    with pytest.raises(TypeError, match=r"^projector must be True or False, got 'no'"):  # "no" turned it on
        Classroom(projector="no")


def test_histogram_bins_beyond_the_cell_cap_are_refused_with_the_memory_they_would_take():
    x = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match=r"bins == 1000000000 gives 1e\+18 cells in 2 dimension\(s\).*GiB"):
        histogram_distances(x, x + 1, bins=10**9)  # once allocated 23 GB before the kernel killed it
    with pytest.raises(ValueError, match=r"gives 1\.2e\+07 cells"):
        histogram_distances(x, x + 1, bins=[3000, 4000])
    with pytest.raises(TypeError, match=r"^bins must be an integer or one integer or edge array per axis"):
        histogram_distances(x, x + 1, bins=2.5)
    side = int(MAX_HISTOGRAM_CELLS**0.5)
    assert 0 <= histogram_distances(x, x + 1, bins=[side, side])["tv"] <= 1  # at the cap: computed


@pytest.mark.parametrize("pattern", ["", " ", "*"])
def test_verify_only_that_names_no_check_is_refused(pattern, capsys):
    from wgan_toys.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["verify", "--only", pattern])
    error = capsys.readouterr().err
    assert stop.value.code == 2 and "names no check and would run every one" in error


def test_a_gradient_penalty_of_zero_is_refused_before_training(capsys):
    # ran 47 s and printed 2,774,151 against an exact W1 of 4
    from wgan_toys.cli import main

    flags = ["--mu1", "0", "--sigma1", "1", "--mu2", "4", "--sigma2", "1"]
    with pytest.raises(SystemExit) as stop:
        main(["critic", "gaussians", *flags, "--constraint", "gp", "--penalty-weight", "0"])
    assert stop.value.code == 2 and "leaves the critic unconstrained" in capsys.readouterr().err
