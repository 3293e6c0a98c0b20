"""The compiled loops (execopt._compiled) against their own Python bodies and the NumPy/LAPACK
algorithms they replaced, and the KKT-point certificate on non-separable problems.

Each Numba function keeps its Python body as ``f.py_func``: running both on the same inputs
checks the compilation (and covers the body's lines); the references check the algorithm.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.linalg.lapack import dgtsv

import execopt as eo
from execopt import _compiled as jit
from execopt.problem.certificate import certify, certify_kkt_point
from execopt.problem.transient_qp import _QP, PDAS_MAXITER, _pdas

#: The compiled loops and the NumPy expressions they replaced differ only in summation order.
LOOP_RTOL = 1e-12


def _T(N: int, rho: float) -> np.ndarray:
    t = np.arange(N)
    return rho ** np.abs(t[:, None] - t[None, :]).astype(float)


# ----------------------------------------------------------------------------- small loops
def test_quadratic_cost_marginal_is_bit_identical_to_numpy() -> None:
    rng = np.random.default_rng(1)
    for N in (1, 7, 390, 1001):
        a, b, x = rng.uniform(0, 0.1, N), rng.uniform(1e-6, 1e-2, N), rng.uniform(0, 5e3, N)
        for f in (jit.quadratic_cost_marginal, jit.quadratic_cost_marginal.py_func):
            c, g = f(a, b, x)
            assert np.array_equal(c, a * x + (b * x) * x)
            assert np.array_equal(g, a + ((b * x) + (b * x)))


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.977, 0.99999])
def test_kms_apply_matches_the_dense_product(rho: float) -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(-5.0, 100.0, 257)
    ref = _T(x.size, rho) @ x
    X = np.vstack([x, 2.0 * x])  # rows
    assert_allclose(jit.kms_apply(X, rho), [ref, 2.0 * ref], rtol=LOOP_RTOL, atol=1e-9)
    assert_allclose(jit.kms_apply.py_func(X, rho), [ref, 2.0 * ref], rtol=LOOP_RTOL, atol=1e-9)


@settings(deadline=None, max_examples=40)
@given(N=st.integers(1, 80), seed=st.integers(0, 2**32 - 1), fill=st.floats(0.01, 0.99))
def test_newton_supply_root_solves_the_piecewise_linear_equation(
    N: int, seed: int, fill: float
) -> None:
    rng = np.random.default_rng(seed)
    alpha, z0, u = rng.uniform(0.1, 100.0, N), rng.uniform(0.0, 1.0, N), rng.uniform(1, 50, N)
    S = fill * float(u.sum())
    x, z, total, settled = jit.newton_supply_root(alpha, z0, u, S, 1e-13, 50)
    xp, _zp, _tp, sp = jit.newton_supply_root.py_func(alpha, z0, u, S, 1e-13, 50)
    assert settled == sp
    if settled:
        assert_allclose(x, np.clip(alpha * (z - z0), 0.0, u), rtol=1e-12, atol=1e-12)
        assert abs(total - S) <= 1e-13 * S
        assert_allclose(xp, x, rtol=1e-12, atol=1e-9)
        assert float(x.sum()) == pytest.approx(S, rel=1e-12)


def test_kkt_point_sums_match_numpy_and_refuse_non_finite_gradients() -> None:
    rng = np.random.default_rng(3)
    N, S = 50, 400.0
    x, g = rng.uniform(0.0, 10.0, N), rng.uniform(0.5, 1.5, N)
    u = np.where(rng.random(N) < 0.3, np.inf, x + rng.uniform(0.0, 2.0, N))
    x[:5], lam, act = 0.0, 1.0, 1e-7
    room = np.minimum(u, S) - x  # an uncapped period's room: y_t <= S on the feasible set
    d = g - lam
    below = (room > act) | ~np.isfinite(u)
    dist = max(0.0, float(np.max(np.maximum(d * (x > act), -d * below))))
    comp = float(x @ np.maximum(d, 0.0) + room @ np.maximum(-d, 0.0))
    slack = min(x.min(), (u - x)[np.isfinite(u)].min())
    for f in (jit.kkt_point_sums, jit.kkt_point_sums.py_func):
        total, sl, dd, cc = f(x, g, u, lam, act, S)
        assert total == pytest.approx(x.sum(), rel=LOOP_RTOL)
        assert sl == pytest.approx(slack)
        assert dd == pytest.approx(dist, rel=LOOP_RTOL)
        assert cc == pytest.approx(comp, rel=LOOP_RTOL)
        g2 = g.copy()
        g2[7] = np.inf
        assert math.isnan(f(x, g2, u, lam, act, S)[2])


# ----------------------------------------------------------------------------- transient steps
@settings(deadline=None, max_examples=40)
@given(
    N=st.integers(2, 60),
    seed=st.integers(0, 2**32 - 1),
    q_low=st.floats(-0.2, 1.0),
)
def test_exponential_step_matches_a_dense_solve(N: int, seed: int, q_low: float) -> None:
    """The compiled step (the tridiagonal system, eliminated with partial pivoting) against a
    dense solve of ``H_FF x_F = lam 1 + c``, including diagonals near zero or negative (q_t < 0:
    permanent impact above b_t) where the pivoting matters."""
    rng = np.random.default_rng(seed)
    G0, rho = float(rng.uniform(1e-5, 1e-3)), float(rng.uniform(0.05, 0.99))
    lin = rng.uniform(0.0, 0.05, N)
    q = G0 * rng.uniform(q_low, 2.0, N)
    free = rng.random(N) < 0.7
    free[rng.integers(N)] = True
    fixed = np.where(free, 0.0, rng.uniform(0.0, 30.0, N))
    S = float(fixed.sum()) + 100.0
    x, lam, info = jit.exponential_step(free, fixed, lin, q, G0, rho, S)
    assert info == 0
    K = G0 * _T(N, rho)
    F = np.flatnonzero(free)
    H = (2.0 * np.diag(q) + K)[np.ix_(F, F)]
    sol = np.linalg.solve(H, np.column_stack([np.ones(F.size), -lin[F] - (K @ fixed)[F]]))
    ref_lam = (S - fixed.sum() - sol[:, 1].sum()) / sol[:, 0].sum()
    ref_x = fixed.copy()
    ref_x[F] = ref_lam * sol[:, 0] + sol[:, 1]
    cond = np.linalg.cond(H)
    if cond < 1e8:  # an ill-conditioned step: both are right to their rounding
        tol = 1e-9 * max(1.0, cond * 1e-6)
        assert lam == pytest.approx(ref_lam, rel=tol, abs=1e-12)
        assert_allclose(x, ref_x, rtol=tol, atol=tol * 100.0)
    xp, _lamp, infop = jit.exponential_step.py_func(free, fixed, lin, q, G0, rho, S)
    assert infop == 0
    assert_allclose(xp, x, rtol=1e-9, atol=1e-9)


@settings(deadline=None, max_examples=30)
@given(N=st.integers(2, 80), seed=st.integers(0, 2**32 - 1), fill=st.floats(0.05, 0.95))
def test_compiled_pdas_matches_the_numpy_iteration(N: int, seed: int, fill: float) -> None:
    rng = np.random.default_rng(seed)
    G0, rho = float(rng.uniform(1e-6, 1e-3)), float(rng.uniform(0.1, 0.99))
    lin, q = rng.uniform(0.0, 0.05, N), rng.uniform(1e-5, 1e-3, N)
    u = rng.uniform(10.0, 200.0, N)
    S = fill * float(u.sum())
    tol = 1e-12 * max(S / N, 1.0)
    x, lam, it, status = jit.exponential_pdas(lin, q, G0, rho, u, S, tol, PDAS_MAXITER)
    ref_x, ref_lam, ref_it = _pdas(_QP(lin, q, G0, rho), u, S, tol)
    if ref_x is None:  # the NumPy iteration gave up (a cycle, or every period fixed): the
        assert status in (0, 1, 2)  # compiled one gives up too, or runs longer (no cycle test)
        return
    assert status == 0
    assert it == ref_it
    assert lam == pytest.approx(ref_lam, rel=1e-9)
    assert_allclose(x, ref_x, rtol=1e-9, atol=1e-9 * max(S / N, 1.0))
    xp, _lamp, itp, statusp = jit.exponential_pdas.py_func(lin, q, G0, rho, u, S, tol, 60)
    assert statusp == 0 and itp == it
    assert_allclose(xp, x, rtol=1e-9, atol=1e-9 * max(S / N, 1.0))


# ----------------------------------------------------------------------------- certificate
def _transient_problem(seed: int, N: int = 60) -> eo.ExecutionProblem:
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0.0, 0.05, N), rng.uniform(1e-5, 1e-3, N)
    cap = rng.uniform(10.0, 200.0, N)
    k = eo.ExponentialKernel(float(rng.uniform(1e-6, 1e-3)), float(rng.uniform(1.0, 40.0)))
    return eo.ExecutionProblem(
        0.6 * float(cap.sum()), eo.QuadraticImpact(a, b), N, cap=cap, transient=k,
        permanent=float(rng.uniform(0.0, 1e-5)),
    )  # fmt: skip


@settings(deadline=None, max_examples=20)
@given(seed=st.integers(0, 2**32 - 1))
def test_kkt_point_certificate_of_a_transient_optimum_is_a_valid_bound(seed: int) -> None:
    """The O(N) certificate of the exact transient optimum: its lower bound lies below the
    objective of every feasible schedule (random ones and Clarabel's), and it agrees with the
    full Frank–Wolfe certificate."""
    p = _transient_problem(seed)
    sol = eo.solve(p, "exact")
    cert = sol.certificate
    assert sol.certified and cert.optimum_source == "exact"
    # the bound's lam (S - sum x) term can put it a rounding error above the objective
    assert cert.lower_bound <= cert.objective * (1.0 + 1e-14)
    assert abs(cert.bound_gap) <= 1e-9 * abs(cert.objective)
    full = certify(p, sol.schedule)
    assert full.lower_bound <= cert.objective + 1e-9 * abs(cert.objective)
    assert cert.objective == pytest.approx(p.objective(sol.schedule), rel=1e-15)
    rng = np.random.default_rng(seed)
    u, S = p.upper, p.shares
    for _ in range(20):  # random feasible schedules: none beats the bound
        y = rng.uniform(0.0, 1.0, p.periods) * u
        y *= S / y.sum()
        if np.all(y <= u):
            assert p.objective(y) >= cert.lower_bound - 1e-9 * abs(cert.lower_bound)
    assert eo.solve(p, "clarabel").objective >= cert.lower_bound - 1e-9 * abs(cert.lower_bound)


def test_kkt_point_certificate_falls_back_on_a_wrong_claim() -> None:
    """A schedule that is not the optimum (or a wrong multiplier) gets the full certificate:
    a positive gap to the recomputed optimum, not the claim."""
    p = _transient_problem(7)
    sol = eo.solve(p, "exact")
    x = sol.schedule.copy()
    i, j = np.flatnonzero((x > 1.0) & (x < p.upper - 1.0))[:2]
    x[i] += 0.5
    x[j] -= 0.5
    bad = certify_kkt_point(p, x, sol.lam)
    assert bad.optimum == pytest.approx(sol.objective, rel=1e-12)
    assert bad.gap > 0.0 and bad.optimum_source == "exact"
    wrong_lam = certify_kkt_point(p, sol.schedule, sol.lam * 1.01)
    assert wrong_lam.gap == pytest.approx(0.0, abs=1e-9 * sol.objective)
    assert wrong_lam.stationarity > 1e-6  # the full certificate's own multiplier search ran
    assert eo.solve(p, "exact").certificate.stationarity <= 1e-10


@settings(deadline=None, max_examples=40)
@given(n=st.integers(1, 40), seed=st.integers(0, 2**32 - 1), weak=st.floats(0.0, 1.0))
def test_gtsv2_matches_lapack(n: int, seed: int, weak: float) -> None:
    """The compiled tridiagonal solve against LAPACK's dgtsv, with diagonals that make the
    pivoting choose either row (``weak`` shrinks the diagonal)."""
    rng = np.random.default_rng(seed)
    dl, du = rng.uniform(-1.0, 1.0, max(n - 1, 0)), rng.uniform(-1.0, 1.0, max(n - 1, 0))
    d = rng.uniform(0.5, 2.0, n) * rng.choice([-1.0, 1.0], n) * (1.0 - 0.99 * weak)
    B = rng.normal(size=(n, 2))
    M = np.diag(d) + np.diag(dl, -1) + np.diag(du, 1)
    if np.linalg.cond(M) > 1e8:
        return
    ref = dgtsv(dl, d, du, B)[3] if n > 1 else B / d[0]  # (LAPACK's wrapper wants n > 1)
    for f in (jit._gtsv2, jit._gtsv2.py_func):
        b1, b2 = B[:, 0].copy(), B[:, 1].copy()
        assert f(dl.copy(), d.copy(), du.copy(), b1, b2)
        assert_allclose(np.column_stack([b1, b2]), ref, rtol=1e-9, atol=1e-9)
    assert not jit._gtsv2(np.zeros(0), np.zeros(1), np.zeros(0), np.ones(1), np.ones(1))


# ----------------------------------------------------------------------------- review findings
def test_kkt_point_bound_stays_below_the_optimum_with_an_uncapped_cheap_period() -> None:
    """An uncapped period whose marginal is below lam by less than the stationarity tolerance
    (linear impact plus a drift: the objective is linear along x_0) must not lift the bound
    above the optimum: its room is S - x_t, not 0."""
    d = 5e-11
    S = 1e4
    p = eo.ExecutionProblem(S, eo.QuadraticImpact(a=1.0, b=0.0), 2, drift=[-d, 0.0])
    x = np.array([S / 2, S / 2])
    lam = float(p.gradient(x)[0])
    cert = certify_kkt_point(p, x, lam)
    fstar = eo.solve(p, "exact").objective
    assert cert.lower_bound <= fstar + 1e-14 * abs(fstar)


def test_a_kkt_point_for_a_nearby_order_size_is_not_called_the_optimum() -> None:
    """A schedule short of S by less than the feasibility tolerance, optimal for that smaller
    size: the certificate recomputes the optimum instead of claiming its own objective."""
    N, S = 50, 20_000.0
    rng = np.random.default_rng(0)
    kw = {
        "impact": eo.QuadraticImpact(rng.uniform(0, 0.05, N), rng.uniform(1e-5, 1e-3, N)),
        "periods": N,
        "transient": eo.ExponentialKernel(1e-4, 5.0),
    }
    p = eo.ExecutionProblem(S, **kw)
    short = eo.solve(eo.ExecutionProblem(S * (1 - 9e-10), **kw), "exact")
    cert = certify_kkt_point(p, short.schedule, short.lam)
    fstar = eo.solve(p, "exact").objective
    assert cert.optimum == pytest.approx(fstar, rel=1e-12)
    assert cert.lower_bound <= fstar * (1 + 1e-14)


def test_caps_summing_to_s_over_many_periods_are_feasible() -> None:
    """S = cap.sum() at N = 100,000 (a loop's rounding once exceeded the 1e-12 tolerance)."""
    cap = np.full(100_000, 0.7)
    p = eo.ExecutionProblem(float(cap.sum()), eo.QuadraticImpact(0.01, 1e-4), cap.size, cap=cap)
    assert eo.solve(p, "exact").certified


def test_linear_supply_root_broadcasts_and_refuses_mismatched_lengths() -> None:
    from execopt.problem.waterfill import linear_supply_root

    x, _ = linear_supply_root(np.ones(3), np.zeros(1), np.inf, 6.0)  # type: ignore[arg-type]
    assert_allclose(x, [2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="broadcast"):
        linear_supply_root(np.ones(3), np.zeros(2), np.full(3, np.inf), 1.0)


def test_kms_apply_one_and_two_dimensional_agree_at_rho_zero() -> None:
    from execopt.impact.transient import _kms_apply

    x = np.array([1.0, np.inf, 2.0, 3.0])
    with np.errstate(invalid="ignore"):  # inf + inf - inf at the inf entry, in both paths
        two_d = _kms_apply(x[None, :], 0.0)[0]
        one_d = _kms_apply(x, 0.0)
    assert_allclose(one_d, two_d)
    assert_allclose(one_d[[0, 2, 3]], [1.0, 2.0, 3.0])  # no NaN leaks past the inf
