r"""``execopt backtest``: replay execution policies against a real or synthetic day of books.

Examples
--------
::

    execopt backtest FROG --shares 5000                       # seeded synthetic FROG day
    execopt backtest ../shared/data/mbp10/FROG_2025-04-03.csv.gz --shares 5000 \\
        --policy twap,adaptive,oracle --json
    execopt backtest SOUN --shares 20000 --side sell --plot backtest.png --orders out/
    execopt backtest ../shared/data/mbp10/FROG_2025-04-03.csv.gz --episodes 50 --horizon 60 \
        --sizes 2000,5000 --sides buy,sell --workers 2      # many orders, risk-adjusted
    execopt backtest FROG --days 5 --episodes 20 --horizon 60 --shares 5000 --out episodes/

Each policy trades the same parent order through the simulator (:mod:`execopt.execution`):
every child order is filled by walking that minute's actual book. The table shows the realised
cost against each period's mid, the implementation shortfall against the arrival mid (basis
points), the saving against TWAP, the share of the perfect-foresight oracle's saving over TWAP
that the policy captures, the fill rate, and the policy's decision latency. The oracle sees the
whole day in advance: it is a bound, not a policy.

For a synthetic preset the policies also see one earlier synthetic day (seed + 1) as history
(VWAP's volume profile, the static optimum's per-minute profile, the adaptive forecast's
intraday shape); ``--no-history`` turns that off. For a file, ``--history PATH`` gives earlier
days.

Every run says which minutes it covered (the minute grid, :mod:`execopt.data.grid`): a
partial file, an early close or a late start gives fewer periods, minutes without data are
not tradable, and the JSON holds the span under ``"span"``. Each policy's implementation
shortfall is split into spread, impact, timing, fees and opportunity (``"shortfall_decomposition"``,
dollars and bp), beside the interval VWAP and TWAP benchmarks and mark-outs.

**Episodes** (``--episodes K --horizon H``): many parent orders within each day (``K`` start
times, ``--stride`` minutes apart or spread over the day, crossed with ``--sizes`` and
``--sides``) and across every day of a folder or glob (``--days D`` synthetic days for a
preset), on Dask (``--workers``; identical results whatever the count), with a progress bar.
Each episode has its own arrival price, sees only earlier data (the same day's earlier
minutes, the earlier days) and gets its own result; the table gives per policy the mean and
standard deviation of the shortfall and of its parts, the saving against TWAP with bootstrap
intervals, the Sharpe ratio and drawdown of that saving, and the mean–std frontier
(:mod:`execopt.studies.episodes`). ``--out DIR`` writes the tidy tables as CSV and the JSON.

Books (the day and its history) are loaded by :func:`execopt.data.load_book`: the rows read,
kept and dropped are printed and put in the JSON (``"data_validation"``,
``"history_validation"``), and a book that lost more than ``--max-drop`` (default 1 %) of its
rows is refused with exit code 2.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

from execopt.cli import _args
from execopt.cli._data import (
    add_data_arguments,
    namespace_options,
    print_validation,
    validation_doc,
)

if TYPE_CHECKING:  # pragma: no cover
    from execopt.data.book import BookSeries
    from execopt.execution.simulator import SimResult

__all__ = ["DEFAULT_POLICIES", "EPISODE_POLICIES", "ORACLE_NOTE", "register", "run"]

DEFAULT_POLICIES = "twap,vwap,static,adaptive,ac,pov,oracle"
#: The policies of an episode run unless ``--policy`` names others.
EPISODE_POLICIES = "twap,static,adaptive,oracle"
#: What the oracle is, wherever its row is shown.
ORACLE_NOTE = (
    "perfect-foresight oracle: minimises the impact cost against each minute's mid with every "
    "book of its window known in advance; an impact-only bound, blind to the drift, so its "
    "shortfall can be worse than TWAP's"
)


def register(subparsers: Any) -> None:
    """Add the ``backtest`` subcommand."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "backtest",
        help="replay execution policies (TWAP, VWAP, static, adaptive, ...) on a day of books",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Exit codes: 0 ok, 2 usage, input or I/O error (missing file, unknown policy, a "
        "file that cannot be written, more than --max-drop of a book's rows dropped by "
        "validation).",
    )
    p.add_argument(
        "source",
        metavar="DATA_OR_PRESET",
        help="an order-book file (MBP-10 CSV, LOBSTER, DBN) or a synthetic preset: CRWV, FROG, "
        "SOUN",
    )
    d = p.add_argument_group("data")
    d.add_argument("--messages", type=Path, metavar="PATH", help="LOBSTER message file")
    d.add_argument(
        "--seed", type=_args.seed, default=0, help="seed of the synthetic day (default 0)"
    )
    d.add_argument(
        "--history",
        metavar="PATH",
        help="earlier day(s) the policies may learn from (default: none for a file, one "
        "synthetic day with seed + 1 for a preset)",
    )
    d.add_argument("--no-history", action="store_true", help="give the policies no earlier day")
    add_data_arguments(d)
    d.add_argument(
        "--days",
        type=_args.integer(minimum=1, maximum=250),
        default=1,
        metavar="D",
        help="synthetic preset only: D consecutive synthetic days (seeds from --seed), each "
        "day's episodes learning from the earlier ones (default 1)",
    )
    d.add_argument(
        "--max-gap",
        type=_args.integer(minimum=0),
        default=15,
        metavar="MIN",
        help="longest silence (minutes) over which a book is carried; longer ones are missing "
        "minutes, not tradable (default 15)",
    )
    o = p.add_argument_group("order")
    o.add_argument(
        "--shares",
        type=_args.number(minimum=0, strict=True, unit="shares"),
        default=None,
        metavar="S",
        help="order size, shares (> 0); required unless --sizes is given",
    )
    o.add_argument("--side", choices=("buy", "sell"), default="buy", help="default buy")
    o.add_argument(
        "--policy",
        default=None,
        help=f"comma-separated policies (default {DEFAULT_POLICIES}; with --episodes "
        f"{EPISODE_POLICIES})",
    )
    s = p.add_argument_group("simulator")
    s.add_argument(
        "--overflow",
        choices=("carry", "drop"),
        default="carry",
        help="shares beyond the visible depth: carry to the next period (default) or drop",
    )
    s.add_argument(
        "--at-close",
        choices=("force", "report_unfilled"),
        default="force",
        help="end of day: force the rest through the last book (default) or report it unfilled",
    )
    s.add_argument(
        "--lot",
        type=_args.number(minimum=0, strict=True, unit="shares"),
        default=None,
        help="round child orders to this lot",
    )
    s.add_argument(
        "--max-spread-bps",
        type=_args.number(minimum=0, strict=True, unit="bp"),
        default=None,
        help="circuit breaker: halt while the spread exceeds this many bp of the mid",
    )
    s.add_argument(
        "--permanent-impact",
        type=_args.number(minimum=0, unit="$ per share"),
        default=0.0,
        help="simulated permanent impact, $ of mid shift per share filled (default 0)",
    )
    s.add_argument(
        "--transient-impact",
        type=_args.number(minimum=0, unit="$ per share"),
        default=0.0,
        help="simulated transient impact, $ per share filled, half-life 5 min (default 0)",
    )
    s.add_argument(
        "--propagator",
        type=Path,
        metavar="FIT.json",
        default=None,
        help="own impact from the 'propagator' section of a fit file (execopt fit --propagator): "
        "the simulated book responds to the order's fills with its transient kernel and "
        "permanent gamma, and the static and adaptive policies plan with them",
    )
    s.add_argument(
        "--fee",
        type=_args.number(unit="$ per share"),
        default=0.0,
        help="taker fee, $ per share, charged on every fill (negative: a rebate); every child "
        "order is marketable, so the taker side of a maker/taker schedule applies (default 0)",
    )
    s.add_argument(
        "--drift",
        type=_args.number(unit="$ per share per minute"),
        default=0.0,
        help="simulated drift of the mid, $ per share per minute (default 0: a pure replay)",
    )
    e = p.add_argument_group("episodes (many orders; see the description)")
    e.add_argument(
        "--episodes",
        type=_args.integer(minimum=1, maximum=100_000),
        default=None,
        metavar="K",
        help="start times per day: run many parent orders instead of one",
    )
    e.add_argument(
        "--horizon",
        type=_args.integer(minimum=1, maximum=10_000),
        default=60,
        metavar="H",
        help="minutes each episode's order has (default 60)",
    )
    e.add_argument(
        "--stride",
        type=_args.integer(minimum=1),
        default=None,
        metavar="M",
        help="minutes between start times (default: K starts spread over the day)",
    )
    e.add_argument(
        "--sizes",
        type=_args.number_list(minimum=0, strict=True, unit="shares"),
        default=None,
        metavar="S1,S2",
        help="order sizes of the episodes, shares (default --shares)",
    )
    e.add_argument(
        "--sides",
        type=_args.choice_list("buy", "sell"),
        default=None,
        metavar="buy,sell",
        help="sides of the episodes (default --side)",
    )
    e.add_argument(
        "--ac-urgencies",
        type=_args.number_list(minimum=0, unit="kappa x H"),
        default=(),
        metavar="U1,U2",
        help="add Almgren-Chriss at these urgencies to trace its mean-std frontier",
    )
    e.add_argument(
        "--n-boot",
        type=_args.integer(minimum=0, maximum=100_000),
        default=1000,
        metavar="B",
        help="bootstrap replicates of every interval (default 1000)",
    )
    e.add_argument(
        "--boot-seed",
        type=_args.seed,
        default=0,
        help="seed of the bootstrap (default 0; the episodes are deterministic)",
    )
    where = e.add_mutually_exclusive_group()
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
    e.add_argument(
        "--oversubscribe",
        action="store_true",
        help="start --workers processes even when there are fewer cores",
    )
    e.add_argument(
        "--progress", action="store_true", help="show a progress bar even when not on a terminal"
    )
    out = p.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="print the results as JSON only")
    out.add_argument(
        "--plot",
        type=_args.plot_file,
        metavar="FILE.png",
        help="write a plot of the fills (.png, .pdf, .svg, ...)",
    )
    out.add_argument(
        "--orders",
        type=_args.output_dir,
        metavar="DIR",
        help="write each policy's child orders as orders_<policy>.csv, with a manifest",
    )
    out.add_argument(
        "--out",
        type=_args.output_dir,
        metavar="DIR",
        help="episodes: write the tidy tables (CSV) and the JSON here, with a manifest",
    )


@dataclass(frozen=True)
class _OwnImpact:
    """The order's own impact read from a fit file's propagator section (``--propagator``)."""

    kernel: Any
    permanent: float
    path: Path

    #: The policies that plan with the kernel and gamma (the others keep their own rules).
    planners: tuple[str, ...] = ("static", "adaptive")

    def plan_options(self, name: str) -> dict[str, Any]:
        """``make_policy`` options: the kernel and gamma for a planning policy, else none."""
        if name in self.planners:
            return {"transient": self.kernel, "permanent": self.permanent}
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "kernel": self.kernel.to_dict(),
            "permanent": self.permanent,
            "planned_by": list(self.planners),
            "simulated": True,
        }


def _own_impact(args: argparse.Namespace) -> _OwnImpact | None:
    """``--propagator FIT.json`` read and checked (None without it).

    Raises
    ------
    InputError
        ``--propagator`` beside ``--transient-impact`` or ``--permanent-impact`` (two sources
        of the same impact), or a fit file without a propagator section.
    """
    from execopt.errors import InputError
    from execopt.impact.fitjson import read_propagator

    path = getattr(args, "propagator", None)
    if path is None:
        return None
    if args.transient_impact or args.permanent_impact:
        raise InputError(
            "--propagator gives the transient and permanent impact; drop --transient-impact "
            "and --permanent-impact (or drop --propagator to simulate those numbers instead)."
        )
    found = read_propagator(path)
    if found is None:
        raise InputError(
            f"{path} has no 'propagator' section: fit one with execopt fit ... --propagator "
            "--out FIT.json, or drop --propagator."
        )
    kernel, gamma = found
    return _OwnImpact(kernel=kernel, permanent=float(gamma), path=Path(path))


def _load(args: argparse.Namespace) -> tuple[BookSeries, dict[str, Any], BookSeries | None]:
    from execopt.cli.fit import PRESET_NAMES, load_book
    from execopt.data import load_book as load
    from execopt.data import synthetic_book, synthetic_days
    from execopt.errors import InputError

    options = namespace_options(args)
    preset = args.source.upper() in PRESET_NAMES and not Path(args.source).exists()
    days = int(getattr(args, "days", 1) or 1)
    if days > 1 and not preset:
        raise InputError(
            "--days applies to a synthetic preset; for files give a folder or glob of daily "
            "files instead."
        )
    if preset and days > 1:
        book = synthetic_days(args.source.upper(), days, seed=args.seed)
        source = {"preset": args.source.upper(), "seed": args.seed, "days": days}
    else:
        book, source = load_book(args.source, messages=args.messages, seed=args.seed, **options)
    previous = None
    if not args.no_history and args.episodes is None:
        if args.history is not None:
            previous, _ = load(args.history, **options)
            source["history"] = str(args.history)
        elif preset:
            previous = synthetic_book(args.source.upper(), seed=args.seed + 1, date="2025-04-02")
            source["history"] = f"synthetic {args.source.upper()} (seed {args.seed + 1})"
    elif args.episodes is not None and args.history is not None:
        raise InputError(
            "--history does not apply with --episodes: each day's episodes learn from the "
            "earlier days of the run itself (give a folder or glob of several days)."
        )
    return book, source, previous


def run(args: argparse.Namespace) -> int:
    """Run every policy and print the comparison table (or JSON); return the exit code."""
    from execopt._atomic import check_output_dir, check_output_file
    from execopt.cli.render import progress_enabled
    from execopt.errors import InputError
    from execopt.execution import (
        CircuitBreaker,
        SimConfig,
        compare,
        make_policy,
        simulate,
    )
    from execopt.execution.policies import POLICIES
    from execopt.impact.fees import PerShareFee

    if args.plot is not None:
        check_output_file(args.plot)  # fail now, not after the replay
    if args.orders is not None:
        check_output_dir(args.orders)
    if args.out is not None:
        check_output_dir(args.out)
    chosen = args.policy
    if chosen is None:
        chosen = EPISODE_POLICIES if args.episodes is not None else DEFAULT_POLICIES
    names = [n.strip().lower() for n in chosen.split(",") if n.strip()]
    unknown = [n for n in names if n not in POLICIES]
    if not names or unknown:
        raise InputError(
            f"unknown policy {', '.join(unknown) or '(none)'}; choose from {', '.join(POLICIES)}."
        )
    if args.episodes is not None:
        return _run_episodes(args, names)
    episode_only = [
        opt
        for opt, given in (
            ("--sizes", args.sizes is not None),
            ("--sides", args.sides is not None),
            ("--stride", args.stride is not None),
            ("--ac-urgencies", bool(args.ac_urgencies)),
            ("--out", args.out is not None),
            ("--workers", args.workers is not None),
            ("--scheduler", args.scheduler is not None),
            ("--days", args.days > 1),
        )
        if given
    ]
    if episode_only:
        raise InputError(
            f"{', '.join(episode_only)} appl{'ies' if len(episode_only) == 1 else 'y'} to "
            "episodes: add --episodes K (and --horizon H), or drop them."
        )
    if args.shares is None:
        raise InputError("--shares S is required (the order size, shares).")
    own = _own_impact(args)
    t0 = perf_counter()
    book, source, previous = _load(args)
    t_read = perf_counter() - t0
    cfg = SimConfig(
        side=args.side,
        overflow=args.overflow,
        at_close=args.at_close,
        lot=args.lot,
        permanent_impact=own.permanent if own else args.permanent_impact,
        transient_impact=args.transient_impact,
        transient=own.kernel if own else None,
        costs=PerShareFee(args.fee) if args.fee else None,
        drift=args.drift,
        max_gap=args.max_gap,
    )
    breaker = (
        CircuitBreaker(max_spread_bps=args.max_spread_bps)
        if args.max_spread_bps is not None
        else None
    )
    progress = progress_enabled(args)
    results: dict[str, SimResult] = {}
    for name in names:
        policy = make_policy(name, book=book, **(own.plan_options(name) if own else {}))
        results[name] = simulate(
            book,
            policy,
            args.shares,
            cfg,
            previous=previous,
            breaker=breaker,
            progress=progress,
        )
    table = compare(results)
    t_total = perf_counter() - t0
    if args.orders is not None:
        _write_orders(args.orders, results, decimals=0 if args.lot else 4)
    if args.plot is not None:
        from execopt._atomic import atomic_path
        from execopt.reporting.plots import plot_backtest

        with atomic_path(args.plot) as tmp:
            plot_backtest(tmp, results)
    doc = _document(args, source, results, table, t_read, t_total)
    if own is not None:
        doc["propagator"] = own.to_dict()
    doc["data_validation"] = validation_doc(book.validation, args.max_drop)
    if previous is not None:
        doc["history_validation"] = validation_doc(previous.validation, args.max_drop)
    if args.json:
        from execopt.cli.render import print_json

        print_validation(doc["data_validation"], json_mode=True)
        print_json(doc)
    else:
        _print_human(doc, results)
    return 0


def _write_orders(folder: Path, results: dict[str, SimResult], decimals: int) -> None:
    """Every policy's child orders, ``orders_<policy>.csv``, written into ``folder`` as one unit
    with ``orders.manifest.json`` (run id, sizes, SHA-256): see :class:`execopt._atomic.OutputFolder`.
    """
    from execopt._atomic import OutputFolder
    from execopt.cli.render import note
    from execopt.execution import from_result

    with OutputFolder(folder, name="orders", stale=("orders_*.csv",)) as out:
        for name, res in results.items():
            with out.path(f"orders_{name}.csv") as tmp:
                from_result(res, decimals=decimals).to_csv(tmp, index=False)
    note(f"wrote {len(results)} child-order file(s) to {folder} (run {out.run_id})")


def _document(
    args: argparse.Namespace,
    source: dict[str, Any],
    results: dict[str, SimResult],
    table: Any,
    t_read: float,
    t_total: float,
) -> dict[str, Any]:
    from execopt.execution.tca import benchmarks, decompose, markouts

    policies: dict[str, Any] = {}
    for name, row in table.iterrows():
        res = results[str(name)]
        s = res.summary()
        policies[str(name)] = {
            "cost": row["cost"],
            "shortfall": row["shortfall"],
            "shortfall_bps": row["shortfall_bps"],
            "vs_twap_pct": row["vs_twap_pct"],
            "vs_vwap_pct": row["vs_vwap_pct"],
            "oracle_capture": row["oracle_capture"],
            "fill_rate": row["fill_rate"],
            "filled": row["filled"],
            "unfilled": s["unfilled"],
            "beyond_depth": row["beyond_depth"],
            "latency_p50_ms": row["latency_p50_ms"],
            "latency_p99_ms": row["latency_p99_ms"],
            "decisions": s["decisions"],
            "halted_periods": s["halted_periods"],
            "skipped_periods": s["skipped_periods"],
            "missing_periods": s["missing_periods"],
            "events": s["events"],
            "info": {k: v for k, v in res.info.items() if isinstance(v, (int, float, str))},
            "shortfall_decomposition": decompose(res).as_dict(),
            "benchmarks": benchmarks(res),
            "markouts": markouts(res),
        }
        if name == "oracle":
            policies[str(name)]["note"] = ORACLE_NOTE
    first = next(iter(results.values()))
    grid = first.book.minute_grid() if first.book is not None else None
    return {
        "source": source,
        "symbol": first.symbol,
        "order": {
            "shares": first.shares,
            "side": first.side,
            "arrival_mid": first.arrival_mid,
            "periods": len(first.fills),
            "session": first.session,
        },
        "span": grid.describe() if grid is not None else None,
        "simulator": {
            "overflow": args.overflow,
            "at_close": args.at_close,
            "lot": args.lot,
            "permanent_impact": args.permanent_impact,
            "transient_impact": args.transient_impact,
            "max_spread_bps": args.max_spread_bps,
            "fee": args.fee,
            "drift": args.drift,
            "max_gap": args.max_gap,
        },
        "policies": policies,
        "seconds": {"read": t_read, "total": t_total},
    }


def _print_own_impact(doc: dict[str, Any], out: Any) -> None:
    """One line on the own impact of ``--propagator`` (nothing without it)."""
    from rich.text import Text

    prop = doc.get("propagator")
    if prop is None:
        return
    k = {key: v for key, v in prop["kernel"].items() if key != "kernel"}
    shown = ", ".join(
        f"{key} {v:.4g}" if isinstance(v, float) else f"{key} {v}" for key, v in k.items()
    )
    out.print(
        Text(
            f"own impact from {prop['file']}: {prop['kernel']['kernel']} kernel ({shown}), "
            f"permanent gamma {prop['permanent']:.4g} $/share^2; the simulated book responds to "
            f"the fills, and {' and '.join(prop['planned_by'])} plan with them"
        )
    )


def _print_human(doc: dict[str, Any], results: dict[str, SimResult]) -> None:
    from rich.text import Text

    from execopt.cli.render import Col, console, fmt_float, table

    out = console()
    o = doc["order"]
    src = doc["source"]
    where = src.get("path") or f"synthetic {src.get('preset')} (seed {src.get('seed')})"
    out.print(
        Text(
            f"{doc['symbol']}: {o['side']} {o['shares']:,.0f} shares over {o['periods']} minutes "
            f"({o['session']}), arrival mid ${o['arrival_mid']:,.4f}; data: {where}"
            + (f"; history: {src['history']}" if src.get("history") else "")
        )
    )
    print_validation(doc["data_validation"])
    if "history_validation" in doc:
        print_validation(doc["history_validation"], label="history validation")
    _print_own_impact(doc, out)

    def pct(v: Any) -> str:
        return fmt_float(v, "+.1f") + " %" if v == v else "-"

    rows = []
    for name, r in doc["policies"].items():
        rows.append(
            [
                name + (" (bound)" if name == "oracle" else ""),
                f"{r['cost']:,.2f}",
                fmt_float(r["shortfall_bps"], ",.2f"),
                pct(r["vs_twap_pct"]),
                pct(100 * r["oracle_capture"])
                if r["oracle_capture"] == r["oracle_capture"]
                else "-",
                f"{100 * r['fill_rate']:.1f}",
                fmt_float(r["latency_p50_ms"], ".3f"),
                fmt_float(r["latency_p99_ms"], ".3f"),
                f"{r['halted_periods'] + r['skipped_periods'] + r['missing_periods']:,}",
            ]
        )
    out.print(
        table(
            "policies",
            [
                Col("policy"),
                Col("cost $", "right"),
                Col("IS bp", "right"),
                Col("vs TWAP", "right"),
                Col("of oracle", "right"),
                Col("fill %", "right"),
                Col("latency p50 ms", "right"),
                Col("p99 ms", "right", wide=True),
                Col("halted/skipped/missing", "right", wide=True),
            ],
            rows,
        )
    )
    out.print(
        Text(
            "cost vs each period's mid; IS: implementation shortfall vs the arrival mid; vs "
            "TWAP: cost saving; of oracle: share of the perfect-foresight oracle's saving over "
            "TWAP captured (the oracle sees the whole day and minimises the impact cost: an "
            "impact-only bound, not a policy; blind to drift, its IS can exceed TWAP's); "
            "latency: the policy's decision time per period (median).",
            style="dim",
        )
    )
    drows = []
    for name, r in doc["policies"].items():
        b = r["shortfall_decomposition"]["bps"]
        drows.append(
            [name]
            + [fmt_float(b[k], ",.2f") for k in ("spread", "impact", "timing", "fees")]
            + [fmt_float(b["opportunity"], ",.2f"), fmt_float(b["total"], ",.2f")]
            + [fmt_float(r["benchmarks"]["bps"]["vwap"], ",.2f")]
            + [fmt_float(r["markouts"]["5m"]["bps"], ",.2f")]
        )
    out.print(
        table(
            "shortfall decomposition, bp of S x arrival mid",
            [
                Col("policy"),
                Col("spread", "right"),
                Col("impact", "right"),
                Col("timing", "right"),
                Col("fees", "right"),
                Col("opport.", "right"),
                Col("IS", "right"),
                Col("vs VWAP", "right", wide=True),
                Col("markout 5m", "right", wide=True),
            ],
            drows,
        )
    )
    out.print(
        Text(
            "IS = spread (half-spread paid) + impact (book walk beyond the touch, plus own "
            "impact when simulated) + timing (mid drift since arrival) + fees + opportunity "
            "(unfilled shares at the last mid); --wide adds the shortfall vs the interval VWAP "
            "and the +5-minute mark-out (bp; > 0: the price moved past the fills).",
            style="dim",
        )
    )
    for name, res in results.items():
        if res.events_of("halt") or res.events_of("skipped") or res.events_of("close"):
            out.print(Text(res.report()))
        if name == "vwap" and "profile_source" in res.info:
            out.print(Text(f"vwap volume profile: {res.info['profile_source']}"))
    out.print(Text(f"done in {doc['seconds']['total']:.2f} s"))


# ----------------------------------------------------------------------------- episodes
def _run_episodes(args: argparse.Namespace, names: list[str]) -> int:
    """``--episodes``: many parent orders per day, on Dask; the risk-adjusted comparison."""
    from execopt.cli.render import note, progress_enabled
    from execopt.errors import InputError
    from execopt.studies.episodes import EpisodeConfig, run_episodes
    from execopt.studies.parallel import ParallelConfig

    if args.plot is not None or args.orders is not None:
        raise InputError(
            "--plot and --orders describe one order; with --episodes use --out DIR (the tidy "
            "tables) and the report (notebook 07) for figures."
        )
    if args.max_spread_bps is not None:
        raise InputError("--max-spread-bps (the circuit breaker) is not available with --episodes.")
    sizes = args.sizes if args.sizes is not None else (args.shares,)
    if sizes == (None,):
        raise InputError("give --shares S or --sizes S1,S2 for the episodes' order sizes.")
    sides = args.sides if args.sides is not None else (args.side,)
    own = _own_impact(args)
    config = EpisodeConfig(
        episodes=args.episodes,
        horizon=args.horizon,
        stride=args.stride,
        sizes=tuple(float(x) for x in sizes),
        sides=tuple(sides),
        policies=tuple(names),
        ac_urgencies=tuple(args.ac_urgencies),
        overflow=args.overflow,
        at_close=args.at_close,
        lot=args.lot,
        fee=args.fee,
        permanent_impact=own.permanent if own else args.permanent_impact,
        transient_impact=args.transient_impact,
        transient=own.kernel if own else None,
        plan_own_impact=own is not None,
        drift=args.drift,
        history=not args.no_history,
        n_boot=args.n_boot,
        seed=args.boot_seed,
        max_gap=args.max_gap,
    )
    parallel = ParallelConfig(
        workers=args.workers,
        scheduler=args.scheduler,
        progress=progress_enabled(args),
        oversubscribe=bool(args.oversubscribe),
    )
    msg = parallel.cap_note()
    if msg:
        note(msg)
    t0 = perf_counter()
    book, source, _ = _load(args)
    t_read = perf_counter() - t0
    study = run_episodes(book, config, parallel)
    doc = {"source": source, "symbol": book.symbol, **study.to_dict()}
    if own is not None:
        doc["propagator"] = own.to_dict()
    doc["timings"] = {**study.timings, "read": t_read}
    doc["data_validation"] = validation_doc(book.validation, args.max_drop)
    doc["oracle"] = ORACLE_NOTE
    if args.out is not None:
        _write_episodes(args.out, doc, study)
    if args.json:
        from execopt.cli.render import print_json

        print_validation(doc["data_validation"], json_mode=True)
        print_json(doc)
    else:
        _print_episodes(doc, study)
    return 0


def _write_episodes(folder: Path, doc: dict[str, Any], study: Any) -> None:
    """The episodes' tables (``episodes.csv`` one row per episode and policy, ``summary.csv``,
    ``savings.csv``, ``pairs.csv``, ``frontier.csv``) and ``episodes.json``, as one run.
    """
    from execopt._atomic import OutputFolder
    from execopt.cli.render import dumps, note

    with OutputFolder(folder, name="episodes") as out:
        doc["run_id"] = out.run_id
        for name, frame in (
            ("episodes", study.rows),
            ("summary", study.summary),
            ("savings", study.savings),
            ("pairs", study.pairs),
            ("frontier", study.frontier),
        ):
            with out.path(f"{name}.csv") as tmp:
                frame.to_csv(tmp, index=name in ("summary", "savings"))
        with out.path("episodes.json") as tmp:
            tmp.write_text(dumps(doc) + "\n", encoding="utf-8")
    note(f"wrote the episode tables and episodes.json to {folder} (run {out.run_id})")


def _print_episodes(doc: dict[str, Any], study: Any) -> None:
    from rich.text import Text

    from execopt.cli.render import Col, console, fmt_float, table

    out = console()
    cfg = study.config
    src = doc["source"]
    where = src.get("path") or (
        f"synthetic {src.get('preset')} (seed {src.get('seed')}"
        + (f", {src['days']} days" if src.get("days") else "")
        + ")"
    )
    out.print(
        Text(
            f"{doc['symbol']}: {study.n_episodes:,} episodes of {cfg.horizon} minutes "
            f"({', '.join(f'{x:,.0f}' for x in cfg.sizes)} shares; {', '.join(cfg.sides)}) on "
            f"{doc['span']['label']}; data: {where}"
        )
    )
    print_validation(doc["data_validation"])
    _print_own_impact(doc, out)
    for d in doc["days"]:
        if d["note"]:
            out.print(Text(f"{d['date']}: {d['note']}", style="dim"))

    def num(v: Any, spec: str) -> str:  # a statistic that does not exist (sd 0) is "-"
        return "-" if v is None or v != v else fmt_float(v, spec)

    def pm(m: Any, sd: Any) -> str:
        return f"{fmt_float(m, ',.1f')} ± {fmt_float(sd, ',.1f')}"

    def ci(lo: Any, hi: Any) -> str:
        if lo != lo or hi != hi:
            return "-"
        return f"[{fmt_float(lo, ',.1f')}, {fmt_float(hi, ',.1f')}]"

    rows = []
    sv = study.savings
    for label, r in study.summary.iterrows():
        s = sv.loc[label] if label in sv.index else None
        rows.append(
            [
                "oracle (bound)" if label == "oracle" else str(label),
                pm(r["shortfall_bps_mean"], r["shortfall_bps_sd"]),
                pm(r["cost_bps_mean"], r["cost_bps_sd"]),
                pm(r["timing_bps_mean"], r["timing_bps_sd"]),
                "-" if s is None else fmt_float(s["mean_bps"], ",.1f"),
                "-" if s is None else ci(s["mean_bps_lo"], s["mean_bps_hi"]),
                "-" if s is None else num(s["sharpe"], ".2f"),
                fmt_float(r["spread_bps_mean"], ",.1f"),
                fmt_float(r["impact_bps_mean"], ",.2f"),
                fmt_float(r["fees_bps_mean"], ",.2f"),
                fmt_float(r["opportunity_bps_mean"], ",.2f"),
                "-" if s is None else ci(s["sharpe_lo"], s["sharpe_hi"]),
                "-" if s is None else fmt_float(s["max_drawdown_usd"], ",.0f"),
                "-" if s is None else num(s["p"], ".3f"),
                f"{100 * r['fill_rate_mean']:.1f}",
            ]
        )
    out.print(
        table(
            "per policy over the episodes (bp of S x arrival mid; mean ± sd)",
            [
                Col("policy"),
                Col("IS bp", "right"),
                Col("cost bp", "right"),
                Col("timing bp", "right"),
                Col("save bp", "right"),
                Col("95% CI", "right"),
                Col("Sharpe", "right", wide=True),
                Col("spread bp", "right", wide=True),
                Col("impact bp", "right", wide=True),
                Col("fees bp", "right", wide=True),
                Col("opport. bp", "right", wide=True),
                Col("Sharpe CI", "right", wide=True),
                Col("max DD $", "right", wide=True),
                Col("p", "right", wide=True),
                Col("fill %", "right", wide=True),
            ],
            rows,
        )
    )
    days = len(doc["span"]["days"])
    out.print(
        Text(
            "IS: implementation shortfall vs each episode's arrival mid, = spread + impact + "
            "timing + fees + opportunity; cost: spread + impact, paid against each minute's "
            "mid (what the planners minimise); save: TWAP's IS minus the policy's on the same "
            "episodes (> 0: cheaper), its 95 % interval from a block bootstrap over start times "
            f"(blocks of {int(sv['block'].iloc[0]) if len(sv) else 1} overlapping starts, "
            f"{float(sv['blocks'].iloc[0]) if len(sv) else 0:.1f} independent blocks; under 4 "
            "give no interval)"
            + (", days resampled in the JSON" if days > 1 else "")
            + "; --wide adds the Sharpe ratio of the saving (mean / sd per episode) and the "
            "maximum drawdown of the cumulative saving, with intervals. The oracle sees its "
            "window's books in advance and minimises impact only: a bound on impact, not on "
            "shortfall.",
            style="dim",
        )
    )
    f = study.frontier
    eff = ", ".join(str(p) for p in f[f["efficient"]]["policy"])
    out.print(Text(f"mean-std frontier (IS bp): efficient {eff or '-'}"))
    t = doc["timings"]
    out.print(
        Text(
            f"{study.n_episodes:,} episodes x {len(study.summary)} policies in "
            f"{t['total']:.1f} s ({t['where']}; cluster start {t['cluster_start']:.1f} s)"
        )
    )
