"""Atomic file writes: every file execopt writes goes through this module.

A file is written under a temporary name in its own folder, flushed and ``fsync``-ed, then moved
onto its final name with :func:`os.replace` (atomic on POSIX and Windows); on any failure,
``KeyboardInterrupt`` included, the temporary file is removed. A reader therefore sees the old
file or the complete new one, never a file cut short by a full disk or a killed process.

Three levels:

:func:`atomic_path`, :func:`atomic_open`, :func:`write_text`, :func:`write_bytes`
    One file. ``atomic_path`` yields the temporary path, for libraries that write by name
    (``DataFrame.to_csv``, ``Figure.savefig``); it keeps the target's suffix so that format
    detection from the name still works.
:class:`FileSet`
    Several files of one run (``solve --out --plot --json-out``): each is staged as above and
    all are moved into place together at the end, or none is.
:class:`OutputFolder`
    A folder of results written by one run (``study --out DIR``, ``backtest --orders DIR``,
    ``suite export DIR``): files are staged in ``<DIR>.partial-<run id>/`` (marked by an
    ``INCOMPLETE`` file), then moved into ``DIR`` with a ``<name>.manifest.json`` that lists
    each file with its size and SHA-256 under the run's id. Files of an earlier run of the same
    name are removed, so old and new results never sit side by side. While the files are moved,
    SIGINT and SIGTERM are held back; only a hard kill (SIGKILL, power loss) in those
    milliseconds can leave a mixed folder, and it then holds ``<name>.INCOMPLETE``.

Failures raise :class:`~execopt.errors.OutputError` (an ``OSError``) naming the path and the fix.
``EXECOPT_TEST_WRITE_DELAY=<seconds>`` makes :class:`OutputFolder` pause after staging each
file: fault-injection tests use it to kill a run while it writes.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import shutil
import signal
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from execopt.errors import OutputError

__all__ = [
    "MANIFEST_SUFFIX",
    "WRITE_DELAY_ENV",
    "FileSet",
    "OutputFolder",
    "atomic_open",
    "atomic_path",
    "check_output_dir",
    "check_output_file",
    "new_run_id",
    "output_error",
    "replace_folder",
    "write_bytes",
    "write_text",
]

#: Environment variable: seconds to pause after each staged file of an :class:`OutputFolder`
#: (fault-injection tests only).
WRITE_DELAY_ENV = "EXECOPT_TEST_WRITE_DELAY"
#: ``<name>`` + this is the manifest of an :class:`OutputFolder` run.
MANIFEST_SUFFIX = ".manifest.json"
#: Name of the marker file in a staging folder, and suffix of the marker in a target folder.
INCOMPLETE = "INCOMPLETE"

_PathLike = str | os.PathLike[str]

#: errno -> (what went wrong, what to do about it)
_REASONS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the device", "free some space or write somewhere else"),
    errno.EDQUOT: ("disk quota exceeded", "free some space or write somewhere else"),
    errno.EROFS: ("the file system is read-only", "write to a folder on a writable disk"),
    errno.EACCES: ("permission denied", "choose a folder you can write to"),
    errno.EPERM: ("operation not permitted", "choose a folder you can write to"),
    errno.EISDIR: ("it is a folder", "give a file name, e.g. <folder>/result.csv"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "fix the path"),
    errno.ENOENT: ("its folder does not exist or was removed", "create the folder first"),
    errno.ENAMETOOLONG: ("the name is too long", "choose a shorter name"),
    errno.EEXIST: ("something is in the way", "remove it or choose another name"),
}


def new_run_id() -> str:
    """A fresh run id: UTC time to the second and 8 random hex digits (``20250403T143000Z-1a2b3c4d``)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(4)


def output_error(path: _PathLike, exc: BaseException) -> OutputError:
    """An :class:`OutputError` for a failed write of ``path``, saying why and what to do."""
    if isinstance(exc, OutputError):
        return exc
    code = getattr(exc, "errno", None)
    reason, fix = _REASONS.get(code or -1, ("", "check the path and the disk"))
    if not reason:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    # one argument: OSError's str() then is the message (errno and filename stay on __cause__)
    return OutputError(f"cannot write {os.fspath(path)}: {reason}; {fix}.")


def check_output_file(path: _PathLike) -> Path:
    """Check, before any work, that a file could be written at ``path``; return it as a Path.

    The path must not be a folder, and its nearest existing ancestor must be a writable
    folder (missing folders are created when the file is written).

    Raises
    ------
    OutputError
        Naming the path and the fix.
    """
    p = Path(path)
    if p.is_dir():
        raise output_error(p, OSError(errno.EISDIR, "Is a directory"))
    _check_ancestor(p.parent, p)
    return p


def check_output_dir(path: _PathLike) -> Path:
    """Check that a folder of results could be written at ``path`` (existing or not).

    Raises
    ------
    OutputError
        The path is a file, or no writable folder holds it.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputError(
            f"cannot write results to {p}: it is a file, not a folder; give a folder name "
            "(it is created if missing)."
        )
    _check_ancestor(p if p.is_dir() else p.parent, p)
    return p


def _check_ancestor(folder: Path, target: Path) -> None:
    a = Path(os.path.abspath(folder))
    while not a.exists():
        if a.parent == a:
            break
        a = a.parent
    if a.exists() and not a.is_dir():
        raise output_error(target, OSError(errno.ENOTDIR, "Not a directory"))
    if not os.access(a, os.W_OK | os.X_OK):
        # os.access reports EROFS for read-only mounts, EACCES otherwise
        code = errno.EROFS if _read_only(a) else errno.EACCES
        raise output_error(target, OSError(code, os.strerror(code)))


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):  # pragma: no cover - Windows
        return False


def _tmp_for(target: Path, token: str) -> Path:
    """A hidden temporary name beside ``target`` that keeps its suffix (format detection)."""
    return target.with_name(f".{target.name}.{token}.partial{target.suffix}")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Persist a rename (best effort: not every platform or file system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - e.g. EINVAL on some network file systems
        pass
    finally:
        os.close(fd)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _mkdir(folder: Path, target: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # a file where a folder of the path should be
        raise output_error(target, OSError(errno.ENOTDIR, "Not a directory")) from exc
    except OSError as exc:
        raise output_error(target, exc) from exc


def _prepare(target: Path) -> Path:
    """Refuse a folder as the target, create missing parents; return the temporary name."""
    if target.is_dir():
        raise output_error(target, OSError(errno.EISDIR, "Is a directory"))
    _mkdir(target.parent, target)
    return _tmp_for(target, secrets.token_hex(4))


@contextmanager
def _staged(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is written and fsync-ed (not yet
    moved); on failure it is removed and an ``OSError`` becomes an :class:`OutputError`.
    """
    tmp = _prepare(target)
    try:
        yield tmp
        if not tmp.exists():
            raise OutputError(f"cannot write {target}: the writer produced no file.")
        _fsync_file(tmp)
    except OSError as exc:
        _unlink(tmp)
        raise output_error(target, exc) from exc
    except BaseException:
        _unlink(tmp)
        raise


@contextmanager
def atomic_path(path: _PathLike) -> Iterator[Path]:
    r"""Yield a temporary path to write; on success it replaces ``path`` atomically.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "t.csv") as tmp:
    ...     pd.DataFrame({"x": [1, 2]}).to_csv(tmp, index=False)
    >>> (d / "t.csv").read_text()
    'x\n1\n2\n'
    """
    target = Path(path)
    with _staged(target) as tmp:
        yield tmp
    try:
        os.replace(tmp, target)
    except BaseException as exc:
        _unlink(tmp)
        if isinstance(exc, OSError):
            raise output_error(target, exc) from exc
        raise
    _fsync_dir(target.parent)


@contextmanager
def atomic_open(path: _PathLike, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """``open(path, mode)`` for writing, atomically (``mode`` ``"w"``, ``"wb"``, ``"wt"``)."""
    if not mode.startswith("w") or "+" in mode:
        raise ValueError(f"atomic_open writes whole files; mode {mode!r} is not 'w' or 'wb'.")
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh


def write_text(path: _PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; return the path."""
    with atomic_open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(text)
    return Path(path)


def write_bytes(path: _PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return the path."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return Path(path)


# ----------------------------------------------------------------------------- signals
_HELD = {signal.SIGINT, getattr(signal, "SIGTERM", signal.SIGINT)}


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while files are moved into place (delivered afterwards)."""
    block = getattr(signal, "pthread_sigmask", None)
    if block is None:  # pragma: no cover - Windows
        yield
        return
    old = block(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        block(signal.SIG_SETMASK, old)


def _test_delay() -> None:
    raw = os.environ.get(WRITE_DELAY_ENV)
    if raw:
        try:
            time.sleep(max(float(raw), 0.0))
        except ValueError:
            pass


def replace_folder(src: _PathLike, dest: _PathLike) -> Path:
    """Move the finished folder ``src`` onto ``dest``, replacing an older ``dest`` whole.

    ``src`` is first moved (copied, if on another file system) beside ``dest`` as
    ``<dest>.partial-<id>``; then the old ``dest`` is renamed away, the new one renamed into
    place and the old one deleted. ``dest`` is never a mix of old and new files; a hard kill in
    the middle leaves the clearly named ``.partial-``/``.old-`` folder.
    """
    dest_p = Path(os.path.abspath(dest))
    token = new_run_id()
    staged = dest_p.with_name(f"{dest_p.name}.partial-{token}")
    old = dest_p.with_name(f"{dest_p.name}.old-{token}")
    try:
        _mkdir(dest_p.parent, dest_p)
        shutil.move(os.fspath(src), staged)
        with _signals_held():
            if dest_p.exists():
                os.rename(dest_p, old)
            os.rename(staged, dest_p)
        _fsync_dir(dest_p.parent)
    except BaseException as exc:
        shutil.rmtree(staged, ignore_errors=True)
        if old.exists() and not dest_p.exists():
            os.rename(old, dest_p)
        if isinstance(exc, OSError):
            raise output_error(dest_p, exc) from exc
        raise
    shutil.rmtree(old, ignore_errors=True)
    return dest_p


# ----------------------------------------------------------------------------- several files
class FileSet:
    """Stage several files, then move them all into place at once, or none of them.

    Use as a context manager: leaving the block normally commits, an exception discards every
    staged file. Targets are written in the order staged; ``files`` maps each to its path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with FileSet() as fs:
    ...     _ = fs.write_text(d / "a.txt", "A")
    ...     _ = fs.write_text(d / "b.txt", "B")
    ...     (d / "a.txt").exists()  # nothing is in place before the end
    False
    >>> sorted(p.name for p in d.iterdir())
    ['a.txt', 'b.txt']
    """

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []
        self.committed = False

    def __enter__(self) -> FileSet:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    @property
    def targets(self) -> list[Path]:
        """The files staged so far (final names)."""
        return [t for _, t in self._staged]

    @contextmanager
    def path(self, path: _PathLike) -> Iterator[Path]:
        """Yield a temporary path to write; it is put in place at :meth:`commit`."""
        target = Path(path)
        if any(t == target for _, t in self._staged):
            raise ValueError(f"{target} is staged twice in one FileSet.")
        try:
            with _staged(target) as tmp:
                yield tmp
        except BaseException:
            self.discard()
            raise
        self._staged.append((tmp, target))

    def write_text(self, path: _PathLike, text: str, encoding: str = "utf-8") -> Path:
        """Stage ``text`` for ``path``."""
        with self.path(path) as tmp, open(tmp, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
        return Path(path)

    def write_bytes(self, path: _PathLike, data: bytes) -> Path:
        """Stage ``data`` for ``path``."""
        with self.path(path) as tmp, open(tmp, "wb") as fh:
            fh.write(data)
        return Path(path)

    def discard(self) -> None:
        """Remove every staged file; nothing is put in place."""
        for tmp, _ in self._staged:
            _unlink(tmp)
        self._staged.clear()

    def commit(self) -> None:
        """Move every staged file onto its target (SIGINT/SIGTERM held back meanwhile)."""
        with _signals_held():
            done = 0
            try:
                for tmp, target in self._staged:
                    os.replace(tmp, target)
                    done += 1
            except OSError as exc:
                for tmp, _ in self._staged[done:]:
                    _unlink(tmp)
                raise output_error(self._staged[done][1], exc) from exc
            for folder in {t.parent for _, t in self._staged}:
                _fsync_dir(folder)
        self.committed = True


# ----------------------------------------------------------------------------- a folder
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class OutputFolder:
    """Write the files of one run into ``folder`` as one unit (see the module docstring).

    Parameters
    ----------
    folder : path
        Target folder (created if missing; other files in it are left alone).
    name : str
        The run's name (``"montecarlo"``): the manifest is ``<name>.manifest.json``, and files
        of an earlier run matching ``stale`` are replaced.
    stale : iterable of str
        Glob patterns (in ``folder``) of an earlier run's files to remove on commit; default
        ``<name>.*`` and ``<name>_*``.
    run_id : str, optional
        Default :func:`new_run_id`.
    meta : dict, optional
        Extra keys for the manifest (command line, versions).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with OutputFolder(d, name="demo", run_id="r1") as of:
    ...     _ = of.write_text("demo.json", "{}")
    >>> sorted(p.name for p in d.iterdir())
    ['demo.json', 'demo.manifest.json']
    """

    def __init__(
        self,
        folder: _PathLike,
        *,
        name: str,
        stale: Iterable[str] | None = None,
        run_id: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.name = name
        self.stale = tuple(stale) if stale is not None else (f"{name}.*", f"{name}_*")
        self.run_id = run_id or new_run_id()
        self.meta = dict(meta or {})
        self.staging: Path | None = None
        self._files: list[str] = []
        self.committed = False

    # -- context
    def __enter__(self) -> OutputFolder:
        check_output_dir(self.folder)
        self.staging = self._make_staging()
        write_text(
            self.staging / INCOMPLETE,
            f"execopt run {self.run_id} ({self.name}) did not finish writing this folder; "
            f"its results were never moved into {self.folder}. Safe to delete.\n",
        )
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    def _make_staging(self) -> Path:
        base = Path(os.path.abspath(self.folder))
        candidates = []
        if base.name:
            candidates.append(base.parent / f"{base.name}.partial-{self.run_id}")
        candidates.append(base / f".partial-{self.run_id}")  # parent not writable
        last: OSError | None = None
        for c in candidates:
            try:
                c.mkdir(parents=True)
                return c
            except OSError as exc:
                last = exc
        assert last is not None
        raise output_error(self.folder, last) from last

    # -- writing
    def _target(self, name: str) -> Path:
        if Path(name).name != name or name in ("", ".", "..", INCOMPLETE):
            raise ValueError(f"OutputFolder files are plain names, got {name!r}.")
        if name in self._files:
            raise ValueError(f"{name} is written twice in one run.")
        if self.staging is None:
            raise RuntimeError("use OutputFolder as a context manager (with ... as out:).")
        return self.staging / name

    @contextmanager
    def path(self, name: str) -> Iterator[Path]:
        """Yield a path to write file ``name`` to (in the staging folder)."""
        target = self._target(name)
        with atomic_path(target) as tmp:
            yield tmp
        self._files.append(name)
        _test_delay()

    def write_text(self, name: str, text: str, encoding: str = "utf-8") -> Path:
        """Write file ``name`` with ``text``."""
        with self.path(name) as tmp, open(tmp, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
        return self.folder / name

    def write_bytes(self, name: str, data: bytes) -> Path:
        """Write file ``name`` with ``data``."""
        with self.path(name) as tmp, open(tmp, "wb") as fh:
            fh.write(data)
        return self.folder / name

    @property
    def files(self) -> list[Path]:
        """Final paths of the files written so far (manifest excluded)."""
        return [self.folder / n for n in self._files]

    @property
    def manifest_name(self) -> str:
        return f"{self.name}{MANIFEST_SUFFIX}"

    # -- end
    def discard(self) -> None:
        """Remove the staging folder; the target folder is left as it was."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

    def commit(self) -> None:
        """Write the manifest and move the files into the target folder."""
        staging = self.staging
        if staging is None:
            raise RuntimeError("nothing to commit: the OutputFolder was not entered.")
        manifest = {
            "run_id": self.run_id,
            "name": self.name,
            "complete": True,
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **self.meta,
            "files": [
                {"name": n, "bytes": (staging / n).stat().st_size, "sha256": _sha256(staging / n)}
                for n in self._files
            ],
        }
        try:
            write_text(staging / self.manifest_name, json.dumps(manifest, indent=1) + "\n")
            names = [*self._files, self.manifest_name]
            with _signals_held():
                if not self.folder.exists():
                    (staging / INCOMPLETE).unlink()
                    os.rename(staging, self.folder)
                    _fsync_dir(Path(os.path.abspath(self.folder)).parent)
                else:
                    self._merge(staging, names)
        except BaseException as exc:
            self.discard()
            if isinstance(exc, OSError):
                raise output_error(self.folder, exc) from exc
            raise
        self.staging = None
        self.committed = True

    def _merge(self, staging: Path, names: list[str]) -> None:
        marker = self.folder / f"{self.name}.{INCOMPLETE}"
        write_text(
            marker,
            f"execopt run {self.run_id} was moving its {self.name} results into this folder "
            f"and stopped; the {self.name} files here may mix two runs. Run it again.\n",
        )
        _unlink(self.folder / self.manifest_name)  # no manifest: not complete
        keep = {*names, marker.name}
        for pattern in self.stale:
            for old in self.folder.glob(pattern):
                if old.name not in keep and old.is_file():
                    old.unlink()
        for n in names:
            os.replace(staging / n, self.folder / n)
        _fsync_dir(self.folder)
        marker.unlink()
        _fsync_dir(self.folder)
        shutil.rmtree(staging, ignore_errors=True)
