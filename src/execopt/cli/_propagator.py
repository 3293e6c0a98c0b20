"""``execopt fit --propagator``: options, the synthetic demo day, and the printed tables.

Kept apart from :mod:`execopt.cli.fit` so that the fit command only gains a few lines: it adds
the options (:func:`add_arguments`), swaps a preset's synthetic day for one whose trades move
the mid (:func:`with_demo_propagator`), fits (:func:`fit`), puts the fit's
:meth:`~execopt.impact.propagator.PropagatorFit.summary` under ``"propagator"`` in the fit file
and prints :func:`print_propagator`.

The synthetic day of a preset (``execopt fit FROG --propagator``) has no own-flow price response
of its own, so with ``--propagator`` its trades move its mid by :data:`DEMO_PROPAGATOR` (an
exponential kernel near the one fitted on FROG 2025-04-03): the table then shows the true
values beside the fitted ones, which is how well one day identifies a kernel that is known.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from execopt.data.book import BookSeries
    from execopt.impact.propagator import PropagatorFit

__all__ = [
    "DEMO_PROPAGATOR",
    "add_arguments",
    "fit",
    "print_propagator",
    "with_demo_propagator",
]

#: The propagator of the synthetic demo day: an exponential kernel ``G0 2^(-l / half_life)`` plus
#: permanent ``gamma``, dollars per share per share, lags in minutes (close to FROG 2025-04-03's
#: fit: G0 2.5e-5, half-life ~12 min, gamma indistinguishable from 0).
DEMO_PROPAGATOR = {"strength": 2.5e-5, "half_life": 10.0, "permanent": 5e-6}

_NAMES = {
    "strength": ("G0 (strength)", "$/share per share"),
    "half_life": ("half-life", "minutes"),
    "beta": ("beta (exponent)", "dimensionless, lags in minutes"),
    "permanent": ("gamma (permanent)", "$/share per share"),
    "drift": ("drift mu", "$/minute"),
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``--propagator``, ``--kernel`` and ``--unsigned`` to the fit command."""
    g = p.add_argument_group("propagator (transient and permanent impact from the trades)")
    g.add_argument(
        "--propagator",
        action="store_true",
        help="also fit the propagator (kernel G0, half-life or beta, permanent gamma; buy and "
        "sell; mark-outs) from the book's signed trades and minute-mean mids, and write it to "
        "the fit file's 'propagator' section (execopt solve --params then uses it)",
    )
    g.add_argument(
        "--kernel",
        choices=("exponential", "power_law"),
        default="exponential",
        help="propagator kernel: G0 2^(-l/half_life) or G0 (1 + l)^(-beta) (default exponential)",
    )
    g.add_argument(
        "--unsigned",
        choices=("drop", "quote_rule"),
        default="drop",
        help="trades without an aggressor side (N): leave out (default) or sign by the quote "
        "rule against the mid before them (also signs auction prints)",
    )


def with_demo_propagator(
    book: BookSeries, source: dict[str, Any], seed: int
) -> tuple[BookSeries, dict[str, Any]]:
    """For a preset's synthetic day: the same day with :data:`DEMO_PROPAGATOR` moving its mid.

    Any other book is returned unchanged.
    """
    preset = source.get("preset")
    if not preset:
        return book, source
    from execopt.data import synthetic_book
    from execopt.impact.transient import ExponentialKernel

    d = DEMO_PROPAGATOR
    kernel = ExponentialKernel(strength=d["strength"], half_life=d["half_life"])
    demo = synthetic_book(
        str(preset), seed=seed, transient=kernel.values(390), permanent=d["permanent"]
    )
    out = dict(source)
    out["propagator"] = {"kernel": kernel.to_dict(), "permanent": d["permanent"]}
    return demo, out


def fit(book: BookSeries, args: argparse.Namespace) -> PropagatorFit:
    """Fit the propagator with the command's options (``--kernel --unsigned --n-boot --seed``)."""
    from execopt.impact.propagator import PropagatorFit

    return PropagatorFit(
        args.kernel, unsigned=args.unsigned, n_boot=args.n_boot, seed=args.seed
    ).fit(book)


def _ci(pair: Any, spec: str = ".3g") -> str:
    from execopt.cli.render import fmt_float

    return f"[{fmt_float(pair[0], spec)}, {fmt_float(pair[1], spec)}]"


def print_propagator(f: PropagatorFit, truth: dict[str, Any] | None = None) -> None:
    """Print the propagator tables: parameters with intervals (and the true values of a
    synthetic day), buy and sell with the asymmetry test, diagnostics, mark-outs, caveats and
    what one day can and cannot identify.
    """
    from rich.text import Text

    from execopt.cli.render import console, fmt_float, table
    from execopt.impact.propagator import IDENTIFICATION

    out = console()
    s = f.summary()
    level = round(100 * s["ci_level"])
    c = s["diagnostics"]["counts"]
    flow_note = (
        f"{int(c['signed']):,} signed trades (buy {int(c['buy']):,}, sell {int(c['sell']):,}); "
        f"{int(c['unsigned']):,} without an aggressor side"
    )
    if f.unsigned == "drop":
        flow_note += f" left out ({c['unsigned_dropped_shares']:,.0f} shares)"
    else:
        flow_note += (
            f": {int(c['quote_rule_signed']):,} signed by the quote rule, "
            f"{int(c['at_mid_dropped']):,} at the mid left out"
        )
    out.print(
        Text(
            f"propagator fit ({f.kernel} kernel) of {f.flow_.symbol}: {f.n_minutes_} minutes, "
            f"{flow_note}; n_boot {f.n_boot}, blocks of {f.block_minutes} minutes"
        )
    )
    true_vals: dict[str, float] = {}
    if truth:
        k = truth["kernel"]
        true_vals = {n: float(v) for n, v in k.items() if n != "kernel"}
        true_vals["permanent"] = float(truth["permanent"])
    cols: list[str | tuple[str, str]] = [
        "parameter",
        ("estimate", "right"),
        (f"{level}% CI lo", "right"),
        (f"{level}% CI hi", "right"),
        "units",
    ]
    if truth:
        cols.append(("true (synthetic)", "right"))
    rows = []
    for name, val in s["params"].items():
        label, unit = _NAMES[name]
        row = [
            label,
            fmt_float(val, ".4g"),
            fmt_float(s["ci"][name][0], ".4g"),
            fmt_float(s["ci"][name][1], ".4g"),
            unit,
        ]
        if truth:
            row.append(fmt_float(true_vals[name], ".4g") if name in true_vals else "")
        rows.append(row)
    out.print(table("propagator, all signed flow", cols, rows))
    if s["sides"] is not None:
        srows = []
        for name in s["sides"]["buy"]["params"]:
            label, unit = _NAMES[name]
            a = s["asymmetry"][name]
            srows.append(
                [
                    label,
                    fmt_float(s["sides"]["buy"]["params"][name], ".3g"),
                    _ci(s["sides"]["buy"]["ci"][name]),
                    fmt_float(s["sides"]["sell"]["params"][name], ".3g"),
                    _ci(s["sides"]["sell"]["ci"][name]),
                    f"{fmt_float(a['diff'], '.3g')} {_ci(a['ci'])}",
                    fmt_float(a["p"], ".2f"),
                ]
            )
        out.print(
            table(
                "buy- and sell-initiated flow (own kernels; difference: buy - sell, a shape on "
                "the log scale)",
                [
                    "parameter",
                    ("buy", "right"),
                    f"{level}% CI",
                    ("sell", "right"),
                    f"{level}% CI",
                    f"buy - sell [{level}% CI]",
                    ("p", "right"),
                ],
                srows,
            )
        )
    d = s["diagnostics"]
    diag = [
        ["R² (minute-mean mid changes)", fmt_float(d["r2"], ".3f")],
        ["RMSE of a minute's mid change", f"${fmt_float(d['rmse'], '.4f')}"],
        ["minute changes used (of minutes)", f"{d['n_obs']:,} ({d['n_minutes']:,})"],
        ["net signed shares (buy - sell)", f"{d['net_signed_shares']:,.0f}"],
        ["day's change of the minute-mean mid", f"${fmt_float(d['day_mid_change'], '.4f')}"],
        ["on a bound", ", ".join(d["at_bound"]) or "none"],
    ]
    out.print(table("diagnostics", ["", ("value", "right")], diag))
    mrows = []
    for r in s["markouts"]:
        mrows.append(
            [
                f"+{r['horizon_min']} min",
                f"{r['n_trades']:,}",
                fmt_float(r["data"], ".4f"),
                _ci(r["ci"], ".4f"),
                fmt_float(r["data_bp"], ".2f"),
                fmt_float(r["buy"], ".4f"),
                fmt_float(r["sell"], ".4f"),
                fmt_float(r["drift"], ".4f"),
                fmt_float(r["model"], ".4f"),
                fmt_float(r["lone_trade"], ".4f"),
            ]
        )
    out.print(
        table(
            "mark-outs: mean signed mid move after a trade ($ per trade); drift = mean "
            "unsigned move (buys ~ impact + drift, sells ~ impact - drift); model = the fitted "
            "kernel on the day's flow; lone = (G(h) + gamma) x mean size",
            [
                "horizon",
                ("trades", "right"),
                ("data $", "right"),
                f"{level}% CI",
                ("bp", "right"),
                ("buys $", "right"),
                ("sells $", "right"),
                ("drift $", "right"),
                ("model $", "right"),
                ("lone $", "right"),
            ],
            mrows,
        )
    )
    for line in s["caveats"]:
        out.print(Text(f"this fit: {line}", style="yellow"))
    out.print(Text("what one day can and cannot identify:"))
    for line in IDENTIFICATION:
        out.print(Text(f"  - {line}", style="dim"))
