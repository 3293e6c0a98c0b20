r"""``execopt backtest``: replay execution policies against a real or synthetic day of books.

Examples
--------
::

    execopt backtest FROG --shares 5000                       # seeded synthetic FROG day
    execopt backtest ../shared/data/mbp10/FROG_2025-04-03.csv.gz --shares 5000 \\
        --policy twap,adaptive,oracle --json
    execopt backtest SOUN --shares 20000 --side sell --plot backtest.png --orders out/

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

Books (the day and its history) are loaded by :func:`execopt.data.load_book`: the rows read,
kept and dropped are printed and put in the JSON (``"data_validation"``,
``"history_validation"``), and a book that lost more than ``--max-drop`` (default 1 %) of its
rows is refused with exit code 2.
"""

from __future__ import annotations

import argparse
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

__all__ = ["DEFAULT_POLICIES", "register", "run"]

DEFAULT_POLICIES = "twap,vwap,static,adaptive,ac,pov,oracle"


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
    o = p.add_argument_group("order")
    o.add_argument(
        "--shares",
        type=_args.number(minimum=0, strict=True, unit="shares"),
        required=True,
        metavar="S",
        help="order size, shares (> 0)",
    )
    o.add_argument("--side", choices=("buy", "sell"), default="buy", help="default buy")
    o.add_argument(
        "--policy",
        default=DEFAULT_POLICIES,
        help=f"comma-separated policies (default {DEFAULT_POLICIES})",
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


def _load(args: argparse.Namespace) -> tuple[BookSeries, dict[str, Any], BookSeries | None]:
    from execopt.cli.fit import PRESET_NAMES, load_book
    from execopt.data import load_book as load
    from execopt.data import synthetic_book

    options = namespace_options(args)
    book, source = load_book(args.source, messages=args.messages, seed=args.seed, **options)
    previous = None
    if not args.no_history:
        if args.history is not None:
            previous, _ = load(args.history, **options)
            source["history"] = str(args.history)
        elif args.source.upper() in PRESET_NAMES and not Path(args.source).exists():
            previous = synthetic_book(args.source.upper(), seed=args.seed + 1, date="2025-04-02")
            source["history"] = f"synthetic {args.source.upper()} (seed {args.seed + 1})"
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

    if args.plot is not None:
        check_output_file(args.plot)  # fail now, not after the replay
    if args.orders is not None:
        check_output_dir(args.orders)
    names = [n.strip().lower() for n in args.policy.split(",") if n.strip()]
    unknown = [n for n in names if n not in POLICIES]
    if not names or unknown:
        raise InputError(
            f"unknown policy {', '.join(unknown) or '(none)'}; choose from {', '.join(POLICIES)}."
        )
    t0 = perf_counter()
    book, source, previous = _load(args)
    t_read = perf_counter() - t0
    cfg = SimConfig(
        side=args.side,
        overflow=args.overflow,
        at_close=args.at_close,
        lot=args.lot,
        permanent_impact=args.permanent_impact,
        transient_impact=args.transient_impact,
    )
    breaker = (
        CircuitBreaker(max_spread_bps=args.max_spread_bps)
        if args.max_spread_bps is not None
        else None
    )
    progress = progress_enabled(args)
    results: dict[str, SimResult] = {}
    for name in names:
        policy = make_policy(name, book=book)
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
            "events": s["events"],
            "info": {k: v for k, v in res.info.items() if isinstance(v, (int, float, str))},
        }
    first = next(iter(results.values()))
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
        "simulator": {
            "overflow": args.overflow,
            "at_close": args.at_close,
            "lot": args.lot,
            "permanent_impact": args.permanent_impact,
            "transient_impact": args.transient_impact,
            "max_spread_bps": args.max_spread_bps,
        },
        "policies": policies,
        "seconds": {"read": t_read, "total": t_total},
    }


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

    def pct(v: Any) -> str:
        return fmt_float(v, "+.1f") + " %" if v == v else "-"

    rows = []
    for name, r in doc["policies"].items():
        rows.append(
            [
                name + (" (foresight)" if name == "oracle" else ""),
                f"{r['cost']:,.2f}",
                fmt_float(r["shortfall_bps"], ",.2f"),
                pct(r["vs_twap_pct"]),
                pct(100 * r["oracle_capture"])
                if r["oracle_capture"] == r["oracle_capture"]
                else "-",
                f"{100 * r['fill_rate']:.1f}",
                fmt_float(r["latency_p50_ms"], ".3f"),
                fmt_float(r["latency_p99_ms"], ".3f"),
                f"{r['halted_periods'] + r['skipped_periods']:,}",
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
                Col("halted/skipped", "right", wide=True),
            ],
            rows,
        )
    )
    out.print(
        Text(
            "cost vs each period's mid; IS: implementation shortfall vs the arrival mid; vs "
            "TWAP: cost saving; of oracle: share of the perfect-foresight oracle's saving over "
            "TWAP captured (the oracle sees the whole day: a bound, not a policy); latency: "
            "the policy's decision time per period (median).",
            style="dim",
        )
    )
    for name, res in results.items():
        if res.events_of("halt") or res.events_of("skipped") or res.events_of("close"):
            out.print(Text(res.report()))
        if name == "vwap" and "profile_source" in res.info:
            out.print(Text(f"vwap volume profile: {res.info['profile_source']}"))
    out.print(Text(f"done in {doc['seconds']['total']:.2f} s"))
