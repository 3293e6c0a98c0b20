"""Studies: reference cases, solver comparison, sensitivity, stress, parameter distributions.

The Monte Carlo on a real Dask cluster is in ``test_montecarlo_dask.py``, the seed-claims audit
in ``test_audit.py``. Every study here runs in its ``fast`` (CI-sized) configuration.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import execopt as eo
from execopt.errors import InputError
from execopt.studies import (
    BootstrapParameters,
    MonteCarloConfig,
    NormalParameters,
    ParallelConfig,
    SensitivityConfig,
    SolverComparisonConfig,
    StressConfig,
    build_case,
    envelope_check,
    from_fit,
    from_intervals,
    marginal_check,
    profile_bootstrap,
    run_montecarlo,
    run_sensitivity,
    run_solver_comparison,
    run_stress,
    seed_distribution,
    sweep,
    u_shape,
)
from execopt.studies.cases import CASES
from execopt.studies.sensitivity import with_parameter
from execopt.studies.stress import Scenario, carry_forward, stress_row

#: Finite differences of exact optima against closed-form derivatives: the truncation error of
#: a central difference with relative step 1e-4 is O(1e-8) relative, rounding O(1e-9).
FD_RTOL = 1e-6
#: Finite differences on random instances, where a parameter's term can be a small part of the
#: optimum (b = 1e-5 next to a = 0.05): the optimum's rounding (~1e-13 relative) over a step of
#: 1e-4 of that parameter reaches 1e-6 of the derivative there.
FD_RANDOM_RTOL = 1e-5
#: Exact solver arithmetic (sums of 390 terms).
EXACT_RTOL = 1e-12

IN_PROCESS = ParallelConfig(workers=1)


# ----------------------------------------------------------------------------- cases
def test_u_shape_has_mean_one_and_the_stated_ratio() -> None:
    w = u_shape(391, 3.0)
    assert_allclose(w.mean(), 1.0, rtol=EXACT_RTOL)
    assert_allclose(w[0] / w[195], 4.0, rtol=EXACT_RTOL)
    assert_allclose(u_shape(10, 0.0), np.ones(10))
    with pytest.raises(InputError):
        u_shape(10, -1.0)


@pytest.mark.parametrize("case", CASES)
def test_every_case_is_feasible_at_small_and_full_N(case: str) -> None:
    for N in (10, 390):
        p, what = build_case(case, N)  # type: ignore[arg-type]
        assert p.periods == N and what
        assert eo.solve(p, "exact").certificate.feasible


# ----------------------------------------------------------------------------- solver comparison
def test_solver_comparison_has_a_row_for_every_case_size_and_method() -> None:
    config = SolverComparisonConfig(sizes=(10,), de_time_limit=0.2)
    t = run_solver_comparison(config)
    keys = set(zip(t["case"], t["N"], t["method"], strict=True))
    assert keys == {(c, 10, m) for c in CASES for m in eo.METHODS}
    assert len(t) == len(keys)
    na = t[~t["applicable"]]
    assert (na["status"] == "n/a").all() and na["reason"].str.len().gt(0).all()
    # the convex solvers refuse the concave reading; OSQP refuses the power cone
    assert set(na["case"] + ":" + na["method"]) == {
        "concave:clarabel",
        "concave:osqp",
        "concave:scs",
        "power:osqp",
    }
    assert na["reason"].str.startswith("ConvexityError").all()
    exact = t[t["method"] == "exact"]
    assert (exact["rel_gap"] == 0).all()
    ok = t[t["applicable"] & t["method"].isin(["clarabel", "osqp", "scs"])]
    assert (ok["rel_gap"].abs() < 1e-6).all()
    assert ok["feasible"].all()


def test_solver_comparison_records_slow_baselines_as_not_run() -> None:
    config = SolverComparisonConfig(
        cases=("piecewise",),
        sizes=(10,),
        methods=("exact", "slsqp", "de"),
        slsqp_piecewise_max_periods=5,
        de_max_periods=5,
    )
    t = run_solver_comparison(config).set_index("method")
    assert t.loc["exact", "applicable"]
    for m in ("slsqp", "de"):
        assert t.loc[m, "status"] == "n/a" and t.loc[m, "reason"].startswith("not run")


# ----------------------------------------------------------------------------- sensitivity
@pytest.mark.parametrize("case", ["quadratic", "power", "piecewise"])
def test_lam_is_the_derivative_of_the_optimum_in_S(case: str) -> None:
    p, _ = build_case(case, 60)  # type: ignore[arg-type]
    # a book walk's optimum is piecewise linear in S: probe between breakpoints
    shares = [p.shares * f + 0.37 for f in (0.5, 1.0)]
    m = marginal_check(p, shares)
    assert_allclose(m["fd"], m["lam"], rtol=FD_RTOL)


def test_envelope_derivatives_match_finite_differences() -> None:
    q, _ = build_case("quadratic", 60)
    tight = with_parameter(q, "cap", 1.2 * q.shares / q.periods)
    pw, _ = build_case("power", 60)
    for p in (q, tight, pw):
        e = envelope_check(p, periods=(0, 17, 30, -1))
        assert (e["rel_err"] < FD_RTOL).all(), e
    e = envelope_check(tight, periods=(30,))
    row = e[e["parameter"] == "u_t"].iloc[0]
    assert row["analytic"] < 0  # a binding cap has a positive shadow price


@given(
    a=st.floats(0.0, 0.05),
    b=st.floats(1e-5, 1e-2),
    A=st.floats(0.0, 5.0),
    t=st.integers(0, 39),
)
def test_envelope_on_random_quadratic_profiles(a: float, b: float, A: float, t: int) -> None:
    p = eo.ExecutionProblem(2000.0, eo.QuadraticImpact(a=a, b=b * u_shape(40, A)), 40)
    e = envelope_check(p, periods=(t,))
    assert (e["abs_err"] <= FD_RANDOM_RTOL * np.maximum(np.abs(e["analytic"]), 1.0)).all(), e


def test_sweep_scales_profiles_and_replaces_values() -> None:
    q, _ = build_case("quadratic", 30)
    summary, schedules = sweep(q, "b", (0.5, 1.0, 2.0))
    assert list(summary["factor"]) == [0.5, 1.0, 2.0]
    assert_allclose(summary["value"], np.array([0.5, 1.0, 2.0]) * float(np.mean(q.impact.b)))
    assert len(schedules) == 3 * 30
    # scaling every b_t by the same factor keeps the uncapped schedule's shape
    assert_allclose(summary["x_first"], summary["x_first"].iloc[0], rtol=1e-9)


def test_run_sensitivity_fast() -> None:
    r = run_sensitivity(SensitivityConfig().fast())
    assert set(r.sweeps["parameter"]) == {"a", "b", "S", "cap", "gamma", "delta", "risk_aversion"}
    assert (r.marginal["rel_err"] < FD_RTOL).all()
    assert (r.envelope["rel_err"] < FD_RTOL).all()
    risky = r.sweeps[r.sweeps["parameter"] == "risk_aversion"]
    assert set(risky["method"]) == {"exact", "clarabel"}


def test_constant_parameters_give_a_flat_schedule_in_every_sweep() -> None:
    cfg = replace(SensitivityConfig().fast(), amplitude=0.0, cap=None)
    q = cfg.quadratic_problem()
    summary, _ = sweep(q, "a", (0.5, 2.0))
    assert_allclose(summary["reduction_pct"], 0.0, atol=1e-9)
    assert_allclose(summary["x_first"], q.shares / q.periods, rtol=1e-12)


# ----------------------------------------------------------------------------- stress
def test_carry_forward_conserves_shares_when_capacity_allows() -> None:
    x = np.array([5.0, 5.0, 0.0, 0.0])
    done, left = carry_forward(x, np.array([3.0, 3.0, 3.0, 3.0]))
    assert_allclose(done, [3.0, 3.0, 3.0, 1.0])
    assert left == 0.0
    done, left = carry_forward(x, np.array([1.0, 1.0, 1.0, 1.0]))
    assert left == 6.0


def test_stress_table_fast() -> None:
    t, _ = run_stress(StressConfig().fast())
    by = t.set_index("scenario")
    assert by.loc["baseline", "regret"] == 0.0
    # a uniform spread shift moves every period's cost by the same a: the plan stays optimal
    assert abs(by.loc["spread blow-up x3", "regret"]) < 1e-9
    assert not by.loc["liquidity drought x0.25", "feasible"]
    assert np.isnan(by.loc["liquidity drought x0.25", "cost_replanned"])
    assert by.loc["liquidity drought x0.25", "unfilled_shares"] > 0
    ok = t[t["feasible"] & t["regret"].notna()]
    assert (ok["regret"] >= -1e-9 * ok["cost_replanned"]).all()  # replanning never loses


def test_scenario_window_and_validation() -> None:
    s = Scenario("x", "test", depth=0.5, window=(-10, 390))
    assert s.mask(390).sum() == 10
    with pytest.raises(InputError):
        Scenario("bad", "zero factor", spread=0.0)
    q, _ = build_case("quadratic", 390)
    row = stress_row(q, eo.solve(q).schedule, Scenario("none", "identity"))
    assert row["regret"] == pytest.approx(0.0, abs=1e-12 * abs(row["cost_plan"]))  # rounding only


# ----------------------------------------------------------------------------- distributions
def test_normal_parameters_shapes_truncation_and_determinism() -> None:
    d = NormalParameters(0.018, 0.0009 * u_shape(50, 2.0), np.diag([1e-5, 1e-7]), periods_=50)
    m1 = d.sample(np.random.default_rng(1), 200)
    m2 = d.sample(np.random.default_rng(1), 200)
    assert m1.a.shape == (200, 50) and m1.b.shape == (200, 50)
    assert np.all(m1.a >= 0) and np.all(m1.b > 0)  # truncated, not clipped
    assert_allclose(m1.a, m2.a)
    assert 0 < d.acceptance(np.random.default_rng(2)) < 1
    with pytest.raises(InputError):
        NormalParameters(0.018, 0.0009, np.ones((3, 3)))


def test_from_intervals_is_a_lognormal_with_the_given_median() -> None:
    d = from_intervals(0.02, (0.015, 0.025), 0.001, (0.0008, 0.0012), periods=30)
    m = d.sample(np.random.default_rng(0), 20_000)
    assert_allclose(np.median(m.a[:, 0]), 0.02, rtol=0.01)
    q = np.quantile(m.b[:, 0], [0.025, 0.975])
    assert_allclose(q, [0.0008, 0.0012], rtol=0.03)
    assert_allclose(d.nominal().a, 0.02)


def test_from_fit_uses_the_estimators_bootstrap() -> None:
    from execopt.impact.estimation import QuadraticFit

    rng = np.random.default_rng(0)
    x = np.tile(np.geomspace(1, 500, 12), 40)
    c = 0.02 * x + 1e-4 * x**2
    c = c * (1 + 0.05 * rng.standard_normal(c.shape))
    groups = np.repeat(np.arange(40), 12)
    fit = QuadraticFit(n_boot=100, seed=0).fit(x, c, groups)
    d = from_fit(fit, periods=30)
    assert isinstance(d, BootstrapParameters)
    assert np.asarray(d.a_draws).shape[0] == 100
    assert_allclose(d.nominal().a, fit.a_)


def test_profile_bootstrap_point_is_the_fitted_profile() -> None:
    from execopt.data import synthetic_book
    from execopt.impact.profiles import fit_profile

    book = synthetic_book("FROG", seed=3, events_per_minute=20)
    d = profile_bootstrap(book, n_boot=5, seed=0)
    prof = fit_profile(book, n_boot=0)
    assert np.asarray(d.a_draws).shape == (5, 390)
    assert_allclose(d.nominal().a, prof.a, rtol=1e-12)
    assert_allclose(d.nominal().b, np.maximum(prof.b, d.nominal().b.min()), rtol=1e-12)


# ----------------------------------------------------------------------------- Monte Carlo (in process)
def test_seed_constants_give_exactly_zero_reduction_in_every_draw() -> None:
    d = seed_distribution("FROG", 390)
    r = run_montecarlo(d, MonteCarloConfig(draws=200, chunk_size=50), IN_PROCESS)
    assert_allclose(r.draws["reduction_optimal"], 0.0, atol=1e-9)
    assert_allclose(r.draws["regret_cross_plan"], 0.0, atol=1e-9)


def test_montecarlo_invariants_and_reproducibility() -> None:
    d = NormalParameters(0.018, 0.0009 * u_shape(390, 2.0), np.diag([1e-6, 1e-8]), periods_=390)
    cfg = MonteCarloConfig(draws=300, chunk_size=64, seed=7)
    r1 = run_montecarlo(d, cfg, IN_PROCESS)
    r2 = run_montecarlo(d, cfg, IN_PROCESS)
    j1, j2 = r1.to_dict(), r2.to_dict()
    j1.pop("timings"), j2.pop("timings")
    assert j1 == j2
    dr = r1.draws
    assert len(dr) == 300 and dr["chunk"].max() == 4
    tol = 1e-9 * dr["cost_optimal"]
    assert (dr["cost_optimal"] <= dr["cost_equal"] + tol).all()
    assert (dr["regret_nominal_plan"] >= -tol).all()
    assert (dr["regret_cross_plan"] >= -tol).all()
    s = r1.summary.set_index("metric")
    assert s.loc["reduction_optimal", "ci_low"] <= s.loc["reduction_optimal", "mean"]
    # another seed gives other draws
    r3 = run_montecarlo(d, replace(cfg, seed=8), IN_PROCESS)
    assert not np.array_equal(r3.draws["cost_optimal"], dr["cost_optimal"])


def test_montecarlo_rejects_mismatched_periods() -> None:
    d = seed_distribution("FROG", 100)
    with pytest.raises(InputError):
        run_montecarlo(d, MonteCarloConfig(draws=10, chunk_size=5), IN_PROCESS)


# ----------------------------------------------------------------------------- simulator stress
def test_simulator_stress_on_a_drought() -> None:
    from execopt.studies import BOOK_SCENARIOS, SimStressConfig, run_sim_stress

    keep = tuple(s for s in BOOK_SCENARIOS if s.name in ("baseline", "afternoon drought x0.2"))
    cfg = SimStressConfig(
        events_per_minute=5.0, scenarios=keep, policies=("twap", "adaptive-fixed")
    )
    t = run_sim_stress(cfg, IN_PROCESS).set_index(["scenario", "policy"])
    assert len(t) == 4
    assert (t["fill_rate"] == 1.0).all()  # the close forces the remainder
    assert_allclose(t.xs("twap", level="policy")["saving_vs_twap_pct"], 0.0)
    twap = t.xs("twap", level="policy")["cost"]
    assert twap["afternoon drought x0.2"] > twap["baseline"]  # thinner books cost more


# ----------------------------------------------------------------------------- CLI
@pytest.mark.parametrize("name", ["sensitivity", "stress"])
def test_cli_study_fast_writes_json_and_csv(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from execopt.cli import study

    parser = argparse.ArgumentParser(prog="execopt")
    study.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["study", name, "--fast", "--json", "--workers", "1", "--out", str(tmp_path)]
    )
    assert study.run(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["study"] == name and "timings" in doc
    assert json.loads((tmp_path / f"{name}.json").read_text())["study"] == name
    assert list(tmp_path.glob(f"{name}_*.csv"))
