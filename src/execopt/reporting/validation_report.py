"""Reports of a suite validation: a rich table for the terminal, Markdown, self-contained HTML.

Also writes the self-validation table (:func:`execopt.studies.suite.self_validation`) to
``reports/validation/self_validation.{csv,md}`` — the only producer of those files.

Symbols used for check statuses: ``✓`` pass, ``✗`` fail, ``–`` not applicable, ``·`` info.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from execopt._atomic import atomic_path, write_text
from execopt.errors import InputError
from execopt.studies.suite.validate import CHECKS, InstanceResult, ValidationResult

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from rich.table import Table

__all__ = [
    "SYMBOLS",
    "check_summary",
    "family_rows",
    "markdown_table",
    "render_html",
    "render_markdown",
    "rich_summary",
    "rich_table",
    "verdict_line",
    "write_report",
    "write_self_validation",
]

#: Status -> symbol in tables.
SYMBOLS = {"pass": "✓", "fail": "✗", "n/a": "–", "info": "·"}
#: Short names of the checks in the tables.
_SHORT = {
    "presence": "present",
    "format": "format",
    "feasibility": "feasible",
    "objective": "gap",
    "schedule": "schedule",
    "kkt": "kkt",
    "certificate": "cert",
    "time": "time",
}
#: Columns of the per-family coverage table.
COVERAGE_COLUMNS = (
    "family",
    "instances",
    "attempted",
    "passed",
    "failed",
    "not attempted",
    "coverage",
    "worst passing rel. gap",
)


# ----------------------------------------------------------------------------- numbers
def _num(v: Any, spec: str = ".3g") -> str:
    if v is None:
        return "-"
    f = float(v)
    if math.isnan(f):
        return "-"
    return format(f, spec)


def _gap_text(r: InstanceResult) -> str:
    if r.gap is None:
        return "-"
    parts = []
    if r.rel_gap is not None:
        parts.append(f"{r.rel_gap:.2g}")
    if r.gap_bps is not None:
        parts.append(f"{r.gap_bps:.2g} bp")
    if not parts:
        parts.append(f"${r.gap:.2g}")
    return " / ".join(parts)


def check_summary(r: InstanceResult) -> str:
    """``present ✓ format ✓ feasible ✗ ...`` for one instance (checks that ran)."""
    return " ".join(f"{_SHORT[c.name]} {SYMBOLS[c.status]}" for c in r.checks if c.name in _SHORT)


def family_rows(result: ValidationResult) -> list[tuple[str, int, int, int, int, int, str, str]]:
    """Per family: instances, attempted, passed, failed, not attempted, coverage, worst gap."""
    rows = []
    for fam, d in result.coverage().items():
        worst = [
            r.rel_gap
            for r in result.instances
            if r.family == fam and r.rel_gap is not None and r.passed
        ]
        cov = d["coverage"]
        rows.append(
            (
                fam,
                d["instances"],
                d["attempted"],
                d["passed"],
                d["failed"],
                d["not_attempted"],
                "-" if cov is None else f"{100 * cov:.0f} %",
                _num(max(worst) if worst else None),
            )
        )
    return rows


def verdict_line(result: ValidationResult) -> str:
    """One line: how many attempted instances passed, and how many were not attempted."""
    s = result.summary()
    line = f"{s['n_passed']}/{s['attempted']} attempted instances passed"
    if result.only_present or s["not_attempted"]:
        line += f" ({s['not_attempted']} of {s['instances']} not attempted)"
    if not s["attempted"]:
        line += "; nothing was attempted"
    return line


# ----------------------------------------------------------------------------- terminal
def rich_table(result: ValidationResult, *, failures_only: bool = False) -> Table:
    """A rich table: instance, family, N, checks, gap (relative / bps of notional), verdict."""
    from rich.table import Table

    t = Table(
        title=f"Validation of {result.source} against {result.suite}",
        title_justify="left",
        pad_edge=False,
    )
    t.add_column("instance")
    t.add_column("family")
    t.add_column("N", justify="right")
    t.add_column("checks")
    t.add_column("gap (rel / bp)", justify="right")
    t.add_column("time", justify="right")
    t.add_column("verdict")
    for r in result.instances:
        if failures_only and r.passed:
            continue
        verdict = (
            "[dim]not attempted[/]"
            if not r.attempted
            else "[green]pass[/]"
            if r.passed
            else "[bold red]FAIL[/]"
        )
        t.add_row(
            r.id,
            r.family,
            f"{r.periods:,}",
            check_summary(r),
            _gap_text(r),
            "-" if r.seconds is None else f"{1e3 * r.seconds:.3g} ms",
            verdict,
        )
    return t


def rich_summary(result: ValidationResult) -> Table:
    """Per-family counts and the overall verdict."""
    from rich.table import Table

    verdict = "[green]PASS[/]" if result.passed else "[bold red]FAIL[/]"
    t = Table(
        title=f"Summary: {verdict_line(result)}, {verdict} "
        f"(rtol {result.rtol:g}, feasibility {result.feas_rtol:g} x max(S, 1) shares, "
        f"{result.seconds:.2f} s)",
        title_justify="left",
        pad_edge=False,
    )
    for col in COVERAGE_COLUMNS:
        t.add_column(col, justify="left" if col == "family" else "right")
    for fam, n, a, p, f, na, cov, w in family_rows(result):
        t.add_row(fam, str(n), str(a), str(p), f"[red]{f}[/]" if f else "0", str(na), cov, w)
    return t


# ----------------------------------------------------------------------------- markdown
def _md_cell(v: Any) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def markdown_table(
    rows: Sequence[Sequence[Any]] | pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    align: Sequence[str] | None = None,
) -> str:
    """A GitHub-flavoured Markdown table from rows (or a DataFrame, formatted with ``str``)."""
    import pandas as pd

    if isinstance(rows, pd.DataFrame):
        columns = [str(c) for c in rows.columns] if columns is None else columns
        body = [list(r) for r in rows.itertuples(index=False)]
    else:
        if columns is None:
            raise InputError("give the column names, or a DataFrame.")
        body = [list(r) for r in rows]
    al = align or ["l"] * len(columns)
    sep = ["---:" if a == "r" else "---" for a in al]
    lines = [
        "| " + " | ".join(_md_cell(c) for c in columns) + " |",
        "| " + " | ".join(sep) + " |",
    ]
    lines += ["| " + " | ".join(_md_cell(v) for v in r) + " |" for r in body]
    return "\n".join(lines) + "\n"


def render_markdown(result: ValidationResult) -> str:
    """The validation report as Markdown: verdict, coverage by family, failures, every instance."""
    out = [
        "# Reference-suite validation\n\n",
        f"- schedules: `{result.source}`\n- suite: `{result.suite}`\n"
        f"- tolerances: objective rtol {result.rtol:g}; feasibility {result.feas_rtol:g} x max(S, 1) shares\n"
        f"- verdict: **{'PASS' if result.passed else 'FAIL'}** — {verdict_line(result)} "
        f"({result.seconds:.2f} s)\n",
    ]
    if result.families is not None:
        out.append(f"- families: {', '.join(result.families)}\n")
    if result.only_present:
        out.append("- missing schedules count as not attempted (`--only-present`)\n")
    if result.unexpected:
        out.append(f"- ignored files matching no instance: {', '.join(result.unexpected)}\n")
    out.append("\n## Coverage by family\n\n")
    out.append(
        markdown_table(
            family_rows(result),
            list(COVERAGE_COLUMNS),
            align=["l"] + ["r"] * (len(COVERAGE_COLUMNS) - 1),
        )
    )
    fails = result.failures()
    if fails:
        out.append("\n## Failures\n\n")
        for r in fails:
            for c in r.failures:
                out.append(f"- {_md_cell(c.message)}\n")
    out.append("\n## Instances\n\n")
    out.append(
        markdown_table(
            [
                (
                    r.id,
                    r.family,
                    f"{r.periods:,}",
                    check_summary(r),
                    _num(r.gap, ".4g"),
                    _num(r.rel_gap, ".2g"),
                    _num(r.gap_bps, ".2g"),
                    _num(r.stationarity, ".2g"),
                    r.verdict,
                )
                for r in result.instances
            ],
            [
                "instance",
                "family",
                "N",
                "checks",
                "gap $",
                "rel. gap",
                "gap bp",
                "stationarity",
                "verdict",
            ],
            align=["l", "l", "r", "l", "r", "r", "r", "r", "l"],
        )
    )
    return "".join(out)


# ----------------------------------------------------------------------------- HTML
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4} td.r{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#1a7f37} .fail{color:#cf222e;font-weight:bold} .na{color:#888} .info{color:#555}
tr.failed{background:#fff5f5} details{margin:0} summary{cursor:pointer}
.verdict{font-size:1.3em} code{background:#f4f4f4;padding:1px 4px}
"""


def _h(v: Any) -> str:
    return html.escape(str(v))


def _status_class(status: str) -> str:
    return {"pass": "pass", "fail": "fail", "n/a": "na", "info": "info"}[status]


def render_html(result: ValidationResult) -> str:
    """A self-contained HTML report (inline CSS, no scripts)."""
    verdict = "PASS" if result.passed else "FAIL"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>execopt suite validation: {verdict}</title><style>{_CSS}</style></head><body>",
        "<h1>Reference-suite validation</h1>",
        f"<p class='verdict {_status_class('pass' if result.passed else 'fail')}'>{verdict}: "
        f"{_h(verdict_line(result))}</p>",
        "<ul>",
        f"<li>schedules: <code>{_h(result.source)}</code></li>",
        f"<li>suite: <code>{_h(result.suite)}</code></li>",
        f"<li>tolerances: objective rtol {result.rtol:g}; feasibility {result.feas_rtol:g} "
        "&times; max(S, 1) shares</li>",
        f"<li>validated in {result.seconds:.2f} s; report written {now}</li>",
    ]
    if result.unexpected:
        parts.append(f"<li>ignored files: {_h(', '.join(result.unexpected))}</li>")
    if result.families is not None:
        parts.append(f"<li>families: {_h(', '.join(result.families))}</li>")
    if result.only_present:
        parts.append("<li>missing schedules count as not attempted (--only-present)</li>")
    parts.append("</ul><h2>Coverage by family</h2><table><tr>")
    parts += [f"<th>{_h(c)}</th>" for c in COVERAGE_COLUMNS]
    parts.append("</tr>")
    for fam, n, a, p, f, na, cov, w in family_rows(result):
        parts.append(
            f"<tr><td>{_h(fam)}</td><td class='r'>{n}</td><td class='r'>{a}</td>"
            f"<td class='r'>{p}</td><td class='r {'fail' if f else ''}'>{f}</td>"
            f"<td class='r'>{na}</td><td class='r'>{_h(cov)}</td><td class='r'>{_h(w)}</td></tr>"
        )
    parts.append("</table>")
    fails = result.failures()
    if fails:
        parts.append("<h2>Failures</h2><ul>")
        for r in fails:
            for c in r.failures:
                parts.append(f"<li class='fail'>{_h(c.message)}</li>")
        parts.append("</ul>")
    parts.append("<h2>Instances</h2><table><tr>")
    heads = [
        "instance",
        "family",
        "N",
        *[_SHORT[c] for c in CHECKS],
        "gap $",
        "rel. gap",
        "gap bp",
        "time",
        "verdict",
    ]
    parts += [f"<th>{_h(c)}</th>" for c in heads]
    parts.append("</tr>")
    for r in result.instances:
        cells = [
            f"<td>{_h(r.id)}</td>",
            f"<td>{_h(r.family)}</td>",
            f"<td class='r'>{r.periods:,}</td>",
        ]
        for name in CHECKS:
            chk = r.check(name)
            if chk is None:
                cells.append("<td class='na'></td>")
            else:
                cells.append(
                    f"<td class='{_status_class(chk.status)}' title='{_h(chk.message)}'>"
                    f"{SYMBOLS[chk.status]}</td>"
                )
        cells += [
            f"<td class='r'>{_h(_num(r.gap, '.4g'))}</td>",
            f"<td class='r'>{_h(_num(r.rel_gap, '.2g'))}</td>",
            f"<td class='r'>{_h(_num(r.gap_bps, '.2g'))}</td>",
            f"<td class='r'>{'-' if r.seconds is None else f'{1e3 * r.seconds:.3g} ms'}</td>",
            f"<td class='{_status_class(r.verdict if r.attempted else 'n/a')}'>{r.verdict}</td>",
        ]
        parts.append(f"<tr class='{'' if r.passed else 'failed'}'>{''.join(cells)}</tr>")
    parts.append(
        "</table><p class='info'>Hover a check symbol for its message. ✓ pass, ✗ fail, "
        "– not applicable, · information (KKT residuals).</p></body></html>\n"
    )
    return "".join(parts)


def write_report(result: ValidationResult, path: Path) -> Path:
    """Write the report to ``path``: HTML for ``.html``/``.htm``, Markdown for ``.md``.

    Raises
    ------
    InputError
        For any other suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        text = render_html(result)
    elif suffix == ".md":
        text = render_markdown(result)
    else:
        raise InputError(f"report file {path} must end in .html or .md.")
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text(path, text)


# ----------------------------------------------------------------------------- self-validation
def _fmt_cell(col: str, v: Any) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        if col == "pass_rate":
            return f"{100 * v:.0f} %"
        if col == "median_seconds":
            return f"{1e3 * v:.3g} ms"
        return f"{v:.2g}"
    return str(v)


def write_self_validation(
    table: pd.DataFrame, outdir: Path = Path("reports/validation"), *, fast: bool = True
) -> tuple[Path, Path]:
    """Write the per-method self-validation table to ``outdir/self_validation.{csv,md}``.

    Parameters
    ----------
    table : DataFrame
        :func:`execopt.studies.suite.self_validation`'s result.
    outdir : Path
        Target folder (created if missing).
    fast : bool
        Whether the table came from the fast subset (said in the Markdown).

    Returns
    -------
    csv_path, md_path : Path
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    csv_path = outdir / "self_validation.csv"
    md_path = outdir / "self_validation.md"
    with atomic_path(csv_path) as tmp:
        table.to_csv(tmp, index=False)
    shown = table.copy()
    for col in shown.columns:
        shown[col] = [_fmt_cell(str(col), v) for v in shown[col]]
    numeric = {
        "instances",
        "applicable",
        "passed",
        "failed",
        "n_a",
        "pass_rate",
        "worst_rel_gap",
        "worst_gap_bps",
        "median_seconds",
    }
    md = [
        "# Self-validation of execopt's methods on the reference suite\n\n",
        f"Mode: {'fast subset' if fast else 'every feasible instance'}. A run passes when its "
        "schedule is feasible and within rtol of the certified optimum; `n_a` counts instances a "
        "method does not apply to (problem class or size), not failures. Gaps are over applicable "
        "runs; `median_seconds` is per call, including certification.\n\n",
        markdown_table(
            shown,
            align=["r" if c in numeric else "l" for c in shown.columns],
        ),
    ]
    write_text(md_path, "".join(md))
    return csv_path, md_path
