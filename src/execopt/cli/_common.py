"""Pieces shared by the commands: problem options, the parameter file, the schedule CSV format.

Problem options (:func:`add_problem_arguments`, :func:`problem_from_args`)
    ``--stock`` picks a reference preset (:mod:`execopt.presets`); ``--params FILE.json`` gives the
    parameters instead; ``--shares``, ``--cap``, ``--periods`` and ``--model`` complete the problem.

Parameter file (:func:`read_params`)
    The fit file of :mod:`execopt.impact.fitjson`, read by its
    :func:`~execopt.impact.fitjson.read_fit_json`; the smallest valid files are::

        {"model": "quadratic", "params": {"a": 0.024, "b": 0.0012}}
        {"model": "power", "basis": "per_share", "params": {"gamma": 0.015, "delta": 0.67}}

    ``params`` holds whole-day scalars; an optional ``profile`` (``{"a": [...N...], "b":
    [...N...]}``, or ``{"gamma": [...N...], "delta": ...}``) holds time-varying values and is
    preferred when present; ``symbol`` (or ``stock``) labels the output. A file with both models
    (``{"quadratic": {...}, "power": {...}}``) needs ``--model``. Units: ``a`` dollars per share,
    ``b`` dollars per share squared, ``gamma`` dollars per share^(1+delta) on the per-share basis.
    A ``"propagator"`` section (``execopt fit --propagator``) adds its kernel as ``transient=``
    and its ``permanent`` gamma as ``permanent=`` to the problem, unless ``--no-propagator``.

Schedule CSV (:func:`read_schedule`, :func:`write_schedule`)
    ``execopt solve --out`` writes a header ``period,shares`` and one row per period, periods
    numbered from 0, shares written with full float precision (``repr``) so a schedule read back
    certifies exactly as it was solved. ``execopt certify`` reads that format and also the
    single-column format (header ``shares``, one row per period). Column order does not matter,
    blank lines are skipped, and a ``period`` column must count up by one from 0 or 1.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from execopt.cli._args import MAX_PERIODS, integer, number
from execopt.errors import DataError, InputError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from numpy.typing import NDArray

    from execopt.impact.models import ImpactModel
    from execopt.problem.execution_problem import ExecutionProblem

__all__ = [
    "MODELS",
    "ProblemSpec",
    "add_problem_arguments",
    "check_distinct_outputs",
    "problem_from_args",
    "read_params",
    "read_schedule",
    "schedule_csv",
    "write_schedule",
]

MODELS = ("quadratic", "power")


def add_problem_arguments(p: argparse.ArgumentParser, *, periods_help: str) -> None:
    """Add ``--stock --shares --model --cap --periods --params`` to ``p``.

    ``--periods`` defaults to None (resolved by :func:`problem_from_args`); ``periods_help``
    says what the command falls back to.
    """
    g = p.add_argument_group("problem")
    g.add_argument(
        "--stock",
        metavar="TICKER",
        help="reference preset: CRWV, FROG or SOUN (quadratic); SOUN also has a power law. "
        "Optional with --params (then only a label).",
    )
    g.add_argument(
        "--shares",
        type=number(minimum=0, unit="shares"),
        required=True,
        metavar="S",
        help="order size S, shares (>= 0)",
    )
    g.add_argument(
        "--model",
        choices=MODELS,
        default=None,
        help="impact model (default: quadratic, or the model named in --params)",
    )
    g.add_argument(
        "--cap",
        type=number(minimum=0, allow_inf=True, unit="shares"),
        default=None,
        metavar="U",
        help="per-period cap u_t, shares (default: none)",
    )
    g.add_argument(
        "--periods",
        type=integer(minimum=1, maximum=MAX_PERIODS),
        default=None,
        metavar="N",
        help=periods_help,
    )
    g.add_argument(
        "--params",
        type=Path,
        default=None,
        metavar="FILE.json",
        help='impact parameters instead of a preset: {"model": ..., "params": {...}, '
        '"profile": {...}} (see the README)',
    )
    g.add_argument(
        "--no-propagator",
        action="store_true",
        help="ignore the 'propagator' section of --params (transient kernel and permanent "
        "impact from execopt fit --propagator)",
    )


@dataclass(frozen=True)
class ProblemSpec:
    """The problem a command works on, with the labels used in its output."""

    problem: ExecutionProblem
    stock: str
    model: str
    source: str

    def describe(self) -> dict[str, Any]:
        """JSON-ready description (stock, model, parameter source and the problem itself)."""
        return {
            "stock": self.stock,
            "model": self.model,
            "source": self.source,
            **self.problem.describe(),
        }


def read_params(path: Path, model: str | None = None) -> tuple[str, ImpactModel, str | None]:
    """Read a parameter file (see :mod:`execopt.impact.fitjson`); prefer its profile.

    Parameters
    ----------
    path : Path
        The file.
    model : {"quadratic", "power"}, optional
        Which model of a two-model file; checked against a one-model file.

    Returns
    -------
    model_kind, impact, stock_label

    Raises
    ------
    DataError
        Missing or unreadable file, invalid JSON, unknown model, missing or malformed
        parameters (the message names the file and the field).
    """
    from execopt.impact.fitjson import load_fit_json, read_fit_json

    kind, whole, profile = read_fit_json(path, model)  # validates, naming the file
    doc = load_fit_json(path)
    rec = doc if "model" in doc else doc.get(kind, {})
    label = rec.get("symbol") or rec.get("stock") or doc.get("symbol") or doc.get("stock")
    return kind, profile if profile is not None else whole, str(label) if label else None


def problem_from_args(args: argparse.Namespace, *, periods: int | None = None) -> ProblemSpec:
    """Build the :class:`~execopt.ExecutionProblem` described by the problem options.

    The number of periods is ``--periods`` when given, else the length of a time-varying
    parameter file's values, else ``periods`` (solve: 390; certify: the file's row count).

    Raises
    ------
    InputError
        Unknown stock, no power-law preset for the stock, neither ``--stock`` nor ``--params``,
        a model that disagrees with the parameter file, or invalid sizes (from the problem).
    DataError
        A malformed parameter file.
    """
    from execopt import presets
    from execopt.problem.execution_problem import ExecutionProblem

    transient, permanent = None, 0.0
    if args.params is not None:
        kind, impact, label = read_params(args.params, args.model)
        stock = (args.stock or label or args.params.stem).upper()
        source = str(args.params)
        if not getattr(args, "no_propagator", False):
            from execopt.impact.fitjson import read_propagator

            prop = read_propagator(args.params)
            if prop is not None:
                transient, permanent = prop
                source += f" (propagator: {transient!r}, permanent gamma {permanent:g})"
    else:
        if not args.stock:
            raise InputError(
                f"give --stock (one of {', '.join(presets.STOCKS)}) or --params FILE.json."
            )
        stock = args.stock.upper()
        kind = args.model or "quadratic"
        if stock not in presets.QUADRATIC:
            raise InputError(
                f"unknown stock {args.stock!r}: the reference presets are {', '.join(presets.STOCKS)}; "
                "for another stock give its parameters with --params FILE.json."
            )
        if kind == "power":
            if stock not in presets.POWER:
                raise InputError(
                    f"no power-law preset for {stock}: the reference document states a power law for "
                    f"{', '.join(presets.POWER)} (buy side) only. Use --model quadratic, or give "
                    'the power law with --params FILE.json ({"model": "power", "params": '
                    '{"gamma": ..., "delta": ...}}).'
                )
            entry = presets.POWER[stock]
        else:
            entry = presets.QUADRATIC[stock]
        impact = entry.model
        source = entry.source
    N = args.periods if args.periods is not None else impact.periods or periods
    if N is None:  # pragma: no cover - every command gives a fallback
        raise InputError("give --periods N.")
    from execopt.errors import ConvexityError

    try:
        problem = ExecutionProblem(
            shares=args.shares,
            impact=impact,
            periods=N,
            cap=args.cap,
            transient=transient,
            permanent=permanent,
        )
    except ConvexityError as exc:
        if transient is None and permanent == 0.0:
            raise
        raise ConvexityError(
            f"{exc} The transient kernel and permanent impact come from the 'propagator' "
            f"section of {args.params}; solve without them with --no-propagator."
        ) from exc
    return ProblemSpec(problem, stock, kind, source)


def check_distinct_outputs(**paths: Path | None) -> None:
    """Raise :class:`InputError` when two output options name the same file.

    Example: ``check_distinct_outputs(out=args.out, json_out=args.json_out)``.
    """
    import os

    seen: dict[str, str] = {}
    for option, path in paths.items():
        if path is None:
            continue
        key = os.path.normcase(os.path.abspath(path))
        flag = "--" + option.replace("_", "-")
        if key in seen:
            raise InputError(
                f"{seen[key]} and {flag} both name {path}: give each output its own file."
            )
        seen[key] = flag


# ----------------------------------------------------------------------------- schedule CSV
def schedule_csv(x: NDArray[np.float64]) -> str:
    """The text of ``x`` as ``period,shares`` CSV (the one format of
    :func:`execopt.problem.schedule_file.schedule_text`).
    """
    from execopt.problem.schedule_file import schedule_text

    return schedule_text(x, periods=True)


def write_schedule(path: Path, x: NDArray[np.float64]) -> None:
    """Write ``x`` as ``period,shares`` CSV, atomically (a full disk leaves no cut file).

    Raises
    ------
    OutputError
        The file cannot be written (the message names the path and the fix).
    """
    from execopt.problem.schedule_file import write_schedule_csv

    write_schedule_csv(path, x, periods=True)


def read_schedule(path: Path) -> NDArray[np.float64]:
    """Read a schedule CSV (``shares`` or ``period,shares``) for ``execopt certify``.

    The parsing is :func:`execopt.problem.schedule_file.read_schedule_csv`, shared with
    ``execopt validate``; a file that only says ``infeasible`` has no schedule to certify.

    Raises
    ------
    DataError
        The file is missing, empty, has no ``shares`` column, a row is malformed, or it holds
        no schedule; the message names the file and the line.
    """
    from execopt.problem.schedule_file import read_schedule_csv

    sf = read_schedule_csv(path)
    if sf.shares is None:
        raise DataError(
            f"{path}, line 1: the file claims the problem is infeasible; certify needs a "
            "schedule ('period,shares' or 'shares', one row per period)."
        )
    return sf.shares
