"""``benchmarks/bench_basket.py --quick`` runs, prints its table and writes its files (no timing
is asserted: the machine is shared)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks" / "bench_basket.py"


@pytest.mark.timeout(300)
def test_bench_basket_quick(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "basket benchmarks" in proc.stdout and "2-worker Dask" in proc.stdout
    res = json.loads((tmp_path / "bench_basket.json").read_text())
    assert {"1", "2", "3", "environment"} <= set(res)
    assert res["1"]["methods"]["clarabel"]["certified"] is True
    assert res["2"]["certified"] is True
    assert res["3"]["identical"] is True
    assert (tmp_path / "bench_basket.md").read_text().startswith("# Basket benchmarks")
