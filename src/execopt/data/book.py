"""The validated, immutable order-book series and its trades.

Glossary
--------
ts
    Event timestamps, ``numpy.datetime64[ns]`` holding UTC (NumPy carries no time zone; every
    conversion to a local clock goes through pandas and is DST aware).
bid_px, ask_px, bid_sz, ask_sz
    Arrays of shape ``(n_rows, n_levels)``, float64, level 0 the best.  An absent level has
    price NaN and size 0.  Row ``k`` is the book *after* event ``k``.
minutes
    For a per-minute series (:meth:`BookSeries.minute_snapshots`), the UTC start of each
    one-minute period; the row is the last book state at or before the end of that minute.
synthetic time
    A series whose timestamps were made up (a LOBSTER order-book file read without its
    message file: rows spread evenly over the session) has ``synthetic_time=True``.  Its book
    states are real but their clock times are not, so every time-of-day operation (minute
    snapshots, per-minute volumes and returns, session filters, clock slices, and everything
    built on them: per-minute profiles, backtests) raises DataError unless the user opted in
    (``allow_synthetic_time=True``, CLI ``--synthetic-time``); results are then labelled.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from execopt.data.grid import DEFAULT_MAX_GAP, MISSING, MinuteGrid, build_grid
from execopt.data.validation import (
    Policy,
    ValidationReport,
    remove_zero_size_levels,
    validate_book,
)
from execopt.errors import DataError, InputError

__all__ = [
    "NS_PER_MINUTE",
    "BookSeries",
    "Trades",
    "readonly",
]

NS_PER_MINUTE = 60 * 10**9
_SIDES = frozenset({"B", "A", "N"})
Session = tuple[str, str]
DEFAULT_SESSION: Session = ("09:30", "16:00")
DEFAULT_TZ = "America/New_York"


def readonly(a: np.ndarray) -> np.ndarray:
    """Return a read-only view of ``a`` (the caller's array itself stays writeable)."""
    v = a.view()
    v.flags.writeable = False
    return v


def _as_ts(ts: object, name: str = "ts") -> np.ndarray:
    a = np.asarray(ts)
    if a.ndim != 1:
        raise DataError(f"{name} must be one-dimensional, got shape {a.shape}")
    if a.dtype.kind == "M":
        return a.astype("datetime64[ns]", copy=False)
    if a.dtype.kind in "iu":
        return a.astype(np.int64, copy=False).view("datetime64[ns]")
    if a.size == 0:
        return np.empty(0, dtype="datetime64[ns]")
    raise DataError(f"{name} must be datetime64 or int64 nanoseconds, got dtype {a.dtype}")


def _utc_ns(x: object) -> np.datetime64:
    """A timestamp as UTC datetime64[ns]; naive inputs are taken to be UTC."""
    t = pd.Timestamp(x)  # type: ignore[arg-type]
    if t.tzinfo is not None:
        t = t.tz_convert("UTC").tz_localize(None)
    return np.datetime64(int(t.as_unit("ns").value), "ns")


def _parse_hhmm(s: str) -> int:
    """Minutes after midnight of ``"HH:MM"``."""
    try:
        h, m = s.split(":")
        out = int(h) * 60 + int(m)
    except ValueError as exc:
        raise InputError(f"session times must look like '09:30', got {s!r}") from exc
    if not 0 <= out <= 24 * 60:
        raise InputError(f"session time {s!r} is outside 00:00-24:00")
    return out


def _local_clock(ts: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """Local calendar day (datetime64[D]) and nanoseconds after local midnight of ``ts``."""
    idx = pd.DatetimeIndex(ts).tz_localize("UTC").tz_convert(tz)
    wall = idx.tz_localize(None).to_numpy().astype("datetime64[ns]")
    day = wall.astype("datetime64[D]")
    tod = (wall - day.astype("datetime64[ns]")).view(np.int64)
    return day, tod


def _local_to_utc(wall: np.ndarray, tz: str) -> np.ndarray:
    """Convert naive local wall-clock datetime64[ns] to UTC datetime64[ns] (DST aware)."""
    idx = pd.DatetimeIndex(wall).tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    if idx.isna().any():
        bad = wall[np.asarray(idx.isna())][0]
        raise DataError(
            f"local time {bad} does not exist or is ambiguous in {tz} (a DST change); "
            "choose session times outside the change"
        )
    return np.asarray(idx.tz_convert("UTC").tz_localize(None).to_numpy(), "datetime64[ns]")


@dataclass(frozen=True, eq=False)
class Trades:
    """Trades of a book series (immutable).

    Attributes
    ----------
    ts : ndarray of datetime64[ns]
        Trade times, UTC.
    price : ndarray of float64
        Trade prices in dollars.
    size : ndarray of float64
        Shares traded.
    side : ndarray of str
        Aggressor side: ``'B'`` buyer-initiated, ``'A'`` seller-initiated, ``'N'`` unknown
        (Databento's convention for trade records).
    """

    ts: np.ndarray
    price: np.ndarray
    size: np.ndarray
    side: np.ndarray

    def __post_init__(self) -> None:
        ts = _as_ts(self.ts, "trades.ts")
        price = np.asarray(self.price, dtype=np.float64)
        size = np.asarray(self.size, dtype=np.float64)
        side = np.asarray(self.side).astype("<U1")
        n = len(ts)
        for name, a in (("price", price), ("size", size), ("side", side)):
            if a.shape != (n,):
                raise DataError(f"trades.{name} has shape {a.shape}, expected ({n},)")
        t = ts.view(np.int64)
        if n > 1 and bool(np.any(t[1:] < t[:-1])):
            raise DataError("trades.ts must be non-decreasing; sort the trades by time")
        if n and not set(np.unique(side).tolist()) <= _SIDES:
            raise DataError(
                f"trades.side must contain only 'B', 'A', 'N', got {sorted(set(side.tolist()))}"
            )
        for name, a in (("ts", ts), ("price", price), ("size", size), ("side", side)):
            object.__setattr__(self, name, readonly(a))

    @classmethod
    def empty(cls) -> Trades:
        """No trades."""
        return cls(np.empty(0, "datetime64[ns]"), np.empty(0), np.empty(0), np.empty(0, "<U1"))

    def __len__(self) -> int:
        return len(self.ts)

    def take(self, index: np.ndarray) -> Trades:
        """Trades selected by an integer or boolean index."""
        return Trades(self.ts[index], self.price[index], self.size[index], self.side[index])

    def between(self, start: np.datetime64, end: np.datetime64) -> Trades:
        """Trades with ``start <= ts < end``."""
        i, j = np.searchsorted(self.ts, [start, end], side="left")
        return self.take(np.arange(i, j))

    def equals(self, other: object) -> bool:
        """True when every array is equal."""
        if not isinstance(other, Trades):
            return False
        return all(
            np.array_equal(getattr(self, f), getattr(other, f))
            for f in ("ts", "price", "size", "side")
        )

    def to_frame(self) -> pd.DataFrame:
        """DataFrame with columns ts (UTC, tz-aware), price, size, side."""
        return pd.DataFrame(
            {
                "ts": pd.DatetimeIndex(self.ts).tz_localize("UTC"),
                "price": self.price,
                "size": self.size,
                "side": self.side.astype(object),
            }
        )

    def __repr__(self) -> str:
        return f"Trades(n={len(self)}, shares={float(self.size.sum()):,.0f})"


@dataclass(frozen=True, eq=False)
class BookSeries:
    """A validated, immutable series of limit-order-book states.

    Build one with a reader (:func:`~execopt.data.read_mbp10`,
    :func:`~execopt.data.read_lobster`, ...), with :func:`~execopt.data.synthetic_book`, or
    with :meth:`from_arrays`, which validates.  The constructor itself checks only structure
    (shapes, dtypes, ordered timestamps) and makes every array read-only.

    Attributes
    ----------
    symbol : str
    ts : ndarray of datetime64[ns], shape (n_rows,)
        UTC, non-decreasing.
    bid_px, ask_px, bid_sz, ask_sz : ndarray of float64, shape (n_rows, n_levels)
        Level 0 best; absent levels have price NaN and size 0.
    trades : Trades
        Trades in time order (possibly empty).
    source : tuple of str
        Files the series came from (``("synthetic:...",)`` for generated books).
    validation : ValidationReport
    minutes : ndarray of datetime64[ns] or None
        Set on per-minute series: the UTC start of each row's minute.
    grid : MinuteGrid or None
        Set on per-minute series made by :meth:`minute_snapshots`: the status of each minute
        (observed, carried, missing; :mod:`execopt.data.grid`). A missing minute's row is an
        empty book (NaN prices, zero sizes).
    synthetic_time : bool
        True when the timestamps were made up by the reader (see the module docstring).
    allow_synthetic_time : bool
        The user accepts time-of-day work on made-up timestamps (see
        :meth:`with_synthetic_time_allowed`); without it such work raises DataError.
    """

    symbol: str
    ts: np.ndarray
    bid_px: np.ndarray
    ask_px: np.ndarray
    bid_sz: np.ndarray
    ask_sz: np.ndarray
    trades: Trades = field(default_factory=Trades.empty)
    source: tuple[str, ...] = ()
    validation: ValidationReport = field(default_factory=ValidationReport)
    minutes: np.ndarray | None = None
    synthetic_time: bool = False
    allow_synthetic_time: bool = False
    grid: MinuteGrid | None = None

    def __post_init__(self) -> None:
        ts = _as_ts(self.ts)
        n = len(ts)
        arrays = {}
        shape: tuple[int, ...] | None = None
        for name in ("bid_px", "ask_px", "bid_sz", "ask_sz"):
            a = np.asarray(getattr(self, name), dtype=np.float64)
            if a.ndim != 2 or a.shape[0] != n or a.shape[1] < 1:
                raise DataError(f"{name} must have shape (n_rows={n}, n_levels>=1), got {a.shape}")
            if shape is not None and a.shape != shape:
                raise DataError(f"{name} has shape {a.shape}, bid_px has {shape}")
            shape = a.shape
            arrays[name] = a
        t = ts.view(np.int64)
        if n > 1 and bool(np.any(t[1:] < t[:-1])):
            i = int(np.argmax(t[1:] < t[:-1])) + 1
            raise DataError(
                f"ts must be non-decreasing; row {i} ({ts[i]}) is earlier than row {i - 1} "
                f"({ts[i - 1]})"
            )
        if not isinstance(self.trades, Trades):
            raise DataError(f"trades must be a Trades instance, got {type(self.trades)}")
        if not isinstance(self.validation, ValidationReport):
            raise DataError("validation must be a ValidationReport")
        object.__setattr__(self, "symbol", str(self.symbol))
        object.__setattr__(self, "source", tuple(str(s) for s in self.source))
        object.__setattr__(self, "ts", readonly(ts))
        for name, a in arrays.items():
            object.__setattr__(self, name, readonly(a))
        if self.minutes is not None:
            m = _as_ts(self.minutes, "minutes")
            if len(m) != n:
                raise DataError(f"minutes has length {len(m)}, expected {n}")
            object.__setattr__(self, "minutes", readonly(m))
            if self.grid is not None and len(self.grid) != n:
                raise DataError(f"grid has {len(self.grid)} minutes, expected {n}")
        elif self.grid is not None:
            raise DataError("a grid is only set on a per-minute series (minutes=...)")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        ts: object,
        bid_px: object,
        ask_px: object,
        bid_sz: object,
        ask_sz: object,
        *,
        symbol: str = "",
        trades: Trades | None = None,
        source: Sequence[str] = (),
        policy: Policy = "raise",
    ) -> BookSeries:
        """Validate arrays and build a series.

        Prices NaN mark absent levels (their sizes are set to 0); a level with a price but size
        0 is treated as absent too (counted as ``zero_size_levels``).  See
        :func:`~execopt.data.validation.validate_book` for the checks and ``policy``.
        """
        t = _as_ts(ts)
        arrs = [np.array(a, dtype=np.float64, ndmin=2) for a in (bid_px, ask_px, bid_sz, ask_sz)]
        bp, ap, bs, as_ = arrs
        for name, a in zip(("bid_px", "ask_px", "bid_sz", "ask_sz"), arrs, strict=True):
            if a.shape != bp.shape or a.shape[0] != len(t):
                raise DataError(
                    f"{name} has shape {a.shape}; expected ({len(t)}, n_levels) like bid_px"
                )
        bs[np.isnan(bp) & ~(bs > 0)] = 0.0
        as_[np.isnan(ap) & ~(as_ > 0)] = 0.0
        zero_size = remove_zero_size_levels(bp, ap, bs, as_)
        keep, report = validate_book(t, bp, ap, bs, as_, policy=policy)
        if zero_size:
            report = report.with_updates(
                zero_size_levels=zero_size,
                notes=(
                    f"{zero_size:,} row(s) had a level with a price but size 0; such levels "
                    "are treated as absent (the deeper levels move up)",
                ),
            )
        if not keep.all():
            t, bp, ap, bs, as_ = t[keep], bp[keep], ap[keep], bs[keep], as_[keep]
        return cls(
            symbol,
            t,
            bp,
            ap,
            bs,
            as_,
            trades=trades if trades is not None else Trades.empty(),
            source=tuple(source),
            validation=report,
        )

    @classmethod
    def concat(cls, books: Sequence[BookSeries]) -> BookSeries:
        """Event-level series of one symbol that follow each other in time, as one series
        (several days of a run: every row, trade and validation count kept).

        Raises
        ------
        DataError
            No series, a per-minute series, different symbols or level counts, or series that
            overlap in time.
        """
        if not books:
            raise DataError("concat needs at least one book series.")
        parts = sorted(books, key=lambda b: int(b.ts[0].view(np.int64)) if len(b) else 0)
        for b in parts:
            if b.minutes is not None:
                raise DataError("concat takes event-level series, not per-minute ones.")
        if len({b.symbol for b in parts}) > 1 or len({b.n_levels for b in parts}) > 1:
            raise DataError("concat needs series of one symbol with the same number of levels.")
        for a, b in itertools.pairwise(parts):
            if len(a) and len(b) and b.ts[0] < a.ts[-1]:
                raise DataError(
                    f"the series overlap in time ({a.ts[-1]} > {b.ts[0]}): concat joins "
                    "consecutive days"
                )
        report = parts[0].validation
        for b in parts[1:]:
            report = report.merge(b.validation)
        trades = Trades(
            np.concatenate([np.asarray(b.trades.ts) for b in parts]),
            np.concatenate([np.asarray(b.trades.price) for b in parts]),
            np.concatenate([np.asarray(b.trades.size) for b in parts]),
            np.concatenate([np.asarray(b.trades.side) for b in parts]),
        )
        return cls(
            parts[0].symbol,
            np.concatenate([np.asarray(b.ts) for b in parts]),
            np.concatenate([b.bid_px for b in parts]),
            np.concatenate([b.ask_px for b in parts]),
            np.concatenate([b.bid_sz for b in parts]),
            np.concatenate([b.ask_sz for b in parts]),
            trades=trades,
            source=tuple(s for b in parts for s in b.source),
            validation=report,
            synthetic_time=any(b.synthetic_time for b in parts),
            allow_synthetic_time=all(b.allow_synthetic_time for b in parts),
        )

    def replace(self, **changes: object) -> BookSeries:
        """A copy with some fields replaced (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ clock
    @property
    def time_is_real(self) -> bool:
        """False when the timestamps were made up by the reader (``synthetic_time``)."""
        return not self.synthetic_time

    def with_synthetic_time_allowed(self) -> BookSeries:
        """A copy on which time-of-day work runs although the timestamps are made up.

        Use it only knowingly: minute snapshots and per-minute profiles then follow row order
        spread evenly over the session, not the clock.  A series with real timestamps is
        returned unchanged.
        """
        if not self.synthetic_time:
            return self
        return dataclasses.replace(self, allow_synthetic_time=True)

    def require_real_time(self, what: str) -> None:
        """Raise DataError if ``what`` (a time-of-day operation) would use made-up timestamps.

        Passes for real timestamps and for series with ``allow_synthetic_time``.
        """
        if self.synthetic_time and not self.allow_synthetic_time:
            raise DataError(
                f"{what} needs real timestamps, but those of the {self.symbol or 'book'} series "
                f"({', '.join(self.source) or 'no source'}) are synthesised: the source had "
                "none (a LOBSTER order-book file without its message file), and its rows were "
                "spread evenly over the session, so minutes, per-minute profiles and backtests "
                "would describe made-up times. Give the message file (messages=..., CLI "
                "--messages), or accept evenly spread times explicitly with "
                "allow_synthetic_time=True (CLI --synthetic-time); results are then labelled "
                "'synthetic time'"
            )

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.ts)

    @property
    def n_rows(self) -> int:
        """Number of book states."""
        return len(self.ts)

    @property
    def n_levels(self) -> int:
        """Number of price levels per side."""
        return int(self.bid_px.shape[1])

    @cached_property
    def mid(self) -> np.ndarray:
        """Mid price ``(bid_px[:, 0] + ask_px[:, 0]) / 2``; NaN where a side is empty."""
        return readonly((self.bid_px[:, 0] + self.ask_px[:, 0]) / 2.0)

    @cached_property
    def spread(self) -> np.ndarray:
        """Quoted spread ``ask_px[:, 0] - bid_px[:, 0]`` in dollars; NaN where a side is empty."""
        return readonly(self.ask_px[:, 0] - self.bid_px[:, 0])

    def depth(self, side: str, levels: int | None = None) -> np.ndarray:
        """Shares resting on one side, summed over the first ``levels`` levels.

        Parameters
        ----------
        side : {"bid", "ask", "both"}
            ``"B"`` and ``"A"`` are accepted for bid and ask.
        levels : int, optional
            Number of levels from the best (default all).
        """
        L = self.n_levels if levels is None else int(levels)
        if not 1 <= L <= self.n_levels:
            raise InputError(f"levels must be in 1..{self.n_levels}, got {levels}")
        key = {"bid": "bid", "b": "bid", "ask": "ask", "a": "ask", "both": "both"}.get(
            str(side).lower()
        )
        if key is None:
            raise InputError(f"side must be 'bid', 'ask' or 'both', got {side!r}")
        if key == "bid":
            return self.bid_sz[:, :L].sum(axis=1)
        if key == "ask":
            return self.ask_sz[:, :L].sum(axis=1)
        return self.bid_sz[:, :L].sum(axis=1) + self.ask_sz[:, :L].sum(axis=1)

    def take(self, index: np.ndarray | slice) -> BookSeries:
        """Rows selected by an integer or boolean index (trades and report unchanged)."""
        return dataclasses.replace(
            self,
            ts=self.ts[index],
            bid_px=self.bid_px[index],
            ask_px=self.ask_px[index],
            bid_sz=self.bid_sz[index],
            ask_sz=self.ask_sz[index],
            minutes=None if self.minutes is None else self.minutes[index],
            grid=None if self.grid is None else self.grid.take(index),
        )

    def between(self, start: object, end: object) -> BookSeries:
        """Rows and trades with ``start <= ts < end`` (UTC; anything ``numpy.datetime64``
        or pandas accepts).
        """
        self.require_real_time("between() (a clock-time slice)")
        s, e = _utc_ns(start), _utc_ns(end)
        i, j = np.searchsorted(self.ts, [s, e], side="left")
        out = self.take(slice(int(i), int(j)))
        return dataclasses.replace(out, trades=self.trades.between(s, e))

    def equals(self, other: object) -> bool:
        """True when symbol, every array and the trades are equal (NaN equal to NaN)."""
        if not isinstance(other, BookSeries) or self.symbol != other.symbol:
            return False
        for name in ("ts", "bid_px", "ask_px", "bid_sz", "ask_sz"):
            if not np.array_equal(
                getattr(self, name), getattr(other, name), equal_nan=name != "ts"
            ):
                return False
        if (self.minutes is None) != (other.minutes is None):
            return False
        if (
            self.minutes is not None
            and other.minutes is not None
            and not np.array_equal(self.minutes, other.minutes)
        ):
            return False
        return self.trades.equals(other.trades)

    def __repr__(self) -> str:
        span = f"{self.ts[0]} .. {self.ts[-1]}" if len(self) else "empty"
        kind = ", per-minute" if self.minutes is not None else ""
        kind += ", SYNTHETIC TIME" if self.synthetic_time else ""
        return (
            f"BookSeries({self.symbol!r}, {self.n_rows:,} rows x {self.n_levels} levels{kind}, "
            f"{span} UTC, {len(self.trades):,} trades, {self.validation.rows_dropped:,} "
            "rows dropped)"
        )

    # ------------------------------------------------------------------ sessions
    def regular_hours(self, tz: str = DEFAULT_TZ, session: Session = DEFAULT_SESSION) -> BookSeries:
        """Rows and trades inside the trading session, local time ``[open, close)``.

        Parameters
        ----------
        tz : str
            IANA zone of the exchange clock (DST aware).
        session : (str, str)
            Local opening and closing times, default 09:30-16:00.
        """
        self.require_real_time("regular_hours() (a time-of-day filter)")
        lo, hi = (_parse_hhmm(s) * NS_PER_MINUTE for s in session)
        _, tod = _local_clock(np.asarray(self.ts), tz)
        keep = (tod >= lo) & (tod < hi)
        out = self.take(keep)
        if len(self.trades):
            _, ttod = _local_clock(np.asarray(self.trades.ts), tz)
            trades = self.trades.take((ttod >= lo) & (ttod < hi))
        else:
            trades = self.trades
        note = (
            f"regular_hours: kept {int(keep.sum()):,} of {len(self):,} rows ({session[0]}-"
            f"{session[1]} {tz})"
        )
        return dataclasses.replace(
            out, trades=trades, validation=self.validation.with_updates(notes=(note,))
        )

    def minute_grid(
        self,
        tz: str = DEFAULT_TZ,
        session: Session | None = DEFAULT_SESSION,
        max_gap: int | None = DEFAULT_MAX_GAP,
    ) -> MinuteGrid:
        """The minutes this book covers, each observed, carried or missing.

        See :mod:`execopt.data.grid`: session minutes before a day's first book state or after
        its last (beyond ``max_gap`` minutes of silence) are left out and listed in
        ``uncovered``; silent stretches longer than ``max_gap`` inside the data are missing.
        A per-minute series returns its own grid (all observed when it has none).

        Parameters
        ----------
        tz : str
            Exchange time zone.
        session : (str, str) or None
            Local session, default 09:30-16:00; None: the data's own span.
        max_gap : int or None
            Longest silence, minutes, over which a book is carried (None: any).
        """
        self.require_real_time("per-minute work (minute snapshots, volumes, profiles)")
        if self.minutes is not None:
            if self.grid is not None:
                return self.grid
            return MinuteGrid.observed_minutes(np.asarray(self.minutes), tz)
        if self.synthetic_time:
            max_gap = None  # rows spread evenly over the session: silences are made up too
        return build_grid(np.asarray(self.ts), tz, session, max_gap)

    def session_minutes(
        self,
        tz: str = DEFAULT_TZ,
        session: Session | None = DEFAULT_SESSION,
        max_gap: int | None = DEFAULT_MAX_GAP,
    ) -> np.ndarray:
        """UTC starts of the minutes of :meth:`minute_grid` (the session's minutes that the
        data cover, for each day with data).

        With ``session=None`` the minutes span the data instead: from the minute of the first
        row to the minute of the last.  A per-minute series returns its own ``minutes``.
        """
        self.require_real_time("per-minute work (minute snapshots, volumes, profiles)")
        if self.minutes is not None:
            return np.asarray(self.minutes)
        if len(self) == 0:
            raise DataError("the book series is empty; there are no minutes")
        return np.asarray(self.minute_grid(tz, session, max_gap).minutes)

    def minute_snapshots(
        self,
        tz: str = DEFAULT_TZ,
        session: Session | None = DEFAULT_SESSION,
        max_gap: int | None = DEFAULT_MAX_GAP,
    ) -> BookSeries:
        """One row per minute of :meth:`minute_grid`: the last book state at or before the end
        of the minute.

        A *carried* minute (no event of its own, inside the data) gets the previous state of
        the same day, counted in the report (``forward_filled_minutes``). A *missing* minute (a
        silence longer than ``max_gap``) gets an empty book (NaN prices, zero sizes), counted
        as ``missing_minutes``; session minutes no data cover are not rows at all (counted as
        ``uncovered_minutes``). Nothing is back-filled. The result's ``ts`` is the time of the
        state used (the minute start for a missing minute), ``minutes`` the minute starts and
        ``grid`` the statuses; its trades are those inside the minutes. A series that already is
        per-minute is returned unchanged.

        Parameters
        ----------
        tz, session, max_gap
            As in :meth:`minute_grid` (``session=None``: the data's own span).
        """
        self.require_real_time("minute_snapshots()")
        if self.minutes is not None:
            return self
        if len(self) == 0:
            raise DataError("the book series is empty; there are no minutes")
        grid = self.minute_grid(tz, session, max_gap)
        minutes = np.asarray(grid.minutes)
        t = np.asarray(self.ts)
        ends = minutes + np.timedelta64(NS_PER_MINUTE, "ns")
        idx = np.searchsorted(t, ends, side="left") - 1
        miss = np.asarray(grid.status == MISSING)
        if np.any((idx < 0) & ~miss):  # pragma: no cover - the grid starts at a state
            raise DataError("internal: a covered minute precedes the first book state")
        idx = np.maximum(idx, 0)
        ffill = grid.n_carried
        n_miss = grid.n_missing
        notes = [f"minute_snapshots: {len(minutes)} minutes ({grid.label()}), last state in each"]
        if ffill:
            notes.append(f"{ffill} minute(s) had no event and carry the previous state forward")
        if n_miss:
            notes.append(
                f"{n_miss} minute(s) lie in silences longer than {grid.max_gap} minutes: missing "
                "(empty books, not tradable)"
            )
        if grid.uncovered:
            notes.append(
                f"{grid.n_uncovered} session minute(s) not covered by the data: "
                + "; ".join(f"{d} {sp} ({r})" for d, sp, _, r in grid.uncovered)
            )
        report = self.validation.with_updates(
            forward_filled_minutes=self.validation.forward_filled_minutes + ffill,
            missing_minutes=self.validation.missing_minutes + n_miss,
            uncovered_minutes=self.validation.uncovered_minutes + grid.n_uncovered,
            notes=tuple(notes),
        )
        bid_px, ask_px = self.bid_px[idx], self.ask_px[idx]
        bid_sz, ask_sz = self.bid_sz[idx], self.ask_sz[idx]
        ts_used = t[idx]
        if n_miss:
            bid_px, ask_px = bid_px.copy(), ask_px.copy()
            bid_sz, ask_sz = bid_sz.copy(), ask_sz.copy()
            bid_px[miss] = np.nan
            ask_px[miss] = np.nan
            bid_sz[miss] = 0.0
            ask_sz[miss] = 0.0
            ts_used = np.where(miss, minutes, ts_used)
        tr = self.trades
        if len(tr):
            k = np.searchsorted(minutes, np.asarray(tr.ts), side="right") - 1
            inside = (k >= 0) & (
                np.asarray(tr.ts) < minutes[np.maximum(k, 0)] + np.timedelta64(NS_PER_MINUTE, "ns")
            )
            tr = tr.take(inside)
        return BookSeries(
            self.symbol,
            ts_used,
            bid_px,
            ask_px,
            bid_sz,
            ask_sz,
            trades=tr,
            source=self.source,
            validation=report,
            minutes=minutes,
            synthetic_time=self.synthetic_time,
            allow_synthetic_time=self.allow_synthetic_time,
            grid=grid,
        )

    def minute_volume(
        self,
        tz: str = DEFAULT_TZ,
        session: Session | None = DEFAULT_SESSION,
        max_gap: int | None = DEFAULT_MAX_GAP,
    ) -> np.ndarray:
        """Traded shares per minute, aligned with :meth:`minute_snapshots` (float64)."""
        minutes = self.session_minutes(tz, session, max_gap)
        tt = np.asarray(self.trades.ts)
        k = np.searchsorted(minutes, tt, side="right") - 1
        ok = k >= 0
        ok[ok] = tt[ok] < minutes[k[ok]] + np.timedelta64(NS_PER_MINUTE, "ns")
        return np.bincount(
            k[ok], weights=np.asarray(self.trades.size)[ok], minlength=len(minutes)
        ).astype(np.float64)

    def minute_returns(
        self,
        tz: str = DEFAULT_TZ,
        session: Session | None = DEFAULT_SESSION,
        max_gap: int | None = DEFAULT_MAX_GAP,
    ) -> np.ndarray:
        """Log mid returns between consecutive minute snapshots, length ``n_minutes - 1``.

        Element ``t - 1`` is ``log(mid_t / mid_{t-1})``.  Over several days the return that
        spans the night is included; NaN where a snapshot's book is one-sided or missing.
        """
        mid = self.minute_snapshots(tz, session, max_gap).mid
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diff(np.log(mid))

    def realised_volatility(
        self,
        window: int = 30,
        tz: str = DEFAULT_TZ,
        session: Session | None = DEFAULT_SESSION,
        max_gap: int | None = DEFAULT_MAX_GAP,
    ) -> np.ndarray:
        """Rolling realised volatility of minute log returns (not annualised).

        ``rv[t] = sqrt(sum of r_s**2 over the ``window`` returns ending at t)``, aligned with
        :meth:`minute_returns`; the first ``window - 1`` values are NaN.
        """
        if int(window) < 1:
            raise InputError(f"window must be >= 1, got {window}")
        w = int(window)
        r2 = self.minute_returns(tz, session, max_gap) ** 2
        out = np.full(len(r2), np.nan)
        if len(r2) >= w:
            c = np.concatenate([[0.0], np.cumsum(r2)])
            out[w - 1 :] = np.sqrt(np.maximum(c[w:] - c[:-w], 0.0))
        return out

    def to_frame(self) -> pd.DataFrame:
        """DataFrame indexed by ``ts`` (UTC, tz-aware) with Databento-style level columns
        ``bid_px_00, ask_px_00, bid_sz_00, ask_sz_00, ...`` (and ``minute`` if per-minute).
        """
        cols: dict[str, np.ndarray] = {}
        for i in range(self.n_levels):
            cols[f"bid_px_{i:02d}"] = self.bid_px[:, i]
            cols[f"ask_px_{i:02d}"] = self.ask_px[:, i]
            cols[f"bid_sz_{i:02d}"] = self.bid_sz[:, i]
            cols[f"ask_sz_{i:02d}"] = self.ask_sz[:, i]
        index = pd.DatetimeIndex(np.asarray(self.ts)).tz_localize("UTC").rename("ts")
        df = pd.DataFrame(cols, index=index)
        if self.minutes is not None:
            df["minute"] = pd.DatetimeIndex(np.asarray(self.minutes)).tz_localize("UTC")
        return df
