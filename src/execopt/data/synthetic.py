"""Seeded synthetic order books: calibrated presets and books with a known impact law.

Two generators:

:func:`synthetic_book`
    An event-level book day calibrated to published statistics (mean mid, mean quoted spread,
    mean 10-level depth per side) with intraday U-shapes in spread, depth, volatility, event
    rate and traded volume (all high at the open and the close), a $0.01 tick, 10 levels whose
    sizes grow with depth, a mid random walk, and trades.  Knobs for later work:
    ``liquidity_shift`` (depth scaled from a minute on), ``spread_spike`` (spread scaled over a
    window), ``volatility_regimes`` (volatility scaled from given minutes on).

:func:`synthetic_book_from_impact`
    One book per minute laid out so that the cost of walking it is a known quadratic
    ``a_t x + b_t x**2`` up to an exactly known, bounded error; for testing estimators.

Glossary
--------
a, b
    Per-minute coefficients of the total cost ``C(x) = a x + b x**2`` (dollars) of buying
    ``x`` shares against the mid: ``a`` in dollars per share, ``b`` in dollars per share².
s
    Shares per level (``level_size``).
U-shape
    ``u(tau) = 1 + A ((2 tau - 1)**2 - 1/3)`` over the session fraction ``tau``, rescaled to
    mean one; ``A > 0`` is high at the open and the close.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from execopt._validate import check_date, check_int, check_real, check_seed, check_timezone
from execopt.data.book import (
    NS_PER_MINUTE,
    BookSeries,
    Trades,
    _local_to_utc,
    _parse_hhmm,
)
from execopt.data.validation import ValidationReport
from execopt.errors import InputError

__all__ = [
    "PRESETS",
    "SyntheticPreset",
    "intraday_shape",
    "propagator_path",
    "session_minute_starts",
    "synthetic_book",
    "synthetic_book_from_impact",
    "synthetic_days",
]

SeedLike = int | np.random.Generator | np.random.SeedSequence | None


@dataclass(frozen=True)
class SyntheticPreset:
    """Calibration of a synthetic stock.

    Attributes
    ----------
    symbol : str
    mid : float
        Target mean mid price over all rows, dollars.
    spread : float
        Target mean quoted spread over all rows, dollars (>= one tick).
    depth_bid, depth_ask : float
        Target mean 10-level depth per side over all rows, shares.
    daily_volume : float
        Shares traded in a 390-minute day.
    daily_volatility : float
        Standard deviation of the day's log mid return.
    events_per_minute : float
        Mean book updates per minute.
    trades_per_minute : float
        Mean trades per minute.
    level_gap_ticks : float
        Mean distance in ticks between adjacent price levels (>= 1; 1 means a dense book).
    size_growth : float
        Mean size of level k is proportional to ``1 + size_growth * k``.
    spread_u, depth_u, volume_u, volatility_u, events_u : float
        U-shape amplitudes ``A`` (see module glossary); 0 is flat.
    tick : float
    source : str
        Where each number comes from; unpublished numbers are marked *assumed*.
    """

    symbol: str
    mid: float
    spread: float
    depth_bid: float
    depth_ask: float
    daily_volume: float
    daily_volatility: float
    events_per_minute: float
    trades_per_minute: float
    level_gap_ticks: float
    size_growth: float = 0.05
    spread_u: float = 1.0
    depth_u: float = 0.6
    volume_u: float = 2.0
    volatility_u: float = 1.5
    events_u: float = 1.0
    tick: float = 0.01
    source: str = ""

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float) and not np.isfinite(v):
                raise InputError(f"preset {self.symbol}: {f.name} must be finite, got {v}")
        if self.spread < self.tick:
            raise InputError(f"preset {self.symbol}: spread {self.spread} below one tick")
        if self.level_gap_ticks < 1:
            raise InputError(f"preset {self.symbol}: level_gap_ticks must be >= 1")
        for name in ("mid", "depth_bid", "depth_ask", "events_per_minute", "tick"):
            if getattr(self, name) <= 0:
                raise InputError(f"preset {self.symbol}: {name} must be > 0")
        for name in ("spread_u", "depth_u", "volume_u", "volatility_u", "events_u"):
            if not -1.5 < getattr(self, name) < 3.0:
                raise InputError(f"preset {self.symbol}: {name} must be in (-1.5, 3)")


_PUBLISHED = (
    "mid, spread and 10-level depth: published summary statistics for 2025-04-30 to "
    "2025-05-02 (../shared/data/README.md, 'Published summary statistics')"
)
_ROWS = "events per minute: published row count / 3 days / 390 minutes"

PRESETS: dict[str, SyntheticPreset] = {
    "CRWV": SyntheticPreset(
        symbol="CRWV",
        mid=46.73,
        spread=0.0732,
        depth_bid=1704.0,
        depth_ask=1775.0,
        daily_volume=630_000.0,
        daily_volatility=0.08,
        events_per_minute=268_426 / 3 / 390,
        trades_per_minute=25.0,
        level_gap_ticks=2.0,
        source=f"{_PUBLISHED}; {_ROWS} (268,426 rows); daily volume, volatility, trade rate "
        "and level gaps assumed (scaled from FROG 2025-04-03 by event rate; CRWV was very "
        "volatile in April 2025)",
    ),
    "FROG": SyntheticPreset(
        symbol="FROG",
        mid=34.36,
        spread=0.0512,
        depth_bid=1370.0,
        depth_ask=1403.0,
        daily_volume=232_833.0,
        daily_volatility=0.026,
        events_per_minute=55_901 / 3 / 390,
        trades_per_minute=9.8,
        level_gap_ticks=2.0,
        source=f"{_PUBLISHED}; {_ROWS} (55,901 rows); daily volume, volatility, trade rate "
        "and level gaps measured on FROG 2025-04-03 (mbp10/FROG_2025-04-03.csv.gz)",
    ),
    "SOUN": SyntheticPreset(
        symbol="SOUN",
        mid=9.37,
        spread=0.0116,
        depth_bid=35_066.0,
        depth_ask=34_796.0,
        daily_volume=1_060_000.0,
        daily_volatility=0.06,
        events_per_minute=455_127 / 3 / 390,
        trades_per_minute=40.0,
        level_gap_ticks=1.0,
        source=f"{_PUBLISHED}; {_ROWS} (455,127 rows); daily volume, volatility, trade rate "
        "assumed (scaled from FROG 2025-04-03 by event rate); levels one tick apart since the "
        "mean spread is 1.16 ticks",
    ),
    "FROG_2025-04-03": SyntheticPreset(
        symbol="FROG",
        mid=31.45,
        spread=0.070,
        depth_bid=2026.0,
        depth_ask=1513.0,
        daily_volume=232_833.0,
        daily_volatility=0.026,
        events_per_minute=33_286 / 390,
        trades_per_minute=3_817 / 390,
        level_gap_ticks=2.0,
        source="FROG 2025-04-03 facts in ../shared/data/README.md (mid mean $31.45, spread "
        "mean $0.070, depth 2,026 / 1,513, 33,286 rows); volume 232,833 shares, 3,817 trades "
        "and 2.6 % daily volatility measured on mbp10/FROG_2025-04-03.csv.gz",
    ),
}


def _rng(seed: SeedLike) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def intraday_shape(n: int, amplitude: float) -> np.ndarray:
    """The shape of market activity through the session (spread, depth, volume multipliers, and
    the policies' volume prior) over ``n`` periods: mean one, high at both ends for
    ``amplitude > 0``. (Not :func:`execopt.studies.cases.u_shape`, the studies' parameter
    profile, which is ``1 + A`` times higher at the ends than midday.).

    ``u_k = 1 + A ((2 tau_k - 1)**2 - 1/3)`` at ``tau_k = (k + 1/2) / n``, divided by its mean.
    """
    check_int("n", n, minimum=1)  # input guards
    check_real("amplitude", amplitude, finite=True)
    tau = (np.arange(n) + 0.5) / n
    u = 1.0 + amplitude * ((2.0 * tau - 1.0) ** 2 - 1.0 / 3.0)
    if np.any(u <= 0):
        raise InputError(f"U-shape amplitude {amplitude} makes the shape non-positive")
    return u / u.mean()


def session_minute_starts(
    date: str, periods: int, *, tz: str = "America/New_York", open_time: str = "09:30"
) -> np.ndarray:
    """UTC starts (datetime64[ns]) of ``periods`` consecutive minutes from ``open_time`` local."""
    try:
        day = np.datetime64(date, "D")
    except ValueError as exc:
        raise InputError(f"date must be YYYY-MM-DD, got {date!r}") from exc
    if periods < 1:
        raise InputError(f"periods must be >= 1, got {periods}")
    open_ns = _parse_hhmm(open_time) * NS_PER_MINUTE
    wall = day.astype("datetime64[ns]") + np.timedelta64(open_ns, "ns")
    start = _local_to_utc(np.array([wall]), tz)[0]
    return start + (np.arange(periods, dtype=np.int64) * NS_PER_MINUTE).astype("timedelta64[ns]")


def _preset(preset: str | SyntheticPreset) -> SyntheticPreset:
    if isinstance(preset, SyntheticPreset):
        return preset
    try:
        return PRESETS[preset]
    except KeyError:
        raise InputError(
            f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)} or pass a "
            "SyntheticPreset"
        ) from None


def _minute_factor(
    periods: int, changes: Sequence[tuple[int, float]] | None, what: str
) -> np.ndarray:
    f = np.ones(periods)
    for minute, factor in changes or ():
        if not (np.isfinite(factor) and factor > 0):
            raise InputError(f"{what} factor must be finite and > 0, got {factor}")
        if not 0 <= int(minute) < periods:
            raise InputError(f"{what} minute {minute} outside 0..{periods - 1}")
        f[int(minute) :] = factor
    return f


def _check_propagator(
    transient: ArrayLike | None, permanent: float, periods: int
) -> tuple[np.ndarray | None, float]:
    """Validated ``(G(0..periods-1) or None, gamma)``; None when neither is given."""
    try:
        gamma = float(permanent)
    except (TypeError, ValueError):
        raise InputError(f"permanent must be a number >= 0, got {permanent!r}") from None
    if not (np.isfinite(gamma) and gamma >= 0):
        raise InputError(
            f"permanent must be a finite number >= 0 (gamma, dollars per share per share), "
            f"got {permanent!r}"
        )
    if transient is None:
        return (None, 0.0) if gamma == 0 else (np.zeros(periods), gamma)
    g = np.asarray(transient, dtype=np.float64).ravel()
    if g.size < periods:
        raise InputError(
            f"transient must hold at least periods = {periods} kernel values G(0), G(1), ..., "
            f"got {g.size}; e.g. ExponentialKernel(...).values({periods})"
        )
    if not (np.all(np.isfinite(g)) and np.all(g >= 0)):
        raise InputError("transient kernel values must be finite and >= 0")
    return g[:periods].copy(), gamma


def propagator_path(
    kernel: ArrayLike,
    gamma: float,
    minute_of_row: ArrayLike,
    trade_row: ArrayLike,
    signed_size: ArrayLike,
    periods: int,
) -> np.ndarray:
    """Mid displacement, in dollars, at each book row caused by the trades (the discrete model).

    The convention of :mod:`execopt.impact.propagator`, at the book's own rows: with ``v_s``
    the signed shares traded in minute ``s`` (buyer-initiated ``+``) and ``R(l) = G(l) +
    gamma`` for ``l >= 1``, a row in minute ``t`` is displaced by

        ``sum_{s < t} R(t - s) v_s  +  G(0) * (signed shares traded in minute t up to and
        including this row)``,

    so a trade moves the mid by ``G(0)`` per share at once, by ``G(l) + gamma`` per share
    ``l`` minutes later, and the decay happens at minute boundaries. The minute-mean of this
    path is what the estimator fits, and what the optimiser's transient cost ``1/2 x^T K x``
    and permanent cost ``gamma (S^2 - sum x^2) / 2`` charge a schedule that trades evenly
    through each minute.

    Parameters
    ----------
    kernel : array_like of shape (periods,)
        ``G(0), ..., G(periods - 1)``, dollars per share per share.
    gamma : float
        Permanent impact, dollars per share per share.
    minute_of_row : array_like of int, shape (n_rows,)
        Minute ``0 .. periods-1`` of each row (non-decreasing).
    trade_row : array_like of int, shape (n_trades,)
        Row of each trade (the row holds the book after it).
    signed_size : array_like, shape (n_trades,)
        Shares, ``+`` buyer-initiated, ``-`` seller-initiated.
    periods : int

    Returns
    -------
    ndarray of shape (n_rows,)
    """
    g = np.asarray(kernel, dtype=np.float64)[:periods]
    mrow = np.asarray(minute_of_row, dtype=np.int64)
    rows = np.asarray(trade_row, dtype=np.int64)
    q = np.asarray(signed_size, dtype=np.float64)
    n = mrow.shape[0]
    v = np.bincount(mrow[rows], weights=q, minlength=periods)
    R = g + gamma
    # carried[t] = sum_{s < t} R(t - s) v_s
    carried = np.convolve(v, np.concatenate([[0.0], R[1:]]))[:periods]
    per_row = np.bincount(rows, weights=q, minlength=n)
    cum = np.cumsum(per_row)
    first = np.searchsorted(mrow, np.arange(periods), side="left")
    before = np.concatenate([[0.0], cum])[first]  # signed shares before each minute's first row
    own = cum - before[mrow]
    return np.asarray(carried[mrow] + g[0] * own, dtype=np.float64)


def synthetic_book(
    preset: str | SyntheticPreset = "FROG",
    *,
    seed: SeedLike = 0,
    periods: int = 390,
    date: str = "2025-04-03",
    events_per_minute: float | None = None,
    levels: int = 10,
    liquidity_shift: tuple[int, float] | None = None,
    spread_spike: tuple[int, int, float] | None = None,
    volatility_regimes: Sequence[tuple[int, float]] | None = None,
    transient: ArrayLike | None = None,
    permanent: float = 0.0,
    tz: str = "America/New_York",
) -> BookSeries:
    """Generate a seeded, calibrated event-level book day.

    Construction (all per row unless said otherwise; minute ``t`` of ``periods``):

    * events per minute ``n_t = max(1, Poisson(events_per_minute * U_events(t)))`` at uniform
      random times inside the minute;
    * spread in ticks ``1 + Poisson((spread / tick - 1) * U_spread(t))``, with the U-shape
      normalised to mean one over *rows*, so the row mean of the spread is the preset's;
    * log mid: a random walk with per-minute variance
      ``daily_volatility**2 * U_vol(t) / 390``, split evenly over the minute's events, then
      scaled so its row mean is the preset's mid; best bid ``round(mid / tick - ticks / 2)``
      ticks and best ask ``ticks`` above;
    * deeper levels ``1 + Poisson(level_gap_ticks - 1)`` ticks apart; level k's mean size
      proportional to ``1 + size_growth * k``, summing to ``depth_bid`` / ``depth_ask`` over
      10 levels, times ``U_depth(t)`` (row-normalised) and mean-one log-normal noise (sigma
      0.5), rounded to whole shares (at least 1);
    * trades: ``1 + Poisson(trades_per_minute * U_volume(t))`` per minute sharing the
      minute's volume ``daily_volume / 390 * U_volume(t) * LogNormal(sigma 0.3)`` in
      exponential proportions, each at a random event of the minute, side B or A with equal
      probability, at the best ask (B) or best bid (A);
    * optionally a propagator (``transient`` and/or ``permanent`` given): the trades move the
      mid by a known kernel before the levels are laid out, see :func:`propagator_path`; each
      minute then opens with one extra row, a re-quote at the minute's start (a copy of the
      state before it, moved to the decayed level), since the discrete model decays at minute
      boundaries.

    With the default knobs the row means of mid, spread and 10-level depth match the preset
    in expectation (tests hold them within 1 %, 5 % and 5 %).

    Parameters
    ----------
    preset : str or SyntheticPreset
        A key of :data:`PRESETS` or a custom preset.
    seed : int, Generator, SeedSequence or None
        Same seed, same book (bit for bit).
    periods : int
        Minutes from 09:30 local on ``date``; 390 is a full session. Fewer minutes make a
        partial day: its minute grid (:meth:`BookSeries.minute_grid`) covers the minutes
        generated and lists the rest of the session as not covered.
    date : str
    events_per_minute : float, optional
        Overrides the preset's event rate (fewer events = faster tests).
    levels : int
        Levels per side (1..10); calibration targets assume 10.
    liquidity_shift : (minute, factor), optional
        Multiply every level's size by ``factor`` from ``minute`` on.
    spread_spike : (start_minute, end_minute, factor), optional
        Multiply the spread (in ticks, rounded, at least one) by ``factor`` for minutes
        ``start <= t < end``.
    volatility_regimes : sequence of (minute, factor), optional
        Multiply the mid volatility by ``factor`` from each ``minute`` on (later entries win).
    transient : array_like, optional
        Kernel values ``G(0), G(1), ...`` (at least ``periods`` of them, ``>= 0``), dollars per
        share per share per minute of lag: the trades' own-flow price response (the mid moves
        by :func:`propagator_path`). Default none: the mid ignores the trades.
    permanent : float
        ``gamma >= 0``, dollars per share per share: the permanent part of that response.
    tz : str
        Exchange time zone.

    Returns
    -------
    BookSeries
        Validated (policy "raise"); ``source`` is ``("synthetic:<preset>:seed=<seed>",)``.
        Without ``transient`` and ``permanent`` the book is bit for bit the one earlier
        versions generated; with them the random draws are the same and only the prices
        move.
    """
    check_seed("seed", seed, sequence=True, upper=None)  # input guards
    check_int("periods", periods, minimum=1)
    check_int("levels", levels)
    check_date("date", date)
    check_real("events_per_minute", events_per_minute, allow_none=True)
    check_timezone("tz", tz)
    p = _preset(preset)
    if not 1 <= levels <= 10:
        raise InputError(f"levels must be in 1..10, got {levels}")
    rng = _rng(seed)
    P = int(periods)
    kernel, gamma = _check_propagator(transient, permanent, P)
    minutes = session_minute_starts(date, P, tz=tz)
    epm = p.events_per_minute if events_per_minute is None else float(events_per_minute)
    if not epm > 0:
        raise InputError(f"events_per_minute must be > 0, got {events_per_minute}")

    def shape(amplitude: float) -> np.ndarray:
        # U-shape over the periods, positioned in a 390-minute session when P <= 390.
        span = max(P, 390)
        return intraday_shape(span, amplitude)[:P]

    n_t = np.maximum(1, rng.poisson(epm * shape(p.events_u)))
    N = int(n_t.sum())
    minute_of_row = np.repeat(np.arange(P), n_t)

    def row_norm(u: np.ndarray) -> np.ndarray:
        return u / (float((u * n_t).sum()) / N)

    offsets = (rng.random(N) * NS_PER_MINUTE).astype(np.int64)
    ts = minutes.view(np.int64)[minute_of_row] + offsets
    ts.sort()

    # Spread in ticks.
    lam = (p.spread / p.tick - 1.0) * row_norm(shape(p.spread_u))[minute_of_row]
    ticks = 1 + rng.poisson(lam)
    if spread_spike is not None:
        s0, s1, f = spread_spike
        if not (0 <= s0 < s1 <= P and np.isfinite(f) and f > 0):
            raise InputError(
                f"spread_spike must be (start, end, factor) with 0 <= start < end <= {P} and "
                f"factor > 0, got {spread_spike}"
            )
        in_spike = (minute_of_row >= s0) & (minute_of_row < s1)
        ticks[in_spike] = np.maximum(1, np.rint(ticks[in_spike] * f)).astype(ticks.dtype)

    # Mid random walk.
    sig_min = p.daily_volatility * np.sqrt(shape(p.volatility_u) / 390.0)
    sig_min = sig_min * _minute_factor(P, volatility_regimes, "volatility_regimes")
    step = sig_min[minute_of_row] / np.sqrt(n_t[minute_of_row])
    logp = np.cumsum(step * rng.standard_normal(N))
    price = np.exp(logp - logp.max())
    price *= p.mid / price.mean()

    # Level prices in ticks.
    L = levels
    gap_extra = max(p.level_gap_ticks - 1.0, 0.0)
    bid_gaps = 1 + rng.poisson(gap_extra, size=(N, L - 1))
    ask_gaps = 1 + rng.poisson(gap_extra, size=(N, L - 1))
    decimals = max(0, int(np.ceil(-np.log10(p.tick))) + 2)

    def level_prices(mid_price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bid0 = np.rint(mid_price / p.tick - ticks / 2.0).astype(np.int64)
        ask0 = bid0 + ticks
        zero = np.zeros((N, 1), np.int64)
        bid_t = bid0[:, None] - np.concatenate([zero, np.cumsum(bid_gaps, 1)], 1)
        ask_t = ask0[:, None] + np.concatenate([zero, np.cumsum(ask_gaps, 1)], 1)
        if bid_t.min() < 1:
            raise InputError(
                f"preset {p.symbol}: the book reaches non-positive prices; raise the mid, "
                "reduce level gaps (or the propagator's strength)"
            )
        return np.round(bid_t * p.tick, decimals), np.round(ask_t * p.tick, decimals)

    bid_px, ask_px = level_prices(price)

    # Sizes.
    w = 1.0 + p.size_growth * np.arange(10)
    w = (w / w.sum())[:L]
    depth_f = row_norm(shape(p.depth_u))
    if liquidity_shift is not None:
        m0, f = liquidity_shift
        depth_f = depth_f * _minute_factor(P, [(m0, f)], "liquidity_shift")
    sigma = 0.5
    sizes = []
    for total in (p.depth_bid, p.depth_ask):
        mean = total * w[None, :] * depth_f[minute_of_row][:, None]
        noise = np.exp(sigma * rng.standard_normal((N, L)) - sigma**2 / 2.0)
        sizes.append(np.maximum(1.0, np.rint(mean * noise)))
    bid_sz, ask_sz = sizes

    # Trades.
    vol_u = shape(p.volume_u)
    k_t = 1 + rng.poisson(p.trades_per_minute * vol_u)
    V_t = p.daily_volume / 390.0 * vol_u * np.exp(0.3 * rng.standard_normal(P) - 0.045)
    K = int(k_t.sum())
    tmin = np.repeat(np.arange(P), k_t)
    g = rng.exponential(size=K)
    share = g / np.bincount(tmin, weights=g, minlength=P)[tmin]
    tsize = np.rint(V_t[tmin] * share)
    first_row = np.concatenate([[0], np.cumsum(n_t)[:-1]])
    row = first_row[tmin] + (rng.random(K) * n_t[tmin]).astype(np.int64)
    buy = rng.random(K) < 0.5
    ok = tsize >= 1
    order = np.argsort(row[ok], kind="stable")
    row, buy, tsize = row[ok][order], buy[ok][order], tsize[ok][order]
    if kernel is not None:
        # The propagator moves the mid after the trades were drawn (no further random draws,
        # so the book without it is unchanged); level gaps and spreads stay as drawn. The
        # discrete model decays at minute boundaries, so each minute opens with a re-quote: a
        # copy of the state before it (minute 0: of its first row) at the minute's start.
        copy = np.maximum(first_row - 1, 0)
        src = np.insert(np.arange(N), first_row, copy)  # the row each new row copies
        minute_of_row = np.insert(minute_of_row, first_row, np.arange(P))
        ts = np.insert(ts, first_row, minutes.view(np.int64))
        row = row + np.searchsorted(first_row, row, side="right")  # rows inserted before
        price, ticks = price[src], ticks[src]
        bid_gaps, ask_gaps = bid_gaps[src], ask_gaps[src]
        bid_sz, ask_sz = bid_sz[src], ask_sz[src]
        N = N + P
        signed = np.where(buy, tsize, -tsize)
        impact = propagator_path(kernel, gamma, minute_of_row, row, signed, P)
        bid_px, ask_px = level_prices(price + impact)
    trades = Trades(
        ts[row].view("datetime64[ns]"),
        np.where(buy, ask_px[row, 0], bid_px[row, 0]),
        tsize,
        np.where(buy, "B", "A"),
    )

    seed_txt = seed if isinstance(seed, int) or seed is None else type(seed).__name__
    book = BookSeries.from_arrays(
        ts.view("datetime64[ns]"),
        bid_px,
        ask_px,
        bid_sz,
        ask_sz,
        symbol=p.symbol,
        trades=trades,
        source=(f"synthetic:{p.symbol}:seed={seed_txt}",),
        policy="raise",
    )
    notes = [f"synthetic book from preset {p.symbol} ({P} minutes, {N:,} events)"]
    if liquidity_shift is not None:
        notes.append(
            f"liquidity_shift: depth x{liquidity_shift[1]} from minute {liquidity_shift[0]}"
        )
    if spread_spike is not None:
        notes.append(
            f"spread_spike: spread x{spread_spike[2]} in minutes "
            f"[{spread_spike[0]}, {spread_spike[1]})"
        )
    if volatility_regimes:
        notes.append(f"volatility_regimes: {list(volatility_regimes)}")
    if kernel is not None:
        notes.append(
            f"propagator: the trades move the mid by G(0) = {kernel[0]:g}, G(1) = "
            f"{kernel[1] if P > 1 else float('nan'):g}, ... and gamma = {gamma:g} dollars per "
            "share per share (propagator_path)"
        )
    return book.replace(validation=book.validation.with_updates(notes=tuple(notes)))


def synthetic_days(
    preset: str | SyntheticPreset = "FROG",
    days: int = 5,
    *,
    seed: SeedLike = 0,
    start: str = "2025-04-03",
    **options: Any,
) -> BookSeries:
    """``days`` consecutive weekdays of :func:`synthetic_book`, from ``start``, as one series.

    Each day draws from its own child of ``SeedSequence(seed)`` (independent days, the same
    for the same seed); ``options`` go to every day (``periods``, ``events_per_minute``, ...).

    Examples
    --------
    >>> b = synthetic_days("FROG", 2, seed=1, periods=5, events_per_minute=3)
    >>> [d["date"] for d in b.minute_grid().spans()]
    ['2025-04-03', '2025-04-04']
    """
    n = int(days)
    if isinstance(days, bool) or n < 1 or n != days:
        raise InputError(f"days must be a whole number >= 1, got {days!r}.")
    base = (
        seed
        if isinstance(seed, np.random.SeedSequence)
        else np.random.SeedSequence(seed if isinstance(seed, int) else None)
    )
    if isinstance(seed, np.random.Generator):
        base = np.random.SeedSequence(int(seed.integers(2**63)))
    dates = np.busday_offset(np.datetime64(start, "D"), np.arange(n), roll="forward")
    books = [
        synthetic_book(preset, seed=child, date=str(d), **options)
        for child, d in zip(base.spawn(n), dates, strict=True)
    ]
    return BookSeries.concat(books)


def synthetic_book_from_impact(
    a: float | Sequence[float] | np.ndarray,
    b: float | Sequence[float] | np.ndarray,
    *,
    level_size: float | Sequence[float] | np.ndarray = 100.0,
    levels: int = 10,
    periods: int | None = None,
    mid: float | Sequence[float] | np.ndarray = 30.0,
    volume: float | Sequence[float] | np.ndarray | None = None,
    tick: float | None = None,
    date: str = "2025-04-03",
    symbol: str = "SYN",
    tz: str = "America/New_York",
) -> BookSeries:
    """One book per minute whose walk cost is a known quadratic ``a_t x + b_t x**2``.

    Minute ``t``'s ask side has ``levels`` levels of ``s = level_size_t`` shares each, level
    ``k`` (0-based) at price

        ``ask_px[t, k] = mid_t + a_t + 2 b_t s (k + 1/2)``

    and the bid side mirrors it (``bid_px[t, k] = mid_t - a_t - 2 b_t s (k + 1/2)``), so the
    cost of selling equals the cost of buying.  Level ``k`` sits at the marginal price of the
    continuous book ``p(q) = mid + a + 2 b q`` evaluated at the centre of the level's share
    range ``[k s, (k + 1) s)``.

    Exact relationship.  For a book with continuous depth density and marginal price
    ``p(q)`` the walk cost ``∫_0^x (p(q) - mid) dq`` is exactly ``a x + b x**2``.  With the
    discrete levels above, for ``0 <= x <= levels * s`` write ``x = m s + r`` with
    ``m = floor(x / s)`` and ``0 <= r < s``; then

        ``C(x) = a x + b x**2 + b r (s - r)``,

    so the error is zero at whole levels (``r = 0``), never negative, and at most
    ``b s**2 / 4`` (at half levels); relative to ``b x**2`` it is at most
    ``s**2 / (4 x**2)``.  Beyond ``levels * s`` shares the book is exhausted.  A least-squares
    fit of ``a x + b x**2`` on whole-level points recovers ``a`` and ``b`` exactly.

    With ``b_t = 0`` the whole depth ``levels * s`` sits in level 0 at ``mid + a`` (other
    levels absent), and ``C(x) = a x`` exactly.  With ``tick`` given, ask prices are rounded
    up and bid prices down to the tick grid, which adds between 0 and ``tick`` per share to
    the cost.

    Parameters
    ----------
    a, b : float or array of length ``periods``
        ``a >= 0`` (dollars per share), ``b >= 0`` (dollars per share²).
    level_size : float or array
        Shares per level ``s > 0``.
    levels : int
    periods : int, optional
        Number of minutes; default the length of the longest array argument, else 390.
    mid : float or array
        Mid price per minute.
    volume : float or array, optional
        Shares traded per minute: one trade per minute of that size, side 'N', at the mid,
        30 s into the minute (so :meth:`BookSeries.minute_volume` returns it).
    tick : float, optional
        Round prices to this grid (default: exact prices).
    date, symbol, tz
        Minute ``t`` starts at 09:30 + t local time on ``date``; its row is stamped at the
        minute start.

    Returns
    -------
    BookSeries
        One row per minute, so ``minute_snapshots()`` returns the same books.
    """
    arrays = {"a": a, "b": b, "level_size": level_size, "mid": mid}
    if volume is not None:
        arrays["volume"] = volume
    lengths = [np.size(v) for v in arrays.values() if np.ndim(v) > 0]
    P = int(periods) if periods is not None else (max(lengths) if lengths else 390)
    vals: dict[str, np.ndarray] = {}
    for name, v in arrays.items():
        arr = np.asarray(v, dtype=np.float64)
        if arr.ndim == 0:
            arr = np.full(P, float(arr))
        if arr.shape != (P,):
            raise InputError(f"{name} must be a scalar or have length {P}, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise InputError(f"{name} must be finite")
        vals[name] = arr
    if np.any(vals["a"] < 0) or np.any(vals["b"] < 0):
        raise InputError("a and b must be >= 0 (a convex, non-negative impact)")
    if np.any(vals["level_size"] <= 0):
        raise InputError("level_size must be > 0")
    if levels < 1:
        raise InputError(f"levels must be >= 1, got {levels}")
    A, B, s, m = vals["a"], vals["b"], vals["level_size"], vals["mid"]
    k = np.arange(levels) + 0.5
    offset = A[:, None] + 2.0 * B[:, None] * s[:, None] * k[None, :]
    ask_px = m[:, None] + offset
    bid_px = m[:, None] - offset
    ask_sz = np.repeat(s[:, None], levels, axis=1)
    bid_sz = ask_sz.copy()
    flat = B == 0
    if flat.any():
        for px in (ask_px, bid_px):
            px[flat, 1:] = np.nan
        for sz in (ask_sz, bid_sz):
            sz[flat, 0] = levels * s[flat]
            sz[flat, 1:] = 0.0
        ask_px[flat, 0] = m[flat] + A[flat]
        bid_px[flat, 0] = m[flat] - A[flat]
    if tick is not None:
        if not tick > 0:
            raise InputError(f"tick must be > 0, got {tick}")
        ask_px = np.ceil(np.round(ask_px / tick, 9)) * tick
        bid_px = np.floor(np.round(bid_px / tick, 9)) * tick
    if np.nanmin(bid_px) <= 0:
        raise InputError("the bid side reaches non-positive prices; raise mid or lower a, b")
    minutes = session_minute_starts(date, P, tz=tz)
    if volume is not None:
        vol = vals["volume"]
        if np.any(vol < 0):
            raise InputError("volume must be >= 0")
        sel = vol > 0
        trades = Trades(
            (minutes + np.timedelta64(30 * 10**9, "ns"))[sel],
            m[sel],
            vol[sel],
            np.full(int(sel.sum()), "N"),
        )
    else:
        trades = Trades.empty()
    book = BookSeries.from_arrays(
        minutes,
        bid_px,
        ask_px,
        bid_sz,
        ask_sz,
        symbol=symbol,
        trades=trades,
        source=("synthetic:from_impact",),
        policy="raise",
    )
    note = (
        "synthetic_book_from_impact: walk cost a x + b x^2 + b r (s - r), r = x mod s "
        f"({'exact prices' if tick is None else f'prices rounded to tick {tick}'})"
    )
    report: ValidationReport = book.validation.with_updates(notes=(note,))
    return book.replace(validation=report)
