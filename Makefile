# wgan_toys: two commands do everything (see README.md).
#   make demo   set up .venv, check the paper's claims (wgan-toys verify), write every figure to figures/
#   make test   set up .venv, run the whole test suite (unit, property, CLI, benchmarks' smoke runs, lessons)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# extra pip options, e.g. PIP_OPTIONS="--extra-index-url https://download.pytorch.org/whl/cpu"
PIP_OPTIONS ?=

.PHONY: setup demo test test-fast check format lab lessons book book-check bench lock clean

# setup also makes git strip notebook outputs when a notebook is staged (nbstripout as a clean filter in
# .git/config and .git/info/attributes; --keep-id keeps the stored cell ids); rerunning rewrites the same
# lines; outside a git clone it is skipped
setup: $(STAMP)
	@if git rev-parse --git-dir > /dev/null 2>&1; then \
	  git config filter.nbstripout.clean '"$(abspath $(BIN))/nbstripout" --keep-id' && \
	  git config filter.nbstripout.smudge cat && \
	  attributes="$$(git rev-parse --git-path info/attributes)" && mkdir -p "$$(dirname "$$attributes")" && \
	  { grep -qxF '*.ipynb filter=nbstripout' "$$attributes" 2> /dev/null || \
	    echo '*.ipynb filter=nbstripout' >> "$$attributes"; } && \
	  echo "git strips notebook outputs when a notebook is staged (nbstripout filter)"; \
	fi

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --no-compile $(PIP_OPTIONS) -c requirements.lock -e ".[lessons,dev,docs]"
	@# the bytecode pip would compile on one core, compiled on every core; as with pip, a file written for
	@# a newer Python (torch ships one for 3.12) is skipped
	$(BIN)/python -c "import compileall, sysconfig; compileall.compile_dir(sysconfig.get_path('purelib'), quiet=2, workers=0)"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/wgan-toys verify
	$(BIN)/wgan-toys figures --out-dir figures

# one pytest worker per core (pytest-xdist); every torch workload in the tests uses one thread, and so do
# numpy's and scipy's BLAS/OpenMP pools (their idle threads spin: with one worker per core they only
# take cycles from the other worker; test_optimal's L-BFGS checks burn 60% more CPU with them)
TEST_THREADS := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
test: $(STAMP)
	env -u MPLBACKEND $(TEST_THREADS) $(BIN)/python -m pytest -n auto --dist worksteal

# the unit tests alone, under a minute on 2 cores: no lesson executed (marker notebook), no Python process
# started (subprocess), no test that takes seconds of CPU or more (slow); markers are in pyproject.toml
FAST := not slow and not notebook and not subprocess
test-fast: $(STAMP)
	env -u MPLBACKEND $(TEST_THREADS) $(BIN)/python -m pytest -n auto --dist worksteal -m "$(FAST)"

# lint, formatting and types (ruff and mypy, configured in pyproject.toml); CI runs it before the tests
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lab: $(STAMP)
	env -u MPLBACKEND $(BIN)/jupyter lab notebooks

# every lesson executed top to bottom, readable without Jupyter: the book (below), whose pages bundle
# their math (nbconvert's HTML loaded MathJax from a CDN and showed raw $...$ offline)
lessons: book

# the course book: every lesson executed once and cached in build/book-cache, the API and
# CLI references, the verify table and the figure gallery, readable from build/book/index.html offline;
# -W: a warning (a broken numpydoc section, a missing reference) fails it. After make test, the lessons
# come from that cache: tests/test_notebooks.py stores each copy it executed there (CI: .ci/run)
# (setup installs the docs extra too, about 12 s: so the tests of docs/ run in CI instead of skipping)
SCREENSHOTS ?= /tmp/book-screenshots

book: $(STAMP)
	env -u MPLBACKEND $(BIN)/python -m sphinx -b html -W --keep-going -d build/book-doctrees docs build/book

# the book without the worked solutions, for lecturers to hand to students (docs/conf.py reads the variable)
.PHONY: book-student
book-student: $(STAMP)
	env -u MPLBACKEND WGAN_TOYS_BOOK_SOLUTIONS=0 $(BIN)/python -m sphinx -b html -W --keep-going -d build/book-student-doctrees docs build/book-student

# the book in headless Chromium from file:// (tools/book_check.js says what it needs and checks)
book-check: book
	NODE_PATH=$${NODE_PATH:-/tmp/node_modules} node tools/book_check.js build/book $(SCREENSHOTS)

bench: $(STAMP)
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

lock: $(STAMP)
	grep '^#' requirements.lock > requirements.lock.new
	$(BIN)/python -m pip freeze --exclude-editable | sed 's/^torch==\(.*\)+cpu/torch==\1/' >> requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) build figures .pytest_cache .mypy_cache docs/_generated docs/api
