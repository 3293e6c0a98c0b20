"""The direct sparse QP of a basket (``solvers/basket_qp.py``) against the cvxpy back-end.

Both describe the same scaled problem; on random baskets (factor, full or no covariance, a
diagonal cross-impact, a neutrality band, an empty leg, N from 1 up) they must reach the same
objective and both answers must be certified. What the direct form does not take (a VaR
limit, a non-diagonal cross-impact, legs with their own risk or a power-law cost) goes through
cvxpy, and the solution says which formulation ran.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import execopt as eo
from execopt.solvers import basket as sb
from execopt.solvers.basket_qp import build_basket_qp, supports
from execopt.studies.basket_cases import random_basket


def _with_diagonal_cross_impact(b: eo.Basket, rng: np.random.Generator) -> eo.Basket:
    bmean = np.array([float(np.mean(p.impact.diagonal_quadratic(b.N)[1])) for p in b.problems])
    return eo.Basket(
        list(b.problems),
        list(np.where(b.sgn > 0, "sell", "buy")),
        covariance=b.covariance,
        risk_aversion=b.risk_aversion,
        cross_impact=np.diag(rng.uniform(0.1, 0.5, b.M) * bmean),
        prices=b.prices,
        neutrality_band=b.neutrality_band,
    )


def _solve(b: eo.Basket, direct: bool, monkeypatch: pytest.MonkeyPatch) -> eo.BasketSolution:
    monkeypatch.setattr(sb, "supports", (lambda _b: True) if direct else (lambda _b: False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", eo.errors.ConvergenceWarning)
        return eo.solve(b, "clarabel")


@given(
    seed=st.integers(0, 10_000),
    M=st.integers(1, 5),
    N=st.sampled_from([1, 2, 3, 17, 40]),
    cov=st.sampled_from(["factor", "full", "none"]),
    H=st.booleans(),
    band=st.booleans(),
)
@settings(max_examples=25, deadline=None)
def test_direct_qp_matches_cvxpy(seed, M, N, cov, H, band) -> None:
    mp = pytest.MonkeyPatch()
    try:
        b = random_basket(seed, M, N, covariance=cov, band=band and M >= 2)
        if H:
            b = _with_diagonal_cross_impact(b, np.random.default_rng(seed))
        assert supports(b)
        direct = _solve(b, True, mp)
        via_cvxpy = _solve(b, False, mp)
    finally:
        mp.undo()
    assert direct.info["formulation"].startswith("direct")
    assert via_cvxpy.info["formulation"] == "cvxpy"
    assert direct.certified and via_cvxpy.certified
    assert direct.objective == pytest.approx(via_cvxpy.objective, rel=1e-7, abs=1e-9)
    assert np.allclose(direct.schedule.sum(axis=1), b.S, rtol=1e-9, atol=1e-9)
    assert np.all(direct.schedule >= 0) and np.all(direct.schedule <= b.upper + 1e-9)


def test_an_empty_leg_and_the_default_route(monkeypatch) -> None:
    b = random_basket(5, 3, 20)
    legs = list(b.problems)
    legs[1] = eo.ExecutionProblem(0.0, legs[1].impact, periods=20)
    b0 = eo.Basket(legs, ["sell", "buy", "buy"], covariance=b.covariance,
                   risk_aversion=b.risk_aversion, prices=b.prices)  # fmt: skip
    sol = eo.solve(b0, "clarabel")  # the default route: direct
    assert sol.info["formulation"].startswith("direct")
    assert sol.certified and np.all(sol.schedule[1] == 0.0)
    ref = _solve(b0, False, monkeypatch)
    assert sol.objective == pytest.approx(ref.objective, rel=1e-7)


def test_what_the_direct_form_does_not_take_goes_through_cvxpy() -> None:
    assert not supports(random_basket(1, 3, 10, var_limit=True))
    assert not supports(random_basket(1, 3, 10, cross_impact=True))  # not diagonal
    b = random_basket(1, 2, 10)
    power = eo.ExecutionProblem(b.S[0], eo.PowerLawImpact(0.05, 0.5), periods=10)
    assert not supports(eo.Basket([power, b.problems[1]], ["sell", "buy"]))
    risky = eo.ExecutionProblem(b.S[0], eo.QuadraticImpact(0.01, 1e-4), periods=10,
                                risk_aversion=1e-6, volatility=0.02)  # fmt: skip
    assert not supports(eo.Basket([risky, b.problems[1]], ["sell", "buy"]))
    sol = eo.solve(random_basket(1, 3, 10, var_limit=True), "clarabel")
    assert sol.info["formulation"] == "cvxpy" and sol.certified
    for m in ("osqp", "scs"):  # only Clarabel has the direct route
        assert eo.solve(b, m).info["formulation"] == "cvxpy"


def test_the_assembled_matrices_have_the_stated_shape() -> None:
    b = random_basket(2, 4, 30, K=3, band=True)
    s, C = sb._leg_scales(b)
    qp = build_basket_qp(b, s, C)
    M, N, K = 4, 30, 3
    n = M * N + M * (N - 1) + K * (N - 1) + M * (N - 1)  # y, R, f, v
    assert qp["A"].shape == (qp["n_eq"] + qp["n_ineq"], n) and qp["P"].shape == (n, n)
    # the recursion (M N rows), the factor rows, the idiosyncratic rows
    assert qp["n_eq"] == M * N + K * (N - 1) + M * (N - 1)
    # y >= 0, M N caps, 2 (N - 1) band rows
    assert qp["n_ineq"] == 2 * M * N + 2 * (N - 1)
    # O(M N) non-zeros: never a dense (M N)^2 block
    assert qp["A"].nnz < 20 * n


def test_clarabel_statuses_map_to_typed_errors(monkeypatch) -> None:
    """An infeasible basket is refused where it is built (the band, the caps); should Clarabel
    still report infeasibility or a numerical failure, the error is typed and says what to do,
    and a stop at its iteration limit is a warning that the certificate then judges."""
    b = random_basket(7, 2, 10)
    N = b.N

    def fake(status):
        def run(basket, s, C):
            return np.tile(basket.S[:, None] / s[:, None] / N, (1, N)), status, 0.0, 0.0, 3

        return run

    monkeypatch.setattr(sb, "solve_basket_qp", fake("PrimalInfeasible"))
    with pytest.raises(eo.errors.InfeasibleError, match="infeasible"):
        eo.solve(b, "clarabel")
    monkeypatch.setattr(sb, "solve_basket_qp", fake("NumericalError"))
    with pytest.raises(eo.errors.SolverError, match="scs"):
        eo.solve(b, "clarabel")
    monkeypatch.setattr(sb, "solve_basket_qp", fake("MaxIterations"))
    with pytest.warns(eo.errors.ConvergenceWarning, match="MaxIterations"):
        sol = eo.solve(b, "clarabel")
    assert sol.status == "not_converged" and sol.certificate.feasible
