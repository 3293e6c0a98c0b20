"""``execopt solve``: solve one execution problem with one method or all of them, side by side.

Examples
--------
::

    execopt solve --stock CRWV --shares 10000                      # exact water-filling
    execopt solve --stock SOUN --shares 10000 --model power --method all --time-limit 5
    execopt solve --params fit.json --shares 50000 --cap 1000 --out x.csv --plot x.png --json

The table shows, per method: status, objective ($), gap to the exact optimum in bp of the
optimum, whether the certificate passes, iterations and total wall time (ms); ``--wide`` adds
the gap in dollars, the largest constraint violation after clip-and-certify and before it (raw,
shares), the relative KKT stationarity residual and the time split into build / compile /
solve / certify. Below it: a sparkline of each schedule, of the exact schedule's marginal cost
against ``lam``, and the comparison with equal allocation (TWAP). Methods that do not apply to
the problem (OSQP on a power cone) show ``n/a`` with the reason below the table with
``--method all``; asked for alone they are a usage error (exit 2).

Exit code 3 when a method fails, or returns an answer that did not converge or whose
certificate does not pass (e.g. differential evolution stopped by its time limit), unless
``--allow-uncertified``; the table marks such rows ``NO`` and ``--json`` adds an ``"error"``
object. A schedule that is not certified is then not written to ``--out`` either.

``--out`` writes the schedule (the chosen method's; exact's with ``--method all``) as
``period,shares`` CSV, the format ``execopt certify`` reads (see :mod:`execopt.cli._common`).
``--out``, ``--plot`` and ``--json-out`` are written together at the end, atomically, or not at
all (:class:`execopt._atomic.FileSet`); the JSON carries the run's ``run_id``.
"""

from __future__ import annotations

import argparse
import warnings
from time import perf_counter
from typing import TYPE_CHECKING, Any

from execopt.cli import _args
from execopt.cli._common import (
    add_problem_arguments,
    check_distinct_outputs,
    problem_from_args,
    schedule_csv,
)

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
        epilog="Exit codes: 0 ok, 2 usage, input or I/O error, 3 a solver failed or an answer "
        "did not converge or is not certified (see --allow-uncertified).",
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
    g.add_argument(
        "--seed",
        type=_args.seed,
        default=0,
        help=f"seed of differential evolution, 0 .. {_args.SEED_MAX} (default 0)",
    )
    g.add_argument(
        "--time-limit",
        type=_args.number(minimum=0, strict=True, unit="seconds"),
        default=10.0,
        metavar="SECONDS",
        help="wall-clock limit of differential evolution, > 0 (default 10)",
    )
    g.add_argument(
        "--allow-uncertified",
        action="store_true",
        help="exit 0 even when an answer did not converge or is not certified (exit 3 otherwise)",
    )
    o = p.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print JSON only (to stdout)")
    o.add_argument(
        "--out",
        type=_args.output_file(),
        metavar="FILE.csv",
        help="write the schedule as period,shares CSV",
    )
    o.add_argument(
        "--plot",
        type=_args.plot_file,
        metavar="FILE.png",
        help="write a plot of the schedules (.png, .pdf, .svg, ...)",
    )
    o.add_argument(
        "--json-out",
        type=_args.output_file(),
        metavar="FILE.json",
        help="also write the JSON result to a file",
    )


def _first_sentence(message: str) -> str:
    text = " ".join(message.split())
    cut = text.find(". ")
    return text if cut < 0 else text[: cut + 1]


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


def _uncertified(results: dict[str, dict[str, Any]]) -> list[str]:
    """Methods whose answer did not converge or is not certified (n/a and failed excluded)."""
    return [
        m
        for m, r in results.items()
        if r["status"] not in ("n/a", "failed")
        and (r["status"] == "not_converged" or not r["certified"])
    ]


def run(args: argparse.Namespace) -> int:
    """Solve, print the comparison (or JSON), write the requested files; return the exit code."""
    from execopt._atomic import FileSet, check_output_file, new_run_id
    from execopt.errors import ConvexityError, NotSupportedError, SolverError

    check_distinct_outputs(out=args.out, plot=args.plot, json_out=args.json_out)
    for path in (args.out, args.plot, args.json_out):
        if path is not None:
            check_output_file(path)  # fail now, not after the solvers ran
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

    from execopt.cli.main import EXIT_OK, EXIT_SOLVER
    from execopt.cli.render import dumps, error, note

    bad = _uncertified(results)
    refused = bad and not args.allow_uncertified
    files: dict[str, str] = {}
    chosen = "exact" if "exact" in solutions else next(iter(solutions), None)
    write_out = args.out is not None and chosen is not None
    if write_out and refused and chosen in bad:
        write_out = False
        note(
            f"schedule not written to {args.out}: {chosen}'s answer is not certified; pass "
            "--allow-uncertified to write it anyway."
        )
    if write_out:
        files["schedule"] = str(args.out)
    if args.plot is not None and solutions:
        files["plot"] = str(args.plot)
    if args.json_out is not None:
        files["json"] = str(args.json_out)
    doc: dict[str, Any] = {
        "command": "solve",
        "run_id": new_run_id(),
        "problem": spec.describe(),
        "equal_allocation": _twap(spec),
        "results": results,
        "schedule_method": chosen,
        "files": files,
    }
    if refused or failed:
        doc["error"] = _error_object(results, bad, failed)
    with FileSet() as out_files:  # every file, or none (a full disk leaves no cut file)
        if write_out:
            assert chosen is not None
            out_files.write_text(args.out, schedule_csv(solutions[chosen].schedule))
        if args.plot is not None and solutions:
            from execopt.reporting.plots import plot_schedules

            with out_files.path(args.plot) as tmp:
                plot_schedules(tmp, spec.problem, solutions, f"{spec.stock} {spec.model}")
        if args.json_out is not None:
            out_files.write_text(args.json_out, dumps(doc) + "\n")
    if args.json:
        from execopt.cli.render import print_json

        print_json(doc)
    else:
        _print_human(spec, results, solutions, doc)
    if refused or failed:
        error(doc["error"]["message"])
        return EXIT_SOLVER
    return EXIT_OK


def _error_object(
    results: dict[str, dict[str, Any]], bad: list[str], failed: bool
) -> dict[str, Any]:
    """The ``"error"`` object of a run that exits 3 (failed or uncertified answers)."""
    parts = [f"{m} failed" for m, r in results.items() if r["status"] == "failed"]
    for m in bad:
        r = results[m]
        why = "did not converge" if r["status"] == "not_converged" else "is not certified"
        gap = r.get("gap_bp")
        parts.append(f"{m}'s answer {why}" + (f" (gap {gap:,.3g} bp)" if gap is not None else ""))
    message = "; ".join(parts) + (
        ": its table row says why. Pass --allow-uncertified to accept such answers (exit 0)."
        if bad
        else "."
    )
    kind = "SolverError" if failed else "UncertifiedSolution"
    return {"type": kind, "message": message, "exit_code": 3}


# ----------------------------------------------------------------------------- human output
def _table_rows(results: dict[str, dict[str, Any]]) -> list[list[str]]:
    from execopt.cli.render import fmt_bp, fmt_float, fmt_money, fmt_ms, fmt_shares

    rows = []
    for m, r in results.items():
        if r["status"] in ("n/a", "failed"):
            rows.append([m, r["status"], *["-"] * 13])  # the reason is printed below the table
            continue
        t = r["timings"]
        rows.append(
            [
                m,
                r["status"],
                fmt_money(r["objective"], 2),
                fmt_money(r["gap"], 6) if r["gap"] is not None else "-",
                fmt_bp(r["gap_bp"]).removesuffix(" bp"),
                fmt_shares(r["max_violation"]),
                fmt_shares(r["raw_violation"]),
                fmt_float(r["certificate"]["stationarity"], ".2g"),
                "yes" if r["certified"] else "NO",
                f"{r['iterations']:,}",
                fmt_ms(t["build"]),
                fmt_ms(t["compile"]),
                fmt_ms(t["solve"]),
                fmt_ms(t["certify"]),
                fmt_ms(t["total"]),
            ]
        )
    return rows


#: The solve table: 7 columns fit 80 characters; ``--wide`` adds the rest.
def _columns() -> list[Any]:
    from execopt.cli.render import Col

    return [
        Col("method"),
        Col("status"),
        Col("cost $", "right"),
        Col("gap $", "right", wide=True),
        Col("gap bp", "right"),
        Col("viol sh", "right", wide=True),
        Col("raw viol sh", "right", wide=True),
        Col("KKT stat", "right", wide=True),
        Col("cert", "left"),
        Col("iters", "right"),
        Col("build ms", "right", wide=True),
        Col("compile ms", "right", wide=True),
        Col("solve ms", "right", wide=True),
        Col("certify ms", "right", wide=True),
        Col("total ms", "right"),
    ]


def _print_human(
    spec: ProblemSpec,
    results: dict[str, dict[str, Any]],
    solutions: dict[str, Solution],
    doc: dict[str, Any],
) -> None:
    import numpy as np
    from rich.text import Text

    from execopt.cli.render import console, fmt_money, fmt_shares, sparkline, table

    p = spec.problem
    out = console()
    cap = "none" if not p.capped else fmt_shares(float(np.max(p.upper)))
    if p.capped and np.unique(p.upper).size > 1:
        cap = "time-varying"
    out.print(
        Text(
            f"{spec.stock} · {spec.model} · S = {p.shares:,.0f} shares · N = {p.periods:,} · "
            f"cap {cap}\nmodel: {p.impact!r}\nparameters: {spec.source}"
        )
    )
    out.print(table("", _columns(), _table_rows(results)))

    name_w = max([len(m) for m in solutions] + [9])
    width = max(min(64, out.width - name_w - 32), 8)  # the sparkline shrinks to fit the line
    for m, sol in solutions.items():
        x = sol.schedule
        out.print(
            Text(
                f"  {m:<{name_w}} {sparkline(x, width)}  x_t {fmt_shares(x.min())} .. "
                f"{fmt_shares(x.max())} sh"
            )
        )
    ex = solutions.get("exact")
    if ex is not None and np.isfinite(ex.lam):
        g = np.broadcast_to(p.impact.marginal(ex.schedule), (p.periods,))
        out.print(
            Text(
                f"  {'c′_t(x_t)':<{name_w}} {sparkline(g, width)}  lam = {fmt_money(ex.lam, 6)}/sh"
            )
        )
        out.print(
            Text(
                "  (the exact schedule's marginal cost; it equals lam where 0 < x_t < u_t)",
                style="dim",
            )
        )
    twap = doc["equal_allocation"]
    ref = ex.objective if ex is not None else None
    if twap["feasible"] and ref is not None:
        saving = twap["objective"] - ref
        line = (
            f"equal allocation (TWAP, S/N = {p.shares / p.periods:,.4g} per period): "
            f"{fmt_money(twap['objective'])}; the exact optimum saves {fmt_money(saving)} "
            f"({100.0 * saving / twap['objective']:.2f} % of TWAP's cost)."
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
