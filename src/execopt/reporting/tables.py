"""Report tables: tidy DataFrames built from fitted models, books and simulator results.

The studies return their own tables; the functions here assemble the few that the notebooks need
and that no study owns (the impact-fitting report's fit summary, profile, cost curves and
schedule costs; the backtest's per-size comparison). Each returns a tidy DataFrame that a figure
function in :mod:`execopt.reporting.figures` draws and :func:`~execopt.reporting.artifacts.save_table`
writes.

Glossary: ``S`` shares, ``N`` periods, ``x`` shares per period, ``a`` dollars per share, ``b``
dollars per share squared, ``gamma``/``delta`` the power law ``gamma x^(1+delta)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from execopt import presets
from execopt.data import DEFAULT_MAX_DROP, BookSeries, frog_day_file, load_book
from execopt.errors import DataError, ExecoptError
from execopt.execution.metrics import compare
from execopt.execution.simulator import SimResult
from execopt.impact.bookwalk import Side, book_curve, book_side, walk_book, walk_schedule
from execopt.impact.profiles import ImpactProfile, minute_of_day
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.api import solve

__all__ = [
    "audit_reduction_table",
    "backtest_table",
    "cost_curve_table",
    "fit_table",
    "frog_day",
    "garch_table",
    "markout_table",
    "profile_table",
    "reference_constants",
    "schedule_cost_table",
    "tca_parts",
    "tca_table",
]


def frog_day(
    data_path: str, seed: int = 0, *, max_drop: float = DEFAULT_MAX_DROP
) -> tuple[BookSeries, str, Path | None]:
    """The real FROG 2025-04-03 day if ``data_path`` holds it, else the seeded synthetic FROG.

    Both come from :func:`execopt.data.load_book`: a real file that fails validation (more than
    ``max_drop`` of its rows dropped) raises DataError rather than falling back to the
    synthetic day.

    Returns
    -------
    book, label, path
        ``label`` says plainly which one it is; ``path`` is the real file (None: synthetic), for
        :func:`~execopt.reporting.artifacts.note_data`.
    """
    if data_path:
        try:
            path = frog_day_file(data_path)
        except DataError:
            path = None
        if path is not None:
            book = load_book(path, max_drop=max_drop, preset=False)[0]
            return book, f"real FROG 2025-04-03 MBP-10 ({path.name})", path
    why = "no real FROG file in the data folder given" if data_path else "no data folder given"
    label = (
        f"SYNTHETIC FROG day (preset calibrated to published statistics, random seed {seed}): {why}"
    )
    return load_book("FROG", seed=seed, preset=True)[0], label, None


def reference_constants(stock: str) -> dict[str, float]:
    """The reference framework document's constants for ``stock`` (quadratic ``a, b``; power law where stated)."""
    out: dict[str, float] = {}
    q = presets.quadratic(stock)
    out["a"], out["b"] = float(np.mean(q.a)), float(np.mean(q.b))
    try:
        p = presets.power(stock)
    except ExecoptError:
        return out
    out["gamma"], out["delta"] = float(np.mean(p.gamma)), float(p.delta)
    return out


def fit_table(fits: Mapping[tuple[str, str], Any], reference: Mapping[str, float]) -> pd.DataFrame:
    """Whole-day fits with confidence intervals next to the reference document's constants.

    Parameters
    ----------
    fits : mapping of (side, model) to a fitted QuadraticFit or PowerLawFit
    reference : mapping of parameter name to the reference document's value (missing: NaN)

    Returns
    -------
    DataFrame
        One row per side, model and parameter: ``estimate``, ``ci_low``, ``ci_high``,
        ``reference``, ``reference_in_ci``, ``ratio_to_reference``, and the fit's ``r2`` (per-share slippage),
        ``r2_dollar``, ``oos_r2``, ``censored_share``, ``n_obs``.
    """
    rows = []
    for (side, model), f in fits.items():
        s = f.summary()
        for name, est in s["params"].items():
            lo, hi = s["ci"][name]
            sv = float(reference.get(name, np.nan))
            rows.append(
                {
                    "side": side,
                    "model": model,
                    "parameter": name,
                    "estimate": est,
                    "ci_low": lo,
                    "ci_high": hi,
                    "reference": sv,
                    "reference_in_ci": bool(lo <= sv <= hi) if np.isfinite(sv) else None,
                    "ratio_to_reference": est / sv if np.isfinite(sv) and sv != 0 else np.nan,
                    "r2": s["r2"],
                    "r2_dollar": s["r2_dollar"],
                    "oos_r2": s["oos"]["r2"],
                    "censored_share": s["censored_share"],
                    "n_obs": s["n_obs"],
                }
            )
    return pd.DataFrame(rows)


def profile_table(profiles: Mapping[str, ImpactProfile], key: str = "side") -> pd.DataFrame:
    """Per-minute parameters in long form: ``side``, ``hour``, ``parameter``, ``value``,
    ``whole_day`` (the whole-day fit's value of the same parameter).

    ``key`` names the column that holds the mapping's keys (``"side"`` for buy/sell profiles,
    ``"model"`` for one side's quadratic and power-law profiles).
    """
    frames = []
    for side, prof in profiles.items():
        hour = prof.minute_of_day / 60.0
        for name, vals in prof.params.items():
            if prof.kind == "power" and name == "delta":
                continue
            frames.append(
                pd.DataFrame(
                    {
                        key: side,
                        "hour": hour,
                        "parameter": name,
                        "value": vals,
                        "whole_day": float(prof.whole_day.params_[name]),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def cost_curve_table(book: BookSeries, fits: Mapping[str, Any], side: Side) -> pd.DataFrame:
    """Per-share slippage of the walked minute books (median and 10-90 % over minutes) and of
    each fitted whole-day model, on the first fit's size grid.

    Returns
    -------
    DataFrame
        ``series``, ``x``, ``per_share``, ``low``, ``high`` (the band, walked books only).
    """
    first = next(iter(fits.values()))
    x = np.unique(np.asarray(first.sizes_, dtype=np.float64))
    walk = walk_book(book, x, side)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_share = walk.cost / x[None, :]
    ok = np.isfinite(per_share).sum(axis=0) > 0
    q = np.full((3, x.shape[0]), np.nan)
    q[:, ok] = np.nanpercentile(per_share[:, ok], [10, 50, 90], axis=0)
    frames = [
        pd.DataFrame(
            {"series": "walked books", "x": x, "per_share": q[1], "low": q[0], "high": q[2]}
        )
    ]
    for name, f in fits.items():
        frames.append(
            pd.DataFrame(
                {
                    "series": f"{name} fit",
                    "x": x,
                    "per_share": f.model_.cost(x) / x,
                    "low": np.nan,
                    "high": np.nan,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def schedule_cost_table(
    book: BookSeries,
    profile: ImpactProfile,
    shares: Sequence[float],
    *,
    side: Side = "buy",
    cap: float | None = 1000.0,
) -> pd.DataFrame:
    """Equal allocation, the fitted-profile optimum and the book-walk oracle, each judged by
    walking the day's real minute books.

    For each ``S``: ``equal`` trades ``S/N`` every minute; ``fitted optimum`` is the exact
    optimum under the per-minute quadratic ``profile`` (caps ``cap``); ``oracle`` is the exact
    optimum of the piecewise-linear walk of the very books it is judged on (caps ``cap`` and
    the visible depth): a bound, not a strategy. Every schedule is then walked against the
    minute snapshots (:func:`~execopt.impact.bookwalk.walk_schedule`).

    Returns
    -------
    DataFrame
        ``S``, ``schedule``, ``cost_walked`` (dollars; NaN when some minute's order exceeded the
        visible depth), ``censored_minutes``, ``cost_model`` (the fitted profile's prediction),
        ``cost_bps`` (of ``S`` times the mean mid), ``saving_vs_equal_pct``.
    """
    snaps = book.minute_snapshots()
    px, sz, mid = book_side(snaps, side)
    N = px.shape[0]
    if profile.periods != N:
        raise ValueError(f"profile has {profile.periods} periods, the book {N} minutes")
    u = None if cap is None else np.full(N, float(cap))
    model = profile.model()
    curve = book_curve(px, sz, mid, side)
    ref_mid = float(np.nanmean(mid))
    rows = []
    for S in shares:
        S = float(S)
        plans = {
            "equal": np.full(N, S / N),
            "fitted optimum": solve(ExecutionProblem(S, model, N, cap=u)).schedule,
            "oracle (book walk)": solve(ExecutionProblem(S, curve, N, cap=u)).schedule,
        }
        base = None
        for name, x in plans.items():
            w = walk_schedule(px, sz, mid, np.clip(x, 0.0, None), side)
            cost = float(w.cost.sum()) if not w.censored.any() else float("nan")
            base = cost if name == "equal" else base
            rows.append(
                {
                    "S": S,
                    "schedule": name,
                    "cost_walked": cost,
                    "censored_minutes": int(w.censored.sum()),
                    "cost_model": float(model.cost(x).sum()),
                    "cost_bps": 1e4 * cost / (S * ref_mid),
                    "saving_vs_equal_pct": 100.0 * (1.0 - cost / base) if base else np.nan,
                }
            )
    return pd.DataFrame(rows)


def garch_table(book: BookSeries, regimes: Any) -> pd.DataFrame:
    """One-minute log returns of ``book``'s minute mids with a fitted
    :class:`~execopt.execution.regimes.GarchRegimes`' conditional volatility and regime.

    Returns
    -------
    DataFrame
        ``hour`` (local time), ``return``, ``abs_return``, ``cond_vol`` (before the return),
        ``regime``, and the thresholds ``high`` and ``low`` (volatility units).
    """
    snaps = book.minute_snapshots()
    mid = np.asarray(snaps.mid, dtype=np.float64)
    r = np.diff(np.log(mid))
    vol = regimes.filter(r)[:-1]
    if snaps.minutes is None:
        raise ValueError("the book's minute snapshots carry no minute stamps")
    index, clock = minute_of_day(snaps.minutes)
    local = clock[index]
    return pd.DataFrame(
        {
            "hour": np.asarray(local, dtype=np.float64)[1:] / 60.0,
            "return": r,
            "abs_return": np.abs(r),
            "cond_vol": vol,
            "regime": regimes.classify(vol),
            "high": regimes.high * regimes.long_run_vol_,
            "low": regimes.low * regimes.long_run_vol_,
        }
    )


def audit_reduction_table(audit: pd.DataFrame) -> pd.DataFrame:
    """The reduction rows of the audit table (``reduction_constant_*``, ``reduction_capped_*``,
    ``reduction_fitted_*``): ``label``, ``claimed`` and ``rederived`` (percent), ``verdict``."""
    rows = []
    for r in audit.to_dict(orient="records"):
        cid = str(r["claim_id"])
        kind, _, stock = cid.removeprefix("reduction_").partition("_")
        if not cid.startswith("reduction_") or kind == "required" or not np.isfinite(r["value"]):
            continue
        claimed = float(str(r["value_claimed"]).split()[0])
        rows.append(
            {
                "label": f"{stock} {kind}",
                "claimed": claimed,
                "rederived": float(r["value"]),
                "verdict": str(r["verdict"]),
            }
        )
    return pd.DataFrame(rows)


def backtest_table(results: Mapping[float, Mapping[str, SimResult]]) -> pd.DataFrame:
    """:func:`~execopt.execution.metrics.compare` for each order size, stacked: ``S``,
    ``policy`` and the comparison columns (``cost``, ``shortfall_bps``, ``vs_twap_pct``,
    ``oracle_capture``, ``fill_rate``, latencies, ...)."""
    frames = []
    for S, res in results.items():
        t = compare(res).rename_axis("policy").reset_index()
        t.insert(0, "S", float(S))
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def tca_table(study: Any) -> pd.DataFrame:
    """Per policy over the episodes (:class:`~execopt.studies.episodes.EpisodeStudy`): the
    shortfall's mean and sd and its parts (bp), the cost against each minute's mid, the saving
    against TWAP with its block-bootstrap interval, the Sharpe ratio and maximum drawdown of
    that saving with intervals, the paired p-value, the fill rate. One row per policy, the
    oracle labelled an impact-only bound."""
    s = study.summary
    sv = study.savings
    rows = []
    for label, r in s.iterrows():
        v = sv.loc[label] if label in sv.index else None

        def g(key: str, v: Any = v) -> float:
            return float(v[key]) if v is not None else float("nan")

        rows.append(
            {
                "policy": str(r["label"]),
                "episodes": int(r["episodes"]),
                "is_mean_bps": r["shortfall_bps_mean"],
                "is_sd_bps": r["shortfall_bps_sd"],
                "spread_mean_bps": r["spread_bps_mean"],
                "impact_mean_bps": r["impact_bps_mean"],
                "impact_sd_bps": r["impact_bps_sd"],
                "timing_mean_bps": r["timing_bps_mean"],
                "timing_sd_bps": r["timing_bps_sd"],
                "fees_mean_bps": r["fees_bps_mean"],
                "opportunity_mean_bps": r["opportunity_bps_mean"],
                "cost_mean_bps": r["cost_bps_mean"],
                "saving_bps": g("mean_bps"),
                "saving_lo_bps": g("mean_bps_lo"),
                "saving_hi_bps": g("mean_bps_hi"),
                "saving_days_lo_bps": g("mean_bps_days_lo"),
                "saving_days_hi_bps": g("mean_bps_days_hi"),
                "sharpe": g("sharpe"),
                "sharpe_lo": g("sharpe_lo"),
                "sharpe_hi": g("sharpe_hi"),
                "max_dd_usd": g("max_drawdown_usd"),
                "max_dd_lo_usd": g("max_drawdown_usd_lo"),
                "max_dd_hi_usd": g("max_drawdown_usd_hi"),
                "p_saving": g("p"),
                "fill_rate": r["fill_rate_mean"],
            }
        )
    return pd.DataFrame(rows)


def tca_parts(study: Any) -> pd.DataFrame:
    """Mean of each part of the shortfall per policy, long format (``policy``, ``part``,
    ``bps``), and the mark-outs (``horizon`` minutes, ``bps``) in :func:`markout_table`."""
    rows = []
    for label, r in study.summary.iterrows():
        for part in ("spread", "impact", "timing", "fees", "opportunity"):
            rows.append({"policy": str(label), "part": part, "bps": r[f"{part}_bps_mean"]})
    return pd.DataFrame(rows)


def markout_table(study: Any) -> pd.DataFrame:
    """Mean mark-out of each policy's fills per horizon (``policy``, ``horizon``, ``bps``)."""
    rows = []
    for label, r in study.summary.iterrows():
        for col in r.index:
            if col.startswith("markout_") and col.endswith("_bps_mean"):
                h = int(col.split("_")[1].rstrip("m"))
                rows.append({"policy": str(label), "horizon": h, "bps": float(r[col])})
    return pd.DataFrame(rows).sort_values(["policy", "horizon"], kind="stable")
