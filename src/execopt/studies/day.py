"""A day's real (or synthetic) books as judge: walked cost curves, schedule costs, GARCH volatility.

These studies compute on a day of books and return tidy tables for the reports (drawn by
:mod:`execopt.reporting.figures`, formatted by :mod:`execopt.reporting.present`):

* :func:`frog_day`: the real FROG 2025-04-03 day from a data folder, else the seeded synthetic one;
* :func:`cost_curves`: per-share slippage of the walked minute books against fitted models;
* :func:`schedule_costs`: equal allocation, the fitted-profile optimum and the book-walk oracle,
  each judged by walking the day's minute books;
* :func:`garch_volatility`: one-minute returns with a fitted GARCH's conditional volatility.

Glossary: ``S`` shares, ``N`` periods, ``x`` shares per period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from execopt.data import DEFAULT_MAX_DROP, BookSeries, frog_day_file, load_book
from execopt.errors import DataError
from execopt.impact.bookwalk import Side, book_curve, book_side, walk_book, walk_schedule
from execopt.impact.profiles import ImpactProfile, minute_of_day
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.api import solve

__all__ = ["cost_curves", "frog_day", "garch_volatility", "schedule_costs"]


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


def cost_curves(book: BookSeries, fits: Mapping[str, Any], side: Side) -> pd.DataFrame:
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


def schedule_costs(
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


def garch_volatility(book: BookSeries, regimes: Any) -> pd.DataFrame:
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
