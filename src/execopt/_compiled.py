"""Compiled inner loops (Numba) of the exact algorithms and the certificate.

At N ~ 400 a NumPy call costs about as much as its arithmetic (~1 us), so an algorithm written
as forty array expressions spends most of its time in call overhead. The loops here do the
same arithmetic in one pass each. Every function is an ordinary Python function first: Numba
compiles it on first use (cached on disk next to this file, or in Numba's cache directory when
that is read-only), and the tests compare the compiled function with its own Python body
(``f.py_func``) and with the NumPy algorithms it replaced. Nothing here knows a model: the
callers pass arrays that the models and terms computed through their own declarations.

Importing this module imports Numba (~0.3 s); the callers import it on first use, so
``import execopt`` does not pay for it.

Functions
---------
quadratic_cost_marginal
    ``(a x + b x^2, a + 2 b x)`` per period: the quadratic model's cost and marginal.
newton_supply_root
    Newton's method on the piecewise-linear supply ``F(z) = sum_t clip(alpha_t (z - z0_t), 0,
    u_t) = S`` (the water-filling of a linear supply).
kkt_point_sums
    The one-pass sums of a KKT-point certificate: total, smallest slack, stationarity distance,
    complementarity.
kms_apply
    ``T x`` with ``T_ts = rho^|t-s|`` by the two first-order recursions (O(N), stable).
exponential_step
    One step of the exponential-kernel QP's active-set methods: minimise over the free periods
    by an O(N) tridiagonal solve.
exponential_pdas
    The primal–dual active-set method for the exponential-kernel QP, with its O(N) tridiagonal
    steps (partial pivoting, as LAPACK's ``gtsv``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = [
    "exponential_pdas",
    "exponential_step",
    "kkt_point_sums",
    "kms_apply",
    "newton_supply_root",
    "quadratic_cost_marginal",
]

FloatArray = NDArray[np.float64]

_jit: Any = njit(cache=True, nogil=True, error_model="numpy")


@_jit
def quadratic_cost_marginal(
    a: FloatArray, b: FloatArray, x: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per-period costs ``a_t x_t + b_t x_t^2`` and marginals ``a_t + 2 b_t x_t`` for 1-D
    ``a``, ``b``, ``x`` of one length, in the order of operations of the NumPy expressions
    ``a * x + (b * x) * x`` and ``a + ((b * x) + (b * x))`` (so bit-identical to them; the
    caller sums the costs with NumPy, as every objective here is summed).
    """
    N = x.shape[0]
    c = np.empty(N)
    g = np.empty(N)
    for i in range(N):
        h = b[i] * x[i]
        c[i] = a[i] * x[i] + h * x[i]
        g[i] = a[i] + (h + h)
    return c, g


@_jit
def newton_supply_root(
    alpha: FloatArray, z0: FloatArray, u: FloatArray, S: float, rtol: float, maxiter: int
) -> tuple[FloatArray, float, float, bool]:
    """Newton's method on ``F(z) = sum_t clip(alpha_t (z - z0_t), 0, u_t) = S``.

    ``F`` is piecewise linear and non-decreasing; once the set of periods strictly inside their
    bounds stops changing, one step lands on the root (to rounding). Starts at the root without
    bounds. Returns ``(x, z, sum x, settled)``; ``settled`` is False when ``|S - sum x| > rtol
    S`` after ``maxiter`` steps or when no period is strictly inside its bounds (the caller's
    sorting kernel answers then).
    """
    N = alpha.shape[0]
    x = np.empty(N)
    sa = 0.0
    az = 0.0
    for i in range(N):
        sa += alpha[i]
        az += alpha[i] * z0[i]
    z = (S + az) / sa
    total = math.nan
    for _ in range(maxiter):
        total = 0.0
        slope = 0.0
        for i in range(N):
            t = alpha[i] * (z - z0[i])
            if t <= 0.0:
                v = 0.0
            elif t >= u[i]:
                v = u[i]
            else:
                v = t
                slope += alpha[i]
            x[i] = v
            total += v
        r = S - total
        if abs(r) <= rtol * S:
            return x, z, total, True
        if not slope > 0.0:
            break
        z = z + r / slope
    return x, z, total, False


@_jit
def kkt_point_sums(
    x: FloatArray, g: FloatArray, u: FloatArray, lam: float, act: float, S: float
) -> tuple[float, float, float, float]:
    """One pass over a claimed KKT point ``x`` with gradient ``g`` and multiplier ``lam``.

    With ``d_t = g_t - lam`` and ``room_t = min(u_t, S) - x_t`` (a feasible schedule has
    ``y_t <= S`` in every period, so an uncapped period's room is finite), returns

    * ``sum x``;
    * the smallest of ``x_t`` and, where ``u_t`` is finite, ``u_t - x_t`` (negative: a bound is
      broken);
    * the stationarity distance ``max_t max(d_t [x_t > act], -d_t [room_t > act or u_t = inf])``
      (at least 0; NaN if any ``g_t`` is not finite, so that the caller falls back);
    * the complementarity ``sum_t max(d_t, 0) x_t + max(-d_t, 0) room_t``: the dollars by which
      the linearisation at ``x`` could still fall over ``{0 <= y_t <= min(u_t, S)}`` at this
      ``lam``, so that ``f(x) - comp + lam (S - sum x)`` bounds the optimum from below
      (convexity and weak duality).
    """
    N = x.shape[0]
    total = 0.0
    slack = math.inf
    dist = 0.0
    comp = 0.0
    for i in range(N):
        xi = x[i]
        gi = g[i]
        if not math.isfinite(gi):
            return total, slack, math.nan, math.nan
        ui = u[i]
        d = gi - lam
        total += xi
        capped = ui < math.inf
        room = (ui if ui < S else S) - xi
        if xi < slack:
            slack = xi
        if capped and room < slack:
            slack = room
        if xi > act and d > dist:
            dist = d
        if (room > act or not capped) and -d > dist:
            dist = -d
        if d > 0.0:
            comp += d * xi
        else:
            comp -= d * room
    return total, slack, dist, comp


@_jit
def kms_apply(X: FloatArray, rho: float) -> FloatArray:
    """``T x`` for each row ``x`` of ``X`` (shape (M, N)), ``T_ts = rho^|t-s|`` with
    ``0 < rho < 1``: the forward recursion ``f_t = x_t + rho f_(t-1)`` plus the backward one,
    minus ``x`` (counted twice).
    """
    M, N = X.shape
    out = np.empty((M, N))
    for m in range(M):
        acc = 0.0
        for i in range(N):
            acc = X[m, i] + rho * acc
            out[m, i] = acc
        acc = 0.0
        for i in range(N - 1, -1, -1):
            acc = X[m, i] + rho * acc
            out[m, i] += acc - X[m, i]
    return out


@_jit
def _gtsv2(dl: FloatArray, d: FloatArray, du: FloatArray, b1: FloatArray, b2: FloatArray) -> bool:
    """Solve the tridiagonal system (sub-diagonal ``dl``, diagonal ``d``, super-diagonal
    ``du``) for the right-hand sides ``b1`` and ``b2`` in place, by Gaussian elimination with
    partial pivoting (LAPACK ``dgtsv``'s algorithm: ``dl`` becomes the second super-diagonal
    of the factor). False on a zero pivot (a singular matrix); every array is overwritten.
    """
    n = d.shape[0]
    for i in range(n - 1):
        if abs(d[i]) >= abs(dl[i]):
            if d[i] == 0.0:
                return False
            fact = dl[i] / d[i]
            d[i + 1] -= fact * du[i]
            b1[i + 1] -= fact * b1[i]
            b2[i + 1] -= fact * b2[i]
            dl[i] = 0.0
        else:
            fact = d[i] / dl[i]
            d[i] = dl[i]
            temp = d[i + 1]
            d[i + 1] = du[i] - fact * temp
            if i < n - 2:
                dl[i] = du[i + 1]
                du[i + 1] = -fact * dl[i]
            else:
                dl[i] = 0.0
            du[i] = temp
            t1 = b1[i]
            b1[i] = b1[i + 1]
            b1[i + 1] = t1 - fact * b1[i + 1]
            t2 = b2[i]
            b2[i] = b2[i + 1]
            b2[i + 1] = t2 - fact * b2[i + 1]
    if d[n - 1] == 0.0:
        return False
    b1[n - 1] /= d[n - 1]
    b2[n - 1] /= d[n - 1]
    if n > 1:
        b1[n - 2] = (b1[n - 2] - du[n - 2] * b1[n - 1]) / d[n - 2]
        b2[n - 2] = (b2[n - 2] - du[n - 2] * b2[n - 1]) / d[n - 2]
    for i in range(n - 3, -1, -1):
        b1[i] = (b1[i] - du[i] * b1[i + 1] - dl[i] * b1[i + 2]) / d[i]
        b2[i] = (b2[i] - du[i] * b2[i + 1] - dl[i] * b2[i + 2]) / d[i]
    return True


@_jit
def exponential_step(
    free: NDArray[np.bool_],
    fixed: FloatArray,
    lin: FloatArray,
    q: FloatArray,
    G0: float,
    rho: float,
    S: float,
) -> tuple[FloatArray, float, int]:
    """Minimise over the free periods with the others at ``fixed``: ``(x, lam, info)``.

    ``H_FF x_F = lam 1 + c`` with ``H = 2 diag(q) + G0 T`` and ``c = -l_F - G0 (T fixed)_F`` is
    the tridiagonal system ``(P 2 diag(q_F) + G0 I) v = P [1, c]`` with ``P = T_FF^-1`` (see
    :mod:`execopt.problem.transient_qp`), solved by :func:`_gtsv2`. ``info`` is 1 on a zero
    pivot (a singular step), else 0.
    """
    N = free.shape[0]
    x = fixed.copy()
    rest = S
    n = 0
    for i in range(N):
        if free[i]:
            n += 1
            x[i] = 0.0
        else:
            rest -= fixed[i]
    if n == 0:
        return x, math.nan, 0
    Tf = kms_apply(x.reshape(1, N), rho)[0]  # T on the fixed part (free entries are 0 in x)
    F = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(N):
        if free[i]:
            F[k] = i
            k += 1
    # P = T_FF^-1: pd (diagonal), po (off-diagonal) from consecutive correlations r_i
    r = np.empty(max(n - 1, 0))
    w = np.empty(max(n - 1, 0))
    for i in range(n - 1):
        r[i] = rho ** float(F[i + 1] - F[i])
        w[i] = 1.0 / (1.0 - r[i] * r[i])
    pd = np.empty(n)
    po = np.empty(max(n - 1, 0))
    if n == 1:
        pd[0] = 1.0
    else:
        pd[0] = w[0]
        pd[n - 1] = w[n - 2]
        for i in range(1, n - 1):
            pd[i] = w[i - 1] + r[i] * r[i] * w[i]
        for i in range(n - 1):
            po[i] = -r[i] * w[i]
    c = np.empty(n)
    d2 = np.empty(n)
    for i in range(n):
        c[i] = -lin[F[i]] - G0 * Tf[F[i]]
        d2[i] = 2.0 * q[F[i]]
    # M = P diag(d2) + G0 I: dl (sub), d (diagonal), du (super); right-hand sides P 1 and P c
    dl = np.empty(max(n - 1, 0))
    du = np.empty(max(n - 1, 0))
    d = np.empty(n)
    b1 = np.empty(n)
    b2 = np.empty(n)
    for i in range(n):
        d[i] = pd[i] * d2[i] + G0
        b1[i] = pd[i]
        b2[i] = pd[i] * c[i]
    for i in range(n - 1):
        dl[i] = po[i] * d2[i]
        du[i] = po[i] * d2[i + 1]
        b1[i] += po[i]
        b1[i + 1] += po[i]
        b2[i] += po[i] * c[i + 1]
        b2[i + 1] += po[i] * c[i]
    if not _gtsv2(dl, d, du, b1, b2):
        return x, math.nan, 1
    s1 = 0.0
    s2 = 0.0
    for i in range(n):
        s1 += b1[i]
        s2 += b2[i]
    lam = (rest - s2) / s1
    for i in range(n):
        x[F[i]] = lam * b1[i] + b2[i]
    return x, lam, 0


@_jit
def exponential_pdas(
    lin: FloatArray,
    q: FloatArray,
    G0: float,
    rho: float,
    u: FloatArray,
    S: float,
    tol: float,
    maxiter: int,
) -> tuple[FloatArray, float, int, int]:
    """Primal–dual active set for ``min l.x + q.x^2 + 1/2 x'Kx``, ``K = G0 rho^|t-s|``, over
    ``{sum x = S, 0 <= x <= u}``: every violated bound fixed, every wrong-signed multiplier
    released, at once, until the active sets repeat.

    Returns ``(x, lam, iterations, status)``: status 0 converged (an exact KKT point to
    rounding), 1 every period fixed, 2 a 2-cycle of the active sets or not settled within
    ``maxiter``, 3 a singular step. The caller falls back to the primal active-set method on any status > 0.
    """
    N = lin.shape[0]
    at_lo = np.zeros(N, dtype=np.bool_)
    at_hi = np.zeros(N, dtype=np.bool_)
    prev_lo = np.zeros(N, dtype=np.bool_)  # the sets the previous step used (a 2-cycle test)
    prev_hi = np.zeros(N, dtype=np.bool_)
    free = np.ones(N, dtype=np.bool_)
    fixed = np.zeros(N)
    x = np.zeros(N)
    lam = math.nan
    for it in range(1, maxiter + 1):
        nfree = 0
        for i in range(N):
            free[i] = not (at_lo[i] or at_hi[i])
            fixed[i] = u[i] if at_hi[i] else 0.0
            nfree += free[i]
        if nfree == 0:
            return x, math.nan, it, 1
        x, lam, info = exponential_step(free, fixed, lin, q, G0, rho, S)
        if info != 0:
            return x, math.nan, it, 3
        Tx = kms_apply(x.reshape(1, N), rho)[0]
        changed = False
        cycle = it > 1  # the new sets equal the previous step's: a 2-cycle
        for i in range(N):
            g = lin[i] + 2.0 * q[i] * x[i] + G0 * Tx[i]
            lo = (free[i] and x[i] < -tol) or (at_lo[i] and g - lam >= 0.0)
            hi = (free[i] and x[i] > u[i] + tol) or (at_hi[i] and lam - g >= 0.0)
            if lo != at_lo[i] or hi != at_hi[i]:
                changed = True
            if lo != prev_lo[i] or hi != prev_hi[i]:
                cycle = False
            prev_lo[i], prev_hi[i] = at_lo[i], at_hi[i]
            at_lo[i] = lo
            at_hi[i] = hi
        if not changed:
            return x, lam, it, 0
        if cycle:
            return x, math.nan, it, 2
    return x, lam, maxiter, 2
