"""Certificates: feasibility residuals, KKT residuals, dual / Frank-Wolfe lower bounds and gaps,
for schedules from anywhere (exact, cvxpy back-ends, perturbed, infeasible, concave problems)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.optimize import linprog

import execopt as eo
from execopt.errors import ConvergenceWarning, InputError
from execopt.problem.certificate import (
    ACTIVE_REL,
    FEAS_ATOL_REL,
    certify_kkt_point,
    knapsack_min,
)
from execopt.problem.waterfill import waterfill
from execopt.solvers.repair import clip_to_feasible

#: Exact arithmetic identities and the exact solver's own certificate.
EXACT_RTOL = 1e-9
#: A lower bound may exceed the optimum by rounding only (dollars, relative).
BOUND_RTOL = 1e-9
#: Clarabel on a risk-averse problem (interior point, 1e-9 gap tolerances on the scaled problem):
#: its Frank-Wolfe bound gap is below this, relative to the objective.
CLARABEL_RTOL = 1e-7
#: SLSQP stops at ftol = 1e-12 on the scaled objective, ~1e-8 relative in practice; 1e-6 leaves a
#: margin for problems where it stops on the iteration limit close to the optimum.
SLSQP_RTOL = 1e-6

N = 12


def _models(rng: np.random.Generator) -> dict[str, eo.impact.ImpactModel]:
    return {
        "quadratic": eo.QuadraticImpact(rng.uniform(0, 0.05, N), rng.uniform(1e-4, 2e-3, N)),
        "quadratic-b0": eo.QuadraticImpact(
            rng.uniform(0, 0.05, N), rng.uniform(1e-4, 2e-3, N) * (rng.random(N) > 0.3)
        ),
        "power": eo.PowerLawImpact(rng.uniform(0.005, 0.03, N), 0.67),
        "power-varying-delta": eo.PowerLawImpact(
            rng.uniform(0.005, 0.03, N), rng.choice([0.0, 0.5, 1.0], N)
        ),
        "piecewise": eo.PiecewiseLinearImpact(
            np.cumsum(rng.uniform(0, 0.01, (N, 4)), axis=1), rng.uniform(10, 100, (N, 4))
        ),
    }


MODEL_NAMES = ["quadratic", "quadratic-b0", "power", "power-varying-delta", "piecewise"]


def _problem(name: str, seed: int, capped: bool, fill: float) -> eo.ExecutionProblem:
    rng = np.random.default_rng(seed)
    m = _models(rng)[name]
    cap = rng.uniform(20, 200, N) if capped else None
    u = np.full(N, np.inf) if cap is None else cap
    if isinstance(m, eo.PiecewiseLinearImpact):
        u = np.minimum(u, m.capacity)
    total = float(u.sum()) if np.all(np.isfinite(u)) else 2000.0
    return eo.ExecutionProblem(fill * total, m, periods=N, cap=cap)


def _random_feasible(p: eo.ExecutionProblem, rng: np.random.Generator) -> np.ndarray:
    w = rng.exponential(1.0, p.N) * (rng.random(p.N) > 0.2)
    x = p.S * w / max(w.sum(), 1e-300) if w.sum() > 0 else p.equal_allocation()
    y, _ = clip_to_feasible(p, x)
    return y


# ----------------------------------------------------------------------------- exact
def test_exact_certificate_fields() -> None:
    p = eo.ExecutionProblem(10_000, eo.QuadraticImpact(0.024, 0.0012), periods=390, cap=1000)
    sol = eo.solve(p)
    c = sol.certificate
    assert c.feasible and c.convex
    assert c.objective == pytest.approx(sol.objective)
    assert c.optimum == pytest.approx(sol.objective)
    assert c.gap == 0.0 and c.rel_gap == 0.0
    assert c.lower_bound == pytest.approx(c.objective, rel=EXACT_RTOL)
    assert c.stationarity <= EXACT_RTOL
    # equal allocation (10000 / 390 shares), lam = a + 2 b S / N
    assert c.lam == pytest.approx(0.024 + 2 * 0.0012 * 10_000 / 390, rel=EXACT_RTOL)
    assert sol.lam == pytest.approx(c.lam, rel=EXACT_RTOL)
    assert c.feas_tol == pytest.approx(FEAS_ATOL_REL * 10_000)
    assert c.passed() and sol.certified
    d = json.loads(json.dumps(c.as_dict()))
    assert d["feasible"] is True and d["optimum"] == pytest.approx(sol.objective)


def test_optimum_argument_skips_the_exact_solve() -> None:
    p = eo.ExecutionProblem(100.0, eo.QuadraticImpact(0.01, 1e-3), periods=4)
    given = 3.5 - 1e-9  # the optimum (equal allocation, 3.5 dollars), as a caller might round it
    c = eo.certify(p, p.equal_allocation(), optimum=given)
    assert c.optimum == given and c.optimum_source == "given"
    assert c.gap == pytest.approx(p.objective(p.equal_allocation()) - given)


@pytest.mark.parametrize("bad", [1e12, -1e12, float("nan")])
def test_a_wrong_optimum_argument_is_refused(bad: float) -> None:
    """Regression (issue 11, item 8): certify(optimum=1e12) passed a 23 %-suboptimal schedule.
    An optimum above a feasible schedule's objective, below the certified lower bound, or not
    finite cannot be the optimum: refused, never trusted."""
    p = eo.ExecutionProblem(100.0, eo.QuadraticImpact(0.01, 1e-3), periods=4)
    with pytest.raises(eo.errors.InputError, match="not the optimum"):
        eo.certify(p, [40.0, 20.0, 20.0, 20.0], optimum=bad)


# ----------------------------------------------------------------------------- infeasible
def test_infeasible_schedules_are_reported_not_repaired() -> None:
    p = eo.ExecutionProblem(100.0, eo.QuadraticImpact(0.01, 1e-3), periods=4, cap=30.0)
    short = eo.certify(p, [25, 25, 25, 24])
    assert not short.feasible and short.sum_residual == pytest.approx(1.0)
    assert not short.passed()
    negative = eo.certify(p, [30, 30, 42, -2])
    assert not negative.feasible and negative.bound_violation == pytest.approx(2.0)
    over = eo.certify(p, [31, 29, 20, 20])
    assert not over.feasible and over.cap_violation == pytest.approx(1.0)
    # within the feasibility tolerance counts as feasible
    assert eo.certify(p, [25, 25, 25, 25 + 0.5 * FEAS_ATOL_REL * 100]).feasible


@pytest.mark.parametrize(
    ("schedule", "phrase"),
    [
        ([1.0, 2.0, 3.0], "N = 4 entries"),
        ([[25.0] * 4], "N = 4 entries"),
        ([25.0, np.nan, 25.0, 25.0], "NaN or inf at periods [1]"),
        ([25.0, 25.0, np.inf, 25.0], "NaN or inf at periods [2]"),
    ],
)
def test_bad_schedules_raise_input_error(schedule: list[float], phrase: str) -> None:
    p = eo.ExecutionProblem(100.0, eo.QuadraticImpact(0.01, 1e-3), periods=4)
    with pytest.raises(InputError) as err:
        eo.certify(p, schedule)
    assert phrase in str(err.value)


# ----------------------------------------------------------------------------- lower bounds
@given(
    name=st.sampled_from(MODEL_NAMES),
    seed=st.integers(0, 2**32 - 1),
    capped=st.booleans(),
    fill=st.floats(0.05, 1.0),
)
def test_lower_bound_never_exceeds_the_optimum(
    name: str, seed: int, capped: bool, fill: float
) -> None:
    """For any feasible schedule: lower_bound <= optimum <= objective, bound_gap >= gap >= 0."""
    p = _problem(name, seed, capped, fill)
    opt = eo.solve(p).objective
    x = _random_feasible(p, np.random.default_rng(seed))
    c = eo.certify(p, x)
    tol = BOUND_RTOL * max(abs(opt), 1.0)
    assert c.feasible
    assert c.lower_bound <= opt + tol
    assert c.objective >= opt - tol
    assert c.gap is not None and c.gap >= -tol
    assert c.bound_gap >= c.gap - tol


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_schedules_a_hair_from_the_optimum_certify(name: str) -> None:
    """An optimum moved by 1e-9 shares (solver rounding) keeps stationarity ~0 and a tight bound.

    Regression: for book walks a schedule 1e-9 shares off a kink had stationarity ~1 and a dual
    bound 3 % below the optimum, because one-sided derivatives were taken at x exactly.
    """
    p = _problem(name, 3, capped=True, fill=0.6)
    sol = eo.solve(p)
    rng = np.random.default_rng(0)
    d = rng.uniform(-1e-9, 1e-9, p.N)
    x = sol.schedule + (d - d.mean()) * (sol.schedule > 1e-6) * (sol.schedule < p.upper - 1e-6)
    c = eo.certify(p, x)
    assert c.feasible
    assert c.stationarity <= 1e-6
    assert c.bound_gap <= 1e-7 * sol.objective


@pytest.mark.parametrize("method", ["clarabel", "scs"])
def test_cvxpy_answers_on_book_walks_certify(method: str) -> None:
    p = _problem("piecewise", 5, capped=False, fill=0.4)
    exact = eo.solve(p)
    sol = eo.solve(p, method)
    assert sol.certificate.stationarity <= 1e-6
    assert sol.certificate.lower_bound == pytest.approx(exact.objective, rel=1e-7)
    assert sol.certified


@given(
    N=st.integers(1, 30),
    seed=st.integers(0, 2**32 - 1),
    fill=st.floats(0.0, 1.0),
)
def test_knapsack_min_matches_linprog(N: int, seed: int, fill: float) -> None:
    """min g^T y over {sum y = S, 0 <= y <= u}: the greedy fill equals the LP optimum."""
    rng = np.random.default_rng(seed)
    g = rng.normal(0, 1, N)
    u = rng.uniform(0, 10, N)
    S = fill * u.sum()
    res = linprog(g, A_eq=np.ones((1, N)), b_eq=[S], bounds=list(zip(np.zeros(N), u, strict=True)))
    assert res.status == 0
    assert knapsack_min(g, u, S) == pytest.approx(res.fun, rel=1e-7, abs=1e-7)


# ----------------------------------------------------------------------------- concave reading
@given(
    seed=st.integers(0, 2**32 - 1),
    capped=st.booleans(),
    fill=st.floats(0.05, 1.0),
)
def test_concave_vertex_beats_every_feasible_schedule(seed: int, capped: bool, fill: float) -> None:
    """The vertex optimum of gamma x^0.67 (total) is below any random feasible schedule."""
    rng = np.random.default_rng(seed)
    m = eo.PowerLawImpact(rng.uniform(0.005, 0.03, N), 0.67, basis="total")
    cap = 50.0 if capped else None
    S = fill * (50.0 * N if capped else 1000.0)
    p = eo.ExecutionProblem(S, m, periods=N, cap=cap)
    sol = eo.solve(p)
    c = eo.certify(p, _random_feasible(p, rng))
    assert not c.convex
    assert np.isnan(c.lam) and np.isnan(c.stationarity)
    assert c.lower_bound == -np.inf
    assert c.optimum == pytest.approx(sol.objective, rel=EXACT_RTOL)
    assert c.gap is not None and c.gap >= -EXACT_RTOL * sol.objective


# ----------------------------------------------------------------------------- risk terms
def test_risk_averse_certificate_uses_the_frank_wolfe_bound() -> None:
    """With a risk term the certificate's lower bound is the Frank-Wolfe bound, which any other
    schedule (TWAP, SLSQP) respects; Clarabel's answer is certified by it."""
    rng = np.random.default_rng(1)
    p = eo.ExecutionProblem(
        20_000,
        eo.QuadraticImpact(rng.uniform(0.005, 0.02, N), rng.uniform(1e-4, 1e-3, N)),
        periods=N,
        cap=4000.0,
        risk_aversion=1e-4,
        volatility=0.05,
    )
    sol = eo.solve(p, "clarabel")
    c = sol.certificate
    # no cap binds here, so the exact banded mean-variance solve gives the optimum too
    assert c.optimum is not None and c.rel_gap is not None
    assert abs(c.rel_gap) <= CLARABEL_RTOL
    assert c.feasible
    assert np.isfinite(c.lower_bound)
    assert 0 <= c.bound_gap <= CLARABEL_RTOL * c.objective
    assert c.passed(rtol=CLARABEL_RTOL)
    twap = eo.certify(p, p.equal_allocation())
    assert twap.objective >= c.lower_bound
    assert twap.lower_bound <= c.objective * (1 + BOUND_RTOL)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # SLSQP converges here
        slsqp = eo.solve(p, "slsqp")
    assert slsqp.objective == pytest.approx(sol.objective, rel=SLSQP_RTOL)
    assert slsqp.objective >= c.lower_bound
    assert_allclose(slsqp.schedule.sum(), p.S, rtol=FEAS_ATOL_REL)


# ------------------------------------------------------------ the O(N) certificate's fall-backs
# (found by review: each used to be waved through by certify_kkt_point)
SAME_FIELDS = ("feasible", "objective", "optimum", "gap", "lower_bound", "stationarity",
               "complementarity")  # fmt: skip


def _same_as_certify(p: eo.ExecutionProblem, x: np.ndarray, lam: float) -> eo.Certificate:
    fast, full = certify_kkt_point(p, x, lam), eo.certify(p, x, lam=lam)
    for k in SAME_FIELDS:
        assert getattr(fast, k) == pytest.approx(getattr(full, k), rel=1e-12, nan_ok=True), k
    assert fast.passed() == full.passed()
    return fast


def test_kkt_point_certificate_catches_periods_just_inside_the_active_band() -> None:
    """x_t = 0.99 act shares in 90 expensive periods: stationarity skips them as 'at 0'; the
    complementarity residual does not, and the schedule is not called optimal."""
    N, lam = 100, 0.02
    a = np.full(N, 1.0)
    a[:10] = 0.01
    b = np.full(N, 1e-3)
    x = np.zeros(N)
    x[:10] = (lam - a[:10]) / (2 * b[:10])  # 5 shares each: optimal for the cheap periods
    act = ACTIVE_REL * max(float(x.sum()) / N, 1.0)
    x[10:] = 0.99 * act
    p = eo.ExecutionProblem(float(x.sum()), eo.QuadraticImpact(a=a, b=b), periods=N)
    c = _same_as_certify(p, x, lam)
    assert not c.passed()
    assert c.gap is not None and c.gap > 0
    assert c.lower_bound < c.objective


def test_kkt_point_certificate_recomputes_the_optimum_when_the_total_is_wrong() -> None:
    rng = np.random.default_rng(0)
    m = eo.QuadraticImpact(a=rng.uniform(0.01, 0.05, 20), b=rng.uniform(1e-4, 1e-3, 20))
    wf = waterfill(eo.ExecutionProblem(1000.0, m, periods=20))
    p = eo.ExecutionProblem(2000.0, m, periods=20)  # the schedule trades half of S
    c = _same_as_certify(p, wf.x, wf.lam)
    assert not c.feasible and c.sum_residual == pytest.approx(1000.0)
    assert c.optimum == pytest.approx(eo.solve(p).objective)


def test_kkt_point_certificate_does_not_turn_a_nan_residual_into_zero() -> None:
    """gamma x^201 overflows: inf * 0 = NaN in the stationarity used to become 0 via max()."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p = eo.ExecutionProblem(
            2000.0, eo.PowerLawImpact(gamma=1.0, delta=200.0), periods=2, cap=[1000.0, 1e6]
        )
        c = certify_kkt_point(p, np.array([1000.0, 1000.0]), 1.0)
        assert not np.isfinite(c.stationarity) and not c.passed()
        with pytest.raises(InputError, match="overflows float64"):
            eo.solve(p, "exact")
