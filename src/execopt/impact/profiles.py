"""Time-varying impact profiles: ``a_t, b_t`` (or ``gamma_t``) for every minute of the day.

Liquidity varies through the day (wide spreads and thin books at the open, deeper books at
midday), and only that variation makes an optimal schedule beat equal allocation (for the same
convex cost every minute, ``S/N`` is optimal). A profile estimates one model per minute ``t``
from the walked costs of the snapshots near ``t``, each snapshot ``s`` weighted by a kernel
``K[t, s]``:

=================  ==============  ============================================================
method             smoothing       weights / values
=================  ==============  ============================================================
``"rolling"``      ``"none"``      flat window of ``window`` minutes centred on ``t`` (cut at the
                                   open and the close)
``"rolling"``      ``"gaussian"``  Gaussian kernel, standard deviation ``window / 4`` minutes
``"buckets"``      ``"none"``      one fit per ``bucket_minutes`` block; minutes get their
                                   block's values (a step function)
``"buckets"``      ``"linear"``    the block fits interpolated linearly between block centres
=================  ==============  ============================================================

Every per-minute fit is the same constrained least squares as the whole-day fit (see
:mod:`execopt.impact.estimation`): ``a_t, b_t >= 0`` by NNLS; for the power law ``delta`` is held
at its whole-day value and ``gamma_t > 0`` is the closed-form least-squares scale. With several
days, minutes are pooled by time of day. :meth:`ImpactProfile.model` gives the length-``N``
model that :class:`~execopt.problem.ExecutionProblem` takes directly.

Glossary: ``N`` minutes per day, ``T`` snapshots, ``K`` the (N, T) kernel, ``m_s`` the
minute-of-day index of snapshot ``s``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt.errors import DataError, InputError
from execopt.impact.bookwalk import Side, check_side
from execopt.impact.estimation import (
    DELTA_BOUNDS,
    FitData,
    ModelKind,
    PowerLawFit,
    PowerStats,
    QuadraticFit,
    QuadraticStats,
    Weights,
    make_estimator,
    walk_minutes,
)
from execopt.impact.models import PowerLawImpact, QuadraticImpact

if TYPE_CHECKING:  # pragma: no cover
    from execopt.data.book import BookSeries

__all__ = [
    "ImpactProfile",
    "ProfileMethod",
    "Smoothing",
    "fit_profile",
    "fit_profile_costs",
    "minute_of_day",
    "profile_kernel",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
ProfileMethod = Literal["rolling", "buckets"]
Smoothing = Literal["none", "gaussian", "linear"]

_SMOOTHINGS: dict[str, tuple[str, ...]] = {
    "rolling": ("none", "gaussian"),
    "buckets": ("none", "linear"),
}


@dataclass(frozen=True, eq=False)
class ImpactProfile:
    """Per-minute impact parameters (immutable), and the whole-day fit they came with.

    Attributes
    ----------
    kind : {"quadratic", "power"}
    side : {"buy", "sell"}
    method, smoothing : str
        How the minutes were fitted (see the module docstring).
    window, bucket_minutes : int
        Kernel settings, minutes.
    params : mapping of str to ndarray of shape (N,)
        ``a`` (dollars per share) and ``b`` (dollars per share²), or ``gamma`` and ``delta``
        (``delta`` constant, the whole-day value).
    minute_of_day : ndarray of int, shape (N,)
        Local minutes after midnight of each period (570 = 09:30 New York) when known, else
        ``0..N-1``.
    n_points : ndarray of shape (N,)
        Kernel-weighted number of observed points behind each minute's fit.
    whole_day : QuadraticFit or PowerLawFit
        The whole-day fit (with bootstrap CIs) on the same walked costs.
    """

    kind: str
    side: str
    method: str
    smoothing: str
    window: int
    bucket_minutes: int
    params: Mapping[str, FloatArray]
    minute_of_day: IntArray
    n_points: FloatArray
    whole_day: QuadraticFit | PowerLawFit = field(repr=False)

    def __post_init__(self) -> None:
        p = {k: np.array(v, dtype=np.float64) for k, v in self.params.items()}
        for v in p.values():
            v.flags.writeable = False
        object.__setattr__(self, "params", MappingProxyType(p))
        for name in ("minute_of_day", "n_points"):
            arr = np.array(getattr(self, name))
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    @property
    def periods(self) -> int:
        """``N``, the number of minutes."""
        return int(self.minute_of_day.shape[0])

    def _param(self, name: str) -> FloatArray:
        if name not in self.params:
            raise AttributeError(
                f"a {self.kind} profile has no {name!r}; it has {', '.join(self.params)}."
            )
        return self.params[name]

    @property
    def a(self) -> FloatArray:
        """``a_t``, dollars per share (quadratic profiles)."""
        return self._param("a")

    @property
    def b(self) -> FloatArray:
        """``b_t``, dollars per share² (quadratic profiles)."""
        return self._param("b")

    @property
    def gamma(self) -> FloatArray:
        """``gamma_t``, dollars per share^(1+delta) (power-law profiles)."""
        return self._param("gamma")

    @property
    def delta(self) -> FloatArray:
        """``delta`` repeated per minute: the whole-day exponent (power-law profiles)."""
        return self._param("delta")

    def model(self) -> QuadraticImpact | PowerLawImpact:
        """The length-``N`` model, ready for ``ExecutionProblem(S, impact=..., periods=N)``."""
        if self.kind == "quadratic":
            return QuadraticImpact(a=self.params["a"], b=self.params["b"])
        return PowerLawImpact(
            gamma=self.params["gamma"], delta=float(self.params["delta"][0]), basis="per_share"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the per-minute values and how they were made."""
        out: dict[str, Any] = {k: v.tolist() for k, v in self.params.items()}
        if self.kind == "power":
            out["delta"] = float(self.params["delta"][0])
        out.update(
            method=self.method,
            smoothing=self.smoothing,
            window=self.window,
            bucket_minutes=self.bucket_minutes,
            minute_of_day=self.minute_of_day.tolist(),
        )
        return out


def minute_of_day(minutes: ArrayLike, tz: str = "America/New_York") -> tuple[IntArray, IntArray]:
    """Index of each snapshot's time of day, and the local minutes after midnight of each index.

    Parameters
    ----------
    minutes : array_like of datetime64
        UTC minute starts of the snapshots (``BookSeries.minutes``).
    tz : str
        Exchange time zone.

    Returns
    -------
    index : ndarray of int, shape (T,)
        ``0..N-1``; equal for the same clock time on different days.
    clock : ndarray of int, shape (N,)
        Local minutes after midnight of each index.
    """
    import pandas as pd

    idx = pd.DatetimeIndex(np.asarray(minutes, dtype="datetime64[ns]"))
    local = idx.tz_localize("UTC").tz_convert(tz)
    mod = np.asarray(local.hour * 60 + local.minute, dtype=np.intp)
    clock, index = np.unique(mod, return_inverse=True)
    return index.astype(np.intp), clock.astype(np.intp)


def profile_kernel(
    index: ArrayLike,
    N: int,
    method: ProfileMethod = "rolling",
    window: int = 30,
    bucket_minutes: int = 30,
    smoothing: Smoothing = "none",
) -> FloatArray:
    """Snapshot weights of each fit, shape (N, T) for rolling, (n_buckets, T) for buckets.

    Parameters
    ----------
    index : array_like of int, shape (T,)
        Minute-of-day index ``0..N-1`` of each snapshot.
    N : int
        Minutes per day.
    method, window, bucket_minutes, smoothing
        See the module docstring.
    """
    m = np.asarray(index, dtype=np.intp)
    t = np.arange(N)
    if method == "rolling":
        if smoothing == "none":
            lo = t - (window - 1) // 2
            hi = t + window // 2
            return ((m[None, :] >= lo[:, None]) & (m[None, :] <= hi[:, None])).astype(float)
        h = window / 4.0
        d = m[None, :] - t[:, None]
        return np.exp(-0.5 * (d / h) ** 2)
    n_b = -(-N // bucket_minutes)
    return (m[None, :] // bucket_minutes == np.arange(n_b)[:, None]).astype(float)


def _check_settings(method: str, smoothing: str, window: int, bucket_minutes: int) -> None:
    if method not in _SMOOTHINGS:
        raise InputError(f"method must be 'rolling' or 'buckets', got {method!r}.")
    if smoothing not in _SMOOTHINGS[method]:
        raise InputError(
            f"smoothing={smoothing!r} does not apply to method={method!r}; choose one of "
            f"{', '.join(repr(s) for s in _SMOOTHINGS[method])} (rolling: 'none' flat window or "
            "'gaussian' kernel; buckets: 'none' step or 'linear' interpolation)."
        )
    for name, v in (("window", window), ("bucket_minutes", bucket_minutes)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise InputError(f"{name} must be a whole number of minutes >= 1, got {v!r}.")


def fit_profile_costs(
    x: ArrayLike,
    cost: ArrayLike,
    index: ArrayLike | None = None,
    *,
    N: int | None = None,
    model: ModelKind = "quadratic",
    method: ProfileMethod = "rolling",
    window: int = 30,
    bucket_minutes: int = 30,
    smoothing: Smoothing = "none",
    weights: Weights = "per_share",
    n_boot: int = 200,
    seed: int | np.random.Generator | None = 0,
    ci_level: float = 0.95,
    time_split: float | None = 0.6,
    delta_bounds: tuple[float, float] = DELTA_BOUNDS,
    side: Side = "buy",
    clock: ArrayLike | None = None,
) -> ImpactProfile:
    """Per-minute profile from a cost matrix (one row per snapshot, NaN = censored).

    Parameters
    ----------
    x : array_like of shape (K,)
        Order sizes, shares.
    cost : array_like of shape (T, K)
        Walked costs, dollars, rows in time order.
    index : array_like of int, shape (T,), optional
        Minute-of-day index of each row (default ``0..T-1``: one day, one row per minute).
    N : int, optional
        Minutes per day (default ``max(index) + 1``).
    model, method, window, bucket_minutes, smoothing
        See the module docstring.
    weights, n_boot, seed, ci_level, time_split, delta_bounds
        Settings of the whole-day fit (see :class:`~execopt.impact.estimation.QuadraticFit`).
    side : {"buy", "sell"}
        Recorded in the result.
    clock : array_like of int, shape (N,), optional
        Local minutes after midnight of each index (default ``0..N-1``).

    Returns
    -------
    ImpactProfile

    Raises
    ------
    InputError
        Unknown method/smoothing combination, bad window, bad shapes.
    DataError
        A minute whose window holds no observable cost (widen ``window``/``bucket_minutes``).
    """
    _check_settings(method, smoothing, window, bucket_minutes)
    side = check_side(side)
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise InputError(f"cost must have shape (T, K), one row per snapshot; got {c.shape}.")
    T = c.shape[0]
    m = np.arange(T) if index is None else np.asarray(index, dtype=np.intp)
    if m.shape != (T,) or (T and m.min() < 0):
        raise InputError(f"index must hold one minute index >= 0 per row, shape ({T},).")
    N = int(m.max()) + 1 if N is None else int(N)
    if T and m.max() >= N:
        raise InputError(f"index values must be < N = {N}.")
    whole = make_estimator(
        model,
        weights=weights,
        n_boot=n_boot,
        seed=seed,
        ci_level=ci_level,
        time_split=time_split,
        delta_bounds=delta_bounds,
    ).fit(x, c)
    data = FitData.from_arrays(x, c)
    Kmat = profile_kernel(m, N, method, window, bucket_minutes, smoothing)
    pts = np.bincount(data.group, minlength=T).astype(float)
    n_points = Kmat @ pts
    params: dict[str, FloatArray]
    if model == "quadratic":
        theta = QuadraticStats(data, weights).solve(Kmat)
        values = theta
    else:
        assert isinstance(whole, PowerLawFit)
        gamma = PowerStats(data, weights, delta_bounds).gamma_at(Kmat, whole.delta_)
        values = np.stack([gamma, np.full_like(gamma, whole.delta_)], 1)
    bad = ~np.all(np.isfinite(values), axis=1) | (n_points <= 0)
    if model == "power":
        bad |= ~(values[:, 0] > 0)
    if np.any(bad):
        where = np.flatnonzero(bad)[:5].tolist()
        unit = "window" if method == "rolling" else "bucket"
        raise DataError(
            f"{int(bad.sum())} {unit}(s) (first {where}) hold no observable positive cost: "
            f"widen {'window' if method == 'rolling' else 'bucket_minutes'} or use smaller sizes."
        )
    if method == "buckets":
        n_b = Kmat.shape[0]
        starts = np.arange(n_b) * bucket_minutes
        centres = (starts + np.minimum(starts + bucket_minutes, N) - 1) / 2.0
        t = np.arange(N)
        if smoothing == "linear":
            values = np.stack([np.interp(t, centres, values[:, j]) for j in range(2)], 1)
            n_points = np.interp(t, centres, n_points)
        else:
            values, n_points = values[t // bucket_minutes], n_points[t // bucket_minutes]
    names = whole.names
    params = {names[0]: values[:, 0], names[1]: values[:, 1]}
    clk = np.arange(N) if clock is None else np.asarray(clock, dtype=np.intp)
    if clk.shape != (N,):
        raise InputError(f"clock must have one entry per minute, shape ({N},), got {clk.shape}.")
    return ImpactProfile(
        kind=model,
        side=side,
        method=method,
        smoothing=smoothing,
        window=int(window),
        bucket_minutes=int(bucket_minutes),
        params=params,
        minute_of_day=clk,
        n_points=n_points,
        whole_day=whole,
    )


def fit_profile(
    book: BookSeries,
    side: Side = "buy",
    model: ModelKind = "quadratic",
    method: ProfileMethod = "rolling",
    window: int = 30,
    bucket_minutes: int = 30,
    smoothing: Smoothing = "none",
    *,
    sizes: ArrayLike | None = None,
    n_sizes: int = 40,
    tz: str = "America/New_York",
    **settings: Any,
) -> ImpactProfile:
    """Walk the minute snapshots of ``book`` and fit a per-minute profile.

    Parameters
    ----------
    book : BookSeries
    side : {"buy", "sell"}
        ``"buy"`` walks the asks, ``"sell"`` the bids.
    model : {"quadratic", "power"}
    method, window, bucket_minutes, smoothing
        See the module docstring.
    sizes : array_like, optional
        Order sizes (default :func:`~execopt.impact.estimation.size_grid`: 1 share to the
        median visible depth, log-spaced).
    n_sizes : int
        Size-grid points when ``sizes`` is None.
    tz : str
        Exchange time zone (pools minutes by local time of day over several days).
    **settings
        ``weights``, ``n_boot``, ``seed``, ``ci_level``, ``time_split``, ``delta_bounds`` of the
        whole-day fit.

    Returns
    -------
    ImpactProfile
        ``N`` = minutes per session (390 for a US regular day); ``whole_day.sizes_`` holds the
        size grid. Minutes without a book state of their own are not fitted on (see
        :func:`~execopt.impact.estimation.walk_minutes`); they get values from their window's
        other minutes, and a window without any raises :class:`DataError`.
    """
    side = check_side(side)
    _check_settings(method, smoothing, window, bucket_minutes)
    walk = walk_minutes(book, side, sizes, n_sizes)
    if walk.snapshots.minutes is not None:
        index, clock = minute_of_day(walk.snapshots.minutes, tz)
    else:  # pragma: no cover - minute_snapshots always sets minutes
        index, clock = np.arange(walk.n_minutes), np.arange(walk.n_minutes)
    prof = fit_profile_costs(
        walk.x,
        walk.cost,
        index[walk.rows],
        N=int(clock.shape[0]),
        model=model,
        method=method,
        window=window,
        bucket_minutes=bucket_minutes,
        smoothing=smoothing,
        side=side,
        clock=clock,
        **settings,
    )
    prof.whole_day.sizes_ = walk.x
    prof.whole_day.side_ = side
    prof.whole_day.n_filled_minutes_ = walk.n_filled
    return prof
