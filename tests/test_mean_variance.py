"""Mean-variance (Almgren–Chriss), the VaR limit, the efficient frontier and participation caps.

References: the discrete Almgren–Chriss closed form (sinh), the banded KKT solver against it and
against Clarabel, and monotonicity of the cost-risk frontier.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import execopt as eo
from execopt.errors import InputError, NotSupportedError
from execopt.execution.risk import efficient_frontier
from execopt.problem.mean_variance import (
    ac_kappa,
    almgren_chriss_trajectory,
    solve_mean_variance,
)
from execopt.problem.participation import participation_caps, volatility_factor

#: Clarabel agrees with closed forms to 1e-6 relative (its gap tolerance is 1e-9; a schedule is
#: accurate to about the square root of the objective's tolerance on curved problems).
CONIC_RTOL = 1e-6
#: The banded solve is exact to rounding.
EXACT_RTOL = 1e-10


def _ac_problem(
    S: float, N: int, a: float, b: float, k: float, sigma: float
) -> eo.ExecutionProblem:
    return eo.ExecutionProblem(S, eo.QuadraticImpact(a, b), N, risk_aversion=k, volatility=sigma)


def test_closed_form_matches_clarabel() -> None:
    S, N, a, b, k, sigma = 5000.0, 390, 0.018, 3e-5, 1e-5, 0.016
    tr = almgren_chriss_trajectory(S, N, b, k, sigma)
    assert 1.0 < tr.kappa * N < 10.0  # a visibly front-loaded trajectory
    p = _ac_problem(S, N, a, b, k, sigma)
    sol = eo.solve(p, "clarabel")
    assert_allclose(sol.schedule, tr.x, rtol=0, atol=CONIC_RTOL * np.max(tr.x))
    assert np.linalg.norm(sol.schedule - tr.x) <= CONIC_RTOL * np.linalg.norm(tr.x)
    assert_allclose(sol.objective, p.objective(tr.x), rtol=CONIC_RTOL)


@pytest.mark.parametrize(
    ("S", "N", "a", "b", "k", "sigma"),
    [
        (10_000.0, 390, 0.018, 0.0009, 1e-3, 0.05),  # kappa N ~ 20: strongly front-loaded
        (1000.0, 60, 0.01, 1e-4, 1e-2, 0.02),
        (700.0, 7, 0.0, 0.01, 0.5, 0.1),
        (250.0, 1, 0.02, 0.001, 1.0, 0.1),
    ],
)
def test_closed_form_matches_banded_kkt_and_objective(
    S: float, N: int, a: float, b: float, k: float, sigma: float
) -> None:
    tr = almgren_chriss_trajectory(S, N, b, k, sigma)
    p = _ac_problem(S, N, a, b, k, sigma)
    wf = solve_mean_variance(p)
    assert_allclose(wf.x, tr.x, rtol=EXACT_RTOL, atol=EXACT_RTOL * S)
    assert_allclose(tr.R, p.remaining(tr.x), atol=EXACT_RTOL * S)
    assert_allclose(tr.x.sum(), S, rtol=EXACT_RTOL)
    if N > 1:  # Clarabel's objective agrees; its schedule only to ~1e-5 when kappa N is large
        assert_allclose(eo.solve(p, "clarabel").objective, p.objective(tr.x), rtol=CONIC_RTOL)
        # KKT: the gradient is the same in every period (one multiplier)
        g = p.gradient(wf.x)
        assert np.ptp(g) <= 1e-9 * max(1.0, abs(wf.lam))


def test_sinh_form_and_limits() -> None:
    S, N, b, k, sigma = 1000.0, 20, 1e-3, 0.2, 0.05
    tr = almgren_chriss_trajectory(S, N, b, k, sigma)
    kappa = ac_kappa(b, k, sigma)
    t = np.arange(N)
    assert_allclose(tr.R, S * np.sinh(kappa * (N - 1 - t)) / np.sinh(kappa * N), atol=1e-9)
    assert_allclose(np.cosh(kappa), 1 + k * sigma**2 / (2 * b), rtol=1e-12)
    assert np.all(np.diff(tr.x) < 0)  # front-loaded
    flat = almgren_chriss_trajectory(S, N, b, 0.0, sigma)
    assert_allclose(flat.x, np.full(N, S / N), rtol=1e-12)
    huge = almgren_chriss_trajectory(S, 390, 1e-6, 1e6, 1.0)  # no overflow for kappa N >> 700
    assert np.all(np.isfinite(huge.x)) and huge.x[0] == pytest.approx(S)


def test_time_varying_banded_matches_clarabel(rng: np.random.Generator) -> None:
    N, S = 120, 3000.0
    a = rng.uniform(0.01, 0.03, N)
    b = rng.uniform(2e-3, 5e-3, N)  # 2 b S/N >> the spread of a_t: no x_t hits 0
    sig = rng.uniform(0.02, 0.05, N)
    p = eo.ExecutionProblem(
        S, eo.QuadraticImpact(a, b), N, cap=S, risk_aversion=1e-3, volatility=sig
    )
    wf = solve_mean_variance(p)
    sol = eo.solve(p, "clarabel")
    assert_allclose(p.objective(wf.x), sol.objective, rtol=CONIC_RTOL)
    assert p.objective(wf.x) <= sol.objective * (1 + 1e-12)
    assert_allclose(wf.x, sol.schedule, atol=CONIC_RTOL * S)


def test_binding_bounds_raise_not_supported() -> None:
    S, N = 1000.0, 50
    strong = eo.ExecutionProblem(
        S, eo.QuadraticImpact(0.01, 1e-4), N, risk_aversion=1.0, volatility=0.5, cap=40.0
    )
    with pytest.raises(NotSupportedError, match="caps bind"):
        solve_mean_variance(strong)
    # a steep rise in a_t makes the unconstrained optimum sell back (x_t < 0)
    a = np.r_[np.zeros(N // 2), np.full(N - N // 2, 5.0)]
    neg = eo.ExecutionProblem(S, eo.QuadraticImpact(a, 1e-4), N, risk_aversion=0.0)
    with pytest.raises(NotSupportedError, match="x_t < 0"):
        solve_mean_variance(neg)
    with pytest.raises(NotSupportedError, match="QuadraticImpact"):
        solve_mean_variance(
            eo.ExecutionProblem(
                S, eo.PowerLawImpact(0.01, 0.5), N, risk_aversion=1.0, volatility=0.1
            )
        )
    with pytest.raises(InputError):
        almgren_chriss_trajectory(S, N, 0.0, 1.0, 0.1)


# ----------------------------------------------------------------------------- VaR, frontier
def _frontier_problem() -> eo.ExecutionProblem:
    N = 60
    a = 0.02 + 0.01 * np.cos(np.linspace(0, 2 * np.pi, N))
    return eo.ExecutionProblem(2000.0, eo.QuadraticImpact(a, 5e-4), N, cap=2000.0, volatility=0.05)


def test_var_constraint_binds_when_tight() -> None:
    base = _frontier_problem()
    x0 = eo.solve(base, "exact").schedule
    free_var = base.value_at_risk(x0)
    limit = 0.5 * free_var
    p = eo.ExecutionProblem(
        base.shares, base.impact, base.periods, cap=base.cap, volatility=0.05, var_limit=limit
    )
    sol = eo.solve(p, "clarabel")
    assert_allclose(p.value_at_risk(sol.schedule), limit, rtol=1e-6)
    assert sol.objective > base.objective(x0)
    with pytest.raises(NotSupportedError, match="VaR limit binds"):
        solve_mean_variance(p)
    loose = eo.ExecutionProblem(
        base.shares,
        base.impact,
        base.periods,
        cap=base.cap,
        volatility=0.05,
        var_limit=2 * free_var,
    )
    assert_allclose(solve_mean_variance(loose).x, x0, atol=1e-8)


def test_frontier_is_monotone() -> None:
    p = _frontier_problem()
    ks = [0.0, 1e-3, 1e-2, 0.05, 0.2, 1.0]
    df = efficient_frontier(p, risk_aversions=ks)
    assert list(df["risk_aversion"]) == ks
    # small k: exact banded solve; large k empties the last periods (x_t >= 0 binds): Clarabel
    assert df["solver"].iloc[0] == "mean-variance-banded"
    assert df["solver"].iloc[-1] == "clarabel"
    cost, risk = df["impact_cost"].to_numpy(), df["risk_sd"].to_numpy()
    assert np.all(np.diff(cost) >= -1e-9) and np.all(np.diff(risk) <= 1e-9)
    assert cost[-1] > cost[0] and risk[-1] < risk[0]
    v0 = df["value_at_risk"].iloc[0]
    limits = [v0, 0.7 * v0, 0.4 * v0, 0.2 * v0]
    dv = efficient_frontier(p, var_limits=limits)
    c = dv["impact_cost"].to_numpy()
    assert np.all(np.diff(c) >= -1e-6 * c[0])
    assert np.all(dv["value_at_risk"].to_numpy() <= np.asarray(limits) * (1 + 1e-6))
    with pytest.raises(InputError, match="exactly one"):
        efficient_frontier(p)


# ----------------------------------------------------------------------------- participation
def test_participation_caps_seed_rule_and_volatility() -> None:
    V = np.array([5000.0, 20000.0, 8000.0, 0.0])
    assert participation_caps(V).tolist() == [500.0, 1000.0, 800.0, 0.0]
    days = np.vstack([V, 3 * V])
    assert participation_caps(days).tolist() == [1000.0, 1000.0, 1000.0, 0.0]
    sig = np.array([1.0, 1.0, 2.0, 1.0])
    f = volatility_factor(sig, vol_factor=1.0)
    assert_allclose(f, [1.0, 1.0, 0.5, 1.0])
    assert_allclose(participation_caps(V, volatility=sig), [500.0, 1000.0, 400.0, 0.0])
    smooth = participation_caps(V, window=3)
    assert np.all(smooth > 0)
    with pytest.raises(InputError):
        participation_caps([-1.0, 2.0])
    with pytest.raises(InputError):
        participation_caps(V, rate=1.5)
    with pytest.raises(InputError):
        participation_caps(V, window=2)


def test_two_periods_solve_the_one_by_one_system() -> None:
    """N = 2: LAPACK's banded solver refuses a 1 x 1 system; the exact solver divides."""
    import execopt as eo

    p = eo.ExecutionProblem(
        100.0, eo.QuadraticImpact([0.01, 0.02], 1e-3), 2, risk_aversion=1e-3, volatility=0.05
    )
    ex = eo.solve(p, "exact")
    cl = eo.solve(p, "clarabel")
    assert ex.certified and ex.objective == pytest.approx(cl.objective, rel=1e-7)
