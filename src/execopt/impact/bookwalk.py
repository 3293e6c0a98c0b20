"""Walking a limit-order book: the exact cost of trading ``x`` shares at once.

A market order for ``x`` shares fills level by level: on the ask side for a buy, on the bid side
for a sell. Its cost against the mid, in dollars, is

    buy:   C_t(x) = sum_l (p_tl - m_t) * f_tl(x)        sell:  C_t(x) = sum_l (m_t - p_tl) * f_tl(x)
    f_tl(x) = clip(x - (q_t1 + ... + q_t(l-1)), 0, q_tl)   (shares filled at level l)

with ``p_tl`` the price and ``q_tl`` the size of level ``l`` at snapshot ``t`` and ``m_t`` the mid.
The cost is convex and piecewise linear in ``x``: slope ``|p_tl - m_t|`` on level ``l``.

Sizes beyond the visible depth ``D_t = sum_l q_tl`` are **censored**: the book does not say what
they would cost, so :func:`walk_cost` returns NaN there and flags them, rather than pretending
the last level is infinitely deep. Snapshots without a mid (a one-sided book) are unpriced: every
size is NaN and flagged in ``no_mid``.

Glossary: ``T`` snapshots (one per minute period when walking minute snapshots), ``L`` levels,
``K`` order sizes, ``x`` shares, ``px`` dollars, ``sz`` shares, ``mid`` dollars, ``side`` the
side of *our* order (``"buy"`` walks the asks, ``"sell"`` the bids).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt.errors import DataError, InputError
from execopt.impact.models import PiecewiseLinearImpact

if TYPE_CHECKING:  # pragma: no cover
    from execopt.data.book import BookSeries

__all__ = [
    "BookWalk",
    "Side",
    "book_curve",
    "book_impact",
    "book_side",
    "check_side",
    "walk_book",
    "walk_cost",
    "walk_schedule",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Side = Literal["buy", "sell"]

#: A size counts as censored when it exceeds the visible depth by more than this many shares
#: (sizes are whole shares; the slack only absorbs rounding in sums of float sizes).
DEPTH_ATOL = 1e-9


class BookWalk(NamedTuple):
    """Result of :func:`walk_cost` (unpacks as ``cost, censored, depth, no_mid``).

    Attributes
    ----------
    cost : ndarray of shape (T, K)
        Dollars against the mid; NaN where censored or unpriced.
    censored : ndarray of bool, shape (T, K)
        True where ``x_k`` exceeds the visible depth of snapshot ``t``.
    depth : ndarray of shape (T,)
        Visible depth ``D_t`` of the walked side, shares.
    no_mid : ndarray of bool, shape (T,)
        Snapshots without a mid (one-sided books): their costs are NaN but not censored.
    """

    cost: FloatArray
    censored: BoolArray
    depth: FloatArray
    no_mid: BoolArray


def check_side(side: str) -> Side:
    """Return ``side`` if it is ``"buy"`` or ``"sell"``, else raise :class:`InputError`."""
    if side not in ("buy", "sell"):
        raise InputError(
            f"side must be 'buy' (walk the asks) or 'sell' (walk the bids), got {side!r}."
        )
    return side  # type: ignore[return-value]


def _as_book(
    px: ArrayLike, sz: ArrayLike, mid: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate one side of a book: shapes (T, L), (T, L), (T,)."""
    p = np.array(px, dtype=np.float64, ndmin=2)
    q = np.array(sz, dtype=np.float64, ndmin=2)
    m = np.array(mid, dtype=np.float64, ndmin=1)
    if p.ndim != 2 or p.shape != q.shape or p.shape[1] == 0:
        raise InputError(
            f"px and sz must both have shape (T, L) (snapshots x levels), got {p.shape} and "
            f"{q.shape}."
        )
    if m.shape != (p.shape[0],):
        raise InputError(
            f"mid must have one value per snapshot, shape ({p.shape[0]},), got {m.shape}."
        )
    if np.any(np.isnan(q)) or np.any(q < 0):
        raise DataError(
            "level sizes must be >= 0 and not NaN (absent levels have size 0); validate the book "
            "(e.g. read it with policy='drop') before walking it."
        )
    if np.any((q > 0) & ~np.isfinite(p)):
        t, l = np.argwhere((q > 0) & ~np.isfinite(p))[0]
        raise DataError(
            f"snapshot {t}, level {l} has {q[t, l]:g} shares but no price; absent levels must "
            "have price NaN and size 0."
        )
    return p, q, m


def _slopes(p: FloatArray, q: FloatArray, m: FloatArray, side: Side) -> FloatArray:
    """Dollars per share of each level against the mid (0 on empty levels)."""
    with np.errstate(invalid="ignore"):
        s = p - m[:, None] if side == "buy" else m[:, None] - p
    return np.where(q > 0, s, 0.0)


def _check_sorted(p: FloatArray, q: FloatArray, side: Side) -> None:
    """Levels must get worse with depth: asks rising (buy), bids falling (sell)."""
    present = q > 0
    signed = np.where(present, p if side == "buy" else -p, np.nan)
    # running best-so-far of the present levels; a present level better than it is unsorted
    prev = np.fmax.accumulate(np.where(present, signed, -np.inf), axis=1)
    bad = present[:, 1:] & (signed[:, 1:] < prev[:, :-1])
    if np.any(bad):
        t, l = np.argwhere(bad)[0]
        which = "ask prices must rise" if side == "buy" else "bid prices must fall"
        raise DataError(
            f"snapshot {t}: level {l + 1} is better than a level above it ({which} with depth); "
            "sort the levels by price or drop the snapshot."
        )


def walk_cost(
    px: ArrayLike, sz: ArrayLike, mid: ArrayLike, x: ArrayLike, side: Side = "buy"
) -> BookWalk:
    """Exact dollar cost against the mid of trading each size in ``x`` at every snapshot.

    Parameters
    ----------
    px, sz : array_like of shape (T, L)
        Prices (dollars) and sizes (shares) of the side walked: the asks for ``side="buy"``,
        the bids for ``side="sell"``; level 0 best, absent levels price NaN and size 0.
    mid : array_like of shape (T,)
        Mid price per snapshot, dollars (NaN for a one-sided book).
    x : array_like of shape (K,)
        Order sizes, shares, ``>= 0``.
    side : {"buy", "sell"}
        Side of the order.

    Returns
    -------
    BookWalk
        ``cost`` of shape (T, K) in dollars (NaN where censored or unpriced), the ``censored``
        mask (size beyond the visible depth), the ``depth`` per snapshot and ``no_mid``.

    Raises
    ------
    InputError
        Wrong shapes, an unknown side, negative or non-finite sizes ``x``.
    DataError
        A malformed book (NaN or negative sizes, a size without a price, unsorted levels).

    Examples
    --------
    >>> w = walk_cost([[10.01, 10.02]], [[100, 200]], [10.0], [50, 150, 400])
    >>> w.cost.round(4).tolist(), w.censored.tolist()
    ([[0.5, 2.0, nan]], [[False, False, True]])
    """
    side = check_side(side)
    p, q, m = _as_book(px, sz, mid)
    xs = np.array(x, dtype=np.float64, ndmin=1)
    if xs.ndim != 1:
        raise InputError(f"x must be a 1-D array of order sizes (K,), got shape {xs.shape}.")
    if not np.all(np.isfinite(xs)) or np.any(xs < 0):
        raise InputError("order sizes x must be finite and >= 0 (shares).")
    _check_sorted(p, q, side)
    s = _slopes(p, q, m, side)
    start = np.cumsum(q, axis=1) - q
    cost = np.zeros((p.shape[0], xs.shape[0]))
    for l in range(p.shape[1]):  # L is small (10): loop over levels, vectorise the rest
        filled = np.clip(xs[None, :] - start[:, l, None], 0.0, q[:, l, None])
        cost += s[:, l, None] * filled
    depth = q.sum(axis=1)
    censored = xs[None, :] > depth[:, None] + DEPTH_ATOL
    no_mid = ~np.isfinite(m)
    cost[censored | no_mid[:, None]] = np.nan
    return BookWalk(cost, censored, depth, no_mid)


def walk_schedule(
    px: ArrayLike, sz: ArrayLike, mid: ArrayLike, x: ArrayLike, side: Side = "buy"
) -> BookWalk:
    """Cost of a schedule: ``x[t]`` shares walked against snapshot ``t`` only.

    The per-period counterpart of :func:`walk_cost` (which walks every size against every
    snapshot): it prices an execution schedule against the books it would meet.

    Parameters
    ----------
    px, sz, mid, side
        As in :func:`walk_cost`, with ``T`` snapshots (one per period).
    x : array_like of shape (T,)
        Shares traded in each period, ``>= 0``.

    Returns
    -------
    BookWalk
        ``cost`` and ``censored`` of shape (T,): NaN and True where ``x[t]`` exceeds the
        visible depth of period ``t`` (that period's cost is unknown, not extrapolated).

    Examples
    --------
    >>> w = walk_schedule([[10.01, 10.02], [10.02, 10.03]], [[100, 100], [100, 100]],
    ...                   [10.0, 10.0], [150, 250])
    >>> w.cost.round(4).tolist(), w.censored.tolist()
    ([2.0, nan], [False, True])
    """
    side = check_side(side)
    p, q, m = _as_book(px, sz, mid)
    xs = np.array(x, dtype=np.float64, ndmin=1)
    if xs.shape != (p.shape[0],):
        raise InputError(
            f"x must hold one size per snapshot, shape ({p.shape[0]},), got {xs.shape}."
        )
    if not np.all(np.isfinite(xs)) or np.any(xs < 0):
        raise InputError("the schedule x must be finite and >= 0 (shares per period).")
    _check_sorted(p, q, side)
    s = _slopes(p, q, m, side)
    start = np.cumsum(q, axis=1) - q
    filled = np.clip(xs[:, None] - start, 0.0, q)
    cost = np.where(xs > 0, (s * filled).sum(axis=1), 0.0)
    depth = q.sum(axis=1)
    censored = xs > depth + DEPTH_ATOL
    no_mid = ~np.isfinite(m) & (xs > 0)
    cost[censored | no_mid] = np.nan
    return BookWalk(cost, censored, depth, no_mid)


def book_curve(
    px: ArrayLike, sz: ArrayLike, mid: ArrayLike, side: Side = "buy"
) -> PiecewiseLinearImpact:
    """The book walk of every snapshot as a convex piecewise-linear cost model.

    Snapshot ``t`` becomes period ``t``: segment ``l`` has slope ``|p_tl - m_t|`` (dollars per
    share) and width ``q_tl`` (shares). Absent levels become width-0 segments with the previous
    level's slope, so every period has ``L`` segments. The model's capacity is the visible depth,
    which :class:`~execopt.problem.ExecutionProblem` treats as a per-period cap; its cost equals
    :func:`walk_cost` wherever that is not censored.

    Parameters
    ----------
    px, sz, mid, side
        As in :func:`walk_cost`.

    Returns
    -------
    PiecewiseLinearImpact
        Slopes and widths of shape (T, L).

    Raises
    ------
    DataError
        A malformed or unsorted book, or a snapshot without a mid (drop one-sided snapshots, or
        give them size 0 at every level, before building a curve).

    Examples
    --------
    >>> m = book_curve([[10.01, 10.02]], [[100, 200]], [10.0])
    >>> round(float(m.cost([150.0])[0]), 9)  # 100 x $0.01 + 50 x $0.02
    2.0
    """
    side = check_side(side)
    p, q, m = _as_book(px, sz, mid)
    _check_sorted(p, q, side)
    no_mid = ~np.isfinite(m) & (q.sum(axis=1) > 0)
    if np.any(no_mid):
        raise DataError(
            f"{int(no_mid.sum())} snapshot(s) have no mid (a one-sided book), first at index "
            f"{int(np.argmax(no_mid))}: their walk cost is undefined; drop them before building a "
            "book curve."
        )
    s = _slopes(p, q, np.where(np.isfinite(m), m, 0.0), side)
    present = q > 0
    # pad absent levels with the nearest present slope (previous, else next): width 0, convex
    idx = np.where(present, np.arange(p.shape[1])[None, :], -1)
    prev = np.maximum.accumulate(idx, axis=1)
    first = np.where(present.any(axis=1), np.argmax(present, axis=1), 0)
    take = np.where(prev >= 0, prev, first[:, None])
    slopes = np.take_along_axis(s, take, axis=1)
    return PiecewiseLinearImpact(slopes=slopes, widths=q)


def book_side(book: BookSeries, side: Side) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(px, sz, mid)`` of the side a ``side`` order walks (asks for buy, bids for sell)."""
    side = check_side(side)
    if side == "buy":
        return np.asarray(book.ask_px), np.asarray(book.ask_sz), np.asarray(book.mid)
    return np.asarray(book.bid_px), np.asarray(book.bid_sz), np.asarray(book.mid)


def walk_book(
    book: BookSeries, x: ArrayLike, side: Side = "buy", *, per_minute: bool = True
) -> BookWalk:
    """:func:`walk_cost` on a :class:`~execopt.data.BookSeries`.

    Parameters
    ----------
    book : BookSeries
    x : array_like of shape (K,)
        Order sizes, shares.
    side : {"buy", "sell"}
    per_minute : bool
        Walk the minute snapshots (one row per period, ``book.minute_snapshots()``; the default)
        or every row of ``book``.
    """
    snaps = book.minute_snapshots() if per_minute else book
    return walk_cost(*book_side(snaps, side), x, side)


def book_impact(book: BookSeries, side: Side = "buy") -> PiecewiseLinearImpact:
    """:func:`book_curve` of the minute snapshots of ``book``: one period per minute."""
    return book_curve(*book_side(book.minute_snapshots(), side), side)
