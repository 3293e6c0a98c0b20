"""Option types that refuse bad values when the command line is parsed (exit 2, one line).

Each factory returns a callable for ``add_argument(type=...)``; it raises
:class:`argparse.ArgumentTypeError` with a message saying what is expected, which the parser
prints as ``error: execopt solve: argument --seed: must be an integer in [0, 4294967295], got
'-1'``. Only the standard library is imported here (``execopt --help`` stays fast).
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "MAX_DRAWS",
    "MAX_PERIODS",
    "PLOT_SUFFIXES",
    "SEED_MAX",
    "choice_list",
    "integer",
    "number",
    "number_list",
    "output_dir",
    "output_file",
    "plot_file",
    "scheduler_address",
    "seed",
]

#: ``--seed``: NumPy's legacy seeding (SciPy's differential evolution) takes [0, 2**32).
SEED_MAX = 2**32 - 1
#: ``--periods``: above ten million periods one schedule is 80 MB and a solve needs several.
MAX_PERIODS = 10_000_000
#: ``--draws``: above ten million Monte Carlo draws the per-draw table needs gigabytes.
MAX_DRAWS = 10_000_000
#: File types matplotlib writes without extra packages.
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".svgz", ".eps", ".ps", ".jpg", ".jpeg", ".tif", ".tiff")


def number(
    *,
    minimum: float | None = None,
    strict: bool = False,
    allow_inf: bool = False,
    unit: str = "",
) -> Callable[[str], float]:
    """A float option: finite (or +inf if ``allow_inf``), ``>= minimum`` (``>`` if ``strict``)."""

    def parse(text: str) -> float:
        bound = "" if minimum is None else f" {'>' if strict else '>='} {minimum:g}"
        what = f"a {'finite ' if not allow_inf else ''}number{bound}{f' ({unit})' if unit else ''}"
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        if math.isnan(v) or (math.isinf(v) and not (allow_inf and v > 0)):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        if minimum is not None and (v <= minimum if strict else v < minimum):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return v

    return parse


def integer(
    *, minimum: int | None = None, maximum: int | None = None, unit: str = ""
) -> Callable[[str], int]:
    """An integer option in ``[minimum, maximum]``."""

    def parse(text: str) -> int:
        lo = "" if minimum is None else f" >= {minimum:,}"
        hi = "" if maximum is None else f"{' and' if lo else ''} <= {maximum:,}"
        what = f"an integer{lo}{hi}{f' ({unit})' if unit else ''}"
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return v

    return parse


def number_list(
    *, minimum: float | None = None, strict: bool = False, unit: str = ""
) -> Callable[[str], tuple[float, ...]]:
    """A comma-separated list of numbers, each as :func:`number` checks it (``1000,5000``)."""
    one = number(minimum=minimum, strict=strict, unit=unit)

    def parse(text: str) -> tuple[float, ...]:
        items = [t.strip() for t in text.split(",") if t.strip()]
        if not items:
            raise argparse.ArgumentTypeError(f"must be a comma-separated list, got {text!r}")
        return tuple(one(t) for t in items)

    return parse


def choice_list(*choices: str) -> Callable[[str], tuple[str, ...]]:
    """A comma-separated list of names from ``choices`` (``buy,sell``), each once."""

    def parse(text: str) -> tuple[str, ...]:
        items = [t.strip().lower() for t in text.split(",") if t.strip()]
        bad = [t for t in items if t not in choices]
        if not items or bad:
            raise argparse.ArgumentTypeError(
                f"must be a comma-separated list of {', '.join(choices)}, got {text!r}"
            )
        return tuple(dict.fromkeys(items))

    return parse


def seed(text: str) -> int:
    """``--seed``: an integer in [0, 2**32 - 1]."""
    try:
        v = int(text)
    except ValueError:
        v = -1
    if not 0 <= v <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, {SEED_MAX}], got {text!r}")
    return v


def output_file(*suffixes: str) -> Callable[[str], Path]:
    """A file to write: not a folder, and (when ``suffixes`` are given) with one of them."""

    def parse(text: str) -> Path:
        p = Path(text)
        if not text or p.is_dir() or text.endswith(("/", "\\")):
            raise argparse.ArgumentTypeError(
                f"{text!r} is a folder; give a file name"
                + (f" ending in {' or '.join(suffixes)}" if suffixes else "")
            )
        if suffixes and p.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(
                f"{text!r} must end in {', '.join(suffixes)} (the file type comes from the name)"
            )
        return p

    return parse


def plot_file(text: str) -> Path:
    """``--plot``: a file name whose suffix matplotlib can write (``.png``, ``.pdf``, ``.svg``...)."""
    return output_file(*PLOT_SUFFIXES)(text)


def output_dir(text: str) -> Path:
    """A folder to write results to (created if missing): not an existing file."""
    p = Path(text)
    if not text or (p.exists() and not p.is_dir()):
        raise argparse.ArgumentTypeError(f"{text!r} is a file; give a folder (created if missing)")
    return p


_ADDRESS = re.compile(r"^(?:(tcp|tls|inproc|ucx|ws|wss)://)?[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")


def scheduler_address(text: str) -> str:
    """``--scheduler``: ``tcp://host:port`` (or ``host:port``, ``tls://...``)."""
    if not _ADDRESS.match(text.strip()):
        raise argparse.ArgumentTypeError(
            f"must be a Dask scheduler address such as tcp://10.0.0.5:8786, got {text!r}"
        )
    port = int(text.rsplit(":", 1)[1])
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port {port} is not in 1..65535 in {text!r}")
    return text.strip()
