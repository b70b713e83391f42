"""A setting is declared once, on its config dataclass (default and constraint) or in the
table of algorithm defaults (objectives.DEFAULTS), and the command and the README agree with it.

For ``train-images`` (ImageConfig) and ``toy`` (ToyConfig), every field must have a flag (apart
from the commented exclusions below), the flag's ``choices`` must be the field's declared options,
and the "(default: X)" that ends its help must be the field's default, or, for a default that
depends on the algorithm, the table's values. The README's table of defaults must be the table, and
the numbers its prose quotes must be the table's.
"""

import dataclasses
import pathlib
import re

import pytest

from wgan_toys._validation import Options
from wgan_toys.cli import build_parser
from wgan_toys.images.trainer import ImageConfig
from wgan_toys.objectives import (
    ALGORITHM_DESCRIPTIONS,
    ALGORITHMS,
    DEFAULTS,
    algorithm_defaults,
    defaults_help,
    defaults_table,
)
from wgan_toys.toy_gan import ToyConfig

README = (
    pathlib.Path(__file__).resolve().parents[1] / "docs" / "guide" / "commands.md"
)  # the book's page on the command

# (command, config, scale of objectives.DEFAULTS)
COMMANDS = [("train-images", ImageConfig, "paper"), ("toy", ToyConfig, "toy")]
# fields with no flag, each with its reason (none today)
NO_FLAG: dict[str, set[str]] = {"train-images": set(), "toy": set()}
# field -> (Defaults field, item of a tuple): the help quotes the table instead of one value
FROM_TABLE = {
    "n_critic": ("n_critic", None),
    "learning_rate": ("learning_rate", None),
    "adam_beta1": ("betas", 0),
    "adam_beta2": ("betas", 1),
    "critic_optimizer": ("optimizer", None),
    "clip_value": ("clip_value", None),
    "penalty_weight": ("penalty_weight", None),
}


def _actions(command: str) -> dict:
    subcommands = next(a for a in build_parser()._actions if a.dest == "command")
    return {action.dest: action for action in subcommands.choices[command]._actions}


def _declared_options(field):
    constraint = field.metadata["constraint"]
    options = [c for c in (constraint if isinstance(constraint, list) else [constraint]) if isinstance(c, Options)]
    return options[0].choices if options else None


def _stated_default(help_text: str) -> str:
    found = re.search(r"\(default: (.*)\)$", " ".join(help_text.split()))
    assert found, f"help {help_text!r} does not end with '(default: ...)'"
    return found.group(1)


def _as_written(value) -> str:
    """A dataclass default as help text writes it, formatted here independently of the package."""
    if isinstance(value, float):
        return repr(value).rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


@pytest.mark.parametrize("command, config, scale", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_field_has_a_flag_with_its_choices_and_default(command, config, scale):
    actions = _actions(command)
    fields = {field.name: field for field in dataclasses.fields(config)}
    assert sorted(set(fields) - set(actions) - NO_FLAG[command]) == []  # a field without a flag
    for name, field in fields.items():
        if name in NO_FLAG[command]:
            continue
        action = actions[name]
        assert action.default is None, f"--{name}: a flag that is not given must leave the field to its default"
        options = _declared_options(field)
        if options is not None and not isinstance(options[0], int):
            assert tuple(action.choices) == tuple(options), f"--{name}: choices differ from the declared options"
        if isinstance(field.default, bool) or (field.default is None and name not in FROM_TABLE):
            assert "default" in action.help, f"--{name}: its help states no default"
            continue
        stated = _stated_default(action.help)
        if name in FROM_TABLE:  # a plain default here (c, lambda) is the table's: test_the_table_drives_...
            table_field, item = FROM_TABLE[name]
            assert stated == defaults_help(table_field, scale, item), f"--{name}: help and objectives.DEFAULTS differ"
        else:
            assert stated == _as_written(field.default), f"--{name}: help says {stated}, the dataclass {field.default}"


def test_the_critic_command_takes_c_and_lambda_from_the_table():
    critic = _actions("critic").get("family").choices["gaussians"]
    defaults = {action.dest: action.default for action in critic._actions}
    assert defaults["clip_value"] == DEFAULTS[("wgan", "paper")].clip_value
    assert defaults["penalty_weight"] == DEFAULTS[("wgan-gp", "paper")].penalty_weight


def test_the_table_drives_the_configs_defaults():
    for algorithm in ALGORITHMS:
        image, toy = ImageConfig(algorithm=algorithm), ToyConfig(algorithm=algorithm).resolved()
        paper, small = algorithm_defaults(algorithm, "paper"), algorithm_defaults(algorithm, "toy")
        assert (image.resolved_n_critic, image.resolved_learning_rate) == (paper.n_critic, paper.learning_rate)
        assert image.resolved_betas == (paper.betas if paper.optimizer == "adam" else None)
        assert (toy.n_critic, toy.learning_rate, toy.critic_optimizer) == (
            small.n_critic,
            small.learning_rate,
            small.optimizer,
        )
    assert (ImageConfig().clip_value, ImageConfig().penalty_weight, ImageConfig().batch_size) == (
        DEFAULTS[("wgan", "paper")].clip_value,
        DEFAULTS[("wgan-gp", "paper")].penalty_weight,
        DEFAULTS[("wgan", "paper")].batch_size,
    )
    assert (ToyConfig().clip_value, ToyConfig().penalty_weight, ToyConfig().batch_size) == (
        DEFAULTS[("wgan", "toy")].clip_value,
        DEFAULTS[("wgan-gp", "toy")].penalty_weight,
        DEFAULTS[("wgan-gp", "toy")].batch_size,
    )


# ----- the README quotes the table ---------------------------------------------------------------
def test_the_readme_table_is_the_table():
    text = README.read_text()
    for name, description in ALGORITHM_DESCRIPTIONS.items():
        assert f"- `{name}`: {description}.\n" in text, (
            f"docs/guide/commands.md's line on {name} differs from ALGORITHM_DESCRIPTIONS"
        )
    found = re.search(r"<!-- defaults table: begin.*?-->\n(.*?)\n<!-- defaults table: end -->", text, re.S)
    assert found, (
        "docs/guide/commands.md lost the block <!-- defaults table: begin ... --> ... <!-- defaults table: end -->"
    )
    assert found.group(1) == defaults_table(), (
        "docs/guide/commands.md's table of defaults differs from objectives.DEFAULTS; paste the output of "
        "python -c 'from wgan_toys.objectives import defaults_table; print(defaults_table())'"
    )


def test_the_readme_prose_quotes_the_tables_numbers():
    text = " ".join(README.read_text().split())
    wgan, gp, logd = (algorithm_defaults(name, "paper") for name in ("wgan", "wgan-gp", "gan-logd"))
    toy_wgan, toy_gp = algorithm_defaults("wgan", "toy"), algorithm_defaults("wgan-gp", "toy")
    # the image trainer's paragraph
    found = re.search(
        r"trains Algorithm 1 \(RMSProp, alpha = (\S+), c = (\S+) on every critic parameter, m = (\d+), n_critic = (\d+)\)",
        text,
    )
    assert found, (
        "docs/guide/commands.md lost the sentence 'trains Algorithm 1 (RMSProp, alpha = ..., c = ..., m = ..., n_critic = ...)'"
    )
    assert (float(found[1]), float(found[2]), int(found[3]), int(found[4])) == (
        wgan.learning_rate,
        wgan.clip_value,
        wgan.batch_size,
        wgan.n_critic,
    )
    # its choices
    found = re.search(
        r"-log D trick, Adam (\S+), beta1 (\S+); WGAN-GP uses Adam (\S+), betas \((\S+), (\S+)\), lambda (\S+) and",
        text,
    )
    assert found, (
        "docs/guide/commands.md lost the sentence on --algorithm's choices (the GAN's Adam ..., WGAN-GP's Adam ...)"
    )
    assert tuple(map(float, found.groups())) == (
        logd.learning_rate,
        logd.betas[0],
        gp.learning_rate,
        *gp.betas,
        gp.penalty_weight,
    )
    # the critic command: "as Algorithm 1" and "as WGAN-GP" must be the table's paper rows
    found = re.search(
        r"`--constraint clip` \(c, RMSProp (\S+) as Algorithm 1\), `gp` \(lambda, Adam (\S+) with betas \((\S+), (\S+)\) as WGAN-GP\)",
        text,
    )
    assert found, (
        "docs/guide/commands.md lost the sentence on `critic --constraint clip` (RMSProp ... as Algorithm 1) and `gp`"
    )
    assert tuple(map(float, found.groups())) == (wgan.learning_rate, gp.learning_rate, *gp.betas)
    assert (wgan.optimizer, gp.optimizer) == ("rmsprop", "adam")
    # the toys
    found = re.search(r"The toy defaults use a learning rate of (\S+) \((\S+) for clipped WGAN", text)
    assert found, (
        "docs/guide/commands.md lost the sentence 'The toy defaults use a learning rate of ... (... for clipped WGAN'"
    )
    assert (float(found[1]), float(found[2])) == (toy_gp.learning_rate, toy_wgan.learning_rate)
    assert "--algorithm wgan | wgan-gp | gan-minimax | gan-logd" in text
