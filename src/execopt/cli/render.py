"""Rendering helpers shared by every ``execopt`` command: consoles, number formats, sparklines, JSON.

Commands print either a human view (rich tables on stdout) or, with ``--json``, one JSON document
on stdout and nothing else. Errors and notes go to stderr in both modes, so ``execopt ... --json |
jq`` always sees valid JSON.

JSON conventions (:func:`jsonable`, :func:`dumps`): NumPy scalars and arrays become Python numbers
and lists; ``NaN`` and ``±inf`` (not valid JSON) become ``null`` — a ``null`` lower bound means "no
bound applies", a ``null`` lam "not meaningful" (e.g. the concave reading). Money is in dollars,
sizes in shares, ratios shown to a person in basis points (1 bp = 1e-4).

Tables fit 80 columns by default: each command chooses and abbreviates its columns (units in
the headers, thousands separators) and marks the rest ``wide``; ``--wide`` shows them all.
Cells are never cut (no ``me…``): number columns do not wrap and keep their full width, prose
columns fold onto further lines. The width is ``COLUMNS`` when set, else the terminal's, else 80.

Only the standard library is imported at module level; :mod:`rich` is imported when a console is
made, so ``execopt --help`` stays fast.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from execopt._json import plain

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console
    from rich.table import Table

__all__ = [
    "BLOCKS",
    "FLAT_RTOL",
    "WIDE_WIDTH",
    "Col",
    "bp",
    "configure",
    "console",
    "dumps",
    "error",
    "fmt_bp",
    "fmt_float",
    "fmt_money",
    "fmt_ms",
    "fmt_shares",
    "jsonable",
    "note",
    "print_json",
    "progress_enabled",
    "sparkline",
    "table",
    "wide",
]

#: Eight block characters, lowest to highest, used by :func:`sparkline`.
BLOCKS = "▁▂▃▄▅▆▇█"
#: A series whose range is below this fraction of its magnitude is drawn flat: solver rounding
#: (a conic solver's 1e-8 relative noise) is not a shape a reader should see.
FLAT_RTOL = 1e-6
#: Smallest console width with ``--wide`` (every column of every table fits).
WIDE_WIDTH = 200

_STATE = {"wide": False}


def configure(*, wide: bool = False) -> None:
    """Set the display options of this run (``--wide``); called by :func:`execopt.cli.main.main`."""
    _STATE["wide"] = bool(wide)


def wide() -> bool:
    """True when ``--wide`` asked for every table column."""
    return _STATE["wide"]


def progress_enabled(args: Any) -> bool:
    """Progress bars: on when stderr is a terminal, off with ``--quiet`` or ``--json``;
    ``--progress`` (where a command has it) forces them on.
    """
    if getattr(args, "quiet", False):
        return False
    if getattr(args, "progress", False):
        return True
    if getattr(args, "json", False):
        return False
    return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


# ----------------------------------------------------------------------------- consoles
def console(*, stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr).

    Width: ``COLUMNS`` when set, else the terminal's, else 80 (pipes, files); at least
    :data:`WIDE_WIDTH` with ``--wide``. The console looks up ``sys.stdout``/``sys.stderr`` when
    it prints, so output captured by pytest's ``capsys`` lands in the right place.
    """
    from rich.console import Console

    c = Console(stderr=stderr, highlight=False)
    if _STATE["wide"] and c.width < WIDE_WIDTH:
        c = Console(stderr=stderr, highlight=False, width=WIDE_WIDTH)
    return c


def error(message: str) -> None:
    """Print ``error: <message>`` in red, on one line, to stderr."""
    one_line = " ".join(str(message).split())
    console(stderr=True).print(f"[bold red]error:[/] {_escape(one_line)}", soft_wrap=True)


def note(message: str) -> None:
    """Print a dim note to stderr (kept off stdout so ``--json`` output stays pure), wrapped
    at the console width.
    """
    console(stderr=True).print(f"[dim]{_escape(message)}[/]")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@dataclass(frozen=True)
class Col:
    """A table column.

    Attributes
    ----------
    header : str
        Short, with the unit (``"cost $"``, ``"gap bp"``, ``"ms"``).
    justify : {"left", "right"}
        ``"right"`` for numbers.
    wide : bool
        Shown only with ``--wide``.
    wrap : bool
        Prose that may fold onto further lines; other columns keep their full width.
    """

    header: str
    justify: str = "left"
    wide: bool = False
    wrap: bool = False


def _as_col(col: str | tuple[str, str] | Col) -> Col:
    if isinstance(col, Col):
        return col
    if isinstance(col, tuple):
        return Col(col[0], col[1])
    return Col(col)


def table(
    title: str,
    columns: Sequence[str | tuple[str, str] | Col],
    rows: Iterable[Sequence[Any]],
) -> Table:
    """A rich table that never cuts a cell.

    A column given as ``(name, "right")`` is right-aligned (numbers); a :class:`Col` may be
    ``wide`` (dropped unless ``--wide``) or ``wrap`` (prose). Cells never end in ``…``: when
    the console is too narrow, the widest (prose) columns wrap first, and a cell that still does
    not fit continues on the next line. Each command chooses its default columns so that its
    tables fit 80 characters without either.
    """
    from rich import box
    from rich.table import Table

    cols = [_as_col(c) for c in columns]
    keep = [i for i, c in enumerate(cols) if _STATE["wide"] or not c.wide]
    body = [[str(row[i]) if i < len(row) else "" for i in keep] for row in rows]
    t = Table(
        title=title or None,
        title_justify="left",
        show_lines=False,
        pad_edge=False,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        collapse_padding=True,
    )
    for i in keep:
        c = cols[i]
        # "fold": a cell narrower than its text continues on the next line; nothing is ever
        # cut to "…". Prose columns (wrap) are the widest and give way first.
        t.add_column(c.header, justify=c.justify, overflow="fold")  # type: ignore[arg-type]
    for r in body:
        t.add_row(*r)
    return t


# ----------------------------------------------------------------------------- numbers
def _finite(v: Any) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def fmt_float(v: Any, spec: str = ".3g") -> str:
    """``format(v, spec)`` for finite numbers, ``"-"`` for None, ``"inf"``/``"nan"`` spelled out."""
    if v is None:
        return "-"
    f = float(v)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    return format(f, spec)


def fmt_money(v: Any, digits: int = 4) -> str:
    """Dollars with thousands separators and ``digits`` decimals (``"$1,234.5678"``)."""
    if not _finite(v):
        return fmt_float(v)
    f = round(float(v), digits)  # no "-$0.0000" for rounding noise
    sign = "-" if f < 0 else ""
    return f"{sign}${abs(f):,.{digits}f}"


def bp(part: Any, whole: Any) -> float | None:
    """``part / whole`` in basis points (None when either is missing or ``whole`` is zero)."""
    if not (_finite(part) and _finite(whole)) or float(whole) == 0.0:
        return None
    return 1e4 * float(part) / abs(float(whole))


def fmt_bp(v: Any) -> str:
    """Basis points with three significant digits (``"0.0123 bp"`` style, ``"-"`` if missing)."""
    if v is None:
        return "-"
    f = float(v)
    if f == 0.0:
        return "0 bp"
    return f"{f:.3g} bp"


def fmt_ms(seconds: Any) -> str:
    """Seconds shown as milliseconds (``"12.3"``), ``"-"`` when missing."""
    if not _finite(seconds):
        return "-"
    ms = 1e3 * float(seconds)
    return f"{ms:.3g}" if ms < 100 else f"{ms:,.0f}"


def fmt_shares(v: Any) -> str:
    """Shares, compact (``"0"``, ``"3.2e-09"``, ``"1,000"``)."""
    if not _finite(v):
        return fmt_float(v)
    f = float(v)
    if f == 0.0:
        return "0"
    if abs(f) >= 1:
        return f"{f:,.4g}" if abs(f) < 1e4 else f"{f:,.0f}"
    return f"{f:.2g}"


# ----------------------------------------------------------------------------- sparkline
def sparkline(values: Sequence[float] | Any, width: int = 64) -> str:
    """A one-line unicode sparkline of ``values`` (resampled to at most ``width`` characters).

    Each character shows the mean of its bin, scaled between the minimum and maximum of the
    binned values; a constant series is drawn at mid height so "flat" reads as flat. Non-finite
    values are drawn as spaces.

    Examples
    --------
    >>> sparkline([0, 1, 2, 3, 4, 5, 6, 7])
    '▁▂▃▄▅▆▇█'
    >>> sparkline([5, 5, 5])
    '▄▄▄'
    """
    vals = [float(v) for v in values]
    n = len(vals)
    if n == 0:
        return ""
    k = min(n, max(int(width), 1))
    bins: list[float] = []
    for i in range(k):
        lo, hi = (i * n) // k, ((i + 1) * n) // k
        chunk = [v for v in vals[lo:hi] if math.isfinite(v)]
        bins.append(sum(chunk) / len(chunk) if chunk else math.nan)
    fin = [v for v in bins if math.isfinite(v)]
    if not fin:
        return " " * k
    vmin, vmax = min(fin), max(fin)
    span = vmax - vmin
    out = []
    for v in bins:
        if not math.isfinite(v):
            out.append(" ")
        elif span <= FLAT_RTOL * max(abs(vmax), abs(vmin), 1e-300):
            out.append(BLOCKS[3])
        else:
            out.append(BLOCKS[min(int((v - vmin) / span * len(BLOCKS)), len(BLOCKS) - 1)])
    return "".join(out)


# ----------------------------------------------------------------------------- JSON
def jsonable(obj: Any) -> Any:
    """Convert ``obj`` to plain JSON types (:func:`execopt._json.plain`)."""
    return plain(obj)


def dumps(obj: Any, *, indent: int | None = 2) -> str:
    """Strict JSON text of ``obj`` (after :func:`jsonable`; never emits ``NaN``)."""
    return json.dumps(jsonable(obj), indent=indent, allow_nan=False)


def print_json(obj: Any) -> None:
    """Write :func:`dumps` of ``obj`` and a newline to stdout (and nothing else)."""
    sys.stdout.write(dumps(obj) + "\n")
    sys.stdout.flush()
