"""The lessons in notebooks/ run top to bottom as shipped, draw their figures, and are stored stripped.

Each notebook is executed with nbclient in a fresh ``python3`` kernel, with notebooks/ as the working
directory, as ``make lessons`` and a reader's Jupyter would run it.
"""

import json
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXECUTION_TIMEOUT_S = 1800  # per cell: a hang guard, not a speed limit (a busy machine may be 10x slower)


def notebook_id(path: Path) -> str:
    return path.stem


def code_outputs(notebook):
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


def test_lessons_exist():
    assert NOTEBOOKS, f"no lessons found in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_is_stored_stripped(path):
    """Stored with no outputs and null execution counts, so that diffs show only what was written."""
    notebook = nbformat.read(path, as_version=4)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, (
        f"{path.name}: code cells {dirty} have outputs or an execution count; strip them before committing"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_starts_with_paper_and_goals_and_ends_with_summary_and_exercises(path):
    """STYLE.md, Notebooks: goals and paper section first, Summary and Exercises last."""
    notebook = nbformat.read(path, as_version=4)
    first, last = notebook.cells[0], notebook.cells[-1]
    assert first.cell_type == "markdown" and "arXiv:1701.07875" in first.source and "Goals" in first.source
    assert last.cell_type == "markdown" and "## Summary" in last.source and "## Exercises" in last.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_executes_and_draws(path, monkeypatch):
    # With MPLBACKEND=Agg in the environment the kernel skips the inline backend and every figure
    # is silently dropped; remove it so that the kernel shows figures as a reader's Jupyter does.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=EXECUTION_TIMEOUT_S,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    outputs = code_outputs(notebook)
    errors = [output for output in outputs if output.output_type == "error"]
    assert not errors, f"{path.name}: {json.dumps(errors, indent=1)[:2000]}"
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert images, f"{path.name}: executed, but no cell produced an image/png output"
