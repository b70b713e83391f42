"""The lessons in notebooks/ run top to bottom as shipped, draw their figures, and are stored stripped.

Each notebook is executed with nbclient in a fresh ``python3`` kernel, with notebooks/ as the working
directory, as ``make lessons`` and a reader's Jupyter would run it. Each executed copy is then stored in
the book's jupyter-cache (build/book-cache/jupyter, docs/conf.py's ``nb_execution_cache_path``), so that
``make book`` after ``make test`` shows these outputs instead of executing every lesson a second time.
"""

import json
import re
import time
from pathlib import Path

import pytest
from helpers.book import BOOK_CACHE, ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
SOLUTIONS_DIR = NOTEBOOK_DIR.parent / "solutions"
SOLUTIONS = sorted(SOLUTIONS_DIR.glob("*_solutions.ipynb"))
ANSWER_CELL = re.compile(r'^answer = \.\.\.  # .+\ncheck\("(\d\d\.\d+)", answer\)$', re.M)
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
    """STYLE.md, Notebooks: goals and paper section first, Summary and Exercises last (after them, only the
    exercises one by one and their answer cells)."""
    notebook = nbformat.read(path, as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and "arXiv:1701.07875" in first.source and "Goals" in first.source
    summary = max(index for index, cell in enumerate(notebook.cells) if "## Summary" in cell.source)
    assert notebook.cells[summary].cell_type == "markdown" and "## Exercises" in notebook.cells[summary].source
    for cell in notebook.cells[summary + 1 :]:
        if cell.cell_type == "markdown":
            assert cell.source.startswith("### Exercise "), (
                f"{path.name}: after the summary, only exercises: {cell.source[:80]!r}"
            )
        else:
            assert ANSWER_CELL.search(cell.source), (
                f"{path.name}: after the summary, a code cell that is not an answer cell"
            )


def executed(path: Path, monkeypatch, book_cache: Path | None = BOOK_CACHE):
    """The notebook at ``path`` executed in a fresh kernel, with its own folder as the working directory,
    and stored in the jupyter-cache at ``book_cache`` (None: not stored) for the book to show.

    Raises CellExecutionError, naming the cell, if any cell fails.
    """
    # With MPLBACKEND=Agg in the environment the kernel skips the inline backend and every figure
    # is silently dropped; remove it so that the kernel shows figures as a reader's Jupyter does.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=EXECUTION_TIMEOUT_S,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,  # per-cell timestamps in the cell metadata would change jupyter-cache's hash
    )
    start = time.perf_counter()
    client.execute()
    if book_cache is not None:
        store_for_the_book(path, notebook, book_cache, time.perf_counter() - start)
    return notebook


def store_for_the_book(path: Path, notebook, book_cache: Path, seconds: float):
    """Store the executed ``notebook`` (read from ``path``) in the jupyter-cache at ``book_cache``, where
    myst-nb's ``nb_execution_mode = "cache"`` finds it: jupyter-cache matches a notebook by a hash of its
    code cells' sources and metadata and of its kernelspec, so the stored copy must hash as the notebook
    on disk does, which is asserted. Skipped where jupyter-cache (the docs extra) is not installed.

    pytest-xdist's workers store concurrently into one SQLite database, so each store holds an exclusive
    lock on a file beside it.
    """
    try:
        import fcntl

        from jupyter_cache import get_cache
        from jupyter_cache.base import CacheBundleIn
    except ImportError:  # no docs extra (or no POSIX locks): nothing to share
        return
    book_cache.mkdir(parents=True, exist_ok=True)
    with open(book_cache.parent / "jupyter.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cache = get_cache(str(book_cache))
        bundle = CacheBundleIn(notebook, str(path), data={"execution_seconds": seconds})
        record = cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)  # as myst-nb
        try:
            matched = cache.match_cache_notebook(nbformat.read(path, as_version=4)).pk
        except KeyError:  # jupyter-cache's answer when no record has the notebook's hash
            matched = None
    assert matched == record.pk, (
        f"{path.name}: its executed copy does not hash as the notebook on disk; make book would execute it again"
    )


def noise(notebook) -> list[str]:
    """What an executed notebook shows that a reader should not see: anything on stderr (warnings,
    FutureWarning and DeprecationWarning included), a warning printed to stdout, an output of a setup cell
    (one that imports), and a bare integer shown as a cell's value (such as ``1`` from ``set_threads()``)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        setup = re.search(r"^(import|from) \w", cell.source, flags=re.M) is not None
        for output in cell.outputs:
            text = output.get("text", "") or output.get("data", {}).get("text/plain", "")
            if output.output_type == "stream" and output.name == "stderr":
                found.append(f"cell {index} writes to stderr: {text[:300]!r}")
            elif re.search(r"\w*Warning\b", text):
                found.append(f"cell {index} shows a warning: {text[:300]!r}")
            elif output.output_type == "execute_result" and (setup or re.fullmatch(r"-?\d+", text.strip())):
                found.append(f"cell {index} shows a stray value: {text[:100]!r}")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
@pytest.mark.notebook
def test_notebook_executes_and_draws(path, monkeypatch):
    notebook = executed(path, monkeypatch)
    outputs = code_outputs(notebook)
    errors = [output for output in outputs if output.output_type == "error"]
    assert not errors, f"{path.name}: {json.dumps(errors, indent=1)[:2000]}"
    assert not noise(notebook), f"{path.name} prints what a reader should not see: {noise(notebook)}"
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert images, f"{path.name}: executed, but no cell produced an image/png output"


@pytest.mark.notebook
def test_an_executed_notebook_is_what_the_book_finds_in_its_cache(tmp_path, monkeypatch):
    """The book's notebook client (myst-nb, ``nb_execution_mode = "cache"``) takes a notebook's outputs from
    jupyter-cache instead of executing it when the cache matches the notebook as stored: after
    ``executed``, it matches, and merging gives the outputs the kernel computed (not a copy of the input)."""
    jupyter_cache = pytest.importorskip("jupyter_cache")
    path = tmp_path / "tiny.ipynb"
    source = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# tiny"), nbformat.v4.new_code_cell("print(6 * 7)")],
        metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    )
    source.cells[1].metadata["tags"] = ["hide-input"]
    nbformat.write(source, path)
    executed(path, monkeypatch, book_cache=tmp_path / "cache")
    cache = jupyter_cache.get_cache(str(tmp_path / "cache"))
    _, merged = cache.merge_match_into_notebook(nbformat.read(path, as_version=4))
    assert [output.get("text") for output in merged.cells[1].outputs] == ["42\n"]
    assert merged.cells[1].metadata["tags"] == ["hide-input"]


# --- exercises and their solutions ------------------------------------------------


def exercise_sections(notebook, heading: str) -> dict[int, list]:
    """Exercise number -> the cells from its heading (``### Exercise N`` in a lesson, ``## Exercise N`` in
    its solutions) up to the next heading of that level."""
    sections, current = {}, None
    for cell in notebook.cells:
        match = re.match(heading + r" Exercise (\d+)\b", cell.source) if cell.cell_type == "markdown" else None
        if match:
            current = sections.setdefault(int(match.group(1)), [])
        elif current is not None and cell.cell_type == "markdown" and cell.source.startswith("#"):
            current = None
        if current is not None:
            current.append(cell)
    return sections


def lesson_of(solutions: Path) -> Path:
    return NOTEBOOK_DIR / (solutions.name.removesuffix("_solutions.ipynb") + ".ipynb")


def test_every_checker_belongs_to_an_exercise_with_an_answer_cell():
    """Each checker in wgan_toys.exercises.CHECKERS is called by the answer cell of its exercise, and every
    answer cell calls the checker of its own exercise."""
    from wgan_toys.exercises import CHECKERS

    called = {}
    for path in NOTEBOOKS:
        for number, cells in exercise_sections(nbformat.read(path, as_version=4), "###").items():
            for cell in cells:
                for exercise in ANSWER_CELL.findall(cell.source) if cell.cell_type == "code" else ():
                    assert exercise == f"{path.name[:2]}.{number}", f"{path.name}, exercise {number} calls {exercise}"
                    called[exercise] = path.name
    assert sorted(called) == sorted(CHECKERS), f"checkers without an answer cell, or the reverse: {sorted(called)}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=notebook_id)
def test_solutions_cover_every_exercise_of_their_lesson(path):
    """One section per exercise of the lesson; a checked exercise's solution calls its checker strictly; every
    solution cell is tagged hide-cell (the book folds them); a pen-and-paper exercise has a hint in the lesson."""
    lesson = lesson_of(path)
    assert lesson.exists(), f"{path.name} has no lesson {lesson.name}"
    lesson_sections = exercise_sections(nbformat.read(lesson, as_version=4), "###")
    notebook = nbformat.read(path, as_version=4)
    solution_sections = exercise_sections(notebook, "##")
    assert lesson_sections and sorted(solution_sections) == sorted(lesson_sections), (
        path.name,
        sorted(solution_sections),
    )
    for number, cells in lesson_sections.items():
        answer_cells = [cell for cell in cells if cell.cell_type == "code"]
        solution_cells = solution_sections[number][1:]
        assert solution_cells and all("hide-cell" in cell.metadata.get("tags", []) for cell in solution_cells)
        assert solution_cells[0].source.startswith("**Solution.**")
        if answer_cells:
            exercise = ANSWER_CELL.search(answer_cells[0].source).group(1)
            assert any(f'check("{exercise}", answer, strict=True)' in cell.source for cell in solution_cells), exercise
        else:
            assert "*Hint:*" in cells[0].source, f"{lesson.name}, exercise {number}: no answer cell and no hint"
    dirty = [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count)
    ]
    assert not dirty, f"{path.name}: code cells {dirty} have outputs; strip them before committing"


@pytest.mark.parametrize("path", SOLUTIONS, ids=notebook_id)
@pytest.mark.notebook
def test_solutions_execute_and_pass_their_checks(path, monkeypatch):
    """Every solution notebook runs top to bottom; its checkers run with strict=True, so a wrong solution fails."""
    notebook = executed(path, monkeypatch)
    assert not noise(notebook), f"{path.name} prints what a reader should not see: {noise(notebook)}"
    printed = "".join(output.get("text", "") for output in code_outputs(notebook))
    checked = re.findall(r"^Exercise (\d\d\.\d+): right", printed, flags=re.M)
    expected = re.findall(
        r'check\("(\d\d\.\d+)", answer, strict=True\)', "".join(cell.source for cell in notebook.cells)
    )
    assert checked == expected, f"{path.name}: printed right for {checked}, expected {expected}"


def test_the_book_counts_the_checked_exercises():
    """The book's setup page (docs/guide/setup.md) states how many exercises have checkers and how many are
    pen and paper."""
    from wgan_toys.exercises import CHECKERS

    sections = [exercise_sections(nbformat.read(path, as_version=4), "###") for path in NOTEBOOKS]
    total = sum(len(found) for found in sections)
    readme = (NOTEBOOK_DIR.parent / "docs" / "guide" / "setup.md").read_text()
    paragraph = " ".join(readme[readme.index("**Exercises.**") :].split("\n\n")[0].split())
    assert f"Each of the {len(CHECKERS)} that are not pen and paper (of {total})" in paragraph, paragraph
    assert f"The {total - len(CHECKERS)} pen-and-paper exercises" in paragraph, paragraph


# --- widgets that a headless run can execute (jupyter/nbclient#312) -----------------------------------------------


def test_noise_finds_a_warning_a_stray_value_and_stderr():
    """The filter that the executed lessons pass: it finds what lesson 01 showed (``1`` from its setup cell) and
    what lessons 06 and 07 printed (a FutureWarning on stderr), and lets a figure and a deliberate value through."""
    cell = nbformat.v4.new_code_cell
    notebook = nbformat.v4.new_notebook(
        cells=[
            cell(
                "import wgan_toys\nruntime.set_threads()",
                outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "1"})],
            ),
            cell(
                "trainer = ToyGAN(config)",
                outputs=[nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: 'gan'")],
            ),
            cell("trainer.critic_steps", outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "20"})]),
            cell(
                "trainer.evaluate()",
                outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "{'exact_w1': 1.2}"})],
            ),
            cell(
                "plot()",
                outputs=[nbformat.v4.new_output("display_data", {"image/png": "iVBOR", "text/plain": "<Figure>"})],
            ),
        ]
    )
    assert [line.split(":")[0] for line in noise(notebook)] == [
        "cell 0 shows a stray value",
        "cell 1 writes to stderr",
        "cell 2 shows a stray value",
    ]


def test_no_lesson_or_solution_captures_into_an_output_widget():
    """interact, interactive_output and Output widgets capture outputs into an Output widget: executed headless,
    nbclient then sends comm messages on the shell channel mid-cell, a race that hung lesson 02 (its interact
    slider) for the whole cell timeout once, beside two busy processes. The lessons use Image widgets instead."""
    pattern = re.compile(r"\binteract(ive|ive_output)?\s*\(|\bwidgets\.Output\s*\(|\bOutput\s*\(|@interact\b")
    offenders = [
        f"{path.name}, cell {index}"
        for path in NOTEBOOKS + SOLUTIONS
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells)
        if cell.cell_type == "code" and pattern.search(cell.source)
    ]
    assert not offenders, offenders


def test_the_gaussian_pair_sliders_redraw_an_image_widget():
    import ipywidgets as widgets
    import matplotlib

    matplotlib.use("Agg")
    from wgan_toys import plots
    from wgan_toys.distributions import Gaussian1D

    box = plots.gaussian_pair_widget(Gaussian1D(0.0, 1.0), mu2=3.0, sigma2=1.0)
    (mean, spread), picture = box.children[0].children, box.children[1]
    assert isinstance(picture, widgets.Image) and picture.value[:4] == b"\x89PNG"
    before = bytes(picture.value)
    mean.value = -2.0
    moved = bytes(picture.value)
    spread.value = 2.0
    assert before != moved != bytes(picture.value)
