"""Solver comparison: every method on every problem class, scaled in N, checked by certificates.

One row per (case, N, method) with the objective gap to the exact optimum, the KKT residuals and
lower-bound gap from the certificate, the raw constraint violation before clip-and-certify, the
time split (build / compile / solve / certify, and a re-solve that hits the DPP cache for the
cvxpy back-ends), iterations and status. A method that does not apply to a case (OSQP on a power
cone, any convex solver on the concave reading) is a row too: ``applicable = False`` and the
reason, taken from the error the toolkit raises.

Cases (:func:`execopt.studies.cases.build_case`): ``quadratic`` (FROG, U-shaped ``b_t``),
``power`` (SOUN per-share power law, U-shaped ``gamma_t``), ``piecewise`` (the walk of a
synthetic FROG book), ``concave`` (the literal ``gamma x^0.67`` total-cost reading).

Timings are wall-clock on whatever machine runs the study; they are measured one problem at a
time (never in parallel) so they are comparable with each other.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd

from execopt.errors import ConvergenceWarning, ConvexityError, NotSupportedError, SolverError
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.api import METHODS, solve
from execopt.solvers.solution import Solution
from execopt.studies.cases import CASES, Case, build_case

__all__ = ["COLUMNS", "SolverComparisonConfig", "compare_case", "run_solver_comparison"]

#: Columns of the comparison table, in order.
COLUMNS = (
    "case",
    "N",
    "method",
    "applicable",
    "reason",
    "status",
    "solver_status",
    "objective",
    "optimum",
    "gap",
    "rel_gap",
    "bound_gap",
    "stationarity",
    "complementarity",
    "raw_violation",
    "feasible",
    "iterations",
    "t_build",
    "t_compile",
    "t_solve",
    "t_certify",
    "t_total",
    "t_resolve",
    "warning",
    "description",
)


@dataclass(frozen=True)
class SolverComparisonConfig:
    """Settings of the solver comparison.

    Parameters
    ----------
    cases : tuple of Case
    sizes : tuple of int
        The ``N`` values (scaling in N).
    methods : tuple of str
        Methods to run (default: every method).
    de_time_limit : float
        Wall-clock limit of differential evolution per problem, seconds (DE needs minutes at
        N >= 100; the limit keeps the study bounded and the row says it stopped).
    de_max_periods : int
        Above this N, DE is recorded as not run (its reason says why) unless raised.
    slsqp_piecewise_max_periods : int
        Above this N, SLSQP on the book walk is recorded as not run: the cost has kinks, so SLSQP
        gets no gradient and differences it numerically (N + 1 evaluations per step); it took
        minutes at N = 390 here (467 s on a loaded 2-core machine).
    seed : int
        Seed of the synthetic book and of DE.
    """

    cases: tuple[Case, ...] = CASES
    sizes: tuple[int, ...] = (10, 30, 100, 390)
    methods: tuple[str, ...] = METHODS
    de_time_limit: float = 20.0
    de_max_periods: int = 390
    slsqp_piecewise_max_periods: int = 100
    seed: int = 0

    def fast(self) -> SolverComparisonConfig:
        """CI-sized: N in (10, 30), DE limited to 1 s."""
        return replace(self, sizes=(10, 30), de_time_limit=1.0)


def _na(
    case: str, N: int, method: str, reason: str, description: str, *, failed: bool = False
) -> dict[str, Any]:
    """A row without a solution: the method does not apply (``n/a``) or it ``failed``."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS, np.nan)
    row.update(
        case=case,
        N=N,
        method=method,
        applicable=failed,
        reason=reason,
        status="failed" if failed else "n/a",
        solver_status="",
        feasible=False,
        warning="",
        description=description,
    )
    return row


def _run(problem: ExecutionProblem, method: str, config: SolverComparisonConfig) -> Solution:
    if method == "de":
        return solve(problem, "de", seed=config.seed, time_limit=config.de_time_limit)
    return solve(problem, method)


def compare_case(
    problem: ExecutionProblem,
    case: str,
    config: SolverComparisonConfig,
    *,
    description: str = "",
) -> list[dict[str, Any]]:
    """Rows of the comparison for one problem (every method in ``config.methods``)."""
    N = problem.periods
    exact = solve(problem, "exact")
    optimum = exact.objective
    rows = []
    for method in config.methods:
        if method == "slsqp" and case == "piecewise" and N > config.slsqp_piecewise_max_periods:
            rows.append(
                _na(
                    case,
                    N,
                    method,
                    f"not run: N = {N} > slsqp_piecewise_max_periods = "
                    f"{config.slsqp_piecewise_max_periods} (no gradient on a book walk: finite "
                    "differences take minutes); raise it to run SLSQP here",
                    description,
                )
            )
            continue
        if method == "de" and N > config.de_max_periods:
            rows.append(
                _na(
                    case,
                    N,
                    method,
                    f"not run: N = {N} > de_max_periods = {config.de_max_periods} (DE takes "
                    "minutes here and stays above 1 % gap); raise de_max_periods to run it",
                    description,
                )
            )
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            try:
                sol = exact if method == "exact" else _run(problem, method, config)
            except (ConvexityError, NotSupportedError) as exc:
                rows.append(_na(case, N, method, f"{type(exc).__name__}: {exc}", description))
                continue
            except SolverError as exc:
                reason = f"SolverError: {exc}"
                rows.append(_na(case, N, method, reason, description, failed=True))
                continue
            t_resolve = np.nan
            if method in ("clarabel", "osqp", "scs"):
                t0 = perf_counter()
                _run(problem, method, config)
                t_resolve = perf_counter() - t0
        cert = sol.certificate
        gap = sol.objective - optimum
        rows.append(
            {
                "case": case,
                "N": N,
                "method": method,
                "applicable": True,
                "reason": "",
                "status": sol.status,
                "solver_status": sol.solver_status,
                "objective": sol.objective,
                "optimum": optimum,
                "gap": gap,
                "rel_gap": gap / abs(optimum) if optimum else np.nan,
                "bound_gap": cert.bound_gap,
                "stationarity": cert.stationarity,
                "complementarity": cert.complementarity,
                "raw_violation": float(sol.info.get("raw_violation", 0.0)),
                "feasible": cert.feasible,
                "iterations": sol.iterations,
                "t_build": sol.timings.build,
                "t_compile": sol.timings.compile,
                "t_solve": sol.timings.solve,
                "t_certify": sol.timings.certify,
                "t_total": sol.timings.total,
                "t_resolve": t_resolve,
                "warning": "; ".join(str(w.message) for w in caught),
                "description": description,
            }
        )
    return rows


def run_solver_comparison(
    config: SolverComparisonConfig | None = None, *, progress: bool = False
) -> pd.DataFrame:
    """The comparison table: one row per (case, N, method), columns :data:`COLUMNS`.

    ``progress`` shows a tqdm bar on stderr over the (case, N) problems (the full study takes
    minutes: differential evolution runs to its time limit on every one).
    """
    from tqdm.auto import tqdm

    config = config or SolverComparisonConfig()
    rows: list[dict[str, Any]] = []
    pairs = [(case, N) for case in config.cases for N in config.sizes]
    with tqdm(total=len(pairs), desc="solvers", unit="problem", disable=not progress) as bar:
        for case, N in pairs:
            bar.set_postfix_str(f"{case} N={N}")
            problem, what = build_case(case, N, seed=config.seed)
            rows += compare_case(problem, case, config, description=what)
            bar.update()
    return pd.DataFrame(rows, columns=list(COLUMNS))
