"""Transient (propagator) and permanent impact in the plan, the solvers and the simulator.

References: the Obizhaeva–Wang closed form (exponential kernel, no temporary impact), the
Almgren–Chriss expected cost with permanent impact, a dense Clarabel reference on random
instances, kernels that are not positive definite refused, and the simulator charging the
planner's own algebra on a book whose walk cost is known exactly.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import execopt as eo
from execopt.data.synthetic import synthetic_book_from_impact
from execopt.errors import ConvexityError, InputError
from execopt.execution.policies import TWAP
from execopt.execution.simulator import SimConfig, simulate
from execopt.impact.transient import SOE_RTOL
from execopt.problem.transient_qp import solve_kernel_qp

#: The exact active-set answer is a KKT point to rounding; Clarabel meets its pinned 1e-9
#: tolerances, so objectives agree to ~1e-8 relative (1e-7 leaves room for scaling).
OBJ_RTOL = 1e-7
#: Schedules of a strictly convex problem: Clarabel's point is within ~1e-5 shares of the
#: unique optimum on these sizes; compared relative to S.
SCHEDULE_RTOL = 1e-5


def _kernels() -> list[eo.Kernel]:
    return [
        eo.ExponentialKernel(strength=2e-5, half_life=30.0),
        eo.PowerLawKernel(strength=2e-5, beta=0.5),
        eo.TabulatedKernel(2e-5 * 0.5 ** (np.arange(60) / 7.0)),
    ]


# ----------------------------------------------------------------------------- kernels
@pytest.mark.parametrize("k", _kernels(), ids=lambda k: k.kind)
def test_kernel_round_trip_and_apply(k: eo.Kernel) -> None:
    back = eo.kernel_from_dict(json.loads(json.dumps(k.to_dict())))
    assert_allclose(back.values(50), k.values(50), rtol=0, atol=0)
    x = np.random.default_rng(0).uniform(0, 100, 50)
    assert_allclose(k.apply(x), k.matrix(50) @ x, rtol=1e-12)
    assert k.cost(x) == pytest.approx(0.5 * x @ k.matrix(50) @ x, rel=1e-12)


def test_exponential_kernel_values_and_eigenvalue() -> None:
    k = eo.ExponentialKernel(strength=1e-5, half_life=30.0)
    assert k.values(61)[60] == pytest.approx(0.25e-5, rel=1e-12)
    assert k.min_eigenvalue(80) == pytest.approx(np.linalg.eigvalsh(k.matrix(80))[0], rel=1e-9)


def test_power_law_sum_of_exponentials_is_accurate_and_positive() -> None:
    for beta in (0.3, 0.5, 1.0, 2.0):
        k = eo.PowerLawKernel(strength=1.0, beta=beta)
        soe = k.exponential_sum(390)
        assert np.all(soe.weights > 0) and np.all((soe.rho > 0) & (soe.rho < 1))
        assert soe.max_rel_error <= SOE_RTOL
        assert np.max(np.abs(soe.values(390) / k.values(390) - 1)) <= SOE_RTOL
        assert soe.weights.size <= 25


def test_a_box_kernel_is_refused_as_price_manipulation() -> None:
    box = eo.TabulatedKernel([1e-5, 1e-5, 1e-5, 0.0, 0.0, 0.0])
    with pytest.raises(ConvexityError, match="price manipulation"):
        eo.ExecutionProblem(100.0, eo.QuadraticImpact(0.01, 1e-4), 6, transient=box)


@pytest.mark.parametrize(
    ("kw", "phrase"),
    [
        ({"strength": -1.0, "half_life": 3.0}, "strength"),
        ({"strength": 1.0, "half_life": 0.0}, "half_life"),
        ({"strength": float("nan"), "half_life": 3.0}, "strength"),
        ({"strength": "x", "half_life": 3.0}, "strength"),
    ],
)
def test_bad_kernel_parameters_are_typed_errors(kw: dict, phrase: str) -> None:
    with pytest.raises(InputError, match=phrase):
        eo.ExponentialKernel(**kw)


def test_a_short_table_is_refused() -> None:
    with pytest.raises(InputError, match="every lag"):
        eo.ExecutionProblem(
            10.0, eo.QuadraticImpact(0.01, 1e-4), 8, transient=eo.TabulatedKernel([1e-5, 0.0])
        )


# ----------------------------------------------------------------------------- closed forms
def test_obizhaeva_wang_closed_form() -> None:
    """Pure transient impact with an exponential kernel: x is proportional to T^-1 1, i.e.
    blocks x_0 = x_{N-1} at both ends and (1 - rho) x_0 in between."""
    N, S = 40, 10_000.0
    k = eo.ExponentialKernel(strength=1e-4, half_life=6.0)
    p = eo.ExecutionProblem(S, eo.QuadraticImpact(0.0, 0.0), N, transient=k)
    rho = k.rho
    x0 = S / (2.0 + (N - 2) * (1.0 - rho))
    ow = np.r_[x0, np.full(N - 2, (1.0 - rho) * x0), x0]
    for method in ("exact", "clarabel"):
        sol = eo.solve(p, method)
        assert_allclose(sol.schedule, ow, rtol=0, atol=SCHEDULE_RTOL * S)
        assert sol.certified


def test_almgren_chriss_expected_cost_with_permanent_impact() -> None:
    """AC's E[cost] = gamma X^2 / 2 + eps X + (eta - gamma tau / 2) sum n_k^2 / tau (tau = 1):
    with our a = eps, b = eta, the equal split costs a S + (b - gamma/2) S^2 / N + gamma S^2 / 2."""
    S, N, a, b, g = 50_000.0, 20, 0.02, 1e-5, 4e-6
    p = eo.ExecutionProblem(S, eo.QuadraticImpact(a, b), N, permanent=g)
    twap = p.equal_allocation()
    assert p.objective(twap) == pytest.approx(a * S + (b - g / 2) * S**2 / N + g * S**2 / 2)
    sol = eo.solve(p, "exact")  # constant parameters: still the equal split
    assert_allclose(sol.schedule, twap, rtol=1e-12)
    assert sol.certified and sol.info["algorithm"] == "quadratic-breakpoints"


def test_too_much_permanent_impact_is_refused_unless_the_kernel_pays_for_it() -> None:
    m = eo.QuadraticImpact(0.01, 1e-5)
    with pytest.raises(ConvexityError, match="price manipulation"):
        eo.ExecutionProblem(1000.0, m, 30, permanent=5e-5)
    k = eo.ExponentialKernel(strength=1e-3, half_life=1.0)
    p = eo.ExecutionProblem(1000.0, m, 30, permanent=5e-5, transient=k)
    assert eo.solve(p, "clarabel").certified


# ----------------------------------------------------------------------------- exact vs dense
@settings(deadline=None, max_examples=25)
@given(
    N=st.integers(2, 60),
    seed=st.integers(0, 2**32 - 1),
    capped=st.booleans(),
    permanent=st.booleans(),
    fill=st.floats(0.05, 0.95),
)
def test_exact_transient_matches_dense_clarabel(
    N: int, seed: int, capped: bool, permanent: bool, fill: float
) -> None:
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.0, 0.05, N)
    b = rng.uniform(1e-5, 1e-3, N)
    cap = rng.uniform(10.0, 200.0, N) if capped else None
    S = fill * float(cap.sum()) if cap is not None else float(rng.uniform(100.0, 5000.0))
    k = eo.ExponentialKernel(rng.uniform(1e-6, 1e-3), rng.uniform(0.5, 40.0))
    g = float(rng.uniform(0.0, 1.5e-5)) if permanent else 0.0
    p = eo.ExecutionProblem(S, eo.QuadraticImpact(a, b), N, cap=cap, transient=k, permanent=g)
    exact = eo.solve(p, "exact")
    assert exact.info["algorithm"] in ("transient-active-set", "quadratic-breakpoints")
    assert exact.certified, exact.certificate
    dense = eo.ExecutionProblem(
        S,
        eo.QuadraticImpact(a, b),
        N,
        cap=cap,
        transient=eo.TabulatedKernel(k.values(N)),
        permanent=g,
    )
    ref = eo.solve(dense, "clarabel")
    assert exact.objective <= ref.objective * (1 + OBJ_RTOL) + 1e-9
    assert ref.objective == pytest.approx(exact.objective, rel=OBJ_RTOL, abs=1e-9)
    assert np.max(np.abs(ref.schedule - exact.schedule)) <= max(SCHEDULE_RTOL * S, 1e-6)


def test_pdas_and_primal_active_set_agree() -> None:
    """The primal active-set fallback reaches the same optimum as the primal-dual iteration."""
    from execopt.problem import transient_qp as tq

    rng = np.random.default_rng(5)
    N = 120
    p = eo.ExecutionProblem(
        40_000.0,
        eo.QuadraticImpact(rng.uniform(0, 0.05, N), rng.uniform(1e-5, 1e-4, N)),
        N,
        cap=500.0,
        transient=eo.ExponentialKernel(5e-5, 10.0),
    )
    wf = solve_kernel_qp(p)
    data = tq.exponential_qp_data(p)
    assert data is not None
    qp = tq._QP(*data)
    x, _lam, _ = tq._primal_active_set(qp, p, 1e-12 * p.shares / N)
    assert_allclose(x, wf.x, atol=1e-6 * p.shares)
    assert p.objective(x) == pytest.approx(p.objective(wf.x), rel=1e-12)


@pytest.mark.parametrize("method", ["clarabel", "scs"])
def test_conic_back_ends_take_every_kernel(method: str) -> None:
    N, S = 60, 30_000.0
    for k in _kernels():
        p = eo.ExecutionProblem(S, eo.QuadraticImpact(0.02, 2e-5), N, cap=900.0, transient=k)
        sol = eo.solve(p, method)
        assert sol.certificate.feasible and sol.certified, (k, sol.certificate)


def test_power_law_impact_with_a_kernel_and_risk() -> None:
    """Every impact model and risk terms combine with the kernel (conic, Frank-Wolfe bound)."""
    N, S = 40, 8000.0
    p = eo.ExecutionProblem(
        S,
        eo.PowerLawImpact(0.01, 0.5),
        N,
        cap=400.0,
        risk_aversion=1e-6,
        volatility=0.05,
        transient=eo.PowerLawKernel(1e-5, 0.5),
    )
    sol = eo.solve(p, "clarabel")
    assert sol.certified and sol.certificate.bound_gap <= 1e-6 * sol.objective


def test_transient_impact_beats_twap_with_constant_parameters() -> None:
    """With transient impact equal allocation is no longer optimal (constant a, b)."""
    N, S = 390, 200_000.0
    p = eo.ExecutionProblem(
        S, eo.QuadraticImpact(0.02, 2e-5), N, transient=eo.ExponentialKernel(2e-5, 30.0)
    )
    sol = eo.solve(p, "exact")
    twap = p.objective(p.equal_allocation())
    assert sol.objective < twap * (1 - 0.01)
    x = sol.schedule
    assert x[0] > x[N // 2] and x[-1] > x[N // 2]  # the Obizhaeva-Wang shape


def test_problem_round_trip_with_kernel_and_permanent() -> None:
    p = eo.ExecutionProblem(
        1000.0,
        eo.QuadraticImpact(0.01, 1e-4),
        10,
        transient=eo.PowerLawKernel(1e-5, 0.7),
        permanent=1e-5,
    )
    q = eo.ExecutionProblem.from_dict(json.loads(json.dumps(p.to_dict())))
    x = np.linspace(1, 199, 10)
    x *= 1000.0 / x.sum()
    assert q.objective(x) == pytest.approx(p.objective(x), rel=1e-14)


# ----------------------------------------------------------------------------- the simulator
def test_the_simulator_charges_the_planners_algebra() -> None:
    """On a book whose walk cost is exactly a x + b x^2 at whole levels, the realised cost
    against the (flat) arrival mid equals the planner's objective with the same kernel and
    permanent impact."""
    N, a, b, s = 20, 0.01, 1e-4, 10.0
    book = synthetic_book_from_impact(a, b, level_size=s, levels=200, periods=N, mid=30.0)
    k = eo.ExponentialKernel(strength=3e-5, half_life=4.0)
    g = 1e-5
    S = N * 50.0  # TWAP: 50 shares (five whole levels) a minute
    res = simulate(book, TWAP(), S, SimConfig(session=None, transient=k, permanent_impact=g))
    p = eo.ExecutionProblem(S, eo.QuadraticImpact(a, b), N, transient=k, permanent=g)
    x = res.schedule
    assert_allclose(x, np.full(N, 50.0))
    assert res.cost_vs_arrival == pytest.approx(p.objective(x), rel=1e-10)
    own = float(res.fills["own_impact"].sum())
    assert own == pytest.approx(p.objective(x) - float(p.impact.cost(x).sum()), rel=1e-10)


@settings(deadline=None, max_examples=15)
@given(N=st.integers(2, 50), seed=st.integers(0, 2**32 - 1), capped=st.booleans())
def test_exact_with_any_kernel_matches_clarabel(N: int, seed: int, capped: bool) -> None:
    """The dense active set (power-law and tabulated kernels) against Clarabel."""
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0.0, 0.05, N), rng.uniform(1e-5, 1e-3, N)
    cap = rng.uniform(10.0, 200.0, N) if capped else None
    S = 0.6 * float(cap.sum()) if cap is not None else 3000.0
    for k in (
        eo.PowerLawKernel(rng.uniform(1e-6, 1e-3), rng.uniform(0.2, 2.0)),
        eo.TabulatedKernel(rng.uniform(1e-6, 1e-4) * 0.7 ** np.arange(N)),
    ):
        p = eo.ExecutionProblem(S, eo.QuadraticImpact(a, b), N, cap=cap, transient=k)
        exact = eo.solve(p, "exact")
        assert exact.info["algorithm"] == "transient-active-set" and exact.certified
        ref = eo.solve(p, "clarabel")
        assert ref.objective == pytest.approx(exact.objective, rel=OBJ_RTOL, abs=1e-9)


def test_day_savings_model_and_replay_agree_on_a_synthetic_day() -> None:
    """The transient-aware optimum beats TWAP in the plan and when replayed against the books
    with the same kernel (in sample: the profile is fitted on the day it is judged on)."""
    from execopt.data.synthetic import synthetic_book
    from execopt.studies.transient_impact import day_savings

    book = synthetic_book("FROG", seed=2)
    k = eo.ExponentialKernel(3e-5, 10.0)
    df = day_savings(book, [2000.0, 8000.0], k, 1e-6)
    assert list(df["certified"]) == [True, True]
    assert (df["model_saving_pct"] > 0).all() and (df["sim_saving_pct"] > 0).all()
    # the replay walks the real books, the plan prices the fitted profile: same sign, same size
    assert np.all(np.abs(df["sim_saving_pct"] - df["model_saving_pct"]) < 10.0)


def test_fixed_schedule_policy_follows_its_plan() -> None:
    from execopt.data.synthetic import synthetic_book
    from execopt.execution.policies import FixedSchedule

    book = synthetic_book("FROG", seed=1, periods=30)
    plan = np.linspace(1.0, 3.0, 30)
    res = simulate(book, FixedSchedule(plan), 600.0, SimConfig(session=None))
    assert_allclose(res.schedule, plan * 600.0 / plan.sum(), rtol=1e-9)
    with pytest.raises(InputError, match="1-D array"):
        FixedSchedule([-1.0, 2.0])
