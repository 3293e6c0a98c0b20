"""One result type for every back-end: :class:`Solution`, with its :class:`Timings`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from execopt.problem.certificate import Certificate

__all__ = ["Method", "Solution", "Status", "Timings"]

Method = Literal["exact", "clarabel", "osqp", "scs", "slsqp", "de"]
#: ``optimal``: the back-end reports convergence; ``inaccurate``: it converged to a looser
#: tolerance; ``not_converged``: iteration/time limit (a baseline's honest answer).
Status = Literal["optimal", "inaccurate", "not_converged"]


@dataclass(frozen=True)
class Timings:
    """Wall-clock seconds: problem ``build`` (cvxpy objects; 0 on a cache hit), ``compile``
    (canonicalisation / parameter application), ``solve`` (the back-end), ``certify`` and ``total``.
    """

    build: float = 0.0
    compile: float = 0.0
    solve: float = 0.0
    certify: float = 0.0
    total: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "build": self.build,
            "compile": self.compile,
            "solve": self.solve,
            "certify": self.certify,
            "total": self.total,
        }


@dataclass(frozen=True, eq=False)
class Solution:
    """A schedule and the proof of its quality.

    Attributes
    ----------
    schedule : ndarray (N,)
        Shares per period, feasible (clip-and-certify has been applied; see ``info["repair"]``).
    objective : float
        Dollars.
    status : Status
        Mapped back-end status.
    method : str
    timings : Timings
    iterations : int
    lam : float
        Marginal cost of the last share, dollars per share (from the certificate).
    certificate : Certificate
    solver_status : str
        The back-end's own status string.
    info : dict
        Back-end details: algorithm, raw constraint violation before repair, cache hit, messages.
    """

    schedule: NDArray[np.float64]
    objective: float
    status: Status
    method: str
    timings: Timings
    iterations: int
    lam: float
    certificate: Certificate
    solver_status: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # a Solution is a record: its schedule cannot be edited through it, behind its
        # certificate (a read-only view: the solvers hand over arrays nobody else holds)
        x = np.asarray(self.schedule, dtype=np.float64)
        if x.flags.writeable:
            x = x.view()
            x.flags.writeable = False
        object.__setattr__(self, "schedule", x)

    @property
    def certified(self) -> bool:
        """True when the certificate passes at the default tolerance."""
        return self.certificate.passed()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "method": self.method,
            "status": self.status,
            "solver_status": self.solver_status,
            "objective": self.objective,
            "lam": self.lam,
            "iterations": self.iterations,
            "timings": self.timings.as_dict(),
            "certificate": self.certificate.as_dict(),
            "schedule": self.schedule.tolist(),
            "info": {
                k: v
                for k, v in self.info.items()
                if isinstance(v, (int, float, str, bool, type(None)))
            },
        }
