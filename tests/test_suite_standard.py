"""The reference suite as a standard (issue 13): the language-neutral specification, the schedule
and KKT checks, one tolerance for feasibility and cost, subsets and coverage, version 1 still read.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest

import execopt as eo
from execopt.errors import InputError, NotSupportedError
from execopt.studies.suite import format as fmt
from execopt.studies.suite.catalogue import FAMILIES
from execopt.studies.suite.checks import (
    DEFAULT_RTOL,
    FEAS_RTOL,
    GAP_ATOL_NOTIONAL,
    SCHEDULE_RTOL_MAX,
)
from execopt.studies.suite.validate import (
    Instance,
    evaluate,
    instance_tolerances,
    validate_schedules,
    write_schedule_csv,
)

#: The shift the outside team used: 1e-3 of the order moved between two periods.
SHIFT = 1e-3
#: Shares past a bound that a schedule within the feasibility tolerance may carry (the team saw
#: 1e-8 to 2e-7 shares past the visible depth fail).
NUDGES = (1e-8, 2e-7)


@pytest.fixture(scope="module")
def suite() -> list[Instance]:
    return fmt.load_suite()


@pytest.fixture(scope="module")
def by_id(suite: list[Instance]) -> dict[str, Instance]:
    return {i.id: i for i in suite}


def _strictly_convex(inst: Instance) -> bool:
    """A single-asset instance with a strictly convex objective (baskets: tests/test_suite_v3.py)."""
    p = inst.problem
    return isinstance(p, eo.ExecutionProblem) and (p.impact.strictly_convex or p.has_risk)


# ----------------------------------------------------------------------------- the specification
def test_every_instance_matches_the_json_schema(suite: list[Instance]) -> None:
    import jsonschema

    schema = json.loads((fmt.spec_dir() / "instance.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for inst in suite:
        raw = json.loads(inst.path.read_text())
        errors = sorted(validator.iter_errors(raw), key=str)
        assert not errors, (inst.id, errors[0].message)
    bad = json.loads(suite[0].path.read_text())
    bad["impact"] = {"model": "cubic", "c": 1.0}
    assert list(validator.iter_errors(bad))
    bad = json.loads(next(i for i in suite if not i.infeasible).path.read_text())
    del bad["optimum"]["lam"]
    assert list(validator.iter_errors(bad))


def test_format_md_specifies_every_family_and_the_constants() -> None:
    text = (fmt.spec_dir() / "FORMAT.md").read_text()
    for name in FAMILIES:
        assert re.search(rf"^### 2\.\d+ family `{re.escape(name)}`$", text, re.M), name
    for constant, value in (
        ("rtol", DEFAULT_RTOL),
        ("feas_rtol", FEAS_RTOL),
        ("GAP_ATOL_NOTIONAL", GAP_ATOL_NOTIONAL),
        ("SCHEDULE_RTOL_MAX", SCHEDULE_RTOL_MAX),
    ):
        assert f"{constant} = {value:.0e}".replace("e-0", "e-") in text, constant
    schema = json.loads((fmt.spec_dir() / "instance.schema.json").read_text())
    for kind in ("single", "basket"):
        for field in schema["$defs"][kind]["required"]:
            assert f"`{field}`" in text, (kind, field)


def test_packaged_documents_are_the_spec_and_the_docstring_counts_right(
    suite: list[Instance],
) -> None:
    packaged = fmt.packaged_suite_dir()
    for name in fmt.DOCUMENTS:
        assert (packaged / name).read_bytes() == (fmt.spec_dir() / name).read_bytes(), name
    assert f'"count": {len(suite)}' in (fmt.__doc__ or "")
    assert fmt.read_manifest(packaged)["count"] == len(suite)


def test_version_1_is_still_read_and_validated(tmp_path: Path) -> None:
    v1 = fmt.load_suite(version=1)
    assert v1 and {i.version for i in v1} == {1}
    assert {i.family for i in v1} == set(FAMILIES) - {"transient", "basket"}  # the v3 families
    for inst in v1:
        if not inst.infeasible:
            write_schedule_csv(tmp_path / f"{inst.id}.csv", inst.schedule)
    res = validate_schedules(tmp_path, v1)
    assert res.passed, [c.message for r in res.failures() for c in r.failures][:3]
    assert any(r.check("schedule").status == "pass" for r in res.instances)  # type: ignore[union-attr]


# ----------------------------------------------------------------------------- the checks
def test_a_shift_between_two_periods_fails_every_strictly_convex_instance(
    suite: list[Instance],
) -> None:
    """1e-3 of the order moved between two periods: between the largest trade and each
    neighbour, and between the first and the last period (every strictly convex instance with
    S > 0 and N > 1)."""
    tested = set()
    for inst in suite:
        if inst.infeasible or not _strictly_convex(inst) or inst.shares == 0 or inst.periods < 2:
            continue
        tested.add(inst.id)
        x = inst.schedule
        assert x is not None
        t = int(np.argmax(x))
        N = inst.periods
        for a, b in {(t, (t + 1) % N), (t, (t - 1) % N), (0, N - 1), (N - 1, 0)}:
            y = x.copy()
            y[a] -= SHIFT * inst.shares
            y[b] += SHIFT * inst.shares
            r = evaluate(inst, "schedule", y)
            assert not r.passed, (inst.id, a, b, [c.message for c in r.checks])
    assert len(tested) >= 60


def test_the_stored_optima_nudged_past_a_bound_pass(suite: list[Instance]) -> None:
    """Every period at its cap or visible depth carries 1e-8 (and 2e-7) shares more, taken from
    another period where there is one: within the feasibility tolerance, costed at the bound."""
    tested = set()
    for inst in suite:
        if inst.infeasible or inst.shares < 1 or inst.is_basket:  # baskets: test_suite_v3.py
            continue
        p, x = inst.problem, inst.schedule
        assert p is not None and x is not None
        # at the bound to within the tolerance (Clarabel's optima sit 1e-9 shares inside it)
        at = np.flatnonzero(np.isfinite(p.upper) & (x >= p.upper - FEAS_RTOL * inst.shares))
        if at.size == 0:
            continue
        for nudge in NUDGES:
            if nudge > FEAS_RTOL * inst.shares:
                continue
            y = x.copy()
            t = at[0]
            added = p.upper[t] + nudge - y[t]  # now exactly `nudge` shares past the bound
            y[t] += added
            donors = np.flatnonzero(x > 1.0)
            donors = donors[donors != t]
            if donors.size:
                y[donors[0]] -= added
            r = evaluate(inst, "schedule", y)
            assert r.passed, (inst.id, nudge, [c.message for c in r.failures])
            assert r.objective is not None and np.isfinite(r.objective)
            tested.add(inst.id)
    assert {"deg-full-pw-depth", "mv-frog-book-n30", "deg-full-qi-caps"} <= tested


def test_a_non_optimal_vertex_within_the_objective_tolerance_fails_the_kkt_check(
    by_id: dict[str, Instance],
) -> None:
    """A linear program (b = 0): move shares from the marginal period to the cheapest unused one,
    few enough that the objective cannot see it; the KKT check with the stored dual does."""
    inst = by_id["deg-linear-caps"]
    p, x, lam = inst.problem, inst.schedule, inst.lam
    assert p is not None and x is not None and lam is not None and not inst.unique
    a = np.broadcast_to(p.impact.a, x.shape)
    tol = instance_tolerances(inst)
    src = int(np.flatnonzero((x > 0) & (x < p.upper))[0])  # the marginal period
    dear = np.flatnonzero((x == 0) & (a > lam))
    dst = int(dear[np.argmin(a[dear])])
    d = 0.5 * tol.objective / (a[dst] - a[src])
    assert d > 2 * tol.kkt  # a misallocation the objective check cannot see
    y = x.copy()
    y[src] -= d
    y[dst] += d
    r = evaluate(inst, "schedule", y)
    assert r.check("objective").status == "pass"  # type: ignore[union-attr]
    (fail,) = r.failures
    assert fail.name == "kkt" and f"period {dst}" in fail.message
    # ties are genuinely optimal and pass: the same move between two tied cheapest periods
    tie = by_id["deg-linear-ties"]
    xt = tie.schedule
    assert xt is not None
    yt = xt.copy()
    yt[0], yt[1] = xt[0] - 5.0, xt[1] + 5.0  # both below the cap of 150
    assert evaluate(tie, "schedule", yt).passed


def test_the_s0_rule(by_id: dict[str, Instance]) -> None:
    inst = by_id["deg-s0-qi"]
    N = inst.periods
    assert evaluate(inst, "schedule", np.zeros(N)).passed
    assert evaluate(inst, "schedule", np.full(N, 0.5e-9 / N)).passed
    r = evaluate(inst, "schedule", np.full(N, 1e-8))  # 3.9e-6 shares in total
    assert r.check("feasibility").status == "fail"  # type: ignore[union-attr]


def test_feasibility_and_cost_use_one_tolerance(tmp_path: Path, by_id: dict[str, Instance]) -> None:
    """A looser --feas-rtol moves the costing rule with it: 1e-6 shares past the depth passes at
    feas_rtol 1e-9 x S (S = total depth) and is costed at the depth, never at inf."""
    inst = by_id["deg-full-pw-depth"]
    x = inst.schedule
    assert x is not None
    y = x.copy()
    y[3] += 5e-5
    strict = evaluate(inst, "schedule", y, feas_rtol=1e-10)
    assert strict.check("feasibility").status == "fail"  # type: ignore[union-attr]
    loose = evaluate(inst, "schedule", y, feas_rtol=1e-8)
    assert loose.passed and loose.objective == pytest.approx(inst.optimum, rel=1e-12)


# ----------------------------------------------------------------------------- subsets, coverage
def _write(folder: Path, insts: list[Instance]) -> None:
    for inst in insts:
        if inst.infeasible:
            (folder / f"{inst.id}.csv").write_text("infeasible\n")
        else:
            write_schedule_csv(folder / f"{inst.id}.csv", inst.schedule)


def test_only_present_and_families(tmp_path: Path, suite: list[Instance]) -> None:
    qp = [i for i in suite if i.cone in ("lp", "qp")]
    _write(tmp_path, qp)
    res = validate_schedules(tmp_path, only_present=True)
    assert res.passed and res.n_attempted == len(qp) and res.n_not_attempted == len(suite) - len(qp)
    cov = res.summary()["by_family"]
    assert cov["power"]["not_attempted"] > 0 and cov["piecewise"]["coverage"] == 1.0
    assert not validate_schedules(tmp_path).passed  # without the flag a missing file fails
    only = validate_schedules(tmp_path, families=["piecewise", "quadratic"])
    assert {r.family for r in only.instances} == {"piecewise", "quadratic"} and only.passed
    with pytest.raises(InputError, match="unknown family cubic"):
        validate_schedules(tmp_path, families=["cubic"])
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = validate_schedules(empty, only_present=True)
    assert not nothing.passed and nothing.n_attempted == 0  # nothing attempted is not a pass


def test_cli_only_present_families_and_coverage_in_reports(
    tmp_path: Path, suite: list[Instance], capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from execopt.cli import validate as cli_validate

    p = argparse.ArgumentParser(prog="execopt")
    cli_validate.register(p.add_subparsers(dest="command", required=True))
    out = tmp_path / "out"
    out.mkdir()
    _write(out, [i for i in suite if i.family == "quadratic"])
    html = tmp_path / "r.html"
    args = p.parse_args(["validate", str(out), "--only-present", "--json", "--report", str(html)])
    assert cli_validate.run(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["by_family"]["quadratic"]["coverage"] == 1.0
    assert doc["summary"]["by_family"]["power"]["attempted"] == 0
    page = html.read_text()
    assert "Coverage by family" in page and "not attempted" in page
    args = p.parse_args(["validate", str(out), "--families", "quadratic"])
    assert cli_validate.run(args) == 0
    args = p.parse_args(["validate", str(out), "--families", "power,quadratic"])
    assert cli_validate.run(args) == 1  # power files missing without --only-present
    args = p.parse_args(["validate", str(out), "--families", "nope"])
    assert cli_validate.run(args) == 2
    assert "unknown family nope" in capsys.readouterr().err


# ----------------------------------------------------------------------------- the seam
def test_models_declare_their_curvature() -> None:
    x = np.array([0.5, 3.0, 40.0])
    q = eo.QuadraticImpact(a=0.01, b=[1e-3, 2e-3, 3e-3])
    np.testing.assert_allclose(q.curvature(x), [2e-3, 4e-3, 6e-3])
    pw = eo.PowerLawImpact(gamma=0.015, delta=0.67)
    exact = pw.curvature(x)
    numeric = super(type(pw), pw).curvature(x)  # the base class's central differences
    np.testing.assert_allclose(numeric, exact, rtol=1e-5)
    assert np.all(eo.PiecewiseLinearImpact([0.01, 0.02], [10, 20]).curvature(x) == 0)


def test_clarabel_direct_is_generic_over_diagonal_quadratics() -> None:
    from execopt.solvers.clarabel_direct import clarabel_direct

    m = eo.QuadraticImpact(a=np.linspace(0.01, 0.03, 50), b=np.linspace(1e-3, 2e-3, 50))
    p = eo.ExecutionProblem(5000.0, m, periods=50, cap=150.0)
    x = clarabel_direct(p)
    assert p.objective(x) == pytest.approx(eo.solve(p).objective, rel=1e-8)
    risky = eo.ExecutionProblem(5000.0, m, periods=50, risk_aversion=1e-4, volatility=0.05)
    with pytest.raises(NotSupportedError, match="method='clarabel'"):
        clarabel_direct(risky)


def test_the_qp_adapter_imports_nothing_from_execopt() -> None:
    """It is what an outside team writes from FORMAT.md: json, NumPy, SciPy, qpsolvers only."""
    src = Path(__file__).resolve().parent.parent / "src/execopt/studies/qp_adapter.py"
    tree = ast.parse(src.read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.startswith("execopt")], names


def test_a_failing_method_never_suggests_itself() -> None:
    from execopt.solvers.conic import _alternatives

    p = eo.ExecutionProblem(1000.0, eo.QuadraticImpact(0.01, 1e-3), periods=10)
    assert "clarabel" not in _alternatives("clarabel", p) and "exact" in _alternatives(
        "clarabel", p
    )
    risky = eo.ExecutionProblem(
        1000.0, eo.QuadraticImpact(0.01, 1e-3), periods=10, risk_aversion=1e-4, volatility=0.05
    )
    assert _alternatives("scs", risky) == "try method='clarabel'"


@pytest.mark.parametrize(
    "module",
    [
        "execopt.studies.suite",
        "execopt.studies.suite.catalogue",
        "execopt.studies.suite.format",
        "execopt.studies.suite.validate",
        "execopt.studies.leaderboard",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    """The examples in the suite's and the leaderboard's docstrings are executed."""
    import doctest
    import importlib

    if (
        module.endswith("leaderboard")
        and "clarabel"
        not in __import__(
            "execopt.studies.leaderboard", fromlist=["available_solvers"]
        ).available_solvers()[0]
    ):
        pytest.skip("Clarabel through qpsolvers is needed")
    res = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted > 0
