"""Mean-variance (Almgren–Chriss) execution: the closed form and an exact banded solver.

The mean-variance problem of :class:`~execopt.problem.ExecutionProblem` with quadratic impact is

    minimise   sum_t (a_t x_t + b_t x_t^2) + k sum_t sigma_t^2 R_t^2
    subject to sum_t x_t = S,      R_t = S - sum_{s<=t} x_s   (so R_{N-1} = 0).

Written in the holdings ``R_0 .. R_{N-2}`` (``R_{-1} = S`` and ``R_{N-1} = 0`` are fixed,
``x_t = R_{t-1} - R_t``) it is an unconstrained, strictly convex quadratic whose stationarity
conditions form a symmetric tridiagonal system, for ``j = 0 .. N-2``:

    -b_j R_{j-1} + (b_j + b_{j+1} + k sigma_j^2) R_j - b_{j+1} R_{j+1} = (a_j - a_{j+1}) / 2.

:func:`solve_mean_variance` solves it in O(N) with :func:`scipy.linalg.solveh_banded`. The answer
is the optimum of the constrained problem whenever it happens to satisfy ``0 <= x_t <= u_t`` (and
the VaR limit, if one is set); otherwise a bound would bind and the function raises
:class:`~execopt.errors.NotSupportedError` (use ``method="clarabel"``).

For constant ``a, b, sigma`` the recurrence is homogeneous with characteristic equation
``cosh(kappa) = 1 + k sigma^2 / (2 b)``, whose solution with the two boundary values is the
discrete Almgren–Chriss trajectory (:func:`almgren_chriss_trajectory`):

    R_t = S sinh(kappa (N - 1 - t)) / sinh(kappa N),   t = -1 .. N-1.

(``t`` counts periods from 0; in the 1-based notation of Almgren and Chriss, holdings after
period ``j`` are ``S sinh(kappa (N - j)) / sinh(kappa N)``.) The linear coefficient ``a`` drops
out, and ``kappa -> 0`` (no risk aversion) gives equal allocation.

Glossary: ``S`` shares, ``N`` periods, ``x`` shares per period, ``R`` shares still held after each
period, ``a`` dollars per share, ``b`` (``eta``) dollars per share squared, ``k`` (``risk_aversion``)
risk aversion (1 / dollars), ``sigma`` price volatility per period (dollars per share),
``kappa`` the decay rate of the holdings per period, ``lam`` the marginal cost of the last share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import LinAlgError, solveh_banded

from execopt.errors import InputError, NotSupportedError
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.waterfill import WaterFill

__all__ = ["ACTrajectory", "ac_kappa", "almgren_chriss_trajectory", "solve_mean_variance"]

FloatArray = NDArray[np.float64]

#: A coordinate more than this fraction of ``max(S, 1)`` shares outside ``[0, u_t]`` counts as a
#: binding bound (the banded solve is exact to rounding, about 1e-13 of S).
BOUND_RTOL = 1e-9


@dataclass(frozen=True)
class ACTrajectory:
    """The discrete Almgren–Chriss trajectory.

    Attributes
    ----------
    x : ndarray (N,)
        Shares traded in each period.
    R : ndarray (N,)
        Shares still held after each period (``R[-1] = 0``), as
        :meth:`ExecutionProblem.remaining` defines them.
    kappa : float
        Decay rate of the holdings per period (``cosh(kappa) = 1 + k sigma^2 / (2 eta)``).
    """

    x: FloatArray
    R: FloatArray
    kappa: float


def ac_kappa(eta: float, risk_aversion: float, sigma: float) -> float:
    """Decay rate ``kappa`` of the discrete trajectory: ``cosh(kappa) = 1 + k sigma^2 / (2 eta)``.

    Computed as ``log1p(y + sqrt(y (y + 2)))`` with ``y = k sigma^2 / (2 eta)`` so that small
    risk aversions keep full precision.
    """
    y = risk_aversion * sigma * sigma / (2.0 * eta)
    return float(np.log1p(y + np.sqrt(y * (y + 2.0))))


def almgren_chriss_trajectory(
    S: float, N: int, eta: float, risk_aversion: float, sigma: float
) -> ACTrajectory:
    """Closed-form optimum of ``sum_t (a x_t + eta x_t^2) + k sigma^2 sum_t R_t^2``.

    Parameters
    ----------
    S : float
        Shares to trade, ``>= 0``.
    N : int
        Number of periods, ``>= 1``.
    eta : float
        Quadratic impact coefficient ``b`` (dollars per share squared), ``> 0``.
    risk_aversion : float
        Risk aversion ``k >= 0`` (1 / dollars).
    sigma : float
        Price volatility per period, dollars per share, ``>= 0``.

    Returns
    -------
    ACTrajectory
        Schedule, holdings and ``kappa``.

    Raises
    ------
    InputError
        For a negative or non-finite argument, ``eta <= 0`` or ``N < 1``.

    Notes
    -----
    ``R_t = S sinh(kappa (N-1-t)) / sinh(kappa N)`` is evaluated as
    ``S exp(-kappa (t+1)) (1 - exp(-2 kappa (N-1-t))) / (1 - exp(-2 kappa N))`` so it does not
    overflow for large ``kappa N``. The linear impact ``a`` does not affect the optimum.

    Examples
    --------
    >>> tr = almgren_chriss_trajectory(1000.0, 4, eta=0.001, risk_aversion=0.0, sigma=0.1)
    >>> tr.x.tolist()
    [250.0, 250.0, 250.0, 250.0]
    """
    vals = {"S": S, "eta": eta, "risk_aversion": risk_aversion, "sigma": sigma}
    for name, v in vals.items():
        if not np.isfinite(v) or v < 0:
            raise InputError(f"{name} must be finite and >= 0, got {v!r}.")
    if eta <= 0:
        raise InputError(
            f"eta (the quadratic impact coefficient b, dollars per share^2) must be > 0, got "
            f"{eta!r}: without it the mean-variance optimum trades everything at once."
        )
    if not isinstance(N, (int, np.integer)) or N < 1:
        raise InputError(f"N must be an integer >= 1, got {N!r}.")
    kappa = ac_kappa(eta, risk_aversion, sigma)
    j = np.arange(N, dtype=np.float64)  # period index t; holdings after it: R_t
    if kappa * N < 1e-8:
        R = S * (N - 1 - j) / N
    else:
        num = -np.expm1(-2.0 * kappa * (N - 1 - j))
        den = -np.expm1(-2.0 * kappa * N)
        R = S * np.exp(-kappa * (j + 1)) * num / den
    R[-1] = 0.0
    x = -np.diff(np.concatenate([[S], R]))
    return ACTrajectory(x=x, R=R, kappa=kappa)


def solve_mean_variance(problem: ExecutionProblem) -> WaterFill:
    """Exact mean-variance optimum for quadratic impact with time-varying ``a_t, b_t, sigma_t``.

    Solves the tridiagonal KKT system of the module docstring in O(N). The solution is returned
    when it satisfies every bound (``0 <= x_t <= u_t``) and the VaR limit if one is set; it is then
    the optimum of the constrained problem too (the constraints are inactive).

    Parameters
    ----------
    problem : ExecutionProblem
        Whose impact is ``a_t x + b_t x^2`` (its ``diagonal_quadratic``) with ``b_t > 0``.

    Returns
    -------
    WaterFill
        ``x``, the multiplier ``lam`` of ``sum x = S`` (the common value of the gradient of the
        objective), algorithm ``"mean-variance-banded"``.

    Raises
    ------
    NotSupportedError
        For a non-quadratic model, some ``b_t = 0``, or when a bound (``x_t >= 0`` or a cap) or
        the VaR limit binds: solve those with ``method="clarabel"``.
    """
    N, S = problem.periods, problem.shares
    diag = problem.impact.diagonal_quadratic(N)
    if diag is None:
        raise NotSupportedError(
            f"the exact mean-variance solver needs QuadraticImpact (any cost a_t x + b_t x^2, "
            f"fees included), got {problem.impact!r}; use method='clarabel' for a risk term with "
            "other impact models."
        )
    a = np.asarray(diag[0], dtype=float)
    b = np.asarray(diag[1], dtype=float)
    if np.any(b <= 0):
        raise NotSupportedError(
            f"the exact mean-variance solver needs b_t > 0 in every period (b = 0 at periods "
            f"{np.flatnonzero(b <= 0)[:5].tolist()}); use method='clarabel'."
        )
    if N == 1 or S == 0:
        x = np.full(N, S) if N == 1 else np.zeros(N)
    else:
        k = problem.risk_aversion
        s2 = problem.sigma2
        diag = b[:-1] + b[1:] + k * s2[:-1]
        off = -b[1:-1]
        rhs = 0.5 * (a[:-1] - a[1:])
        rhs[0] += b[0] * S
        ab = np.zeros((2, N - 1))
        ab[0, 1:] = off  # upper form: ab[0, j] = A[j-1, j]
        ab[1] = diag
        try:
            # LAPACK's banded solver refuses a 1 x 1 system (N = 2): divide
            R = rhs / diag if N == 2 else solveh_banded(ab, rhs, check_finite=False)
        except LinAlgError as exc:  # pragma: no cover - b > 0 makes the system positive definite
            raise NotSupportedError(f"the banded KKT system is singular ({exc}).") from exc
        x = -np.diff(np.concatenate([[S], R, [0.0]]))
    tol = BOUND_RTOL * max(S, 1.0)
    u = problem.upper
    low = np.flatnonzero(x < -tol)
    high = np.flatnonzero(x > u + tol)
    if low.size or high.size:
        which = (f"x_t < 0 at periods {low[:5].tolist()}" if low.size else "") + (
            f"{'; ' if low.size else ''}caps bind at periods {high[:5].tolist()}"
            if high.size
            else ""
        )
        raise NotSupportedError(
            f"the unconstrained mean-variance optimum violates its bounds ({which}): the exact "
            "banded solver covers the case where no bound is active; solve this problem with "
            "method='clarabel'."
        )
    if problem.var_limit is not None:
        var = problem.value_at_risk(x)
        if var > problem.var_limit * (1.0 + BOUND_RTOL):
            raise NotSupportedError(
                f"the VaR limit binds (the mean-variance optimum has VaR ${var:,.2f} > limit "
                f"${problem.var_limit:,.2f}); a binding second-order cone needs "
                "method='clarabel'."
            )
    g = problem.gradient(x)
    lam = float(np.mean(g)) if N else float("nan")
    return WaterFill(x=x, lam=lam, algorithm="mean-variance-banded", iterations=1)
