"""Databento MBP-10 CSV reader: both layouts, malformed inputs, and the real files."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_helpers import require_real, small_book, write_mbp10_csv
from execopt.data import read_book, read_mbp10
from execopt.errors import DataError, InputError

# --------------------------------------------------------------------------- written files


@pytest.mark.parametrize("layout", ["databento", "pandas"])
@pytest.mark.parametrize("ts_format", ["space", "iso_z", "ns"])
def test_round_trip_both_layouts(tmp_path: Path, layout: str, ts_format: str) -> None:
    book = small_book()
    path = write_mbp10_csv(
        tmp_path / "FROG_2025-04-03.csv", book, layout=layout, ts_format=ts_format
    )
    got = read_mbp10(path, policy="raise")
    assert got.symbol == "FROG"
    np.testing.assert_array_equal(got.ts, book.ts)
    np.testing.assert_array_equal(got.bid_px, book.bid_px)
    np.testing.assert_array_equal(got.ask_px, book.ask_px)
    np.testing.assert_array_equal(got.bid_sz, book.bid_sz)
    np.testing.assert_array_equal(got.ask_sz, book.ask_sz)
    n = len(book)
    assert len(got.trades) == n // 3
    assert set(got.trades.side.tolist()) == {"B"}
    assert got.validation.action_counts == {"A": n - n // 3, "T": n // 3}
    assert got.source == (str(path),)


def test_gzip_and_folder_and_glob_concatenate_in_time_order(tmp_path: Path) -> None:
    day1 = small_book(seed=1)
    day2 = small_book(seed=2).replace(ts=np.asarray(small_book(seed=2).ts) + np.timedelta64(1, "D"))
    folder = tmp_path / "days"
    folder.mkdir()
    # Written with names in reverse time order: the reader must sort by time, not name.
    write_mbp10_csv(folder / "FROG_2025-04-04.csv.gz", day1)
    write_mbp10_csv(folder / "FROG_2025-04-03.csv.gz", day2)
    for source in (folder, str(folder / "FROG_2025-04-0*"), sorted(folder.iterdir())):
        got = read_mbp10(source, policy="raise")
        assert len(got) == len(day1) + len(day2)
        assert np.all(np.diff(got.ts.view(np.int64)) >= 0)
        np.testing.assert_array_equal(got.bid_px[: len(day1)], day1.bid_px)
        assert len(got.source) == 2
    # each day's rows cover 09:30-09:35 only: the grid holds those minutes, not 2 x 390
    snaps = read_mbp10(folder, progress=True).minute_snapshots()
    assert len(snaps) == 2 * 5 and snaps.grid is not None
    assert [d["minutes"] for d in snaps.grid.spans()] == [5, 5]
    assert snaps.validation.uncovered_minutes == 2 * 385


def test_symbol_filter(tmp_path: Path) -> None:
    a = write_mbp10_csv(tmp_path / "a.csv", small_book(seed=1), symbol="FROG")
    b = write_mbp10_csv(tmp_path / "b.csv", small_book(seed=2), symbol="SOUN")
    both = tmp_path / "both.csv"
    lines_b = b.read_text().splitlines()[1:]
    both.write_text(a.read_text() + "\n".join(lines_b) + "\n")
    with pytest.raises(InputError, match="several symbols"):
        read_mbp10(both)
    got = read_mbp10(both, symbol="SOUN", policy="drop")
    assert got.symbol == "SOUN"
    n_a = len(a.read_text().splitlines()) - 1
    rep = got.validation
    assert rep.rows_filtered == n_a
    assert rep.n_rows_read == rep.n_rows_kept + rep.rows_dropped + rep.rows_filtered
    with pytest.raises(DataError, match="no rows for symbol 'CRWV'"):
        read_mbp10(both, symbol="CRWV")


def _corrupt(path: Path, line: int, fn: object) -> None:
    lines = path.read_text().split("\n")
    assert callable(fn)
    lines[line - 1] = fn(lines[line - 1])
    path.write_text("\n".join(lines))


def _set_field(name: str, value: str, header: list[str]) -> object:
    j = header.index(name)

    def f(line: str) -> str:
        parts = line.split(",")
        parts[j] = value
        return ",".join(parts)

    return f


# Each case: (description, corruption(path, header) applied at line 6, reason key, message regex)
LINE = 6


def _crossed(path: Path, header: list[str]) -> None:
    parts = path.read_text().split("\n")[LINE - 1].split(",")
    ask = float(parts[header.index("ask_px_00")])
    _corrupt(path, LINE, _set_field("bid_px_00", f"{ask + 0.05:.2f}", header))


def _nan_size(path: Path, header: list[str]) -> None:
    _corrupt(path, LINE, _set_field("bid_sz_03", "", header))


def _negative(path: Path, header: list[str]) -> None:
    _corrupt(path, LINE, _set_field("ask_sz_02", "-5", header))


def _earlier_ts(path: Path, header: list[str]) -> None:
    _corrupt(path, LINE, _set_field("ts_recv", "2025-04-03 13:00:00.000000000+00:00", header))


def _bad_ts(path: Path, header: list[str]) -> None:
    _corrupt(path, LINE, _set_field("ts_recv", "yesterday noon", header))


def _bad_number(path: Path, header: list[str]) -> None:
    _corrupt(path, LINE, _set_field("bid_px_02", "2 33.53", header))


def _extra_field(path: Path, header: list[str]) -> None:
    _corrupt(path, LINE, lambda s: s + ",999")


def _short_line(path: Path, header: list[str]) -> None:
    _corrupt(path, LINE, lambda s: s.rsplit(",", 5)[0])


CASES = [
    ("crossed", _crossed, "crossed", r"crossed book"),
    ("nan_size", _nan_size, "nan_size", r"empty \(NaN\) size"),
    ("negative_size", _negative, "negative_size", r"negative size"),
    ("non_monotonic", _earlier_ts, "non_monotonic_ts", r"earlier than the previous row"),
    ("bad_ts", _bad_ts, "bad_ts", r"unparseable timestamp 'yesterday noon'"),
    ("bad_number", _bad_number, "bad_number", r"not a number"),
    ("extra_field", _extra_field, "malformed_line", r"75 fields, the header has 74"),
    ("short_line", _short_line, "malformed_line", r"69 fields, the header has 74"),
]


@pytest.mark.parametrize(("name", "corrupt", "reason", "message"), CASES, ids=[c[0] for c in CASES])
def test_malformed_row_raises_or_is_counted(
    tmp_path: Path, name: str, corrupt: object, reason: str, message: str
) -> None:
    book = small_book(periods=3)
    path = write_mbp10_csv(tmp_path / "FROG_bad.csv", book)
    header = path.read_text().split("\n")[0].split(",")
    header[0] = "ts_recv"  # the first of the two ts_event columns is really ts_recv
    assert callable(corrupt)
    corrupt(path, header)
    with pytest.raises(DataError) as err:
        read_mbp10(path, policy="raise")
    text = str(err.value)
    assert "FROG_bad.csv" in text
    assert f"line {LINE}" in text
    assert re.search(message, text), text
    assert "policy='drop'" in text  # says how to proceed

    got = read_mbp10(path, policy="drop")
    rep = got.validation
    assert rep.dropped == {reason: 1}, rep
    assert rep.n_rows_kept == len(book) - 1
    assert rep.n_rows_read == len(book)
    assert str(rep).count("dropped:") == 1
    if reason in ("crossed", "nan_size", "negative_size", "non_monotonic_ts"):
        assert getattr(rep, reason) == 1


def test_integer_ns_timestamps_keep_precision_when_a_row_is_bad(tmp_path: Path) -> None:
    book = small_book(periods=2)
    path = write_mbp10_csv(tmp_path / "ns.csv", book, ts_format="ns")
    header = path.read_text().split("\n")[0].split(",")
    header[0] = "ts_recv"
    _corrupt(path, 4, _set_field("ts_recv", "12:00", header))
    with pytest.raises(DataError, match="line 4: unparseable timestamp '12:00'"):
        read_mbp10(path, policy="raise")
    got = read_mbp10(path)
    assert got.validation.dropped == {"bad_ts": 1}
    np.testing.assert_array_equal(got.ts, np.delete(np.asarray(book.ts), 2))


def test_truncated_last_line(tmp_path: Path) -> None:
    book = small_book(periods=3)
    path = write_mbp10_csv(tmp_path / "FROG_trunc.csv", book)
    data = path.read_bytes()
    path.write_bytes(data[:-40])  # a download cut inside the last line
    n_lines = data.count(b"\n")
    with pytest.raises(DataError, match=rf"line {n_lines}: .*last line is truncated"):
        read_mbp10(path, policy="raise")
    got = read_mbp10(path, policy="drop")
    assert got.validation.dropped == {"malformed_line": 1}
    assert len(got) == len(book) - 1


def test_truncated_gzip(tmp_path: Path) -> None:
    path = write_mbp10_csv(tmp_path / "FROG.csv.gz", small_book(periods=3))
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(DataError, match="gzip stream is corrupt or truncated"):
        read_mbp10(path)


@pytest.mark.parametrize("policy", ["raise", "drop"])
def test_empty_files(tmp_path: Path, policy: str) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.csv' is empty"):
        read_mbp10(empty, policy=policy)  # type: ignore[arg-type]
    gz = tmp_path / "empty.csv.gz"
    gz.write_bytes(gzip.compress(b""))
    with pytest.raises(DataError, match="is empty"):
        read_mbp10(gz, policy=policy)  # type: ignore[arg-type]
    header_only = tmp_path / "header.csv"
    full = write_mbp10_csv(tmp_path / "full.csv", small_book(periods=1))
    header_only.write_text(full.read_text().split("\n")[0] + "\n")
    with pytest.raises(DataError, match="header but no data rows"):
        read_mbp10(header_only, policy=policy)  # type: ignore[arg-type]


def test_wrong_columns(tmp_path: Path) -> None:
    path = write_mbp10_csv(tmp_path / "x.csv", small_book(periods=1))
    text = path.read_text().replace("bid_px_00", "bidpx0", 1)
    path.write_text(text)
    with pytest.raises(
        DataError,
        match=r"x.csv', line 1 \(header\): missing column\(s\) "
        r"bid_px_00.*expected a Databento MBP-10 CSV",
    ):
        read_mbp10(path, policy="drop")
    other = tmp_path / "other.csv"
    other.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(DataError, match="missing column"):
        read_mbp10(other)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_mbp10(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="no file matches"):
        read_mbp10(str(tmp_path / "nope*"))
    path = write_mbp10_csv(tmp_path / "x.csv", small_book(periods=1))
    with pytest.raises(InputError, match="policy"):
        read_mbp10(path, policy="ignore")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="ts_column"):
        read_mbp10(path, ts_column="ts_out")


def test_non_monotonic_drop_keeps_longest_run(tmp_path: Path) -> None:
    """One wild timestamp costs one row, not the rest of the file."""
    book = small_book(periods=3)
    path = write_mbp10_csv(tmp_path / "f.csv", book)
    header = path.read_text().split("\n")[0].split(",")
    header[0] = "ts_recv"
    _corrupt(path, 3, _set_field("ts_recv", "2025-04-03 19:00:00.000000000+00:00", header))
    got = read_mbp10(path, policy="drop")
    assert got.validation.dropped == {"non_monotonic_ts": 1}
    assert len(got) == len(book) - 1


def test_read_book_dispatches_mbp10(tmp_path: Path) -> None:
    path = write_mbp10_csv(tmp_path / "FROG_2025-04-03.csv.gz", small_book(periods=2))
    assert len(read_book(path)) == len(read_mbp10(path))
    assert len(read_book(path, format="mbp10")) == len(read_mbp10(path))


# --------------------------------------------------------------------------- real files


@pytest.mark.data
def test_real_frog_day_facts() -> None:
    book = read_mbp10(require_real("mbp10", "FROG_2025-04-03.csv.gz"), policy="raise")
    rep = book.validation
    assert len(book) == 33_286
    assert rep.action_counts == {"A": 18_397, "C": 11_072, "T": 3_817}
    assert rep.rows_dropped == 0
    assert book.n_levels == 10
    assert len(book.trades) == 3_817
    assert str(book.ts[0]).startswith("2025-04-03T13:30:00")
    assert str(book.ts[-1]).startswith("2025-04-03T19:59:59")
    assert round(float(np.min(book.mid)), 2) == 30.96 or float(np.min(book.mid)) == 30.955
    assert round(float(np.max(book.mid)), 2) == 31.88
    assert float(np.mean(book.mid)) == pytest.approx(31.45, abs=0.005)
    assert float(np.mean(book.spread)) == pytest.approx(0.070, abs=0.0005)
    assert float(np.median(book.spread)) == pytest.approx(0.06)
    assert float(book.depth("bid").mean()) == pytest.approx(2026, abs=1)
    assert float(book.depth("ask").mean()) == pytest.approx(1513, abs=1)

    snaps = book.minute_snapshots()
    assert len(snaps) == 390
    assert snaps.validation.forward_filled_minutes == 0
    assert len(book.minute_volume()) == 390
    assert book.minute_volume().sum() == pytest.approx(book.trades.size.sum())
    assert len(book.minute_returns()) == 389
    assert len(book.regular_hours()) == len(book)


@pytest.mark.data
def test_real_frog_last_per_minute_matches_snapshots() -> None:
    book = read_mbp10(require_real("mbp10", "FROG_2025-04-03.csv.gz"))
    ref = read_mbp10(require_real("mbp10", "FROG_2025-04-03_last_per_minute.csv"))
    snaps = book.minute_snapshots()
    np.testing.assert_array_equal(snaps.ts, ref.ts)
    for name in ("bid_px", "ask_px", "bid_sz", "ask_sz"):
        np.testing.assert_array_equal(getattr(snaps, name), getattr(ref, name))


@pytest.mark.data
def test_real_arl_other_layout() -> None:
    path = require_real("mbp10", "ARL_2025-07-17_mbp10.csv.gz")
    header = gzip.open(path, "rt").readline().strip().split(",")
    assert header[0] == "" and header[-1] == "order_id" and len(header) == 76
    book = read_mbp10(path, policy="raise")
    assert book.symbol == "ARL"
    assert len(book) == 3_928
    rep = book.validation
    assert rep.one_sided > 0 and rep.missing_levels > 0  # an illiquid book
    assert rep.rows_dropped == 0
    # Absent levels: price NaN and size 0.
    absent = np.isnan(book.bid_px)
    assert absent.any() and np.all(book.bid_sz[absent] == 0)
    assert len(book.trades) == rep.action_counts["T"]
    # Cross-check one row against pandas reading by name.
    df = pd.read_csv(path, nrows=50)
    np.testing.assert_array_equal(book.ask_px[:50, 0], df["ask_px_00"].to_numpy())


@pytest.mark.data
def test_real_aapl_iso_z_and_a_corrupt_cell() -> None:
    path = require_real("mbp10", "AAPL_2024-10-21_mbp10_first5000.csv.gz")
    # This file has one corrupt cell ("2 33.53" in bid_px_02 on line 22).
    with pytest.raises(DataError, match=r"line 22: a price or size is not a number"):
        read_mbp10(path, policy="raise")
    book = read_mbp10(path)
    assert len(book) == 4_999
    assert book.validation.dropped == {"bad_number": 1}
    assert str(book.ts[0]) == "2024-10-21T11:54:29.221230963"
    by_event = read_mbp10(path, ts_column="ts_event")
    assert str(by_event.ts[0]) == "2024-10-21T11:54:29.221064336"
    with pytest.raises(DataError, match="no book state falls inside the session"):
        book.minute_snapshots()
    assert len(book.minute_snapshots(session=None)) == 71  # 11:54 .. 13:04 UTC, inclusive


@pytest.mark.data
@pytest.mark.parametrize("ticker", ["CRWV", "FROG", "SOUN"])
def test_real_samples(ticker: str) -> None:
    book = read_mbp10(
        require_real("mbp10", "samples", f"{ticker}_2025-04-14_first5.csv"), policy="raise"
    )
    assert book.symbol == ticker
    assert len(book) == 5
    assert book.n_levels == 10


@pytest.mark.data
def test_every_real_mbp10_file_reads() -> None:
    root = require_real("mbp10")
    files = [p for p in sorted(root.rglob("*.csv*")) if "mbo" not in p.name]
    assert len(files) >= 7
    for f in files:
        book = read_book(f)
        assert len(book) > 0 and book.n_levels == 10, f
    # The market-by-order file is not a book: a clear error, not garbage.
    with pytest.raises(DataError, match=r"missing column\(s\) bid_px_00"):
        read_mbp10(root / "ARL_2025-07-17_mbo.csv.gz")
