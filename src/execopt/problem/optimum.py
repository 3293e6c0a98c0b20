"""Which exact algorithm solves a problem: the one dispatcher of the ``exact`` method.

==========================================  ====================================================
objective                                   algorithm
==========================================  ====================================================
separable (impact only, bounds)             water-filling (:mod:`execopt.problem.waterfill`)
separable + a VaR limit                     water-filling, exact when the limit does not bind
``a_t x + b_t x^2`` + mean-variance risk    banded KKT solve (:mod:`execopt.problem.mean_variance`),
                                            exact when no bound or VaR limit binds
anything else                               :class:`~execopt.errors.NotSupportedError` naming a
                                            conic method
==========================================  ====================================================
"""

from __future__ import annotations

from execopt.errors import NotSupportedError
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.mean_variance import BOUND_RTOL, solve_mean_variance
from execopt.problem.terms import MeanVarianceRisk
from execopt.problem.waterfill import WaterFill, waterfill

__all__ = ["exact_optimum"]


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
    names = ", ".join(sorted({t.name for t in problem.terms}))
    raise NotSupportedError(
        f"no exact algorithm covers an objective with the term(s) {names}; use "
        "method='clarabel' (certified by the Frank-Wolfe bound)."
    )
