"""One way to load a book for the commands, studies and reports: :func:`load_book`.

It reads a path, folder, glob or list of files (MBP-10 CSV, LOBSTER, DBN; format detected), or
builds a seeded synthetic day for a preset name, and refuses a book that lost more than a
stated share of its rows to validation (:data:`DEFAULT_MAX_DROP`, 1 %): results computed on
a book that silently differs from its file are worse than no results.  The caller prints the
returned report (:meth:`~execopt.data.ValidationReport.summary`).

Refusal rule
------------
``rows_dropped / (rows_read - rows_filtered) > max_drop`` raises :class:`DataError`, which
names the counts per reason and how to proceed (fix the file, ``sort_time=True`` when rows are
out of time order, or a larger ``max_drop``).  Rows filtered out on request (another symbol)
are not drops.  Trade records dropped alone (``bad_trades``) are reported, not counted here.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from execopt.data._io import PathLike
from execopt.data.book import BookSeries
from execopt.data.read import Format, detect_format, read_book
from execopt.data.synthetic import PRESETS, synthetic_book
from execopt.data.validation import Policy, ValidationReport, check_policy
from execopt.errors import DataError, InputError

__all__ = ["DEFAULT_MAX_DROP", "PRESET_NAMES", "check_drop_share", "load_book"]

#: Largest share of rows validation may drop before :func:`load_book` refuses the book.
DEFAULT_MAX_DROP = 0.01
#: Synthetic presets accepted in place of a path (:func:`~execopt.data.synthetic_book`).
PRESET_NAMES: tuple[str, ...] = tuple(PRESETS)


def _check_fraction(max_drop: float) -> float:
    try:
        value = float(max_drop)
    except (TypeError, ValueError) as exc:
        raise InputError(f"max_drop must be a fraction in [0, 1], got {max_drop!r}") from exc
    if not 0.0 <= value <= 1.0:
        raise InputError(
            f"max_drop must be a fraction in [0, 1] (0.01 = 1 % of the rows), got {max_drop!r}"
        )
    return value


def check_drop_share(report: ValidationReport, max_drop: float, what: str = "the book") -> None:
    """Raise DataError when validation dropped more than ``max_drop`` of the rows read.

    Parameters
    ----------
    report : ValidationReport
    max_drop : float
        Largest acceptable share, in [0, 1].
    what : str
        How to name the source in the message.
    """
    limit = _check_fraction(max_drop)
    share = report.dropped_share
    if share <= limit:
        return
    base = report.n_rows_read - report.rows_filtered
    reasons = ", ".join(
        f"{k} {v:,}" for k, v in sorted(report.dropped.items(), key=lambda kv: -kv[1])
    )
    hints = []
    if report.dropped.get("non_monotonic_ts", 0):
        hints.append(
            "rows out of time order can be sorted instead of dropped with sort_time=True "
            "(CLI --sort-time)"
        )
    if report.dropped.get("duplicate", 0):
        hints.append("exact duplicate rows mean the file was written twice in part")
    suggest = min(1.0, float(f"{share:.2g}") + 0.005)
    raise DataError(
        f"{what}: validation dropped {report.rows_dropped:,} of {base:,} rows ({100 * share:.2f} "
        f"%; by reason: {reasons}), more than the {100 * limit:g} % allowed, so the results "
        "would describe a different book than the file holds"
        + (f" ({'; '.join(hints)})" if hints else "")
        + f"; fix the data, or accept the loss explicitly with max_drop={suggest:g} (CLI "
        f"--max-drop {suggest:g})"
    )


def _describe(source: PathLike | Sequence[PathLike]) -> str:
    if isinstance(source, (str, os.PathLike)):
        return f"'{os.fspath(source)}'"
    items = [os.fspath(s) for s in source]
    return f"'{items[0]}'" if len(items) == 1 else f"{len(items)} files"


def load_book(
    source: PathLike | Sequence[PathLike],
    *,
    messages: PathLike | None = None,
    format: Format = "auto",
    symbol: str | None = None,
    policy: Policy = "drop",
    max_drop: float = DEFAULT_MAX_DROP,
    sort_time: bool = False,
    allow_synthetic_time: bool = False,
    seed: int = 0,
    progress: bool = False,
    preset: bool | None = None,
    **reader_kwargs: Any,
) -> tuple[BookSeries, ValidationReport]:
    """Read a book (or build a synthetic one), refuse it if too many rows were dropped.

    Parameters
    ----------
    source : path, folder, glob pattern, list of paths, or a preset name
        Order-book file(s) as :func:`~execopt.data.read_book` accepts them, or one of
        :data:`PRESET_NAMES` (``CRWV``, ``FROG``, ``SOUN``; case-insensitive) for a seeded
        synthetic day.  A path that exists wins over a preset of the same name.
    messages : path, optional
        LOBSTER message file.
    format : {"auto", "mbp10", "lobster", "dbn"}
    symbol : str, optional
        Keep this symbol's rows (files holding several symbols).
    policy : {"drop", "raise"}
        ``"raise"``: the first bad row raises DataError naming the file and line.
    max_drop : float
        Largest share of the rows read that validation may drop (default 0.01); more raises
        DataError (see the module docstring).  Ignored for synthetic presets, which drop none.
    sort_time : bool
        Sort rows by time instead of dropping those out of order (MBP-10, DBN, LOBSTER with
        messages).
    allow_synthetic_time : bool
        Accept time-of-day work on made-up timestamps (LOBSTER without messages).
    seed : int
        Seed of a synthetic preset.
    progress : bool
        Progress bar over MBP-10 files.
    preset : bool, optional
        ``True``: ``source`` must be a preset name (never read as a path); ``False``: it must
        be a path; ``None`` (default): a path if one exists, else a preset name.
    **reader_kwargs
        Passed to the reader (``levels``, ``date``, ``ts_column``, ...).

    Returns
    -------
    book : BookSeries
    report : ValidationReport
        ``book.validation``: what was read, kept and dropped.

    Raises
    ------
    InputError
        Neither an existing path, a matching glob, nor a preset name; bad arguments.
    DataError
        A malformed file (from the reader), or more than ``max_drop`` of its rows dropped.
    """
    policy = check_policy(policy)
    limit = _check_fraction(max_drop)
    if preset:
        name = os.fspath(source).upper() if isinstance(source, (str, os.PathLike)) else ""
        if name not in PRESET_NAMES:
            raise InputError(
                f"{source!r} is not a synthetic preset; choose one of {', '.join(PRESET_NAMES)}"
            )
        book = synthetic_book(name, seed=seed)
        return book, book.validation
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        p = Path(text)
        is_glob = any(ch in text for ch in "*?[")
        if not p.exists() and not is_glob:
            if text.upper() in PRESET_NAMES and messages is None and preset is None:
                book = synthetic_book(text.upper(), seed=seed)
                return book, book.validation
            raise InputError(
                f"no such file or folder {text!r}, and it is not a synthetic preset "
                f"({', '.join(PRESET_NAMES)}): give a path to an order-book file or a preset "
                "name."
            )
        if is_glob and not p.exists() and not glob.glob(text):
            raise InputError(
                f"no file matches the pattern {text!r} (and it is not a synthetic preset "
                f"{', '.join(PRESET_NAMES)}): check the path."
            )
    fmt: str = format
    if fmt == "auto" and messages is None and isinstance(source, (str, os.PathLike)):
        p = Path(os.fspath(source))
        fmt = detect_format(p) if p.is_file() else "mbp10"
    kwargs: dict[str, Any] = {"policy": policy, **reader_kwargs}
    if symbol is not None:
        kwargs["symbol"] = symbol
    if sort_time:
        kwargs["sort_time"] = True
    if fmt in ("mbp10", "auto"):
        kwargs["progress"] = progress
    if fmt == "lobster" or messages is not None:
        kwargs["allow_synthetic_time"] = allow_synthetic_time
    book = read_book(source, messages=messages, format=fmt, **kwargs)  # type: ignore[arg-type]
    check_drop_share(book.validation, limit, _describe(source))
    return book, book.validation
