"""The certification harness: turn a catalogue entry into a certified instance.

For every feasible instance:

1. the optimum is computed by the exact dispatcher (``exact``: water-filling, or the banded
   mean-variance solve); where no exact algorithm covers the problem, by Clarabel at its pinned
   tight tolerances;
2. independent solvers cross-check its objective: Clarabel, SCS (and OSQP on quadratic programs)
   through cvxpy, or, for ``N > CVXPY_MAX_N`` (where cvxpy's compilation needs dense memory),
   Clarabel called directly on a sparse QP (:func:`execopt.solvers.clarabel_direct.clarabel_direct`,
   ``clarabel-direct``). Those that agree within ``CROSSCHECK_RTOL`` (plus a tiny absolute part)
   are listed in ``certified_by``; at least one independent solver must agree, and generation
   stops if any solver finds a *lower* objective (the optimum would not be optimal). A solver that
   stops above the optimum (OSQP on some linear programs) is recorded in ``crosscheck`` only;
3. the KKT certificate of the stored schedule must show it feasible with a duality (or
   Frank–Wolfe) bound gap within ``BOUND_RTOL``;
4. the facts the validator's checks need are stored: the multiplier ``lam``, whether the optimum
   is unique and its stiffest pair curvature (:func:`~execopt.studies.suite.checks.curvature_facts`),
   and the stored optimum must pass those checks itself.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from execopt.errors import InfeasibleError, NotSupportedError, SolverError
from execopt.problem.certificate import certify, knapsack_min
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.api import solve
from execopt.solvers.clarabel_direct import clarabel_direct
from execopt.studies.suite import checks
from execopt.studies.suite.catalogue import Spec
from execopt.studies.suite.format import (
    CROSSCHECK_ATOL_NOTIONAL,
    compact_value,
    problem_from_instance,
    to_json_value,
)

__all__ = [
    "BOUND_RTOL",
    "CROSSCHECK_RTOL",
    "CVXPY_MAX_N",
    "build_instance",
    "crosscheck_methods",
    "frank_wolfe_gap",
]

FloatArray = NDArray[np.float64]

#: Relative agreement every cross-checking solver must reach with the stored optimum.
CROSSCHECK_RTOL = 1e-6
#: Largest certificate bound gap (objective minus the dual / Frank–Wolfe lower bound), relative to
#: the objective, accepted for a stored optimum.
BOUND_RTOL = 1e-6
#: Largest N solved through cvxpy when cross-checking (above it cvxpy 1.9's parameter tensor is
#: dense: N = 100,000 asked for 224 GiB); larger quadratic instances use ``clarabel-direct``.
CVXPY_MAX_N = 20_000


def crosscheck_methods(problem: ExecutionProblem) -> list[str]:
    """The independent solvers that cross-check ``problem``'s optimum (asked of the model)."""
    if problem.periods > CVXPY_MAX_N:
        if problem.separable and problem.impact.diagonal_quadratic(problem.periods) is not None:
            return ["clarabel-direct"]
        return []
    if problem.impact.cone == "qp" and problem.impact.smooth:
        return ["clarabel", "scs", "osqp"]
    return ["clarabel", "scs"]


def frank_wolfe_gap(problem: ExecutionProblem, x: FloatArray) -> float:
    """``grad f(x)^T x - min_{y feasible} grad f(x)^T y``: a bound on ``f(x) - f*`` (convex f).

    The linear minimisation over ``{sum y = S, 0 <= y <= u}`` fills the periods with the smallest
    gradient first. Returns ``inf`` when the gradient is not finite (e.g. a book walk at its
    visible depth).
    """
    g = np.broadcast_to(problem.gradient(np.clip(x, 0.0, problem.upper)), x.shape)
    if not np.all(np.isfinite(g)):
        return float("inf")
    return float(g @ x) - knapsack_min(np.asarray(g, dtype=float), problem.upper, problem.shares)


def _solve_quiet(problem: ExecutionProblem, method: str) -> tuple[FloatArray, float, float]:
    """Schedule, objective and lam of ``method`` with solver chatter silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "clarabel-direct":
            x = clarabel_direct(problem)
            return x, problem.objective(x), float("nan")
        sol = solve(problem, method=method)
    return sol.schedule, float(sol.objective), float(sol.lam)


def _agrees(f: float, ref: float, spec: Spec) -> bool:
    atol = CROSSCHECK_ATOL_NOTIONAL * float(spec["shares"]) * float(spec["price"])
    return abs(f - ref) <= CROSSCHECK_RTOL * abs(ref) + atol


def _optimum(problem: ExecutionProblem) -> tuple[FloatArray, float, float, str]:
    """The reference optimum: the exact dispatcher, else Clarabel at tight tolerances."""
    try:
        x, _, lam = _solve_quiet(problem, "exact")
        first = "exact"
    except NotSupportedError:
        x, _, lam = _solve_quiet(problem, "clarabel")
        first = "clarabel"
    return x, problem.objective(x), lam, first


def _crosscheck(
    problem: ExecutionProblem, x: FloatArray, f: float, first: str, spec: Spec
) -> tuple[dict[str, float], list[str]]:
    """Every independent solver's objective, and those that agree with ``f``."""
    iid = spec["id"]
    cross: dict[str, float] = {}
    certified_by = [first]
    for m in crosscheck_methods(problem):
        fm = f if m == first else _solve_quiet(problem, m)[1]
        cross[m] = fm
        if _agrees(fm, f, spec):
            if m != first:
                certified_by.append(m)
        elif fm < f:
            raise SolverError(
                f"{iid}: {m} reached {fm!r}, below the {first} optimum {f!r} (relative "
                f"difference {(fm - f) / max(abs(f), 1e-300):.3g}): the optimum is not optimal."
            )
        # a solver stopping above the optimum is recorded in "crosscheck" but not in certified_by
    if len(certified_by) < 2:
        raise SolverError(f"{iid}: no independent solver cross-checked the {first} optimum.")
    return cross, certified_by


def _bound_gap_ok(problem: ExecutionProblem, x: FloatArray, cert: Any, spec: Spec) -> None:
    """The certificate's bound gap must be within ``BOUND_RTOL`` of the objective."""
    f = cert.objective
    tol = BOUND_RTOL * abs(f) + CROSSCHECK_ATOL_NOTIONAL * float(spec["shares"]) * float(
        spec["price"]
    )
    gap = min(cert.bound_gap, frank_wolfe_gap(problem, x))
    # A book walk with a risk term is non-smooth and not separable: neither the dual bound nor
    # Frank-Wolfe with one-sided derivatives bounds it; the cross-checks carry the proof there.
    nonsmooth_risk = not problem.impact.smooth and problem.has_risk
    if gap > tol and not nonsmooth_risk:
        raise SolverError(
            f"{spec['id']}: the optimality bound gap {gap:.3g} (certificate {cert.bound_gap:.3g}) "
            f"exceeds {BOUND_RTOL:g} of the objective {f:.6g}."
        )


def _self_check(
    problem: ExecutionProblem,
    x: FloatArray,
    lam: float,
    facts: checks.CurvatureFacts,
    spec: Spec,
    var_multiplier: float = 0.0,
) -> checks.Tolerances:
    """The stored optimum must pass the validator's own KKT check at the default tolerances."""
    tol = checks.tolerances(
        shares=problem.shares,
        price=float(spec["price"]),
        optimum=problem.objective(x),
        lam=lam,
        pair_curvature=facts.pair_curvature,
        hessian_bound=facts.hessian_bound,
    )
    mis, t = checks.misallocation(problem, x, lam, tol.price, var_multiplier=var_multiplier)
    if not mis <= tol.kkt:
        raise SolverError(
            f"{spec['id']}: the stored optimum fails its own KKT check: period {t} misallocates "
            f"{mis:.3g} shares at lam = {lam!r} (tolerance {tol.kkt:.3g})."
        )
    return tol


def build_instance(spec: Spec) -> Spec:
    """Certify one catalogue entry: add ``optimum``, ``crosscheck``, ``crosscheck_rtol``,
    ``certificate`` and ``tolerances``.

    Raises
    ------
    SolverError
        If a cross-checking solver disagrees, the certificate does not pass, the stored optimum
        fails its own checks, or an instance marked infeasible can be built (or one marked
        feasible cannot).
    """
    data = dict(spec)
    iid = data["id"]
    if data["infeasible"]:
        try:
            problem_from_instance(data)
        except InfeasibleError:
            pass
        else:
            raise SolverError(f"{iid} is marked infeasible but ExecutionProblem accepts it.")
        data.update(
            optimum=None, crosscheck=None, crosscheck_rtol=None, certificate=None, tolerances=None
        )
        return data
    try:
        problem = problem_from_instance(data)
    except InfeasibleError as exc:
        raise SolverError(f"{iid} is marked feasible but {exc}") from None
    x, f, lam, first = _optimum(problem)
    cross, certified_by = _crosscheck(problem, x, f, first, data)
    cert = certify(problem, x, optimum=f)
    if not cert.feasible:
        raise SolverError(f"{iid}: the stored schedule is not feasible: {cert}.")
    _bound_gap_ok(problem, x, cert, data)
    if not np.isfinite(lam):
        lam = cert.lam
    if not np.isfinite(lam):
        raise SolverError(f"{iid}: no finite multiplier lam for the stored optimum.")
    facts = checks.curvature_facts(problem, x)
    tol = _self_check(problem, x, lam, facts, data, cert.var_multiplier)
    data["optimum"] = {
        "objective": f,
        "schedule": compact_value(x),
        "lam": lam,
        "unique": facts.unique,
        "pair_curvature": facts.pair_curvature,
        "hessian_bound": facts.hessian_bound,
        "certified_by": certified_by,
    }
    if problem.limits:  # the VaR limit's multiplier: the KKT check needs it where it binds
        data["optimum"]["var_multiplier"] = cert.var_multiplier
    data["crosscheck"] = cross
    data["crosscheck_rtol"] = CROSSCHECK_RTOL
    data["certificate"] = to_json_value(cert.as_dict())
    data["tolerances"] = {
        "rtol": checks.DEFAULT_RTOL,
        "feas_rtol": checks.FEAS_RTOL,
        **tol.as_dict(),
    }
    return data
