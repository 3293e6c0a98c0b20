"""The notebooks: every one executes in fast mode through the report build, into a temporary folder.

The build (jupytext -> papermill -> nbconvert) runs once for the module with ``data_path=""``, so
every notebook takes its synthetic fallback and the test does not depend on the real data; each
report must then hold an ``index.html``, at least one figure (PNG and SVG), one table (CSV and
Markdown), a finding and a provenance record. The notebooks' text is checked too: exactly one cell
tagged ``parameters`` with exactly the four build parameters, and no ``.ipynb`` tracked by git.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from execopt.reporting.build import ReportResult, build_reports

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.py"))
NAMES = [nb.stem for nb in NOTEBOOKS]
PARAMETERS = ["seed = 0", "fast = True", 'data_path = ""', 'output_dir = "reports/_scratch"']
#: The seven reports of issue 5, the self-validation of issue 6, the transient-impact report of
#: issue 12, the external-solver leaderboard of issue 13 and the multi-asset report of issue 14;
#: a missing one fails here.
EXPECTED = [
    "01_impact_fitting",
    "02_solver_comparison",
    "03_sensitivity",
    "04_monte_carlo",
    "05_regimes_stress",
    "06_reference_claims_audit",
    "07_dynamic_execution",
    "08_solver_validation",
    "09_transient_impact",
    "10_solver_leaderboard",
    "11_multi_asset",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, ReportResult]]:
    out = tmp_path_factory.mktemp("reports")
    results = build_reports(fast=True, seed=0, data_path="", root=REPO, out_root=out)
    return out, {r.name: r for r in results}


def test_all_notebooks_present() -> None:
    assert NAMES == EXPECTED


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NAMES)
def test_one_parameters_cell(nb: Path) -> None:
    import jupytext

    cells = jupytext.read(nb).cells
    tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{nb.name}: {len(tagged)} cells tagged parameters"
    body = [ln.strip() for ln in tagged[0].source.splitlines() if ln.strip()]
    assert body == PARAMETERS
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")


def test_no_ipynb_tracked() -> None:
    try:
        out = subprocess.run(
            ["git", "ls-files", "*.ipynb"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):  # pragma: no cover - not a git checkout
        pytest.skip("not a git checkout")
    assert out.strip() == ""


@pytest.mark.parametrize("name", EXPECTED)
def test_report_built(built: tuple[Path, dict[str, ReportResult]], name: str) -> None:
    out, results = built
    r = results[name]
    assert r.ok, f"{name} failed: {r.error}"
    d = out / name
    page = (d / "index.html").read_text()
    assert "&lt;Figure size" not in page, "a figure was shown as text, not as an image"
    pngs = {p.stem for p in (d / "figures").glob("*.png")}
    svgs = {p.stem for p in (d / "figures").glob("*.svg")}
    assert pngs and pngs == svgs
    assert page.count("data:image/png") >= len(pngs), "every saved figure is shown in the report"
    csvs = {p.stem for p in (d / "tables").glob("*.csv")}
    mds = {p.stem for p in (d / "tables").glob("*.md")}
    assert csvs and csvs == mds
    finding = (d / "finding.txt").read_text().strip()
    assert finding and r.finding == finding
    assert re.search(r"\d", finding), "the finding should state a measured number"
    prov = json.loads((d / "provenance.json").read_text())
    assert prov["git_commit"]
    assert prov["packages"]["execopt"] != "not installed"
    assert prov["parameters"]["fast"] is True
    assert not (d / f"{name}.executed.ipynb").exists()


def test_index(built: tuple[Path, dict[str, ReportResult]]) -> None:
    out, results = built
    page = (out / "index.html").read_text()
    for name in EXPECTED:
        assert f"{name}/index.html" in page
    assert "FAILED" not in page
    assert all(r.seconds < 90 for r in results.values()), {
        n: round(r.seconds, 1) for n, r in results.items()
    }


def test_index_only_rewrites_a_stale_index(
    built: tuple[Path, dict[str, ReportResult]], tmp_path: Path
) -> None:
    """A merge can leave ``index.html`` behind ``results.json``: ``--index-only`` repairs it
    from what was built, running no notebook."""
    import shutil

    from execopt.reporting.build import main

    out = tmp_path / "reports"
    shutil.copytree(built[0], out)
    (out / "index.html").write_text("<html>stale</html>")
    assert main(["--index-only", "--data", "", "--out", str(out)]) == 0
    page = (out / "index.html").read_text()
    for name in EXPECTED:
        assert f"{name}/index.html" in page
