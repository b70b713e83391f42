"""Every setting of ImageConfig and ToyConfig declares its constraint once, in
its field's metadata, and the config checks them all on construction; the command line lets an
explicit flag win over --smoke and refuses a bad one before a run folder exists.

The tables below give, for every field, values just inside and just outside its documented range.
They are written from the docs and the paper (c > 0, lambda >= 0, beta in [0, 1), seeds in
[0, 2**32 - 1], ...), not read from the constraints: a new field without a row, a field without a
constraint, or a constraint with a wrong bound fails here.
"""

import dataclasses
import math
import numbers
import re

import pytest

from wgan_toys._validation import POSITIVE, Interval, check_constraints, setting
from wgan_toys.images.trainer import ImageConfig
from wgan_toys.toy_gan import ToyConfig
from wgan_toys.train import FitSettings, NetworkShape

NAN, INF = float("nan"), float("inf")
SEED = ([0, 2**32 - 1], [-1, 2**32, 2**64, 1.0, True, "0"])
# a size-like setting of the image and toy runs: >= 1, and at most its declared upper bound
SIZE = ([1, 1000], [0, -1, 1.0, True, "1", 10**12])
POSITIVE_REAL = ([1e-300, 5e-5, 1], [0.0, -0.01, NAN, INF, "0.01"])

IMAGE = {
    "algorithm": (["wgan", "wgan-gp", "gan-minimax", "gan-logd"], ["gan", "wgan2", "WGAN", "gan-min", None, 1]),
    "dataset": (["digits", "folder", "npz", "mnist", "cifar10", "lsun", "celeba"], ["imagenet", None]),
    "data_root": ([None, "data/digits.npz"], ["", 3]),
    "image_size": ([16, 32, 64, 128], [8, 48, 100, 256, 32.0, True]),
    "channels": ([1, 3], [0, 2, 4, 1.0, True]),
    "generator": (["dcgan", "dcgan-nobn", "mlp"], ["vit", None]),
    "critic": (["dcgan", "mlp"], ["dcgan-nobn", None]),
    "critic_normalization": ([None, "batch", "layer", "none"], ["instance", 0]),
    "noise_dim": SIZE,
    "filters": SIZE,
    "extra_layers": ([0, 3], [-1, 1.0]),
    "mlp_width": SIZE,
    "batch_size": SIZE,
    "generator_steps": SIZE,
    "n_critic": ([None, 1, 100], [0, -5, 5.0]),
    "critic_schedule": (["algorithm-1", "paper-code"], ["paper", None]),
    "learning_rate": ([None, 1e-300, 5e-5], [0.0, -5e-5, NAN, INF, "5e-5"]),
    "adam_beta1": ([None, 0.0, 0.5, 0.999999], [-1e-9, 1.0, 1.5, NAN]),
    "adam_beta2": ([None, 0.0, 0.9, 0.999999], [-1e-9, 1.0, NAN]),
    "clip_value": POSITIVE_REAL,
    "clip_parameters": (["all", "weights"], ["bn", None]),
    "penalty_weight": ([0.0, 10.0, 1e6], [-1e-9, NAN, INF, None]),
    "seed": SEED,
    "device": (["auto", "cpu", "cuda", "cuda:0", "cuda:1", "mps"], ["gpu", "cuda:", "CPU", "", None]),
    "precision": (["auto", "fp32", "bf16"], ["fp16", None]),
    "channels_last": ([None, True, False], [1, "yes"]),
    "threads": ([None, 1, 64], [0, -1, 2.0]),
    "log_every": SIZE,
    "sample_every": SIZE,
    "eval_every": SIZE,
    "eval_samples": SIZE,
    "checkpoint_every": SIZE,
    "held_out": ([0, 300], [-1, 3.0]),
    "preload": (["auto", "yes", "no"], ["maybe", True]),
    "skip_unreadable": ([True, False], [0, 1, "no", None]),
}

TOY = {
    "dataset": (["8gaussians", "25gaussians", "swissroll", "2clusters"], ["moons", None]),
    "algorithm": (["wgan", "wgan-gp", "gan-minimax", "gan-logd"], ["lsgan", "gan-log-d", None]),
    "iterations": ([0, 1], [-1, 1.0]),
    "n_critic": ([None, 1, 5], [0, 5.0]),
    "batch_size": ([2, 256], [1, 0, 64.0]),
    "noise_dim": SIZE,
    "width": SIZE,
    "depth": ([1, 64], [0, 65, 10000, 3.0]),
    "learning_rate": ([None, 1e-300, 1e-3], [0.0, -1e-3, NAN, INF]),
    "critic_optimizer": ([None, "adam", "rmsprop"], ["sgd", 1]),
    "clip_value": POSITIVE_REAL,
    "penalty_weight": ([0.0, 0.1, 10.0], [-1e-9, NAN, INF, None]),
    "log_every": SIZE,
    "eval_samples": ([2, 1000], [1, 0, 1000.0]),
    "seed": SEED,
    "device": (["cpu", "auto", "cuda:1"], ["gpu", None]),
}

# train.py's two settings: what train_critic, train_discriminator and train_critic_sweep share
FIT = {
    "batch_size": SIZE,
    "max_steps": SIZE,
    "learning_rate": ([None, 1e-300, 5e-5], [0.0, -5e-5, NAN, INF, "5e-5"]),
    "eval_every": SIZE,
    "patience": SIZE,
    "tolerance": ([1e-300, 1e-3, 1.0], [0.0, -1e-3, NAN, INF]),
    "heldout_size": ([2, 4096], [1, 0, 2.0]),
    "seed": ([0, 2**32 - 1, None, "generator"], [-1, 2**32, 1.0, True, "0"]),  # "generator": a torch.Generator
    "device": (["cpu", "auto", "cuda", "cuda:1", "mps", "torch.device"], ["gpu", "CPU", "", None, 0]),
}
SHAPE = {
    "width": SIZE,
    "depth": ([1, 64], [0, 65, 10000, 3.0]),
    "activation": (["relu", "leaky_relu", "tanh", "elu", "softplus"], ["sigmoid", "ReLU", None]),
}

TABLES = {ImageConfig: IMAGE, ToyConfig: TOY, FitSettings: FIT, NetworkShape: SHAPE}


def _cases(inside: bool):
    for config_class, table in TABLES.items():
        for name, (good, bad) in table.items():
            for value in good if inside else bad:
                yield pytest.param(config_class, name, value, id=f"{config_class.__name__}.{name}={value!r}")


@pytest.mark.parametrize("config_class", list(TABLES), ids=lambda c: c.__name__)
def test_every_field_declares_a_constraint_and_has_a_row_here(config_class):
    fields = dataclasses.fields(config_class)
    assert {field.name for field in fields} == set(TABLES[config_class])  # a new field needs a row above
    assert [field.name for field in fields if "constraint" not in field.metadata] == []
    config_class()  # the defaults satisfy their own constraints


@pytest.mark.parametrize("config_class, name, value", list(_cases(inside=False)))
def test_a_value_just_outside_is_refused_naming_the_field(config_class, name, value):
    with pytest.raises((ValueError, TypeError), match=rf"^{name} (== .*, must be|must be) "):
        config_class(**{name: value})


@pytest.mark.parametrize("config_class, name, value", list(_cases(inside=True)))
def test_a_value_just_inside_is_accepted(config_class, name, value):
    if config_class is FitSettings and value in ("generator", "torch.device"):  # torch objects, made here
        import torch

        value = torch.Generator().manual_seed(1) if value == "generator" else torch.device("cpu")
    config = config_class(**{name: value})
    assert getattr(config, name) == value


@pytest.mark.parametrize("config_class", [ImageConfig, ToyConfig, FitSettings, NetworkShape], ids=lambda c: c.__name__)
def test_every_integer_setting_declares_an_upper_bound(config_class):
    # an unbounded size reached torch's allocator (--width 1e6, --batch-size 1e9: a MemoryError traceback)
    unbounded = []
    for field in dataclasses.fields(config_class):
        options = field.metadata["constraint"]
        options = options if isinstance(options, list) else [options]
        for option in options:
            if isinstance(option, Interval) and option.type is numbers.Integral and option.right is None:
                unbounded.append(field.name)
    assert unbounded == []


@pytest.mark.parametrize(
    "config_class, name, value",
    [(ImageConfig, "filters", 10**6), (ImageConfig, "batch_size", 10**9), (ToyConfig, "width", 10**7)],
)
def test_a_size_beyond_its_cap_names_the_cap(config_class, name, value):
    with pytest.raises(ValueError, match=rf"^{name} == {value}, must be <= \d+, the upper bound declared"):
        config_class(**{name: value})


def test_settings_within_the_caps_that_could_never_fit_are_refused_with_the_estimate():
    with pytest.raises(ValueError, match=r"need about [\d.]+ (GiB|TiB), more than this machine's"):
        ImageConfig(filters=1024, image_size=128, batch_size=65536)
    with pytest.raises(ValueError, match=r"exact W1 over 20000 points need about [\d.]+ (GiB|TiB), more than"):
        ToyConfig(eval_samples=20000, width=16384, depth=64)


def test_the_estimate_counts_the_evaluations_distance_matrix_and_refuses_what_it_cannot_hold(monkeypatch):
    import torch

    from wgan_toys import _validation
    from wgan_toys.images.memory import estimated_bytes

    settings = ImageConfig.smoke_settings(device="cpu", threads=1, held_out=100)
    n = 1000
    matrix = torch.cdist(torch.zeros(n, 1), torch.zeros(n, 1))  # what diversity builds for n generated images
    growth = estimated_bytes(ImageConfig(**{**settings, "eval_samples": 2 * n})) - estimated_bytes(
        ImageConfig(**{**settings, "eval_samples": n})
    )
    assert growth >= 3 * matrix.numel() * matrix.element_size()  # (2n)^2 - n^2 pairs
    monkeypatch.setattr(_validation, "physical_memory", lambda: 16 * 2**30)
    with pytest.raises(ValueError, match=r"need about 3\d\.\d GiB, more than this machine's 16\.0 GiB.*or held_out"):
        ImageConfig(**{**settings, "eval_samples": 100000})  # was accepted, then killed for memory mid-run


def test_messages_are_in_the_house_form():
    # was "must be > 0Algorithm 1 uses c = 0.01."
    with pytest.raises(ValueError, match=r"^clip_value == -0\.01, must be > 0 \(the paper uses c = 0\.01\)\.$"):
        ImageConfig(clip_value=-0.01)
    with pytest.raises(ValueError, match=r"^clip_value == -0\.01, must be > 0 \(the paper uses c = 0\.01\)\.$"):
        ToyConfig(clip_value=-0.01)
    # NaN passed "penalty_weight < 0" silently
    with pytest.raises(
        ValueError, match=r"^penalty_weight == nan, must be finite and >= 0 \(WGAN-GP uses lambda = 10\)\.$"
    ):
        ImageConfig(penalty_weight=NAN)
    # seeds were not checked at all in ImageConfig
    with pytest.raises(ValueError, match=r"^seed == -1, must be in \[0, 4294967295\]"):
        ImageConfig(seed=-1)
    with pytest.raises(ValueError, match=r"^seed == 4294967296, must be in \[0, 4294967295\]"):
        ToyConfig(seed=2**32)
    with pytest.raises(ValueError, match=r"^learning_rate == 0\.0, must be > 0 or None"):
        ToyConfig(learning_rate=0.0)
    with pytest.raises(
        TypeError, match=r"^n_critic must be an integer or None \(>= 1 or None\), got 1\.5 of type float"
    ):
        ImageConfig(n_critic=1.5)
    # the old messages that tests and users match stay
    with pytest.raises(ValueError, match=r"^image_size == 48, must be a power of two in \[16, 128\]"):
        ImageConfig(image_size=48)


def test_the_checker_reads_any_dataclass_declared_with_setting():
    @dataclasses.dataclass
    class Example:
        rate: float = setting(0.1, POSITIVE, "try 0.1")
        count: int | None = setting(None, [Interval(numbers.Integral, 2, 9, closed="both"), None])

        def __post_init__(self):
            check_constraints(self)

    assert Example(rate=1e-9, count=9).count == 9
    with pytest.raises(ValueError, match=r"^rate == 0\.0, must be > 0 \(try 0\.1\)\.$"):
        Example(rate=0.0)
    with pytest.raises(ValueError, match=r"^count == 10, must be in \[2, 9\] or None\.$"):
        Example(count=10)
    assert math.isclose(Example().rate, 0.1)


def test_toy_config_refuses_at_construction_not_only_when_resolved():
    with pytest.raises(ValueError, match="^batch_size == 1, must be >= 2"):
        ToyConfig(batch_size=1)  # was accepted until ToyGAN called resolved()
    assert ToyConfig(algorithm="wgan").resolved().learning_rate == 5e-4


# ----- the command line: explicit flags win over --smoke and are checked before any folder exists
def _image_values(*flags):
    from wgan_toys.cli import build_parser
    from wgan_toys.cli.images import image_config_values

    return image_config_values(build_parser().parse_args(["train-images", *flags]))


def test_smoke_fills_only_the_settings_not_given():
    from wgan_toys.cli import SMOKE

    assert _image_values("--smoke") == SMOKE
    values = _image_values(
        "--smoke", "--generator-steps", "7", "--filters", "4", "--eval-samples", "10", "--image-size", "32"
    )
    assert (values["generator_steps"], values["filters"], values["eval_samples"], values["image_size"]) == (
        7,
        4,
        10,
        32,
    )
    assert values["noise_dim"] == SMOKE["noise_dim"]  # not given: the smoke value
    assert _image_values("--generator-steps", "7") == {"generator_steps": 7}  # without --smoke, only what was given


@pytest.mark.parametrize(
    "flags, message",
    [
        (
            ["--smoke", "--generator-steps", "0"],
            "--generator-steps == 0, must be >= 1",
        ),  # smoke used to replace it by 3
        (["--smoke", "--clip-value", "-0.01"], r"--clip-value == -0\.01, must be > 0 \(the paper uses c = 0\.01\)"),
        (["--smoke", "--seed", "-1"], r"--seed == -1, must be in \[0, 4294967295\]"),
        (["--smoke", "--seed", str(2**40)], r"--seed == 1099511627776, must be in \[0, 4294967295\]"),
        (
            ["--smoke", "--algorithm", "wgan-gp", "--penalty-weight", "nan"],
            "--penalty-weight == nan, must be finite and >= 0",
        ),
        (["--smoke", "--held-out", "-1"], "--held-out == -1, must be >= 0"),
    ],
)
def test_train_images_refuses_a_bad_flag_before_making_the_folder(tmp_path, capsys, flags, message):
    from wgan_toys.cli import main

    out = tmp_path / "run"
    with pytest.raises(SystemExit) as stop:
        main(["train-images", *flags, "--threads", "1", "--out", str(out)])
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("wgan-toys train-images: error: ")
    assert len(error.strip().splitlines()) == 1
    assert re.search(message, error), error
    assert not out.exists()


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--seed", "-1"], r"--seed == -1, must be in \[0, 4294967295\]"),
        (["--seed", str(2**32)], r"--seed == 4294967296, must be in \[0, 4294967295\]"),
        (["--penalty-weight", "nan"], "--penalty-weight == nan, must be finite and >= 0"),
        (["--learning-rate", "0"], "--learning-rate == 0.0, must be > 0 or None"),
    ],
)
def test_toy_refuses_a_bad_flag_before_making_the_folder(tmp_path, capsys, flags, message):
    from wgan_toys.cli import main

    out = tmp_path / "run"
    with pytest.raises(SystemExit) as stop:
        main(["toy", *flags, "--threads", "1", "--out", str(out)])
    assert stop.value.code == 2
    assert re.search(message, capsys.readouterr().err)
    assert not out.exists()


# ----- train.train_critic: a learning rate of 0 or NaN fell back to the default silently
@pytest.mark.parametrize("learning_rate", [0.0, -1e-3, NAN, INF])
def test_train_critic_refuses_a_learning_rate_that_is_not_positive(learning_rate):
    import torch

    from wgan_toys import Gaussian1D
    from wgan_toys.train import train_critic

    torch.set_num_threads(1)
    with pytest.raises(ValueError, match=r"^learning_rate == .*, must be (> 0|finite and > 0)"):
        train_critic(Gaussian1D(0, 1), Gaussian1D(1, 1), learning_rate=learning_rate, max_steps=2, heldout_size=16)
