"""Sphinx configuration of the course book (``make book``).

The book is built offline from the repository: the lessons (``notebooks/``, linked here as
``lessons/``) and the worked solutions (``solutions/``, linked as ``solutions/``) are executed once
by myst-nb and cached with jupyter-cache; math is rendered by a MathJax 3 copied from the
``sphinx-mathjax-offline`` wheel into the book (no CDN); the API reference comes from the numpydoc
docstrings, the CLI reference from ``wgan_toys.cli.build_parser``, and the verify table and the figure
gallery are produced at build time by ``_ext/wgan_book.py``.

This file imports only the standard library, so that ``tests/test_book.py`` can read it without
Sphinx installed.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))

project = "wgan_toys"
author = "the wgan_toys authors"
copyright = "the wgan_toys authors (MIT licence)"
release = version = ""

extensions = [
    "myst_nb",  # notebooks and Markdown pages; also loads myst_parser
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinxarg.ext",  # sphinx-argparse: the CLI reference
    "wgan_book",  # _ext/wgan_book.py: offline MathJax, the verify table, the figure gallery
]

root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = [
    "_build",
    "_generated",
    "**/.ipynb_checkpoints",
    "lessons/data",
    "lessons/runs",
    "solutions/data",
    "solutions/runs",
]
# make book-student sets WGAN_TOYS_BOOK_SOLUTIONS=0: a book for students, the worked solutions neither executed
# nor copied (their toctree glob is then empty)
BOOK_SOLUTIONS = os.environ.get("WGAN_TOYS_BOOK_SOLUTIONS", "1") != "0"
if not BOOK_SOLUTIONS:
    exclude_patterns.append("solutions")
templates_path = ["_templates"]
# the solutions/ toctree glob is empty until solution notebooks exist: that is not an error
suppress_warnings = ["toc.empty_glob"]

# --- notebooks: execute once, reuse the cache (build/book-cache/jupyter) --------------------------
nb_execution_mode = "cache"
nb_execution_cache_path = str(ROOT / "build" / "book-cache" / "jupyter")
nb_execution_timeout = 1800  # per cell: a hang guard, not a speed limit (as tests/test_notebooks.py)
nb_execution_raise_on_error = True  # a lesson that fails fails the book
nb_execution_show_tb = True
nb_execution_in_temp = False  # run in the notebook's own folder, as make lessons and tests do
nb_merge_streams = True
nb_render_markdown_format = "myst"  # Markdown outputs (display(Markdown(...))) with their math and tables
# no widget JavaScript from a CDN: lesson 08 run headless draws static frames
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_dmath_double_inline = True  # $$...$$ inside a paragraph, as Jupyter renders it
myst_heading_anchors = 3

# --- API reference ---------------------------------------------------------------------------------
autosummary_generate = True
autosummary_ignore_module_all = False  # a module's __all__ is its public API
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters section states the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# --- HTML --------------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "wgan_toys: the Wasserstein GAN course"
html_static_path = ["_static"]
html_css_files = ["wgan_book.css"]  # wrapped code and outputs, figures at most the column's width
html_js_files = ["wgan_book.js"]  # a figure shown below its own size links to itself at full size
html_search_scorer = str(DOCS / "_static" / "wgan_scorer.js")  # lessons above API entries
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
    "navbar_persistent": [],  # one search box, the sidebar's (the header repeated it)
}
# MathJax 3 (SVG output: no web fonts to load from file://), copied into _static/mathjax by wgan_book
mathjax_path = "mathjax/tex-svg.js"
mathjax3_config = {"tex": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]]}}

# Some docstrings write an absolute value as |x|, which reStructuredText reads as a substitution;
# these render them as written.
rst_prolog = "\n".join(
    f".. |{name}| replace:: \\|{name}\\|"
    for name in (
        "theta",
        "theta0",
        "estimate - exact",
        "f'",
        "D",
        "df/dx",
        "dtheta",
        "x",
        "d rho / d theta",
        "difference of means",
        "E_P x - E_Q x",
        "W(theta) - W(theta')",
    )
)

# a snippet under each search result: Sphinx reads the result's page with fetch() for it, which the
# browser refuses from file://, so _ext/wgan_book.py writes every page's text into the book
# (_static/wgan_page_text.js) and _static/wgan_search.js answers those reads from it, on the search page
html_show_search_summary = True
html_context = {"default_mode": "light"}  # pydata-sphinx-theme logs a console error without one
