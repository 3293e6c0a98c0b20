"""The ``execopt`` command line, run in-process through ``main([...])``, and the README example."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import execopt as eo
from execopt.cli import render
from execopt.cli._common import read_schedule, write_schedule
from execopt.cli.main import COMMANDS, EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, main

REPO = Path(__file__).resolve().parent.parent

#: Objectives printed through JSON round-trip exactly (``repr`` floats), so compare tightly.
OBJ_RTOL = 1e-12


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_solve_json_matches_the_library(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(capsys, ["solve", "--stock", "CRWV", "--shares", "10000", "--cap", "1000"])
    assert code == EXIT_OK
    assert set(doc) >= {"command", "problem", "results", "equal_allocation", "files"}
    r = doc["results"]["exact"]
    assert set(r) >= {"objective", "status", "schedule", "certificate", "timings", "lam", "gap"}
    p = eo.ExecutionProblem(10_000, eo.presets.quadratic("CRWV"), periods=390, cap=1000)
    ref = eo.solve(p, "exact")
    assert_allclose(r["objective"], ref.objective, rtol=OBJ_RTOL)
    assert_allclose(r["schedule"], ref.schedule, rtol=OBJ_RTOL)
    assert r["certified"] is True
    assert doc["problem"]["stock"] == "CRWV" and doc["problem"]["cap"] == 1000.0


def test_solve_json_prints_nothing_but_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["solve", "--stock", "SOUN", "--shares", "500", "--periods", "20", "--json"])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    json.loads(out)  # the whole of stdout parses
    assert out.lstrip().startswith("{")


def test_solve_all_shows_every_method(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["solve", "--stock", "FROG", "--shares", "2000", "--periods", "12", "--cap", "400"]
    # differential evolution need not certify in 1 s: without the flag that exits 3 (tested in
    # tests/test_cli_io.py); here the table itself is under test
    code = main([*argv, "--method", "all", "--time-limit", "1", "--allow-uncertified"])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    for m in eo.METHODS:
        assert re.search(rf"^\s*\S?\s*{m}\b", out, flags=re.M), f"no row for {m}:\n{out}"
    assert "equal allocation" in out
    assert "▄" in out or "█" in out  # sparklines


def test_solve_all_power_law_marks_osqp_not_applicable(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["solve", "--stock", "SOUN", "--model", "power", "--shares", "3000", "--periods", "10"]
    code, doc = run_json(
        capsys, [*argv, "--method", "all", "--time-limit", "0.5", "--allow-uncertified"]
    )
    assert code == EXIT_OK
    assert doc["results"]["osqp"]["status"] == "n/a"
    assert "OSQP" in doc["results"]["osqp"]["reason"]
    assert doc["results"]["clarabel"]["certified"] is True
    # DE's gap is reported, whatever it is, and it is never negative beyond rounding
    assert doc["results"]["de"]["gap"] >= -1e-9 * doc["results"]["exact"]["objective"]


def test_out_csv_round_trip_into_certify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "x.csv"
    problem = ["--stock", "SOUN", "--shares", "10000", "--cap", "1000"]
    assert main(["solve", *problem, "--out", str(csv)]) == EXIT_OK
    assert csv.read_text().splitlines()[0] == "period,shares"
    assert len(csv.read_text().splitlines()) == 1 + 390
    capsys.readouterr()
    code, doc = run_json(capsys, ["certify", str(csv), *problem])
    assert code == EXIT_OK
    assert doc["passed"] is True and doc["certificate"]["feasible"] is True
    # the human view says so as well
    assert main(["certify", str(csv), *problem]) == EXIT_OK
    assert "PASSED" in capsys.readouterr().out


def test_certify_reads_the_single_column_format(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("shares\n" + "\n".join(["250"] * 40) + "\n\n")
    assert main(["certify", str(f), "--stock", "CRWV", "--shares", "10000"]) == EXIT_OK


def test_certify_tampered_schedule_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = ["--stock", "CRWV", "--shares", "10000", "--cap", "1000"]
    csv = tmp_path / "x.csv"
    assert main(["solve", *problem, "--out", str(csv)]) == EXIT_OK
    x = read_schedule(csv)
    moved = x.copy()
    moved[0] += 20.0  # still sums to S: feasible but suboptimal
    moved[1] -= 20.0
    write_schedule(tmp_path / "moved.csv", moved)
    over = x.copy()
    over[5] += 100.0  # sums to S + 100: infeasible
    write_schedule(tmp_path / "over.csv", over)
    capsys.readouterr()
    code, doc = run_json(capsys, ["certify", str(tmp_path / "moved.csv"), *problem])
    assert code == EXIT_CHECK_FAILED
    assert doc["certificate"]["feasible"] is True and doc["certificate"]["gap"] > 0
    code, doc = run_json(capsys, ["certify", str(tmp_path / "over.csv"), *problem])
    assert code == EXIT_CHECK_FAILED
    assert doc["certificate"]["feasible"] is False
    assert_allclose(doc["certificate"]["sum_residual"], 100.0, rtol=1e-9)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("period,shares\n0,10\n1,abc\n", "line 3"),
        ("period,shares\n0,10\n1\n", "line 3"),
        ("period,shares\n0,10\n2,10\n", "line 3"),
        ("shares\n10\nnan\n", "line 3"),
        ("time,qty\n0,10\n", "line 1"),
        ("", "empty"),
    ],
)
def test_certify_malformed_csv_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: str
) -> None:
    f = tmp_path / "broken.csv"
    f.write_text(text)
    code = main(["certify", str(f), "--stock", "CRWV", "--shares", "20"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "broken.csv" in err and line in err
    assert "Traceback" not in err


def test_certify_wrong_length_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "short.csv"
    write_schedule(f, np.full(10, 1.0))
    code = main(["certify", str(f), "--stock", "CRWV", "--shares", "10", "--periods", "390"])
    assert code == EXIT_USAGE
    assert "short.csv" in capsys.readouterr().err


def test_unknown_stock_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["solve", "--stock", "NOPE", "--shares", "100"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "NOPE" in err and "CRWV" in err and "Traceback" not in err


def test_power_model_on_frog_is_a_clear_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["solve", "--stock", "FROG", "--model", "power", "--shares", "100"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert err.startswith("error:")
    assert "power law" in err and "SOUN" in err and "--params" in err


def test_infeasible_cap_and_inapplicable_method_are_usage_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["solve", "--stock", "CRWV", "--shares", "1e6", "--cap", "10"]) == EXIT_USAGE
    assert "exceed" in capsys.readouterr().err
    argv = ["solve", "--stock", "SOUN", "--model", "power", "--shares", "100", "--method", "osqp"]
    assert main(argv) == EXIT_USAGE
    assert "OSQP" in capsys.readouterr().err


def test_params_file_scalar_and_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    N = 30
    t = np.arange(N)
    a = 0.01 * (1 + 0.5 * np.cos(2 * np.pi * t / N))
    b = 0.001 * (1 + 0.5 * np.cos(2 * np.pi * t / N))
    f = tmp_path / "fit.json"
    doc_in = {
        "model": "quadratic",
        "params": {"a": 0.01, "b": 0.001},
        "profile": {"a": a.tolist(), "b": b.tolist()},
    }
    f.write_text(json.dumps(doc_in))
    # N comes from the profile's length; the profile wins over the scalar params
    code, doc = run_json(capsys, ["solve", "--params", str(f), "--shares", "9000", "--cap", "500"])
    assert code == EXIT_OK
    assert doc["problem"]["periods"] == N
    ref = eo.solve(eo.ExecutionProblem(9000, eo.QuadraticImpact(a, b), periods=N, cap=500))
    assert_allclose(doc["results"]["exact"]["objective"], ref.objective, rtol=OBJ_RTOL)
    # certify with the same file: N must match the schedule's rows
    x = tmp_path / "x.csv"
    write_schedule(x, np.asarray(doc["results"]["exact"]["schedule"]))
    argv = ["certify", str(x), "--params", str(f), "--shares", "9000", "--cap", "500"]
    assert main(argv) == EXIT_OK
    assert "PASSED" in capsys.readouterr().out
    # scalar params only (power law), with the per-share basis spelled out
    g = tmp_path / "power.json"
    g.write_text(
        json.dumps(
            {"model": "power", "basis": "per_share", "params": {"gamma": 0.015, "delta": 0.67}}
        )
    )
    code, doc = run_json(
        capsys, ["solve", "--params", str(g), "--shares", "1000", "--periods", "10"]
    )
    assert code == EXIT_OK
    assert_allclose(doc["results"]["exact"]["schedule"], np.full(10, 100.0), rtol=1e-12)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"model": "quadratic",\n "params": {"a": 1,}}', "line 2"),
        ('{"model": "cubic", "params": {}}', "'model'"),
        ('{"model": "quadratic", "params": {"a": 0.01}}', "lacks b"),
        ('{"model": "quadratic", "params": {"a": -1, "b": 0.1}}', ">= 0"),
    ],
)
def test_bad_params_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, needle: str
) -> None:
    f = tmp_path / "p.json"
    f.write_text(content)
    assert main(["solve", "--params", str(f), "--shares", "10"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "p.json" in err and needle in err


def test_plot_and_json_out_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png, js = tmp_path / "d" / "x.png", tmp_path / "d" / "x.json"
    argv = ["solve", "--stock", "CRWV", "--shares", "1000", "--periods", "20"]
    assert main([*argv, "--method", "osqp", "--plot", str(png), "--json-out", str(js)]) == EXIT_OK
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(js.read_text())["results"]["osqp"]["certified"] is True
    assert "wrote plot" in capsys.readouterr().out


def test_help_and_version_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == EXIT_OK
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out
    assert main(["solve", "--help"]) == EXIT_OK
    assert "--method" in capsys.readouterr().out
    assert main(["--version"]) == EXIT_OK
    assert eo.__version__ in capsys.readouterr().out
    assert main([]) == EXIT_USAGE  # a command is required


def test_cli_start_does_not_import_cvxpy_or_scipy_optimize() -> None:
    code = (
        "import sys; import execopt.cli.main as m; m.build_parser(); "
        "print(sorted(k for k in ('cvxpy', 'scipy.optimize', 'matplotlib') if k in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_render_helpers() -> None:
    assert render.sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert render.sparkline([2.0, 2.0 + 1e-9, 2.0]) == "▄▄▄"
    assert len(render.sparkline(np.arange(1000), width=50)) == 50
    assert render.dumps({"x": np.array([1.0, np.inf]), "y": float("nan")}, indent=None) == (
        '{"x": [1.0, null], "y": null}'
    )
    assert render.fmt_money(-1e-12) == "$0.0000"
    assert render.bp(1.0, 10_000.0) == 1.0


def _readme_python_block() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"```python\n(.*?)```", text, flags=re.S)
    assert m, "README.md has no ```python block"
    return m.group(1)


def test_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code = _readme_python_block()
    assert len(code.strip().splitlines()) <= 15
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})


def test_two_model_params_file_needs_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "both.json"
    quad = {"model": "quadratic", "params": {"a": 0.02, "b": 0.001}}
    power = {"model": "power", "basis": "per_share", "params": {"gamma": 0.015, "delta": 0.67}}
    f.write_text(json.dumps({"quadratic": quad, "power": power, "symbol": "FROG"}))
    argv = ["solve", "--params", str(f), "--shares", "100", "--periods", "5"]
    assert main(argv) == EXIT_USAGE
    assert "both.json" in capsys.readouterr().err
    code, doc = run_json(capsys, [*argv, "--model", "power"])
    assert code == EXIT_OK
    assert doc["problem"]["model"] == "power" and doc["problem"]["stock"] == "FROG"
