"""Export a schedule as a child-order list (time, side, quantity) in CSV or JSON.

A schedule is either a planned one (shares per period and the periods' start times) or what a
simulated order actually sent (:class:`~execopt.execution.simulator.SimResult`). Periods with no
order are left out; quantities are rounded to ``decimals`` places (0: whole shares) with the
rounding remainder carried forward, so the list sums to the schedule's total exactly.
"""

from __future__ import annotations

import json
import os
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from execopt._atomic import atomic_open, atomic_path
from execopt.errors import InputError
from execopt.execution.simulator import SimResult
from execopt.impact.bookwalk import check_side

__all__ = ["child_orders", "from_result", "write_orders"]


def _round_carry(x: np.ndarray, decimals: int) -> np.ndarray:
    """Round cumulative sums so the rounded list keeps the exact (rounded) total."""
    cum = np.round(np.cumsum(x), decimals)
    return np.diff(np.concatenate([[0.0], cum]))


def child_orders(
    schedule: ArrayLike,
    times: ArrayLike,
    side: str = "buy",
    symbol: str = "",
    decimals: int = 0,
) -> pd.DataFrame:
    """A child-order list from shares per period.

    Parameters
    ----------
    schedule : array_like (N,)
        Shares per period, ``>= 0``.
    times : array_like (N,)
        Period start times (UTC ``datetime64`` or anything pandas parses).
    side : {"buy", "sell"}
    symbol : str
    decimals : int
        Decimal places of the quantities (0: whole shares).

    Returns
    -------
    pandas.DataFrame
        Columns ``time`` (ISO 8601, UTC), ``symbol``, ``side``, ``quantity``; one row per period
        with a non-zero order.
    """
    check_side(side)
    x = np.asarray(schedule, dtype=float)
    ts = pd.DatetimeIndex(np.asarray(times))
    if x.ndim != 1 or x.shape[0] != len(ts):
        raise InputError(
            f"schedule and times must have the same length, got {x.shape} and {len(ts)}."
        )
    if not np.all(np.isfinite(x)) or np.any(x < 0):
        raise InputError("schedule must hold finite share counts >= 0.")
    q = _round_carry(x, int(decimals))
    if ts.tz is None:
        ts = ts.tz_localize("UTC")
    keep = q > 0
    return pd.DataFrame(
        {
            "time": [t.isoformat() for t in ts[keep]],
            "symbol": symbol,
            "side": side,
            "quantity": q[keep] if decimals > 0 else q[keep].astype(np.int64),
        }
    )


def from_result(result: SimResult, decimals: int = 0, what: str = "requested") -> pd.DataFrame:
    """The child orders a simulated run sent (``what="requested"``) or filled (``"filled"``)."""
    if what not in ("requested", "filled"):
        raise InputError(f"what must be 'requested' or 'filled', got {what!r}.")
    f = result.fills
    return child_orders(
        f[what].to_numpy(dtype=float),
        f["ts"].to_numpy(),
        result.side,
        result.symbol,
        decimals,
    )


def write_orders(
    orders: pd.DataFrame, path: str | os.PathLike[str], format: Literal["csv", "json"] | None = None
) -> None:
    """Write a child-order list to CSV or JSON (format from the suffix when not given).

    JSON is ``{"orders": [{"time": ..., "symbol": ..., "side": ..., "quantity": ...}, ...]}``.
    The file is written atomically (temporary name, fsync, rename): never half-written.
    """
    fmt = format or ("json" if str(path).lower().endswith(".json") else "csv")
    if fmt == "csv":
        with atomic_path(path) as tmp:
            orders.to_csv(tmp, index=False)
    elif fmt == "json":
        with atomic_open(path, "w", encoding="utf-8") as fh:
            json.dump({"orders": json.loads(orders.to_json(orient="records"))}, fh, indent=1)
    else:
        raise InputError(f"format must be 'csv' or 'json', got {format!r}.")
