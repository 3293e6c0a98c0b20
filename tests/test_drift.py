"""The drift (alpha) term: one formula for the planner and the simulator, every solver takes it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import execopt as eo
from execopt.data import synthetic_book_from_impact
from execopt.errors import InputError
from execopt.execution import SimConfig, make_policy, simulate
from execopt.execution.tca import decompose
from execopt.problem.terms import Drift

#: Objectives of different solvers agree to this relative tolerance (their certificates pass).
AGREE_RTOL = 1e-6


def test_value_is_the_expected_timing_cost() -> None:
    rng = np.random.default_rng(3)
    N, S = 12, 1200.0
    mu = rng.normal(0, 0.01, N)
    x = rng.dirichlet(np.ones(N)) * S
    d = Drift(S, mu)
    # a fill in period t pays the drift of the periods before it over the arrival mid
    timing = sum(x[t] * mu[:t].sum() for t in range(N))
    assert d.value(x) == pytest.approx(timing, rel=1e-12)
    # linear: the gradient is the constant rate, and value = rate . x + S sum(mu)
    g = d.gradient(x)
    np.testing.assert_allclose(g, -np.cumsum(mu[::-1])[::-1])
    assert d.value(x) == pytest.approx(g @ x + S * mu.sum(), rel=1e-12)
    X = np.stack([x, np.full(N, S / N)])
    np.testing.assert_allclose(d.batch_value(X), [d.value(X[0]), d.value(X[1])])
    lin, quad = d.diagonal_quadratic(N)
    np.testing.assert_array_equal(quad, 0.0)
    np.testing.assert_allclose(lin, g)
    assert d.to_dict() == {"term": "drift", "mu": mu.tolist()}


def _impact(N: int) -> eo.QuadraticImpact:
    t = np.arange(N)
    return eo.QuadraticImpact(0.02, 0.001 * (1 + 0.5 * np.cos(t / 9)))


@pytest.mark.parametrize("mu", [0.002, -0.001, "ramp"])
def test_every_solver_takes_the_drift_term(mu: object) -> None:
    N, S = 60, 10_000.0
    m = np.linspace(0.003, -0.003, N) if mu == "ramp" else mu
    p = eo.ExecutionProblem(S, _impact(N), N, cap=400, drift=m)  # type: ignore[arg-type]
    assert [t.name for t in p.terms] == ["drift"] and not p.separable
    ref = eo.solve(p, "exact")
    assert ref.certified
    for method in ("clarabel", "osqp", "scs"):
        sol = eo.solve(p, method)
        assert sol.certified, method
        assert sol.objective == pytest.approx(ref.objective, rel=AGREE_RTOL), method
    # a positive adverse drift front-loads the schedule against the no-drift optimum
    if mu == 0.002:
        flat = eo.solve(eo.ExecutionProblem(S, _impact(N), N, cap=400), "exact").schedule
        half = N // 2
        assert ref.schedule[:half].sum() > flat[:half].sum() + 100


def test_drift_with_risk_kernel_permanent_and_a_book_walk() -> None:
    N, S = 60, 10_000.0
    imp = _impact(N)
    cases = [
        eo.ExecutionProblem(S, imp, N, risk_aversion=1e-6, volatility=0.03, drift=0.001),
        eo.ExecutionProblem(S, imp, N, transient=eo.ExponentialKernel(1e-5, 5), drift=0.001),
        eo.ExecutionProblem(S, imp, N, permanent=1e-4, drift=-0.001),
    ]
    from execopt.data import synthetic_book
    from execopt.impact.bookwalk import book_curve, book_side

    snaps = synthetic_book("FROG", seed=0).minute_snapshots().take(slice(0, 30))
    curves = book_curve(*book_side(snaps, "buy"), "buy")
    cases.append(eo.ExecutionProblem(3000.0, curves, 30, drift=0.003))
    for p in cases:
        ex = eo.solve(p, "exact")
        cl = eo.solve(p, "clarabel")
        assert ex.certified and cl.certified
        assert ex.objective == pytest.approx(cl.objective, rel=AGREE_RTOL)
    # the book walk: drift moves shares to the front
    no = eo.solve(eo.ExecutionProblem(3000.0, curves, 30), "exact").schedule
    assert ex.schedule[:5].sum() > no[:5].sum()


def test_round_trip_and_validation() -> None:
    N = 8
    for mu in (None, 0.004, np.linspace(-0.01, 0.01, N)):
        p = eo.ExecutionProblem(100.0, eo.QuadraticImpact(0.01, 1e-4), N, drift=mu)
        q = eo.ExecutionProblem.from_dict(p.to_dict())
        x = np.full(N, 100.0 / N)
        assert q.objective(x) == pytest.approx(p.objective(x), rel=1e-15)
        assert (q.drift is None) == (mu is None)
    zero = eo.ExecutionProblem(100.0, eo.QuadraticImpact(0.01, 1e-4), N, drift=0.0)
    assert zero.separable and zero.terms == ()
    for bad in (float("nan"), "up", np.ones(N + 1), True):
        with pytest.raises(InputError, match="drift"):
            eo.ExecutionProblem(100.0, eo.QuadraticImpact(0.01, 1e-4), N, drift=bad)
    with pytest.raises(InputError, match="drift"):
        SimConfig(drift="up")
    with pytest.raises(InputError, match="drift"):
        SimConfig(drift=np.ones((2, 2)))


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(["buy", "sell"]),
    st.floats(-0.01, 0.01),
    st.sampled_from(["twap", "vwap", "static"]),
)
def test_simulator_charges_the_planners_drift(side: str, mu: float, name: str) -> None:
    """On a book whose mid only drifts as simulated, the timing part of the shortfall is the
    planner's Drift term of the filled schedule (adverse drift = side x the mid's drift)."""
    N, S = 40, 2000.0
    book = synthetic_book_from_impact(0.01, 1e-4, level_size=500, levels=10, periods=N)
    res = simulate(book, make_policy(name), S, SimConfig(side=side, drift=mu))  # type: ignore[arg-type]
    sgn = 1.0 if side == "buy" else -1.0
    x = res.schedule
    planner = Drift(S, np.full(N, sgn * mu)).value(x)
    assert decompose(res).timing == pytest.approx(planner, rel=1e-9, abs=1e-9)


def test_a_drift_aware_plan_beats_twap_on_a_drifting_day() -> None:
    N, S, mu = 60, 6000.0, 0.004
    book = synthetic_book_from_impact(0.01, 1e-5, level_size=400, levels=10, periods=N)
    cfg = SimConfig(drift=mu)
    twap = simulate(book, make_policy("twap"), S, cfg)
    aware = simulate(book, make_policy("static", warmup=1, drift=mu), S, cfg)
    assert aware.shortfall < twap.shortfall
    d_twap, d_aware = decompose(twap), decompose(aware)
    assert d_aware.timing < d_twap.timing and d_aware.impact >= d_twap.impact - 1e-9
