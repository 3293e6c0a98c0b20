"""Report tables: tidy DataFrames built from fitted models, books and simulator results.

The studies compute and return their own tables (a day's walked costs and schedule costs are
:mod:`execopt.studies.day`); the functions here only reshape results that already exist (the
impact-fitting report's fit summary and profile; the audit's reductions; the backtest's per-size
comparison) into tidy DataFrames that a figure function in :mod:`execopt.reporting.figures`
draws and :func:`~execopt.reporting.artifacts.save_table` writes. Nothing here solves, fits or
walks a book.

Glossary: ``S`` shares, ``N`` periods, ``x`` shares per period, ``a`` dollars per share, ``b``
dollars per share squared, ``gamma``/``delta`` the power law ``gamma x^(1+delta)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from execopt import presets
from execopt.errors import ExecoptError
from execopt.execution.metrics import compare
from execopt.execution.simulator import SimResult
from execopt.impact.profiles import ImpactProfile
from execopt.problem.basket import Basket

__all__ = [
    "audit_reduction_table",
    "backtest_table",
    "basket_schedule_table",
    "fit_table",
    "markout_table",
    "profile_table",
    "reference_constants",
    "tca_parts",
    "tca_table",
]


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


def audit_reduction_table(audit: pd.DataFrame) -> pd.DataFrame:
    """The reduction rows of the audit table (``reduction_constant_*``, ``reduction_capped_*``,
    ``reduction_fitted_*``): ``label``, ``claimed`` and ``rederived`` (percent), ``verdict``.
    """
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
    ``oracle_capture``, ``fill_rate``, latencies, ...).
    """
    frames = []
    for S, res in results.items():
        t = compare(res).rename_axis("policy").reset_index()
        t.insert(0, "S", float(S))
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def basket_schedule_table(basket: Basket, plans: Mapping[str, Any]) -> pd.DataFrame:
    """Tidy rows of basket schedules: ``plan, symbol, side, period, shares, remaining_fraction,
    exposure_dollars`` (signed inventory ``side P R``, when the basket has prices) and one
    ``symbol == "basket"`` row per plan and period with the summed dollar exposure.
    """
    frames = []
    P = basket.prices if basket.prices is not None else np.ones(basket.M)
    for name, X in plans.items():
        X = np.asarray(X, dtype=float)
        R = basket.remaining(X)
        E = basket.sgn[:, None] * R * P[:, None]
        for i, lab in enumerate(basket.labels):
            frames.append(
                pd.DataFrame(
                    {
                        "plan": name,
                        "symbol": lab,
                        "side": basket.sides[i],
                        "period": np.arange(basket.N),
                        "shares": X[i],
                        "remaining_fraction": R[i] / basket.S[i] if basket.S[i] > 0 else 0.0,
                        "exposure_dollars": E[i],
                    }
                )
            )
        frames.append(
            pd.DataFrame(
                {
                    "plan": name,
                    "symbol": "basket",
                    "side": "",
                    "period": np.arange(basket.N),
                    "shares": X.sum(axis=0),
                    "remaining_fraction": R.sum(axis=0) / max(float(basket.S.sum()), 1e-300),
                    "exposure_dollars": E.sum(axis=0),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def tca_table(study: Any) -> pd.DataFrame:
    """Per policy over the episodes (:class:`~execopt.studies.episodes.EpisodeStudy`): the
    shortfall's mean and sd and its parts (bp), the cost against each minute's mid, the saving
    against TWAP with its block-bootstrap interval, the Sharpe ratio and maximum drawdown of
    that saving with intervals, the paired p-value, the fill rate. One row per policy, the
    oracle labelled an impact-only bound.
    """
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
    ``bps``), and the mark-outs (``horizon`` minutes, ``bps``) in :func:`markout_table`.
    """
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
