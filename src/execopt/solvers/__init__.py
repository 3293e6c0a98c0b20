"""Solvers: one entry point :func:`solve` returning one :class:`Solution` for every method."""

from execopt.solvers.api import METHODS, solve, solve_batch
from execopt.solvers.solution import Solution, Timings

__all__ = ["METHODS", "Solution", "Timings", "solve", "solve_batch"]
