"""Benchmark and analysis of impact fitting on the real FROG day (2025-04-03, MBP-10).

Run from the repository root::

    .venv/bin/python benchmarks/bench_fit.py                 # timings + analysis tables
    .venv/bin/python benchmarks/bench_fit.py --json out.json # also the tidy results as JSON

Part 1 (timing, memory): read + validate the full day (33,286 rows), take minute snapshots,
walk them and fit (quadratic and power law, buy and sell, whole day with 200 bootstrap
replicates, and a 30-minute rolling profile), reporting wall time per stage and peak memory
(tracemalloc peak of NumPy + Python allocations during the run, and the process's peak RSS).
Target: read + validate + fit <= 5 s and <= 1 GB.

Part 2 (analysis, :func:`analyse`): the fitted whole-day parameters with CIs for both sides,
their comparison with the reference document's FROG constants, the per-minute profile's shape, and, for
S = 1,000 / 10,000 / 50,000 shares, the optimal schedule under the fitted time-varying profile
against equal allocation, both priced by walking each minute's actual book (censoring
reported), with the exact optimum over the real book curves as the oracle.

The data are read from ``EXECOPT_DATA`` (or ``../shared/data``); nothing is copied.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED_FROG = {
    "a": 0.018,
    "b": 0.0009,
}  # dollars per share, dollars per share^2 (the reference framework document)
SHARES = (1_000, 10_000, 50_000)
N = 390


def locate_frog(data: str | None = None) -> Path:
    """The FROG full-day file under ``data``, ``EXECOPT_DATA`` or ``../shared/data``."""
    from execopt.data import find_data_root, frog_day_file

    root = Path(data) if data else find_data_root(REPO_ROOT)
    if root is None:
        sys.exit("no data folder: set EXECOPT_DATA or pass --data PATH")
    return frog_day_file(root)


# ----------------------------------------------------------------------------- part 1
def bench(path: Path, n_boot: int = 200, repeats: int = 3) -> dict[str, Any]:
    """Wall time per stage (cold first run, then the median of ``repeats`` warm runs) and
    peak memory of read + validate + fit."""
    from execopt.data import read_mbp10
    from execopt.impact.estimation import fit_book
    from execopt.impact.profiles import fit_profile

    def once() -> dict[str, float]:
        t: dict[str, float] = {}
        t0 = time.perf_counter()
        book = read_mbp10(path)
        t["read + validate"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        book.minute_snapshots()
        t["minute snapshots"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        fit_profile(book, "buy", "quadratic", n_boot=n_boot)
        t["fit quadratic buy (whole day + CI + profile)"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        fit_book(book, "buy", "power", n_boot=n_boot)
        t["fit power buy (whole day + CI)"] = time.perf_counter() - t3
        t4 = time.perf_counter()
        for side in ("buy", "sell"):
            for model in ("quadratic", "power"):
                fit_profile(book, side, model, n_boot=n_boot)  # type: ignore[arg-type]
        t["all four fits + profiles (2 sides x 2 models)"] = time.perf_counter() - t4
        t["total: read + validate + all four fits"] = (
            t["read + validate"]
            + t["minute snapshots"]
            + t["all four fits + profiles (2 sides x 2 models)"]
        )
        t["total: read + validate + quadratic fit (execopt fit default)"] = (
            t["read + validate"]
            + t["minute snapshots"]
            + t["fit quadratic buy (whole day + CI + profile)"]
        )
        return t

    cold = once()  # first call in this process: includes lazy imports (scipy.optimize)
    warm = [once() for _ in range(repeats)]
    med = {k: float(np.median([w[k] for w in warm])) for k in cold}
    tracemalloc.start()  # a separate run: tracing slows allocation-heavy code (and imports)
    once()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux -> MiB
    return {
        "cold_s": cold,
        "warm_median_s": med,
        "tracemalloc_peak_mib": peak / 2**20,
        "peak_rss_mib": rss,
        "n_boot": n_boot,
    }


# ----------------------------------------------------------------------------- part 2
def _segments(clock: np.ndarray) -> dict[str, np.ndarray]:
    """Masks of the open (first 30 min), midday (12:00-13:00) and close (last 30 min)."""
    return {
        "open 09:30-10:00": clock < 600,
        "midday 12:00-13:00": (clock >= 720) & (clock < 780),
        "close 15:30-16:00": clock >= 930,
    }


def analyse(
    book: Any, shares: tuple[int, ...] = SHARES, n_boot: int = 200, seed: int = 0
) -> dict[str, Any]:
    """Fit both sides, describe the profiles, and price schedules by walking the real book.

    For each side and each ``S``: equal allocation ``S/N``; the exact optimum under the fitted
    quadratic and power-law per-minute profiles (rolling 30 min); and the oracle, the exact
    optimum over the real minute book curves (an in-sample bound: it knows every book). Each
    schedule is priced by walking each minute's actual book (:func:`walk_schedule`); minutes
    where a schedule exceeds the visible depth are censored: their cost is unknown and they
    are counted, not filled.

    Returns
    -------
    dict
        ``fits`` (whole-day parameters and CIs), ``profiles`` (segment means),
        ``schedules`` (one row per side x S x schedule), ``book`` (spread and depth facts).
    """
    import execopt as eo
    from execopt.impact.bookwalk import book_curve, book_side, walk_cost, walk_schedule
    from execopt.impact.profiles import fit_profile

    snaps = book.minute_snapshots()
    out: dict[str, Any] = {
        "fits": [],
        "profiles": [],
        "schedules": [],
        "book": {},
        "slippage": [],
    }
    seed_model = eo.QuadraticImpact(**SEED_FROG)
    half_spread = 0.5 * np.asarray(snaps.spread)
    out["book"] = {
        "half_spread_mean_minute_snapshots": float(np.nanmean(half_spread)),
        "half_spread_median_minute_snapshots": float(np.nanmedian(half_spread)),
        "half_spread_mean_all_rows": float(np.nanmean(0.5 * np.asarray(book.spread))),
        "depth_ask_median": float(np.median(snaps.ask_sz.sum(1))),
        "depth_bid_median": float(np.median(snaps.bid_sz.sum(1))),
        "depth_ask_min": float(np.min(snaps.ask_sz.sum(1))),
        "depth_bid_min": float(np.min(snaps.bid_sz.sum(1))),
        "mid_mean": float(np.nanmean(snaps.mid)),
    }
    for side in ("buy", "sell"):
        profs = {
            m: fit_profile(book, side, m, "rolling", window=30, n_boot=n_boot, seed=seed)
            for m in ("quadratic", "power")
        }
        for m, prof in profs.items():
            f = prof.whole_day
            x = f.sizes_
            grid = walk_cost(*book_side(snaps, side), x, side).cost  # (T, K)
            per_share = grid / x
            pred_t = prof.model().cost(np.broadcast_to(x[:, None], (x.size, N))).T / x
            ok = np.isfinite(per_share)
            y = per_share[ok]
            r2_profile = 1 - np.sum((y - pred_t[ok]) ** 2) / np.sum((y - y.mean()) ** 2)
            out["fits"].append(
                {
                    "side": side,
                    "model": m,
                    **{k: v for k, v in f.params_.items()},
                    **{f"{k}_ci": list(v) for k, v in f.ci_.items()},
                    "r2_per_share": f.r2_,
                    "r2_per_share_profile": float(r2_profile),
                    "r2_dollar": f.r2_dollar_,
                    "oos_rmse_per_share": f.oos_rmse_,
                    "oos_r2": f.oos_r2_,
                    "oos_params": f.oos_params_,
                    "censored_share": f.censored_share_,
                    "n_obs": f.n_obs_,
                    "max_size": float(f.sizes_[-1]),
                }
            )
            segs = _segments(prof.minute_of_day)
            for seg, mask in segs.items():
                row = {"side": side, "model": m, "segment": seg}
                for k, v in prof.params.items():
                    row[k] = float(np.mean(v[mask]))
                out["profiles"].append(row)
        px, sz, mid = book_side(snaps, side)
        probe = np.array([1.0, 10.0, 100.0, 500.0, 1000.0])
        walked_probe = walk_cost(px, sz, mid, probe, side)
        fq, fp = profs["quadratic"].whole_day, profs["power"].whole_day
        for k, xk in enumerate(probe):
            col = walked_probe.cost[:, k] / xk
            out["slippage"].append(
                {
                    "side": side,
                    "x": float(xk),
                    "walked_median": float(np.nanmedian(col)),
                    "walked_mean": float(np.nanmean(col)),
                    "censored_minutes": int(walked_probe.censored[:, k].sum()),
                    "fitted_quadratic": float(fq.model_.cost(xk) / xk),
                    "fitted_power": float(fp.model_.cost(xk) / xk),
                    "seed_per_share2": float(seed_model.cost(xk) / xk),
                    "seed_b_per_lot": SEED_FROG["a"] + SEED_FROG["b"] * xk / 100,
                }
            )
        curve = book_curve(px, sz, mid, side)
        for S in shares:
            schedules: dict[str, np.ndarray] = {"equal allocation": np.full(N, S / N)}
            for m, prof in profs.items():
                sol = eo.solve(eo.ExecutionProblem(S, impact=prof.model(), periods=N))
                schedules[f"optimal, fitted {m} profile"] = sol.schedule
            try:
                oracle = eo.solve(eo.ExecutionProblem(S, impact=curve, periods=N))
                schedules["oracle: exact optimum on real book curves"] = oracle.schedule
            except eo.errors.InfeasibleError:
                pass
            base = None
            for name, x in schedules.items():
                w = walk_schedule(px, sz, mid, x, side)
                walked = float(np.nansum(w.cost))
                row = {
                    "side": side,
                    "S": S,
                    "schedule": name,
                    "walked_cost": walked,
                    "walked_bp": 1e4 * walked / (S * out["book"]["mid_mean"]),
                    "censored_minutes": int(w.censored.sum()),
                    "censored_shares": float(np.sum(np.maximum(x - w.depth, 0.0))),
                    "model_cost_quadratic": float(profs["quadratic"].model().total_cost(x)),
                    "model_cost_power": float(profs["power"].model().total_cost(x)),
                    "model_cost_seed": float(seed_model.cost(x).sum()),
                    "max_child": float(x.max()),
                    "share_first_30min": float(x[:30].sum() / S),
                    "share_last_30min": float(x[-30:].sum() / S),
                }
                if name == "equal allocation":
                    base = row
                row["saving_vs_equal"] = (
                    1 - walked / base["walked_cost"]
                    if base and row["censored_minutes"] == 0 and base["censored_minutes"] == 0
                    else None
                )
                out["schedules"].append(row)
    return out


# ----------------------------------------------------------------------------- printing
def _print(results: dict[str, Any], timing: dict[str, Any] | None) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(width=170)
    if timing is not None:
        t = Table(
            title=f"bench_fit: FROG 2025-04-03, n_boot={timing['n_boot']}", title_justify="left"
        )
        t.add_column("stage")
        t.add_column("cold (s)", justify="right")
        t.add_column("warm median (s)", justify="right")
        for k, v in timing["cold_s"].items():
            t.add_row(k, f"{v:.3f}", f"{timing['warm_median_s'][k]:.3f}")
        t.add_row(
            "tracemalloc peak (MiB), one full run", f"{timing['tracemalloc_peak_mib']:.0f}", ""
        )
        t.add_row("process peak RSS (MiB)", f"{timing['peak_rss_mib']:.0f}", "")
        con.print(t)
    b = results["book"]
    con.print(
        f"book: mid mean ${b['mid_mean']:.2f}; half-spread mean ${b['half_spread_mean_minute_snapshots']:.4f} "
        f"(minute snapshots; median ${b['half_spread_median_minute_snapshots']:.3f}; all rows "
        f"${b['half_spread_mean_all_rows']:.4f}); visible depth median ask {b['depth_ask_median']:.0f} / "
        f"bid {b['depth_bid_median']:.0f}, min ask {b['depth_ask_min']:.0f} / bid {b['depth_bid_min']:.0f} shares"
    )
    t = Table(title="whole-day fits (95% bootstrap CI, snapshots resampled)", title_justify="left")
    for c in (
        "side",
        "model",
        "param 1 [CI]",
        "param 2 [CI]",
        "R² per share",
        "R² per share, profile",
        "R² $",
        "OOS RMSE $/sh",
        "OOS R²",
        "censored",
        "n",
    ):
        t.add_column(c, justify="right" if c not in ("side", "model") else "left")
    for r in results["fits"]:
        names = ("a", "b") if r["model"] == "quadratic" else ("gamma", "delta")
        cells = [f"{n} = {r[n]:.4g} [{r[n + '_ci'][0]:.4g}, {r[n + '_ci'][1]:.4g}]" for n in names]
        t.add_row(
            r["side"],
            r["model"],
            *cells,
            f"{r['r2_per_share']:.3f}",
            f"{r['r2_per_share_profile']:.3f}",
            f"{r['r2_dollar']:.3f}",
            f"{r['oos_rmse_per_share']:.4f}",
            f"{r['oos_r2']:.2f}",
            f"{100 * r['censored_share']:.1f} %",
            f"{r['n_obs']:,}",
        )
    con.print(t)
    t = Table(
        title="slippage c(x)/x in $/share: walked books vs fitted whole-day vs seed FROG "
        "(a = 0.018, b = 0.0009 read as $/share^2, and b read per 100-share lot)",
        title_justify="left",
    )
    for c in (
        "side",
        "x",
        "walked median",
        "walked mean",
        "censored min",
        "quadratic fit",
        "power fit",
        "seed (b per share²)",
        "seed (b per lot)",
    ):
        t.add_column(c, justify="left" if c == "side" else "right")
    for r in results["slippage"]:
        t.add_row(
            r["side"],
            f"{r['x']:,.0f}",
            f"{r['walked_median']:.4f}",
            f"{r['walked_mean']:.4f}",
            str(r["censored_minutes"]),
            f"{r['fitted_quadratic']:.4f}",
            f"{r['fitted_power']:.4f}",
            f"{r['seed_per_share2']:.4f}",
            f"{r['seed_b_per_lot']:.4f}",
        )
    con.print(t)
    t = Table(title="per-minute profile (rolling 30 min): segment means", title_justify="left")
    for c in ("side", "model", "segment", "a / gamma", "b / delta"):
        t.add_column(c)
    for r in results["profiles"]:
        k1, k2 = ("a", "b") if r["model"] == "quadratic" else ("gamma", "delta")
        t.add_row(r["side"], r["model"], r["segment"], f"{r[k1]:.4g}", f"{r[k2]:.4g}")
    con.print(t)
    t = Table(title="schedules priced by walking each minute's real book", title_justify="left")
    for c in (
        "side",
        "S",
        "schedule",
        "walked $",
        "bp of notional",
        "vs equal",
        "censored min (shares)",
        "quad model $",
        "power model $",
        "seed model $",
        "max child",
        "first/last 30 min",
    ):
        t.add_column(c, justify="left" if c in ("side", "schedule") else "right")
    for r in results["schedules"]:
        sv = r["saving_vs_equal"]
        t.add_row(
            r["side"],
            f"{r['S']:,}",
            r["schedule"],
            f"{r['walked_cost']:,.2f}",
            f"{r['walked_bp']:.2f}",
            "-" if sv is None else f"{100 * sv:+.1f} %",
            f"{r['censored_minutes']} ({r['censored_shares']:,.0f})",
            f"{r['model_cost_quadratic']:,.2f}",
            f"{r['model_cost_power']:,.2f}",
            f"{r['model_cost_seed']:,.2f}",
            f"{r['max_child']:,.0f}",
            f"{100 * r['share_first_30min']:.0f} % / {100 * r['share_last_30min']:.0f} %",
        )
    con.print(t)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--data", help="data folder (default EXECOPT_DATA or ../shared/data)")
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-bench", action="store_true", help="analysis only")
    ap.add_argument("--json", type=Path, help="write the tidy results as JSON")
    args = ap.parse_args(argv)
    path = locate_frog(args.data)
    timing = None if args.no_bench else bench(path, args.n_boot, args.repeats)
    from execopt.data import read_mbp10

    results = analyse(read_mbp10(path), n_boot=args.n_boot)
    _print(results, timing)
    if args.json is not None:
        from execopt._atomic import write_text
        from execopt.impact.fitjson import dumps_fit_json

        write_text(args.json, dumps_fit_json({"timing": timing, **results}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
