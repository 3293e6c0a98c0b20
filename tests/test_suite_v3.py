"""Reference suite version 3 (issues 12, 13, 14): the transient and basket families, the (M, N)
schedule files, the per-leg checks, version 2 still read, and the QP adapter on the new family.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import execopt as eo
from execopt.problem.basket_certificate import basket_multipliers, certify_basket
from execopt.problem.schedule_file import read_schedule_csv, schedule_text
from execopt.problem.terms import HessianBounds
from execopt.studies.suite import checks
from execopt.studies.suite import format as fmt
from execopt.studies.suite.catalogue import instance_specs
from execopt.studies.suite.families import FAMILIES
from execopt.studies.suite.harness import crosscheck_methods
from execopt.studies.suite.validate import (
    Instance,
    as_problem,
    evaluate,
    validate_callable,
    validate_schedules,
    write_schedule_csv,
)

#: The shift of the outside team's test: 1e-3 of the order (of the leg) moved between two periods.
SHIFT = 1e-3
#: Shares past a bound a schedule within the feasibility tolerance may carry.
NUDGE = 1e-8
#: Relative agreement of a re-evaluated objective with the stored one (same code, same data).
REEVAL_RTOL = 1e-12


@pytest.fixture(scope="module")
def suite() -> list[Instance]:
    return fmt.load_suite()


@pytest.fixture(scope="module")
def by_id(suite: list[Instance]) -> dict[str, Instance]:
    return {i.id: i for i in suite}


def _family(suite: list[Instance], name: str) -> list[Instance]:
    return [i for i in suite if i.family == name]


def _tol(inst: Instance, f: float) -> float:
    return inst.data["crosscheck_rtol"] * abs(f) + fmt.CROSSCHECK_ATOL_NOTIONAL * inst.notional


# ----------------------------------------------------------------------------- the catalogue
def test_version_3_is_the_default_and_has_both_families(suite: list[Instance]) -> None:
    assert fmt.SUITE_VERSION == fmt.FORMAT_VERSION == 3
    assert {i.version for i in suite} == {3}
    tr, bk = _family(suite, "transient"), _family(suite, "basket")
    assert 15 <= len(tr) <= 25 and 20 <= len(bk) <= 30
    kernels = {i.data["transient"]["kernel"] for i in tr if i.data.get("transient")}
    assert kernels == {"exponential", "power_law", "tabulated"}
    tags = {t for i in tr for t in i.tags}
    for t in (
        "caps-bind",
        "permanent",
        "mean-variance",
        "badly-scaled",
        "S=0",
        "N=1",
        "infeasible",
    ):
        assert t in tags, t
    Ns = [i.periods for i in tr]
    assert min(Ns) == 1 and max(Ns) >= 10_000 and 5 in Ns and 390 in Ns
    assert {i.cone for i in tr} == {"qp", "power"}
    Ms = {i.legs for i in bk}
    assert {2, 5, 10, 20, 50} <= Ms
    kinds = {(i.data["covariance"] or {}).get("kind") for i in bk}
    assert {"factor", "full", None} <= kinds
    assert any(i.data["cross_impact"] is not None for i in bk)
    assert any(i.data["cross_impact"] is None and i.data["covariance"] for i in bk)
    assert any(i.data["neutrality_band"] is not None for i in bk)
    assert any(i.data["var_limit"] is not None and i.cone == "socp" for i in bk)
    assert sum(i.infeasible for i in bk) == 2 and sum(i.infeasible for i in tr) == 2


def test_v2_problems_are_in_v3_with_their_optima() -> None:
    """Every v2 instance is in v3: the same problem byte for byte, the same optimum to rounding."""
    v2 = {i.id: i for i in fmt.load_suite(version=2)}
    v3 = {i.id: i for i in fmt.load_suite(ids=sorted(v2))}
    assert set(v2) == set(v3)
    keys = ("family", "group", "cone", "price", "shares", "periods", "impact", "cap")
    for iid, old in v2.items():
        new = v3[iid]
        for k in (*keys, "risk_aversion", "volatility", "infeasible"):
            assert json.dumps(old.data[k]) == json.dumps(new.data[k]), (iid, k)
        if old.optimum is not None:
            assert new.optimum == pytest.approx(old.optimum, rel=1e-13, abs=1e-12), iid


# ----------------------------------------------------------------------------- certification
def test_every_transient_instance_certifies_and_its_crosschecks_agree(
    suite: list[Instance],
) -> None:
    """Exact (active set) where it applies, Clarabel otherwise; at least two independent solvers
    agree within crosscheck_rtol and none went below; the stored optimum recertifies."""
    exact = 0
    for inst in _family(suite, "transient"):
        if inst.infeasible:
            continue
        p, x, f = inst.problem, inst.schedule, inst.optimum
        assert isinstance(p, eo.ExecutionProblem) and x is not None and f is not None
        cert = eo.certify(p, x, optimum=f)
        assert cert.feasible and cert.passed(), inst.id
        assert p.objective(x) == pytest.approx(f, rel=REEVAL_RTOL, abs=1e-12), inst.id
        by = inst.data["optimum"]["certified_by"]
        assert len(by) >= 1 + FAMILIES["transient"].crosschecks == 3, (inst.id, by)
        exact += by[0] == "exact"
        for m, fm in inst.data["crosscheck"].items():
            assert fm >= f - _tol(inst, f), (inst.id, m)
            if m in by:
                assert abs(fm - f) <= _tol(inst, f), (inst.id, m)
    assert exact >= 15  # the risk-free quadratic ones; Clarabel for risk and power impact


def test_every_basket_instance_certifies_and_its_crosschecks_agree(suite: list[Instance]) -> None:
    for inst in _family(suite, "basket"):
        if inst.infeasible:
            assert inst.problem is None
            continue
        b, X, f = inst.problem, inst.schedule, inst.optimum
        assert isinstance(b, eo.Basket) and X is not None and f is not None
        assert X.shape == (b.M, b.N)
        cert = certify_basket(b, X)
        assert cert.feasible and cert.passed(), (inst.id, cert.rel_bound_gap)
        assert b.objective(X) == pytest.approx(f, rel=REEVAL_RTOL), inst.id
        by = inst.data["optimum"]["certified_by"]
        assert by[0] == ("exact" if b.decoupled else "clarabel"), inst.id
        assert len(by) >= 2 and "scs" in by, inst.id
        assert ("osqp" in by) == (b.var_limit is None), inst.id
        for m, fm in inst.data["crosscheck"].items():
            assert abs(fm - f) <= _tol(inst, f), (inst.id, m)
        opt = inst.data["optimum"]
        assert opt["unique"] and len(opt["lam"]) == b.M
        assert (opt["nu"] is None) == (b.neutrality_band is None)


def test_a_fresh_transient_solve_matches_the_stored_optimum(by_id: dict[str, Instance]) -> None:
    for iid in (
        "tr-exp-frog-n30-cap",
        "tr-pow-frog-n100-cap",
        "tr-tab-crwv-n60",
        "tr-perm-frog-n50",
    ):
        inst = by_id[iid]
        assert isinstance(inst.problem, eo.ExecutionProblem) and inst.optimum is not None
        sol = eo.solve(inst.problem, method="exact")
        assert sol.objective == pytest.approx(inst.optimum, rel=1e-12), iid


def test_crosscheck_methods_follow_the_family() -> None:
    """Two independent checks for transient optima: SLSQP joins where a cone rules OSQP out."""
    spec = instance_specs(["tr-exp-powimpact-soun-n30"])[0]
    p = fmt.problem_from_instance(spec)
    assert crosscheck_methods(p, minimum=2, first="clarabel") == ["clarabel", "scs", "slsqp"]
    assert crosscheck_methods(p) == ["clarabel", "scs"]  # one is enough elsewhere
    big = fmt.problem_from_instance(instance_specs(["tr-exp-big-n20000-cap"])[0])
    assert crosscheck_methods(big, minimum=2, first="exact") == ["clarabel", "osqp"]


# ----------------------------------------------------------------------------- the checks
def test_a_shift_fails_every_strictly_convex_transient_instance(suite: list[Instance]) -> None:
    tested = 0
    for inst in _family(suite, "transient"):
        p = inst.problem
        if not isinstance(p, eo.ExecutionProblem) or not inst.unique:
            continue
        x = inst.schedule
        assert x is not None
        t, N = int(np.argmax(x)), inst.periods
        for a, b in {(t, (t + 1) % N), (t, (t - 1) % N), (0, N - 1), (N - 1, 0)}:
            y = x.copy()
            y[a] -= SHIFT * inst.shares
            y[b] += SHIFT * inst.shares
            r = evaluate(inst, "schedule", y)
            assert not r.passed, (inst.id, a, b)
        tested += 1
    assert tested >= 15


def test_a_shift_within_one_leg_fails_every_basket_instance(suite: list[Instance]) -> None:
    """1e-3 of a leg's order moved between two of its periods (for its largest and its smallest
    leg): the objective often cannot see it in a basket of larger legs; the leg's own schedule
    tolerance does."""
    tested = 0
    for inst in _family(suite, "basket"):
        if inst.infeasible or not inst.unique:
            continue
        X, S = inst.schedule, inst.leg_shares
        assert X is not None
        N = inst.periods
        trading = np.flatnonzero(S > 0)
        for i in {int(trading[np.argmax(S[trading])]), int(trading[np.argmin(S[trading])])}:
            t = int(np.argmax(X[i]))
            for a, b in {(t, (t + 1) % N), (t, (t - 1) % N), (0, N - 1)}:
                Y = X.copy()
                Y[i, a] -= SHIFT * S[i]
                Y[i, b] += SHIFT * S[i]
                r = evaluate(inst, "schedule", Y)
                assert not r.passed, (inst.id, i, a, b)
        tested += 1
    assert tested >= 20


def test_baskets_the_objective_alone_misses_fail_the_leg_schedule_check(
    by_id: dict[str, Instance],
) -> None:
    """In bk-m50-full the smallest leg's 1e-3 shift costs less than the objective tolerance:
    only the per-leg schedule check (and KKT) catch it."""
    inst = by_id["bk-m50-full"]
    X, S = inst.schedule, inst.leg_shares
    assert X is not None
    i = int(np.argmin(S))
    assert isinstance(inst.problem, eo.Basket)
    room = inst.problem.upper[i] - X[i]
    free = np.flatnonzero((X[i] > SHIFT * S[i]) & (room > SHIFT * S[i]))
    t, u = int(free[0]), int(free[-1])
    Y = X.copy()
    Y[i, t] -= SHIFT * S[i]
    Y[i, u] += SHIFT * S[i]
    r = evaluate(inst, "schedule", Y)
    assert r.check("objective").status == "pass"  # type: ignore[union-attr]
    fail = r.check("schedule")
    assert fail is not None and fail.status == "fail" and f"leg {i} (A{i:02d})" in fail.message


def test_the_stored_optima_nudged_past_a_bound_pass(suite: list[Instance]) -> None:
    """Every transient and basket optimum with a period at its cap carries 1e-8 shares more
    there (taken from another period of the same leg): within tolerance, costed at the cap."""
    tested = set()
    for inst in suite:
        if inst.family not in ("transient", "basket") or inst.infeasible:
            continue
        X = inst.schedule
        assert X is not None and inst.problem is not None
        U = np.atleast_2d(inst.problem.upper)
        X2 = np.atleast_2d(X).copy()
        for i in range(X2.shape[0]):
            S_i = inst.leg_shares[i]
            at = np.flatnonzero(np.isfinite(U[i]) & (X2[i] >= U[i] - checks.FEAS_RTOL * S_i))
            donors = np.flatnonzero(X2[i] > 1.0)
            if at.size == 0 or S_i < 1 or donors.size < 2:
                continue
            t = at[0]
            added = U[i, t] + NUDGE - X2[i, t]
            X2[i, t] += added
            X2[i, donors[donors != t][0]] -= added
            tested.add(inst.id)
        if inst.id not in tested:
            continue
        r = evaluate(inst, "schedule", X2 if inst.is_basket else X2[0])
        assert r.passed, (inst.id, [c.message for c in r.failures])
        assert r.objective is not None and np.isfinite(r.objective)
    assert {"tr-exp-frog-n30-cap", "tr-exp-big-n20000-cap", "tr-exp-full-caps"} <= tested
    assert sum(i.startswith("bk-") for i in tested) >= 5  # the baskets with a leg at its cap


def test_wrong_basket_schedules_get_named_failures(by_id: dict[str, Instance]) -> None:
    inst = by_id["bk-m2-factor-band"]
    X = inst.schedule
    assert X is not None and isinstance(inst.problem, eo.Basket)
    # one leg short of its order
    Y = X.copy()
    Y[1, 5] -= 1.0
    r = evaluate(inst, "schedule", Y)
    assert r.failure_kind() == "violation"
    assert "leg 1 (A01) sums to" in r.check("feasibility").message  # type: ignore[union-attr]
    # the whole basket traded in the first periods: every leg's sum right, the band broken
    b = inst.problem
    fast = np.minimum(b.upper, b.S[:, None])
    before = np.concatenate([np.zeros((b.M, 1)), np.cumsum(fast, axis=1)[:, :-1]], axis=1)
    F = np.clip(b.S[:, None] - before, 0.0, fast)
    r = evaluate(inst, "schedule", F)
    msg = r.check("feasibility").message  # type: ignore[union-attr]
    assert "neutrality band" in msg and "sums to" not in msg
    # TWAP is feasible (caps 2-4 S_i / N, notionals matched) but not optimal
    r = evaluate(inst, "schedule", b.twap())
    assert r.check("feasibility").status == "pass"  # type: ignore[union-attr]
    assert {c.name for c in r.failures} >= {"objective", "schedule", "kkt"}
    assert "lam*_" in r.check("kkt").message  # type: ignore[union-attr]
    # the wrong shape
    r = evaluate(inst, "schedule", X[0])
    assert r.failure_kind() == "format" and "(M, N) = (2, 78)" in r.failures[0].message
    # a VaR limit exceeded
    var = by_id["bk-m5-factor-var"]
    assert isinstance(var.problem, eo.Basket)
    r = evaluate(var, "schedule", var.problem.twap())
    assert "value at risk" in r.check("feasibility").message  # type: ignore[union-attr]


def test_the_kkt_check_with_stored_multipliers_sees_a_binding_band(
    by_id: dict[str, Instance],
) -> None:
    """The stored band multipliers are part of the leg's marginal price: without them the
    stored optimum of a basket whose band binds would fail its own KKT check."""
    inst = next(
        by_id[i]
        for i in ("bk-m2-factor-band", "bk-m5-full-h-band", "bk-m10-factor-h-band")
        if np.any(np.asarray(by_id[i].data["optimum"]["nu"]) != 0)
    )
    b, X = inst.problem, inst.schedule
    assert isinstance(b, eo.Basket) and X is not None
    opt = inst.data["optimum"]
    tol = checks.basket_tolerances(
        shares=b.S,
        prices=b.prices,  # type: ignore[arg-type]
        optimum=opt["objective"],
        lam=np.asarray(opt["lam"]),
        pair_curvature=opt["pair_curvature"],
        hessian_bound=opt["hessian_bound"],
        band=b.neutrality_band,
        var_limit=None,
    )
    lam = np.asarray(opt["lam"])
    ok = checks.basket_misallocation(b, X, lam, tol.price, nu=np.asarray(opt["nu"]))
    assert np.all(ok[:, 0] <= tol.kkt)
    without = checks.basket_misallocation(b, X, lam, tol.price, nu=None)
    assert np.any(without[:, 0] > tol.kkt)
    # the multipliers are what basket_multipliers estimates from the optimum
    m = basket_multipliers(b, X)
    np.testing.assert_allclose(m.lam, lam, rtol=1e-12)
    np.testing.assert_allclose(m.nu, opt["nu"], rtol=1e-12, atol=1e-15)


def test_per_leg_tolerances_and_curvature(by_id: dict[str, Instance]) -> None:
    inst = by_id["bk-m3-empty-leg"]
    tol = inst.data["tolerances"]
    assert tol["schedule"][1] is None  # the empty leg has no free period: KKT only
    assert tol["feasibility"][1] == pytest.approx(1e-9)  # S = 0: 1e-9 shares
    assert all(len(tol[k]) == 3 for k in ("feasibility", "schedule", "kkt", "price"))
    b, X = inst.problem, inst.schedule
    assert isinstance(b, eo.Basket) and X is not None
    # kappa_i of a leg block: b_t + b_s + k C_ii |t - s| + 2 Hbar_ii at the stiffest free pair
    facts = checks.basket_curvature_facts(b, X)
    assert facts.pair_curvature == inst.data["optimum"]["pair_curvature"]


def test_structured_curvature_facts_bound_the_dense_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above DENSE_MAX_N free periods the facts come from the terms' Hessian bounds: the same
    uniqueness, a kappa and an h no smaller than the dense ones."""
    p = eo.ExecutionProblem(
        5000.0,
        eo.QuadraticImpact(0.01, np.linspace(1e-3, 2e-3, 60)),
        periods=60,
        transient=eo.PowerLawKernel(2e-4, 0.7, 2.0),
        permanent=5e-4,
        risk_aversion=1e-5,
        volatility=0.05,
    )
    x = eo.solve(p, method="clarabel").schedule
    dense = checks.curvature_facts(p, x)
    monkeypatch.setattr(checks, "DENSE_MAX_N", 10)
    structured = checks.curvature_facts(p, x)
    assert dense.unique and structured.unique
    assert structured.pair_curvature >= dense.pair_curvature  # type: ignore[operator]
    assert structured.hessian_bound >= dense.hessian_bound  # type: ignore[operator]
    assert structured.pair_curvature < 3 * dense.pair_curvature  # type: ignore[operator]
    for term in p.terms:
        exact, fast = HessianBounds.of_matrix(term.hessian(x)), term.hessian_bounds(x)
        np.testing.assert_allclose(fast.diagonal, exact.diagonal, rtol=1e-12)
        np.testing.assert_allclose(fast.abs_row_sum, exact.abs_row_sum, rtol=1e-12)
        assert fast.offdiag_min == pytest.approx(exact.offdiag_min, rel=1e-12)


def test_basket_hessian_blocks_match_finite_differences(by_id: dict[str, Instance]) -> None:
    b = by_id["bk-m2-full-h-band"].problem
    assert isinstance(b, eo.Basket)
    rng = np.random.default_rng(0)
    X = b.twap() * rng.uniform(0.5, 1.5, (b.M, b.N))
    h = 1e-3
    for i in range(b.M):
        H = b.leg_hessian(i, X)
        for t in (0, 7, b.N - 1):
            E = np.zeros_like(X)
            E[i, t] = h
            col = (b.gradient(X + E) - b.gradient(X - E)) / (2 * h)
            np.testing.assert_allclose(H[:, t], col[i], rtol=1e-6, atol=1e-12)
    rows = b.hessian_abs_row_sums(X)
    E = np.zeros_like(X)
    E[1, 3] = h
    full = np.abs((b.gradient(X + E) - b.gradient(X - E)) / (2 * h))  # column (1, 3) of H
    assert rows.shape == X.shape and np.all(rows >= full - 1e-9)


# ----------------------------------------------------------------------------- schedule files
def test_basket_schedule_files_round_trip(tmp_path: Path) -> None:
    X = np.array([[1.0, 2.5, 0.1], [0.0, 3.0, 1e-17]])
    for periods in (False, True):
        p = write_schedule_csv(tmp_path / f"b{periods}.csv", X, periods=periods)
        sf = read_schedule_csv(p)
        assert sf.legs == 2 and sf.shares is not None and np.array_equal(sf.shares, X)
    assert schedule_text(X).splitlines()[0] == "leg_0,leg_1"
    (tmp_path / "order.csv").write_text("period,leg_1,leg_0\n1,2,1\n2,4,3\n")
    np.testing.assert_array_equal(
        read_schedule_csv(tmp_path / "order.csv").shares, [[1, 3], [2, 4]]
    )
    for text, message in (
        ("leg_0,leg_2\n1,2\n", "leg_0,...,leg_"),
        ("leg_0,shares\n1,2\n", "bad header"),
        ("leg_0,leg_1\n1\n", "1 field"),
        ("leg_0,leg_1\n1,inf\n", "not a finite number"),
        ("leg_0,leg_1\n", "no rows"),
    ):
        (tmp_path / "bad.csv").write_text(text)
        with pytest.raises(eo.errors.DataError, match=message):
            read_schedule_csv(tmp_path / "bad.csv")
    one = read_schedule_csv(write_schedule_csv(tmp_path / "one.csv", [1.0, 2.0]))
    assert one.legs is None and one.shares is not None and one.shares.shape == (2,)


def test_validating_v3_folders_with_baskets_and_coverage(
    tmp_path: Path, suite: list[Instance]
) -> None:
    new = [i for i in suite if i.family in ("transient", "basket")]
    for inst in new:
        if inst.infeasible:
            (tmp_path / f"{inst.id}.csv").write_text("infeasible\n")
        else:
            write_schedule_csv(tmp_path / f"{inst.id}.csv", inst.schedule)
    res = validate_schedules(tmp_path, suite, families=["transient", "basket"])
    assert res.passed, [c.message for r in res.failures() for c in r.failures][:3]
    cov = res.summary()["by_family"]
    assert set(cov) == {"transient", "basket"} and cov["basket"]["coverage"] == 1.0
    compared = [r.check("schedule") for r in res.instances if r.family == "basket"]
    assert sum(c is not None and c.status == "pass" for c in compared) >= 20
    doc = json.loads(json.dumps(res.as_dict()))  # per-leg tolerances are JSON lists
    tols = next(r["tolerances"] for r in doc["instances"] if r["id"] == "bk-m2-full")
    assert len(tols["schedule"]) == 2
    # only the baskets present, the rest not attempted
    part = tmp_path / "part"
    part.mkdir()
    for inst in new:
        if inst.is_basket and not inst.infeasible:
            write_schedule_csv(part / f"{inst.id}.csv", inst.schedule)
    res = validate_schedules(part, suite, only_present=True)
    assert res.passed and res.summary()["by_family"]["transient"]["attempted"] == 0


def test_a_callable_gets_baskets_and_their_infeasibility(suite: list[Instance]) -> None:
    ids = ["bk-m2-factor", "bk-m5-decoupled", "bk-inf-one-sided-band", "tr-exp-frog-n5"]
    insts = [i for i in suite if i.id in ids]

    def solver(arg: object) -> object:
        return eo.solve(as_problem(arg), method="clarabel")  # type: ignore[arg-type]

    res = validate_callable(solver, insts)
    assert res.passed, [c.message for r in res.failures() for c in r.failures]


# ----------------------------------------------------------------------------- versions, CLI
def test_version_2_is_still_read_validated_and_exported(tmp_path: Path) -> None:
    import argparse

    from execopt.cli import suite as cli_suite
    from execopt.cli import validate as cli_validate

    p = argparse.ArgumentParser(prog="execopt")
    sub = p.add_subparsers(dest="command", required=True)
    cli_suite.register(sub)
    cli_validate.register(sub)
    assert (
        cli_suite.run(p.parse_args(["suite", "export", str(tmp_path / "v2"), "--version", "2"]))
        == 0
    )
    v2 = fmt.load_suite(tmp_path / "v2")
    assert {i.version for i in v2} == {2} and len(v2) == 110
    assert "format version 2" in (tmp_path / "v2" / "FORMAT.md").read_text().splitlines()[0]
    out = tmp_path / "out"
    out.mkdir()
    for inst in v2:
        if not inst.infeasible:
            write_schedule_csv(out / f"{inst.id}.csv", inst.schedule)
    args = p.parse_args(["validate", str(out), "--suite", str(tmp_path / "v2"), "--json"])
    assert cli_validate.run(args) == 0
    # the default export is version 3, with the baskets and the v3 documents
    assert cli_suite.run(p.parse_args(["suite", "export", str(tmp_path / "v3")])) == 0
    assert (tmp_path / "v3" / "bk-m50-full.json").is_file()
    assert "format version 3" in (tmp_path / "v3" / "FORMAT.md").read_text().splitlines()[0]


def test_schema_covers_the_new_families(suite: list[Instance]) -> None:
    import jsonschema

    schema = json.loads((fmt.spec_dir() / "instance.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    bk = json.loads(next(i for i in suite if i.id == "bk-m5-full-h-band").path.read_text())
    tr = json.loads(next(i for i in suite if i.id == "tr-tab-crwv-n60").path.read_text())
    assert not list(validator.iter_errors(bk)) and not list(validator.iter_errors(tr))
    for bad, change in (
        (bk, lambda d: d["optimum"].pop("nu")),
        (bk, lambda d: d["legs"][0].update(side="short")),
        (bk, lambda d: d.update(covariance={"kind": "factor", "F": [[1.0]]})),
        (tr, lambda d: d.update(transient={"kernel": "box", "width": 3})),
        (tr, lambda d: d.update(permanent=-1.0)),
    ):
        d = json.loads(json.dumps(bad))
        change(d)
        assert list(validator.iter_errors(d)), change
    with pytest.raises(eo.errors.DataError, match=r"optimum\.lam must be a list of M = 5"):
        d = json.loads(json.dumps(bk))
        d["optimum"]["lam"] = 1.0
        fmt.check_instance(d, where="bk")
    with pytest.raises(eo.errors.DataError, match="need format version 3"):
        fmt.check_instance({**tr, "version": 2}, where="tr")


def test_the_qp_adapter_attempts_transient_qps_and_leaves_baskets(tmp_path: Path) -> None:
    """K from the kernel fields, or the exponential chain: both reach the certified optimum."""
    qpsolvers = pytest.importorskip("qpsolvers")
    if "clarabel" not in qpsolvers.available_solvers:  # pragma: no cover
        pytest.skip("Clarabel through qpsolvers is needed")
    from execopt.studies.qp_adapter import build_qp, run_adapter

    suite = tmp_path / "suite"
    fmt.export_suite(suite)
    d = json.loads((suite / "tr-exp-frog-n30-cap.json").read_text())
    chain = build_qp(d)
    assert chain.q.shape[0] == 2 * d["periods"]  # x and the chain z
    dense = build_qp(
        {
            **d,
            "transient": {
                "kernel": "tabulated",
                "values": list(3e-4 * 2.0 ** (-np.arange(30) / 10.0)),
            },
        }
    )
    assert dense.q.shape[0] == 30
    ids = ["tr-exp-frog-n30-cap", "tr-tab-crwv-n60", "tr-exp-powimpact-soun-n30", "bk-m2-factor"]
    run = run_adapter(suite, tmp_path / "out", "clarabel", "tight", ids=ids)
    got = {r.id: r.outcome for r in run.records}
    assert got == {
        "tr-exp-frog-n30-cap": "solved",
        "tr-tab-crwv-n60": "solved",
        "tr-exp-powimpact-soun-n30": "not-qp",
        "bk-m2-factor": "not-qp",
    }
    res = validate_schedules(tmp_path / "out", suite, ids=ids, only_present=True)
    assert res.passed and res.n_attempted == 2
