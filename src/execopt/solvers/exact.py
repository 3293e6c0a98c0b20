"""The ``exact`` method: KKT water-filling (see :mod:`execopt.problem.waterfill`)."""

from __future__ import annotations

import math
from time import perf_counter

from execopt.errors import InputError, SolverError
from execopt.problem.certificate import certify, certify_kkt_point
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.optimum import exact_optimum
from execopt.solvers.solution import Solution, Timings

__all__ = ["KKT_POINT_ALGORITHMS", "solve_exact"]

#: Exact algorithms whose answer is a KKT point to rounding with its exact multiplier: the
#: breakpoint kernels (``x = supply(lam)``) and the transient active-set method (a KKT point
#: of the QP). Their answers go to :func:`~execopt.problem.certificate.certify_kkt_point`.
KKT_POINT_ALGORITHMS = frozenset(
    {"quadratic-breakpoints", "power-breakpoints", "transient-active-set"}
)


def solve_exact(problem: ExecutionProblem) -> Solution:
    """Exact optimum by water-filling, with its certificate (O(N log N))."""
    t0 = perf_counter()
    wf = exact_optimum(problem)
    t1 = perf_counter()
    if wf.algorithm in KKT_POINT_ALGORITHMS:
        # these return an exact KKT point with its lam: the O(N) certificate of a KKT point
        # (it checks that claim and falls back to the full certificate if it fails)
        cert = certify_kkt_point(problem, wf.x, wf.lam)
        obj, lam = cert.objective, wf.lam
    else:
        obj = problem.objective(wf.x)
        # the knapsack gives lam exactly; bisection only brackets it (it can land an ulp past the
        # price of an uncapped linear period, or at 1e-119 instead of 0 for a free period), so
        # its lam is left to the certificate's KKT search
        exact_lam = problem.is_convex and wf.algorithm != "bisection"
        cert = certify(problem, wf.x, optimum=obj, lam=wf.lam if exact_lam else None)
        lam = wf.lam if problem.is_convex else cert.lam
    t2 = perf_counter()
    if not math.isfinite(obj):
        raise InputError(
            f"the optimal schedule's impact cost overflows float64 (objective {obj}): the "
            "parameters are badly scaled for these order sizes (e.g. a huge exponent or gamma); "
            "express shares in lots or costs in larger units."
        )
    if not cert.feasible:
        # never hand back an uncertified "optimum": a water-filling bug once returned a schedule
        # summing to more than S with status "optimal"
        raise SolverError(
            f"internal error: the exact solver ({wf.algorithm}) produced an infeasible schedule "
            f"(sum residual {cert.sum_residual:.3g}, cap violation {cert.cap_violation:.3g} "
            "shares); please report this problem (problem.describe()) as a bug and use "
            "method='clarabel' meanwhile."
        )
    return Solution(
        schedule=wf.x,
        objective=obj,
        status="optimal",
        method="exact",
        timings=Timings(solve=t1 - t0, certify=t2 - t1, total=t2 - t0),
        iterations=wf.iterations,
        lam=float(lam),
        certificate=cert,
        solver_status=wf.algorithm,
        info={"algorithm": wf.algorithm},
    )
