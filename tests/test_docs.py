"""The documentation site builds with ``mkdocs build --strict`` (broken links, missing pages and
docstring references fail it), so ``make test`` checks what ``make docs`` publishes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: Seconds: a strict build of the site with the API pages takes ~20-40 s on two cores.
BUILD_TIMEOUT = 600


def test_docs_site_builds_strictly(repo_root: Path, tmp_path: Path) -> None:
    mkdocs = Path(sys.executable).with_name("mkdocs")
    if not mkdocs.exists() or shutil.which("git") is None:  # pragma: no cover - dev extra
        pytest.skip(f"mkdocs is not installed next to {sys.executable} (pip install -e .[dev])")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert (tmp_path / "site" / "index.html").is_file()
