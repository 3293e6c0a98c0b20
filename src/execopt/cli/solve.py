"""``execopt solve``: solve one execution problem with one method or all of them, side by side.

Examples
--------
::

    execopt solve --stock CRWV --shares 10000                      # exact water-filling
    execopt solve --stock SOUN --shares 10000 --model power --method all --time-limit 5
    execopt solve --params fit.json --shares 50000 --cap 1000 --out x.csv --plot x.png --json

The table shows, per method: status, objective ($), gap to the exact optimum ($ and bp of the
optimum), largest constraint violation after clip-and-certify and before it (raw, shares), the
relative KKT stationarity residual, whether the certificate passes, iterations, and wall time
split into build / compile / solve / certify / total (ms). Below it: a sparkline of each
schedule, of the exact schedule's marginal cost against ``lam``, and the comparison with equal
allocation (TWAP). Methods that do not apply to the problem (OSQP on a power cone) show a row
``n/a: <reason>`` with ``--method all``; asked for alone they are a usage error (exit 2).

``--out`` writes the schedule (the chosen method's; exact's with ``--method all``) as
``period,shares`` CSV, the format ``execopt certify`` reads (see :mod:`execopt.cli._common`).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

from execopt.cli._common import add_problem_arguments, problem_from_args, write_schedule

if TYPE_CHECKING:  # pragma: no cover
    from execopt.cli._common import ProblemSpec
    from execopt.solvers.solution import Solution

__all__ = ["register", "run"]

#: Methods in the order ``--method all`` runs them (exact first: it is the reference).
METHOD_CHOICES = ("exact", "clarabel", "osqp", "scs", "slsqp", "de", "all")


def register(subparsers: Any) -> None:
    """Add the ``solve`` subcommand."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "solve",
        help="solve an execution problem with one method or all, and compare them",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Exit codes: 0 ok, 2 usage or input error, 3 solver failure.",
    )
    add_problem_arguments(
        p, periods_help="number of periods N (default: the length of a --params profile, else 390)"
    )
    g = p.add_argument_group("solver")
    g.add_argument(
        "--method",
        choices=METHOD_CHOICES,
        default="exact",
        help="solver, or 'all' to compare every method (default: exact)",
    )
    g.add_argument("--seed", type=int, default=0, help="seed of differential evolution (default 0)")
    g.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="wall-clock limit of differential evolution (default 10)",
    )
    o = p.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print JSON only (to stdout)")
    o.add_argument(
        "--out", type=Path, metavar="FILE.csv", help="write the schedule as period,shares CSV"
    )
    o.add_argument("--plot", type=Path, metavar="FILE.png", help="write a PNG of the schedules")
    o.add_argument(
        "--json-out", type=Path, metavar="FILE.json", help="also write the JSON result to a file"
    )


def _first_sentence(message: str) -> str:
    text = " ".join(message.split())
    cut = text.find(". ")
    return text if cut < 0 else text[: cut + 1]


def _first_clause(message: str) -> str:
    """The reason's first clause, short enough for a table cell (the JSON keeps it whole)."""
    text = _first_sentence(message)
    cut = min((i for i in (text.find(";"), text.find(":")) if i > 0), default=-1)
    return text if cut < 0 else text[:cut]


def _solve_one(
    spec: ProblemSpec, method: str, args: argparse.Namespace
) -> tuple[Solution, list[str], float]:
    import execopt as eo

    opts: dict[str, Any] = {}
    if method == "de":
        opts = {"seed": args.seed, "time_limit": args.time_limit}
    t0 = perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sol = eo.solve(spec.problem, method, **opts)
    # library deprecation notices are for developers, not for the person reading the table
    notes = [
        f"{method}: {w.message}"
        for w in caught
        if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
    ]
    return sol, notes, perf_counter() - t0


def _result_row(sol: Solution, wall: float, notes: list[str]) -> dict[str, Any]:
    from execopt.cli.render import bp

    c = sol.certificate
    out = sol.as_dict()
    out.update(
        {
            "gap": c.gap,
            "gap_bp": bp(c.gap, c.optimum),
            "max_violation": max(c.sum_residual, c.bound_violation, c.cap_violation),
            "raw_violation": sol.info.get("raw_violation", 0.0),
            "certified": sol.certified,
            "wall": wall,
            "warnings": notes,
        }
    )
    return out


def _twap(spec: ProblemSpec) -> dict[str, Any]:
    import numpy as np

    p = spec.problem
    x = p.equal_allocation()
    feasible = bool(np.all(x <= p.upper * (1 + 1e-12)))
    return {"objective": p.objective(x) if feasible else None, "feasible": feasible}


def run(args: argparse.Namespace) -> int:
    """Solve, print the comparison (or JSON), write the requested files; return the exit code."""
    from execopt.errors import ConvexityError, NotSupportedError, SolverError

    spec = problem_from_args(args, periods=390)
    methods = [m for m in METHOD_CHOICES if m != "all"] if args.method == "all" else [args.method]
    results: dict[str, dict[str, Any]] = {}
    solutions: dict[str, Solution] = {}
    failed = False
    for m in methods:
        try:
            sol, notes, wall = _solve_one(spec, m, args)
        except (ConvexityError, NotSupportedError) as exc:
            if len(methods) == 1:
                raise
            results[m] = {"method": m, "status": "n/a", "reason": _first_sentence(str(exc))}
            continue
        except SolverError as exc:
            if len(methods) == 1:
                raise
            failed = True
            results[m] = {"method": m, "status": "failed", "reason": _first_sentence(str(exc))}
            continue
        solutions[m] = sol
        results[m] = _result_row(sol, wall, notes)

    files: dict[str, str] = {}
    chosen = "exact" if "exact" in solutions else next(iter(solutions), None)
    if args.out is not None and chosen is not None:
        write_schedule(args.out, solutions[chosen].schedule)
        files["schedule"] = str(args.out)
    if args.plot is not None and solutions:
        from execopt.reporting.plots import plot_schedules

        plot_schedules(args.plot, spec.problem, solutions, f"{spec.stock} {spec.model}")
        files["plot"] = str(args.plot)
    doc = {
        "command": "solve",
        "problem": spec.describe(),
        "equal_allocation": _twap(spec),
        "results": results,
        "schedule_method": chosen,
        "files": files,
    }
    if args.json_out is not None:
        from execopt.cli.render import dumps

        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(dumps(doc) + "\n", encoding="utf-8")
        files["json"] = str(args.json_out)
    if args.json:
        from execopt.cli.render import print_json

        print_json(doc)
    else:
        _print_human(spec, results, solutions, doc)
    from execopt.cli.main import EXIT_OK, EXIT_SOLVER

    return EXIT_SOLVER if failed else EXIT_OK


# ----------------------------------------------------------------------------- human output
def _print_human(
    spec: ProblemSpec,
    results: dict[str, dict[str, Any]],
    solutions: dict[str, Solution],
    doc: dict[str, Any],
) -> None:
    import numpy as np
    from rich.text import Text

    from execopt.cli.render import (
        bp,
        console,
        fmt_bp,
        fmt_float,
        fmt_money,
        fmt_ms,
        fmt_shares,
        sparkline,
        table,
    )

    p = spec.problem
    out = console()
    cap = "none" if not p.capped else fmt_shares(float(np.max(p.upper)))
    if p.capped and np.unique(p.upper).size > 1:
        cap = "time-varying"
    out.print(
        Text(
            f"{spec.stock} · {spec.model} · {p.impact!r} · S = {p.shares:,.0f} shares · "
            f"N = {p.periods} · cap {cap}\nparameters: {spec.source}"
        )
    )
    rows = []
    for m, r in results.items():
        if r["status"] in ("n/a", "failed"):
            rows.append([m, f"{r['status']}: {_first_clause(r['reason'])}"])  # padded below
            continue
        t = r["timings"]
        rows.append(
            [
                m,
                r["status"],
                fmt_money(r["objective"]),
                fmt_money(r["gap"], 6) if r["gap"] is not None else "-",
                fmt_bp(r["gap_bp"]).removesuffix(" bp"),
                fmt_shares(r["max_violation"]),
                fmt_shares(r["raw_violation"]),
                fmt_float(r["certificate"]["stationarity"], ".2g"),
                "yes" if r["certified"] else "NO",
                str(r["iterations"]),
                fmt_ms(t["build"]),
                fmt_ms(t["compile"]),
                fmt_ms(t["solve"]),
                fmt_ms(t["certify"]),
                fmt_ms(t["total"]),
            ]
        )
    cols: list[str | tuple[str, str]] = [
        "method",
        "status",
        ("objective", "right"),
        ("gap $", "right"),
        ("gap bp", "right"),
        ("viol (sh)", "right"),
        ("raw viol", "right"),
        ("KKT stat", "right"),
        "certified",
        ("iters", "right"),
        ("build ms", "right"),
        ("compile", "right"),
        ("solve", "right"),
        ("certify", "right"),
        ("total ms", "right"),
    ]
    out.print(table("", cols, [row + [""] * (len(cols) - len(row)) for row in rows]))

    width = 64
    name_w = max([len(m) for m in solutions] + [9])
    for m, sol in solutions.items():
        x = sol.schedule
        out.print(
            Text(
                f"  {m:<{name_w}} {sparkline(x, width)}  x_t {fmt_shares(x.min())} .. "
                f"{fmt_shares(x.max())} shares"
            )
        )
    ex = solutions.get("exact")
    if ex is not None and np.isfinite(ex.lam):
        g = np.broadcast_to(p.impact.marginal(ex.schedule), (p.periods,))
        out.print(
            Text(
                f"  {'c′_t(x_t)':<{name_w}} {sparkline(g, width)}  marginal cost of the exact "
                f"schedule; lam = {fmt_money(ex.lam, 6)}/share (= c′_t where 0 < x_t < u_t)"
            )
        )
    twap = doc["equal_allocation"]
    ref = ex.objective if ex is not None else None
    if twap["feasible"] and ref is not None:
        saving = twap["objective"] - ref
        line = (
            f"equal allocation (TWAP, S/N = {p.shares / p.periods:,.4g} per period): "
            f"{fmt_money(twap['objective'])}; the exact optimum saves {fmt_money(saving)} "
            f"({fmt_bp(bp(saving, twap['objective']))})."
        )
        if saving <= 1e-9 * max(abs(ref), 1.0):
            line += " Equal allocation is optimal here"
            line += (
                ": the costs do not vary through the day and the caps do not bind (Jensen)."
                if p.impact.periods is None
                else "."
            )
        out.print(Text(line))
    elif not twap["feasible"]:
        out.print(Text("equal allocation (TWAP) exceeds the caps in some periods: not feasible."))
    notes = [f"{m}: {r['status']}: {r['reason']}" for m, r in results.items() if "reason" in r]
    notes += [n for r in results.values() for n in r.get("warnings", [])]
    for n in notes:
        out.print(Text(f"note: {' '.join(n.split())}", style="dim"))
    for kind, path in doc["files"].items():
        what = f"schedule ({doc['schedule_method']})" if kind == "schedule" else kind
        out.print(Text(f"wrote {what}: {path}"))
