"""``make reports``: notebooks -> executed reports, one producer for everything in ``reports/``.

For every ``notebooks/NN_name.py`` (jupytext ``py:percent``): jupytext turns it into a notebook,
papermill executes it with the parameters ``seed``, ``fast``, ``data_path`` and ``output_dir``,
and nbconvert renders HTML without code cells. Each report is built in a temporary folder and moved
into ``reports/NN_name/`` only when it succeeded, so a failed run never leaves a partial report
that looks complete. ``reports/index.html`` links every report with its one-line finding and the
build's provenance (git commit, package versions, data files with sha256, parameters, solver
settings).

Run ``python -m execopt.reporting.build [--fast] [--only 02] [--data PATH]``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import html
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from execopt._atomic import replace_folder, write_text

__all__ = ["ReportResult", "build_reports", "main", "provenance"]

PACKAGES = (
    "execopt",
    "numpy",
    "scipy",
    "pandas",
    "cvxpy",
    "clarabel",
    "osqp",
    "scs",
    "dask",
    "distributed",
    "arch",
    "matplotlib",
    "papermill",
    "jupytext",
    "nbconvert",
)


@dataclass(frozen=True)
class ReportResult:
    """Outcome of one notebook's build."""

    name: str
    ok: bool
    seconds: float
    finding: str
    error: str = ""


def _repo_root() -> Path:
    here = Path.cwd()
    for p in (here, *here.parents):
        if (p / "pyproject.toml").exists() and (p / "notebooks").is_dir():
            return p
    return here


def _git(root: Path, *args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def provenance(root: Path, parameters: dict[str, Any]) -> dict[str, Any]:
    """Git commit, package versions, machine, parameters and solver settings."""
    from execopt.solvers.baselines import DE_SETTINGS, SLSQP_SETTINGS
    from execopt.solvers.conic import SCS_SCALE, SOLVER_SETTINGS

    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    # reports/ is this build's own output: changes there do not make the code dirty
    dirty = _git(root, "status", "--porcelain", "--untracked-files=no", "--", ".", ":!reports")
    return {
        "git_commit": _git(root, "rev-parse", "HEAD"),
        "git_dirty": bool(dirty and dirty != "unknown"),
        "built_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": sys.version.split()[0],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "packages": versions,
        "parameters": parameters,
        "solver_settings": {
            **SOLVER_SETTINGS,
            "scs_scale_by_model": SCS_SCALE,
            "slsqp": SLSQP_SETTINGS,
            "de": DE_SETTINGS,
        },
    }


def _display_path(path: str, data_path: str) -> str:
    """A data file as a reader should see it: relative to the data folder, never a local path."""
    p = Path(path)
    for root in (data_path, os.environ.get("EXECOPT_DATA", "")):
        if root:
            try:
                return "$EXECOPT_DATA/" + p.resolve().relative_to(Path(root).resolve()).as_posix()
            except ValueError:
                pass
    return p.name


def _data_label(data_path: str) -> str:
    return "a real data folder (EXECOPT_DATA)" if data_path else "none: synthetic data only"


def _provenance_html(prov: dict[str, Any], data_files: list[dict[str, str]]) -> str:
    """The provenance block at the foot of a page: tables a person can read, no dict dumps."""
    e = html.escape
    params = prov["parameters"]
    data_path = str(params.get("data_path", ""))
    shown_params = {
        **{k: v for k, v in params.items() if k not in ("data_path", "output_dir")},
        "real data": params.get("data_label") or _data_label(data_path),
    }
    shown_params.pop("data_label", None)
    rows = (
        "".join(
            f"<tr><td>{e(d['shown'] if 'shown' in d else _display_path(d['path'], data_path))}</td>"
            f"<td><code>{d['sha256'][:16]}…</code></td></tr>"
            for d in data_files
        )
        or "<tr><td colspan=2>none: synthetic data only (the seeded generator in execopt.data)</td></tr>"
    )
    settings = prov["solver_settings"]

    def kv(d: dict[str, Any]) -> str:
        return ", ".join(f"{e(str(k))} {e(str(v))}" for k, v in d.items())

    solver_rows = "".join(
        f"<tr><td>{e(str(k))}</td><td>{kv(v) if isinstance(v, dict) else e(str(v))}</td></tr>"
        for k, v in settings.items()
    )
    quick = (
        "<p><b>QUICK BUILD (FAST=1): small samples and short runs, not the committed results.</b></p>"
        if params.get("fast")
        else ""
    )
    return (
        "<section id='provenance' class='execopt-provenance'>"
        "<h2>Provenance</h2>"
        + quick
        + f"<p>Built {prov['built_utc']} from commit <code>{prov['git_commit'][:12]}</code>"
        f"{' (with uncommitted changes)' if prov['git_dirty'] else ''} on {e(prov['machine'])},"
        f" Python {prov['python']}.</p>"
        "<table><tr><th>parameter</th><th>value</th></tr>"
        + "".join(
            f"<tr><td>{e(str(k))}</td><td>{e(str(v))}</td></tr>" for k, v in shown_params.items()
        )
        + "</table>"
        f"<table><tr><th>data file read</th><th>sha256</th></tr>{rows}</table>"
        "<table><tr><th>package</th><th>version</th></tr>"
        + "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in prov["packages"].items())
        + "</table>"
        f"<table><tr><th>solver</th><th>settings</th></tr>{solver_rows}</table></section>"
    )


#: Styles of execopt's own blocks (tables for people, the provenance block), appended to
#: nbconvert's shared stylesheet.
EXECOPT_CSS = """
.execopt-table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 13px; }
.execopt-table th, .execopt-table td { padding: 3px 10px; border-bottom: 1px solid #ddd; }
.execopt-table th { border-bottom: 2px solid #888; vertical-align: bottom; }
.execopt-table caption { text-align: left; font-weight: bold; padding-bottom: 4px; }
.execopt-provenance { font-family: sans-serif; font-size: 12px; margin: 2em; color: #333; }
.execopt-provenance table { border-collapse: collapse; margin: 0.5em 0 1em; }
.execopt-provenance th, .execopt-provenance td { padding: 2px 8px; border-bottom: 1px solid #eee;
  text-align: left; vertical-align: top; }
.execopt-quick { background: #fff3cd; border: 2px solid #d39e00; padding: 8px 12px;
  margin: 1em 2em; font-family: sans-serif; font-weight: bold; }
"""

QUICK_BANNER = (
    "<div class='execopt-quick'>QUICK BUILD (make reports FAST=1): small samples and short runs "
    "to check that the notebooks execute. These are not the committed results in reports/.</div>"
)


#: nbconvert's page styles, identical for every report, written once next to them.
STYLESHEET = "notebook.css"


def _shared_stylesheet(page: str, out_root: Path) -> str:
    """Move the ``<style>`` blocks of the page's ``<head>`` into ``reports/notebook.css``.

    nbconvert inlines ~260 kB of identical CSS into every page; one shared file keeps the
    reports small and their diffs readable. Styles scoped to an output (in ``<body>``) stay.
    """
    head_end = page.find("</head>")
    if head_end < 0:
        return page
    head, rest = page[:head_end], page[head_end:]
    styles = re.findall(r"<style[^>]*>.*?</style>", head, flags=re.S)
    if not styles:
        return page
    css = "\n".join(re.sub(r"^<style[^>]*>|</style>$", "", s) for s in styles)
    write_text(out_root / STYLESHEET, css + "\n" + EXECOPT_CSS)
    for s in styles[1:]:
        head = head.replace(s, "")
    head = head.replace(styles[0], f'<link rel="stylesheet" href="../{STYLESHEET}">')
    return head + rest


def _build_one(nb: Path, out_root: Path, params: dict[str, Any], root: Path) -> ReportResult:
    import jupytext
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    name = nb.stem
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"execopt-{name}-") as tmp:
        work = Path(tmp) / name
        work.mkdir()
        ipynb_in, ipynb_out = Path(tmp) / f"{name}.ipynb", work / f"{name}.executed.ipynb"
        notebook = jupytext.read(nb)
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        notebook.metadata["language_info"] = {"name": "python"}
        jupytext.write(notebook, ipynb_in)
        p = {**params, "output_dir": str(work)}
        try:
            pm.execute_notebook(
                str(ipynb_in),
                str(ipynb_out),
                parameters=p,
                cwd=str(root),
                progress_bar=False,
                kernel_name="python3",
            )
        except (
            Exception
        ) as exc:  # papermill raises PapermillExecutionError with the cell's traceback
            return ReportResult(
                name, False, time.perf_counter() - t0, "", str(exc).splitlines()[-1][:400]
            )
        exporter = HTMLExporter()
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        body, _ = exporter.from_notebook_node(nbformat.read(ipynb_out, as_version=4))
        df = work / "data_files.json"
        data_files = json.loads(df.read_text()) if df.exists() else []
        for d in data_files:  # a reader sees (and the record keeps) no local path
            d["path"] = _display_path(d["path"], str(p.get("data_path", "")))
        if df.exists():
            write_text(df, json.dumps(data_files, indent=1))
        prov = provenance(
            root,
            {k: v for k, v in p.items() if k != "data_path"}
            | {"output_dir": f"{out_root.name}/{name}", "data_label": _data_label(p["data_path"])},
        )
        prov["data_files"] = data_files
        body = _shared_stylesheet(body, out_root)
        if p.get("fast"):
            body = re.sub(r"(<body[^>]*>)", r"\1" + QUICK_BANNER, body, count=1)
        body = body.replace("</body>", _provenance_html(prov, data_files) + "</body>")
        write_text(work / "index.html", body)
        write_text(work / "provenance.json", json.dumps(prov, indent=1, default=str))
        ipynb_out.unlink()
        finding_f = work / "finding.txt"
        finding = finding_f.read_text().strip() if finding_f.exists() else "(no finding recorded)"
        replace_folder(work, out_root / name)
    return ReportResult(name, True, time.perf_counter() - t0, finding)


def _write_index(
    out_root: Path, results: list[ReportResult], prov: dict[str, Any], fast: bool = False
) -> None:
    """``index.html``: one line per report, and one provenance block whose data files are the
    union of what the reports read (so the index and the pages tell one story).
    """
    e = html.escape
    items = []
    data_files: dict[str, dict[str, str]] = {}
    for r in results:
        df = out_root / r.name / "data_files.json"
        if df.exists():
            for d in json.loads(df.read_text()):
                shown = _display_path(d["path"], "")
                data_files.setdefault(shown, {"shown": shown, "sha256": d["sha256"], "path": ""})
        title = r.name[3:].replace("_", " ") if r.name[:2].isdigit() else r.name
        if r.ok:
            items.append(
                f"<li><a href='{r.name}/index.html'>{r.name[:2]} {e(title)}</a>: {e(r.finding)}"
                f" <small>({r.seconds:.1f} s)</small></li>"
            )
        else:
            items.append(
                f"<li><b>{r.name}: FAILED</b>: {e(r.error)} (previous report, if any, kept)</li>"
            )
    extra = []
    for sub in sorted(
        p
        for p in out_root.iterdir()
        if p.is_dir() and not p.name.startswith(("_", ".")) and not (p / "finding.txt").exists()
    ):
        pages = sorted(sub.glob("*.html")) + sorted(sub.glob("*.md"))
        if pages:
            extra.append(f"<li><a href='{sub.name}/{pages[0].name}'>{sub.name}</a></li>")
    quick = (
        "<div class='execopt-quick'>QUICK BUILD (make reports FAST=1): small samples and short "
        "runs to check that the notebooks execute, written to reports/_fast/. These are not the "
        "committed results.</div>"
        if fast
        else ""
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>execopt reports</title>"
        f"<style>{EXECOPT_CSS}</style></head>"
        "<body style='font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.45'>"
        + quick
        + "<h1>execopt reports</h1>"
        "<p>Each report is a notebook in <code>notebooks/</code> executed by <code>make reports"
        "</code>; nothing here is edited by hand. Conventions: costs in dollars, shares for order "
        "sizes, a <em>saving</em> &gt; 0 means cheaper than TWAP (equal allocation S/N). "
        "<em>The reference framework document</em> is a short external brief that proposed this "
        "execution framework and claimed figures for it; report 06 re-derives them.</p>"
        f"<ul>{''.join(items)}</ul>"
        + (f"<h2>Other artefacts</h2><ul>{''.join(extra)}</ul>" if extra else "")
        + _provenance_html(prov, list(data_files.values()))
        + "</body></html>"
    )
    write_text(out_root / "index.html", page)


def build_reports(
    *,
    fast: bool = False,
    seed: int = 0,
    data_path: str | None = None,
    only: list[str] | None = None,
    root: Path | None = None,
    out_root: Path | None = None,
    notebooks_dir: Path | None = None,
) -> list[ReportResult]:
    """Execute every notebook into ``reports/`` (see the module docstring).

    ``out_root`` (default ``<root>/reports``) and ``notebooks_dir`` (default
    ``<root>/notebooks``) let tests build into a temporary folder; notebooks always run with
    ``root`` as their working directory.
    """
    root = root or _repo_root()
    notebooks = sorted((notebooks_dir or root / "notebooks").glob("[0-9][0-9]_*.py"))
    if only is not None:  # [] runs no notebook: the index is rewritten from results.json
        notebooks = [n for n in notebooks if any(n.stem.startswith(o) for o in only)]
    out_root = Path(out_root) if out_root is not None else root / "reports"
    out_root.mkdir(parents=True, exist_ok=True)
    if data_path is None:
        env = os.environ.get("EXECOPT_DATA")
        cand = Path(env) if env else root.parent / "shared" / "data"
        data_path = str(cand) if cand.exists() else ""
    params = {"seed": seed, "fast": fast, "data_path": data_path}
    results = []
    for nb in notebooks:
        print(f"[reports] {nb.name} ...", flush=True)
        r = _build_one(nb, out_root, params, root)
        print(
            f"[reports] {nb.name}: {'ok' if r.ok else 'FAILED: ' + r.error} ({r.seconds:.1f} s)",
            flush=True,
        )
        results.append(r)
    prev = {}
    idx = out_root / "results.json"
    if idx.exists():
        prev = {d["name"]: d for d in json.loads(idx.read_text())}
    for r in results:
        prev[r.name] = r.__dict__
    # a report whose notebook is gone (renamed or removed) leaves the index with it
    names = {
        nb.stem for nb in sorted((notebooks_dir or root / "notebooks").glob("[0-9][0-9]_*.py"))
    }
    for gone in [n for n in prev if n not in names]:
        prev.pop(gone)
        if (out_root / gone / "finding.txt").exists():
            shutil.rmtree(out_root / gone)
    write_text(idx, json.dumps(sorted(prev.values(), key=lambda d: d["name"]), indent=1))
    all_results = [ReportResult(**d) for d in sorted(prev.values(), key=lambda d: d["name"])]
    index_params = {k: v for k, v in params.items() if k != "data_path"}
    index_params["data_label"] = _data_label(str(params["data_path"]))
    _write_index(out_root, all_results, provenance(root, index_params), fast=fast)
    return results


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; exit 1 if any notebook failed."""
    ap = argparse.ArgumentParser(
        prog="python -m execopt.reporting.build", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--fast", action="store_true", help="quick version (small draws, short runs)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--data", default=None, help="real data folder (default: EXECOPT_DATA or ../shared/data)"
    )
    ap.add_argument("--only", nargs="*", help="notebook name prefixes, e.g. 02 06")
    ap.add_argument("--out", default=None, help="output folder (default: reports/)")
    ap.add_argument(
        "--index-only",
        action="store_true",
        help="run no notebook; rewrite index.html from results.json and the built reports",
    )
    a = ap.parse_args(argv)
    res = build_reports(
        fast=a.fast,
        seed=a.seed,
        data_path=a.data,
        only=[] if a.index_only else (a.only or None),
        out_root=Path(a.out) if a.out else None,
    )
    failed = [r.name for r in res if not r.ok]
    if failed:
        print(f"[reports] failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
