"""Per-share fees and rebates: ``c_t(x) = f_t x`` dollars (taker fee ``f > 0``, maker rebate
``f < 0``).

This module is also the worked example of the model seam (see the README's architecture section):
a new separable term declares its cost, marginal and cvxpy formulation, plus the closed forms it
has (``linear_rate``, ``diagonal_quadratic``), and is registered; nothing else in the toolkit
changes. Add it to any model with ``+``: ``QuadraticImpact(a, b) + PerShareFee(0.003)``.

Glossary: ``fee`` dollars per share (``f``), ``x`` shares per period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from execopt.impact.base import (
    Canon,
    Cone,
    FloatArray,
    ImpactModel,
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

__all__ = ["PerShareFee"]


@register_model
@dataclass(frozen=True, eq=False)
class PerShareFee(ImpactModel):
    """A per-share fee (or rebate when negative): ``c_t(x) = fee_t x``, dollars.

    Alone it is linear (any split of the order among the cheapest periods is optimal); beside an
    impact model it shifts every period's marginal cost by ``fee_t``.

    Parameters
    ----------
    fee : float or array_like of shape (N,)
        Dollars per share; finite, any sign (a maker rebate is negative).

    Examples
    --------
    >>> f = PerShareFee(fee=0.003)
    >>> float(f.cost(1000.0))
    3.0
    """

    fee: Param = field()
    kind: ClassVar[str] = "fee"
    cone: ClassVar[Cone] = "lp"

    def __post_init__(self) -> None:
        object.__setattr__(self, "fee", param("fee (dollars per share)", self.fee, lower=None))

    @property
    def periods(self) -> int | None:
        return common_length(self.fee)

    def cost(self, x: ArrayLike) -> FloatArray:
        return self.fee * np.asarray(x, dtype=np.float64)

    def marginal(self, x: ArrayLike) -> FloatArray:
        return self.fee + 0.0 * np.asarray(x, dtype=np.float64)

    def curvature(self, x: ArrayLike) -> FloatArray:
        return np.zeros(np.broadcast_shapes(np.shape(x), np.shape(self.fee)))

    def linear_rate(self, N: int) -> FloatArray:
        return per_period(self.fee, N)

    def diagonal_quadratic(self, N: int) -> tuple[FloatArray, FloatArray]:
        return per_period(self.fee, N), np.zeros(N)

    def canon(self, y: cp.Variable, N: int) -> Canon:
        import cvxpy as cp

        f_p = cp.Parameter(N, name="fee")

        def load(m: Any, u: Units) -> None:
            f_p.value = np.broadcast_to(m.fee * u.s / u.C, (N,)).copy()

        return Canon(f_p @ y, [], load)

    def __repr__(self) -> str:
        return f"PerShareFee(fee={short(self.fee)})"
