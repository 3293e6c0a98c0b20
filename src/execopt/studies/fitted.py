"""Parameter distributions fitted from books: a snapshot bootstrap of the per-minute profile.

:func:`execopt.impact.profiles.fit_profile` fits ``a_t, b_t`` for every minute from the walked
costs of the snapshots in a rolling window. Its uncertainty comes from the snapshots themselves,
so :func:`profile_bootstrap` resamples snapshots with replacement (one multinomial count vector
per replicate, as the whole-day bootstrap of :class:`~execopt.impact.estimation.QuadraticFit`
does) and refits every minute with the same kernel: each replicate is a full ``(a_t, b_t)``
profile, and the replicates keep the correlation between ``a_t`` and ``b_t`` and between nearby
minutes. The point estimate is the profile fitted on the original snapshots.

:func:`book_distribution` builds one for a synthetic preset (seeded, anywhere) or for the real
FROG day (when the data folder is present).

Glossary: ``T`` snapshots, ``N`` minutes, ``B`` replicates, ``K`` the (N, T) kernel, ``W`` the
snapshot counts of one replicate.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from execopt.data import DEFAULT_MAX_DROP, BookSeries, find_data_root, frog_day_file
from execopt.data import load_book as load
from execopt.errors import DataError, InputError
from execopt.impact.bookwalk import Side, book_side, walk_cost
from execopt.impact.estimation import FitData, QuadraticStats, Weights, size_grid
from execopt.impact.models import QuadraticImpact
from execopt.impact.profiles import minute_of_day, profile_kernel
from execopt.studies.uncertainty import BootstrapParameters

__all__ = ["B_FLOOR_REL", "Source", "book_distribution", "load_book", "profile_bootstrap"]

Source = Literal["synthetic", "real"]

#: A minute whose refit has ``b_t = 0`` (the NNLS face: its costs look linear) is floored at this
#: fraction of the median ``b`` so the exact batch solver applies; the count is reported.
B_FLOOR_REL = 1e-6


def profile_bootstrap(
    book: BookSeries,
    *,
    side: Side = "buy",
    window: int = 30,
    n_boot: int = 200,
    seed: int | np.random.SeedSequence = 0,
    n_sizes: int = 40,
    weights: Weights = "per_share",
    source: str = "",
) -> BootstrapParameters:
    """Per-minute ``(a_t, b_t)`` bootstrap replicates of a rolling-window profile fit.

    Parameters
    ----------
    book : BookSeries
        One or more days; its minute snapshots are walked on a log-spaced size grid.
    side : {"buy", "sell"}
    window : int
        Rolling window, minutes (flat kernel, as ``fit_profile(method="rolling")``).
    n_boot : int
        Replicates ``B``.
    seed : int or SeedSequence
    n_sizes : int
        Points of the size grid (1 share to the median visible depth).
    weights : {"per_share", "dollar"}
        Fitting metric.
    source : str
        Label for :meth:`BootstrapParameters.describe`.

    Returns
    -------
    BootstrapParameters
        Draws of shape (B', N) (replicates with an unfittable minute dropped, and counted in
        ``notes``); ``point`` is the profile fitted on the original snapshots.

    Raises
    ------
    DataError
        When the point profile itself cannot be fitted (a window without observable costs).
    """
    if n_boot < 2:
        raise InputError(f"n_boot must be >= 2 for a bootstrap, got {n_boot}.")
    snaps = book.minute_snapshots()
    px, sz, mid = book_side(snaps, side)
    x = size_grid(sz.sum(axis=1), n_sizes)
    walk = walk_cost(px, sz, mid, x, side)
    if snaps.minutes is None:  # pragma: no cover - minute_snapshots always sets minutes
        raise DataError("the minute snapshots carry no minute stamps.")
    index, clock = minute_of_day(snaps.minutes)
    N = int(clock.shape[0])
    data = FitData.from_arrays(x, walk.cost)
    K = profile_kernel(index, N, "rolling", window)
    stats = QuadraticStats(data, weights)
    point = stats.solve(K)
    if not np.all(np.isfinite(point)):
        raise DataError(
            f"the point profile has {int((~np.isfinite(point)).any(axis=1).sum())} unfittable "
            "minute(s): widen the window."
        )
    T = data.T
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(T, np.full(T, 1.0 / T), size=n_boot).astype(np.float64)
    draws = np.stack([stats.solve(K * w[None, :]) for w in counts])  # (B, N, 2)
    ok = np.all(np.isfinite(draws), axis=(1, 2))
    notes = []
    if not ok.all():
        notes.append(f"{int((~ok).sum())} of {n_boot} replicates dropped (a minute unfittable)")
    A, Bm = draws[ok, :, 0], draws[ok, :, 1]
    floor = B_FLOOR_REL * float(np.median(point[:, 1]))
    low = Bm < floor
    if np.any(low):
        notes.append(
            f"{int(low.sum())} of {Bm.size} replicate-minutes had b_t below {floor:.3g} (NNLS "
            "face b = 0) and were floored there"
        )
        Bm = np.maximum(Bm, floor)
    pa, pb = point[:, 0], np.maximum(point[:, 1], floor)
    if np.any(point[:, 1] < floor):
        notes.append(f"{int((point[:, 1] < floor).sum())} point-estimate minute(s) floored")
    return BootstrapParameters(
        A,
        Bm,
        point=QuadraticImpact(a=pa, b=pb),
        source=source or f"snapshot bootstrap of a {window}-minute rolling profile",
        notes=tuple(notes),
    )


def load_book(
    stock: str, source: Source, seed: int = 0, *, max_drop: float = DEFAULT_MAX_DROP
) -> BookSeries:
    """A synthetic book for ``stock`` (seeded) or the real FROG day.

    Both come from :func:`execopt.data.load_book`; the book's ``validation`` says what was
    read, kept and dropped.

    Raises
    ------
    DataError
        ``source="real"`` without the data folder (set ``EXECOPT_DATA``), a stock other
        than FROG (the only full real day available), or more than ``max_drop`` of the real
        day's rows dropped by validation.
    """
    if source == "synthetic":
        return load(stock.upper(), seed=seed, preset=True)[0]
    if source == "real":
        if stock.upper() != "FROG":
            raise DataError(f"the only full real day is FROG 2025-04-03; no real day for {stock}.")
        root = find_data_root()
        if root is None:
            raise DataError(
                "no real data: set EXECOPT_DATA to the folder with mbp10/FROG_2025-04-03.csv.gz "
                "(or run from the repository next to ../shared/data)."
            )
        return load(frog_day_file(root), max_drop=max_drop, preset=False)[0]
    raise InputError(f"source must be 'synthetic' or 'real', got {source!r}.")


def book_distribution(
    stock: str = "FROG",
    source: Source = "synthetic",
    *,
    seed: int = 0,
    n_boot: int = 200,
    window: int = 30,
    book: BookSeries | None = None,
    max_drop: float = DEFAULT_MAX_DROP,
) -> BootstrapParameters:
    """:func:`profile_bootstrap` of a synthetic or the real book of ``stock`` (buy side).

    ``book``: that book instead of loading it (:func:`load_book` with ``max_drop``), e.g. one
    a command loaded to report its validation.
    """
    if book is None:
        book = load_book(stock, source, seed, max_drop=max_drop)
    label = (
        f"{stock.upper()} synthetic book (seed {seed})"
        if source == "synthetic"
        else "FROG 2025-04-03 (real MBP-10)"
    )
    return profile_bootstrap(
        book,
        window=window,
        n_boot=n_boot,
        seed=np.random.SeedSequence(seed),
        source=f"{label}: snapshot bootstrap of the {window}-minute rolling profile",
    )
