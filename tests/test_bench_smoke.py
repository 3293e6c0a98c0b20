"""``benchmarks/bench.py --quick`` runs and prints every section (no timing is asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks" / "bench.py"


@pytest.mark.timeout(120)
def test_bench_quick_prints_every_section(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--quick",
            "--de-time-limit",
            "0.2",
            "--out-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    sys.path.insert(0, str(BENCH.parent))
    try:
        import bench  # the module itself: its section titles and targets
    finally:
        sys.path.remove(str(BENCH.parent))
    for title in bench.SECTIONS.values():
        assert title in proc.stdout, f"section {title!r} missing from the output"
    assert "targets of the issue" in proc.stdout
    for text, _, _ in bench.TARGETS.values():
        assert text in proc.stdout
    assert ("MET" in proc.stdout) or ("MISSED" in proc.stdout)
    res = json.loads((tmp_path / "bench.json").read_text())
    assert set(bench.SECTIONS) <= set(res)
    assert res["quick"] is True
    md = (tmp_path / "bench.md").read_text()
    for title in bench.SECTIONS.values():
        assert title in md
