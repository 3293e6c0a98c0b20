"""``execopt suite``: the reference suite for validating production execution solvers.

Examples
--------
::

    execopt suite export ./suite-v3              # instances, FORMAT.md, the JSON Schema, MANIFEST.json
    execopt suite export ./suite-v2 --version 2  # the previous version (still validated)
    execopt suite list                           # ids, families, sizes (--json for a document)
    execopt suite regenerate --out /tmp/suite    # rebuild it deterministically (a few minutes)

Each instance is one compact JSON file ``<id>.json`` (format: :mod:`execopt.studies.suite.format`)
with its certified optimum; a solver writes ``<id>.csv`` (header ``shares``, N rows; a basket:
header ``leg_0,...,leg_{M-1}``, N rows) for each and ``execopt validate DIR`` checks them.
"""

from __future__ import annotations

import argparse
from typing import Any

from execopt.cli import _args

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``suite`` subcommand (``export``, ``list``, ``regenerate``)."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "suite",
        help="export, list or regenerate the reference suite of certified instances",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Exit codes: 0 ok, 2 usage, input or I/O error.",
    )
    sub = p.add_subparsers(dest="suite_action", metavar="<action>", required=True)
    e = sub.add_parser("export", help="copy the shipped suite (instances and manifest) to DIR")
    e.add_argument(
        "dir", type=_args.output_dir, metavar="DIR", help="target folder (created if missing)"
    )
    version = _args.integer(minimum=1)
    # the default (None: the current version, format.SUITE_VERSION) is resolved when the action
    # runs, so `execopt --help` does not import the suite
    e.add_argument(
        "--version",
        type=version,
        default=None,
        help="suite version (default: the current one, 3; versions 1 and 2 are kept)",
    )
    ls = sub.add_parser("list", help="list the instances of the shipped suite")
    ls.add_argument(
        "--version", type=version, default=None, help="suite version (default: the current one, 3)"
    )
    ls.add_argument("--json", action="store_true", help="print JSON only (to stdout)")
    g = sub.add_parser(
        "regenerate",
        help="rebuild the suite deterministically (what scripts/make_suite.py runs)",
    )
    g.add_argument(
        "--out", type=_args.output_dir, required=True, metavar="DIR", help="target folder"
    )
    g.add_argument("--only", nargs="+", default=None, metavar="ID", help="only these instances")


def run(args: argparse.Namespace) -> int:
    """Run the chosen action; return 0, or 2 on a usage error."""
    action = args.suite_action
    if getattr(args, "version", "absent") is None:
        from execopt.studies.suite.format import SUITE_VERSION

        args.version = SUITE_VERSION
    if action == "export":
        return _export(args)
    if action == "list":
        return _list(args)
    return _regenerate(args)


def _export(args: argparse.Namespace) -> int:
    from time import perf_counter

    from execopt.cli.render import note
    from execopt.studies.suite.format import DOCUMENTS, MANIFEST, export_suite

    t0 = perf_counter()
    files = export_suite(args.dir, version=args.version)
    docs = [f.name for f in files if f.name in DOCUMENTS]
    n = sum(1 for f in files if f.name != MANIFEST and f.name not in DOCUMENTS)
    size = sum(f.stat().st_size for f in files)
    note(
        f"exported {n} instances, {', '.join([*docs, MANIFEST])} ({size / 1e6:.2f} MB) to "
        f"{args.dir} in {perf_counter() - t0:.2f} s"
        + ("; FORMAT.md specifies them" if "FORMAT.md" in docs else "")
        + ". Solve each "
        "<id>.json, write <id>.csv (header 'shares', N rows; a basket: 'leg_0,...,leg_{M-1}'; "
        "'infeasible' for instances without a schedule) and run `execopt validate DIR` "
        "(--only-present for a subset)."
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    from execopt.cli.render import Col, console, print_json, table
    from execopt.studies.suite.format import load_suite, packaged_suite_dir

    insts = load_suite(version=args.version)
    rows: list[dict[str, Any]] = [
        {
            "id": i.id,
            "family": i.family,
            "periods": i.periods,
            "shares": i.shares,
            "infeasible": i.infeasible,
            "optimum": i.optimum,
            "certified_by": None if i.infeasible else i.data["optimum"]["certified_by"],
            "tags": i.tags,
        }
        for i in insts
    ]
    if args.json:
        print_json({"suite": str(packaged_suite_dir(args.version)), "instances": rows})
        return 0
    console().print(
        table(
            f"Reference suite v{args.version}: {len(rows)} instances",
            [
                Col("id"),
                Col("family"),
                Col("N", "right"),
                Col("S sh", "right"),
                Col("optimum $", "right"),
                Col("certified by", wide=True),
            ],
            [
                (
                    r["id"],
                    r["family"],
                    f"{r['periods']:,}",
                    f"{r['shares']:,.6g}",
                    "infeasible" if r["infeasible"] else f"{r['optimum']:,.6g}",
                    "" if r["certified_by"] is None else ", ".join(r["certified_by"]),
                )
                for r in rows
            ],
        )
    )
    return 0


def _regenerate(args: argparse.Namespace) -> int:
    from time import perf_counter

    from execopt.cli.render import note
    from execopt.studies.suite.generate import generate_suite

    t0 = perf_counter()
    files = generate_suite(
        args.out,
        ids=args.only,
        manifest=args.only is None,
        progress=lambda r: note(f"{r[0]:<32s} N={r[1]:<7d} {r[2]} ({r[3]:.2f} s)"),
    )
    note(f"wrote {len(files)} instances to {args.out} in {perf_counter() - t0:.1f} s")
    return 0
