"""The execution problem: split ``S`` shares over ``N`` periods at minimum impact cost.

    minimise   sum_t c_t(x_t) + k sigma^2 sum_t R_t^2
    subject to sum_t x_t = S,   0 <= x_t <= u_t,   [ z sigma ||R||_2 <= var_limit ]

with ``R_t = S - sum_{s<=t} x_s`` the shares still to trade after period ``t`` (the Almgren–Chriss
mean-variance term, ``k`` the risk aversion, ``sigma`` the per-period price volatility in dollars
per share). Glossary: ``S`` shares, ``N`` periods, ``u`` caps (shares), ``x`` the schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt import _validate as _v
from execopt.errors import InfeasibleError, InputError
from execopt.impact.models import ImpactModel, PiecewiseLinearImpact

__all__ = ["ExecutionProblem"]

FloatArray = NDArray[np.float64]


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
        ``u_t``, the largest child order per period, shares (None: uncapped). A piecewise-linear
        model's visible depth acts as a further cap.
    risk_aversion : float
        ``k >= 0``, weight of the variance of the unexecuted inventory (dollars^-1).
    volatility : float or array_like of shape (N,)
        ``sigma``, price volatility per period, dollars per share (``>= 0``).
    var_limit : float or None
        Optional value-at-risk limit on the unexecuted inventory, dollars:
        ``z sigma sqrt(sum_t R_t^2) <= var_limit`` (a second-order cone).
    var_z : float
        Normal quantile ``z_alpha`` of the VaR limit (1.645 for 95 %).

    Raises
    ------
    InputError
        Non-finite or negative sizes, wrong lengths.
    InfeasibleError
        ``S`` larger than the sum of the caps.
    """

    shares: float
    impact: ImpactModel
    periods: int = 390
    cap: FloatArray | None = None
    risk_aversion: float = 0.0
    volatility: float | FloatArray = 0.0
    var_limit: float | None = None
    var_z: float = 1.6448536269514722
    _u: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # input guards: types and shapes first (None, str, bool, ragged lists -> InputError)
        _v.check_real("shares", self.shares, unit="shares")
        _v.check_int("periods", self.periods, minimum=1, maximum=_v.MAX_PERIODS)
        _v.check_array("cap", self.cap, max_ndim=None, allow_none=True, unit="shares")
        _v.check_real("risk_aversion", self.risk_aversion)
        _v.check_array("volatility", self.volatility, max_ndim=None, unit="dollars per share")
        _v.check_real("var_limit", self.var_limit, allow_none=True, unit="dollars")
        _v.check_real("var_z", self.var_z, finite=True)
        S = float(self.shares)
        if not np.isfinite(S) or S < 0:
            raise InputError(
                f"shares must be a finite number >= 0 (the order size S in shares), got {self.shares!r}; "
                "for a sell order give the size as a positive number and choose side='sell' where it applies."
            )
        object.__setattr__(self, "shares", S)
        if not isinstance(self.periods, (int, np.integer)) or int(self.periods) < 1:
            raise InputError(f"periods must be an integer >= 1, got {self.periods!r}.")
        N = int(self.periods)
        object.__setattr__(self, "periods", N)
        if not isinstance(self.impact, ImpactModel):
            raise InputError(
                f"impact must be an ImpactModel (QuadraticImpact, PowerLawImpact, "
                f"PiecewiseLinearImpact), got {type(self.impact).__name__}."
            )
        self.impact.check_periods(N)
        u = np.full(N, np.inf)
        if self.cap is not None:
            c = np.array(self.cap, dtype=np.float64)
            if c.ndim > 1 or (c.ndim == 1 and c.shape[0] != N):
                raise InputError(
                    f"cap must be None, a scalar or an array of length N = {N}; got shape {c.shape}."
                )
            if np.any(np.isnan(c)) or np.any(c < 0):
                raise InputError(
                    "cap must be >= 0 and not NaN in every period (shares); use inf for no cap."
                )
            u = np.broadcast_to(c, (N,)).astype(np.float64).copy()
            c.flags.writeable = False
            object.__setattr__(self, "cap", c)
        if isinstance(self.impact, PiecewiseLinearImpact):
            u = np.minimum(u, np.broadcast_to(self.impact.capacity, (N,)))
        u.flags.writeable = False
        object.__setattr__(self, "_u", u)
        total = float(u.sum())
        if S > total * (1 + 1e-12):
            raise InfeasibleError(
                f"shares S = {S:,.6g} exceed the sum of the per-period caps {total:,.6g} over N = {N} "
                "periods (for a book walk, the visible depth counts as a cap): raise the caps, add "
                "periods, or trade fewer shares."
            )
        k = float(self.risk_aversion)
        if not np.isfinite(k) or k < 0:
            raise InputError(f"risk_aversion must be finite and >= 0, got {self.risk_aversion!r}.")
        object.__setattr__(self, "risk_aversion", k)
        sig = np.array(self.volatility, dtype=np.float64)
        if sig.ndim > 1 or (sig.ndim == 1 and sig.shape[0] != N):
            raise InputError(
                f"volatility must be a scalar or length N = {N}; got shape {sig.shape}."
            )
        if not np.all(np.isfinite(sig)) or np.any(sig < 0):
            raise InputError("volatility must be finite and >= 0 (dollars per share per period).")
        sig.flags.writeable = False  # read-only, like the caps: has_risk is computed once
        object.__setattr__(self, "volatility", float(sig) if sig.ndim == 0 else sig)
        if self.var_limit is not None:
            v = float(self.var_limit)
            if not np.isfinite(v) or v <= 0:
                raise InputError(
                    f"var_limit must be a positive number of dollars, got {self.var_limit!r}."
                )
            object.__setattr__(self, "var_limit", v)

    # ------------------------------------------------------------------ views
    @property
    def S(self) -> float:
        """Shares to trade (alias of :attr:`shares`)."""
        return self.shares

    @property
    def N(self) -> int:
        """Number of periods (alias of :attr:`periods`)."""
        return self.periods

    @property
    def upper(self) -> FloatArray:
        """Effective per-period upper bound ``u_t`` (caps and visible depth), shares."""
        return self._u

    @property
    def capped(self) -> bool:
        return bool(np.any(np.isfinite(self._u)))

    @cached_property
    def fully_capped(self) -> bool:
        """Every period has a finite upper bound."""
        return bool(np.all(np.isfinite(self._u)))

    @cached_property
    def has_risk(self) -> bool:
        """True when the objective has the mean-variance term or a VaR limit."""
        sig = np.asarray(self.volatility)
        return bool((self.risk_aversion > 0 or self.var_limit is not None) and np.any(sig > 0))

    @property
    def is_convex(self) -> bool:
        return self.impact.is_convex

    @property
    def sigma2(self) -> FloatArray:
        """Per-period variance ``sigma_t^2`` broadcast to length N."""
        return np.broadcast_to(np.asarray(self.volatility, dtype=float) ** 2, (self.periods,))

    def remaining(self, x: ArrayLike) -> FloatArray:
        """``R_t = S - sum_{s<=t} x_s``, shares still to trade after each period."""
        return self.shares - np.cumsum(np.asarray(x, dtype=float), axis=-1)

    def risk_cost(self, x: ArrayLike) -> float:
        """The mean-variance term ``k sum_t sigma_t^2 R_t^2`` in dollars."""
        if self.risk_aversion == 0:
            return 0.0
        R = self.remaining(x)
        return float(self.risk_aversion * np.sum(self.sigma2 * R * R))

    def value_at_risk(self, x: ArrayLike) -> float:
        """``z sqrt(sum_t sigma_t^2 R_t^2)``, dollars."""
        R = self.remaining(x)
        return float(self.var_z * np.sqrt(np.sum(self.sigma2 * R * R)))

    def objective(self, x: ArrayLike) -> float:
        """Total objective in dollars: impact cost plus the risk term."""
        x = np.asarray(x, dtype=float)
        return float(np.sum(self.impact.cost(x))) + self.risk_cost(x)

    def gradient(self, x: ArrayLike) -> FloatArray:
        """Gradient of :meth:`objective` (right derivative of the impact part)."""
        x = np.asarray(x, dtype=float)
        g = self.impact.marginal(x) * np.ones(self.periods)
        if self.risk_aversion > 0:
            wR = self.sigma2 * self.remaining(x)
            g = g - 2.0 * self.risk_aversion * np.cumsum(wR[::-1])[::-1]
        return np.asarray(g, dtype=float)

    def equal_allocation(self) -> FloatArray:
        """TWAP: ``S/N`` per period (may violate non-uniform caps)."""
        return np.full(self.periods, self.shares / self.periods)

    def describe(self) -> dict[str, Any]:
        """JSON-ready description of the problem."""
        cap: Any = None
        if self.cap is not None:
            cap = self.cap.tolist()
        return {
            "shares": self.shares,
            "periods": self.periods,
            "impact": self.impact.params(),
            "cap": cap,
            "risk_aversion": self.risk_aversion,
            "volatility": np.asarray(self.volatility).tolist(),
            "var_limit": self.var_limit,
        }
