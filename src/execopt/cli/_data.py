"""Options and output shared by the commands that read an order book (fit, backtest, study).

Every such command loads its book through :func:`execopt.data.load_book`, prints what
validation read, kept and dropped (:func:`print_validation`), puts the same counts in its
``--json`` document under ``"data_validation"`` (:func:`validation_doc`), and exits with code 2
when validation dropped more than ``--max-drop`` of the rows (a :class:`DataError` from
``load_book``).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from execopt.data.validation import ValidationReport

__all__ = [
    "MAX_DROP_HELP",
    "add_data_arguments",
    "namespace_options",
    "print_validation",
    "validation_doc",
]

#: Kept in step with :data:`execopt.data.DEFAULT_MAX_DROP` (not imported: ``--help`` stays light).
_DEFAULT_MAX_DROP = 0.01

MAX_DROP_HELP = (
    "refuse the book (exit code 2) when validation drops more than this share of its rows "
    "(bad, duplicated or out-of-order rows); default 0.01 = 1 %%. Raise it to accept the loss "
    "knowingly; the counts are printed either way"
)


def add_data_arguments(group: Any, *, sort_and_time: bool = True) -> None:
    """Add ``--max-drop`` (and ``--sort-time``, ``--synthetic-time``) to an argument group."""
    group.add_argument(
        "--max-drop",
        type=float,
        default=_DEFAULT_MAX_DROP,
        metavar="FRACTION",
        help=MAX_DROP_HELP,
    )
    if not sort_and_time:
        return
    group.add_argument(
        "--sort-time",
        action="store_true",
        help="sort the rows by (timestamp, sequence) instead of dropping rows out of time "
        "order; without it a file mostly out of order (e.g. written backwards) is refused",
    )
    group.add_argument(
        "--synthetic-time",
        action="store_true",
        help="LOBSTER order book without --messages: accept per-minute work on made-up, "
        "evenly spread timestamps (labelled in the output); refused by default",
    )


def validation_doc(report: ValidationReport, max_drop: float | None) -> dict[str, Any]:
    """The ``"data_validation"`` entry of a command's JSON output."""
    return {**report.summary(), "max_drop": max_drop}


def _lines(doc: dict[str, Any], label: str) -> list[str]:
    max_drop = doc.get("max_drop")
    limit = f" of {100 * max_drop:g} % allowed" if max_drop is not None else ""
    out = [
        f"{label}: {doc['rows_read']:,} rows read, {doc['rows_kept']:,} kept, "
        f"{doc['rows_dropped']:,} dropped ({100 * doc['dropped_share']:.3g} %{limit}), "
        f"{doc['duplicates']:,} duplicate(s)"
        + (f"; prices: {doc['price_scale']}" if doc.get("price_scale") else "")
    ]
    if doc["dropped"]:
        out.append(
            "  dropped by reason: " + ", ".join(f"{k} {v:,}" for k, v in doc["dropped"].items())
        )
    extra = [
        (doc["rows_filtered"], "rows of other symbols filtered out"),
        (doc["rows_reordered"], "rows re-ordered by time (--sort-time)"),
        (doc["zero_size_levels"], "rows with a zero-size level (treated as absent)"),
        (doc["bad_trades"], "trade records dropped (bad price or size)"),
    ]
    shown = [f"{n:,} {what}" for n, what in extra if n]
    if shown:
        out.append("  " + "; ".join(shown))
    return out


def print_validation(
    doc: dict[str, Any], *, json_mode: bool = False, label: str = "data validation"
) -> None:
    """Print a :func:`validation_doc`: to stdout in human mode; in ``--json`` mode (where the
    counts are in the document) to stderr, and only when something was dropped, moved or made
    up.
    """
    from rich.text import Text

    from execopt.cli.render import console, note

    lines = _lines(doc, label)
    synthetic = bool(doc.get("timestamps_synthesised"))
    warn = (
        f"{label}: TIMESTAMPS SYNTHESISED (no message file): per-minute results follow row "
        "order spread evenly over the session, not the clock (--synthetic-time)"
    )
    if json_mode:
        if doc["rows_dropped"] or doc["rows_reordered"] or doc["zero_size_levels"] or synthetic:
            for line in [*lines, *([warn] if synthetic else [])]:
                note(line)
        return
    out = console()
    for line in lines:
        out.print(Text(line))
    if synthetic:
        out.print(Text(warn, style="bold yellow"))


def namespace_options(args: argparse.Namespace) -> dict[str, Any]:
    """``load_book`` keyword arguments from the parsed data options."""
    return {
        "max_drop": args.max_drop,
        "sort_time": bool(getattr(args, "sort_time", False)),
        "allow_synthetic_time": bool(getattr(args, "synthetic_time", False)),
    }
