"""Domain errors of execopt.

Every failure the toolkit can diagnose raises a subclass of :class:`ExecoptError` whose message
says what was wrong and what would fix it.  Warnings for conditions that are not fatal (slow or
inaccurate baselines, badly scaled data) derive from :class:`ExecoptWarning`.
"""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",
    "ConvexityError",
    "DataError",
    "ExecoptError",
    "ExecoptWarning",
    "InfeasibleError",
    "InputError",
    "NotSupportedError",
    "OutputError",
    "SolverError",
]


class ExecoptError(Exception):
    """Base class of every error raised by execopt."""


class InputError(ExecoptError, ValueError):
    """A parameter is invalid (NaN, inf, negative, wrong shape, unknown option)."""


class ConvexityError(InputError):
    """The problem is not convex, so a convex solver must not be applied to it."""


class InfeasibleError(InputError):
    """No schedule satisfies the constraints (e.g. shares exceed the sum of the caps)."""


class DataError(ExecoptError, ValueError):
    """A data file or book series is malformed or fails validation."""


class SolverError(ExecoptError, RuntimeError):
    """A numerical back-end failed or returned an answer that does not certify."""


class NotSupportedError(ExecoptError, NotImplementedError):
    """The requested method does not support this problem class."""


class OutputError(ExecoptError, OSError):
    """A file could not be written (disk full, read-only or missing folder, permission denied,
    a folder where a file should go); the message names the path and what to do. Nothing
    half-written is left behind (see :mod:`execopt._atomic`). Also an :class:`OSError`, so
    ``except OSError`` keeps catching write failures.
    """


class ExecoptWarning(UserWarning):
    """Base class of execopt warnings."""


class ConvergenceWarning(ExecoptWarning):
    """A baseline optimiser stopped without meeting its convergence criterion."""
