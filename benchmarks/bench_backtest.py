"""Benchmark of the execution layer: a full-day adaptive backtest and its decision latency.

Run from the repository root::

    .venv/bin/python benchmarks/bench_backtest.py            # synthetic FROG day (+ real if found)
    .venv/bin/python benchmarks/bench_backtest.py --quick    # smoke run (1 repeat)
    .venv/bin/python benchmarks/bench_backtest.py --json out.json

Part 1 (targets): a full 390-decision adaptive backtest (GARCH regimes on, re-estimation every
5 minutes) on the seeded synthetic FROG day and, when the data are found (``EXECOPT_DATA`` or
``../shared/data``), on the real FROG day 2025-04-03; wall time of building the policy and the
whole ``simulate`` call (median over repeats, and the first, cold run: the first adaptive policy
of a process imports ``arch``, about 3 s) against the 10 s target, and the p50 / p99 / max latency of the policy's
decisions against the 100 ms p99 target. Every other policy's wall time is shown beside it.

Part 2 (the real FROG day, when available): realised cost of every policy for buys of 1,000,
5,000 and 20,000 shares, fill rate, decision latency, and the share of the perfect-foresight
oracle's saving over TWAP each captures. Targets are printed with MET or MISSED; nothing is tuned
to pass them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np
from rich.text import Text

from execopt._atomic import write_text
from execopt.cli.render import console, table
from execopt.data import BookSeries, read_book, synthetic_book
from execopt.data.paths import find_data_root
from execopt.execution import POLICIES, compare, make_policy, simulate

__all__ = ["TARGETS", "main"]

ROOT = Path(__file__).resolve().parent.parent
#: The performance targets: seconds for a full adaptive backtest, milliseconds for p99 latency.
TARGETS = {"backtest_s": 10.0, "latency_p99_ms": 100.0}


def _frog() -> BookSeries | None:
    root = find_data_root(ROOT)
    path = None if root is None else root / "mbp10" / "FROG_2025-04-03.csv.gz"
    return read_book(path) if path is not None and path.is_file() else None


def _timing(book: BookSeries, label: str, repeats: int) -> list[dict[str, Any]]:
    rows = []
    for name in POLICIES:
        walls, lats = [], []
        for _ in range(repeats):
            t0 = perf_counter()  # construction included: the first adaptive one imports arch
            pol = make_policy(name, book=book)
            res = simulate(book, pol, 5000)
            walls.append(perf_counter() - t0)
            lats.append(res.latency * 1e3)
        lat = np.concatenate(lats)
        rows.append(
            {
                "book": label,
                "policy": name,
                "decisions": int(lat.size // repeats),
                "wall_s": statistics.median(walls),
                "first_s": walls[0],
                "p50_ms": float(np.percentile(lat, 50)),
                "p99_ms": float(np.percentile(lat, 99)),
                "max_ms": float(lat.max()),
            }
        )
    return rows


def _real_day(book: BookSeries) -> list[dict[str, Any]]:
    rows = []
    for S in (1000, 5000, 20000):
        results = {n: simulate(book, make_policy(n, book=book), S) for n in POLICIES}
        tab = compare(results)
        for name, r in tab.iterrows():
            rows.append({"shares": S, "policy": name, **{k: float(v) for k, v in r.items()}})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="one repeat")
    ap.add_argument("--json", type=Path, help="write the results as JSON")
    args = ap.parse_args(argv)
    repeats = 1 if args.quick else 3
    out = console()
    books = {"synthetic FROG (seed 0)": synthetic_book("FROG", seed=0)}
    real = _frog()
    if real is not None:
        books["real FROG 2025-04-03"] = real
    else:
        out.print(Text("real FROG data not found: part 2 skipped", style="dim"))
    timing: list[dict[str, Any]] = []
    for label, book in books.items():
        timing += _timing(book, label, repeats)
    out.print(
        table(
            f"part 1: one 5,000-share buy per policy (median wall of {repeats}; latency of every "
            "decision)",
            ["book", "policy", ("decisions", "right"), ("wall s", "right"),
             ("first run s", "right"), ("p50 ms", "right"), ("p99 ms", "right"),
             ("max ms", "right")],
            [[r["book"], r["policy"], r["decisions"], f"{r['wall_s']:.3f}", f"{r['first_s']:.3f}",
              f"{r['p50_ms']:.3f}", f"{r['p99_ms']:.3f}", f"{r['max_ms']:.2f}"]
             for r in timing],
        )
    )  # fmt: skip
    verdicts = []
    for r in timing:
        if r["policy"] != "adaptive":
            continue
        for key, lim, unit in (
            ("wall_s", "backtest_s", "s"),
            ("first_s", "backtest_s", "s"),
            ("p99_ms", "latency_p99_ms", "ms"),
        ):
            ok = r[key] <= TARGETS[lim]
            verdicts.append(
                [
                    r["book"],
                    f"adaptive {key}",
                    f"{r[key]:.3f} {unit}",
                    f"<= {TARGETS[lim]:g} {unit}",
                    "MET" if ok else "MISSED",
                ]
            )
    out.print(
        table("targets", ["book", "measure", ("value", "right"), "target", "verdict"], verdicts)
    )
    real_rows: list[dict[str, Any]] = []
    if real is not None:
        real_rows = _real_day(real)
        out.print(
            table(
                "part 2: real FROG 2025-04-03, buys, each minute's last book walked",
                ["shares", "policy", ("cost $", "right"), ("shortfall bp", "right"),
                 ("vs TWAP", "right"), ("oracle captured", "right"), ("fill", "right"),
                 ("p50 ms", "right"), ("p99 ms", "right")],
                [[f"{r['shares']:,}", r["policy"], f"{r['cost']:.2f}",
                  f"{r['shortfall_bps']:.2f}", f"{r['vs_twap_pct']:+.1f} %",
                  f"{100 * r['oracle_capture']:+.1f} %", f"{100 * r['fill_rate']:.1f} %",
                  f"{r['latency_p50_ms']:.3f}", f"{r['latency_p99_ms']:.3f}"]
                 for r in real_rows],
            )
        )  # fmt: skip
    if args.json is not None:
        write_text(args.json, json.dumps({"timing": timing, "real_frog": real_rows}, indent=1))
    met = all(v[-1] == "MET" for v in verdicts)
    return 0 if met else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
