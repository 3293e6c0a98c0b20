"""Temporary-impact cost models: small frozen dataclasses with two faces of one formula.

Each model gives the total cost, in dollars, of trading ``x`` shares in period ``t``:

=============================  ==========================================  ===============
model                          cost c_t(x)                                 convex when
=============================  ==========================================  ===============
:class:`QuadraticImpact`       a_t x + b_t x^2                             a_t, b_t >= 0
:class:`PowerLawImpact`        gamma_t x^(1+delta_t)  (``basis="per_share"``)  delta_t >= 0
                               gamma_t x^delta_t      (``basis="total"``)      delta_t >= 1
:class:`PiecewiseLinearImpact` sum_k slope_tk * clip(x - start_tk, 0, width_tk)  slopes non-decreasing
=============================  ==========================================  ===============

Every model offers ``cost(x)`` in NumPy (for SLSQP, differential evolution and the simulator),
``marginal(x)`` (the right derivative), ``expr(x)`` in cvxpy (imported lazily, only when a conic
solver is used) and ``supply(lam, cap)``: the cost-minimising quantity in each period when one more
share is worth ``lam`` dollars, ``argmin_{0<=x<=u_t} c_t(x) - lam x``. The last is what the exact
water-filling solver and the certificate's dual bound are built on.

Glossary: ``x`` shares per period, ``a`` dollars per share, ``b`` dollars per share squared,
``gamma`` and ``delta`` the power-law scale and exponent, ``lam`` the marginal cost of the last
share (dollars per share), ``u`` the per-period cap (shares), ``N`` the number of periods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt._validate import check_array
from execopt.errors import ConvexityError, InputError

if TYPE_CHECKING:  # pragma: no cover
    import cvxpy as cp

__all__ = [
    "TWO_READINGS",
    "ImpactModel",
    "PiecewiseLinearImpact",
    "PowerLawImpact",
    "QuadraticImpact",
]

FloatArray = NDArray[np.float64]
#: A model parameter: any array-like when constructed, a read-only float64 array afterwards.
Param = Any

TWO_READINGS = (
    "The seed's power law can be read two ways. Read as per-share slippage g(x) = gamma x^delta, "
    "the total cost is c(x) = gamma x^(1+delta), convex for delta >= 0: use "
    "PowerLawImpact(gamma, delta, basis='per_share'), which every convex solver accepts. Read "
    "literally as the total cost c(x) = gamma x^delta with delta < 1, the cost is concave: a convex "
    "solver cannot be applied (its answer would be meaningless); the true global optimum is a "
    "vertex (trade the cheapest periods up to their caps), which method='exact' gives for uncapped "
    "or uniformly capped problems, and method='slsqp' or 'de' show how local and global heuristics "
    "fare on it."
)


def _param(
    name: str, value: ArrayLike, *, lower: float | None, strict: bool = False, max_ndim: int = 2
) -> FloatArray:
    """Validate a scalar, 1-D (per period) or 2-D (per order and period, for ``solve_batch``)
    parameter; return it as a read-only float array."""
    check_array(name, value, max_ndim=None)  # input guard: None, str, bool, ragged lists
    arr = np.array(value, dtype=np.float64, copy=True)
    if arr.ndim > max_ndim:
        raise InputError(
            f"{name} must be a scalar, a 1-D array of length N (or (M, N) for solve_batch), got "
            f"shape {arr.shape}."
        )
    if arr.ndim == 1 and arr.size == 0:
        raise InputError(f"{name} is an empty array: give a scalar or one value per period.")
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(np.atleast_1d(arr)))
        raise InputError(
            f"{name} contains NaN or inf at index {bad[:5].tolist()}: every value must be finite; "
            "fill or drop those periods before building the model."
        )
    if lower is not None:
        viol = arr <= lower if strict else arr < lower
        if np.any(viol):
            where = np.flatnonzero(np.atleast_1d(viol))[:5].tolist()
            rel = ">" if strict else ">="
            raise InputError(
                f"{name} must be {rel} {lower:g} in every period; got {np.atleast_1d(arr)[where]} "
                f"at index {where}."
            )
    arr.flags.writeable = False
    return arr


def _length(*arrays: FloatArray) -> int | None:
    """Common number of periods of the array parameters (None when all are scalars)."""
    lengths = {a.shape[-1] for a in arrays if a.ndim >= 1}
    if len(lengths) > 1:
        raise InputError(f"time-varying parameters have different lengths {sorted(lengths)}.")
    return lengths.pop() if lengths else None


class ImpactModel:
    """Common interface of the cost models (see the module docstring)."""

    kind: str = "abstract"

    @property
    def periods(self) -> int | None:  # pragma: no cover - overridden
        """Length of the time-varying parameters, or None when they are all scalars."""
        raise NotImplementedError

    @property
    def is_convex(self) -> bool:
        return True

    @property
    def strictly_convex(self) -> bool:
        """Every period's cost is strictly convex (then ``supply`` is single-valued)."""
        return False

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Leading shape of 2-D parameters ((M,) for a batch of M orders, () otherwise)."""
        shapes = [
            np.shape(v)[:-1]
            for v in vars(self).values()
            if isinstance(v, np.ndarray) and v.ndim == 2
        ]
        return shapes[0] if shapes else ()

    def check_periods(self, N: int) -> None:
        """Raise :class:`InputError` unless the parameters fit an ``N``-period problem."""
        if self.batch_shape:
            raise InputError(
                f"{type(self).__name__} has 2-D (per-order) parameters of shape "
                f"{(*self.batch_shape, self.periods or 0)}: one problem needs scalars or length-N "
                "arrays; use solve_batch for many orders."
            )
        n = self.periods
        if n is not None and n != N:
            raise InputError(
                f"{type(self).__name__} has time-varying parameters of length {n} but the problem "
                f"has N = {N} periods: give one value per period or a scalar."
            )

    def cost(self, x: ArrayLike) -> FloatArray:  # pragma: no cover - overridden
        """Cost in dollars of trading ``x[..., t]`` shares in each period (same shape as x)."""
        raise NotImplementedError

    def marginal(self, x: ArrayLike) -> FloatArray:  # pragma: no cover - overridden
        """Right derivative of the cost, dollars per share."""
        raise NotImplementedError

    def marginal_left(self, x: ArrayLike) -> FloatArray:
        """Left derivative of the cost (equal to :meth:`marginal` for smooth models)."""
        return self.marginal(x)

    def supply(self, lam: float, cap: FloatArray) -> FloatArray:  # pragma: no cover
        """``argmin_{0<=x<=cap} c_t(x) - lam x`` per period (the smallest minimiser)."""
        raise NotImplementedError

    def supply_right(self, lam: float, cap: FloatArray) -> FloatArray:
        """The largest minimiser of ``c_t(x) - lam x`` (differs only on flat pieces)."""
        return self.supply(lam, cap)

    def expr(self, x: cp.Expression) -> cp.Expression:  # pragma: no cover - overridden
        """The same cost as a cvxpy expression, elementwise (length N)."""
        raise NotImplementedError

    def total_cost(self, x: ArrayLike) -> float | FloatArray:
        """Sum of :meth:`cost` over the last axis."""
        out = self.cost(x).sum(axis=-1)
        return float(out) if np.ndim(out) == 0 else out

    def cost_and_marginal(self, x: FloatArray) -> tuple[float, FloatArray]:
        """``(sum_t c_t(x_t), marginal(x))`` of one schedule (models may share the work)."""
        return float(self.cost(x).sum()), np.broadcast_to(self.marginal(x), x.shape)

    def params(self) -> dict[str, Any]:  # pragma: no cover - overridden
        """Parameters as JSON-ready Python values."""
        raise NotImplementedError


def _short(v: FloatArray) -> str:
    return f"{float(v):g}" if v.ndim == 0 else f"<array {v.shape}, mean {float(v.mean()):.4g}>"


def _as_x(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class QuadraticImpact(ImpactModel):
    """Quadratic temporary impact ``c_t(x) = a_t x + b_t x^2``, dollars.

    Per-share slippage is ``a_t + b_t x`` (the linear temporary impact of Almgren–Chriss).

    Parameters
    ----------
    a : float or array_like of shape (N,)
        Linear coefficient, dollars per share, ``>= 0`` (half-spread-like cost).
    b : float or array_like of shape (N,)
        Quadratic coefficient, dollars per share squared, ``>= 0``.

    Raises
    ------
    InputError
        If a parameter is NaN/inf, negative, or not scalar/1-D.

    Examples
    --------
    >>> m = QuadraticImpact(a=0.024, b=0.0012)
    >>> float(m.cost(100.0))
    14.4
    """

    a: Param = field()  # ArrayLike accepted; stored as a read-only float array
    b: Param = field()
    kind: str = field(default="quadratic", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "a", _param("a (dollars per share)", self.a, lower=0.0))
        object.__setattr__(self, "b", _param("b (dollars per share^2)", self.b, lower=0.0))
        _length(self.a, self.b)

    @property
    def periods(self) -> int | None:
        return _length(self.a, self.b)

    @cached_property
    def strictly_convex(self) -> bool:
        """Every ``b_t > 0`` (then each period's supply is linear in ``lam`` between its kinks)."""
        return bool(np.all(self.b > 0))

    def cost(self, x: ArrayLike) -> FloatArray:
        x = _as_x(x)
        return self.a * x + self.b * x * x

    def marginal(self, x: ArrayLike) -> FloatArray:
        return self.a + 2.0 * self.b * _as_x(x)

    def cost_and_marginal(self, x: FloatArray) -> tuple[float, FloatArray]:
        # bit-identical to cost(x).sum() and marginal(x) (2 b x == (b x) + (b x) exactly), so
        # every method's objective is summed the same way; b_t x_t is computed once
        h = self.b * x
        return float((self.a * x + h * x).sum()), self.a + (h + h)

    def supply(self, lam: float, cap: FloatArray) -> FloatArray:
        a, b = np.broadcast_arrays(self.a, self.b)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(
                b > 0, (lam - a) / (2.0 * np.where(b > 0, b, 1.0)), np.where(lam > a, np.inf, 0.0)
            )
        return np.clip(x, 0.0, cap)

    def supply_right(self, lam: float, cap: FloatArray) -> FloatArray:
        a, b = np.broadcast_arrays(self.a, self.b)
        flat = (b == 0) & (lam >= a)
        # let np.where broadcast: with scalar a, b the old broadcast_to(cap, a.shape) failed for
        # a length-N cap ("cannot broadcast a non-scalar to a scalar array")
        return np.where(flat, cap, self.supply(lam, cap))

    def expr(self, x: cp.Expression) -> cp.Expression:
        import cvxpy as cp

        return cp.multiply(self.a, x) + cp.multiply(self.b, cp.square(x))

    def params(self) -> dict[str, Any]:
        return {"model": "quadratic", "a": self.a.tolist(), "b": self.b.tolist()}

    def __repr__(self) -> str:
        return f"QuadraticImpact(a={_short(self.a)}, b={_short(self.b)})"


Basis = Literal["per_share", "total"]


@dataclass(frozen=True, eq=False)
class PowerLawImpact(ImpactModel):
    """Power-law impact with an explicit basis.

    ``basis="per_share"`` (default): per-share slippage ``gamma_t x^delta_t``, so the total cost is
    ``c_t(x) = gamma_t x^(1+delta_t)``, convex for ``delta_t >= 0``.

    ``basis="total"``: the total cost is ``c_t(x) = gamma_t x^delta_t``, convex only for
    ``delta_t >= 1``; for ``0 < delta < 1`` it is concave and :attr:`is_convex` is False (convex
    solvers refuse it with :class:`ConvexityError`, see :data:`TWO_READINGS`).

    Parameters
    ----------
    gamma : float or array_like of shape (N,)
        Scale, ``> 0``; dollars per share^(1+delta) (per-share basis) or per share^delta (total).
    delta : float or array_like of shape (N,)
        Exponent; ``>= 0`` for the per-share basis, ``> 0`` for the total basis.
    basis : {"per_share", "total"}
        Which quantity ``gamma x^delta`` describes.

    Examples
    --------
    >>> m = PowerLawImpact(gamma=0.015, delta=0.67)
    >>> round(float(m.cost(100.0)), 4)
    32.9962
    """

    gamma: Param = field()
    delta: Param = field()
    basis: Basis = "per_share"
    kind: str = field(default="power", init=False)

    def __post_init__(self) -> None:
        if self.basis not in ("per_share", "total"):
            raise InputError(
                f"basis must be 'per_share' or 'total', got {self.basis!r}. {TWO_READINGS}"
            )
        object.__setattr__(self, "gamma", _param("gamma", self.gamma, lower=0.0, strict=True))
        if self.basis == "per_share":
            d = _param("delta", self.delta, lower=0.0)
        else:
            d = _param("delta", self.delta, lower=0.0, strict=True)
        object.__setattr__(self, "delta", d)
        _length(self.gamma, self.delta)

    @property
    def periods(self) -> int | None:
        return _length(self.gamma, self.delta)

    @property
    def exponent(self) -> FloatArray:
        """The exponent ``p`` of the total cost ``gamma x^p``."""
        return self.delta + 1.0 if self.basis == "per_share" else self.delta

    @cached_property
    def single_exponent(self) -> float | None:
        """The exponent ``p`` when every period has the same one, else None."""
        p = np.ravel(self.exponent)
        return float(p[0]) if np.all(p == p[0]) else None

    @property
    def is_convex(self) -> bool:
        return bool(np.all(self.exponent >= 1.0))

    @cached_property
    def strictly_convex(self) -> bool:
        """Every exponent ``p_t > 1``."""
        return bool(np.all(self.exponent > 1.0))

    def require_convex(self) -> None:
        """Raise :class:`ConvexityError` if the cost is concave somewhere."""
        if not self.is_convex:
            raise ConvexityError(
                f"c(x) = gamma x^delta with delta = {np.min(self.delta):g} < 1 is concave (basis="
                f"'total'). {TWO_READINGS}"
            )

    def cost(self, x: ArrayLike) -> FloatArray:
        x = np.maximum(_as_x(x), 0.0)
        return self.gamma * np.power(x, self.exponent)

    def marginal(self, x: ArrayLike) -> FloatArray:
        x = np.maximum(_as_x(x), 0.0)
        p = self.exponent
        with np.errstate(divide="ignore"):
            return self.gamma * p * np.power(x, p - 1.0)

    def supply(self, lam: float, cap: FloatArray) -> FloatArray:
        self.require_convex()
        p = np.broadcast_to(self.exponent, np.broadcast(self.gamma, self.exponent).shape)
        g = np.broadcast_to(self.gamma, p.shape)
        if lam <= 0:
            return np.zeros(p.shape)
        lin = p == 1.0
        with np.errstate(divide="ignore", over="ignore"):
            x = np.power(lam / (g * p), 1.0 / np.where(lin, 1.0, p - 1.0))
        x = np.where(lin, np.where(lam > g, np.inf, 0.0), x)
        return np.clip(x, 0.0, cap)

    def supply_right(self, lam: float, cap: FloatArray) -> FloatArray:
        p = np.broadcast_to(self.exponent, np.broadcast(self.gamma, self.exponent).shape)
        g = np.broadcast_to(self.gamma, p.shape)
        flat = (p == 1.0) & (lam >= g)
        # np.where broadcasts scalar parameters against a length-N cap (see QuadraticImpact)
        return np.where(flat, cap, self.supply(lam, cap))

    def expr(self, x: cp.Expression) -> cp.Expression:
        import cvxpy as cp

        self.require_convex()
        p = np.atleast_1d(self.exponent)
        if p.size == 1:
            return cp.multiply(self.gamma, cp.power(x, float(p[0]), approx=False))
        # time-varying exponents: one exact power cone per distinct exponent
        terms = []
        for pv in np.unique(p):
            mask = (p == pv).astype(float)
            terms.append(
                cp.multiply(
                    mask * np.broadcast_to(self.gamma, p.shape),
                    cp.power(x, float(pv), approx=False),
                )
            )
        return cp.sum(terms) if len(terms) > 1 else terms[0]

    def params(self) -> dict[str, Any]:
        return {
            "model": "power",
            "gamma": self.gamma.tolist(),
            "delta": self.delta.tolist(),
            "basis": self.basis,
        }

    def __repr__(self) -> str:
        return f"PowerLawImpact(gamma={_short(self.gamma)}, delta={_short(self.delta)}, basis={self.basis!r})"


@dataclass(frozen=True, eq=False)
class PiecewiseLinearImpact(ImpactModel):
    """Convex piecewise-linear cost, e.g. the exact cost of walking a limit-order book.

    Period ``t`` has ``K`` segments; segment ``k`` costs ``slopes[t, k]`` dollars per share for
    the next ``widths[t, k]`` shares. For a book walk against the mid, ``slopes`` are the level
    prices minus the mid (dollars per share) and ``widths`` the level sizes (shares). Slopes must
    be non-decreasing in ``k`` (convexity). Trading more than ``capacity`` (the sum of widths, the
    visible depth) is outside the model's domain: the cost is ``inf`` there and the exact solver
    treats the capacity as a cap.

    Parameters
    ----------
    slopes : array_like of shape (K,) or (N, K)
        Dollars per share of each segment; a 1-D array is shared by every period.
    widths : array_like of shape (K,) or (N, K)
        Shares in each segment, ``>= 0``; the last may be ``inf`` (unbounded).

    Examples
    --------
    >>> m = PiecewiseLinearImpact(slopes=[0.01, 0.02], widths=[100, 200])
    >>> float(m.cost(150.0))
    2.0
    """

    slopes: Param = field()
    widths: Param = field()
    kind: str = field(default="piecewise", init=False)

    def __post_init__(self) -> None:
        check_array("slopes", self.slopes, max_ndim=None)  # input guards
        check_array("widths", self.widths, max_ndim=None)
        s = np.array(self.slopes, dtype=np.float64, copy=True)
        w = np.array(self.widths, dtype=np.float64, copy=True)
        if s.shape != w.shape or s.ndim not in (1, 2) or s.shape[-1] == 0:
            raise InputError(
                f"slopes and widths must have the same shape (K,) or (N, K) with K >= 1; got "
                f"{s.shape} and {w.shape}."
            )
        if not np.all(np.isfinite(s)):
            raise InputError(
                "slopes contain NaN or inf: pad unused segments with the last slope and width 0."
            )
        if np.any(np.isnan(w)) or np.any(w < 0):
            raise InputError("widths must be >= 0 and not NaN (shares per segment); use 0 to pad.")
        if np.any(np.isinf(w[..., :-1])):
            raise InputError("only the last segment of a period may have infinite width.")
        if np.any(np.diff(s, axis=-1) < -1e-12 * np.maximum(1.0, np.abs(s[..., 1:]))):
            raise ConvexityError(
                "slopes must be non-decreasing within each period for the cost to be convex; a book "
                "walk gives non-decreasing slopes unless the book is crossed or unsorted: sort the "
                "levels by price and drop crossed snapshots."
            )
        s = np.maximum.accumulate(s, axis=-1)  # remove rounding-level decreases
        s.flags.writeable = False
        w.flags.writeable = False
        object.__setattr__(self, "slopes", s)
        object.__setattr__(self, "widths", w)

    @property
    def periods(self) -> int | None:
        return int(self.slopes.shape[0]) if self.slopes.ndim == 2 else None

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return ()

    @property
    def starts(self) -> FloatArray:
        """Shares traded before each segment starts (same shape as ``widths``)."""
        c = np.cumsum(self.widths, axis=-1)
        return np.concatenate([np.zeros((*c.shape[:-1], 1)), c[..., :-1]], axis=-1)

    @property
    def capacity(self) -> FloatArray:
        """Visible depth per period, shares (``inf`` if the last segment is unbounded)."""
        return self.widths.sum(axis=-1)

    def cost(self, x: ArrayLike) -> FloatArray:
        x = _as_x(x)
        st, w, s = self.starts, self.widths, self.slopes
        filled = np.clip(x[..., None] - st, 0.0, w)
        c = (filled * s).sum(axis=-1)
        return np.where(x > self.capacity * (1 + 1e-12) + 1e-9, np.inf, c)

    def marginal(self, x: ArrayLike) -> FloatArray:
        x = _as_x(x)
        end = self.starts + self.widths
        if end.ndim == 1:
            idx = np.searchsorted(end, x, side="right")
        else:
            idx = (end <= x[..., None]).sum(axis=-1)
        K = self.slopes.shape[-1]
        s = self.slopes
        out = np.take_along_axis(
            np.broadcast_to(s, (*x.shape, K))
            if s.ndim == 1
            else np.broadcast_to(s, x.shape[:-1] + s.shape),
            np.minimum(idx, K - 1)[..., None],
            axis=-1,
        )[..., 0]
        return np.where(idx >= K, np.inf, out)

    def marginal_left(self, x: ArrayLike) -> FloatArray:
        x = _as_x(x)
        st = self.starts
        if st.ndim == 1:
            idx = np.searchsorted(st, x, side="left") - 1
        else:
            idx = (st < x[..., None]).sum(axis=-1) - 1
        K = self.slopes.shape[-1]
        s = self.slopes
        sb = (
            np.broadcast_to(s, (*x.shape, K))
            if s.ndim == 1
            else np.broadcast_to(s, x.shape[:-1] + s.shape)
        )
        out = np.take_along_axis(sb, np.clip(idx, 0, K - 1)[..., None], axis=-1)[..., 0]
        return np.where(idx < 0, -np.inf, out)

    def supply(self, lam: float, cap: FloatArray) -> FloatArray:
        w = np.where(self.slopes < lam, self.widths, 0.0)
        return np.minimum(w.sum(axis=-1), cap)

    def supply_right(self, lam: float, cap: FloatArray) -> FloatArray:
        w = np.where(self.slopes <= lam, self.widths, 0.0)
        return np.minimum(w.sum(axis=-1), cap)

    def expr(self, x: cp.Expression) -> cp.Expression:
        """Epigraph form: the maximum of the affine pieces (exact on ``0 <= x <= capacity``)."""
        import cvxpy as cp

        s, st, w = self.slopes, self.starts, self.widths
        # intercept of piece k: cost(start_k) - s_k start_k, with cost(start_k) = sum_{j<k} s_j w_j
        sw = np.where(w > 0, s * np.where(np.isfinite(w), w, 0.0), 0.0)
        before = np.cumsum(sw, axis=-1) - sw
        icpt = before - s * st
        K = s.shape[-1]
        X = cp.reshape(x, (x.shape[0], 1), order="F") @ np.ones((1, K))
        return cp.max(
            cp.multiply(np.broadcast_to(s, X.shape), X) + np.broadcast_to(icpt, X.shape), axis=1
        )

    def params(self) -> dict[str, Any]:
        w = np.where(np.isinf(self.widths), -1.0, self.widths)
        return {"model": "piecewise", "slopes": self.slopes.tolist(), "widths": w.tolist()}
