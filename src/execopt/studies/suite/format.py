"""The reference suite's file format: one compact JSON file per instance, and a checksummed manifest.

The suite is a folder ``v<version>/`` of instance files ``<id>.json`` and one ``MANIFEST.json``.
Every instance file is self-contained: it defines the problem, states whether it is feasible, and
(when it is) carries its certified optimum, the objectives other solvers reached on it and its
KKT certificate. The files are compact JSON (no indentation; floats written with ``repr``
precision, so a value read back is bit-for-bit the value written; integral values may be written
as integers), encoded in ASCII, one object per file, ending with a newline.

Instance schema (version 1)
---------------------------
::

    {
      "id":            "qi-frog-n390-caps",        # file name without ".json"; [a-z0-9-] only
      "version":       1,                          # format version
      "family":        "quadratic-intraday",       # generator family (execopt.studies.suite.generate)
      "description":   "...",                      # one line for a person
      "tags":          ["quadratic", "intraday", "cap:per-period", ...],
      "price":         31.45,                      # reference price, dollars per share (for bps)
      "shares":        29000,                      # S, shares (>= 0)
      "periods":       390,                        # N (>= 1)
      "impact":        {"model": "quadratic", "a": A, "b": B}
                     | {"model": "power", "gamma": G, "delta": D, "basis": "per_share"}
                     | {"model": "piecewise", "slopes": SL, "widths": W},
      "cap":           null | u | [u_0, ..., u_{N-1}],   # per-period cap, shares (null: none)
      "risk_aversion": k,                          # >= 0, dollars^-1
      "volatility":    sigma | [sigma_0, ...],     # dollars per share per period (>= 0)
      "infeasible":    false,                      # true: no schedule exists (e.g. S > sum of caps)
      "optimum":       null | {"objective": f*, "schedule": x* | [x*_0, ...], "lam": lam | null,
                               "certified_by": ["exact", "clarabel", "scs"]},
      "crosscheck":    null | {"clarabel": f, "scs": f, ...},
      "crosscheck_rtol": null | 1e-06,             # tolerance the cross-checks met (see below)
      "certificate":   null | {...}                # Certificate.as_dict() of x*; NaN/inf -> null
    }

Conventions:

* Units: shares for ``shares``, ``cap``, ``schedule`` and piecewise ``widths``; dollars for
  objectives; ``a`` dollars per share, ``b`` dollars per share squared; ``gamma`` dollars per
  share^(1+delta) on the per-share basis (``c_t(x) = gamma_t x^(1+delta_t)``); piecewise
  ``slopes`` dollars per share (level price minus mid for a book walk).
* Every per-period quantity (``a``, ``b``, ``gamma``, ``delta``, ``cap``, ``volatility``,
  ``schedule``) is either a scalar, meaning the same value in every period, or a list of length
  ``N``. Piecewise ``slopes``/``widths`` are ``[K]`` (one book shared by every period) or
  ``[N][K]``; widths are finite, slopes non-decreasing within a period.
* ``certified_by`` names the method that produced the stored schedule first (``exact``:
  water-filling; ``clarabel`` for mean-variance instances, which water-filling does not cover),
  followed by every independent solver whose objective agreed with it within
  ``|f - f*| <= crosscheck_rtol * |f*| + CROSSCHECK_ATOL_NOTIONAL * shares * price``.
  ``crosscheck`` records the objective each cross-checking solver reached (after
  clip-to-feasible), including any that stopped above the optimum (not in ``certified_by``); no
  solver reached a lower objective. ``clarabel-direct`` is Clarabel called on a sparse QP without cvxpy (used for
  N above :data:`~execopt.studies.suite.generate.CVXPY_MAX_N`, where cvxpy's compilation needs
  dense memory).
* ``certificate`` is :meth:`execopt.Certificate.as_dict` of the stored schedule with NaN and
  infinities written as ``null`` (e.g. ``lower_bound: null``: no bound applies).
* ``infeasible: true`` instances have ``optimum``, ``crosscheck`` and ``certificate`` null; building
  an :class:`~execopt.ExecutionProblem` from them raises :class:`~execopt.errors.InfeasibleError`.
  A solver is expected to report them as infeasible (write ``infeasible`` on the first line of
  ``<id>.csv``, or no file).
* v1 has no VaR limits.

``MANIFEST.json`` (indented, keys sorted)::

    {"version": 1, "format": 1, "count": 120, "seed": ..., "generator": {...versions...},
     "tolerances": {...}, "files": {"<id>.json": "<sha256 hex>", ...}}

Schedules a solver writes back (read by :func:`execopt.problem.schedule_file.read_schedule_csv`):
one CSV per instance, ``<id>.csv``, header ``shares`` (or ``period,shares``), then ``N`` rows,
shares written with full precision (``repr``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from execopt._atomic import check_output_dir, write_bytes, write_text
from execopt.errors import DataError, InfeasibleError, InputError
from execopt.impact.base import ImpactModel, model_from_dict
from execopt.problem.execution_problem import ExecutionProblem

__all__ = [
    "CROSSCHECK_ATOL_NOTIONAL",
    "FORMAT_VERSION",
    "ID_PATTERN",
    "MANIFEST",
    "SUITE_VERSION",
    "Instance",
    "check_instance",
    "dumps_instance",
    "export_suite",
    "impact_from_dict",
    "load_instance",
    "load_suite",
    "packaged_suite_dir",
    "problem_from_instance",
    "read_instance",
    "read_manifest",
    "sha256_file",
    "to_json_value",
    "verify_manifest",
    "write_instance",
    "write_manifest",
]

FloatArray = NDArray[np.float64]

#: Version of the instance format described in the module docstring.
FORMAT_VERSION = 1
#: The suite version shipped with the package (``data/v1``).
SUITE_VERSION = 1
#: Name of the checksum file in a suite folder.
MANIFEST = "MANIFEST.json"
#: Instance ids: lower-case letters, digits and dashes (they become file names).
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: Absolute part of the cross-check tolerance, as a fraction of the notional ``S * price``
#: (1e-10 of the notional = 1e-6 bp): only matters when the optimum is (near) zero.
CROSSCHECK_ATOL_NOTIONAL = 1e-10

_REQUIRED = (
    "id",
    "version",
    "tags",
    "price",
    "shares",
    "periods",
    "impact",
    "cap",
    "risk_aversion",
    "volatility",
    "infeasible",
    "optimum",
    "crosscheck",
    "certificate",
)
_MODEL_KEYS = {
    "quadratic": ("a", "b"),
    "power": ("gamma", "delta"),
    "piecewise": ("slopes", "widths"),
}


# ----------------------------------------------------------------------------- JSON values
def to_json_value(obj: Any) -> Any:
    """Plain JSON types for ``obj``: arrays to lists, NaN/inf to None, integral floats to ints.

    Integral floats below ``1e15`` in magnitude are written as integers (``500`` rather than
    ``500.0``): shorter, and read back to the same float.
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        if not math.isfinite(f):
            return None
        if f.is_integer() and abs(f) < 1e15:
            return int(f)
        return f
    if isinstance(obj, np.ndarray):
        return [to_json_value(v) for v in obj.tolist()]
    if isinstance(obj, Mapping):
        return {str(k): to_json_value(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json_value(v) for v in obj]
    raise TypeError(f"cannot write {type(obj).__name__} to a suite file")


def dumps_instance(data: Mapping[str, Any]) -> bytes:
    """The exact bytes of an instance file: compact, ASCII, ``repr`` floats, trailing newline."""
    text = json.dumps(
        to_json_value(data), separators=(",", ":"), allow_nan=False, ensure_ascii=True
    )
    return (text + "\n").encode("ascii")


def write_instance(folder: Path, data: Mapping[str, Any]) -> Path:
    """Write ``data`` to ``folder/<id>.json`` (see :func:`dumps_instance`); return the path."""
    plain = to_json_value(dict(data))
    check_instance(plain, where=str(plain.get("id")))
    return write_bytes(Path(folder) / f"{plain['id']}.json", dumps_instance(plain))


# ----------------------------------------------------------------------------- schema
def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _per_period(name: str, v: Any, N: int, where: str, *, allow_null: bool = False) -> None:
    if v is None and allow_null:
        return
    if _is_num(v):
        return
    if isinstance(v, list) and len(v) == N and all(_is_num(e) for e in v):
        return
    shape = f"a list of length {len(v)}" if isinstance(v, list) else type(v).__name__
    raise DataError(
        f"{where}: {name!r} must be a number or a list of N = {N} numbers"
        f"{' (or null)' if allow_null else ''}, got {shape}."
    )


def check_instance(data: Mapping[str, Any], where: str = "instance") -> None:
    """Check an instance dictionary against the schema (module docstring).

    Raises
    ------
    DataError
        Naming the file (``where``) and the first field that is missing or malformed.
    """
    if not isinstance(data, Mapping):
        raise DataError(f"{where}: an instance must be a JSON object, got {type(data).__name__}.")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise DataError(f"{where}: missing field(s) {', '.join(missing)} (see the suite format).")
    iid = data["id"]
    if not isinstance(iid, str) or not ID_PATTERN.match(iid):
        raise DataError(f"{where}: id {iid!r} must match {ID_PATTERN.pattern}.")
    if data["version"] != FORMAT_VERSION:
        raise DataError(
            f"{where}: format version {data['version']!r}; this execopt reads version "
            f"{FORMAT_VERSION}: upgrade execopt or export the matching suite."
        )
    N = data["periods"]
    if not isinstance(N, int) or isinstance(N, bool) or N < 1:
        raise DataError(f"{where}: 'periods' must be an integer >= 1, got {N!r}.")
    for key in ("shares", "price", "risk_aversion"):
        if not _is_num(data[key]):
            raise DataError(f"{where}: {key!r} must be a number, got {data[key]!r}.")
    if not isinstance(data["tags"], list) or not all(isinstance(t, str) for t in data["tags"]):
        raise DataError(f"{where}: 'tags' must be a list of strings.")
    if not isinstance(data["infeasible"], bool):
        raise DataError(f"{where}: 'infeasible' must be true or false.")
    _per_period("cap", data["cap"], N, where, allow_null=True)
    _per_period("volatility", data["volatility"], N, where)
    imp = data["impact"]
    if not isinstance(imp, Mapping) or imp.get("model") not in _MODEL_KEYS:
        raise DataError(
            f"{where}: 'impact' must be an object with 'model' one of {sorted(_MODEL_KEYS)}."
        )
    keys = _MODEL_KEYS[imp["model"]]
    absent = [k for k in keys if k not in imp]
    if absent:
        raise DataError(f"{where}: the {imp['model']} impact needs {', '.join(absent)}.")
    if imp["model"] == "piecewise":
        sl, w = np.asarray(imp["slopes"], dtype=object), np.asarray(imp["widths"], dtype=object)
        if sl.shape != w.shape or sl.ndim not in (1, 2) or (sl.ndim == 2 and sl.shape[0] != N):
            raise DataError(
                f"{where}: piecewise slopes and widths must both have shape [K] or [N][K] with "
                f"N = {N}; got {sl.shape} and {w.shape}."
            )
    else:
        for k in keys:
            _per_period(k, imp[k], N, where)
    if data["infeasible"]:
        if any(data[k] is not None for k in ("optimum", "crosscheck", "certificate")):
            raise DataError(
                f"{where}: an infeasible instance has no optimum: 'optimum', 'crosscheck' and "
                "'certificate' must be null."
            )
        return
    opt = data["optimum"]
    if not isinstance(opt, Mapping) or not all(
        k in opt for k in ("objective", "schedule", "certified_by")
    ):
        raise DataError(
            f"{where}: a feasible instance needs 'optimum' with objective, schedule and "
            "certified_by."
        )
    if not _is_num(opt["objective"]):
        raise DataError(f"{where}: optimum.objective must be a number.")
    _per_period("optimum.schedule", opt["schedule"], N, where)


# ----------------------------------------------------------------------------- problems
def _arr(v: Any) -> float | FloatArray:
    """A scalar stays a float; a list becomes a float array."""
    return float(v) if _is_num(v) else np.asarray(v, dtype=np.float64)


def impact_from_dict(imp: Mapping[str, Any]) -> ImpactModel:
    """The impact model an instance's ``impact`` object describes (any registered model, read by
    :func:`execopt.model_from_dict`).

    Raises
    ------
    DataError
        Unknown model or invalid parameters, with the reason.
    """
    try:
        return model_from_dict(imp)
    except InputError as exc:
        raise DataError(f"impact: {exc}") from None


def problem_from_instance(data: Mapping[str, Any]) -> ExecutionProblem:
    """Build the :class:`~execopt.ExecutionProblem` of an instance.

    Raises
    ------
    InfeasibleError
        For instances marked ``"infeasible": true`` (the problem refuses to be built).
    DataError
        If the parameters are invalid for another reason (the message names the instance).
    """
    where = str(data.get("id", "instance"))
    try:
        return ExecutionProblem(
            shares=float(data["shares"]),
            impact=impact_from_dict(data["impact"]),
            periods=int(data["periods"]),
            cap=None if data["cap"] is None else _arr(data["cap"]),  # type: ignore[arg-type]
            risk_aversion=float(data["risk_aversion"]),
            volatility=_arr(data["volatility"]),
        )
    except InfeasibleError as exc:
        raise InfeasibleError(f"instance {where}: {exc}") from None
    except InputError as exc:
        raise DataError(f"instance {where}: invalid parameters: {exc}") from None


def read_instance(path: Path) -> dict[str, Any]:
    """Read and schema-check one instance file.

    Raises
    ------
    DataError
        Unreadable file, invalid JSON (with the line), or a schema violation.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read suite instance {path}: {exc}.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg}).") from None
    check_instance(data, where=str(path))
    if f"{data['id']}.json" != path.name:
        raise DataError(f"{path}: the file name does not match the id {data['id']!r}.")
    return dict(data)


def load_instance(path: Path) -> tuple[ExecutionProblem | None, dict[str, Any]]:
    """Read an instance file; return its problem (None when infeasible) and its dictionary.

    Examples
    --------
    >>> from execopt.studies.suite import load_instance, packaged_suite_dir
    >>> p, d = load_instance(packaged_suite_dir() / "q-frog-n390.json")
    >>> p.periods, d["optimum"]["certified_by"][0]
    (390, 'exact')
    """
    data = read_instance(path)
    if data["infeasible"]:
        return None, data
    return problem_from_instance(data), data


# ----------------------------------------------------------------------------- suites
@dataclass(frozen=True, eq=False)
class Instance:
    """One loaded suite instance: its dictionary and its problem (None when infeasible)."""

    data: dict[str, Any]
    problem: ExecutionProblem | None
    path: Path

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def infeasible(self) -> bool:
        return bool(self.data["infeasible"])

    @property
    def family(self) -> str:
        return str(self.data.get("family", ""))

    @property
    def tags(self) -> list[str]:
        return list(self.data["tags"])

    @property
    def periods(self) -> int:
        return int(self.data["periods"])

    @property
    def shares(self) -> float:
        return float(self.data["shares"])

    @property
    def price(self) -> float:
        return float(self.data["price"])

    @property
    def notional(self) -> float:
        """``S * price``, dollars (the denominator of gaps in basis points)."""
        return self.shares * self.price

    @property
    def optimum(self) -> float | None:
        """The certified optimal objective, dollars (None when infeasible)."""
        opt = self.data["optimum"]
        return None if opt is None else float(opt["objective"])

    @property
    def schedule(self) -> FloatArray | None:
        """The certified optimal schedule, shares per period (None when infeasible)."""
        opt = self.data["optimum"]
        if opt is None:
            return None
        return np.broadcast_to(
            np.asarray(opt["schedule"], dtype=np.float64), (self.periods,)
        ).copy()


def packaged_suite_dir(version: int = SUITE_VERSION) -> Path:
    """Folder of the suite shipped inside the package (``execopt/studies/suite/data/v<version>``).

    Raises
    ------
    InputError
        If this execopt does not ship that version.
    """
    root = resources.files("execopt.studies.suite") / "data" / f"v{version}"
    path = Path(str(root))
    if not (path / MANIFEST).is_file():
        raise InputError(
            f"this execopt ships no reference suite version {version} (looked in {path}); "
            f"available: {_available_versions() or 'none'}."
        )
    return path


def _available_versions() -> list[int]:
    root = Path(str(resources.files("execopt.studies.suite") / "data"))
    out = []
    if root.is_dir():
        for p in root.iterdir():
            if p.is_dir() and p.name.startswith("v") and p.name[1:].isdigit():
                out.append(int(p.name[1:]))
    return sorted(out)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_manifest(folder: Path, meta: Mapping[str, Any]) -> Path:
    """Write ``MANIFEST.json`` for every ``*.json`` instance in ``folder`` (with ``meta`` keys)."""
    folder = Path(folder)
    files = {p.name: sha256_file(p) for p in sorted(folder.glob("*.json")) if p.name != MANIFEST}
    doc = {**to_json_value(dict(meta)), "count": len(files), "files": files}
    text = json.dumps(doc, indent=1, sort_keys=True, allow_nan=False) + "\n"
    return write_text(folder / MANIFEST, text, encoding="ascii")


def read_manifest(folder: Path) -> dict[str, Any]:
    """Read a suite folder's manifest.

    Raises
    ------
    DataError
        If it is missing or malformed.
    """
    path = Path(folder) / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="ascii"))
    except OSError:
        raise DataError(
            f"{folder} is not a reference suite: it has no {MANIFEST}; export one with "
            "`execopt suite export DIR`."
        ) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg}).") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), dict):
        raise DataError(f"{path}: expected an object with a 'files' map of name -> sha256.")
    return doc


def verify_manifest(folder: Path) -> list[str]:
    """Compare every file's SHA-256 with the manifest; return the problems found (empty: OK)."""
    folder = Path(folder)
    doc = read_manifest(folder)
    problems: list[str] = []
    listed: dict[str, str] = doc["files"]
    for name, digest in sorted(listed.items()):
        p = folder / name
        if not p.is_file():
            problems.append(f"{name}: listed in {MANIFEST} but missing")
        elif sha256_file(p) != digest:
            problems.append(f"{name}: checksum differs from {MANIFEST} (file modified?)")
    extra = sorted(
        p.name for p in folder.glob("*.json") if p.name not in listed and p.name != MANIFEST
    )
    problems += [f"{n}: not listed in {MANIFEST}" for n in extra]
    return problems


def _iter_paths(folder: Path, ids: list[str] | None) -> Iterator[Path]:
    doc = read_manifest(folder)
    names = sorted(doc["files"])
    if ids is not None:
        wanted = {f"{i}.json" for i in ids}
        unknown = sorted(wanted - set(names))
        if unknown:
            raise InputError(f"no instance(s) {', '.join(unknown)} in the suite at {folder}.")
        names = [n for n in names if n in wanted]
    for n in names:
        yield Path(folder) / n


def load_suite(
    folder: Path | None = None,
    *,
    version: int = SUITE_VERSION,
    ids: list[str] | None = None,
    verify: bool = True,
) -> list[Instance]:
    """Load a suite folder (default: the packaged suite of ``version``), sorted by id.

    Parameters
    ----------
    folder : Path, optional
        A folder written by ``execopt suite export`` (default: the packaged suite).
    version : int
        Which packaged suite to load when ``folder`` is None.
    ids : list of str, optional
        Load only these instances.
    verify : bool
        Check every file's checksum against the manifest first.

    Raises
    ------
    DataError
        A checksum mismatch, a missing manifest or a malformed instance.
    """
    folder = packaged_suite_dir(version) if folder is None else Path(folder)
    if not folder.is_dir():
        raise InputError(
            f"suite folder {folder} does not exist; export one with `execopt suite export`."
        )
    if verify:
        problems = verify_manifest(folder)
        if problems:
            shown = "; ".join(problems[:5]) + (
                f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
            )
            raise DataError(
                f"the suite at {folder} does not match its manifest: {shown}. Re-export it with "
                "`execopt suite export DIR`."
            )
    out = []
    for path in _iter_paths(folder, ids):
        problem, data = load_instance(path)
        out.append(Instance(data=data, problem=problem, path=path))
    return out


def export_suite(dest: Path, *, version: int = SUITE_VERSION) -> list[Path]:
    """Copy the packaged suite ``version`` (instances and manifest) into ``dest``.

    Returns the written paths. The copy is verified against the manifest.

    Raises
    ------
    InputError
        If ``dest`` exists and is not a folder, or the version is not shipped.
    DataError
        If the copy does not match the manifest.
    """
    src = packaged_suite_dir(version)
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise InputError(
            f"{dest} exists and is not a folder: give a folder to export the suite to."
        )
    check_output_dir(dest)
    written = []
    names = [*sorted(read_manifest(src)["files"]), MANIFEST]
    # the manifest goes first and comes back last: an interrupted export has none, and a
    # folder without a manifest is refused by `execopt validate`
    (dest / MANIFEST).unlink(missing_ok=True)
    for name in names:
        written.append(write_bytes(dest / name, (src / name).read_bytes()))
    problems = verify_manifest(dest)
    if problems:  # pragma: no cover - only a failing disk gets here
        raise DataError(f"the exported suite in {dest} does not verify: {'; '.join(problems[:5])}.")
    return written
