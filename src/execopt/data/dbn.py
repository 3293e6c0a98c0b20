"""Reader for Databento DBN files of the MBP-10 schema (optional ``databento-dbn`` package).

The package is imported only when :func:`read_dbn` is called.  Records are decoded with
``databento_dbn.DBNDecoder`` (plain or zstd-compressed ``.dbn.zst``), then the MBP-10 records'
fixed 368-byte layout is viewed as a NumPy structured array, so no per-field Python work is
done.  Prices are Databento fixed point (1e-9 dollars); ``UNDEF_PRICE`` marks an absent level.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from execopt._validate import check_path
from execopt.data._io import PathLike
from execopt.data.book import BookSeries
from execopt.data.mbp10 import Part, assemble_parts, row_keys
from execopt.data.validation import Policy, check_policy, remove_zero_size_levels
from execopt.errors import DataError, InputError

__all__ = ["MBP10_DTYPE", "read_dbn"]

_LEVEL = np.dtype(
    [
        ("bid_px", "<i8"),
        ("ask_px", "<i8"),
        ("bid_sz", "<u4"),
        ("ask_sz", "<u4"),
        ("bid_ct", "<u4"),
        ("ask_ct", "<u4"),
    ]
)
#: Layout of one DBN MBP-10 record (``rtype`` 10), 368 bytes.
MBP10_DTYPE = np.dtype(
    [
        ("length", "u1"),
        ("rtype", "u1"),
        ("publisher_id", "<u2"),
        ("instrument_id", "<u4"),
        ("ts_event", "<u8"),
        ("price", "<i8"),
        ("size", "<u4"),
        ("action", "S1"),
        ("side", "S1"),
        ("flags", "u1"),
        ("depth", "u1"),
        ("ts_recv", "<u8"),
        ("ts_in_delta", "<i4"),
        ("sequence", "<u4"),
        ("levels", _LEVEL, (10,)),
    ]
)
_UNDEF_PRICE = np.iinfo(np.int64).max
_CHUNK = 1 << 24


def _import_dbn() -> Any:
    try:
        import databento_dbn
    except ImportError as exc:  # pragma: no cover - exercised only without the package
        raise InputError(
            "reading DBN files needs the optional package databento-dbn; install it with "
            "`pip install execopt[dbn]` (or `pip install databento-dbn`)"
        ) from exc
    return databento_dbn


def _decode(path: Path, dbn: Any) -> tuple[Any, np.ndarray, int]:
    """Metadata, MBP-10 records as a structured array, and the number of other records."""
    compressed = path.name.endswith(".zst")
    kwargs: dict[str, Any] = {}
    if compressed:
        kwargs["compression"] = dbn.Compression.ZSTD
    decoder = dbn.DBNDecoder(**kwargs)
    metadata = None
    batches: list[bytes] = []
    sizes: set[int] = set()
    other = 0
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                blobs: list[bytes] = []
                for rec in decoder.write_and_decode(chunk):
                    if isinstance(rec, dbn.Metadata):
                        metadata = rec
                    elif isinstance(rec, dbn.MBP10Msg):
                        blobs.append(bytes(rec))
                    else:
                        other += 1
                if blobs:
                    sizes.add(len(blobs[0]))
                    batches.append(b"".join(blobs))
    except dbn.DBNError as exc:
        raise DataError(
            f"file '{path}': not a valid DBN stream ({exc}); check the file was written by "
            "Databento and, if it ends in .zst, that it is zstd-compressed"
        ) from exc
    if metadata is None:
        raise DataError(f"file '{path}': no DBN metadata header; is this a DBN file?")
    raw = b"".join(batches)
    del batches
    dtype = MBP10_DTYPE
    if sizes == {MBP10_DTYPE.itemsize + 8}:  # records carrying ts_out
        dtype = np.dtype([*MBP10_DTYPE.descr, ("ts_out", "<u8")])
    if len(sizes) > 1 or len(raw) % dtype.itemsize:
        raise DataError(
            f"file '{path}': MBP-10 records of unexpected size {sorted(sizes)}; this reader "
            f"knows the {MBP10_DTYPE.itemsize}-byte layout of DBN versions 1-3"
        )
    return metadata, np.frombuffer(raw, dtype=dtype), other


def _symbol_map(metadata: Any) -> dict[int, str]:
    """instrument_id -> raw symbol from the metadata's symbol mappings (best effort)."""
    out: dict[int, str] = {}
    mappings = getattr(metadata, "mappings", None) or {}
    for raw_symbol, intervals in dict(mappings).items():
        for iv in intervals:
            sym = iv.get("symbol") if isinstance(iv, dict) else getattr(iv, "symbol", None)
            if sym is not None and str(sym).isdigit():
                out[int(sym)] = str(raw_symbol)
    return out


def read_dbn(
    path: PathLike,
    *,
    symbol: str | None = None,
    policy: Policy = "drop",
    ts_column: str = "ts_recv",
    sort_time: bool = False,
) -> BookSeries:
    """Read a Databento DBN file of MBP-10 records into a validated :class:`BookSeries`.

    Parameters
    ----------
    path : path
        ``.dbn`` or zstd-compressed ``.dbn.zst``.
    symbol : str, optional
        Keep only this symbol (matched through the metadata's symbol mappings, or as an
        instrument id).  Required when the file holds several instruments.
    policy : {"drop", "raise"}
        As in :func:`~execopt.data.read_mbp10`; "line" numbers in messages are 1-based
        MBP-10 record numbers.
    ts_column : {"ts_recv", "ts_event"}
    sort_time : bool
        Sort the records by (timestamp, sequence) instead of dropping those out of order, as
        in :func:`~execopt.data.read_mbp10`.  Exact duplicate records are dropped and counted
        (refused under ``"raise"``), and zero-size levels treated as absent, as there.

    Raises
    ------
    InputError
        ``databento-dbn`` is not installed (``pip install execopt[dbn]``), or bad arguments.
    DataError
        Not a DBN file, no MBP-10 records, or invalid books under ``"raise"``.
    """
    check_path("path", path)  # input guard
    policy = check_policy(policy)
    if ts_column not in ("ts_recv", "ts_event"):
        raise InputError(f"ts_column must be 'ts_recv' or 'ts_event', got {ts_column!r}")
    p = Path(os.fspath(path))
    if not p.is_file():
        raise InputError(f"no such file: '{p}'")
    dbn = _import_dbn()
    metadata, rec, n_other = _decode(p, dbn)
    if len(rec) == 0:
        raise DataError(
            f"file '{p}' holds no MBP-10 records (schema {getattr(metadata, 'schema', '?')})"
        )
    notes = [f"'{p.name}': {n_other} non-MBP-10 record(s) ignored"] if n_other else []

    ids = rec["instrument_id"].astype(np.int64)
    names = _symbol_map(metadata)
    meta_symbols = list(getattr(metadata, "symbols", None) or [])
    unique_ids = np.unique(ids).tolist()
    filtered = 0
    if symbol is None:
        if len(unique_ids) > 1:
            shown = ", ".join(names.get(i, str(i)) for i in unique_ids)
            raise InputError(f"file '{p}' holds several instruments ({shown}); pass symbol=...")
        iid = int(unique_ids[0])
        name = names.get(iid) or (meta_symbols[0] if len(meta_symbols) == 1 else str(iid))
        keep = np.ones(len(rec), dtype=bool)
    else:
        wanted = {i for i, s in names.items() if s == symbol}
        if symbol.isdigit():
            wanted.add(int(symbol))
        if not wanted and len(unique_ids) == 1 and symbol in meta_symbols:
            wanted = {int(unique_ids[0])}
        keep = np.isin(ids, list(wanted))
        if not keep.any():
            raise DataError(f"file '{p}' has no records for symbol {symbol!r}")
        filtered = int((~keep).sum())
        if filtered:
            notes.append(f"'{p.name}': symbol filter {symbol!r} removed {filtered:,} records")
        name = symbol
    lines = np.flatnonzero(keep) + 1
    rec = rec[keep]

    lv = rec["levels"]
    blocks: dict[str, np.ndarray] = {}
    for f in ("bid_px", "ask_px"):
        raw = lv[f]
        px = raw.astype(np.float64) * 1e-9
        px[raw == _UNDEF_PRICE] = np.nan
        blocks[f] = px
    for f in ("bid_sz", "ask_sz"):
        blocks[f] = lv[f].astype(np.float64)
    for side in ("bid", "ask"):
        blocks[f"{side}_sz"][np.isnan(blocks[f"{side}_px"])] = 0.0
    zero_size = remove_zero_size_levels(
        blocks["bid_px"], blocks["ask_px"], blocks["bid_sz"], blocks["ask_sz"]
    )
    flat = np.ascontiguousarray(rec).view(np.uint8).reshape(len(rec), -1)
    keys = row_keys([r.tobytes() for r in flat])
    price = rec["price"].astype(np.float64) * 1e-9
    price[rec["price"] == _UNDEF_PRICE] = np.nan
    action = rec["action"].astype("U1")
    side_raw = rec["side"].astype("U1")
    sides = np.where(np.isin(side_raw, ["B", "A"]), side_raw, "N").astype("<U1")
    ts = rec[ts_column].astype(np.int64)

    codes, counts = np.unique(action, return_counts=True)
    part = Part(
        path=p,
        ts=ts,
        bid_px=blocks["bid_px"],
        ask_px=blocks["ask_px"],
        bid_sz=blocks["bid_sz"],
        ask_sz=blocks["ask_sz"],
        lines=lines,
        is_trade=action == "T",
        price=price,
        size=rec["size"].astype(np.float64),
        side=sides,
        symbol=name,
        n_read=len(ids),
        actions=dict(zip(codes.tolist(), counts.tolist(), strict=True)),
        filtered=filtered,
        notes=notes,
        keys=keys,
        seq=rec["sequence"].astype(np.float64),
        zero_size_levels=zero_size,
        price_scale="fixed point 1e-9 (DBN schema), scaled to dollars",
    )
    return assemble_parts([part], [part], policy, name, unit="record", sort_time=sort_time)
