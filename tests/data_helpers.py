"""Shared helpers for the data-layer tests (test_data_*.py).

Nothing here contains real market data: the real files are read from ``EXECOPT_DATA`` or
``../shared/data`` relative to the repository root, and tests that need them skip when absent.
Files the tests write themselves are built from the synthetic generator.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from execopt.data import BookSeries, synthetic_book

__all__ = [
    "REPO_ROOT",
    "real_data_dir",
    "require_real",
    "small_book",
    "walk_cost",
    "write_lobster",
    "write_mbp10_csv",
]

REPO_ROOT = Path(__file__).resolve().parents[1]


def real_data_dir() -> Path | None:
    """``EXECOPT_DATA`` if set, else ``<repo>/../shared/data`` if it exists."""
    env = os.environ.get("EXECOPT_DATA", "").strip()
    root = Path(env) if env else (REPO_ROOT / ".." / "shared" / "data").resolve()
    return root if root.is_dir() else None


def require_real(*parts: str) -> Path:
    """Path of a real data file, or skip the test with the reason."""
    root = real_data_dir()
    if root is None:
        pytest.skip(
            "real order-book data not available: set EXECOPT_DATA or provide ../shared/data"
        )
    path = root.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data file {path} is absent")
    return path


def small_book(seed: int = 0, periods: int = 5, events_per_minute: float = 4.0) -> BookSeries:
    """A small synthetic FROG-like book for file-format tests."""
    return synthetic_book("FROG", seed=seed, periods=periods, events_per_minute=events_per_minute)


def write_mbp10_csv(
    path: Path,
    book: BookSeries,
    *,
    layout: str = "databento",
    ts_format: str = "space",
    symbol: str | None = None,
    trade_every: int = 3,
) -> Path:
    """Write ``book`` as an MBP-10 CSV in one of the two real layouts.

    layout "databento": duplicated ``ts_event`` header, per level bid_px, ask_px, bid_sz,
    ask_sz, bid_ct, ask_ct, trailing ``symbol``.  layout "pandas": leading unnamed index,
    ``ts_recv, ts_event``, per level bid_px, bid_sz, bid_ct, ask_px, ask_sz, ask_ct, trailing
    ``symbol, order_id``.  ts_format: "space" (``+00:00``), "iso_z" or "ns".  Every
    ``trade_every``-th row is a trade (action T).
    """
    n, L = book.bid_px.shape
    t = pd.DatetimeIndex(np.asarray(book.ts)).tz_localize("UTC")
    if ts_format == "space":
        ts = np.array([x.isoformat(sep=" ") for x in t])
    elif ts_format == "iso_z":
        ts = np.array([x.isoformat().replace("+00:00", "Z") for x in t])
    elif ts_format == "ns":
        ts = np.asarray(book.ts).view(np.int64).astype(str)
    else:
        raise ValueError(ts_format)
    is_trade = (np.arange(n) % trade_every) == trade_every - 1
    cols: dict[str, object] = {}
    names: list[str] = []

    def add(name: str, values: object) -> None:
        key = f"c{len(names)}"
        cols[key] = values
        names.append(name)

    def sz(a: np.ndarray) -> pd.Series:
        return pd.Series(a).round().astype("Int64")

    if layout == "pandas":
        add("", np.arange(n))
        add("ts_recv", ts)
        add("ts_event", ts)
    else:
        add("ts_event", ts)
        add("ts_event", ts)
    add("rtype", np.full(n, 10))
    add("publisher_id", np.full(n, 2))
    add("instrument_id", np.full(n, 6292))
    add("action", np.where(is_trade, "T", "A"))
    add("side", np.where(is_trade, "B", "A"))
    add("depth", np.zeros(n, int))
    add("price", book.ask_px[:, 0])
    add("size", np.where(is_trade, 7, 100))
    add("flags", np.full(n, 130))
    add("ts_in_delta", np.zeros(n, int))
    add("sequence", np.arange(n))
    for k in range(L):
        i = f"{k:02d}"
        if layout == "pandas":
            for side in ("bid", "ask"):
                add(f"{side}_px_{i}", getattr(book, f"{side}_px")[:, k])
                add(f"{side}_sz_{i}", sz(getattr(book, f"{side}_sz")[:, k]))
                add(f"{side}_ct_{i}", np.ones(n, int))
        else:
            add(f"bid_px_{i}", book.bid_px[:, k])
            add(f"ask_px_{i}", book.ask_px[:, k])
            add(f"bid_sz_{i}", sz(book.bid_sz[:, k]))
            add(f"ask_sz_{i}", sz(book.ask_sz[:, k]))
            add(f"bid_ct_{i}", np.ones(n, int))
            add(f"ask_ct_{i}", np.ones(n, int))
    add("symbol", np.full(n, symbol or book.symbol))
    if layout == "pandas":
        add("order_id", np.arange(n) + 1000)
    text = pd.DataFrame(cols).to_csv(index=False, header=names)
    data = text.encode()
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def write_lobster(
    folder: Path,
    book: BookSeries,
    *,
    sep: str = ",",
    stem: str = "TEST_2012-06-21_34200000_57600000",
    with_messages: bool = True,
) -> tuple[Path, Path | None]:
    """Write ``book`` as a LOBSTER order-book file (and a message file with one message per
    row: every third a visible execution, direction alternating)."""
    n, L = book.bid_px.shape
    cols = []
    for k in range(L):
        ap = np.where(np.isnan(book.ask_px[:, k]), 9999999999, np.rint(book.ask_px[:, k] * 1e4))
        bp = np.where(np.isnan(book.bid_px[:, k]), -9999999999, np.rint(book.bid_px[:, k] * 1e4))
        cols += [ap, book.ask_sz[:, k], bp, book.bid_sz[:, k]]
    ob = np.column_stack(cols).astype(np.int64)
    ob_path = folder / f"{stem}_orderbook_{L}.csv"
    ob_path.write_text("\n".join(sep.join(map(str, r)) for r in ob.tolist()) + "\n")
    if not with_messages:
        return ob_path, None
    local = pd.DatetimeIndex(np.asarray(book.ts)).tz_localize("UTC").tz_convert("America/New_York")
    secs = (local - local.normalize()).total_seconds().to_numpy()
    typ = np.where(np.arange(n) % 3 == 2, 4, 1)
    direction = np.where(np.arange(n) % 2 == 0, 1, -1)
    price = np.rint(book.ask_px[:, 0] * 1e4).astype(np.int64)
    lines = [
        f"{s:.9f},{t},{i + 1},10,{p},{d}"
        for i, (s, t, p, d) in enumerate(zip(secs, typ, price, direction, strict=True))
    ]
    msg_path = folder / f"{stem}_message_{L}.csv"
    msg_path.write_text("\n".join(lines) + "\n")
    return ob_path, msg_path


def walk_cost(ask_px: np.ndarray, ask_sz: np.ndarray, mid: float, x: float) -> float:
    """Dollar cost against ``mid`` of buying ``x`` shares by walking one ask side."""
    present = ~np.isnan(ask_px)
    px, sz = ask_px[present], ask_sz[present]
    before = np.cumsum(sz) - sz
    take = np.clip(x - before, 0.0, sz)
    return float(np.sum(take * (px - mid)))
