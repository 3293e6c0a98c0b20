"""CLI tables fit 80 columns by default, never cut a cell, and --wide shows every column
(issue #16, item 2). Checked with COLUMNS=80 and COLUMNS=120 on every command's output."""

from __future__ import annotations

from pathlib import Path

import pytest

from execopt.cli.main import EXIT_CHECK_FAILED, EXIT_OK, main

#: (id, argv, exit code, a header shown only with --wide)
COMMANDS: list[tuple[str, list[str], int, str]] = [
    (
        "solve-all",
        ["solve", "--stock", "CRWV", "--shares", "10000", "--periods", "30", "--method", "all",
         "--time-limit", "0.2", "--allow-uncertified"],
        EXIT_OK,
        "compile ms",
    ),
    ("solve-power", ["solve", "--stock", "SOUN", "--model", "power", "--shares", "1e7",
                     "--cap", "1e6", "--method", "all", "--time-limit", "0.2",
                     "--allow-uncertified"], EXIT_OK, "KKT stat"),
    ("fit", ["fit", "FROG", "--n-boot", "20"], EXIT_OK, ""),
    ("backtest", ["backtest", "FROG", "--shares", "5000", "--policy", "twap,adaptive,oracle"],
     EXIT_OK, "halted/skipped"),
    ("validate", ["validate", "{empty}"], EXIT_CHECK_FAILED, "gap bp"),
    ("study-sensitivity", ["study", "sensitivity", "--fast"], EXIT_OK, "x mid sh"),
    ("study-montecarlo", ["study", "montecarlo", "--fast", "--workers", "1"], EXIT_OK, "median"),
    ("suite-list", ["suite", "list"], EXIT_OK, "certified by"),
]  # fmt: skip


def _output(capsys: pytest.CaptureFixture[str], argv: list[str], code: int, tmp_path: Path) -> str:
    argv = [a.replace("{empty}", str(tmp_path)) for a in argv]
    assert main([*argv, "--quiet"]) == code
    return capsys.readouterr().out


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize(
    ("argv", "code", "wide_header"), [c[1:] for c in COMMANDS], ids=[c[0] for c in COMMANDS]
)
def test_tables_fit_the_terminal_and_cut_no_cell(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    columns: int,
    argv: list[str],
    code: int,
    wide_header: str,
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    out = _output(capsys, argv, code, tmp_path)
    too_long = [line for line in out.splitlines() if len(line) > columns]
    assert not too_long, "\n".join(too_long)
    assert "…" not in out
    if wide_header:
        assert wide_header not in out
        wide = _output(capsys, [*argv, "--wide"], code, tmp_path)
        assert wide_header in wide and "…" not in wide


def test_solve_table_keeps_whole_numbers_with_separators(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    argv = ["solve", "--stock", "SOUN", "--shares", "2e6", "--cap", "1e5", "--periods", "40"]
    out = _output(capsys, [*argv, "--method", "exact"], EXIT_OK, Path("."))
    header = next(line for line in out.splitlines() if line.startswith("method"))
    assert "cost $" in header and "gap bp" in header and "total ms" in header
    row = next(line for line in out.splitlines() if line.startswith("exact"))
    cost = row.split()[2]
    assert cost.startswith("$") and "," in cost and cost[-3] == "."  # $x,xxx,xxx.xx
