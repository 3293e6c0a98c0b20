"""Sums of separable models: ``c_t(x) = sum_j c_jt(x)`` (``m1 + m2``), e.g. impact plus a fee.

Everything a model declares is the sum of its parts' declarations: cost, marginals, the cvxpy
formulation (the parts' canons added on one variable), ``diagonal_quadratic`` and ``linear_rate``
when every part has one. The exact kernel of a sum whose parts are one model plus linear rates
(fees) is the model's kernel shifted by the rates; any other sum uses the generic bisection
``supply`` of :class:`~execopt.impact.base.ImpactModel`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from execopt.errors import InputError
from execopt.impact.base import (
    Canon,
    Cone,
    FloatArray,
    ImpactModel,
    LinearSupply,
    Segments,
    Units,
    model_from_dict,
    register_model,
)

if TYPE_CHECKING:  # pragma: no cover
    import cvxpy as cp

__all__ = ["SumImpact"]

_CONE_ORDER: dict[str, int] = {"lp": 0, "qp": 1, "power": 2}


def _total(values: Iterable[Any]) -> FloatArray:
    """The sum of arrays that may differ in shape (scalar parameters), broadcast."""
    it = iter(values)
    out = np.asarray(next(it), dtype=np.float64)
    for v in it:
        out = out + v
    return out


@register_model
@dataclass(frozen=True, eq=False)
class SumImpact(ImpactModel):
    """The sum of separable cost models, period by period.

    Parameters
    ----------
    parts : tuple of ImpactModel
        At least two models (nested sums are flattened by :meth:`of` and ``+``).

    Examples
    --------
    >>> from execopt.impact import PerShareFee, QuadraticImpact
    >>> m = QuadraticImpact(a=0.02, b=0.001) + PerShareFee(fee=0.003)
    >>> round(float(m.cost(100.0)), 6)
    12.3
    >>> [d["model"] for d in m.to_dict()["parts"]]
    ['quadratic', 'fee']
    """

    parts: tuple[ImpactModel, ...]
    kind: ClassVar[str] = "sum"

    def __post_init__(self) -> None:
        parts = tuple(self.parts) if isinstance(self.parts, (list, tuple)) else None
        if not parts or len(parts) < 1 or not all(isinstance(p, ImpactModel) for p in parts):
            raise InputError("SumImpact needs a non-empty sequence of ImpactModel parts.")
        lengths = {n for n in (p.periods for p in parts) if n is not None}
        if len(lengths) > 1:
            raise InputError(f"the parts have different numbers of periods {sorted(lengths)}.")
        object.__setattr__(self, "parts", parts)

    @classmethod
    def of(cls, *models: ImpactModel) -> SumImpact:
        """The sum of ``models``, nested sums flattened."""
        flat: list[ImpactModel] = []
        for m in models:
            flat.extend(m.parts if isinstance(m, SumImpact) else (m,))
        return cls(tuple(flat))

    # ---- shape and facts
    @property
    def periods(self) -> int | None:
        n = {p.periods for p in self.parts} - {None}
        return n.pop() if n else None

    @property
    def batch_shape(self) -> tuple[int, ...]:
        shapes = [p.batch_shape for p in self.parts if p.batch_shape]
        return shapes[0] if shapes else ()

    def row(self, i: int) -> SumImpact:
        return SumImpact(tuple(p.row(i) for p in self.parts))

    @property
    def cone(self) -> Cone:  # type: ignore[override]
        return max((p.cone for p in self.parts), key=_CONE_ORDER.__getitem__)

    @property
    def smooth(self) -> bool:  # type: ignore[override]
        return all(p.smooth for p in self.parts)

    @property
    def is_convex(self) -> bool:
        return all(p.is_convex for p in self.parts)

    @cached_property
    def strictly_convex(self) -> bool:
        return any(p.strictly_convex for p in self.parts) and self.is_convex

    def require_convex(self) -> None:
        for p in self.parts:
            p.require_convex()

    @property
    def capacity(self) -> FloatArray | float:
        caps = [np.asarray(p.capacity, dtype=np.float64) for p in self.parts]
        out = caps[0]
        for c in caps[1:]:  # pairwise: a book walk's per-period depth beside a fee's inf
            out = np.minimum(out, c)
        return float(out) if out.ndim == 0 else out

    def curvature_floor(self, u: FloatArray) -> FloatArray:
        return _total(p.curvature_floor(u) for p in self.parts)

    def curvature(self, x: ArrayLike) -> FloatArray:
        return np.sum([p.curvature(x) for p in self.parts], axis=0)

    def structure_key(self) -> tuple[Any, ...]:
        return (self.kind, *(p.structure_key() for p in self.parts))

    # ---- NumPy face
    def cost(self, x: ArrayLike) -> FloatArray:
        return _total(p.cost(x) for p in self.parts)

    def marginal(self, x: ArrayLike) -> FloatArray:
        return _total(p.marginal(x) for p in self.parts)

    def marginal_left(self, x: ArrayLike) -> FloatArray:
        return _total(p.marginal_left(x) for p in self.parts)

    def _split(self, N: int) -> tuple[ImpactModel | None, FloatArray] | None:
        """``(model, rate)`` when all parts but at most one are linear rates (summed)."""
        base: ImpactModel | None = None
        rate = np.zeros(N)
        for p in self.parts:
            r = p.linear_rate(N)
            if r is not None:
                rate = rate + r
            elif base is None:
                base = p
            else:
                return None
        return base, rate

    def supply(self, lam: ArrayLike, cap: FloatArray) -> FloatArray:
        split = self._split(np.shape(cap)[-1]) if np.ndim(cap) else None
        if split is not None and split[0] is not None:
            return split[0].supply(np.asarray(lam) - split[1], cap)
        return super().supply(lam, cap)

    def supply_right(self, lam: ArrayLike, cap: FloatArray) -> FloatArray:
        split = self._split(np.shape(cap)[-1]) if np.ndim(cap) else None
        if split is not None and split[0] is not None:
            return split[0].supply_right(np.asarray(lam) - split[1], cap)
        return super().supply_right(lam, cap)

    # ---- closed forms
    def diagonal_quadratic(self, N: int) -> tuple[FloatArray, FloatArray] | None:
        ds = [p.diagonal_quadratic(N) for p in self.parts]
        if any(d is None for d in ds):
            return None
        return (
            _total(d[0] for d in ds if d is not None),
            _total(d[1] for d in ds if d is not None),
        )

    def linear_rate(self, N: int) -> FloatArray | None:
        rs = [p.linear_rate(N) for p in self.parts]
        if any(r is None for r in rs):
            return None
        return _total(r for r in rs if r is not None)

    def exact_kernel(self, N: int) -> LinearSupply | Segments | None:
        split = self._split(N)
        if split is None:
            return None
        base, rate = split
        if base is None:
            return None
        k = base.exact_kernel(N)
        if isinstance(k, LinearSupply) and k.lam_power == 1.0:
            return LinearSupply(alpha=k.alpha, z0=k.z0 + rate)
        if isinstance(k, Segments):
            sl = np.broadcast_to(k.slopes, (N, k.slopes.shape[-1])) + rate[:, None]
            return Segments(sl, np.broadcast_to(k.widths, sl.shape))
        return None

    def concave_rank(self, N: int) -> FloatArray | None:
        return None

    # ---- cvxpy face
    def canon(self, y: cp.Variable, N: int) -> Canon:
        canons = [p.canon(y, N) for p in self.parts]

        def load(m: Any, u: Units) -> None:
            for c, part in zip(canons, m.parts, strict=True):
                c.load(part, u)

        cost = canons[0].cost
        for c in canons[1:]:
            cost = cost + c.cost
        return Canon(
            cost,
            [con for c in canons for con in c.constraints],
            load,
            implies_nonneg=any(c.implies_nonneg for c in canons),
            enforces_caps=any(c.enforces_caps for c in canons),
        )

    # ---- files
    def to_dict(self) -> dict[str, Any]:
        return {"model": self.kind, "parts": [p.to_dict() for p in self.parts]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SumImpact:
        parts = d.get("parts")
        if not isinstance(parts, list) or not parts:
            raise InputError("a 'sum' model needs 'parts': a non-empty list of models.")
        extra = set(d) - {"model", "parts"}
        if extra:
            raise InputError(f"sum model: unknown field(s) {sorted(extra)}; it takes ['parts'].")
        return cls(tuple(model_from_dict(p) for p in parts))

    def __repr__(self) -> str:
        return " + ".join(repr(p) for p in self.parts)
