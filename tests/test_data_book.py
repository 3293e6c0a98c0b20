"""BookSeries, Trades and validation: structure, immutability, sessions, minute views."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execopt.data import BookSeries, Trades, ValidationReport, validate_book
from execopt.data.validation import longest_non_decreasing
from execopt.errors import DataError, InputError


def _ts(*stamps: str) -> np.ndarray:
    return np.array(stamps, dtype="datetime64[ns]")


def _book(ts: np.ndarray, mid: float | np.ndarray = 10.0, **kw: object) -> BookSeries:
    n = len(ts)
    m = np.broadcast_to(np.asarray(mid, dtype=float), (n,))
    k = np.arange(3)
    bid = m[:, None] - 0.01 - 0.01 * k
    ask = m[:, None] + 0.01 + 0.01 * k
    sz = np.full((n, 3), 100.0)
    return BookSeries.from_arrays(ts, bid, ask, sz, sz * 2, symbol="T", **kw)  # type: ignore[arg-type]


def test_immutable_and_typed() -> None:
    b = _book(_ts("2025-04-03T13:30:00", "2025-04-03T13:30:01"))
    for name in ("ts", "bid_px", "ask_px", "bid_sz", "ask_sz", "mid", "spread"):
        arr = getattr(b, name)
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0] = arr[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.symbol = "X"  # type: ignore[misc]
    assert b.bid_px.dtype == np.float64 and b.ts.dtype == np.dtype("datetime64[ns]")
    assert b.n_levels == 3 and b.n_rows == len(b) == 2
    np.testing.assert_allclose(b.spread, 0.02)
    np.testing.assert_allclose(b.depth("bid"), 300)
    np.testing.assert_allclose(b.depth("ask", levels=2), 400)
    np.testing.assert_allclose(b.depth("both", 1), 300)
    with pytest.raises(InputError):
        b.depth("middle")
    with pytest.raises(InputError):
        b.depth("bid", levels=4)
    assert "2 rows x 3 levels" in repr(b)
    assert b.equals(_book(_ts("2025-04-03T13:30:00", "2025-04-03T13:30:01")))
    assert not b.equals(_book(_ts("2025-04-03T13:30:00", "2025-04-03T13:30:02")))


def test_constructor_checks_structure() -> None:
    ts = _ts("2025-04-03T13:30:01", "2025-04-03T13:30:00")
    z = np.zeros((2, 1))
    with pytest.raises(DataError, match="non-decreasing"):
        BookSeries("T", ts, z + 1, z + 2, z, z)
    with pytest.raises(DataError, match="shape"):
        BookSeries("T", ts[:1], z + 1, z + 2, z, z)
    with pytest.raises(DataError, match="side"):
        Trades(ts[:1], np.ones(1), np.ones(1), np.array(["S"]))


def test_validation_counts_and_policies() -> None:
    n = 6
    ts = np.arange(n).astype("datetime64[s]").astype("datetime64[ns]")
    bid = np.array([[10.0, 9.9]] * n)
    ask = np.array([[10.1, 10.2]] * n)
    bsz = np.full((n, 2), 5.0)
    asz = np.full((n, 2), 5.0)
    bid[1, 0] = 10.2  # crossed
    bid[2, 0] = ask[2, 0]  # locked: counted, kept
    bsz[3, 1] = np.nan  # NaN size at a priced level
    asz[4, 0] = -1  # negative size
    bid[5, 1] = np.nan  # absent deepest level: fine
    bsz[5, 1] = 0
    keep, rep = validate_book(ts, bid, ask, bsz, asz, policy="drop")
    assert keep.tolist() == [True, False, True, False, False, True]
    assert (rep.crossed, rep.locked, rep.nan_size, rep.negative_size) == (1, 1, 1, 1)
    assert rep.missing_levels == 1 and rep.one_sided == 0
    assert rep.dropped == {"crossed": 1, "nan_size": 1, "negative_size": 1}
    assert rep.n_rows_read == 6 and rep.n_rows_kept == 3 and rep.rows_dropped == 3
    d = rep.as_dict()
    assert d["dropped"] == rep.dropped and d["locked"] == 1
    assert "crossed=1" in str(rep)
    with pytest.raises(DataError, match=r"row 1: crossed book \(best bid 10.2 > best ask 10.1\)"):
        validate_book(ts, bid, ask, bsz, asz, policy="raise")
    with pytest.raises(InputError):
        validate_book(ts, bid, ask, bsz, asz, policy="skip")  # type: ignore[arg-type]


def test_unordered_levels_and_gaps() -> None:
    ts = np.zeros(3, dtype="datetime64[ns]")
    bid = np.array([[10.0, 10.0], [10.0, 9.9], [np.nan, 9.9]])
    ask = np.array([[10.1, 10.2]] * 3)
    sz = np.ones((3, 2))
    sz[2, 0] = 0
    _, rep = validate_book(ts, bid, ask, sz, sz.copy(), policy="drop")
    assert rep.unordered_levels == 2  # equal prices on row 0, a gap on row 2
    assert rep.dropped == {"unordered_levels": 2}


def test_report_merge_and_updates() -> None:
    a = ValidationReport(
        n_rows_read=3, n_rows_kept=2, crossed=1, dropped_by_reason=(("crossed", 1),), notes=("a",)
    )
    b = ValidationReport(n_rows_read=2, n_rows_kept=2, timestamps_synthesised=True, notes=("b",))
    m = a.merge(b)
    assert m.n_rows_read == 5 and m.crossed == 1 and m.timestamps_synthesised
    assert m.dropped == {"crossed": 1} and m.notes == ("a", "b")
    u = a.with_updates(locked=4, notes=("c",))
    assert u.locked == 4 and u.notes == ("a", "c")
    hash(a)  # frozen and hashable


def _lnds_length(v: list[int]) -> int:
    best = [1] * len(v)
    for i in range(len(v)):
        for j in range(i):
            if v[j] <= v[i]:
                best[i] = max(best[i], best[j] + 1)
    return max(best, default=0)


@given(st.lists(st.integers(-5, 5), max_size=40))
@settings(max_examples=200, deadline=None)
def test_longest_non_decreasing_is_maximal(values: list[int]) -> None:
    keep = longest_non_decreasing(np.array(values, dtype=np.int64))
    kept = np.array(values)[keep]
    assert np.all(np.diff(kept) >= 0)
    assert keep.sum() == _lnds_length(values)


@given(
    n=st.integers(1, 30),
    crossed=st.sets(st.integers(0, 29), max_size=5),
    negative=st.sets(st.integers(0, 29), max_size=5),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=60, deadline=None)
def test_drop_accounts_for_every_row(
    n: int, crossed: set[int], negative: set[int], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    ts = np.sort(rng.integers(0, 10**12, n)).astype("datetime64[ns]")
    mid = 10 + rng.random(n)
    bid = (mid - 0.05)[:, None] - 0.01 * np.arange(2)
    ask = (mid + 0.05)[:, None] + 0.01 * np.arange(2)
    bsz = rng.integers(1, 100, (n, 2)).astype(float)
    asz = bsz.copy()
    for i in crossed:
        if i < n:
            bid[i, 0] = ask[i, 0] + 0.01
    for i in negative:
        if i < n:
            asz[i, 1] = -1.0
    keep, rep = validate_book(ts, bid, ask, bsz, asz, policy="drop")
    bad = {i for i in crossed | negative if i < n}
    assert set(np.flatnonzero(~keep).tolist()) == bad
    assert rep.n_rows_read == rep.n_rows_kept + rep.rows_dropped
    assert rep.crossed == len({i for i in crossed if i < n})


@pytest.mark.parametrize(("day", "open_utc"), [("2025-01-15", "14:30"), ("2025-07-15", "13:30")])
def test_regular_hours_is_dst_aware(day: str, open_utc: str) -> None:
    h, m = map(int, open_utc.split(":"))
    base = np.datetime64(day, "ns") + np.timedelta64(h * 60 + m, "m")
    offsets = [-1, 0, 389, 390]  # 09:29, 09:30, 15:59, 16:00 New York
    ts = base + np.array(offsets, dtype="timedelta64[m]").astype("timedelta64[ns]")
    book = _book(ts)
    rh = book.regular_hours()
    assert rh.ts.tolist() == ts[1:3].tolist()
    assert "regular_hours" in rh.validation.notes[-1]
    minutes = book.session_minutes()
    assert len(minutes) == 390 and minutes[0] == base


def test_minute_snapshots_forward_fill_and_volume() -> None:
    day = np.datetime64("2025-07-15T13:30", "ns")
    sec = np.timedelta64(1, "s")
    # Events in minutes 0 (two), 2 and 389; minute 1 and 3..388 carry the state forward.
    ts = np.array([day + 5 * sec, day + 50 * sec, day + 130 * sec, day + (389 * 60 + 1) * sec])
    mids = np.array([10.0, 11.0, 12.0, 13.0])
    trades = Trades(
        np.array([day + 6 * sec, day + 70 * sec, day + 71 * sec, day + 400 * 60 * sec]),
        np.full(4, 10.0),
        np.array([100.0, 5.0, 7.0, 1000.0]),
        np.array(["B", "A", "N", "B"]),
    )
    book = _book(ts, mid=mids, trades=trades)
    # max_gap=None: the book is carried over any silence (the 386 quiet minutes)
    snaps = book.minute_snapshots(max_gap=None)
    assert len(snaps) == 390
    assert snaps.minutes is not None and snaps.minutes[1] == day + 60 * sec
    np.testing.assert_allclose(snaps.mid[:4], [11.0, 11.0, 12.0, 12.0])
    assert snaps.mid[-1] == 13.0
    assert snaps.validation.forward_filled_minutes == 390 - 3
    assert any("carry the previous state forward" in n for n in snaps.validation.notes)
    vol = book.minute_volume(max_gap=None)
    assert vol.shape == (390,) and vol[0] == 100 and vol[1] == 12 and vol.sum() == 112
    np.testing.assert_array_equal(snaps.minute_volume(), vol)
    assert len(snaps.trades) == 3  # the trade after the close is outside the minutes
    r = book.minute_returns(max_gap=None)
    assert r.shape == (389,)
    assert r[0] == 0.0 and r[1] == pytest.approx(np.log(12 / 11))
    rv = book.realised_volatility(2, max_gap=None)
    assert np.isnan(rv[0]) and rv[1] == pytest.approx(abs(np.log(12 / 11)))
    assert snaps.minute_snapshots() is snaps
    # by default a silence longer than 15 minutes is missing: empty books, not carried
    dflt = book.minute_snapshots()
    assert dflt.grid is not None and dflt.grid.n_missing == 386
    assert np.isnan(dflt.mid[3:389]).all() and dflt.mid[389] == 13.0
    assert dflt.validation.missing_minutes == 386 and dflt.validation.forward_filled_minutes == 1


def test_minute_snapshots_back_fill_and_multi_day() -> None:
    d1 = np.datetime64("2025-07-15T13:35", "ns")
    d2 = np.datetime64("2025-07-16T14:00", "ns")
    book = _book(np.array([d1, d2]), mid=np.array([10.0, 20.0]))
    # nothing is back-filled: each day starts at its first book state; with max_gap=None the
    # last state is carried to the close
    snaps = book.minute_snapshots(max_gap=None)
    assert len(snaps) == (390 - 5) + (390 - 30)
    assert snaps.validation.backfilled_minutes == 0
    assert snaps.validation.uncovered_minutes == 5 + 30  # 09:30-09:34 and 09:30-09:59
    assert snaps.mid[0] == 10.0 and snaps.mid[384] == 10.0 and snaps.mid[385] == 20.0
    assert snaps.grid is not None and snaps.grid.spans()[1]["start"] == "10:00"
    # by default the silence after each day's single state ends the day's span after 15 min
    dflt = book.minute_snapshots()
    assert len(dflt) == 2 and dflt.grid is not None and dflt.grid.n_uncovered == 2 * 389


def test_between_take_and_frame() -> None:
    ts = np.datetime64("2025-07-15T13:30", "ns") + np.arange(5) * np.timedelta64(1, "m")
    tr = Trades(ts, np.full(5, 10.0), np.ones(5), np.array(["B"] * 5))
    book = _book(ts, trades=tr)
    sub = book.between("2025-07-15T13:31", "2025-07-15 09:33-04:00")
    assert len(sub) == 2 and len(sub.trades) == 2
    df = book.to_frame()
    assert list(df.columns[:4]) == ["bid_px_00", "ask_px_00", "bid_sz_00", "ask_sz_00"]
    assert str(df.index.dtype) == "datetime64[ns, UTC]" and len(df) == 5
    tf = book.trades.to_frame()
    assert list(tf.columns) == ["ts", "price", "size", "side"]
    assert len(book.take(np.array([0, 2]))) == 2
