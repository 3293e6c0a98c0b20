"""Regimes and stress: how the plan, its cost and its safety buffers fare when the market moves.

A :class:`Scenario` is a transformation of the problem's parameters, over the whole day or a
window of periods: spread (``a``), depth (``b`` scales as ``1 / depth``, the caps as ``depth``,
since ``u_t = min(0.1 volume_t, 1000)`` follows liquidity) and volatility (``sigma``). For each
scenario the study reports

* ``feasible`` / ``shortfall``: whether the stressed caps still hold ``S`` at all;
* ``cost_replanned``: the optimum under the stressed parameters (a planner who knew);
* ``cost_plan``: the *nominal* plan (optimal for the baseline) executed under the stress, what a
  stressed cap refuses carried to the next periods (:func:`carry_forward`), and
  ``unfilled_shares`` left at the close; ``cost_equal`` the same for equal allocation;
* ``regret``: ``cost_plan - cost_replanned``, dollars and percent (NaN when the plan could not
  finish: its cost is then for fewer shares);
* the nominal plan's safety buffers under the stressed caps: ``over_cap_shares`` (shares the
  plan would send above a cap), ``periods_over_cap``, ``headroom_min`` (smallest
  ``(u_t - x_t) / u_t``), and the value-at-risk of its unexecuted inventory.

Until the execution layer's simulator exists this is a study of problems, not of fills: the
factors are assumptions, named in each scenario's description.

Glossary: ``S`` shares, ``N`` periods, ``x`` plan, ``u`` caps, ``a`` dollars per share, ``b``
dollars per share squared, ``sigma`` dollars per share per period, ``k`` risk aversion.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from execopt.data import PRESETS
from execopt.errors import InputError
from execopt.impact.models import QuadraticImpact
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.api import solve
from execopt.studies.cases import DEFAULT_AMPLITUDE, seed_quadratic, volume_caps

__all__ = ["SCENARIOS", "Scenario", "StressConfig", "carry_forward", "run_stress", "stress_row"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Scenario:
    """Multiplicative shocks to spread, depth and volatility, optionally within a window.

    Parameters
    ----------
    name, description : str
    spread : float
        Factor on ``a_t`` (half-spread-like cost).
    depth : float
        Factor on visible depth: ``b_t`` is divided by it, the caps multiplied by it.
    impact : float
        Extra factor on ``b_t`` alone (model error: the impact law itself is off).
    volatility : float
        Factor on ``sigma``.
    window : (int, int) or None
        Periods ``[start, end)`` the shock applies to (negative counts from the end); None: all.
    """

    name: str
    description: str
    spread: float = 1.0
    depth: float = 1.0
    impact: float = 1.0
    volatility: float = 1.0
    window: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        for f in ("spread", "depth", "impact", "volatility"):
            v = getattr(self, f)
            if not np.isfinite(v) or v <= 0:
                raise InputError(f"scenario {self.name!r}: {f} must be a finite factor > 0.")

    def mask(self, N: int) -> np.ndarray:
        """Boolean mask of the periods the shock applies to."""
        m = np.zeros(N, dtype=bool)
        if self.window is None:
            m[:] = True
        else:
            lo, hi = (w % N if w < 0 else min(w, N) for w in self.window)
            m[lo:hi] = True
        return m

    def parameters(
        self, problem: ExecutionProblem
    ) -> tuple[QuadraticImpact, FloatArray, FloatArray]:
        """Stressed impact, caps ``u_t`` (inf where uncapped) and ``sigma_t`` of ``problem``."""
        N = problem.periods
        diag = problem.impact.diagonal_quadratic(N)
        if diag is None:
            raise InputError(
                "stress scenarios transform a quadratic cost a_t x + b_t x^2 (quadratic impact, "
                f"fees); got {problem.impact!r}."
            )
        w = self.mask(N)
        a, b = diag
        sig = np.broadcast_to(np.asarray(problem.volatility, dtype=float), (N,))
        u = problem.upper
        return (
            QuadraticImpact(
                a=np.where(w, a * self.spread, a), b=np.where(w, b * self.impact / self.depth, b)
            ),
            np.where(w, u * self.depth, u),
            np.where(w, sig * self.volatility, sig),
        )

    def apply(self, problem: ExecutionProblem) -> ExecutionProblem:
        """The stressed problem.

        Raises
        ------
        InfeasibleError
            When the stressed caps cannot hold ``S``.
        """
        m, u, sig = self.parameters(problem)
        return ExecutionProblem(
            problem.shares,
            m,
            problem.periods,
            cap=u if problem.capped else None,
            risk_aversion=problem.risk_aversion,
            volatility=sig,
            var_limit=problem.var_limit,
        )


#: The default scenarios. Factors are assumptions for illustration (not estimates), chosen to
#: span what intraday FROG-like books show: spreads that triple, depth that halves or quarters.
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("baseline", "the nominal parameters"),
    Scenario(
        "low volatility", "sigma x0.5, spread x0.8, depth x1.25 (calm regime)", 0.8, 1.25, 1.0, 0.5
    ),
    Scenario(
        "high volatility",
        "sigma x2, spread x1.5, depth x0.67 (stressed regime)",
        1.5,
        0.67,
        1.0,
        2.0,
    ),
    Scenario("liquidity drought x0.5", "depth (and volume caps) halved all day", depth=0.5),
    Scenario("liquidity drought x0.25", "depth (and volume caps) quartered all day", depth=0.25),
    Scenario("spread blow-up x3", "spread x3 all day", spread=3.0),
    Scenario(
        "midday drought",
        "depth x0.25 from 12:00 to 13:00 (periods 150-210)",
        depth=0.25,
        window=(150, 210),
    ),
    Scenario(
        "opening shock",
        "first 30 minutes: spread x2, depth x0.2",
        spread=2.0,
        depth=0.2,
        window=(0, 30),
    ),
    Scenario("impact model error", "b_t 50 % higher than fitted all day", impact=1.5),
)


@dataclass(frozen=True)
class StressConfig:
    """Settings of the stress study.

    Parameters
    ----------
    stock : str
    shares : float
    amplitude : float
        U-shape amplitude of the nominal ``b_t``.
    risk_aversion : float
        ``k`` (1/dollars); > 0 makes the volatility regimes change the plan (solved by
        Clarabel), 0 keeps every solve exact.
    seed : int
        Seed of the synthetic day whose volume sets the caps.
    scenarios : tuple of Scenario
    """

    stock: str = "FROG"
    shares: float = 10_000.0
    amplitude: float = DEFAULT_AMPLITUDE
    risk_aversion: float = 1e-6
    seed: int = 0
    scenarios: tuple[Scenario, ...] = field(default=SCENARIOS)

    def __post_init__(self) -> None:
        if not isinstance(self.stock, str) or self.stock.upper() not in PRESETS:
            raise InputError(
                f"unknown stock {self.stock!r} for the stress study; choose one of "
                f"{', '.join(PRESETS)}."
            )

    def fast(self) -> StressConfig:
        """CI-sized: no risk term (every solve exact)."""
        return replace(self, risk_aversion=0.0)

    def problem(self) -> ExecutionProblem:
        """The nominal problem: reference constants, U-shaped ``b_t``, volume caps, FROG-like sigma."""
        N = 390
        p = PRESETS[self.stock.upper()]
        sigma = p.mid * p.daily_volatility / np.sqrt(N)  # dollars per share per minute
        return ExecutionProblem(
            self.shares,
            seed_quadratic(self.stock, N, self.amplitude),
            N,
            cap=volume_caps(self.stock, self.seed),
            risk_aversion=self.risk_aversion,
            volatility=sigma,
        )


def _solve(problem: ExecutionProblem) -> Any:
    return solve(problem, "clarabel" if problem.has_risk else "exact")


def _objective(
    m: QuadraticImpact, sigma: FloatArray, k: float, S: float, x: FloatArray
) -> tuple[float, FloatArray]:
    """Impact plus risk term of schedule ``x``, and its inventory ``R_t``."""
    R = S - np.cumsum(x)
    return float(np.sum(m.cost(x))) + k * float(np.sum(sigma**2 * R**2)), R


def carry_forward(x: FloatArray, u: FloatArray) -> tuple[FloatArray, float]:
    """Execute plan ``x`` under caps ``u``: what a cap refuses is sent in the next periods.

    Returns the executed schedule and the shares still unfilled at the close (what the
    execution layer's ``overflow="carry"`` does with a cap, without a book).
    """
    done = np.empty_like(x)
    carry = 0.0
    for t in range(x.shape[0]):
        want = x[t] + carry
        done[t] = min(want, u[t])
        carry = want - done[t]
    return done, float(carry)


def stress_row(nominal: ExecutionProblem, x_plan: FloatArray, scenario: Scenario) -> dict[str, Any]:
    """One row of the stress table: ``scenario`` applied to ``nominal``, ``x_plan`` its plan."""
    S, N, k = nominal.shares, nominal.periods, nominal.risk_aversion
    m, u, sig = scenario.parameters(nominal)
    capacity = float(u.sum())
    feasible = capacity >= S * (1 - 1e-12)
    x_exec, unfilled = carry_forward(x_plan, u)
    cost_plan, R = _objective(m, sig, k, S, x_exec)
    cost_equal, _ = _objective(m, sig, k, S, carry_forward(np.full(N, S / N), u)[0])
    over = np.maximum(x_plan - u, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        head = np.where(u > 0, (u - x_plan) / u, np.where(x_plan > 0, -np.inf, 1.0))
    row: dict[str, Any] = {
        "scenario": scenario.name,
        "feasible": feasible,
        "capacity": capacity,
        "shortfall": max(0.0, S - capacity),
        "cost_plan": cost_plan,
        "cost_equal": cost_equal,
        "unfilled_shares": unfilled,
        "over_cap_shares": float(over.sum()),
        "periods_over_cap": int(np.sum(over > 1e-9)),
        "headroom_min": float(np.min(head)),
        "var95_plan": float(nominal.var_z * np.sqrt(np.sum(sig**2 * R**2))),
        "cost_replanned": np.nan,
        "regret": np.nan,
        "regret_pct": np.nan,
        "lam": np.nan,
        "var95_replanned": np.nan,
        "method": "",
        "description": scenario.description,
    }
    if not feasible:
        return row
    stressed = scenario.apply(nominal)
    sol = _solve(stressed)
    comparable = unfilled <= 1e-9 * S  # an unfinished plan's cost is for fewer shares
    row.update(
        cost_replanned=sol.objective,
        regret=cost_plan - sol.objective if comparable else np.nan,
        regret_pct=100.0 * (cost_plan / sol.objective - 1.0) if comparable else np.nan,
        lam=sol.lam,
        var95_replanned=stressed.value_at_risk(sol.schedule),
        method=sol.method,
    )
    return row


def run_stress(config: StressConfig | None = None) -> tuple[pd.DataFrame, dict[str, float]]:
    """The stress table (one row per scenario) and timings in seconds."""
    config = config or StressConfig()
    t0 = perf_counter()
    nominal = config.problem()
    plan = _solve(nominal).schedule
    t1 = perf_counter()
    table = pd.DataFrame([stress_row(nominal, plan, s) for s in config.scenarios])
    t2 = perf_counter()
    return table, {"nominal": t1 - t0, "scenarios": t2 - t1, "total": t2 - t0}
