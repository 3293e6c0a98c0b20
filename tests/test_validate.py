"""Validation of schedules and callables against the reference suite; reports and the CLI."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pytest

import execopt as eo
from execopt.errors import InfeasibleError, InputError
from execopt.reporting.validation_report import (
    markdown_table,
    render_html,
    render_markdown,
    write_report,
    write_self_validation,
)
from execopt.studies.suite import (
    Instance,
    ValidationResult,
    as_problem,
    load_suite,
    read_schedule_csv,
    self_validation,
    self_validation_runs,
    validate_callable,
    validate_schedules,
    write_schedule_csv,
)
from execopt.studies.suite.validate import ScheduleFormatError

#: Intraday quadratic, uncapped, N = 390: moving shares between periods always costs something.
QI = "qi-frog-n390"
#: A capped piecewise instance and an infeasible one.
PW = "pw-frog-n30-caps"
INF = "inf-q-cap"


@pytest.fixture(scope="module")
def suite() -> list[Instance]:
    return load_suite()


@pytest.fixture(scope="module")
def by_id(suite: list[Instance]) -> dict[str, Instance]:
    return {i.id: i for i in suite}


def _write_all(folder: Path, suite: list[Instance]) -> None:
    for inst in suite:
        if inst.infeasible:
            continue
        write_schedule_csv(folder / f"{inst.id}.csv", inst.schedule)


def _one(folder: Path, by_id: dict[str, Instance], iid: str) -> ValidationResult:
    return validate_schedules(folder, [by_id[iid]])


# ----------------------------------------------------------------------------- schedule files
def test_the_stored_optima_pass(tmp_path: Path, suite: list[Instance]) -> None:
    _write_all(tmp_path, suite)
    res = validate_schedules(tmp_path)
    assert res.passed, [c.message for r in res.failures() for c in r.failures]
    assert res.n_passed == len(suite) >= 100
    assert res.unexpected == ()
    # infeasible instances without a file pass; the certificate's residuals are information only
    r = res[INF]
    assert r.passed and r.check("presence").status == "pass"  # type: ignore[union-attr]
    assert res[QI].check("certificate").status == "info"  # type: ignore[union-attr]
    assert res[QI].check("schedule").status == "pass"  # type: ignore[union-attr]
    assert res[QI].check("kkt").status == "pass"  # type: ignore[union-attr]
    assert res[PW].check("schedule").status == "n/a"  # an LP: not unique
    assert res[QI].rel_gap == 0.0 and res[QI].schedule_error == 0.0


def test_moving_a_tenth_of_a_percent_fails_the_gap(
    tmp_path: Path, by_id: dict[str, Instance]
) -> None:
    inst = by_id[QI]
    x = inst.schedule
    assert x is not None
    d = 1e-3 * inst.shares  # 0.1 % of the order moved from one period to another
    x[100] -= d
    x[300] += d
    write_schedule_csv(tmp_path / f"{QI}.csv", x)
    r = _one(tmp_path, by_id, QI)[QI]
    assert not r.passed
    assert r.check("feasibility").status == "pass"  # type: ignore[union-attr]
    fails = {c.name: c for c in r.failures}
    assert {"objective", "schedule"} <= set(fails)
    fail = fails["objective"]
    assert QI in fail.message and "objective" in fail.message and "bp of notional" in fail.message
    assert "off by" in fails["schedule"].message and "of S" in fails["schedule"].message
    assert r.gap is not None and r.gap > 0 and r.gap_bps is not None and r.gap_bps > 0


def test_missing_the_total_fails_feasibility(tmp_path: Path, by_id: dict[str, Instance]) -> None:
    x = by_id[QI].schedule
    assert x is not None
    x[5] -= 1.0
    write_schedule_csv(tmp_path / f"{QI}.csv", x)
    r = _one(tmp_path, by_id, QI)[QI]
    (fail,) = r.failures
    assert fail.name == "feasibility" and QI in fail.message and "sums to" in fail.message
    assert r.check("objective").status == "n/a"  # type: ignore[union-attr]


def test_a_negative_entry_fails_feasibility(tmp_path: Path, by_id: dict[str, Instance]) -> None:
    inst = by_id[PW]
    x = inst.schedule
    assert x is not None
    x[0], x[1] = -2.0, x[1] + x[0] + 2.0  # the total is unchanged
    write_schedule_csv(tmp_path / f"{PW}.csv", x)
    r = _one(tmp_path, by_id, PW)[PW]
    (fail,) = r.failures
    assert fail.name == "feasibility" and PW in fail.message and "negative entry" in fail.message


def test_exceeding_a_cap_fails_feasibility(tmp_path: Path, by_id: dict[str, Instance]) -> None:
    inst = by_id[PW]
    assert inst.problem is not None
    x = inst.schedule
    assert x is not None
    t = int(np.argmax(inst.problem.upper - x > 10))
    x[t] = inst.problem.upper[t] + 5.0
    x[(t + 1) % 30] -= 5.0 + inst.problem.upper[t] - inst.schedule[t]  # type: ignore[index]
    write_schedule_csv(tmp_path / f"{PW}.csv", x)
    r = _one(tmp_path, by_id, PW)[PW]
    assert not r.passed
    assert any(c.name == "feasibility" and "over its" in c.message for c in r.failures)


def test_a_wrong_length_fails_format(tmp_path: Path, by_id: dict[str, Instance]) -> None:
    x = by_id[QI].schedule
    assert x is not None
    write_schedule_csv(tmp_path / f"{QI}.csv", x[:-1])
    (fail,) = _one(tmp_path, by_id, QI)[QI].failures
    assert (
        fail.name == "format"
        and QI in fail.message
        and "389 rows, expected N = 390" in fail.message
    )
    assert f"{QI}.csv" in fail.message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"shares\n1.0\nabc\n", "line 3: 'abc' is not a number"),
        (b"shares\n1.0\nnan\n", "line 3: 'nan' is not a finite number"),
        (b"qty\n1.0\n", "line 1: bad header"),
        (b"", "the file is empty"),
        (b"shares\n", "no rows"),
        (b"shares\n\xff\xfe\x00\n", "line 2: not UTF-8"),
        (b"period,shares\n0,1.0\n2,1.0\n", "line 3: period 2 out of order"),
        (b"period,shares\n0,1.0\n1\n", "line 3: 1 field(s), expected 2"),
    ],
)
def test_an_unreadable_file_fails_naming_file_and_line(
    tmp_path: Path, by_id: dict[str, Instance], content: bytes, expected: str
) -> None:
    (tmp_path / f"{QI}.csv").write_bytes(content)
    r = _one(tmp_path, by_id, QI)[QI]
    (fail,) = r.failures
    assert fail.name == "format" and QI in fail.message and f"{QI}.csv" in fail.message
    assert expected in fail.message


def test_a_missing_file_fails_presence(tmp_path: Path, by_id: dict[str, Instance]) -> None:
    (fail,) = _one(tmp_path, by_id, QI)[QI].failures
    assert fail.name == "presence" and QI in fail.message and "no file" in fail.message


def test_infeasible_instances(tmp_path: Path, by_id: dict[str, Instance]) -> None:
    assert _one(tmp_path, by_id, INF).passed  # no file: correct
    (tmp_path / f"{INF}.csv").write_text("INFEASIBLE: S exceeds the caps\n")
    assert _one(tmp_path, by_id, INF).passed  # the solver says so: correct
    write_schedule_csv(tmp_path / f"{INF}.csv", np.full(390, 20.0))
    (fail,) = _one(tmp_path, by_id, INF)[INF].failures
    assert fail.name == "presence" and INF in fail.message and "infeasible" in fail.message
    # a feasible instance claimed infeasible fails
    (tmp_path / f"{QI}.csv").write_text("infeasible\n")
    (fail,) = _one(tmp_path, by_id, QI)[QI].failures
    assert "reported the instance infeasible, but it is feasible" in fail.message


def test_period_shares_format_is_accepted(tmp_path: Path, by_id: dict[str, Instance]) -> None:
    x = by_id[PW].schedule
    assert x is not None
    lines = ["period , shares"] + [f"{t + 1},{v!r}" for t, v in enumerate(x.tolist())]
    (tmp_path / f"{PW}.csv").write_text("\n".join(lines) + "\n\n")
    assert _one(tmp_path, by_id, PW).passed
    sf = read_schedule_csv(tmp_path / f"{PW}.csv")
    np.testing.assert_array_equal(sf.shares, x)


def test_read_schedule_csv_errors_are_typed(tmp_path: Path) -> None:
    with pytest.raises(ScheduleFormatError, match="cannot read"):
        read_schedule_csv(tmp_path / "none.csv")
    (tmp_path / "x.csv").write_text("infeasible\n")
    assert read_schedule_csv(tmp_path / "x.csv").infeasible


def test_missing_schedules_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        validate_schedules(tmp_path / "nope")


def test_unexpected_files_are_listed(tmp_path: Path, suite: list[Instance]) -> None:
    (tmp_path / "not-an-instance.csv").write_text("shares\n1\n")
    res = validate_schedules(tmp_path, suite)
    assert res.unexpected == ("not-an-instance.csv",)
    assert not res.passed  # every feasible instance is missing


# ----------------------------------------------------------------------------- callables
def _subset(by_id: dict[str, Instance]) -> list[Instance]:
    return [by_id[i] for i in ("q-frog-n10", QI, PW, "powi-soun-n30-cap", "mv-frog-n10-k1e-4", INF)]


def test_validate_callable_with_the_toolkit(by_id: dict[str, Instance]) -> None:
    res = validate_callable(lambda p: eo.solve(as_problem(p), method="clarabel"), _subset(by_id))
    assert res.passed, [c.message for r in res.failures() for c in r.failures]
    assert all(r.seconds is not None and r.seconds >= 0 for r in res.instances)
    assert res.source == "callable <lambda>"


def test_validate_callable_failures(by_id: dict[str, Instance]) -> None:
    sub = _subset(by_id)

    def broken(p: object) -> object:
        problem = as_problem(p)  # raises InfeasibleError for the infeasible instance: correct
        if problem.periods == 10:
            raise RuntimeError("boom")
        if problem.periods == 30:
            return None
        return np.full(problem.periods, problem.shares / problem.periods)  # TWAP

    res = validate_callable(broken, sub, name="broken")
    assert res[INF].passed
    assert "RuntimeError: boom" in res["q-frog-n10"].failures[0].message
    assert "returned None" in res[PW].failures[0].message
    assert res[QI].failures[0].name == "objective"  # TWAP is not optimal with intraday costs


def test_as_problem() -> None:
    d = load_suite(ids=[INF])[0].data
    with pytest.raises(InfeasibleError):
        as_problem(d)
    p = load_suite(ids=["q-frog-n10"])[0].problem
    assert as_problem(p) is p  # type: ignore[arg-type]


def test_validate_callable_timeout(by_id: dict[str, Instance]) -> None:
    def slow(p: object) -> object:
        time.sleep(30)
        return None

    res = validate_callable(slow, [by_id["q-frog-n10"]], timeout=0.05)
    (fail,) = res["q-frog-n10"].failures
    assert fail.name == "time" and "limit 0.05 s" in fail.message


def test_validate_callable_records_warnings(by_id: dict[str, Instance]) -> None:
    import warnings

    def noisy(p: object) -> object:
        warnings.warn("careful", UserWarning, stacklevel=1)
        return eo.solve(as_problem(p))

    res = validate_callable(noisy, [by_id["q-frog-n10"]])
    assert res.passed and res.meta["warnings"] == 1


# ----------------------------------------------------------------------------- self-validation
def test_self_validation_quick(by_id: dict[str, Instance]) -> None:
    sub = [
        by_id[i] for i in ("q-frog-n10", "pow-soun-n10", "mv-frog-n10-k1e-4", "big-q-n100000", INF)
    ]
    runs = self_validation_runs(("exact", "osqp"), suite=sub)
    assert set(runs["status"]) <= {"pass", "n/a"}
    na = runs[runs["status"] == "n/a"].set_index(["method", "id"])["reason"]
    assert "OSQP" in na[("osqp", "pow-soun-n10")]  # a power cone: not applicable, not a failure
    assert "N = 100000" in na[("osqp", "big-q-n100000")]
    assert ("exact", "big-q-n100000") not in na.index
    assert INF not in set(runs["id"])  # refused before any method runs
    table = self_validation(("exact", "osqp"), suite=sub)
    assert list(table["method"]) == ["exact", "osqp"]
    assert (table["failed"] == 0).all() and (table["pass_rate"] == 1.0).all()


@pytest.mark.slow
def test_self_validation_fast_mode_all_methods() -> None:
    table = self_validation(fast=True)
    assert list(table["method"]) == ["exact", "clarabel", "osqp", "scs", "slsqp", "de"]
    ok = table.set_index("method")
    for m in ("exact", "clarabel", "osqp", "scs"):
        assert ok.loc[m, "failed"] == 0, m


def test_write_self_validation(tmp_path: Path, by_id: dict[str, Instance]) -> None:
    table = self_validation(("exact",), suite=[by_id["q-frog-n10"], by_id[PW]])
    csv, md = write_self_validation(table, tmp_path / "reports" / "validation")
    assert csv.name == "self_validation.csv" and md.name == "self_validation.md"
    assert "| exact |" in md.read_text()
    assert csv.read_text().startswith("method,")


# ----------------------------------------------------------------------------- reports and CLI
def test_reports(tmp_path: Path, by_id: dict[str, Instance]) -> None:
    (tmp_path / f"{QI}.csv").write_text("shares\n1\n")
    res = validate_schedules(tmp_path, [by_id[QI], by_id[INF]])
    html = render_html(res)
    assert "<!DOCTYPE html>" in html and QI in html and "FAIL" in html
    md = render_markdown(res)
    assert "## Failures" in md and QI in md
    assert write_report(res, tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert write_report(res, tmp_path / "r.md").read_text().startswith("# Reference")
    with pytest.raises(InputError, match=r"\.html or \.md"):
        write_report(res, tmp_path / "r.pdf")
    assert json.loads(json.dumps(res.as_dict(), allow_nan=False))["summary"]["n_failed"] == 1
    assert list(res.to_frame()["verdict"]) == ["fail", "pass"]
    assert (
        markdown_table([("a|b", 1)], ["x", "y"], align=["l", "r"]).splitlines()[2]
        == "| a\\|b | 1 |"
    )


def _validate_parser() -> argparse.ArgumentParser:
    from execopt.cli import validate as cli_validate

    p = argparse.ArgumentParser(prog="execopt")
    sub = p.add_subparsers(dest="command", required=True)
    cli_validate.register(sub)
    return p


def test_cli_validate(
    tmp_path: Path, suite: list[Instance], capsys: pytest.CaptureFixture[str]
) -> None:
    from execopt.cli import validate as cli_validate

    good = tmp_path / "good"
    good.mkdir()
    _write_all(good, suite)
    args = _validate_parser().parse_args(
        [
            "validate",
            str(good),
            "--report",
            str(tmp_path / "r.html"),
            "--md",
            str(tmp_path / "r.md"),
        ]
    )
    assert cli_validate.run(args) == 0
    out = capsys.readouterr().out
    assert "Summary" in out and QI in out
    assert (tmp_path / "r.html").is_file() and (tmp_path / "r.md").is_file()

    (good / f"{QI}.csv").unlink()
    args = _validate_parser().parse_args(["validate", str(good), "--json"])
    assert cli_validate.run(args) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["n_failed"] == 1 and not doc["summary"]["passed"]

    args = _validate_parser().parse_args(["validate", str(good), "--failures-only"])
    assert cli_validate.run(args) == 1
    assert "no file" in capsys.readouterr().out

    args = _validate_parser().parse_args(["validate", str(tmp_path / "missing")])
    assert cli_validate.run(args) == 2
    assert "does not exist" in capsys.readouterr().err
    args = _validate_parser().parse_args(["validate", str(good), "--suite", str(tmp_path / "x")])
    assert cli_validate.run(args) == 2
