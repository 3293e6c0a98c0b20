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

Columns are read by name, so any interleaving works.  Prices are decimal dollars; integer
fixed-point prices (Databento's 1e-9 units, detected when the best price exceeds $10^7) are
scaled and noted in the report.

Trades are the rows with ``action == 'T'``; their side is Databento's aggressor side (``'B'``
buyer-initiated, ``'A'`` seller-initiated, ``'N'`` not known).
"""

from __future__ import annotations

import io
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
from execopt.data.validation import Policy, check_policy, validate_book
from execopt.errors import DataError, InputError

__all__ = ["read_mbp10"]

_LEVEL_FIELDS = ("bid_px", "ask_px", "bid_sz", "ask_sz")
_REQUIRED = ("action", "side", "price", "size")
_FIXED_PRICE_THRESHOLD = 1e7
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


def _n_levels(names: list[str]) -> int:
    have = set(names)
    L = 0
    while all(f"{f}_{L:02d}" in have for f in _LEVEL_FIELDS):
        L += 1
    return L


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
    L = _n_levels(names)
    ts_col = ts_column if ts_column in names else ("ts_event" if "ts_event" in names else "")
    missing = [c for c in _REQUIRED if c not in names]
    if not ts_col:
        missing.insert(0, ts_column)
    if L == 0:
        missing.extend(f"{f}_00" for f in _LEVEL_FIELDS if f"{f}_00" not in names)
    if missing:
        raise DataError(
            f"file '{path}', line 1 (header): missing column(s) {', '.join(missing)}; found "
            f"{', '.join(names[:8])}{', ...' if len(names) > 8 else ''}; {_FIX_LAYOUT}"
        )

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
    if bad_shape.any():
        data = drop_lines(data, np.flatnonzero(bad_shape))
    n_read = int(body_ok.sum()) + int(bad_shape.sum())
    if len(lines) == 0 and not bad_shape.any():
        raise DataError(
            f"file '{path}' has a header but no data rows; point the reader at a non-empty file"
        )

    level_cols = {f: [f"{f}_{i:02d}" for i in range(L)] for f in _LEVEL_FIELDS}
    num_cols = [c for f in _LEVEL_FIELDS for c in level_cols[f]] + ["price", "size"]
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
    notes: list[str] = []
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
    ts = ts[keep]
    n = len(ts)
    blocks = {}
    for k, f in enumerate(_LEVEL_FIELDS):
        blocks[f] = np.ascontiguousarray(numbers[:, k * L : (k + 1) * L])
    price = numbers[:, 4 * L]
    size = numbers[:, 4 * L + 1]
    del numbers

    best = np.concatenate([blocks["bid_px"][:, 0], blocks["ask_px"][:, 0]])
    if n and np.nanmax(np.abs(best), initial=0.0) > _FIXED_PRICE_THRESHOLD:
        for f in ("bid_px", "ask_px"):
            px = blocks[f]
            px[px >= 9.2e18] = np.nan
            px *= 1e-9
        price = np.where(price >= 9.2e18, np.nan, price * 1e-9)
        notes.append(f"'{path.name}': prices read as fixed-point 1e-9 and scaled to dollars")
    for side in ("bid", "ask"):
        px, sz = blocks[f"{side}_px"], blocks[f"{side}_sz"]
        sz[np.isnan(px) & ~(sz > 0)] = 0.0

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
    )


def read_mbp10(
    path: PathLike | Sequence[PathLike],
    *,
    symbol: str | None = None,
    policy: Policy = "drop",
    progress: bool = False,
    ts_column: str = "ts_recv",
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

    Returns
    -------
    BookSeries
        Level 0 best; absent levels NaN price and size 0; trades from ``action == 'T'``.

    Raises
    ------
    DataError
        Empty file, wrong columns, malformed lines or invalid books under ``"raise"``, corrupt
        gzip, no rows for ``symbol``.
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
    nonempty.sort(key=lambda p: int(p.ts[0]))
    return assemble_parts(nonempty, parts, policy, symbol or nonempty[0].symbol)


def assemble_parts(
    nonempty: list[Part], parts: list[Part], policy: Policy, symbol: str, unit: str = "line"
) -> BookSeries:
    """Concatenate per-file parts (sorted by time), validate, and build the series."""
    sizes = [len(p.ts) for p in nonempty]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    locator = RowLocator(
        tuple(p.path for p in nonempty),
        offsets,
        np.concatenate([p.lines for p in nonempty]),
        unit,
    )

    def cat(name: str) -> np.ndarray:
        arrs = [getattr(p, name) for p in nonempty]
        return arrs[0] if len(arrs) == 1 else np.concatenate(arrs)

    ts = cat("ts")
    bid_px, ask_px, bid_sz, ask_sz = (cat(f) for f in _LEVEL_FIELDS)
    keep, report = validate_book(ts, bid_px, ask_px, bid_sz, ask_sz, policy=policy, where=locator)
    is_trade, price, size, side = cat("is_trade"), cat("price"), cat("size"), cat("side")
    notes: list[str] = []
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

    dropped: dict[str, int] = dict(report.dropped_by_reason)
    actions: dict[str, int] = {}
    for p in parts:
        for code, count in p.actions.items():
            actions[code] = actions.get(code, 0) + count
        for k2, v in p.dropped.items():
            dropped[k2] = dropped.get(k2, 0) + v
        notes.extend(p.notes)
    n_read = sum(p.n_read for p in parts)
    report = report.with_updates(
        n_rows_read=n_read,
        rows_filtered=sum(p.filtered for p in parts),
        dropped_by_reason=tuple(dropped.items()),
        bad_trades=int(bad_tr.sum()),
        actions=tuple(sorted(actions.items())),
        notes=tuple(notes),
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
