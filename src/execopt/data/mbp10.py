"""Reader for Databento MBP-10 CSV files (both column layouts found in the wild).

Layouts
-------
*Databento CSV* (74 columns): ``ts_recv, ts_event, rtype, ..., sequence``, then per level
``bid_px_NN, ask_px_NN, bid_sz_NN, ask_sz_NN, bid_ct_NN, ask_ct_NN``, then ``symbol``.  Some
exports repeat ``ts_event`` as the first header; that first column is really ``ts_recv`` and is
renamed so.  Timestamps may be ``2025-04-03 13:30:00.125395235+00:00``, ISO with ``Z``, or
integer nanoseconds.

*pandas export* (76 columns): a leading unnamed index column, levels interleaved as
``bid_px, bid_sz, bid_ct, ask_px, ask_sz, ask_ct``, and a trailing ``order_id``.

Columns are read by name, so any interleaving works.  The header must hold all four of
``bid_px, ask_px, bid_sz, ask_sz`` for every level up to the deepest one it names: a missing
level column is an error naming it (reading fewer levels would silently shrink the book).
Missing order-count (``*_ct_*``) or bookkeeping columns, and columns outside the layout, are
harmless and named in the report's notes; a column named twice is an error.

Price scale
-----------
Prices are decimal dollars in Databento's CSV export (``pretty_px``), or integer fixed point
(units of 1e-9 dollars) in a raw export.  The scale is decided once per file from the bulk of
the data, never from one cell: fixed point when the *median* best price is at least 10^7 units
(one cent in fixed point; no share trades at ten million dollars) *and* the bulk of the price
cells are integers, as the fixed-point schema requires; decimal dollars otherwise.  A median
above 10^7 with mostly fractional cells fits neither schema and is refused.  After scaling, a
cell that contradicts the decided scale (see ``off_scale_price`` in
:mod:`execopt.data.validation`) is a bad row: dropped and counted, or refused under
``policy="raise"``.  The scale used is recorded in ``validation.price_scale``.

Duplicates and order
--------------------
A row that repeats an earlier row exactly (every field, ``ts_recv`` and ``sequence``
included; the pandas index column of the second layout is ignored) is a duplicated event: it
is dropped and counted as ``duplicate`` (refused under ``policy="raise"``), so traded volume
is not counted twice.  Rows out of time order are dropped one by one (see
:func:`~execopt.data.validate_book`), but a file mostly out of order is refused, unless
``sort_time=True`` sorts the rows by (timestamp, ``sequence``); rows tied on both keep their
file order, read backwards when the file runs backwards in time, so a file written in reverse
is restored exactly.  The number of rows moved is reported as ``rows_reordered``.

Zero-size levels
----------------
A level with a price but size 0 holds no shares; it is treated as absent (deeper levels move
up) and the row is counted as ``zero_size_levels`` (see
:func:`~execopt.data.validation.remove_zero_size_levels`).

Trades are the rows with ``action == 'T'``; their side is Databento's aggressor side (``'B'``
buyer-initiated, ``'A'`` seller-initiated, ``'N'`` not known).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from execopt._validate import check_paths, check_str
from execopt.data._io import (
    PathLike,
    RowLocator,
    drop_lines,
    line_fields,
    read_bytes,
    resolve_paths,
)
from execopt.data.book import BookSeries, Trades, readonly
from execopt.data.validation import (
    Policy,
    check_policy,
    remove_zero_size_levels,
    validate_book,
)
from execopt.errors import DataError, InputError

__all__ = ["read_mbp10"]

_LEVEL_FIELDS = ("bid_px", "ask_px", "bid_sz", "ask_sz")
_REQUIRED = ("action", "side", "price", "size")
_LEVEL_COLUMN = re.compile(r"^(bid|ask)_(px|sz|ct)_(\d{2})$")
#: Columns of the two layouts besides the level columns (``_index``: pandas' unnamed index).
_KNOWN = frozenset(
    {
        "_index",
        "ts_recv",
        "ts_event",
        "rtype",
        "publisher_id",
        "instrument_id",
        "action",
        "side",
        "depth",
        "price",
        "size",
        "flags",
        "ts_in_delta",
        "sequence",
        "symbol",
        "order_id",
    }
)
#: Columns of the Databento layout that the reader does not need (absent: a note).
_OPTIONAL = ("rtype", "publisher_id", "instrument_id", "depth", "flags", "ts_in_delta", "sequence")
#: Median best price (in file units) from which a file is read as 1e-9 fixed point.
_FIXED_PRICE_THRESHOLD = 1e7
#: Databento's UNDEF_PRICE (int64 max) and anything near it marks an absent fixed-point price.
_UNDEF_PRICE = 9.2e18
DECIMAL = "decimal dollars"
FIXED = "fixed point 1e-9 (integer units of 1e-9 dollars), scaled to dollars"
_FIX_LAYOUT = (
    "expected a Databento MBP-10 CSV with a header naming ts_recv (or ts_event), action, side, "
    "price, size and bid_px_00, ask_px_00, bid_sz_00, ask_sz_00, ... for each level"
)


@dataclass
class Part:
    """Rows of one file after parsing (mutable scratch, internal)."""

    path: Path
    ts: np.ndarray
    bid_px: np.ndarray
    ask_px: np.ndarray
    bid_sz: np.ndarray
    ask_sz: np.ndarray
    lines: np.ndarray
    is_trade: np.ndarray
    price: np.ndarray
    size: np.ndarray
    side: np.ndarray
    symbol: str
    n_read: int
    actions: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    filtered: int = 0
    notes: list[str] = field(default_factory=list)
    #: Two 64-bit hashes of each row's full content (exact-duplicate detection), shape (n, 2).
    keys: np.ndarray | None = None
    #: Exchange sequence number of each row (NaN when the file has none).
    seq: np.ndarray | None = None
    zero_size_levels: int = 0
    price_scale: str = ""


def row_keys(rows: list[bytes]) -> np.ndarray:
    """Two independent 64-bit hashes of each row's bytes, shape (n, 2), for duplicate search."""
    if not rows:
        return np.zeros((0, 2), np.uint64)
    arr = np.array(rows, dtype=object)
    h1 = pd.util.hash_array(arr, hash_key="execopt-dups-k01", categorize=False)
    h2 = pd.util.hash_array(arr, hash_key="execopt-dups-k02", categorize=False)
    return np.column_stack([h1, h2])


def _normalise_header(names: list[str]) -> list[str]:
    names = [n.strip().strip('"') for n in names]
    if names and names[0] == "":
        names[0] = "_index"
    if names.count("ts_event") == 2 and "ts_recv" not in names:
        names[names.index("ts_event")] = "ts_recv"
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n}.{k}")
    return out


def _check_header(names: list[str], path: Path, ts_column: str) -> tuple[int, str, list[str]]:
    """Number of levels, timestamp column and notes; DataError naming any missing column."""
    where = f"file '{path}', line 1 (header)"
    base = [n.split(".")[0] if "." in n else n for n in names]
    repeated = sorted({b for b, n in zip(base, names, strict=True) if n != b and b})
    bad_repeat = [b for b in repeated if b in _KNOWN or _LEVEL_COLUMN.match(b)]
    if bad_repeat:
        raise DataError(
            f"{where}: column(s) {', '.join(bad_repeat)} appear more than once, so which one "
            "holds the data is ambiguous; remove the repeated columns or export the file again"
        )
    levels = {int(m.group(3)) for n in names if (m := _LEVEL_COLUMN.match(n))}
    L = max(levels) + 1 if levels else 0
    have = set(names)
    ts_col = ts_column if ts_column in have else ("ts_event" if "ts_event" in have else "")
    missing = [c for c in _REQUIRED if c not in have]
    if not ts_col:
        missing.insert(0, ts_column)
    need = [f"{f}_{i:02d}" for i in range(max(L, 1)) for f in _LEVEL_FIELDS]
    missing_levels = [c for c in need if c not in have]
    extra = [n for n in names if n not in _KNOWN and not _LEVEL_COLUMN.match(n) and n != ""]
    if missing or missing_levels:
        if L and missing_levels and len(missing_levels) < len(need):
            detail = (
                f"; the header names levels 00..{L - 1:02d} and every level needs bid_px, "
                "ask_px, bid_sz and ask_sz (reading fewer levels would silently shrink the "
                "book); restore the column(s) or export the file again"
            )
        else:
            detail = ""
        found = f"{', '.join(names[:8])}{', ...' if len(names) > 8 else ''}"
        unknown = f"; columns outside the layout: {', '.join(extra)}" if extra else ""
        raise DataError(
            f"{where}: missing column(s) {', '.join(missing + missing_levels)}{detail}; found "
            f"{found}{unknown}; {_FIX_LAYOUT}"
        )
    notes: list[str] = []
    if L != 10:
        notes.append(
            f"'{path.name}': the header names {L} complete level(s) (00..{L - 1:02d}), not "
            "MBP-10's 10; the book has that depth"
        )
    counts = [f"{s}_ct_{i:02d}" for i in range(L) for s in ("bid", "ask")]
    no_counts = [c for c in counts if c not in have]
    if no_counts and len(no_counts) < len(counts):
        notes.append(
            f"'{path.name}': order-count column(s) {', '.join(no_counts)} absent (counts are "
            "not used)"
        )
    if ts_col != ts_column:
        notes.append(f"'{path.name}': no {ts_column} column; rows are timed by {ts_col}")
    if "symbol" not in have:
        notes.append(f"'{path.name}': no symbol column; the series is named after the file")
    absent = [c for c in _OPTIONAL if c not in have]
    if absent and len(absent) < len(_OPTIONAL):
        notes.append(f"'{path.name}': column(s) {', '.join(absent)} absent (not used)")
    if extra:
        notes.append(
            f"'{path.name}': column(s) outside the MBP-10 layout ignored: {', '.join(extra)}"
        )
    return L, ts_col, notes


def _price_scale(blocks: dict[str, np.ndarray], path: Path) -> tuple[float, str, float]:
    """(factor to dollars, label, median best price in file units) decided from the bulk."""
    best = np.concatenate([blocks["bid_px"][:, 0], blocks["ask_px"][:, 0]])
    best = best[np.isfinite(best) & (best > 0) & (best < _UNDEF_PRICE)]
    if best.size == 0:
        return 1.0, DECIMAL, float("nan")
    med = float(np.median(best))
    if med < _FIXED_PRICE_THRESHOLD:
        return 1.0, DECIMAL, med
    cells = np.concatenate([blocks["bid_px"].ravel(), blocks["ask_px"].ravel()])
    cells = cells[np.isfinite(cells) & (cells > 0) & (cells < _UNDEF_PRICE)]
    fractional = float(np.mean(cells != np.round(cells)))
    if fractional > 0.5:
        raise DataError(
            f"file '{path}': the median best price is {med:.6g}, too large for decimal dollars, "
            f"yet {100 * fractional:.0f} % of the price cells have a fractional part, which "
            "Databento's 1e-9 fixed-point prices never have; the prices fit neither scale. "
            "Check the price columns (or re-export with pretty_px=True for decimal dollars)"
        )
    return 1e-9, FIXED, med


def _fail(policy: Policy, where: str, problem: str, fix: str) -> None:
    if policy == "raise":
        raise DataError(f"{where}: {problem}; {fix}")


def _parse_ts(values: pd.Series, path: Path, lines: np.ndarray, policy: Policy) -> np.ndarray:
    """int64 ns since the epoch (UTC); unparseable entries become the minimum int64."""
    s = values.astype("string")
    nat = np.iinfo(np.int64).min
    first = s.dropna()
    if len(first) and str(first.iloc[0]).isdigit():
        ok = np.asarray(s.str.fullmatch(r"\d{1,19}").fillna(False), dtype=bool)
        if not ok.all() and policy == "raise":
            i = int(np.argmin(ok))
            raise DataError(
                f"file '{path}', line {int(lines[i])}: unparseable timestamp "
                f"{values.iloc[i]!r} in a column of integer nanoseconds; fix the line or pass "
                "policy='drop'"
            )
        out_i = np.full(len(s), nat, dtype=np.int64)
        out_i[ok] = s[ok].astype("int64").to_numpy(np.int64)
        return out_i
    parsed = pd.to_datetime(s, format="ISO8601", utc=True, errors="coerce")
    bad = np.asarray(parsed.isna())
    if bad.any() and policy == "raise":
        i = int(np.argmax(bad))
        raise DataError(
            f"file '{path}', line {int(lines[i])}: unparseable timestamp {values.iloc[i]!r}; "
            "timestamps must be ISO 8601 (e.g. 2025-04-03 13:30:00.125395235+00:00) or integer "
            "nanoseconds since the epoch; fix the line or pass policy='drop'"
        )
    out = pd.DatetimeIndex(parsed).as_unit("ns").asi8.copy()
    out[bad] = nat
    return out


def _floats(df: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Columns as a float64 matrix and a row mask of cells that are text but not numbers."""
    bad = np.zeros(len(df), dtype=bool)
    out = np.empty((len(df), len(cols)), dtype=np.float64)
    for j, c in enumerate(cols):
        col = df[c]
        if col.dtype.kind == "f" or col.dtype.kind in "iu":
            out[:, j] = col.to_numpy(np.float64)
            continue
        num = pd.to_numeric(col, errors="coerce")
        bad |= np.asarray(num.isna() & col.notna())
        out[:, j] = num.to_numpy(np.float64, na_value=np.nan)
    return out, bad


def _read_one(path: Path, *, symbol: str | None, policy: Policy, ts_column: str) -> Part:
    data = read_bytes(path)
    first_nl = data.find(b"\n")
    header_line = (data if first_nl < 0 else data[:first_nl]).decode("utf-8", "replace")
    names = _normalise_header(header_line.rstrip("\r").split(","))
    L, ts_col, notes = _check_header(names, path, ts_column)

    # Field counts per line: catches truncated and over-long lines exactly.
    n_fields, n_bytes = line_fields(data, b",")
    expected = len(names)
    blank = n_bytes == 0
    bad_shape = (n_fields != expected) & ~blank
    bad_shape[0] = False
    dropped: dict[str, int] = {}
    if bad_shape.any():
        k = int(np.argmax(bad_shape))
        is_last = k == len(n_fields) - 1
        problem = f"line has {int(n_fields[k])} fields, the header has {expected}" + (
            " (the last line is truncated)" if is_last and n_fields[k] < expected else ""
        )
        _fail(
            policy,
            f"file '{path}', line {k + 1}",
            problem,
            "download or export the file again, or pass policy='drop' to drop such lines",
        )
        dropped["malformed_line"] = int(bad_shape.sum())
    body_ok = ~bad_shape & ~blank
    body_ok[0] = False
    lines = np.flatnonzero(body_ok) + 1  # 1-based line number of each parsed row
    raw = data.split(b"\n")
    skip_index = names[0] == "_index"  # the pandas index column is not part of the event
    keys = row_keys(
        [
            (r.split(b",", 1)[1] if skip_index else r).rstrip(b"\r")
            for r in (raw[k - 1] for k in lines.tolist())
        ]
    )
    del raw
    if bad_shape.any():
        data = drop_lines(data, np.flatnonzero(bad_shape))
    n_read = int(body_ok.sum()) + int(bad_shape.sum())
    if len(lines) == 0 and not bad_shape.any():
        raise DataError(
            f"file '{path}' has a header but no data rows; point the reader at a non-empty file"
        )

    level_cols = {f: [f"{f}_{i:02d}" for i in range(L)] for f in _LEVEL_FIELDS}
    has_seq = "sequence" in names
    num_cols = [c for f in _LEVEL_FIELDS for c in level_cols[f]] + ["price", "size"]
    num_cols += ["sequence"] if has_seq else []
    str_cols = [ts_col, "action", "side"] + (["symbol"] if "symbol" in names else [])
    usecols = num_cols + str_cols
    reader: Any = pd.read_csv  # the pandas-stubs overloads reject a dict of mixed dtypes
    try:
        df = reader(
            io.BytesIO(data),
            header=0,
            names=names,
            usecols=usecols,
            dtype={**dict.fromkeys(num_cols, "float64"), **dict.fromkeys(str_cols, str)},
            keep_default_na=False,
            na_values=[""],
            engine="c",
        )
    except ValueError:
        # A cell that is not a number: re-read as text and find it.
        df = reader(
            io.BytesIO(data),
            header=0,
            names=names,
            usecols=usecols,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            engine="c",
        )
    if len(df) != len(lines):
        raise DataError(
            f"file '{path}': parsed {len(df)} rows from {len(lines)} data lines; the file may "
            "contain quoted fields or embedded newlines, which MBP-10 CSV files do not"
        )

    numbers, bad_num = _floats(df, num_cols)
    if bad_num.any():
        i = int(np.argmax(bad_num))
        _fail(
            policy,
            f"file '{path}', line {int(lines[i])}",
            "a price or size is not a number",
            "fix the line or pass policy='drop'",
        )
    ts = _parse_ts(df[ts_col], path, lines, policy)
    bad_ts = ts == np.iinfo(np.int64).min
    drop = bad_num | bad_ts
    if bad_num.any():
        dropped["bad_number"] = int(bad_num.sum())
    if bad_ts.any():
        dropped["bad_ts"] = int((bad_ts & ~bad_num).sum())

    # Symbol filter.
    filtered = 0
    sym_name = symbol or path.name.split("_")[0]
    if "symbol" in df.columns:
        syms = df["symbol"].astype("string").fillna("").to_numpy(object)
        present = sorted(set(np.unique(syms[~drop]).tolist()))
        if symbol is None:
            if len(present) > 1:
                raise InputError(
                    f"file '{path}' holds several symbols ({', '.join(present)}); pass "
                    "symbol=... to choose one"
                )
            sym_name = present[0] if present else sym_name
        else:
            match = syms == symbol
            if not match[~drop].any():
                raise DataError(
                    f"file '{path}' has no rows for symbol {symbol!r}; it holds "
                    f"{', '.join(present) or 'no symbol'}"
                )
            filtered = int((~match & ~drop).sum())
            if filtered:
                notes.append(f"'{path.name}': symbol filter {symbol!r} removed {filtered:,} rows")
            drop = drop | ~match

    keep = ~drop
    numbers = numbers[keep]
    lines = lines[keep]
    keys = keys[keep]
    ts = ts[keep]
    blocks = {}
    for k, f in enumerate(_LEVEL_FIELDS):
        blocks[f] = np.ascontiguousarray(numbers[:, k * L : (k + 1) * L])
    price = numbers[:, 4 * L]
    size = numbers[:, 4 * L + 1]
    seq = numbers[:, 4 * L + 2] if has_seq else np.full(len(ts), np.nan)
    del numbers

    factor, scale, median = _price_scale(blocks, path)
    if factor != 1.0:
        for f in ("bid_px", "ask_px"):
            px = blocks[f]
            px[px >= _UNDEF_PRICE] = np.nan
            px *= factor
        price = np.where(price >= _UNDEF_PRICE, np.nan, price * factor)
        notes.append(
            f"'{path.name}': prices read as fixed-point 1e-9 (median best price {median:.6g} "
            "units) and scaled to dollars"
        )
    for side in ("bid", "ask"):
        px, sz = blocks[f"{side}_px"], blocks[f"{side}_sz"]
        sz[np.isnan(px) & ~(sz > 0)] = 0.0
    zero_size = remove_zero_size_levels(
        blocks["bid_px"], blocks["ask_px"], blocks["bid_sz"], blocks["ask_sz"]
    )

    action = df["action"].astype("string").fillna("").to_numpy(object)[keep]
    codes, counts = np.unique(action.astype(str), return_counts=True)
    side_raw = df["side"].astype("string").fillna("N").to_numpy(object)[keep]
    is_trade = action == "T"
    sides = np.where(np.isin(side_raw, ["B", "A"]), side_raw, "N").astype("<U1")

    return Part(
        path=path,
        ts=ts,
        bid_px=blocks["bid_px"],
        ask_px=blocks["ask_px"],
        bid_sz=blocks["bid_sz"],
        ask_sz=blocks["ask_sz"],
        lines=lines,
        is_trade=np.asarray(is_trade, dtype=bool),
        price=price,
        size=size,
        side=sides,
        symbol=sym_name,
        n_read=n_read,
        actions=dict(zip(codes.tolist(), counts.tolist(), strict=True)),
        dropped=dropped,
        filtered=filtered,
        notes=notes,
        keys=keys,
        seq=seq,
        zero_size_levels=zero_size,
        price_scale=scale,
    )


def read_mbp10(
    path: PathLike | Sequence[PathLike],
    *,
    symbol: str | None = None,
    policy: Policy = "drop",
    progress: bool = False,
    ts_column: str = "ts_recv",
    sort_time: bool = False,
) -> BookSeries:
    """Read Databento MBP-10 CSV file(s) into a validated :class:`BookSeries`.

    Parameters
    ----------
    path : path, folder, glob pattern, or a list of them
        ``.csv`` or ``.csv.gz`` (detected by content).  A folder contributes its ``.csv`` and
        ``.csv.gz`` files; a pattern such as ``"data/FROG_2025-04-0*"`` is globbed.  Several
        files are concatenated in time order (by their first timestamp).
    symbol : str, optional
        Keep only this symbol's rows.  Required when a file holds several symbols.  Without a
        ``symbol`` column the series is named after the file (text before the first ``_``).
    policy : {"drop", "raise"}
        ``"raise"``: the first malformed line or invalid book raises DataError naming the file,
        the line and the problem.  ``"drop"``: such rows are dropped and counted in
        ``validation``.  Checks run in stages (line shape, then numbers, then timestamps,
        then the books), so "first" is the first line failing the earliest stage.
    progress : bool
        Show a tqdm progress bar over files.
    ts_column : {"ts_recv", "ts_event"}
        Which timestamp orders the series (``ts_recv``, the capture time, by default; files
        are sorted by it).
    sort_time : bool
        Sort the rows by (timestamp, ``sequence``) instead of dropping those out of order (see
        the module docstring); the rows moved are counted as ``validation.rows_reordered``.
        Without it, a file mostly out of time order is refused.

    Returns
    -------
    BookSeries
        Level 0 best; absent levels NaN price and size 0; trades from ``action == 'T'``.
        ``validation`` counts every row read, kept and dropped (per reason), the duplicates,
        the zero-size levels and the price scale used.

    Raises
    ------
    DataError
        Empty file, missing or repeated columns, prices that fit no scale, malformed lines,
        duplicates or invalid books under ``"raise"``, rows mostly out of time order without
        ``sort_time``, corrupt gzip, no rows for ``symbol``.
    InputError
        Bad arguments, missing files, several symbols without ``symbol``.
    """
    check_paths("path", path)  # input guards: None, numbers -> InputError
    check_str("symbol", symbol, allow_none=True)
    policy = check_policy(policy)
    if ts_column not in ("ts_recv", "ts_event"):
        raise InputError(f"ts_column must be 'ts_recv' or 'ts_event', got {ts_column!r}")
    files = resolve_paths(path)
    parts = [
        _read_one(p, symbol=symbol, policy=policy, ts_column=ts_column)
        for p in tqdm(files, desc="read_mbp10", unit="file", disable=not progress)
    ]
    symbols = sorted({p.symbol for p in parts if len(p.ts)})
    if symbol is None and len(symbols) > 1:
        raise InputError(
            f"the files hold several symbols ({', '.join(symbols)}); pass symbol=... to choose"
        )
    nonempty = [p for p in parts if len(p.ts)]
    if not nonempty:
        raise DataError(
            f"no valid rows in {', '.join(str(f) for f in files)}; see the files' contents"
        )
    nonempty.sort(key=lambda p: int(p.ts.min() if sort_time else p.ts[0]))
    return assemble_parts(
        nonempty, parts, policy, symbol or nonempty[0].symbol, sort_time=sort_time
    )


def _duplicates(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mask of rows whose key repeats an earlier row's, and the index of that earlier row."""
    df = pd.DataFrame(keys)
    dup = np.asarray(df.duplicated(keep="first"))
    first = np.arange(len(keys))
    if dup.any():
        codes = df.groupby([0, 1], sort=False).ngroup().to_numpy()
        firsts = pd.Series(np.arange(len(keys))).groupby(codes).transform("min").to_numpy()
        first = np.asarray(firsts, dtype=np.int64)
    return dup, first


def _time_order(ts: np.ndarray, seq: np.ndarray, part: np.ndarray) -> tuple[np.ndarray, bool]:
    """Stable order by (ts, sequence), ties in file order (reversed for backward files)."""
    tie = np.arange(len(ts), dtype=np.int64)
    backward = False
    for k in np.unique(part).tolist():
        idx = np.flatnonzero(part == k)
        d = np.diff(ts[idx])
        if int((d < 0).sum()) > int((d > 0).sum()):
            tie[idx] = -tie[idx]
            backward = True
    s = np.nan_to_num(seq, nan=-1.0)
    return np.lexsort((tie, part, s, ts)), backward


def assemble_parts(
    nonempty: list[Part],
    parts: list[Part],
    policy: Policy,
    symbol: str,
    unit: str = "line",
    *,
    sort_time: bool = False,
) -> BookSeries:
    """Concatenate per-file parts, drop exact duplicates, optionally sort by time, validate,
    and build the series.
    """
    file_index = np.concatenate(
        [np.full(len(p.ts), k, dtype=np.int64) for k, p in enumerate(nonempty)]
    )
    locator = RowLocator(
        tuple(p.path for p in nonempty),
        file_index,
        np.concatenate([p.lines for p in nonempty]),
        unit,
    )

    def cat(name: str) -> np.ndarray:
        arrs = [getattr(p, name) for p in nonempty]
        return arrs[0] if len(arrs) == 1 else np.concatenate(arrs)

    ts = cat("ts")
    bid_px, ask_px, bid_sz, ask_sz = (cat(f) for f in _LEVEL_FIELDS)
    is_trade, price, size, side = cat("is_trade"), cat("price"), cat("size"), cat("side")
    n_seq = [p.seq if p.seq is not None else np.full(len(p.ts), np.nan) for p in nonempty]
    seq = np.concatenate(n_seq)
    notes: list[str] = []

    # Exact duplicates: the same event twice (its trade would count twice).
    n_dup = 0
    if all(p.keys is not None for p in nonempty):
        dup, first = _duplicates(np.concatenate([p.keys for p in nonempty if p.keys is not None]))
        if dup.any():
            k = int(np.argmax(dup))
            _fail(
                policy,
                locator(k),
                f"the row repeats {locator(int(first[k]))} exactly (every field, timestamps and "
                "sequence number included): a duplicated event, whose traded volume would count "
                "twice",
                "remove the repeated lines, or pass policy='drop' to drop exact duplicates",
            )
            n_dup = int(dup.sum())
            dup_trades = int(is_trade[dup].sum())
            keep_d = ~dup
            ts, bid_px, ask_px, bid_sz, ask_sz = (
                a[keep_d] for a in (ts, bid_px, ask_px, bid_sz, ask_sz)
            )
            is_trade, price, size, side, seq = (
                a[keep_d] for a in (is_trade, price, size, side, seq)
            )
            file_index = file_index[keep_d]
            locator = locator.take(keep_d)
            notes.append(
                f"{n_dup:,} exact duplicate row(s) dropped ({dup_trades:,} of them trades, "
                "whose volume would otherwise count twice)"
            )

    # Optional sort by time.
    moved = 0
    if sort_time and len(ts) > 1:
        order, backward = _time_order(ts, seq, file_index)
        moved = int((order != np.arange(len(ts))).sum())
        if moved:
            ts, bid_px, ask_px, bid_sz, ask_sz = (
                a[order] for a in (ts, bid_px, ask_px, bid_sz, ask_sz)
            )
            is_trade, price, size, side = (a[order] for a in (is_trade, price, size, side))
            locator = locator.take(order)
            notes.append(
                f"sort_time: {moved:,} rows re-ordered by (timestamp, sequence); ties keep "
                "their file order"
                + (", read backwards where the file runs backwards in time" if backward else "")
            )

    trade_px = np.where(is_trade, price, np.nan)
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
    lost_trades = int((is_trade & ~keep).sum())
    if lost_trades:
        notes.append(f"{lost_trades:,} trade rows dropped together with their book rows")
    if not keep.all():
        ts, bid_px, ask_px, bid_sz, ask_sz = (a[keep] for a in (ts, bid_px, ask_px, bid_sz, ask_sz))
        locator = locator.take(keep)
        is_trade, price, size, side = is_trade[keep], price[keep], size[keep], side[keep]

    t_idx = np.flatnonzero(is_trade)
    with np.errstate(invalid="ignore"):
        bad_tr = ~(np.isfinite(price[t_idx]) & (price[t_idx] > 0)) | ~(
            np.isfinite(size[t_idx]) & (size[t_idx] >= 0)
        )
    if bad_tr.any():
        k = int(t_idx[np.argmax(bad_tr)])
        _fail(
            policy,
            locator(k),
            f"trade with price {price[k]!r} and size {size[k]!r}",
            "trade prices must be > 0 and sizes >= 0; pass policy='drop' to drop such trades",
        )
        t_idx = t_idx[~bad_tr]
    trades = Trades(ts[t_idx].view("datetime64[ns]"), price[t_idx], size[t_idx], side[t_idx])

    dropped: dict[str, int] = {}
    actions: dict[str, int] = {}
    part_notes: list[str] = []
    for p in parts:
        for code, count in p.actions.items():
            actions[code] = actions.get(code, 0) + count
        for k2, v in p.dropped.items():
            dropped[k2] = dropped.get(k2, 0) + v
        part_notes.extend(p.notes)
    if n_dup:
        dropped["duplicate"] = n_dup
    for k2, v in report.dropped_by_reason:
        dropped[k2] = dropped.get(k2, 0) + v
    zero_size = sum(p.zero_size_levels for p in parts)
    if zero_size:
        notes.append(
            f"{zero_size:,} row(s) had a level with a price but size 0; such levels are treated "
            "as absent (the deeper levels move up) and the rows kept"
        )
    n_read = sum(p.n_read for p in parts)
    report = report.with_updates(
        n_rows_read=n_read,
        rows_filtered=sum(p.filtered for p in parts),
        dropped_by_reason=tuple(dropped.items()),
        bad_trades=int(bad_tr.sum()),
        actions=tuple(sorted(actions.items())),
        duplicates=n_dup,
        zero_size_levels=zero_size,
        rows_reordered=moved,
        price_scale="; ".join(dict.fromkeys(p.price_scale for p in parts if p.price_scale)),
        notes=tuple(part_notes + notes),
    )
    return BookSeries(
        symbol,
        readonly(ts.view("datetime64[ns]")),
        bid_px,
        ask_px,
        bid_sz,
        ask_sz,
        trades=trades,
        source=tuple(str(p.path) for p in parts),
        validation=report,
    )
