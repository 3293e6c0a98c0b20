"""The external-solver leaderboard (issue 13): a QP-only adapter written from FORMAT.md alone,
judged through the schedule files only; every installed qpsolvers backend on a fast subset."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from execopt.studies.leaderboard import (
    FAST_IDS,
    KINDS,
    SOLVERS,
    available_solvers,
    leaderboard_runs,
    summarize_leaderboard,
)
from execopt.studies.suite.format import export_suite

INSTALLED, MISSING = available_solvers()
#: Seconds for the whole-suite adapter run of the done-criterion test (it takes ~6 s here).
ADAPTER_TIMEOUT = 300


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    if not INSTALLED:  # pragma: no cover - qpsolvers is in the dev extra
        pytest.skip("qpsolvers is not installed (pip install execopt[leaderboard])")
    return leaderboard_runs(INSTALLED, ("tight",), fast=True)


@pytest.mark.parametrize("solver", SOLVERS)
def test_each_installed_solver_is_on_the_board(runs: pd.DataFrame, solver: str) -> None:
    if solver in MISSING:
        pytest.skip(MISSING[solver])
    mine = runs[runs["solver"] == solver]
    assert set(mine["id"]) == set(FAST_IDS)
    qp = mine[mine["qp"]]
    # pow-soun-n10 is a power cone, bk-m2-factor a basket: neither is attempted by the adapter
    assert len(qp) == len(FAST_IDS) - 2
    # every QP instance either passes or has a failure kind; non-QP ones are not attempted
    assert ((qp["verdict"] == "pass") | qp["kind"].isin(KINDS)).all()
    assert (mine.loc[~mine["qp"], "verdict"] == "not attempted").all()


def test_the_summary_table(runs: pd.DataFrame) -> None:
    table = summarize_leaderboard(runs)
    overall = table[table["family"] == "all"].set_index("solver")
    assert set(overall.index) == set(INSTALLED)
    for col in ("success_rate", "shgeom_ms", "worst_rel_gap", "worst_violation", *KINDS):
        assert col in table.columns
    fails = overall[list(KINDS)].sum(axis=1)
    assert (overall["passed"] + fails == overall["qp_instances"]).all()
    if "clarabel" in overall.index:  # an interior-point solver at tight settings passes all
        assert overall.loc["clarabel", "success_rate"] == 1.0


@pytest.mark.skipif("clarabel" not in INSTALLED, reason="Clarabel through qpsolvers is needed")
def test_a_qp_only_adapter_from_format_md_passes_with_only_present(tmp_path: Path) -> None:
    """The done criterion: the adapter, run on the exported files of the whole suite, then
    `execopt validate --only-present` as a command: exit 0, every QP instance attempted."""
    suite, out = tmp_path / "suite", tmp_path / "out"
    export_suite(suite)
    assert (suite / "FORMAT.md").is_file() and (suite / "instance.schema.json").is_file()
    adapter = [sys.executable, "-m", "execopt.studies.qp_adapter", "--suite", str(suite)]
    adapter += ["--out", str(out), "--solver", "clarabel", "--setting", "tight"]
    subprocess.run(adapter, check=True, capture_output=True, timeout=ADAPTER_TIMEOUT)
    cmd = [sys.executable, "-m", "execopt.cli.main", "validate", str(out), "--suite", str(suite)]
    proc = subprocess.run(
        [*cmd, "--only-present", "--json"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    import json

    summary = json.loads(proc.stdout)["summary"]
    assert summary["passed"] and summary["n_failed"] == 0
    assert summary["by_family"]["quadratic"]["coverage"] == 1.0
    assert summary["by_family"]["piecewise"]["coverage"] == 1.0
    assert summary["by_family"]["power"]["not_attempted"] > 0
    # transient QPs are attempted (K from the kernel fields, or the exponential chain); the
    # power-cone transient instance and the baskets are not
    fam = summary["by_family"]
    assert fam["transient"]["attempted"] >= fam["transient"]["instances"] - 1
    assert fam["basket"]["attempted"] == 0 and fam["basket"]["not_attempted"] > 0
    # without --only-present the power-cone instances it could not attempt fail
    assert subprocess.run(cmd, capture_output=True, timeout=120).returncode == 1


@pytest.mark.skipif("clarabel" not in INSTALLED, reason="Clarabel through qpsolvers is needed")
def test_the_adapter_records_every_outcome_and_keeps_its_budget(tmp_path: Path) -> None:
    from execopt.studies.qp_adapter import run_adapter

    suite = tmp_path / "suite"
    export_suite(suite)
    ids = ["q-frog-n10", "deg-s0-qi", "inf-q-cap", "pow-soun-n10", "pw-frog-n5"]
    run = run_adapter(suite, tmp_path / "out", "clarabel", "default", ids=ids)
    got = {r.id: r.outcome for r in run.records}
    assert got == {
        "q-frog-n10": "solved",
        "deg-s0-qi": "zero",
        "inf-q-cap": "infeasible",
        "pow-soun-n10": "not-qp",
        "pw-frog-n5": "solved",
    }
    assert (tmp_path / "out" / "inf-q-cap.csv").read_text().startswith("infeasible")
    assert not (tmp_path / "out" / "pow-soun-n10.csv").exists()
    spent = run_adapter(suite, tmp_path / "late", "clarabel", "default", ids=ids, budget=0.0)
    assert {r.outcome for r in spent.records} == {"timeout"}


def test_large_instances_run_last_and_unreached_ones_say_why(tmp_path: Path) -> None:
    """A solver without its own time limit cannot be interrupted mid-solve: the adapter takes
    the instances fewest periods first (an overrun costs only the large ones after it), and an
    instance the adapter never reached says why instead of a bare "timeout"."""
    from execopt.studies.leaderboard import NOT_REACHED, _row
    from execopt.studies.qp_adapter import run_adapter

    suite = tmp_path / "suite"
    export_suite(suite)
    ids = ["big-q-n100000", "q-frog-n10", "tr-exp-big-n20000-cap", "deg-s0-qi"]
    run = run_adapter(suite, tmp_path / "out", "clarabel", "default", ids=ids, budget=0.0)
    assert [r.id for r in run.records] == [
        "q-frog-n10",  # N = 10
        "deg-s0-qi",  # N = 390
        "tr-exp-big-n20000-cap",
        "big-q-n100000",
    ]
    r = {"id": "q-frog-n10", "family": "quadratic", "cone": "qp", "verdict": "not attempted",
         "checks": []}  # fmt: skip
    row = _row("cvxopt", "tight", r, None)
    assert row["kind"] == "timeout" and row["message"] == NOT_REACHED
