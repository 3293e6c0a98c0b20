"""LOBSTER reader: separators, levels, timestamps, trades, malformed inputs, real samples."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_helpers import require_real, small_book, write_lobster
from execopt.data import read_book, read_lobster
from execopt.data.lobster import parse_lobster_name
from execopt.errors import DataError, InputError

AAPL = "AAPL_2012-06-21_34200000_57600000_"
AMZN = "AMZN_2012-06-21_34200000_57600000_"


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_round_trip_with_messages(tmp_path: Path, sep: str) -> None:
    book = small_book(periods=3)
    ob, msg = write_lobster(tmp_path, book, sep=sep)
    got = read_lobster(ob, msg, date="2025-04-03", policy="raise")
    assert got.symbol == "TEST"
    assert got.n_levels == 10
    np.testing.assert_allclose(got.bid_px, book.bid_px)
    np.testing.assert_array_equal(got.ask_sz, book.ask_sz)
    # Timestamps: seconds after midnight in New York (EDT) -> UTC, to the nanosecond
    # (up to float parsing of the seconds column).
    dt = np.abs(got.ts.view(np.int64) - np.asarray(book.ts).view(np.int64))
    assert dt.max() < 1_000
    assert not got.validation.timestamps_synthesised
    # Trades: every third message is a visible execution; direction 1 -> 'A', -1 -> 'B'.
    n = len(book)
    is_exec = np.arange(n) % 3 == 2
    assert len(got.trades) == int(is_exec.sum())
    expected_side = np.where(np.arange(n)[is_exec] % 2 == 0, "A", "B")
    np.testing.assert_array_equal(got.trades.side, expected_side)
    np.testing.assert_allclose(got.trades.price, book.ask_px[is_exec, 0])
    assert got.validation.action_counts == {
        "type_1": n - int(is_exec.sum()),
        "type_4": int(is_exec.sum()),
    }


def test_levels_dummies_and_synthesised_timestamps(tmp_path: Path) -> None:
    book = small_book(periods=2)
    bid_px = np.array(book.bid_px)
    bid_sz = np.array(book.bid_sz)
    bid_px[:, 7:] = np.nan  # absent levels -> dummy prices -9999999999 in the file
    bid_sz[:, 7:] = 0
    thin = book.replace(bid_px=bid_px, bid_sz=bid_sz)
    ob, _ = write_lobster(tmp_path, thin, with_messages=False)
    assert "-9999999999" in ob.read_text()
    got = read_lobster(ob, date="2012-06-21")
    assert np.isnan(got.bid_px[:, 7:]).all() and (got.bid_sz[:, 7:] == 0).all()
    assert got.validation.missing_levels == len(book)
    assert got.validation.timestamps_synthesised
    assert "timestamps synthesised" in str(got.validation)
    # Uniform grid over 09:30-16:00 New York (EDT on 2012-06-21 -> 13:30 UTC).
    assert str(got.ts[0]) == "2012-06-21T13:30:00.000000000"
    step = np.diff(got.ts.view(np.int64))
    assert step.min() >= 0 and step.max() - step.min() <= 1
    # Time-of-day work on made-up times is refused unless the user opts in.
    assert got.synthetic_time and not got.time_is_real
    with pytest.raises(DataError, match=r"synthesised.*--synthetic-time"):
        got.minute_snapshots()
    allowed = read_lobster(ob, date="2012-06-21", allow_synthetic_time=True)
    assert len(allowed.minute_snapshots()) == 390
    assert allowed.minute_snapshots().synthetic_time  # the label follows the snapshots
    three = read_lobster(ob, levels=3)
    assert three.n_levels == 3
    np.testing.assert_array_equal(three.ask_px, got.ask_px[:, :3])
    with pytest.raises(InputError, match=r"levels must be in 1\.\.10"):
        read_lobster(ob, levels=11)


def test_winter_date_uses_est(tmp_path: Path) -> None:
    ob, _ = write_lobster(tmp_path, small_book(periods=1), with_messages=False, stem="X")
    got = read_lobster(ob, date="2012-01-17")
    assert str(got.ts[0]) == "2012-01-17T14:30:00.000000000"
    assert got.validation.notes  # says the timestamps are synthesised


def test_default_date_when_name_has_none(tmp_path: Path) -> None:
    ob, _ = write_lobster(tmp_path, small_book(periods=1), with_messages=False, stem="X")
    got = read_lobster(ob)
    assert str(got.ts[0]).startswith("2012-06-21T13:30")
    assert any("assumed 2012-06-21" in n for n in got.validation.notes)


def test_file_name_metadata() -> None:
    meta = parse_lobster_name(f"{AAPL}orderbook_10.csv")
    assert meta["symbol"] == "AAPL" and meta["date"] == "2012-06-21"
    assert meta["levels"] == "10" and meta["kind"] == "orderbook"
    assert parse_lobster_name("whatever.csv") == {}


def _line(path: Path, k: int, fn: object) -> None:
    lines = path.read_text().split("\n")
    assert callable(fn)
    lines[k - 1] = fn(lines[k - 1])
    path.write_text("\n".join(lines))


def _field(j: int, value: str) -> object:
    def f(line: str) -> str:
        parts = line.split(",")
        parts[j] = value
        return ",".join(parts)

    return f


@pytest.mark.parametrize(
    ("fn", "reason", "message"),
    [
        (_field(2, "99999999"), "crossed", "crossed book"),  # bid 9999.9999 above the ask
        (_field(1, "-10"), "negative_size", "negative size"),
        (lambda s: s.rsplit(",", 2)[0], "malformed_line", "38 fields, the first line has 40"),
        (_field(5, "12x"), "bad_number", "not a number"),
    ],
    ids=["crossed", "negative", "short", "bad_number"],
)
def test_malformed_orderbook(tmp_path: Path, fn: object, reason: str, message: str) -> None:
    book = small_book(periods=2)
    ob, _ = write_lobster(tmp_path, book, with_messages=False)
    _line(ob, 4, fn)
    with pytest.raises(DataError, match=rf"orderbook_10.csv', line 4: .*{message}"):
        read_lobster(ob, policy="raise")
    got = read_lobster(ob, policy="drop")
    assert got.validation.dropped == {reason: 1}
    assert len(got) == len(book) - 1


def test_non_monotonic_message_times(tmp_path: Path) -> None:
    book = small_book(periods=2)
    ob, msg = write_lobster(tmp_path, book)
    assert msg is not None
    _line(msg, 5, _field(0, "34200.000000001"))
    with pytest.raises(DataError, match=r"line 5: timestamp .* earlier than the previous"):
        read_lobster(ob, msg, policy="raise")
    got = read_lobster(ob, msg, policy="drop")
    assert got.validation.dropped == {"non_monotonic_ts": 1}
    assert got.validation.non_monotonic_ts == 1


def test_mismatched_pair_and_bad_shapes(tmp_path: Path) -> None:
    book = small_book(periods=2)
    ob, msg = write_lobster(tmp_path, book)
    assert msg is not None
    msg.write_text("\n".join(msg.read_text().split("\n")[:-3]) + "\n")
    with pytest.raises(DataError, match="do not line up"):
        read_lobster(ob, msg)
    odd = tmp_path / "odd.csv"
    odd.write_text("1,2,3,4,5,6\n1,2,3,4,5,6\n")
    with pytest.raises(DataError, match="4 per level"):
        read_lobster(odd)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="is empty"):
        read_lobster(empty)
    with pytest.raises(InputError, match="no such file"):
        read_lobster(tmp_path / "missing.csv")


def test_truncated_last_line_without_newline(tmp_path: Path) -> None:
    book = small_book(periods=2)
    ob, _ = write_lobster(tmp_path, book, with_messages=False)
    ob.write_bytes(ob.read_bytes().rstrip(b"\n")[:-12])
    with pytest.raises(DataError, match="last line is truncated"):
        read_lobster(ob, policy="raise")
    assert read_lobster(ob).validation.dropped == {"malformed_line": 1}


# --------------------------------------------------------------------------- real files


@pytest.mark.data
def test_real_aapl_10_levels_with_messages() -> None:
    ob = require_real("lobster", f"{AAPL}orderbook_10_first999.csv")
    msg = require_real("lobster", f"{AAPL}message_10_first999.csv")
    book = read_lobster(ob, msg, policy="raise")
    assert book.symbol == "AAPL" and len(book) == 999 and book.n_levels == 10
    # 34200.004241176 s after midnight EDT = 13:30:00.004241176 UTC.
    assert str(book.ts[0]) == "2012-06-21T13:30:00.004241176"
    assert str(book.ts[-1]).startswith("2012-06-21T13:30:49")
    m = pd.read_csv(msg, header=None)
    execs = m[m[1].isin([4, 5])]
    assert len(book.trades) == len(execs)
    np.testing.assert_array_equal(book.trades.side, np.where(execs[5] == 1, "A", "B"))
    np.testing.assert_allclose(book.trades.price, execs[4] / 1e4)
    assert float(book.ask_px[0, 0]) == 585.94  # 5859400 / 1e4
    assert float(book.bid_sz[0, 0]) == 18


@pytest.mark.data
def test_real_amzn_semicolon_level_1() -> None:
    ob = require_real("lobster", f"{AMZN}orderbook_1_semicolon.csv.gz")
    msg = require_real("lobster", f"{AMZN}message_1.csv.gz")
    book = read_lobster(ob, msg, policy="raise")
    n_lines = gzip.open(ob, "rb").read().count(b"\n")
    assert len(book) == n_lines == 57_515  # README table says 57,514
    assert book.n_levels == 1
    assert len(book.minute_snapshots()) == 390
    assert book.minute_volume().sum() == pytest.approx(book.trades.size.sum())


@pytest.mark.data
@pytest.mark.parametrize(("ticker", "rows"), [("AMZN", 155_935), ("MSFT", 595_800)])
def test_real_five_levels_without_messages(ticker: str, rows: int) -> None:
    path = require_real(
        "lobster", f"{ticker}_2012-06-21_34200000_57600000_orderbook_5_fullday_nomessages.csv.gz"
    )
    book = read_book(path)
    assert len(book) == rows and book.n_levels == 5
    assert book.validation.timestamps_synthesised
    assert book.validation.rows_dropped == 0
    assert len(book.trades) == 0
    with pytest.raises(DataError, match="synthesised"):
        book.minute_snapshots()
    snaps = book.with_synthetic_time_allowed().minute_snapshots()
    assert len(snaps) == 390 and snaps.validation.forward_filled_minutes == 0
