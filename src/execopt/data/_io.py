"""File plumbing shared by the readers: path resolution, (gzip) bytes, row-to-line mapping."""

from __future__ import annotations

import glob
import gzip
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from execopt.errors import DataError, InputError

__all__ = ["PathLike", "RowLocator", "drop_lines", "line_fields", "read_bytes", "resolve_paths"]

PathLike = str | os.PathLike[str]
_GLOB_CHARS = frozenset("*?[")


def resolve_paths(
    path: PathLike | Sequence[PathLike], *, suffixes: tuple[str, ...] = (".csv", ".csv.gz")
) -> list[Path]:
    """Expand a file, a folder, a glob pattern or a list of them into existing files.

    A folder contributes its files ending in one of ``suffixes`` (not recursive); a pattern
    is expanded with :func:`glob.glob`.  Order is by name; readers re-order by time.

    Raises
    ------
    InputError
        If nothing matches or a named file does not exist.
    """
    if isinstance(path, (str, os.PathLike)):
        items: list[PathLike] = [path]
    else:
        items = list(path)
        if not items:
            raise InputError("no path given (empty list)")
    out: list[Path] = []
    for item in items:
        p = Path(item)
        s = os.fspath(item)
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.is_file() and f.name.endswith(suffixes))
            if not files:
                raise InputError(f"folder '{p}' holds no file ending in {', '.join(suffixes)}")
            out.extend(files)
        elif p.is_file():
            out.append(p)
        elif _GLOB_CHARS & set(s):
            files = sorted(Path(f) for f in glob.glob(s) if Path(f).is_file())
            if not files:
                raise InputError(f"no file matches the pattern '{s}'")
            out.extend(files)
        else:
            raise InputError(
                f"no such file or folder: '{s}' (set EXECOPT_DATA or pass the right path)"
            )
    return out


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped if it starts with the gzip magic number.

    Raises
    ------
    DataError
        If the file is empty, or a gzip stream is corrupt or truncated.
    """
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(
                f"file '{path}': the gzip stream is corrupt or truncated ({exc}); "
                "download the file again"
            ) from exc
    if not raw.strip():
        raise DataError(f"file '{path}' is empty; point the reader at a non-empty file")
    return raw


@dataclass(frozen=True)
class RowLocator:
    """Maps a row of concatenated arrays back to its file and line.

    Attributes
    ----------
    files : tuple of Path
        The files the rows came from.
    file_index : ndarray of int64
        Index into ``files`` of every row.
    lines : ndarray of int64
        1-based line (or record) number of every row in its own file.
    unit : str
        What ``lines`` counts: ``"line"`` for text files, ``"record"`` for DBN.
    """

    files: tuple[Path, ...]
    file_index: np.ndarray
    lines: np.ndarray
    unit: str = "line"

    @classmethod
    def single(cls, path: Path, lines: np.ndarray, unit: str = "line") -> RowLocator:
        """The locator of rows that all come from one file."""
        return cls((path,), np.zeros(len(lines), np.int64), np.asarray(lines, np.int64), unit)

    def __call__(self, row: int) -> str:
        return f"file '{self.files[int(self.file_index[row])]}', {self.unit} {int(self.lines[row])}"

    def take(self, index: np.ndarray) -> RowLocator:
        """The locator of the rows selected by a boolean mask or an integer index (order kept)."""
        return RowLocator(self.files, self.file_index[index], self.lines[index], self.unit)


def line_fields(data: bytes, sep: bytes, *, block: int = 1 << 23) -> tuple[np.ndarray, np.ndarray]:
    r"""Number of fields and of bytes of every line of ``data`` (no quoting assumed).

    Lines end at ``\\n``; a last line without one counts if it is not empty.  Works in blocks
    of about ``block`` bytes so memory stays bounded.

    Returns
    -------
    n_fields : ndarray of int64
        Separators + 1 per line (an empty line has 1).
    n_bytes : ndarray of int64
        Length of each line without its ``\\n`` (and without a trailing ``\\r``).
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    n = len(buf)
    code = sep[0]
    fields: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    start = 0
    while start < n:
        stop = min(start + block, n)
        if stop < n:
            cut = data.rfind(b"\n", start, stop)
            stop = cut + 1 if cut >= start else (data.find(b"\n", stop) + 1 or n)
        chunk = buf[start:stop]
        nl = np.flatnonzero(chunk == 10)
        ends = nl if (len(chunk) and chunk[-1] == 10) else np.append(nl, len(chunk))
        begins = np.concatenate([[0], nl + 1])[: len(ends)]
        seps = np.flatnonzero(chunk == code)
        fields.append(np.searchsorted(seps, ends) - np.searchsorted(seps, begins) + 1)
        ln = ends - begins
        has_cr = np.zeros(len(ends), dtype=bool)
        nonempty = ln > 0
        has_cr[nonempty] = chunk[ends[nonempty] - 1] == 13
        lengths.append(ln - has_cr)
        start = stop
    if not fields:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(fields), np.concatenate(lengths)


def drop_lines(data: bytes, bad: np.ndarray) -> bytes:
    """``data`` without the lines whose 0-based numbers are in ``bad`` (sorted)."""
    if len(bad) == 0:
        return data
    buf = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    begins = np.concatenate([[0], nl + 1])
    ends = np.append(nl + 1, len(data))
    pieces = []
    prev = 0
    for k in bad.tolist():
        pieces.append(data[prev : int(begins[k])])
        prev = int(ends[k])
    pieces.append(data[prev:])
    return b"".join(pieces)
