"""Reader for LOBSTER order-book (and message) files.

LOBSTER (lobsterdata.com) files have no header.  The order-book file holds, per level,
``ask_px, ask_sz, bid_px, bid_sz`` (prices in dollars × 10⁴); row ``k`` is the book after
message ``k``.  Unoccupied levels carry the dummy prices 9999999999 (ask) and -9999999999 (bid)
with size 0; they become absent levels (price NaN, size 0).  The number of levels is the
number of columns divided by four.  The separator (comma, semicolon or tab) is sniffed from the
first line.

The message file has the columns ``time`` (seconds after midnight, exchange local time),
``type`` (1 submit, 2 partial cancel, 3 delete, 4 visible execution, 5 hidden execution, 6 cross
trade, 7 halt), ``order_id``, ``size``, ``price`` (× 10⁴) and ``direction`` (1 buy limit order,
-1 sell limit order).

Side convention for trades
--------------------------
Trades are the messages of type 4 and 5.  ``direction`` is the side of the *resting* order that
was executed, so the aggressor is on the other side: direction 1 (a buy limit order filled)
is a seller-initiated trade, recorded as side ``'A'``; direction -1 is buyer-initiated, side
``'B'``.  This matches Databento's aggressor-side convention used by :func:`read_mbp10`.

Checks beyond the book checks
-----------------------------
* Columns: the order-book file must hold 4 columns per level, as many levels as its name says
  (``..._orderbook_10``); a message file with more than the 6 LOBSTER columns has the extra
  ones named in the report's notes and ignored.
* Duplicates: a message-and-book pair that repeats the previous pairs exactly is a duplicated
  event and is dropped and counted as ``duplicate`` (refused under ``policy="raise"``) --
  except hidden executions (type 5), which LOBSTER records with order id 0, so that one
  aggressive order filling several hidden orders at one price and time gives identical pairs
  that are real trades.  Without a message file no row can be called a duplicate (a book row
  legitimately repeats when a message changes levels beyond the file's depth).
* Time: without a message file the timestamps are made up (rows spread evenly over the
  session); the series then has ``synthetic_time=True`` and refuses time-of-day work unless
  ``allow_synthetic_time=True`` (see :class:`~execopt.data.BookSeries`).
* Zero-size levels: a level with a real price but size 0 is treated as absent, as in
  :func:`~execopt.data.read_mbp10`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from execopt._validate import check_date, check_int, check_path, check_str, check_timezone
from execopt.data._io import PathLike, RowLocator, drop_lines, line_fields, read_bytes
from execopt.data.book import (
    DEFAULT_SESSION,
    DEFAULT_TZ,
    NS_PER_MINUTE,
    BookSeries,
    Session,
    Trades,
    _local_to_utc,
    _parse_hhmm,
)
from execopt.data.mbp10 import _time_order
from execopt.data.validation import (
    Policy,
    check_policy,
    remove_zero_size_levels,
    validate_book,
)
from execopt.errors import DataError, InputError

__all__ = ["DEFAULT_LOBSTER_DATE", "LOBSTER_PRICE_SCALE", "parse_lobster_name", "read_lobster"]

LOBSTER_PRICE_SCALE = 1e4
DEFAULT_LOBSTER_DATE = "2012-06-21"
_DUMMY = 9999999999.0
_NAME = re.compile(
    r"^(?P<symbol>[A-Za-z0-9.\-]+)_(?P<date>\d{4}-\d{2}-\d{2})_(?P<start>\d+)_(?P<end>\d+)_"
    r"(?P<kind>orderbook|message)_(?P<levels>\d+)"
)


def parse_lobster_name(path: PathLike) -> dict[str, str]:
    """Symbol, date, start/end (ms after midnight), kind and levels from a LOBSTER file name.

    Returns an empty dict when the name does not follow
    ``<SYMBOL>_<YYYY-MM-DD>_<start>_<end>_<orderbook|message>_<levels>...``.
    """
    m = _NAME.match(Path(path).name)
    return m.groupdict() if m else {}


def _sniff(data: bytes, path: Path) -> bytes:
    first = data.split(b"\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (b",", b";", b"\t")}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] == 0:
        raise DataError(
            f"file '{path}', line 1: no comma, semicolon or tab separator found; LOBSTER files "
            "hold 4 columns per level (ask_px, ask_sz, bid_px, bid_sz)"
        )
    return sep


def _fail(policy: Policy, where: str, problem: str, fix: str) -> None:
    if policy == "raise":
        raise DataError(f"{where}: {problem}; {fix}")


def _read_table(
    path: Path, policy: Policy, what: str, *, min_cols: int = 1
) -> tuple[np.ndarray, np.ndarray, dict[str, int], int]:
    """Numeric table of a header-less file: (values, 1-based lines, dropped, n_lines_read)."""
    data = read_bytes(path)
    sep = _sniff(data, path)
    n_fields, n_bytes = line_fields(data, sep)
    blank = n_bytes == 0
    nonblank = np.flatnonzero(~blank)
    expected = int(n_fields[nonblank[0]])
    if expected < min_cols:
        raise DataError(
            f"file '{path}', line {int(nonblank[0]) + 1}: {expected} columns, a LOBSTER {what} "
            f"file needs at least {min_cols}"
        )
    bad_shape = (n_fields != expected) & ~blank
    dropped: dict[str, int] = {}
    if bad_shape.any():
        k = int(np.argmax(bad_shape))
        last = k == len(n_fields) - 1
        _fail(
            policy,
            f"file '{path}', line {k + 1}",
            f"line has {int(n_fields[k])} fields, the first line has {expected}"
            + (" (the last line is truncated)" if last and n_fields[k] < expected else ""),
            "download the file again, or pass policy='drop' to drop such lines",
        )
        dropped["malformed_line"] = int(bad_shape.sum())
        data = drop_lines(data, np.flatnonzero(bad_shape))
    lines = np.flatnonzero(~bad_shape & ~blank) + 1
    n_read = int((~blank).sum())
    reader: Any = pd.read_csv
    kw: dict[str, Any] = {"header": None, "sep": sep.decode(), "engine": "c"}
    try:
        values = reader(io.BytesIO(data), dtype=np.float64, **kw).to_numpy(np.float64)
        bad_num = np.zeros(len(values), dtype=bool)
    except ValueError:
        df = reader(io.BytesIO(data), dtype=str, keep_default_na=False, na_values=[""], **kw)
        num = df.apply(pd.to_numeric, errors="coerce")
        bad_num = np.asarray((num.isna() & df.notna()).any(axis=1))
        values = num.to_numpy(np.float64, na_value=np.nan)
    if len(values) != len(lines):
        raise DataError(f"file '{path}': parsed {len(values)} rows from {len(lines)} lines")
    if bad_num.any():
        i = int(np.argmax(bad_num))
        _fail(
            policy,
            f"file '{path}', line {int(lines[i])}",
            "a field is not a number",
            "fix the line or pass policy='drop'",
        )
        dropped["bad_number"] = int(bad_num.sum())
        values, lines = values[~bad_num], lines[~bad_num]
    return values, lines, dropped, n_read


def read_lobster(
    orderbook: PathLike,
    messages: PathLike | None = None,
    *,
    levels: int | None = None,
    date: str | None = None,
    symbol: str = "",
    policy: Policy = "drop",
    tz: str = DEFAULT_TZ,
    session: Session = DEFAULT_SESSION,
    sort_time: bool = False,
    allow_synthetic_time: bool = False,
) -> BookSeries:
    """Read a LOBSTER order-book file (and optionally its message file).

    Parameters
    ----------
    orderbook : path
        ``..._orderbook_<levels>.csv`` (``.gz`` allowed), comma, semicolon or tab separated.
    messages : path, optional
        The matching ``..._message_<levels>.csv``.  Gives the timestamps (``date`` + seconds
        after midnight in ``tz``, converted to UTC, DST aware) and the trades (types 4 and 5;
        see the module docstring for the side convention).  It must have as many rows as the
        order-book file.
    levels : int, optional
        Keep only the first ``levels`` levels (default: all, inferred as columns / 4).
    date : str, optional
        Trading day ``YYYY-MM-DD``.  Default: taken from the file name, else
        ``DEFAULT_LOBSTER_DATE`` (2012-06-21, the date of the public LOBSTER samples).
    symbol : str
        Name of the series (default: from the file name).
    policy : {"drop", "raise"}
        As in :func:`~execopt.data.read_mbp10`.
    tz, session
        Exchange clock and session.  Without messages the ``n`` rows are spread uniformly
        over the session: row ``k`` at ``open + k * (close - open) / n``;
        ``validation.timestamps_synthesised`` and ``synthetic_time`` are then True and a note
        says so.
    sort_time : bool
        Sort the rows by message time (ties in file order) instead of dropping those out of
        order; needs ``messages``.  Counted as ``validation.rows_reordered``.
    allow_synthetic_time : bool
        Without ``messages``: accept time-of-day work (minute snapshots, per-minute profiles,
        backtests) on the made-up timestamps.  Default False: such work raises DataError.

    Returns
    -------
    BookSeries

    Raises
    ------
    DataError
        Malformed or mismatched files, a level count that contradicts the file name,
        duplicates or invalid books under ``"raise"``, rows mostly out of time order.
    InputError
        Missing files, bad arguments (``sort_time`` without ``messages``).
    """
    check_path("orderbook", orderbook)  # input guards
    if messages is not None:
        check_path("messages", messages)
    check_int("levels", levels, minimum=1, allow_none=True)
    check_date("date", date, allow_none=True)
    check_str("symbol", symbol)
    check_timezone("tz", tz)
    policy = check_policy(policy)
    ob_path = Path(orderbook)
    if not ob_path.is_file():
        raise InputError(f"no such file: '{ob_path}'")
    if sort_time and messages is None:
        raise InputError(
            "sort_time needs the message file: without it the rows have no timestamps to sort by"
        )
    meta = parse_lobster_name(ob_path)
    notes: list[str] = []
    if date is None:
        date = meta.get("date")
        if date is None:
            date = DEFAULT_LOBSTER_DATE
            notes.append(f"date not given nor in the file name; assumed {date}")
    try:
        day = np.datetime64(date, "D")
    except ValueError as exc:
        raise InputError(f"date must be YYYY-MM-DD, got {date!r}") from exc
    symbol = symbol or meta.get("symbol", "")

    values, lines, dropped, n_read = _read_table(ob_path, policy, "order-book", min_cols=4)
    ncols = values.shape[1]
    if ncols % 4:
        raise DataError(
            f"file '{ob_path}', line {int(lines[0]) if len(lines) else 1}: {ncols} columns; a "
            "LOBSTER order-book file has 4 per level (ask_px, ask_sz, bid_px, bid_sz)"
        )
    n_file_levels = ncols // 4
    named = meta.get("levels")
    if named is not None and int(named) != n_file_levels:
        raise DataError(
            f"file '{ob_path}': its name says {int(named)} level(s) ({4 * int(named)} columns) "
            f"but it holds {ncols} columns ({n_file_levels} level(s)); columns are missing or "
            "the file was renamed: download the file again, or rename it to match its content"
        )
    L = n_file_levels if levels is None else int(levels)
    if not 1 <= L <= n_file_levels:
        raise InputError(f"levels must be in 1..{n_file_levels} for '{ob_path}', got {levels}")
    cube = values.reshape(len(values), n_file_levels, 4)[:, :L, :]
    ask_px = np.ascontiguousarray(cube[:, :, 0])
    ask_sz = np.ascontiguousarray(cube[:, :, 1])
    bid_px = np.ascontiguousarray(cube[:, :, 2])
    bid_sz = np.ascontiguousarray(cube[:, :, 3])
    del cube
    with np.errstate(invalid="ignore"):
        ask_px[ask_px >= _DUMMY] = np.nan
        bid_px[bid_px <= -_DUMMY] = np.nan
    ask_px /= LOBSTER_PRICE_SCALE
    bid_px /= LOBSTER_PRICE_SCALE
    for px, sz in ((ask_px, ask_sz), (bid_px, bid_sz)):
        sz[np.isnan(px) & ~(sz > 0)] = 0.0
    zero_size = remove_zero_size_levels(bid_px, ask_px, bid_sz, ask_sz)
    if zero_size:
        notes.append(
            f"{zero_size:,} row(s) had a level with a price but size 0; such levels are treated "
            "as absent (the deeper levels move up) and the rows kept"
        )

    n = len(ask_px)
    synthesised = messages is None
    if messages is None:
        lo, hi = (_parse_hhmm(s) for s in session)
        open_utc = _local_to_utc(
            np.array([day.astype("datetime64[ns]") + np.timedelta64(lo * NS_PER_MINUTE, "ns")]),
            tz,
        )[0]
        span = (hi - lo) * NS_PER_MINUTE
        rows = np.arange(n, dtype=np.int64)
        q, r = divmod(span, max(n, 1))  # rows * span // n without int64 overflow
        ts = open_utc.astype(np.int64) + rows * q + (rows * r) // max(n, 1)
        notes.append(
            f"timestamps synthesised: no message file, {n:,} rows spread uniformly over "
            f"{session[0]}-{session[1]} {tz} on {day}; time-of-day work "
            + (
                "ALLOWED on these made-up times (allow_synthetic_time=True)"
                if allow_synthetic_time
                else "is refused (pass the message file, or allow_synthetic_time=True)"
            )
        )
        msg = None
        actions: tuple[tuple[str, int], ...] = ()
    else:
        msg_path = Path(messages)
        if not msg_path.is_file():
            raise InputError(f"no such file: '{msg_path}'")
        msg, mlines, mdropped, _ = _read_table(msg_path, policy, "message", min_cols=6)
        if msg.shape[1] > 6:
            notes.append(
                f"'{msg_path.name}' has {msg.shape[1]} columns; LOBSTER defines 6 (time, type, "
                f"order_id, size, price, direction): column(s) 7..{msg.shape[1]} ignored"
            )
            msg = np.ascontiguousarray(msg[:, :6])
        if mdropped or len(msg) != len(lines) or not np.array_equal(mlines, lines):
            raise DataError(
                f"files '{ob_path}' and '{msg_path}' do not line up ({len(lines):,} usable "
                f"order-book rows, {len(msg):,} message rows); LOBSTER pairs have one message "
                "per book row; repair or re-download the pair"
            )
        secs = msg[:, 0]
        bad_t = ~np.isfinite(secs) | (secs < 0) | (secs >= 86400 * 2)
        if bad_t.any():
            i = int(np.argmax(bad_t))
            raise DataError(
                f"file '{msg_path}', line {int(mlines[i])}: time {secs[i]!r} is not seconds "
                "after midnight"
            )
        wall = day.astype("datetime64[ns]") + np.rint(secs * 1e9).astype(np.int64).astype(
            "timedelta64[ns]"
        )
        ts = _local_to_utc(wall, tz).view(np.int64)
        types, tcounts = np.unique(msg[:, 1], return_counts=True)
        actions = tuple(
            (f"type_{int(t)}", int(c))
            for t, c in zip(types.tolist(), tcounts.tolist(), strict=True)
        )
        halts = int((msg[:, 1] == 7).sum())
        if halts:
            notes.append(f"{halts} trading-halt message(s) (type 7) in '{msg_path.name}'")

    locator = RowLocator.single(ob_path, lines)
    dropped_pre: dict[str, int] = {}
    n_dup = moved = 0
    if msg is not None:
        pairs = np.column_stack([msg, values])
        # hidden executions legitimately repeat (see the module docstring)
        dup = np.asarray(pd.DataFrame(pairs).duplicated(keep="first")) & (msg[:, 1] != 5)
        if dup.any():
            k = int(np.argmax(dup))
            if policy == "raise":
                j = int(np.flatnonzero((pairs[:k] == pairs[k]).all(axis=1))[0])
                raise DataError(
                    f"{locator(k)}: the message and book row repeat line {int(lines[j])} "
                    "exactly (a duplicated event, whose traded volume would count twice); "
                    "remove the repeated lines, or pass policy='drop' to drop exact duplicates"
                )
            n_dup = int(dup.sum())
            dup_trades = int(np.isin(msg[dup, 1], (4.0, 5.0)).sum())
            kd = ~dup
            ts, bid_px, ask_px, bid_sz, ask_sz, msg = (
                a[kd] for a in (ts, bid_px, ask_px, bid_sz, ask_sz, msg)
            )
            locator = locator.take(kd)
            dropped_pre["duplicate"] = n_dup
            notes.append(
                f"{n_dup:,} exact duplicate message+book row(s) dropped ({dup_trades:,} of them "
                "executions, whose volume would otherwise count twice)"
            )
        del pairs
        if sort_time and len(ts) > 1:
            order, backward = _time_order(ts, np.full(len(ts), np.nan), np.zeros(len(ts), np.int64))
            moved = int((order != np.arange(len(ts))).sum())
            if moved:
                ts, bid_px, ask_px, bid_sz, ask_sz, msg = (
                    a[order] for a in (ts, bid_px, ask_px, bid_sz, ask_sz, msg)
                )
                locator = locator.take(order)
                notes.append(
                    f"sort_time: {moved:,} rows re-ordered by message time; ties keep their "
                    "file order"
                    + (", read backwards as the file runs backwards" if backward else "")
                )
    del values

    trade_px = None
    if msg is not None:
        trade_px = np.where(np.isin(msg[:, 1], (4.0, 5.0)), msg[:, 4] / LOBSTER_PRICE_SCALE, np.nan)
    keep, report = validate_book(
        ts,
        bid_px,
        ask_px,
        bid_sz,
        ask_sz,
        policy=policy,
        where=locator,
        extra_prices=trade_px,
    )
    if not keep.all():
        ts, bid_px, ask_px, bid_sz, ask_sz = (a[keep] for a in (ts, bid_px, ask_px, bid_sz, ask_sz))
        if msg is not None:
            msg = msg[keep]

    if msg is None:
        trades = Trades.empty()
    else:
        is_tr = np.isin(msg[:, 1], (4.0, 5.0))
        direction = msg[is_tr, 5]
        side = np.where(direction == 1, "A", np.where(direction == -1, "B", "N"))
        trades = Trades(
            ts[is_tr].view("datetime64[ns]"),
            msg[is_tr, 4] / LOBSTER_PRICE_SCALE,
            msg[is_tr, 3],
            side,
        )
        notes.append(
            "trade side: LOBSTER direction 1 (buy limit order executed) -> 'A' "
            "(seller-initiated), -1 -> 'B' (buyer-initiated)"
        )

    dropped.update(dropped_pre)
    for reason, count in report.dropped_by_reason:
        dropped[reason] = dropped.get(reason, 0) + count
    report = report.with_updates(
        n_rows_read=n_read,
        dropped_by_reason=tuple(dropped.items()),
        timestamps_synthesised=synthesised,
        actions=actions,
        duplicates=n_dup,
        zero_size_levels=zero_size,
        rows_reordered=moved,
        price_scale="LOBSTER dollars x 10^4, scaled to dollars",
        notes=tuple(notes),
    )
    sources = (str(ob_path),) if messages is None else (str(ob_path), str(messages))
    return BookSeries(
        symbol,
        ts.view("datetime64[ns]"),
        bid_px,
        ask_px,
        bid_sz,
        ask_sz,
        trades=trades,
        source=sources,
        validation=report,
        synthetic_time=synthesised,
        allow_synthetic_time=synthesised and allow_synthetic_time,
    )
