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
    # wide enough that no target sentence folds onto two lines of its table cell
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "COLUMNS": "220"}
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
    assert "performance targets" in proc.stdout
    for text, _, _ in bench.TARGETS.values():
        assert text in proc.stdout
    assert ("MET" in proc.stdout) or ("MISSED" in proc.stdout)
    res = json.loads((tmp_path / "bench.json").read_text())
    assert set(bench.SECTIONS) <= set(res)
    assert res["quick"] is True
    md = (tmp_path / "bench.md").read_text()
    for title in bench.SECTIONS.values():
        assert title in md


@pytest.mark.timeout(120)
def test_scs_scale_study_prints_both_models_and_restores_the_setting() -> None:
    from execopt.solvers import conic

    before = dict(conic.SCS_SCALE)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "scs_scale.py"), "--instances", "2"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "SCS scale · power" in proc.stdout and "SCS scale · quadratic" in proc.stdout
    assert "2/2" in proc.stdout  # every answer certified
    sys.path.insert(0, str(BENCH.parent))
    try:
        import scs_scale
    finally:
        sys.path.remove(str(BENCH.parent))
    rows = scs_scale.run("power", 2, seed=0, scales=(0.1, 0.2))
    assert [r["scale"] for r in rows] == [0.1, 0.2]
    assert all(r["certified"] == 2 and r["iterations"] > 0 for r in rows)
    assert conic.SCS_SCALE == before  # the study puts the pinned setting back


@pytest.mark.timeout(180)
def test_bench_episodes_quick(tmp_path: Path) -> None:
    """``benchmarks/bench_episodes.py --quick`` prints its table and writes its files (the
    targets are judged only by the full run)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "COLUMNS": "120"}
    script = REPO / "benchmarks" / "bench_episodes.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--quick", "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "wall time, s" in proc.stdout and "peak memory" in proc.stdout
    res = json.loads((tmp_path / "episodes.json").read_text())
    assert res["episodes"] == 40 and res["quick"] and res["peak_memory_mb"] > 0
    assert "| wall time, s |" in (tmp_path / "episodes.md").read_text()
