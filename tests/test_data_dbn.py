"""DBN reader: a tiny MBP-10 file written with databento-dbn and read back."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from data_helpers import small_book
from execopt.data import BookSeries, read_book, read_dbn
from execopt.errors import DataError, InputError


def _write_dbn(
    path: Path, book: BookSeries, *, instrument_id: int = 6292, trade_every: int = 4
) -> Path:
    dbn = pytest.importorskip("databento_dbn", reason="optional package databento-dbn absent")
    undef = dbn.UNDEF_PRICE
    md = dbn.Metadata(
        dataset="XNAS.ITCH",
        start=int(np.asarray(book.ts)[0].astype(np.int64)),
        stype_in=dbn.SType.RAW_SYMBOL,
        stype_out=dbn.SType.INSTRUMENT_ID,
        schema=dbn.Schema.MBP_10,
        symbols=[book.symbol],
    )
    out = [bytes(md)]

    def px(v: float) -> int:
        return undef if np.isnan(v) else round(v * 1e9)

    for i in range(len(book)):
        levels = [
            dbn.BidAskPair(
                bid_px=px(book.bid_px[i, k]),
                ask_px=px(book.ask_px[i, k]),
                bid_sz=int(book.bid_sz[i, k]),
                ask_sz=int(book.ask_sz[i, k]),
                bid_ct=1,
                ask_ct=1,
            )
            for k in range(book.n_levels)
        ]
        t = int(np.asarray(book.ts)[i].astype(np.int64))
        trade = i % trade_every == trade_every - 1
        out.append(
            bytes(
                dbn.MBP10Msg(
                    publisher_id=2,
                    instrument_id=instrument_id,
                    ts_event=t - 1000,
                    price=px(book.ask_px[i, 0]),
                    size=3 if trade else 100,
                    action=dbn.Action.TRADE if trade else dbn.Action.ADD,
                    side=dbn.Side.BID if trade else dbn.Side.ASK,
                    depth=0,
                    ts_recv=t,
                    levels=levels,
                )
            )
        )
    path.write_bytes(b"".join(out))
    return path


def test_dbn_round_trip(tmp_path: Path) -> None:
    book = small_book(periods=3)
    bid_px = np.array(book.bid_px)
    bid_sz = np.array(book.bid_sz)
    bid_px[:, 9] = np.nan  # an absent level travels as UNDEF_PRICE
    bid_sz[:, 9] = 0
    book = book.replace(bid_px=bid_px, bid_sz=bid_sz)
    path = _write_dbn(tmp_path / "frog.mbp-10.dbn", book)
    got = read_dbn(path, policy="raise")
    assert got.symbol == "FROG"
    np.testing.assert_array_equal(got.ts, book.ts)
    np.testing.assert_allclose(got.bid_px, book.bid_px, rtol=0, atol=1e-9)
    np.testing.assert_allclose(got.ask_px, book.ask_px, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(got.bid_sz, book.bid_sz)
    assert np.isnan(got.bid_px[:, 9]).all()
    n = len(book)
    assert len(got.trades) == n // 4 and set(got.trades.side.tolist()) == {"B"}
    assert got.validation.action_counts == {"A": n - n // 4, "T": n // 4}
    by_event = read_dbn(path, ts_column="ts_event")
    assert (by_event.ts.view(np.int64) == got.ts.view(np.int64) - 1000).all()
    assert read_book(path).equals(got)


def test_dbn_bad_file_and_missing_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("databento_dbn", reason="optional package databento-dbn absent")
    junk = tmp_path / "junk.dbn"
    junk.write_bytes(b"this is not DBN at all")
    with pytest.raises(DataError, match=r"junk\.dbn"):
        read_dbn(junk)
    with pytest.raises(InputError, match="no such file"):
        read_dbn(tmp_path / "missing.dbn")
    monkeypatch.setitem(sys.modules, "databento_dbn", None)
    with pytest.raises(InputError, match=r"pip install execopt\[dbn\]"):
        read_dbn(junk)


def test_dbn_crossed_row_is_located_by_record(tmp_path: Path) -> None:
    book = small_book(periods=2)
    bid_px = np.array(book.bid_px)
    bid_px[2, 0] = book.ask_px[2, 0] + 0.05
    bid_px[2, 1:] = np.nan  # keep the bid side ordered
    bid_sz = np.array(book.bid_sz)
    bid_sz[2, 1:] = 0
    path = _write_dbn(tmp_path / "x.dbn", book.replace(bid_px=bid_px, bid_sz=bid_sz))
    with pytest.raises(DataError, match=r"x.dbn', record 3: crossed book"):
        read_dbn(path, policy="raise")
    assert read_dbn(path).validation.dropped == {"crossed": 1}


def test_dbn_exact_duplicate_record_is_dropped_and_counted(tmp_path: Path) -> None:
    book = small_book(periods=2)
    n = len(book)
    twice = book.take(np.r_[0:5, 4, 5:n])  # record 5 repeats record 4 byte for byte
    path = _write_dbn(tmp_path / "dup.dbn", twice)
    with pytest.raises(DataError, match=r"dup.dbn', record 6: the row repeats .*record 5 exactly"):
        read_dbn(path, policy="raise")
    got = read_dbn(path)
    assert got.validation.dropped == {"duplicate": 1} and got.validation.duplicates == 1
    np.testing.assert_array_equal(got.ts, book.ts)
