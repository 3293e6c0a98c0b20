"""The README's examples run when pasted.

Every fenced ``sh`` block is run as a bash script (``set -euo pipefail``) in a temporary folder
with this environment's ``bin`` first on PATH, so ``execopt`` and ``python3`` are the installed
ones; every fenced ``python`` block is run with this interpreter. Lines that set up an
environment (``make``, ``source``, ``python3 -m venv``, ``pip install``, ``conda``, ``export``) are
left out: the tests already run inside one. A block that needs the real data (it names
``$EXECOPT_DATA``) runs when the data folder is there and is skipped, saying so, when it is not.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
SETUP = ("make ", "source ", "python3 -m venv", ".venv/bin/pip", "pip install", "conda ", "export ")
#: Lines that only look like commands (a format sketch, not a command to paste).
BLOCKS = re.findall(r"^```(sh|python)\n(.*?)^```", README, flags=re.S | re.M)


def _data_root() -> Path | None:
    env = os.environ.get("EXECOPT_DATA", "").strip()
    for cand in (Path(env) if env else None, REPO.parent / "shared" / "data"):
        if cand is not None and (cand / "mbp10").is_dir():
            return cand
    return None


def _runnable(body: str) -> str:
    return "\n".join(ln for ln in body.splitlines() if not ln.lstrip().startswith(SETUP))


def test_readme_has_examples() -> None:
    assert sum(1 for kind, _ in BLOCKS if kind == "sh") >= 6
    # the two lines that used to fail when pasted
    assert "[--json]" not in README
    assert "solvers | sensitivity | stress" not in README


@pytest.mark.parametrize(
    ("kind", "body"), BLOCKS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(BLOCKS)]
)
def test_readme_block_runs(kind: str, body: str, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("EXECOPT_DATA", None)
    if "EXECOPT_DATA" in body:
        root = _data_root()
        if root is None:
            pytest.skip("this README block reads real data: no EXECOPT_DATA or ../shared/data here")
        env["EXECOPT_DATA"] = str(root)
    if kind == "python":
        cmd = [sys.executable, "-c", body]
    else:
        script = _runnable(body)
        if not script.strip():
            pytest.skip("set-up commands only (make, venv, pip): the tests already run in one")
        cmd = ["bash", "-c", "set -euo pipefail\n" + script]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (
        f"README {kind} block failed (exit {proc.returncode}):\n{body}\n--- stderr ---\n"
        f"{proc.stderr[-3000:]}\n--- stdout ---\n{proc.stdout[-2000:]}"
    )
