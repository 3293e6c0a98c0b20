"""``execopt certify``: check any schedule against a problem and prove how good it is.

Examples
--------
::

    execopt solve --stock CRWV --shares 10000 --out x.csv
    execopt certify x.csv --stock CRWV --shares 10000           # exit 0: feasible and optimal
    execopt certify theirs.csv --params fit.json --shares 50000 --cap 1000 --json

The schedule file is ``period,shares`` CSV (what ``execopt solve --out`` writes) or a single
``shares`` column, one row per period (see :mod:`execopt.cli._common`); the number of periods is
the number of rows unless ``--periods`` says otherwise. The report gives feasibility (residual of
``sum x = S``, negative entries, cap excess, all in shares, against the tolerance), the objective,
the multiplier ``lam`` that best explains the schedule, the KKT stationarity and complementarity
residuals, a lower bound on the optimum that needs no solver, the exact optimum and the gap in
dollars, relative and in basis points (see :func:`execopt.certify`).

Exit code 0 when the certificate passes (feasible and within the default relative gap of the
optimum), 1 when it does not, 2 for a malformed file or bad options.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from execopt.cli._common import add_problem_arguments, problem_from_args, read_schedule

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``certify`` subcommand."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "certify",
        help="certify a schedule CSV: feasibility, KKT residuals, lower bound, gap to the optimum",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Exit codes: 0 the certificate passes, 1 it does not, 2 usage, input or I/O "
        "error (missing or malformed file).",
    )
    p.add_argument(
        "schedule",
        type=Path,
        metavar="SCHEDULE.csv",
        help="CSV with a 'shares' column (or 'period,shares'), one row per period",
    )
    add_problem_arguments(
        p, periods_help="number of periods N; must equal the file's rows (default: the rows)"
    )
    p.add_argument("--json", action="store_true", help="print JSON only (to stdout)")


def run(args: argparse.Namespace) -> int:
    """Certify the schedule file; return 0 if the certificate passes, 1 if not."""
    import execopt as eo
    from execopt.cli.render import bp
    from execopt.errors import InputError

    x = read_schedule(args.schedule)
    if args.periods is not None and args.periods != x.shape[0]:
        raise InputError(
            f"{args.schedule} has {x.shape[0]} rows but --periods is {args.periods}: give one row "
            "per period, or drop --periods to use the file's length."
        )
    args.periods = x.shape[0]  # the file decides N (a --params profile must match it)
    spec = problem_from_args(args)
    cert = eo.certify(spec.problem, x)
    passed = cert.passed()
    report: dict[str, Any] = {
        "command": "certify",
        "file": str(args.schedule),
        "problem": spec.describe(),
        "passed": passed,
        "certificate": cert.as_dict(),
        "max_violation": max(cert.sum_residual, cert.bound_violation, cert.cap_violation),
        "gap_bp": bp(cert.gap, cert.optimum),
        "bound_gap_bp": bp(cert.bound_gap, cert.lower_bound),
    }
    if args.json:
        from execopt.cli.render import print_json

        print_json(report)
    else:
        _print_human(spec, report)
    from execopt.cli.main import EXIT_CHECK_FAILED, EXIT_OK

    return EXIT_OK if passed else EXIT_CHECK_FAILED


def _print_human(spec: Any, report: dict[str, Any]) -> None:
    from rich.text import Text

    from execopt.cli.render import Col, console, fmt_bp, fmt_float, fmt_money, fmt_shares, table

    c = report["certificate"]
    p = spec.problem
    out = console()
    out.print(
        Text(
            f"{report['file']}: {spec.stock} · {spec.model} · {p.impact!r} · "
            f"S = {p.shares:,.0f} shares · N = {p.periods}"
        )
    )
    ok = "[green]yes[/]" if c["feasible"] else "[bold red]NO[/]"
    tol = c["feas_tol"]
    rows = [
        ["feasible", ok, f"tolerance {fmt_shares(tol)} shares"],
        ["  |sum x - S|", fmt_shares(c["sum_residual"]), "shares"],
        ["  negative entries", fmt_shares(c["bound_violation"]), "shares (largest)"],
        ["  cap excess", fmt_shares(c["cap_violation"]), "shares (largest)"],
        ["objective", fmt_money(c["objective"]), "dollars"],
        ["lam", fmt_money(c["lam"], 6), "dollars per share (marginal cost of the last share)"],
        ["KKT stationarity", fmt_float(c["stationarity"], ".3g"), "relative to |lam|"],
        ["complementarity", fmt_money(c["complementarity"], 6), "dollars"],
        ["lower bound", fmt_money(c["lower_bound"]), "dollars (Lagrange dual; needs no solver)"],
        ["optimum", fmt_money(c["optimum"]), "dollars (exact water-filling)"],
        [
            "gap to optimum",
            fmt_money(c["gap"], 6) if c["gap"] is not None else "-",
            f"relative {fmt_float(c['rel_gap'], '.3g')}, {fmt_bp(report['gap_bp'])}",
        ],
        ["gap to lower bound", fmt_money(c["bound_gap"], 6), "dollars (bounds the suboptimality)"],
    ]
    out.print(table("", ["check", ("value", "right"), Col("unit / meaning", wrap=True)], rows))
    verdict = (
        "[bold green]PASSED[/]: feasible and optimal within the default tolerance"
        if report["passed"]
        else "[bold red]FAILED[/]: "
        + ("infeasible" if not c["feasible"] else "feasible but not optimal")
    )
    out.print(verdict)
