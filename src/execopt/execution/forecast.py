"""Forecasts a policy may make without looking ahead: impact cost and volume profiles.

Cost. :func:`fit_window` fits one quadratic ``a x + b x^2`` (dollars) to a window of past
minute books, on sizes up to ``x_max`` shares, with the toolkit's estimator
(:class:`~execopt.impact.estimation.QuadraticFit`: ``a, b >= 0``, per-share least squares):
either to the books' individual walks (``"mean"``: the average period) or to the walk of their
:func:`pooled_book` (``"pooled"``: every level of every book, sizes divided by the number of
books; what a period costs a policy that can wait for the cheap levels, which is what the
adaptive policy does). A forecast for the later periods (:func:`make_forecast`) is that level
carried along an intraday shape: the per-minute profile of earlier days when given
(:func:`seasonal_shape`, from :func:`~execopt.impact.profiles.fit_profile`), else a U-shaped
prior or flat.

Volume. :func:`volume_profile` is the average minute volume of earlier days when they are
given, else a U-shaped prior (open and close four times midday, :data:`VWAP_PRIOR_AMPLITUDE`),
normalised to sum to one. Which one was used is returned with it.

Any span. Profiles of earlier days are indexed by local minute of the day (their minute grid,
:mod:`execopt.data.grid`); an order that covers part of a day (an episode, a partial file, an
early close) takes the values of its own minutes (:func:`align_to_clock`), and a minute the
earlier days never covered is an error that names it, not a silent fill. What earlier days
give is computed once per series and process (:func:`history_profile`).

Glossary: ``a`` dollars per share, ``b`` dollars per share squared, ``x`` shares, ``N`` periods.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from execopt.data.book import BookSeries
from execopt.data.synthetic import intraday_shape
from execopt.errors import DataError, InputError
from execopt.impact.bookwalk import Side, walk_cost
from execopt.impact.estimation import quadratic_point_fit, size_grid
from execopt.impact.profiles import ImpactProfile, fit_profile, minute_of_day

__all__ = [
    "B_FLOOR",
    "VWAP_PRIOR_AMPLITUDE",
    "CostForecast",
    "align_to_clock",
    "fit_window",
    "history_profile",
    "make_forecast",
    "pooled_book",
    "seasonal_shape",
    "volume_profile",
]

FloatArray = NDArray[np.float64]

#: Smallest quadratic coefficient a forecast uses, dollars per share squared. A window whose
#: walks are linear on the fitted sizes (all inside level 0) fits ``b = 0``; the exact
#: re-optimisation needs ``b > 0``, and 1e-8 $/share^2 adds under a cent on a 1,000-share order.
B_FLOOR = 1e-8
#: Amplitude of the U-shaped volume prior (:func:`execopt.data.synthetic.intraday_shape`): with 1.5 the
#: first and last minutes carry four times the volume of midday.
VWAP_PRIOR_AMPLITUDE = 1.5
#: Size-grid points of a window fit.
N_SIZES = 12


@dataclass(frozen=True)
class CostForecast:
    """A quadratic cost forecast for a block of periods.

    Attributes
    ----------
    a, b : ndarray (M,)
        Dollars per share and dollars per share squared (``b >= B_FLOOR``).
    fitted_at : int
        Period at which it was estimated.
    level : tuple of float
        The window fit ``(a, b)`` before the seasonal shape.
    b_floored : bool
        Whether the window fit gave ``b < B_FLOOR`` (raised to the floor).
    source : str
        ``"window"`` or ``"window x history shape"``.
    """

    a: FloatArray
    b: FloatArray
    fitted_at: int
    level: tuple[float, float]
    b_floored: bool
    source: str


def pooled_book(
    px: FloatArray, sz: FloatArray, mid: FloatArray, side: Side
) -> tuple[FloatArray, FloatArray]:
    """The window's books merged into one "average period" book.

    Every level of every book becomes a segment of slope ``|p - mid|`` (against its own book's
    mid) and width ``size / T``; sorted by slope. Its walk cost at ``x`` shares is the cost per
    period of buying ``x`` shares in each of ``T`` periods like these when one may pick the
    cheapest levels among them (the window's own perfect-foresight optimum, divided by ``T``).

    Returns
    -------
    slopes, widths : ndarray (T L,)
        Non-decreasing slopes (dollars per share) and widths (shares).
    """
    ok = np.isfinite(mid) & (sz.sum(axis=1) > 0)
    px, sz, mid = px[ok], sz[ok], mid[ok]
    T = px.shape[0]
    if T == 0:
        raise DataError("no two-sided book with depth in the estimation window.")
    with np.errstate(invalid="ignore"):
        slope = px - mid[:, None] if side == "buy" else mid[:, None] - px
    present = sz > 0
    s, w = slope[present], sz[present] / T
    order = np.argsort(s, kind="stable")
    return s[order], w[order]


def _curve_cost(slopes: FloatArray, widths: FloatArray, x: FloatArray) -> FloatArray:
    """Walk cost of sizes ``x`` along one convex curve (sorted ``slopes``, ``widths``): the
    cumulative sums at the segment ends, then the partial segment; NaN beyond the curve's
    depth (as :func:`~execopt.impact.bookwalk.walk_cost` censors). O((L + K) log L) instead of
    a loop over the ``L`` segments, which for a pooled window of 30 books x 10 levels was the
    adaptive policy's slowest step.
    """
    from execopt.impact.bookwalk import DEPTH_ATOL

    cw = np.cumsum(widths)
    cc = np.cumsum(slopes * widths)
    k = np.searchsorted(cw, x, side="left")
    inside = k < cw.shape[0]
    kk = np.minimum(k, cw.shape[0] - 1)
    w0 = np.where(kk > 0, cw[kk - 1], 0.0)
    c0 = np.where(kk > 0, cc[kk - 1], 0.0)
    cost = c0 + slopes[kk] * (x - w0)
    depth = float(cw[-1]) if cw.shape[0] else 0.0
    cost = np.where(inside, cost, cc[-1] if cw.shape[0] else 0.0)
    return np.asarray(np.where(x > depth + DEPTH_ATOL, np.nan, cost), dtype=np.float64)


def fit_window(
    px: FloatArray,
    sz: FloatArray,
    mid: FloatArray,
    side: Side,
    x_max: float,
    how: Literal["pooled", "mean"] = "pooled",
) -> tuple[float, float]:
    """Fit ``a x + b x^2`` to a window of books ``px, sz, mid`` (T, L) on sizes ``<= x_max``.

    ``how="mean"`` fits the walks of the individual books (the average book's cost: what a
    period costs on average). ``how="pooled"`` fits the walk of :func:`pooled_book` (what a
    period costs to a policy that waits for the cheap levels of books like these: the forecast
    prices the option to wait). Books without a mid or depth are ignored; sizes beyond a book's
    depth are censored (dropped).

    Returns
    -------
    (a, b) : tuple of float
        Dollars per share, dollars per share squared, both ``>= 0``.

    Raises
    ------
    DataError
        When no book of the window can price two distinct sizes.
    """
    if how not in ("pooled", "mean"):
        raise InputError(f"how must be 'pooled' or 'mean', got {how!r}.")
    ok = np.isfinite(mid) & (sz.sum(axis=1) > 0)
    if not np.any(ok):
        raise DataError("no two-sided book with depth in the estimation window.")
    px, sz, mid = px[ok], sz[ok], mid[ok]
    if how == "pooled":
        s, w = pooled_book(px, sz, mid, side)
        depth0 = float(w.sum())
        xm = float(min(max(x_max, 2.0), max(depth0, 2.0)))
        x = size_grid(np.array([depth0]), N_SIZES, max_size=xm)
        if x.shape[0] < 2:
            x = np.array([1.0, 2.0])
        return quadratic_point_fit(x, _curve_cost(s, w, x)[None, :])
    depth = sz.sum(axis=1)
    xm = float(min(max(x_max, 2.0), max(float(np.median(depth)), 2.0)))
    x = size_grid(depth, N_SIZES, max_size=xm)
    if x.shape[0] < 2:
        x = np.array([1.0, 2.0])
    return quadratic_point_fit(x, walk_cost(px, sz, mid, x, side).cost)


_CACHE: weakref.WeakKeyDictionary[BookSeries, dict[tuple[Any, ...], Any]] = (
    weakref.WeakKeyDictionary()
)


def _cached(previous: BookSeries, key: tuple[Any, ...], make: Any) -> Any:
    """``make()`` once per ``(previous, key)`` in this process (earlier days are immutable)."""
    store = _CACHE.setdefault(previous, {})
    if key not in store:
        store[key] = make()
    return store[key]


def align_to_clock(
    values: FloatArray, clock_from: NDArray[np.intp], clock_to: NDArray[np.intp], what: str
) -> FloatArray:
    """``values`` (one per local minute of day ``clock_from``) at the minutes ``clock_to``.

    Raises
    ------
    DataError
        When a minute of ``clock_to`` is not in ``clock_from`` (the earlier days never covered
        it): named, never filled.
    """
    src = np.asarray(clock_from, dtype=np.intp)
    dst = np.asarray(clock_to, dtype=np.intp)
    k = np.searchsorted(src, dst)
    k = np.minimum(k, max(src.shape[0] - 1, 0))
    bad = src.shape[0] == 0 or bool(np.any(src[k] != dst))
    if bad:
        miss = dst if src.shape[0] == 0 else dst[src[k] != dst]
        h, m = divmod(int(miss[0]), 60)
        raise DataError(
            f"the earlier days' {what} has no value for {miss.shape[0]} of this order's minutes "
            f"(first {h:02d}:{m:02d}): the earlier days do not cover them. Pass earlier days "
            "that cover the order's minutes, or none."
        )
    return np.asarray(np.asarray(values, dtype=np.float64)[k])


def history_profile(previous: BookSeries, side: Side) -> ImpactProfile:
    """The earlier days' per-minute quadratic profile (rolling 30 minutes, no bootstrap),
    computed once per series and process; minutes pooled by local time of day.
    """
    return _cached(
        previous,
        ("profile", side),
        lambda: fit_profile(
            previous, side, "quadratic", method="rolling", window=30, n_boot=0, time_split=None
        ),
    )


def seasonal_shape(
    previous: BookSeries, side: Side, N: int, clock: NDArray[np.intp] | None = None
) -> tuple[FloatArray, FloatArray]:
    """Intraday shape of ``a_t`` and ``b_t`` (each with mean one over the earlier days) from
    earlier days, at the order's ``N`` minutes.

    Uses :func:`~execopt.impact.profiles.fit_profile` (rolling window of 60 minutes, Gaussian
    smoothing) on ``previous``; minutes pooled by time of day. With ``clock`` (local minutes
    after midnight of the order's periods) the shape is read at those minutes; without, the
    profile must have ``N`` minutes.

    Raises
    ------
    DataError
        If the profile does not cover the order's minutes or is zero everywhere.
    """

    def make() -> ImpactProfile:
        return fit_profile(
            previous,
            side,
            "quadratic",
            method="rolling",
            window=60,
            smoothing="gaussian",
            n_boot=0,
            time_split=None,
        )

    prof: ImpactProfile = _cached(previous, ("shape", side), make)
    a, b = np.asarray(prof.a, dtype=float), np.asarray(prof.b, dtype=float)
    if not (a.mean() > 0 and b.mean() > 0):
        raise DataError("the earlier days' impact profile is zero: cannot use it as a shape.")
    fa = np.maximum(a / a.mean(), 1e-3)
    fb = np.maximum(b / b.mean(), 1e-3)
    if clock is not None:
        mod = np.asarray(prof.minute_of_day)
        return (
            align_to_clock(fa, mod, clock, "impact profile"),
            align_to_clock(fb, mod, clock, "impact profile"),
        )
    if a.shape[0] != N:
        raise DataError(
            f"the earlier days give a {a.shape[0]}-minute profile but this day has {N} periods; "
            "pass earlier days with the same session."
        )
    return fa, fb


def make_forecast(
    level: tuple[float, float],
    periods: NDArray[np.intp],
    t: int,
    shape: tuple[FloatArray, FloatArray] | None = None,
    window: NDArray[np.intp] | None = None,
) -> CostForecast:
    """The forecast for ``periods`` from a window ``level`` and an optional seasonal ``shape``.

    With a shape, ``a_j = a_level * shape_a[j] / mean(shape_a[window])`` (and likewise ``b``): the
    window's level carried along the intraday pattern.
    """
    a0, b0 = level
    floored = b0 < B_FLOOR
    b0 = max(b0, B_FLOOR)
    if shape is None:
        a = np.full(periods.shape[0], a0)
        b = np.full(periods.shape[0], b0)
        return CostForecast(a, b, t, level, floored, "window")
    fa, fb = shape
    w = window if window is not None and window.size else np.array([t])
    a = a0 * fa[periods] / float(fa[w].mean())
    b = np.maximum(b0 * fb[periods] / float(fb[w].mean()), B_FLOOR)
    return CostForecast(a, b, t, level, floored, "window x history shape")


def volume_profile(
    previous: BookSeries | None,
    N: int,
    clock: NDArray[np.intp] | None = None,
    position: NDArray[np.intp] | None = None,
    session_length: int | None = None,
) -> tuple[FloatArray, str]:
    """Expected share of the order's volume in each of its ``N`` periods, and where it came from.

    Parameters
    ----------
    previous : BookSeries or None
        Earlier days (their minute volumes, averaged by local minute of day).
    N : int
        Periods of the order.
    clock : ndarray of int (N,), optional
        Local minutes after midnight of the periods: the earlier days' average is read there.
        Without it the earlier days must hold whole sessions of ``N`` minutes.
    position, session_length : optional
        Minute of each period within its session and the session's length: the U-shaped prior
        is taken at those positions (default ``0..N-1`` of ``N``).

    Returns
    -------
    weights : ndarray (N,)
        Non-negative, summing to one over the order's periods.
    source : str
        ``"history (D days)"`` or ``"U-shape prior (amplitude 1.5)"``.
    """
    if N < 1:
        raise InputError(f"N must be >= 1, got {N}.")
    if previous is not None:
        if clock is not None:
            snaps = previous.minute_snapshots()
            v = np.asarray(snaps.minute_volume(), dtype=float)
            assert snaps.minutes is not None
            index, mod = minute_of_day(snaps.minutes)
            D = len(snaps.minute_grid().day_slices())
            mean = np.bincount(index, weights=v, minlength=mod.shape[0]) / max(D, 1)
            w = align_to_clock(mean, mod, clock, "volume profile")
            if w.sum() > 0:
                return w / w.sum(), f"history ({D} day{'s' if D > 1 else ''})"
            raise DataError("the earlier days have no trades in this order's minutes.")
        v = np.asarray(previous.minute_volume(), dtype=float)
        if v.size % N != 0:  # not whole regular sessions: the data's own span
            v = np.asarray(previous.minute_volume(session=None), dtype=float)
        if v.size % N == 0 and v.sum() > 0:
            D = v.size // N
            w = v.reshape(D, N).mean(axis=0)
            return w / w.sum(), f"history ({D} day{'s' if D > 1 else ''})"
        raise DataError(
            f"the earlier days have {v.size} minutes of volume, not a multiple of N = {N} "
            "(or no trades); pass whole sessions."
        )
    L = int(session_length) if session_length is not None else N
    pos = np.asarray(position, dtype=np.intp) if position is not None else np.arange(N)
    w = intraday_shape(max(L, 1), VWAP_PRIOR_AMPLITUDE)[np.clip(pos, 0, max(L, 1) - 1)]
    return w / w.sum(), f"U-shape prior (amplitude {VWAP_PRIOR_AMPLITUDE})"
