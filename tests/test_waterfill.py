"""Exact water-filling against closed forms: equal allocation, x_t ~ gamma_t^(-1/delta),
clip((lam - a_t) / (2 b_t), 0, u_t), the fractional knapsack of a book walk, and the vertex
optimum of the concave reading (checked by enumerating every vertex)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import execopt as eo
from execopt.errors import NotSupportedError
from execopt.problem.optimum import exact_optimum
from execopt.problem.waterfill import (
    concave_vertex,
    linear_supply_root,
    linear_supply_root_batch,
    waterfill,
)

#: Closed forms against water-filling: exact to rounding.
EXACT_RTOL = 1e-9
#: Shares: absolute slack for schedules of order 1..1e8 shares (relative to max(S, 1)).
SHARES_RTOL = 1e-9


def shares_tol(S: float) -> float:
    return SHARES_RTOL * max(S, 1.0)


# ----------------------------------------------------------------------------- equal allocation
TIME_INVARIANT = {
    "quadratic": eo.QuadraticImpact(a=0.024, b=0.0012),
    "quadratic-linear-free": eo.QuadraticImpact(a=0.0, b=0.0003),
    "power": eo.PowerLawImpact(gamma=0.015, delta=0.67),
    "power-delta-1.5": eo.PowerLawImpact(gamma=0.015, delta=1.5),
    "piecewise": eo.PiecewiseLinearImpact(slopes=[0.01, 0.02, 0.05], widths=[30, 50, 300]),
    "piecewise-unbounded": eo.PiecewiseLinearImpact(slopes=[0.01, 0.03], widths=[20, np.inf]),
}


@pytest.mark.parametrize("name", sorted(TIME_INVARIANT))
@pytest.mark.parametrize("N", [1, 7, 390, 2000])
@pytest.mark.parametrize("cap", [None, 500.0])
def test_equal_allocation_is_optimal_for_time_invariant_costs(
    name: str, N: int, cap: float | None
) -> None:
    """Jensen: identical convex costs in every period -> S/N each (also under a uniform cap)."""
    m = TIME_INVARIANT[name]
    S = 123.0 * N
    sol = eo.solve(eo.ExecutionProblem(S, m, periods=N, cap=cap), "exact")
    assert_allclose(sol.schedule, np.full(N, S / N), rtol=EXACT_RTOL)
    assert sol.certificate.passed()


def test_seed_constants_cannot_beat_equal_allocation() -> None:
    """The seed's constant parameters: the optimum *is* TWAP, so no saving is possible."""
    for stock in presets_stocks():
        p = eo.ExecutionProblem(200_000, eo.presets.quadratic(stock), periods=390)
        sol = eo.solve(p)
        twap = p.objective(p.equal_allocation())
        assert sol.objective == pytest.approx(twap, rel=EXACT_RTOL)


def presets_stocks() -> tuple[str, ...]:
    return eo.presets.STOCKS


# ----------------------------------------------------------------------------- power law
@given(
    N=st.integers(1, 300),
    delta=st.sampled_from([0.3, 0.5, 0.67, 1.0, 2.0]),
    seed=st.integers(0, 2**32 - 1),
)
def test_power_law_uncapped_is_proportional_to_gamma_power(N: int, delta: float, seed: int) -> None:
    """gamma_t (1+delta) x_t^delta = lam  =>  x_t proportional to gamma_t^(-1/delta)."""
    rng = np.random.default_rng(seed)
    gamma = rng.uniform(0.005, 0.03, N)
    S = float(rng.uniform(10, 1e6))
    sol = eo.solve(eo.ExecutionProblem(S, eo.PowerLawImpact(gamma, delta), periods=N))
    w = gamma ** (-1.0 / delta)
    assert_allclose(sol.schedule, S * w / w.sum(), rtol=EXACT_RTOL)
    # and lam is the common marginal cost
    assert_allclose(gamma * (1 + delta) * sol.schedule**delta, sol.lam, rtol=EXACT_RTOL)


@pytest.mark.parametrize("cap", [None, 300.0])
def test_power_law_with_a_tiny_exponent(cap: float | None) -> None:
    """delta = 0.01: the kernel's slopes (p gamma_t)^(-1/delta) span 1e152..1e230.

    Regression: with caps, their cumulative sum cancelled and the exact solver returned a
    schedule 2,600 shares short; it now detects the loss and falls back to bisection.
    """
    rng = np.random.default_rng(0)
    N, S = 50, 5000.0
    gamma = rng.uniform(0.005, 0.03, N)
    p = eo.ExecutionProblem(S, eo.PowerLawImpact(gamma, 0.01), periods=N, cap=cap)
    sol = eo.solve(p)
    assert abs(sol.schedule.sum() - S) <= shares_tol(S)
    assert sol.certificate.passed()
    assert sol.certificate.stationarity <= EXACT_RTOL
    X = eo.solve_batch([S, S], eo.PowerLawImpact(np.vstack([gamma, gamma]), 0.01), cap=cap)
    assert_allclose(X, [sol.schedule, sol.schedule], rtol=EXACT_RTOL, atol=shares_tol(S))


def test_power_law_with_linear_and_steep_periods() -> None:
    """delta_t in {0, 0.5, 1}: the linear period (marginal 1) sets lam = 1; the others take
    x with gamma_t (1 + delta_t) x^delta_t = 1, i.e. 1/9 and 1/6; the rest goes linear."""
    m = eo.PowerLawImpact(gamma=[1.0, 2.0, 3.0], delta=[0.0, 0.5, 1.0])
    sol = eo.solve(eo.ExecutionProblem(120.0, m, periods=3))
    assert_allclose(sol.schedule, [120 - 1 / 9 - 1 / 6, 1 / 9, 1 / 6], rtol=EXACT_RTOL)
    assert sol.lam == pytest.approx(1.0, rel=EXACT_RTOL)


# ----------------------------------------------------------------------------- quadratic
@given(
    N=st.integers(1, 400),
    seed=st.integers(0, 2**32 - 1),
    capped=st.booleans(),
    fill=st.floats(0.0, 1.0),
)
def test_quadratic_closed_form(N: int, seed: int, capped: bool, fill: float) -> None:
    """x_t = clip((lam - a_t) / (2 b_t), 0, u_t) with the solution's own lam, and sum x = S."""
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0, 0.05, N), rng.uniform(1e-4, 2e-3, N)
    u = rng.uniform(1, 500, N) if capped else np.full(N, np.inf)
    S = fill * u.sum() if capped else fill * 1e5
    sol = eo.solve(
        eo.ExecutionProblem(S, eo.QuadraticImpact(a, b), periods=N, cap=u if capped else None)
    )
    x = sol.schedule
    assert abs(x.sum() - S) <= shares_tol(S)
    if S > 0:
        ref = np.clip((sol.lam - a) / (2 * b), 0, u)
        assert_allclose(x, ref, rtol=EXACT_RTOL, atol=shares_tol(S))


@pytest.mark.parametrize(
    ("a", "b", "cap", "S", "expected"),
    [
        # b = 0 everywhere, caps: fill the cheapest a first (regression: the bisection used
        # supply_right at lo == a_t and returned [30, 40, 50], 20 shares too many)
        ([0.02, 0.01, 0.03], 0.0, [30, 40, 50], 100.0, [30, 40, 30]),
        ([0.02, 0.01, 0.03], 0.0, [30, 40, 50], 120.0, [30, 40, 50]),  # S = sum of caps
        # uncapped linear periods absorb everything (regression: inf * 0 = NaN)
        ([0.02, 0.01, 0.03], 0.0, None, 100.0, [0, 100, 0]),
        ([0.01, 0.01, 0.03], 0.0, None, 100.0, [50, 50, 0]),  # a tie is split equally
        ([0.02, 0.01, 0.03], [1e-3, 0.0, 1e-3], None, 100.0, [0, 100, 0]),
        # mixed b: lam = 0.075 fills 27.5 / 50 (cap) / 22.5
        ([0.02, 0.01, 0.03], [1e-3, 0.0, 1e-3], 50.0, 100.0, [27.5, 50, 22.5]),
        (0.0, 0.0, None, 120.0, [40, 40, 40]),  # no cost at all: any split; equal is chosen
    ],
)
def test_linear_and_mixed_quadratic_cases(
    a: object, b: object, cap: object, S: float, expected: list[float]
) -> None:
    p = eo.ExecutionProblem(S, eo.QuadraticImpact(a, b), periods=3, cap=cap)  # type: ignore[arg-type]
    sol = eo.solve(p)
    assert_allclose(sol.schedule, expected, rtol=EXACT_RTOL, atol=shares_tol(S))
    assert sol.certificate.feasible
    assert sol.certificate.passed()


def test_bad_scaling_is_exact() -> None:
    """S = 1e8 shares, b = 1e-9, a = 0: costs span many orders of magnitude."""
    N = 390
    b = 1e-9 * np.linspace(0.5, 2.0, N)
    sol = eo.solve(eo.ExecutionProblem(1e8, eo.QuadraticImpact(0.0, b), periods=N))
    inv = 1 / b
    assert_allclose(sol.schedule, 1e8 * inv / inv.sum(), rtol=EXACT_RTOL)


def test_zero_shares_and_zero_caps() -> None:
    m = eo.QuadraticImpact(0.01, 0.001)
    assert_allclose(eo.solve(eo.ExecutionProblem(0.0, m, periods=4)).schedule, 0.0)
    sol = eo.solve(eo.ExecutionProblem(10.0, m, periods=4, cap=[0, 5, 0, 5]))
    assert_allclose(sol.schedule, [0, 5, 0, 5])


# ----------------------------------------------------------------------------- book walks
def test_piecewise_fills_cheapest_segments_first() -> None:
    """Two books: the cheap first levels of both fill before the second levels."""
    m = eo.PiecewiseLinearImpact(slopes=[[0.01, 0.04], [0.02, 0.03]], widths=[[10, 100], [10, 100]])
    p = eo.ExecutionProblem(50.0, m, periods=2)
    sol = eo.solve(p)
    # 0.01 x 10 (t0), 0.02 x 10 (t1), then 0.03 (t1) for 30 more
    assert_allclose(sol.schedule, [10, 40], rtol=EXACT_RTOL)
    assert sol.lam == pytest.approx(0.03)
    assert sol.objective == pytest.approx(0.1 + 0.2 + 0.9)


def test_piecewise_unbounded_last_segment() -> None:
    """Regression: an infinite last width gave inf - inf = NaN in the segment starts."""
    m = eo.PiecewiseLinearImpact(
        slopes=[[0.01, 0.02]] * 3 + [[0.0, 0.03]], widths=[[3, np.inf]] * 4
    )
    sol = eo.solve(eo.ExecutionProblem(20.0, m, periods=4))
    # 3 at slope 0 (t3), 3 x 3 at 0.01, then 8 more at 0.02 split over t0..t2
    assert_allclose(sol.schedule, [3 + 8 / 3] * 3 + [3], rtol=EXACT_RTOL)
    assert sol.certificate.passed()


def test_piecewise_depth_acts_as_a_cap() -> None:
    m = eo.PiecewiseLinearImpact(slopes=[0.01, 0.02, 0.03], widths=[3, 0, 5])
    sol = eo.solve(eo.ExecutionProblem(32.0, m, periods=4))  # exactly the visible depth
    assert_allclose(sol.schedule, 8.0)


# ----------------------------------------------------------------------------- concave reading
def _all_vertices(S: float, u: float, N: int) -> list[np.ndarray]:
    """Every vertex of {sum x = S, 0 <= x <= u}: k = floor(S/u) full periods, one remainder."""
    k = int(np.floor(S / u + 1e-12))
    r = S - k * u
    out = []
    for full in itertools.combinations(range(N), k):
        rest = [t for t in range(N) if t not in full] if r > 0 else [None]
        for j in rest:
            x = np.zeros(N)
            x[list(full)] = u
            if j is not None:
                x[j] = r
            out.append(x)
    return out


@given(
    N=st.integers(1, 7),
    seed=st.integers(0, 2**32 - 1),
    fill=st.floats(0.01, 1.0),
    delta=st.sampled_from([0.3, 0.67, 0.9]),
)
def test_concave_vertex_is_the_best_vertex(N: int, seed: int, fill: float, delta: float) -> None:
    """With one uniform cap the exact answer is the cheapest vertex (brute force over all)."""
    rng = np.random.default_rng(seed)
    gamma = rng.uniform(0.005, 0.03, N)
    u = 100.0
    S = fill * u * N
    p = eo.ExecutionProblem(S, eo.PowerLawImpact(gamma, delta, basis="total"), periods=N, cap=u)
    sol = eo.solve(p)
    best = min(p.objective(v) for v in _all_vertices(S, u, N))
    assert sol.objective == pytest.approx(best, rel=EXACT_RTOL)
    assert abs(sol.schedule.sum() - S) <= shares_tol(S)
    # a vertex: at most one coordinate strictly between its bounds
    inside = (sol.schedule > shares_tol(S)) & (sol.schedule < u - shares_tol(S))
    assert inside.sum() <= 1


def test_concave_vertex_uncapped_puts_everything_in_the_cheapest_period() -> None:
    gamma = np.array([0.03, 0.01, 0.02, 0.01])
    p = eo.ExecutionProblem(1000.0, eo.PowerLawImpact(gamma, 0.67, basis="total"), periods=4)
    wf = concave_vertex(p)
    assert_allclose(wf.x, [0, 1000, 0, 0])
    assert wf.algorithm == "concave-vertex"


def test_concave_vertex_limits() -> None:
    m = eo.PowerLawImpact([0.03, 0.01, 0.02], 0.67, basis="total")
    with pytest.raises(NotSupportedError, match="unequal caps"):
        waterfill(eo.ExecutionProblem(10.0, m, periods=3, cap=[5, 6, 7]))
    m2 = eo.PowerLawImpact(0.02, [0.5, 0.67, 0.67], basis="total")
    with pytest.raises(NotSupportedError, match="time-varying delta"):
        waterfill(eo.ExecutionProblem(10.0, m2, periods=3))


def test_risk_terms_use_the_banded_mean_variance_solver() -> None:
    """Quadratic impact with a risk term and no binding bound: the exact banded KKT solve;
    a non-quadratic model (or a binding bound) is refused with a pointer to clarabel."""
    p = eo.ExecutionProblem(
        1000.0, eo.QuadraticImpact(0.01, 1e-3), periods=5, risk_aversion=1e-6, volatility=0.05
    )
    wf = exact_optimum(p)  # the one dispatcher of the exact method
    assert wf.algorithm == "mean-variance-banded"
    assert wf.x.sum() == pytest.approx(1000.0)
    q = eo.ExecutionProblem(
        1000.0, eo.PowerLawImpact(0.01, 0.5), periods=5, risk_aversion=1e-6, volatility=0.05
    )
    with pytest.raises(NotSupportedError, match="clarabel"):
        exact_optimum(q)


# ----------------------------------------------------------------------------- kernels
@given(
    N=st.integers(1, 200),
    seed=st.integers(0, 2**32 - 1),
    fill=st.floats(0.0, 1.0),
    capped=st.booleans(),
)
def test_linear_supply_root(N: int, seed: int, fill: float, capped: bool) -> None:
    """sum_t clip(alpha_t (z - z0_t), 0, u_t) = S, solved exactly; batch agrees row by row."""
    rng = np.random.default_rng(seed)
    alpha = rng.uniform(0.1, 10, N)
    z0 = rng.uniform(-1, 1, N)
    u = rng.uniform(0.0, 5.0, N) if capped else np.full(N, np.inf)
    S = fill * u.sum() if capped else fill * 100.0
    x, z = linear_supply_root(alpha, z0, u, S)
    assert abs(x.sum() - S) <= shares_tol(S)
    if S > 0:
        assert_allclose(x, np.clip(alpha * (z - z0), 0, u), rtol=EXACT_RTOL, atol=shares_tol(S))
    X, _ = linear_supply_root_batch(alpha[None], z0[None], u[None], np.array([S]))
    assert_allclose(X[0], x, rtol=EXACT_RTOL, atol=shares_tol(S))


def test_waterfill_reports_its_algorithm() -> None:
    cases = {
        "quadratic-breakpoints": eo.QuadraticImpact(0.01, 1e-3),
        "power-breakpoints": eo.PowerLawImpact(0.01, 0.5),
        "piecewise-knapsack": eo.PiecewiseLinearImpact([0.01, 0.02], [10, 100]),
        "bisection": eo.PowerLawImpact(0.01, [0.5, 1.0, 0.5]),
    }
    for algorithm, m in cases.items():
        assert waterfill(eo.ExecutionProblem(50.0, m, periods=3)).algorithm == algorithm
