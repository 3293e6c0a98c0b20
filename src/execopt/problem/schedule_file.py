"""Schedule files: one schedule per CSV, the format every command and the suite share.

A header ``shares`` or ``period,shares`` (``period`` counting up by one from 0 or 1), then one
row per period; blank lines are skipped. A first line containing ``infeasible`` (any case) is a
solver's claim that no schedule exists (used by ``execopt validate``). ``execopt certify`` and
``execopt validate`` both read files with :func:`read_schedule_csv`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from execopt.errors import DataError

#: A number as a schedule file writes it: Python's float syntax without underscores (``1_0``
#: would read as 10), spaces or words (``inf``/``nan`` are refused as not finite).
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")

__all__ = ["ScheduleFile", "ScheduleFormatError", "read_schedule_csv", "write_schedule_csv"]

FloatArray = NDArray[np.float64]


class ScheduleFormatError(DataError):
    """A schedule file cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class ScheduleFile:
    """A schedule file's content: the shares per period, or the solver's infeasibility claim."""

    shares: FloatArray | None
    infeasible: bool
    path: Path


def schedule_text(x: Any, *, periods: bool = False) -> str:
    """The one schedule CSV format: header ``shares`` (or ``period,shares`` with ``periods``,
    periods counted from 0), one ``repr`` float per row, so a schedule read back by
    :func:`read_schedule_csv` is bit for bit the one written.
    """
    vals = np.asarray(x, dtype=np.float64).ravel().tolist()
    if periods:
        return "period,shares\n" + "".join(f"{t},{v!r}\n" for t, v in enumerate(vals))
    return "shares\n" + "".join(f"{v!r}\n" for v in vals)


def write_schedule_csv(path: Path, x: Any, *, periods: bool = False) -> Path:
    """Write :func:`schedule_text` of ``x`` to ``path`` atomically."""
    from execopt._atomic import write_text

    return write_text(Path(path), schedule_text(x, periods=periods))


def _split(line: str) -> list[str]:
    return [c.strip() for c in line.split(",")]


def read_schedule_csv(path: Path) -> ScheduleFile:
    """Read a schedule file (format in :mod:`execopt.studies.suite.format`).

    Accepted: a header ``shares`` or ``period,shares`` (any order; ``period`` counting up by one
    from 0 or 1), then one row per period; blank lines are skipped; a first line containing
    ``infeasible`` (any case) is the solver's claim that no schedule exists.

    Raises
    ------
    ScheduleFormatError
        Naming the file and the line: not UTF-8 text, empty, a bad header, a row with the wrong
        number of fields, a value that is not a finite number, periods out of order.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScheduleFormatError(
            f"{path}: cannot read the file ({exc.strerror or exc})."
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScheduleFormatError(f"{path}, line {line}: not UTF-8 text.") from None
    lines = [(i, ln) for i, ln in enumerate(text.splitlines(), start=1) if ln.strip()]
    if not lines:
        raise ScheduleFormatError(f"{path}: the file is empty; expected a header 'shares'.")
    head_no, head = lines[0]
    if "infeasible" in head.lower():
        return ScheduleFile(None, True, path)
    cols = [c.lower() for c in _split(head)]
    if (
        "shares" not in cols
        or any(c not in ("period", "shares") for c in cols)
        or len(set(cols)) != len(cols)
    ):
        raise ScheduleFormatError(
            f"{path}, line {head_no}: bad header {head.strip()!r}; expected 'shares' (or "
            "'period,shares'), or 'infeasible' for an instance the solver finds infeasible."
        )
    body = lines[1:]
    if not body:
        raise ScheduleFormatError(f"{path}: the header has no rows under it (one row per period).")
    i_sh = cols.index("shares")
    if len(cols) == 1:
        cells = [ln for _, ln in body]
        if all(_NUMBER.fullmatch(c) for c in cells):
            x = np.array(cells, dtype=np.float64)
            if np.all(np.isfinite(x)):
                return ScheduleFile(x, False, path)
    values = np.empty(len(body))
    first_period: int | None = None
    for k, (no, ln) in enumerate(body):
        row = _split(ln)
        if len(row) != len(cols):
            raise ScheduleFormatError(
                f"{path}, line {no}: {len(row)} field(s), expected {len(cols)} ({','.join(cols)})."
            )
        cell = row[i_sh]
        if cell.strip().lower().lstrip("+-") in ("inf", "infinity", "nan"):
            raise ScheduleFormatError(f"{path}, line {no}: {cell!r} is not a finite number.")
        if not _NUMBER.fullmatch(cell):
            raise ScheduleFormatError(
                f"{path}, line {no}: {cell!r} is not a number (a decimal: digits, an optional "
                "sign, point and exponent; no underscores, no spaces)."
            )
        v = float(cell)
        if not math.isfinite(v):
            raise ScheduleFormatError(f"{path}, line {no}: {cell!r} is not a finite number.")
        if "period" in cols:
            pc = row[cols.index("period")]
            if not _INTEGER.fullmatch(pc):
                raise ScheduleFormatError(f"{path}, line {no}: period {pc!r} is not an integer.")
            t = int(pc)
            if first_period is None:
                if t not in (0, 1):
                    raise ScheduleFormatError(
                        f"{path}, line {no}: periods must start at 0 or 1, got {t}."
                    )
                first_period = t
            if t != first_period + k:
                raise ScheduleFormatError(
                    f"{path}, line {no}: period {t} out of order, expected {first_period + k}."
                )
        values[k] = v
    return ScheduleFile(values, False, path)
