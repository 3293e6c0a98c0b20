"""Exact optimum under transient impact: an active-set method on the quadratic program.

The problem (quadratic impact, permanent impact merged into the diagonal, a kernel ``G``) is the
convex QP

    minimise   f(x) = sum_t (l_t x_t + q_t x_t^2) + 1/2 x^T K x,     K_ts = G(|t-s|)
    subject to sum_t x_t = S,   0 <= x_t <= u_t

(``l = a``, ``q = b - gamma/2``), with Hessian ``H = 2 diag(q) + K``. Each active-set step solves
``H_FF x_F = lam 1 + c`` on the free periods ``F``.

For the exponential kernel ``G(l) = G0 rho^l`` (``K = G0 T``, ``T_ts = rho^|t-s|``) that solve is
O(N). The inverse of ``T``
restricted to any set of periods ``F`` is tridiagonal (``T_FF`` is the correlation matrix of a
Markov chain observed at the times ``F``, with consecutive correlations ``r_i = rho^(f_{i+1} -
f_i)``), so ``H_FF v = c`` is solved in O(N) as the tridiagonal system
``(P 2 diag(q_F) + G0 I) v = P c`` with ``P = T_FF^-1``. Any other positive semidefinite kernel
(power law, tabulated) uses a dense Cholesky factorisation of ``H_FF`` (O(N^3) per step, a few
milliseconds at N = 390; up to :data:`DENSE_MAX_N` periods).

:func:`solve_kernel_qp` runs a primal–dual active-set iteration (all violated bounds
fixed, all wrong-signed multipliers released at once; a handful of iterations in practice) and,
should that cycle, the classical primal active-set method (one bound at a time from a feasible
point, finite). The answer is an exact KKT point to rounding; the ``exact`` solver certifies it
like any other.

Glossary: ``x`` shares per period, ``S`` shares, ``u`` caps, ``l`` dollars per share, ``q``
dollars per share squared, ``G0`` the kernel strength, ``rho`` its one-period decay, ``lam`` the
multiplier of ``sum x = S`` (marginal cost of the last share), ``F`` free periods, ``L``/``U``
periods at their lower/upper bounds.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from execopt.errors import NotSupportedError
from execopt.impact.transient import ExponentialKernel, Kernel, _kms_apply
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.terms import PermanentImpact, TransientImpact
from execopt.problem.waterfill import WaterFill

__all__ = ["DENSE_MAX_N", "exponential_qp_data", "kernel_qp_data", "solve_kernel_qp"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: A coordinate this far (relative to ``max(S/N, 1)`` shares) past a bound counts as violating it.
BOUND_RTOL = 1e-12
#: Iteration limits of the primal–dual and the primal active-set phases.
PDAS_MAXITER = 60
PRIMAL_MAXITER = 20_000
#: The dense variant (any kernel) factorises an N x N matrix per step: used up to this N.
DENSE_MAX_N = 3_000


def kernel_qp_data(problem: ExecutionProblem) -> tuple[FloatArray, FloatArray, Kernel] | None:
    """``(l, q, kernel)`` when ``problem`` is the QP of the module docstring, else None."""
    N = problem.periods
    if problem.limits:
        return None
    diag = problem.impact.diagonal_quadratic(N)
    if diag is None:
        return None
    lin, quad = (np.asarray(v, dtype=np.float64).copy() for v in diag)
    kernel: Kernel | None = None
    for t in problem.terms:
        if isinstance(t, TransientImpact):
            if kernel is not None:
                return None
            kernel = t.kernel
        elif isinstance(t, PermanentImpact):
            quad = quad - 0.5 * t.gamma
        else:
            return None
    if kernel is None:
        return None
    if not isinstance(kernel, ExponentialKernel) and N > DENSE_MAX_N:
        return None
    return lin, quad, kernel


def exponential_qp_data(
    problem: ExecutionProblem,
) -> tuple[FloatArray, FloatArray, float, float] | None:
    """``(l, q, G0, rho)`` when ``problem`` is the QP with an exponential kernel, else None."""
    data = kernel_qp_data(problem)
    if data is None or not isinstance(data[2], ExponentialKernel):
        return None
    return data[0], data[1], data[2].strength, data[2].rho


class _DenseQP:
    """The QP with any kernel: dense Cholesky solves of ``H_FF``."""

    def __init__(self, l: FloatArray, q: FloatArray, kernel: Kernel) -> None:
        self.l, self.q, self.kernel = l, q, kernel
        self.N = l.shape[0]
        self.K = kernel.matrix(self.N)
        self.G0 = float(self.K[0, 0])

    def gradient(self, x: FloatArray) -> FloatArray:
        return self.l + 2.0 * self.q * x + self.K @ x

    def reduced(self, free: BoolArray, x_fixed: FloatArray, S: float) -> tuple[FloatArray, float]:
        from scipy.linalg import LinAlgError, cho_factor, cho_solve, lstsq

        F = np.flatnonzero(free)
        x = x_fixed.copy()
        if F.size == 0:
            return x, math.nan
        fixed = np.where(free, 0.0, x_fixed)
        c = -self.l[F] - (self.K[F] @ fixed)
        H = self.K[np.ix_(F, F)].copy()
        H[np.diag_indices(F.size)] += 2.0 * self.q[F]
        rhs = np.column_stack([np.ones(F.size), c])
        try:
            sol = cho_solve(cho_factor(H, check_finite=False), rhs, check_finite=False)
        except LinAlgError:  # positive semidefinite only: least squares (rare, b_t = 0 and a
            sol = lstsq(H, rhs, check_finite=False)[0]  # singular kernel on F)
        v1, v2 = sol[:, 0], sol[:, 1]
        lam = (S - float(x_fixed[~free].sum()) - float(v2.sum())) / float(v1.sum())
        x[F] = lam * v1 + v2
        return x, lam


class _QP:
    """The QP with an exponential kernel and its O(N) operations."""

    def __init__(self, l: FloatArray, q: FloatArray, G0: float, rho: float) -> None:
        self.l, self.q, self.G0, self.rho = l, q, G0, rho
        self.N = l.shape[0]

    def gradient(self, x: FloatArray) -> FloatArray:
        return self.l + 2.0 * self.q * x + self.G0 * _kms_apply(x, self.rho)

    def reduced(self, free: BoolArray, x_fixed: FloatArray, S: float) -> tuple[FloatArray, float]:
        """Minimise over the free periods with the others held at ``x_fixed``: ``(x, lam)``.

        ``H_FF x_F = lam 1 + c`` with ``c = -l_F - G0 (T x_fixed)_F``, as the tridiagonal
        system of the module docstring (:func:`execopt._compiled.exponential_step`).
        """
        from execopt._compiled import exponential_step

        x, lam, info = exponential_step(
            np.ascontiguousarray(free, dtype=np.bool_),
            np.ascontiguousarray(x_fixed, dtype=np.float64),
            self.l, self.q, self.G0, self.rho, float(S),
        )  # fmt: skip
        if info != 0:  # pragma: no cover - M is a positive scaling of an SPD matrix
            raise NotSupportedError("the tridiagonal step is singular (a zero pivot).")
        return x, float(lam)


def solve_kernel_qp(problem: ExecutionProblem) -> WaterFill:
    """The exact optimum of the QP of the module docstring (see there).

    Raises
    ------
    NotSupportedError
        When ``problem`` is not of that form (use ``method="clarabel"``).
    """
    data = kernel_qp_data(problem)
    if data is None:  # pragma: no cover - the dispatcher checks first
        raise NotSupportedError(
            "the exact transient solver needs quadratic impact and one kernel (permanent "
            f"impact allowed, no risk term, N <= {DENSE_MAX_N} for a non-exponential kernel); "
            "use method='clarabel'."
        )
    lin, quad, kernel = data
    N, S, u = problem.periods, problem.shares, problem.upper
    if S == 0 or N == 1:
        return WaterFill(
            np.full(N, S / N) if N == 1 else np.zeros(N), math.nan, "transient-active-set", 0
        )
    tol = BOUND_RTOL * max(S / N, 1.0)
    qp: _QP | _DenseQP
    if isinstance(kernel, ExponentialKernel):
        from execopt._compiled import exponential_pdas

        qp = _QP(lin, quad, kernel.strength, kernel.rho)
        # _pdas's iteration, compiled with its steps (one O(N) pass each); any status but 0
        # (every period fixed, a 2-cycle, a singular step) goes to the primal method
        xc, lam_c, it, status = exponential_pdas(lin, quad, qp.G0, qp.rho, u, S, tol, PDAS_MAXITER)
        x, lam = (xc, float(lam_c)) if status == 0 else (None, math.nan)
    else:
        qp = _DenseQP(lin, quad, kernel)
        x, lam, it = _pdas(qp, u, S, tol)
    if x is None:
        x, lam, it2 = _primal_active_set(qp, problem, tol)
        it += it2
    x = np.minimum(np.maximum(x, 0.0), u)
    return WaterFill(x, float(lam), "transient-active-set", it)


def _pdas(
    qp: _QP | _DenseQP, u: FloatArray, S: float, tol: float
) -> tuple[FloatArray | None, float, int]:
    """Primal–dual active set: ``(x, lam, iterations)``, ``x`` None if it cycled."""
    N = qp.N
    at_lo = np.zeros(N, dtype=bool)
    at_hi = np.zeros(N, dtype=bool)
    seen: set[bytes] = set()
    for it in range(1, PDAS_MAXITER + 1):
        fixed = np.where(at_hi, u, 0.0)
        free = ~(at_lo | at_hi)
        if not free.any():
            return None, math.nan, it
        x, lam = qp.reduced(free, fixed, S)
        g = qp.gradient(x)
        new_lo = (free & (x < -tol)) | (at_lo & (g - lam >= 0.0))
        new_hi = (free & (x > u + tol)) | (at_hi & (lam - g >= 0.0))
        if np.array_equal(new_lo, at_lo) and np.array_equal(new_hi, at_hi):
            return x, lam, it
        key = np.packbits(np.concatenate([new_lo, new_hi])).tobytes()
        if key in seen:
            return None, math.nan, it
        seen.add(key)
        at_lo, at_hi = new_lo, new_hi
    return None, math.nan, PDAS_MAXITER


def _primal_active_set(
    qp: _QP | _DenseQP, problem: ExecutionProblem, tol: float
) -> tuple[FloatArray, float, int]:
    """The primal active-set method from a feasible start (finite; one bound per step)."""
    from execopt.impact.quadratic import QuadraticImpact
    from execopt.problem.waterfill import waterfill

    N, S, u = problem.periods, problem.shares, problem.upper
    # feasible start: the separable problem with the kernel's diagonal (G0 / 2 per period)
    start = ExecutionProblem(
        S,
        QuadraticImpact(np.maximum(qp.l - qp.l.min(), 0.0), np.maximum(qp.q, 0.0) + 0.5 * qp.G0),
        N,
        cap=problem.cap,
    )
    x = waterfill(start).x
    at_lo = x <= 0.0
    at_hi = x >= u
    lam = math.nan
    for it in range(1, PRIMAL_MAXITER + 1):
        free = ~(at_lo | at_hi)
        fixed = np.where(at_hi, u, np.where(at_lo, 0.0, x))
        xh, lam_h = qp.reduced(free, fixed, S)
        p = xh - x
        if float(np.abs(p).max()) <= tol:
            g = qp.gradient(x)
            lam = lam_h if math.isfinite(lam_h) else float(np.median(g))
            mu_lo = np.where(at_lo, g - lam, np.inf)
            mu_hi = np.where(at_hi, lam - g, np.inf)
            i_lo, i_hi = int(np.argmin(mu_lo)), int(np.argmin(mu_hi))
            worst = min(mu_lo[i_lo], mu_hi[i_hi])
            if worst >= -1e-12 * max(abs(lam), 1.0):
                return x, lam, it
            if mu_lo[i_lo] <= mu_hi[i_hi]:
                at_lo[i_lo] = False
            else:
                at_hi[i_hi] = False
            continue
        # longest step along p that keeps the free periods within their bounds
        with np.errstate(divide="ignore", invalid="ignore"):
            a_lo = np.where(free & (p < 0), -x / p, np.inf)
            a_hi = np.where(free & (p > 0), (u - x) / p, np.inf)
        j_lo, j_hi = int(np.argmin(a_lo)), int(np.argmin(a_hi))
        alpha = min(1.0, a_lo[j_lo], a_hi[j_hi])
        x = x + alpha * p
        if alpha < 1.0:
            if a_lo[j_lo] <= a_hi[j_hi]:
                at_lo[j_lo], x[j_lo] = True, 0.0
            else:
                at_hi[j_hi], x[j_hi] = True, u[j_hi]
    raise NotSupportedError(  # pragma: no cover - finite in theory; a guard against rounding
        "the transient active-set method did not converge; use method='clarabel'."
    )
