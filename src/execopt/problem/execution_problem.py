"""The execution problem: split ``S`` shares over ``N`` periods at minimum cost.

    minimise   sum_t c_t(x_t) + [k sum_t sigma_t^2 R_t^2] + [sum_t mu_t R_t] + [further terms]
    subject to sum_t x_t = S,   0 <= x_t <= u_t,   [ z ||sigma R||_2 <= var_limit ]

with ``R_t = S - sum_{s<=t} x_s`` the shares still to trade after period ``t`` (the Almgren–Chriss
mean-variance term, ``k`` the risk aversion, ``sigma`` the per-period price volatility in dollars
per share; ``mu`` the expected adverse drift of the mid, dollars per share per period). The objective is a sum of terms (:mod:`execopt.problem.terms`): the separable impact
model and the non-separable terms the problem's options add. Glossary: ``S`` shares, ``N``
periods, ``u`` caps (shares), ``x`` the schedule.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt._validate import MAX_PERIODS
from execopt.errors import ConvexityError, InfeasibleError, InputError
from execopt.impact.base import ImpactModel, decode_array, encode_array, model_from_dict
from execopt.impact.transient import Kernel, kernel_from_dict
from execopt.problem.terms import (
    Drift,
    MeanVarianceRisk,
    PermanentImpact,
    Term,
    TransientImpact,
    VaRLimit,
    remaining,
)

__all__ = ["DEFAULT_VAR_Z", "ExecutionProblem", "as_real"]

FloatArray = NDArray[np.float64]

#: The normal quantile of a 95 % value at risk, the default ``var_z``.
DEFAULT_VAR_Z = 1.6448536269514722


def as_real(name: str, v: Any, *, what: str) -> float:
    """``v`` as a float, refusing bools, strings, None and non-scalars with :class:`InputError`."""
    if type(v) is float or type(v) is int:  # the common case, without the ABC check
        return float(v)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.ndarray)):
        raise InputError(f"{name} must be {what}, got {type(v).__name__} {v!r}.")
    if isinstance(v, np.ndarray):
        if v.ndim != 0 or v.dtype.kind not in "iuf":
            raise InputError(f"{name} must be {what} (a scalar), got an array of shape {v.shape}.")
    return float(v)


def _array_arg(name: str, v: Any, N: int, *, what: str) -> FloatArray:
    """A scalar or length-N numeric argument as a float array (shape () or (N,))."""
    if isinstance(v, (bool, np.bool_, str, bytes)) or v is None:
        raise InputError(f"{name} must be {what}, got {type(v).__name__} {v!r}.")
    try:
        a = np.array(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be {what}, got {type(v).__name__} {v!r}.") from None
    if a.ndim > 1 or (a.ndim == 1 and a.shape[0] != N):
        raise InputError(
            f"{name} must be a scalar or an array of length N = {N}; got shape {a.shape}."
        )
    return a


@dataclass(frozen=True, eq=False)
class ExecutionProblem:
    """An optimal-execution problem, validated when it is built (immutable).

    Parameters
    ----------
    shares : float
        ``S``, shares to trade in total (``>= 0``).
    impact : ImpactModel
        Per-period cost model; time-varying parameters must have length ``periods``.
    periods : int
        ``N``, number of periods (390 one-minute periods in a US trading day).
    cap : None, float or array_like of shape (N,)
        ``u_t``, the largest child order per period, shares (None: uncapped). A book walk's
        visible depth (the model's ``capacity``) acts as a further cap.
    risk_aversion : float
        ``k >= 0``, weight of the variance of the unexecuted inventory (1 / dollars).
    volatility : float or array_like of shape (N,)
        ``sigma``, price volatility per period, dollars per share (``>= 0``).
    var_limit : float or None
        Optional value-at-risk limit on the unexecuted inventory, dollars:
        ``z sigma sqrt(sum_t R_t^2) <= var_limit`` (a second-order cone).
    var_z : float
        Normal quantile ``z_alpha > 0`` of the VaR limit (1.645 for 95 %).
    transient : Kernel or None
        Transient (propagator) impact kernel ``G``: adds ``1/2 x^T K x``, ``K_ts = G(|t-s|)``
        (:mod:`execopt.impact.transient`).
    permanent : float
        ``gamma >= 0``, linear permanent impact, dollars per share per share: adds
        ``gamma (S^2 - sum_t x_t^2) / 2`` (Almgren–Chriss's discrete convention).
    drift : None, float or array_like of shape (N,)
        ``mu_t``, the expected change of the mid from period ``t`` to ``t + 1`` *against the
        order* (the expected rise for a buy, the expected fall for a sell), dollars per share:
        adds :class:`~execopt.problem.terms.Drift`, ``sum_t mu_t R_t`` (the expected timing
        cost). Linear in ``x``: every solver takes it. None or 0: no term.

    Raises
    ------
    InputError
        Wrong types, non-finite or negative sizes, wrong lengths, a non-positive ``var_z``.
    InfeasibleError
        ``S`` larger than the sum of the caps.
    ConvexityError
        A kernel that is not positive semidefinite, or permanent impact larger than the
        curvature of the temporary and transient costs (``2 diag(b) + K - gamma I`` not positive
        semidefinite on the directions that keep ``sum x = S``): price manipulation.

    Examples
    --------
    >>> import execopt as eo
    >>> p = eo.ExecutionProblem(shares=1000, impact=eo.QuadraticImpact(0.01, 1e-4), periods=4)
    >>> p.objective(p.equal_allocation())
    35.0
    """

    shares: float
    impact: ImpactModel
    periods: int = 390
    cap: FloatArray | None = None
    risk_aversion: float = 0.0
    volatility: float | FloatArray = 0.0
    var_limit: float | None = None
    var_z: float = DEFAULT_VAR_Z
    transient: Kernel | None = None
    permanent: float = 0.0
    drift: float | FloatArray | None = None
    _u: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        S = as_real("shares", self.shares, what="a number of shares >= 0")
        if not math.isfinite(S) or S < 0:
            raise InputError(
                f"shares must be a finite number >= 0 (the order size S in shares), got "
                f"{self.shares!r}; for a sell order give the size as a positive number and "
                "choose side='sell' where it applies."
            )
        object.__setattr__(self, "shares", S)
        n = self.periods
        if (
            type(n) is not int
            and (isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)))
        ) or n < 1:
            raise InputError(f"periods must be an integer >= 1, got {n!r}.")
        if n > MAX_PERIODS:
            raise InputError(
                f"periods = {n:,} is more than the {MAX_PERIODS:,} this toolkit accepts (one "
                "float64 array of that length is 0.8 GB, and a solve needs several)."
            )
        N = int(n)
        object.__setattr__(self, "periods", N)
        if not isinstance(self.impact, ImpactModel):
            raise InputError(
                f"impact must be an ImpactModel (QuadraticImpact, PowerLawImpact, "
                f"PiecewiseLinearImpact, ...), got {type(self.impact).__name__}."
            )
        self.impact.check_periods(N)
        depth = self.impact.capacity
        cap = self.cap
        if type(cap) is float or type(cap) is int:  # one scalar cap: no array to validate
            if not cap >= 0:
                raise InputError(
                    "cap must be >= 0 and not NaN in every period (shares); use inf for no cap."
                )
            c = np.array(float(cap))
            c.flags.writeable = False
            object.__setattr__(self, "cap", c)
            u = np.full(N, float(cap))
            if not (isinstance(depth, float) and depth == math.inf):
                u = np.minimum(u, depth)
        elif cap is not None:
            c = _array_arg("cap", self.cap, N, what="None, a number of shares or one per period")
            lo = float(np.minimum.reduce(c, axis=None))  # NaN anywhere makes the minimum NaN
            if not lo >= 0.0:
                raise InputError(
                    "cap must be >= 0 and not NaN in every period (shares); use inf for no cap."
                )
            c.flags.writeable = False
            object.__setattr__(self, "cap", c)
            # a length-N cap is its own (read-only, private) copy: no second copy for u
            u = c if c.shape == (N,) else np.broadcast_to(c, (N,)).astype(np.float64)
            if not (isinstance(depth, float) and depth == math.inf):
                u = np.minimum(u, depth)
        elif isinstance(depth, float) and depth == math.inf:
            u = np.full(N, math.inf)
        else:
            u = np.broadcast_to(np.asarray(depth, dtype=np.float64), (N,)).copy()
        if u.flags.writeable:
            u.flags.writeable = False
        object.__setattr__(self, "_u", u)
        if S > 0:
            total = float(np.add.reduce(u))
            if S > total * (1 + 1e-12):
                raise InfeasibleError(
                    f"shares S = {S:,.6g} exceed the sum of the per-period caps {total:,.6g} over "
                    f"N = {N} periods (for a book walk, the visible depth counts as a cap): raise "
                    "the caps, add periods, or trade fewer shares."
                )
        k = as_real("risk_aversion", self.risk_aversion, what="a number >= 0 (1 / dollars)")
        if not math.isfinite(k) or k < 0:
            raise InputError(f"risk_aversion must be finite and >= 0, got {self.risk_aversion!r}.")
        object.__setattr__(self, "risk_aversion", k)
        vol = self.volatility
        if isinstance(vol, float) and math.isfinite(vol) and vol >= 0:
            pass  # the common scalar case, validated without NumPy
        else:
            sig = _array_arg("volatility", vol, N, what="dollars per share per period")
            if not np.isfinite(sig).all() or (sig < 0).any():
                raise InputError(
                    "volatility must be finite and >= 0 (dollars per share per period)."
                )
            sig.flags.writeable = False
            object.__setattr__(self, "volatility", float(sig) if sig.ndim == 0 else sig)
        if self.var_limit is not None:
            v = as_real("var_limit", self.var_limit, what="a number of dollars > 0 or None")
            if not math.isfinite(v) or v <= 0:
                raise InputError(
                    f"var_limit must be a positive number of dollars, got {self.var_limit!r}."
                )
            object.__setattr__(self, "var_limit", v)
        z = as_real("var_z", self.var_z, what="a normal quantile > 0 (1.645 for 95 %)")
        if not math.isfinite(z) or z <= 0:
            raise InputError(
                f"var_z must be a finite normal quantile > 0 (1.645 for a 95 % VaR, 2.326 for "
                f"99 %), got {self.var_z!r}: a zero, negative or NaN quantile would switch the "
                "VaR limit off."
            )
        object.__setattr__(self, "var_z", z)
        if self.drift is not None:
            mu = _array_arg("drift", self.drift, N, what="dollars per share per period")
            if not np.isfinite(mu).all():
                raise InputError(
                    "drift must be finite (the expected adverse mid change, dollars per share per "
                    "period)."
                )
            mu.flags.writeable = False
            object.__setattr__(self, "drift", float(mu) if mu.ndim == 0 else mu)
        if self.transient is not None or self.permanent != 0.0:
            self._check_price_impact()
        elif self.risk_aversion == 0.0 and self.var_limit is None and not self._drifting:
            # the common separable case, decided here (the decision path builds a problem per
            # decision; each lazy property costs about a microsecond on first use)
            d = self.__dict__
            d["terms"], d["limits"], d["separable"] = (), (), True
        if (type(cap) is float or type(cap) is int) and math.isfinite(cap):
            self.__dict__["capped"] = self.__dict__["fully_capped"] = True

    def _check_price_impact(self) -> None:
        """Validate the transient kernel and permanent impact, and that the objective stays
        convex with them (no price manipulation).
        """
        N = self.periods
        k = self.transient
        if k is not None:
            if not isinstance(k, Kernel):
                raise InputError(
                    "transient must be a kernel (ExponentialKernel, PowerLawKernel, "
                    f"TabulatedKernel) or None, got {type(k).__name__}."
                )
            k.values(N)  # a tabulated kernel must cover every lag
            k.require_positive_definite(N)
        g = as_real("permanent", self.permanent, what="a number >= 0 (dollars per share^2)")
        if not math.isfinite(g) or g < 0:
            raise InputError(
                f"permanent must be a finite number >= 0 (gamma, dollars per share per share), "
                f"got {self.permanent!r}."
            )
        object.__setattr__(self, "permanent", g)
        if g == 0.0:
            return
        # curvature: 2 diag(b) (the impact's floor on [0, u]) + K - gamma I on {d : sum d = 0}
        u = np.where(np.isfinite(self._u), self._u, max(self.shares, 1.0))
        floor = np.broadcast_to(self.impact.curvature_floor(u), (N,)).astype(float)
        k_min = k.min_eigenvalue(N) if k is not None else 0.0
        if float(floor.min()) + k_min - g >= 0.0:
            return  # sufficient: the smallest eigenvalue bound
        if N == 1:
            return  # a single period has no direction that keeps the total
        H = np.diag(floor - g)
        if k is not None:
            H = H + k.matrix(N)
        # projected onto sum d = 0: an orthonormal basis of 1-perp from a Householder reflection
        v = np.ones(N)
        v[0] += math.sqrt(N)
        Q = np.eye(N) - 2.0 * np.outer(v, v) / float(v @ v)
        B = Q[:, 1:]
        lam = float(np.linalg.eigvalsh(B.T @ H @ B)[0])
        scale = max(float(np.abs(np.diag(H)).max()), 1e-300)
        if lam < -1e-10 * scale:
            raise ConvexityError(
                f"permanent impact gamma = {g:g} exceeds the curvature of the temporary and "
                f"transient costs (2 diag(b) + K - gamma I has eigenvalue {lam:.3g} on the "
                "directions that keep sum x = S): the objective is not convex, and a round trip "
                "(buy more in one period, less in another) would lower the cost, which is price "
                "manipulation rather than execution. Lower gamma, or give the model more "
                "curvature (b_t >= gamma / 2)."
            )

    # ------------------------------------------------------------------ views
    @property
    def S(self) -> float:  # noqa: N802 - the maths symbol
        """Shares to trade (alias of :attr:`shares`)."""
        return self.shares

    @property
    def N(self) -> int:  # noqa: N802 - the maths symbol
        """Number of periods (alias of :attr:`periods`)."""
        return self.periods

    @property
    def upper(self) -> FloatArray:
        """Effective per-period upper bound ``u_t`` (caps and visible depth), shares."""
        return self._u

    @cached_property
    def capped(self) -> bool:
        """Some period has a finite upper bound."""
        return bool(np.isfinite(self._u).any())

    @cached_property
    def fully_capped(self) -> bool:
        """Every period has a finite upper bound."""
        return bool(np.isfinite(self._u).all())

    @cached_property
    def has_risk(self) -> bool:
        """True when the objective has the mean-variance term or a VaR limit (with volatility)."""
        return bool(self.limits) or any(isinstance(t, MeanVarianceRisk) for t in self.terms)

    @property
    def is_convex(self) -> bool:
        return self.impact.is_convex

    @cached_property
    def sigma2(self) -> FloatArray:
        """Per-period variance ``sigma_t^2`` broadcast to length N."""
        v = np.broadcast_to(np.asarray(self.volatility, dtype=float) ** 2, (self.periods,))
        return v

    # ------------------------------------------------------------------ the objective's terms
    @cached_property
    def terms(self) -> tuple[Term, ...]:
        """The non-separable objective terms (the separable one is :attr:`impact`)."""
        out: list[Term] = []
        if self.risk_aversion > 0 and self._volatile:
            out.append(MeanVarianceRisk(self.shares, self.risk_aversion, self.sigma2))
        if self.transient is not None:
            out.append(TransientImpact(self.transient, self.periods))
        if self.permanent > 0:
            out.append(PermanentImpact(self.shares, self.permanent))
        if self._drifting:
            mu = np.broadcast_to(np.asarray(self.drift, dtype=np.float64), (self.periods,))
            out.append(Drift(self.shares, mu))
        return tuple(out)

    @property
    def _drifting(self) -> bool:
        return self.drift is not None and bool(np.any(np.asarray(self.drift) != 0))

    @cached_property
    def limits(self) -> tuple[VaRLimit, ...]:
        """Constraint terms (a VaR limit), beyond ``sum x = S`` and the bounds."""
        if self.var_limit is None or not self._volatile:
            return ()
        return (VaRLimit(self.shares, self.sigma2, self.var_z, self.var_limit),)

    @cached_property
    def _volatile(self) -> bool:
        v = self.volatility
        return bool(v > 0) if isinstance(v, float) else bool(np.any(v > 0))

    @cached_property
    def separable(self) -> bool:
        """Only the separable impact model and the bounds (water-filling applies)."""
        return not self.terms and not self.limits

    @cached_property
    def strong_convexity(self) -> float:
        """A lower bound ``kappa >= 0`` on the Hessian's eigenvalues over the feasible set,
        dollars per share squared: the impact's curvature floor on ``[0, u_t]``, plus the
        kernel's smallest eigenvalue, minus ``gamma`` (risk terms are positive semidefinite and
        add nothing). 0 for costs with kinks (book walks). The certificate uses it for a
        second-order lower bound.
        """
        if not self.impact.smooth:
            return 0.0
        N = self.periods
        u = np.where(np.isfinite(self._u), self._u, max(self.shares, 1.0))
        floor = float(np.min(np.broadcast_to(self.impact.curvature_floor(u), (N,))))
        k = self.transient.min_eigenvalue(N) if self.transient is not None else 0.0
        kappa = floor + max(k, 0.0) - self.permanent
        return kappa if kappa > 0 and math.isfinite(kappa) else 0.0

    def linear_rate(self) -> FloatArray | None:
        """The summed per-share rate of the objective's *linear* terms (those whose
        ``diagonal_quadratic`` has zero curvature, e.g. :class:`~execopt.problem.terms.Drift`),
        dollars per share, or None when there is none.
        """
        N = self.periods
        rates = []
        for t in self.terms:
            d = t.diagonal_quadratic(N)
            if d is not None and not np.any(d[1]):
                rates.append(np.asarray(d[0], dtype=np.float64))
        return np.sum(rates, axis=0) if rates else None

    def fold_linear_terms(self) -> ExecutionProblem:
        """The same problem with its linear terms moved into the separable model as a per-share
        rate (``impact + PerShareFee(rate)``): the same minimiser and multiplier, the objective
        lower by a constant (``S sum_t mu_t`` for the drift). The exact kernels use it: a linear
        term keeps water-filling, the banded and the active-set solvers exact.
        """
        rate = self.linear_rate()
        if rate is None:
            return self
        from dataclasses import replace

        from execopt.impact.fees import PerShareFee

        return replace(self, impact=self.impact + PerShareFee(rate), drift=None)

    def remaining(self, x: ArrayLike) -> FloatArray:
        """``R_t = S - sum_{s<=t} x_s``, shares still to trade after each period."""
        return remaining(self.shares, np.asarray(x, dtype=float))

    def risk_cost(self, x: ArrayLike) -> float:
        """The mean-variance term ``k sum_t sigma_t^2 R_t^2`` in dollars."""
        x = np.asarray(x, dtype=float)
        return float(sum(t.value(x) for t in self.terms if t.name == "mean_variance"))

    def value_at_risk(self, x: ArrayLike) -> float:
        """``z sqrt(sum_t sigma_t^2 R_t^2)``, dollars."""
        R = self.remaining(x)
        return float(self.var_z * np.sqrt(np.sum(self.sigma2 * R * R)))

    def objective(self, x: ArrayLike) -> float:
        """Total objective in dollars: the impact cost plus every term."""
        x = np.asarray(x, dtype=float)
        out = float(np.sum(self.impact.cost(x)))
        for t in self.terms:
            out += t.value(x)
        return out

    def gradient(self, x: ArrayLike) -> FloatArray:
        """Gradient of :meth:`objective` (right derivative of the impact part)."""
        x = np.asarray(x, dtype=float)
        g = self.impact.marginal(x) * np.ones(self.periods)
        for t in self.terms:
            g = g + t.gradient(x)
        return np.asarray(g, dtype=float)

    def equal_allocation(self) -> FloatArray:
        """TWAP: ``S/N`` per period (may violate non-uniform caps)."""
        return np.full(self.periods, self.shares / self.periods)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (``inf`` as the string ``"inf"``); see :meth:`from_dict`."""
        return {
            "shares": self.shares,
            "periods": self.periods,
            "impact": self.impact.to_dict(),
            "cap": None if self.cap is None else encode_array(self.cap),
            "risk_aversion": self.risk_aversion,
            "volatility": encode_array(self.volatility),
            "var_limit": self.var_limit,
            "var_z": self.var_z,
            "transient": None if self.transient is None else self.transient.to_dict(),
            "permanent": self.permanent,
            "drift": None if self.drift is None else encode_array(self.drift),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ExecutionProblem:
        """Rebuild a problem from :meth:`to_dict` (the model through ``model_from_dict``).

        Raises
        ------
        InputError
            Not a mapping, missing ``shares``/``impact``, unknown fields or invalid values.
        """
        if not isinstance(d, Mapping):
            raise InputError(
                f"a problem description must be a JSON object, got {type(d).__name__}."
            )
        known = {f.name for f in fields(cls) if f.init}
        extra = set(d) - known
        if extra:
            raise InputError(
                f"problem: unknown field(s) {sorted(extra)}; it takes {sorted(known)}."
            )
        for need in ("shares", "impact"):
            if need not in d:
                raise InputError(f"problem: the field {need!r} is missing.")
        kw: dict[str, Any] = dict(d)
        kw["impact"] = model_from_dict(d["impact"])
        if kw.get("transient") is not None:
            kw["transient"] = kernel_from_dict(kw["transient"])
        for k in ("cap", "volatility", "drift"):
            if kw.get(k) is not None:
                kw[k] = decode_array(kw[k], k)
        return cls(**kw)

    def describe(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`."""
        return self.to_dict()
