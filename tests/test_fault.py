"""Nothing half-written when a study is killed while it writes (issue #11, item 10).

A Monte Carlo study runs in a subprocess with ``--out DIR``; ``EXECOPT_TEST_WRITE_DELAY`` slows
its writing down (a pause after each staged file) so that the test can send a signal to the
process, by its own PID, while the files are being written. Afterwards the output folder holds
either the previous complete run (its manifest matching every file) or nothing new, and every
file in it belongs to one run id. A few kills at arbitrary moments, without the delay, must
leave the folder in one of the same states.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from execopt._atomic import WRITE_DELAY_ENV

STUDY = ["study", "montecarlo", "--fast", "--workers", "1", "--quiet"]
TIMEOUT = 120


def _start(out: Path, *extra: str, delay: float | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.pop("EXECOPT_DEBUG", None)
    if delay is not None:
        env[WRITE_DELAY_ENV] = str(delay)
    return subprocess.Popen(
        [sys.executable, "-m", "execopt.cli.main", *STUDY, "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _staging(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f"{out.name}.partial-*"))


def _wait_until_writing(proc: subprocess.Popen[str], out: Path) -> None:
    """Until the staging folder holds a written table (the study itself has finished)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < TIMEOUT:
        for stage in _staging(out):
            if any(p.name.endswith(".csv") for p in stage.iterdir()):
                return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    proc.kill()
    pytest.fail("the study never started writing")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_consistent(out: Path) -> str | None:
    """The folder is absent, or one complete run: return its run id (None if absent)."""
    if not out.exists():
        return None
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if "INCOMPLETE" in n or "partial" in n], names
    manifest = json.loads((out / "montecarlo.manifest.json").read_text())
    assert manifest["complete"] is True
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(names) == {*listed, "montecarlo.manifest.json"}, names
    for name, f in listed.items():
        assert _sha(out / name) == f["sha256"], name
    assert json.loads((out / "montecarlo.json").read_text())["run_id"] == manifest["run_id"]
    draws = pd.read_csv(out / "montecarlo_draws.csv")
    assert len(draws) == manifest_draws(out)
    return str(manifest["run_id"])


def manifest_draws(out: Path) -> int:
    return int(json.loads((out / "montecarlo.json").read_text())["config"]["draws"])


@pytest.fixture(scope="module")
def previous_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete earlier run (seed 0) to re-run into."""
    out = tmp_path_factory.mktemp("prev") / "mc"
    proc = _start(out)
    _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    assert _check_consistent(out)
    return out


def _copy(src: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for p in src.iterdir():
        (dest / p.name).write_bytes(p.read_bytes())
    return dest


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"]
)
def test_signal_while_writing_into_an_old_folder_keeps_the_old_run(
    previous_run: Path, tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    out = _copy(previous_run, tmp_path / "mc")
    old_id = _check_consistent(out)
    before = {p.name: _sha(p) for p in out.iterdir()}
    proc = _start(out, "--seed", "7", delay=0.5)
    _wait_until_writing(proc, out)
    os.kill(proc.pid, sig)  # by its own PID
    _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert [ln for ln in err.splitlines() if ln.startswith("error:")] == [
        ln for ln in err.splitlines() if "error:" in ln
    ]
    assert {p.name: _sha(p) for p in out.iterdir()} == before  # the old run, untouched
    assert _check_consistent(out) == old_id
    assert _staging(out) == []  # the staging folder was removed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mc"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_while_writing_a_new_folder_leaves_nothing(
    tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "mc"
    proc = _start(out, delay=0.5)
    _wait_until_writing(proc, out)
    os.kill(proc.pid, sig)
    proc.communicate(timeout=TIMEOUT)
    assert proc.returncode in (130, 143)
    assert list(tmp_path.iterdir()) == []


def test_sigkill_leaves_a_clearly_marked_incomplete_folder(
    previous_run: Path, tmp_path: Path
) -> None:
    """A hard kill cannot clean up: the old results stay whole, and the unfinished run is a
    folder named ``mc.partial-<run id>`` holding an INCOMPLETE marker."""
    out = _copy(previous_run, tmp_path / "mc")
    old_id = _check_consistent(out)
    proc = _start(out, "--seed", "7", delay=0.5)
    _wait_until_writing(proc, out)
    proc.kill()
    proc.communicate(timeout=TIMEOUT)
    assert _check_consistent(out) == old_id
    (stage,) = _staging(out)
    assert (stage / "INCOMPLETE").read_text().startswith("execopt run ")
    assert not (stage / "montecarlo.manifest.json").exists()


def test_a_rerun_replaces_the_old_files_and_shares_one_run_id(
    previous_run: Path, tmp_path: Path
) -> None:
    out = _copy(previous_run, tmp_path / "mc")
    (out / "montecarlo_stale_table.csv").write_text("x\n1\n")  # an earlier run's extra table
    (out / "notes.txt").write_text("not ours")
    old_id = _check_consistent_ignoring(out, {"montecarlo_stale_table.csv", "notes.txt"})
    proc = _start(out, "--seed", "7")
    _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    names = {p.name for p in out.iterdir()}
    assert "montecarlo_stale_table.csv" not in names and "notes.txt" in names
    (out / "notes.txt").unlink()
    new_id = _check_consistent(out)
    assert new_id and new_id != old_id


def _check_consistent_ignoring(out: Path, extra: set[str]) -> str | None:
    tmp = out.parent / "check"
    tmp.mkdir()
    for p in out.iterdir():
        if p.name not in extra:
            (tmp / p.name).write_bytes(p.read_bytes())
    try:
        return _check_consistent(tmp)
    finally:
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()


@pytest.mark.parametrize("after", [0.8, 1.6, 2.4])
def test_a_kill_at_any_moment_leaves_the_folder_whole_or_as_it_was(
    previous_run: Path, tmp_path: Path, after: float
) -> None:
    out = _copy(previous_run, tmp_path / "mc")
    old_id = _check_consistent(out)
    proc = _start(out, "--seed", "7")
    time.sleep(after)
    os.kill(proc.pid, signal.SIGTERM)
    proc.communicate(timeout=TIMEOUT)
    assert proc.returncode in (0, 143, -signal.SIGTERM)  # -15: killed before main() started
    run_id = _check_consistent(out)  # whole: the old run's files or the new run's, never a mix
    if proc.returncode == 0:
        assert run_id != old_id
    # a kill after the new files moved in but before the process exited reports 143 with the
    # new run in place: also whole, so either id is right then
    assert _staging(out) == []
