"""``execopt fit``: fit impact models to a real (or synthetic) order book by walking it.

Examples
--------
::

    execopt fit FROG                                       # the seeded synthetic FROG day
    execopt fit ../shared/data/mbp10/FROG_2025-04-03.csv.gz --side sell --model both
    execopt fit data/FROG_2025-04-0* --json-out fit.json   # then: execopt solve --params fit.json
    execopt fit book.csv --messages msg.csv --format lobster --plot fit.png --json
    execopt fit ../shared/data/mbp10/FROG_2025-04-03.csv.gz --propagator --json-out fit.json

Every minute's last book is walked on a log-spaced size grid (1 share to the median visible
depth); sizes beyond a book's visible depth are censored, dropped and counted. The table shows
the whole-day parameters with bootstrap confidence intervals (snapshots resampled), R² (of
per-share slippage, and of dollar costs), the out-of-sample error (fit on the first 60 % of
minutes, scored on the rest), the censored share and the number of points; below it, the
per-minute profile (rolling window or time-of-day buckets) as sparklines. ``--json`` prints the
fit file (see :mod:`execopt.impact.fitjson`) that ``execopt solve --params`` reads.

The book is loaded by :func:`execopt.data.load_book`: the rows read, kept and dropped (per
reason) are printed and put in the JSON under ``"data_validation"``, and a book that lost more
than ``--max-drop`` (default 1 %) of its rows is refused with exit code 2.

``--propagator`` also fits transient and permanent impact from the book's signed trades
(:mod:`execopt.impact.propagator`; options and tables in :mod:`execopt.cli._propagator`) and
writes them to the fit file's ``"propagator"`` section, which ``execopt solve --params`` uses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

from execopt.cli import _args, _propagator
from execopt.cli._data import (
    add_data_arguments,
    namespace_options,
    print_validation,
    validation_doc,
)

if TYPE_CHECKING:  # pragma: no cover
    from execopt.data.book import BookSeries
    from execopt.impact.profiles import ImpactProfile

__all__ = ["PRESET_NAMES", "load_book", "register", "run"]

#: Synthetic presets accepted in place of a path (``execopt.data.synthetic_book``).
PRESET_NAMES = ("CRWV", "FROG", "SOUN")


def register(subparsers: Any) -> None:
    """Add the ``fit`` subcommand."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "fit",
        help="fit impact models (quadratic, power law) to an order book by walking it",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Exit codes: 0 ok, 2 usage, input or I/O error (missing file, malformed data, "
        "a file that cannot be written, more than --max-drop of the book's rows dropped by "
        "validation).",
    )
    p.add_argument(
        "source",
        metavar="PATH_OR_PRESET",
        help="an order-book file, folder or glob (MBP-10 CSV, LOBSTER, DBN), or a synthetic "
        f"preset: {', '.join(PRESET_NAMES)}",
    )
    d = p.add_argument_group("data")
    d.add_argument("--messages", type=Path, metavar="PATH", help="LOBSTER message file")
    d.add_argument(
        "--format",
        choices=("auto", "mbp10", "lobster", "dbn"),
        default="auto",
        help="file format (default: detected)",
    )
    d.add_argument("--symbol", help="keep this symbol's rows (files holding several symbols)")
    d.add_argument(
        "--seed", type=_args.seed, default=0, help="seed of the synthetic book and bootstrap"
    )
    add_data_arguments(d)
    f = p.add_argument_group("fit")
    f.add_argument(
        "--side", choices=("buy", "sell"), default="buy", help="order side (default buy)"
    )
    f.add_argument(
        "--model",
        choices=("quadratic", "power", "both"),
        default="quadratic",
        help="impact model (default quadratic)",
    )
    f.add_argument(
        "--profile",
        choices=("rolling", "buckets"),
        default="rolling",
        help="per-minute profile: rolling window or time-of-day buckets (default rolling)",
    )
    f.add_argument(
        "--smoothing",
        choices=("none", "gaussian", "linear"),
        default="none",
        help="rolling: none (flat window) or gaussian; buckets: none (steps) or linear",
    )
    f.add_argument(
        "--window",
        type=_args.integer(minimum=1, maximum=390, unit="minutes"),
        default=30,
        help="rolling window, minutes (default 30)",
    )
    f.add_argument(
        "--bucket-minutes",
        type=_args.integer(minimum=1, maximum=390, unit="minutes"),
        default=30,
        help="bucket length, minutes (default 30)",
    )
    f.add_argument(
        "--weights",
        choices=("per_share", "dollar"),
        default="per_share",
        help="least-squares metric: per-share slippage (default) or dollar cost",
    )
    f.add_argument(
        "--n-boot",
        type=_args.integer(minimum=0, maximum=100_000),
        default=200,
        help="bootstrap replicates, 0 for no confidence intervals (default 200)",
    )
    _propagator.add_arguments(p)
    o = p.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print the fit JSON only (to stdout)")
    o.add_argument(
        "--json-out",
        type=_args.output_file(),
        metavar="FILE.json",
        help="also write the fit JSON",
    )
    o.add_argument(
        "--plot",
        type=_args.plot_file,
        metavar="FILE.png",
        help="write the profile plot (.png, .pdf, .svg, ...)",
    )


def load_book(
    source: str,
    *,
    messages: Path | None = None,
    format: str = "auto",
    symbol: str | None = None,
    seed: int = 0,
    progress: bool = False,
    max_drop: float | None = None,
    sort_time: bool = False,
    allow_synthetic_time: bool = False,
) -> tuple[BookSeries, dict[str, Any]]:
    """The book named by ``PATH_OR_PRESET`` and a JSON-ready description of where it came from.

    Loading is :func:`execopt.data.load_book` (``max_drop`` default: its 1 %); the book's
    ``validation`` holds the counts.

    Raises
    ------
    InputError
        Neither an existing path, a matching glob, nor a preset name.
    DataError
        A malformed file (from the reader), or more than ``max_drop`` of its rows dropped.
    """
    from execopt.data import DEFAULT_MAX_DROP, PRESETS
    from execopt.data import load_book as load
    from execopt.errors import InputError
    from execopt.impact.fitjson import file_source

    if not Path(source).exists() and source.upper() in PRESETS:
        given = [
            opt
            for opt, value in (("--messages", messages), ("--symbol", symbol))
            if value is not None
        ] + (["--format"] if format != "auto" else [])
        if given:
            raise InputError(
                f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to order-book "
                f"files; {source!r} names a synthetic preset. Drop {' and '.join(given)}, or "
                "give a file path."
            )
    book, _ = load(
        source,
        messages=messages,
        format=format,  # type: ignore[arg-type]
        symbol=symbol,
        seed=seed,
        progress=progress,
        max_drop=DEFAULT_MAX_DROP if max_drop is None else max_drop,
        sort_time=sort_time,
        allow_synthetic_time=allow_synthetic_time,
    )
    if book.source and book.source[0].startswith("synthetic:"):
        return book, {"preset": source.upper(), "seed": seed, "generator": "synthetic_book"}
    files = [f for f in book.source if Path(f).is_file()]
    if messages is not None and str(messages) not in files:
        files.append(str(messages))
    desc = file_source(files or [Path(source)])
    if book.synthetic_time:
        desc["timestamps"] = "synthesised (no message file; --synthetic-time)"
    return book, desc


def run(args: argparse.Namespace) -> int:
    """Load, fit, print the table (or JSON), write the requested files; return the exit code."""
    from execopt._atomic import FileSet, check_output_file
    from execopt.cli._common import check_distinct_outputs
    from execopt.cli.render import progress_enabled
    from execopt.impact.fitjson import dumps_fit_json, fit_to_dict
    from execopt.impact.profiles import fit_profile

    check_distinct_outputs(json_out=args.json_out, plot=args.plot)
    for path in (args.json_out, args.plot):
        if path is not None:
            check_output_file(path)  # fail now, not after the fit
    t0 = perf_counter()
    book, source = load_book(
        args.source,
        messages=args.messages,
        format=args.format,
        symbol=args.symbol,
        seed=args.seed,
        progress=progress_enabled(args),
        **namespace_options(args),
    )
    if args.propagator:  # a preset's synthetic day gets trades that move its mid
        book, source = _propagator.with_demo_propagator(book, source, args.seed)
    t_read = perf_counter() - t0
    models = ("quadratic", "power") if args.model == "both" else (args.model,)
    profiles: dict[str, ImpactProfile] = {}
    records: dict[str, dict[str, Any]] = {}
    for m in models:
        prof = fit_profile(
            book,
            args.side,
            m,  # type: ignore[arg-type]
            args.profile,
            window=args.window,
            bucket_minutes=args.bucket_minutes,
            smoothing=args.smoothing,
            weights=args.weights,
            n_boot=args.n_boot,
            seed=args.seed,
        )
        profiles[m] = prof
        records[m] = fit_to_dict(
            prof.whole_day, side=args.side, symbol=book.symbol, source=source, profile=prof
        )
    t_fit = perf_counter() - t0 - t_read
    doc: dict[str, Any] = records[models[0]] if len(models) == 1 else dict(records)
    doc["data_validation"] = validation_doc(book.validation, args.max_drop)
    doc["span"] = book.minute_grid().describe()
    prop = _propagator.fit(book, args) if args.propagator else None
    if prop is not None:
        doc["propagator"] = prop.summary()
    files: dict[str, str] = {}
    with FileSet() as out_files:  # both files, or neither
        if args.json_out is not None:
            out_files.write_text(args.json_out, dumps_fit_json(doc) + "\n")
            files["fit JSON"] = str(args.json_out)
        if args.plot is not None:
            from execopt.reporting.plots import plot_fit

            with out_files.path(args.plot) as tmp:
                plot_fit(tmp, book, profiles)
            files["plot"] = str(args.plot)
    if args.json:
        print_validation(doc["data_validation"], json_mode=True)
        sys.stdout.write(dumps_fit_json(doc) + "\n")
        sys.stdout.flush()
    else:
        _print_human(book, source, profiles, records, {}, t_read, t_fit, args.max_drop)
        _print_span(doc["span"])
        if prop is not None:
            _propagator.print_propagator(prop, source.get("propagator"))
        _print_files(files)
    return 0


# ----------------------------------------------------------------------------- human output
_UNITS = {
    "a": "$/share",
    "b": "$/share²",
    "gamma": "$/share^(1+δ)",
    "delta": "",
}


def _print_human(
    book: BookSeries,
    source: dict[str, Any],
    profiles: dict[str, ImpactProfile],
    records: dict[str, dict[str, Any]],
    files: dict[str, str],
    t_read: float,
    t_fit: float,
    max_drop: float | None = None,
) -> None:
    import numpy as np
    from rich.text import Text

    from execopt.cli.render import console, fmt_float, fmt_shares, sparkline, table

    out = console()
    where = source.get("path") or f"synthetic {source.get('preset')} (seed {source.get('seed')})"
    if isinstance(where, list):
        where = f"{len(where)} files"
    v = book.validation
    out.print(
        Text(
            f"{book.symbol}: {len(book):,} book rows from {where}; {v.rows_dropped:,} rows dropped "
            f"by validation; read {t_read:.2f} s, fit {t_fit:.2f} s"
        )
    )
    print_validation(validation_doc(v, max_drop))
    first = next(iter(records.values()))
    if first.get("n_filled_minutes"):
        out.print(
            Text(
                f"note: {first['n_filled_minutes']} of {first['n_snapshots'] + first['n_filled_minutes']} "
                "minutes hold no book state of their own (quiet minutes carried from the one "
                "before, or missing minutes without data); they are left out of the fit, and "
                "their profile values come from neighbouring minutes.",
                style="yellow",
            )
        )
    for m, rec in records.items():
        prof = profiles[m]
        level = round(100 * rec["ci_level"])
        rows = [
            [
                name,
                fmt_float(val, ".5g"),
                fmt_float(rec["ci"][name][0], ".5g"),
                fmt_float(rec["ci"][name][1], ".5g"),
                _UNITS[name],
            ]
            for name, val in rec["params"].items()
        ]
        out.print(
            table(
                f"{m} fit, {rec['side']} side (whole day)",
                [
                    "parameter",
                    ("estimate", "right"),
                    (f"{level}% CI lo", "right"),
                    (f"{level}% CI hi", "right"),
                    "units",
                ],
                rows,
            )
        )
        metric = rec["oos"]["metric"]
        diag = [
            ["R² (fitting metric)", fmt_float(rec["r2"], ".3f")],
            ["R² (dollar cost)", fmt_float(rec["r2_dollar"], ".3f")],
            [f"RMSE in-sample ({metric})", fmt_float(rec["rmse"], ".4g")],
            [
                f"out-of-sample RMSE (fit first {rec['oos']['time_split']:.0%} of minutes)",
                fmt_float(rec["oos"]["rmse"], ".4g"),
            ],
            ["out-of-sample R²", fmt_float(rec["oos"]["r2"], ".3f")],
            ["censored share (beyond visible depth)", f"{100 * rec['censored_share']:.1f} %"],
            ["points n (snapshots)", f"{rec['n_obs']:,} ({rec['n_snapshots']:,})"],
            [
                "sizes walked",
                f"{fmt_shares(min(rec['sizes']))} .. {fmt_shares(max(rec['sizes']))} shares",
            ],
        ]
        if m == "power" and rec.get("at_bound"):
            diag.append(["note", f"delta on a bound of {rec['delta_bounds']}"])
        out.print(table("diagnostics", ["", ("value", "right")], diag))
        N = prof.periods
        spark_w = max(min(48, out.width - 48), 12)  # the profile table fits the console
        thirds = [slice(0, 30), slice(N // 2 - 15, N // 2 + 15), slice(N - 30, N)]
        prow = []
        for name, vals in prof.params.items():
            if m == "power" and name == "delta":
                continue
            prow.append(
                [
                    f"{name}_t",
                    *(fmt_float(np.mean(vals[s]), ".4g") for s in thirds),
                    sparkline(vals, spark_w),
                ]
            )
        out.print(
            table(
                f"per-minute profile ({prof.method}, smoothing {prof.smoothing}, "
                f"{'window ' + str(prof.window) if prof.method == 'rolling' else 'buckets of ' + str(prof.bucket_minutes)} min)",
                [
                    "",
                    ("first 30 min", "right"),
                    ("midday", "right"),
                    ("last 30 min", "right"),
                    "through the day",
                ],
                prow,
            )
        )
    _print_files(files)


def _print_span(span: dict[str, Any]) -> None:
    """Which minutes the fit and its profile cover (the minute grid)."""
    from rich.text import Text

    from execopt.cli.render import console

    text = f"minutes covered: {span['label']}"
    if span["uncovered"] or span["missing"]:
        text += (
            "; the whole-day fit and the per-minute profile are for these minutes only (the "
            "fit file's profile has one value per covered minute)"
        )
    for u in span["uncovered"]:
        text += f"; {u['date']} {u['span']} not covered ({u['reason']})"
    console().print(Text(text, style="yellow" if span["uncovered"] else ""))


def _print_files(files: dict[str, str]) -> None:
    from rich.text import Text

    from execopt.cli.render import console

    for what, path in files.items():
        console().print(Text(f"wrote {what}: {path}"))
