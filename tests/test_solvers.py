"""The solver entry point: every method against exact, the concave reading, SciPy baselines,
solve_batch, the DPP cache, the Almgren-Chriss trajectory, statuses and warnings."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import execopt as eo
from execopt.errors import (
    ConvergenceWarning,
    ConvexityError,
    InfeasibleError,
    InputError,
    NotSupportedError,
)
from execopt.problem.certificate import FEAS_ATOL_REL
from execopt.solvers import conic

#: Exact against closed forms and row-by-row: rounding only.
EXACT_RTOL = 1e-9
#: Clarabel: interior point with 1e-9 gap tolerances on the scaled problem (see conic.py).
CLARABEL_RTOL = 1e-7
#: OSQP: first-order (ADMM) with polishing; looser than Clarabel.
OSQP_RTOL = 1e-6
#: SCS: first-order splitting; the loosest of the cvxpy back-ends.
SCS_RTOL = 1e-5
#: SLSQP (ftol 1e-12 on the scaled objective) on smooth problems with N = 5..20.
SLSQP_RTOL = 1e-6
#: Differential evolution when it converges (N = 5, well inside its time limit); its own
#: tolerance is tol = 1e-8 on the population spread, so its optimum is ~1e-8 off.
DE_RTOL = 1e-6
#: DE stopped by its time limit at N = 10..20: measured 0.4-1.8x above the optimum in 2-3 s.
#: Stated only to catch a collapse; the point of the test is the honest warning and status.
DE_TIMEOUT_RTOL = 5.0
#: Time limit given to DE in these tests, seconds.
DE_TIME_LIMIT = 2.0

METHOD_RTOL = {"clarabel": CLARABEL_RTOL, "osqp": OSQP_RTOL, "scs": SCS_RTOL}


def _quadratic(N: int, seed: int = 0, capped: bool = True) -> eo.ExecutionProblem:
    rng = np.random.default_rng(seed)
    m = eo.QuadraticImpact(rng.uniform(0, 0.05, N), rng.uniform(1e-4, 2e-3, N))
    cap = rng.uniform(50, 300, N) if capped else None
    return eo.ExecutionProblem(60.0 * N, m, periods=N, cap=cap)


def _power(N: int, seed: int = 0) -> eo.ExecutionProblem:
    rng = np.random.default_rng(seed)
    return eo.ExecutionProblem(
        60.0 * N, eo.PowerLawImpact(rng.uniform(0.005, 0.03, N), 0.67), periods=N
    )


def _concave(N: int, seed: int = 0, cap: float | None = None) -> eo.ExecutionProblem:
    rng = np.random.default_rng(seed)
    m = eo.PowerLawImpact(rng.uniform(0.005, 0.03, N), 0.67, basis="total")
    return eo.ExecutionProblem(60.0 * N, m, periods=N, cap=cap)


def _strict(sol_fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Call with every warning an error (the suite's default, made explicit)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return sol_fn(*args, **kwargs)


# ----------------------------------------------------------------------------- the API
def test_methods_are_listed() -> None:
    assert eo.METHODS == ("exact", "clarabel", "osqp", "scs", "slsqp", "de")


def test_unknown_method_raises_input_error() -> None:
    p = _quadratic(5)
    with pytest.raises(InputError, match="unknown method 'nope'; choose one of exact"):
        eo.solve(p, "nope")
    with pytest.raises(InputError, match="ExecutionProblem"):
        eo.solve("not a problem", "exact")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "option"),
    [("exact", "warm_start"), ("clarabel", "maxiter"), ("slsqp", "seed"), ("de", "polish")],
)
def test_unknown_options_raise_input_error(method: str, option: str) -> None:
    with pytest.raises(InputError, match=rf"takes no option.*{option}.*it accepts"):
        eo.solve(_quadratic(5), method, **{option: 1})


def test_osqp_refuses_the_power_cone() -> None:
    with pytest.raises(ConvexityError, match=r"power cone.*clarabel"):
        eo.solve(_power(5), "osqp")
    p = eo.ExecutionProblem(
        100.0, eo.QuadraticImpact(0.01, 1e-3), periods=5, volatility=0.1, var_limit=1e3
    )
    with pytest.raises(ConvexityError, match="second-order cone"):
        eo.solve(p, "osqp")


#: (method, family) pairs; OSQP solves QPs and LPs only (see test_osqp_refuses_the_power_cone).
CONVEX_CASES = [
    (method, family)
    for method in ("clarabel", "osqp", "scs")
    for family in ("quadratic", "power", "piecewise", "uncapped")
    if not (method == "osqp" and family == "power")
]


@pytest.mark.parametrize(("method", "family"), CONVEX_CASES)
def test_every_convex_method_matches_exact(method: str, family: str) -> None:
    if family == "piecewise":
        rng = np.random.default_rng(2)
        m = eo.PiecewiseLinearImpact(
            np.cumsum(rng.uniform(0, 0.01, (12, 3)), axis=1), rng.uniform(20, 100, (12, 3))
        )
        p = eo.ExecutionProblem(900.0, m, periods=12)
    elif family == "power":
        p = _power(12)
    else:
        p = _quadratic(12, capped=family != "uncapped")
    exact = eo.solve(p)
    sol = _strict(eo.solve, p, method)
    assert sol.status == "optimal"
    assert sol.certificate.feasible
    assert sol.objective == pytest.approx(exact.objective, rel=METHOD_RTOL[method])
    assert sol.objective >= exact.objective * (1 - EXACT_RTOL)


def test_solution_is_a_frozen_json_ready_record() -> None:
    sol = _strict(eo.solve, _quadratic(8), "clarabel")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sol.objective = 0.0  # type: ignore[misc]
    d = json.loads(json.dumps(sol.as_dict()))
    assert d["method"] == "clarabel" and d["status"] == "optimal"
    assert set(d["timings"]) == {"build", "compile", "solve", "certify", "total"}
    assert all(v >= 0 for v in d["timings"].values())
    assert len(d["schedule"]) == 8
    assert sol.iterations > 0 and sol.solver_status == "optimal"
    assert sol.info["raw_violation"] >= 0 and "repair" in sol.info


def test_zero_shares_is_trivial_for_every_method() -> None:
    p = eo.ExecutionProblem(0.0, eo.QuadraticImpact(0.01, 1e-3), periods=6, cap=10.0)
    for method in ("exact", "clarabel", "osqp", "scs"):
        sol = _strict(eo.solve, p, method)
        assert_allclose(sol.schedule, 0.0)
        assert sol.objective == 0.0


# ----------------------------------------------------------------------------- concave reading
def test_concave_reading_exact_is_the_vertex() -> None:
    p = _concave(8)
    gamma = np.asarray(p.impact.gamma)  # type: ignore[attr-defined]
    sol = eo.solve(p)
    expected = np.zeros(8)
    expected[np.argmin(gamma)] = p.S
    assert_allclose(sol.schedule, expected)
    # one uniform cap: the cheapest periods are filled to the cap, the rest in the next one
    pc = _concave(8, cap=100.0)
    xc = eo.solve(pc).schedule
    order = np.argsort(gamma)
    assert_allclose(xc[order[:4]], 100.0)
    assert_allclose(xc[order[4]], 80.0)
    assert_allclose(xc[order[5:]], 0.0)


@pytest.mark.parametrize("method", ["clarabel", "osqp", "scs"])
def test_convex_solvers_refuse_the_concave_reading(method: str) -> None:
    with pytest.raises(ConvexityError) as err:
        eo.solve(_concave(6), method)
    msg = str(err.value)
    # the message explains both readings and what to use instead
    assert "per-share slippage" in msg and "basis='per_share'" in msg
    assert "total cost" in msg and "concave" in msg
    assert "method='exact'" in msg


@pytest.mark.parametrize("cap", [None, 100.0])
def test_baselines_never_beat_the_concave_global_optimum(cap: float | None) -> None:
    """SLSQP (local) and DE (global heuristic) run on the concave reading; neither beats the
    vertex that exact returns. Either may stop early: then it says so with a warning."""
    p = _concave(8, seed=1, cap=cap)
    best = eo.solve(p).objective
    for method, options in (("slsqp", {}), ("de", {"time_limit": DE_TIME_LIMIT})):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sol = eo.solve(p, method, **options)
        assert all(issubclass(w.category, ConvergenceWarning) for w in caught)
        assert bool(caught) == (sol.status == "not_converged")
        assert sol.certificate.feasible
        assert sol.objective >= best * (1 - EXACT_RTOL)
        assert not sol.certificate.convex


# ----------------------------------------------------------------------------- baselines
@pytest.mark.parametrize("N", [5, 12, 20])
@pytest.mark.parametrize("family", ["quadratic", "power"])
def test_slsqp_matches_exact_on_small_problems(N: int, family: str) -> None:
    p = _quadratic(N) if family == "quadratic" else _power(N)
    sol = _strict(eo.solve, p, "slsqp")
    assert sol.status == "optimal"
    assert sol.certificate.feasible
    assert sol.objective == pytest.approx(eo.solve(p).objective, rel=SLSQP_RTOL)


def test_slsqp_reports_non_convergence_with_a_warning() -> None:
    p = _quadratic(20)
    with pytest.warns(ConvergenceWarning, match="SLSQP did not converge"):
        sol = eo.solve(p, "slsqp", maxiter=2)
    assert sol.status == "not_converged"
    assert sol.certificate.feasible  # repaired, and the gap says how far it is
    assert sol.certificate.gap is not None and sol.certificate.gap >= 0


@pytest.mark.parametrize("family", ["quadratic", "power"])
def test_de_converges_on_five_periods(family: str) -> None:
    p = _quadratic(5) if family == "quadratic" else _power(5)
    sol = _strict(eo.solve, p, "de", seed=0, time_limit=30.0)
    assert sol.status == "optimal"
    assert sol.certificate.feasible
    assert sol.objective == pytest.approx(eo.solve(p).objective, rel=DE_RTOL)


def test_de_warns_when_its_time_limit_stops_it() -> None:
    """N = 20 needs far more than DE_TIME_LIMIT seconds (measured: 1.8x the optimum after 3 s),
    so the limit stops it on any machine; test_de_iteration_limit_warns is the timing-free twin."""
    p = _quadratic(20)
    best = eo.solve(p).objective
    with pytest.warns(ConvergenceWarning, match="time limit reached"):
        sol = eo.solve(p, "de", seed=0, time_limit=DE_TIME_LIMIT)
    assert sol.status == "not_converged"
    assert sol.certificate.feasible
    assert best * (1 - EXACT_RTOL) <= sol.objective <= best * (1 + DE_TIMEOUT_RTOL)
    assert sol.info["time_limit"] == DE_TIME_LIMIT


def test_de_is_reproducible_with_a_seed() -> None:
    p = _quadratic(5)
    a, b = (_strict(eo.solve, p, "de", seed=3, time_limit=30.0) for _ in range(2))
    assert_allclose(a.schedule, b.schedule, rtol=0, atol=0)


def test_de_converged_despite_rounding_in_the_equality() -> None:
    """Regression: SciPy flags any violation of sum x = S (here ~1e-16) as a failure; a run
    that met its convergence test is still converged (no warning, status optimal)."""
    sol = _strict(eo.solve, _quadratic(5), "de", seed=0, time_limit=30.0)
    assert sol.status == "optimal"
    assert sol.info["constraint_violation"] <= 1e-9 * 5


def test_de_iteration_limit_warns() -> None:
    with pytest.warns(ConvergenceWarning, match="differential evolution stopped"):
        sol = eo.solve(_quadratic(6), "de", seed=0, maxiter=3)
    assert sol.status == "not_converged" and sol.certificate.feasible


# ----------------------------------------------------------------------------- risk terms
@pytest.mark.parametrize("method", ["clarabel", "osqp", "scs", "slsqp"])
def test_almgren_chriss_trajectory(method: str) -> None:
    """Constant b, risk aversion k and volatility sigma, no caps: the discrete Almgren-Chriss
    optimum has R_j = S sinh(theta (N - j)) / sinh(theta N), 2 cosh(theta) = 2 + k sigma^2 / b."""
    N, S, a, b, k, sigma = 30, 1e5, 0.01, 1e-3, 1e-5, 0.2
    p = eo.ExecutionProblem(
        S, eo.QuadraticImpact(a, b), periods=N, risk_aversion=k, volatility=sigma
    )
    theta = np.arccosh(1 + k * sigma**2 / (2 * b))
    R = S * np.sinh(theta * (N - np.arange(N + 1))) / np.sinh(theta * N)
    x_ac = -np.diff(R)
    sol = _strict(eo.solve, p, method)
    rtol = METHOD_RTOL.get(method, SLSQP_RTOL)
    assert_allclose(sol.schedule, x_ac, rtol=rtol * 100, atol=rtol * S / N)
    assert sol.objective == pytest.approx(p.objective(x_ac), rel=rtol)
    assert sol.certificate.bound_gap <= rtol * sol.objective
    # the exact banded mean-variance solve is the reference the certificate compares with
    exact = eo.solve(p, "exact")
    assert_allclose(exact.schedule, x_ac, rtol=1e-9, atol=1e-9 * S / N)


def test_var_limit_is_met_and_certified() -> None:
    N, S = 30, 1e5
    m = eo.QuadraticImpact(np.linspace(0.01, 0.02, N), np.linspace(1e-3, 2e-3, N))
    free = eo.ExecutionProblem(S, m, periods=N, volatility=0.2)
    var_free = free.value_at_risk(eo.solve(free).schedule)
    p = dataclasses.replace(free, var_limit=0.5 * var_free)
    for method in ("clarabel", "scs"):
        sol = _strict(eo.solve, p, method)
        assert sol.certificate.feasible
        assert p.value_at_risk(sol.schedule) <= p.var_limit * (1 + 1e-8)  # type: ignore[operator]
        assert sol.objective > eo.solve(free).objective  # the limit binds and costs money
    # the certificate checks the limit: the unconstrained optimum breaks it
    c = eo.certify(p, eo.solve(free).schedule)
    assert not c.feasible and c.var_violation == pytest.approx(0.5 * var_free, rel=1e-9)


def test_infeasible_var_limit_raises() -> None:
    """With caps the first periods cannot clear the inventory: no schedule meets a tiny VaR."""
    p = eo.ExecutionProblem(
        1e5, eo.QuadraticImpact(0.01, 1e-3), periods=30, cap=1e4, volatility=0.2, var_limit=1e3
    )
    with pytest.raises(InfeasibleError, match="loosen the VaR limit or the caps"):
        eo.solve(p, "clarabel")


# ----------------------------------------------------------------------------- statuses
def test_conic_non_convergence_is_a_typed_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """An iteration limit gives status not_converged, a ConvergenceWarning (not cvxpy's
    generic UserWarning) and a feasible, certified schedule."""
    monkeypatch.setitem(
        conic.SOLVER_SETTINGS, "osqp", {**conic.SOLVER_SETTINGS["osqp"], "max_iter": 5}
    )
    p = _quadratic(15, seed=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sol = eo.solve(p, "osqp")
    assert [w.category for w in caught] == [ConvergenceWarning]
    assert "osqp stopped with status 'user_limit'" in str(caught[0].message)
    assert sol.status == "not_converged" and sol.solver_status == "user_limit"
    assert sol.certificate.feasible
    assert sol.certificate.gap is not None and sol.certificate.gap >= 0


def test_first_order_answers_are_repaired_to_exact_feasibility() -> None:
    p = _quadratic(40, seed=5)
    for method in ("osqp", "scs"):
        sol = _strict(eo.solve, p, method)
        x = sol.schedule
        assert abs(x.sum() - p.S) <= FEAS_ATOL_REL * p.S
        assert x.min() >= 0 and np.all(x <= p.upper)


# ----------------------------------------------------------------------------- solve_batch
@pytest.mark.parametrize("cap_kind", ["none", "scalar", "per_period", "per_order"])
@pytest.mark.parametrize("family", ["quadratic", "power"])
def test_solve_batch_equals_row_by_row(cap_kind: str, family: str) -> None:
    M, N = 9, 25
    rng = np.random.default_rng(11)
    if family == "quadratic":
        impact: eo.impact.ImpactModel = eo.QuadraticImpact(
            rng.uniform(0, 0.05, (M, N)), rng.uniform(1e-4, 2e-3, (M, N))
        )
    else:
        impact = eo.PowerLawImpact(rng.uniform(0.005, 0.03, (M, N)), 0.67)
    cap = {
        "none": None,
        "scalar": 200.0,
        "per_period": rng.uniform(100, 300, N),
        "per_order": rng.uniform(100, 300, (M, N)),
    }[cap_kind]
    u = np.broadcast_to(np.inf if cap is None else cap, (M, N))
    S = rng.uniform(0.0, 1.0, M) * np.where(np.isfinite(u.sum(1)), u.sum(1), 5000.0)
    S[0] = 0.0
    if cap is not None:
        S[-1] = u[-1].sum()  # exactly the sum of the caps
    X = _strict(eo.solve_batch, S, impact, cap=cap)
    assert X.shape == (M, N)
    for i in range(M):
        if family == "quadratic":
            row: eo.impact.ImpactModel = eo.QuadraticImpact(impact.a[i], impact.b[i])  # type: ignore[attr-defined]
        else:
            row = eo.PowerLawImpact(impact.gamma[i], 0.67)  # type: ignore[attr-defined]
        ci = None if cap is None else (cap[i] if np.ndim(cap) == 2 else cap)
        ref = eo.solve(eo.ExecutionProblem(S[i], row, periods=N, cap=ci), "exact")
        assert_allclose(X[i], ref.schedule, rtol=EXACT_RTOL, atol=EXACT_RTOL * max(S[i], 1.0))


def test_solve_batch_shared_parameters_and_errors() -> None:
    m = eo.QuadraticImpact(0.01, 1e-3)
    X = _strict(eo.solve_batch, [100.0, 200.0], m, periods=4)
    assert_allclose(X, [[25] * 4, [50] * 4])
    with pytest.raises(InputError, match="periods=N"):
        eo.solve_batch([100.0], m)
    with pytest.raises(InfeasibleError, match="order 1"):
        eo.solve_batch([10.0, 100.0], m, cap=5.0, periods=4)
    with pytest.raises(NotSupportedError, match="one by one"):
        eo.solve_batch([10.0], eo.PiecewiseLinearImpact([0.01], [100.0]), periods=4)
    with pytest.raises(InputError, match="3 orders but 2"):
        eo.solve_batch([1.0, 2.0], eo.QuadraticImpact(np.ones((3, 4)), 1e-3))


# ----------------------------------------------------------------------------- DPP cache
STRUCTURES = {
    "quadratic-capped": lambda rng: eo.ExecutionProblem(
        500.0,
        eo.QuadraticImpact(rng.uniform(0, 0.05, 10), rng.uniform(1e-4, 1e-3, 10)),
        10,
        cap=80.0,
    ),
    "quadratic-free": lambda rng: eo.ExecutionProblem(
        500.0, eo.QuadraticImpact(rng.uniform(0, 0.05, 10), rng.uniform(1e-4, 1e-3, 10)), 10
    ),
    "power": lambda rng: eo.ExecutionProblem(
        500.0, eo.PowerLawImpact(rng.uniform(0.005, 0.03, 10), [0.5, 1.0] * 5), 10, cap=90.0
    ),
    "piecewise": lambda rng: eo.ExecutionProblem(
        500.0,
        eo.PiecewiseLinearImpact(
            np.cumsum(rng.uniform(0, 0.01, (10, 3)), axis=1), rng.uniform(20, 40, (10, 3))
        ),
        10,
    ),
}


@pytest.mark.parametrize("name", sorted(STRUCTURES))
@pytest.mark.usefixtures("fresh_cache")
def test_dpp_cache_reuses_the_compiled_problem(name: str) -> None:
    rng = np.random.default_rng(8)
    first = _strict(eo.solve, STRUCTURES[name](rng), "clarabel")
    assert first.info["cache_hit"] is False and first.timings.build > 0
    for _ in range(2):  # same structure, new numbers
        p = STRUCTURES[name](rng)
        sol = _strict(eo.solve, p, "clarabel")
        assert sol.info["cache_hit"] is True
        assert sol.timings.build == 0.0
        assert sol.objective == pytest.approx(eo.solve(p).objective, rel=CLARABEL_RTOL)
    assert len(conic._cache) == 1
    for compiled in conic._cache.values():
        assert compiled.problem.is_dpp()
        assert compiled.solves == 3


@pytest.mark.usefixtures("fresh_cache")
def test_every_cached_problem_is_dpp() -> None:
    rng = np.random.default_rng(9)
    risky = eo.ExecutionProblem(
        500.0, eo.QuadraticImpact(0.01, 1e-3), 10, risk_aversion=1e-4, volatility=0.1, var_limit=1e3
    )
    problems = [f(rng) for f in STRUCTURES.values()] + [risky]
    for p in problems:
        for method in ("clarabel", "scs"):
            _strict(eo.solve, p, method)
    assert len(conic._cache) == 2 * len(problems)
    assert all(c.problem.is_dpp() for c in conic._cache.values())


# ----------------------------------------------------------------------------- regressions
def test_osqp_converges_on_a_book_walk_lp() -> None:
    """Regression: on the epigraph form max_k(s_k x + c_k) OSQP hit 200,000 iterations on this
    book (status user_limit, a point beyond the visible depth); the segment form converges."""
    rng = np.random.default_rng(1)
    slopes = np.sort(rng.uniform(0, 0.1, (20, 4)), axis=1)
    widths = rng.uniform(10, 100, (20, 4))
    p = eo.ExecutionProblem(0.5 * widths.sum(), eo.PiecewiseLinearImpact(slopes, widths), 20)
    sol = _strict(eo.solve, p, "osqp")
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(eo.solve(p).objective, rel=OSQP_RTOL)


def test_cost_scale_is_corrected_when_the_optimum_is_far_below_twap() -> None:
    """Regression: with one linear period among delta = 1.5 periods the optimum (136 dollars)
    is 1/36,000 of the equal-allocation cost used as the cost scale, Clarabel's gap test became
    absolute and it stopped 2e-6 (relative) above the optimum; it now re-solves rescaled."""
    m = eo.PowerLawImpact(0.0184541, [1.5, 1.5, 0.0, 1.5, 1.5, 1.5])
    p = eo.ExecutionProblem(7374.48, m, periods=6)
    sol = _strict(eo.solve, p, "clarabel")
    assert sol.info["rescaled"] is True
    assert sol.objective == pytest.approx(eo.solve(p).objective, rel=CLARABEL_RTOL)
