"""Which exact algorithm solves a problem: the one dispatcher of the ``exact`` method.

==========================================  ====================================================
objective                                   algorithm
==========================================  ====================================================
separable (impact only, bounds)             water-filling (:mod:`execopt.problem.waterfill`)
separable + a VaR limit                     water-filling, exact when the limit does not bind
``a_t x + b_t x^2`` + mean-variance risk    banded KKT solve (:mod:`execopt.problem.mean_variance`),
                                            exact when no bound or VaR limit binds
``a_t x + b_t x^2`` + permanent impact      water-filling with ``b_t - gamma/2`` (separable again)
``a_t x + b_t x^2`` + a transient kernel    active set (:mod:`execopt.problem.transient_qp`):
(+ permanent impact)                        O(N) tridiagonal solves for the exponential kernel,
                                            dense Cholesky for others (N <= 3,000)
any of the above + linear terms (drift)     the same, with the linear terms folded into the
                                            separable model as a per-share rate
anything else                               :class:`~execopt.errors.NotSupportedError` naming a
                                            conic method
==========================================  ====================================================
"""

from __future__ import annotations

import numpy as np

from execopt.errors import NotSupportedError
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.mean_variance import BOUND_RTOL, solve_mean_variance
from execopt.problem.terms import MeanVarianceRisk, PermanentImpact
from execopt.problem.transient_qp import kernel_qp_data, solve_kernel_qp
from execopt.problem.waterfill import WaterFill, linear_supply_root, waterfill

__all__ = ["exact_optimum"]


def _permanent_only(problem: ExecutionProblem) -> WaterFill | None:
    """Quadratic impact plus permanent impact: ``b_t - gamma/2`` per period, water-filled."""
    N = problem.periods
    diag = problem.impact.diagonal_quadratic(N)
    if diag is None:
        return None
    lin = np.asarray(diag[0], dtype=np.float64)
    quad = np.asarray(diag[1], dtype=np.float64) - sum(
        0.5 * t.gamma for t in problem.terms if isinstance(t, PermanentImpact)
    )
    if not np.all(quad > 0):
        return None
    x, lam = linear_supply_root(0.5 / quad, lin, problem.upper, problem.shares)
    return WaterFill(x, lam, "quadratic-breakpoints", 1)


def exact_optimum(problem: ExecutionProblem) -> WaterFill:
    """The exact optimum of ``problem`` (schedule, multiplier, algorithm).

    Raises
    ------
    NotSupportedError
        When no exact algorithm covers the problem (a binding bound or VaR limit with a risk
        term, a non-quadratic cost with a risk term, terms without an exact kernel): the message
        names ``method="clarabel"``.
    """
    if problem.separable:
        return waterfill(problem)
    if problem.linear_rate() is not None:  # linear terms (drift): a per-share rate, same optimum
        return exact_optimum(problem.fold_linear_terms())
    if not problem.terms:
        wf = waterfill(problem)
        for lim in problem.limits:
            var = lim.value_at_risk(wf.x)
            if var > lim.limit * (1.0 + BOUND_RTOL):
                raise NotSupportedError(
                    f"the VaR limit binds (the optimum without it has VaR ${var:,.2f} > limit "
                    f"${lim.limit:,.2f}); a binding second-order cone needs method='clarabel'."
                )
        return wf
    if all(isinstance(t, MeanVarianceRisk) for t in problem.terms):
        return solve_mean_variance(problem)
    if not problem.limits and all(isinstance(t, PermanentImpact) for t in problem.terms):
        adjusted = _permanent_only(problem)
        if adjusted is not None:
            return adjusted
    if kernel_qp_data(problem) is not None:
        return solve_kernel_qp(problem)
    names = ", ".join(sorted({t.name for t in problem.terms}))
    raise NotSupportedError(
        f"no exact algorithm covers an objective with the term(s) {names}; use "
        "method='clarabel' (certified by the Frank-Wolfe bound)."
    )
