"""The minute grid: which one-minute periods a book covers, and what each consumer does with a gap.

Every per-minute computation of the toolkit (minute snapshots, volumes and returns, impact fits
and profiles, forecasts, the simulator, episodes, studies, reports) runs on one explicit grid,
built here from the book's own timestamps. Each minute of the grid has a status:

=============  ==============================================================================
status         meaning
=============  ==============================================================================
``observed``   at least one book event falls inside the minute
``carried``    no event of its own, but the book is known: the last earlier state of the same
               trading day stands (a quiet minute, at most ``max_gap`` minutes after an event)
``missing``    no data: a silent stretch longer than ``max_gap`` minutes between two events (a
               halt or a hole in the file), whose book is *not* carried over it
=============  ==============================================================================

Minutes of the session that no data cover at all are not in the grid: before the first book
state of a day (a file that starts late) and after the last one when the file ends (a partial
file, an early close), unless that silence is at most ``max_gap`` minutes long (then the last
state is carried to the close). They are listed in :attr:`MinuteGrid.uncovered` with the reason,
so every command can say which span it covered. Nothing is back-filled: a minute before the
first state has no book.

What the consumers do with a missing minute (one rule each, documented where it is applied):

* minute snapshots: an empty book (NaN prices, zero sizes), ``minute_status`` missing;
* fits and profiles: only observed minutes are fitted on; a missing minute gets values from its
  window's observed minutes like a carried one, and a window with none is an error;
* the simulator: a missing minute is not tradable: nothing is sent, the shares stay owed, and
  the period is reported (status ``missing``);
* episodes: an episode's window may contain missing minutes (reported per episode); an episode
  whose first minute is missing does not start there.

Glossary: ``M`` minutes in the grid, ``D`` trading days, ``clock`` local minutes after midnight,
``max_gap`` the longest silence (minutes) over which a book is carried.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from execopt.errors import DataError, InputError

__all__ = [
    "CARRIED",
    "DEFAULT_MAX_GAP",
    "MISSING",
    "OBSERVED",
    "STATUS_NAMES",
    "MinuteGrid",
    "build_grid",
]

OBSERVED, CARRIED, MISSING = 0, 1, 2
STATUS_NAMES: tuple[str, str, str] = ("observed", "carried", "missing")
#: Longest silence, in minutes, over which the last book state is carried. On FROG 2025-04-03
#: no minute of the session is silent; on the illiquid ARL 2025-07-17 file 8 stretches exceed it.
DEFAULT_MAX_GAP = 15

_NS_MIN = np.int64(60 * 10**9)
Session = tuple[str, str]


def _hhmm(minutes_after_midnight: int) -> str:
    h, m = divmod(int(minutes_after_midnight), 60)
    return f"{h:02d}:{m:02d}"


def _parse(s: str) -> int:
    try:
        h, m = s.split(":")
        out = int(h) * 60 + int(m)
    except ValueError as exc:
        raise InputError(f"session times must look like '09:30', got {s!r}") from exc
    if not 0 <= out <= 24 * 60:
        raise InputError(f"session time {s!r} is outside 00:00-24:00")
    return out


def check_max_gap(max_gap: Any) -> int | None:
    """``max_gap`` as a whole number of minutes ``>= 0``, or None (carry over any silence)."""
    if max_gap is None:
        return None
    if isinstance(max_gap, bool) or not isinstance(max_gap, (int, np.integer)) or max_gap < 0:
        raise InputError(
            f"max_gap must be a whole number of minutes >= 0 or None, got {max_gap!r}."
        )
    return int(max_gap)


@dataclass(frozen=True, eq=False)
class MinuteGrid:
    """The minutes a book covers, each observed, carried or missing (immutable).

    Attributes
    ----------
    minutes : ndarray of datetime64[ns], shape (M,)
        UTC start of each minute, increasing.
    status : ndarray of uint8, shape (M,)
        :data:`OBSERVED`, :data:`CARRIED` or :data:`MISSING`.
    day : ndarray of int, shape (M,)
        Index into :attr:`dates` of each minute's trading day.
    dates : tuple of str
        Local calendar dates ``YYYY-MM-DD`` of the trading days.
    clock : ndarray of int, shape (M,)
        Local minutes after midnight (570 = 09:30).
    tz : str
    session : (str, str) or None
        The session the grid was cut from (None: the data's own span).
    max_gap : int or None
    uncovered : tuple of (str, str, int, str)
        Session minutes left out of the grid: ``(date, "HH:MM-HH:MM", minutes, reason)``.

    Examples
    --------
    One event every 7 minutes from 09:30 to 11:29 New York, then nothing (a partial file):

    >>> import numpy as np
    >>> ts = np.datetime64("2025-04-03T13:30", "ns") + np.arange(0, 120, 7) * 60 * 10**9
    >>> g = build_grid(ts, "America/New_York", ("09:30", "16:00"))
    >>> len(g), g.n_carried, g.n_missing
    (120, 102, 0)
    >>> g.label()
    '2025-04-03 09:30-11:30 (120 min); 270 session minute(s) not covered by the data'
    >>> build_grid(ts, max_gap=5).n_missing  # 6 silent minutes between events: missing
    102
    """

    minutes: NDArray[np.datetime64]
    status: NDArray[np.uint8]
    day: NDArray[np.intp]
    dates: tuple[str, ...]
    clock: NDArray[np.intp]
    tz: str
    session: Session | None
    max_gap: int | None
    uncovered: tuple[tuple[str, str, int, str], ...] = field(default=())

    def __post_init__(self) -> None:
        n = len(self.minutes)
        for name in ("status", "day", "clock"):
            if np.shape(getattr(self, name)) != (n,):
                raise DataError(f"grid.{name} must have one entry per minute ({n}).")
        for name in ("minutes", "status", "day", "clock"):
            a = np.asarray(getattr(self, name)).view()
            a.flags.writeable = False
            object.__setattr__(self, name, a)

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return int(self.minutes.shape[0])

    @classmethod
    def observed_minutes(
        cls, minutes: NDArray[np.datetime64], tz: str = "America/New_York"
    ) -> MinuteGrid:
        """A grid whose every minute is observed (for a per-minute series built by hand)."""
        m = np.asarray(minutes, dtype="datetime64[ns]")
        day_idx, dates, clock = _local_parts(m, tz)
        return cls(m, np.zeros(len(m), np.uint8), day_idx, dates, clock, tz, None, None)

    @property
    def missing(self) -> NDArray[np.bool_]:
        """True where the minute has no data (not tradable)."""
        return np.asarray(self.status == MISSING)

    @property
    def observed(self) -> NDArray[np.bool_]:
        """True where the minute holds a book event of its own."""
        return np.asarray(self.status == OBSERVED)

    @property
    def n_missing(self) -> int:
        return int(np.sum(self.status == MISSING))

    @property
    def n_carried(self) -> int:
        return int(np.sum(self.status == CARRIED))

    @property
    def n_uncovered(self) -> int:
        """Session minutes left out of the grid (no data covers them)."""
        return int(sum(u[2] for u in self.uncovered))

    def take(self, index: Any) -> MinuteGrid:
        """The minutes selected by a slice, integer or boolean index (``uncovered`` kept)."""
        return MinuteGrid(
            self.minutes[index],
            self.status[index],
            self.day[index],
            self.dates,
            self.clock[index],
            self.tz,
            self.session,
            self.max_gap,
            self.uncovered,
        )

    def day_slices(self) -> list[slice]:
        """One slice of the grid per trading day, in order."""
        if len(self) == 0:
            return []
        cut = np.flatnonzero(np.diff(self.day)) + 1
        bounds = np.concatenate([[0], cut, [len(self)]])
        return [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]

    def gaps(self) -> list[tuple[str, str, int]]:
        """Runs of missing minutes: ``(date, "HH:MM-HH:MM", minutes)``."""
        out: list[tuple[str, str, int]] = []
        miss = self.missing
        if not miss.any():
            return out
        edges = np.diff(np.concatenate([[0], miss.astype(np.int8), [0]]))
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            out.append(
                (
                    self.dates[int(self.day[a])],
                    f"{_hhmm(self.clock[a])}-{_hhmm(self.clock[b - 1] + 1)}",
                    int(b - a),
                )
            )
        return out

    def spans(self) -> list[dict[str, Any]]:
        """Per trading day: the first minute, the end of the last, minutes, and the missing."""
        out = []
        for sl in self.day_slices():
            c = self.clock[sl]
            st = self.status[sl]
            out.append(
                {
                    "date": self.dates[int(self.day[sl.start])],
                    "start": _hhmm(c[0]),
                    "end": _hhmm(c[-1] + 1),
                    "minutes": int(c.shape[0]),
                    "missing": int(np.sum(st == MISSING)),
                    "carried": int(np.sum(st == CARRIED)),
                }
            )
        return out

    def label(self) -> str:
        """One line for people: the span of each day, the missing minutes, what is not covered.

        The span is written ``HH:MM-HH:MM`` (local), the end being the end of the last minute.
        """
        spans = self.spans()
        if not spans:
            return "no minutes"
        if len(spans) <= 3:
            parts = [f"{s['date']} {s['start']}-{s['end']} ({s['minutes']} min)" for s in spans]
            text = ", ".join(parts)
        else:
            text = (
                f"{len(spans)} days {spans[0]['date']} .. {spans[-1]['date']}, "
                f"{len(self):,} minutes"
            )
        if self.n_missing:
            text += f"; {self.n_missing} missing minute(s) (not tradable)"
        if self.uncovered:
            text += f"; {self.n_uncovered} session minute(s) not covered by the data"
        return text

    def describe(self) -> dict[str, Any]:
        """JSON-ready: per-day spans, counts by status, the gaps and the uncovered minutes."""
        return {
            "tz": self.tz,
            "session": list(self.session) if self.session is not None else None,
            "max_gap_minutes": self.max_gap,
            "minutes": len(self),
            "observed": int(np.sum(self.status == OBSERVED)),
            "carried": self.n_carried,
            "missing": self.n_missing,
            "days": self.spans(),
            "gaps": [{"date": d, "span": s, "minutes": n} for d, s, n in self.gaps()],
            "uncovered": [
                {"date": d, "span": s, "minutes": n, "reason": r} for d, s, n, r in self.uncovered
            ],
            "label": self.label(),
        }


def _local_parts(
    minutes: NDArray[np.datetime64], tz: str
) -> tuple[NDArray[np.intp], tuple[str, ...], NDArray[np.intp]]:
    if minutes.size == 0:
        return np.zeros(0, np.intp), (), np.zeros(0, np.intp)
    local = pd.DatetimeIndex(minutes).tz_localize("UTC").tz_convert(tz)
    clock = np.asarray(local.hour * 60 + local.minute, dtype=np.intp)
    d = np.asarray(local.strftime("%Y-%m-%d"))
    dates, day_idx = np.unique(d, return_inverse=True)
    return day_idx.astype(np.intp), tuple(str(x) for x in dates), clock


def _statuses(
    events: NDArray[np.int64], carry_in: bool, carry_out: bool, max_gap: int | None
) -> tuple[NDArray[np.uint8], int, int]:
    """Statuses of one block of minutes from their event counts.

    ``carry_in``: a book state exists before the block (the leading silence is carried or
    missing, not uncovered). ``carry_out``: data continue after the block (the trailing silence
    is interior). Returns the statuses of the kept minutes and the numbers of leading and
    trailing minutes left out (uncovered).
    """
    n = events.shape[0]
    has = events > 0
    if not has.any():
        if carry_in and carry_out and (max_gap is None or n <= max_gap):
            return np.full(n, CARRIED, np.uint8), 0, 0
        if carry_in and carry_out:
            return np.full(n, MISSING, np.uint8), 0, 0
        if carry_in and (max_gap is None or n <= max_gap):
            return np.full(n, CARRIED, np.uint8), 0, 0
        return np.zeros(0, np.uint8), n, 0
    first = int(np.argmax(has))
    last = n - 1 - int(np.argmax(has[::-1]))
    lead = 0 if carry_in else first
    tail = n - 1 - last
    if not carry_out and max_gap is not None and tail > max_gap:
        trail_cut = tail
    else:
        trail_cut = 0
    status = np.where(has, OBSERVED, CARRIED).astype(np.uint8)
    if max_gap is not None:
        # silent runs (inside the kept block) longer than max_gap are missing
        silent = ~has
        edges = np.diff(np.concatenate([[0], silent.astype(np.int8), [0]]))
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if a < lead or b > n - trail_cut:
                continue  # leading/trailing runs left out are handled below
            if b - a > max_gap:
                status[a:b] = MISSING
    return status[lead : n - trail_cut], lead, trail_cut


def build_grid(
    ts: NDArray[np.datetime64],
    tz: str = "America/New_York",
    session: Session | None = ("09:30", "16:00"),
    max_gap: int | None = DEFAULT_MAX_GAP,
) -> MinuteGrid:
    """The minute grid of a book whose event times are ``ts`` (UTC, non-decreasing).

    Parameters
    ----------
    ts : ndarray of datetime64[ns]
        Book event times.
    tz : str
        Exchange time zone (DST aware).
    session : (str, str) or None
        Local session ``[open, close)``, cut for every trading day with an event inside it; None
        uses the data's own span, from the minute of the first event to that of the last.
    max_gap : int or None
        Longest silence, in minutes, over which a book state is carried (:data:`DEFAULT_MAX_GAP`);
        None carries over any silence (and to the close after a file's last event).

    Raises
    ------
    DataError
        No event falls inside the session on any day, or ``ts`` is empty.
    """
    mg = check_max_gap(max_gap)
    t = np.asarray(ts, dtype="datetime64[ns]")
    if t.size == 0:
        raise DataError("the book series is empty; there are no minutes")
    if session is None:
        first = t[0].astype("datetime64[m]").astype("datetime64[ns]")
        last = t[-1].astype("datetime64[m]").astype("datetime64[ns]")
        minutes = np.arange(first, last + np.timedelta64(1, "m"), np.timedelta64(1, "m")).astype(
            "datetime64[ns]"
        )
        events = _events(t, minutes)
        status, _, _ = _statuses(events, True, True, mg)
        day_idx, dates, clock = _local_parts(minutes, tz)
        return MinuteGrid(minutes, status, day_idx, dates, clock, tz, None, mg)
    lo, hi = _parse(session[0]), _parse(session[1])
    if hi <= lo:
        raise InputError(f"session close {session[1]} must be after open {session[0]}")
    local = pd.DatetimeIndex(t).tz_localize("UTC").tz_convert(tz)
    wall = local.tz_localize(None).to_numpy().astype("datetime64[ns]")
    day = wall.astype("datetime64[D]")
    tod = (wall - day.astype("datetime64[ns]")).view(np.int64) // _NS_MIN
    inside = (tod >= lo) & (tod < hi)
    days = np.unique(day[inside])
    if days.size == 0:
        raise DataError(
            f"no book state falls inside the session {session[0]}-{session[1]} {tz} "
            f"(data span {t[0]} .. {t[-1]} UTC); pass session=None to use the data's own span"
        )
    offsets = np.arange(lo, hi).astype("timedelta64[m]").astype("timedelta64[ns]")
    blocks_m, blocks_s, uncovered = [], [], []
    for d in days:
        wall_m = d.astype("datetime64[ns]") + offsets
        m_utc = _to_utc(wall_m, tz)
        events = _events(t, m_utc)
        same_day = day == d
        before = bool(np.any(same_day & (tod < lo)))
        after = bool(np.any(same_day & (tod >= hi)))
        status, lead, trail = _statuses(events, before, after, mg)
        ds = str(d)
        if lead:
            uncovered.append(
                (ds, f"{_hhmm(lo)}-{_hhmm(lo + lead)}", lead, "before the first book state")
            )
        if trail:
            uncovered.append(
                (ds, f"{_hhmm(hi - trail)}-{_hhmm(hi)}", trail, "after the last book state")
            )
        blocks_m.append(m_utc[lead : len(m_utc) - trail])
        blocks_s.append(status)
    minutes = np.concatenate(blocks_m)
    status = np.concatenate(blocks_s)
    day_idx, dates, clock = _local_parts(minutes, tz)
    return MinuteGrid(minutes, status, day_idx, dates, clock, tz, session, mg, tuple(uncovered))


def _events(t: NDArray[np.datetime64], minutes: NDArray[np.datetime64]) -> NDArray[np.int64]:
    """Number of events of ``t`` inside each minute ``[m, m + 1 min)``."""
    one = np.timedelta64(60 * 10**9, "ns")
    return np.asarray(
        np.searchsorted(t, minutes + one, side="left") - np.searchsorted(t, minutes, side="left"),
        dtype=np.int64,
    )


def _to_utc(wall: NDArray[np.datetime64], tz: str) -> NDArray[np.datetime64]:
    idx = pd.DatetimeIndex(wall).tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    if idx.isna().any():
        bad = wall[np.asarray(idx.isna())][0]
        raise DataError(
            f"local time {bad} does not exist or is ambiguous in {tz} (a DST change); "
            "choose session times outside the change"
        )
    return np.asarray(idx.tz_convert("UTC").tz_localize(None).to_numpy(), "datetime64[ns]")
