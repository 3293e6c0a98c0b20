"""Write the command-line reference from ``execopt``'s argparse parsers (run by the docs hook).

Every command and sub-action gets its ``--help`` text verbatim, at a fixed width of 100 columns,
so the page is what a user sees in a terminal and changes only when the parsers change.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _section(lines: list[str], name: str, parser: argparse.ArgumentParser, level: int) -> None:
    lines += [f"{'#' * level} `{name}`", "", "```text", parser.format_help().rstrip(), "```", ""]
    for sub, p in _subparsers(parser).items():
        _section(lines, f"{name} {sub}", p, level + 1)


def cli_reference() -> str:
    """The Markdown page: the top-level help, then each command (and its actions) in turn."""
    os.environ["COLUMNS"] = "100"
    from execopt.cli.main import build_parser

    parser = build_parser()
    lines = [
        "# Command-line reference",
        "",
        "Generated from the argparse parsers of `execopt` when the documentation is built "
        "(`make docs`); it is the `--help` text of each command. Exit codes: 0 success, 1 a "
        "check failed, 2 usage or input error, 3 a solver failed.",
        "",
        "```text",
        parser.format_help().rstrip(),
        "```",
        "",
    ]
    for name, p in _subparsers(parser).items():
        _section(lines, f"execopt {name}", p, 2)
    return "\n".join(lines) + "\n"


def write_cli_reference(path: Path) -> Path:
    """Write :func:`cli_reference` to ``path`` if it changed (so ``mkdocs serve`` does not loop)."""
    text = cli_reference()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    out = write_cli_reference(
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "reference" / "cli.md"
    )
    print(f"wrote {out}")
