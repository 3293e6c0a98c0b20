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

The replay may add the policy's own impact that a replayed book cannot show, with the planner's
algebra: permanent impact ``gamma`` (the mid moves by ``gamma`` dollars per share filled, for the
rest of the day) and transient impact with a kernel ``G`` (a fill of ``f_s`` shares moves period
``t``'s book by ``G(t - s) f_s``; the child order also pays ``1/2 G(0) f_t^2``, half its own
displacement). Both shift every later book's prices (the live book a policy sees includes them);
the ``own_impact`` column records what the order paid for its own footprint.

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
from execopt.data.grid import DEFAULT_MAX_GAP, check_max_gap
from execopt.errors import DataError, InputError
from execopt.execution.risk import BreakerMonitor, CircuitBreaker, InventoryVaR
from execopt.execution.state import BookSnapshot, DayData, History, MarketState, Policy, Side
from execopt.impact.base import ImpactModel
from execopt.impact.bookwalk import check_side
from execopt.impact.transient import ExponentialKernel, Kernel

__all__ = [
    "AtClose",
    "Event",
    "Overflow",
    "SessionSpan",
    "SimConfig",
    "SimResult",
    "simulate",
    "walk_fill",
]

FloatArray = NDArray[np.float64]
Overflow = Literal["carry", "drop"]
AtClose = Literal["force", "report_unfilled"]


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
        ``eta``: shorthand for ``transient=ExponentialKernel(eta, transient_half_life)``.
    transient_half_life : float
        Periods, ``> 0``.
    transient : Kernel or None
        The policy's own transient impact: a fill of ``f_s`` shares shifts period ``t``'s book
        by ``G(t - s) f_s`` for every ``t > s``, and the child order pays half its own
        displacement, ``1/2 G(0) f_t^2`` (the planner's ``1/2 x^T K x``, with the same kernel
        object; :mod:`execopt.impact.transient`). Overrides ``transient_impact``.
    session : "auto", (open, close) or None
        Minutes to step through: ``"auto"`` uses the minutes of the regular session 09:30-16:00
        that the data cover (:mod:`execopt.data.grid`: a partial day, an early close or a late
        start gives fewer periods, and the span is reported), or the data's own span when no
        book state falls in the regular session; None always the data's span.
    tz : str
        Exchange time zone.
    costs : ImpactModel or None
        Costs the replayed book cannot show, charged on every fill by the model's own
        ``cost`` (the planner's algebra, as cvxportfolio's ``SimulatorCost``): per-share fees
        (:class:`~execopt.impact.PerShareFee`) or any registered separable term. Recorded in the
        ``model_cost`` column and added to the shortfall. Every child order is marketable (it
        walks the book), so a fee schedule's *taker* fee is the one that applies.
    drift : float or array_like of shape (N,)
        Simulated drift of the market mid, dollars per share per period, in the price's
        direction (positive: the mid rises): the book of period ``t`` is shifted by
        ``sum_{s<t} drift_s`` on top of the replayed data (synthetic mode; 0 for a pure replay).
        The planner's term is :class:`~execopt.problem.terms.Drift`.
    max_gap : int or None
        Longest silence, minutes, over which a book is carried when the minute grid is built
        (:mod:`execopt.data.grid`); longer silences are missing minutes, not tradable.
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
    transient: Kernel | None = None
    drift: Any = 0.0
    max_gap: int | None = DEFAULT_MAX_GAP

    def __post_init__(self) -> None:
        check_side(self.side)
        check_max_gap(self.max_gap)
        if isinstance(self.drift, (bool, str)) or self.drift is None:
            raise InputError(
                f"drift must be a number or an array of dollars per share per period, got "
                f"{self.drift!r}."
            )
        d = np.asarray(self.drift, dtype=float)
        if d.ndim > 1 or not np.all(np.isfinite(d)):
            raise InputError(
                "drift must be a finite number or a one-dimensional array of finite numbers "
                "(dollars per share per period)."
            )
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
        if self.transient is not None and not isinstance(self.transient, Kernel):
            raise InputError(
                "transient must be a kernel (ExponentialKernel, PowerLawKernel, TabulatedKernel) "
                f"or None, got {type(self.transient).__name__}."
            )

    def kernel(self) -> Kernel | None:
        """The transient kernel the replay applies (``transient``, or the exponential one that
        ``transient_impact`` and ``transient_half_life`` describe).
        """
        if self.transient is not None:
            return self.transient
        if self.transient_impact > 0:
            return ExponentialKernel(self.transient_impact, self.transient_half_life)
        return None


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


SpanKind = Literal["minutes", "regular", "data", "given"]


@dataclass(frozen=True)
class SessionSpan:
    """Which minutes a replay steps through: ``kind`` for code, ``label`` for people.

    ``"minutes"``: a per-minute series as given; ``"regular"``: the regular session
    09:30-16:00; ``"data"``: the data's own span (the regular session is not covered, or the
    caller asked for it); ``"given"``: a session the caller named.
    """

    kind: SpanKind
    label: str


def _minute_series(
    book: BookSeries, config: SimConfig
) -> tuple[BookSeries, FloatArray, SessionSpan]:
    """Per-minute snapshots on the minute grid, minute volumes and the span stepped through.

    ``session="auto"``: the regular session's minutes that the data cover (a partial day, an
    early close or a late start gives fewer minutes; :mod:`execopt.data.grid`), or the data's
    own span when no book state falls inside the regular session.
    """
    if book.minutes is not None:
        grid = book.minute_grid()
        label = grid.label() if book.grid is not None else "per-minute series as given"
        return book, np.asarray(book.minute_volume(), dtype=float), SessionSpan("minutes", label)
    if len(book) == 0:
        raise DataError("the book series is empty: nothing to simulate.")
    tz, gap = config.tz, config.max_gap
    if config.session == "auto":
        try:
            snaps = book.minute_snapshots(tz, max_gap=gap)
            kind: SpanKind = "regular"
        except DataError:
            snaps = book.minute_snapshots(tz, None, gap)
            kind = "data"
        vol = np.asarray(snaps.minute_volume(), dtype=float)
        assert snaps.grid is not None
        prefix = "regular session: " if kind == "regular" else "the data's own span: "
        return snaps, vol, SessionSpan(kind, prefix + snaps.grid.label())
    sess = config.session
    snaps = book.minute_snapshots(tz, sess, gap)
    assert snaps.grid is not None
    span = (
        SessionSpan("data", "the data's own span: " + snaps.grid.label())
        if sess is None
        else SessionSpan("given", f"session {sess[0]}-{sess[1]}: " + snaps.grid.label())
    )
    return snaps, np.asarray(snaps.minute_volume(), dtype=float), span


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
        One row per period: ``period, ts, status, mid, market_mid, spread, decision, requested,
        filled, unfilled, carried, dropped, beyond_depth, avg_price, notional, cost_vs_mid,
        cost_vs_arrival, own_impact, model_cost, latency_s, remaining``. ``mid`` is the live
        mid the order saw (the replayed book shifted by the order's own impact and any
        simulated drift), ``market_mid`` the mid without the order's own impact; ``status`` is
        ``ok``, ``done``, ``halted``, ``missing`` (no data: not tradable), ``skipped:<why>``
        or ``forced_on_last_valid:<why>`` (then ``mid``, ``spread`` and ``market_mid`` are
        those of the book the fill walked).
    events : tuple of Event
    config : SimConfig
    session : str
        Which minutes were stepped through.
    info : dict
        The policy's own notes (``policy.info`` when it has one).
    book : BookSeries or None
        The per-minute series that was replayed (its trades give the interval VWAP of
        :mod:`execopt.execution.tca`).
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
    book: BookSeries | None = field(default=None, repr=False)
    _arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def column(self, name: str) -> np.ndarray:
        """One column of :attr:`fills` as a NumPy array (without pandas indexing: the TCA of
        many episodes reads a dozen columns of every result).
        """
        if name in self._arrays:
            return self._arrays[name]
        return np.asarray(self.fills[name].to_numpy())

    @property
    def filled(self) -> float:
        """Shares filled."""
        return float(np.sum(self.column("filled")))

    @property
    def unfilled(self) -> float:
        """Shares not filled: dropped ones plus those left at the close."""
        return float(np.sum(self.column("dropped")) + self.column("remaining")[-1])

    @property
    def fill_rate(self) -> float:
        """``filled / S`` (1 for an empty order)."""
        return self.filled / self.shares if self.shares > 0 else 1.0

    @property
    def cost(self) -> float:
        """Realised impact cost: dollars paid against each period's own mid."""
        return float(np.sum(self.column("cost_vs_mid")))

    @property
    def cost_vs_arrival(self) -> float:
        """Dollars paid against the arrival mid on the filled shares."""
        return float(np.sum(self.column("cost_vs_arrival")))

    @property
    def model_cost(self) -> float:
        """Dollars charged by ``config.costs`` (fees and other modelled terms) on the fills."""
        return float(np.sum(self.column("model_cost")))

    @property
    def opportunity_cost(self) -> float:
        """Unfilled shares marked at the final mid against the arrival mid, dollars."""
        sgn = 1.0 if self.side == "buy" else -1.0
        return sgn * (self.final_mid - self.arrival_mid) * self.unfilled

    @property
    def shortfall(self) -> float:
        """Implementation shortfall, dollars: execution cost vs arrival, modelled costs (fees)
        and opportunity cost.
        """
        return self.cost_vs_arrival + self.model_cost + self.opportunity_cost

    @property
    def shortfall_bps(self) -> float:
        """Shortfall in basis points of ``S`` times the arrival mid."""
        denom = self.shares * self.arrival_mid
        return 1e4 * self.shortfall / denom if denom > 0 else float("nan")

    @property
    def latency(self) -> FloatArray:
        """Wall-clock seconds of every policy call."""
        lat = np.asarray(self.column("latency_s"), dtype=float)
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
            "missing_periods": int((status == "missing").sum()),
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
        if s["missing_periods"]:
            lines.append(
                f"{s['missing_periods']} missing minute(s) (no data): not tradable, nothing sent"
            )
        for e in self.events_of("forced") + self.events_of("close"):
            lines.append(f"close: {e.detail}")
        return "\n".join(lines)


def simulate(
    book: BookSeries,
    policy: Policy,
    shares: float,
    config: SimConfig | None = None,
    *,
    previous: BookSeries | None = None,
    breaker: CircuitBreaker | None = None,
    var_limit: InventoryVaR | None = None,
    progress: bool = False,
    earlier: BookSeries | None = None,
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
    earlier : BookSeries, optional
        The same day's minutes before the order arrived (a per-minute series): visible to the
        policy through ``state.history.window`` and ``state.history.earlier`` (an episode that
        starts mid-day; :mod:`execopt.execution.episodes`).

    Returns
    -------
    SimResult

    Raises
    ------
    InputError
        Bad shares, a policy answer that is NaN, or ``S`` not a multiple of the lot.
    DataError
        An empty book series, or no period with a valid book.
    """
    cfg = config if config is not None else SimConfig()
    S = _check_shares(shares, cfg.lot)
    replay = _Replay(book, policy, S, cfg, previous, breaker, var_limit, earlier)
    steps: Any = range(replay.N)
    if progress:
        from tqdm import tqdm

        steps = tqdm(steps, desc=replay.name, leave=False, unit="min")
    for t in steps:
        replay.step(t)
    return replay.result()


def _check_shares(shares: Any, lot: float | None) -> float:
    if isinstance(shares, (bool, str)) or shares is None:
        raise InputError(f"shares must be a positive number, got {shares!r}.")
    S = float(shares)
    if not (np.isfinite(S) and S > 0):
        raise InputError(f"shares must be a positive number, got {shares!r}.")
    if lot is not None and abs(S / lot - round(S / lot)) > 1e-9:
        raise InputError(f"shares S = {S:g} is not a multiple of the lot {lot:g}.")
    return S


_COLUMNS = (
    "period", "ts", "status", "mid", "market_mid", "spread", "decision", "requested", "filled",
    "unfilled", "carried", "dropped", "beyond_depth", "avg_price", "notional", "cost_vs_mid",
    "cost_vs_arrival", "own_impact", "model_cost", "latency_s", "remaining",
)  # fmt: skip


def _drift_path(drift: Any, N: int) -> FloatArray:
    """``sum_{s<t} drift_s`` for ``t = 0..N-1``: the simulated drift's shift of each period."""
    d = np.asarray(drift, dtype=float)
    if d.ndim == 0:
        return float(d) * np.arange(N, dtype=float)
    if d.shape != (N,):
        raise InputError(
            f"drift has {d.shape[0]} values but the replay has N = {N} periods; give one value "
            "per period or a scalar."
        )
    return np.concatenate([[0.0], np.cumsum(d[:-1])])


class _OwnImpact:
    """The policy's own price footprint on later books: ``sgn (gamma sum_{s<t} f_s +
    sum_{s<t} G(t - s) f_s)`` dollars per share, and the half of its own displacement a child
    order pays (``1/2 G(0) f_t^2``), with the kernel the planner uses.
    """

    def __init__(self, cfg: SimConfig, N: int) -> None:
        self.gamma = cfg.permanent_impact
        self.kernel = cfg.kernel()
        self.g = self.kernel.values(N) if self.kernel is not None else np.zeros(N)
        self.fills = np.zeros(N)

    def shift(self, t: int) -> float:
        """Displacement of period ``t``'s book by the fills of periods before it."""
        if t == 0:
            return 0.0
        past = self.fills[:t]
        return float(self.gamma * past.sum() + past[::-1] @ self.g[1 : t + 1])

    def own_half(self, f: float) -> float:
        """``1/2 G(0) f^2``: the half of its own transient displacement a child order pays."""
        return 0.5 * float(self.g[0]) * f * f

    def record(self, t: int, f: float) -> None:
        self.fills[t] = f


class _Replay:
    """One order replayed period by period: the named steps of :func:`simulate`."""

    def __init__(
        self,
        book: BookSeries,
        policy: Policy,
        S: float,
        cfg: SimConfig,
        previous: BookSeries | None,
        breaker: CircuitBreaker | None,
        var_limit: InventoryVaR | None,
        earlier: BookSeries | None = None,
    ) -> None:
        snaps, volume, self.span = _minute_series(book, cfg)
        self.day = DayData.from_minutes(snaps, volume, earlier=earlier)
        self.N = self.day.N
        self.book, self.policy, self.S, self.cfg = book, policy, S, cfg
        self.previous, self.var_limit = previous, var_limit
        self.side: Side = cfg.side
        self.sgn = 1.0 if cfg.side == "buy" else -1.0
        self.name = str(getattr(policy, "name", type(policy).__name__))
        if hasattr(policy, "reset"):
            policy.reset()
        self.monitor = BreakerMonitor(breaker) if breaker is not None else None
        self.impact = _OwnImpact(cfg, self.N)
        self.drift = _drift_path(cfg.drift, self.N)
        self.own_shift = 0.0
        self.cols: dict[str, list[Any]] = {k: [] for k in _COLUMNS}
        self.events: list[Event] = []
        if self.span.kind not in ("regular", "minutes"):
            self.events.append(
                Event(0, str(self.day.minutes[0]), "session", f"stepping through {self.span.label}")
            )
        self.filled_arr = np.zeros(self.N)
        self.R = S
        self.carry = 0.0
        self.arrival = float("nan")
        self.last_mid = float("nan")
        self.last_valid: BookSnapshot | None = None
        self.valid_market_mid = float("nan")
        self.valid_own_shift = 0.0

    # ---- steps
    def preview(self, t: int) -> MarketState:
        """The state the policy will see at period ``t`` (before :meth:`step` runs it): for a
        basket replay, whose joint policy decides every leg from every leg's state at once.
        """
        snap = self._live_book(t)
        arrival = self.arrival
        if not np.isfinite(arrival) and snap.status == "ok":
            arrival = snap.mid
        hist = History(day=self.day, t=t, filled=self.filled_arr, previous=self.previous)
        return MarketState(t, self.N, self.S, self.side, self.R, self.carry, snap, hist, arrival)

    def step(self, t: int) -> None:
        """Period ``t``: live book, halt check, decision, fill, bookkeeping."""
        snap = self._live_book(t)
        last = t == self.N - 1
        ts = str(pd.Timestamp(self.day.minutes[t]).tz_localize("UTC"))
        status = "missing" if self.day.missing[t] else snap.status
        row = self._blank_row(t, snap, status)
        if status == "ok":
            self.last_valid = snap
            self.last_mid = snap.mid
            self.valid_market_mid = float(row["market_mid"])
            self.valid_own_shift = self.own_shift
            if not np.isfinite(self.arrival):
                self.arrival = snap.mid
        hist = History(day=self.day, t=t, filled=self.filled_arr, previous=self.previous)
        halted = self._halted(t, ts, snap, hist, last) if status == "ok" else False
        q, book_used = self._order(t, ts, snap, status, hist, last, halted, row)
        if q > 0 and book_used is not None:
            self._fill(t, ts, q, book_used, last, row)
        elif q > 0:  # forced close without any valid book
            self.events.append(
                Event(
                    t,
                    ts,
                    "close",
                    f"{q:,.2f} shares unpriceable at the close (no valid book all day): left "
                    "unfilled",
                )
            )
        if last and self.R > 0:
            self.events.append(
                Event(
                    t,
                    ts,
                    "close",
                    f"{self.R:,.2f} shares left unfilled at the close "
                    f"(at_close={self.cfg.at_close!r})",
                )
            )
        row["remaining"] = self.R
        for k, v in row.items():
            self.cols[k].append(v)

    def _live_book(self, t: int) -> BookSnapshot:
        """The minute's snapshot shifted by the order's own accumulated impact (against the
        order) and by any simulated drift of the market.
        """
        self.own_shift = self.impact.shift(t)
        shift = self.sgn * self.own_shift + self.drift[t]
        self.day.shift[t] = shift
        d = self.day
        return BookSnapshot(
            ts=d.minutes[t],
            bid_px=d.bid_px[t] + shift,
            ask_px=d.ask_px[t] + shift,
            bid_sz=d.bid_sz[t],
            ask_sz=d.ask_sz[t],
            side=self.side,
        )

    def _blank_row(self, t: int, snap: BookSnapshot, status: str) -> dict[str, Any]:
        market_mid = float(0.5 * (self.day.bid_px[t, 0] + self.day.ask_px[t, 0])) + self.drift[t]
        return {
            "period": t, "ts": self.day.minutes[t], "status": status, "mid": snap.mid,
            "market_mid": market_mid, "spread": snap.spread, "decision": np.nan,
            "requested": 0.0, "filled": 0.0, "unfilled": 0.0, "carried": 0.0, "dropped": 0.0,
            "beyond_depth": 0.0, "avg_price": np.nan, "notional": 0.0, "cost_vs_mid": 0.0,
            "cost_vs_arrival": 0.0, "own_impact": 0.0, "model_cost": 0.0, "latency_s": np.nan,
            "remaining": self.R,
        }  # fmt: skip

    def _halted(self, t: int, ts: str, snap: BookSnapshot, hist: History, last: bool) -> bool:
        if self.monitor is None or snap.status != "ok" or self.R <= 0:
            return False
        halted, ev = self.monitor.step(t, snap, hist, self.arrival, last)
        if ev is not None:
            self.events.append(Event(t, ts, ev[0], ev[1]))
        return halted

    def _order(
        self,
        t: int,
        ts: str,
        snap: BookSnapshot,
        status: str,
        hist: History,
        last: bool,
        halted: bool,
        row: dict[str, Any],
    ) -> tuple[float, BookSnapshot | None]:
        """The child order to send and the book it walks (the close rule and lot applied)."""
        book_used: BookSnapshot | None = snap if status == "ok" else None
        force = last and self.cfg.at_close == "force"
        if self.R <= 0:
            row["status"] = "done" if status == "ok" else f"skipped:{status}"
            return 0.0, None
        if halted:
            row["status"] = "halted"
            return 0.0, None
        if status != "ok" and not force:
            row["status"] = "missing" if status == "missing" else f"skipped:{status}"
            detail = (
                "missing minute (no data): not tradable, nothing sent, shares carried"
                if status == "missing"
                else f"{status} book: nothing sent, shares carried"
            )
            self.events.append(
                Event(t, ts, "missing" if status == "missing" else "skipped", detail)
            )
            return 0.0, None
        q = self._decide(t, ts, snap, hist, row) if status == "ok" else 0.0
        if force:
            q = self.R
            if status != "ok":
                book_used = self.last_valid
                row["status"] = f"forced_on_last_valid:{status}"
                if book_used is not None:  # the row describes the book the fill walks
                    row.update(
                        mid=book_used.mid,
                        spread=book_used.spread,
                        market_mid=self.valid_market_mid,
                    )
        lot = self.cfg.lot
        if lot is not None:
            q = min(round(q / lot) * lot, self.R)
        return q, book_used

    def _decide(
        self, t: int, ts: str, snap: BookSnapshot, hist: History, row: dict[str, Any]
    ) -> float:
        """Ask the policy (timed), clip to ``[0, R]``, apply the VaR floor."""
        state = MarketState(
            t, self.N, self.S, self.side, self.R, self.carry, snap, hist, self.arrival
        )
        t0 = perf_counter()
        raw = float(self.policy.decide(state))
        row["latency_s"] = perf_counter() - t0
        if np.isnan(raw):
            raise InputError(f"policy {self.name!r} returned NaN shares at period {t}.")
        row["decision"] = raw
        q = min(max(raw, 0.0), self.R)
        if self.var_limit is not None:
            floor = self.var_limit.min_trade(state)
            if floor > q:
                self.events.append(
                    Event(
                        t,
                        ts,
                        "var_floor",
                        f"VaR limit: sent {floor:,.0f} instead of {q:,.0f} shares",
                    )
                )
                q = min(floor, self.R)
        return q

    def _fill(
        self, t: int, ts: str, q: float, b: BookSnapshot, last: bool, row: dict[str, Any]
    ) -> None:
        """Walk the book; extrapolate beyond the depth at a forced close; carry or drop."""
        f, c, notional = walk_fill(b.px, b.sz, b.mid, q, self.side)
        extra = q - f
        if last and self.cfg.at_close == "force" and extra > 0:
            c2, n2 = _beyond_depth(b.px, b.sz, b.mid, extra, self.side)
            f, c, notional = q, c + c2, notional + n2
            row["beyond_depth"] = extra
            self.events.append(
                Event(
                    t,
                    ts,
                    "forced",
                    f"{extra:,.2f} shares beyond the visible depth filled at the close at "
                    "extrapolated prices",
                )
            )
        unfilled = q - f
        own = self.impact.own_half(f)
        row.update(
            requested=q,
            filled=f,
            unfilled=unfilled,
            avg_price=notional / f if f > 0 else np.nan,
            notional=notional,
            cost_vs_mid=c,
            cost_vs_arrival=self.sgn * (notional - f * self.arrival) if f > 0 else 0.0,
            # the shift from earlier fills is in the prices paid; the own half is charged here
            # (a book used at a forced close on the last valid book carries its own shift)
            own_impact=f * self.valid_own_shift + own,
        )
        row["cost_vs_arrival"] += own
        if self.cfg.overflow == "carry":
            self.R -= f
            self.carry = unfilled
            row["carried"] = unfilled
        else:
            self.R -= q
            self.carry = 0.0
            row["dropped"] = unfilled
        self.filled_arr[t] = f
        self.impact.record(t, f)
        if self.cfg.costs is not None and f > 0:
            row["model_cost"] = _model_cost(self.cfg.costs, t, f, self.N)

    def result(self) -> SimResult:
        if not np.isfinite(self.arrival):
            raise DataError(
                "no period has a valid (two-sided, uncrossed) book: nothing to simulate."
            )
        info = dict(getattr(self.policy, "info", {}) or {})
        arrays = {
            k: np.asarray(v, dtype=object if k in ("status", "ts") else np.float64)
            for k, v in self.cols.items()
            if k != "ts"
        }
        for v in arrays.values():
            v.flags.writeable = False
        return SimResult(
            policy=self.name,
            symbol=self.book.symbol,
            side=self.side,
            shares=self.S,
            arrival_mid=self.arrival,
            final_mid=self.last_mid,
            fills=pd.DataFrame(self.cols),
            events=tuple(self.events),
            config=self.cfg,
            session=self.span.label,
            info=info,
            book=self.day.book,
            _arrays=arrays,
        )
