"""Setup files agree: environment.yml and pyproject.toml list the same dependencies, and the
lock pins torch to the 2.13.0 CPU build that CI installs."""

import pathlib
import re

import pytest
import tomllib
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONDA_TO_PIP = {"pytorch": "torch", "python-lmdb": "lmdb"}  # conda-forge names that differ from PyPI's


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        pip_names |= {_name(r) for r in extra}
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_names = set()
    for entry in environment["dependencies"]:
        if isinstance(entry, str) and _name(entry) not in {"python", "pip"}:
            conda_names.add(CONDA_TO_PIP.get(_name(entry), _name(entry)))
        elif isinstance(entry, dict):  # the pip: section, for packages conda-forge does not have
            conda_names |= {_name(r) for r in entry.get("pip", []) if not r.startswith("-")}
    assert conda_names == pip_names


def test_lock_pins_every_dependency_and_torch_2_13():
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {_name(line) for line in lock.splitlines() if "==" in line and not line.startswith("#")}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(r) for r in extra}
    assert wanted <= pinned
    assert re.search(r"^torch==2\.13\.0$", lock, flags=re.MULTILINE)


@pytest.mark.subprocess
def test_import_loads_neither_torch_nor_pot_nor_matplotlib():
    import subprocess
    import sys

    code = "import sys, wgan_toys; print(sorted(m for m in ('torch', 'ot', 'matplotlib', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_one_source_for_the_version_and_a_license_file():
    """The version lives in wgan_toys.__version__ only (pyproject reads it); LICENSE says what pyproject says."""
    import importlib.metadata

    import wgan_toys

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert importlib.metadata.version("wgan_toys") == wgan_toys.__version__
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")


@pytest.mark.subprocess
def test_wheel_ships_py_typed(tmp_path):
    """The wheel carries wgan_toys/py.typed (PEP 561), so a user's type checker reads the package's annotations."""
    import shutil
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "source"  # a copy: the build writes build/ and *.egg-info next to pyproject.toml
    shutil.copytree(ROOT / "wgan_toys", source / "wgan_toys", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q", "-w", str(tmp_path)]
    subprocess.run([*command, str(source)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("wgan_toys-*.whl")
    assert "wgan_toys/py.typed" in zipfile.ZipFile(wheel).namelist()


TOP_LEVEL = """
import sys
import wgan_toys
loaded = sorted(m for m in ("torch", "ot", "matplotlib", "scipy") if m in sys.modules)
assert loaded == [], f"import wgan_toys loaded {loaded}"
import torch
torch.set_num_threads(1)
critic = wgan_toys.train_critic(
    wgan_toys.Gaussian1D(0.0, 1.0), wgan_toys.Gaussian1D(2.0, 1.0), "gp", max_steps=40, eval_every=20, width=16, seed=0
)
from wgan_toys import algorithm1, classroom, images, toy_gan, train, verify
assert wgan_toys.train_critic is train.train_critic and wgan_toys.ToyGAN is toy_gan.ToyGAN
assert wgan_toys.ImageTrainer is images.trainer.ImageTrainer and wgan_toys.Classroom is classroom.Classroom
assert wgan_toys.critic_update is algorithm1.critic_update and wgan_toys.verify is verify
assert wgan_toys.wasserstein_1(wgan_toys.Gaussian1D(0.0, 1.0), wgan_toys.Gaussian1D(2.0, 1.0)) == 2.0
assert {"train_critic", "ToyGAN", "ImageTrainer", "Classroom", "verify"} <= set(dir(wgan_toys))
try:
    wgan_toys.no_such_name
except AttributeError as error:
    assert "no_such_name" in str(error)
else:
    raise AssertionError("wgan_toys.no_such_name did not raise AttributeError")
print(critic.estimate)
"""


@pytest.mark.subprocess
def test_the_top_level_answers_the_first_names_a_newcomer_types_and_still_loads_only_numpy():
    """``import wgan_toys`` loads no torch, and then ``wgan_toys.train_critic(...)``, ``ToyGAN``,
    ``ImageTrainer``, ``Classroom``, ``verify`` and the distances are there (each module imported on
    first use); a trained critic's estimate of W1 = 2 between N(0, 1) and N(2, 1) is positive."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", TOP_LEVEL], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert 0.0 < float(out.stdout.strip().splitlines()[-1]) < 2.5
