"""Writing report artefacts: each figure and table by one function, with provenance.

Notebooks call these with the ``output_dir`` parameter the report build gives them:

* :func:`save_figure` writes ``figures/<name>.png`` and ``.svg``;
* :func:`save_table` writes ``tables/<name>.csv`` and ``.md``;
* :func:`save_data` writes raw per-draw data as ``data/<name>.csv.gz``;
* :func:`note_data` records a data file read (path and sha256) for the provenance block;
* :func:`write_finding` records the one-line finding shown in ``reports/index.html``.

Every file is written atomically (:mod:`execopt._atomic`): a killed build or a full disk leaves
the previous file or none, never a cut one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from execopt.reporting.present import HumanTable
from execopt._atomic import atomic_path, write_text

__all__ = ["note_data", "save_data", "save_figure", "save_table", "sha256", "write_finding"]


def sha256(path: str | Path) -> str:
    """Hex sha256 of a file (streamed)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _dir(output_dir: str | Path, sub: str) -> Path:
    d = Path(output_dir) / sub
    d.mkdir(parents=True, exist_ok=True)
    return d


def save_figure(fig: Any, name: str, output_dir: str | Path) -> list[Path]:
    """Save a matplotlib figure as PNG (150 dpi) and SVG; return the paths."""
    d = _dir(output_dir, "figures")
    out = []
    for ext in ("png", "svg"):
        p = d / f"{name}.{ext}"
        # a fixed salt makes SVG element ids, and so the file, the same on every build
        with matplotlib.rc_context({"svg.hashsalt": "execopt"}), atomic_path(p) as tmp:
            fig.savefig(
                tmp,
                dpi=150,
                bbox_inches="tight",
                metadata={"Date": None} if ext == "svg" else None,
            )
        out.append(p)
    return out


def save_table(
    df: pd.DataFrame,
    name: str,
    output_dir: str | Path,
    *,
    shown: HumanTable | None = None,
) -> list[Path]:
    """Save a tidy table as CSV (full precision, machine column names) and Markdown; return the
    paths.

    The Markdown is ``shown`` (the table formatted for people by
    :func:`~execopt.reporting.present.human`) when given, else :func:`human` of ``df``.
    """
    from execopt.reporting.present import human

    d = _dir(output_dir, "tables")
    csv, md = d / f"{name}.csv", d / f"{name}.md"
    with atomic_path(csv) as tmp:
        df.to_csv(tmp, index=False)
    write_text(md, (shown if shown is not None else human(df)).to_markdown() + "\n")
    return [csv, md]


def save_data(df: pd.DataFrame, name: str, output_dir: str | Path) -> Path:
    """Save raw per-draw or per-run data (not a table meant for reading) as ``data/<name>.csv.gz``.

    Tables a reader looks at go through :func:`save_table`; thousands of Monte Carlo draws as a
    Markdown table would only be noise (and several MB).
    """
    p = _dir(output_dir, "data") / f"{name}.csv.gz"
    with atomic_path(p) as tmp:
        df.to_csv(tmp, index=False, compression={"method": "gzip", "mtime": 0})
    return p


def note_data(path: str | Path, output_dir: str | Path) -> None:
    """Record that a report read ``path`` (its sha256 goes into the provenance block)."""
    f = Path(output_dir) / "data_files.json"
    items: list[dict[str, str]] = json.loads(f.read_text()) if f.exists() else []
    p = Path(path)
    files = sorted(p.rglob("*")) if p.is_dir() else [p]
    for q in files:
        if q.is_file() and all(i["path"] != str(q) for i in items):
            items.append({"path": str(q), "sha256": sha256(q)})
    write_text(f, json.dumps(items, indent=1))


def write_finding(text: str, output_dir: str | Path) -> None:
    """The report's one-line finding, shown in ``reports/index.html``."""
    write_text(Path(output_dir) / "finding.txt", " ".join(text.split()) + "\n")
