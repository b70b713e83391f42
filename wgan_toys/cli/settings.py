"""The flags of a config dataclass, made from its fields: one loop over ``dataclasses.fields``.

Each field declares, with :func:`~wgan_toys._validation.setting`, its default, its constraint and
its help; its flag follows from them:

- the names: ``--`` and the field's name with dashes, or the field's ``flags``;
- an :class:`~wgan_toys._validation.Options` gives ``choices``; an
  :class:`~wgan_toys._validation.Interval` gives the type (an integer or a real number) and the
  range the help states; a :class:`~wgan_toys._validation.Boolean` a switch (``--x``, or ``--x`` and
  ``--no-x`` where the default is None);
- the help ends with ``(default: X)``: the field's ``default_text``, or its default.

Every flag defaults to None, so a flag is in :func:`given_settings` exactly when it was given and
the config's own default decides otherwise; the values are checked by the config itself (its
errors name the field, and :func:`flag_words` turns the field into the flag).
"""

from __future__ import annotations

import argparse
import dataclasses
import numbers
import re

from .._validation import Boolean, Interval, Options, Text

__all__ = [
    "add_setting_flags",
    "flag_names",
    "flag_words",
    "given_settings",
    "integer_arg",
    "name_flags",
    "real_arg",
    "setting_help",
]


def flag_names(field: dataclasses.Field) -> tuple[str, ...]:
    """The command-line names of a config field; the first is the one messages use."""
    return field.metadata.get("flags") or ("--" + field.name.replace("_", "-"),)


def _constraints(field: dataclasses.Field) -> list:
    """The field's constraints, None ("the algorithm's default") left out."""
    constraint = field.metadata["constraint"]
    return [c for c in (constraint if isinstance(constraint, (list, tuple)) else [constraint]) if c is not None]


def _range(constraint) -> str:
    """What an Interval or a patterned Text accepts, as the help states it (a real number's cap at
    float32's largest number is left out: it guards the networks' precision, not a choice)."""
    if isinstance(constraint, Interval):
        if constraint.type is numbers.Real and constraint.cap is not None:
            return constraint.describe(constraint.left)
        return str(constraint)
    if isinstance(constraint, Text) and constraint.pattern is not None:
        return str(constraint)
    return ""


def _shown(value) -> str:
    """A default as the help states it: 0.001, 1e-05, 16, relu."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def setting_help(field: dataclasses.Field, default=dataclasses.MISSING) -> str:
    """``{help}; {range} (default: {default})``, the help of the field's flag; ``default``, the
    command's own, where it differs from the field's (``section4 --image-size``: 16, not 32)."""
    text = "; ".join(part for part in (field.metadata.get("help", ""), _range(_constraints(field)[0])) if part)
    stated = field.metadata.get("default_text")
    if default is not dataclasses.MISSING and default != field.default:
        stated = _shown(default)
    elif stated is None:
        if field.default is None:
            raise ValueError(f"{field.name}: a default of None needs default_text, the default the help states.")
        stated = _shown(field.default)
    return f"{text} (default: {stated})" if text else f"(default: {stated})"


def real_arg(text: str) -> float:
    """argparse type of a number flag: any float (the command checks its range and names the flag)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    return value


def integer_arg(allowed: str):
    """argparse type of an integer flag whose values are ``allowed`` (``'in [1, 65536]'``): text that
    is not an integer (``nan``, ``1e3``, ``2.5``) is refused with the range, not only "invalid int value"."""

    def integer(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer; must be an integer {allowed}") from None

    return integer


def _kind(field: dataclasses.Field) -> dict:
    """The argparse keywords that follow from the field's first constraint."""
    constraint = _constraints(field)[0]
    if isinstance(constraint, Boolean):
        return {"action": "store_true" if field.default is False else argparse.BooleanOptionalAction}
    if isinstance(constraint, Options):
        integers = all(isinstance(choice, int) for choice in constraint.choices)
        return {"choices": constraint.choices, **({"type": int} if integers else {})}
    if isinstance(constraint, Interval):
        return {"type": integer_arg(str(constraint)) if constraint.type is numbers.Integral else real_arg}
    return {}


def add_setting_flags(command, *configs, only: tuple[str, ...] | None = None, defaults: dict | None = None) -> None:
    """One flag per field of each dataclass of ``configs`` on the argparse ``command``, each
    defaulting to None; the command's ``flag_of`` (each field's flag, for messages) gains them.

    ``only`` names the fields a command that sets the others itself takes (``section4``), and
    ``defaults`` the command's own defaults, which its help states instead of the field's."""
    flag_of = dict(command.get_default("flag_of") or {})
    for config in configs:
        for field in dataclasses.fields(config):
            if only is not None and field.name not in only:
                continue
            default = (defaults or {}).get(field.name, dataclasses.MISSING)
            command.add_argument(
                *flag_names(field), dest=field.name, default=None, help=setting_help(field, default), **_kind(field)
            )
            flag_of[field.name] = flag_names(field)[0]
    command.set_defaults(flag_of=flag_of)


def name_flags(parser: argparse.ArgumentParser) -> None:
    """Give each command under ``parser`` (a parser without subcommands) ``flag_of``: the flag of
    every option it takes, by destination (``held_out`` -> ``--held-out``, ``source_format`` ->
    ``--format``), so that :func:`flag_words` can say a library message in its words; the names
    a config's fields declare (:func:`add_setting_flags`) win."""
    commands = [
        command
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for command in action.choices.values()
    ]
    for command in commands:
        name_flags(command)
    if not commands:
        options = {
            action.dest: next(name for name in action.option_strings if name.startswith("--"))
            for action in parser._actions
            if any(name.startswith("--") for name in action.option_strings) and action.dest != "help"
        }
        parser.set_defaults(flag_of={**options, **(parser.get_default("flag_of") or {})})


def given_settings(args, config) -> dict:
    """The fields of ``config`` whose flags were given, with their values."""
    return {
        field.name: getattr(args, field.name)
        for field in dataclasses.fields(config)
        if getattr(args, field.name, None) is not None
    }


def flag_words(text: str, flag_of: dict[str, str]) -> str:
    """A message of the library, in the command's words (``flag_of``: each setting's flag):

    - ``generator_steps == 0, must be >= 1`` -> ``--generator-steps == 0, must be >= 1``, and
      ``seed must be ...``;
    - the settings named after ``pass`` or ``lower``: ``lower filters, batch_size or eval_samples``;
    - Python's keywords: ``resume=True`` -> ``--resume``, ``dataset='npz'`` -> ``--dataset npz``,
      ``held_out=300`` -> ``--held-out 300``.

    Only these forms are changed (a setting's name is also an English word: ``critic``,
    ``generator``, ``seed``, ``out``)."""
    for name, flag in flag_of.items():
        text = re.sub(rf"(?<![\w.-]){name}(?= == | must be )", flag, text)
        text = re.sub(rf"(?<![\w.-]){name}=True\b", flag, text)
        text = re.sub(rf"(?<![\w.-]){name}='([^'\s]*)'", rf"{flag} \1", text)
        text = re.sub(rf"(?<![\w.-]){name}=(?=[\w.+-])", f"{flag} ", text)

    def names(found: re.Match) -> str:
        words = re.split(r"(, | or )", found[2])
        return f"{found[1]} " + "".join(flag_of.get(word, word) for word in words)

    return re.sub(r"\b(lower|pass) (\w+(?:(?:, | or )\w+)*)", names, text)
