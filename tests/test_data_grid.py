"""The minute grid: partial days, early closes, late starts, halts; nothing filled silently."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execopt.data import BookSeries, Trades
from execopt.data.grid import CARRIED, MISSING, OBSERVED, MinuteGrid, build_grid
from execopt.errors import DataError, InputError

DAY = np.datetime64("2025-04-03T13:30", "ns")  # 09:30 New York (EDT)
MIN = np.timedelta64(60 * 10**9, "ns")
SEC = np.timedelta64(10**9, "ns")


def _every_minute(first: int, last: int, skip: range | None = None) -> np.ndarray:
    """One event 5 s into each minute ``first..last`` (minutes after 09:30), minus ``skip``."""
    k = [m for m in range(first, last + 1) if skip is None or m not in skip]
    return DAY + np.asarray(k) * MIN + 5 * SEC


def _book(ts: np.ndarray) -> BookSeries:
    n = len(ts)
    mid = 10.0 + 0.01 * np.arange(n)
    bid = mid[:, None] - 0.01 - 0.01 * np.arange(2)
    ask = mid[:, None] + 0.01 + 0.01 * np.arange(2)
    sz = np.full((n, 2), 100.0)
    trades = Trades(ts + SEC, mid, np.full(n, 10.0), np.array(["B"] * n))
    return BookSeries.from_arrays(ts, bid, ask, sz, sz, symbol="T", trades=trades)


def test_early_close_covers_the_minutes_with_data_and_says_so() -> None:
    g = build_grid(_every_minute(0, 209))  # 09:30-12:59: a 13:00 early close
    assert len(g) == 210 and g.n_missing == 0 and g.n_carried == 0
    assert g.uncovered == (("2025-04-03", "13:00-16:00", 180, "after the last book state"),)
    assert g.label() == (
        "2025-04-03 09:30-13:00 (210 min); 180 session minute(s) not covered by the data"
    )
    d = g.describe()
    assert d["days"][0]["end"] == "13:00" and d["uncovered"][0]["minutes"] == 180


def test_late_start_is_not_back_filled() -> None:
    book = _book(_every_minute(35, 389))  # first state at 10:05
    snaps = book.minute_snapshots()
    assert len(snaps) == 355 and snaps.minutes is not None and snaps.minutes[0] == DAY + 35 * MIN
    assert snaps.validation.backfilled_minutes == 0 and snaps.validation.uncovered_minutes == 35
    assert snaps.grid is not None and snaps.grid.uncovered[0][1:] == (
        "09:30-10:05",
        35,
        "before the first book state",
    )


def test_a_halt_is_missing_not_carried() -> None:
    book = _book(_every_minute(0, 389, skip=range(100, 130)))  # 30 silent minutes
    snaps = book.minute_snapshots()
    assert snaps.grid is not None and len(snaps) == 390
    assert snaps.grid.gaps() == [("2025-04-03", "11:10-11:40", 30)]
    assert np.isnan(snaps.mid[100:130]).all() and (snaps.ask_sz[100:130] == 0).all()
    assert np.isfinite(snaps.mid[99]) and np.isfinite(snaps.mid[130])
    assert snaps.validation.missing_minutes == 30
    assert (book.minute_volume()[100:130] == 0).all()
    # a shorter silence is carried: the book stands
    short = _book(_every_minute(0, 389, skip=range(100, 110))).minute_snapshots()
    assert short.grid is not None and short.grid.n_missing == 0 and short.grid.n_carried == 10
    assert short.mid[105] == short.mid[99]
    # max_gap=None carries over any silence; max_gap=5 makes the ten minutes missing
    assert book.minute_grid(max_gap=None).n_missing == 0
    assert _book(_every_minute(0, 389, skip=range(100, 110))).minute_grid(max_gap=5).n_missing == 10


def test_a_file_that_ends_early_trims_and_a_quiet_close_is_carried() -> None:
    g = build_grid(_every_minute(0, 137))  # 09:30-11:47 (the 138-minute morning)
    assert len(g) == 138 and g.n_uncovered == 252
    quiet = build_grid(_every_minute(0, 380))  # last event 15:50: nine quiet minutes
    assert len(quiet) == 390 and quiet.n_carried == 9 and quiet.n_uncovered == 0
    carried = build_grid(_every_minute(0, 137), max_gap=None)
    assert len(carried) == 390 and carried.n_carried == 252


def test_states_before_the_open_cover_the_open() -> None:
    ts = np.concatenate([[DAY - 10 * MIN], _every_minute(3, 389)])
    g = build_grid(ts)
    assert len(g) == 390 and g.n_carried == 3 and g.n_uncovered == 0
    snaps = _book(ts).minute_snapshots()
    assert snaps.mid[0] == 10.0  # the pre-open state


def test_several_days_each_with_its_own_span() -> None:
    ts = np.concatenate([_every_minute(0, 209), _every_minute(30, 389) + np.timedelta64(1, "D")])
    g = build_grid(ts)
    assert [s["minutes"] for s in g.spans()] == [210, 360]
    assert [s["start"] for s in g.spans()] == ["09:30", "10:00"]
    sl = g.day_slices()
    assert [s.stop - s.start for s in sl] == [210, 360]
    sub = g.take(slice(200, 220))
    assert len(sub) == 20 and len(sub.day_slices()) == 2 and "2 days" not in sub.label()


def test_data_span_and_errors() -> None:
    ts = _every_minute(0, 10, skip=range(3, 8))
    g = build_grid(ts, session=None, max_gap=3)
    assert len(g) == 11 and list(g.status[3:8]) == [MISSING] * 5 and g.session is None
    assert g.status[0] == OBSERVED
    with pytest.raises(DataError, match="no book state falls inside"):
        build_grid(DAY - 60 * MIN + np.arange(3) * SEC)
    with pytest.raises(DataError, match="empty"):
        build_grid(np.array([], dtype="datetime64[ns]"))
    with pytest.raises(InputError, match="max_gap"):
        build_grid(ts, max_gap=-1)
    with pytest.raises(InputError, match="max_gap"):
        build_grid(ts, max_gap=2.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="after open"):
        build_grid(ts, session=("16:00", "09:30"))
    with pytest.raises(DataError, match="one entry per minute"):
        MinuteGrid(g.minutes, g.status[:3], g.day, g.dates, g.clock, "UTC", None, None)


def test_per_minute_series_keep_their_grid() -> None:
    snaps = _book(_every_minute(0, 389, skip=range(100, 130))).minute_snapshots()
    part = snaps.take(slice(90, 140))
    assert part.grid is not None and part.grid.n_missing == 30
    assert part.minute_grid() is part.grid and part.minute_snapshots() is part
    hand = BookSeries(
        "T", snaps.ts[:5], snaps.bid_px[:5], snaps.ask_px[:5], snaps.bid_sz[:5], snaps.ask_sz[:5],
        minutes=snaps.minutes[:5],
    )  # fmt: skip
    assert hand.minute_grid().n_missing == 0 and len(hand.minute_grid()) == 5
    with pytest.raises(DataError, match="per-minute"):
        BookSeries("T", snaps.ts[:2], snaps.bid_px[:2], snaps.ask_px[:2], snaps.bid_sz[:2],
                   snaps.ask_sz[:2], grid=snaps.grid.take(slice(0, 2)))  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 389), min_size=1, max_size=60, unique=True),
    st.one_of(st.none(), st.integers(0, 30)),
)
def test_grid_statuses_are_consistent(minutes: list[int], max_gap: int | None) -> None:
    ts = DAY + np.sort(np.asarray(minutes)) * MIN + 5 * SEC
    g = build_grid(ts, max_gap=max_gap)
    have = set(minutes)
    clock = g.clock - 570
    for c, s in zip(clock, g.status, strict=True):
        assert (s == OBSERVED) == (int(c) in have)
    # the grid starts at the first event; every event minute is in it; every session minute is
    # either in the grid or listed as uncovered
    assert clock[0] == min(minutes) and set(clock[g.status == OBSERVED]) == have
    assert len(g) + g.n_uncovered == 390
    if max_gap is None:
        assert g.n_missing == 0
    else:
        silent = np.flatnonzero(g.status != OBSERVED)
        assert all(g.status[i] in (CARRIED, MISSING) for i in silent)
