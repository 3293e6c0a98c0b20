"""Exact water-filling: the KKT solution of the separable convex execution problem.

For ``min sum_t c_t(x_t)`` s.t. ``sum_t x_t = S``, ``0 <= x_t <= u_t`` with convex ``c_t`` the KKT
conditions say there is one scalar ``lam`` (the marginal cost of the last share) with
``x_t = clip(inverse marginal_t(lam), 0, u_t)``. This module finds ``lam`` exactly:

* quadratic (every ``b_t > 0``): ``x_t = clip((lam - a_t) / (2 b_t), 0, u_t)`` is piecewise linear
  in ``lam``; sorting its ``2N`` breakpoints and a cumulative sum give ``lam`` in O(N log N);
* per-share power law with one exponent ``p = 1 + delta > 1``: ``x_t = min(u_t, z w_t)`` with
  ``z = lam^(1/delta)``, ``w_t = (p gamma_t)^(-1/delta)``: the same kernel in ``z``;
* piecewise linear (book walks): a fractional knapsack over all segments sorted by slope, ties
  split in proportion to the segments' widths (so identical books give equal allocation);
* anything else convex (time-varying exponents, ``b_t = 0`` mixed with ``b_t > 0``): bisection on
  ``lam`` with the left and right supply functions, then an exact split of the flat part.

The literal, concave reading ``c_t(x) = gamma_t x^delta`` (``delta < 1``) has its global minimum
at a vertex of the feasible polytope: :func:`concave_vertex` gives it without caps (everything in
the cheapest period) and with one uniform cap (the cheapest periods filled to the cap, the
remainder in the next cheapest). With unequal caps the vertex search is a knapsack-like problem
and raises :class:`NotSupportedError`.

This code lives in ``problem/`` (not ``solvers/``) because the certificate needs the optimum: the
``exact`` solver in ``solvers/`` wraps it into a :class:`~execopt.solvers.Solution`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from execopt.errors import NotSupportedError
from execopt.impact.base import LinearSupply, Segments
from execopt.problem.execution_problem import ExecutionProblem

__all__ = [
    "WaterFill",
    "concave_vertex",
    "kernel_solved",
    "linear_supply_root",
    "linear_supply_root_batch",
    "waterfill",
]

FloatArray = NDArray[np.float64]

#: Relative width of the final ``lam`` bracket in the bisection fallback.
BISECT_RTOL = 1e-15
#: Iteration limit of the bisection fallback (each halves the bracket).
BISECT_MAXITER = 400
#: The breakpoint kernel takes a Newton step on ``lam`` when ``|sum x - S|`` exceeds this
#: (relative to ``S``); the cumulative sums usually leave ~1e-15, which is rounding already.
POLISH_RTOL = 1e-14
#: A breakpoint kernel's ``|sum x - S|`` above this (relative to ``max(S, 1)``) means it lost
#: accuracy; the answer is recomputed by bisection (see :func:`kernel_solved`).
KERNEL_RTOL = 1e-11


class WaterFill(NamedTuple):
    """Result of the exact solver: schedule ``x``, multiplier ``lam`` and the algorithm used."""

    x: FloatArray
    lam: float
    algorithm: str
    iterations: int


def linear_supply_root(
    alpha: FloatArray, z0: FloatArray, u: FloatArray, S: float
) -> tuple[FloatArray, float]:
    """Solve ``sum_t clip(alpha_t (z - z0_t), 0, u_t) = S`` for ``z`` exactly (O(N log N)).

    Parameters
    ----------
    alpha : ndarray (N,)
        Positive finite slopes of the per-period supply.
    z0 : ndarray (N,)
        Where each period starts to trade.
    u : ndarray (N,)
        Caps (``inf`` allowed).
    S : float
        Target total, ``0 <= S <= sum(u)``.

    Returns
    -------
    x, z : ndarray (N,), float
    """
    x, z, _ = _supply_root(alpha, z0, u, S)
    return x, z


_sum = np.add.reduce  # ndarray.sum's Python wrapper costs ~0.5 us a call at N ~ 400


#: Newton steps tried before the sorted-breakpoint kernel (see :func:`_newton_root`).
NEWTON_MAXITER = 8


def _newton_root(
    alpha: FloatArray, z0: FloatArray, u: FloatArray, S: float
) -> tuple[FloatArray, float, float] | None:
    """Newton's method on ``F(z) = sum_t clip(alpha_t (z - z0_t), 0, u_t) = S``, or None.

    ``F`` is piecewise linear and non-decreasing; once the set of periods strictly inside their
    bounds stops changing, one step lands on the root exactly (to rounding). From the
    unconstrained root it takes 3-4 steps on intraday problems (measured: 200 random N = 390
    instances with time-varying a_t, b_t and caps). The loop is compiled
    (:func:`execopt._compiled.newton_supply_root`: about 2 us at N = 390, against 18 us as
    NumPy expressions and 29 us for sorting the 2N breakpoints). Returns None when it does not
    settle within :data:`NEWTON_MAXITER` steps or no period is strictly inside its bounds (then
    the sorting kernel answers).
    """
    from execopt._compiled import newton_supply_root

    x, z, total, settled = newton_supply_root(alpha, z0, u, float(S), POLISH_RTOL, NEWTON_MAXITER)
    return (x, z, total) if settled else None


def _supply_root(
    alpha: FloatArray, z0: FloatArray, u: FloatArray, S: float
) -> tuple[FloatArray, float, float]:
    """:func:`linear_supply_root`, also returning ``sum x`` (for :func:`kernel_solved`)."""
    if not (
        type(alpha) is type(z0) is type(u) is np.ndarray
        and alpha.ndim == 1
        and z0.shape == alpha.shape == u.shape
    ):
        # scalars and length-1 arrays broadcast; other lengths raise (the compiled loop does
        # not check bounds)
        alpha, z0, u = (
            np.ascontiguousarray(v, dtype=np.float64) for v in np.broadcast_arrays(alpha, z0, u)
        )
        if alpha.ndim != 1:
            raise ValueError(f"alpha, z0 and u must be 1-D, got shape {alpha.shape}.")
    N = alpha.shape[0]
    if S <= 0:
        return np.zeros(N), float(z0.min()), 0.0
    got = _newton_root(alpha, z0, u, S)
    if got is not None:
        return got
    # Written for N ~ 400, where each NumPy call costs about as much as its arithmetic: a
    # fully capped problem skips the masking (ends are >= z0 > -inf, so a finite sum means
    # every end is finite), differences are slices (np.diff is 4x slower),
    # clip is minimum(maximum()) and the Newton step's slope is one dot product.
    end = z0 + u / alpha
    if math.isfinite(_sum(end)):  # every period capped (one reduction, no mask)
        bp = np.concatenate((z0, end))
        ds = np.concatenate((alpha, -alpha))
    else:
        fin = np.isfinite(end)
        bp = np.concatenate((z0, end[fin]))
        ds = np.concatenate((alpha, -alpha[fin]))
    order = bp.argsort(kind="stable")
    bp = bp[order]
    slope = ds[order].cumsum()
    F = np.empty_like(bp)
    F[0] = 0.0
    (slope[:-1] * (bp[1:] - bp[:-1])).cumsum(out=F[1:])
    k = int(F.searchsorted(S, side="left")) - 1
    k = min(max(k, 0), bp.shape[0] - 1)
    sk = float(slope[k])
    z = float(bp[k]) + (S - float(F[k])) / sk if sk > 0 else float(bp[k])
    t = alpha * (z - z0)
    x = np.minimum(np.maximum(t, 0.0), u)
    total = _sum(x)
    if abs(S - total) > POLISH_RTOL * S:
        # one Newton step removes the rounding left by the cumulative sums
        sa = float(alpha @ ((t > 0) & (t < u)))
        if sa > 0:
            z = z + (S - total) / sa
            x = np.minimum(np.maximum(alpha * (z - z0), 0.0), u)
            total = _sum(x)
    return x, z, total


def linear_supply_root_batch(
    alpha: FloatArray, z0: FloatArray, u: FloatArray, S: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Row-wise :func:`linear_supply_root` for ``M`` problems at once (arrays of shape (M, N))."""
    M, N = alpha.shape
    end = z0 + u / alpha
    end = np.where(np.isfinite(end), end, np.inf)
    bp = np.concatenate([z0, end], axis=1)
    ds = np.concatenate([alpha, np.where(np.isfinite(end), -alpha, 0.0)], axis=1)
    order = np.argsort(bp, axis=1, kind="stable")
    bp = np.take_along_axis(bp, order, axis=1)
    slope = np.cumsum(np.take_along_axis(ds, order, axis=1), axis=1)
    with np.errstate(invalid="ignore"):
        # uncapped rows end in several inf breakpoints and inf - inf = NaN here; those gaps are
        # masked out below (the diff used to sit outside errstate and warned on every call
        # of solve_batch without caps)
        gaps = np.diff(bp, axis=1)
        inc = np.where(np.isfinite(gaps), slope[:, :-1] * gaps, np.inf)
    F = np.concatenate([np.zeros((M, 1)), np.cumsum(inc, axis=1)], axis=1)
    k = np.clip((F < S[:, None]).sum(axis=1) - 1, 0, 2 * N - 1)
    rows = np.arange(M)
    sk = slope[rows, k]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sk > 0, bp[rows, k] + (S - F[rows, k]) / sk, bp[rows, k])
    z = np.where(S <= 0, z0.min(axis=1), z)
    x = np.clip(alpha * (z[:, None] - z0), 0.0, u)
    inner = (x > 0) & (x < u)
    sa = np.where(inner, alpha, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sa > 0, z + (S - x.sum(axis=1)) / sa, z)
    x = np.clip(alpha * (z[:, None] - z0), 0.0, u)
    return x, z


def kernel_solved(x: FloatArray, S: float, total: float | None = None) -> bool:
    """Whether a breakpoint kernel's answer meets ``sum x = S`` to rounding.

    The kernels accumulate the supply slopes with a cumulative sum, adding each period's slope
    where it starts and subtracting it where it hits its cap. Slopes that span more than ~1e16
    cancel catastrophically: a per-share power law with delta = 0.01 has slopes
    (p gamma_t)^(-1/delta) from 1e152 to 1e230 for gamma in [0.005, 0.03], and with caps the
    kernel returned a schedule 2,600 shares short. Callers fall back to bisection then.
    """
    if total is None:
        total = float(x.sum())  # NaN or inf anywhere makes the sum non-finite
    return math.isfinite(total) and abs(total - S) <= KERNEL_RTOL * max(S, 1.0)


def _knapsack(
    slopes: FloatArray, widths: FloatArray, u: FloatArray, S: float
) -> tuple[FloatArray, float]:
    """Exact piecewise-linear water-filling: fill the cheapest segments first."""
    N = u.shape[0]
    s = np.broadcast_to(slopes, (N, slopes.shape[-1]))
    w = np.broadcast_to(widths, s.shape)
    # shares before each segment; only the last width may be inf, so exclude each segment's own
    # width from the cumulative sum instead of subtracting it (inf - inf would give NaN)
    start = np.concatenate([np.zeros((N, 1)), np.cumsum(w[:, :-1], axis=1)], axis=1)
    w_eff = np.clip(u[:, None] - start, 0.0, w)  # truncate each period's segments at its cap
    fs, fw = s.ravel(), w_eff.ravel()
    order = np.argsort(fs, kind="stable")
    ss, ww = fs[order], fw[order]
    cum = np.cumsum(ww)
    if S <= 0:
        return np.zeros(N), float(ss[0])
    k = min(int(np.searchsorted(cum, S, side="left")), ss.shape[0] - 1)
    lam = float(ss[k])
    below = fs < lam
    tie = fs == lam
    filled_below = float(fw[below].sum())
    tie_w = float(fw[tie].sum())
    if np.isinf(tie_w):
        # unbounded segments (an uncapped period whose last width is inf) at the marginal price
        # absorb the remainder; any split among them is optimal: share it equally (otherwise
        # inf * 0 = NaN below)
        unb = tie & np.isinf(fw)
        xs = np.where(below, fw, 0.0) + np.where(unb, (S - filled_below) / unb.sum(), 0.0)
        return xs.reshape(N, -1).sum(axis=1), lam
    frac = 0.0 if tie_w == 0 else min(max((S - filled_below) / tie_w, 0.0), 1.0)
    xs = np.where(below, fw, 0.0) + np.where(tie, fw * frac, 0.0)
    return xs.reshape(N, -1).sum(axis=1), lam


def _bisect(problem: ExecutionProblem) -> tuple[FloatArray, float, int]:
    """Bisection on ``lam`` for any convex model with ``supply``/``supply_right``."""
    m, u, S = problem.impact, problem.upper, problem.shares
    N = problem.periods
    if S <= 0:
        return np.zeros(N), float(np.min(m.marginal(np.zeros(N)))), 0
    lo = float(np.min(np.broadcast_to(m.marginal(np.zeros(N)), (N,)))) - 1.0
    hi = max(lo + 2.0, 1.0)
    it = 0
    while m.supply_right(hi, u).sum() < S:
        hi = hi + 2.0 * (hi - lo)
        it += 1
        if it > 2000:  # pragma: no cover - only for absurd inputs
            raise NotSupportedError(
                "bisection could not bracket lam; check the model's parameters."
            )
    while it < BISECT_MAXITER and hi - lo > BISECT_RTOL * max(abs(hi), abs(lo), 1e-300):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if m.supply(mid, u).sum() >= S:
            hi = mid
        else:
            lo = mid
        it += 1
    # Split between the bracket ends. The loop keeps sum supply(lo) < S <= sum supply_right(hi),
    # so start from the *left* supply at lo (finite, below S) and add a share of the room up to
    # the right supply at hi. (Starting from supply_right(lo) returned an infeasible schedule
    # when lo landed exactly on a flat piece, e.g. b_t = 0 with a_t == lo: its whole cap was
    # counted and the sum overshot S.)
    x_lo, x_hi = m.supply(lo, u), m.supply_right(hi, u)
    r = S - float(x_lo.sum())
    room = x_hi - x_lo
    unbounded = np.isinf(room)
    if np.any(unbounded):
        # uncapped linear pieces (b_t = 0 or delta_t = 0 with u_t = inf) absorb any remainder at
        # the same marginal cost, so any split among them is optimal: share it equally
        # (interpolating would compute 0 * inf = NaN).
        return np.where(unbounded, r / unbounded.sum(), x_lo), hi, it
    F_room = float(room.sum())
    theta = 0.0 if F_room <= 0 else min(max(r / F_room, 0.0), 1.0)
    return x_lo + theta * room, hi, it


def concave_vertex(problem: ExecutionProblem) -> WaterFill:
    """Global optimum of a concave separable cost that is one shape scaled per period (the
    literal reading ``c_t(x) = gamma_t x^delta``, ``delta < 1``).

    A concave function attains its minimum over a polytope at a vertex; a vertex of
    ``{sum x = S, 0 <= x <= u}`` has at most one coordinate strictly between its bounds.

    Raises
    ------
    NotSupportedError
        With unequal caps or time-varying exponents (the vertex search becomes combinatorial).
    """
    N, S, u = problem.periods, problem.shares, problem.upper
    rank = problem.impact.concave_rank(N)
    if rank is None:
        raise NotSupportedError(
            "the concave (basis='total') reading with time-varying delta has no tractable global "
            "optimum here: use one delta, or compare heuristics with method='slsqp'/'de'."
        )
    order = np.argsort(rank, kind="stable")
    x = np.zeros(N)
    if not problem.capped:
        x[order[0]] = S
        return WaterFill(x, float("nan"), "concave-vertex", 0)
    if np.unique(u).size > 1:
        raise NotSupportedError(
            "the concave reading with unequal caps is a combinatorial (knapsack-like) vertex search; "
            "the exact solver supports no caps or one uniform cap. Use the convex per-share reading, "
            "or compare heuristics with method='slsqp'/'de'."
        )
    cap = float(u[0])
    k = int(np.floor(S / cap + 1e-12))
    k = min(k, N)
    x[order[:k]] = cap
    r = S - k * cap
    if r > 1e-12 * max(S, 1.0) and k < N:
        x[order[k]] = r
    return WaterFill(x, float("nan"), "concave-vertex", 0)


def waterfill(problem: ExecutionProblem) -> WaterFill:
    """Exact optimum of the separable problem (see the module docstring for the algorithms).

    The model's :meth:`~execopt.impact.ImpactModel.exact_kernel` chooses the algorithm: a
    :class:`~execopt.impact.base.LinearSupply` goes to the breakpoint kernel, a
    :class:`~execopt.impact.base.Segments` to the fractional knapsack, anything else (and a
    kernel that lost accuracy) to bisection on ``lam``. Non-separable terms are ignored here:
    :func:`execopt.problem.optimum.exact_optimum` dispatches those.

    Raises
    ------
    NotSupportedError
        Concave problems with unequal caps or time-varying exponents.
    """
    m = problem.impact
    N, S, u = problem.periods, problem.shares, problem.upper
    if not m.is_convex:
        return concave_vertex(problem)
    kernel = m.exact_kernel(N)
    if isinstance(kernel, LinearSupply):
        x, z, total = _supply_root(kernel.alpha, kernel.z0, u, S)
        if kernel_solved(x, S, total):
            if kernel.lam_power == 1.0:
                return WaterFill(x, z, "quadratic-breakpoints", 1)
            with np.errstate(over="ignore"):  # lam = z^d can overflow (delta = 200): inf
                lam = float(np.power(z, kernel.lam_power)) if z > 0 else 0.0
            return WaterFill(x, lam, "power-breakpoints", 1)
    elif isinstance(kernel, Segments):
        x, lam = _knapsack(kernel.slopes, kernel.widths, u, S)
        return WaterFill(x, lam, "piecewise-knapsack", 1)
    # everything else, and the rare case where a breakpoint kernel lost accuracy (see
    # kernel_solved), goes to bisection on lam
    x, lam, it = _bisect(problem)
    return WaterFill(x, lam, "bisection", it)
