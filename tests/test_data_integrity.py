"""Loaders that never go silently wrong (issue #11 items 1-5, zero-size levels, load_book).

Every bad file here is written by the test itself into ``tmp_path``: synthetic books through
``data_helpers``, or a perturbed copy of the real FROG day read from ``EXECOPT_DATA`` /
``../shared/data`` (those tests skip when the data are absent).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from data_helpers import require_real, small_book, write_lobster, write_mbp10_csv
from execopt.cli import main as cli_main
from execopt.data import (
    DEFAULT_MAX_DROP,
    BookSeries,
    ValidationReport,
    load_book,
    read_lobster,
    read_mbp10,
)
from execopt.errors import DataError, InputError

UNDEF = "9223372036854775807"


# --------------------------------------------------------------------------- helpers
def _lines(path: Path) -> list[str]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode().rstrip("\n").split("\n")


def _write(path: Path, lines: list[str]) -> Path:
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def _header(lines: list[str]) -> list[str]:
    names = lines[0].split(",")
    if names.count("ts_event") == 2:
        names[0] = "ts_recv"
    return names


def _set(lines: list[str], line: int, column: str, value: str) -> None:
    """Set ``column`` of (1-based) ``line`` to ``value``."""
    j = _header(lines).index(column)
    parts = lines[line - 1].split(",")
    parts[j] = value
    lines[line - 1] = ",".join(parts)


def _drop_column(lines: list[str], column: str) -> list[str]:
    j = _header(lines).index(column)
    return [",".join(f for i, f in enumerate(line.split(",")) if i != j) for line in lines]


def _book_file(tmp_path: Path, layout: str = "databento", **kw: float) -> tuple[BookSeries, Path]:
    book = small_book(periods=int(kw.pop("periods", 3)), **kw)  # type: ignore[arg-type]
    return book, write_mbp10_csv(tmp_path / "FROG_2025-04-03.csv", book, layout=layout)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def frog_lines() -> list[str]:
    """The real FROG day's lines (header first), read once per module."""
    return _lines(require_real("mbp10", "FROG_2025-04-03.csv.gz"))


# --------------------------------------------------------------------------- 1. price scale
# (description, column, 1-based line, corrupt value). Line 7 is a trade row (action T).
SCALE_CASES = [
    ("best_bid_fixed_point", "bid_px_00", 6, "31200000000"),
    ("best_ask_above_1e7", "ask_px_00", 6, "12000000"),
    ("deepest_ask_fixed_point", "ask_px_09", 6, "31250000000"),
    ("deep_bid_scaled_down", "bid_px_08", 6, "0.0000000312"),
    ("trade_price_fixed_point", "price", 7, "31210000000"),
]


@pytest.mark.parametrize("layout", ["databento", "pandas"])
@pytest.mark.parametrize(
    ("name", "column", "line", "value"), SCALE_CASES, ids=[c[0] for c in SCALE_CASES]
)
def test_one_off_scale_cell_costs_one_row_not_the_file(
    tmp_path: Path, layout: str, name: str, column: str, line: int, value: str
) -> None:
    book, path = _book_file(tmp_path, layout)
    lines = _lines(path)
    _set(lines, line, column, value)
    _write(path, lines)
    with pytest.raises(DataError, match=rf"line {line}: .*off the price scale") as err:
        read_mbp10(path, policy="raise")
    assert "policy='drop'" in str(err.value)
    got = read_mbp10(path)
    rep = got.validation
    assert rep.dropped == {"off_scale_price": 1}, rep
    assert rep.off_scale_price == 1 and rep.price_scale == "decimal dollars"
    assert len(got) == len(book) - 1
    np.testing.assert_array_equal(got.mid, np.delete(np.asarray(book.mid), line - 2))
    assert 25 < float(np.mean(got.mid)) < 40  # dollars, not 1e-9 of them
    n_trades = len(book) // 3
    assert len(got.trades) == n_trades - (1 if line % 3 == 1 else 0)


def _to_fixed_point(lines: list[str]) -> list[str]:
    names = _header(lines)
    cols = [j for j, n in enumerate(names) if n == "price" or n[:7] in ("bid_px_", "ask_px_")]
    out = [lines[0]]
    for line in lines[1:]:
        parts = line.split(",")
        for j in cols:
            if parts[j]:
                parts[j] = str(round(float(parts[j]) * 1e9))
        out.append(",".join(parts))
    return out


def test_fixed_point_file_is_scaled_and_contradicting_cells_are_bad_rows(tmp_path: Path) -> None:
    book, path = _book_file(tmp_path)
    lines = _to_fixed_point(_lines(path))
    _set(lines, 5, "bid_px_09", UNDEF)  # Databento's undefined price: an absent level
    _set(lines, 5, "bid_sz_09", "0")
    _write(path, lines)
    got = read_mbp10(path, policy="raise")
    assert got.validation.price_scale.startswith("fixed point 1e-9")
    expected_bid = np.array(book.bid_px)
    expected_bid[3, 9] = np.nan
    np.testing.assert_allclose(got.bid_px, expected_bid, rtol=1e-12)
    np.testing.assert_allclose(got.trades.price, book.ask_px[2::3, 0], rtol=1e-12)
    # A decimal cell in a fixed-point file is off scale: one bad row, the rest still scaled.
    _set(lines, 8, "ask_px_00", "31.25")
    _write(path, lines)
    got = read_mbp10(path)
    assert got.validation.dropped == {"off_scale_price": 1}
    assert 25 < float(np.nanmean(got.mid)) < 40
    # Bulk above 1e7 with fractional cells fits neither schema: refused, whatever the policy.
    frac = [lines[0]] + [
        ",".join(f + ".5" if f.isdigit() and len(f) > 9 else f for f in line.split(","))
        for line in lines[1:]
    ]
    _write(path, frac)
    for policy in ("drop", "raise"):
        with pytest.raises(DataError, match="fit neither scale"):
            read_mbp10(path, policy=policy)  # type: ignore[arg-type]


@pytest.mark.data
def test_real_frog_one_corrupt_best_price_costs_one_row(
    tmp_path: Path, frog_lines: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    lines = list(frog_lines)
    _set(lines, 1001, "bid_px_00", "31200000000")
    path = _write(tmp_path / "FROG_corrupt.csv.gz", lines)
    book = read_mbp10(path)
    assert len(book) == 33_285 and book.validation.dropped == {"off_scale_price": 1}
    assert float(np.mean(book.mid)) == pytest.approx(31.45, abs=0.005)
    code, out, _ = _cli(capsys, "fit", str(path), "--json", "--n-boot", "10")
    assert code == 0
    doc = json.loads(out)
    assert 1e-3 < doc["params"]["a"] < 1.0  # dollars per share, not 4.5e-11
    assert doc["data_validation"]["dropped"] == {"off_scale_price": 1}
    code, out, _ = _cli(
        capsys, "backtest", str(path), "--shares", "5000", "--policy", "twap", "--json"
    )
    assert code == 0
    assert 30 < json.loads(out)["order"]["arrival_mid"] < 33


# --------------------------------------------------------------------------- 2. CLI counts
def _damaged(tmp_path: Path, n_crossed: int, n_dup: int = 0) -> tuple[BookSeries, Path]:
    book = small_book(periods=390, events_per_minute=2)  # about 780 rows over a whole day
    path = write_mbp10_csv(tmp_path / "FROG_2025-04-03.csv", book)
    lines = _lines(path)
    for k in range(n_crossed):
        line = 10 + 7 * k
        ask = float(lines[line - 1].split(",")[_header(lines).index("ask_px_00")])
        _set(lines, line, "bid_px_00", f"{ask + 0.05:.2f}")
    for k in range(n_dup):
        line = 400 + 5 * k
        lines.insert(line, lines[line - 1])
    return book, _write(path, lines)


@pytest.mark.parametrize("command", ["fit", "backtest"])
def test_cli_prints_and_returns_the_validation_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    book, path = _damaged(tmp_path, n_crossed=1, n_dup=1)
    extra = ["--n-boot", "10"] if command == "fit" else ["--shares", "2000", "--policy", "twap"]
    code, out, err = _cli(capsys, command, str(path), "--json", *extra)
    assert code == 0, err
    v = json.loads(out)["data_validation"]
    assert v["rows_read"] == len(book) + 1 and v["rows_kept"] == len(book) - 1
    assert v["dropped"] == {"duplicate": 1, "crossed": 1} and v["duplicates"] == 1
    assert v["max_drop"] == DEFAULT_MAX_DROP
    assert "dropped by reason: duplicate 1, crossed 1" in err  # stderr note in --json mode
    code, out, _ = _cli(capsys, command, str(path), *extra)
    assert code == 0
    assert f"data validation: {len(book) + 1:,} rows read, {len(book) - 1:,} kept, 2 dropped" in out
    assert "dropped by reason: duplicate 1, crossed 1" in out


@pytest.mark.parametrize("command", ["fit", "backtest"])
def test_cli_refuses_a_book_that_lost_too_many_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    book, path = _damaged(tmp_path, n_crossed=12)  # about 1.5 % of the rows
    extra = ["--n-boot", "10"] if command == "fit" else ["--shares", "2000", "--policy", "twap"]
    code, out, err = _cli(capsys, command, str(path), "--json", *extra)
    # --json: the error object on stdout, the one error line on stderr (issue 11, item 11)
    assert code == 2 and json.loads(out)["error"]["type"] == "DataError"
    assert f"dropped 12 of {len(book):,} rows" in err and "crossed 12" in err
    assert "more than the 1 % allowed" in err and "--max-drop" in err
    code, out, err = _cli(capsys, command, str(path), "--json", "--max-drop", "0.05", *extra)
    assert code == 0, err
    assert json.loads(out)["data_validation"]["dropped"] == {"crossed": 12}
    code, _, err = _cli(capsys, command, str(path), "--max-drop", "1.5", *extra)
    assert code == 2 and "max_drop must be a fraction" in err


def test_max_drop_is_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("fit", "backtest", "study"):
        code, out, _ = _cli(capsys, command, "--help")
        assert code == 0 and "--max-drop FRACTION" in out and "0.01 = 1 %" in out


def _reversed(tmp_path: Path, lines: list[str], name: str = "FROG_reversed.csv") -> Path:
    return _write(tmp_path / name, [lines[0], *lines[1:][::-1]])


@pytest.mark.parametrize("policy", ["drop", "raise"])
def test_reversed_file_is_refused_or_sorted_back_exactly(tmp_path: Path, policy: str) -> None:
    book, path = _book_file(tmp_path, periods=5)
    rev = _reversed(tmp_path, _lines(path))
    with pytest.raises(DataError, match=r"not in time order|earlier than the previous"):
        read_mbp10(rev, policy=policy)  # type: ignore[arg-type]
    got = read_mbp10(rev, policy=policy, sort_time=True)  # type: ignore[arg-type]
    assert got.equals(read_mbp10(path))
    assert got.validation.rows_reordered >= len(book) - 1
    assert any("re-ordered" in n for n in got.validation.notes)


def test_backtest_on_a_reversed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, path = _book_file(tmp_path, periods=30, events_per_minute=4)
    rev = _reversed(tmp_path, _lines(path))
    args = ["--shares", "1000", "--policy", "twap,oracle", "--json"]
    code, out, err = _cli(capsys, "backtest", str(rev), *args)
    assert code == 2 and json.loads(out)["error"]["type"] == "DataError"
    assert "not in time order" in err and "--sort-time" in err
    code, out, _ = _cli(capsys, "backtest", str(rev), "--sort-time", *args)
    assert code == 0
    sorted_doc = json.loads(out)
    code, out, _ = _cli(capsys, "backtest", str(path), *args)
    original = json.loads(out)
    assert sorted_doc["policies"]["twap"]["cost"] == original["policies"]["twap"]["cost"]
    assert sorted_doc["order"]["periods"] == original["order"]["periods"] == 30
    assert sorted_doc["data_validation"]["rows_reordered"] > 0


@pytest.mark.data
def test_real_frog_reversed_is_refused_or_restored_exactly(
    tmp_path: Path, frog_lines: list[str]
) -> None:
    rev = _reversed(tmp_path, frog_lines)
    with pytest.raises(DataError, match=r"33,259 of 33,286 rows .*runs backwards"):
        read_mbp10(rev)
    original = read_mbp10(require_real("mbp10", "FROG_2025-04-03.csv.gz"))
    # Ties on (ts_recv, sequence), e.g. a trade and its cancel, come back in their real order.
    assert read_mbp10(rev, sort_time=True).equals(original)


# --------------------------------------------------------------------------- 3. columns
MISSING = [
    ("databento", "bid_sz_05"),
    ("databento", "ask_px_09"),
    ("databento", "ask_sz_00"),
    ("pandas", "bid_sz_05"),
    ("pandas", "ask_px_03"),
]


@pytest.mark.parametrize("policy", ["drop", "raise"])
@pytest.mark.parametrize(("layout", "column"), MISSING, ids=[f"{a}-{b}" for a, b in MISSING])
def test_missing_level_column_is_named(
    tmp_path: Path, layout: str, column: str, policy: str
) -> None:
    _, path = _book_file(tmp_path, layout)
    _write(path, _drop_column(_lines(path), column))
    with pytest.raises(DataError, match=rf"line 1 \(header\): missing column\(s\) {column}\b"):
        read_mbp10(path, policy=policy)  # type: ignore[arg-type]


HARMLESS = [
    ("bid_ct_04", "order-count column(s) bid_ct_04 absent"),
    ("flags", "column(s) flags absent (not used)"),
]


@pytest.mark.parametrize("layout", ["databento", "pandas"])
@pytest.mark.parametrize(("column", "note"), HARMLESS, ids=[c for c, _ in HARMLESS])
def test_harmless_missing_or_extra_columns_are_named_in_the_report(
    tmp_path: Path, layout: str, column: str, note: str
) -> None:
    book, path = _book_file(tmp_path, layout)
    lines = _drop_column(_lines(path), column)
    lines = [lines[0] + ",venue_note"] + [line + ",x" for line in lines[1:]]
    _write(path, lines)
    got = read_mbp10(path, policy="raise")
    assert got.n_levels == 10 and len(got) == len(book)
    notes = "\n".join(got.validation.notes)
    assert note in notes
    assert "outside the MBP-10 layout ignored: venue_note" in notes


def test_a_shallower_complete_book_is_read_and_its_depth_named(tmp_path: Path) -> None:
    book, path = _book_file(tmp_path)
    lines = _lines(path)
    for column in [c for c in _header(lines) if c[-2:] in {f"{i:02d}" for i in range(5, 10)}]:
        lines = _drop_column(lines, column)
    _write(path, lines)
    got = read_mbp10(path, policy="raise")
    assert got.n_levels == 5
    np.testing.assert_array_equal(got.ask_px, book.ask_px[:, :5])
    assert any("5 complete level(s) (00..04), not MBP-10's 10" in n for n in got.validation.notes)


def test_repeated_level_column_is_refused(tmp_path: Path) -> None:
    _, path = _book_file(tmp_path)
    lines = _lines(path)
    lines = [lines[0] + ",bid_px_02"] + [line + ",1.0" for line in lines[1:]]
    _write(path, lines)
    with pytest.raises(DataError, match=r"bid_px_02 appear more than once"):
        read_mbp10(path)


@pytest.mark.data
def test_real_arl_layout_missing_column_is_named(tmp_path: Path) -> None:
    lines = _lines(require_real("mbp10", "ARL_2025-07-17_mbp10.csv.gz"))
    path = _write(tmp_path / "ARL.csv", _drop_column(lines, "ask_sz_07"))
    with pytest.raises(DataError, match=r"missing column\(s\) ask_sz_07"):
        read_mbp10(path)


def test_lobster_level_count_against_name_and_extra_message_columns(tmp_path: Path) -> None:
    book = small_book(periods=2)
    ob, msg = write_lobster(tmp_path, book)
    assert msg is not None
    full = ob.read_text()
    ob.write_text("\n".join(",".join(r.split(",")[:-4]) for r in full.strip().split("\n")) + "\n")
    with pytest.raises(DataError, match=r"name says 10 level\(s\) .* holds 36 columns"):
        read_lobster(ob, msg)
    ob.write_text(full)
    msg.write_text("\n".join(r + ",7" for r in msg.read_text().strip().split("\n")) + "\n")
    got = read_lobster(ob, msg, policy="raise")
    assert len(got) == len(book)
    assert any("7 columns; LOBSTER defines 6" in n for n in got.validation.notes)


# --------------------------------------------------------------------------- 4. duplicates
# (description, line duplicated, where the copy goes): line 7 is a trade row.
DUPS = [("trade_repeated_next", 7, "next"), ("row_repeated_at_end", 3, "end")]


@pytest.mark.parametrize("layout", ["databento", "pandas"])
@pytest.mark.parametrize(("name", "line", "where"), DUPS, ids=[d[0] for d in DUPS])
def test_exact_duplicate_rows_are_dropped_and_counted(
    tmp_path: Path, layout: str, name: str, line: int, where: str
) -> None:
    book, path = _book_file(tmp_path, layout)
    original = read_mbp10(path)
    lines = _lines(path)
    copy = lines[line - 1]
    if where == "next":
        lines.insert(line, copy)
    else:
        lines.append(copy)
    if layout == "pandas":  # a re-export renumbers the index column: still the same event
        lines = [lines[0]] + [str(i) + line[line.index(",") :] for i, line in enumerate(lines[1:])]
    _write(path, lines)
    at = line + 1 if where == "next" else len(lines)
    with pytest.raises(DataError, match=rf"line {at}: the row repeats file .*line {line} exactly"):
        read_mbp10(path, policy="raise")
    got = read_mbp10(path)
    rep = got.validation
    assert rep.dropped == {"duplicate": 1} and rep.duplicates == 1
    assert rep.n_rows_read == len(book) + 1 and rep.n_rows_kept == len(book)
    assert got.equals(original)
    assert float(got.trades.size.sum()) == float(original.trades.size.sum())


def test_near_duplicates_are_kept_and_duplicates_across_files_found(tmp_path: Path) -> None:
    book, path = _book_file(tmp_path)
    lines = _lines(path)
    twin = lines[6].split(",")
    twin[_header(lines).index("sequence")] = "999999"  # same time and book, another event
    lines.insert(7, ",".join(twin))
    _write(path, lines)
    got = read_mbp10(path, policy="raise")
    assert got.validation.duplicates == 0 and len(got) == len(book) + 1
    # The same day in a folder twice (another name): every row of the copy is a duplicate.
    folder = tmp_path / "days"
    folder.mkdir()
    _, first = _book_file(folder)
    (folder / "FROG_2025-04-03_copy.csv").write_bytes(first.read_bytes())
    got = read_mbp10(folder)
    assert got.validation.duplicates == len(book) and len(got) == len(book)
    with pytest.raises(DataError, match=r"by reason: duplicate"):
        load_book(folder)


@pytest.mark.data
def test_real_frog_repeated_trades_do_not_inflate_volume(
    tmp_path: Path, frog_lines: list[str]
) -> None:
    action = _header(frog_lines).index("action")
    out = [frog_lines[0]]
    for line in frog_lines[1:]:
        out.append(line)
        if line.split(",")[action] == "T":
            out.append(line)
    path = _write(tmp_path / "FROG_dups.csv.gz", out)
    original = read_mbp10(require_real("mbp10", "FROG_2025-04-03.csv.gz"))
    got = read_mbp10(path)
    assert got.validation.duplicates == 3_817 == got.validation.dropped["duplicate"]
    assert got.trades.size.sum() == original.trades.size.sum()
    np.testing.assert_array_equal(got.minute_volume(), original.minute_volume())
    with pytest.raises(DataError, match="duplicate 3,817"):
        load_book(path)  # 10 % of the rows: refused at the default max_drop
    assert load_book(path, max_drop=0.11)[0].equals(original)


def _lobster_pair(tmp_path: Path) -> tuple[BookSeries, Path, Path]:
    book = small_book(periods=2)
    ob, msg = write_lobster(tmp_path, book)
    assert msg is not None
    return book, ob, msg


def test_lobster_duplicates_but_not_hidden_executions(tmp_path: Path) -> None:
    book, ob, msg = _lobster_pair(tmp_path)
    obl, ml = _lines(ob), _lines(msg)
    k = 5  # 0-based row 5: a visible execution (type 4)
    assert ml[k].split(",")[1] == "4"
    _write(ob, [*obl[: k + 1], obl[k], *obl[k + 1 :]])
    _write(msg, [*ml[: k + 1], ml[k], *ml[k + 1 :]])
    with pytest.raises(DataError, match=rf"line {k + 2}: the message and book row repeat line"):
        read_lobster(ob, msg, policy="raise")
    got = read_lobster(ob, msg)
    assert got.validation.dropped == {"duplicate": 1}
    assert len(got.trades) == len(book) // 3
    # Hidden executions (type 5, order id 0) repeat legitimately: both are trades.
    hidden = ml[k].split(",")
    hidden[1], hidden[2] = "5", "0"
    ml[k] = ",".join(hidden)
    _write(msg, [*ml[: k + 1], ml[k], *ml[k + 1 :]])
    got = read_lobster(ob, msg, policy="raise")
    assert got.validation.duplicates == 0 and len(got) == len(book) + 1
    assert len(got.trades) == len(book) // 3 + 1


# --------------------------------------------------------------------------- 5. made-up time
TIME_OF_DAY: list[tuple[str, Callable[[BookSeries], object]]] = [
    ("minute_snapshots", lambda b: b.minute_snapshots()),
    ("minute_volume", lambda b: b.minute_volume()),
    ("minute_returns", lambda b: b.minute_returns()),
    ("realised_volatility", lambda b: b.realised_volatility(5)),
    ("session_minutes", lambda b: b.session_minutes()),
    ("regular_hours", lambda b: b.regular_hours()),
    ("between", lambda b: b.between("2012-06-21 14:00", "2012-06-21 15:00")),
    ("fit_profile", lambda b: __import__("execopt.impact.profiles").impact.profiles.fit_profile(b)),
]


@pytest.mark.parametrize(("name", "op"), TIME_OF_DAY, ids=[t[0] for t in TIME_OF_DAY])
def test_made_up_timestamps_refuse_time_of_day_work(
    tmp_path: Path, name: str, op: Callable[[BookSeries], object]
) -> None:
    ob, _ = write_lobster(
        tmp_path, small_book(periods=30, events_per_minute=4), with_messages=False
    )
    book = read_lobster(ob)
    assert book.synthetic_time and not book.time_is_real
    assert book.validation.timestamps_synthesised and "SYNTHETIC TIME" in repr(book)
    with pytest.raises(DataError, match=r"synthesised.*message file.*--synthetic-time"):
        op(book)
    allowed = read_lobster(ob, allow_synthetic_time=True)
    op(allowed)  # runs, knowingly
    op(book.with_synthetic_time_allowed())
    with pytest.raises(InputError, match="sort_time needs the message file"):
        read_lobster(ob, sort_time=True)


@pytest.mark.parametrize("command", ["fit", "backtest"])
def test_cli_refuses_made_up_time_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    ob, _ = write_lobster(
        tmp_path, small_book(periods=30, events_per_minute=4), with_messages=False
    )
    extra = ["--n-boot", "10"] if command == "fit" else ["--shares", "500", "--policy", "twap"]
    code, out, err = _cli(capsys, command, str(ob), "--json", *extra)
    assert code == 2 and json.loads(out)["error"]["type"] == "DataError"
    assert "synthesised" in err and "--synthetic-time" in err
    code, out, err = _cli(capsys, command, str(ob), "--json", "--synthetic-time", *extra)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["data_validation"]["timestamps_synthesised"] is True
    assert "TIMESTAMPS SYNTHESISED" in err
    if command == "fit":
        assert doc["source"]["timestamps"].startswith("synthesised")
    code, out, _ = _cli(capsys, command, str(ob), "--synthetic-time", *extra)
    assert code == 0 and "TIMESTAMPS SYNTHESISED" in out


# --------------------------------------------------------------------------- zero-size levels
ZERO = [("best_bid", "bid", 0), ("deep_ask", "ask", 4), ("last_bid", "bid", 9)]


@pytest.mark.parametrize(("name", "side", "level"), ZERO, ids=[z[0] for z in ZERO])
def test_zero_size_level_with_a_price_is_treated_as_absent(
    tmp_path: Path, name: str, side: str, level: int
) -> None:
    book, path = _book_file(tmp_path)
    lines = _lines(path)
    _set(lines, 6, f"{side}_sz_{level:02d}", "0")
    _write(path, lines)
    got = read_mbp10(path, policy="raise")  # not an error: counted and normalised
    rep = got.validation
    assert rep.zero_size_levels == 1 and rep.rows_dropped == 0 and len(got) == len(book)
    assert any("size 0" in n for n in rep.notes)
    px, sz = getattr(got, f"{side}_px")[4], getattr(got, f"{side}_sz")[4]
    orig_px, orig_sz = getattr(book, f"{side}_px")[4], getattr(book, f"{side}_sz")[4]
    np.testing.assert_array_equal(px[:-1], np.delete(orig_px, level)[: len(px) - 1])
    np.testing.assert_array_equal(sz[:-1], np.delete(orig_sz, level)[: len(sz) - 1])
    assert np.isnan(px[-1]) and sz[-1] == 0
    if level == 0:  # the phantom best bid no longer sets the mid
        assert got.mid[4] == pytest.approx((orig_px[1] + book.ask_px[4, 0]) / 2)


def test_zero_size_levels_in_lobster_and_from_arrays(tmp_path: Path) -> None:
    book = small_book(periods=2)
    ob, _ = write_lobster(tmp_path, book, with_messages=False)
    lines = _lines(ob)
    parts = lines[3].split(",")
    parts[1] = "0"  # ask size at level 0 of row 3
    lines[3] = ",".join(parts)
    _write(ob, lines)
    got = read_lobster(ob, policy="raise")
    assert got.validation.zero_size_levels == 1
    assert got.ask_px[3, 0] == pytest.approx(book.ask_px[3, 1])
    ts = np.array(["2025-04-03T13:30:00", "2025-04-03T13:30:01"], dtype="datetime64[ns]")
    bid = np.array([[10.0, 9.99], [10.0, 9.99]])
    ask = np.array([[10.01, 10.02], [10.01, 10.02]])
    sizes = np.array([[0.0, 5.0], [5.0, 5.0]])
    b = BookSeries.from_arrays(ts, bid, ask, sizes, sizes + 1)
    assert b.validation.zero_size_levels == 1 and b.bid_px[0, 0] == 9.99


# --------------------------------------------------------------------------- load_book
def test_load_book_sources_and_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, path = _book_file(tmp_path)
    for source in (path, str(path), str(tmp_path / "FROG_*"), [path], tmp_path):
        got, report = load_book(source)
        assert got.equals(read_mbp10(path)) and report is got.validation
    syn, report = load_book("frog", seed=3)
    assert syn.source[0].startswith("synthetic:FROG") and report.rows_dropped == 0
    with pytest.raises(InputError, match="not a synthetic preset"):
        load_book("ACME")
    with pytest.raises(InputError, match="no file matches"):
        load_book(str(tmp_path / "nothing_*"))
    for bad in (-0.1, 1.5, "lots"):
        with pytest.raises(InputError, match="max_drop must be a fraction"):
            load_book(path, max_drop=bad)  # type: ignore[arg-type]
    # preset=True never reads a file of that name; preset=False never builds a preset.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FROG").write_text("not a book\n")
    assert load_book("FROG", preset=True)[0].source[0].startswith("synthetic:")
    with pytest.raises(InputError, match="no such file"):
        load_book("SOUN", preset=False)


def test_report_summary_and_merge() -> None:
    a = ValidationReport(n_rows_read=10, n_rows_kept=8, dropped_by_reason=(("duplicate", 2),))
    a = a.with_updates(duplicates=2, price_scale="decimal dollars")
    s = a.summary()
    assert s["rows_dropped"] == 2 and s["dropped_share"] == 0.2 and s["duplicates"] == 2
    assert "duplicates=2" in str(a) and "prices: decimal dollars" in str(a)
    m = a.merge(ValidationReport(price_scale="fixed point 1e-9"))
    assert m.price_scale == "decimal dollars; fixed point 1e-9"
    assert a.merge(a).price_scale == "decimal dollars"


def test_callers_load_through_load_book_and_refuse_a_damaged_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from execopt.studies import fitted
    from execopt.studies.day import frog_day

    (tmp_path / "mbp10").mkdir()
    book, damaged = _damaged(tmp_path, n_crossed=12)
    damaged.rename(tmp_path / "mbp10" / "FROG_2025-04-03.csv")
    monkeypatch.setenv("EXECOPT_DATA", str(tmp_path))
    with pytest.raises(DataError, match="more than the 1 % allowed"):
        fitted.load_book("FROG", "real")
    assert len(fitted.load_book("FROG", "real", max_drop=0.05)) == len(book) - 12
    with pytest.raises(DataError, match="more than the 1 % allowed"):
        frog_day(str(tmp_path))  # no silent fall-back to the synthetic day
    real, label, _ = frog_day(str(tmp_path), max_drop=0.05)
    assert label.startswith("real FROG") and real.validation.dropped == {"crossed": 12}
    code, _, err = _cli(capsys, "study", "montecarlo", "--source", "real", "--fast", "--json")
    assert code == 2 and "more than the 1 % allowed" in err
