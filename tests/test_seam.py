"""The model seam: a new separable cost term, written in this file alone, is accepted by every
solver, the certificate, the simulator and the reference-suite format with no other change.

This is the README's worked example run as a test. ``CubicImpact`` declares only what a term must
(cost, marginal, its cvxpy formulation and its cone); it has no closed-form supply, so the exact
solver water-fills it by bisection on the default ``supply``, and nothing in ``src/`` names it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pytest
from numpy.typing import ArrayLike

import execopt as eo
from execopt.data.synthetic import synthetic_book
from execopt.errors import ConvexityError
from execopt.execution.simulator import SimConfig, simulate
from execopt.impact.base import Canon, Cone, ImpactModel, Units, common_length, param
from execopt.studies.suite.format import problem_from_instance

#: Conic answers against the exact (bisection) optimum, relative: Clarabel/SCS at their pinned
#: 1e-9 tolerances reach ~1e-8 on this small problem; SLSQP's ftol is 1e-12 on a scaled problem.
SOLVER_RTOL = 1e-6


@eo.register_model
@dataclass(frozen=True, eq=False)
class CubicImpact(ImpactModel):
    """``c_t(x) = w_t x^3`` dollars: a convex cost with no closed-form water-filling."""

    w: Any = field()
    kind: ClassVar[str] = "test-cubic"
    cone: ClassVar[Cone] = "power"

    def __post_init__(self) -> None:
        object.__setattr__(self, "w", param("w", self.w, lower=0.0, strict=True))

    @property
    def periods(self) -> int | None:
        return common_length(self.w)

    @property
    def strictly_convex(self) -> bool:
        return True

    def cost(self, x: ArrayLike) -> np.ndarray:
        x = np.maximum(np.asarray(x, dtype=float), 0.0)
        return self.w * x**3

    def marginal(self, x: ArrayLike) -> np.ndarray:
        x = np.maximum(np.asarray(x, dtype=float), 0.0)
        return 3.0 * self.w * x**2

    def canon(self, y: Any, N: int) -> Canon:
        import cvxpy as cp

        t = cp.Variable(N)
        w_p = cp.Parameter(N, nonneg=True)

        def load(m: Any, u: Units) -> None:
            w_p.value = np.broadcast_to(m.w * u.s**3 / u.C, (N,)).copy()

        return Canon(w_p @ t, [cp.PowCone3D(t, np.ones(N), y, 1.0 / 3.0)], load)


N = 12
S = 600.0
W = np.linspace(1e-6, 3e-6, N)


def _problems() -> dict[str, eo.ExecutionProblem]:
    cubic = CubicImpact(W)
    return {
        "alone": eo.ExecutionProblem(S, cubic, N, cap=80.0),
        "sum": eo.ExecutionProblem(S, eo.QuadraticImpact(0.01, 2e-4) + cubic, N, cap=80.0),
    }


def test_round_trip_through_the_registry() -> None:
    m = CubicImpact(W)
    back = eo.model_from_dict(json.loads(json.dumps(m.to_dict())))
    assert isinstance(back, CubicImpact)
    assert np.array_equal(back.cost(np.arange(N)), m.cost(np.arange(N)))
    s = eo.QuadraticImpact(0.01, 2e-4) + m
    assert eo.model_from_dict(s.to_dict()).to_dict() == s.to_dict()


@pytest.mark.parametrize("which", ["alone", "sum"])
def test_every_solver_and_the_certificate_accept_it(which: str) -> None:
    p = _problems()[which]
    ref = eo.solve(p, "exact")
    assert ref.certified and ref.info["algorithm"] == "bisection"
    assert ref.certificate.stationarity < 1e-9
    for method in ("clarabel", "scs", "slsqp"):
        sol = eo.solve(p, method)
        assert sol.certificate.feasible, method
        assert sol.objective == pytest.approx(ref.objective, rel=SOLVER_RTOL), method
        assert sol.certificate.passed(rtol=SOLVER_RTOL), method
    with pytest.raises(ConvexityError, match="OSQP solves quadratic programs only"):
        eo.solve(p, "osqp")
    # the certificate of a perturbed schedule shows the gap and fails
    x = ref.schedule.copy()
    x[0], x[-1] = x[0] - 5.0, x[-1] + 5.0
    bad = eo.certify(p, x)
    assert bad.feasible and bad.gap is not None and bad.gap > 0 and not bad.passed()


def test_the_simulator_charges_it_with_its_own_cost() -> None:
    book = synthetic_book("FROG", seed=3, periods=N)
    m = CubicImpact(W)
    res = simulate(book, _Twap(), S, SimConfig(costs=m, session=None))
    x = res.schedule
    assert res.model_cost == pytest.approx(float(m.cost(x).sum()), rel=1e-12)
    assert res.shortfall == pytest.approx(
        res.cost_vs_arrival + res.model_cost + res.opportunity_cost
    )


def test_the_suite_format_reads_it() -> None:
    p = _problems()["sum"]
    instance = {**p.to_dict(), "id": "test-cubic", "infeasible": False}
    q = problem_from_instance(json.loads(json.dumps(instance)))
    x = eo.solve(p, "exact").schedule
    assert q.objective(x) == pytest.approx(p.objective(x), rel=1e-15)
    assert eo.ExecutionProblem.from_dict(json.loads(json.dumps(p.to_dict()))).objective(
        x
    ) == pytest.approx(p.objective(x), rel=1e-15)


class _Twap:
    name = "twap"

    def decide(self, state: Any) -> float:
        return state.remaining / (state.N - state.t)
