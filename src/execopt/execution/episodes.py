"""Episodes: many parent orders inside each day, each with its own arrival, history and result.

An *episode* is one parent order of ``S`` shares on one side that arrives at a minute of a
day and must be done ``H`` minutes later. :func:`plan_episodes` lays out the arrival minutes on
the day's minute grid (:mod:`execopt.data.grid`): rolling start times ``stride`` minutes apart
(or ``K`` spread evenly over the day), crossed with the order sizes and sides.
:func:`run_episode` replays one episode for each policy:

* the periods are the ``H`` grid minutes from the arrival (a window of the day: an early close
  or a partial file gives fewer starts, never a window past the data);
* the arrival price is the mid at the arrival minute;
* the policy sees only earlier data: the same day's minutes before the arrival
  (``state.history.window``, ``state.history.earlier``) and the earlier days of the run
  (``state.history.previous``, their profiles read at the episode's minutes of the day);
* the perfect-foresight oracle sees the episode's own window in full (and nothing else): it
  minimises the *impact* cost against each minute's mid with the future known, so it is an
  impact-only bound: it ignores the drift, and its shortfall can be worse than TWAP's;
* the result is the simulator's, decomposed (:mod:`execopt.execution.tca`): shortfall in
  spread, impact, timing, fees and opportunity; benchmarks; mark-outs against the rest of the day.

A start minute that is missing (no data) is not used; missing minutes inside a window are not
tradable and are counted in the episode's row (``missing_periods``).

Glossary: ``H`` horizon (minutes), ``K`` start times per day, ``stride`` minutes between
starts, ``S`` shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from execopt.data.book import BookSeries
from execopt.data.grid import MinuteGrid
from execopt.errors import DataError, InputError
from execopt.execution.policies import POLICIES, make_policy
from execopt.execution.simulator import SimConfig, SimResult, simulate
from execopt.execution.state import Side
from execopt.execution.tca import MARKOUT_HORIZONS, SHORTFALL_PARTS, benchmarks, decompose, markouts

__all__ = [
    "DayContext",
    "EpisodeSpec",
    "day_contexts",
    "episode_row",
    "plan_episodes",
    "run_episode",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class EpisodeSpec:
    """One parent order: which day, when it arrives, how long it has, its size and side.

    Attributes
    ----------
    episode : int
        Its number (the episodes' order: by day, start, size, side).
    day : int
        Index of the trading day in the run's minute grid.
    start : int
        Index of the arrival minute within the day's grid.
    horizon : int
        ``H``, minutes.
    shares : float
    side : {"buy", "sell"}
    """

    episode: int
    day: int
    start: int
    horizon: int
    shares: float
    side: Side


@dataclass(frozen=True, eq=False)
class DayContext:
    """One trading day as the episodes of that day need it (built once, shared by workers).

    Attributes
    ----------
    day : int
    date : str
    snaps : BookSeries
        The day's per-minute series on its minute grid.
    previous : BookSeries or None
        The run's earlier days (per-minute), or None for the first day.
    market_mid : ndarray
        The day's mid per minute (NaN where missing or one-sided), for the mark-outs.
    """

    day: int
    date: str
    snaps: BookSeries
    previous: BookSeries | None
    market_mid: FloatArray = field(repr=False)


def day_contexts(snaps: BookSeries, *, history: bool = True) -> list[DayContext]:
    """Split a per-minute series (``book.minute_snapshots()``) into one context per day; each
    day's ``previous`` is every earlier day of the series when ``history``.
    """
    if snaps.minutes is None:
        raise InputError("day_contexts needs a per-minute series: pass book.minute_snapshots().")
    grid = snaps.minute_grid()
    minutes = np.asarray(snaps.minutes)
    one = np.timedelta64(60 * 10**9, "ns")
    out = []
    for d, sl in enumerate(grid.day_slices()):
        lo, hi = minutes[sl.start], minutes[sl.stop - 1] + one
        # each context keeps only its own trades (a slice of the series keeps them all)
        day = snaps.take(sl).replace(trades=snaps.trades.between(lo, hi))
        prev = None
        if history and sl.start > 0:
            prev = snaps.take(slice(0, sl.start)).replace(
                trades=snaps.trades.between(minutes[0], lo)
            )
        mid = np.asarray(day.mid, dtype=np.float64)
        out.append(DayContext(d, grid.dates[int(grid.day[sl.start])], day, prev, mid))
    return out


def _starts(n: int, grid: MinuteGrid, H: int, K: int | None, stride: int | None) -> list[int]:
    """Arrival minutes of one day: every ``stride`` minutes, or ``K`` spread evenly."""
    last = n - H
    if last < 0:
        return []
    ok = ~np.asarray(grid.missing)
    if stride is not None:
        cand = list(range(0, last + 1, stride))
    elif K is None or K >= last + 1:
        cand = list(range(0, last + 1))
    elif K == 1:
        cand = [0]
    else:
        cand = sorted({round(i * last / (K - 1)) for i in range(K)})
    cand = [s for s in cand if ok[s]]
    return cand[:K] if K is not None else cand


def plan_episodes(
    grid: MinuteGrid,
    *,
    episodes: int | None,
    horizon: int,
    stride: int | None = None,
    sizes: Sequence[float] = (5_000.0,),
    sides: Sequence[str] = ("buy",),
) -> tuple[list[EpisodeSpec], list[dict[str, Any]]]:
    """Arrival minutes crossed with sizes and sides, for every day of ``grid``.

    Parameters
    ----------
    grid : MinuteGrid
        The run's minute grid (several days allowed).
    episodes : int or None
        ``K``: start times per day (None: every start ``stride`` apart, or every minute).
    horizon : int
        ``H >= 1`` minutes: the window each order must finish in.
    stride : int, optional
        Minutes between start times (rolling starts); default: ``K`` starts spread evenly over
        the day's possible arrivals.
    sizes : sequence of float
        Order sizes, shares (> 0).
    sides : sequence of {"buy", "sell"}

    Returns
    -------
    specs : list of EpisodeSpec
    days : list of dict
        Per day: ``date``, ``minutes``, ``starts`` (arrival minutes used) and ``note`` (why a
        day has fewer than ``K``, e.g. shorter than ``H``).

    Examples
    --------
    >>> import numpy as np
    >>> from execopt.data.grid import build_grid
    >>> ts = np.datetime64("2025-04-03T13:30", "ns") + np.arange(210) * 60 * 10**9
    >>> specs, days = plan_episodes(build_grid(ts), episodes=4, horizon=60, sides=("buy", "sell"))
    >>> len(specs), [s.start for s in specs[::2]]
    (8, [0, 50, 100, 150])
    >>> days[0]["minutes"]  # a 13:00 early close: 210 minutes
    210
    """
    H = _positive_int("horizon", horizon)
    K = None if episodes is None else _positive_int("episodes", episodes)
    st = None if stride is None else _positive_int("stride", stride)
    sz = [float(s) for s in sizes]
    if not sz or not all(np.isfinite(s) and s > 0 for s in sz):
        raise InputError(f"sizes must be positive numbers of shares, got {list(sizes)}.")
    sd = [str(s).strip().lower() for s in sides]
    if not sd or any(s not in ("buy", "sell") for s in sd):
        raise InputError(f"sides must be 'buy' and/or 'sell', got {list(sides)}.")
    specs: list[EpisodeSpec] = []
    days = []
    for d, sl in enumerate(grid.day_slices()):
        g = grid.take(sl)
        n = len(g)
        starts = _starts(n, g, H, K, st)
        note = ""
        if n < H:
            note = f"{n} minutes of data, shorter than the horizon H = {H}: no episode"
        elif K is not None and len(starts) < K:
            note = f"room for {len(starts)} start(s) of {K} asked (H = {H}, {n} minutes)"
        days.append(
            {
                "date": grid.dates[int(grid.day[sl.start])],
                "minutes": n,
                "starts": len(starts),
                "note": note,
            }
        )
        for s in starts:
            for size in sz:
                for side in sd:
                    specs.append(EpisodeSpec(len(specs), d, s, H, size, side))  # type: ignore[arg-type]
    if not specs:
        raise DataError(
            f"no episode fits: every day of the data is shorter than the horizon H = {H} "
            f"minutes ({', '.join(str(x['minutes']) for x in days)} minutes); use a shorter "
            "--horizon."
        )
    return specs, days


def _positive_int(name: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise InputError(f"{name} must be a whole number >= 1, got {v!r}.")
    return int(v)


def run_episode(
    ctx: DayContext,
    spec: EpisodeSpec,
    policies: Sequence[str],
    config: SimConfig,
    *,
    policy_options: dict[str, dict[str, Any]] | None = None,
    horizons: Sequence[int] = MARKOUT_HORIZONS,
) -> list[dict[str, Any]]:
    """Replay one episode for every policy; one row (:func:`episode_row`) per policy.

    ``config.side`` is replaced by the episode's side. ``policy_options`` maps a policy name
    (or an alias ``"<label>=<policy>"`` such as ``"ac_u4=ac"``) to its constructor options.
    """
    from dataclasses import replace

    cfg = replace(config, side=spec.side)
    s, H = spec.start, spec.horizon
    window = ctx.snaps.take(slice(s, s + H))
    earlier = ctx.snaps.take(slice(0, s)) if s > 0 else None
    drift = np.asarray(cfg.drift, dtype=float)
    mids = ctx.market_mid[s:]
    if np.any(drift):
        steps = np.arange(mids.shape[0], dtype=float)
        mids = mids + (float(drift) * steps if drift.ndim == 0 else _extend(drift, mids.shape[0]))
    rows = []
    opts = policy_options or {}
    for label in policies:
        name = opts.get(label, {}).get("policy", label)
        if name not in POLICIES:
            raise InputError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}.")
        kw = {k: v for k, v in opts.get(label, {}).items() if k != "policy"}
        policy = make_policy(name, book=window if name == "oracle" else None, **kw)
        res = simulate(window, policy, spec.shares, cfg, previous=ctx.previous, earlier=earlier)
        rows.append(episode_row(res, ctx, spec, label, mids, horizons))
    return rows


def _extend(drift: FloatArray, n: int) -> FloatArray:
    """Cumulative drift shift of ``n`` minutes from a per-period drift (held after its end)."""
    d = np.concatenate([drift, np.full(max(n - drift.shape[0], 0), drift[-1])])[:n]
    return np.concatenate([[0.0], np.cumsum(d[:-1])]) if n else np.zeros(0)


def episode_row(
    res: SimResult,
    ctx: DayContext,
    spec: EpisodeSpec,
    label: str,
    mids: FloatArray,
    horizons: Sequence[int] = MARKOUT_HORIZONS,
) -> dict[str, Any]:
    """The tidy row of one episode and policy: the order, the shortfall and its parts in
    dollars and basis points, the impact cost against each minute's mid, benchmarks, mark-outs,
    fills and latency.
    """
    d = decompose(res)
    dol, bps = d.dollars(), d.bps()
    bench = benchmarks(res)
    mk = markouts(res, mids, 0, horizons)
    status = np.asarray(res.column("status")).astype(str)
    lat = res.latency * 1e3
    grid = res.book.minute_grid() if res.book is not None else None
    row: dict[str, Any] = {
        "episode": spec.episode,
        "day": spec.day,
        "date": ctx.date,
        "start": _clock(grid, 0),
        "start_index": spec.start,
        "horizon": spec.horizon,
        "side": spec.side,
        "shares": spec.shares,
        "policy": label,
        "arrival_mid": res.arrival_mid,
        "notional": d.notional,
        "shortfall": d.total,
        "shortfall_bps": bps["total"],
    }
    for k in SHORTFALL_PARTS:
        row[k] = dol[k]
        row[f"{k}_bps"] = bps[k]
    scale = 1e4 / d.notional if d.notional > 0 else float("nan")
    row.update(
        impact_walk_bps=d.impact_walk * scale,
        impact_own_bps=d.impact_own * scale,
        cost=res.cost,
        cost_bps=res.cost * scale,
        vs_vwap_bps=bench["bps"]["vwap"],
        vs_vwap_incl_own_bps=bench["bps"]["vwap_incl_own"],
        vs_twap_price_bps=bench["bps"]["twap"],
        vwap=bench["prices"]["vwap"],
        participation=bench["participation"],
        fill_rate=res.fill_rate,
        filled=res.filled,
        unfilled=res.unfilled,
        missing_periods=int((status == "missing").sum()),
        skipped_periods=int(np.char.startswith(status, "skipped").sum()),
        latency_p50_ms=float(np.median(lat)) if lat.size else float("nan"),
        latency_max_ms=float(lat.max()) if lat.size else float("nan"),
    )
    for h, v in mk.items():
        row[f"markout_{h}_bps"] = v["bps"]
        row[f"markout_{h}_left_out"] = v["left_out"]
    return row


def _clock(grid: MinuteGrid | None, i: int) -> str:
    if grid is None or len(grid) <= i:
        return ""
    h, m = divmod(int(grid.clock[i]), 60)
    return f"{h:02d}:{m:02d}"
