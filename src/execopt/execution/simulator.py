"""Replay a parent order against a real (or synthetic) day of books, one minute at a time.

For each minute period ``t`` of the session the simulator

1. builds the live book (the minute's last snapshot, shifted by any simulated impact) and the
   history up to it (:mod:`execopt.execution.state`);
2. skips the period if the book is crossed or empty on the side walked (recorded; nothing is
   sent, the shares stay owed), or if a circuit breaker halts trading (recorded);
3. asks the policy for a child order and times the call (wall clock, ``perf_counter``);
4. clips it to ``[0, R]`` (the raw decision is kept), applies an inventory VaR floor if one is
   set, rounds to the lot, and at the close applies the ``at_close`` rule;
5. fills it by walking that period's **actual** book level by level: the realised cost, not a
   model's. Shares beyond the visible depth do not fill; ``overflow="carry"`` keeps them owed
   (schedule-following policies send them again next period), ``overflow="drop"`` cancels them
   (they count as unfilled).

End of day (``at_close``): ``"force"`` (default) sends every remaining share in the last period;
shares beyond that book's visible depth are then filled at prices that continue the book's
average slope (marginal price ``p_last + g (q - D)``, ``g = (p_last - p_first) / D`` per share)
and are counted in ``beyond_depth``. ``"report_unfilled"`` leaves them unfilled. A halt in force
at the close is released (``CircuitBreaker.at_close="release"``) or holds and leaves the shares
unfilled (``"hold"``).

Synthetic mode may add impact that the replayed book cannot show: permanent impact
``gamma`` (the mid moves by ``gamma`` dollars per share filled, for the rest of the day) and
transient impact ``eta`` decaying with half-life ``h`` periods; both shift every later book's
prices (the live book a policy sees includes them).

Conservation: ``filled + unfilled = S`` with ``unfilled = dropped + remaining at the close``; with a
lot size (whole shares) it holds exactly in floating point, otherwise to rounding.

Glossary: ``S`` shares, ``R`` remaining, ``q`` the child order, ``D`` visible depth, ``mid``
dollars, costs in dollars against the period's mid (``cost_vs_mid``, the impact) and against the
arrival mid (``cost_vs_arrival``, the implementation shortfall of the filled shares).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from execopt.data.book import BookSeries
from execopt.errors import DataError, InputError
from execopt.execution.risk import BreakerMonitor, CircuitBreaker, InventoryVaR
from execopt.execution.state import BookSnapshot, DayData, History, MarketState, Side
from execopt.impact.base import ImpactModel
from execopt.impact.bookwalk import check_side

__all__ = ["AtClose", "Event", "Overflow", "SimConfig", "SimResult", "simulate", "walk_fill"]

FloatArray = NDArray[np.float64]
Overflow = Literal["carry", "drop"]
AtClose = Literal["force", "report_unfilled"]

#: Share of the session's minutes that must contain book events for ``session="auto"`` to use
#: the regular session; otherwise the data's own span is used (e.g. a short synthetic day).
AUTO_SESSION_COVERAGE = 0.5


@dataclass(frozen=True)
class SimConfig:
    """How the simulator fills orders (immutable).

    Parameters
    ----------
    side : {"buy", "sell"}
    overflow : {"carry", "drop"}
        What happens to shares beyond the visible depth (see the module docstring).
    at_close : {"force", "report_unfilled"}
        End-of-day rule.
    lot : float or None
        Round child orders to multiples of ``lot`` shares (1 for whole shares); ``S`` must be a
        multiple. None: fractional shares.
    permanent_impact : float
        ``gamma``, dollars of mid shift per share filled (synthetic mode; 0 for a pure replay).
    transient_impact : float
        ``eta``, dollars of shift per share filled, decaying with ``transient_half_life``.
    transient_half_life : float
        Periods, ``> 0``.
    session : "auto", (open, close) or None
        Minutes to step through: ``"auto"`` uses the regular session 09:30-16:00 when the data
        cover at least half of it, else the data's own span; None always the data's span.
    tz : str
        Exchange time zone.
    costs : ImpactModel or None
        Costs the replayed book cannot show, charged on every fill by the model's own
        ``cost`` (the planner's algebra, as cvxportfolio's ``SimulatorCost``): per-share fees
        (:class:`~execopt.impact.PerShareFee`) or any registered separable term. Recorded in the
        ``model_cost`` column and added to the shortfall.
    """

    side: Side = "buy"
    overflow: Overflow = "carry"
    at_close: AtClose = "force"
    lot: float | None = None
    permanent_impact: float = 0.0
    transient_impact: float = 0.0
    transient_half_life: float = 5.0
    session: tuple[str, str] | Literal["auto"] | None = "auto"
    tz: str = "America/New_York"
    costs: ImpactModel | None = None

    def __post_init__(self) -> None:
        check_side(self.side)
        if self.costs is not None and not isinstance(self.costs, ImpactModel):
            raise InputError(
                f"costs must be an ImpactModel (e.g. PerShareFee(0.003)), got "
                f"{type(self.costs).__name__}."
            )
        if self.overflow not in ("carry", "drop"):
            raise InputError(f"overflow must be 'carry' or 'drop', got {self.overflow!r}.")
        if self.at_close not in ("force", "report_unfilled"):
            raise InputError(
                f"at_close must be 'force' or 'report_unfilled', got {self.at_close!r}."
            )
        if self.lot is not None and not (np.isfinite(self.lot) and self.lot > 0):
            raise InputError(f"lot must be a positive number of shares or None, got {self.lot}.")
        for name in ("permanent_impact", "transient_impact"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                raise InputError(f"{name} must be finite and >= 0 (dollars per share), got {v}.")
        if not (np.isfinite(self.transient_half_life) and self.transient_half_life > 0):
            raise InputError("transient_half_life must be > 0 periods.")


@dataclass(frozen=True)
class Event:
    """Something the report must say: a skipped period, a halt, a resume, a forced close."""

    period: int
    ts: str
    kind: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"period": self.period, "ts": self.ts, "kind": self.kind, "detail": self.detail}


def walk_fill(
    px: FloatArray, sz: FloatArray, mid: float, q: float, side: Side
) -> tuple[float, float, float]:
    """Fill ``q`` shares against one side of one book, level by level.

    Returns
    -------
    filled, cost_vs_mid, notional : float
        Shares filled (at most the visible depth), dollars against ``mid`` (positive = paid),
        and dollars exchanged. The cost equals
        :func:`~execopt.impact.bookwalk.walk_cost` wherever that is not censored.
    """
    present = sz > 0
    size = np.where(present, sz, 0.0)
    price = np.where(present, px, 0.0)
    start = np.cumsum(size) - size
    f = np.clip(q - start, 0.0, size)
    filled = float(f.sum())
    notional = float(np.sum(f * price))
    cost = notional - filled * mid if side == "buy" else filled * mid - notional
    return filled, cost, notional


def _beyond_depth(
    px: FloatArray, sz: FloatArray, mid: float, extra: float, side: Side
) -> tuple[float, float]:
    """Cost and notional of ``extra`` shares past the visible depth (continued average slope)."""
    present = sz > 0
    p = px[present]
    D = float(sz[present].sum())
    g = abs(float(p[-1] - p[0])) / D if D > 0 else 0.0
    sgn = 1.0 if side == "buy" else -1.0
    notional = extra * float(p[-1]) + sgn * g * extra * extra / 2.0
    cost = sgn * (notional - extra * mid)
    return cost, notional


def _model_cost(model: ImpactModel, t: int, f: float, N: int) -> float:
    """Dollars the model charges for ``f`` shares in period ``t`` of ``N`` (its own ``cost``)."""
    x = np.zeros(N)
    x[t] = f
    return float(np.broadcast_to(model.cost(x), (N,))[t])


def _minute_series(book: BookSeries, config: SimConfig) -> tuple[BookSeries, FloatArray, str]:
    """Per-minute snapshots, minute volumes and a note on the session used."""
    if book.minutes is not None:
        return book, np.asarray(book.minute_volume(), dtype=float), "per-minute series as given"
    if len(book) == 0:
        raise DataError("the book series is empty: nothing to simulate.")
    tz = config.tz
    if config.session == "auto":
        try:
            m = book.session_minutes(tz)
            t = np.asarray(book.ts)
            one = np.timedelta64(60 * 10**9, "ns")
            has = np.searchsorted(t, m + one) > np.searchsorted(t, m)
            if has.mean() >= AUTO_SESSION_COVERAGE:
                return (
                    book.minute_snapshots(tz),
                    np.asarray(book.minute_volume(tz), dtype=float),
                    "regular session 09:30-16:00",
                )
        except DataError:
            pass
        return (
            book.minute_snapshots(tz, None),
            np.asarray(book.minute_volume(tz, None), dtype=float),
            "the data's own span (the regular session is not covered)",
        )
    sess = config.session
    return (
        book.minute_snapshots(tz, sess),
        np.asarray(book.minute_volume(tz, sess), dtype=float),
        "the data's own span" if sess is None else f"session {sess[0]}-{sess[1]}",
    )


@dataclass(frozen=True, eq=False)
class SimResult:
    """Everything one simulated order did (immutable).

    Attributes
    ----------
    policy : str
    symbol : str
    side : {"buy", "sell"}
    shares : float
        ``S``.
    arrival_mid, final_mid : float
        Mid at the first and last valid period, dollars (final includes simulated impact).
    fills : pandas.DataFrame
        One row per period: ``period, ts, status, mid, spread, decision, requested, filled,
        unfilled, carried, dropped, beyond_depth, avg_price, cost_vs_mid, cost_vs_arrival,
        model_cost, latency_s, remaining``.
    events : tuple of Event
    config : SimConfig
    session : str
        Which minutes were stepped through.
    info : dict
        The policy's own notes (``policy.info`` when it has one).
    """

    policy: str
    symbol: str
    side: str
    shares: float
    arrival_mid: float
    final_mid: float
    fills: pd.DataFrame
    events: tuple[Event, ...]
    config: SimConfig
    session: str
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def filled(self) -> float:
        """Shares filled."""
        return float(self.fills["filled"].sum())

    @property
    def unfilled(self) -> float:
        """Shares not filled: dropped ones plus those left at the close."""
        return float(self.fills["dropped"].sum() + self.fills["remaining"].iloc[-1])

    @property
    def fill_rate(self) -> float:
        """``filled / S`` (1 for an empty order)."""
        return self.filled / self.shares if self.shares > 0 else 1.0

    @property
    def cost(self) -> float:
        """Realised impact cost: dollars paid against each period's own mid."""
        return float(self.fills["cost_vs_mid"].sum())

    @property
    def cost_vs_arrival(self) -> float:
        """Dollars paid against the arrival mid on the filled shares."""
        return float(self.fills["cost_vs_arrival"].sum())

    @property
    def model_cost(self) -> float:
        """Dollars charged by ``config.costs`` (fees and other modelled terms) on the fills."""
        return float(self.fills["model_cost"].sum())

    @property
    def opportunity_cost(self) -> float:
        """Unfilled shares marked at the final mid against the arrival mid, dollars."""
        sgn = 1.0 if self.side == "buy" else -1.0
        return sgn * (self.final_mid - self.arrival_mid) * self.unfilled

    @property
    def shortfall(self) -> float:
        """Implementation shortfall, dollars: execution cost vs arrival, modelled costs (fees)
        and opportunity cost."""
        return self.cost_vs_arrival + self.model_cost + self.opportunity_cost

    @property
    def shortfall_bps(self) -> float:
        """Shortfall in basis points of ``S`` times the arrival mid."""
        denom = self.shares * self.arrival_mid
        return 1e4 * self.shortfall / denom if denom > 0 else float("nan")

    @property
    def latency(self) -> FloatArray:
        """Wall-clock seconds of every policy call."""
        lat = self.fills["latency_s"].to_numpy(dtype=float)
        return lat[np.isfinite(lat)]

    @property
    def schedule(self) -> FloatArray:
        """Shares filled in each period."""
        return self.fills["filled"].to_numpy(dtype=float)

    def events_of(self, kind: str) -> list[Event]:
        """Events of one kind (``"halt"``, ``"resume"``, ``"skipped"``, ``"forced"``, ...)."""
        return [e for e in self.events if e.kind == kind]

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary of the run, with halts and skipped periods spelled out."""
        lat = self.latency * 1e3
        status = self.fills["status"]
        return {
            "policy": self.policy,
            "symbol": self.symbol,
            "side": self.side,
            "shares": self.shares,
            "cost": self.cost,
            "cost_vs_arrival": self.cost_vs_arrival,
            "shortfall": self.shortfall,
            "shortfall_bps": self.shortfall_bps,
            "filled": self.filled,
            "unfilled": self.unfilled,
            "fill_rate": self.fill_rate,
            "beyond_depth": float(self.fills["beyond_depth"].sum()),
            "latency_p50_ms": float(np.percentile(lat, 50)) if lat.size else float("nan"),
            "latency_p99_ms": float(np.percentile(lat, 99)) if lat.size else float("nan"),
            "decisions": int(lat.size),
            "halted_periods": int((status == "halted").sum()),
            "skipped_periods": int(status.str.startswith("skipped").sum()),
            "arrival_mid": self.arrival_mid,
            "final_mid": self.final_mid,
            "session": self.session,
            "events": [e.as_dict() for e in self.events],
        }

    def report(self) -> str:
        """A short plain-text report (what happened, including halts and skipped periods)."""
        s = self.summary()
        lines = [
            f"{self.policy}: {self.side} {self.shares:,.0f} {self.symbol} - cost ${s['cost']:,.2f}"
            f" vs period mids, shortfall {s['shortfall_bps']:.2f} bp, filled "
            f"{s['filled']:,.0f} ({100 * s['fill_rate']:.1f} %)",
        ]
        halts = self.events_of("halt")
        if halts:
            lines.append(
                f"circuit breaker: {len(halts)} halt(s), {s['halted_periods']} period(s) halted"
            )
            lines += [f"  halt at period {e.period} ({e.ts}): {e.detail}" for e in halts]
            lines += [
                f"  resume at period {e.period}: {e.detail}" for e in self.events_of("resume")
            ]
        if s["skipped_periods"]:
            lines.append(f"{s['skipped_periods']} period(s) skipped (crossed or empty book)")
        for e in self.events_of("forced") + self.events_of("close"):
            lines.append(f"close: {e.detail}")
        return "\n".join(lines)


def simulate(
    book: BookSeries,
    policy: Any,
    shares: float,
    config: SimConfig | None = None,
    *,
    previous: BookSeries | None = None,
    breaker: CircuitBreaker | None = None,
    var_limit: InventoryVaR | None = None,
    progress: bool = False,
) -> SimResult:
    """Run ``policy`` for an order of ``shares`` over the minute periods of ``book``.

    Parameters
    ----------
    book : BookSeries
        Event-level or per-minute; its minute snapshots are the periods.
    policy : Policy
        Anything with ``name`` and ``decide(state)`` (see :mod:`execopt.execution.policies`).
    shares : float
        ``S > 0``.
    config : SimConfig, optional
    previous : BookSeries, optional
        Earlier days, visible to the policy as ``state.history.previous``.
    breaker : CircuitBreaker, optional
    var_limit : InventoryVaR, optional
        Forces a minimum child order when the open inventory's one-period VaR exceeds a limit.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    SimResult

    Raises
    ------
    InputError
        Bad shares, a policy answer that is NaN, or ``S`` not a multiple of the lot.
    DataError
        An empty book series.
    """
    cfg = config if config is not None else SimConfig()
    side: Side = cfg.side
    S = float(shares)
    if not (np.isfinite(S) and S > 0):
        raise InputError(f"shares must be a positive number, got {shares!r}.")
    lot = cfg.lot
    if lot is not None and abs(S / lot - round(S / lot)) > 1e-9:
        raise InputError(f"shares S = {S:g} is not a multiple of the lot {lot:g}.")
    snaps, volume, session = _minute_series(book, cfg)
    day = DayData.from_minutes(snaps, volume)
    N = day.N
    sgn = 1.0 if side == "buy" else -1.0
    decay = 0.5 ** (1.0 / cfg.transient_half_life)
    name = str(getattr(policy, "name", type(policy).__name__))
    if hasattr(policy, "reset"):
        policy.reset()
    monitor = BreakerMonitor(breaker) if breaker is not None else None

    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "period", "ts", "status", "mid", "spread", "decision", "requested", "filled",
            "unfilled", "carried", "dropped", "beyond_depth", "avg_price", "cost_vs_mid",
            "cost_vs_arrival", "model_cost", "latency_s", "remaining",
        )
    }  # fmt: skip
    events: list[Event] = []
    if session != "regular session 09:30-16:00" and session != "per-minute series as given":
        events.append(Event(0, str(day.minutes[0]), "session", f"stepping through {session}"))
    filled_arr = np.zeros(N)
    R = S
    carry = 0.0
    cum_filled = 0.0
    transient = 0.0
    arrival = float("nan")
    last_mid = float("nan")
    last_valid: BookSnapshot | None = None

    steps: Any = range(N)
    if progress:
        from tqdm import tqdm

        steps = tqdm(steps, desc=name, leave=False, unit="min")
    for t in steps:
        shift = sgn * (cfg.permanent_impact * cum_filled + transient)
        day.shift[t] = shift
        snap = BookSnapshot(
            ts=day.minutes[t],
            bid_px=day.bid_px[t] + shift,
            ask_px=day.ask_px[t] + shift,
            bid_sz=day.bid_sz[t],
            ask_sz=day.ask_sz[t],
            side=side,
        )
        status = snap.status
        ts = str(pd.Timestamp(day.minutes[t]).tz_localize("UTC"))
        last = t == N - 1
        row: dict[str, Any] = {
            "period": t, "ts": day.minutes[t], "status": status, "mid": snap.mid,
            "spread": snap.spread, "decision": np.nan, "requested": 0.0, "filled": 0.0,
            "unfilled": 0.0, "carried": 0.0, "dropped": 0.0, "beyond_depth": 0.0,
            "avg_price": np.nan, "cost_vs_mid": 0.0, "cost_vs_arrival": 0.0,
            "model_cost": 0.0, "latency_s": np.nan, "remaining": R,
        }  # fmt: skip
        if status == "ok":
            last_valid = snap
            last_mid = snap.mid
            if not np.isfinite(arrival):
                arrival = snap.mid
        hist = History(day=day, t=t, filled=filled_arr, previous=previous)
        halted = False
        if monitor is not None and status == "ok" and R > 0:
            halted, ev = monitor.step(t, snap, hist, arrival, last)
            if ev is not None:
                events.append(Event(t, ts, ev[0], ev[1]))
        book_used: BookSnapshot | None = snap if status == "ok" else None
        q = 0.0
        if R <= 0:
            row["status"] = "done" if status == "ok" else f"skipped:{status}"
        elif halted:
            row["status"] = "halted"
        elif status != "ok" and not (last and cfg.at_close == "force"):
            row["status"] = f"skipped:{status}"
            events.append(Event(t, ts, "skipped", f"{status} book: nothing sent, shares carried"))
        else:
            if status == "ok":
                state = MarketState(t, N, S, side, R, carry, snap, hist, arrival)
                t0 = perf_counter()
                raw = policy.decide(state)
                row["latency_s"] = perf_counter() - t0
                raw = float(raw)
                if np.isnan(raw):
                    raise InputError(f"policy {name!r} returned NaN shares at period {t}.")
                row["decision"] = raw
                q = min(max(raw, 0.0), R)
                if var_limit is not None:
                    floor = var_limit.min_trade(state)
                    if floor > q:
                        events.append(
                            Event(
                                t,
                                ts,
                                "var_floor",
                                f"VaR limit: sent {floor:,.0f} instead of {q:,.0f} shares",
                            )
                        )
                        q = min(floor, R)
            if last and cfg.at_close == "force":
                q = R
                if status != "ok":
                    book_used = last_valid
                    row["status"] = f"forced_on_last_valid:{status}"
            if lot is not None:
                q = min(round(q / lot) * lot, R)
        if q > 0 and book_used is not None:
            b = book_used
            f, c, notional = walk_fill(b.px, b.sz, b.mid, q, side)
            extra = q - f
            if last and cfg.at_close == "force" and extra > 0:
                c2, n2 = _beyond_depth(b.px, b.sz, b.mid, extra, side)
                f, c, notional = q, c + c2, notional + n2
                row["beyond_depth"] = extra
                events.append(
                    Event(
                        t,
                        ts,
                        "forced",
                        f"{extra:,.2f} shares beyond the visible "
                        "depth filled at the close at extrapolated prices",
                    )
                )
            unfilled = q - f
            row.update(
                requested=q,
                filled=f,
                unfilled=unfilled,
                avg_price=notional / f if f > 0 else np.nan,
                cost_vs_mid=c,
                cost_vs_arrival=sgn * (notional - f * arrival) if f > 0 else 0.0,
            )
            if cfg.overflow == "carry":
                R = R - f
                carry = unfilled
                row["carried"] = unfilled
            else:
                R = R - q
                carry = 0.0
                row["dropped"] = unfilled
            filled_arr[t] = f
            cum_filled += f
            if cfg.costs is not None and f > 0:
                row["model_cost"] = _model_cost(cfg.costs, t, f, N)
            transient = transient * decay + cfg.transient_impact * f
        else:
            transient = transient * decay
            if q > 0:  # forced close without any valid book
                events.append(
                    Event(
                        t,
                        ts,
                        "close",
                        f"{q:,.2f} shares unpriceable at the close "
                        "(no valid book all day): left unfilled",
                    )
                )
        if last and R > 0:
            events.append(
                Event(
                    t,
                    ts,
                    "close",
                    f"{R:,.2f} shares left unfilled at the close (at_close={cfg.at_close!r})",
                )
            )
        row["remaining"] = R
        for k, v in row.items():
            cols[k].append(v)
    if not np.isfinite(arrival):
        raise DataError("no period has a valid (two-sided, uncrossed) book: nothing to simulate.")
    fills = pd.DataFrame(cols)
    info = dict(getattr(policy, "info", {}) or {})
    return SimResult(
        policy=name,
        symbol=book.symbol,
        side=side,
        shares=S,
        arrival_mid=arrival,
        final_mid=last_mid,
        fills=fills,
        events=tuple(events),
        config=cfg,
        session=session,
        info=info,
    )
