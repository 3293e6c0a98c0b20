"""MkDocs hooks: the CLI reference from the argparse parsers, and the reports and changelog.

``docs/reference/cli.md`` is written at build time from ``execopt``'s own parsers (each
command's ``--help``), so it cannot drift from the code. ``reports/`` and ``CHANGELOG.md`` live
outside ``docs/``; they are added to the site as generated files.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def on_pre_build(config: Any) -> None:
    spec = importlib.util.spec_from_file_location(
        "execopt_docs_gen_cli", ROOT / "docs" / "gen_cli.py"
    )
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    gen.write_cli_reference(ROOT / "docs" / "reference" / "cli.md")


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    reports = ROOT / "reports"
    for path in sorted(reports.rglob("*")):
        rel = path.relative_to(reports)
        if path.is_file() and not rel.parts[0].startswith(("_", ".")):
            files.append(
                File(
                    f"reports/{rel.as_posix()}",
                    src_dir=str(ROOT),
                    dest_dir=config["site_dir"],
                    use_directory_urls=False,
                )
            )
    changelog = File.generated(
        config, "changelog.md", content=(ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    )
    files.append(changelog)
    return files


__all__ = ["on_files", "on_pre_build"]
os.environ.setdefault("COLUMNS", "100")
