"""Where the real order-book data lives.

The real data are third-party files that are never copied into the project.  Code finds them
through the environment variable ``EXECOPT_DATA`` (a folder laid out like ``../shared/data``:
``mbp10/`` and ``lobster/`` sub-folders, or a flat folder of daily files named
``<TICKER>_<YYYY-MM-DD>...csv``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from execopt.errors import DataError, InputError

__all__ = [
    "DATA_ENV",
    "FROG_DAY",
    "data_root",
    "day_files",
    "find_data_root",
    "frog_day_file",
]

DATA_ENV = "EXECOPT_DATA"
#: The one full real trading day available for FROG.
FROG_DAY = "2025-04-03"


def data_root() -> Path | None:
    """The folder named by ``EXECOPT_DATA``, or None when the variable is unset or empty.

    Raises
    ------
    DataError
        If the variable names something that is not a folder.
    """
    value = os.environ.get(DATA_ENV, "").strip()
    if not value:
        return None
    root = Path(value).expanduser()
    if not root.is_dir():
        raise DataError(f"{DATA_ENV}={value!r} is not a folder; unset it or point it at the data")
    return root


def find_data_root(repo_root: str | os.PathLike[str] | None = None) -> Path | None:
    """``EXECOPT_DATA`` if set, else ``<repo_root>/../shared/data`` if it exists, else None.

    ``repo_root`` defaults to the current working directory.
    """
    root = data_root()
    if root is not None:
        return root
    base = Path(repo_root) if repo_root is not None else Path.cwd()
    candidate = (base / ".." / "shared" / "data").resolve()
    return candidate if candidate.is_dir() else None


def _day_pattern(ticker: str, date: str) -> re.Pattern[str]:
    # FROG_2025-04-03.csv.gz, "FROG_2025-04-03 00:00:00+00:00.csv", "..00_00_00+00_00.csv"
    return re.compile(
        rf"^{re.escape(ticker)}_{re.escape(date)}"
        r"(?:[ T]00[:_]00[:_]00(?:\+00[:_]00)?)?\.csv(?:\.gz)?$"
    )


def day_files(ticker: str, date: str, root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Full-day MBP-10 files ``<TICKER>_<date>[ 00:00:00+00:00].csv[.gz]`` under ``root``.

    Looks in ``root`` and ``root/mbp10``; derived files such as ``..._last_per_minute.csv``
    or ``..._first5.csv`` do not match.  ``root`` defaults to :func:`data_root`.
    """
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise InputError(f"date must be YYYY-MM-DD, got {date!r}")
    base = Path(root) if root is not None else data_root()
    if base is None:
        raise DataError(
            f"no data folder: set {DATA_ENV} to the folder holding the order-book files"
        )
    pat = _day_pattern(ticker, date)
    found: list[Path] = []
    for folder in (base, base / "mbp10"):
        if folder.is_dir():
            found.extend(sorted(f for f in folder.iterdir() if pat.match(f.name)))
    return found


def frog_day_file(root: str | os.PathLike[str] | None = None, date: str = FROG_DAY) -> Path:
    """The FROG full-day MBP-10 file for ``date`` (default 2025-04-03).

    Raises
    ------
    DataError
        If no such file exists under ``root`` (default :func:`data_root`).
    """
    files = day_files("FROG", date, root)
    if not files:
        raise DataError(
            f"no FROG file for {date} under {root or data_root()}; expected "
            f"FROG_{date}.csv.gz (or 'FROG_{date} 00:00:00+00:00.csv') there or in mbp10/"
        )
    return files[0]
