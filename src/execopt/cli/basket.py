"""``execopt basket``: solve a basket of orders jointly (covariance risk, cross-impact, mandates)
and certify it.

Examples
--------
::

    execopt basket orders.csv                                   # no risk: each leg's optimum
    execopt basket orders.csv --estimate-cov --risk-aversion 1e-6 --out schedules.csv
    execopt basket orders.csv --cov cov.csv --risk-aversion 1e-6 --band 50000 --json

ORDERS.csv (one row per leg; header required, column order free)::

    symbol,side,shares,cap,params
    FROG,sell,20000,200,fits/frog_sell.json
    SOUN,buy,100000,2000,fits/soun_buy.json

``symbol`` labels the leg; ``side`` is ``buy`` or ``sell``; ``shares`` the order size (> 0);
``cap`` the per-period cap in shares (empty: none); ``params`` a fit file as ``execopt fit
--json-out`` writes it (relative paths are relative to ORDERS.csv's folder; its per-minute
profile is used, so every leg must have the same number of minutes). Optional columns:
``book`` (an order-book file or a synthetic preset name, read by ``--estimate-cov``; default:
the book the fit file names under ``source``) and ``price`` (dollars per share, for ``--band``;
default: the book's first two-sided mid when books are read).

C.csv (``--cov``): the per-period (one-minute) covariance of price changes, dollars^2 per
share^2, as a square table whose first column and header name the symbols (any order; every
leg's symbol must appear)::

    symbol,FROG,SOUN
    FROG,0.0017,0.0005
    SOUN,0.0005,0.0015

``--estimate-cov`` estimates it from the legs' books (one-minute mid changes, Ledoit–Wolf
shrinkage of the correlation toward the identity; see :mod:`execopt.execution.basket`).

``--out`` writes the schedules as CSV, one row per period and one column per leg
(``period,<symbol>,...``, full float precision), atomically. The table shows each leg (side,
shares, cap, own objective, first and last period traded, largest child order, marginal cost)
and the basket: objective split into the legs' impact, the risk term and cross-impact, the
value at risk, the certificate (lower bound, relative bound gap, how it was obtained) and the
same objective for the independent plans (each leg alone, with its own variance) and TWAP.

Exit codes: 0 certified; 2 usage, input or file error; 3 the solver failed or its answer does
not certify.
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from numpy.typing import NDArray

    from execopt.problem.basket import Basket
    from execopt.solvers.basket import BasketSolution

__all__ = ["BASKET_METHODS", "read_covariance", "read_orders", "register", "run", "write_schedules"]

BASKET_METHODS = ("exact", "clarabel", "osqp", "scs")
_REQUIRED = ("symbol", "side", "shares", "cap", "params")


def register(subparsers: Any) -> None:
    """Add the ``basket`` subcommand."""
    doc = __doc__ or ""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "basket",
        help="solve a basket of orders jointly (covariance risk, mandates) and certify it",
        description=doc.split("\n\n")[0],
        epilog="ORDERS.csv columns: symbol, side (buy/sell), shares, cap (empty: none), params "
        "(a fit file from 'execopt fit --json-out', relative to ORDERS.csv), optional book and "
        "price. C.csv: square table of dollars^2 per share^2 per minute, first column and header "
        "the symbols. Exit codes: 0 certified, 2 usage/input/I-O error, 3 solver failure or "
        "uncertified.",
    )
    p.add_argument(
        "orders", type=Path, metavar="ORDERS.csv", help="one row per leg (formats: see the end)"
    )
    r = p.add_argument_group("risk")
    cov = r.add_mutually_exclusive_group()
    cov.add_argument("--cov", type=Path, metavar="C.csv", help="covariance of price changes")
    cov.add_argument(
        "--estimate-cov",
        action="store_true",
        help="estimate the covariance from the legs' books (Ledoit-Wolf shrinkage)",
    )
    r.add_argument(
        "--risk-aversion",
        type=float,
        default=0.0,
        metavar="K",
        help="k, weight of sum_t r_t^T C r_t (1/dollars; default 0)",
    )
    r.add_argument(
        "--band",
        type=float,
        default=None,
        metavar="DOLLARS",
        help="dollar-neutrality band: |sum_i side_i P_i R_i,t| <= DOLLARS after every period",
    )
    r.add_argument(
        "--var-limit",
        type=float,
        default=None,
        metavar="DOLLARS",
        help="portfolio VaR limit z sqrt(sum_t r_t^T C r_t) <= DOLLARS (95 %%)",
    )
    s = p.add_argument_group("solver")
    s.add_argument(
        "--method",
        choices=BASKET_METHODS,
        default="clarabel",
        help="exact (decoupled baskets only), clarabel, osqp or scs (default clarabel)",
    )
    o = p.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print JSON only (to stdout)")
    o.add_argument(
        "--out", type=Path, metavar="FILE.csv", help="write the schedules (period x leg) as CSV"
    )
    o.add_argument("--plot", type=Path, metavar="FILE.png", help="write a PNG of the schedules")
    o.add_argument(
        "--json-out", type=Path, metavar="FILE.json", help="also write the JSON result to a file"
    )


# ----------------------------------------------------------------------------- files
@dataclass(frozen=True)
class OrderRow:
    """One line of ORDERS.csv, parsed."""

    line: int
    symbol: str
    side: str
    shares: float
    cap: float | None
    params: Path
    book: str | None
    price: float | None


def _number(path: Path, line: int, name: str, text: str, *, positive: bool = False) -> float:
    from execopt.errors import DataError

    try:
        v = float(text)
    except ValueError:
        raise DataError(f"{path}, line {line}: {name} {text!r} is not a number.") from None
    if not (v == v and abs(v) != float("inf")) or v < 0 or (positive and v == 0):
        rel = "> 0" if positive else ">= 0"
        raise DataError(f"{path}, line {line}: {name} must be a finite number {rel}, got {text!r}.")
    return v


def read_orders(path: Path) -> list[OrderRow]:
    """Read ORDERS.csv (see the module docstring).

    Raises
    ------
    DataError
        Missing or unreadable file, missing columns, a malformed row (the message names the
        file and the line), duplicated symbols, no rows.
    """
    from execopt.errors import DataError

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}.") from None
    reader = csv.DictReader(line for line in text.splitlines() if line.strip())
    cols = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in _REQUIRED if c not in cols]
    if missing:
        raise DataError(
            f"{path}, line 1: missing column(s) {', '.join(missing)}; ORDERS.csv needs "
            f"{', '.join(_REQUIRED)} (optional: book, price)."
        )
    rows: list[OrderRow] = []
    for k, raw in enumerate(reader, start=2):
        rec = {str(a).strip(): (b or "").strip() for a, b in raw.items() if a is not None}
        side = rec["side"].lower()
        if side not in ("buy", "sell"):
            raise DataError(f"{path}, line {k}: side must be buy or sell, got {rec['side']!r}.")
        if not rec["symbol"]:
            raise DataError(f"{path}, line {k}: the symbol is empty.")
        cap_txt = rec["cap"]
        cap = None if cap_txt.lower() in ("", "none", "inf") else _number(path, k, "cap", cap_txt)
        params = Path(rec["params"])
        if not rec["params"]:
            raise DataError(f"{path}, line {k}: params (a fit file) is empty.")
        if not params.is_absolute():
            params = path.parent / params
        price_txt = rec.get("price", "")
        rows.append(
            OrderRow(
                k,
                rec["symbol"],
                side,
                _number(path, k, "shares", rec["shares"], positive=True),
                cap,
                params,
                rec.get("book") or None,
                _number(path, k, "price", price_txt, positive=True) if price_txt else None,
            )
        )
    if not rows:
        raise DataError(f"{path}: no orders (only a header).")
    dup = sorted({r.symbol for r in rows if [q.symbol for q in rows].count(r.symbol) > 1})
    if dup:
        raise DataError(f"{path}: symbol(s) {', '.join(dup)} appear more than once.")
    return rows


def read_covariance(path: Path, symbols: list[str]) -> NDArray[np.float64]:
    """Read C.csv in the order of ``symbols`` (see the module docstring).

    Raises
    ------
    DataError
        Unreadable file, a symbol missing, a non-square table, a non-numeric entry.
    """
    import numpy as np

    from execopt.errors import DataError

    path = Path(path)
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}.") from None
    table = list(csv.reader(lines))
    if not table:
        raise DataError(f"{path}: empty covariance file.")
    header = [h.strip() for h in table[0][1:]]
    body = {r[0].strip(): r[1:] for r in table[1:] if r}
    if sorted(header) != sorted(body) or len(header) != len(table) - 1:
        raise DataError(
            f"{path}: the covariance must be a square table whose header and first column name "
            "the same symbols."
        )
    missing = [s for s in symbols if s not in header]
    if missing:
        raise DataError(f"{path}: no row/column for {', '.join(missing)}.")
    out = np.empty((len(symbols), len(symbols)))
    for i, a in enumerate(symbols):
        row = body[a]
        if len(row) != len(header):
            raise DataError(f"{path}: the row of {a} has {len(row)} entries, not {len(header)}.")
        for j, b in enumerate(symbols):
            txt = row[header.index(b)].strip()
            try:
                out[i, j] = float(txt)
            except ValueError:
                raise DataError(f"{path}: entry ({a}, {b}) {txt!r} is not a number.") from None
    return out


def write_schedules(path: Path, symbols: list[str], X: NDArray[np.float64]) -> None:
    """Write ``X`` (M, N) as ``period,<symbol>,...`` CSV, one row per period, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["period", *symbols])
            for t in range(X.shape[1]):
                w.writerow([t, *(repr(float(v)) for v in X[:, t])])
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _book_for(row: OrderRow, fit: dict[str, Any]) -> Any:
    """The leg's book: the ``book`` column, else the fit file's ``source``."""
    from execopt.data import load_book, synthetic_book
    from execopt.errors import DataError

    if row.book:
        return load_book(row.book)[0]
    src = fit.get("source") or {}
    if isinstance(src, dict) and src.get("preset"):
        return synthetic_book(str(src["preset"]), seed=int(src.get("seed") or 0))
    if isinstance(src, dict) and isinstance(src.get("path"), str):
        return load_book(src["path"])[0]
    raise DataError(
        f"leg {row.symbol}: its fit file names no single book to estimate from; add a 'book' "
        "column to ORDERS.csv (a file or a preset name)."
    )


def build_basket(args: argparse.Namespace) -> tuple[Basket, list[str], dict[str, Any]]:
    """The basket ORDERS.csv and the options describe, the notes to print, and what was read."""
    import numpy as np

    from execopt.cli._common import read_params
    from execopt.errors import InputError
    from execopt.impact.fitjson import load_fit_json
    from execopt.problem.basket import Basket
    from execopt.problem.execution_problem import ExecutionProblem

    rows = read_orders(args.orders)
    notes: list[str] = []
    legs = []
    fits = []
    for r in rows:
        kind, impact, _ = read_params(r.params)
        doc = load_fit_json(r.params)
        fits.append(doc if "model" in doc else doc.get(kind, {}))
        fit_side = fits[-1].get("side")
        if fit_side and fit_side != r.side:
            notes.append(
                f"{r.symbol}: the fit file was fitted on the {fit_side} side, the order is a "
                f"{r.side}; refit with 'execopt fit ... --side {r.side}' for the right book side."
            )
        N = impact.periods
        if N is None:
            raise InputError(
                f"{r.params}: the fit file has no per-minute profile; a basket needs one (every "
                "leg's number of periods); refit with 'execopt fit ... --json-out'."
            )
        cap = None if r.cap is None else np.asarray(r.cap, dtype=np.float64)
        legs.append(ExecutionProblem(r.shares, impact, periods=N, cap=cap))
    symbols = [r.symbol for r in rows]
    prices: Any = [r.price for r in rows]
    cov: Any = None
    read: dict[str, Any] = {"orders": str(args.orders)}
    books = None
    if args.estimate_cov:
        from execopt.execution.basket import arrival_prices, estimate_covariance

        books = [_book_for(r, f) for r, f in zip(rows, fits, strict=True)]
        est = estimate_covariance(books)
        cov = est.matrix
        read["covariance"] = {
            "estimated": est.method,
            "shrinkage": est.shrinkage,
            "minutes": est.n_obs,
            "correlation": est.correlation,
        }
        book_prices = arrival_prices(books)
        prices = [
            p if p is not None else float(bp) for p, bp in zip(prices, book_prices, strict=True)
        ]
    elif args.cov is not None:
        cov = read_covariance(args.cov, symbols)
        read["covariance"] = {"file": str(args.cov)}
    if any(p is None for p in prices):
        if args.band is not None:
            raise InputError(
                "--band needs a price per leg: add a 'price' column to ORDERS.csv, or use "
                "--estimate-cov (prices from the books)."
            )
        prices = None
    if args.risk_aversion > 0 and cov is None:
        raise InputError("--risk-aversion needs a covariance: give --cov C.csv or --estimate-cov.")
    basket = Basket(
        legs,
        [r.side for r in rows],
        covariance=cov,
        risk_aversion=args.risk_aversion,
        prices=None if prices is None else np.asarray(prices, dtype=np.float64),
        neutrality_band=args.band,
        var_limit=args.var_limit,
        symbols=symbols,
    )
    return basket, notes, read


# ----------------------------------------------------------------------------- run
def _baselines(basket: Basket) -> dict[str, Any]:
    """TWAP and the independent plans, scored by the basket's model."""
    import numpy as np

    from execopt.errors import ExecoptError
    from execopt.execution.basket import IndependentOptimal, plan_schedule

    out: dict[str, Any] = {}
    X = basket.twap()
    ok = bool(np.all(X <= basket.upper * (1 + 1e-12)))
    out["twap"] = {"objective": basket.objective(X) if ok else None, "feasible": ok}
    try:
        Y, info = plan_schedule(IndependentOptimal(basket).planned())
        out["independent"] = {
            "objective": basket.objective(Y),
            "band_violation": basket.band_violation(Y),
            "var_violation": basket.var_violation(Y),
            "method": info["method"],
        }
    except ExecoptError as exc:
        out["independent"] = {"objective": None, "reason": str(exc)}
    return out


def run(args: argparse.Namespace) -> int:
    """Build, solve, certify, print (or JSON), write the requested files; return the exit code."""
    import execopt as eo
    from execopt.cli.main import EXIT_OK, EXIT_SOLVER

    basket, notes, read = build_basket(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sol = eo.solve(basket, args.method)
    notes += [
        str(w.message)
        for w in caught
        if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
    ]
    base = _baselines(basket)
    files: dict[str, str] = {}
    if args.out is not None:
        write_schedules(args.out, list(basket.labels), sol.schedule)
        files["schedules"] = str(args.out)
    if args.plot is not None:
        from execopt.reporting.plots import plot_basket

        plot_basket(args.plot, basket, sol)
        files["plot"] = str(args.plot)
    doc = {
        "command": "basket",
        "read": read,
        "basket": {
            "M": basket.M,
            "N": basket.N,
            "risk_aversion": basket.risk_aversion,
            "neutrality_band": basket.neutrality_band,
            "var_limit": basket.var_limit,
            "decoupled": basket.decoupled,
        },
        "legs": sol.rows(basket),
        "result": sol.as_dict(),
        "certified": sol.certified,
        "baselines": base,
        "notes": notes,
        "files": files,
    }
    if args.json_out is not None:
        from execopt.cli.render import dumps

        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".basket.", suffix=".json", dir=args.json_out.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(dumps(doc) + "\n")
        os.replace(tmp, args.json_out)
        files["json"] = str(args.json_out)
    if args.json:
        from execopt.cli.render import print_json

        print_json(doc)
    else:
        _print_human(basket, sol, base, notes, files)
    return EXIT_OK if sol.certified else EXIT_SOLVER


def _print_human(
    basket: Basket,
    sol: BasketSolution,
    base: dict[str, Any],
    notes: list[str],
    files: dict[str, str],
) -> None:
    from rich.text import Text

    from execopt.cli.render import (
        console,
        fmt_float,
        fmt_money,
        fmt_ms,
        fmt_shares,
        sparkline,
        table,
    )

    out = console()
    c = sol.certificate
    extra = []
    if basket.has_risk:
        extra.append(f"k = {basket.risk_aversion:g}")
    if basket.cross_impact is not None:
        extra.append("cross-impact")
    if basket.neutrality_band is not None:
        extra.append(f"band ${basket.neutrality_band:,.0f}")
    if basket.var_limit is not None:
        extra.append(f"VaR limit ${basket.var_limit:,.0f}")
    out.print(
        Text(
            f"basket of {basket.M} legs · N = {basket.N} periods · {', '.join(extra) or 'no risk'}"
            f" · method {sol.method} ({sol.solver_status})"
        )
    )
    rows = []
    for r, cap in zip(sol.rows(basket), basket.upper.max(axis=1), strict=True):
        rows.append(
            [
                r["symbol"],
                r["side"],
                fmt_shares(r["shares"]),
                fmt_shares(cap),
                fmt_money(r["objective"], 2),
                "-" if r["first_period"] is None else str(r["first_period"]),
                "-" if r["last_period"] is None else str(r["last_period"]),
                fmt_shares(r["max_child"]),
                fmt_money(r["lam"], 5),
            ]
        )
    cols: list[str | tuple[str, str]] = [
        "leg",
        "side",
        ("shares", "right"),
        ("cap", "right"),
        ("own objective", "right"),
        ("first", "right"),
        ("last", "right"),
        ("max child", "right"),
        ("lam $/sh", "right"),
    ]
    out.print(table("", cols, rows))
    for i, lab in enumerate(basket.labels):
        out.print(Text(f"  {lab:<10} {sparkline(sol.schedule[i], 64)}"))
    out.print(
        table(
            "",
            [("", "left"), ("dollars", "right")],
            [
                ["objective", fmt_money(c.objective, 2)],
                ["  legs' impact and own terms", fmt_money(sum(c.leg_objectives), 2)],
                ["  basket risk k Σ rᵀCr", fmt_money(c.risk_cost, 2)],
                ["  cross-impact", fmt_money(c.cross_cost, 2)],
                ["value at risk (95 %)", fmt_money(c.value_at_risk, 2)],
                ["certified lower bound", fmt_money(c.lower_bound, 2)],
                ["relative bound gap", fmt_float(c.rel_bound_gap, ".2g")],
                [
                    "independent plans (each leg alone)",
                    fmt_money(base["independent"]["objective"], 2),
                ],
                [
                    "TWAP",
                    fmt_money(base["twap"]["objective"], 2)
                    if base["twap"]["feasible"]
                    else "exceeds caps",
                ],
            ],
        )
    )
    t = sol.timings
    out.print(
        Text(
            f"certificate: {'PASSED' if sol.certified else 'NOT certified'} ({c.bound_method}); "
            f"feasible {c.feasible}; timings build {fmt_ms(t.build)} ms, compile "
            f"{fmt_ms(t.compile)} ms, solve {fmt_ms(t.solve)} ms, certify {fmt_ms(t.certify)} ms"
        )
    )
    for n in notes:
        out.print(Text(f"note: {' '.join(n.split())}", style="dim"))
    for kind, path in files.items():
        out.print(Text(f"wrote {kind}: {path}"))
