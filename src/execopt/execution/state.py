"""What a policy sees when it decides: the live book, the past, and the order's progress.

The simulator steps through the minute periods of a day. At period ``t`` it builds a
:class:`MarketState` and asks the policy for the shares to send. **Timing**: the decision is
taken at the last book state of minute ``t`` (the minute snapshot), so every book row and every
trade up to that moment is known: the history exposes minutes ``0..t`` (books, mids, volumes)
and nothing later. The child order is filled against that same live book.

Glossary: ``t`` period index (0-based), ``N`` periods, ``S`` shares of the parent order,
``R`` shares remaining (not yet filled and not dropped), ``L`` book levels per side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from execopt.data.book import BookSeries
from execopt.impact.bookwalk import Side, book_curve
from execopt.impact.models import PiecewiseLinearImpact

__all__ = [
    "BookSnapshot",
    "DayData",
    "History",
    "MarketState",
    "Policy",
    "Side",
    "book_status",
]

FloatArray = NDArray[np.float64]
BookStatus = Literal["ok", "crossed", "empty"]


def book_status(bid_px: FloatArray, ask_px: FloatArray, sz: FloatArray) -> BookStatus:
    """``"ok"``, ``"crossed"`` (best bid above best ask) or ``"empty"`` (no two-sided book, or
    nothing on the side walked; ``sz`` are that side's sizes).
    """
    b, a = float(bid_px[0]), float(ask_px[0])
    if not (np.isfinite(b) and np.isfinite(a)) or not float(np.sum(sz)) > 0:
        return "empty"
    if b > a:
        return "crossed"
    return "ok"


@dataclass(frozen=True, eq=False)
class BookSnapshot:
    """One live book (one row), prices already shifted by any simulated impact.

    Attributes
    ----------
    ts : numpy.datetime64
        Time of the book state (UTC).
    bid_px, ask_px, bid_sz, ask_sz : ndarray (L,)
        Level 0 best; absent levels price NaN and size 0.
    side : {"buy", "sell"}
        Side of the parent order (``"buy"`` walks the asks).
    """

    ts: np.datetime64
    bid_px: FloatArray
    ask_px: FloatArray
    bid_sz: FloatArray
    ask_sz: FloatArray
    side: Side

    @property
    def mid(self) -> float:
        """Mid price, dollars (NaN for a one-sided book)."""
        return float(0.5 * (self.bid_px[0] + self.ask_px[0]))

    @property
    def spread(self) -> float:
        """Quoted spread, dollars."""
        return float(self.ask_px[0] - self.bid_px[0])

    @property
    def px(self) -> FloatArray:
        """Prices of the side our order walks."""
        return self.ask_px if self.side == "buy" else self.bid_px

    @property
    def sz(self) -> FloatArray:
        """Sizes of the side our order walks."""
        return self.ask_sz if self.side == "buy" else self.bid_sz

    @property
    def depth(self) -> float:
        """Visible shares on the side walked."""
        return float(np.sum(self.sz))

    @property
    def status(self) -> BookStatus:
        """``"ok"``, ``"crossed"`` or ``"empty"`` (see :func:`book_status`)."""
        return book_status(self.bid_px, self.ask_px, self.sz)

    def segments(self) -> tuple[FloatArray, FloatArray]:
        """``(slopes, widths)`` of this book's walk against its mid, as :meth:`curve` holds
        them (absent levels: width 0 with the previous level's slope), without building and
        validating a model: the adaptive policy's per-decision path.
        """
        px, sz = self.px, self.sz
        s = px - self.mid if self.side == "buy" else self.mid - px
        present = sz > 0
        if not present.all():
            idx = np.where(present, np.arange(px.shape[0]), -1)
            prev = np.maximum.accumulate(idx)
            first = int(np.argmax(present)) if present.any() else 0
            s = s[np.where(prev >= 0, prev, first)]
        return np.asarray(s, dtype=np.float64), np.asarray(sz, dtype=np.float64)

    def curve(self) -> PiecewiseLinearImpact:
        """The exact walk cost of this book against its mid, as a one-period piecewise model
        (slopes ``|p_l - mid|`` dollars per share, widths the level sizes).
        """
        m = book_curve(self.px[None, :], self.sz[None, :], [self.mid], self.side)
        return PiecewiseLinearImpact(slopes=m.slopes[0], widths=m.widths[0])


@dataclass(frozen=True, eq=False)
class DayData:
    """The periods' minute snapshots and volumes as plain arrays (built once per run).

    ``shift`` holds the simulated price shift of each period (own permanent and transient
    impact plus any simulated drift); the simulator fills it period by period, and
    :class:`History` adds it to past prices. ``missing`` marks minutes without data (not
    tradable, :mod:`execopt.data.grid`); ``clock`` is each period's local minute of the day
    and ``position`` its minute within the session (``0 .. session_length - 1``), known in
    advance like a timetable. ``earlier`` holds the same day's minutes before the first period
    (already observed when the order arrives), or None.
    """

    book: BookSeries
    minutes: NDArray[np.datetime64]
    bid_px: FloatArray
    ask_px: FloatArray
    bid_sz: FloatArray
    ask_sz: FloatArray
    volume: FloatArray
    shift: FloatArray = field(repr=False)
    missing: NDArray[np.bool_] = field(repr=False, default_factory=lambda: np.zeros(0, bool))
    clock: NDArray[np.intp] = field(repr=False, default_factory=lambda: np.zeros(0, np.intp))
    position: NDArray[np.intp] = field(repr=False, default_factory=lambda: np.zeros(0, np.intp))
    session_length: int = 0
    earlier: DayData | None = field(repr=False, default=None)

    @classmethod
    def from_minutes(
        cls,
        snaps: BookSeries,
        volume: FloatArray,
        *,
        earlier: BookSeries | None = None,
        earlier_volume: FloatArray | None = None,
    ) -> DayData:
        """From a per-minute series (``minute_snapshots()``) and its minute volume; optionally
        the same day's earlier minutes (a per-minute series) and their volume.
        """
        minutes = np.asarray(snaps.minutes if snaps.minutes is not None else snaps.ts)
        grid = snaps.grid if snaps.minutes is not None else None
        n = len(minutes)
        if grid is not None:
            missing = np.asarray(grid.missing)
            clock = np.asarray(grid.clock, dtype=np.intp)
            if grid.session is not None:
                open_ = int(grid.session[0][:2]) * 60 + int(grid.session[0][3:])
                close = int(grid.session[1][:2]) * 60 + int(grid.session[1][3:])
                position = clock - open_
                length = close - open_
            else:
                position = np.arange(n, dtype=np.intp)
                length = n
        else:
            missing = np.zeros(n, dtype=bool)
            clock = np.arange(n, dtype=np.intp)
            position = np.arange(n, dtype=np.intp)
            length = n
        before = None
        if earlier is not None and len(earlier) > 0:
            ev = (
                earlier_volume
                if earlier_volume is not None
                else np.asarray(earlier.minute_volume(), dtype=float)
            )
            before = cls.from_minutes(earlier, ev)
        return cls(
            book=snaps,
            minutes=minutes,
            bid_px=np.asarray(snaps.bid_px, dtype=float),
            ask_px=np.asarray(snaps.ask_px, dtype=float),
            bid_sz=np.asarray(snaps.bid_sz, dtype=float),
            ask_sz=np.asarray(snaps.ask_sz, dtype=float),
            volume=np.asarray(volume, dtype=float),
            shift=np.zeros(n),
            missing=missing,
            clock=clock,
            position=np.asarray(position, dtype=np.intp),
            session_length=int(max(length, 1)),
            earlier=before,
        )

    @property
    def N(self) -> int:  # noqa: N802 - the maths symbol
        """Number of periods."""
        return int(self.minutes.shape[0])

    @property
    def mid(self) -> FloatArray:
        """Unshifted mid of every period (NaN where one-sided or missing)."""
        return 0.5 * (self.bid_px[:, 0] + self.ask_px[:, 0])


@dataclass(frozen=True, eq=False)
class History:
    """Everything observed up to and including period ``t`` (read-only views).

    Attributes
    ----------
    t : int
        The current period; arrays have ``t + 1`` rows (minutes ``0..t``).
    previous : BookSeries or None
        Earlier trading days (any number, one series), for profiles fitted on history.
    """

    day: DayData = field(repr=False)
    t: int
    filled: FloatArray = field(repr=False)
    previous: BookSeries | None = None

    def _view(self, a: FloatArray) -> FloatArray:
        v = a[: self.t + 1].view()
        v.flags.writeable = False
        return v

    @property
    def minutes(self) -> NDArray[np.datetime64]:
        """UTC start of each minute ``0..t``."""
        return self.day.minutes[: self.t + 1]

    @property
    def shift(self) -> FloatArray:
        """Simulated price shift of each minute, dollars (0 without simulated impact)."""
        return self._view(self.day.shift)

    @property
    def bid_px(self) -> FloatArray:
        return self._view(self.day.bid_px + self.day.shift[:, None])

    @property
    def ask_px(self) -> FloatArray:
        return self._view(self.day.ask_px + self.day.shift[:, None])

    @property
    def bid_sz(self) -> FloatArray:
        return self._view(self.day.bid_sz)

    @property
    def ask_sz(self) -> FloatArray:
        return self._view(self.day.ask_sz)

    @property
    def mid(self) -> FloatArray:
        """Mid of each minute's snapshot, dollars (NaN where one-sided)."""
        d = self.day
        t1 = self.t + 1
        return 0.5 * (d.bid_px[:t1, 0] + d.ask_px[:t1, 0]) + d.shift[:t1]

    @property
    def spread(self) -> FloatArray:
        d = self.day
        return d.ask_px[: self.t + 1, 0] - d.bid_px[: self.t + 1, 0]

    @property
    def volume(self) -> FloatArray:
        """Shares traded in each minute ``0..t`` (minute ``t`` is complete at decision time)."""
        return self._view(self.day.volume)

    @property
    def returns(self) -> FloatArray:
        """Log returns of the minute mids, length ``t`` (NaN where a mid is missing)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diff(np.log(self.mid))

    @property
    def fills(self) -> FloatArray:
        """Shares filled in each earlier period ``0..t-1``."""
        v = self.filled[: self.t].view()
        v.flags.writeable = False
        return v

    @property
    def earlier(self) -> DayData | None:
        """The same day's minutes before the order arrived (None when there are none)."""
        return self.day.earlier

    def window(self, n: int, side: Side) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Prices, sizes (the side walked) and mids of the last ``n`` minutes up to ``t``,
        reaching back into the same day's earlier minutes when the order is younger than
        ``n`` minutes. Shapes ``(m, L)``, ``(m, L)``, ``(m,)`` with ``m <= n``.
        """
        n = max(int(n), 1)
        lo = self.t + 1 - n
        px, sz = (self.ask_px, self.ask_sz) if side == "buy" else (self.bid_px, self.bid_sz)
        mid = self.mid
        if lo >= 0:
            return px[lo:], sz[lo:], mid[lo:]
        e = self.day.earlier
        if e is None or e.N == 0:
            return px, sz, mid
        k = min(-lo, e.N)
        epx, esz = (e.ask_px, e.ask_sz) if side == "buy" else (e.bid_px, e.bid_sz)
        return (
            np.concatenate([epx[-k:], px]),
            np.concatenate([esz[-k:], sz]),
            np.concatenate([e.mid[-k:], mid]),
        )

    def returns_with_earlier(self) -> FloatArray:
        """Log returns of the minute mids of the same day's earlier minutes and of ``0..t``."""
        e = self.day.earlier
        mid = self.mid if e is None else np.concatenate([e.mid, self.mid])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diff(np.log(mid))


@dataclass(frozen=True, eq=False)
class MarketState:
    """The input of :meth:`Policy.decide`.

    Attributes
    ----------
    t : int
        Period index, ``0 .. N-1``.
    N : int
        Number of periods in the day.
    S : float
        Shares of the parent order.
    side : {"buy", "sell"}
    remaining : float
        ``R``: shares neither filled nor dropped yet (includes shares carried over).
    carry : float
        Shares of the previous child order that did not fill and were carried (0 under
        ``overflow="drop"``).
    book : BookSnapshot
        The live book of this period.
    history : History
        Minutes ``0..t``, earlier fills and earlier days.
    arrival_mid : float
        Mid price when the order arrived (period 0), dollars.
    """

    t: int
    N: int
    S: float
    side: Side
    remaining: float
    carry: float
    book: BookSnapshot
    history: History
    arrival_mid: float

    @property
    def periods_left(self) -> int:
        """Periods left including this one (``N - t``)."""
        return self.N - self.t

    @property
    def done(self) -> float:
        """Shares filled or dropped so far (``S - R``)."""
        return self.S - self.remaining

    @property
    def clock(self) -> NDArray[np.intp]:
        """Local minute of the day of every period ``0..N-1`` (a timetable, known in
        advance).
        """
        return self.history.day.clock

    @property
    def position(self) -> NDArray[np.intp]:
        """Minute within the session of every period ``0..N-1`` (0 = the open)."""
        return self.history.day.position

    @property
    def session_length(self) -> int:
        """Minutes in the session the periods belong to (390 for a regular US day)."""
        return self.history.day.session_length


@runtime_checkable
class Policy(Protocol):
    """The policy protocol: a ``name`` and ``decide(state) -> shares this period`` (an optional
    ``reset()`` is called before each replay, an optional ``info`` dict is reported).
    """

    name: str

    def decide(self, state: MarketState) -> float:
        """Shares to send in period ``state.t`` (the simulator clips to ``[0, remaining]``)."""
        ...
