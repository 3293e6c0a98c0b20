"""Clip-and-certify: make a back-end's answer exactly feasible and record how far it was."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from execopt.problem.certificate import primal_residuals
from execopt.problem.execution_problem import ExecutionProblem

__all__ = ["clip_to_feasible", "raw_violation"]


def raw_violation(problem: ExecutionProblem, x: NDArray[np.float64]) -> float:
    """Largest primal violation of ``x`` in shares (sum, lower bound, caps)."""
    return max(primal_residuals(problem, x))


def clip_to_feasible(
    problem: ExecutionProblem, x: NDArray[np.float64]
) -> tuple[NDArray[np.float64], float]:
    """Project ``x`` onto ``{sum x = S, 0 <= x <= u}`` cheaply (clip, then spread the residual).

    The residual is spread in proportion to the room left in each period (up to the caps for a
    shortfall, down to zero for an excess), which keeps the schedule's shape. Returns the repaired
    schedule and the shares moved (L1 distance).
    """
    u, S = problem.upper, problem.shares
    x0 = np.asarray(x, dtype=np.float64)
    y = np.clip(np.nan_to_num(x0, nan=0.0), 0.0, u)
    for _ in range(4):
        r = S - y.sum()
        if r == 0:
            break
        room = (np.where(np.isfinite(u), u, y + abs(r) + 1.0) - y) if r > 0 else y.copy()
        tot = room.sum()
        if tot <= 0:
            break
        y = np.clip(y + np.sign(r) * room * min(abs(r) / tot, 1.0), 0.0, u)
    return y, float(np.abs(y - x0).sum())
