"""Quadratic temporary impact ``c_t(x) = a_t x + b_t x^2`` (linear per-share slippage).

Glossary: ``a`` dollars per share, ``b`` dollars per share squared, ``x`` shares per period,
``lam`` the marginal cost of the last share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from execopt.impact.base import (
    Canon,
    Cone,
    FloatArray,
    ImpactModel,
    LinearSupply,
    Param,
    Units,
    broadcast,
    common_length,
    param,
    param_and_min,
    per_period,
    register_model,
    short,
)

if TYPE_CHECKING:  # pragma: no cover
    import cvxpy as cp

__all__ = ["QuadraticImpact"]


@register_model
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
    >>> m.to_dict()
    {'model': 'quadratic', 'a': 0.024, 'b': 0.0012}
    """

    a: Param = field()  # ArrayLike accepted; stored as a read-only float array
    b: Param = field()
    kind: ClassVar[str] = "quadratic"
    cone: ClassVar[Cone] = "qp"

    def __post_init__(self) -> None:
        object.__setattr__(self, "a", param("a (dollars per share)", self.a, lower=0.0))
        b, b_min = param_and_min("b (dollars per share^2)", self.b, lower=0.0)
        object.__setattr__(self, "b", b)
        a = self.a
        n = common_length(a, b)
        d = self.__dict__  # facts known now, kept (each lazy property costs ~1 us on first use)
        d["periods"], d["strictly_convex"] = n, b_min > 0.0
        d["batch_shape"] = a.shape[:-1] if a.ndim == 2 else b.shape[:-1] if b.ndim == 2 else ()

    @cached_property
    def periods(self) -> int | None:
        return common_length(self.a, self.b)

    @cached_property
    def batch_shape(self) -> tuple[int, ...]:
        return (
            self.a.shape[:-1] if self.a.ndim == 2 else self.b.shape[:-1] if self.b.ndim == 2 else ()
        )

    @cached_property
    def strictly_convex(self) -> bool:
        """Every ``b_t > 0`` (then each period's supply is linear in ``lam`` between its kinks)."""
        return bool(self.b.min() > 0)

    def cost(self, x: ArrayLike) -> FloatArray:
        x = np.asarray(x, dtype=np.float64)
        return self.a * x + self.b * x * x

    def marginal(self, x: ArrayLike) -> FloatArray:
        return self.a + 2.0 * self.b * np.asarray(x, dtype=np.float64)

    def cost_and_marginal(self, x: FloatArray) -> tuple[float, FloatArray]:
        # bit-identical to cost(x).sum() and marginal(x) (2 b x == (b x) + (b x) exactly), so
        # every method's objective is summed the same way; b_t x_t is computed once
        a, b = self.a, self.b
        if a.shape == b.shape == x.shape and x.ndim == 1 and x.dtype == np.float64:
            from execopt._compiled import quadratic_cost_marginal

            c, g = quadratic_cost_marginal(a, b, x)  # one compiled pass, the same arithmetic
            return float(np.add.reduce(c)), g
        h = b * x
        return float(np.add.reduce(a * x + h * x)), a + (h + h)

    def supply(self, lam: ArrayLike, cap: FloatArray) -> FloatArray:
        a, b = np.broadcast_arrays(self.a, self.b)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(
                b > 0, (lam - a) / (2.0 * np.where(b > 0, b, 1.0)), np.where(lam > a, np.inf, 0.0)
            )
        return np.clip(x, 0.0, cap)

    def supply_right(self, lam: ArrayLike, cap: FloatArray) -> FloatArray:
        a, b = np.broadcast_arrays(self.a, self.b)
        flat = (b == 0) & (lam >= a)
        # np.where broadcasts scalar parameters against a length-N cap
        return np.where(flat, cap, self.supply(lam, cap))

    def curvature_floor(self, u: FloatArray) -> FloatArray:
        return np.broadcast_to(2.0 * self.b, np.shape(u)).astype(np.float64)

    def curvature(self, x: ArrayLike) -> FloatArray:
        return np.broadcast_to(2.0 * self.b, np.shape(x)).astype(np.float64)

    def diagonal_quadratic(self, N: int) -> tuple[FloatArray, FloatArray]:
        return per_period(self.a, N), per_period(self.b, N)

    def linear_rate(self, N: int) -> FloatArray | None:
        return per_period(self.a, N) if not np.any(self.b) else None

    def exact_kernel(self, N: int) -> LinearSupply | None:
        if not self.strictly_convex:
            return None
        shape = (*self.batch_shape, N)
        return LinearSupply(alpha=broadcast(0.5 / self.b, shape), z0=broadcast(self.a, shape))

    def canon(self, y: cp.Variable, N: int) -> Canon:
        import cvxpy as cp

        a_p = cp.Parameter(N, name="a", nonneg=True)
        rb_p = cp.Parameter(N, name="sqrt_b", nonneg=True)

        def load(m: Any, u: Units) -> None:
            a_p.value = np.broadcast_to(m.a * u.s / u.C, (N,)).copy()
            rb_p.value = np.broadcast_to(np.sqrt(m.b / u.C) * u.s, (N,)).copy()

        return Canon(a_p @ y + cp.sum_squares(cp.multiply(rb_p, y)), [], load)

    def __repr__(self) -> str:
        return f"QuadraticImpact(a={short(self.a)}, b={short(self.b)})"
