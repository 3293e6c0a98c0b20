"""``execopt validate``: check a production solver's schedules against the reference suite.

Examples
--------
::

    execopt suite export ./suite-v3
    # ... the production solver writes ./out/<id>.csv for every ./suite-v3/<id>.json ...
    execopt validate ./out --suite ./suite-v3 --report validation.html --md validation.md
    execopt validate ./out --rtol 1e-5 --json | jq .summary

Per instance: presence (a missing file fails; for an instance marked infeasible, no file or a
first line containing ``infeasible`` is correct and any schedule fails), format (header
``shares``, N numeric rows; failures name the file and line), feasibility (sum, no negative
entry, caps, within ``--feas-rtol`` x max(S, 1) shares), the objective gap to the certified
optimum (relative, dollars, basis points of the notional S x price; fails above ``--rtol``), the
schedule itself where the optimum is unique, the KKT conditions with the stored multiplier, and
the residuals of ``execopt.certify`` (information). A basket instance takes an (M, N) schedule
(header ``leg_0,...,leg_{M-1}``, N rows) and the same checks leg by leg, plus its neutrality
band and VaR limit. Prints a table and a summary, or JSON with ``--json``; writes HTML/Markdown
reports on request.

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
from typing import TYPE_CHECKING, Any

from execopt.cli import _args

if TYPE_CHECKING:  # pragma: no cover
    from execopt.studies.suite.validate import ValidationResult

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
        help="suite folder from `execopt suite export` (default: the shipped suite, version 3)",
    )
    p.add_argument(
        "--rtol",
        type=_args.number(minimum=0),
        default=1e-6,
        help="relative objective gap allowed (default 1e-6)",
    )
    p.add_argument(
        "--feas-rtol",
        type=_args.number(minimum=0),
        default=None,
        help="feasibility tolerance relative to max(S, 1) shares (default 1e-9)",
    )
    p.add_argument("--json", action="store_true", help="print JSON only (to stdout)")
    p.add_argument(
        "--report",
        type=_args.output_file(".html", ".htm"),
        default=None,
        metavar="OUT.html",
        help="HTML report",
    )
    p.add_argument(
        "--md",
        type=_args.output_file(".md"),
        default=None,
        metavar="OUT.md",
        help="Markdown report",
    )
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
        help="validate only these families (quadratic, power, piecewise, mean-variance, "
        "transient, basket)",
    )


def run(args: argparse.Namespace) -> int:
    """Validate; return 0 if every instance passes, 1 if not, 2 on a usage or input error (a
    missing folder, a suite that does not match its manifest), reported as one error line.
    """
    from execopt.cli.main import report_error
    from execopt.errors import DataError, InputError, OutputError

    try:
        return _run(args)
    except (InputError, DataError, OutputError) as exc:
        return report_error(exc, as_json=bool(getattr(args, "json", False)))


def _run(args: argparse.Namespace) -> int:
    from execopt._atomic import check_output_file
    from execopt.cli._common import check_distinct_outputs
    from execopt.cli.render import console, note, print_json
    from execopt.errors import InputError

    if not args.schedules.is_dir():
        raise InputError(
            f"schedules folder {args.schedules} does not exist or is not a folder: give the "
            "folder holding one <id>.csv per suite instance."
        )
    if args.suite is not None and not args.suite.is_dir():
        raise InputError(
            f"suite folder {args.suite} does not exist; export one with `execopt suite export DIR`."
        )
    check_distinct_outputs(report=args.report, md=args.md)
    for path in (args.report, args.md):
        if path is not None:
            check_output_file(path)
    from execopt.reporting.validation_report import write_report
    from execopt.studies.suite.validate import FEAS_RTOL, validate_schedules

    result = validate_schedules(
        args.schedules,
        args.suite,
        rtol=args.rtol,
        feas_rtol=FEAS_RTOL if args.feas_rtol is None else args.feas_rtol,
        only_present=args.only_present,
        families=None if args.families is None else args.families.split(","),
    )  # a suite that does not match its manifest is a DataError: exit 2
    for path in (args.report, args.md):
        if path is not None:
            write_report(result, path)  # atomic
            note(f"wrote {path}")
    if args.json:
        print_json(result.as_dict())
    else:
        out = console()
        _print_instances(out, result, failures_only=args.failures_only)
        fails = [c.message for r in result.failures() for c in r.failures]
        if fails:
            from rich.text import Text

            out.print("[bold red]Failures[/]")
            for msg in fails:
                out.print(Text.assemble("  ", ("✗", "red"), f" {msg}"))
        _print_summary(out, result)
        if result.unexpected:
            note(
                f"ignored {len(result.unexpected)} file(s) matching no instance: {', '.join(result.unexpected[:5])}"
            )
    return 0 if result.passed else 1


def _print_instances(out: Any, result: ValidationResult, *, failures_only: bool) -> None:
    """The per-instance table (80 columns: failing checks only; ``--wide``: every check)."""
    from rich.text import Text

    from execopt.cli.render import Col, fmt_float, table
    from execopt.reporting.validation_report import check_summary

    rows = []
    for r in result.instances:
        if failures_only and r.passed:
            continue
        failed = [c.name for c in r.checks if c.status == "fail"]
        rows.append(
            [
                r.id,
                r.family,
                f"{r.periods:,}",
                ", ".join(failed) if failed else "-",
                check_summary(r),
                fmt_float(r.rel_gap, ".2g"),
                fmt_float(r.gap_bps, ".2g"),
                "-" if r.seconds is None else f"{1e3 * r.seconds:,.3g}",
                "pass" if r.passed else "FAIL",
            ]
        )
    out.print(Text(f"Validation of {result.source} against {result.suite}"))
    out.print(
        table(
            "",
            [
                Col("instance"),
                Col("family", wide=True),
                Col("N", "right"),
                Col("failed checks", wrap=True),
                Col("checks", wide=True),
                Col("rel gap", "right"),
                Col("gap bp", "right", wide=True),
                Col("ms", "right", wide=True),
                Col("verdict"),
            ],
            rows,
        )
    )


def _print_summary(out: Any, result: ValidationResult) -> None:
    """Per-family coverage and counts, and the verdict."""
    from execopt.cli.render import Col, table
    from execopt.reporting.validation_report import SYMBOLS, family_rows, verdict_line

    rows = [
        [fam, f"{n:,}", f"{att:,}", f"{ok:,}", f"{bad:,}", cov, worst]
        for fam, n, att, ok, bad, _missing, cov, worst in family_rows(result)
    ]
    out.print(
        table(
            "",
            [
                Col("family"),
                Col("instances", "right"),
                Col("attempted", "right"),
                Col("passed", "right"),
                Col("failed", "right"),
                Col("coverage", "right"),
                Col("worst rel gap", "right", wide=True),
            ],
            rows,
        )
    )
    s = result.summary()
    out.print(verdict_line(result))
    verdict = "[green]PASS[/]" if result.passed else "[bold red]FAIL[/]"
    out.print(
        f"Summary: {s['n_passed']:,}/{s['attempted']:,} attempted passed, {verdict} (rtol "
        f"{result.rtol:g}, feasibility {result.feas_rtol:g} x max(S, 1) shares, "
        f"{result.seconds:.2f} s; checks: {', '.join(f'{k} {v}' for k, v in SYMBOLS.items())})"
    )
