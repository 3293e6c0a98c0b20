"""The propagator fit: transient and permanent impact estimated from a book's own trades.

:class:`PropagatorFit` fits, from one event-level book day, the kernel ``G`` and the permanent
impact ``gamma`` that :class:`~execopt.ExecutionProblem` takes as ``transient=`` and
``permanent=``, with block-bootstrap confidence intervals over whole minutes, buy- and
sell-initiated flow separately (with a test of asymmetry), and mark-outs of the trades at +1 ..
+60 minutes beside the response the fitted kernel implies.

Signing trades
--------------
In Databento MBP-10 a trade record's ``side`` is the aggressor's: ``B`` a buyer lifted the ask,
``A`` a seller hit the bid, ``N`` no side was reported. Verified on FROG 2025-04-03: 1,463 of
the 1,466 ``B`` trades printed at or above the best ask of the book before them and none at the
bid; 887 of the 891 ``A`` trades at or below the best bid. ``N`` trades (1,460 trades, 112,643
of the day's 232,833 shares, including the 42,747-share opening cross) print inside the spread
(non-displayed liquidity) or in the auction. They are left out by default (``unsigned="drop"``,
counted); ``unsigned="quote_rule"`` signs them by the quote rule against the mid just before
the trade (above the mid a buy, below a sell, at the mid left out and counted), which also signs
auction prints.

The model (one discrete convention, the optimiser's)
----------------------------------------------------
Minutes ``t = 0 .. T-1``; ``v_t`` the signed shares of minute ``t`` (buyer-initiated ``+``,
seller-initiated ``-``); ``R(l) = G(l) + gamma`` for lags ``l >= 1`` minutes. A trade moves the
mid by ``G(0)`` per share at once and by ``R(l)`` per share ``l`` minutes later, the decay
taking place at minute boundaries, so the mid at an instant of minute ``t`` is

    ``m = c + sum_{s < t} R(t - s) v_s + G(0) * (signed shares traded so far in minute t) + noise``

and its time average over minute ``t`` is

    ``mbar_t = c + G0 (o_t + sum_{l >= 1} g(l) v_{t-l}) + gamma sum_{s < t} v_s + noise_t``

with ``g = G / G0`` the kernel's shape and ``o_t = sum_i q_i (1 - u_i)`` over minute ``t``'s
trades (signed shares ``q_i`` at fraction ``u_i`` of the minute; ``o_t = v_t / 2`` for flow spread
evenly). This is exactly the price the optimiser charges: a schedule trading ``x_t`` evenly
through minute ``t`` pays ``x_t (sum_{s<t} (G(t-s) + gamma) x_s + G(0) x_t / 2)``, which summed
over ``t`` is ``1/2 x^T K x + gamma (S^2 - sum x^2) / 2``, the transient and permanent terms of
:class:`~execopt.ExecutionProblem`. (The increments of this model are ``Delta mbar_t = G0
Delta(o_t + sum_l g(l) v_{t-l}) + gamma v_{t-1}``; in terms of the kernel, ``Delta m_t = G(0)
v_t + sum_{l >= 1} (R(l) - R(l - 1)) v_{t-l}`` with ``R(0) = G(0)`` -- past flow pulls the price
back as ``G`` decays.) The synthetic generator (:func:`execopt.data.synthetic.propagator_path`)
moves the mid by exactly this model, which is how the estimator is tested.

Estimation
----------
Least squares on the increments ``Delta mbar_t`` (``t = 1 .. T-1``), with a constant per-minute
drift ``mu`` (``fit_intercept``). The model is linear in ``(G0, gamma, mu)`` for a fixed shape
(the half-life ``h`` of ``G(l) = G0 2^(-l/h)``, or the exponent ``beta`` of ``G(l) = G0 (1 +
l/l0)^(-beta)`` with ``l0`` fixed), so the non-linear least squares is solved by variable
projection: the amplitudes by exact non-negative least squares (``G0, gamma >= 0``, the
optimiser's domain), the shape by a scan of a log-spaced grid refined by bounded Brent. With
``by_side=True`` buy and sell flow get their own ``(G0, shape, gamma)`` (a 2-D grid of shapes,
then coordinate-wise Brent), and the buy-minus-sell differences with their bootstrap intervals
are the test of asymmetry.

Uncertainty: a circular block bootstrap over whole minutes (blocks of ``block_minutes``
consecutive regression rows, each row keeping the flow history it was built with); every
replicate re-estimates the shape, so the intervals include the shape's uncertainty. Mark-out
intervals resample minutes of trades in blocks of ``max(block_minutes, horizon)`` minutes,
since mark-outs of overlapping horizons are correlated that long.

What one day can and cannot identify
------------------------------------
See :data:`IDENTIFICATION` (printed by ``execopt fit --propagator`` and in the README): this is
the market's aggregate propagator -- how the mid followed *everybody's* signed flow -- not the
impact of one's own orders; the permanent part cannot be told apart from the day's drift or
from a half-life longer than the day; other traders' flow and information confound it; and the
signal is weak (report R² and the interval widths, and read both).

Glossary: ``T`` minutes, ``v`` signed shares per minute, ``o`` the within-minute time-weighted
signed shares, ``G0`` the kernel's strength and ``gamma`` the permanent impact (dollars per share
per share: mid dollars moved per share traded), ``h`` half-life (minutes), ``beta`` power-law
exponent, ``l0`` its scale (minutes), ``mu`` drift (dollars per minute), ``B`` bootstrap
replicates, ``W`` a (B, n) matrix of row multiplicities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt.errors import DataError, InputError
from execopt.impact.transient import ExponentialKernel, Kernel, PowerLawKernel

if TYPE_CHECKING:  # pragma: no cover
    from execopt.data.book import BookSeries, Session

__all__ = [
    "BETA_BOUNDS",
    "HALF_LIFE_BOUNDS",
    "IDENTIFICATION",
    "MARKOUT_HORIZONS",
    "KernelKind",
    "Markouts",
    "MinuteFlow",
    "PropagatorFit",
    "Unsigned",
    "minute_flow",
]

FloatArray = NDArray[np.float64]
#: Nanoseconds per minute (as :data:`execopt.data.book.NS_PER_MINUTE`; not imported from there
#: so that ``import execopt.impact`` stays free of pandas).
NS_PER_MINUTE = 60 * 10**9
KernelKind = Literal["exponential", "power_law"]
Unsigned = Literal["drop", "quote_rule"]

#: Default search range of the exponential half-life, minutes: from a kernel that has decayed
#: within the minute (2^-10 left after one minute) to one that barely decays over a day.
HALF_LIFE_BOUNDS = (0.1, 2000.0)
#: Default search range of the power-law exponent (``l0 = 1`` minute): from nearly flat over a
#: day (``390^-0.05 = 0.74``) to gone after a minute or two (``2^-5 = 0.03``).
BETA_BOUNDS = (0.05, 5.0)
#: Mark-out horizons, minutes after each trade.
MARKOUT_HORIZONS = (1, 5, 15, 30, 60)
#: Points of the shape grid of the symmetric fit, and per side of the buy/sell fit.
GRID_POINTS = 64
SIDE_GRID_POINTS = 32
#: Tolerance of the bounded Brent refinement of the shape (in log shape), and the number of
#: golden-section steps of the replicates' refinement (the bracket of two grid cells shrinks by
#: 0.618 per step: 30 steps leave ~1e-7 in log shape).
_BRENT_XATOL = 1e-4
_GOLDEN_ITERATIONS = 30

#: What one day of one stock can and cannot identify (printed by the CLI and the README).
IDENTIFICATION = (
    "This is the market's aggregate propagator: how the mid followed the signed flow of every "
    "trader that day, not the impact of one's own orders. Flow that was itself a response to "
    "news or to the price (momentum, stop orders, hedging) is attributed to impact, so the "
    "fit bounds the impact of one's own orders only if they resemble the day's average trade.",
    "The permanent part gamma is identified only from minute-to-minute co-movement of net flow "
    "and price around a constant drift: whether a day's net buying caused that day's trend or "
    "followed it cannot be told apart from one day, and with fit_intercept=False the drift "
    "would be read as impact.",
    "A half-life comparable to or longer than the session cannot be told apart from permanent "
    "impact: the profile of the fit over the half-life is flat there, and the interval says so. "
    "The kernel is resolved at one minute: faster dynamics (seconds) are folded into G(0).",
    "Signal-to-noise is low: the mid moves mostly for reasons other than the day's signed flow "
    "(read R²), so the intervals of the strength, the half-life and gamma are wide; buy and "
    "sell separately, and mark-outs beyond ~15 minutes, are noisier still. Several days "
    "(pooled or compared) are needed for numbers one should trade on.",
)


# ----------------------------------------------------------------------------- minute flow
def readonly(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a``."""
    v = a.view()
    v.flags.writeable = False
    return v


def _as_1d(name: str, v: ArrayLike, n: int | None = None) -> FloatArray:
    a = np.asarray(v, dtype=np.float64)
    if a.ndim != 1 or (n is not None and a.shape[0] != n):
        want = f"({n},)" if n is not None else "one-dimensional"
        raise DataError(f"{name} must have shape {want}, got {a.shape}")
    return a


@dataclass(frozen=True, eq=False)
class MinuteFlow:
    """Per-minute signed flow and minute-mean mid of one day, with the trades and mid path.

    Build it with :func:`minute_flow` from a book; every array is validated and read-only.

    Attributes
    ----------
    symbol : str
    minutes : ndarray of datetime64[ns], shape (T,)
        UTC starts of consecutive minutes.
    mid_mean : ndarray, shape (T,)
        Time-weighted mean mid over each minute, dollars (NaN where the book was never
        two-sided in that minute).
    buy_volume, sell_volume : ndarray, shape (T,)
        Buyer- and seller-initiated shares per minute (``>= 0``).
    buy_own, sell_own : ndarray, shape (T,)
        ``sum_i q_i (1 - u_i)`` over the minute's buy (sell) trades: shares weighted by the share
        of the minute left after them (``<=`` the volume).
    trade_ts : ndarray of datetime64[ns]
        Times of the signed trades.
    trade_sign : ndarray of float
        ``+1`` buyer-initiated, ``-1`` seller-initiated.
    trade_size : ndarray of float
        Shares (``> 0``).
    book_ts : ndarray of datetime64[ns]
        Times of the book states (for mark-outs).
    book_mid : ndarray
        Mid of each state, carried forward over one-sided states (NaN before the first
        two-sided state).
    unsigned : str
        How side ``N`` trades were treated (``"drop"`` or ``"quote_rule"``).
    counts : dict
        ``trades``, ``signed``, ``buy``, ``sell``, ``unsigned_dropped`` (and its shares),
        ``quote_rule_signed``, ``at_mid_dropped``, ``outside_minutes``, ``minutes_without_mid``.
    source : tuple of str
    """

    symbol: str
    minutes: np.ndarray
    mid_mean: FloatArray
    buy_volume: FloatArray
    sell_volume: FloatArray
    buy_own: FloatArray
    sell_own: FloatArray
    trade_ts: np.ndarray
    trade_sign: FloatArray
    trade_size: FloatArray
    book_ts: np.ndarray
    book_mid: FloatArray
    unsigned: str = "drop"
    counts: dict[str, float] = field(default_factory=dict)
    source: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        m = np.asarray(self.minutes)
        if m.ndim != 1 or m.dtype.kind != "M":
            raise DataError("minutes must be a one-dimensional datetime64 array")
        m = m.astype("datetime64[ns]")
        T = m.shape[0]
        if T < 2:
            raise DataError(f"a minute flow needs at least 2 minutes, got {T}")
        step = np.diff(m.view(np.int64))
        if np.any(step != NS_PER_MINUTE):
            i = int(np.argmax(step != NS_PER_MINUTE))
            raise DataError(
                f"the minutes must be consecutive, but {m[i]} is followed by {m[i + 1]}: the "
                "propagator is fitted on one session without gaps; fit one day at a time "
                "(BookSeries.between(...)) or pass the session that covers the data"
            )
        object.__setattr__(self, "minutes", readonly(m))
        mid = _as_1d("mid_mean", self.mid_mean, T)
        if np.any(np.isinf(mid)) or np.any(mid[np.isfinite(mid)] <= 0):
            raise DataError(
                "mid_mean must be positive where finite (NaN marks a minute without mid)"
            )
        object.__setattr__(self, "mid_mean", readonly(mid))
        for name in ("buy_volume", "sell_volume", "buy_own", "sell_own"):
            a = _as_1d(name, getattr(self, name), T)
            if not np.all(np.isfinite(a)):
                raise DataError(
                    f"{name} has {int((~np.isfinite(a)).sum())} non-finite value(s); traded "
                    "shares must be finite numbers (check the trades' sizes)"
                )
            if np.any(a < 0):
                raise DataError(f"{name} must be >= 0 (shares), got min {float(a.min()):g}")
            object.__setattr__(self, name, readonly(a))
        for own, vol in (("buy_own", "buy_volume"), ("sell_own", "sell_volume")):
            if np.any(getattr(self, own) > getattr(self, vol) * (1 + 1e-12) + 1e-9):
                raise DataError(f"{own} cannot exceed {vol} in any minute")
        ts = np.asarray(self.trade_ts).astype("datetime64[ns]")
        n = ts.shape[0]
        sign = _as_1d("trade_sign", self.trade_sign, n)
        size = _as_1d("trade_size", self.trade_size, n)
        if n and not set(np.unique(sign).tolist()) <= {-1.0, 1.0}:
            raise DataError("trade_sign must hold only +1 (buy) and -1 (sell)")
        if n and not (np.all(np.isfinite(size)) and np.all(size > 0)):
            raise DataError("trade_size must be finite and > 0 (shares)")
        if n > 1 and np.any(np.diff(ts.view(np.int64)) < 0):
            raise DataError("trade_ts must be non-decreasing")
        bts = np.asarray(self.book_ts).astype("datetime64[ns]")
        bmid = _as_1d("book_mid", self.book_mid, bts.shape[0])
        if bts.shape[0] > 1 and np.any(np.diff(bts.view(np.int64)) < 0):
            raise DataError("book_ts must be non-decreasing")
        for name, a in (
            ("trade_ts", ts),
            ("trade_sign", sign),
            ("trade_size", size),
            ("book_ts", bts),
            ("book_mid", bmid),
        ):
            object.__setattr__(self, name, readonly(a))
        if self.unsigned not in ("drop", "quote_rule"):
            raise DataError(f"unsigned must be 'drop' or 'quote_rule', got {self.unsigned!r}")
        object.__setattr__(self, "counts", dict(self.counts))
        object.__setattr__(self, "source", tuple(str(s) for s in self.source))

    # ------------------------------------------------------------------ derived
    @property
    def T(self) -> int:  # noqa: N802 - the maths symbol
        """Number of minutes."""
        return int(self.minutes.shape[0])

    @property
    def signed_volume(self) -> FloatArray:
        """``v_t = buy - sell`` shares per minute."""
        return np.asarray(self.buy_volume - self.sell_volume, dtype=np.float64)

    @property
    def signed_own(self) -> FloatArray:
        """``o_t = buy_own - sell_own``."""
        return np.asarray(self.buy_own - self.sell_own, dtype=np.float64)

    @property
    def trade_minute(self) -> NDArray[np.intp]:
        """Minute index ``0 .. T-1`` of each signed trade."""
        k = np.searchsorted(self.minutes, self.trade_ts, side="right") - 1
        return np.asarray(k, dtype=np.intp)

    @property
    def end(self) -> np.datetime64:
        """End of the last minute (UTC)."""
        return np.datetime64(self.minutes[-1] + np.timedelta64(NS_PER_MINUTE, "ns"), "ns")

    def mid_before(self, t: np.ndarray) -> FloatArray:
        """Mid of the last book state strictly before each time (NaN if none)."""
        k = np.searchsorted(self.book_ts, t, side="left") - 1
        out = np.where(k >= 0, self.book_mid[np.maximum(k, 0)], np.nan)
        return np.asarray(out, dtype=np.float64)

    def mid_at(self, t: np.ndarray) -> FloatArray:
        """Mid of the last book state at or before each time (NaN if none)."""
        k = np.searchsorted(self.book_ts, t, side="right") - 1
        out = np.where(k >= 0, self.book_mid[np.maximum(k, 0)], np.nan)
        return np.asarray(out, dtype=np.float64)

    def __repr__(self) -> str:
        c = self.counts
        return (
            f"MinuteFlow({self.symbol!r}, {self.T} minutes, {len(self.trade_ts):,} signed trades "
            f"(buy {int(c.get('buy', 0)):,}, sell {int(c.get('sell', 0)):,}), unsigned="
            f"{self.unsigned!r})"
        )


def _forward_fill(a: FloatArray) -> FloatArray:
    """NaN replaced by the last finite value before it (NaN before the first)."""
    ok = np.isfinite(a)
    idx = np.where(ok, np.arange(a.shape[0]), -1)
    np.maximum.accumulate(idx, out=idx)
    return np.where(idx >= 0, a[np.maximum(idx, 0)], np.nan)


def _minute_mean_mid(ts: np.ndarray, mid: FloatArray, minutes: np.ndarray) -> FloatArray:
    """Time-weighted mean of the piecewise-constant mid over each minute (NaN-time excluded).

    Row ``k``'s mid holds from ``ts[k]`` to ``ts[k+1]``, the last row's until the end of its
    minute (after that the data say nothing). Time before the first row, or under a one-sided
    book, does not count; a minute with no such time at all is NaN.
    """
    t0 = int(minutes[0].astype(np.int64))
    raw = np.asarray(ts).view(np.int64)
    t = (raw - t0).astype(np.float64) / 1e9  # seconds
    starts = minutes.view(np.int64) - t0
    bounds = np.append(starts, starts[-1] + NS_PER_MINUTE).astype(np.float64) / 1e9
    ok = np.isfinite(mid)
    val = np.where(ok, mid, 0.0)
    last_end = (int(raw[-1]) // NS_PER_MINUTE + 1) * NS_PER_MINUTE - t0
    dur = np.append(t[1:], last_end / 1e9) - t
    cv = np.concatenate([[0.0], np.cumsum(val * dur)])
    ct = np.concatenate([[0.0], np.cumsum(ok * dur)])
    k = np.searchsorted(t, bounds, side="right") - 1
    kk = np.maximum(k, 0)
    part = np.where(k >= 0, np.clip(bounds - t[kk], 0.0, dur[kk]), 0.0)
    iv = np.where(k >= 0, cv[kk] + val[kk] * part, 0.0)
    it = np.where(k >= 0, ct[kk] + ok[kk] * part, 0.0)
    dv, dt = np.diff(iv), np.diff(it)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(dt > 0, dv / np.where(dt > 0, dt, 1.0), np.nan)
    return np.asarray(out, dtype=np.float64)


def minute_flow(
    book: BookSeries,
    *,
    unsigned: Unsigned = "drop",
    tz: str = "America/New_York",
    session: Session | None = ("09:30", "16:00"),
) -> MinuteFlow:
    """Signed flow per minute, minute-mean mid and trades of an event-level book.

    Parameters
    ----------
    book : BookSeries
        Event-level (not per-minute snapshots), with real timestamps and trades.
    unsigned : {"drop", "quote_rule"}
        Trades whose aggressor side is ``N``: left out (default), or signed by the quote rule
        against the mid just before them (at the mid: left out). Both are counted.
    tz, session
        The session's minutes (:meth:`BookSeries.session_minutes`); ``session=None`` uses the
        data's own span.

    Returns
    -------
    MinuteFlow

    Raises
    ------
    DataError
        A per-minute series, made-up timestamps, an empty book, minutes that are not
        consecutive (several days), or no two-sided book in any minute.
    InputError
        An unknown ``unsigned``.
    """
    if unsigned not in ("drop", "quote_rule"):
        raise InputError(f"unsigned must be 'drop' or 'quote_rule', got {unsigned!r}")
    from execopt.data.book import BookSeries as _Book

    if not isinstance(book, _Book):
        raise InputError(
            f"book must be a BookSeries (execopt.data.read_book or load_book), got "
            f"{type(book).__name__}."
        )
    book.require_real_time("the propagator fit (per-minute flow and mid)")
    if book.minutes is not None:
        raise DataError(
            f"the {book.symbol or 'book'} series holds one snapshot per minute; the propagator "
            "fit needs the event-level book (the mid through each minute and every trade's "
            "time): load the original event file instead of minute snapshots"
        )
    if len(book) == 0:
        raise DataError("the book series is empty; there is nothing to fit")
    minutes = np.asarray(book.session_minutes(tz, session)).astype("datetime64[ns]")
    T = minutes.shape[0]
    ts = np.asarray(book.ts)
    mid = np.asarray(book.mid, dtype=np.float64)
    mid_ff = _forward_fill(mid)
    mid_mean = _minute_mean_mid(ts, mid, minutes)

    tr = book.trades
    tts = np.asarray(tr.ts)
    end = minutes[-1] + np.timedelta64(NS_PER_MINUTE, "ns")
    inside = (tts >= minutes[0]) & (tts < end)
    tts = tts[inside]
    side = np.asarray(tr.side)[inside]
    size = np.asarray(tr.size, dtype=np.float64)[inside]
    price = np.asarray(tr.price, dtype=np.float64)[inside]
    sign = np.where(side == "B", 1.0, np.where(side == "A", -1.0, 0.0))
    counts: dict[str, float] = {
        "trades": float(len(tr)),
        "outside_minutes": float((~inside).sum()),
        "unsigned": float((side == "N").sum()),
        "unsigned_shares": float(size[side == "N"].sum()),
        "quote_rule_signed": 0.0,
        "at_mid_dropped": 0.0,
        "unsigned_dropped": 0.0,
        "unsigned_dropped_shares": 0.0,
    }
    if unsigned == "quote_rule" and np.any(side == "N"):
        k = np.searchsorted(ts, tts, side="left") - 1
        pre = np.where(k >= 0, mid_ff[np.maximum(k, 0)], np.nan)
        n_mask = side == "N"
        qr = np.where(price > pre, 1.0, np.where(price < pre, -1.0, 0.0))
        sign = np.where(n_mask, qr, sign)
        counts["quote_rule_signed"] = float((n_mask & (sign != 0)).sum())
        counts["at_mid_dropped"] = float((n_mask & (sign == 0)).sum())
    dropped = sign == 0
    counts["unsigned_dropped"] = float(dropped.sum())
    counts["unsigned_dropped_shares"] = float(size[dropped].sum())
    keep = ~dropped & (size > 0)
    tts, sign, size = tts[keep], sign[keep], size[keep]
    k = np.searchsorted(minutes, tts, side="right") - 1
    u = (tts - minutes[k]).view(np.int64) / NS_PER_MINUTE
    buy = sign > 0
    vb = np.bincount(k[buy], weights=size[buy], minlength=T).astype(np.float64)
    vs = np.bincount(k[~buy], weights=size[~buy], minlength=T).astype(np.float64)
    ob = np.bincount(k[buy], weights=size[buy] * (1.0 - u[buy]), minlength=T).astype(np.float64)
    os_ = np.bincount(k[~buy], weights=size[~buy] * (1.0 - u[~buy]), minlength=T).astype(np.float64)
    counts.update(
        signed=float(keep.sum()),
        buy=float(buy.sum()),
        sell=float((~buy).sum()),
        buy_shares=float(vb.sum()),
        sell_shares=float(vs.sum()),
        minutes_without_mid=float(np.isnan(mid_mean).sum()),
    )
    if not np.any(np.isfinite(mid_mean)):
        raise DataError(
            f"no minute of the {book.symbol or 'book'} series has a two-sided book (the mid is "
            "NaN throughout); the propagator needs mid prices"
        )
    return MinuteFlow(
        symbol=book.symbol,
        minutes=minutes,
        mid_mean=mid_mean,
        buy_volume=vb,
        sell_volume=vs,
        buy_own=np.minimum(ob, vb),
        sell_own=np.minimum(os_, vs),
        trade_ts=tts,
        trade_sign=sign,
        trade_size=size,
        book_ts=ts,
        book_mid=mid_ff,
        unsigned=unsigned,
        counts=counts,
        source=book.source,
    )


# ----------------------------------------------------------------------------- the regression
def _shape(kind: str, theta: FloatArray, T: int, l0: float) -> FloatArray:
    """Normalised kernel ``g(l) = G(l) / G0``, ``l = 0 .. T-1``, for each shape (shape (J, T))."""
    th = np.atleast_1d(np.asarray(theta, dtype=np.float64))[:, None]
    lags = np.arange(T, dtype=np.float64)[None, :]
    if kind == "exponential":
        return np.asarray(np.power(2.0, -lags / th), dtype=np.float64)
    return np.asarray(np.power(1.0 + lags / l0, -th), dtype=np.float64)


def _carried(v: FloatArray, g: FloatArray) -> FloatArray:
    """``sum_{l >= 1} g(l) v_{t-l}`` for each row of ``g`` (shape (J, T)), by FFT."""
    from scipy.signal import fftconvolve

    T = v.shape[0]
    gg = g.copy()
    gg[:, 0] = 0.0
    out = fftconvolve(v[None, :], gg, mode="full", axes=1)[:, :T]
    return np.asarray(out, dtype=np.float64)


def _transient_columns(v: FloatArray, o: FloatArray, g: FloatArray) -> FloatArray:
    """``Delta (o_t + sum_{l>=1} g(l) v_{t-l})`` for ``t = 1 .. T-1``, shape (J, T-1)."""
    level = o[None, :] + _carried(v, g)
    return np.asarray(np.diff(level, axis=1), dtype=np.float64)


def _subsets(k: int) -> NDArray[np.bool_]:
    """All ``2^k`` inclusion masks of ``k`` columns, shape (2^k, k)."""
    return np.array([[(i >> j) & 1 for j in range(k)] for i in range(2**k)], dtype=bool)


def _nnls(C: FloatArray, c: FloatArray, cyy: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Exact non-negative least squares from centred normal equations, batched.

    Minimises ``cyy - 2 b'c + b'C b`` over ``b >= 0`` for every leading index of ``C`` (shape
    (..., k, k)), ``c`` (..., k), ``cyy`` (...): the optimum is the best *feasible* one among the
    unconstrained solutions on every support (at most 16 for k = 4). Returns ``(b, rss)``.
    """
    k = C.shape[-1]
    lead = C.shape[:-2]
    best_rss = np.full(lead, np.inf)
    best_b = np.zeros((*lead, k))
    scale = np.maximum(np.einsum("...ii->...", C) / k, 1e-300)
    for mask in _subsets(k):
        m = mask.astype(np.float64)
        Cm = C * np.outer(m, m) + np.diag(1.0 - m)
        Cm = Cm + 1e-12 * scale[..., None, None] * np.diag(m)  # ridge against collinearity
        cm = c * m
        b = np.linalg.solve(Cm, cm[..., None])[..., 0] * m
        rss = cyy - np.einsum("...i,...i->...", b, c)
        ok = np.all(b >= 0, axis=-1) & (rss < best_rss)
        best_rss = np.where(ok, rss, best_rss)
        best_b = np.where(ok[..., None], b, best_b)
    return best_b, best_rss


class _Regression:
    """Weighted sufficient statistics of ``y`` on fixed columns plus shape-dependent ones.

    ``y`` and columns are scaled to order one (``y / sy``, column ``/ sx``) so the normal
    equations are well conditioned; coefficients are scaled back by the caller.
    """

    def __init__(self, flow: MinuteFlow, fit_intercept: bool) -> None:
        mid = np.asarray(flow.mid_mean)
        y = np.diff(mid)
        self.valid = np.isfinite(y)
        self.y_raw = np.where(self.valid, y, 0.0)
        self.n = y.shape[0]
        self.fit_intercept = fit_intercept
        vb, vs = np.asarray(flow.buy_volume), np.asarray(flow.sell_volume)
        ob, os_ = np.asarray(flow.buy_own), np.asarray(flow.sell_own)
        self.flows = {
            "both": (vb - vs, ob - os_),
            "buy": (vb, ob),
            "sell": (vs, os_),
        }
        # permanent columns: Delta sum_{s<t} v_s = v_{t-1}, t = 1..T-1
        self.perm = {k: np.asarray(v[:-1], dtype=np.float64) for k, (v, _) in self.flows.items()}
        y_ok = self.y_raw[self.valid]
        self.sy = float(np.std(y_ok)) if y_ok.size > 1 and np.std(y_ok) > 0 else 1.0
        v_all = vb + vs
        self.sx = float(np.std(v_all)) if np.std(v_all) > 0 else 1.0
        self.y = self.y_raw / self.sy

    def transient(self, side: str, kind: str, theta: FloatArray, T: int, l0: float) -> FloatArray:
        v, o = self.flows[side]
        return _transient_columns(v, o, _shape(kind, theta, T, l0)) / self.sx

    def permanent(self, side: str) -> FloatArray:
        return self.perm[side] / self.sx

    def solve(self, W: FloatArray, cols: list[FloatArray]) -> tuple[FloatArray, FloatArray]:
        """NNLS of ``y`` on ``cols`` (each (..., n) broadcasting against W's leading (B, n)).

        ``W`` has shape (B, n); every column has shape (n,) or (J..., n) with the same shape
        after the row axis for all shape-dependent columns. Returns ``(coef, rss)`` with coef in
        scaled units, shape (B, J..., k), rss (B, J...).
        """
        Wv = W * self.valid[None, :]
        # broadcast columns to a common (J..., n)
        shapes = [c.shape[:-1] for c in cols]
        lead = np.broadcast_shapes(*shapes) if shapes else ()
        X = np.stack([np.broadcast_to(c, (*lead, self.n)) for c in cols], axis=-1)  # (J..,n,k)
        y = self.y
        nw = Wv.sum(axis=1)  # (B,)
        extra = (1,) * len(lead)
        nw_ = nw.reshape(-1, *extra)
        sy = (Wv @ y).reshape(-1, *extra)
        syy = (Wv @ (y * y)).reshape(-1, *extra)
        # weighted sums over rows as matrix products: (B, J.., k) and (B, J.., k, k)
        k = X.shape[-1]
        Xf = X.reshape(-1, self.n, k)  # (J, n, k)
        sx = np.tensordot(Wv, Xf, axes=([1], [1])).reshape(Wv.shape[0], *lead, k)
        sxy = np.tensordot(Wv * y[None, :], Xf, axes=([1], [1])).reshape(sx.shape)
        XX = Xf[:, :, :, None] * Xf[:, :, None, :]  # (J, n, k, k)
        sxx = np.tensordot(Wv, XX, axes=([1], [1])).reshape(*sx.shape, k)
        if self.fit_intercept:
            safe = np.where(nw_ > 0, nw_, 1.0)
            C = sxx - sx[..., :, None] * sx[..., None, :] / safe[..., None, None]
            c = sxy - sx * (sy / safe)[..., None]
            cyy = syy - sy * sy / safe
        else:
            C, c, cyy = sxx, sxy, syy
        coef, rss = _nnls(C, c, cyy)
        return coef, rss

    def solve_paired(
        self, W: FloatArray, cols: list[FloatArray]
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """As :meth:`solve` with row ``b`` of ``W`` paired with row ``b`` of every (B, n)
        column (fixed columns have shape (n,)). Returns ``(coef (B, k), rss (B,), mu (B,))``
        in scaled units.
        """
        Wv = W * self.valid[None, :]
        Bn = W.shape[0]
        X = np.stack([np.broadcast_to(c, (Bn, self.n)) for c in cols], axis=-1)  # (B, n, k)
        y = self.y
        nw = Wv.sum(axis=1)
        sy = Wv @ y
        syy = Wv @ (y * y)
        sx = np.einsum("bn,bnk->bk", Wv, X)
        sxy = np.einsum("bn,bnk->bk", Wv * y[None, :], X)
        sxx = np.einsum("bn,bnk,bnl->bkl", Wv, X, X)
        if self.fit_intercept:
            safe = np.where(nw > 0, nw, 1.0)
            C = sxx - sx[:, :, None] * sx[:, None, :] / safe[:, None, None]
            c = sxy - sx * (sy / safe)[:, None]
            cyy = syy - sy * sy / safe
        else:
            C, c, cyy = sxx, sxy, syy
        coef, rss = _nnls(C, c, cyy)
        if self.fit_intercept:
            mu = (sy - np.einsum("bk,bk->b", sx, coef)) / np.where(nw > 0, nw, 1.0)
        else:
            mu = np.zeros(Bn)
        return coef, rss, mu

    def intercept(self, W: FloatArray, cols: list[FloatArray], coef: FloatArray) -> FloatArray:
        """Drift (scaled units) of a single-shape fit: ``(sum w y - b' sum w x) / sum w``."""
        if not self.fit_intercept:
            return np.zeros(W.shape[0])
        Wv = W * self.valid[None, :]
        X = np.stack([np.broadcast_to(cc, (self.n,)) for cc in cols], axis=-1)
        nw = Wv.sum(axis=1)
        return np.asarray((Wv @ self.y - np.einsum("bk,bk->b", Wv @ X, coef)) / nw)

    def tss(self) -> float:
        y = self.y[self.valid]
        if self.fit_intercept:
            return float(np.sum((y - y.mean()) ** 2))
        return float(np.sum(y * y))


def _block_weights(n: int, block: int, B: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Row multiplicities of a circular block bootstrap: (B, n), each row summing to ``n``."""
    b = max(1, min(int(block), n))
    k = -(-n // b)
    starts = rng.integers(0, n, size=(B, k))
    idx = (starts[:, :, None] + np.arange(b)[None, None, :]).reshape(B, -1)[:, :n] % n
    W = np.zeros((B, n))
    np.add.at(W, (np.repeat(np.arange(B), n), idx.ravel()), 1.0)
    return W


# ----------------------------------------------------------------------------- mark-outs
@dataclass(frozen=True)
class Markouts:
    """Signed mid moves after trades, the fitted model's, and a lone trade's kernel response.

    For each horizon ``h`` (minutes), over the signed trades ``i`` whose ``tau_i + h`` falls in
    the session: ``data = mean_i eps_i (m(tau_i + h) - m(tau_i-))`` (dollars; ``m(tau-)`` the
    mid just before the trade), its ``buy`` and ``sell`` parts, the same average of the fitted
    model's impact path (``model``: the kernel applied to the day's whole signed flow, so it
    includes the trades that followed), and ``lone = (G(h) + gamma) * mean size`` (one average
    trade alone). ``drift`` is the mean *unsigned* mid move over the same windows: a buy's
    mark-out is roughly impact plus drift and a sell's impact minus drift, so on a trending
    day ``buy`` and ``sell`` separately mostly show the trend. Intervals: block bootstrap over
    minutes of trades, blocks of ``max(block, h)`` minutes.
    """

    horizons: tuple[int, ...]
    n: NDArray[np.int64]
    data: FloatArray
    ci: FloatArray  # (H, 2)
    buy: FloatArray
    buy_ci: FloatArray
    sell: FloatArray
    sell_ci: FloatArray
    model: FloatArray
    lone: FloatArray
    drift: FloatArray
    mean_mid: float
    mean_size: float

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-ready row per horizon (dollars; ``*_bp`` relative to the mean mid)."""
        out = []
        bp = 1e4 / self.mean_mid if self.mean_mid > 0 else float("nan")
        for i, h in enumerate(self.horizons):
            out.append(
                {
                    "horizon_min": int(h),
                    "n_trades": int(self.n[i]),
                    "data": float(self.data[i]),
                    "ci": [float(self.ci[i, 0]), float(self.ci[i, 1])],
                    "data_bp": float(self.data[i] * bp),
                    "buy": float(self.buy[i]),
                    "buy_ci": [float(self.buy_ci[i, 0]), float(self.buy_ci[i, 1])],
                    "sell": float(self.sell[i]),
                    "sell_ci": [float(self.sell_ci[i, 0]), float(self.sell_ci[i, 1])],
                    "model": float(self.model[i]),
                    "lone_trade": float(self.lone[i]),
                    "drift": float(self.drift[i]),
                }
            )
        return out


def _impact_at(
    flow: MinuteFlow, G: FloatArray, gamma: float, t: np.ndarray, strict: bool
) -> FloatArray:
    """The model's displacement at times ``t`` (dollars): carried minutes plus own minute.

    ``strict``: count trades of the own minute strictly before ``t`` (else at or before).
    """
    T = flow.T
    v = flow.signed_volume
    R = np.asarray(G, dtype=np.float64) + gamma
    carried = np.convolve(v, np.concatenate([[0.0], R[1:T]]))[:T]
    k = np.searchsorted(flow.minutes, t, side="right") - 1
    q = flow.trade_sign * flow.trade_size
    cum = np.concatenate([[0.0], np.cumsum(q)])
    upto = np.searchsorted(flow.trade_ts, t, side="left" if strict else "right")
    first = np.searchsorted(flow.trade_ts, flow.minutes, side="left")
    kk = np.clip(k, 0, T - 1)
    own = cum[upto] - cum[first[kk]]
    return np.asarray(carried[kk] + G[0] * own, dtype=np.float64)


def _markouts(
    flow: MinuteFlow,
    horizons: Sequence[int],
    G: FloatArray,
    gamma: float,
    n_boot: int,
    block: int,
    ci_level: float,
    seed: np.random.SeedSequence,
) -> Markouts:
    T = flow.T
    ts = flow.trade_ts
    eps = flow.trade_sign
    kmin = flow.trade_minute
    pre = flow.mid_before(ts)
    imp_pre = _impact_at(flow, G, gamma, ts, strict=True)
    H = len(horizons)
    n = np.zeros(H, dtype=np.int64)
    data, model, lone = np.full(H, np.nan), np.full(H, np.nan), np.full(H, np.nan)
    buy, sell, drift = np.full(H, np.nan), np.full(H, np.nan), np.full(H, np.nan)
    ci, buy_ci, sell_ci = (np.full((H, 2), np.nan) for _ in range(3))
    alpha = 1.0 - ci_level
    seeds = seed.spawn(H)
    mean_size = float(flow.trade_size.mean()) if ts.size else float("nan")
    for i, h in enumerate(horizons):
        later = ts + np.timedelta64(int(h) * NS_PER_MINUTE, "ns")
        post = flow.mid_at(later)
        ok = (later < flow.end) & np.isfinite(pre) & np.isfinite(post)
        mo = eps * (post - pre)
        n[i] = int(ok.sum())
        lone[i] = (G[min(int(h), T - 1)] + gamma) * mean_size if int(h) < T else gamma * mean_size
        if n[i] == 0:
            continue
        imp_post = _impact_at(flow, G, gamma, later, strict=False)
        mm = eps * (imp_post - imp_pre)
        data[i] = float(mo[ok].mean())
        model[i] = float(mm[ok].mean())
        drift[i] = float((post - pre)[ok].mean())
        b_ok, s_ok = ok & (eps > 0), ok & (eps < 0)
        buy[i] = float(mo[b_ok].mean()) if b_ok.any() else np.nan
        sell[i] = float(mo[s_ok].mean()) if s_ok.any() else np.nan
        if n_boot <= 0:
            continue
        W = _block_weights(T, max(block, int(h)), n_boot, np.random.default_rng(seeds[i]))
        for mask, target in ((ok, ci), (b_ok, buy_ci), (s_ok, sell_ci)):
            S = np.bincount(kmin[mask], weights=mo[mask], minlength=T)
            C = np.bincount(kmin[mask], minlength=T).astype(np.float64)
            den = W @ C
            with np.errstate(invalid="ignore", divide="ignore"):
                rep = (W @ S) / den
            rep = rep[den > 0]
            if rep.size >= 2:
                target[i] = np.quantile(rep, [alpha / 2, 1 - alpha / 2])
    mids = flow.mid_mean[np.isfinite(flow.mid_mean)]
    return Markouts(
        horizons=tuple(int(h) for h in horizons),
        n=n,
        data=data,
        ci=ci,
        buy=buy,
        buy_ci=buy_ci,
        sell=sell,
        sell_ci=sell_ci,
        model=model,
        lone=lone,
        drift=drift,
        mean_mid=float(mids.mean()) if mids.size else float("nan"),
        mean_size=mean_size,
    )


# ----------------------------------------------------------------------------- the estimator
def _check_int(name: str, v: Any, lo: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or int(v) < lo:
        raise InputError(f"{name} must be an integer >= {lo}, got {v!r}.")
    return int(v)


class PropagatorFit:
    """Fit a transient kernel and permanent impact to a book's own trades (see module doc).

    Parameters
    ----------
    kernel : {"exponential", "power_law"}
        ``G(l) = G0 2^(-l / half_life)`` or ``G(l) = G0 (1 + l / l0)^(-beta)``.
    l0 : float
        Power-law scale, minutes (fixed, not fitted). Default 1.
    shape_bounds : (float, float), optional
        Search range of the half-life (minutes; default :data:`HALF_LIFE_BOUNDS`) or of
        ``beta`` (default :data:`BETA_BOUNDS`).
    fit_intercept : bool
        Fit a constant drift per minute (default True; without it the day's drift is read as
        impact).
    by_side : bool
        Also fit buy- and sell-initiated flow with their own kernels, and test the differences.
    unsigned : {"drop", "quote_rule"}
        Trades without an aggressor side (see :func:`minute_flow`).
    n_boot : int
        Bootstrap replicates (0: no intervals).
    block_minutes : int
        Bootstrap block length, minutes.
    ci_level : float
        Interval level, default 0.95.
    markout_horizons : sequence of int
        Minutes after each trade (default :data:`MARKOUT_HORIZONS`).
    min_minutes : int
        Fewer usable minutes than this is refused (default 60).
    seed : int, SeedSequence or None
        Seed of the bootstrap.
    tz, session
        The session's minutes (see :func:`minute_flow`).

    Attributes
    ----------
    kernel_ : ExponentialKernel or PowerLawKernel
        The fitted ``G`` (lags in minutes, dollars per share per share).
    permanent_ : float
        ``gamma``, dollars per share per share.
    drift_ : float
        ``mu``, dollars per minute.
    params_ : dict
        ``strength``, ``half_life`` or ``beta``, ``permanent``, ``drift``.
    ci_ : dict of (lo, hi)
        Bootstrap percentile intervals of the same names.
    boot_ : ndarray of shape (n_boot, 4)
        Replicates (columns in the order of ``params_``).
    r2_, rmse_ : float
        Of the minute-mean mid increments (dollars).
    r2_flow_ : float
        Share of the increments' variance the flow terms explain beyond the drift alone.
    n_minutes_, n_obs_ : int
        Minutes in the session, regression rows used (increments with a mid at both ends).
    at_bound_ : list of str
        Parameters on a bound (``strength``/``permanent`` at 0, the shape at a search bound).
    profile_ : dict
        ``theta`` (the shape grid) and ``rss`` (the residual sum of squares, dollars², of the
        best amplitudes at each shape): flat means the shape is not identified.
    sides_ : dict or None
        ``{"buy": {"params", "ci"}, "sell": {...}}`` with ``by_side``.
    asymmetry_ : dict or None
        Per parameter ``{"diff": buy - sell, "ci": [lo, hi], "p": two-sided bootstrap p}``.
    markouts_ : Markouts
    caveats_ : list of str
        What this fit did not identify, from its own numbers.
    flow_ : MinuteFlow

    Examples
    --------
    >>> import numpy as np
    >>> from execopt.data import synthetic_book
    >>> G = 4e-5 * 2.0 ** (-np.arange(390) / 5.0)
    >>> book = synthetic_book("FROG", seed=1, transient=G, permanent=1e-5)
    >>> fit = PropagatorFit(n_boot=0, by_side=False).fit(book)
    >>> bool(abs(fit.kernel_.strength / 4e-5 - 1) < 0.3)
    True
    """

    def __init__(
        self,
        kernel: KernelKind = "exponential",
        *,
        l0: float = 1.0,
        shape_bounds: tuple[float, float] | None = None,
        fit_intercept: bool = True,
        by_side: bool = True,
        unsigned: Unsigned = "drop",
        n_boot: int = 200,
        block_minutes: int = 10,
        ci_level: float = 0.95,
        markout_horizons: Sequence[int] = MARKOUT_HORIZONS,
        min_minutes: int = 60,
        seed: int | np.random.SeedSequence | None = 0,
        tz: str = "America/New_York",
        session: Session | None = ("09:30", "16:00"),
    ) -> None:
        self.kernel = kernel
        self.l0 = l0
        self.shape_bounds = shape_bounds
        self.fit_intercept = fit_intercept
        self.by_side = by_side
        self.unsigned = unsigned
        self.n_boot = n_boot
        self.block_minutes = block_minutes
        self.ci_level = ci_level
        self.markout_horizons = markout_horizons
        self.min_minutes = min_minutes
        self.seed = seed
        self.tz = tz
        self.session = session

    # ------------------------------------------------------------------ settings
    @property
    def shape_name(self) -> str:
        """``"half_life"`` or ``"beta"``."""
        return "half_life" if self.kernel == "exponential" else "beta"

    def _validate(self) -> tuple[float, float]:
        if self.kernel not in ("exponential", "power_law"):
            raise InputError(f"kernel must be 'exponential' or 'power_law', got {self.kernel!r}.")
        l0_ok = isinstance(self.l0, (int, float)) and not isinstance(self.l0, bool)
        if not (l0_ok and np.isfinite(self.l0) and self.l0 > 0):
            raise InputError(f"l0 must be a finite number of minutes > 0, got {self.l0!r}.")
        _check_int("n_boot", self.n_boot, 0)
        _check_int("block_minutes", self.block_minutes, 1)
        _check_int("min_minutes", self.min_minutes, 3)
        if not (isinstance(self.ci_level, float) and 0.0 < self.ci_level < 1.0):
            raise InputError(f"ci_level must be a fraction in (0, 1), got {self.ci_level!r}.")
        hs = tuple(self.markout_horizons)
        if not hs or any(_check_int("markout horizon", h, 1) != h for h in hs):
            raise InputError(f"markout_horizons must be integers >= 1, got {hs!r}.")
        if self.unsigned not in ("drop", "quote_rule"):
            raise InputError(f"unsigned must be 'drop' or 'quote_rule', got {self.unsigned!r}.")
        default = HALF_LIFE_BOUNDS if self.kernel == "exponential" else BETA_BOUNDS
        lo, hi = default if self.shape_bounds is None else self.shape_bounds
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
            raise InputError(
                f"shape_bounds must be (lo, hi) with 0 < lo < hi, got {self.shape_bounds!r}."
            )
        return float(lo), float(hi)

    # ------------------------------------------------------------------ fit
    def fit(self, data: BookSeries | MinuteFlow) -> Self:
        """Fit to an event-level book day (or its :class:`MinuteFlow`).

        Returns
        -------
        self

        Raises
        ------
        InputError
            Invalid settings.
        DataError
            No signed trades, fewer than ``min_minutes`` usable minutes, NaN or negative
            volumes, a per-minute or several-day series (see :func:`minute_flow`).
        """
        lo, hi = self._validate()
        if isinstance(data, MinuteFlow):
            flow = data
        else:
            flow = minute_flow(data, unsigned=self.unsigned, tz=self.tz, session=self.session)
        T = flow.T
        if flow.trade_ts.size == 0 or not np.any(flow.buy_volume + flow.sell_volume > 0):
            raise DataError(
                f"the {flow.symbol or 'book'} day has no signed trades "
                f"({int(flow.counts.get('trades', 0)):,} trades, "
                f"{int(flow.counts.get('unsigned_dropped', 0)):,} without an aggressor side "
                "dropped): the propagator is fitted to signed trades. Use a file with trade "
                "records (action T), or sign side-N trades with unsigned='quote_rule'."
            )
        reg = _Regression(flow, self.fit_intercept)
        n_obs = int(reg.valid.sum())
        if T < self.min_minutes or n_obs < self.min_minutes - 1:
            raise DataError(
                f"the {flow.symbol or 'book'} day has {T} minutes ({n_obs} minute-to-minute mid "
                f"changes with a two-sided book at both ends); the propagator fit needs at least "
                f"{self.min_minutes} minutes. Use a longer book (a full session) or lower "
                "min_minutes knowingly."
            )
        self.flow_ = flow
        self.n_minutes_ = T
        self.n_obs_ = n_obs
        grid = np.geomspace(lo, hi, GRID_POINTS)
        ss = (
            np.random.SeedSequence(self.seed)
            if not isinstance(self.seed, np.random.SeedSequence)
            else self.seed
        )
        s_boot, s_mark = ss.spawn(2)
        B = int(self.n_boot)
        W_all = np.ones((1, reg.n))
        W_boot = (
            _block_weights(reg.n, self.block_minutes, B, np.random.default_rng(s_boot))
            if B
            else np.zeros((0, reg.n))
        )
        # --- symmetric fit: point estimate and replicates together
        W = np.vstack([W_all, W_boot])
        theta, coef, mu, rss, prof = self._fit_symmetric(reg, W, grid, lo, hi, T)
        G0 = float(coef[0, 0] * reg.sy / reg.sx) + 0.0  # + 0.0: no "-0.0" from the NNLS
        gam = float(coef[0, 1] * reg.sy / reg.sx) + 0.0
        self.profile_ = {"theta": grid.tolist(), "rss": (prof * reg.sy**2).tolist()}
        self.kernel_ = self._make_kernel(G0, theta[0])
        self.permanent_ = float(gam)
        self.drift_ = float(mu[0] * reg.sy)
        names = ("strength", self.shape_name, "permanent", "drift")
        self.params_ = dict(
            zip(names, (float(G0), float(theta[0]), float(gam), self.drift_), strict=True)
        )
        self.boot_ = np.column_stack(
            [
                coef[1:, 0] * reg.sy / reg.sx,
                theta[1:],
                coef[1:, 1] * reg.sy / reg.sx,
                mu[1:] * reg.sy,
            ]
        )
        self.ci_ = self._intervals(self.boot_, names)
        tss = reg.tss() * reg.sy**2
        self.rss_ = float(rss[0] * reg.sy**2)
        self.r2_ = 1.0 - self.rss_ / tss if tss > 0 else float("nan")
        self.rmse_ = float(np.sqrt(self.rss_ / max(n_obs, 1)))
        y_ok = reg.y_raw[reg.valid]
        tss_drift = float(np.sum((y_ok - y_ok.mean()) ** 2)) if self.fit_intercept else tss
        self.r2_flow_ = 1.0 - self.rss_ / tss_drift if tss_drift > 0 else float("nan")
        self.at_bound_ = self._bounds_hit(self.params_, lo, hi, grid)
        # --- buy and sell
        self.sides_: dict[str, Any] | None = None
        self.asymmetry_: dict[str, Any] | None = None
        if self.by_side:
            self._fit_sides(reg, W, lo, hi, T)
        # --- mark-outs
        G = self.kernel_.values(T)
        self.markouts_ = _markouts(
            flow,
            tuple(int(h) for h in self.markout_horizons),
            G,
            self.permanent_,
            B,
            int(self.block_minutes),
            float(self.ci_level),
            s_mark,
        )
        self.caveats_ = self._caveats(lo, hi)
        return self

    def bootstrap_kernels(self) -> list[tuple[Kernel, float]]:
        """``(kernel, permanent gamma)`` of every bootstrap replicate (for Monte Carlo over the
        calibration's uncertainty, e.g. :func:`execopt.studies.transient_impact.kernel_draws`).

        Raises
        ------
        InputError
            Before :meth:`fit`.
        """
        if not hasattr(self, "boot_"):
            raise InputError("the propagator is not fitted: call fit(book) first.")
        return [
            (self._make_kernel(max(float(g0), 0.0), float(th)), max(float(gam), 0.0))
            for g0, th, gam, _ in self.boot_
        ]

    def _make_kernel(self, G0: float, theta: float) -> Kernel:
        if self.kernel == "exponential":
            return ExponentialKernel(strength=float(G0), half_life=float(theta))
        return PowerLawKernel(strength=float(G0), beta=float(theta), l0=float(self.l0))

    def _intervals(self, boot: FloatArray, names: Sequence[str]) -> dict[str, tuple[float, float]]:
        alpha = 1.0 - float(self.ci_level)
        if boot.shape[0] < 2:
            return {n: (float("nan"), float("nan")) for n in names}
        q = np.quantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
        return {n: (float(q[0, i]), float(q[1, i])) for i, n in enumerate(names)}

    def _bounds_hit(
        self, params: dict[str, float], lo: float, hi: float, grid: FloatArray
    ) -> list[str]:
        out = [n for n in ("strength", "permanent") if params.get(n, 1.0) <= 0.0]
        th = params[self.shape_name]
        step = float(grid[1] / grid[0])
        if th <= lo * step**0.5 or th >= hi / step**0.5:
            out.append(self.shape_name)
        return out

    def _refine(
        self,
        objective: Any,
        log_lo: float,
        log_hi: float,
        log_start: float,
        step: float,
    ) -> float:
        """Bounded Brent on ``log theta`` in the grid cell around ``log_start``."""
        from scipy.optimize import minimize_scalar

        a = max(log_lo, log_start - step)
        b = min(log_hi, log_start + step)
        if b - a <= 0:
            return log_start
        res = minimize_scalar(
            objective, bounds=(a, b), method="bounded", options={"xatol": _BRENT_XATOL}
        )
        if float(res.fun) < float(objective(log_start)):
            return float(res.x)
        return log_start

    def _fit_symmetric(
        self, reg: _Regression, W: FloatArray, grid: FloatArray, lo: float, hi: float, T: int
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """Best shape per weight row: the grid, then a golden-section search in ``log theta``
        over the grid cells either side of each row's best grid point, all rows at once.

        Returns ``(theta (B,), coef (B, 2) scaled, mu (B,) scaled, rss (B,) scaled, the
        point fit's rss over the grid)``.
        """
        kind, l0 = self.kernel, float(self.l0)
        cols_grid = reg.transient("both", kind, grid, T, l0)  # (J, n)
        perm = reg.permanent("both")
        _, rss = reg.solve(W, [cols_grid, perm])  # (B, J)
        j = np.argmin(rss, axis=1)
        log_grid = np.log(grid)
        step = float(log_grid[1] - log_grid[0])

        def evaluate(lt: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
            cols = reg.transient("both", kind, np.exp(lt), T, l0)  # (B, n)
            return reg.solve_paired(W, [cols, perm])

        lt_best = log_grid[j]
        a = np.maximum(lt_best - step, log_grid[0])
        b = np.minimum(lt_best + step, log_grid[-1])
        invphi = (np.sqrt(5.0) - 1.0) / 2.0
        c = b - invphi * (b - a)
        d = a + invphi * (b - a)
        fc, fd = evaluate(c)[1], evaluate(d)[1]
        for _ in range(_GOLDEN_ITERATIONS):
            left = fc < fd  # the minimum lies in [a, d]
            b = np.where(left, d, b)
            a = np.where(left, a, c)
            d_new = np.where(left, c, a + invphi * (b - a))
            c_new = np.where(left, b - invphi * (b - a), d)
            fd_new = np.where(left, fc, np.nan)
            fc_new = np.where(left, np.nan, fd)
            c, d = c_new, d_new
            need_c, need_d = np.isnan(fc_new), np.isnan(fd_new)
            fc_eval = evaluate(c)[1]
            fd_eval = evaluate(d)[1]
            fc = np.where(need_c, fc_eval, fc_new)
            fd = np.where(need_d, fd_eval, fd_new)
        lt_gs = (a + b) / 2.0
        _, rss_gs, _ = evaluate(lt_gs)
        lt = np.where(rss_gs <= rss[np.arange(W.shape[0]), j], lt_gs, lt_best)
        coef, rss_best, mu = evaluate(lt)
        return np.exp(lt), coef, mu, rss_best, rss[0]

    def _fit_sides(self, reg: _Regression, W: FloatArray, lo: float, hi: float, T: int) -> None:
        """Buy and sell kernels: a 2-D shape grid, then coordinate-wise Brent (two sweeps)."""
        kind, l0 = self.kernel, float(self.l0)
        grid = np.geomspace(lo, hi, SIDE_GRID_POINTS)
        log_grid = np.log(grid)
        step = float(log_grid[1] - log_grid[0])
        J = grid.shape[0]
        cb = reg.transient("buy", kind, grid, T, l0)  # (J, n)
        cs = -reg.transient("sell", kind, grid, T, l0)
        pb, ps = reg.permanent("buy"), -reg.permanent("sell")
        # all (i, j) pairs of shapes as a (J*J, n) stack
        colb = np.repeat(cb, J, axis=0)
        cols = np.tile(cs, (J, 1))
        Bn = W.shape[0]
        coef_grid, rss_grid = reg.solve(W, [colb, cols, pb, ps])  # (B, J*J, 4), (B, J*J)
        best = np.argmin(rss_grid, axis=1)
        lbs, lss = log_grid[best // J], log_grid[best % J]
        k = reg.sy / reg.sx
        out = np.empty((Bn, 7))  # G0b, thb, gb, G0s, ths, gs, mu
        for b in range(Bn):
            Wb = W[b : b + 1]
            lb, ls = float(lbs[b]), float(lss[b])
            if b == 0:  # the point estimate: coordinate-wise Brent from the grid, two sweeps
                for _sweep in range(2):

                    def obj_b(lt: float, ls: float = ls) -> float:
                        c1 = reg.transient("buy", kind, np.array([np.exp(lt)]), T, l0)[0]
                        c2 = -reg.transient("sell", kind, np.array([np.exp(ls)]), T, l0)[0]
                        return float(reg.solve(W[:1], [c1, c2, pb, ps])[1][0])

                    lb = self._refine(obj_b, log_grid[0], log_grid[-1], lb, step)

                    def obj_s(lt: float, lb: float = lb) -> float:
                        c1 = reg.transient("buy", kind, np.array([np.exp(lb)]), T, l0)[0]
                        c2 = -reg.transient("sell", kind, np.array([np.exp(lt)]), T, l0)[0]
                        return float(reg.solve(W[:1], [c1, c2, pb, ps])[1][0])

                    ls = self._refine(obj_s, log_grid[0], log_grid[-1], ls, step)
                c1 = reg.transient("buy", kind, np.array([np.exp(lb)]), T, l0)[0]
                c2 = -reg.transient("sell", kind, np.array([np.exp(ls)]), T, l0)[0]
                coef = reg.solve(Wb, [c1, c2, pb, ps])[0][0]
            else:  # replicates stop at the grid (a shape step finer than their spread)
                i, j = divmod(int(best[b]), J)
                c1, c2 = cb[i], cs[j]
                coef = coef_grid[b, best[b]]
            mu = reg.intercept(Wb, [c1, c2, pb, ps], coef[None, :])[0]
            out[b] = [
                coef[0] * k,
                np.exp(lb),
                coef[2] * k,
                coef[1] * k,
                np.exp(ls),
                coef[3] * k,
                mu * reg.sy,
            ]
        out = out + 0.0  # no "-0.0" from the NNLS
        names = ("strength", self.shape_name, "permanent")
        sides: dict[str, Any] = {}
        for s, cols_idx in (("buy", (0, 1, 2)), ("sell", (3, 4, 5))):
            sp = {n: float(out[0, c]) for n, c in zip(names, cols_idx, strict=True)}
            ci = self._intervals(out[1:, list(cols_idx)], names)
            sides[s] = {
                "params": sp,
                "ci": {n: [v[0], v[1]] for n, v in ci.items()},
                "at_bound": self._bounds_hit(sp, lo, hi, grid),
            }
        sides["drift"] = float(out[0, 6])
        asym: dict[str, Any] = {}
        for n, (ib, is_) in zip(names, ((0, 3), (1, 4), (2, 5)), strict=True):
            if n == self.shape_name:  # compare shapes on the log scale
                d0 = float(np.log(out[0, ib] / out[0, is_]))
                d = np.log(out[1:, ib] / out[1:, is_])
                label = f"log({n} buy / {n} sell)"
            else:
                d0 = float(out[0, ib] - out[0, is_])
                d = out[1:, ib] - out[1:, is_]
                label = f"{n} buy - {n} sell"
            if d.size >= 2:
                alpha = 1.0 - float(self.ci_level)
                q = np.quantile(d, [alpha / 2, 1 - alpha / 2])
                lo_d, hi_d = float(q[0]), float(q[1])
                tail = min(float(np.mean(d <= 0)), float(np.mean(d >= 0)))
                pv = min(1.0, 2.0 * tail)
            else:
                lo_d = hi_d = pv = float("nan")
            asym[n] = {"what": label, "diff": d0, "ci": [lo_d, hi_d], "p": pv}
        self.sides_ = sides
        self.boot_sides_ = out[1:]
        self.asymmetry_ = asym

    def _caveats(self, lo: float, hi: float) -> list[str]:
        out: list[str] = []
        sh = self.shape_name
        th_lo, th_hi = self.ci_.get(sh, (float("nan"), float("nan")))
        unit = " min" if sh == "half_life" else ""
        if sh in self.at_bound_:
            out.append(
                f"{sh} is at the edge of its search range [{lo:g}, {hi:g}]{unit}: the day does "
                "not pin it down"
            )
        if np.isfinite(th_lo) and np.isfinite(th_hi) and th_lo > 0 and th_hi / th_lo > 10:
            out.append(
                f"{sh} is not identified: its {round(100 * self.ci_level)}% interval spans "
                f"{th_lo:.3g} .. {th_hi:.3g}{unit} (a factor {th_hi / th_lo:.0f})"
            )
        if sh == "half_life" and self.params_[sh] > self.n_minutes_ / 3:
            out.append(
                f"the half-life {self.params_[sh]:.3g} min is long against the {self.n_minutes_}-"
                "minute day: transient and permanent impact are not separable here"
            )
        for n, label in (("strength", "G0"), ("permanent", "gamma")):
            c_lo, _ = self.ci_.get(n, (float("nan"), float("nan")))
            if np.isfinite(c_lo) and c_lo <= 0.0:
                out.append(f"{label} is not distinguishable from 0 at this level")
        if np.isfinite(self.r2_) and self.r2_ < 0.2:
            out.append(
                f"R² = {self.r2_:.3f}: the signed flow explains little of the minute-mean mid "
                "changes"
            )
        m = getattr(self, "markouts_", None)
        if m is not None and m.n.size and np.all(np.isfinite(m.ci[0])):
            lo_m, hi_m = float(m.ci[0, 0]), float(m.ci[0, 1])
            if not lo_m <= float(m.model[0]) <= hi_m:
                out.append(
                    f"the +{m.horizons[0]}-minute mark-out of a trade, ${m.data[0]:.4f} "
                    f"[{lo_m:.4f}, {hi_m:.4f}], is not what the fitted kernel implies "
                    f"(${m.model[0]:.4f}): single trades do not follow the per-minute "
                    "linear-in-volume model (impact concave in size, or trades that anticipate "
                    "the price)"
                )
        if self.asymmetry_ is not None:
            sig = [n for n, a in self.asymmetry_.items() if np.isfinite(a["p"]) and a["p"] < 0.05]
            if sig:
                out.append(f"buy and sell differ in {', '.join(sig)} (bootstrap p < 0.05)")
            else:
                out.append("no significant buy/sell asymmetry (every bootstrap p >= 0.05)")
        return out

    # ------------------------------------------------------------------ results
    def _check_fitted(self) -> None:
        if not hasattr(self, "kernel_"):
            raise InputError("this PropagatorFit is not fitted yet: call fit(book).")

    def impact_path(self, times: ArrayLike) -> FloatArray:
        """The fitted model's mid displacement (dollars) at UTC ``times`` of the fitted day."""
        self._check_fitted()
        t = np.asarray(times).astype("datetime64[ns]")
        G = self.kernel_.values(self.flow_.T)
        return _impact_at(self.flow_, G, self.permanent_, t, strict=False)

    def settings(self) -> dict[str, Any]:
        """The constructor's settings, JSON-ready."""
        return {
            "kernel": self.kernel,
            "l0": float(self.l0),
            "shape_bounds": list(self.shape_bounds) if self.shape_bounds else None,
            "fit_intercept": bool(self.fit_intercept),
            "by_side": bool(self.by_side),
            "unsigned": self.unsigned,
            "n_boot": int(self.n_boot),
            "block_minutes": int(self.block_minutes),
            "ci_level": float(self.ci_level),
            "markout_horizons": [int(h) for h in self.markout_horizons],
            "min_minutes": int(self.min_minutes),
            "seed": self.seed
            if isinstance(self.seed, int) or self.seed is None
            else "SeedSequence",
        }

    def summary(self) -> dict[str, Any]:
        """The ``"propagator"`` section of the fit file (JSON-ready; see :mod:`fitjson`)."""
        self._check_fitted()
        f = self.flow_
        c = f.counts
        return {
            "kernel": self.kernel_.to_dict(),
            "permanent": self.permanent_,
            "params": dict(self.params_),
            "ci": {k: [v[0], v[1]] for k, v in self.ci_.items()},
            "ci_level": float(self.ci_level),
            "units": {
                "strength": "dollars per share per share (mid dollars moved per share traded)",
                "permanent": "dollars per share per share",
                "half_life": "minutes (one period of execopt solve)",
                "beta": "dimensionless (lags in minutes, l0 in minutes)",
                "drift": "dollars per minute",
                "markouts": "dollars per trade, signed by the aggressor side",
            },
            "convention": (
                "mid_t = c + sum_{s<t} (G(t-s) + gamma) v_s + G(0) * (signed shares so far in "
                "minute t); fitted on the minute-mean mid; matches 1/2 x'Kx + gamma (S^2 - "
                "sum x^2)/2 for a schedule trading evenly through each minute"
            ),
            "diagnostics": {
                "r2": self.r2_,
                "r2_flow": self.r2_flow_,
                "rmse": self.rmse_,
                "n_minutes": self.n_minutes_,
                "n_obs": self.n_obs_,
                "at_bound": list(self.at_bound_),
                "profile": dict(self.profile_),
                "counts": {k: float(v) for k, v in c.items()},
                "unsigned": f.unsigned,
                "net_signed_shares": float(f.signed_volume.sum()),
                "day_mid_change": float(
                    f.mid_mean[np.isfinite(f.mid_mean)][-1] - f.mid_mean[np.isfinite(f.mid_mean)][0]
                ),
            },
            "sides": self.sides_,
            "asymmetry": self.asymmetry_,
            "markouts": self.markouts_.rows(),
            "caveats": list(self.caveats_),
            "identification": list(IDENTIFICATION),
            "settings": self.settings(),
        }

    def __repr__(self) -> str:
        fitted = ", ".join(f"{k}={v:.4g}" for k, v in getattr(self, "params_", {}).items())
        return (
            f"PropagatorFit(kernel={self.kernel!r}, n_boot={self.n_boot}, "
            f"block_minutes={self.block_minutes}, by_side={self.by_side}, "
            f"unsigned={self.unsigned!r}){' -> ' + fitted if fitted else ''}"
        )
