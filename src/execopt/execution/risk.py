"""Risk controls: circuit breakers, an inventory VaR floor, and the cost-risk efficient frontier.

Circuit breaker (:class:`CircuitBreaker`, run by :class:`BreakerMonitor` inside the simulator):
trading halts in a period when any trigger fires:

* the quoted spread exceeds ``max_spread_bps`` basis points of the mid;
* the short-term realised volatility, ``sqrt(mean(r^2))`` over the last ``vol_window`` one-minute
  log returns, exceeds ``max_volatility_bps`` basis points per minute;
* the mid leaves a band of ``band_bps`` basis points around the arrival mid.

A halted period sends nothing; the shares stay owed. Trading resumes after ``resume_after``
consecutive calm periods (no trigger). At the close, ``at_close="release"`` (default) lifts a
halt in the last period so the simulator's end-of-day rule applies (the mandate to finish
dominates); ``"hold"`` keeps it, and the open shares are reported unfilled.

Inventory VaR (:class:`InventoryVaR`): the one-period value at risk of the open inventory,
``z sigma_$ R`` with ``sigma_$`` the mid times the recent one-minute volatility, is kept below a
dollar limit by forcing a minimum child order ``R - limit / (z sigma_$)``.

Planning with risk (:func:`efficient_frontier`): solve the execution problem for a sweep of
risk aversions ``k`` (mean-variance) or VaR limits (a second-order cone), and tabulate impact
cost against risk. It lives here, not in ``problem/``, because it calls the solvers.

Glossary: ``r`` log returns, ``bps`` basis points, ``R`` remaining shares, ``z`` the normal
quantile, ``k`` risk aversion (1 / dollars).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from execopt.errors import InputError, NotSupportedError
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.mean_variance import solve_mean_variance
from execopt.solvers.api import solve

if TYPE_CHECKING:  # pragma: no cover
    from execopt.execution.state import BookSnapshot, History, MarketState

__all__ = ["BreakerMonitor", "CircuitBreaker", "InventoryVaR", "efficient_frontier"]


def _positive_or_none(name: str, v: float | None) -> None:
    if v is not None and not (np.isfinite(v) and v > 0):
        raise InputError(f"{name} must be a positive number or None, got {v!r}.")


def _recent_vol(returns: np.ndarray, window: int) -> float:
    r = returns[-window:]
    r = r[np.isfinite(r)]
    return float(np.sqrt(np.mean(r * r))) if r.size else 0.0


@dataclass(frozen=True)
class CircuitBreaker:
    """Halt rules (see the module docstring); every threshold is optional.

    Parameters
    ----------
    max_spread_bps : float, optional
        Halt when ``spread / mid`` exceeds this many basis points.
    max_volatility_bps : float, optional
        Halt when the recent one-minute realised volatility exceeds this (basis points).
    vol_window : int
        Returns in the realised volatility.
    band_bps : float, optional
        Halt when ``|mid / arrival - 1|`` exceeds this many basis points.
    resume_after : int
        Consecutive calm periods before trading resumes (``>= 1``).
    at_close : {"release", "hold"}
        Whether a halt is lifted in the last period.
    """

    max_spread_bps: float | None = None
    max_volatility_bps: float | None = None
    vol_window: int = 10
    band_bps: float | None = None
    resume_after: int = 3
    at_close: Literal["release", "hold"] = "release"

    def __post_init__(self) -> None:
        _positive_or_none("max_spread_bps", self.max_spread_bps)
        _positive_or_none("max_volatility_bps", self.max_volatility_bps)
        _positive_or_none("band_bps", self.band_bps)
        if int(self.vol_window) < 2:
            raise InputError(f"vol_window must be >= 2 returns, got {self.vol_window}.")
        if int(self.resume_after) < 1:
            raise InputError(f"resume_after must be >= 1 period, got {self.resume_after}.")
        if self.at_close not in ("release", "hold"):
            raise InputError(f"at_close must be 'release' or 'hold', got {self.at_close!r}.")

    def triggers(self, book: BookSnapshot, history: History, arrival_mid: float) -> list[str]:
        """The triggers that fire on this period's book (empty when calm)."""
        out: list[str] = []
        mid = book.mid
        if self.max_spread_bps is not None and mid > 0:
            sp = 1e4 * book.spread / mid
            if sp > self.max_spread_bps:
                out.append(f"spread {sp:.1f} bp > {self.max_spread_bps:g} bp")
        if self.max_volatility_bps is not None:
            vol = 1e4 * _recent_vol(np.asarray(history.returns), int(self.vol_window))
            if vol > self.max_volatility_bps:
                out.append(
                    f"realised volatility {vol:.1f} bp/min > {self.max_volatility_bps:g} bp/min"
                )
        if self.band_bps is not None and np.isfinite(arrival_mid) and arrival_mid > 0:
            dev = 1e4 * abs(mid / arrival_mid - 1.0)
            if dev > self.band_bps:
                out.append(f"mid {dev:.1f} bp from arrival > band {self.band_bps:g} bp")
        return out


class BreakerMonitor:
    """The state machine that runs a :class:`CircuitBreaker` through a day.

    ``step`` returns ``(halted, event)`` with ``event`` ``("halt", reasons)``,
    ``("resume", why)`` or None.
    """

    def __init__(self, breaker: CircuitBreaker) -> None:
        self.breaker = breaker
        self.halted = False
        self.calm = 0

    def step(
        self,
        t: int,
        book: BookSnapshot,
        history: History,
        arrival_mid: float,
        last: bool = False,
    ) -> tuple[bool, tuple[str, str] | None]:
        reasons = self.breaker.triggers(book, history, arrival_mid)
        event: tuple[str, str] | None = None
        if reasons:
            self.calm = 0
            if not self.halted:
                self.halted = True
                event = ("halt", "; ".join(reasons))
        elif self.halted:
            self.calm += 1
            if self.calm >= int(self.breaker.resume_after):
                self.halted = False
                event = ("resume", f"{self.calm} calm period(s)")
        if last and self.halted and self.breaker.at_close == "release":
            self.halted = False
            event = ("resume", "released at the close (at_close='release')")
        return self.halted, event


@dataclass(frozen=True)
class InventoryVaR:
    """Keep the one-period VaR of the open inventory under ``limit`` dollars.

    Parameters
    ----------
    limit : float
        Dollars, ``> 0``.
    z : float
        Normal quantile (1.645 for 95 %).
    vol_window : int
        One-minute returns in the volatility estimate.
    """

    limit: float
    z: float = 1.6448536269514722
    vol_window: int = 30

    def __post_init__(self) -> None:
        _positive_or_none("limit", self.limit)
        _positive_or_none("z", self.z)
        if int(self.vol_window) < 2:
            raise InputError(f"vol_window must be >= 2 returns, got {self.vol_window}.")

    def min_trade(self, state: MarketState) -> float:
        """Smallest child order that brings the VaR of what is left under the limit."""
        r = np.asarray(state.history.returns)
        sigma = state.book.mid * _recent_vol(r, int(self.vol_window))
        if not sigma > 0:
            return 0.0
        R_max = self.limit / (self.z * sigma)
        return float(max(0.0, state.remaining - R_max))


def efficient_frontier(
    problem: ExecutionProblem,
    risk_aversions: Sequence[float] | None = None,
    var_limits: Sequence[float] | None = None,
    method: Literal["auto", "clarabel", "scs"] = "auto",
) -> pd.DataFrame:
    """Impact cost against risk for a sweep of risk aversions or VaR limits.

    Parameters
    ----------
    problem : ExecutionProblem
        The base problem; its ``volatility`` must be positive.
    risk_aversions : sequence of float, optional
        ``k`` values (mean-variance). ``method="auto"`` uses the exact banded solver when no
        bound binds, else Clarabel.
    var_limits : sequence of float, optional
        VaR limits in dollars (a second-order cone; Clarabel or SCS).
    method : {"auto", "clarabel", "scs"}

    Returns
    -------
    pandas.DataFrame
        One row per value, in the order given: ``risk_aversion`` or ``var_limit``,
        ``impact_cost`` ($), ``risk_sd`` ($, ``sqrt(sum sigma_t^2 R_t^2)``), ``value_at_risk``
        ($), ``objective`` ($), ``solver``.

    Raises
    ------
    InputError
        Unless exactly one sweep is given, or with zero volatility.
    InfeasibleError
        A VaR limit no schedule meets.
    """
    if (risk_aversions is None) == (var_limits is None):
        raise InputError("give exactly one of risk_aversions or var_limits.")
    if not np.any(np.asarray(problem.volatility) > 0):
        raise InputError("the problem's volatility is zero: there is no risk to trade off.")
    rows = []
    key = "risk_aversion" if risk_aversions is not None else "var_limit"
    values = risk_aversions if risk_aversions is not None else var_limits
    assert values is not None
    for v in values:
        if key == "risk_aversion":
            p = dataclasses.replace(problem, risk_aversion=float(v), var_limit=None)
        else:
            p = dataclasses.replace(problem, var_limit=float(v))
        x, how = None, ""
        if method == "auto" and key == "risk_aversion":
            try:
                x, how = solve_mean_variance(p).x, "mean-variance-banded"
            except NotSupportedError:
                x = None
        if x is None:
            m = "clarabel" if method == "auto" else method
            x, how = solve(p, m).schedule, m
        R = p.remaining(x)
        sd = float(np.sqrt(np.sum(p.sigma2 * R * R)))
        rows.append(
            {
                key: float(v),
                "impact_cost": float(np.sum(p.impact.cost(x))),
                "risk_sd": sd,
                "value_at_risk": p.value_at_risk(x),
                "objective": p.objective(x),
                "solver": how,
            }
        )
    return pd.DataFrame(rows)
