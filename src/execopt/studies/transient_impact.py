"""Transient impact studies: what a propagator does to the saving over TWAP.

With constant parameters and only temporary impact, equal allocation is the exact optimum (the
saving is 0). Transient impact breaks that: the optimum front- and back-loads (the
Obizhaeva–Wang shape). This module measures by how much, and what it would take:

* :func:`saving_vs_twap`: the percent by which the certified optimum beats TWAP on a problem;
* :func:`required_strength`: the kernel strength ``G0`` (at a given half-life) for which the
  optimum beats TWAP by a target percent, and the ceiling as ``G0`` grows without bound;
* :func:`sensitivity_grid`: the saving over a grid of half-lives and strengths (tidy table);
* :func:`kernel_draws`: the saving for each of many kernels (e.g. a calibration's bootstrap).

Sign convention: a saving > 0 means cheaper than TWAP. Glossary: ``G0`` dollars per share per
share, ``half_life`` periods (minutes), ``S`` shares, ``N`` periods.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from execopt import presets
from execopt.data.book import BookSeries
from execopt.errors import NotSupportedError
from execopt.impact.bookwalk import Side
from execopt.impact.transient import ExponentialKernel, Kernel
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.api import solve
from execopt.solvers.solution import Solution

__all__ = [
    "HALF_LIVES",
    "ceiling_over_half_lives",
    "day_savings",
    "kernel_draws",
    "optimum",
    "required_strength",
    "saving_vs_twap",
    "sensitivity_grid",
]

#: Strength standing in for "without bound" when computing the ceiling (relative to b).
CEILING_FACTOR = 1e9
#: Half-lives (minutes) scanned for the largest saving transient impact can give.
HALF_LIVES = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 240.0, 390.0, 1000.0)


def optimum(problem: ExecutionProblem) -> Solution:
    """The certified optimum: ``exact`` where an exact algorithm applies, else Clarabel."""
    try:
        return solve(problem, "exact")
    except NotSupportedError:
        return solve(problem, "clarabel")


def saving_vs_twap(problem: ExecutionProblem) -> float:
    """``100 (1 - optimum / cost(TWAP))``, percent (> 0: the optimum is cheaper).

    Examples
    --------
    >>> import execopt as eo
    >>> p = eo.ExecutionProblem(1000.0, eo.QuadraticImpact(0.01, 1e-4), 10)
    >>> round(saving_vs_twap(p), 12)
    0.0
    """
    twap = problem.objective(problem.equal_allocation())
    return 100.0 * (1.0 - optimum(problem).objective / twap)


def _preset_problem(
    stock: str, kernel: Kernel | None, S: float, N: int, permanent: float = 0.0
) -> ExecutionProblem:
    return ExecutionProblem(S, presets.quadratic(stock), N, transient=kernel, permanent=permanent)


def required_strength(
    stock: str, target_pct: float, half_life: float, S: float = 10_000.0, N: int = 390
) -> tuple[float, float]:
    """``G0`` of an exponential kernel with ``half_life`` for which the optimum beats TWAP by
    ``target_pct`` on the preset's constant quadratic impact, and the ceiling.

    Returns
    -------
    G0, ceiling : float, float
        ``G0`` is NaN when the target is at or above the ceiling (the saving as ``G0 -> inf``,
        where the problem becomes pure transient impact).
    """
    b = float(np.mean(presets.quadratic(stock).b))

    def saving(log_g: float) -> float:
        return saving_vs_twap(
            _preset_problem(stock, ExponentialKernel(math.exp(log_g), half_life), S, N)
        )

    ceiling = saving(math.log(CEILING_FACTOR * b))
    if target_pct >= ceiling:
        return float("nan"), ceiling
    lo, hi = math.log(b * 1e-6), math.log(b)
    while saving(hi) < target_pct:
        hi += math.log(10.0)
    g = brentq(lambda v: saving(v) - target_pct, lo, hi, xtol=1e-10, rtol=1e-10)
    return float(math.exp(g)), ceiling


def ceiling_over_half_lives(
    stock: str, S: float = 10_000.0, N: int = 390, half_lives: Sequence[float] = HALF_LIVES
) -> pd.DataFrame:
    """The largest saving over TWAP an exponential kernel can give at each half-life (its
    strength without bound, constant parameters otherwise), a tidy table.

    Returns
    -------
    DataFrame
        Columns ``half_life, ceiling_pct``.
    """
    rows = []
    b = float(np.mean(presets.quadratic(stock).b))
    for h in half_lives:
        k = ExponentialKernel(CEILING_FACTOR * b, float(h))
        rows.append(
            {"half_life": float(h), "ceiling_pct": saving_vs_twap(_preset_problem(stock, k, S, N))}
        )
    return pd.DataFrame(rows)


def sensitivity_grid(
    base: ExecutionProblem, half_lives: Sequence[float], strengths: Sequence[float]
) -> pd.DataFrame:
    """Saving over TWAP for every exponential kernel ``(G0, half_life)`` on ``base``.

    Returns
    -------
    DataFrame
        Columns ``half_life, strength, saving_pct, objective, twap``.
    """
    rows = []
    for h in half_lives:
        for g in strengths:
            p = replace(base, transient=ExponentialKernel(float(g), float(h)))
            sol = optimum(p)
            twap = p.objective(p.equal_allocation())
            rows.append(
                {
                    "half_life": float(h),
                    "strength": float(g),
                    "saving_pct": 100.0 * (1.0 - sol.objective / twap),
                    "objective": sol.objective,
                    "twap": twap,
                }
            )
    return pd.DataFrame(rows)


def kernel_draws(base: ExecutionProblem, draws: Sequence[tuple[Kernel, float]]) -> pd.DataFrame:
    """Saving over TWAP for each ``(kernel, permanent gamma)`` draw (a calibration's bootstrap).

    Returns
    -------
    DataFrame
        Columns ``draw, saving_pct, objective, twap``.
    """
    rows = []
    for i, (k, gamma) in enumerate(draws):
        p = replace(base, transient=k, permanent=float(gamma))
        sol = optimum(p)
        twap = p.objective(p.equal_allocation())
        rows.append(
            {
                "draw": i,
                "saving_pct": 100.0 * (1.0 - sol.objective / twap),
                "objective": sol.objective,
                "twap": twap,
            }
        )
    return pd.DataFrame(rows)


def day_savings(
    book: BookSeries,
    shares: Sequence[float],
    kernel: Kernel,
    permanent: float = 0.0,
    *,
    side: Side = "buy",
    cap: float | None = None,
) -> pd.DataFrame:
    """What the transient-aware optimum saves over TWAP on one day, in the model and replayed.

    The model: the day's per-minute quadratic profile (:func:`~execopt.impact.profiles.fit_profile`,
    in sample) plus ``kernel`` and ``permanent``; its certified optimum against TWAP. The
    replay: both schedules filled against the day's real books by the simulator, with the same
    kernel and permanent impact shifting the order's own later books (the planner's algebra).

    Returns
    -------
    DataFrame
        ``S``; ``model_twap``, ``model_optimum``, ``model_saving_pct`` (the plan's objective);
        ``sim_impact_twap``, ``sim_impact_optimum``, ``sim_saving_pct`` (replayed: the book walk
        against each minute's mid plus the order's own transient and permanent impact, dollars;
        the day's drift left out); ``sim_shortfall_twap``, ``sim_shortfall_optimum`` (against
        the arrival mid, drift included); ``method``, ``certified``. A saving > 0 means cheaper
        than TWAP.
    """
    from execopt.execution.policies import TWAP, FixedSchedule
    from execopt.execution.simulator import SimConfig, simulate
    from execopt.impact.profiles import fit_profile

    prof = fit_profile(book, side, "quadratic", n_boot=0, time_split=None)
    model = prof.model()
    N = int(prof.periods)
    cfg = SimConfig(side=side, transient=kernel, permanent_impact=permanent)
    rows = []
    for S in shares:
        p = ExecutionProblem(
            float(S),
            model,
            N,
            cap=None if cap is None else np.asarray(cap, dtype=np.float64),
            transient=kernel,
            permanent=permanent,
        )
        sol = optimum(p)
        twap = p.objective(p.equal_allocation())
        sim_t = simulate(book, TWAP(), float(S), cfg)
        sim_o = simulate(
            book, FixedSchedule(sol.schedule, "transient-aware optimum"), float(S), cfg
        )
        i_t, i_o = _impact(sim_t), _impact(sim_o)
        rows.append(
            {
                "S": float(S),
                "model_twap": twap,
                "model_optimum": sol.objective,
                "model_saving_pct": 100.0 * (1.0 - sol.objective / twap),
                "sim_impact_twap": i_t,
                "sim_impact_optimum": i_o,
                "sim_saving_pct": 100.0 * (1.0 - i_o / i_t),
                "sim_shortfall_twap": sim_t.shortfall,
                "sim_shortfall_optimum": sim_o.shortfall,
                "method": sol.method,
                "certified": sol.certified,
            }
        )
    return pd.DataFrame(rows)


def _impact(res: Any) -> float:
    """Replayed impact: the walk against each period's (shifted) mid plus the own footprint."""
    return float(res.cost + res.fills["own_impact"].sum())
