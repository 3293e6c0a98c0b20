"""Per-minute signed flow and minute-mean mids from a book (:class:`MinuteFlow`).

Part of :mod:`execopt.impact.propagator` (see its docstring for the model and its limits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from execopt.errors import DataError, InputError

if TYPE_CHECKING:  # pragma: no cover
    from execopt.data.book import BookSeries, Session
from execopt.impact.propagator._shared import (
    NS_PER_MINUTE,
    FloatArray,
    Unsigned,
    _as_1d,
    readonly,
)


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
