"""Validation of order-book arrays and the report that records what was found and dropped.

Every reader funnels its rows through :func:`validate_book`, so every book series carries a
:class:`ValidationReport` that says how many rows were read, which problems were seen, and how
many rows were dropped for which reason.  Nothing is dropped silently.

Issues
------
Fatal issues (under ``policy="raise"`` the first one raises :class:`~execopt.errors.DataError`;
under ``policy="drop"`` the row is dropped and counted):

``off_scale_price``
    a price that contradicts the price scale of the whole series: at or above $10^7 (no share
    trades there; it is what an unscaled Databento 1e-9 fixed-point cell looks like), more than
    ``OFF_SCALE_ABOVE`` (10^4) times the median best price of the series, or less than
    1 / ``OFF_SCALE_BELOW`` (10^-6) of it (a decimal cell in a fixed-point file).  One corrupt
    cell costs its row; it never changes how the rest of the file is read.
``crossed``
    best bid strictly above best ask.
``non_monotonic_ts``
    a timestamp earlier than an earlier row's.  Under ``"drop"`` the smallest set of rows whose
    removal leaves the timestamps non-decreasing is dropped (a longest non-decreasing
    subsequence is kept), so one wild timestamp costs one row, not the rest of the file.  When
    that would drop more than half of the rows the series is not in time order at all (a file
    written backwards, or sorted by another key): DataError under both policies, since the
    survivors would be an arbitrary subsequence; the readers' ``sort_time=True`` sorts instead.
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

Counted by the readers, before these checks: ``duplicates`` (exact repeats of an earlier row,
dropped under ``"drop"`` with the reason ``duplicate``), ``zero_size_levels`` (rows with a level
that has a price but size 0: such a level holds no shares, so :func:`remove_zero_size_levels`
treats it as absent and moves the deeper levels up; the row is kept), ``rows_reordered`` (rows
moved by ``sort_time=True``).

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
    "MAX_PRICE",
    "OFF_SCALE_ABOVE",
    "OFF_SCALE_BELOW",
    "Policy",
    "ValidationReport",
    "check_policy",
    "longest_non_decreasing",
    "remove_zero_size_levels",
    "validate_book",
]

Policy = Literal["raise", "drop"]

#: Fatal issues, in the order used to attribute a dropped row to one reason.
FATAL_ISSUES: tuple[str, ...] = (
    "off_scale_price",
    "crossed",
    "non_monotonic_ts",
    "negative_size",
    "nan_size",
    "nan_price",
    "bad_price",
    "unordered_levels",
)

#: A price at or above this many dollars contradicts every price scale (see the docstring).
MAX_PRICE = 1e7
#: A price more than this factor above the series' median best price is off scale.
OFF_SCALE_ABOVE = 1e4
#: A price more than this factor below the series' median best price is off scale.
OFF_SCALE_BELOW = 1e6
#: Share of out-of-order rows above which dropping them is refused (the series is unsorted).
UNSORTED_SHARE = 0.5

_FIXES: dict[str, str] = {
    "off_scale_price": "the cell is corrupt or in other units than the rest of the file (e.g. "
    "Databento 1e-9 fixed point in a decimal-dollar file); fix the cell, or pass policy='drop' "
    "to drop such rows",
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
    off_scale_price, crossed, locked, non_monotonic_ts, negative_size, nan_size, nan_price, \
bad_price, unordered_levels, one_sided, missing_levels : int
        Rows showing each issue (see the module docstring).
    duplicates : int
        Rows that exactly repeat an earlier row (every field, timestamps and sequence number
        included); dropped with the reason ``duplicate``.
    zero_size_levels : int
        Rows with at least one level that carries a price but size 0; such levels are treated
        as absent (the deeper levels move up one place) and the row is kept.
    rows_reordered : int
        Rows whose position changed when the reader sorted them by time (``sort_time=True``).
    price_scale : str
        How prices were read, e.g. ``"decimal dollars"`` or ``"fixed point 1e-9"`` (several
        files: their scales joined with ``"; "`` when they differ).
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
        Kept for old reports; always 0 now: minutes before a day's first book state are not
        filled but left out of the minute grid (``uncovered_minutes``).
    missing_minutes : int
        Minutes of a :meth:`BookSeries.minute_snapshots` result inside a silence longer than
        the grid's ``max_gap``: empty books, not tradable (:mod:`execopt.data.grid`).
    uncovered_minutes : int
        Session minutes no data cover (before a day's first state, after its last), left out
        of the minute grid.
    notes : tuple of str
        Free-text remarks (filters applied, conventions used).
    """

    n_rows_read: int = 0
    n_rows_kept: int = 0
    rows_filtered: int = 0
    off_scale_price: int = 0
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
    duplicates: int = 0
    zero_size_levels: int = 0
    rows_reordered: int = 0
    price_scale: str = ""
    dropped_by_reason: tuple[tuple[str, int], ...] = ()
    bad_trades: int = 0
    actions: tuple[tuple[str, int], ...] = ()
    timestamps_synthesised: bool = False
    forward_filled_minutes: int = 0
    backfilled_minutes: int = 0
    missing_minutes: int = 0
    uncovered_minutes: int = 0
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

    @property
    def dropped_share(self) -> float:
        """Rows dropped as a share of the rows read that were not filtered out on request."""
        base = self.n_rows_read - self.rows_filtered
        return self.rows_dropped / base if base > 0 else 0.0

    def summary(self) -> dict[str, object]:
        """The counts a person needs to judge the data, as a JSON-ready dict.

        Keys: ``rows_read``, ``rows_kept``, ``rows_dropped``, ``dropped_share``, ``dropped``
        (rows per reason), ``duplicates``, ``rows_filtered``, ``rows_reordered``,
        ``zero_size_levels``, ``bad_trades``, ``issues_kept`` (counted, not dropped: locked,
        one-sided, missing levels), ``price_scale``, ``timestamps_synthesised``, ``notes``.
        """
        return {
            "rows_read": self.n_rows_read,
            "rows_kept": self.n_rows_kept,
            "rows_dropped": self.rows_dropped,
            "dropped_share": self.dropped_share,
            "dropped": self.dropped,
            "duplicates": self.duplicates,
            "rows_filtered": self.rows_filtered,
            "rows_reordered": self.rows_reordered,
            "zero_size_levels": self.zero_size_levels,
            "bad_trades": self.bad_trades,
            "issues_kept": {
                "locked": self.locked,
                "one_sided": self.one_sided,
                "missing_levels": self.missing_levels,
            },
            "price_scale": self.price_scale,
            "timestamps_synthesised": self.timestamps_synthesised,
            "notes": list(self.notes),
        }

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
            elif isinstance(a, str):
                counts[f.name] = "; ".join(dict.fromkeys(v for v in (a, b) if v))
            else:  # int counts add, note tuples concatenate
                counts[f.name] = a + b
        return ValidationReport(**counts)  # type: ignore[arg-type]

    def __str__(self) -> str:
        lines = [f"ValidationReport: {self.n_rows_kept:,} of {self.n_rows_read:,} rows kept"]
        if self.rows_filtered:
            lines.append(f"  filtered out on request: {self.rows_filtered:,} rows")
        if self.price_scale:
            lines.append(f"  prices: {self.price_scale}")
        issues = [
            (name, getattr(self, name))
            for name in (
                *FATAL_ISSUES,
                "duplicates",
                "locked",
                "one_sided",
                "missing_levels",
                "zero_size_levels",
                "bad_trades",
            )
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
        if self.rows_reordered:
            lines.append(f"  rows re-ordered by time: {self.rows_reordered:,}")
        if self.timestamps_synthesised:
            lines.append("  timestamps synthesised (source had none)")
        if self.forward_filled_minutes:
            lines.append(f"  forward-filled minutes: {self.forward_filled_minutes}")
        if self.backfilled_minutes:
            lines.append(f"  back-filled minutes: {self.backfilled_minutes}")
        if self.missing_minutes:
            lines.append(f"  missing minutes (silences beyond max_gap): {self.missing_minutes}")
        if self.uncovered_minutes:
            lines.append(f"  session minutes not covered by the data: {self.uncovered_minutes}")
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


def remove_zero_size_levels(
    bid_px: np.ndarray, ask_px: np.ndarray, bid_sz: np.ndarray, ask_sz: np.ndarray
) -> int:
    """Treat levels that carry a price but size 0 as absent, in place; return the rows touched.

    A level with no shares is not liquidity (an exchange book does not display it), and left in
    place at level 0 it would set a phantom best price, mid and spread.  Its price becomes NaN
    and the deeper levels of that side move up one place, so level 0 stays the best level that
    holds shares; the row is kept and counted as ``zero_size_levels``.  Levels that are absent
    already (price NaN) are not moved, so a real gap still fails the ``unordered_levels`` check.
    """
    touched = np.zeros(bid_px.shape[0], dtype=bool)
    for px, sz in ((bid_px, bid_sz), (ask_px, ask_sz)):
        zero = ~np.isnan(px) & (sz == 0)
        rows = np.flatnonzero(zero.any(axis=1))
        if rows.size == 0:
            continue
        touched[rows] = True
        z = zero[rows]
        order = np.argsort(z, axis=1, kind="stable")  # zero-size levels to the end
        p2 = np.take_along_axis(px[rows], order, axis=1)
        s2 = np.take_along_axis(sz[rows], order, axis=1)
        moved = np.take_along_axis(z, order, axis=1)
        p2[moved] = np.nan
        s2[moved] = 0.0
        px[rows] = p2
        sz[rows] = s2
    return int(touched.sum())


def _off_scale(
    bid_px: np.ndarray, ask_px: np.ndarray, extra: np.ndarray | None
) -> tuple[np.ndarray, float]:
    """Rows with a price off the series' scale, and the reference (median best price)."""
    with np.errstate(invalid="ignore"):
        best = np.concatenate([bid_px[:, 0], ask_px[:, 0]])
        best = best[np.isfinite(best) & (best > 0)]
        ref = float(np.median(best)) if best.size else float("nan")
        hi = min(MAX_PRICE, ref * OFF_SCALE_ABOVE) if np.isfinite(ref) else MAX_PRICE
        lo = ref / OFF_SCALE_BELOW if np.isfinite(ref) else 0.0

        def off(a: np.ndarray) -> np.ndarray:
            pos = np.isfinite(a) & (a > 0)
            return pos & ((a >= hi) | (a < lo))

        mask = np.asarray(off(bid_px).any(axis=1) | off(ask_px).any(axis=1))
        if extra is not None:
            mask |= off(extra)
    return mask, ref


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
    extra_prices: np.ndarray | None = None,
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
    extra_prices : ndarray of float, shape (n_rows,), optional
        More prices per row that must be on the book's scale (the MBP-10 trade price of trade
        rows; NaN where there is none).

    Returns
    -------
    keep : ndarray of bool, shape (n_rows,)
    report : ValidationReport
        Counts; ``n_rows_read`` is ``n_rows`` and ``n_rows_kept`` is ``keep.sum()``.

    Raises
    ------
    DataError
        Under ``"raise"``, the first fatal issue; under either policy, timestamps so far out of
        order that more than half of the rows would be dropped (see the module docstring).
    """
    policy = check_policy(policy)
    n, L = bid_px.shape
    masks: dict[str, Any] = {}
    masks["off_scale_price"], ref = _off_scale(bid_px, ask_px, extra_prices)

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
                n_out = int(masks["non_monotonic_ts"].sum())
                if n_out > UNSORTED_SHARE * n:
                    back = int(descent.sum())
                    raise DataError(
                        f"{where(first_descent)}: the rows are not in time order: {back:,} of "
                        f"{n - 1:,} steps go back in time, and keeping the longest time-ordered "
                        f"run would drop {n_out:,} of {n:,} rows ({100 * n_out / n:.1f} %) "
                        f"and keep {n - n_out:,} arbitrary ones"
                        + (" (the file runs backwards)" if back > (n - 1) / 2 else "")
                        + "; sort the file by its receive timestamp (and sequence), or pass "
                        "sort_time=True (CLI: --sort-time) to sort the rows on reading"
                    )

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
            (first_descent if name == "non_monotonic_ts" else _first(masks[name]), rank, name)
            for rank, name in enumerate(FATAL_ISSUES)
        ]
        firsts = [f for f in firsts if f[0] >= 0]
        if firsts:
            i, _, name = min(firsts)
            what = _describe(name, i, ts, bid_px, ask_px, extra_prices, ref)
            raise DataError(f"{where(i)}: {what}; {_FIXES[name]}")

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
    name: str,
    i: int,
    ts: np.ndarray | None,
    bid_px: np.ndarray,
    ask_px: np.ndarray,
    extra: np.ndarray | None = None,
    ref: float = float("nan"),
) -> str:
    if name == "off_scale_price":
        cells = [(f"bid level {k}", bid_px[i, k]) for k in range(bid_px.shape[1])]
        cells += [(f"ask level {k}", ask_px[i, k]) for k in range(ask_px.shape[1])]
        if extra is not None:
            cells.append(("trade price", extra[i]))
        with np.errstate(invalid="ignore", divide="ignore"):
            worst = max(
                (c for c in cells if np.isfinite(c[1]) and c[1] > 0),
                key=lambda c: abs(np.log10(c[1] / ref)) if np.isfinite(ref) else c[1],
            )
        return (
            f"{worst[0]} price {worst[1]:.10g} is off the price scale of the series (median "
            f"best price {ref:.6g}; prices must stay below {MAX_PRICE:.0e} and within a factor "
            f"{OFF_SCALE_ABOVE:.0e} above / {OFF_SCALE_BELOW:.0e} below that median)"
        )
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
