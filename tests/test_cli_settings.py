"""A setting is declared once, on its config dataclass (default, constraint and help) or in the
table of algorithm defaults (objectives.DEFAULTS), and the command and the README agree with it.

The flags of ``train-images`` (ImageConfig), ``toy`` (ToyConfig), ``critic gaussians`` and
``discriminator gaussians`` (FitSettings and NetworkShape) are made from the fields
(wgan_toys.cli.settings). What is checked here against the dataclass, with values written here:
every field has exactly one flag and every flag beyond the command's own is a field's; a flag not
given leaves the field to its default; a flag given reaches the field with its type; the help
states the default (the field's, or the table's for a default that depends on the algorithm) and
the range; the choices are the declared options; a value out of range is refused naming the flag
and the range; a library message names each command's own flags. One tiny-run preset per config (``smoke()``) serves the command, section4 and the
tests. The README's table of defaults must be the table, and the numbers its prose quotes must be
the table's.
"""

import argparse
import dataclasses
import numbers
import pathlib
import re

import pytest

from wgan_toys._validation import Boolean, Interval, Options, Text
from wgan_toys.cli import build_parser, main
from wgan_toys.cli.common import API_TO_FLAGS, one_line
from wgan_toys.fit_settings import FitSettings, NetworkShape
from wgan_toys.images.config import ImageConfig
from wgan_toys.objectives import (
    ALGORITHM_DESCRIPTIONS,
    ALGORITHMS,
    DEFAULTS,
    algorithm_defaults,
    defaults_help,
    defaults_table,
)
from wgan_toys.toy_config import ToyConfig

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "docs" / "guide" / "commands.md"  # the book's page on the command

GAUSSIANS = ["--mu1", "0", "--sigma1", "1", "--mu2", "1", "--sigma2", "1"]
TRAINED = {"help", "mu1", "sigma1", "mu2", "sigma2", "threads", "json"}  # critic and discriminator
# (command, configs, scale of objectives.DEFAULTS, the command's own flags, flags a run needs)
COMMANDS = [
    ("train-images", (ImageConfig,), "paper", {"help", "out", "resume", "overwrite", "smoke"}, ["--smoke"]),
    ("toy", (ToyConfig,), "toy", {"help", "out", "no_gif", "smoke", "overwrite", "threads"}, ["--threads", "1"]),
    (
        "critic gaussians",
        (FitSettings, NetworkShape),
        "fit",
        TRAINED | {"constraint", "clip_value", "penalty_weight"},
        [*GAUSSIANS, "--threads", "1"],
    ),
    ("discriminator gaussians", (FitSettings, NetworkShape), "fit", TRAINED, [*GAUSSIANS, "--threads", "1"]),
]
IDS = [c[0] for c in COMMANDS]
# the names that are not "--" and the field's name with dashes (kept: users and the docs type them)
OTHER_NAMES = {
    "generator": ("--arch", "--generator"),
    "critic": ("--critic-arch",),
    "generator_steps": ("--generator-steps", "--steps"),
}
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


def _actions(command: str) -> list:
    """The actions of ``command`` (``"toy"``, ``"critic gaussians"``), subcommands' dests left out."""
    parser = build_parser()
    for word in command.split():
        parser = next(a for a in parser._actions if a.choices and word in a.choices).choices[word]
    return parser._actions


def _parse(command: str, *flags):
    needed = GAUSSIANS if " " in command else []  # critic and discriminator: the pair of laws
    return build_parser().parse_args([*command.split(), *needed, *flags])


def _fields(configs) -> list:
    return [field for config in configs for field in dataclasses.fields(config)]


def _first(field):
    constraint = field.metadata["constraint"]
    return [c for c in (constraint if isinstance(constraint, list) else [constraint]) if c is not None][0]


def _stated_default(help_text: str) -> str:
    found = re.search(r"\(default: (.*)\)$", " ".join(help_text.split()))
    assert found, f"help {help_text!r} does not end with '(default: ...)'"
    return found.group(1)


def _as_written(value) -> str:
    """A dataclass default as help text writes it, formatted here independently of the package."""
    if isinstance(value, float):
        return repr(value).rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def _another_value(field):
    """A valid value of the field other than its default, chosen here from its constraint."""
    constraint = _first(field)
    if isinstance(constraint, Options):
        return next(choice for choice in reversed(constraint.choices) if choice != field.default)
    if isinstance(constraint, Interval):
        if constraint.type is numbers.Integral:
            return constraint.left + 1 if field.default != constraint.left + 1 else constraint.left + 2
        return 0.5 if field.default != 0.5 else 0.25
    if isinstance(constraint, Text):
        return "cpu" if constraint.pattern else "some/folder"
    raise AssertionError(f"{field.name}: no value chosen for {constraint!r}")


@pytest.mark.parametrize("command, configs, scale, own, needed", COMMANDS, ids=IDS)
def test_every_field_has_exactly_one_flag_and_every_other_flag_is_the_commands(command, configs, scale, own, needed):
    fields = {field.name for field in _fields(configs)}
    dests = [action.dest for action in _actions(command)]
    assert sorted(name for name in fields if dests.count(name) != 1) == []
    assert set(dests) - fields == own
    for action in _actions(command):
        if action.dest in fields:
            expected = OTHER_NAMES.get(action.dest, ("--" + action.dest.replace("_", "-"),))
            assert tuple(action.option_strings[: len(expected)]) == expected, action.option_strings


@pytest.mark.parametrize("command, configs, scale, own, needed", COMMANDS, ids=IDS)
def test_a_flag_left_out_leaves_the_default_and_a_flag_given_reaches_its_field(command, configs, scale, own, needed):
    from wgan_toys.cli.settings import given_settings

    for config in configs:
        assert given_settings(_parse(command), config) == {}
        for field in dataclasses.fields(config):
            flag = OTHER_NAMES.get(field.name, ("--" + field.name.replace("_", "-"),))[-1]  # an alias too
            if isinstance(_first(field), Boolean):
                values = {"--" + flag[2:]: True} if field.default is False else {flag: True, "--no-" + flag[2:]: False}
                for given, value in values.items():
                    assert given_settings(_parse(command, given), config) == {field.name: value}
                continue
            value = _another_value(field)
            given = given_settings(_parse(command, flag, str(value)), config)
            assert given == {field.name: value} and type(given[field.name]) is type(value), (field.name, given)
            assert getattr(config(**given), field.name) == value


@pytest.mark.parametrize("command, configs, scale, own, needed", COMMANDS, ids=IDS)
def test_the_help_states_the_default_the_range_and_the_choices(command, configs, scale, own, needed):
    actions = {action.dest: action for action in _actions(command)}
    for field in _fields(configs):
        action, constraint = actions[field.name], _first(field)
        stated = _stated_default(action.help)
        if field.name in FROM_TABLE:
            table_field, item = FROM_TABLE[field.name]
            assert stated == defaults_help(table_field, scale, item), (
                f"{field.name}: help and objectives.DEFAULTS differ"
            )
        elif field.default is None or isinstance(field.default, bool):
            assert stated and stated not in ("None", "True", "False"), f"{field.name}: help says {stated!r}"
        else:
            assert stated == _as_written(field.default), (
                f"{field.name}: help says {stated}, the dataclass {field.default}"
            )
        if isinstance(constraint, Options):
            assert tuple(action.choices) == constraint.choices, (
                f"{field.name}: choices differ from the declared options"
            )
        else:
            assert action.choices is None
        if isinstance(constraint, Interval):
            left_closed, right_closed = constraint.closed in ("left", "both"), constraint.closed in ("right", "both")
            lower = f"{'>=' if left_closed else '>'} {constraint.left}"  # a real number's float32 cap unsaid
            both = (
                f"in {'[' if left_closed else '('}{constraint.left}, {constraint.right}{']' if right_closed else ')'}"
            )
            assert both in action.help or lower in action.help, action.help


def _out_of_range(constraint):
    """A value below the field's range, and the ways the message may say the range (its lower bound
    alone where the upper is a cap, or both bounds), written here."""
    left_closed, right_closed = constraint.closed in ("left", "both"), constraint.closed in ("right", "both")
    value = str(constraint.left - 1) if constraint.type is numbers.Integral else "-1"
    lower = f"must be {'>=' if left_closed else '>'} {constraint.left}"
    both = (
        f"must be in {'[' if left_closed else '('}{constraint.left}, {constraint.right}{']' if right_closed else ')'}"
    )
    return value, f"{re.escape(lower)}|{re.escape(both)}"


@pytest.mark.parametrize("command, configs, scale, own, needed", COMMANDS, ids=IDS)
def test_a_value_out_of_range_is_refused_naming_the_flag_and_the_range(
    command, configs, scale, own, needed, tmp_path, capsys
):
    out = ["--out", str(tmp_path / "run")] if "out" in own else []
    for field in _fields(configs):
        constraint = _first(field)
        if not isinstance(constraint, Interval):
            continue
        flag = OTHER_NAMES.get(field.name, ("--" + field.name.replace("_", "-"),))[0]
        value, must = _out_of_range(constraint)
        with pytest.raises(SystemExit) as stop:
            main([*command.split(), *needed, flag, value, *out])
        error = capsys.readouterr().err
        assert stop.value.code == 2 and not (tmp_path / "run").exists()
        assert re.search(rf"error: {re.escape(flag)} == {re.escape(value)}(\.0)?, ({must})", error), error


def test_the_messages_name_the_flags_of_the_fields_they_name():
    flag_of = _parse("train-images").flag_of
    error = ValueError("lower filters, mlp_width, batch_size or eval_samples; pass held_out >= 1; the critic and seed")
    assert one_line(error, flag_of) == (
        "lower --filters, --mlp-width, --batch-size or --eval-samples; pass --held-out >= 1; the critic and seed"
    )
    assert one_line(TypeError("seed must be an integer"), flag_of) == "--seed must be an integer"
    assert one_line(ValueError("generator_steps == 0, must be >= 1"), flag_of).startswith("--generator-steps == 0")


# (command, the library's words, the command's): each pair the static table once held, now derived
# from the command's own flags; a command without the flag keeps the library's words
LIBRARY_TO_COMMAND = [
    (
        "train-images",
        "out already holds a run; pass resume=True to continue it, overwrite=True to replace it, or choose another out.",
        "out already holds a run; pass --resume to continue it, --overwrite to replace it, or choose another --out.",
    ),
    ("train-images", "or pass skip_unreadable=True to skip such files", "or pass --skip-unreadable to skip such files"),
    ("train-images", "lower batch_size to at most 12.", "lower --batch-size to at most 12."),
    (
        "train-images",
        "lower held_out or prepare again with held_out=300.",
        "lower --held-out or prepare again with --held-out 300.",
    ),
    ("train-images", "other data trains with dataset='npz'.", "other data trains with --dataset npz."),
    ("prepare-images", "other data trains with dataset='npz'.", "other data trains with --dataset npz."),
    (
        "prepare-images",
        "must give more than held_out == 10; lower held_out.",
        "must give more than --held-out == 10; lower --held-out.",
    ),
    ("prepare-images", "format 'x' (source_format='auto')", "format 'x' (--format auto)"),
    (
        "toy",
        "then start it again with overwrite=True (out runs/toy)",
        "then start it again with --overwrite (--out runs/toy)",
    ),
    ("toy", "lower learning_rate (now 0.001).", "lower --learning-rate (now 0.001)."),
    ("toy", "pass resume=True to continue it", "pass resume=True to continue it"),  # toy has no --resume
    ("critic gaussians", "penalty_weight == -1.0, must be >= 0", "--penalty-weight == -1.0, must be >= 0"),
    (
        "critic gaussians",
        "pass penalty_weight > 0 (WGAN-GP uses lambda = 10).",
        "pass --penalty-weight > 0 (WGAN-GP uses lambda = 10).",
    ),
    (
        "critic gaussians",
        "lower learning_rate, or penalty_weight for 'gp', or check the samples for NaN",
        "lower --learning-rate, or --penalty-weight for --constraint gp, or check the samples for NaN",
    ),
    (
        "critic gaussians",
        "heldout_size == 1, must be in [2, 10000000]",
        "--heldout-size == 1, must be in [2, 10000000]",
    ),
    (
        "discriminator gaussians",
        "lower learning_rate or check the samples",
        "lower --learning-rate or check the samples",
    ),
    ("discriminator gaussians", "width == 0, must be >= 1", "--width == 0, must be >= 1"),
    ("verify", "pattern == 'x*' matches no check", "--only == 'x*' matches no check"),
]


@pytest.mark.parametrize("command, library, said", LIBRARY_TO_COMMAND)
def test_a_library_message_names_the_commands_own_flags(command, library, said):
    needed = {"prepare-images": ["source", "--out", "store"]}.get(command, [])
    assert one_line(ValueError(library), _parse(command, *needed).flag_of) == said


def test_every_command_knows_the_flag_of_each_of_its_options():
    """Each command's flag_of maps every option's destination to its first long name, the names a
    config's field declares first (--arch, not --generator)."""

    def leaves(parser, words=()):
        subcommands = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
        if not subcommands:
            yield " ".join(words), parser
        for action in subcommands:
            for word, command in action.choices.items():
                yield from leaves(command, (*words, word))

    commands = dict(leaves(build_parser()))
    assert {"critic gaussians", "discriminator gaussians", "prepare-images", "section4", "verify"} <= set(commands)
    for name, parser in commands.items():
        options = {action.dest: action.option_strings for action in parser._actions if action.option_strings}
        flag_of = parser.get_default("flag_of")
        assert set(flag_of) == set(options) - {"help"}, name
        for dest, flag in flag_of.items():
            assert flag == next(option for option in options[dest] if option.startswith("--")), (name, dest)
    assert commands["train-images"].get_default("flag_of")["generator"] == "--arch"
    assert commands["prepare-images"].get_default("flag_of")["source_format"] == "--format"
    # what the static table still holds cannot be derived: no command has a flag of that name
    assert {"resume=True", "overwrite=True", "lower learning_rate", "lower held_out"}.isdisjoint(
        api for api, _ in API_TO_FLAGS
    )


@pytest.mark.parametrize("command, trainer", [("critic", "train_critic"), ("discriminator", "train_discriminator")])
def test_the_settings_flags_reach_the_trainer_built_once(command, trainer, monkeypatch):
    from wgan_toys import train

    seen = {}

    def record(real, fake, **kwargs):
        seen.update(kwargs)
        raise RuntimeError("recorded")  # not one of the package's errors: main lets it through

    monkeypatch.setattr(train, trainer, record)
    flags = ["--max-steps", "7", "--learning-rate", "0.002", "--seed", "3", "--width", "8", "--activation", "tanh"]
    with pytest.raises(RuntimeError, match="recorded"):
        main([command, "gaussians", *GAUSSIANS, "--threads", "1", *flags])
    assert seen["settings"] == FitSettings(max_steps=7, learning_rate=0.002, seed=3)
    assert seen["shape"] == NetworkShape(width=8, activation="tanh")
    with pytest.raises(RuntimeError, match="recorded"):
        main([command, "gaussians", *GAUSSIANS, "--threads", "1"])
    assert (seen["settings"], seen["shape"]) == (FitSettings(), NetworkShape())  # no flag: the defaults


def test_section4_takes_the_image_settings_flags_with_its_own_defaults(tmp_path, monkeypatch):
    """--generator-steps, --image-size, --threads: ImageConfig's fields (names, choices, range), the help
    stating section4's defaults (1000 steps, 16x16 per run); a flag left out leaves run_section4's."""
    from wgan_toys.images import section4

    actions = {action.dest: action for action in _actions("section4")}
    fields = {field.name: field for field in dataclasses.fields(ImageConfig)}
    for name, stated in (
        ("generator_steps", "1000"),
        ("image_size", "16"),
        ("threads", "the cores, divided among processes"),
    ):
        expected = OTHER_NAMES.get(name, ("--" + name.replace("_", "-"),))
        assert tuple(actions[name].option_strings) == expected and _stated_default(actions[name].help) == stated
        assert actions[name].choices == getattr(_first(fields[name]), "choices", None)
    seen = []

    def record(out, **kwargs):
        seen.append(kwargs)
        raise RuntimeError("recorded")

    monkeypatch.setattr(section4, "run_section4", record)
    for flags, given in (
        ([], {}),
        (
            ["--steps", "7", "--image-size", "32", "--threads", "1"],
            {"generator_steps": 7, "image_size": 32, "threads": 1},
        ),
    ):
        with pytest.raises(RuntimeError, match="recorded"):
            main(["section4", "--out", str(tmp_path / "s4"), *flags])
        assert seen.pop() == {**given, "smoke": False, "seeds": [0]}


def test_the_activation_names_are_the_networks_and_the_parser_loads_no_torch():
    import subprocess
    import sys

    from wgan_toys.fit_settings import ACTIVATION_NAMES
    from wgan_toys.networks import ACTIVATIONS

    assert ACTIVATION_NAMES == tuple(ACTIVATIONS)
    code = "import sys; from wgan_toys.cli import build_parser; build_parser(); print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


# ----- one tiny-run preset per config ------------------------------------------------------------
def test_smoke_is_the_one_preset_of_the_command_section4_and_the_tests():
    from helpers.image_runs import TINY_IMAGE_RUN

    from wgan_toys.cli import SMOKE
    from wgan_toys.cli.images import image_config_values
    from wgan_toys.images import config
    from wgan_toys.images.section4 import section4_config

    assert SMOKE is config.SMOKE
    assert image_config_values(_parse("train-images", "--smoke")) == ImageConfig.smoke_settings() == dict(SMOKE)
    tests_own = {"batch_size", "generator_steps", "eval_every", "eval_samples", "sample_every", "checkpoint_every"}
    kept = {name: value for name, value in SMOKE.items() if name not in tests_own}
    assert {name: TINY_IMAGE_RUN[name] for name in kept} == kept and set(TINY_IMAGE_RUN) >= set(SMOKE)
    tiny = dataclasses.asdict(section4_config("mlp", "wgan", 0, 1000, 16, 1, smoke=True))
    assert {name: tiny[name] for name in SMOKE if name != "eval_every"} == {
        name: value for name, value in SMOKE.items() if name != "eval_every"
    }
    # no other copy of the preset: its noise_dim and log_every appear together in no other module of the
    # package or the tests' helpers
    copies = [
        path
        for path in [*(ROOT / "wgan_toys").rglob("*.py"), *(ROOT / "tests" / "helpers").rglob("*.py")]
        if all(re.search(rf"{name}\W{{1,4}}{SMOKE[name]}\b", path.read_text()) for name in ("noise_dim", "log_every"))
        and path.name != "config.py"
    ]
    assert copies == []
    for path, call in (
        ("wgan_toys/images/section4.py", "ImageConfig.smoke("),
        ("wgan_toys/cli/images.py", "ImageConfig.smoke_settings("),
        ("wgan_toys/cli/toys.py", "ToyConfig.smoke("),
        ("tests/helpers/image_runs.py", "ImageConfig.smoke_settings("),
    ):
        assert call in (ROOT / path).read_text(), f"{path} does not use {call}"


def test_toy_smoke_is_tiny_and_a_flag_given_wins():
    smoke = ToyConfig.smoke()
    assert (smoke.iterations, smoke.width, smoke.eval_samples) == (2, 8, 50)
    assert ToyConfig.smoke(width=4).width == 4
    assert ToyConfig.smoke() != ToyConfig() and dataclasses.replace(smoke, iterations=2000, width=128) != smoke


def test_the_critic_command_takes_c_and_lambda_from_the_table():
    critic = next(action for action in _actions("critic") if action.dest == "family").choices["gaussians"]
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


GAUSSIAN_LAWS = ["gaussians", "--mu1", "0", "--sigma1", "1", "--mu2", "1", "--sigma2", "1"]


@pytest.mark.parametrize(
    "command, flag, text, allowed",
    [
        (["train-images"], "--batch-size", "nan", "in [1, 65536]"),
        (["train-images"], "--seed", "1e3", "in [0, 4294967295]"),
        (["toy"], "--width", "2.5", "in [1, 16384]"),
        (["critic", *GAUSSIAN_LAWS], "--max-steps", "abc", "in [1, 100000000]"),
        (["discriminator", *GAUSSIAN_LAWS], "--heldout-size", "inf", "in [2, 10000000]"),
    ],
)
def test_text_that_is_not_an_integer_is_refused_with_the_flags_range(command, flag, text, allowed, capsys):
    with pytest.raises(SystemExit) as exit:
        main([*command, flag, text])
    error = capsys.readouterr().err.strip().splitlines()
    assert exit.value.code == 2 and len(error) == 1
    assert f"argument {flag}: {text!r} is not an integer; must be an integer {allowed}" in error[0]
