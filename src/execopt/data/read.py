"""One entry point that recognises the format of an order-book file and reads it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from execopt._validate import check_path, check_paths
from execopt.data._io import PathLike, read_bytes, resolve_paths
from execopt.data.book import BookSeries
from execopt.data.dbn import read_dbn
from execopt.data.lobster import parse_lobster_name, read_lobster
from execopt.data.mbp10 import read_mbp10
from execopt.errors import DataError, InputError

__all__ = ["Format", "detect_format", "read_book"]

Format = Literal["auto", "mbp10", "lobster", "dbn"]


def detect_format(path: PathLike) -> Literal["mbp10", "lobster", "dbn"]:
    """Guess the format of a file from its name and first line.

    ``.dbn`` / ``.dbn.zst`` -> ``"dbn"``; a first line naming ``bid_px_00`` -> ``"mbp10"``; a
    first line of numbers only (LOBSTER has no header) or a LOBSTER file name -> ``"lobster"``.

    Raises
    ------
    DataError
        If the format cannot be recognised.
    """
    check_path("path", path)  # input guard
    p = Path(path)
    name = p.name.lower()
    if name.endswith((".dbn", ".dbn.zst")):
        return "dbn"
    if parse_lobster_name(p):
        return "lobster"
    head = read_bytes(p)[:4096].split(b"\n", 1)[0].decode("utf-8", "replace")
    if "bid_px_00" in head or "ask_px_00" in head:
        return "mbp10"
    fields = head.replace(";", ",").replace("\t", ",").split(",")
    try:
        [float(f) for f in fields]
    except ValueError:
        pass
    else:
        if len(fields) % 4 == 0:
            return "lobster"
    raise DataError(
        f"file '{p}': cannot tell its format from the first line {head[:80]!r}; pass "
        "format='mbp10', 'lobster' or 'dbn'"
    )


def _check_kwargs(kwargs: dict[str, Any]) -> None:
    """Refuse options no reader takes, naming them (a typo would be a bare TypeError)."""
    import inspect

    known = {
        name
        for reader in (read_mbp10, read_lobster, read_dbn)
        for name, prm in inspect.signature(reader).parameters.items()
        if prm.kind is inspect.Parameter.KEYWORD_ONLY
    }
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise InputError(
            f"read_book got unknown option(s) {unknown}; the readers take {sorted(known)}."
        )


def read_book(
    path: PathLike | Sequence[PathLike],
    messages: PathLike | None = None,
    format: Format = "auto",
    **kwargs: Any,
) -> BookSeries:
    """Read an order-book file of any supported format.

    Parameters
    ----------
    path : path, folder, glob pattern or list
        Folders, patterns and lists are MBP-10 CSV (read by :func:`read_mbp10`).
    messages : path, optional
        LOBSTER message file (implies ``format="lobster"`` under ``"auto"``).
    format : {"auto", "mbp10", "lobster", "dbn"}
    **kwargs
        Passed to the reader (``symbol``, ``policy``, ``levels``, ``date``, ...).
    """
    check_paths("path", path)  # input guards
    if messages is not None:
        check_path("messages", messages)
    _check_kwargs(kwargs)
    if format not in ("auto", "mbp10", "lobster", "dbn"):
        raise InputError(f"format must be 'auto', 'mbp10', 'lobster' or 'dbn', got {format!r}")
    fmt: str = format
    if fmt == "auto":
        if messages is not None:
            fmt = "lobster"
        else:
            files = resolve_paths(path, suffixes=(".csv", ".csv.gz", ".dbn", ".dbn.zst"))
            fmt = detect_format(files[0]) if len(files) == 1 else "mbp10"
    single = isinstance(path, (str, os.PathLike))
    if fmt in ("lobster", "dbn") and not single:
        raise InputError(f"{fmt} reads one file at a time; pass a single path")
    if fmt == "lobster":
        assert isinstance(path, (str, os.PathLike))
        return read_lobster(path, messages, **kwargs)
    if messages is not None:
        raise InputError("messages= applies to LOBSTER files only")
    if fmt == "dbn":
        assert isinstance(path, (str, os.PathLike))
        return read_dbn(path, **kwargs)
    return read_mbp10(path, **kwargs)
