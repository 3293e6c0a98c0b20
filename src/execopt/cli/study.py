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
with an assumed error; ``seed`` is the older name of ``reference``), ``sensitivity``, ``stress``,
``solvers`` (every method on every problem class) and ``audit``. ``--fast`` runs the CI-sized
version of each. ``montecarlo`` and the simulations of ``stress`` run on Dask: ``--workers K``
starts a local cluster of K processes (default: one per core; 1 runs in process; more than the
cores this process may use is capped there, with a note, unless ``--oversubscribe``),
``--scheduler ADDR`` uses an existing one (an unreachable one is an error after 10 s). For one
seed, the ``--json`` output is byte-identical whatever the workers, except the ``"timings"``
key. Long studies show a progress bar on stderr when it is a terminal (``--quiet`` turns it off,
``--progress`` forces it).

``montecarlo --source real`` and ``audit`` read the real FROG day when the data folder is
present: its validation counts are printed and put in the JSON under ``"data_validation"``,
and a day that lost more than ``--max-drop`` (default 1 %) of its rows is refused (montecarlo:
exit code 2; audit: the fitted claims say why and the fill claim uses the synthetic day).

``--out DIR`` writes ``<study>.json`` and ``<study>_<table>.csv`` as one unit: staged in
``DIR.partial-<run id>/`` and moved into ``DIR`` with ``<study>.manifest.json`` (the run id, and
each file's size and SHA-256) only when every file is complete; the files of an earlier run of
the same study are replaced, other files are left alone (:class:`execopt._atomic.OutputFolder`).
An interrupted run leaves ``DIR`` as it was; the JSON then printed and written carries the
``run_id``.
"""

from __future__ import annotations

import argparse
from typing import Any

from execopt.cli import _args

__all__ = ["STUDIES", "register", "run"]

STUDIES = ("montecarlo", "sensitivity", "stress", "solvers", "audit")


def register(subparsers: Any) -> None:
    """Add the ``study`` subcommand."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "study",
        help="run a study: montecarlo, sensitivity, stress, solvers or audit",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Exit codes: 0 ok, 2 usage, input or I/O error, 3 solver failure.",
    )
    p.add_argument("name", choices=STUDIES, help="which study")
    p.add_argument("--stock", default="FROG", metavar="TICKER", help="CRWV, FROG or SOUN")
    p.add_argument(
        "--shares",
        type=_args.number(minimum=0, strict=True, unit="shares"),
        default=10_000.0,
        metavar="S",
        help="order size S, shares (> 0)",
    )
    p.add_argument(
        "--draws",
        type=_args.integer(minimum=1, maximum=_args.MAX_DRAWS),
        default=None,
        metavar="N",
        help="Monte Carlo draws",
    )
    p.add_argument("--seed", type=_args.seed, default=0, metavar="S", help="root seed (default 0)")
    p.add_argument(
        "--source",
        choices=("synthetic", "real", "reference", "seed"),
        default="synthetic",
        help="montecarlo: where the parameter distribution comes from: synthetic (default), "
        "real, or reference (the reference framework document's constants; 'seed' is an alias)",
    )
    p.add_argument(
        "--n-boot",
        type=_args.integer(minimum=2, maximum=100_000),
        default=200,
        metavar="B",
        help="bootstrap replicates (default 200)",
    )
    from execopt.cli._data import add_data_arguments

    add_data_arguments(p, sort_and_time=False)
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=_args.integer(minimum=1),
        default=None,
        metavar="K",
        help="local Dask worker processes (default: one per core; capped at the cores)",
    )
    where.add_argument(
        "--scheduler",
        type=_args.scheduler_address,
        default=None,
        metavar="ADDR",
        help="existing Dask scheduler, e.g. tcp://10.0.0.5:8786",
    )
    p.add_argument(
        "--oversubscribe",
        action="store_true",
        help="start --workers processes even when there are fewer cores",
    )
    p.add_argument(
        "--progress", action="store_true", help="show a progress bar even when not on a terminal"
    )
    p.add_argument("--fast", action="store_true", help="the CI-sized version of the study")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument(
        "--out",
        type=_args.output_dir,
        default=None,
        metavar="DIR",
        help="write CSV + JSON here, with a manifest (created if missing)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the study named in ``args`` and print or write its results."""
    from execopt._atomic import check_output_dir, new_run_id
    from execopt.cli.render import print_json
    from execopt.data import PRESETS
    from execopt.errors import InputError

    if args.stock.upper() not in PRESETS:
        raise InputError(
            f"unknown stock {args.stock!r}; the studies know {', '.join(PRESETS)} (seeded "
            "synthetic days calibrated to each)."
        )
    if args.out is not None:
        check_output_dir(args.out)  # fail now, not after the study ran
    runner = {
        "montecarlo": _montecarlo,
        "sensitivity": _sensitivity,
        "stress": _stress,
        "solvers": _solvers,
        "audit": _audit,
    }[args.name]
    doc, tables = runner(args)
    if args.out is not None:
        doc = {"run_id": new_run_id(), **doc}
        _write(args.out, args.name, doc, tables)
    if args.json:
        print_json(doc)
    else:
        _print(args.name, doc, tables)
    return 0


# ----------------------------------------------------------------------------- studies
def _parallel(args: argparse.Namespace) -> Any:
    """The Dask configuration of ``--workers``/``--scheduler``; says so when workers are capped."""
    from execopt.cli.render import note, progress_enabled
    from execopt.studies.parallel import ParallelConfig

    parallel = ParallelConfig(
        workers=args.workers,
        scheduler=args.scheduler,
        progress=progress_enabled(args),
        oversubscribe=bool(getattr(args, "oversubscribe", False)),
    )
    msg = parallel.cap_note()
    if msg:
        note(msg)
    return parallel


def _montecarlo(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    from execopt.cli._data import print_validation, validation_doc
    from execopt.studies.fitted import book_distribution, load_book
    from execopt.studies.montecarlo import MonteCarloConfig, run_montecarlo
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
    parallel = _parallel(args)
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

    from execopt.studies.stress import StressConfig, run_stress
    from execopt.studies.stress_sim import SimStressConfig, run_sim_stress

    config = StressConfig(stock=args.stock.upper(), shares=args.shares, seed=args.seed)
    sim = SimStressConfig(stock=args.stock.upper(), shares=round(args.shares), seed=args.seed)
    if args.fast:
        config, sim = config.fast(), sim.fast()
    table, timings = run_stress(config)
    parallel = _parallel(args)
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

    from execopt.cli.render import progress_enabled
    from execopt.studies.solver_comparison import SolverComparisonConfig, run_solver_comparison

    config = SolverComparisonConfig(seed=args.seed)
    if args.fast:
        config = config.fast()
    table = run_solver_comparison(config, progress=progress_enabled(args))
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
def _write(out: Any, name: str, doc: dict[str, Any], tables: dict[str, Any]) -> None:
    """Write the study's CSV tables and JSON into ``out`` as one unit (see the module docstring)."""
    import sys

    from execopt import __version__
    from execopt._atomic import OutputFolder
    from execopt.cli.render import dumps, note

    meta = {"execopt": __version__, "command": ["execopt", *sys.argv[1:]]}
    with OutputFolder(out, name=name, run_id=doc["run_id"], meta=meta) as folder:
        for key, df in tables.items():
            with folder.path(f"{name}_{key}.csv") as tmp:
                df.to_csv(tmp, index=False)
        folder.write_text(f"{name}.json", dumps(doc) + "\n")
    note(
        f"wrote {name}.json and {len(tables)} CSV table(s) to {out} "
        f"(run {folder.run_id}; {folder.manifest_name} lists them)"
    )


def _print(name: str, doc: dict[str, Any], tables: dict[str, Any]) -> None:
    """The study's tables: the columns that fit 80 characters (``--wide``: every column)."""
    from execopt.cli.render import Col, console, fmt_float, fmt_ms, note, table

    c = console()
    if name == "montecarlo":
        s = tables["summary"]
        dist = doc["distribution"]
        unit = {"dollars": "$", "percent": "%"}
        c.print(
            table(
                f"Monte Carlo, {doc['stock']}: {doc['config']['draws']:,} draws, "
                f"{dist.get('source') or dist['kind']}",
                [Col("metric"), Col("unit"), Col("mean", "right"),
                 Col("±95% CI", "right"), Col("95% CI of mean", "right", wide=True),
                 Col("2.5%", "right"), Col("median", "right", wide=True),
                 Col("97.5%", "right")],
                (
                    [r.metric, unit.get(r.unit, r.unit), fmt_float(r.mean, ",.4g"),
                     fmt_float(r.ci_high - r.mean, ".3g"),
                     f"[{fmt_float(r.ci_low, ',.4g')}, {fmt_float(r.ci_high, ',.4g')}]",
                     fmt_float(r.q_low, ",.4g"), fmt_float(r.median, ",.4g"),
                     fmt_float(r.q_high, ",.4g")]
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
                [Col("claim", wrap=True), Col("claimed", wrap=True),
                 Col("re-derived", wrap=True), Col("verdict", wrap=True)],
                (
                    [r.claim, r.value_claimed, r.value_rederived, r.verdict]
                    for r in tables["audit"].itertuples()
                ),
            )
        )  # fmt: skip
    elif name == "solvers":
        t = tables["solvers"]
        c.print(
            table(
                "Solver comparison",
                [Col("case"), Col("N", "right"), Col("method"), Col("status"),
                 Col("rel gap", "right"), Col("KKT stat", "right", wide=True),
                 Col("raw viol sh", "right", wide=True), Col("iters", "right"),
                 Col("solve ms", "right", wide=True), Col("total ms", "right"),
                 Col("note", wide=True, wrap=True)],
                (
                    [r.case, f"{r.N:,}", r.method, r.status,
                     *(fmt_float(v) if r.applicable else "-"
                       for v in (r.rel_gap, r.stationarity, r.raw_violation)),
                     fmt_float(r.iterations, ",.0f") if r.applicable else "-",
                     fmt_ms(r.t_solve), fmt_ms(r.t_total),
                     _first_sentence(r.reason or r.warning)]
                    for r in t.itertuples()
                ),
            )
        )  # fmt: skip
        from execopt.cli.render import wide

        if not wide():
            reasons: dict[str, list[str]] = {}
            for r in t.itertuples():
                text = _first_sentence(r.reason or r.warning)
                if text:
                    reasons.setdefault(text, []).append(f"{r.case}/{r.method}")
            for text, where in reasons.items():
                places = sorted(set(where))
                more = f" and {len(places) - 4} more" if len(places) > 4 else ""
                note(f"{', '.join(places[:4])}{more}: {text}")
    elif name == "stress":
        t = tables["stress"]
        c.print(
            table(
                "Stress scenarios (nominal plan executed under each)",
                [Col("scenario"), Col("feasible"), Col("replanned $", "right"),
                 Col("plan $", "right"), Col("equal $", "right", wide=True),
                 Col("regret %", "right"), Col("unfilled sh", "right"),
                 Col("over cap sh", "right", wide=True), Col("min headroom", "right", wide=True),
                 Col("VaR95 plan $", "right", wide=True)],
                (
                    [r.scenario, "yes" if r.feasible else "NO",
                     fmt_float(r.cost_replanned, ",.2f"), fmt_float(r.cost_plan, ",.2f"),
                     fmt_float(r.cost_equal, ",.2f"), fmt_float(r.regret_pct, ",.2f"),
                     fmt_float(r.unfilled_shares, ",.0f"), fmt_float(r.over_cap_shares, ",.0f"),
                     fmt_float(r.headroom_min, ",.2f"), fmt_float(r.var95_plan, ",.0f")]
                    for r in t.itertuples()
                ),
            )
        )  # fmt: skip
        s = tables["simulations"]
        c.print(
            table(
                "Policies replayed on stressed synthetic books (simulator)",
                [Col("scenario"), Col("policy"), Col("cost $", "right"),
                 Col("saving vs TWAP %", "right"), Col("fill %", "right"),
                 Col("beyond depth sh", "right", wide=True), Col("max child sh", "right", wide=True),
                 Col("high-vol share", "right", wide=True),
                 Col("saved by buffers $", "right", wide=True)],
                (
                    [r.scenario, r.policy, fmt_float(r.cost, ",.2f"),
                     fmt_float(r.saving_vs_twap_pct, "+.2f"), fmt_float(100 * r.fill_rate, ".1f"),
                     fmt_float(r.beyond_depth, ",.0f"), fmt_float(r.max_child, ",.0f"),
                     fmt_float(r.share_high_regime, ".2f"), fmt_float(r.buffer_saving, "+,.2f")]
                    for r in s.itertuples()
                ),
            )
        )  # fmt: skip
    else:  # sensitivity
        sw = tables["sweeps"]
        c.print(
            table(
                "Sensitivity sweeps",
                [Col("parameter"), Col("value", "right"), Col("method"), Col("cost $", "right"),
                 Col("vs equal %", "right"), Col("lam $/sh", "right"),
                 Col("x first sh", "right", wide=True), Col("x mid sh", "right", wide=True),
                 Col("x last sh", "right", wide=True), Col("at cap", "right")],
                (
                    [r.parameter, fmt_float(r.value, ",.4g"), r.method,
                     fmt_float(r.cost, ",.2f"), fmt_float(r.reduction_pct, ".2f"),
                     fmt_float(r.lam, ".4g"), fmt_float(r.x_first, ",.3g"),
                     fmt_float(r.x_mid, ",.3g"), fmt_float(r.x_last, ",.3g"), r.n_at_cap]
                    for r in sw.itertuples()
                ),
            )
        )  # fmt: skip
        mg, ev = tables["marginal"], tables["envelope"]
        c.print(
            table(
                "lam = d opt / dS (central differences)",
                [Col("model"), Col("S sh", "right"), Col("lam $/sh", "right"),
                 Col("finite diff.", "right"), Col("rel err", "right")],
                ([r.model, fmt_float(r.S, ",.0f"), fmt_float(r.lam, ".8g"),
                  fmt_float(r.fd, ".8g"), fmt_float(r.rel_err, ".2g")] for r in mg.itertuples()),
            )
        )  # fmt: skip
        worst = ev.groupby(["model", "parameter"], sort=False)["rel_err"].max().reset_index()
        c.print(
            table(
                "Envelope theorem: d opt / d theta vs finite differences (worst rel err)",
                [Col("model"), Col("parameter"), Col("max rel err", "right")],
                ([r.model, r.parameter, fmt_float(r.rel_err, ".2g")] for r in worst.itertuples()),
            )
        )  # fmt: skip
    t = doc.get("timings")
    if isinstance(t, dict):
        shown = ", ".join(
            f"{k} {v:.3g} s" for k, v in t.items() if isinstance(v, float) and k != "periods"
        )
        note(f"timings: {shown}")


def _first_sentence(text: Any) -> str:
    """The first sentence of a reason or warning ('' for none)."""
    if not isinstance(text, str) or not text:
        return ""
    text = " ".join(text.split())
    cut = text.find(". ")
    return text if cut < 0 else text[: cut + 1]
