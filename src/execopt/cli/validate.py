"""``execopt validate``: check a production solver's schedules against the reference suite.

Examples
--------
::

    execopt suite export ./suite-v1
    # ... the production solver writes ./out/<id>.csv for every ./suite-v1/<id>.json ...
    execopt validate ./out --suite ./suite-v1 --report validation.html --md validation.md
    execopt validate ./out --rtol 1e-5 --json | jq .summary

Per instance: presence (a missing file fails; for an instance marked infeasible, no file or a
first line containing ``infeasible`` is correct and any schedule fails), format (header
``shares``, N numeric rows; failures name the file and line), feasibility (sum, no negative
entry, caps, within ``--feas-rtol`` x max(S, 1) shares), the objective gap to the certified
optimum (relative, dollars, basis points of the notional S x price; fails above ``--rtol``), the
schedule itself where the optimum is unique, the KKT conditions with the stored multiplier, and
the residuals of ``execopt.certify`` (information). Prints a table and a summary, or JSON
with ``--json``; writes HTML/Markdown reports on request.

With ``--only-present`` a missing file is *not attempted* (reported in the coverage per family)
rather than a failure; ``--families quadratic,piecewise`` selects families. The checks and their
tolerances are specified in the exported ``FORMAT.md``.

Exit code 0 only if every (attempted) instance passes, 1 otherwise (or when nothing was
attempted), 2 on usage errors (a missing folder, a suite that does not match its manifest, an
unknown family).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``validate`` subcommand."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "validate",
        help="validate a folder of schedules <id>.csv against the reference suite",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Exit codes: 0 every instance passes, 1 some fail, 2 usage or input error.",
    )
    p.add_argument("schedules", type=Path, metavar="SCHEDULES_DIR", help="folder of <id>.csv")
    p.add_argument(
        "--suite",
        type=Path,
        default=None,
        metavar="DIR",
        help="suite folder from `execopt suite export` (default: the shipped suite v2)",
    )
    p.add_argument(
        "--rtol", type=float, default=1e-6, help="relative objective gap allowed (default 1e-6)"
    )
    p.add_argument(
        "--feas-rtol",
        type=float,
        default=None,
        help="feasibility tolerance relative to max(S, 1) shares (default 1e-9)",
    )
    p.add_argument("--json", action="store_true", help="print JSON only (to stdout)")
    p.add_argument("--report", type=Path, default=None, metavar="OUT.html", help="HTML report")
    p.add_argument("--md", type=Path, default=None, metavar="OUT.md", help="Markdown report")
    p.add_argument(
        "--failures-only", action="store_true", help="list only the failing instances in the table"
    )
    p.add_argument(
        "--only-present",
        action="store_true",
        help="a missing <id>.csv is 'not attempted' (reported in the coverage), not a failure",
    )
    p.add_argument(
        "--families",
        default=None,
        metavar="F1,F2",
        help="validate only these families (quadratic, power, piecewise, mean-variance)",
    )


def run(args: argparse.Namespace) -> int:
    """Validate; return 0 if every instance passes, 1 if not, 2 on a usage error."""
    from execopt.cli.render import console, error, note, print_json

    if not args.schedules.is_dir():
        error(
            f"schedules folder {args.schedules} does not exist: give the folder holding one "
            "<id>.csv per suite instance."
        )
        return 2
    if args.suite is not None and not args.suite.is_dir():
        error(
            f"suite folder {args.suite} does not exist; export one with `execopt suite export DIR`."
        )
        return 2
    if not args.rtol >= 0 or (args.feas_rtol is not None and not args.feas_rtol >= 0):
        error("--rtol and --feas-rtol must be numbers >= 0.")
        return 2
    from execopt.errors import DataError, InputError
    from execopt.reporting.validation_report import rich_summary, rich_table, write_report
    from execopt.studies.suite.validate import FEAS_RTOL, validate_schedules

    try:
        result = validate_schedules(
            args.schedules,
            args.suite,
            rtol=args.rtol,
            feas_rtol=FEAS_RTOL if args.feas_rtol is None else args.feas_rtol,
            only_present=args.only_present,
            families=None if args.families is None else args.families.split(","),
        )
    except (DataError, InputError) as exc:
        error(str(exc))
        return 2
    for path in (args.report, args.md):
        if path is not None:
            write_report(result, path)
            note(f"wrote {path}")
    if args.json:
        print_json(result.as_dict())
    else:
        out = console()
        out.print(rich_table(result, failures_only=args.failures_only))
        fails = [c.message for r in result.failures() for c in r.failures]
        if fails:
            from rich.markup import escape

            out.print("[bold red]Failures[/]")
            for msg in fails:
                out.print(f"  [red]✗[/] {escape(msg)}", soft_wrap=True)
        out.print(rich_summary(result))
        if result.unexpected:
            note(
                f"ignored {len(result.unexpected)} file(s) matching no instance: {', '.join(result.unexpected[:5])}"
            )
    return 0 if result.passed else 1
