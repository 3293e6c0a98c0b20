"""Validation of order-book arrays and the report that records what was found and dropped.

Every reader funnels its rows through :func:`validate_book`, so every book series carries a
:class:`ValidationReport` that says how many rows were read, which problems were seen, and how
many rows were dropped for which reason.  Nothing is dropped silently.

Issues
------
Fatal issues (under ``policy="raise"`` the first one raises :class:`~execopt.errors.DataError`;
under ``policy="drop"`` the row is dropped and counted):

``crossed``
    best bid strictly above best ask.
``non_monotonic_ts``
    a timestamp earlier than an earlier row's.  Under ``"drop"`` the smallest set of rows whose
    removal leaves the timestamps non-decreasing is dropped (a longest non-decreasing
    subsequence is kept), so one wild timestamp costs one row, not the rest of the file.
``negative_size``
    a negative size at any level.
``nan_size``
    a level with a price but no (NaN) size.
``nan_price``
    a level with a positive size but no (NaN) price.
``bad_price``
    a non-finite or non-positive price.
``unordered_levels``
    bid prices not strictly decreasing, or ask prices not strictly increasing, with depth, or a
    present level below an absent one.

Counted but kept: ``locked`` (best bid equal to best ask), ``one_sided`` (no bid or no ask at
all; mid and spread are NaN there), ``missing_levels`` (rows with fewer than ``n_levels``
levels on at least one side).

A row with several fatal issues is counted once under each in the issue counts, and attributed
to the first of them (in the order above) in ``dropped``, so that ``sum(dropped.values())`` is the
number of rows dropped.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from execopt.errors import DataError, InputError

__all__ = [
    "FATAL_ISSUES",
    "Policy",
    "ValidationReport",
    "check_policy",
    "longest_non_decreasing",
    "validate_book",
]

Policy = Literal["raise", "drop"]

#: Fatal issues, in the order used to attribute a dropped row to one reason.
FATAL_ISSUES: tuple[str, ...] = (
    "crossed",
    "non_monotonic_ts",
    "negative_size",
    "nan_size",
    "nan_price",
    "bad_price",
    "unordered_levels",
)

_FIXES: dict[str, str] = {
    "crossed": "the best bid is above the best ask; check the price columns, or pass "
    "policy='drop' to drop crossed rows",
    "non_monotonic_ts": "sort the file by its receive timestamp, or pass policy='drop' to drop "
    "out-of-order rows",
    "negative_size": "sizes must be >= 0; pass policy='drop' to drop such rows",
    "nan_size": "a level has a price but an empty size field; pass policy='drop' to drop such rows",
    "nan_price": "a level has a positive size but an empty price field; pass policy='drop' to "
    "drop such rows",
    "bad_price": "prices must be finite and > 0; pass policy='drop' to drop such rows",
    "unordered_levels": "bid prices must fall and ask prices rise with depth, with no gap "
    "before a present level; pass policy='drop' to drop such rows",
}


def check_policy(policy: str) -> Policy:
    """Return ``policy`` if it is ``"raise"`` or ``"drop"``, else raise InputError."""
    if policy == "raise":
        return "raise"
    if policy == "drop":
        return "drop"
    raise InputError(f"policy must be 'raise' or 'drop', got {policy!r}")


@dataclass(frozen=True)
class ValidationReport:
    """What validation found in a book series and what it dropped.

    Attributes
    ----------
    n_rows_read : int
        Rows read from the source(s) (after any symbol filter).
    n_rows_kept : int
        Rows in the book series.
    rows_filtered : int
        Valid rows left out on request (another symbol), not counted as dropped.  Always
        ``n_rows_read == n_rows_kept + rows_dropped + rows_filtered``.
    crossed, locked, non_monotonic_ts, negative_size, nan_size, nan_price, bad_price, \
unordered_levels, one_sided, missing_levels : int
        Rows showing each issue (see the module docstring).
    dropped_by_reason : tuple of (str, int)
        Rows dropped, per reason; use :attr:`dropped` for a dict.
    bad_trades : int
        Trade records dropped for a non-finite or non-positive price or a negative size.
    actions : tuple of (str, int)
        Rows read per event type (MBP-10 ``action`` codes such as ``A``, ``C``, ``T``;
        LOBSTER message types as ``type_1`` ...), before validation drops; use
        :attr:`action_counts` for a dict.
    timestamps_synthesised : bool
        True when the source had no timestamps and a uniform grid was made up (LOBSTER without
        a message file).
    forward_filled_minutes : int
        Minutes of a :meth:`BookSeries.minute_snapshots` result with no event of their own,
        whose snapshot is the previous state carried forward.
    backfilled_minutes : int
        Minutes before the first book state of the series, filled with that first state.
    notes : tuple of str
        Free-text remarks (filters applied, conventions used).
    """

    n_rows_read: int = 0
    n_rows_kept: int = 0
    rows_filtered: int = 0
    crossed: int = 0
    locked: int = 0
    non_monotonic_ts: int = 0
    negative_size: int = 0
    nan_size: int = 0
    nan_price: int = 0
    bad_price: int = 0
    unordered_levels: int = 0
    one_sided: int = 0
    missing_levels: int = 0
    dropped_by_reason: tuple[tuple[str, int], ...] = ()
    bad_trades: int = 0
    actions: tuple[tuple[str, int], ...] = ()
    timestamps_synthesised: bool = False
    forward_filled_minutes: int = 0
    backfilled_minutes: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def dropped(self) -> dict[str, int]:
        """Rows dropped per reason (only reasons with a positive count)."""
        return {k: v for k, v in self.dropped_by_reason if v}

    @property
    def action_counts(self) -> dict[str, int]:
        """Rows read per event type."""
        return dict(self.actions)

    @property
    def rows_dropped(self) -> int:
        """Total number of rows dropped."""
        return sum(v for _, v in self.dropped_by_reason)

    def as_dict(self) -> dict[str, object]:
        """Return the report as a plain dict (``dropped`` as a dict, ``notes`` as a list)."""
        out: dict[str, object] = {}
        for f in dataclasses.fields(self):
            if f.name in ("dropped_by_reason", "actions"):
                continue
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        out["dropped"] = self.dropped
        out["actions"] = self.action_counts
        out["rows_dropped"] = self.rows_dropped
        return out

    def with_updates(self, **changes: object) -> ValidationReport:
        """Return a copy with some fields replaced; ``notes`` given here are appended."""
        notes = changes.pop("notes", ())
        if isinstance(notes, str) or not isinstance(notes, (tuple, list)):
            raise InputError("notes must be a tuple of strings")
        new = dataclasses.replace(self, **changes)  # type: ignore[arg-type]
        return dataclasses.replace(new, notes=self.notes + tuple(str(n) for n in notes))

    def merge(self, other: ValidationReport) -> ValidationReport:
        """Combine two reports (counts add, flags or, notes concatenate)."""
        counts: dict[str, object] = {}
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name in ("dropped_by_reason", "actions"):
                d = dict(a)
                for k, v in b:
                    d[k] = d.get(k, 0) + v
                counts[f.name] = tuple(d.items())
            elif isinstance(a, bool):
                counts[f.name] = a or b
            else:  # int counts add, note tuples concatenate
                counts[f.name] = a + b
        return ValidationReport(**counts)  # type: ignore[arg-type]

    def __str__(self) -> str:
        lines = [f"ValidationReport: {self.n_rows_kept:,} of {self.n_rows_read:,} rows kept"]
        if self.rows_filtered:
            lines.append(f"  filtered out on request: {self.rows_filtered:,} rows")
        issues = [
            (name, getattr(self, name))
            for name in (*FATAL_ISSUES, "locked", "one_sided", "missing_levels", "bad_trades")
        ]
        seen = [f"{name}={n:,}" for name, n in issues if n]
        lines.append("  issues: " + (", ".join(seen) if seen else "none"))
        dropped = self.dropped
        if dropped:
            lines.append("  dropped: " + ", ".join(f"{k}={v:,}" for k, v in dropped.items()))
        else:
            lines.append("  dropped: none")
        if self.actions:
            lines.append(
                "  rows by event type: " + ", ".join(f"{k}={v:,}" for k, v in self.actions)
            )
        if self.timestamps_synthesised:
            lines.append("  timestamps synthesised (source had none)")
        if self.forward_filled_minutes:
            lines.append(f"  forward-filled minutes: {self.forward_filled_minutes}")
        if self.backfilled_minutes:
            lines.append(f"  back-filled minutes: {self.backfilled_minutes}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def longest_non_decreasing(values: np.ndarray) -> np.ndarray:
    """Boolean mask of a longest non-decreasing subsequence of ``values``.

    Patience sorting, O(n log n); used only when the values are not already sorted.  Among
    maximal subsequences, the returned one is a valid choice, not necessarily unique.
    """
    n = len(values)
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    v = values.tolist()
    tails: list[int] = []  # tail values
    tail_idx: list[int] = []
    prev = np.full(n, -1, dtype=np.int64)
    for i, x in enumerate(v):
        j = bisect.bisect_right(tails, x)
        if j > 0:
            prev[i] = tail_idx[j - 1]
        if j == len(tails):
            tails.append(x)
            tail_idx.append(i)
        else:
            tails[j] = x
            tail_idx[j] = i
    k = tail_idx[-1]
    while k >= 0:
        keep[k] = True
        k = int(prev[k])
    return keep


def _first(mask: np.ndarray) -> int:
    idx = np.flatnonzero(mask)
    return int(idx[0]) if idx.size else -1


def validate_book(
    ts: np.ndarray | None,
    bid_px: np.ndarray,
    ask_px: np.ndarray,
    bid_sz: np.ndarray,
    ask_sz: np.ndarray,
    *,
    policy: Policy,
    where: Callable[[int], str] = lambda i: f"row {i}",
) -> tuple[np.ndarray, ValidationReport]:
    """Check book arrays and decide which rows to keep.

    Absent levels must already be normalised to price NaN (sizes of such levels are ignored
    and set to 0 by the caller).

    Parameters
    ----------
    ts : ndarray of int64 (ns) or datetime64[ns], or None
        Timestamps; ``None`` skips the ordering check.
    bid_px, ask_px, bid_sz, ask_sz : ndarray, shape (n_rows, n_levels)
        Prices and sizes, level 0 best.
    policy : {"raise", "drop"}
        ``"raise"``: raise DataError at the first fatal issue, naming ``where(row)``.
        ``"drop"``: drop every row with a fatal issue and count it.
    where : callable
        Maps a row index to a location such as ``"file 'x.csv', line 17"``.

    Returns
    -------
    keep : ndarray of bool, shape (n_rows,)
    report : ValidationReport
        Counts; ``n_rows_read`` is ``n_rows`` and ``n_rows_kept`` is ``keep.sum()``.
    """
    policy = check_policy(policy)
    n, L = bid_px.shape
    masks: dict[str, Any] = {}

    b0, a0 = bid_px[:, 0], ask_px[:, 0]
    both = ~np.isnan(b0) & ~np.isnan(a0)
    with np.errstate(invalid="ignore"):
        masks["crossed"] = both & (b0 > a0)
        locked = both & (b0 == a0)

    first_descent = -1
    masks["non_monotonic_ts"] = np.zeros(n, dtype=bool)
    if ts is not None and n > 1:
        t = ts.view(np.int64) if ts.dtype.kind == "M" else ts
        descent = t[1:] < t[:-1]
        if descent.any():
            first_descent = int(np.argmax(descent)) + 1
            if policy == "drop":
                masks["non_monotonic_ts"] = ~longest_non_decreasing(t)

    with np.errstate(invalid="ignore"):
        masks["negative_size"] = (bid_sz < 0).any(axis=1) | (ask_sz < 0).any(axis=1)
        bid_present = ~np.isnan(bid_px)
        ask_present = ~np.isnan(ask_px)
        masks["nan_size"] = (bid_present & np.isnan(bid_sz)).any(axis=1) | (
            ask_present & np.isnan(ask_sz)
        ).any(axis=1)
        masks["nan_price"] = (~bid_present & (bid_sz > 0)).any(axis=1) | (
            ~ask_present & (ask_sz > 0)
        ).any(axis=1)
        masks["bad_price"] = (bid_present & ~(np.isfinite(bid_px) & (bid_px > 0))).any(axis=1) | (
            ask_present & ~(np.isfinite(ask_px) & (ask_px > 0))
        ).any(axis=1)
        if L > 1:
            # A present level below an absent one, or prices out of order.
            gap = (~bid_present[:, :-1] & bid_present[:, 1:]).any(axis=1) | (
                ~ask_present[:, :-1] & ask_present[:, 1:]
            ).any(axis=1)
            bad_bid = (bid_present[:, 1:] & bid_present[:, :-1]) & (bid_px[:, 1:] >= bid_px[:, :-1])
            bad_ask = (ask_present[:, 1:] & ask_present[:, :-1]) & (ask_px[:, 1:] <= ask_px[:, :-1])
            masks["unordered_levels"] = gap | bad_bid.any(axis=1) | bad_ask.any(axis=1)
        else:
            masks["unordered_levels"] = np.zeros(n, dtype=bool)

    if policy == "raise":
        firsts = [
            (first_descent if name == "non_monotonic_ts" else _first(masks[name]), name)
            for name in FATAL_ISSUES
        ]
        firsts = [(i, name) for i, name in firsts if i >= 0]
        if firsts:
            i, name = min(firsts)
            raise DataError(f"{where(i)}: {_describe(name, i, ts, bid_px, ask_px)}; {_FIXES[name]}")

    bad = np.zeros(n, dtype=bool)
    dropped: list[tuple[str, int]] = []
    for name in FATAL_ISSUES:
        new = masks[name] & ~bad
        dropped.append((name, int(new.sum())))
        bad |= masks[name]
    keep = ~bad

    one_sided = ~bid_present[:, 0] | ~ask_present[:, 0]
    missing = (~bid_present).any(axis=1) | (~ask_present).any(axis=1)
    report = ValidationReport(
        n_rows_read=n,
        n_rows_kept=int(keep.sum()),
        locked=int(locked.sum()),
        one_sided=int(one_sided.sum()),
        missing_levels=int(missing.sum()),
        dropped_by_reason=tuple(dropped),
    )
    report = dataclasses.replace(
        report,
        **{name: int(masks[name].sum()) for name in FATAL_ISSUES},  # type: ignore[arg-type]
    )
    return keep, report


def _describe(
    name: str, i: int, ts: np.ndarray | None, bid_px: np.ndarray, ask_px: np.ndarray
) -> str:
    if name == "crossed":
        return f"crossed book (best bid {bid_px[i, 0]:g} > best ask {ask_px[i, 0]:g})"
    if name == "non_monotonic_ts" and ts is not None:
        t = ts.view("datetime64[ns]") if ts.dtype.kind != "M" else ts
        return (
            f"timestamp {t[i]} is earlier than the previous row's {t[i - 1]} "
            "(non-monotonic timestamps)"
        )
    return {
        "negative_size": "negative size",
        "nan_size": "empty (NaN) size at a level that has a price",
        "nan_price": "empty (NaN) price at a level that has a positive size",
        "bad_price": "non-finite or non-positive price",
        "unordered_levels": "price levels out of order",
    }.get(name, name)
