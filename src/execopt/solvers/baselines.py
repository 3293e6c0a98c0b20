"""SciPy baselines: SLSQP (the reference document's call) and differential evolution. Honest, not clever.

* ``slsqp``: the reference document's formulation (start at ``S/N``, bounds ``[0, u_t]``, one equality
  constraint), with analytic gradients on the scaled problem. Non-convergence becomes a
  :class:`~execopt.errors.ConvergenceWarning` and status ``not_converged``, never an exception.
* ``de``: ``scipy.optimize.differential_evolution`` with a valid ``LinearConstraint`` for
  ``sum x = S`` (the reference document's ``constraints=(constraint, 0)`` raises ``ValueError: constraint of an
  unknown type``), an explicit seed and a wall-clock limit. DE rarely returns a point that meets
  an equality constraint at N >= 30; the raw violation is recorded in ``info['raw_violation']``
  before clip-and-certify makes the answer feasible, and the certificate reports the gap.
"""

from __future__ import annotations

import warnings
from time import perf_counter
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, differential_evolution, minimize
from threadpoolctl import threadpool_limits

from execopt._validate import check_int, check_real, check_seed
from execopt.errors import ConvergenceWarning, InputError
from execopt.problem.certificate import certify
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.repair import clip_to_feasible, raw_violation
from execopt.solvers.solution import Solution, Timings

__all__ = [
    "DE_CV_RTOL",
    "DE_SETTINGS",
    "SLSQP_SETTINGS",
    "check_time_limit",
    "solve_de",
    "solve_slsqp",
]

FloatArray = NDArray[np.float64]

#: SLSQP: ``ftol`` on the scaled objective (order N); 1000 iterations is far above what a
#: convergent run needs at N = 390.
SLSQP_SETTINGS: dict[str, Any] = {"ftol": 1e-12, "maxiter": 1000}
#: Differential evolution: population multiplier, generations, relative tolerance, and the
#: default wall-clock limit in seconds.
DE_SETTINGS: dict[str, Any] = {"popsize": 15, "maxiter": 1000, "tol": 1e-8, "time_limit": 30.0}
#: Largest violation of ``sum x = S``, relative to the scaled order size, that a converged DE run
#: may leave (rounding); clip-and-certify then removes it. Matches the certificate's 1e-9.
DE_CV_RTOL = 1e-9


def check_time_limit(time_limit: Any) -> None:
    """Raise :class:`InputError` unless ``time_limit`` is None or a finite number of seconds > 0.

    NaN compares false with every deadline, so a NaN limit never stopped differential evolution
    (still running at 600 s); a negative or zero one stopped it before its first generation.
    """
    check_real("time_limit", time_limit, allow_none=True, unit="seconds")
    if time_limit is not None and not (np.isfinite(float(time_limit)) and float(time_limit) > 0):
        raise InputError(
            f"time_limit must be a finite number of seconds > 0 (or None for the default "
            f"{DE_SETTINGS['time_limit']:g} s), got {time_limit!r}."
        )


def _check_problem(problem: Any) -> None:
    if not isinstance(problem, ExecutionProblem):
        raise InputError(f"problem must be an ExecutionProblem, got {type(problem).__name__}.")


def _scaled(problem: ExecutionProblem) -> tuple[float, float]:
    N, S = problem.periods, problem.shares
    s = max(S / N, 1e-300)
    c = float(np.sum(problem.impact.cost(np.minimum(np.full(N, s), problem.upper))))
    C = c / N if np.isfinite(c) and c > 0 else 1.0
    return s, C


def _finish(
    problem: ExecutionProblem,
    method: str,
    x_raw: FloatArray,
    status: Any,
    raw_status: str,
    iterations: int,
    t_start: float,
    t_solve: float,
    info: dict[str, Any],
) -> Solution:
    viol = raw_violation(problem, x_raw)
    x, moved = clip_to_feasible(problem, x_raw)
    t1 = perf_counter()
    cert = certify(problem, x)
    t2 = perf_counter()
    info.update({"raw_violation": viol, "repair": moved})
    return Solution(
        schedule=x,
        objective=cert.objective,
        status=status,
        method=method,
        timings=Timings(solve=t_solve, certify=t2 - t1, total=t2 - t_start),
        iterations=iterations,
        lam=cert.lam,
        certificate=cert,
        solver_status=raw_status,
        info=info,
    )


def solve_slsqp(problem: ExecutionProblem, *, maxiter: int | None = None) -> Solution:
    """SLSQP from equal allocation, on the scaled problem (see the module docstring).

    Raises
    ------
    InputError
        ``maxiter`` is not None or an integer >= 1.
    """
    _check_problem(problem)
    check_int("maxiter", maxiter, minimum=1, allow_none=True)
    t_start = perf_counter()
    N, S, u = problem.periods, problem.shares, problem.upper
    s, C = _scaled(problem)
    bounds = [(0.0, float(b) / s if np.isfinite(b) else None) for b in u]
    x0 = np.minimum(np.ones(N), np.where(np.isfinite(u), u / s, np.inf))
    smooth = problem.is_convex and problem.impact.smooth

    def f(y: FloatArray) -> float:
        return problem.objective(np.maximum(y, 0.0) * s) / C

    def g(y: FloatArray) -> FloatArray:
        return problem.gradient(np.maximum(y, 0.0) * s) * (s / C)

    cons = {
        "type": "eq",
        "fun": lambda y: np.array([y.sum() - S / s]),
        "jac": lambda y: np.ones((1, N)),
    }
    opts = dict(SLSQP_SETTINGS)
    if maxiter is not None:
        opts["maxiter"] = maxiter
    t0 = perf_counter()
    # One BLAS thread: SLSQP's dense linear algebra on N = 390 is far slower with two threads on
    # two cores (measured here: 47 s with the default threads under load, 0.94 s with one).
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", RuntimeWarning)
        res = minimize(
            f,
            x0,
            jac=g if smooth else None,
            bounds=bounds,
            constraints=[cons],
            method="SLSQP",
            options=opts,
        )
    t_solve = perf_counter() - t0
    status = "optimal" if res.success else "not_converged"
    if not res.success:
        warnings.warn(
            f"SLSQP did not converge: {res.message} (N = {N}); its gap is reported "
            "in the certificate.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return _finish(
        problem,
        "slsqp",
        np.asarray(res.x) * s,
        status,
        str(res.message),
        int(res.nit),
        t_start,
        t_solve,
        {"success": bool(res.success), "nfev": int(res.nfev)},
    )


def solve_de(
    problem: ExecutionProblem,
    *,
    seed: int | np.random.Generator | None = 0,
    time_limit: float | None = None,
    maxiter: int | None = None,
    popsize: int | None = None,
) -> Solution:
    """Differential evolution with a ``LinearConstraint``, seeded and bounded in wall time.

    Raises
    ------
    InputError
        ``time_limit`` not None or a finite number of seconds > 0; ``seed`` not None, an
        integer in [0, 2**32) or a Generator; ``maxiter``/``popsize`` not None or an integer >= 1.
    """
    _check_problem(problem)
    check_time_limit(time_limit)
    check_seed("seed", seed)
    check_int("maxiter", maxiter, minimum=1, allow_none=True)
    check_int("popsize", popsize, minimum=1, allow_none=True)
    t_start = perf_counter()
    N, S, u = problem.periods, problem.shares, problem.upper
    s, C = _scaled(problem)
    hi = np.minimum(u, S) / s
    lo = np.zeros(N)
    hi = np.where(hi > lo, hi, lo + 1e-12)
    limit = DE_SETTINGS["time_limit"] if time_limit is None else float(time_limit)
    deadline = perf_counter() + limit
    timed_out = {"flag": False}

    def f(Y: FloatArray) -> FloatArray:
        X = np.maximum(np.atleast_2d(Y.T), 0.0) * s  # (popsize, N)
        cost = np.asarray(problem.impact.cost(X), dtype=float).sum(axis=-1)
        for t in problem.terms:  # every term takes a population of schedules, shape (P, N)
            cost = cost + t.batch_value(X)
        out = cost / C
        return np.asarray(out if Y.ndim > 1 else out[0], dtype=float)

    def stop(intermediate_result: Any) -> bool:
        if perf_counter() > deadline:
            timed_out["flag"] = True
            return True
        return False

    t0 = perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        res = differential_evolution(
            f,
            Bounds(lo, hi),
            constraints=LinearConstraint(np.ones((1, N)), S / s, S / s),
            seed=seed,
            popsize=popsize or DE_SETTINGS["popsize"],
            maxiter=maxiter or DE_SETTINGS["maxiter"],
            tol=DE_SETTINGS["tol"],
            vectorized=True,
            updating="deferred",
            polish=False,
            callback=stop,
        )
    t_solve = perf_counter() - t0
    cv = float(np.max(getattr(res, "constr_violation", 0.0)))
    # SciPy reports success=False whenever sum(y) = S/s is missed at all, even by 1e-16 of
    # rounding ("The solution does not satisfy the constraints, MAXCV = 8.9e-16"), so a run that
    # met its own convergence test was labelled not_converged with a warning. A run that stopped
    # before maxiter and the time limit, within DE_CV_RTOL of the equality, has converged.
    stopped_on_tol = int(res.nit) < (maxiter or DE_SETTINGS["maxiter"])
    within = cv <= DE_CV_RTOL * (S / s)
    converged = (bool(res.success) or (stopped_on_tol and within)) and not timed_out["flag"]
    status = "optimal" if converged else "not_converged"
    msg = "time limit reached" if timed_out["flag"] else str(res.message)
    if not converged:
        warnings.warn(
            f"differential evolution stopped without converging ({msg}, N = {N}); the "
            "answer was repaired to feasibility and its gap is in the certificate.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return _finish(
        problem,
        "de",
        np.asarray(res.x) * s,
        status,
        msg,
        int(res.nit),
        t_start,
        t_solve,
        {
            "success": bool(res.success),
            "nfev": int(res.nfev),
            "time_limit": limit,
            "constraint_violation": cv,
        },
    )
