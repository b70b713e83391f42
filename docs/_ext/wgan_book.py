"""A small Sphinx extension for the course book.

- copies MathJax 3 from the ``sphinx-mathjax-offline`` wheel into the book's ``_static/mathjax``
  (``conf.mathjax_path`` points there), so that math renders with no network;
- runs ``wgan-toys verify`` and ``wgan-toys figures`` once per version of the package's sources
  (a hash of ``wgan_toys/**/*.py``) into ``docs/_generated/``, and
- provides the ``verify-table`` and ``figure-gallery`` directives that show them;
- writes ``docs/api/index.rst``, the API reference grouped by layer, from ``LAYERS`` in
  ``tests/test_layers.py`` (the one place that says which module is in which layer), so a new module
  appears in the book as soon as it has a layer;
- leaves the "Worked solutions" toctree out of the landing page while ``solutions/`` holds no notebook;
- puts a download link to each lesson's notebook under its title and copies the notebooks (as
  committed, without outputs) into the book's ``notebooks/``;
- provides the ``lesson-times`` directive: each lesson's reading time (its words at
  ``WORDS_PER_MINUTE``) and running time (myst-nb's execution record of this build);
- writes ``_static/wgan_page_text.js``, each page's text, which the search page loads with
  ``_static/wgan_search.js`` to show a snippet under each result: Sphinx reads a result's page with
  ``fetch()`` for it, which a browser refuses from ``file://``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from importlib.util import find_spec
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "docs" / "_generated"
VERIFY_JSON = GENERATED / "verify.json"
FIGURES = GENERATED / "figures"
STAMP = GENERATED / "sources.sha256"
API_INDEX = ROOT / "docs" / "api" / "index.rst"
FOLD_OPEN = '<details class="hide solution-fold">\n<summary>Show the worked solution</summary>'
LAYERS_FILE = ROOT / "tests" / "test_layers.py"
# modules with no page of their own: private helpers and the package's entry files
NOT_DOCUMENTED = {"_validation", "__init__", "__main__"}
LAYER_TITLES = {
    0: ("Layer 0: ground truth, no training", "numpy, scipy and POT; torch only inside functions."),
    1: (
        "Layer 1: critics to optimality",
        "torch: networks, the Lipschitz constraints, the losses, training to "
        "optimality and probes of trained networks.",
    ),
    2: (
        "Layer 2: scenarios and trainers",
        "The parallel lines learned, the 2D toys, the toy GAN trainer and the image chapter.",
    ),
    3: (
        "Layer 3: presentation and entry points",
        "The paper's figures, the classroom widget, the verify table and the command (see also :doc:`../cli`).",
    ),
}
API_HEADER = """API reference
=============

Generated from the package's numpydoc docstrings. The package has four layers; a module imports
only its own layer and those below (``tests/test_layers.py`` enforces it). Each module's page lists
its public functions and classes (its ``__all__``), then documents each one.

``import wgan_toys`` re-exports the closed forms and the laws of layer 0: ``ParallelLines``,
``Gaussian1D``, ``Uniform1D``, ``Discrete1D``, ``all_distances``, ``total_variation``,
``kl_divergence``, ``js_divergence``, ``wasserstein_1``, ``wasserstein_2`` and ``LOG_2``.
"""
SOLUTIONS_TOCTREE = re.compile(r"```\{toctree\}\n:caption: Worked solutions\n.*?```\n", re.S)

# what each figure of `wgan-toys figures` shows; a file not listed here is shown with its name
FIGURE_CAPTIONS = {
    "figure_1.png": "The paper's Figure 1 (Example 1, parallel lines): EM and JS against theta, extended with "
    "TV and KL and with sample-based estimates.",
    "figure_2.png": "The paper's Figure 2: a GAN discriminator and a WGAN critic trained between two Gaussians, "
    "with the optimal discriminator D* and the exact critic overlaid; the discriminator's gradients vanish, "
    "the critic's do not.",
    "transport_parallel_lines.png": "The exact transport plan between the parallel lines (Example 1).",
    "transport_gaussians.png": "The exact transport plan between two Gaussians on the line, with the Kantorovich "
    "potentials.",
    "convergence_gaussians.png": "How sample estimates of the distances converge to the closed forms as the "
    "number of samples grows.",
}

# runs the checks in a subprocess (one torch thread, like `wgan-toys verify`) and prints JSON rows
VERIFY_SCRIPT = """
import json, sys
from wgan_toys.runtime import set_threads
set_threads(1)
from wgan_toys.verify import list_checks, run_checks, select_checks
rows = run_checks(select_checks())
skipped = [c.name for c in list_checks() if c.slow]
json.dump({"rows": [{"status": r.status.value, "claim": r.claim, "measured": r.measured,
                     "expected": r.expected, "seconds": r.seconds} for r in rows],
           "not_run": skipped}, sys.stdout)
"""


def read_layers() -> dict[int, tuple[str, ...]]:
    """``LAYERS`` from tests/test_layers.py, read with ast (no pytest import)."""
    tree = ast.parse(LAYERS_FILE.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "LAYERS" for t in node.targets):
            return ast.literal_eval(node.value)
    raise RuntimeError(f"no LAYERS = {{...}} in {LAYERS_FILE}")


def api_index_text(layers: dict[int, tuple[str, ...]]) -> str:
    """The API index: one autosummary per layer (recursive, so subpackages and their modules come too)."""
    parts = [API_HEADER]
    for layer in sorted(layers):
        title, text = LAYER_TITLES.get(layer, (f"Layer {layer}", ""))
        modules = [name for name in layers[layer] if name not in NOT_DOCUMENTED]
        if not modules:
            continue
        parts.append(
            f"{title}\n{'-' * len(title)}\n\n{text}\n\n.. autosummary::\n   :toctree: generated\n   :recursive:\n"
        )
        parts.append("\n".join(f"   wgan_toys.{name}" for name in modules) + "\n")
    return "\n".join(parts)


def write_api_index(app, config) -> None:
    text = api_index_text(read_layers())
    if not API_INDEX.exists() or API_INDEX.read_text() != text:  # unchanged: keep the cached build
        API_INDEX.parent.mkdir(parents=True, exist_ok=True)
        API_INDEX.write_text(text)


def drop_empty_solutions(app, docname, source) -> None:
    if docname == app.config.root_doc and not any((ROOT / "solutions").glob("*.ipynb")):
        source[0] = SOLUTIONS_TOCTREE.sub("", source[0])


def reread_landing_page(app, env, added, changed, removed) -> list[str]:
    """The landing page's solutions toctree depends on whether solutions/ holds notebooks: reread it."""
    return [app.config.root_doc]


def fold_hidden_markdown(app, docname, source) -> None:
    """Fold markdown cells tagged hide-cell (or hide-input) under "Show the worked solution".

    myst-nb folds tagged code cells itself but renders markdown cells as they are; the worked solutions
    tag their prose answers too, so they are wrapped here in an HTML details element, folded.
    """
    if not app.env.doc2path(docname).name.endswith(".ipynb"):
        return
    notebook = json.loads(source[0])
    folded = 0
    for cell in notebook.get("cells", []):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.get("cell_type") == "markdown" and tags & {"hide-cell", "hide-input"}:
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = f"{FOLD_OPEN}\n\n{text}\n\n</details>\n"
            folded += 1
    if folded:
        source[0] = json.dumps(notebook)


# a tqdm notebook bar's text fallback, e.g. "train-images:   0%|          | 0/300 [00:00<?, ?step/s]"
_TQDM_BAR = re.compile(r"^[^\n]*\d+%\|[^\n]*\|\s*\d+/\d+ \[[^\n]*\]$")


def widget_note(app, doctree) -> None:
    """A widget's text repr (``VBox(children=(...``) becomes a sentence saying where the widget runs.

    The book loads no widget JavaScript (it would come from a CDN), so a widget output would show its
    Python repr; lesson 08 draws the same picture as static frames above it. A tqdm progress bar
    (a long cell's, drawn by ``wgan_toys.runtime.progress_bar`` in a kernel) is dropped.
    """
    for block in list(doctree.findall(nodes.literal_block)):
        text = block.astext()
        if "text_plain" in block.get("classes", []) and _TQDM_BAR.match(text):
            block.parent.remove(block)  # a tqdm progress bar (wgan_toys.runtime.progress_bar): nothing to show
            continue
        if "text_plain" in block.get("classes", []) and re.match(r"^(VBox|HBox|Box|Tab|Accordion)\(children=", text):
            note = nodes.paragraph(
                text="(An interactive ipywidgets panel appears here when the notebook runs in JupyterLab, "
                "make lab; a static book cannot run it.)",
                classes=["widget-note"],
            )
            block.replace_self(note)


def sources_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "wgan_toys").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def generate(app) -> None:
    """Run verify and figures when the package's sources changed since the last build."""
    wanted = sources_hash()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and VERIFY_JSON.exists() and FIGURES.is_dir():
        logger.info("wgan_book: verify table and figures are up to date")
        return
    GENERATED.mkdir(parents=True, exist_ok=True)
    if FIGURES.exists():
        shutil.rmtree(FIGURES)
    command = [sys.executable, "-m", "wgan_toys", "figures", "--out-dir", str(FIGURES)]
    logger.info("wgan_book: %s, and the verify table beside it", " ".join(command))
    # two single-threaded processes, side by side on two cores
    figures = subprocess.Popen(command, cwd=ROOT)
    verify = subprocess.Popen([sys.executable, "-c", VERIFY_SCRIPT], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    rows, _ = verify.communicate()
    for process, what in ((figures, "wgan-toys figures"), (verify, "the verify table")):
        if process.wait() != 0:
            raise RuntimeError(f"{what} failed (exit status {process.returncode}); its output is above")
    VERIFY_JSON.write_text(rows)
    STAMP.write_text(wanted + "\n")


def copy_mathjax(app, exception) -> None:
    """Copy MathJax 3 (its SVG output needs no web fonts) into _static/mathjax."""
    if exception is not None or app.builder.format != "html":
        return
    spec = find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise RuntimeError("sphinx-mathjax-offline is not installed: run make book (it installs the docs extra)")
    source = Path(spec.origin).parent / "static" / "mathjax"
    target = Path(app.outdir) / "_static" / "mathjax"
    shutil.copytree(
        source,
        target,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("chtml", "chtml.js", "*chtml*.js", "sre", "node-main.js", "adaptors"),
    )


WORDS_PER_MINUTE = 150  # technical prose with equations and code, read with care (about 60% of light reading)
NOTEBOOKS = ROOT / "notebooks"


def reading_minutes(notebook: dict) -> int:
    """Minutes to read a notebook's markdown and code cells at ``WORDS_PER_MINUTE`` (at least 1)."""
    words = sum(
        len(("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]).split())
        for cell in notebook.get("cells", [])
        if cell.get("cell_type") in ("markdown", "code")
    )
    return max(1, round(words / WORDS_PER_MINUTE))


def lesson_title(notebook: dict) -> str:
    """A lesson's heading without its markup: "1. distances between parallel lines (Example 1)", "4a. ..."."""
    first = notebook["cells"][0]["source"]
    heading = ("".join(first) if isinstance(first, list) else first).splitlines()[0]
    return re.sub(r"^#+\s*Lesson (\d+[a-z]?):\s*", r"\1. ", heading)


def lesson_download(app, doctree) -> None:
    """Under a lesson's title, a link to its notebook (copied into the book by ``copy_notebooks``)."""
    docname = app.env.docname
    if not docname.startswith("lessons/"):
        return
    name = docname.split("/", 1)[1] + ".ipynb"
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not section.children:
        return
    html = (
        f'<p class="wgan-download">Run this lesson yourself: download <a href="../notebooks/{name}" download>'
        f"{name}</a> and open it in JupyterLab (<code>make lab</code> in a clone, or with <code>pip install "
        "wgan_toys</code>). Its exercises print their verdict with <code>check</code>.</p>"
    )
    section.insert(1, nodes.raw("", html, format="html"))


def copy_notebooks(app, exception) -> None:
    """The lessons' notebooks, as committed (no outputs), into the book's ``notebooks/``."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "notebooks"
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        shutil.copyfile(path, target / path.name)


PAGE_TEXT_JS = "wgan_page_text.js"
MAX_PAGE_TEXT = 200_000  # characters kept per page: a snippet needs a search term's first place


class _MainText(HTMLParser):
    """The text of a page's content as Sphinx's search reads it from its ``role="main"`` element (no
    scripts, styles or header links), here from the theme's article within it (without the page's
    buttons and contents list), with the offset in it of each element ``id`` (a search result's anchor)."""

    SKIP = {"script", "style"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, content=("role", "main")):
        super().__init__(convert_charrefs=True)
        self.content = content  # the attribute and value of the element whose text is kept
        self.parts: list[str] = []
        self.length = 0
        self.anchors: dict[str, int] = {}
        self.depth = 0  # open elements inside main (0: outside it)
        self.skipping = 0  # depth at which a skipped element opened (0: none)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self.VOID:
            return
        if self.depth == 0:
            name, value = self.content
            if value in (attributes.get(name) or "").split():
                self.depth = 1
            return
        self.depth += 1
        if not self.skipping and (tag in self.SKIP or "headerlink" in (attributes.get("class") or "").split()):
            self.skipping = self.depth
        if attributes.get("id") and not self.skipping:
            self.anchors.setdefault(attributes["id"], self.length)

    BLOCK = {"p", "div", "section", "li", "dt", "dd", "pre", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6"}

    def handle_endtag(self, tag):
        if self.depth == 0 or tag in self.VOID:
            return
        if self.skipping == self.depth:
            self.skipping = 0
        elif tag in self.BLOCK and not self.skipping:
            self.handle_data(" ")  # "Two" and "More" of two paragraphs are two words
        self.depth -= 1

    def handle_data(self, data):
        if self.depth and not self.skipping:
            self.parts.append(data)
            self.length += len(data)


def page_text(html: str) -> tuple[str, dict[str, int]]:
    """The text of ``html``'s main content, whitespace collapsed, at most ``MAX_PAGE_TEXT`` characters,
    and the offset of each anchor (element id) in it."""
    for content in (("class", "bd-article"), ("role", "main")):  # the theme's article, else Sphinx's main
        parser = _MainText(content)
        parser.feed(html)
        parser.close()
        if parser.parts:
            break
    raw = "".join(parser.parts)
    # collapse whitespace, mapping each anchor's offset in the raw text to the collapsed one
    pieces, kept, offsets = re.split(r"(\s+)", raw), 0, []
    position = 0
    for piece in pieces:
        offsets.append((position, kept))
        position += len(piece)
        kept += 1 if piece.isspace() else len(piece)
    collapsed = re.sub(r"\s+", " ", raw)
    anchors = {}
    starts = [start for start, _ in offsets]
    import bisect

    for name, offset in parser.anchors.items():
        index = max(0, bisect.bisect_right(starts, offset) - 1)
        start, at = offsets[index]
        anchors[name] = min(at + (offset - start), len(collapsed))
    text = collapsed[:MAX_PAGE_TEXT]
    return text, {name: at for name, at in anchors.items() if at < len(text)}


def write_page_text(app, exception) -> None:
    """Every page's text and anchors into ``_static/wgan_page_text.js`` (``window.WGAN_PAGE_TEXT``), read by
    ``_static/wgan_search.js`` on the search page."""
    if exception is not None or app.builder.format != "html":
        return
    outdir, suffix = Path(app.outdir), app.builder.out_suffix
    pages = {}
    for docname in sorted(app.env.found_docs):
        path = outdir / f"{docname}{suffix}"
        if path.is_file():
            pages[docname] = page_text(path.read_text(encoding="utf-8", errors="replace"))
    static = outdir / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / PAGE_TEXT_JS).write_text("window.WGAN_PAGE_TEXT = " + json.dumps(pages, ensure_ascii=False) + ";\n")


def search_page_scripts(app, pagename, templatename, context, doctree) -> None:
    """The pages' text and the script that answers Sphinx's snippet requests from it, on the search page only."""
    if pagename == "search":
        app.add_js_file(PAGE_TEXT_JS)
        app.add_js_file("wgan_search.js")


class lesson_times_node(nodes.General, nodes.Element):
    """Replaced by the table of reading and running times once every lesson has executed."""


class LessonTimes(Directive):
    """A placeholder for the lessons' reading and running times (filled in by ``fill_lesson_times``)."""

    has_content = False

    def run(self):
        return [lesson_times_node()]


def fill_lesson_times(app, doctree, docname) -> None:
    """The table of each lesson's reading time and running time in this build (myst-nb's record)."""
    from myst_nb.sphinx_ import NbMetadataCollector

    for placeholder in list(doctree.findall(lesson_times_node)):
        rows = []
        for path in sorted(NOTEBOOKS.glob("*.ipynb")):
            lesson = f"lessons/{path.stem}"
            record = NbMetadataCollector.get_exec_data(app.env, lesson) if lesson in app.env.all_docs else None
            runtime = (record or {}).get("runtime")
            running = f"{runtime / 60:.1f} min" if runtime else "not run in this build"
            notebook = json.loads(path.read_text())
            rows.append([lesson_title(notebook), f"{reading_minutes(notebook)} min", running])
        table = nodes.table(classes=["lesson-times"])
        group = nodes.tgroup(cols=3)
        table += group
        for width in (40, 15, 25):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += VerifyTable._row(["lesson", "reading", "running (this build, one machine)"])
        body = nodes.tbody()
        group += body
        for row in rows:
            body += VerifyTable._row(row)
        placeholder.replace_self(table)


class VerifyTable(Directive):
    """The rows of ``wgan-toys verify`` as a table: status, claim, measured, expected, seconds."""

    has_content = False

    def run(self):
        env = self.state.document.settings.env
        env.note_dependency(str(VERIFY_JSON))
        data = json.loads(VERIFY_JSON.read_text())
        rows = data["rows"]
        headers = ["status", "claim", "measured (independently)", "expected", "s"]
        table = nodes.table(classes=["verify-table"])
        group = nodes.tgroup(cols=len(headers))
        table += group
        for width in (6, 30, 32, 28, 4):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self._row(headers)
        body = nodes.tbody()
        group += body
        for row in rows:
            body += self._row(
                [row["status"], row["claim"], row["measured"], row["expected"], f"{row['seconds']:.2f}"],
                status=row["status"],
            )
        counts = {status: sum(row["status"] == status for row in rows) for status in ("PASS", "FAIL", "INFO")}
        total = sum(row["seconds"] for row in rows)
        summary = nodes.paragraph(
            text=(
                f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['INFO']} info (undecided, not a pass); "
                f"{total:.1f} s of checks on one torch thread when this book was built."
            )
        )
        result = [summary, table]
        if data.get("not_run"):
            result.append(
                nodes.paragraph(
                    text="Not run here (slow, minutes; run one with wgan-toys verify --only NAME): "
                    + ", ".join(data["not_run"])
                )
            )
        return result

    @staticmethod
    def _row(cells, status=None):
        row = nodes.row()
        for index, text in enumerate(cells):
            entry = nodes.entry()
            paragraph = nodes.paragraph(text=text)
            if index == 0 and status is not None:
                paragraph = nodes.paragraph()
                paragraph += nodes.strong(text=text)
            entry += paragraph
            row += entry
        return row


class FigureGallery(Directive):
    """Every PNG that ``wgan-toys figures`` wrote, with a caption."""

    has_content = False

    def run(self):
        env = self.state.document.settings.env
        result = []
        paths = sorted(FIGURES.glob("*.png"), key=lambda path: (path.name not in FIGURE_CAPTIONS, path.name))
        if not paths:
            raise self.error(f"wgan-toys figures wrote no PNG into {FIGURES}")
        for path in paths:
            env.note_dependency(str(path))
            figure = nodes.figure(classes=["gallery-figure"])
            figure += nodes.image(uri="/" + str(path.relative_to(ROOT / "docs")), alt=path.stem)
            caption = FIGURE_CAPTIONS.get(path.name, path.stem.replace("_", " "))
            figure += nodes.caption(text=f"{path.name}: {caption}")
            result.append(figure)
        return result


def setup(app):
    # on config-inited, before Sphinx lists the source files (a fresh clone has no api/index.rst yet)
    app.connect("config-inited", write_api_index)
    app.connect("builder-inited", generate)
    app.connect("source-read", drop_empty_solutions)
    app.connect("source-read", fold_hidden_markdown)
    app.connect("env-get-outdated", reread_landing_page)
    app.connect("doctree-read", widget_note)
    app.connect("doctree-read", lesson_download)
    app.connect("doctree-resolved", fill_lesson_times)
    app.connect("build-finished", copy_mathjax)
    app.connect("build-finished", copy_notebooks)
    app.connect("build-finished", write_page_text)
    app.connect("html-page-context", search_page_scripts)
    app.add_node(lesson_times_node)
    app.add_directive("lesson-times", LessonTimes)
    app.add_directive("verify-table", VerifyTable)
    app.add_directive("figure-gallery", FigureGallery)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
