"""The verify table's machinery: rows (:class:`CheckResult`), checks (:class:`Check`), the
:func:`claim` decorator that registers a check, and running and printing the table.

A row module registers its checks with ``@claim``; the package's ``ROW_MODULES`` lists the row
modules in table order, so a new module of rows is one more entry there.
"""

from __future__ import annotations

import enum
import fnmatch
import importlib
import math
import sys
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

__all__ = [
    "Status",
    "CheckResult",
    "Check",
    "claim",
    "list_checks",
    "register_listed_rows",
    "select_checks",
    "run_checks",
    "format_row",
    "format_table",
    "format_summary",
    "CHECKS",
    "fmt",
    "status_of",
    "same",
]


class Status(str, enum.Enum):
    """The verdict of one row: PASS, FAIL, or INFO (the toys cannot decide; never PASS)."""

    PASS = "PASS"
    FAIL = "FAIL"
    INFO = "INFO"


@dataclass
class CheckResult:
    """One row of the verify table.

    Attributes
    ----------
    claim : str
        What the paper (or WGAN-GP) states, with where.
    measured : str
        The independently computed side.
    expected : str
        The claim's value and tolerance (and the package's value where it has one).
    status : Status or bool
        A bool is read as PASS (True) or FAIL (False).
    seconds : float
        Time spent on this row (filled in by :func:`run_checks`).
    """

    claim: str
    measured: str
    expected: str
    status: Status = Status.PASS
    seconds: float = 0.0

    def __post_init__(self):
        if isinstance(self.status, (bool, np.bool_)):
            self.status = Status.PASS if self.status else Status.FAIL
        self.status = Status(self.status)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL


@dataclass
class Check:
    """A registered check: ``function()`` yields CheckResult rows."""

    name: str
    function: Callable[[], Iterator[CheckResult]]
    slow: bool = False

    @property
    def summary(self) -> str:
        paragraph = (self.function.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(paragraph.split())

    def __call__(self) -> list[CheckResult]:
        return list(self.function())


CHECKS: list[Check] = []


def claim(function=None, *, slow: bool = False):
    """Register a generator function as a check of ``wgan-toys verify`` (``slow=True``: run only
    when selected by name). Returns the function unchanged, so it can be called directly."""

    def register(function):
        CHECKS.append(Check(function.__name__, function, slow))
        return function

    return register(function) if function is not None else register


_LISTED_ROWS: set = set()  # the row functions of modules' ROWS tuples registered so far


def register_listed_rows(module_names) -> None:
    """Register (:func:`claim`) the row functions each imported module of ``module_names`` lists in its
    ``ROWS`` tuple, each once; a module not imported yet, or still being imported, is skipped (it is
    registered at the next call: the package calls this before each listing of the table)."""
    for module_name in module_names:
        for row in getattr(sys.modules.get(module_name), "ROWS", ()):
            if row not in _LISTED_ROWS:
                _LISTED_ROWS.add(row)
                claim(row)


def _registered() -> list[Check]:
    """The package's ``CHECKS`` (looked up there, so that ``wgan_toys.verify.CHECKS`` replaced by a
    caller, as the tests do, is the list the table runs), in table order: by the package's
    ``ROW_MODULES``, then in the order each module registered them (checks of other modules last)."""
    package = importlib.import_module(__package__)
    order = list(package.ROW_MODULES)
    register_listed_rows(order)

    def place(check: Check) -> int:
        module = getattr(check.function, "__module__", None)
        return order.index(module) if module in order else len(order)

    return sorted(package.CHECKS, key=place)


def list_checks() -> list[Check]:
    """The registered checks, in table order."""
    return list(_registered())


def select_checks(pattern: str | None = None) -> list[Check]:
    """The checks whose name matches ``pattern`` (a glob such as ``'theorem_*'``, or a substring;
    case-insensitive). None selects every check that is not slow.

    Raises
    ------
    ValueError
        If ``pattern`` matches no check (the message lists the names).
    """
    checks = _registered()
    if pattern is None:
        return [check for check in checks if not check.slow]
    wanted = pattern.lower()
    chosen = [check for check in checks if fnmatch.fnmatch(check.name.lower(), wanted) or wanted in check.name.lower()]
    if not chosen:
        names = ", ".join(check.name for check in checks)
        raise ValueError(f"pattern == {pattern!r} matches no check; the checks are: {names}.")
    return chosen


def run_checks(
    checks=None,
    callback: Callable[[CheckResult], None] | None = None,
    check_done: Callable[[Check], None] | None = None,
) -> list[CheckResult]:
    """Run ``checks`` (default: every check that is not slow), row by row.

    Each row's ``seconds`` is the time since the previous row of the same check (so the cost of
    training a shared network is charged to the first row that needs it). ``callback(row)`` is
    called as each row completes, ``check_done(check)`` as each check completes (the progress
    bar). A check that raises becomes one FAIL row.
    """
    checks = select_checks() if checks is None else checks
    rows = []
    for check in checks:
        if not isinstance(check, Check):  # a bare function (tests)
            check = Check(getattr(check, "__name__", "check"), check)
        start = time.perf_counter()
        try:
            for row in check.function():
                now = time.perf_counter()
                row.seconds, start = now - start, now
                rows.append(row)
                if callback is not None:
                    callback(row)
        except Exception as error:  # a crashed check is a FAIL row, not a crashed table
            row = CheckResult(
                check.name,
                f"raised {type(error).__name__}: {error}",
                "no error",
                Status.FAIL,
                time.perf_counter() - start,
            )
            rows.append(row)
            if callback is not None:
                callback(row)
        if check_done is not None:
            check_done(check)
    return rows


def format_row(row: CheckResult) -> str:
    """One row as printed while the table runs: status, seconds, claim, measured and expected."""
    return f"{row.status.value:<4}  {row.seconds:5.2f} s  {row.claim}\n{'':15}measured: {row.measured}\n{'':15}expected: {row.expected}"


def format_summary(rows: list[CheckResult], seconds: float | None = None) -> str:
    """The closing line: 'N passed, N failed, N info (undecided)' and the total time."""
    counts = {status: sum(row.status is status for row in rows) for status in Status}
    line = f"{counts[Status.PASS]} passed, {counts[Status.FAIL]} failed, {counts[Status.INFO]} info (undecided, not a pass)"
    return line + (f" in {seconds:.1f} s" if seconds is not None else "")


def format_table(rows: list[CheckResult]) -> str:
    """The rows, one block each, and the summary line."""
    return "\n".join([format_row(row) for row in rows] + ["", format_summary(rows)])


def fmt(value: float) -> str:
    """A number as printed in a row: 6 significant digits, ``inf`` for an infinity."""
    return "inf" if math.isinf(value) else f"{value:.6g}"


def status_of(ok: bool) -> Status:
    """PASS if ``ok``, else FAIL."""
    return Status.PASS if ok else Status.FAIL


def same(a: float, b: float, tolerance: float = 1e-9) -> bool:
    """a equals b to ``tolerance`` relative (1e-12 absolute at b = 0); infinities must match exactly."""
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(tolerance * abs(b), 1e-12)
