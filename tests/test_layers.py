"""The package's imports flow one way: four layers, each importing only its own layer
or the ones below, no cycle, and no module reaching into another module's private names.

Every ``import`` statement counts, function-local ones included: a lazy import still ties the two
modules together. The layers, as the book's module table (docs/guide/package.md) shows them:

- 0, ground truth without training: ``_validation``, ``runtime``, ``distributions``, ``distances``
  (with ``gaussian_distances`` and ``quadrature``), ``empirical``, ``transport``, ``optimal``, ``likelihood``, ``trend``, ``ipm``;
- 1, Algorithm 1 and critics to optimality (``sweep``: S at once; ``experiments`` on sweeps): ``networks``, ``lipschitz``, ``objectives``,
  ``fit_settings``, ``algorithm1`` (the critic and generator updates every trainer calls), ``train``, ``measure``, ``theory``;
- 2, scenarios and trainers: ``parallel_lines``, ``toys2d``, ``toy_config``, ``toy_gan``, ``images.*``;
- 3, presentation and entry points: ``plots`` (a package: ``plots.distances``, ``plots.critics``, ...),
  ``classroom`` (with ``classroom_session`` and ``classroom_view``), ``verify``, ``cli``, the package's ``__init__`` and ``__main__``.

A subpackage's modules take its layer. A private module (``plots._style``) is imported only from
inside its own package; ``_validation`` sits at the top and serves every module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "wgan_toys"
PACKAGE = "wgan_toys"

LAYERS = {
    0: (
        "_validation",
        "runtime",
        "distributions",
        "distances",
        "gaussian_distances",
        "quadrature",
        "empirical",
        "transport",
        "optimal",
        "likelihood",
        "trend",
        "ipm",
    ),
    1: (
        "networks",
        "lipschitz",
        "objectives",
        "fit_settings",
        "algorithm1",
        "train",
        "sweep",
        "experiments",
        "measure",
        "theory",
    ),
    2: ("run_files", "runs", "parallel_lines", "toys2d", "toy_config", "toy_gan", "images"),
    3: (
        "plots",
        "classroom",
        "classroom_session",
        "classroom_view",
        "verify",
        "cli",
        "exercises",
        "__init__",
        "__main__",
    ),
}


def module_names() -> list[str]:
    """Dotted names relative to the package: ``distances``, ``images.trainer``, ``images``, ``__init__``."""
    names = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]  # images/__init__.py is the module ``images``
        names.append(".".join(parts))
    return names


def module_path(name: str) -> Path:
    candidate = PACKAGE_ROOT / (name.replace(".", "/") + ".py")
    return candidate if candidate.exists() else PACKAGE_ROOT / name.replace(".", "/") / "__init__.py"


def layer_of(name: str) -> int:
    top = name.split(".")[0]
    for layer, members in LAYERS.items():
        if top in members:
            return layer
    raise AssertionError(
        f"module {PACKAGE}.{name} has no layer: add it to LAYERS here and to the module table of docs/guide/package.md"
    )


def package_imports(name: str, source: str | None = None) -> list[tuple[str, list[str], int]]:
    """(imported module, imported names, line) for every import of a package module in ``name``
    (its file, or ``source`` read as if it stood there)."""
    known = set(module_names())
    tree = ast.parse(module_path(name).read_text() if source is None else source, filename=str(module_path(name)))
    is_package = module_path(name).name == "__init__.py" and name != "__init__"
    here = name.split(".") if is_package else name.split(".")[:-1]  # the package that holds this module
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    target = alias.name[len(PACKAGE) + 1 :] or "__init__"
                    found.append((target, [], node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                module = ".".join(base + ([node.module] if node.module else []))
            elif node.module and (node.module == PACKAGE or node.module.startswith(PACKAGE + ".")):
                module = node.module[len(PACKAGE) + 1 :]
            else:
                continue
            module = module or "__init__"
            names = [alias.name for alias in node.names]
            submodules = [f"{module}.{n}" if module != "__init__" else n for n in names]
            if all(s in known for s in submodules):  # ``from . import measure``: imports modules
                found.extend((s, [], node.lineno) for s in submodules)
            else:
                found.append((module, names, node.lineno))
    return [(target, names, line) for target, names, line in found if target != name]


def import_graph() -> dict[str, set[str]]:
    return {name: {target for target, _, _ in package_imports(name)} for name in module_names()}


def test_every_module_has_a_layer():
    for name in module_names():
        layer_of(name)


def upward_imports(name: str, source: str | None = None) -> list[str]:
    layer = layer_of(name)
    return [
        f"line {line}: {target} (layer {layer_of(target)})"
        for target, _, line in package_imports(name, source)
        if layer_of(target) > layer
    ]


def private_module_imports(name: str, source: str | None = None) -> list[str]:
    """Imports of a private module (``plots._style``) from outside the package that holds it."""
    found = []
    for target, _, line in package_imports(name, source):
        *package, last = target.split(".")
        if last.startswith("_") and not last.startswith("__") and name.split(".")[: len(package)] != package:
            found.append(f"line {line}: {target}")
    return found


@pytest.mark.parametrize("name", module_names())
def test_imports_only_its_own_layer_or_below(name):
    upward = upward_imports(name)
    assert not upward, f"{PACKAGE}.{name} (layer {layer_of(name)}) imports upward: {'; '.join(upward)}"


@pytest.mark.parametrize("name", module_names())
def test_private_modules_serve_only_their_own_package(name):
    outside = private_module_imports(name)
    assert not outside, f"{PACKAGE}.{name} imports a module private to another package: {'; '.join(outside)}"


@pytest.mark.parametrize("name", module_names())
def test_no_private_names_from_other_modules(name):
    private = [
        f"line {line}: {target}.{n}"
        for target, names, line in package_imports(name)
        for n in names
        if n.startswith("_") and not n.startswith("__") and target.split(".")[0] != "_validation"
    ]
    assert not private, (
        f"{PACKAGE}.{name} imports another module's private names: {'; '.join(private)}; make them public or move them"
    )


def test_no_import_cycle():
    graph = import_graph()
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycle = path[path.index(target) :] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_layer_zero_does_not_import_torch_at_module_level():
    """Ground truth loads without torch: layer 0 imports it only inside the functions that need it."""
    offenders = []
    for name in LAYERS[0]:
        tree = ast.parse(module_path(name).read_text())
        for node in tree.body:
            imported = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(module == "torch" or module.startswith("torch.") for module in imported):
                offenders.append(f"{name} line {node.lineno}")
    assert not offenders, f"layer 0 imports torch at module level: {', '.join(offenders)}"


def test_the_checker_sees_what_it_checks():
    """The walk finds relative, absolute, submodule and function-local imports (else it passes vacuously)."""
    graph = import_graph()
    assert "distributions" in graph["transport"]  # module-level relative import
    assert "quadrature" in graph["transport"]  # function-local relative import
    assert "measure" in graph["verify.critics"]  # function-local import (two dots, inside a subpackage)
    assert "images.checkpoints" in graph["images.trainer"]  # relative import inside a subpackage
    assert "runs" in graph["images.trainer"]  # two-dot import from a subpackage
    assert any(names for _, names, _ in package_imports("cli"))


def test_the_checker_sees_into_the_plots_package():
    """The drawing modules of ``plots/`` sit in layer 3 and their two-dot imports resolve to the
    package's modules: an import of them from a lower layer, or of ``plots._style`` from outside
    ``plots``, is caught."""
    graph = import_graph()
    assert {"plots.distances", "plots.critics", "plots._style"} <= graph["plots"]
    assert {"measure", "plots._style"} <= graph["plots.critics"]  # ``from ..measure``, ``from ._style``
    assert layer_of("plots.critics") == 3
    assert upward_imports("train", "from .plots.critics import figure_2\n") == ["line 1: plots.critics (layer 3)"]
    assert upward_imports("measure", "def f():\n    from .plots import _style\n") == ["line 2: plots._style (layer 3)"]
    assert private_module_imports("cli", "from ..plots._style import new_axes\n") == ["line 1: plots._style"]
    assert private_module_imports("plots.toy_runs", "from ._style import new_axes\n") == []
    assert private_module_imports("train", "from ._validation import check_int\n") == []
