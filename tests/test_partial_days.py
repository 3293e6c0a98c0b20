"""Every command on the minutes that exist: a 138-minute morning and a 13:00 early close cut from
the real FROG day (written to a temporary folder, never into the repository), and the same on
synthetic days; each says which span it covered."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from data_helpers import require_real, write_mbp10_csv
from execopt.cli import main as cli_main


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _cut(src: Path, dest: Path, before_utc: str) -> Path:
    """The rows of ``src`` before ``before_utc`` (the file's own text, header kept)."""
    with gzip.open(src, "rt") as f, gzip.open(dest, "wt") as g:
        g.write(f.readline())
        for line in f:
            if line[:19] >= before_utc:
                break
            g.write(line)
    return dest


@pytest.fixture(scope="module")
def partial_frog(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    src = require_real("mbp10", "FROG_2025-04-03.csv.gz")
    folder = tmp_path_factory.mktemp("partial")
    return {
        "morning": _cut(src, folder / "FROG_2025-04-03_morning.csv.gz", "2025-04-03 15:48:00"),
        "early_close": _cut(src, folder / "FROG_2025-04-03_close.csv.gz", "2025-04-03 17:00:00"),
    }


@pytest.mark.data
@pytest.mark.parametrize(("part", "minutes", "end"), [("morning", 138, "11:48"),
                                                      ("early_close", 210, "13:00")])  # fmt: skip
def test_fit_and_backtest_on_a_partial_real_day(
    capsys: pytest.CaptureFixture[str],
    partial_frog: dict[str, Path],
    part: str,
    minutes: int,
    end: str,
) -> None:
    path = str(partial_frog[part])
    code, out, err = _cli(capsys, "fit", path, "--json", "--n-boot", "20")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["span"]["days"][0] == {
        "date": "2025-04-03", "start": "09:30", "end": end, "minutes": minutes, "missing": 0,
        "carried": 0,
    }  # fmt: skip
    assert doc["span"]["uncovered"][0]["minutes"] == 390 - minutes
    assert len(doc["profile"]["a"]) == minutes
    code, out, err = _cli(capsys, "fit", path, "--n-boot", "20")
    assert code == 0 and f"09:30-{end} ({minutes} min)" in " ".join(out.split())
    code, out, err = _cli(capsys, "backtest", path, "--shares", "5000", "--json",
                          "--policy", "twap,static,adaptive,oracle")  # fmt: skip
    assert code == 0, err
    bt = json.loads(out)
    assert bt["order"]["periods"] == minutes and bt["span"]["days"][0]["end"] == end
    for r in bt["policies"].values():
        dec = r["shortfall_decomposition"]["dollars"]
        parts = sum(dec[k] for k in ("spread", "impact", "timing", "fees", "opportunity"))
        assert parts == pytest.approx(r["shortfall"], abs=1e-8)
        assert r["fill_rate"] == pytest.approx(1.0)
    code, out, err = _cli(capsys, "backtest", path, "--episodes", "4", "--horizon", "60",
                          "--shares", "2000", "--workers", "1", "--n-boot", "50", "--json")  # fmt: skip
    assert code == 0, err
    ep = json.loads(out)
    assert ep["episodes"] == 4 and ep["span"]["days"][0]["minutes"] == minutes


def test_synthetic_partial_file_through_the_commands(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Without the real data: a synthetic 13:00 early close written as an MBP-10 file."""
    from execopt.data import synthetic_book

    path = tmp_path / "FROG_2025-04-03.csv.gz"
    write_mbp10_csv(path, synthetic_book("FROG", seed=3, periods=210, events_per_minute=6))
    code, out, err = _cli(capsys, "fit", str(path), "--json", "--n-boot", "10")
    assert code == 0, err
    assert json.loads(out)["span"]["days"][0]["end"] == "13:00"
    code, out, err = _cli(capsys, "backtest", str(path), "--shares", "3000", "--policy",
                          "twap,adaptive", "--json")  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["order"]["periods"] == 210
    assert doc["span"]["uncovered"][0]["reason"] == "after the last book state"
