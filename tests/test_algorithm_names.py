"""One vocabulary of algorithms (objectives.ALGORITHMS), the same in every trainer and the command:
``wgan``, ``wgan-gp``, ``gan-minimax``, ``gan-logd``. The ambiguous ``gan`` (the minimax loss in the toy,
the -log D trick in the image trainer) is refused everywhere, with the four names in the message.

Which loss each name trains is checked against the textbook formulas in tests/test_objectives.py and
tests/test_toy_gan.py.
"""

import pytest

from wgan_toys.cli import main
from wgan_toys.images.trainer import ImageConfig
from wgan_toys.objectives import ALGORITHMS
from wgan_toys.parallel_lines import learn_parallel_lines
from wgan_toys.runtime import set_threads
from wgan_toys.toy_gan import ToyConfig

set_threads(1)


def test_the_four_names_are_unambiguous():
    assert ALGORITHMS == ("wgan", "wgan-gp", "gan-minimax", "gan-logd")


# ----- unknown names ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["lsgan", "gan"])
@pytest.mark.parametrize("config_class", [ToyConfig, ImageConfig])
def test_an_unknown_name_lists_the_four(config_class, name):
    with pytest.raises(
        ValueError, match=f"algorithm == '{name}', must be one of 'wgan', 'wgan-gp', 'gan-minimax', 'gan-logd'"
    ):
        config_class(algorithm=name)


def test_learn_parallel_lines_takes_the_same_four_names():
    with pytest.raises(ValueError, match="algorithm == 'gan', must be one of 'wgan', 'wgan-gp', 'gan-minimax'"):
        learn_parallel_lines("gan", iterations=1)


@pytest.mark.parametrize("name", ["lsgan", "gan"])
@pytest.mark.parametrize("command", ["toy", "train-images"])
def test_the_command_refuses_an_unknown_name_listing_the_four(command, name, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--algorithm", name])
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert f"invalid choice: '{name}' (choose from 'wgan', 'wgan-gp', 'gan-minimax', 'gan-logd')" in error
