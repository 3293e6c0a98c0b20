"""The certification harness: turn a catalogue entry into a certified instance.

For every feasible instance:

1. the optimum is computed by the exact dispatcher (``exact``: water-filling, or the banded
   mean-variance solve); where no exact algorithm covers the problem, by Clarabel at its pinned
   tight tolerances;
2. independent solvers cross-check its objective: Clarabel, SCS (and OSQP on quadratic programs)
   through cvxpy, or, for ``N > CVXPY_MAX_N`` (where cvxpy's compilation needs dense memory),
   Clarabel called directly on a sparse QP (:func:`execopt.solvers.clarabel_direct.clarabel_direct`,
   ``clarabel-direct``); SLSQP joins on small problems where those are too few, SCS is left out
   above ``SCS_MAX_N`` periods where enough others remain. Those that agree within
   ``CROSSCHECK_RTOL`` (plus a tiny absolute part) are listed in ``certified_by``; as many
   independent solvers as the family asks (:attr:`~.families.Family.crosschecks`: one, two for
   ``transient``) must agree, and generation stops if any solver finds a *lower* objective (the
   optimum would not be optimal). A solver that stops above the optimum (OSQP on some linear
   programs) is recorded in ``crosscheck`` only;
3. the KKT certificate of the stored schedule must show it feasible with a duality (or
   Frank–Wolfe) bound gap within ``BOUND_RTOL``;
4. the facts the validator's checks need are stored: the multiplier ``lam``, whether the optimum
   is unique and its stiffest pair curvature (:func:`~execopt.studies.suite.checks.curvature_facts`),
   and the stored optimum must pass those checks itself.

A basket (:func:`build_basket_instance`) follows the same steps with the basket's solvers: the
exact per-leg solve where the basket decouples, else Clarabel; OSQP (no VaR cone) and SCS
cross-check; :func:`~execopt.problem.basket_certificate.certify_basket` bounds the gap; the
multipliers (one ``lam`` per leg, the band's ``nu``, the VaR's) come from
:func:`~execopt.problem.basket_certificate.basket_multipliers`, the curvature facts leg by leg,
and the stored optimum must pass the per-leg KKT check with them.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from execopt.errors import InfeasibleError, NotSupportedError, SolverError
from execopt.problem.basket import Basket
from execopt.problem.basket_certificate import basket_multipliers, certify_basket
from execopt.problem.certificate import certify, knapsack_min
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.api import solve
from execopt.solvers.basket import solve_basket
from execopt.solvers.clarabel_direct import clarabel_direct
from execopt.studies.suite import checks
from execopt.studies.suite.catalogue import Spec
from execopt.studies.suite.families import FAMILIES
from execopt.studies.suite.format import (
    CROSSCHECK_ATOL_NOTIONAL,
    basket_from_instance,
    compact_value,
    is_basket,
    problem_from_instance,
    to_json_value,
)

__all__ = [
    "BOUND_RTOL",
    "CROSSCHECK_RTOL",
    "CVXPY_MAX_N",
    "SCS_MAX_N",
    "SLSQP_MAX_N",
    "basket_crosscheck_methods",
    "build_basket_instance",
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
#: Above this N, SCS (first order) is left out of the cross-checks where enough other solvers
#: remain: it took 14 s on the N = 20,000 transient instance (Clarabel 1.5 s, OSQP 0.6 s).
SCS_MAX_N = 10_000
#: Up to this N, SLSQP joins the cross-checks when cvxpy's solvers give fewer independent ones
#: than the family asks (a power cone rules OSQP out); it agrees to ~1e-11 at N = 30.
SLSQP_MAX_N = 100


def crosscheck_methods(
    problem: ExecutionProblem, *, minimum: int = 1, first: str | None = None
) -> list[str]:
    """The solvers that cross-check ``problem``'s optimum (asked of the model and the terms).

    Parameters
    ----------
    problem : ExecutionProblem
    minimum : int
        Independent solvers wanted (those other than ``first``, the one that produced the
        optimum).
    first : str, optional
        The method that produced the optimum (it is listed but not counted).
    """
    N = problem.periods
    if N > CVXPY_MAX_N:
        if problem.separable and problem.impact.diagonal_quadratic(N) is not None:
            return ["clarabel-direct"]
        return []
    terms_qp = all(t.cone in ("lp", "qp") for t in (*problem.terms, *problem.limits))
    methods = ["clarabel", "scs"]
    if problem.impact.cone == "qp" and problem.impact.smooth and terms_qp:
        methods.append("osqp")
    others = [m for m in methods if m not in (first, "scs")]
    if N > SCS_MAX_N and len(others) >= minimum:
        methods.remove("scs")
    if len([m for m in methods if m != first]) < minimum and N <= SLSQP_MAX_N:
        methods.append("slsqp")
    return methods


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


def _notional(spec: Spec) -> float:
    """``S * price`` dollars (a basket: the gross notional ``sum_i P_i S_i``)."""
    if is_basket(spec):
        return float(sum(float(leg["shares"]) * float(leg["price"]) for leg in spec["legs"]))
    return float(spec["shares"]) * float(spec["price"])


def _agrees(f: float, ref: float, spec: Spec) -> bool:
    atol = CROSSCHECK_ATOL_NOTIONAL * _notional(spec)
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
    minimum = FAMILIES[spec["family"]].crosschecks
    cross: dict[str, float] = {}
    certified_by = [first]
    for m in crosscheck_methods(problem, minimum=minimum, first=first):
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
    if len(certified_by) < 1 + minimum:
        raise SolverError(
            f"{iid}: {len(certified_by) - 1} independent solver(s) cross-checked the {first} "
            f"optimum; the {spec['family']} family asks for {minimum}."
        )
    return cross, certified_by


def _bound_gap_ok(problem: ExecutionProblem, x: FloatArray, cert: Any, spec: Spec) -> None:
    """The certificate's bound gap must be within ``BOUND_RTOL`` of the objective."""
    f = cert.objective
    tol = BOUND_RTOL * abs(f) + CROSSCHECK_ATOL_NOTIONAL * _notional(spec)
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
    if is_basket(spec):
        return build_basket_instance(spec)
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


# ----------------------------------------------------------------------------- baskets
def basket_crosscheck_methods(basket: Basket) -> list[str]:
    """The solvers that cross-check a basket's optimum: Clarabel, OSQP (unless a leg or the VaR
    limit needs a cone) and SCS.
    """
    legs_qp = all(
        p.impact.cone in ("lp", "qp") and all(t.cone in ("lp", "qp") for t in (*p.terms, *p.limits))
        for p in basket.problems
    )
    if legs_qp and basket.var_limit is None:
        return ["clarabel", "osqp", "scs"]
    return ["clarabel", "scs"]


def _solve_basket_quiet(basket: Basket, method: str) -> tuple[FloatArray, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sol = solve_basket(basket, method)
    return sol.schedule, float(sol.objective)


def build_basket_instance(spec: Spec) -> Spec:
    """Certify one basket entry (see the module docstring): add ``optimum`` (an ``(M, N)``
    schedule, ``lam`` per leg, the band multipliers ``nu``, the VaR multiplier, the per-leg
    curvature facts), ``crosscheck``, ``crosscheck_rtol``, ``certificate`` and ``tolerances``.

    Raises
    ------
    SolverError
        As :func:`build_instance`.
    """
    data = dict(spec)
    iid = data["id"]
    if data["infeasible"]:
        try:
            basket_from_instance(data)
        except InfeasibleError:
            pass
        else:
            raise SolverError(f"{iid} is marked infeasible but Basket accepts it.")
        data.update(
            optimum=None, crosscheck=None, crosscheck_rtol=None, certificate=None, tolerances=None
        )
        return data
    try:
        basket = basket_from_instance(data)
    except InfeasibleError as exc:
        raise SolverError(f"{iid} is marked feasible but {exc}") from None
    first = "exact" if basket.decoupled else "clarabel"
    X, f = _solve_basket_quiet(basket, first)
    minimum = FAMILIES[data["family"]].crosschecks
    cross: dict[str, float] = {}
    certified_by = [first]
    for m in basket_crosscheck_methods(basket):
        fm = f if m == first else _solve_basket_quiet(basket, m)[1]
        cross[m] = fm
        if _agrees(fm, f, data):
            if m != first:
                certified_by.append(m)
        elif fm < f:
            raise SolverError(
                f"{iid}: {m} reached {fm!r}, below the {first} optimum {f!r}: the optimum is not "
                "optimal."
            )
    if len(certified_by) < 1 + minimum:
        raise SolverError(f"{iid}: too few independent solvers cross-checked the {first} optimum.")
    cert = certify_basket(basket, X, optimum=f if first == "exact" else None)
    if not cert.feasible:
        raise SolverError(f"{iid}: the stored basket schedule is not feasible: {cert}.")
    gap_tol = BOUND_RTOL * abs(f) + CROSSCHECK_ATOL_NOTIONAL * _notional(data)
    if first != "exact" and cert.bound_gap > gap_tol:
        raise SolverError(
            f"{iid}: the basket certificate's bound gap {cert.bound_gap:.3g} exceeds "
            f"{BOUND_RTOL:g} of the objective {f:.6g} ({cert.bound_method})."
        )
    mult = basket_multipliers(basket, X)
    facts = checks.basket_curvature_facts(basket, X)
    tol = checks.basket_tolerances(
        shares=basket.S,
        prices=basket.prices if basket.prices is not None else np.ones(basket.M),
        optimum=f,
        lam=mult.lam,
        pair_curvature=facts.pair_curvature if facts.unique else None,
        hessian_bound=facts.hessian_bound if facts.unique else None,
        band=basket.neutrality_band,
        var_limit=basket.var_limit,
    )
    mis = checks.basket_misallocation(
        basket, X, mult.lam, tol.price, nu=mult.nu, var_multiplier=mult.mu
    )
    bad = np.flatnonzero(mis[:, 0] > tol.kkt)
    if bad.size:
        i = int(bad[0])
        raise SolverError(
            f"{iid}: the stored basket optimum fails its own KKT check: leg {i} period "
            f"{int(mis[i, 1])} misallocates {mis[i, 0]:.3g} shares (tolerance {tol.kkt[i]:.3g})."
        )
    data["optimum"] = {
        "objective": f,
        "schedule": [compact_value(row) for row in X],
        "lam": mult.lam,
        "nu": None if basket.neutrality_band is None else mult.nu,
        "unique": facts.unique,
        "pair_curvature": facts.pair_curvature if facts.unique else None,
        "hessian_bound": facts.hessian_bound if facts.unique else None,
        "certified_by": certified_by,
    }
    if basket.var_limit is not None:
        data["optimum"]["var_multiplier"] = mult.mu
    data["crosscheck"] = cross
    data["crosscheck_rtol"] = CROSSCHECK_RTOL
    data["certificate"] = to_json_value(cert.as_dict())
    data["tolerances"] = {
        "rtol": checks.DEFAULT_RTOL,
        "feas_rtol": checks.FEAS_RTOL,
        **tol.as_dict(),
    }
    return data
