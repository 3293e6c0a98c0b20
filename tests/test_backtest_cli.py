"""``execopt backtest``: JSON on a synthetic preset, the human table, files, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from execopt.cli import main as cli_main


@pytest.fixture(autouse=True)
def _registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make sure ``backtest`` is registered (whether or not main.COMMANDS lists it yet)."""
    monkeypatch.setitem(cli_main.COMMANDS, "backtest", "execopt.cli.backtest")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_on_synthetic_preset(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys, "backtest", "FROG", "--shares", "5000", "--side", "buy",
        "--policy", "twap,vwap,static,adaptive,ac,pov,oracle", "--json", "--seed", "0",
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out)
    pol = doc["policies"]
    assert list(pol) == ["twap", "vwap", "static", "adaptive", "ac", "pov", "oracle"]
    for name, r in pol.items():
        for key in (
            "cost",
            "shortfall_bps",
            "fill_rate",
            "latency_p99_ms",
            "vs_twap_pct",
            "oracle_capture",
            "latency_p50_ms",
        ):
            assert key in r, (name, key)
        assert r["fill_rate"] == pytest.approx(1.0)
    assert pol["twap"]["vs_twap_pct"] == 0.0
    assert pol["oracle"]["oracle_capture"] == pytest.approx(1.0)
    assert all(pol["oracle"]["cost"] <= r["cost"] + 1e-9 for r in pol.values())
    assert pol["adaptive"]["cost"] < pol["twap"]["cost"]
    assert doc["order"]["periods"] == 390 and doc["source"]["preset"] == "FROG"
    assert doc["source"]["history"].startswith("synthetic FROG (seed 1)")
    assert pol["vwap"]["info"]["profile_source"] == "history (1 day)"


def test_human_table_files_and_breaker(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    png, orders = tmp_path / "bt.png", tmp_path / "orders"
    code, out, _ = _run(
        capsys, "backtest", "SOUN", "--shares", "2000", "--policy", "twap,oracle",
        "--plot", str(png), "--orders", str(orders), "--no-history", "--lot", "1",
        "--max-spread-bps", "1000",
    )  # fmt: skip
    assert code == 0
    assert "oracle (bound)" in out and "vs TWAP" in out and "latency p50 ms" in out
    assert png.stat().st_size > 10_000
    rows = (orders / "orders_twap.csv").read_text().splitlines()
    assert rows[0] == "time,symbol,side,quantity" and len(rows) > 300


def test_bad_input_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "backtest", "FROG", "--shares", "100", "--policy", "twap,magic")
    assert code == 2 and "unknown policy magic" in err
    code, _, err = _run(capsys, "backtest", "NOPE", "--shares", "100")
    assert code == 2 and "not a synthetic preset" in err
    code, _, err = _run(capsys, "backtest", "FROG", "--shares", "-5", "--policy", "twap")
    assert code == 2 and "shares" in err


def test_episodes_json_table_and_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    base = ("backtest", "FROG", "--days", "2", "--episodes", "3", "--horizon", "45",
            "--sizes", "1000,3000", "--sides", "buy,sell", "--workers", "1", "--n-boot", "60",
            "--policy", "twap,static,oracle", "--ac-urgencies", "1", "--fee", "0.002")  # fmt: skip
    code, out, err = _run(capsys, *base, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["episodes"] == 2 * 3 * 2 * 2 and len(doc["span"]["days"]) == 2
    assert list(doc["policies"]) == ["twap", "static", "oracle", "ac(u=1)"]
    for name, r in doc["policies"].items():
        dec = r["shortfall_decomposition"]
        assert list(dec["bps"]) == ["spread", "impact", "timing", "fees", "opportunity", "total"]
        assert dec["bps"]["fees"] > 0
        assert ("savings_vs_twap" in r) == (name != "twap")
    assert "impact-only bound" in doc["policies"]["oracle"]["label"]
    assert doc["policies"]["oracle"]["savings_vs_twap"]["mean_bps_days_lo"] is not None
    assert doc["config"]["fee"] == 0.002 and "oracle" in doc
    out_dir = tmp_path / "eps"
    code, out, err = _run(capsys, *base, "--out", str(out_dir))
    assert code == 0, err
    assert "save bp" in out and "oracle (bound)" in out and "frontier" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    names = {p.name for p in out_dir.iterdir()}
    assert {"episodes.csv", "summary.csv", "savings.csv", "pairs.csv", "frontier.csv",
            "episodes.json", "episodes.manifest.json"} <= names  # fmt: skip
    rows = (out_dir / "episodes.csv").read_text().splitlines()
    assert len(rows) == 1 + 24 * 4


def test_episode_options_need_episodes_and_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "backtest", "FROG", "--shares", "100", "--sizes", "100,200")
    assert code == 2 and "--sizes applies to episodes" in " ".join(err.split())
    code, _, err = _run(capsys, "backtest", "FROG", "--policy", "twap")
    assert code == 2 and "--shares" in err
    code, _, err = _run(capsys, "backtest", "FROG", "--episodes", "2", "--policy", "twap")
    assert code == 2 and "--sizes" in err
    code, _, err = _run(capsys, "backtest", "FROG", "--episodes", "2", "--shares", "100",
                        "--horizon", "400", "--workers", "1")  # fmt: skip
    assert code == 2 and "shorter than the horizon" in " ".join(err.split())
    code, _, err = _run(capsys, "backtest", "FROG", "--episodes", "2", "--shares", "100",
                        "--history", "x.csv")  # fmt: skip
    assert code == 2 and "--history does not apply" in " ".join(err.split())
    code, _, err = _run(capsys, "backtest", "FROG", "--episodes", "2", "--shares", "100",
                        "--plot", "x.png")  # fmt: skip
    assert code == 2 and "--plot" in err
    code, _, err = _run(capsys, "backtest", "FROG", "--shares", "100", "--sides", "up")
    assert code == 2 and "sides" in err
    code, _, err = _run(capsys, "backtest", "x.csv.gz", "--shares", "100", "--days", "2",
                        "--episodes", "2")  # fmt: skip
    assert code == 2 and "--days applies to a synthetic preset" in " ".join(err.split())
