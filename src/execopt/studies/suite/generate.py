"""Regenerate the reference suite deterministically: catalogue -> harness -> files.

:func:`generate_suite` builds every catalogue entry (:mod:`.catalogue`), certifies it
(:mod:`.harness`), writes one compact JSON file per instance, copies the specification documents
(``FORMAT.md`` and ``instance.schema.json``, :mod:`.format`) and writes the checksummed
manifest. ``scripts/make_suite.py`` and ``execopt suite regenerate`` call it; the bytes do not
depend on which instances are generated together (each draws from its own random stream).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from time import perf_counter

from execopt.studies.suite import checks
from execopt.studies.suite.catalogue import SUITE_SEED, instance_specs
from execopt.studies.suite.format import (
    CROSSCHECK_ATOL_NOTIONAL,
    FORMAT_VERSION,
    MANIFEST,
    SUITE_VERSION,
    write_documents,
    write_instance,
    write_manifest,
)
from execopt.studies.suite.harness import BOUND_RTOL, CROSSCHECK_RTOL, build_instance

__all__ = [
    "GenerationRecord",
    "default_output",
    "generate_suite",
    "main",
    "write_documents_and_manifest",
]

#: One line of progress: instance id, N, who certified it, seconds.
GenerationRecord = tuple[str, int, str, float]


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("execopt", "numpy", "scipy", "cvxpy", "clarabel", "scs", "osqp"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover
            out[pkg] = "missing"
    return out


def _certified_text(data: dict[str, object]) -> str:
    opt = data["optimum"]
    if not isinstance(opt, dict):
        return "infeasible"
    by = list(opt["certified_by"])
    off = sorted(set(data["crosscheck"] or {}) - set(by))  # type: ignore[call-overload]
    return ",".join(by) + (f" ({', '.join(off)} stopped above it)" if off else "")


def generate_suite(
    out: Path,
    *,
    ids: Iterable[str] | None = None,
    manifest: bool = True,
    progress: Callable[[GenerationRecord], None] | None = None,
) -> list[Path]:
    """Generate (all or some) instances into ``out`` and, by default, the documents and manifest.

    Parameters
    ----------
    out : Path
        Target folder (created if missing). Existing instance files are replaced atomically.
    ids : iterable of str, optional
        Only these instances (the bytes are the same as in a full run).
    manifest : bool
        Copy the specification documents and write ``MANIFEST.json`` for the instance files
        present in ``out`` afterwards.
    progress : callable, optional
        Called with ``(id, N, certified_by, seconds)`` after each instance.

    Returns
    -------
    list of Path
        The instance files written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    specs = instance_specs(ids)
    written = []
    for spec in specs:
        t0 = perf_counter()
        data = build_instance(spec)
        written.append(write_instance(out, data))
        if progress is not None:
            progress((spec["id"], int(spec["periods"]), _certified_text(data), perf_counter() - t0))
    if manifest:
        write_documents_and_manifest(out)
    return written


def write_documents_and_manifest(out: Path) -> Path:
    """Copy the specification documents into ``out`` and write its manifest (no solving: what
    ``scripts/make_suite.py --docs`` runs after ``FORMAT.md`` or the schema changed).
    """
    write_documents(out)
    every = instance_specs()
    return write_manifest(
        out,
        {
            "version": SUITE_VERSION,
            "format": FORMAT_VERSION,
            "seed": SUITE_SEED,
            "generator": {"script": "scripts/make_suite.py", **_versions()},
            "families": dict(Counter(s["family"] for s in every)),
            "groups": dict(Counter(s["group"] for s in every)),
            "tolerances": {
                "crosscheck_rtol": CROSSCHECK_RTOL,
                "crosscheck_atol_notional": CROSSCHECK_ATOL_NOTIONAL,
                "bound_rtol": BOUND_RTOL,
                "feas_rtol": checks.FEAS_RTOL,
                "rtol": checks.DEFAULT_RTOL,
                "gap_atol_notional": checks.GAP_ATOL_NOTIONAL,
                "schedule_rtol_max": checks.SCHEDULE_RTOL_MAX,
            },
        },
    )


def default_output() -> Path:
    """Where the packaged suite lives in a source checkout (``.../suite/data/v<version>``)."""
    return Path(__file__).resolve().parent / "data" / f"v{SUITE_VERSION}"


def _print_progress(total: int) -> Callable[[GenerationRecord], None]:
    count = [0]

    def show(rec: GenerationRecord) -> None:
        count[0] += 1
        iid, N, by, sec = rec
        print(
            f"[{count[0]:3d}/{total}] {iid:<32s} N={N:<7d} {by:<30s} {sec:6.2f} s",
            file=sys.stderr,
            flush=True,
        )

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry of ``scripts/make_suite.py``."""
    p = argparse.ArgumentParser(
        description="Regenerate execopt's reference suite deterministically (fixed seeds)."
    )
    p.add_argument("--out", type=Path, default=default_output(), help="target folder")
    p.add_argument("--only", nargs="*", default=None, metavar="ID", help="only these instance ids")
    p.add_argument("--list", action="store_true", help="list the instance ids and exit")
    p.add_argument(
        "--docs",
        action="store_true",
        help="only copy FORMAT.md and the JSON Schema and rewrite the manifest (no solving)",
    )
    args = p.parse_args(None if argv is None else list(argv))
    if args.list:
        for s in instance_specs():
            print(f"{s['id']:<32s} {s['family']:<14s} {s['group']:<20s} N={s['periods']}")
        return 0
    if args.docs:
        note = write_documents_and_manifest(args.out)
        print(f"wrote the documents and {note.name} in {args.out}", file=sys.stderr)
        return 0
    t0 = perf_counter()
    n = len(instance_specs(args.only))
    files = generate_suite(
        args.out, ids=args.only, manifest=args.only is None, progress=_print_progress(n)
    )
    size = sum(f.stat().st_size for f in files)
    print(
        f"wrote {len(files)} instances ({size / 1e6:.2f} MB) to {args.out} in "
        f"{perf_counter() - t0:.1f} s"
        + ("" if args.only is None else f"; {MANIFEST} not rewritten"),
        file=sys.stderr,
    )
    return 0
