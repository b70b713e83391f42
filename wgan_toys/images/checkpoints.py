"""A checkpoint's contents checked against the run its config describes, before any of it is loaded.

:func:`~wgan_toys.run_files.load_checkpoint` checks the file (a zip whose CRC-32s match, tensors only);
this module checks what it holds, one message per problem, each naming the file: the config
records every setting (:func:`check_recorded_config`); the counters are integers in range
(:func:`check_counters`); the networks' and optimisers' tensors have the shapes the config's
networks have, the data order is a permutation of the training images, the read position lies in
it, and the random state is a whole ``torch.Generator`` state (:func:`check_checkpoint`).
A crafted or foreign checkpoint is then refused in one line instead of failing deep inside
``load_state_dict`` (or, worse, loading and training on nonsense).
"""

from __future__ import annotations

import dataclasses
import math
from numbers import Integral, Real

import torch

__all__ = ["check_checkpoint", "check_counters", "check_recorded_config"]

_FIX = "it was not written by wgan_toys for this run; start a new run instead of resuming it"


def _integer(state: dict, name: str, path, minimum: int = 0) -> int:
    value = state[name]
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{path} records {name} == {value!r}, must be an integer >= {minimum}; {_FIX}.")
    return int(value)


def check_counters(state: dict, path) -> None:
    """The checkpoint's counters: ``generator_step``, ``critic_steps`` and ``position`` integers
    >= 0, ``wall_seconds`` a finite number >= 0, ``run_id`` a string (or absent).

    Raises
    ------
    ValueError
        Naming the file, the entry and its value.
    """
    for name in ("generator_step", "critic_steps", "position"):
        state[name] = _integer(state, name, path)
    seconds = state["wall_seconds"]
    if isinstance(seconds, bool) or not isinstance(seconds, Real) or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{path} records wall_seconds == {seconds!r}, must be a finite number >= 0; {_FIX}.")
    run_id = state.get("run_id")
    if run_id is not None and not isinstance(run_id, str):
        raise ValueError(f"{path} records run_id == {run_id!r}, must be a string; {_FIX}.")


def check_recorded_config(values, path, config_class, *, upgraded: bool = True) -> dict:
    """The checkpoint's ``config``: a dict of ``config_class``'s fields, none missing (after
    ``upgraded`` renames of older names) and none unknown, that ``config_class`` accepts.

    Raises
    ------
    ValueError
        Naming the file and the missing, unknown or invalid settings.
    """
    if not isinstance(values, dict) or not all(isinstance(key, str) for key in values):
        raise ValueError(f"{path} records a config that is not a dict of settings; {_FIX}.")
    names = [field.name for field in dataclasses.fields(config_class)]
    if "algorithm" not in values:
        raise ValueError(
            f"{path} records no algorithm in its config, so what it trained is unknown (never assumed "
            f"to be wgan); {_FIX}."
        )
    if not upgraded:
        return dict(values)
    unknown = sorted(set(values) - set(names))
    missing = [name for name in names if name not in values]
    if unknown or missing:
        parts = ([f"lacks {', '.join(missing)}"] if missing else []) + (
            [f"holds unknown settings {', '.join(unknown)}"] if unknown else []
        )
        raise ValueError(f"{path} records a config that {' and '.join(parts)}; {_FIX}.")
    try:
        config_class(**values)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path} records a config that is not valid: {error}") from None
    return values


def _tensor_shapes(name: str, expected: dict, given, path) -> None:
    """Every entry of the state dict ``given`` has the key and shape of ``expected``'s."""
    if not isinstance(given, dict):
        raise ValueError(f"{path}: {name} is a {type(given).__name__}, not a state dict; {_FIX}.")
    missing = [key for key in expected if key not in given]
    unknown = [key for key in given if key not in expected]
    if missing or unknown:
        shown = ", ".join((missing + unknown)[:3])
        raise ValueError(
            f"{path}: {name} does not hold the network its config builds (missing or unknown entries: {shown}); {_FIX}."
        )
    for key, tensor in expected.items():
        value = given[key]
        if not isinstance(value, torch.Tensor) or value.shape != tensor.shape or value.dtype != tensor.dtype:
            shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            raise ValueError(
                f"{path}: {name}.{key} has shape {shape}, but the network its config builds has "
                f"{tuple(tensor.shape)} ({tensor.dtype}); {_FIX}."
            )


def _optimizer_shapes(name: str, optimizer: torch.optim.Optimizer, given, path) -> None:
    """The optimiser state's groups match ``optimizer``'s, and each per-parameter tensor (RMSProp's
    square average, Adam's moments) has its parameter's shape."""
    expected = optimizer.state_dict()
    if not isinstance(given, dict) or not isinstance(given.get("state"), dict) or "param_groups" not in given:
        raise ValueError(f"{path}: {name} is not an optimiser state; {_FIX}.")
    groups = given["param_groups"]
    if not isinstance(groups, list) or [
        len(group.get("params", ())) for group in groups if isinstance(group, dict)
    ] != [len(group["params"]) for group in expected["param_groups"]]:
        raise ValueError(f"{path}: {name} holds parameter groups of another network; {_FIX}.")
    parameters = [p for group in optimizer.param_groups for p in group["params"]]
    for index, entries in given["state"].items():
        if not isinstance(index, int) or not 0 <= index < len(parameters) or not isinstance(entries, dict):
            raise ValueError(f"{path}: {name} holds state for parameter {index!r}, which its network lacks; {_FIX}.")
        for key, value in entries.items():
            if isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape != parameters[index].shape:
                raise ValueError(
                    f"{path}: {name}.state.{index}.{key} has shape {tuple(value.shape)}, its parameter "
                    f"{tuple(parameters[index].shape)}; {_FIX}."
                )


def check_checkpoint(trainer, state: dict, path) -> None:
    """Check ``state`` against the freshly built ``trainer`` (an :class:`~wgan_toys.images.trainer.ImageTrainer`)
    before it is loaded: networks, optimisers, data order, read position and random state.

    Raises
    ------
    ValueError
        One line naming the file and the first entry that does not fit.
    """
    check_counters(state, path)
    _tensor_shapes("generator", trainer.generator.state_dict(), state["generator"], path)
    _tensor_shapes("critic", trainer.critic.state_dict(), state["critic"], path)
    _optimizer_shapes("generator_optimizer", trainer.generator_optimizer, state["generator_optimizer"], path)
    _optimizer_shapes("critic_optimizer", trainer.critic_optimizer, state["critic_optimizer"], path)
    order, count = state["order"], trainer.data.count
    if (
        not isinstance(order, torch.Tensor)
        or order.dtype != torch.int64
        or order.shape != (count,)
        or not torch.equal(order.sort().values, torch.arange(count))
    ):
        shown = (
            f"shape {tuple(order.shape)}, {order.dtype}" if isinstance(order, torch.Tensor) else type(order).__name__
        )
        raise ValueError(
            f"{path}: order ({shown}) is not a permutation of the {count} training images its config loads; {_FIX}."
        )
    if state["position"] > count:
        raise ValueError(f"{path} records position == {state['position']}, must be in [0, {count}]; {_FIX}.")
    random, expected = state["random"], trainer.rng.get_state()
    if not isinstance(random, torch.Tensor) or random.dtype != torch.uint8 or random.shape != expected.shape:
        shown = f"{random.numel()} bytes" if isinstance(random, torch.Tensor) else type(random).__name__
        raise ValueError(f"{path}: random ({shown}) is not a torch.Generator state ({expected.numel()} bytes); {_FIX}.")
