"""The course book's sources (``make book``) hold together, checked without running Sphinx.

``make book`` itself is not part of ``make test``: CI (.ci/run) builds it after ``make test``, whose
lesson tests leave their executed copies in the book's cache. These tests catch what would break it or
leave a lesson out: a docs/conf.py that does not run, a lesson missing from the landing page's toctree or
lesson map, math or widgets loaded from a CDN, and an API index that
forgets a module of tests/test_layers.py's LAYERS.
"""

import ast
import importlib
import re
import runpy
import sys
from pathlib import Path

import pytest
from helpers.book import BOOK_CACHE

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LESSONS = sorted(path.stem for path in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def conf():
    saved = list(sys.path)
    try:
        return runpy.run_path(str(DOCS / "conf.py"))
    finally:
        sys.path[:] = saved


def toctrees(text: str) -> dict[str, list[str]]:
    """Each MyST toctree of ``text`` by caption: its entries, options left out."""
    trees = {}
    for body in re.findall(r"```\{toctree\}\n(.*?)```", text, re.S):
        lines = [line.strip() for line in body.splitlines() if line.strip()]
        caption = next((line.split(":", 2)[2].strip() for line in lines if line.startswith(":caption:")), "")
        trees[caption] = [line for line in lines if not line.startswith(":")]
    return trees


def test_conf_runs_and_names_the_offline_tools(conf):
    extensions = conf["extensions"]
    for name in ("myst_nb", "sphinx.ext.autosummary", "numpydoc", "sphinxarg.ext", "sphinx.ext.mathjax", "wgan_book"):
        assert name in extensions, f"docs/conf.py: extension {name} missing from {extensions}"
    assert conf["nb_execution_mode"] == "cache", "the lessons must execute once and come from the cache after"
    assert Path(conf["nb_execution_cache_path"]) == BOOK_CACHE, (
        "tests/test_notebooks.py stores the lessons it executed where the book reads them"
    )
    assert conf["nb_execution_raise_on_error"] is True, "a lesson that fails must fail the book"
    # offline: MathJax from the book's own _static, no widget JavaScript from a CDN
    assert "://" not in conf["mathjax_path"] and not conf["mathjax_path"].startswith("//"), conf["mathjax_path"]
    assert conf["nb_ipywidgets_js"] == {}, conf["nb_ipywidgets_js"]


def test_every_lesson_is_in_the_toctree_in_course_order():
    assert LESSONS, "no notebooks/*.ipynb"
    trees = toctrees((DOCS / "index.md").read_text())
    assert "Lessons" in trees, f"docs/index.md has no toctree captioned 'Lessons' (captions: {list(trees)})"
    assert trees["Lessons"] == [f"lessons/{name}" for name in LESSONS], (
        "docs/index.md's Lessons toctree must list every notebooks/*.ipynb once, in order"
    )
    assert trees.get("Worked solutions") == ["solutions/*"], "the solutions toctree globs solutions/*"


def test_every_lesson_is_in_the_lesson_map():
    linked = re.findall(r"\{doc\}`[^`<]*<lessons/([^>]+)>`", (DOCS / "index.md").read_text())
    assert linked == LESSONS, f"docs/index.md's lesson map links {linked}, the lessons are {LESSONS}"


def test_docs_links_point_at_the_notebooks():
    assert (DOCS / "lessons").resolve() == (ROOT / "notebooks").resolve()
    assert (DOCS / "solutions").resolve() == (ROOT / "solutions").resolve()


def test_conf_extension_modules_import(conf):
    """Every extension of docs/conf.py imports (the book would fail at once)."""
    importlib.import_module("sphinx")  # make setup installs the docs extra: a missing one fails, it does not skip
    importlib.import_module("myst_nb")
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        for name in conf["extensions"]:
            importlib.import_module(name)
    finally:
        sys.path.remove(str(DOCS / "_ext"))


def test_api_index_covers_every_layer_of_the_package():
    importlib.import_module("sphinx")  # make setup installs the docs extra: a missing one fails, it does not skip
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        wgan_book = importlib.import_module("wgan_book")
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    tree = ast.parse((ROOT / "tests" / "test_layers.py").read_text())
    layers = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "LAYERS" for t in node.targets)
    )
    assert wgan_book.read_layers() == layers
    text = wgan_book.api_index_text(layers)
    sections = re.split(r"\n(Layer \d)", text)
    for layer, modules in layers.items():
        section = sections[sections.index(f"Layer {layer}") + 1]
        listed = re.findall(r"^   wgan_toys\.(\S+)$", section, re.M)
        assert listed == [name for name in modules if name not in wgan_book.NOT_DOCUMENTED], (layer, listed)


def test_a_progress_bar_is_dropped_and_a_widget_becomes_a_sentence():
    """A lesson's long cell draws a tqdm notebook bar; a static page would show its frozen text
    ("0%| | 0/300"), so the book drops it, and turns a widget's repr into a sentence."""
    from docutils import nodes

    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        wgan_book = importlib.import_module("wgan_book")
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    bar = nodes.literal_block(text="train-images:   0%|          | 0/300 [00:00<?, ?step/s]", classes=["text_plain"])
    widget = nodes.literal_block(text="VBox(children=(HBox(children=(Button(),)),))", classes=["text_plain"])
    printed = nodes.literal_block(text="loss 0.5 | 10/10 done", classes=["text_plain"])
    doctree = nodes.document(None, None)
    doctree += [bar, widget, printed]
    wgan_book.widget_note(None, doctree)
    texts = [node.astext() for node in doctree.children]
    assert bar.astext() not in texts and printed.astext() in texts
    assert any("ipywidgets panel" in text for text in texts)


def test_the_student_book_leaves_the_solutions_out(monkeypatch):
    """make book-student (WGAN_TOYS_BOOK_SOLUTIONS=0) excludes solutions/ from the book; make book keeps it."""
    assert "solutions" not in runpy.run_path(str(DOCS / "conf.py"))["exclude_patterns"]
    monkeypatch.setenv("WGAN_TOYS_BOOK_SOLUTIONS", "0")
    assert "solutions" in runpy.run_path(str(DOCS / "conf.py"))["exclude_patterns"]
    makefile = (ROOT / "Makefile").read_text()
    target = makefile[makefile.index("\nbook-student:") :].split("\n\n")[0]
    assert "WGAN_TOYS_BOOK_SOLUTIONS=0" in target and "build/book-student" in target, target


def test_the_readme_is_a_front_page():
    """README.md: what this is, the two commands, the lesson map, where to go next, the sources by reference;
    about 120 lines, nothing outside the clone, no measured timings (they live in the benchmarks' output)."""
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 130, len(text.splitlines())
    assert "make demo" in text and "\nmake test " in text
    linked = re.findall(r"\]\(notebooks/([^)]+)\.ipynb\)", text)
    assert linked == LESSONS, linked
    for needed in ("make book-student", "arXiv:1701.07875", "arXiv:1704.00028", "GPU", "wgan-toys --help"):
        assert needed in text, needed
    assert "../" not in text, "README points outside the clone"
    assert not re.search(r"\d+(\.\d+)? ?(ms|min|s)\b", text), re.search(r"\d+(\.\d+)? ?(ms|min|s)\b", text)
    for page in ("guide/setup", "guide/commands", "guide/package"):
        assert page in toctrees((DOCS / "index.md").read_text())["Guide"], page


def test_the_readme_lesson_map_names_each_lesson_by_its_own_title():
    """The README's lesson map is a list of links whose text is each notebook's title (its first line),
    so that the map cannot drift from the lessons; what each lesson shows and which sections of the
    paper it covers has one home, the book's landing page (docs/index.md), which the README names."""
    text = (ROOT / "README.md").read_text()
    linked = re.findall(r"\[([^\]]+)\]\(notebooks/([^)]+)\.ipynb\)", text)
    assert [name for _, name in linked] == LESSONS, linked
    for title, name in linked:
        assert "# " + title == _title(name), f"README names {name} {title!r}; its notebook says {_title(name)!r}"
    assert "docs/index.md" in text, "the README must point at the book's lesson table"
    assert "| lesson | paper |" not in text, "the lesson table (paper sections, what it shows) lives in docs/index.md"


def test_the_algorithm_1_page_reads_each_line_from_the_module():
    """docs/algorithm1.md shows wgan_toys.algorithm1's source through literalinclude, never a copy:
    each include selects code (Sphinx's own reader), together they show lines 3 to 11 of
    Algorithm 1 as the module's comments label them, and the paper's pseudo-code (lines 1 to 12)
    comes from the module's docstring; the page is in the book's Reference toctree."""
    code = pytest.importorskip("sphinx.directives.code")
    from sphinx.config import Config

    page = (DOCS / "algorithm1.md").read_text()
    assert "algorithm1" in toctrees((DOCS / "index.md").read_text())["Reference"]
    shown = []
    for path, body in re.findall(r"```\{literalinclude\} (\S+)\n(.*?)```", page, re.S):
        options = {}
        for line in body.strip().splitlines():
            key, value = line[1:].split(":", 1)
            options[key] = value.strip().strip('"')
        options.pop("language", None)
        options["dedent"] = int(options["dedent"]) if "dedent" in options else None
        text, _ = code.LiteralIncludeReader(str(DOCS / path), options, Config({}, {})).read()
        assert text.strip(), f"the include of {path} with {options} shows nothing"
        shown.append(text)
    labels = {int(n) for n in re.findall(r"# Alg\. 1, line (\d+)", "".join(shown))}
    assert labels == {3, 4, 5, 6, 7, 9, 10, 11}, f"the page shows Algorithm 1's lines {sorted(labels)}"
    # the paper's pseudo-code, too, is read from the module's docstring, never typed into the page
    prose = "\n".join(line for line in page.splitlines() if not line.startswith(":"))  # without include options
    assert "w <- clip(w, -c, c)" not in prose and "end while" not in prose, "the page holds its own copy of Algorithm 1"
    pseudo = [int(n) for n in re.findall(r"^ ?(\d+): ", "".join(shown), re.M)]
    assert pseudo[:12] == list(range(1, 13)), f"the page's pseudo-code shows lines {pseudo}"


# ------------------------------------------------------------------ a book a student reads comfortably


def test_the_book_wraps_code_links_small_figures_and_ranks_lessons_first(conf):
    """The book's own CSS, script and search scorer exist and do what tools/book_check.js asserts in a browser."""
    static = DOCS / "_static"
    assert conf["html_static_path"] == ["_static"]
    css = (static / conf["html_css_files"][0]).read_text()
    assert re.search(r"pre[^{]*\{[^}]*white-space:\s*pre-wrap", css), "code and outputs must wrap, not scroll"
    script = (static / conf["html_js_files"][0]).read_text()
    assert "naturalWidth" in script and "wgan-enlarge" in script, "a figure shown small must link to itself"
    scorer = Path(conf["html_search_scorer"]).read_text()
    assert "lessons/" in scorer and "var Scorer" in scorer


def test_search_shows_snippets_from_the_books_own_page_text(conf):
    """Offline snippets: the search page answers Sphinx's fetch() of a result's page from the page text
    that wgan_book writes (the main content only, without scripts or header links, with each anchor's
    offset), since a browser refuses fetch() from file://."""
    assert conf["html_show_search_summary"] is True
    script = (DOCS / "_static" / "wgan_search.js").read_text()
    assert "window.fetch" in script and "Search.htmlToText" in script and "WGAN_PAGE_TEXT" in script
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        wgan_book = importlib.import_module("wgan_book")
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    html = (
        '<html><head><script>var index = 1;</script></head><body><nav>menu</nav><main role="main">'
        '<section id="intro"><h1>Lesson 4a<a class="headerlink" href="#intro">#</a></h1>\n<p>The   critic is '
        '<b>Lipschitz</b>.</p><img src="data:image/png;base64,AAAA"><script>hidden()</script>'
        '<section id="bias"><h2>Bias</h2><p>Above W &amp; more.</p></section></section></main><footer>foot</footer>'
    )
    text, anchors = wgan_book.page_text(html)
    assert text.startswith("Lesson 4a The critic is Lipschitz.") and "menu" not in text and "foot" not in text
    assert "#" not in text and "hidden" not in text and "index" not in text and "AAAA" not in text
    assert anchors["intro"] == 0 and text[anchors["bias"] :].startswith("Bias Above W & more.")
    themed = '<main role="main"><div>Light Dark Contents</div><article class="bd-article"><p>The lesson.</p></article></main>'
    assert wgan_book.page_text(themed)[0].strip() == "The lesson."  # the book theme's article, not its buttons


def _title(name: str) -> str:
    import json

    first = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"][0]["source"]
    return ("".join(first) if isinstance(first, list) else first).splitlines()[0]


def test_lesson_titles_do_not_collide():
    """No two lesson titles may share their words once "the" and the number are dropped (e.g. lesson
    01, which trains nothing, and lesson 05, which learns the parallel lines)."""
    keys = []
    for name in LESSONS:
        words = re.sub(r"^# Lesson \d+[a-z]?:\s*", "", _title(name)).split("(")[0].lower().split()
        keys.append(" ".join(word for word in words if word != "the"))
    assert len(set(keys)) == len(keys), keys
    assert "learning" not in keys[0], "lesson 01 trains nothing: its title must not say learning"


def test_reading_time_counts_words_and_the_landing_page_shows_it():
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        wgan_book = importlib.import_module("wgan_book")
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    words = wgan_book.WORDS_PER_MINUTE * 12
    notebook = {"cells": [{"cell_type": "markdown", "source": ["word " * (words // 2)]}]}
    notebook["cells"].append({"cell_type": "code", "source": "x " * (words - words // 2)})
    notebook["cells"].append({"cell_type": "raw", "source": "not read " * 1000})
    assert wgan_book.reading_minutes(notebook) == 12
    assert wgan_book.reading_minutes({"cells": []}) == 1
    assert wgan_book.lesson_title({"cells": [{"source": ["# Lesson 3: the critic (Figure 2)\n", "text"]}]}) == (
        "3. the critic (Figure 2)"
    )
    assert wgan_book.lesson_title({"cells": [{"source": "# Lesson 4b: the bias\n"}]}) == "4b. the bias"
    assert "```{lesson-times}" in (DOCS / "index.md").read_text()
