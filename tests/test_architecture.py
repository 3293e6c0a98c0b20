"""The layering cannot rot: import-linter's contract holds, and ``import execopt`` stays light
(cvxpy, 1.2 s and 115 MB, is imported only by the conic back-ends when they are used)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

#: Seconds before a subprocess is considered hung (import-linter analyses ~100 modules in ~1 s).
SUBPROCESS_TIMEOUT = 120


def _lint_imports() -> Path:
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():  # pragma: no cover - the dev extra installs it
        pytest.skip(
            f"import-linter is not installed next to {sys.executable} (pip install -e .[dev])"
        )
    return exe


def test_import_linter_layers_contract_is_kept(repo_root: Path) -> None:
    """data -> impact -> problem -> solvers -> execution -> studies -> reporting -> cli, and no
    import cycle between sibling modules anywhere (acyclic-siblings contract)."""
    proc = subprocess.run(
        [str(_lint_imports()), "--no-cache"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Contracts: 2 kept, 0 broken." in out, out
    assert "BROKEN" not in out, out


def _fresh_python(code: str, repo_root: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=True,
    )
    return proc.stdout.strip()


def test_import_execopt_does_not_import_cvxpy(repo_root: Path) -> None:
    assert _fresh_python("import execopt, sys; print('cvxpy' in sys.modules)", repo_root) == "False"


def test_exact_solve_does_not_import_cvxpy(repo_root: Path) -> None:
    """The reference solver and the certificate need no cvxpy either."""
    code = (
        "import sys, execopt as eo\n"
        "p = eo.ExecutionProblem(1e4, eo.QuadraticImpact(0.024, 0.0012), periods=390, cap=100)\n"
        "s = eo.solve(p)\n"
        "eo.certify(p, s.schedule)\n"
        "print(s.certificate.feasible, 'cvxpy' in sys.modules)"
    )
    assert _fresh_python(code, repo_root) == "True False"


def test_cvxpy_is_imported_top_level_only_in_the_conic_backend(repo_root: Path) -> None:
    """A module-level ``import cvxpy`` anywhere else would put it on every import path."""
    offenders = []
    for path in sorted((repo_root / "src" / "execopt").rglob("*.py")):
        if path.name == "conic.py":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(("import cvxpy", "from cvxpy")):
                offenders.append(f"{path.relative_to(repo_root)}: {line}")
    assert not offenders, offenders
