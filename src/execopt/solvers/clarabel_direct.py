"""Clarabel called directly on a sparse, scaled, diagonal QP (no cvxpy).

For separable problems whose cost is exactly ``c_t(x) = l_t x + q_t x^2`` (the model declares it
through :meth:`~execopt.impact.base.ImpactModel.diagonal_quadratic`: quadratic impact, fees, a
power law with exponents 1 or 2, and their sums). cvxpy's compilation needs dense memory beyond
N ~ 20,000 periods (N = 100,000 asked for 224 GiB); this back-end builds the sparse matrices
itself and scales the problem to order one, so the reference suite can cross-check its largest
instances with an independent solver.

Scaled problem: ``y = x / s`` with ``s = S / N`` and the objective divided by ``C``, the mean
cost of ``s`` shares::

    minimise   1/2 y^T P y + q^T y,   P = diag(2 q_t s^2 / C),  q = l s / C
    subject to sum y = S / s,   y >= 0,   y_t <= u_t / s (finite caps)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from execopt.errors import NotSupportedError, SolverError
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.repair import clip_to_feasible

__all__ = ["TOLERANCE", "clarabel_direct"]

FloatArray = NDArray[np.float64]

#: Clarabel's gap and feasibility tolerances on the scaled problem (its defaults are 1e-8; the
#: suite's cross-checks need agreement to 1e-6 relative, with margin).
TOLERANCE = 1e-10


def clarabel_direct(problem: ExecutionProblem) -> FloatArray:
    """Solve a separable diagonal-quadratic problem with Clarabel's own API.

    Returns the schedule after clip-to-feasible (shares).

    Raises
    ------
    NotSupportedError
        If the problem has non-separable terms or a cost that is not exactly diagonal quadratic
        (use the conic back-ends: ``solve(problem, method="clarabel")``).
    SolverError
        If Clarabel does not report ``Solved`` or ``AlmostSolved``.
    """
    import clarabel
    import scipy.sparse as sp

    N, S = problem.periods, problem.shares
    diag = problem.impact.diagonal_quadratic(N)
    if diag is None or not problem.separable:
        raise NotSupportedError(
            "clarabel_direct takes separable problems whose cost is exactly l_t x + q_t x^2 "
            f"(the model {problem.impact!r} declares no diagonal quadratic form, or the problem "
            "has risk terms); use solve(problem, method='clarabel')."
        )
    if S == 0:
        return np.zeros(N)
    s = S / N
    a, b = (np.asarray(v, dtype=float) for v in diag)
    C = float(np.mean(a * s + b * s * s)) or 1.0
    P = sp.diags(2.0 * b * s * s / C, format="csc")
    q = a * s / C
    u = problem.upper
    fin = np.flatnonzero(np.isfinite(u))
    A = sp.vstack(
        [
            sp.csc_matrix(np.ones((1, N))),
            -sp.identity(N, format="csc"),
            sp.identity(N, format="csc")[fin],
        ],
        format="csc",
    )
    rhs = np.concatenate([[S / s], np.zeros(N), u[fin] / s])
    cones = [clarabel.ZeroConeT(1), clarabel.NonnegativeConeT(N + fin.size)]
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = TOLERANCE
    settings.tol_gap_rel = TOLERANCE
    settings.tol_feas = TOLERANCE
    sol = clarabel.DefaultSolver(P, q, A, rhs, cones, settings).solve()
    if str(sol.status) not in ("Solved", "AlmostSolved"):
        raise SolverError(
            f"clarabel (direct) returned status {sol.status} on this diagonal QP (N = {N}); the "
            "exact water-filling solver (method='exact') covers every such problem."
        )
    x, _ = clip_to_feasible(problem, np.asarray(sol.x, dtype=float) * s)
    return x
