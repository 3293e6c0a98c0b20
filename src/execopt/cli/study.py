"""``execopt study``: run one of the studies and print its tables (or JSON, or files).

Examples
--------
::

    execopt study audit --fast                       # the reference-claims audit
    execopt study montecarlo --stock FROG --draws 10000 --workers 2 --json
    execopt study montecarlo --source real --scheduler tcp://10.0.0.5:8786
    execopt study solvers --fast --out results/      # CSV and JSON in results/
    execopt study sensitivity --shares 20000
    execopt study stress --stock FROG

Studies: ``montecarlo`` (parameter uncertainty; ``--source synthetic`` bootstraps the profile
fitted on a seeded synthetic book, ``real`` the real FROG day, ``reference`` the constants of the
reference framework document, a short external brief that proposed this execution framework,
with an assumed error; ``seed`` is the older name of ``reference``), ``sensitivity``, ``stress``, ``solvers`` (every method on every problem class)
and ``audit``. ``--fast`` runs the CI-sized version of each. Only ``montecarlo`` runs on Dask:
``--workers K`` starts a local cluster of K processes (default: one per core; 1 runs in
process), ``--scheduler ADDR`` uses an existing one. For one seed, its ``--json`` output is
byte-identical whatever the workers, except the ``"timings"`` key.

``montecarlo --source real`` and ``audit`` read the real FROG day when the data folder is
present: its validation counts are printed and put in the JSON under ``"data_validation"``,
and a day that lost more than ``--max-drop`` (default 1 %) of its rows is refused (montecarlo:
exit code 2; audit: the fitted claims say why and the fill claim uses the synthetic day).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["STUDIES", "register", "run"]

STUDIES = ("montecarlo", "sensitivity", "stress", "solvers", "audit")


def register(subparsers: Any) -> None:
    """Add the ``study`` subcommand."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "study",
        help="run a study: montecarlo, sensitivity, stress, solvers or audit",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Exit codes: 0 ok, 2 usage or input error, 3 solver failure.",
    )
    p.add_argument("name", choices=STUDIES, help="which study")
    p.add_argument("--stock", default="FROG", metavar="TICKER", help="CRWV, FROG or SOUN")
    p.add_argument("--shares", type=float, default=10_000.0, metavar="S", help="order size S")
    p.add_argument("--draws", type=int, default=None, metavar="N", help="Monte Carlo draws")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="root seed (default 0)")
    p.add_argument(
        "--source",
        choices=("synthetic", "real", "reference", "seed"),
        default="synthetic",
        help="montecarlo: where the parameter distribution comes from: synthetic (default), "
        "real, or reference (the reference framework document's constants; 'seed' is an alias)",
    )
    p.add_argument(
        "--n-boot", type=int, default=200, metavar="B", help="bootstrap replicates (default 200)"
    )
    from execopt.cli._data import add_data_arguments

    add_data_arguments(p, sort_and_time=False)
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, default=None, metavar="K", help="local Dask worker processes"
    )
    where.add_argument("--scheduler", default=None, metavar="ADDR", help="existing Dask scheduler")
    p.add_argument("--progress", action="store_true", help="show a progress bar (stderr)")
    p.add_argument("--fast", action="store_true", help="the CI-sized version of the study")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="write CSV + JSON here")


def run(args: argparse.Namespace) -> int:
    """Run the study named in ``args`` and print or write its results."""
    from execopt.cli.render import print_json

    runner = {
        "montecarlo": _montecarlo,
        "sensitivity": _sensitivity,
        "stress": _stress,
        "solvers": _solvers,
        "audit": _audit,
    }[args.name]
    doc, tables = runner(args)
    if args.out is not None:
        _write(args.out, args.name, doc, tables)
    if args.json:
        print_json(doc)
    else:
        _print(args.name, doc, tables)
    return 0


# ----------------------------------------------------------------------------- studies
def _montecarlo(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    from execopt.cli._data import print_validation, validation_doc
    from execopt.studies.fitted import book_distribution, load_book
    from execopt.studies.montecarlo import MonteCarloConfig, run_montecarlo
    from execopt.studies.parallel import ParallelConfig
    from execopt.studies.uncertainty import ParameterDistribution, seed_distribution

    config = MonteCarloConfig(shares=args.shares, seed=args.seed)
    if args.draws is not None:
        config = MonteCarloConfig(shares=args.shares, seed=args.seed, draws=args.draws)
    if args.fast:
        config = config.fast()
    dist: ParameterDistribution
    validation = None
    if args.source in ("reference", "seed"):
        dist = seed_distribution(args.stock, config.periods)
    else:
        n_boot = min(args.n_boot, 40) if args.fast else args.n_boot
        book = load_book(args.stock, args.source, args.seed, max_drop=args.max_drop)
        if args.source == "real":
            validation = validation_doc(book.validation, args.max_drop)
            print_validation(validation, json_mode=args.json)
        dist = book_distribution(args.stock, args.source, seed=args.seed, n_boot=n_boot, book=book)
    parallel = ParallelConfig(
        workers=args.workers, scheduler=args.scheduler, progress=args.progress
    )
    result = run_montecarlo(dist, config, parallel)
    doc = result.to_dict()
    timings = doc.pop("timings")
    doc["stock"] = args.stock.upper()
    doc["source"] = args.source
    if validation is not None:
        doc["data_validation"] = validation
    doc["timings"] = timings
    return doc, {"summary": result.summary, "schedule": result.schedule, "draws": result.draws}


def _sensitivity(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    from dataclasses import asdict

    from execopt.studies.sensitivity import SensitivityConfig, run_sensitivity

    config = SensitivityConfig(stock=args.stock.upper(), shares=args.shares)
    if args.fast:
        config = config.fast()
    r = run_sensitivity(config)
    doc = {
        "study": "sensitivity",
        "config": asdict(config),
        "sweeps": r.sweeps.to_dict(orient="records"),
        "marginal": r.marginal.to_dict(orient="records"),
        "envelope": r.envelope.to_dict(orient="records"),
        "timings": r.timings,
    }
    return doc, r.tables()


def _stress(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    from dataclasses import asdict
    from time import perf_counter

    from execopt.studies.parallel import ParallelConfig
    from execopt.studies.stress import StressConfig, run_stress
    from execopt.studies.stress_sim import SimStressConfig, run_sim_stress

    config = StressConfig(stock=args.stock.upper(), shares=args.shares, seed=args.seed)
    sim = SimStressConfig(stock=args.stock.upper(), shares=round(args.shares), seed=args.seed)
    if args.fast:
        config, sim = config.fast(), sim.fast()
    table, timings = run_stress(config)
    parallel = ParallelConfig(
        workers=args.workers, scheduler=args.scheduler, progress=args.progress
    )
    t0 = perf_counter()
    sims = run_sim_stress(sim, parallel)
    timings["simulations"] = perf_counter() - t0
    doc = {
        "study": "stress",
        "config": asdict(config),
        "scenarios": table.to_dict(orient="records"),
        "simulations": sims.drop(columns=["latency_p99_ms"]).to_dict(orient="records"),
        "timings": {**timings, "latency_p99_ms": sims["latency_p99_ms"].tolist()},
    }
    return doc, {"stress": table, "simulations": sims}


def _solvers(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    from dataclasses import asdict

    from execopt.studies.solver_comparison import SolverComparisonConfig, run_solver_comparison

    config = SolverComparisonConfig(seed=args.seed)
    if args.fast:
        config = config.fast()
    table = run_solver_comparison(config)
    time_cols = [c for c in table.columns if c.startswith("t_")]
    doc = {
        "study": "solvers",
        "config": asdict(config),
        "rows": table.drop(columns=time_cols).to_dict(orient="records"),
        "timings": table[["case", "N", "method", *time_cols]].to_dict(orient="records"),
    }
    return doc, {"solvers": table}


def _audit(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    from dataclasses import replace

    from execopt.cli._data import print_validation
    from execopt.studies.audit import AuditConfig, run_audit

    config = AuditConfig(
        shares=args.shares, seed=args.seed, n_boot=args.n_boot, max_drop=args.max_drop
    )
    if args.draws is not None:
        config = replace(config, draws=args.draws)
    if args.fast:
        config = config.fast()
    r = run_audit(config)
    if r.data_validation is not None:
        print_validation(
            {**r.data_validation, "max_drop": args.max_drop},
            json_mode=args.json,
            label="real FROG day, data validation",
        )
    return r.to_dict(), {"audit": r.table}


# ----------------------------------------------------------------------------- output
def _write(out: Path, name: str, doc: dict[str, Any], tables: dict[str, Any]) -> None:
    from execopt.cli.render import dumps, note

    out.mkdir(parents=True, exist_ok=True)
    for key, df in tables.items():
        df.to_csv(out / f"{name}_{key}.csv", index=False)
    (out / f"{name}.json").write_text(dumps(doc) + "\n", encoding="utf-8")
    note(f"wrote {name}.json and {len(tables)} CSV table(s) to {out}")


def _print(name: str, doc: dict[str, Any], tables: dict[str, Any]) -> None:
    from execopt.cli.render import console, fmt_float, fmt_ms, note, table

    c = console()
    if name == "montecarlo":
        s = tables["summary"]
        dist = doc["distribution"]
        c.print(
            table(
                f"Monte Carlo, {doc['stock']}: {doc['config']['draws']:,} draws, "
                f"{dist.get('source') or dist['kind']}",
                ["metric", "unit", ("mean", "right"), ("95% CI of mean", "right"),
                 ("2.5%", "right"), ("median", "right"), ("97.5%", "right")],
                (
                    [r.metric, r.unit, fmt_float(r.mean, ".4g"),
                     f"[{fmt_float(r.ci_low, '.4g')}, {fmt_float(r.ci_high, '.4g')}]",
                     fmt_float(r.q_low, ".4g"), fmt_float(r.median, ".4g"),
                     fmt_float(r.q_high, ".4g")]
                    for r in s.itertuples()
                ),
            )
        )  # fmt: skip
        for n in doc["notes"]:
            note(n)
    elif name == "audit":
        c.print(
            table(
                "Reference-claims audit",
                ["claim", "claimed", "re-derived", "verdict"],
                (
                    [r.claim, r.value_claimed, r.value_rederived, r.verdict]
                    for r in tables["audit"].itertuples()
                ),
            )
        )
    elif name == "solvers":
        t = tables["solvers"]
        c.print(
            table(
                "Solver comparison",
                ["case", ("N", "right"), "method", "status", ("rel gap", "right"),
                 ("KKT stat.", "right"), ("raw viol.", "right"), ("iters", "right"),
                 ("solve ms", "right"), ("total ms", "right"), "note"],
                (
                    [r.case, r.N, r.method, r.status, fmt_float(r.rel_gap),
                     fmt_float(r.stationarity), fmt_float(r.raw_violation),
                     fmt_float(r.iterations, ".0f"), fmt_ms(r.t_solve), fmt_ms(r.t_total),
                     (r.reason or r.warning).split(". ")[0][:70]]
                    for r in t.itertuples()
                ),
            )
        )  # fmt: skip
    elif name == "stress":
        t = tables["stress"]
        c.print(
            table(
                "Stress scenarios (nominal plan executed under each)",
                ["scenario", "feasible", ("replanned $", "right"), ("plan $", "right"),
                 ("equal $", "right"), ("regret %", "right"), ("unfilled", "right"),
                 ("over cap", "right"), ("min headroom", "right"), ("VaR95 plan $", "right")],
                (
                    [r.scenario, str(r.feasible), fmt_float(r.cost_replanned, ".2f"),
                     fmt_float(r.cost_plan, ".2f"), fmt_float(r.cost_equal, ".2f"),
                     fmt_float(r.regret_pct, ".2f"), fmt_float(r.unfilled_shares, ".0f"),
                     fmt_float(r.over_cap_shares, ".0f"), fmt_float(r.headroom_min, ".2f"),
                     fmt_float(r.var95_plan, ",.0f")]
                    for r in t.itertuples()
                ),
            )
        )  # fmt: skip
        s = tables["simulations"]
        c.print(
            table(
                "Policies replayed on stressed synthetic books (simulator)",
                ["scenario", "policy", ("cost $", "right"), ("saving vs TWAP %", "right"),
                 ("fill %", "right"), ("beyond depth", "right"), ("max child", "right"),
                 ("high-vol share", "right"), ("saved by buffers $", "right")],
                (
                    [r.scenario, r.policy, fmt_float(r.cost, ".2f"),
                     fmt_float(r.saving_vs_twap_pct, "+.2f"), fmt_float(100 * r.fill_rate, ".1f"),
                     fmt_float(r.beyond_depth, ".0f"), fmt_float(r.max_child, ".0f"),
                     fmt_float(r.share_high_regime, ".2f"), fmt_float(r.buffer_saving, "+.2f")]
                    for r in s.itertuples()
                ),
            )
        )  # fmt: skip
    else:  # sensitivity
        sw = tables["sweeps"]
        c.print(
            table(
                "Sensitivity sweeps",
                ["parameter", ("value", "right"), "method", ("cost $", "right"),
                 ("vs equal %", "right"), ("lam $/sh", "right"), ("x first", "right"),
                 ("x mid", "right"), ("x last", "right"), ("at cap", "right")],
                (
                    [r.parameter, fmt_float(r.value, ".4g"), r.method, fmt_float(r.cost, ".2f"),
                     fmt_float(r.reduction_pct, ".2f"), fmt_float(r.lam, ".4g"),
                     fmt_float(r.x_first, ".3g"), fmt_float(r.x_mid, ".3g"),
                     fmt_float(r.x_last, ".3g"), r.n_at_cap]
                    for r in sw.itertuples()
                ),
            )
        )  # fmt: skip
        mg, ev = tables["marginal"], tables["envelope"]
        c.print(
            table(
                "lam = d opt / dS (central differences)",
                ["model", ("S", "right"), ("lam", "right"), ("finite diff.", "right"),
                 ("rel err", "right")],
                ([r.model, fmt_float(r.S, ",.0f"), fmt_float(r.lam, ".8g"),
                  fmt_float(r.fd, ".8g"), fmt_float(r.rel_err, ".2g")] for r in mg.itertuples()),
            )
        )  # fmt: skip
        worst = ev.groupby(["model", "parameter"], sort=False)["rel_err"].max().reset_index()
        c.print(
            table(
                "Envelope theorem: d opt / d theta vs finite differences (worst rel err)",
                ["model", "parameter", ("max rel err", "right")],
                ([r.model, r.parameter, fmt_float(r.rel_err, ".2g")] for r in worst.itertuples()),
            )
        )  # fmt: skip
    t = doc.get("timings")
    if isinstance(t, dict):
        shown = ", ".join(
            f"{k} {v:.3g} s" for k, v in t.items() if isinstance(v, float) and k != "periods"
        )
        note(f"timings: {shown}")
