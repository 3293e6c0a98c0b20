"""Fitting impact models to walked (or simulated) costs, with bootstrap confidence intervals.

Two estimators follow the scikit-learn contract (``__init__`` stores settings, :meth:`fit`
returns ``self``, fitted attributes end in ``_``, only :attr:`model_` flows downstream):

* :class:`QuadraticFit`: ``c(x) = a x + b x^2`` with ``a, b >= 0`` enforced by non-negative least
  squares (the exact two-variable NNLS: the unconstrained solution if it is feasible, else the
  better of the two faces ``b = 0`` and ``a = 0``);
* :class:`PowerLawFit`: per-share slippage ``gamma x^delta``, i.e. ``c(x) = gamma x^(1+delta)``,
  ``gamma > 0``, ``delta`` in ``delta_bounds`` (default ``[0, 3]``), by nonlinear least squares on
  the costs themselves (not on logs): ``gamma`` is eliminated in closed form (variable
  projection), leaving a one-dimensional search over ``delta`` (a grid of step 0.005, then
  bounded Brent on the exact loss).

Weights
-------
``weights="per_share"`` (default) divides each dollar residual by ``x``: the fit is least squares
on per-share slippage ``c/x`` (dollars per share). A 1,000-share walk costs ~1,000 times a
1-share walk, so unweighted dollar residuals let the largest orders decide everything; per
share, an order of every size on the (log-spaced) grid counts alike, and the residual noise is
roughly homoscedastic (a level's price is a per-share quantity). ``weights="dollar"`` fits the
dollar costs unweighted (the largest orders dominate). :attr:`r2_`, :attr:`rmse_` and the
out-of-sample scores are in the fitting metric (dollars per share for ``"per_share"``);
:attr:`r2_dollar_` is the plain R² of the dollar costs (always high, since cost grows with size).

Uncertainty
-----------
Points from one snapshot (one book) are strongly correlated, so the bootstrap resamples
*snapshots* (``groups``), never single points, and the out-of-sample score fits on the first
``time_split`` share of snapshots in time order and scores the rest. Both are computed from
per-snapshot sufficient statistics (:class:`QuadraticStats`, :class:`PowerStats`): a resample
is a vector of snapshot counts, so every replicate solves in closed form (quadratic) or on the
precomputed ``delta`` grid (power). The same statistics give the per-minute profiles of
:mod:`execopt.impact.profiles` (a window is a vector of snapshot weights).

Censoring: NaN costs mark sizes the book could not price (beyond the visible depth, or a
one-sided book). They are dropped from the fit and counted in :attr:`censored_share_`.

Glossary: ``x`` shares, ``c`` dollars, ``a`` dollars per share, ``b`` dollars per share², ``gamma``
dollars per share^(1+delta), ``delta`` dimensionless, ``T`` snapshots, ``K`` sizes, ``B``
bootstrap replicates, ``W`` a (B, T) matrix of snapshot weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt.errors import DataError, InputError
from execopt.impact.bookwalk import Side, book_side, check_side, walk_cost
from execopt.impact.models import ImpactModel, PowerLawImpact, QuadraticImpact

if TYPE_CHECKING:  # pragma: no cover
    from execopt.data.book import BookSeries

__all__ = [
    "DELTA_BOUNDS",
    "DELTA_STEP",
    "FitData",
    "MinuteWalk",
    "ModelKind",
    "PowerLawFit",
    "PowerStats",
    "QuadraticFit",
    "QuadraticStats",
    "Weights",
    "fit_book",
    "make_estimator",
    "quadratic_point_fit",
    "size_grid",
    "walk_minutes",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
Weights = Literal["per_share", "dollar"]
ModelKind = Literal["quadratic", "power"]

#: Default range of the power-law exponent: per-share slippage from flat (0) to cubic (3).
DELTA_BOUNDS = (0.0, 3.0)
#: Step of the ``delta`` grid used by bootstrap replicates and as the start of the exact search.
DELTA_STEP = 0.005
#: Points per chunk when raising ``u`` to every grid exponent (bounds temporary memory ~16 MB).
_CHUNK = 2_000_000


# ----------------------------------------------------------------------------- data
@dataclass(frozen=True)
class FitData:
    """Flattened, validated observations (internal currency of the estimators).

    Attributes
    ----------
    x, cost : ndarray of shape (n,)
        Observed sizes (shares, > 0) and costs (dollars); censored points removed.
    group : ndarray of int, shape (n,)
        Snapshot index ``0..T-1`` of each point, in time order.
    T : int
        Number of snapshots (including any whose points were all censored).
    n_total, n_censored : int
        Points given and points dropped because their cost was NaN.
    """

    x: FloatArray
    cost: FloatArray
    group: IntArray
    T: int
    n_total: int
    n_censored: int

    @classmethod
    def from_arrays(cls, x: ArrayLike, cost: ArrayLike, groups: ArrayLike | None = None) -> FitData:
        """Validate ``(x, cost[, groups])`` in either layout :meth:`QuadraticFit.fit` accepts."""
        c = np.asarray(cost, dtype=np.float64)
        xs = np.asarray(x, dtype=np.float64)
        if c.ndim == 2:
            if groups is not None:
                raise InputError(
                    "groups is implied by a 2-D cost matrix (one row per snapshot); omit it."
                )
            T, K = c.shape
            if xs.shape == (K,):
                xs = np.broadcast_to(xs, (T, K))
            if xs.shape != (T, K):
                raise InputError(
                    f"with cost of shape (T, K) = {c.shape}, x must have shape ({K},) or {c.shape}, "
                    f"got {xs.shape}."
                )
            g = np.broadcast_to(np.arange(T)[:, None], (T, K)).ravel()
            xs, c = xs.ravel(), c.ravel()
        elif c.ndim == 1:
            if xs.shape != c.shape:
                raise InputError(
                    f"x and cost must have the same shape for 1-D input, got {xs.shape} and {c.shape}."
                )
            if groups is None:
                g = np.arange(c.shape[0])
                T = c.shape[0]
            else:
                gl = np.asarray(groups)
                if gl.shape != c.shape:
                    raise InputError(
                        f"groups must label every point, shape {c.shape}, got {gl.shape}."
                    )
                labels, g = np.unique(gl, return_inverse=True)
                T = labels.shape[0]
        else:
            raise InputError(
                f"cost must be 1-D (points) or 2-D (snapshots x sizes), got shape {c.shape}."
            )
        if not np.all(np.isfinite(xs)) or np.any(xs <= 0):
            raise InputError(
                "order sizes x must be finite and > 0 (shares); a zero-size order carries no "
                "information about impact, drop it."
            )
        if np.any(np.isinf(c)):
            raise InputError(
                "cost contains inf; mark unobservable (censored) costs with NaN instead."
            )
        ok = ~np.isnan(c)
        n_ok = int(ok.sum())
        if n_ok == 0:
            raise DataError(
                "every cost is NaN (censored): no size on the grid fits inside the visible depth; "
                "use smaller sizes."
            )
        xs, c, g = xs[ok], c[ok], np.asarray(g, dtype=np.intp)[ok]
        order = np.argsort(g, kind="stable")  # points sorted by snapshot (see _group_sum)
        xs, c, g = xs[order], c[order], g[order]
        if np.unique(xs).shape[0] < 2:
            raise DataError(
                "the observed costs span fewer than 2 distinct sizes: a two-parameter model cannot "
                "be identified; use a grid of several sizes."
            )
        return cls(
            np.ascontiguousarray(xs),
            np.ascontiguousarray(c),
            np.ascontiguousarray(g),
            int(T),
            int(ok.shape[0]),
            int((~ok).sum()),
        )


def _metric_weights(x: FloatArray, weights: str) -> FloatArray:
    """Squared-residual weights in the fitting metric."""
    if weights == "per_share":
        return 1.0 / (x * x)
    if weights == "dollar":
        return np.ones_like(x)
    raise InputError(f"weights must be 'per_share' or 'dollar', got {weights!r}.")


def _group_sum(values: FloatArray, group: IntArray, T: int) -> FloatArray:
    """Per-snapshot sums of ``values`` (n,) or (n, m) -> (T,) or (T, m); ``group`` sorted."""
    if values.ndim == 1:
        return np.asarray(np.bincount(group, weights=values, minlength=T), dtype=np.float64)
    out = np.zeros((T, values.shape[1]))
    if group.shape[0] == 0:
        return out
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    out[group[starts]] += np.add.reduceat(values, starts, axis=0)
    return out


# ----------------------------------------------------------------------------- statistics
class QuadraticStats:
    """Per-snapshot sufficient statistics of the weighted quadratic least-squares problem.

    With ``u = x / x_ref`` the loss of ``(a', b')`` under snapshot weights ``W_t`` is
    ``sum_t W_t sum_i w_i (c_i - a' u_i - b' u_i^2)^2``, a quadratic form in the per-snapshot
    sums of ``w u^2, w u^3, w u^4, w c u, w c u^2, w c^2``.

    Parameters
    ----------
    data : FitData
    weights : {"per_share", "dollar"}
    """

    names: ClassVar[tuple[str, str]] = ("a", "b")

    def __init__(self, data: FitData, weights: str) -> None:
        self.x_ref = float(np.max(data.x))
        u = data.x / self.x_ref
        w = _metric_weights(u, weights)
        c = data.cost
        cols = np.stack([w * u * u, w * u**3, w * u**4, w * c * u, w * c * u * u, w * c * c], 1)
        self.T = data.T
        self.sums = _group_sum(cols, data.group, data.T)  # (T, 6)

    def solve(self, W: ArrayLike) -> FloatArray:
        """NNLS solution ``(a, b)`` for each row of snapshot weights ``W`` (B, T) -> (B, 2).

        Rows whose weighted data are empty give NaN.
        """
        S = np.atleast_2d(np.asarray(W, dtype=np.float64)) @ self.sums
        G00, G01, G11, h0, h1, cc = S.T
        with np.errstate(divide="ignore", invalid="ignore"):
            det = G00 * G11 - G01 * G01
            ok_det = det > 1e-12 * G00 * G11
            a_u = np.where(ok_det, (G11 * h0 - G01 * h1) / det, np.nan)
            b_u = np.where(ok_det, (G00 * h1 - G01 * h0) / det, np.nan)
            cand = np.stack(
                [
                    np.stack([a_u, b_u], -1),
                    np.stack([np.maximum(h0, 0) / G00, np.zeros_like(h0)], -1),
                    np.stack([np.zeros_like(h1), np.maximum(h1, 0) / G11], -1),
                ],
                1,
            )  # (B, 3, 2)
            a, b = cand[..., 0], cand[..., 1]
            loss = (
                cc[:, None]
                - 2 * (a * h0[:, None] + b * h1[:, None])
                + a * a * G00[:, None]
                + 2 * a * b * G01[:, None]
                + b * b * G11[:, None]
            )
        feasible = np.isfinite(loss) & (a >= 0) & (b >= 0)
        loss = np.where(feasible, loss, np.inf)
        k = np.argmin(loss, axis=1)
        theta = cand[np.arange(cand.shape[0]), k]
        theta[~np.isfinite(loss[np.arange(cand.shape[0]), k])] = np.nan
        theta[G00 <= 0] = np.nan
        return theta / np.array([self.x_ref, self.x_ref**2])


class PowerStats:
    """Per-snapshot sufficient statistics of the weighted power-law least-squares problem.

    For a fixed exponent ``p = 1 + delta`` the loss ``sum w (c - g u^p)^2`` is minimised by
    ``g = sum w c u^p / sum w u^(2p)`` (if positive), leaving
    ``loss(delta) = sum w c^2 - (sum w c u^p)^2 / sum w u^(2p)``. The per-snapshot sums
    ``A[t, d] = sum w c u^p_d`` and ``B[t, d] = sum w u^(2 p_d)`` are kept on a ``delta`` grid.

    Parameters
    ----------
    data : FitData
    weights : {"per_share", "dollar"}
    delta_bounds : (float, float)
        Range of ``delta``; ``0 <= lo < hi``.
    """

    names: ClassVar[tuple[str, str]] = ("gamma", "delta")

    def __init__(
        self, data: FitData, weights: str, delta_bounds: tuple[float, float] = DELTA_BOUNDS
    ) -> None:
        lo, hi = (float(v) for v in delta_bounds)
        if not (np.isfinite(lo) and np.isfinite(hi) and 0.0 <= lo < hi):
            raise InputError(
                f"delta_bounds must be (lo, hi) with 0 <= lo < hi (a convex per-share power law "
                f"needs delta >= 0), got {delta_bounds!r}."
            )
        self.bounds = (lo, hi)
        self.x_ref = float(np.max(data.x))
        self.data = data
        self.weights = weights
        self.u = data.x / self.x_ref
        self.w = _metric_weights(self.u, weights)
        self.T = data.T
        n_grid = max(round((hi - lo) / DELTA_STEP) + 1, 3)
        self.grid = np.linspace(lo, hi, n_grid)
        self.C = _group_sum(self.w * data.cost**2, data.group, self.T)

    @cached_property
    def _grid_sums(self) -> tuple[FloatArray, FloatArray]:
        """``(A, B)`` of shape (T, D), computed on first use (profiles with a fixed ``delta``
        never need them).
        """
        D = self.grid.shape[0]
        A = np.zeros((self.T, D))
        B = np.zeros((self.T, D))
        logu = np.log(self.u)
        wc = self.w * self.data.cost
        step = max(1, _CHUNK // D)
        for i in range(0, logu.shape[0], step):
            sl = slice(i, i + step)
            up = np.exp(np.outer(logu[sl], 1.0 + self.grid))  # u^p, (chunk, D)
            A += _group_sum(wc[sl, None] * up, self.data.group[sl], self.T)
            B += _group_sum(self.w[sl, None] * up * up, self.data.group[sl], self.T)
        return A, B

    def _gamma_scale(self, delta: FloatArray) -> FloatArray:
        """Factor turning ``g`` (per ``u``) into ``gamma`` (per share): ``x_ref^-(1+delta)``."""
        return np.power(self.x_ref, -(1.0 + delta))

    def loss_grid(self, W: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``(loss, A, B)`` on the grid for each row of ``W`` (B, T) -> three (B, D) arrays."""
        Wm = np.atleast_2d(np.asarray(W, dtype=np.float64))
        As, Bs = self._grid_sums
        A, B, C = Wm @ As, Wm @ Bs, Wm @ self.C
        with np.errstate(divide="ignore", invalid="ignore"):
            loss = C[:, None] - np.where(A > 0, A * A / B, 0.0)
        return loss, A, B

    def solve(self, W: ArrayLike) -> FloatArray:
        """``(gamma, delta)`` for each row of ``W`` (B, T) -> (B, 2), on the grid refined by a
        parabola through the three grid points around the minimum (NaN for empty rows).
        """
        loss, A, B = self.loss_grid(W)
        n, D = loss.shape
        rows = np.arange(n)
        k = np.argmin(np.where(np.isfinite(loss), loss, np.inf), axis=1)
        kc = np.clip(k, 1, D - 1 - 1)
        l0, l1, l2 = loss[rows, kc - 1], loss[rows, kc], loss[rows, kc + 1]
        h = self.grid[1] - self.grid[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            curv = l0 - 2 * l1 + l2
            off = np.where(curv > 0, 0.5 * (l0 - l2) / curv, 0.0)
        interior = (k >= 1) & (k <= D - 2)
        off = np.where(interior, np.clip(off, -1.0, 1.0), 0.0)
        kk = np.where(interior, kc, k)
        delta = self.grid[kk] + off * h
        # log A and log B are smooth in delta: interpolate them through the same three points
        with np.errstate(divide="ignore", invalid="ignore"):
            lA = np.log(np.stack([A[rows, kc - 1], A[rows, kc], A[rows, kc + 1]], 1))
            lB = np.log(np.stack([B[rows, kc - 1], B[rows, kc], B[rows, kc + 1]], 1))
            t = off
            lag = np.stack([0.5 * t * (t - 1), 1 - t * t, 0.5 * t * (t + 1)], 1)
            g_int = np.exp((lA * lag).sum(1) - (lB * lag).sum(1))
            g_grid = np.where(A[rows, k] > 0, A[rows, k] / B[rows, k], 0.0)
        g = np.where(interior & np.isfinite(g_int), g_int, g_grid)
        out = np.stack([g * self._gamma_scale(delta), delta], 1)
        out[~np.isfinite(loss[rows, k])] = np.nan
        return out

    def point_loss(self, delta: float, point_w: FloatArray) -> tuple[float, float]:
        """Exact ``(loss, g)`` at ``delta`` with per-point weights ``point_w`` (n,)."""
        up = np.power(self.u, 1.0 + delta)
        ww = point_w * self.w
        A = float(np.sum(ww * self.data.cost * up))
        B = float(np.sum(ww * up * up))
        C = float(np.sum(ww * self.data.cost**2))
        g = A / B if A > 0 and B > 0 else 0.0
        return C - g * A, g

    def solve_exact(self, W: ArrayLike) -> FloatArray:
        """``(gamma, delta)`` for one weight vector ``W`` (T,) by bounded Brent on the exact loss
        around the best grid point -> (2,).
        """
        from scipy.optimize import minimize_scalar

        Wv = np.asarray(W, dtype=np.float64)
        loss, _, _ = self.loss_grid(Wv[None, :])
        k = int(np.argmin(np.where(np.isfinite(loss[0]), loss[0], np.inf)))
        pw = Wv[self.data.group]
        lo = self.grid[max(k - 1, 0)]
        hi = self.grid[min(k + 1, self.grid.shape[0] - 1)]
        res = minimize_scalar(
            lambda d: self.point_loss(float(d), pw)[0],
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-7},
        )
        cands = [(float(res.fun), float(res.x))] + [
            (self.point_loss(float(d), pw)[0], float(d)) for d in (lo, self.grid[k], hi)
        ]
        _, delta = min(cands)
        _, g = self.point_loss(delta, pw)
        return np.array([g * float(self._gamma_scale(np.array(delta))), delta])

    def gamma_at(self, W: ArrayLike, delta: float) -> FloatArray:
        """``gamma`` with ``delta`` held fixed, for each row of ``W`` (B, T) -> (B,)."""
        Wm = np.atleast_2d(np.asarray(W, dtype=np.float64))
        up = np.power(self.u, 1.0 + delta)
        a = _group_sum(self.w * self.data.cost * up, self.data.group, self.T)
        b = _group_sum(self.w * up * up, self.data.group, self.T)
        A, B = Wm @ a, Wm @ b
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(B > 0, np.maximum(A, 0.0) / B, np.nan)
        return g * float(self._gamma_scale(np.array(delta)))


# ----------------------------------------------------------------------------- estimators
def _check_fraction(name: str, v: float | None, allow_none: bool) -> None:
    if v is None and allow_none:
        return
    if v is None or not (0.0 < float(v) < 1.0):
        raise InputError(f"{name} must be a fraction strictly between 0 and 1, got {v!r}.")


class _ImpactFit:
    """Shared machinery of :class:`QuadraticFit` and :class:`PowerLawFit`."""

    kind: ClassVar[str] = "abstract"
    names: ClassVar[tuple[str, str]] = ("", "")
    #: Set by :func:`fit_book`: the size grid walked (shares), the side, and the minutes left
    #: out because they carry another minute's book.
    sizes_: FloatArray
    side_: str
    n_filled_minutes_: int

    def __init__(
        self,
        weights: Weights = "per_share",
        n_boot: int = 200,
        seed: int | np.random.Generator | None = 0,
        ci_level: float = 0.95,
        time_split: float | None = 0.6,
    ) -> None:
        self.weights = weights
        self.n_boot = n_boot
        self.seed = seed
        self.ci_level = ci_level
        self.time_split = time_split

    # --- hooks
    def _stats(self, data: FitData) -> QuadraticStats | PowerStats:  # pragma: no cover
        raise NotImplementedError

    def _solve_one(self, stats: Any, W: FloatArray) -> FloatArray:  # pragma: no cover
        raise NotImplementedError

    def _make_model(self, theta: FloatArray) -> ImpactModel:  # pragma: no cover
        raise NotImplementedError

    def _predict_theta(self, theta: FloatArray, x: FloatArray) -> FloatArray:  # pragma: no cover
        raise NotImplementedError

    def _validate(self) -> None:
        if self.weights not in ("per_share", "dollar"):
            raise InputError(f"weights must be 'per_share' or 'dollar', got {self.weights!r}.")
        if not isinstance(self.n_boot, (int, np.integer)) or self.n_boot < 0:
            raise InputError(f"n_boot must be an integer >= 0, got {self.n_boot!r}.")
        _check_fraction("ci_level", self.ci_level, allow_none=False)
        _check_fraction("time_split", self.time_split, allow_none=True)

    def _metric(
        self, x: FloatArray, c: FloatArray, chat: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Target and prediction in the fitting metric (per share or dollars)."""
        if self.weights == "per_share":
            return c / x, chat / x
        return c, chat

    @staticmethod
    def _r2(y: FloatArray, yhat: FloatArray) -> float:
        ss_tot = float(np.sum((y - y.mean()) ** 2))
        ss_res = float(np.sum((y - yhat) ** 2))
        return 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")

    def fit(self, x: ArrayLike, cost: ArrayLike, groups: ArrayLike | None = None) -> Self:
        """Fit the model; NaN costs are censored points (dropped and counted).

        Parameters
        ----------
        x : array_like
            Order sizes, shares, ``> 0``: shape (K,) or (T, K) with a 2-D ``cost``; shape (n,)
            with a 1-D ``cost``.
        cost : array_like of shape (T, K) or (n,)
            Dollar costs. 2-D: one row per snapshot, in time order (what :func:`walk_cost`
            returns). 1-D: one entry per point.
        groups : array_like of shape (n,), optional
            With 1-D input, the snapshot label of each point (sorted labels give time order);
            the bootstrap resamples whole groups. Default: every point is its own group.

        Returns
        -------
        self

        Raises
        ------
        InputError
            Bad shapes or settings, sizes ``<= 0``, infinite costs.
        DataError
            Too few observable points to identify the model (or, for the power law, no
            positive costs).
        """
        self._validate()
        data = FitData.from_arrays(x, cost, groups)
        stats = self._stats(data)
        T = data.T
        theta = self._solve_one(stats, np.ones(T))
        self._set_params(theta)
        self.model_ = self._make_model(theta)
        chat = self._predict_theta(theta, data.x)
        y, yhat = self._metric(data.x, data.cost, chat)
        self.r2_ = self._r2(y, yhat)
        self.rmse_ = float(np.sqrt(np.mean((y - yhat) ** 2)))
        self.r2_dollar_ = self._r2(data.cost, chat)
        self.n_obs_ = int(data.x.shape[0])
        self.n_snapshots_ = T
        self.n_censored_ = data.n_censored
        self.censored_share_ = data.n_censored / data.n_total
        self._bootstrap(stats, T, theta)
        self._out_of_sample(stats, data)
        return self

    def _set_params(self, theta: FloatArray) -> None:
        for name, v in zip(self.names, theta, strict=True):
            setattr(self, f"{name}_", float(v))
        self.params_ = {n: float(v) for n, v in zip(self.names, theta, strict=True)}

    def _bootstrap(self, stats: Any, T: int, theta: FloatArray) -> None:
        rng = np.random.default_rng(self.seed)
        B = int(self.n_boot)
        if B == 0 or T < 2:
            self.boot_ = np.empty((0, 2))
            self.n_boot_failed_ = 0
            self.ci_ = {n: (float("nan"), float("nan")) for n in self.names}
            return
        W = rng.multinomial(T, np.full(T, 1.0 / T), size=B).astype(np.float64)
        boot = stats.solve(W)
        ok = np.all(np.isfinite(boot), axis=1)
        self.boot_ = boot
        self.n_boot_failed_ = int((~ok).sum())
        alpha = 1.0 - float(self.ci_level)
        if ok.sum() < 2:
            self.ci_ = {n: (float("nan"), float("nan")) for n in self.names}
            return
        qs = np.quantile(boot[ok], [alpha / 2, 1 - alpha / 2], axis=0)
        self.ci_ = {n: (float(qs[0, i]), float(qs[1, i])) for i, n in enumerate(self.names)}

    def _out_of_sample(self, stats: Any, data: FitData) -> None:
        self.oos_rmse_ = float("nan")
        self.oos_r2_ = float("nan")
        self.oos_params_: dict[str, float] = {}
        self.n_train_snapshots_ = 0
        if self.time_split is None or data.T < 2:
            return
        n_train = min(max(int(np.floor(float(self.time_split) * data.T)), 1), data.T - 1)
        W = (np.arange(data.T) < n_train).astype(np.float64)
        test = data.group >= n_train
        if not np.any(test) or not np.any(~test):
            return
        try:
            theta = self._solve_one(stats, W)
        except DataError:
            return
        if not np.all(np.isfinite(theta)):
            return
        chat = self._predict_theta(theta, data.x[test])
        y, yhat = self._metric(data.x[test], data.cost[test], chat)
        self.oos_rmse_ = float(np.sqrt(np.mean((y - yhat) ** 2)))
        self.oos_r2_ = self._r2(y, yhat)
        self.oos_params_ = {n: float(v) for n, v in zip(self.names, theta, strict=True)}
        self.n_train_snapshots_ = n_train

    # --- scikit-learn-like helpers
    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise InputError(f"this {type(self).__name__} is not fitted yet: call fit(x, cost).")

    def predict(self, x: ArrayLike) -> FloatArray:
        """Fitted cost in dollars of trading ``x`` shares."""
        self._check_fitted()
        return self.model_.cost(x)

    def score(self, x: ArrayLike, cost: ArrayLike) -> float:
        """R² in the fitting metric on new data (NaN costs ignored)."""
        self._check_fitted()
        xs = np.asarray(x, dtype=np.float64)
        c = np.asarray(cost, dtype=np.float64)
        xs = np.broadcast_to(xs, c.shape)
        ok = ~np.isnan(c)
        y, yhat = self._metric(xs[ok], c[ok], self.model_.cost(xs[ok]))
        return self._r2(y, yhat)

    def summary(self) -> dict[str, Any]:
        """Fitted values as a JSON-ready dictionary."""
        self._check_fitted()
        return {
            "model": self.kind,
            "params": dict(self.params_),
            "ci": {k: [v[0], v[1]] for k, v in self.ci_.items()},
            "ci_level": float(self.ci_level),
            "r2": self.r2_,
            "r2_dollar": self.r2_dollar_,
            "rmse": self.rmse_,
            "weights": self.weights,
            "oos": {
                "time_split": self.time_split,
                "rmse": self.oos_rmse_,
                "r2": self.oos_r2_,
                "params": dict(self.oos_params_),
                "metric": "dollars per share" if self.weights == "per_share" else "dollars",
            },
            "censored_share": self.censored_share_,
            "n_obs": self.n_obs_,
            "n_snapshots": self.n_snapshots_,
            "n_boot": int(self.n_boot),
        }

    def __repr__(self) -> str:
        fitted = ", ".join(f"{k}={v:.4g}" for k, v in getattr(self, "params_", {}).items())
        settings = (
            f"weights={self.weights!r}, n_boot={self.n_boot}, seed={self.seed!r}, "
            f"ci_level={self.ci_level}, time_split={self.time_split}"
        )
        return f"{type(self).__name__}({settings}){' -> ' + fitted if fitted else ''}"


class QuadraticFit(_ImpactFit):
    """Fit ``c(x) = a x + b x^2`` with ``a, b >= 0`` (non-negative least squares).

    Parameters
    ----------
    weights : {"per_share", "dollar"}
        Fitting metric (see the module docstring). Default ``"per_share"``.
    n_boot : int
        Bootstrap replicates (snapshots resampled with replacement); 0 disables the CIs.
    seed : int, Generator or None
        Randomness of the bootstrap.
    ci_level : float
        Confidence level of the percentile intervals.
    time_split : float or None
        Share of snapshots (in time order) to fit on for the out-of-sample score; None skips it.

    Attributes
    ----------
    a_, b_ : float
        Dollars per share and dollars per share².
    params_ : dict
    ci_ : dict of (float, float)
        Percentile bootstrap intervals of ``a`` and ``b``.
    boot_ : ndarray of shape (n_boot, 2)
    r2_, rmse_ : float
        In-sample, in the fitting metric. ``r2_dollar_``: R² of the dollar costs.
    oos_rmse_, oos_r2_ : float
        Fit on the first ``time_split`` of snapshots, scored on the rest (fitting metric).
    censored_share_ : float
        Share of points whose cost was NaN (beyond the visible depth or unpriced).
    n_obs_, n_snapshots_ : int
    model_ : QuadraticImpact

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 10.0, 100.0])
    >>> fit = QuadraticFit(n_boot=0).fit(x, 0.02 * x + 0.001 * x**2)
    >>> round(fit.a_, 6), round(fit.b_, 6)
    (0.02, 0.001)
    """

    kind: ClassVar[str] = "quadratic"
    names: ClassVar[tuple[str, str]] = ("a", "b")
    a_: float
    b_: float

    def _stats(self, data: FitData) -> QuadraticStats:
        return QuadraticStats(data, self.weights)

    def _solve_one(self, stats: Any, W: FloatArray) -> FloatArray:
        theta: FloatArray = stats.solve(W[None, :])[0]
        if not np.all(np.isfinite(theta)):
            raise DataError("no observable cost carries weight: cannot fit a quadratic model.")
        return theta

    def _make_model(self, theta: FloatArray) -> QuadraticImpact:
        return QuadraticImpact(a=float(theta[0]), b=float(theta[1]))

    def _predict_theta(self, theta: FloatArray, x: FloatArray) -> FloatArray:
        return theta[0] * x + theta[1] * x * x


def quadratic_point_fit(
    x: ArrayLike, cost: ArrayLike, weights: Weights = "per_share"
) -> tuple[float, float]:
    """The point estimate ``(a, b)`` of :class:`QuadraticFit` alone (the same least squares,
    ``a, b >= 0``), without the diagnostics, bootstrap and out-of-sample score: for callers
    that refit often (the adaptive policy's forecast).

    Raises
    ------
    DataError
        When no observable cost carries weight.

    Examples
    --------
    >>> x = [100.0, 200.0, 400.0]
    >>> a, b = quadratic_point_fit(x, [[0.02 * v + 1e-4 * v * v for v in x]])
    >>> round(a, 6), round(b, 8)
    (0.02, 0.0001)
    """
    data = FitData.from_arrays(x, cost, None)
    theta = QuadraticStats(data, weights).solve(np.ones((1, data.T)))[0]
    if not np.all(np.isfinite(theta)):
        raise DataError("no observable cost carries weight: cannot fit a quadratic model.")
    return float(theta[0]), float(theta[1])


class PowerLawFit(_ImpactFit):
    """Fit per-share slippage ``gamma x^delta`` (cost ``gamma x^(1+delta)``) by NLS on costs.

    Parameters
    ----------
    weights, n_boot, seed, ci_level, time_split
        As in :class:`QuadraticFit`.
    delta_bounds : (float, float)
        Range of ``delta`` (default ``(0, 3)``); ``delta >= 0`` keeps the cost convex.

    Attributes
    ----------
    gamma_, delta_ : float
        Dollars per share^(1+delta) and the exponent of per-share slippage.
    at_bound_ : bool
        ``delta_`` lies on a bound of ``delta_bounds`` (the bound, not the data, decided it).
    ci_, boot_, r2_, rmse_, r2_dollar_, oos_rmse_, oos_r2_, censored_share_, n_obs_, model_
        As in :class:`QuadraticFit`; ``model_`` is a per-share :class:`PowerLawImpact`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 10.0, 100.0, 1000.0])
    >>> fit = PowerLawFit(n_boot=0).fit(x, 0.015 * x**1.67)
    >>> round(fit.gamma_, 6), round(fit.delta_, 6)
    (0.015, 0.67)
    """

    kind: ClassVar[str] = "power"
    names: ClassVar[tuple[str, str]] = ("gamma", "delta")
    gamma_: float
    delta_: float

    def __init__(
        self,
        weights: Weights = "per_share",
        n_boot: int = 200,
        seed: int | np.random.Generator | None = 0,
        ci_level: float = 0.95,
        time_split: float | None = 0.6,
        delta_bounds: tuple[float, float] = DELTA_BOUNDS,
    ) -> None:
        super().__init__(weights, n_boot, seed, ci_level, time_split)
        self.delta_bounds = delta_bounds

    def _stats(self, data: FitData) -> PowerStats:
        return PowerStats(data, self.weights, self.delta_bounds)

    def _solve_one(self, stats: Any, W: FloatArray) -> FloatArray:
        theta: FloatArray = stats.solve_exact(W)
        if not (np.isfinite(theta[0]) and theta[0] > 0):
            raise DataError(
                "no positive weighted costs: a power law gamma x^(1+delta) needs gamma > 0; check "
                "the sign of the costs (against the mid, a walk costs > 0 unless the book is "
                "crossed)."
            )
        return theta

    def fit(self, x: ArrayLike, cost: ArrayLike, groups: ArrayLike | None = None) -> Self:
        super().fit(x, cost, groups)
        lo, hi = (float(v) for v in self.delta_bounds)
        tol = 1e-6 * max(1.0, hi - lo)
        self.at_bound_ = bool(self.delta_ <= lo + tol or self.delta_ >= hi - tol)
        return self

    fit.__doc__ = _ImpactFit.fit.__doc__

    def _make_model(self, theta: FloatArray) -> PowerLawImpact:
        return PowerLawImpact(gamma=float(theta[0]), delta=float(theta[1]), basis="per_share")

    def _predict_theta(self, theta: FloatArray, x: FloatArray) -> FloatArray:
        return theta[0] * np.power(x, 1.0 + theta[1])

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        out["basis"] = "per_share"
        out["delta_bounds"] = [float(v) for v in self.delta_bounds]
        out["at_bound"] = self.at_bound_
        return out


def make_estimator(model: ModelKind, **settings: Any) -> QuadraticFit | PowerLawFit:
    """A :class:`QuadraticFit` or :class:`PowerLawFit` with ``settings``.

    ``delta_bounds`` (a power-law setting) may be passed for either model so that callers can
    forward one set of settings; the quadratic model has no exponent and does not use it.
    """
    if model == "quadratic":
        settings.pop("delta_bounds", None)
        return QuadraticFit(**settings)
    if model == "power":
        return PowerLawFit(**settings)
    raise InputError(f"model must be 'quadratic' or 'power', got {model!r}.")


# ----------------------------------------------------------------------------- books
def size_grid(depth: ArrayLike, n_sizes: int = 40, max_size: float | None = None) -> FloatArray:
    """Log-spaced whole-share order sizes from 1 to the typical visible depth.

    Parameters
    ----------
    depth : array_like
        Visible depth per snapshot, shares.
    n_sizes : int
        Points of the log grid before rounding to whole shares (duplicates are removed).
    max_size : float, optional
        Largest size; default the median visible depth (so larger sizes are censored in
        roughly half of the snapshots: the censoring is reported, not hidden).
    """
    d = np.asarray(depth, dtype=np.float64)
    if max_size is None:
        pos = d[np.isfinite(d) & (d > 0)]
        if pos.size == 0:
            raise DataError("the book has no visible depth on this side: nothing to walk.")
        max_size = float(np.median(pos))
    if not np.isfinite(max_size) or max_size < 2:
        raise InputError(f"max_size must be a number of shares >= 2, got {max_size!r}.")
    if int(n_sizes) < 2:
        raise InputError(f"n_sizes must be >= 2, got {n_sizes!r}.")
    return np.unique(np.round(np.geomspace(1.0, max_size, int(n_sizes))))


@dataclass(frozen=True)
class MinuteWalk:
    """The walked costs of a book's minute snapshots that hold a book state of their own.

    Attributes
    ----------
    x : ndarray of shape (K,)
        Order sizes, shares.
    cost : ndarray of shape (T, K)
        Walked costs, dollars (NaN: beyond the visible depth, or a one-sided book).
    rows : ndarray of int, shape (T,)
        Positions of these snapshots among ``book.minute_snapshots()``.
    n_minutes : int
        Minutes in the session(s).
    n_filled : int
        Minutes left out because they hold no book state of their own (the snapshot was
        carried forward from an earlier minute, or the minute is missing: see
        :mod:`execopt.data.grid`): counting a copied book again would shrink every confidence
        interval for nothing.
    snapshots : BookSeries
        ``book.minute_snapshots()``.
    """

    x: FloatArray
    cost: FloatArray
    rows: IntArray
    n_minutes: int
    n_filled: int
    snapshots: Any


def walk_minutes(
    book: BookSeries,
    side: Side = "buy",
    sizes: ArrayLike | None = None,
    n_sizes: int = 40,
) -> MinuteWalk:
    """Walk every minute snapshot of ``book`` that has its own book state on a size grid.

    Parameters
    ----------
    book : BookSeries
    side : {"buy", "sell"}
    sizes : array_like, optional
        Order sizes, shares; default :func:`size_grid` of the side's visible depth.
    n_sizes : int
        Size-grid points when ``sizes`` is None.

    Raises
    ------
    DataError
        If no minute holds a book state of its own.
    """
    side = check_side(side)
    snaps = book.minute_snapshots()
    if snaps.grid is not None:
        own = np.asarray(snaps.grid.observed)
    elif snaps.minutes is not None:  # a per-minute series built by hand: its own times
        ts = np.asarray(snaps.ts, dtype="datetime64[ns]")
        start = np.asarray(snaps.minutes, dtype="datetime64[ns]")
        own = (ts >= start) & (ts < start + np.timedelta64(60_000_000_000, "ns"))
    else:  # pragma: no cover - minute_snapshots always sets minutes
        own = np.ones(len(snaps), dtype=bool)
    rows = np.flatnonzero(own)
    if rows.size == 0:
        raise DataError(
            "no minute of the session holds a book state of its own (the data lie outside the "
            "session?); check the book's time span."
        )
    px, sz, mid = book_side(snaps, side)
    x = size_grid(sz[rows].sum(axis=1), n_sizes) if sizes is None else np.asarray(sizes, float)
    walk = walk_cost(px[rows], sz[rows], mid[rows], x, side)
    return MinuteWalk(x, walk.cost, rows, len(snaps), int(len(snaps) - rows.size), snaps)


def fit_book(
    book: BookSeries,
    side: Side = "buy",
    model: ModelKind = "quadratic",
    sizes: ArrayLike | None = None,
    *,
    n_sizes: int = 40,
    weights: Weights = "per_share",
    n_boot: int = 200,
    seed: int | np.random.Generator | None = 0,
    ci_level: float = 0.95,
    time_split: float | None = 0.6,
    delta_bounds: tuple[float, float] = DELTA_BOUNDS,
) -> QuadraticFit | PowerLawFit:
    """Walk every minute snapshot of ``book`` on a size grid and fit a whole-day model.

    Parameters
    ----------
    book : BookSeries
        Any book series; its minute snapshots (one per period) are walked.
    side : {"buy", "sell"}
        ``"buy"`` walks the asks, ``"sell"`` the bids.
    model : {"quadratic", "power"}
    sizes : array_like, optional
        Order sizes, shares; default :func:`size_grid` (log-spaced from 1 share to the median
        visible depth of the side).
    n_sizes, weights, n_boot, seed, ci_level, time_split, delta_bounds
        See :func:`size_grid`, :class:`QuadraticFit` and :class:`PowerLawFit`.

    Returns
    -------
    QuadraticFit or PowerLawFit
        Fitted; ``censored_share_`` counts the grid points beyond each snapshot's depth (and any
        one-sided snapshots), which are dropped from the fit. Minutes without a book state of
        their own (forward- or back-filled) are left out and counted in ``n_filled_minutes_``.
        Also sets ``sizes_`` and ``side_``.
    """
    walk = walk_minutes(book, side, sizes, n_sizes)
    est = make_estimator(
        model,
        weights=weights,
        n_boot=n_boot,
        seed=seed,
        ci_level=ci_level,
        time_split=time_split,
        delta_bounds=delta_bounds,
    )
    est.fit(walk.x, walk.cost)
    est.sizes_ = walk.x
    est.side_ = check_side(side)
    est.n_filled_minutes_ = walk.n_filled
    return est
