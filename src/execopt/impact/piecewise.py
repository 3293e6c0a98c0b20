"""Convex piecewise-linear cost: the exact cost of walking a limit-order book.

Glossary: ``slopes[t, k]`` dollars per share of segment ``k`` in period ``t`` (level price minus
the mid for a book walk), ``widths[t, k]`` shares in it (the level size), ``K`` segments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from execopt.errors import ConvexityError, InputError
from execopt.impact.base import (
    Canon,
    Cone,
    FloatArray,
    ImpactModel,
    Param,
    Segments,
    Units,
    register_model,
)

if TYPE_CHECKING:  # pragma: no cover
    import cvxpy as cp

__all__ = ["PiecewiseLinearImpact"]

#: A point more than this (relative, plus 1e-9 shares absolute) beyond the visible depth costs
#: ``inf``; within it, the depth itself is charged (the feasibility tolerance of a certificate).
DEPTH_RTOL = 1e-12


def _array(name: str, v: Any) -> FloatArray:
    if isinstance(v, (str, bytes, bool)) or v is None:
        raise InputError(f"{name} must be an array of numbers, got {type(v).__name__}.")
    try:
        return np.array(v, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be an array of numbers ({exc}).") from None


@register_model
@dataclass(frozen=True, eq=False)
class PiecewiseLinearImpact(ImpactModel):
    """Convex piecewise-linear cost, e.g. the exact cost of walking a limit-order book.

    Period ``t`` has ``K`` segments; segment ``k`` costs ``slopes[t, k]`` dollars per share for
    the next ``widths[t, k]`` shares. For a book walk against the mid, ``slopes`` are the level
    prices minus the mid (dollars per share) and ``widths`` the level sizes (shares). Slopes must
    be non-decreasing in ``k`` (convexity). Trading more than ``capacity`` (the sum of widths, the
    visible depth) is outside the model's domain: the cost is ``inf`` there and the problem
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
    kind: ClassVar[str] = "piecewise"
    cone: ClassVar[Cone] = "lp"
    smooth: ClassVar[bool] = False

    def __post_init__(self) -> None:
        s = _array("slopes", self.slopes)
        w = _array("widths", self.widths)
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

    @cached_property
    def starts(self) -> FloatArray:
        """Shares traded before each segment starts (same shape as ``widths``)."""
        c = np.cumsum(self.widths[..., :-1], axis=-1)
        out = np.concatenate([np.zeros((*c.shape[:-1], 1)), c], axis=-1)
        out.flags.writeable = False
        return out

    @cached_property
    def capacity(self) -> FloatArray:
        """Visible depth per period, shares (``inf`` if the last segment is unbounded)."""
        out = self.widths.sum(axis=-1)
        if isinstance(out, np.ndarray):
            out.flags.writeable = False
        return out

    def _depth_tol(self) -> FloatArray:
        return self.capacity * DEPTH_RTOL + 1e-9

    def cost(self, x: ArrayLike) -> FloatArray:
        """Dollars; ``x`` within the depth tolerance beyond the depth is charged the full depth,
        further beyond it costs ``inf``.
        """
        x = np.asarray(x, dtype=np.float64)
        st, w, s = self.starts, self.widths, self.slopes
        filled = np.clip(x[..., None] - st, 0.0, w)
        c = (filled * s).sum(axis=-1)
        return np.where(x > self.capacity + self._depth_tol(), np.inf, c)

    def _slope_at(self, idx: Any, x: FloatArray) -> FloatArray:
        K = self.slopes.shape[-1]
        s = self.slopes
        sb = (
            np.broadcast_to(s, (*x.shape, K))
            if s.ndim == 1
            else np.broadcast_to(s, x.shape[:-1] + s.shape)
        )
        return np.take_along_axis(sb, np.clip(idx, 0, K - 1)[..., None], axis=-1)[..., 0]

    def marginal(self, x: ArrayLike) -> FloatArray:
        x = np.asarray(x, dtype=np.float64)
        end = self.starts + self.widths
        if end.ndim == 1:
            idx = np.searchsorted(end, x, side="right")
        else:
            idx = (end <= x[..., None]).sum(axis=-1)
        return np.where(idx >= self.slopes.shape[-1], np.inf, self._slope_at(idx, x))

    def marginal_left(self, x: ArrayLike) -> FloatArray:
        x = np.asarray(x, dtype=np.float64)
        st = self.starts
        if st.ndim == 1:
            idx = np.searchsorted(st, x, side="left") - 1
        else:
            idx = (st < x[..., None]).sum(axis=-1) - 1
        return np.where(idx < 0, -np.inf, self._slope_at(idx, x))

    def curvature(self, x: ArrayLike) -> FloatArray:
        """0: the cost is linear on every segment (its kinks have no second derivative)."""
        x = np.asarray(x, dtype=np.float64)
        return np.zeros(np.broadcast_shapes(x.shape, self.capacity.shape))

    def supply(self, lam: ArrayLike, cap: FloatArray) -> FloatArray:
        lam_a = np.asarray(lam, dtype=np.float64)
        lam_k = lam_a[..., None] if lam_a.ndim else lam_a
        w = np.where(self.slopes < lam_k, self.widths, 0.0)
        return np.minimum(w.sum(axis=-1), cap)

    def supply_right(self, lam: ArrayLike, cap: FloatArray) -> FloatArray:
        lam_a = np.asarray(lam, dtype=np.float64)
        lam_k = lam_a[..., None] if lam_a.ndim else lam_a
        w = np.where(self.slopes <= lam_k, self.widths, 0.0)
        return np.minimum(w.sum(axis=-1), cap)

    def exact_kernel(self, N: int) -> Segments:
        return Segments(self.slopes, self.widths)

    def structure_key(self) -> tuple[Any, ...]:
        return (self.kind, self.slopes.shape[-1])

    def canon(self, y: cp.Variable, N: int) -> Canon:
        """Segment form: ``z_tk`` shares from segment ``k`` of period ``t``, ``0 <= z_tk <= w_tk``,
        cost ``sum_tk s_tk z_tk``.

        The epigraph form ``max_k(s_tk y_t + c_tk)`` is the same LP, but OSQP stalled on it
        (200,000 iterations, objective gaps ~4e-4); box constraints suit ADMM. The caps truncate
        the segments (``z_tk <= clip(u_t - start_tk, 0, w_tk)``), so ``y >= 0`` and ``y <= u``
        follow and are left out (redundant rows slow ADMM down).
        """
        import cvxpy as cp

        K = self.slopes.shape[-1]
        Z = cp.Variable((N, K), name="z")
        sl_p = cp.Parameter((N, K), name="slopes")
        w_p = cp.Parameter((N, K), name="widths", nonneg=True)

        def load(m: Any, u: Units) -> None:
            sl_p.value = np.broadcast_to(m.slopes * u.s / u.C, (N, K)).copy()
            # truncate each period's segments at its cap and at S (no period can exceed S: this
            # also bounds an infinite last width exactly)
            top = np.minimum(u.upper, u.S)[:, None]
            st = np.broadcast_to(m.starts, (N, K))
            w_p.value = np.clip(top - st, 0.0, np.broadcast_to(m.widths, (N, K))) / u.s

        cons = [cp.sum(Z, axis=1) == y, Z >= 0, Z <= w_p]
        return Canon(
            cp.sum(cp.multiply(sl_p, Z)), cons, load, implies_nonneg=True, enforces_caps=True
        )

    def __repr__(self) -> str:
        return f"PiecewiseLinearImpact(K={self.slopes.shape[-1]}, shape={self.slopes.shape})"
