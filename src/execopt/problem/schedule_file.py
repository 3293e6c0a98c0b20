"""Schedule files: one schedule per CSV, the format every command and the suite share.

A header ``shares`` or ``period,shares`` (``period`` counting up by one from 0 or 1), then one
row per period; blank lines are skipped. A basket's ``(M, N)`` schedule has one column per leg
instead, ``leg_0,leg_1,...,leg_{M-1}`` (optionally after ``period``): still one row per period,
row ``t`` holding every leg's shares in period ``t``, so a one-leg file reads like the
single-asset one. A first line containing ``infeasible`` (any case) is a solver's claim that no
schedule exists (used by ``execopt validate``). ``execopt certify`` and ``execopt validate``
both read files with :func:`read_schedule_csv`.
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

#: A basket file's leg column: ``leg_<i>``, ``i`` counting from 0.
_LEG = re.compile(r"leg_(\d+)")
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
    """A schedule file's content: the shares per period (shape (N,); a basket file's shape
    (M, N), one row per leg), or the solver's infeasibility claim.
    """

    shares: FloatArray | None
    infeasible: bool
    path: Path

    @property
    def legs(self) -> int | None:
        """``M`` for a basket file (columns ``leg_0 .. leg_{M-1}``), None otherwise."""
        if self.shares is None or self.shares.ndim != 2:
            return None
        return int(self.shares.shape[0])


def schedule_text(x: Any, *, periods: bool = False) -> str:
    """The one schedule CSV format: header ``shares`` (or ``period,shares`` with ``periods``,
    periods counted from 0), one ``repr`` float per row, so a schedule read back by
    :func:`read_schedule_csv` is bit for bit the one written. A 2-D ``x`` of shape (M, N) is a
    basket's: header ``leg_0,...,leg_{M-1}``, row ``t`` holding every leg's period ``t``.

    Examples
    --------
    >>> print(schedule_text([[1.0, 2.0], [3.0, 0.5]]), end="")
    leg_0,leg_1
    1.0,3.0
    2.0,0.5
    """
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 2:
        head = ",".join(f"leg_{i}" for i in range(arr.shape[0]))
        body = [",".join(repr(v) for v in col) for col in arr.T.tolist()]
        if periods:
            return f"period,{head}\n" + "".join(f"{t},{r}\n" for t, r in enumerate(body))
        return head + "\n" + "".join(f"{r}\n" for r in body)
    vals = arr.ravel().tolist()
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
    from 0 or 1), then one row per period; or, for a basket, a header of leg columns
    ``leg_0,...,leg_{M-1}`` (each once, any order, optionally with ``period``), giving shares of
    shape (M, N); blank lines are skipped; a first line containing ``infeasible`` (any case) is
    the solver's claim that no schedule exists.

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
    legs = [c for c in cols if _LEG.fullmatch(c)]
    if legs:
        return _read_legs(path, head_no, head, cols, lines[1:])
    if (
        "shares" not in cols
        or any(c not in ("period", "shares") for c in cols)
        or len(set(cols)) != len(cols)
    ):
        raise ScheduleFormatError(
            f"{path}, line {head_no}: bad header {head.strip()!r}; expected 'shares' (or "
            "'period,shares'; for a basket 'leg_0,...,leg_{M-1}'), or 'infeasible' for an "
            "instance the solver finds infeasible."
        )
    body = lines[1:]
    if not body:
        raise ScheduleFormatError(f"{path}: the header has no rows under it (one row per period).")
    values = _column_values(path, cols, body, [cols.index("shares")])
    return ScheduleFile(values[:, 0], False, path)


def _read_legs(
    path: Path, head_no: int, head: str, cols: list[str], body: list[tuple[int, str]]
) -> ScheduleFile:
    """A basket file: leg columns ``leg_0 .. leg_{M-1}`` (and optionally ``period``)."""
    idx = sorted(int(m.group(1)) for c in cols if (m := _LEG.fullmatch(c)))
    M = len(idx)
    if (
        any(c != "period" and not _LEG.fullmatch(c) for c in cols)
        or len(set(cols)) != len(cols)
        or idx != list(range(M))
    ):
        raise ScheduleFormatError(
            f"{path}, line {head_no}: bad header {head.strip()!r}; a basket's schedule has one "
            "column per leg, leg_0,...,leg_{M-1}, each once (optionally after 'period')."
        )
    if not body:
        raise ScheduleFormatError(f"{path}: the header has no rows under it (one row per period).")
    values = _column_values(path, cols, body, [cols.index(f"leg_{i}") for i in range(M)])
    return ScheduleFile(np.ascontiguousarray(values.T), False, path)


def _column_values(
    path: Path, cols: list[str], body: list[tuple[int, str]], take: list[int]
) -> FloatArray:
    """The numbers of columns ``take`` of every row, shape (rows, len(take)), with the checks of
    :func:`read_schedule_csv` (field counts, finite decimals, periods in order).
    """
    if len(cols) == 1:
        cells = [ln.strip() for _, ln in body]
        if all(_NUMBER.fullmatch(c) for c in cells):
            x = np.array(cells, dtype=np.float64)
            if np.all(np.isfinite(x)):
                return x[:, None]
    values = np.empty((len(body), len(take)))
    first_period: int | None = None
    for k, (no, ln) in enumerate(body):
        row = _split(ln)
        if len(row) != len(cols):
            raise ScheduleFormatError(
                f"{path}, line {no}: {len(row)} field(s), expected {len(cols)} ({','.join(cols)})."
            )
        for j, c in enumerate(take):
            values[k, j] = _number(path, no, row[c])
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
    return values


def _number(path: Path, no: int, cell: str) -> float:
    """One finite decimal number of a schedule file (line ``no``)."""
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
    return v
