"""The model seam: what every separable cost model declares once, and the registry that reads it back.

A cost model gives the cost, in dollars, of trading ``x_t`` shares in period ``t``. It is a small
frozen dataclass that declares its maths in one place and every consumer asks it, never its class:

==========================  ============================================================  ===========
declaration                 meaning                                                       used by
==========================  ============================================================  ===========
``cost(x)``                 dollars per period, NumPy                                      everyone
``marginal(x)``             right derivative, dollars per share                            certificate, SLSQP
``marginal_left(x)``        left derivative (differs at kinks)                             certificate
``supply(lam, u)``          ``argmin_{0<=y<=u_t} c_t(y) - lam y`` (smallest minimiser)     water-filling, dual bound
``exact_kernel(N)``         a closed-form supply (:class:`LinearSupply`, :class:`Segments`) water-filling
``canon(y, N)``             the cvxpy formulation the conic back-ends compile (scaled, DPP) Clarabel/OSQP/SCS
``diagonal_quadratic(N)``   ``(l_t, q_t)`` when ``c_t(x) = l_t x + q_t x^2`` exactly         QP fast path, banded exact
``linear_rate(N)``          ``f_t`` when ``c_t(x) = f_t x`` (fees)                          sums of models
``curvature_floor(u)``      a lower bound of ``c_t''`` on ``[0, u_t]``                       convexity checks
``curvature(x)``            ``c_t''(x_t)`` (0 on the linear pieces of a book walk)           suite tolerances
``capacity``                largest tradable ``x_t`` (visible depth), shares               caps
``to_dict()``               JSON-ready parameters, read back by :func:`model_from_dict`    files, suite
==========================  ============================================================  ===========

plus facts: ``is_convex``, ``strictly_convex``, ``smooth`` and ``cone`` (``"lp"``, ``"qp"`` or
``"power"``: the cone the formulation needs, so a back-end can say up front what it cannot take).

A new separable term (a per-share fee, say) is one subclass decorated with :func:`register_model`:
``cost``, ``marginal`` and ``canon`` are all it must write; ``supply`` falls back to a vectorised
bisection on ``marginal``, and every solver, the certificate, the simulator and the reference-suite
format accept it. ``m1 + m2`` sums models (:class:`~execopt.impact.composite.SumImpact`).

Glossary: ``x`` shares per period, ``N`` periods, ``u`` per-period caps (shares), ``lam`` the
marginal cost of the last share (dollars per share), ``s`` and ``C`` the share and dollar units of
the scaled conic problem (see :class:`Units`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import cvxpy as cp

__all__ = [
    "Canon",
    "Cone",
    "ImpactModel",
    "LinearSupply",
    "Segments",
    "Units",
    "broadcast",
    "decode_array",
    "encode_array",
    "model_from_dict",
    "register_model",
    "registered_models",
]

FloatArray = NDArray[np.float64]
#: A model parameter: any array-like when constructed, a read-only float64 array afterwards.
Param = Any
#: The cone a formulation needs: linear program, quadratic program, or exact power cones.
Cone = Literal["lp", "qp", "power"]

#: Bisection steps of the generic :meth:`ImpactModel.supply` (each halves the bracket; 200 steps
#: take any float64 bracket to adjacent floats).
SUPPLY_BISECT_STEPS = 200


# ----------------------------------------------------------------------------- parameters
def param(
    name: str, value: ArrayLike, *, lower: float | None, strict: bool = False, max_ndim: int = 2
) -> FloatArray:
    """Validate a scalar, 1-D (per period) or 2-D (per order and period, for ``solve_batch``)
    parameter; return it as a read-only float64 array (a copy).

    Raises
    ------
    InputError
        Not numeric, more than ``max_ndim`` dimensions, empty, NaN/inf, or below ``lower``.
    """
    return param_and_min(name, value, lower=lower, strict=strict, max_ndim=max_ndim)[0]


def param_and_min(
    name: str, value: ArrayLike, *, lower: float | None, strict: bool = False, max_ndim: int = 2
) -> tuple[FloatArray, float]:
    """:func:`param` and the parameter's smallest value (found by the same check)."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        raise InputError(
            f"{name} must be a number or an array of numbers, got {type(value).__name__} {value!r}."
        )
    try:
        arr = np.array(value, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{name} must be a number or an array of numbers, got {type(value).__name__} ({exc})."
        ) from None
    if arr.ndim > max_ndim:
        raise InputError(
            f"{name} must be a scalar, a 1-D array of length N (or (M, N) for solve_batch), got "
            f"shape {arr.shape}."
        )
    if arr.ndim >= 1 and arr.size == 0:
        raise InputError(f"{name} is an empty array: give a scalar or one value per period.")
    if arr.ndim == 0:
        v = float(arr)
        if not math.isfinite(v):
            raise InputError(
                f"{name} is {v} (NaN or inf): every value must be finite; fill or drop those "
                "periods before building the model."
            )
        if lower is not None and (v <= lower if strict else v < lower):
            rel = ">" if strict else ">="
            raise InputError(f"{name} must be {rel} {lower:g}; got {v:g}.")
        lo = v
    else:
        # one reduction each for the common case (finite, in range); the detailed message only
        # when a check fails (a sum of huge finite values can overflow: then look closer)
        if not math.isfinite(float(np.add.reduce(arr, axis=None))) and not np.isfinite(arr).all():
            bad = np.flatnonzero(~np.isfinite(arr.ravel()))
            raise InputError(
                f"{name} contains NaN or inf at index {bad[:5].tolist()}: every value must be "
                "finite; fill or drop those periods before building the model."
            )
        lo = float(np.minimum.reduce(arr, axis=None))
        if lower is not None:
            if lo <= lower if strict else lo < lower:
                viol = arr <= lower if strict else arr < lower
                where = np.flatnonzero(viol.ravel())[:5].tolist()
                rel = ">" if strict else ">="
                raise InputError(
                    f"{name} must be {rel} {lower:g} in every period; got "
                    f"{arr.ravel()[where]} at index {where}."
                )
    arr.flags.writeable = False
    return arr, float(lo)


def common_length(*arrays: FloatArray) -> int | None:
    """Common number of periods of the array parameters (None when all are scalars)."""
    lengths = {a.shape[-1] for a in arrays if a.ndim >= 1}
    if len(lengths) > 1:
        raise InputError(f"time-varying parameters have different lengths {sorted(lengths)}.")
    return lengths.pop() if lengths else None


def short(v: FloatArray) -> str:
    """A parameter for a repr: the value, or the shape and mean of an array."""
    return f"{float(v):g}" if v.ndim == 0 else f"<array {v.shape}, mean {float(v.mean()):.4g}>"


def per_period(v: ArrayLike, N: int) -> FloatArray:
    """``v`` broadcast to length ``N`` (read-only view)."""
    return broadcast(v, (N,))


def broadcast(v: ArrayLike, shape: tuple[int, ...]) -> FloatArray:
    """``v`` as a float array of ``shape`` (itself when it already has it; a read-only view
    otherwise). On the decision path, where N ~ 400, ``np.broadcast_to`` costs as much as the
    arithmetic around it.
    """
    a = np.asarray(v, dtype=np.float64)
    return a if a.shape == shape else np.broadcast_to(a, shape)


# ----------------------------------------------------------------------------- JSON arrays
def encode_array(v: Any) -> Any:
    """JSON-ready nested lists of floats; ``inf``, ``-inf`` and ``nan`` become the strings
    ``"inf"``, ``"-inf"`` and ``"nan"`` (strict JSON has no such numbers).
    """
    a = np.asarray(v, dtype=np.float64)
    if np.isfinite(a).all():
        return a.tolist()
    obj = a.astype(object)
    obj[np.isposinf(a)] = "inf"
    obj[np.isneginf(a)] = "-inf"
    obj[np.isnan(a)] = "nan"
    return obj.tolist()


_SPECIAL = {"inf": math.inf, "+inf": math.inf, "infinity": math.inf, "-inf": -math.inf}
_SPECIAL["-infinity"] = -math.inf
_SPECIAL["nan"] = math.nan


def decode_array(v: Any, name: str = "value") -> Any:
    """Inverse of :func:`encode_array` (numbers and nested lists; the special strings back to
    floats).

    Raises
    ------
    InputError
        A string other than ``inf``/``-inf``/``nan``, or a non-numeric entry.
    """
    if isinstance(v, str):
        key = v.strip().lower()
        if key in _SPECIAL:
            return _SPECIAL[key]
        raise InputError(f"{name}: {v!r} is not a number (only 'inf', '-inf' and 'nan' are).")
    if isinstance(v, (list, tuple)):
        return [decode_array(x, name) for x in v]
    if isinstance(v, np.ndarray) and v.dtype.kind in "iuf":
        return v.astype(np.float64)
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise InputError(f"{name}: {v!r} ({type(v).__name__}) is not a number.")
    return float(v)


# ----------------------------------------------------------------------------- exact kernels
@dataclass(frozen=True)
class LinearSupply:
    """A supply that is piecewise linear in a transformed multiplier ``z``.

    ``x_t(z) = clip(alpha_t (z - z0_t), 0, u_t)`` with ``lam = z ** lam_power`` (``z >= 0`` when
    ``lam_power != 1``). Quadratic impact: ``alpha = 1 / (2 b)``, ``z0 = a``, ``lam_power = 1``;
    a per-share power law with one exponent ``p > 1``: ``alpha = (p gamma)^(-1/(p-1))``, ``z0 = 0``,
    ``lam_power = p - 1``. The exact water-filling kernel sorts its breakpoints (O(N log N)).
    """

    alpha: FloatArray
    z0: FloatArray
    lam_power: float = 1.0


@dataclass(frozen=True)
class Segments:
    """A piecewise-linear supply: segment ``k`` of period ``t`` costs ``slopes[t, k]`` dollars per
    share for ``widths[t, k]`` shares (slopes non-decreasing in ``k``); the exact solution is a
    fractional knapsack over all segments.
    """

    slopes: FloatArray
    widths: FloatArray


# ----------------------------------------------------------------------------- cvxpy seam
@dataclass(frozen=True)
class Units:
    """Units of the scaled conic problem: ``y = x / s`` shares and objective / ``C`` dollars.

    Attributes
    ----------
    s : float
        Shares per unit of ``y`` (``S / N``).
    C : float
        Dollars per unit of the objective.
    S : float
        Order size, shares.
    upper : ndarray (N,)
        Effective per-period caps, shares (``inf`` where uncapped).
    """

    s: float
    C: float
    S: float
    upper: FloatArray


@dataclass
class Canon:
    """A term's cvxpy formulation, built once per structure (DPP) and re-loaded per problem.

    Attributes
    ----------
    cost : cvxpy expression
        Scalar, in scaled units (dollars / ``C`` as a function of ``y = x / s``).
    constraints : list
        Auxiliary constraints (epigraphs, cones, segment boxes).
    load : callable ``(term, units) -> None``
        Sets the formulation's ``cp.Parameter`` values from a term of the same structure.
    implies_nonneg : bool
        ``y >= 0`` follows from the constraints (segment variables are non-negative).
    enforces_caps : bool
        ``y <= u / s`` follows from the constraints (segments truncated at the caps).
    nonneg_redundant_alone : bool
        When this is the only term and there is no risk term, ``y >= 0`` may be left out: a
        negative ``y_t`` costs more than zero and frees no cap (exact power cones).
    """

    cost: Any
    constraints: list[Any]
    load: Callable[[Any, Units], None]
    implies_nonneg: bool = False
    enforces_caps: bool = False
    nonneg_redundant_alone: bool = False


# ----------------------------------------------------------------------------- the base class
M = TypeVar("M", bound="ImpactModel")

_REGISTRY: dict[str, type[ImpactModel]] = {}


def register_model(cls: type[M]) -> type[M]:
    """Class decorator: make ``cls`` readable by :func:`model_from_dict` under ``cls.kind``."""
    kind = getattr(cls, "kind", None)
    if not isinstance(kind, str) or kind in ("", "abstract"):
        raise InputError(
            f"{cls.__name__} needs a class-level string 'kind' (e.g. kind = \"fee\") to be "
            "registered."
        )
    if kind in _REGISTRY and _REGISTRY[kind] is not cls:
        raise InputError(
            f"model kind {kind!r} is already registered by {_REGISTRY[kind].__name__}: choose another kind."
        )
    _REGISTRY[kind] = cls
    return cls


def registered_models() -> dict[str, type[ImpactModel]]:
    """The registry: model kind -> class (a copy)."""
    return dict(_REGISTRY)


def model_from_dict(d: Mapping[str, Any]) -> ImpactModel:
    """Rebuild any registered model from its :meth:`ImpactModel.to_dict`.

    Parameters
    ----------
    d : mapping
        ``{"model": kind, <parameter>: value, ...}`` with arrays as nested lists and ``"inf"``
        for infinite entries (see :func:`encode_array`).

    Returns
    -------
    ImpactModel

    Raises
    ------
    InputError
        Not a mapping, no or unknown ``model``, or invalid parameters.

    Examples
    --------
    >>> from execopt.impact import PiecewiseLinearImpact, model_from_dict
    >>> m = PiecewiseLinearImpact([0.01, 0.02], [100, float("inf")])
    >>> m.to_dict()
    {'model': 'piecewise', 'slopes': [0.01, 0.02], 'widths': [100.0, 'inf']}
    >>> float(model_from_dict(m.to_dict()).cost(150.0))
    2.0
    """
    if not isinstance(d, Mapping):
        raise InputError(f"a model description must be a JSON object, got {type(d).__name__}.")
    kind = d.get("model")
    if kind not in _REGISTRY:
        raise InputError(
            f"unknown model {kind!r}: the models are {', '.join(sorted(_REGISTRY))} "
            "(a dictionary needs 'model': <one of them>)."
        )
    return _REGISTRY[str(kind)].from_dict(d)


class ImpactModel:
    """Common interface of the separable cost models (see the module docstring).

    Subclasses are frozen dataclasses whose array parameters are read-only float64 arrays of
    shape ``()``, ``(N,)`` or, for ``solve_batch``, ``(M, N)``.
    """

    kind: ClassVar[str] = "abstract"
    #: The cone :meth:`canon` needs (OSQP takes ``"lp"`` and ``"qp"`` only).
    cone: ClassVar[Cone] = "qp"
    #: Differentiable everywhere (a book walk has kinks: ``False``).
    smooth: ClassVar[bool] = True

    # ---- shape
    @property
    def periods(self) -> int | None:
        """Length of the time-varying parameters, or None when they are all scalars."""
        arrays = [v for v in self._arrays().values() if v.ndim >= 1]
        return common_length(*arrays) if arrays else None

    def _arrays(self) -> dict[str, FloatArray]:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)  # type: ignore[arg-type]
            if isinstance(getattr(self, f.name), np.ndarray)
        }

    @cached_property
    def batch_shape(self) -> tuple[int, ...]:
        """Leading shape of 2-D parameters ((M,) for a batch of M orders, () otherwise)."""
        shapes = [v.shape[:-1] for v in self._arrays().values() if v.ndim == 2]
        return shapes[0] if shapes else ()

    def row(self: M, i: int) -> M:
        """Order ``i``'s model from (M, N), (N,) or scalar parameters (for ``solve_batch``)."""
        kw = {
            f.name: (lambda v: v[i] if isinstance(v, np.ndarray) and v.ndim == 2 else v)(
                getattr(self, f.name)
            )
            for f in fields(self)  # type: ignore[arg-type]
            if f.init
        }
        return type(self)(**kw)

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

    # ---- facts
    @property
    def is_convex(self) -> bool:
        """Every period's cost is convex."""
        return True

    @property
    def strictly_convex(self) -> bool:
        """Every period's cost is strictly convex (then ``supply`` is single-valued)."""
        return False

    @property
    def capacity(self) -> FloatArray | float:
        """Largest tradable ``x_t`` (the visible depth of a book walk), shares; ``inf`` here."""
        return math.inf

    def require_convex(self) -> None:
        """Raise :class:`~execopt.errors.ConvexityError` if the cost is not convex."""

    def curvature_floor(self, u: FloatArray) -> FloatArray:
        """A lower bound of ``c_t''`` on ``[0, u_t]``, dollars per share squared (0 here)."""
        return np.zeros(np.shape(u))

    def curvature(self, x: ArrayLike) -> FloatArray:
        """``c_t''(x_t)``, dollars per share squared (the second derivative of the cost).

        This default differentiates :meth:`marginal` numerically (central differences with a step
        of ``1e-6 max(|x|, 1)`` shares, one-sided at 0); models with a closed form override it,
        and models with kinks (a book walk) give the curvature of their linear pieces, 0.
        """
        x = np.asarray(x, dtype=np.float64)
        h = 1e-6 * np.maximum(np.abs(x), 1.0)
        lo = np.maximum(x - h, 0.0)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return np.asarray((self.marginal(x + h) - self.marginal(lo)) / (x + h - lo))

    def diagonal_quadratic(self, N: int) -> tuple[FloatArray, FloatArray] | None:
        """``(l, q)`` with ``c_t(x) = l_t x + q_t x^2`` exactly, or None."""
        return None

    def linear_rate(self, N: int) -> FloatArray | None:
        """``f`` with ``c_t(x) = f_t x`` exactly (a constant marginal), or None."""
        return None

    def exact_kernel(self, N: int) -> LinearSupply | Segments | None:
        """A closed-form supply for the exact water-filling kernel, or None (bisection)."""
        return None

    def concave_rank(self, N: int) -> FloatArray | None:
        """For a concave cost that is one shape scaled per period: the per-period scale (the
        cheapest periods come first in the vertex optimum); None otherwise.
        """
        return None

    def structure_key(self) -> tuple[Any, ...]:
        """What fixes the shape of :meth:`canon` (a compiled formulation is re-used for equal
        keys with new parameter values).
        """
        return (self.kind,)

    # ---- NumPy face
    def cost(self, x: ArrayLike) -> FloatArray:  # pragma: no cover - abstract
        """Cost in dollars of trading ``x[..., t]`` shares in each period (same shape as x)."""
        raise NotImplementedError

    def marginal(self, x: ArrayLike) -> FloatArray:  # pragma: no cover - abstract
        """Right derivative of the cost, dollars per share."""
        raise NotImplementedError

    def marginal_left(self, x: ArrayLike) -> FloatArray:
        """Left derivative of the cost (equal to :meth:`marginal` for smooth models)."""
        return self.marginal(x)

    def total_cost(self, x: ArrayLike) -> float | FloatArray:
        """Sum of :meth:`cost` over the last axis."""
        out = self.cost(x).sum(axis=-1)
        return float(out) if np.ndim(out) == 0 else out

    def cost_and_marginal(self, x: FloatArray) -> tuple[float, FloatArray]:
        """``(sum_t c_t(x_t), marginal(x))`` of one schedule (models may share the work)."""
        return float(self.cost(x).sum()), np.broadcast_to(self.marginal(x), x.shape)

    def supply(self, lam: ArrayLike, cap: FloatArray) -> FloatArray:
        """``argmin_{0<=x<=cap_t} c_t(x) - lam_t x`` per period (the smallest minimiser).

        ``lam`` is a scalar or one value per period. This default bisects on :meth:`marginal`
        (valid for any convex model); models with a closed form override it.
        """
        return _bisect_supply(self, lam, cap, right=False)

    def supply_right(self, lam: ArrayLike, cap: FloatArray) -> FloatArray:
        """The largest minimiser of ``c_t(x) - lam x`` (differs only on flat pieces)."""
        return _bisect_supply(self, lam, cap, right=True)

    # ---- cvxpy face
    def canon(self, y: cp.Variable, N: int) -> Canon:  # pragma: no cover - abstract
        """The DPP formulation of ``sum_t c_t(s y_t) / C`` that the conic back-ends compile."""
        raise NotImplementedError

    # ---- files
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters, ``{"model": kind, ...}``; :func:`model_from_dict` reads it."""
        out: dict[str, Any] = {"model": self.kind}
        for f in fields(self):  # type: ignore[arg-type]
            if not f.init:
                continue
            v = getattr(self, f.name)
            out[f.name] = encode_array(v) if isinstance(v, np.ndarray) else _plain(v)
        return out

    @classmethod
    def from_dict(cls: type[M], d: Mapping[str, Any]) -> M:
        """Build from :meth:`to_dict`'s output (unknown keys are refused, by name)."""
        names = {f.name for f in fields(cls) if f.init}  # type: ignore[arg-type]
        extra = set(d) - names - {"model"}
        if extra:
            raise InputError(
                f"{cls.kind} model: unknown field(s) {sorted(extra)}; it takes {sorted(names)}."
            )
        kw: dict[str, Any] = {}
        for k in names & set(d):
            v = d[k]
            kw[k] = (
                v
                if isinstance(v, str) and k not in _array_fields(cls)
                else decode_array(v, f"{cls.kind}.{k}")
            )
        try:
            return cls(**kw)
        except TypeError as exc:
            raise InputError(f"{cls.kind} model: {exc}") from None

    def __add__(self, other: object) -> ImpactModel:
        """``m1 + m2``: the registered ``"sum"`` model (:class:`~execopt.impact.SumImpact`),
        looked up in the registry so this module does not import its own subclass.
        """
        if not isinstance(other, ImpactModel):
            return NotImplemented
        return _REGISTRY["sum"].of(self, other)  # type: ignore[attr-defined]


def _array_fields(cls: type[ImpactModel]) -> set[str]:
    """Init fields holding numbers (everything but declared string options)."""
    return {
        f.name
        for f in fields(cls)  # type: ignore[arg-type]
        if f.init and f.metadata.get("kind") != "option"
    }


#: Metadata of a dataclass field holding a string option (kept as a string by ``to_dict`` and
#: ``from_dict``; every other init field holds numbers).
OPTION: Mapping[str, str] = {"kind": "option"}


def _plain(v: Any) -> Any:
    if isinstance(v, ImpactModel):
        return v.to_dict()
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    return v


def _bisect_supply(m: ImpactModel, lam: ArrayLike, cap: FloatArray, *, right: bool) -> FloatArray:
    """Per-period bisection for ``supply``: the smallest (``right=False``) or largest
    (``right=True``) minimiser of ``c_t(x) - lam_t x`` over ``[0, u_t]``.

    Both are the point where a monotone test turns true: ``c'_+(x) >= lam`` for the smallest,
    ``c'_-(x) > lam`` for the largest minimiser. ``inf`` where an uncapped period never turns
    (a linear cost cheaper than ``lam``).
    """
    u = np.asarray(cap, dtype=np.float64)
    lam_a = np.asarray(lam, dtype=np.float64)
    shape = np.broadcast_shapes(u.shape, lam_a.shape, np.shape(m.marginal(0.0)))
    u = np.broadcast_to(u, shape)
    lam_a = np.broadcast_to(lam_a, shape)

    def turned(x: FloatArray) -> NDArray[np.bool_]:
        with np.errstate(invalid="ignore"):
            if right:
                return np.asarray(m.marginal_left(x) > lam_a)
            return np.asarray(m.marginal(x) >= lam_a)

    capped = np.isfinite(u)
    hi = np.where(capped, u, 1.0)
    # uncapped periods: double the bracket until the test turns (at most ~1e300 shares)
    grow = ~capped & ~turned(hi)
    while grow.any():
        hi = np.where(grow, hi * 2.0, hi)
        grow &= ~turned(hi) & (hi < 1e300)
    never = ~turned(hi)  # at the cap (or unbounded when uncapped)
    lo = np.zeros(shape)
    for _ in range(SUPPLY_BISECT_STEPS):
        mid = 0.5 * (lo + hi)
        t = turned(mid)
        hi = np.where(t, mid, hi)
        lo = np.where(t, lo, mid)
    x = np.where(turned(lo), lo, hi)
    x = np.where(never, np.where(capped, u, np.inf), x)
    return np.minimum(x, u)
