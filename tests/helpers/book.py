"""Where the course book reads executed lessons: docs/conf.py's ``nb_execution_cache_path``
(tests/test_book.py checks that the two agree; tests/test_notebooks.py stores there what it executed)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOOK_CACHE = ROOT / "build" / "book-cache" / "jupyter"
