"""Power-law impact with an explicit basis: per-share slippage ``gamma x^delta`` or total cost.

Glossary: ``gamma`` the scale, ``delta`` the exponent as given, ``p`` the exponent of the total
cost (``1 + delta`` on the per-share basis, ``delta`` on the total basis), ``x`` shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike

from execopt.errors import ConvexityError, InputError
from execopt.impact.base import (
    OPTION,
    Canon,
    Cone,
    FloatArray,
    ImpactModel,
    LinearSupply,
    Param,
    Units,
    common_length,
    param,
    per_period,
    register_model,
    short,
)

if TYPE_CHECKING:  # pragma: no cover
    import cvxpy as cp

__all__ = ["TWO_READINGS", "Basis", "PowerLawImpact"]

TWO_READINGS = (
    "The power law g(x) = gamma x^delta can be read two ways. Read as per-share slippage, "
    "the total cost is c(x) = gamma x^(1+delta), convex for delta >= 0: use "
    "PowerLawImpact(gamma, delta, basis='per_share'), which every convex solver accepts. Read "
    "literally as the total cost c(x) = gamma x^delta with delta < 1, the cost is concave: a convex "
    "solver cannot be applied (its answer would be meaningless); the true global optimum is a "
    "vertex (trade the cheapest periods up to their caps), which method='exact' gives for uncapped "
    "or uniformly capped problems, and method='slsqp' or 'de' show how local and global heuristics "
    "fare on it."
)

Basis = Literal["per_share", "total"]

#: Exponents that cvxpy writes without a power cone (linear, and a square that OSQP can take).
NON_CONE_EXPONENTS = (1.0, 2.0)


@register_model
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
    32.8164
    """

    gamma: Param = field()
    delta: Param = field()
    basis: Basis = field(default="per_share", metadata=OPTION)
    kind: ClassVar[str] = "power"

    def __post_init__(self) -> None:
        if self.basis not in ("per_share", "total"):
            raise InputError(
                f"basis must be 'per_share' or 'total', got {self.basis!r}. {TWO_READINGS}"
            )
        object.__setattr__(self, "gamma", param("gamma", self.gamma, lower=0.0, strict=True))
        strict = self.basis == "total"
        object.__setattr__(self, "delta", param("delta", self.delta, lower=0.0, strict=strict))
        common_length(self.gamma, self.delta)

    @cached_property
    def periods(self) -> int | None:
        return common_length(self.gamma, self.delta)

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
    def cone(self) -> Cone:  # type: ignore[override]
        """``"qp"`` when every exponent is 1 or 2, else exact power cones."""
        return "qp" if np.all(np.isin(self.exponent, NON_CONE_EXPONENTS)) else "power"

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
        x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
        return self.gamma * np.power(x, self.exponent)

    def marginal(self, x: ArrayLike) -> FloatArray:
        x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
        p = self.exponent
        with np.errstate(divide="ignore"):
            return self.gamma * p * np.power(x, p - 1.0)

    def supply(self, lam: ArrayLike, cap: FloatArray) -> FloatArray:
        self.require_convex()
        p = np.broadcast_to(self.exponent, np.broadcast(self.gamma, self.exponent).shape)
        g = np.broadcast_to(self.gamma, p.shape)
        lam_a = np.asarray(lam, dtype=np.float64)
        lin = p == 1.0
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            x = np.power(np.maximum(lam_a, 0.0) / (g * p), 1.0 / np.where(lin, 1.0, p - 1.0))
        x = np.where(lin, np.where(lam_a > g, np.inf, 0.0), x)
        x = np.where(lam_a <= 0, 0.0, x)
        return np.clip(x, 0.0, cap)

    def supply_right(self, lam: ArrayLike, cap: FloatArray) -> FloatArray:
        p = np.broadcast_to(self.exponent, np.broadcast(self.gamma, self.exponent).shape)
        g = np.broadcast_to(self.gamma, p.shape)
        flat = (p == 1.0) & (np.asarray(lam) >= g)
        return np.where(flat, cap, self.supply(lam, cap))

    def curvature_floor(self, u: FloatArray) -> FloatArray:
        """``gamma p (p - 1) x^(p-2)`` at its smallest on ``[0, u]``: at ``u`` for ``p < 2``,
        at 0 (so 0) for ``p > 2``; ``2 gamma`` for ``p = 2``.
        """
        p = np.broadcast_to(self.exponent, np.shape(u))
        g = np.broadcast_to(self.gamma, np.shape(u))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            at_u = g * p * (p - 1.0) * np.power(u, p - 2.0)
        out = np.where(p == 2.0, 2.0 * g, np.where((p > 1.0) & (p < 2.0), at_u, 0.0))
        return np.nan_to_num(out, nan=0.0, posinf=0.0)

    def curvature(self, x: ArrayLike) -> FloatArray:
        """``gamma p (p - 1) x^(p-2)`` (``inf`` at 0 for ``1 < p < 2``)."""
        x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
        p = self.exponent
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(self.gamma * p * (p - 1.0) * np.power(x, p - 2.0))

    def diagonal_quadratic(self, N: int) -> tuple[FloatArray, FloatArray] | None:
        p = per_period(self.exponent, N)
        if not np.all(np.isin(p, NON_CONE_EXPONENTS)):
            return None
        g = per_period(self.gamma, N)
        return np.where(p == 1.0, g, 0.0), np.where(p == 2.0, g, 0.0)

    def linear_rate(self, N: int) -> FloatArray | None:
        return per_period(self.gamma, N) if np.all(self.exponent == 1.0) else None

    def exact_kernel(self, N: int) -> LinearSupply | None:
        p = self.single_exponent
        if p is None or p <= 1.0:
            return None
        d = p - 1.0
        shape = (*self.batch_shape, N)
        with np.errstate(over="ignore"):
            w = np.broadcast_to((p * self.gamma) ** (-1.0 / d), shape)
        if not np.all(np.isfinite(w)):
            return None
        return LinearSupply(alpha=w, z0=np.zeros(shape), lam_power=d)

    def concave_rank(self, N: int) -> FloatArray | None:
        if self.is_convex or self.single_exponent is None:
            return None
        return per_period(self.gamma, N)

    def structure_key(self) -> tuple[Any, ...]:
        p = np.ravel(self.exponent)
        return (self.kind, tuple(p.tolist()) if p.size > 1 else float(p[0]))

    def canon(self, y: cp.Variable, N: int) -> Canon:
        """One exact power cone per period whose exponent is not 1 or 2 (O(N) rows even when
        every period has its own exponent: one ``PowCone3D`` with a vector of ``alpha``).
        """
        import cvxpy as cp

        self.require_convex()
        p = per_period(self.exponent, N)
        groups = [(p == 1.0), (p == 2.0)]
        cone_idx = np.flatnonzero(~groups[0] & ~groups[1])
        lin_idx, sq_idx = np.flatnonzero(groups[0]), np.flatnonzero(groups[1])
        terms = []
        cons: list[Any] = []
        params: list[tuple[Any, Any, Any]] = []  # (parameter, index, exponent per entry)
        if lin_idx.size:
            g_lin = cp.Parameter(lin_idx.size, name="gamma_lin", nonneg=True)
            terms.append(g_lin @ y[lin_idx])
            params.append((g_lin, lin_idx, 1.0))
        if sq_idx.size:
            g_sq = cp.Parameter(sq_idx.size, name="gamma_sq", nonneg=True)
            terms.append(cp.sum_squares(cp.multiply(g_sq, y[sq_idx])))  # g_sq = sqrt(gamma)
            params.append((g_sq, sq_idx, 2.0))
        if cone_idx.size:
            # the exact cone t_t >= |y_t|^p_t written out: cp.power would add y >= 0 (redundant
            # here, see Canon.nonneg_redundant_alone); redundant rows slow SCS down
            n = cone_idx.size
            t = cp.Variable(n, name="t_pow")
            g_c = cp.Parameter(n, name="gamma_cone", nonneg=True)
            cons.append(cp.PowCone3D(t, np.ones(n), y[cone_idx], 1.0 / p[cone_idx]))
            terms.append(g_c @ t)
            params.append((g_c, cone_idx, p[cone_idx]))

        def load(m: Any, u: Units) -> None:
            gam = per_period(m.gamma, N)
            for par, idx, pe in params:
                scale = np.power(u.s, pe) / u.C
                if isinstance(pe, float) and pe == 2.0:
                    par.value = np.sqrt(gam[idx] * scale)  # enters squared
                else:
                    par.value = gam[idx] * scale

        cost = terms[0] if len(terms) == 1 else cp.sum(cp.hstack(terms))
        return Canon(cost, cons, load, nonneg_redundant_alone=sq_idx.size + lin_idx.size == 0)

    def __repr__(self) -> str:
        return (
            f"PowerLawImpact(gamma={short(self.gamma)}, delta={short(self.delta)}, "
            f"basis={self.basis!r})"
        )
