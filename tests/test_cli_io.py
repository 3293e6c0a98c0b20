"""Honest exit codes and one-line errors for every kind of CLI failure (issue #11, items 11-13).

0 ok; 1 a check failed (certify, validate); 2 usage, input or I/O error; 3 a solver failed or
an answer did not converge / is not certified; 4 internal error. Every failure prints exactly
one red ``error:`` line on stderr and no traceback; with ``--json`` stdout holds a JSON error
object. ``--debug`` / ``EXECOPT_DEBUG=1`` re-raise instead.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from execopt.cli import main as cli_main
from execopt.cli import render
from execopt.cli.main import (
    EXIT_CHECK_FAILED,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_SOLVER,
    EXIT_USAGE,
    exit_code_for,
    main,
)
from execopt.errors import (
    DataError,
    InputError,
    NotSupportedError,
    OutputError,
    SolverError,
)

SOLVE = ["solve", "--stock", "CRWV", "--shares", "1000", "--periods", "20"]


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1, err
    assert "Traceback" not in err, err
    return errors[0]


# ----------------------------------------------------------------------------- the table
@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (InputError("x"), EXIT_USAGE),
        (DataError("x"), EXIT_USAGE),
        (NotSupportedError("x"), EXIT_USAGE),
        (OutputError("x"), EXIT_USAGE),
        (FileNotFoundError(2, "No such file", "a.csv"), EXIT_USAGE),
        (PermissionError(13, "Permission denied", "a.csv"), EXIT_USAGE),
        (MemoryError(), EXIT_USAGE),
        (SolverError("x"), EXIT_SOLVER),
        (KeyboardInterrupt(), 130),
        (cli_main.Terminated(), 143),
        (ValueError("a bug"), EXIT_INTERNAL),
    ],
)
def test_one_table_maps_exceptions_to_exit_codes(exc: BaseException, code: int) -> None:
    assert exit_code_for(exc) == code


# ----------------------------------------------------------------------------- usage and input
BAD_ARGS: list[tuple[str, list[str], str]] = [
    ("seed-negative", [*SOLVE, "--seed", "-1"], "--seed"),
    ("seed-text", [*SOLVE, "--seed", "abc"], "--seed"),
    ("time-limit-nan", [*SOLVE, "--method", "de", "--time-limit", "nan"], "finite number > 0"),
    ("time-limit-negative", [*SOLVE, "--method", "de", "--time-limit", "-1"], "> 0"),
    ("time-limit-inf", [*SOLVE, "--method", "de", "--time-limit", "inf"], "finite"),
    ("shares-nan", ["solve", "--stock", "CRWV", "--shares", "nan"], "--shares"),
    ("shares-comma", ["solve", "--stock", "CRWV", "--shares", "1,000"], "--shares"),
    ("cap-negative", [*SOLVE, "--cap", "-1"], "--cap"),
    ("periods-bool-like", [*SOLVE[:-2], "--periods", "2.5"], "--periods"),
    ("periods-huge", [*SOLVE[:-2], "--periods", "99999999999"], "10,000,000"),
    ("plot-extension", [*SOLVE, "--plot", "x.xyz"], ".png"),
    ("plot-no-extension", [*SOLVE, "--plot", "x"], ".png"),
    ("unknown-stock", ["solve", "--stock", "NOPE", "--shares", "10"], "NOPE"),
    ("no-stock", ["solve", "--shares", "10"], "--stock"),
    ("unknown-option", [*SOLVE, "--frobnicate"], "unrecognized"),
    ("unknown-command", ["frobnicate"], "invalid choice"),
    ("study-n-boot", ["study", "montecarlo", "--n-boot", "1"], "--n-boot"),
    ("no-command", [], "required"),
    ("infeasible-caps", ["solve", "--stock", "CRWV", "--shares", "1e6", "--cap", "10"], "exceed"),
    ("workers-zero", ["study", "montecarlo", "--workers", "0"], "--workers"),
    ("draws-zero", ["study", "montecarlo", "--draws", "0"], "--draws"),
    ("scheduler-malformed", ["study", "montecarlo", "--scheduler", "nonsense"], "address"),
    ("study-shares", ["study", "sensitivity", "--shares", "-1"], "--shares"),
    ("fit-window", ["fit", "FROG", "--window", "0"], "--window"),
    ("backtest-shares", ["backtest", "FROG", "--shares", "0"], "--shares"),
    ("backtest-policy", ["backtest", "FROG", "--shares", "10", "--policy", "nope"], "nope"),
    ("validate-rtol", ["validate", ".", "--rtol", "nan"], "--rtol"),
    ("validate-report", ["validate", ".", "--report", "r.pdf"], ".html"),
    ("suite-version", ["suite", "list", "--version", "0"], "--version"),
    ("study-unknown-stock", ["study", "stress", "--stock", "NOPE", "--fast"], "NOPE"),
    ("fit-preset-with-symbol", ["fit", "FROG", "--symbol", "X"], "--symbol"),
    ("fit-preset-with-format", ["fit", "FROG", "--format", "lobster"], "--format"),
    ("same-output-twice", [*SOLVE, "--out", "x.json", "--json-out", "x.json"], "both name"),
    ("fit-same-output", ["fit", "FROG", "--json-out", "f.png", "--plot", "f.png"], "both name"),
]


@pytest.mark.parametrize(
    ("argv", "phrase"), [c[1:] for c in BAD_ARGS], ids=[c[0] for c in BAD_ARGS]
)
def test_bad_arguments_exit_2_with_one_error_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], phrase: str
) -> None:
    code, out, err = _run(capsys, argv)
    assert code == EXIT_USAGE, err
    line = _one_error_line(err)
    assert phrase in line, line
    assert out == ""


@pytest.mark.parametrize(
    "argv", [[*SOLVE, "--seed", "-1"], ["solve", "--stock", "NOPE", "--shares", "1"]]
)
def test_json_errors_are_a_json_object_on_stdout(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = _run(capsys, [*argv, "--json"])
    assert code == EXIT_USAGE
    doc = json.loads(out)
    assert set(doc) == {"error"}
    assert doc["error"]["exit_code"] == EXIT_USAGE
    assert doc["error"]["type"] in ("UsageError", "InputError")
    assert doc["error"]["message"] and _one_error_line(err)


def test_missing_and_malformed_input_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.json").write_text('{"model": "quadratic", "params": {"a": "x", "b": 1}}')
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "junk.csv.gz").write_bytes(b"\x00\x01junk")
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00 not text")
    cases = [
        ["solve", "--params", str(tmp_path / "binary.json"), "--shares", "1"],
        ["solve", "--params", str(tmp_path / "missing.json"), "--shares", "1"],
        ["solve", "--params", str(tmp_path / "bad.json"), "--shares", "1"],
        ["solve", "--params", str(tmp_path), "--shares", "1"],
        ["certify", str(tmp_path / "missing.csv"), "--stock", "CRWV", "--shares", "1"],
        ["certify", str(tmp_path), "--stock", "CRWV", "--shares", "1"],
        ["fit", str(tmp_path / "empty.csv")],
        ["fit", str(tmp_path / "junk.csv.gz")],
        ["validate", str(tmp_path / "missing")],
        ["validate", str(tmp_path), "--suite", str(tmp_path / "missing")],
    ]
    for argv in cases:
        code, _, err = _run(capsys, argv)
        assert code == EXIT_USAGE, (argv, err)
        _one_error_line(err)


def test_output_path_that_is_a_folder_or_under_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "f.csv").write_text("x")
    for argv in (
        [*SOLVE, "--out", str(tmp_path)],
        [*SOLVE, "--json-out", str(tmp_path) + "/"],
        [*SOLVE, "--plot", str(tmp_path / "f.csv" / "x.png")],
        ["study", "sensitivity", "--fast", "--out", str(tmp_path / "f.csv")],
        ["backtest", "FROG", "--shares", "10", "--orders", str(tmp_path / "f.csv")],
        ["suite", "export", str(tmp_path / "f.csv")],
    ):
        code, _, err = _run(capsys, argv)
        assert code == EXIT_USAGE, (argv, err)
        assert "folder" in _one_error_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv"]


# ----------------------------------------------------------------------------- debug and bugs
def test_debug_reraises_and_internal_errors_exit_4(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InputError):
        main(["solve", "--stock", "NOPE", "--shares", "1", "--debug"])
    with pytest.raises(InputError):
        main(["--debug", "solve", "--stock", "NOPE", "--shares", "1"])
    monkeypatch.setenv("EXECOPT_DEBUG", "1")
    with pytest.raises(InputError):
        main(["solve", "--stock", "NOPE", "--shares", "1"])
    monkeypatch.delenv("EXECOPT_DEBUG")
    capsys.readouterr()

    def broken(args: argparse.Namespace) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("execopt.cli.certify.run", broken)
    code, _, err = _run(capsys, ["certify", "x.csv", "--stock", "CRWV", "--shares", "1"])
    assert code == EXIT_INTERNAL
    line = _one_error_line(err)
    assert "internal error" in line and "--debug" in line and "ZeroDivisionError" in line


# ----------------------------------------------------------------------------- item 12
def test_uncertified_answer_exits_3_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Differential evolution stopped by its time limit is not certified: exit 3, no schedule
    written; --allow-uncertified accepts it (the table marks it NO either way)."""
    out = tmp_path / "x.csv"
    argv = [*SOLVE, "--method", "de", "--time-limit", "0.05", "--out", str(out)]
    code, stdout, err = _run(capsys, argv)
    assert code == EXIT_SOLVER
    assert "--allow-uncertified" in _one_error_line(err)
    assert re.search(r"^de\s+not_converged\s.*\bNO\b", stdout, flags=re.M), stdout
    assert not out.exists()
    code, stdout, _ = _run(capsys, [*argv, "--json"])
    doc = json.loads(stdout)
    assert code == EXIT_SOLVER and doc["error"]["exit_code"] == EXIT_SOLVER
    assert doc["results"]["de"]["certified"] is False
    code, _, err = _run(capsys, [*argv, "--allow-uncertified"])
    assert code == EXIT_OK and "error" not in err
    assert out.exists()


def test_a_certified_answer_still_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, [*SOLVE, "--method", "osqp"])
    assert code == EXIT_OK and "yes" in out


def test_certify_keeps_exit_1_for_a_failed_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "x.csv"
    f.write_text("shares\n" + "1\n" * 20)
    code, _, _ = _run(capsys, ["certify", str(f), "--stock", "CRWV", "--shares", "1000"])
    assert code == EXIT_CHECK_FAILED


# ----------------------------------------------------------------------------- item 13
def test_time_limit_is_validated_by_the_api() -> None:
    import execopt as eo

    p = eo.ExecutionProblem(100, eo.QuadraticImpact(0.01, 0.001), periods=5)
    for bad in (float("nan"), float("inf"), 0.0, -1.0, "10", True):
        with pytest.raises(InputError, match="time_limit"):
            eo.solve(p, "de", time_limit=bad)


def test_local_workers_are_capped_at_the_cores(capsys: pytest.CaptureFixture[str]) -> None:
    from execopt.cli.study import _parallel
    from execopt.studies.parallel import ParallelConfig, available_cores

    cores = available_cores()
    assert cores == len(os.sched_getaffinity(0))
    p = ParallelConfig(workers=1000)
    assert p.n_workers == cores and p.capped and "capped" in p.describe()
    assert ParallelConfig(workers=1000, oversubscribe=True).n_workers == 1000
    assert ParallelConfig(workers=1).n_workers == 1 and not ParallelConfig(workers=1).capped
    assert ParallelConfig().n_workers == cores
    args = argparse.Namespace(
        workers=1000, scheduler=None, progress=False, quiet=True, json=False, oversubscribe=False
    )
    assert _parallel(args).n_workers == cores
    assert "asked for 1,000, starting" in capsys.readouterr().err
    with pytest.raises(InputError):
        ParallelConfig(workers=True)


def test_unreachable_scheduler_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from execopt.studies import parallel

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", 1.0)
    cfg = parallel.ParallelConfig(scheduler=f"tcp://127.0.0.1:{port}")
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        parallel.map_chunks(_ident, 0, [1, 2], cfg)


def _ident(shared: int, spec: int) -> int:
    return spec


# ----------------------------------------------------------------------------- disk full, read-only
def _mount(tmp_path: Path, options: str) -> Iterator[Path]:
    mnt = tmp_path / f"mnt-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the disk-full and read-only tests need one")
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"this machine does not allow mounting a tmpfs: {proc.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    yield from _mount(tmp_path, "size=64k")


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Iterator[Path]:
    yield from _mount(tmp_path, "ro,size=64k")


def test_solve_out_on_a_full_disk_exits_2_and_leaves_no_truncated_file(
    tiny_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tiny_disk / "x.csv"
    big = ["solve", "--stock", "CRWV", "--shares", "10000", "--periods", "100000"]
    code, _, err = _run(capsys, [*big, "--out", str(out)])
    assert code == EXIT_USAGE
    assert "no space left" in _one_error_line(err) and str(out) in err
    assert list(tiny_disk.iterdir()) == []  # no truncated file, no temporary
    out.write_text("period,shares\n0,1\n")  # an older file survives whole
    code, stdout, _ = _run(capsys, [*big, "--out", str(out), "--json"])
    assert code == EXIT_USAGE and json.loads(stdout)["error"]["type"] == "OutputError"
    assert out.read_text() == "period,shares\n0,1\n"
    assert [p.name for p in tiny_disk.iterdir()] == ["x.csv"]


def test_study_out_on_a_full_disk_leaves_nothing_new(
    tiny_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tiny_disk / "mc"
    argv = ["study", "montecarlo", "--fast", "--workers", "1", "--quiet", "--out", str(out)]
    code, _, err = _run(capsys, argv)
    assert code == EXIT_USAGE, err
    assert "no space left" in _one_error_line(err)
    assert list(tiny_disk.iterdir()) == []


def test_read_only_folder_is_refused_before_any_work(
    read_only_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        [*SOLVE, "--out", str(read_only_disk / "x.csv")],
        [*SOLVE, "--json-out", str(read_only_disk / "sub" / "x.json")],
        ["study", "sensitivity", "--fast", "--out", str(read_only_disk / "res")],
        ["fit", "FROG", "--plot", str(read_only_disk / "f.png")],
        ["suite", "export", str(read_only_disk / "suite")],
    ):
        code, _, err = _run(capsys, argv)
        assert code == EXIT_USAGE, (argv, err)
        assert "read-only" in _one_error_line(err)


# ----------------------------------------------------------------------------- progress
def test_progress_bars_only_on_a_terminal_and_not_with_quiet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    def ns(**kw: Any) -> argparse.Namespace:
        return argparse.Namespace(**{"quiet": False, "progress": False, "json": False, **kw})

    assert render.progress_enabled(ns()) is False  # pytest's stderr is not a terminal
    monkeypatch.setattr("sys.stderr", Tty())
    assert render.progress_enabled(ns()) is True
    assert render.progress_enabled(ns(quiet=True)) is False
    assert render.progress_enabled(ns(json=True)) is False
    monkeypatch.undo()
    assert render.progress_enabled(ns(progress=True)) is True


def test_solver_study_shows_progress(capsys: pytest.CaptureFixture[str]) -> None:
    from execopt.studies.solver_comparison import SolverComparisonConfig, run_solver_comparison

    cfg = SolverComparisonConfig(cases=("quadratic",), sizes=(10,), de_time_limit=0.05)
    table = run_solver_comparison(cfg, progress=True)
    assert len(table) > 0
    err = capsys.readouterr().err
    assert "solvers" in err and "1/1" in err


def test_seeded_numpy_is_unaffected() -> None:
    """Guards refuse bad types but pass NumPy numbers through."""
    import execopt as eo

    p = eo.ExecutionProblem(
        np.float32(100), eo.QuadraticImpact(np.float64(0.01), 0.001), np.int64(5)
    )
    assert eo.solve(p).certified


def test_permission_denied_while_writing_exits_2_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As root, permission bits do not stop a write; the failure is simulated at the rename."""

    def denied(src: Any, dst: Any) -> None:
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(os, "replace", denied)
    out = tmp_path / "x.csv"
    code, _, err = _run(capsys, [*SOLVE, "--out", str(out), "--plot", str(tmp_path / "x.png")])
    monkeypatch.undo()
    assert code == EXIT_USAGE
    line = _one_error_line(err)
    assert "permission denied" in line and "choose a folder you can write to" in line
    assert list(tmp_path.iterdir()) == []


def test_json_outputs_carry_the_run_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    js = tmp_path / "r.json"
    code, out, _ = _run(capsys, [*SOLVE, "--json", "--json-out", str(js)])
    assert code == EXIT_OK
    printed, written = json.loads(out), json.loads(js.read_text())
    assert printed["run_id"] == written["run_id"] and len(printed["run_id"]) > 20


def test_a_solver_claiming_optimal_but_not_certified_exits_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The OSQP case of issue #11: status 'optimal', objective far above the optimum."""
    import dataclasses

    import execopt as eo

    real = eo.solve

    def far_off(problem: Any, method: str = "exact", **kw: Any) -> Any:
        sol = real(problem, method, **kw)
        if method != "osqp":
            return sol
        x = np.zeros_like(sol.schedule)
        x[0] = problem.shares  # everything in one period: feasible, far from optimal
        cert = eo.certify(problem, x)
        return dataclasses.replace(sol, schedule=x, certificate=cert, objective=cert.objective)

    monkeypatch.setattr(eo, "solve", far_off)
    code, out, err = _run(capsys, [*SOLVE, "--method", "osqp"])
    assert code == EXIT_SOLVER
    assert re.search(r"^osqp\s+optimal\s.*\bNO\b", out, flags=re.M), out
    assert "osqp's answer is not certified" in _one_error_line(err)
    assert _run(capsys, [*SOLVE, "--method", "osqp", "--allow-uncertified"])[0] == EXIT_OK
