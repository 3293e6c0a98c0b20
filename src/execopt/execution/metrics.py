"""Execution metrics: one order against its benchmarks, and savings over many orders.

Per order (:func:`compare`): realised cost against each period's mid (dollars), implementation
shortfall against the arrival mid (dollars and basis points of ``S`` times the arrival mid,
unfilled shares marked at the final mid), the saving against TWAP and VWAP (percent of their
cost; the toolkit's one sign convention: a saving > 0 means cheaper than the reference), the share of the oracle's saving over TWAP that a policy captures
(``(C_twap - C) / (C_twap - C_oracle)``), fill rate, and decision latency p50/p99 (milliseconds).

Over many orders or days (:func:`savings_stats`): the distribution of savings, their Sharpe
ratio ``mean / sd`` per order (not annualised: orders are not periods of a return series), and the
maximum drawdown of cumulative savings (the largest fall from a running peak, in dollars).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from execopt.errors import InputError
from execopt.execution.simulator import SimResult

__all__ = ["compare", "max_drawdown", "savings_stats"]


def _pct_saving(cost: float, ref: float | None) -> float:
    if ref is None or not np.isfinite(ref) or ref == 0:
        return float("nan")
    return 100.0 * (ref - cost) / abs(ref)


def compare(results: Mapping[str, SimResult]) -> pd.DataFrame:
    """One row per policy: the comparison table of ``execopt backtest``.

    Parameters
    ----------
    results : mapping of name to SimResult
        Benchmarks are looked up by name: ``"twap"``, ``"vwap"``, ``"oracle"`` (columns are NaN
        when a benchmark is absent).

    Returns
    -------
    pandas.DataFrame
        Indexed by policy: ``cost``, ``shortfall``, ``shortfall_bps``, ``vs_twap_pct`` and
        ``vs_vwap_pct`` (savings in percent of the benchmark's cost: > 0 means cheaper than
        the benchmark), ``oracle_capture`` (fraction), ``fill_rate``, ``filled``,
        ``beyond_depth``, ``latency_p50_ms``, ``latency_p99_ms``, ``halted_periods``,
        ``skipped_periods``.
    """
    if not results:
        raise InputError("no results to compare.")
    twap = results["twap"].cost if "twap" in results else None
    vwap = results["vwap"].cost if "vwap" in results else None
    oracle = results["oracle"].cost if "oracle" in results else None
    rows = {}
    for name, res in results.items():
        s = res.summary()
        gap = None if twap is None or oracle is None else twap - oracle
        rows[name] = {
            "cost": s["cost"],
            "shortfall": s["shortfall"],
            "shortfall_bps": s["shortfall_bps"],
            "vs_twap_pct": _pct_saving(s["cost"], twap),
            "vs_vwap_pct": _pct_saving(s["cost"], vwap),
            "oracle_capture": (twap - s["cost"]) / gap
            if gap is not None and twap is not None and gap > 0
            else float("nan"),
            "fill_rate": s["fill_rate"],
            "filled": s["filled"],
            "beyond_depth": s["beyond_depth"],
            "latency_p50_ms": s["latency_p50_ms"],
            "latency_p99_ms": s["latency_p99_ms"],
            "halted_periods": s["halted_periods"],
            "skipped_periods": s["skipped_periods"],
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def max_drawdown(cumulative: ArrayLike) -> float:
    """Largest fall of a cumulative series from its running peak (>= 0, same unit)."""
    c = np.asarray(cumulative, dtype=float)
    if c.size == 0:
        return 0.0
    peak = np.maximum.accumulate(np.concatenate([[0.0], c]))[1:]
    return float(np.max(peak - c)) if c.size else 0.0


def savings_stats(savings: ArrayLike | Sequence[float]) -> dict[str, Any]:
    """Distribution, Sharpe ratio and maximum drawdown of per-order savings (dollars).

    Parameters
    ----------
    savings : array_like
        Saving of each order against its benchmark (positive = cheaper), in time order.

    Returns
    -------
    dict
        ``n, mean, sd, min, p05, p25, median, p75, p95, max, hit_rate`` (share of orders with a
        positive saving), ``sharpe`` (mean / sd per order, NaN for fewer than 2 orders or
        sd = 0), ``total``, ``max_drawdown`` (dollars, of the cumulative savings).
    """
    s = np.asarray(savings, dtype=float).ravel()
    if s.size == 0 or not np.all(np.isfinite(s)):
        raise InputError("savings must be a non-empty array of finite numbers (dollars).")
    sd = float(np.std(s, ddof=1)) if s.size > 1 else float("nan")
    q = np.percentile(s, [5, 25, 50, 75, 95])
    return {
        "n": int(s.size),
        "mean": float(s.mean()),
        "sd": sd,
        "min": float(s.min()),
        "p05": float(q[0]),
        "p25": float(q[1]),
        "median": float(q[2]),
        "p75": float(q[3]),
        "p95": float(q[4]),
        "max": float(s.max()),
        "hit_rate": float(np.mean(s > 0)),
        "sharpe": float(s.mean() / sd) if s.size > 1 and sd > 0 else float("nan"),
        "total": float(s.sum()),
        "max_drawdown": max_drawdown(np.cumsum(s)),
    }
