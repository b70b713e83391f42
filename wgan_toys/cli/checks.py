"""``wgan-toys verify``: the paper's claims as PASS/FAIL/INFO rows."""

from __future__ import annotations

import sys

from .common import (
    add_threads_flag,
    set_threads,
)

__all__ = ["add_commands"]


def _verify(args) -> int:
    import time

    from ..verify import format_row, format_summary, list_checks, run_checks, select_checks

    if args.list:
        for check in list_checks():
            print(f"{check.name:<27} {'slow' if check.slow else '':<5} {check.summary}")
        return 0
    set_threads(args)
    if args.pattern is not None and not args.pattern.strip(" *"):
        raise ValueError(
            f"--only == {args.pattern!r} names no check and would run every one, the slow ones included; "
            "give a name, a substring or a glob such as 'theorem_*' (--list shows the names), or leave --only out."
        )
    checks = select_checks(args.pattern)
    from tqdm.auto import tqdm

    from ..runtime import progress_bar

    print(
        f"wgan-toys verify: {len(checks)} checks, {args.threads} torch thread(s); each row prints as it completes",
        flush=True,
    )
    start = time.perf_counter()
    with progress_bar(len(checks), "verify", unit="check") as bar:

        def show(row):  # above the bar on a terminal, plain lines in a log
            tqdm.write(format_row(row), file=sys.stdout)
            sys.stdout.flush()

        rows = run_checks(checks, callback=show, check_done=lambda check: bar.update(1))
    print()
    skipped = [check.name for check in list_checks() if check.slow and check not in checks]
    if skipped and args.pattern is None:
        print(f"not run (slow, minutes; run one with --only NAME): {', '.join(skipped)}")
    print(format_summary(rows, time.perf_counter() - start))
    return 1 if any(row.failed for row in rows) else 0


def add_commands(commands) -> None:
    """The ``verify`` command, on the subparsers ``commands``."""
    verify = commands.add_parser(
        "verify", help="check the paper's claims numerically; exit 1 on any FAIL (INFO rows never fail)"
    )
    verify.add_argument("--list", action="store_true", help="list the checks (name, slow or not, claim) and exit")
    verify.add_argument(
        "--only",
        dest="pattern",  # select_checks' parameter: its messages name --only
        metavar="PATTERN",
        default=None,
        help="run only the checks whose name matches PATTERN (a glob such as 'theorem_*', or a substring); "
        "this also runs slow checks it names",
    )
    add_threads_flag(verify)
    verify.set_defaults(run=_verify)
