r"""The claims listed below as a table, each a row that a wrong implementation makes FAIL: ``wgan-toys verify``.

Each check is a generator function registered with :func:`claim`; it yields
:class:`CheckResult` rows as it measures them, so that the table is printed row by row, each
row with the seconds it took. Every row has two sides:

- **measured**: computed independently of the implementation it checks: from samples of the
  package's samplers through POT and histograms on a grid fixed in advance, by adaptive quadrature
  or Simpson's rule on a definition, by finite differences, or from a trained network;
- **expected**: the paper's statement, and the value the package's implementation returns.

``tests/test_verify.py`` holds a table that maps every row to the mutations of the code it checks
(JS without its 1/2, a sampler at the wrong abscissa, clipping not applied, the linear formula as
the penalised optimum, ...) that make it FAIL, and asserts each mutation flips its rows and that the
table covers every registered row.

Row status (:class:`Status`):

- ``PASS``: the measured side agrees with the claim within the tolerance the row states;
- ``FAIL``: it does not; ``wgan-toys verify`` then exits with status 1;
- ``INFO``: the toys cannot decide the claim (the row says why). INFO is never PASS and never
  changes the exit status.

Checks registered with ``slow=True`` (minutes) are listed by :func:`list_checks` but run only
when selected by name (``wgan-toys verify --only PATTERN``).

The rows live in modules grouped by the paper, listed in :data:`ROW_MODULES` in table order:

- ``distances``: Example 1, symmetry and bounds, closed forms, Theorems 1 and 2;
- ``critics``: duality (eq. (2)), Figure 2, the GAN bound (Section 4.2), the WGAN-GP optimum, clipping;
- ``learning``: descent on Example 1, Theorem 3, mode coverage (Section 4.3, slow).

**Registering a module of rows.** A module of rows is one entry of :data:`ROW_MODULES`, at the
place its rows take in the table (``wgan_toys.verify.section1``, Section 1's rows, goes first). It
either registers its checks with ``@claim`` as it is imported (``from wgan_toys.verify import
CheckResult, claim, fmt, same, status_of``, as the modules of this package do), or lists its row
functions in a tuple ``ROWS`` and registers nothing itself: the package then registers each of them
(``claim(row)``) when it imports the module. Either way the package re-exports the module's
``__all__``, and a test asserts per row that some mutation of the code the row checks makes it FAIL
(``tests/test_verify.py`` for this package's modules).

The trained networks are small MLPs, each trained once (one thread) and shared by the rows that
use them, on one thread (``benchmarks/bench_course.py --parts verify`` times the default table).

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875: Example 1, Theorems 1-3, eqs. (1)-(3),
Figure 2, Sections 3 and 4.2.
Gulrajani, Ahmed, Arjovsky, Dumoulin, Courville (2017), arXiv:1704.00028 (WGAN-GP).
"""

import importlib

from ._registry import (
    CHECKS,
    Check,
    CheckResult,
    Status,
    claim,
    fmt,
    format_row,
    format_summary,
    format_table,
    list_checks,
    register_listed_rows,
    run_checks,
    same,
    select_checks,
    status_of,
)

# The registration point: the modules of rows, in table order; importing one registers its checks.
ROW_MODULES = (
    "wgan_toys.verify.section1",
    "wgan_toys.verify.distances",
    "wgan_toys.verify.critics",
    "wgan_toys.verify.learning",
)


def _import_row_modules() -> list[str]:
    """Import ROW_MODULES (registering their checks: a module's ``ROWS`` are registered here) and bind
    their public names here. A module that is itself being imported (it imported this package first)
    registers its checks as it finishes; its names are found by ``__getattr__`` and its rows take their
    place by ROW_MODULES' order."""
    names = []
    for module_name in ROW_MODULES:
        module = importlib.import_module(module_name)
        register_listed_rows((module_name,))
        for name in getattr(module, "__all__", ()):
            globals()[name] = getattr(module, name)
            names.append(name)
    return names


def __getattr__(name: str):
    for module_name in ROW_MODULES:
        module = importlib.import_module(module_name)
        if name in getattr(module, "__all__", ()):
            return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_ROW_NAMES = _import_row_modules()

__all__ = [
    "Status",
    "CheckResult",
    "Check",
    "claim",
    "list_checks",
    "select_checks",
    "run_checks",
    "format_row",
    "format_table",
    "format_summary",
    "CHECKS",
    "fmt",
    "status_of",
    "same",
    "ROW_MODULES",
    "register_listed_rows",
    *_ROW_NAMES,
]
