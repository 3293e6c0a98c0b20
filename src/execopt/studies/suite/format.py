"""The reference suite's file format: one compact JSON file per instance, and a checksummed manifest.

The suite is a folder ``v<version>/`` of instance files ``<id>.json`` and one ``MANIFEST.json``.
Every instance file is self-contained: it defines the problem, states whether it is feasible, and
(when it is) carries its certified optimum, the objectives other solvers reached on it and its
KKT certificate. The files are compact JSON (no indentation; floats written with ``repr``
precision, so a value read back is bit-for-bit the value written; integral values may be written
as integers), encoded in ASCII, one object per file, ending with a newline.

The normative specification is ``FORMAT.md`` (with ``instance.schema.json``), shipped in
``spec/`` and exported beside the instances: the objective and constraints of every family in
mathematical notation, units, the fields, the schedule files and the tolerances. This module
reads and writes that format.

* Version 3 (this execopt's suite): adds the ``transient`` family (optional ``transient``, a
  kernel object, and ``permanent``, a number, on a single-asset instance) and the ``basket``
  family (an instance with ``legs`` instead of one ``impact``: :func:`basket_from_instance`;
  its optimum is an ``(M, N)`` schedule with one multiplier per leg, the band multipliers
  ``nu`` and per-leg curvature facts and tolerances). Single-asset instances of the other
  families keep their v2 problems (and optima, to rounding) with ``"version": 3``.
* Version 2 stays readable (and validates with the same checks): ``family`` (the objective
  family), ``group`` (the generator category, v1's ``family``), ``cone``, and, in ``optimum``,
  ``lam``, ``unique``, ``pair_curvature`` and ``hessian_bound``, plus the resolved default
  ``tolerances``.
* Version 1 stays readable: :func:`read_instance` upgrades a v1 dictionary in memory (the family
  and cone are derived from the problem, ``lam`` from the stored certificate where the optimum
  has none, and the curvature facts are computed from the stored optimum when the problem is
  built), so a v1 export validates with the current checks.

``MANIFEST.json`` (indented, keys sorted) lists every instance file and every document with its
SHA-256: ``{"version": 3, "format": 3, "count": 158, "seed": ..., "generator": {...},
"families": {...}, "groups": {...}, "tolerances": {...}, "files": {"<id>.json": "<sha256>", ...},
"documents": {"FORMAT.md": "<sha256>", "instance.schema.json": "<sha256>"}}``.

Schedules a solver writes back (read by :func:`execopt.problem.schedule_file.read_schedule_csv`):
one CSV per instance, ``<id>.csv``, header ``shares`` (or ``period,shares``), then ``N`` rows,
shares written with full precision (``repr``); for a basket, header ``leg_0,...,leg_{M-1}`` (or
``period,leg_0,...``) and ``N`` rows of ``M`` numbers; or a first line ``infeasible``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from execopt._atomic import check_output_dir, write_bytes, write_text
from execopt._json import plain
from execopt.errors import DataError, InfeasibleError, InputError
from execopt.impact.base import ImpactModel, model_from_dict
from execopt.impact.transient import Kernel, kernel_from_dict
from execopt.problem.basket import Basket, FactorCovariance
from execopt.problem.execution_problem import DEFAULT_VAR_Z, ExecutionProblem

__all__ = [
    "CROSSCHECK_ATOL_NOTIONAL",
    "DOCUMENTS",
    "FORMAT_VERSION",
    "ID_PATTERN",
    "MANIFEST",
    "READABLE_VERSIONS",
    "SUITE_VERSION",
    "Instance",
    "basket_from_instance",
    "check_instance",
    "compact_value",
    "dumps_instance",
    "export_suite",
    "impact_from_dict",
    "is_basket",
    "kernel_from_instance",
    "load_instance",
    "load_suite",
    "packaged_suite_dir",
    "problem_from_instance",
    "read_instance",
    "read_manifest",
    "sha256_file",
    "spec_dir",
    "to_json_value",
    "upgrade_v1",
    "verify_manifest",
    "write_documents",
    "write_instance",
    "write_manifest",
]

FloatArray = NDArray[np.float64]

#: Version of the instance format written by this execopt (``FORMAT.md``).
FORMAT_VERSION = 3
#: Instance format versions this execopt reads (v1 is upgraded in memory, see the docstring).
READABLE_VERSIONS = (1, 2, 3)
#: The suite version shipped with the package by default (``data/v3``; ``data/v1`` and
#: ``data/v2`` stay, readable and validated by the same checks).
SUITE_VERSION = 3
#: The specification documents exported beside the instances (sources in ``spec/``).
DOCUMENTS = ("FORMAT.md", "instance.schema.json")
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
#: The fields of a basket instance (format version 3) in place of the single-asset ones.
_REQUIRED_BASKET = (
    "id",
    "version",
    "tags",
    "periods",
    "legs",
    "covariance",
    "risk_aversion",
    "cross_impact",
    "neutrality_band",
    "var_limit",
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
#: The transient kernels of format version 3 and their fields (FORMAT.md section 2.5).
_KERNEL_KEYS = {
    "exponential": ("strength", "half_life"),
    "power_law": ("strength", "beta", "l0"),
    "tabulated": ("values",),
}


# ----------------------------------------------------------------------------- JSON values
def to_json_value(obj: Any) -> Any:
    """Plain JSON types for ``obj`` (:func:`execopt._json.plain`): arrays to lists, NaN/inf to
    None, and integral floats below ``1e15`` written as integers (``500`` rather than ``500.0``:
    shorter, and read back to the same float).
    """
    return plain(obj, integral=True)


def compact_value(v: Any) -> Any:
    """A per-period array whose entries are all equal becomes a scalar (``[N][K]`` rows all equal
    become one row ``[K]``), as the format allows; None stays None.
    """
    if v is None:
        return None
    arr = np.asarray(v, dtype=np.float64)
    if arr.ndim == 0:
        return float(arr)
    if arr.ndim == 1 and arr.size > 0 and np.all(arr == arr[0]):
        return float(arr[0])
    if arr.ndim == 2 and np.all(arr == arr[:1]):
        return arr[0]
    return arr


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


def is_basket(data: Mapping[str, Any]) -> bool:
    """The instance is a basket (format version 3: ``legs`` instead of one ``impact``)."""
    return "legs" in data


def _check_impact(imp: Any, N: int, where: str) -> None:
    """An ``impact`` object of FORMAT.md section 2 (model name, fields, per-period lengths)."""
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


def _check_kernel(ker: Any, N: int, where: str) -> None:
    """A ``transient`` kernel object of FORMAT.md section 2.5."""
    if not isinstance(ker, Mapping) or ker.get("kernel") not in _KERNEL_KEYS:
        raise DataError(
            f"{where}: 'transient' must be null or an object with 'kernel' one of "
            f"{sorted(_KERNEL_KEYS)}."
        )
    keys = _KERNEL_KEYS[ker["kernel"]]
    extra = sorted(set(ker) - {"kernel", *keys})
    absent = [k for k in keys if k not in ker]
    if absent or extra:
        raise DataError(
            f"{where}: the {ker['kernel']} kernel has the fields {', '.join(keys)}"
            + (f"; missing {', '.join(absent)}" if absent else "")
            + (f"; unknown {', '.join(extra)}" if extra else "")
            + "."
        )
    if ker["kernel"] == "tabulated":
        v = ker["values"]
        if not isinstance(v, list) or len(v) < N or not all(_is_num(e) for e in v):
            raise DataError(
                f"{where}: a tabulated kernel needs 'values', a list of at least N = {N} numbers "
                "G(0), G(1), ..., G(N-1)."
            )
    elif not all(_is_num(ker[k]) for k in keys):
        raise DataError(f"{where}: the {ker['kernel']} kernel's fields must be numbers.")


def _matrix_field(name: str, v: Any, rows: int, cols: int | None, where: str) -> None:
    ok = (
        isinstance(v, list)
        and len(v) == rows
        and all(isinstance(r, list) and all(_is_num(e) for e in r) for r in v)
    )
    if ok and cols is not None:
        ok = all(len(r) == cols for r in v)
    if ok and cols is None:
        ok = len({len(r) for r in v}) <= 1
    if not ok:
        shape = f"{rows} x {cols}" if cols is not None else f"{rows} rows of equal length"
        raise DataError(f"{where}: {name!r} must be a {shape} list of lists of numbers.")


def _check_basket(data: Mapping[str, Any], N: int, where: str) -> None:
    """The basket fields (FORMAT.md section 2.6) and its optimum."""
    legs = data["legs"]
    if not isinstance(legs, list) or not legs:
        raise DataError(f"{where}: 'legs' must be a non-empty list of leg objects.")
    M = len(legs)
    for i, leg in enumerate(legs):
        w = f"{where}: legs[{i}]"
        if not isinstance(leg, Mapping):
            raise DataError(f"{w} must be an object.")
        absent = [k for k in ("symbol", "side", "price", "shares", "impact", "cap") if k not in leg]
        if absent:
            raise DataError(f"{w}: missing field(s) {', '.join(absent)}.")
        if leg["side"] not in ("buy", "sell"):
            raise DataError(f"{w}: 'side' must be 'buy' or 'sell', got {leg['side']!r}.")
        for key in ("price", "shares"):
            if not _is_num(leg[key]):
                raise DataError(f"{w}: {key!r} must be a number, got {leg[key]!r}.")
        _check_impact(leg["impact"], N, w)
        _per_period("cap", leg["cap"], N, w, allow_null=True)
    cov = data["covariance"]
    if cov is not None:
        if not isinstance(cov, Mapping) or cov.get("kind") not in ("full", "factor"):
            raise DataError(
                f"{where}: 'covariance' must be null, {{'kind': 'full', 'matrix'}} or "
                "{'kind': 'factor', 'F', 'D'}."
            )
        if cov["kind"] == "full":
            _matrix_field("covariance.matrix", cov.get("matrix"), M, M, where)
        else:
            _matrix_field("covariance.F", cov.get("F"), M, None, where)
            if not (isinstance(cov.get("D"), list) and len(cov["D"]) == M):
                raise DataError(f"{where}: 'covariance.D' must be a list of M = {M} numbers.")
    if data["cross_impact"] is not None:
        _matrix_field("cross_impact", data["cross_impact"], M, M, where)
    for key in ("risk_aversion",):
        if not _is_num(data[key]):
            raise DataError(f"{where}: {key!r} must be a number, got {data[key]!r}.")
    for key in ("neutrality_band", "var_limit"):
        if data[key] is not None and not _is_num(data[key]):
            raise DataError(f"{where}: {key!r} must be a number or null.")
    if data["infeasible"]:
        return
    opt = data["optimum"]
    sched = opt.get("schedule") if isinstance(opt, Mapping) else None
    if not isinstance(sched, list) or len(sched) != M:
        raise DataError(f"{where}: optimum.schedule must be a list of M = {M} legs.")
    for i, row in enumerate(sched):
        _per_period(f"optimum.schedule[{i}]", row, N, where)
    lam = opt.get("lam")
    if not isinstance(lam, list) or len(lam) != M or not all(_is_num(v) for v in lam):
        raise DataError(f"{where}: optimum.lam must be a list of M = {M} numbers (one per leg).")
    if not isinstance(opt.get("unique"), bool):
        raise DataError(f"{where}: optimum.unique must be true or false.")
    for key in ("pair_curvature", "hessian_bound"):
        v = opt.get(key)
        if v is not None and not (
            isinstance(v, list) and len(v) == M and all(e is None or _is_num(e) for e in v)
        ):
            raise DataError(f"{where}: optimum.{key} must be null or a list of M = {M} entries.")
    nu = opt.get("nu")
    if nu is not None and not (isinstance(nu, list) and len(nu) == N):
        raise DataError(f"{where}: optimum.nu must be null or a list of N = {N} numbers.")


def check_instance(data: Mapping[str, Any], where: str = "instance") -> None:
    """Check an instance dictionary against the schema (module docstring).

    Raises
    ------
    DataError
        Naming the file (``where``) and the first field that is missing or malformed.
    """
    if not isinstance(data, Mapping):
        raise DataError(f"{where}: an instance must be a JSON object, got {type(data).__name__}.")
    basket = is_basket(data)
    missing = [k for k in (_REQUIRED_BASKET if basket else _REQUIRED) if k not in data]
    if missing:
        raise DataError(f"{where}: missing field(s) {', '.join(missing)} (see the suite format).")
    iid = data["id"]
    if not isinstance(iid, str) or not ID_PATTERN.match(iid):
        raise DataError(f"{where}: id {iid!r} must match {ID_PATTERN.pattern}.")
    if data["version"] not in READABLE_VERSIONS:
        raise DataError(
            f"{where}: format version {data['version']!r}; this execopt reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))}: upgrade execopt or export the matching "
            "suite."
        )
    if data["version"] >= 2:
        for key in ("family", "group", "cone"):
            if not isinstance(data.get(key), str):
                raise DataError(
                    f"{where}: {key!r} must be a string (format version 2, see FORMAT.md)."
                )
    if data["version"] < 3 and (basket or "transient" in data or "permanent" in data):
        raise DataError(
            f"{where}: baskets and the 'transient'/'permanent' fields need format version 3."
        )
    N = data["periods"]
    if not isinstance(N, int) or isinstance(N, bool) or N < 1:
        raise DataError(f"{where}: 'periods' must be an integer >= 1, got {N!r}.")
    if not isinstance(data["tags"], list) or not all(isinstance(t, str) for t in data["tags"]):
        raise DataError(f"{where}: 'tags' must be a list of strings.")
    if not isinstance(data["infeasible"], bool):
        raise DataError(f"{where}: 'infeasible' must be true or false.")
    if data["infeasible"] and any(
        data[k] is not None for k in ("optimum", "crosscheck", "certificate")
    ):
        raise DataError(
            f"{where}: an infeasible instance has no optimum: 'optimum', 'crosscheck' and "
            "'certificate' must be null."
        )
    if not data["infeasible"]:
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
    if basket:
        _check_basket(data, N, where)
        return
    for key in ("shares", "price", "risk_aversion"):
        if not _is_num(data[key]):
            raise DataError(f"{where}: {key!r} must be a number, got {data[key]!r}.")
    _per_period("cap", data["cap"], N, where, allow_null=True)
    _per_period("volatility", data["volatility"], N, where)
    _check_impact(data["impact"], N, where)
    if data.get("transient") is not None:
        _check_kernel(data["transient"], N, where)
    if "permanent" in data and not _is_num(data["permanent"]):
        raise DataError(f"{where}: 'permanent' must be a number (dollars per share^2).")
    if data["infeasible"]:
        return
    opt = data["optimum"]
    _per_period("optimum.schedule", opt["schedule"], N, where)
    if data["version"] >= 2:
        if not _is_num(opt.get("lam")) or not isinstance(opt.get("unique"), bool):
            raise DataError(
                f"{where}: optimum.lam must be a number and optimum.unique true or false "
                "(format version 2)."
            )
        for key in ("pair_curvature", "hessian_bound"):
            if opt.get(key) is not None and not _is_num(opt[key]):
                raise DataError(f"{where}: optimum.{key} must be a number or null.")
        if opt["unique"] and not _is_num(opt.get("pair_curvature")):
            raise DataError(f"{where}: a unique optimum needs optimum.pair_curvature.")


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


def kernel_from_instance(data: Mapping[str, Any]) -> Kernel | None:
    """The transient kernel of an instance (None without one), read by
    :func:`execopt.kernel_from_dict`.

    Raises
    ------
    DataError
        Unknown kernel or invalid parameters, with the reason.
    """
    ker = data.get("transient")
    if ker is None:
        return None
    try:
        return kernel_from_dict(ker)
    except InputError as exc:
        raise DataError(f"instance {data.get('id', 'instance')}: transient: {exc}") from None


def problem_from_instance(data: Mapping[str, Any]) -> ExecutionProblem:
    """Build the :class:`~execopt.ExecutionProblem` of a single-asset instance (a basket's is
    :func:`basket_from_instance`).

    Raises
    ------
    InfeasibleError
        For instances marked ``"infeasible": true`` (the problem refuses to be built).
    DataError
        If the parameters are invalid for another reason (the message names the instance), or
        the instance is a basket.
    """
    where = str(data.get("id", "instance"))
    if is_basket(data):
        raise DataError(
            f"instance {where} is a basket (it has 'legs'): build it with basket_from_instance."
        )
    try:
        return ExecutionProblem(
            shares=float(data["shares"]),
            impact=impact_from_dict(data["impact"]),
            periods=int(data["periods"]),
            cap=None if data["cap"] is None else _arr(data["cap"]),  # type: ignore[arg-type]
            risk_aversion=float(data["risk_aversion"]),
            volatility=_arr(data["volatility"]),
            var_limit=None if data.get("var_limit") is None else float(data["var_limit"]),
            var_z=float(data["var_z"]) if data.get("var_z") is not None else DEFAULT_VAR_Z,
            transient=kernel_from_instance(data),
            permanent=float(data.get("permanent") or 0.0),
        )
    except InfeasibleError as exc:
        raise InfeasibleError(f"instance {where}: {exc}") from None
    except InputError as exc:
        raise DataError(f"instance {where}: invalid parameters: {exc}") from None


def basket_from_instance(data: Mapping[str, Any]) -> Basket:
    """Build the :class:`~execopt.Basket` of a basket instance (FORMAT.md section 2.6): one
    :class:`~execopt.ExecutionProblem` per leg (its shares, impact and cap), the sides, prices and
    symbols, the covariance (full or factor), risk aversion, cross-impact, band and VaR limit.

    Raises
    ------
    InfeasibleError
        For instances marked ``"infeasible": true`` (a leg whose caps cannot hold its shares, or
        a band no schedule can meet).
    DataError
        Invalid parameters (the message names the instance and the leg), or not a basket.
    """
    where = str(data.get("id", "instance"))
    if not is_basket(data):
        raise DataError(f"instance {where} is not a basket: build it with problem_from_instance.")
    N = int(data["periods"])
    legs = []
    try:
        for i, leg in enumerate(data["legs"]):
            try:
                legs.append(
                    ExecutionProblem(
                        shares=float(leg["shares"]),
                        impact=impact_from_dict(leg["impact"]),
                        periods=N,
                        cap=None if leg["cap"] is None else _arr(leg["cap"]),  # type: ignore[arg-type]
                    )
                )
            except InputError as exc:
                raise type(exc)(f"leg {i} ({leg.get('symbol')}): {exc}") from None
        cov_d = data["covariance"]
        cov: Any = None
        if cov_d is not None:
            if cov_d["kind"] == "full":
                cov = np.asarray(cov_d["matrix"], dtype=np.float64)
            else:
                cov = FactorCovariance(
                    np.asarray(cov_d["F"], dtype=np.float64), np.asarray(cov_d["D"], dtype=float)
                )
        H = data["cross_impact"]
        return Basket(
            legs,
            [str(leg["side"]) for leg in data["legs"]],
            covariance=cov,
            risk_aversion=float(data["risk_aversion"]),
            cross_impact=None if H is None else np.asarray(H, dtype=np.float64),
            prices=np.array([float(leg["price"]) for leg in data["legs"]]),
            neutrality_band=None
            if data["neutrality_band"] is None
            else float(data["neutrality_band"]),
            var_limit=None if data["var_limit"] is None else float(data["var_limit"]),
            var_z=float(data["var_z"]) if data.get("var_z") is not None else DEFAULT_VAR_Z,
            symbols=[str(leg["symbol"]) for leg in data["legs"]],
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
    return upgrade_v1(data) if data["version"] == 1 else dict(data)


def upgrade_v1(data: Mapping[str, Any]) -> dict[str, Any]:
    """A version-1 instance dictionary in the version-2 layout (in memory; the file is not
    touched): v1's ``family`` becomes ``group``, ``family`` and ``cone`` are derived from the
    problem, and ``optimum.lam`` is taken from the stored certificate when the optimum has none.
    The curvature facts (``unique``, ``pair_curvature``, ``hessian_bound``) need the problem:
    :func:`load_instance` computes them from the stored optimum.
    """
    from execopt.studies.suite.families import cone_of, family_of

    out = dict(data)
    out["group"] = data.get("family", "")
    out["family"] = family_of(out)
    out["cone"] = cone_of(out)
    opt = data.get("optimum")
    if isinstance(opt, Mapping):
        o = dict(opt)
        if o.get("lam") is None:
            cert = data.get("certificate") or {}
            o["lam"] = cert.get("lam")
        out["optimum"] = o
    out.setdefault("tolerances", None)
    return out


def load_instance(path: Path) -> tuple[ExecutionProblem | Basket | None, dict[str, Any]]:
    """Read an instance file; return its problem (an :class:`~execopt.ExecutionProblem`, or a
    :class:`~execopt.Basket` for a basket instance; None when infeasible) and its dictionary.

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
    if is_basket(data):
        return basket_from_instance(data), data
    problem = problem_from_instance(data)
    opt = data["optimum"]
    if "unique" not in opt:  # a version-1 file: the facts its checks need, from its optimum
        from execopt.studies.suite.checks import curvature_facts

        x = np.broadcast_to(np.asarray(opt["schedule"], dtype=np.float64), (problem.periods,))
        facts = curvature_facts(problem, x)
        opt.update(
            unique=facts.unique,
            pair_curvature=facts.pair_curvature,
            hessian_bound=facts.hessian_bound,
        )
    return problem, data


# ----------------------------------------------------------------------------- suites
@dataclass(frozen=True, eq=False)
class Instance:
    """One loaded suite instance: its dictionary and its problem (an ExecutionProblem, or a
    Basket for a basket instance; None when infeasible).
    """

    data: dict[str, Any]
    problem: ExecutionProblem | Basket | None
    path: Path

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def infeasible(self) -> bool:
        return bool(self.data["infeasible"])

    @property
    def is_basket(self) -> bool:
        """A basket instance (``legs``; schedules of shape (M, N))."""
        return is_basket(self.data)

    @property
    def family(self) -> str:
        """The objective family (``FORMAT.md``): quadratic, power, piecewise, mean-variance,
        transient, basket.
        """
        return str(self.data.get("family", ""))

    @property
    def group(self) -> str:
        """The generator group (stress category): large, badly-scaled, degenerate, ..."""
        return str(self.data.get("group", ""))

    @property
    def cone(self) -> str:
        """The smallest problem class a solver needs: lp, qp, socp or power."""
        return str(self.data.get("cone", ""))

    @property
    def version(self) -> int:
        return int(self.data["version"])

    @property
    def tags(self) -> list[str]:
        return list(self.data["tags"])

    @property
    def periods(self) -> int:
        return int(self.data["periods"])

    @property
    def legs(self) -> int:
        """``M``, the number of legs (1 for a single-asset instance)."""
        return len(self.data["legs"]) if self.is_basket else 1

    @property
    def leg_shares(self) -> FloatArray:
        """``S_i`` of every leg, shape (M,) (``[S]`` for a single-asset instance)."""
        if self.is_basket:
            return np.array([float(leg["shares"]) for leg in self.data["legs"]])
        return np.array([self.shares])

    @property
    def leg_prices(self) -> FloatArray:
        """``P_i`` of every leg, shape (M,) (``[price]`` for a single-asset instance)."""
        if self.is_basket:
            return np.array([float(leg["price"]) for leg in self.data["legs"]])
        return np.array([self.price])

    @property
    def shares(self) -> float:
        """``S`` (a basket: the shares of every leg together)."""
        if self.is_basket:
            return float(self.leg_shares.sum())
        return float(self.data["shares"])

    @property
    def price(self) -> float:
        """The reference price, dollars per share (a basket: the gross notional per share)."""
        if self.is_basket:
            S, P = self.leg_shares, self.leg_prices
            return float(P @ S / S.sum()) if S.sum() > 0 else float(P.mean())
        return float(self.data["price"])

    @property
    def notional(self) -> float:
        """``S * price`` (a basket: the gross notional ``sum_i P_i S_i``), dollars (the
        denominator of gaps in basis points).
        """
        return self.shares * self.price

    @property
    def optimum(self) -> float | None:
        """The certified optimal objective, dollars (None when infeasible)."""
        opt = self.data["optimum"]
        return None if opt is None else float(opt["objective"])

    @property
    def lam(self) -> float | None:
        """The stored multiplier of ``sum x = S``, dollars per share (None when infeasible, and
        for a basket: its per-leg multipliers are :attr:`leg_lam`).
        """
        opt = self.data["optimum"]
        if opt is None or self.is_basket or opt.get("lam") is None:
            return None
        return float(opt["lam"])

    @property
    def leg_lam(self) -> FloatArray | None:
        """A basket's stored multipliers of ``sum_t x_it = S_i``, one per leg, $/share."""
        opt = self.data["optimum"]
        if opt is None or not self.is_basket:
            return None
        return np.asarray(opt["lam"], dtype=np.float64)

    @property
    def unique(self) -> bool:
        """The optimum is unique (strictly convex on the free periods): schedules are compared."""
        opt = self.data["optimum"]
        return bool(opt is not None and opt.get("unique"))

    @property
    def schedule(self) -> FloatArray | None:
        """The certified optimal schedule, shares per period, shape (N,) (a basket: (M, N));
        None when infeasible.
        """
        opt = self.data["optimum"]
        if opt is None:
            return None
        N = self.periods
        if self.is_basket:
            return np.stack(
                [np.broadcast_to(np.asarray(r, dtype=np.float64), (N,)) for r in opt["schedule"]]
            )
        return np.broadcast_to(np.asarray(opt["schedule"], dtype=np.float64), (N,)).copy()


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


def spec_dir() -> Path:
    """The source folder of the specification documents (``execopt/studies/suite/spec``)."""
    return Path(str(resources.files("execopt.studies.suite") / "spec"))


def write_documents(folder: Path) -> list[Path]:
    """Copy the specification documents (:data:`DOCUMENTS`) into a suite folder (atomically)."""
    src = spec_dir()
    return [write_bytes(Path(folder) / name, (src / name).read_bytes()) for name in DOCUMENTS]


def _instance_files(folder: Path) -> list[Path]:
    return [p for p in sorted(Path(folder).glob("*.json")) if p.name not in (MANIFEST, *DOCUMENTS)]


def write_manifest(folder: Path, meta: Mapping[str, Any]) -> Path:
    """Write ``MANIFEST.json`` for every instance and document in ``folder`` (with ``meta``)."""
    folder = Path(folder)
    files = {p.name: sha256_file(p) for p in _instance_files(folder)}
    docs = {n: sha256_file(folder / n) for n in DOCUMENTS if (folder / n).is_file()}
    doc = {**to_json_value(dict(meta)), "count": len(files), "files": files}
    if docs:
        doc["documents"] = docs
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
    listed: dict[str, str] = {**doc["files"], **doc.get("documents", {})}
    for name, digest in sorted(listed.items()):
        p = folder / name
        if not p.is_file():
            problems.append(f"{name}: listed in {MANIFEST} but missing")
        elif sha256_file(p) != digest:
            problems.append(f"{name}: checksum differs from {MANIFEST} (file modified?)")
    extra = sorted(p.name for p in _instance_files(folder) if p.name not in listed)
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
    """Copy the packaged suite ``version`` (instances, ``FORMAT.md``, ``instance.schema.json``
    (version 2 on) and the manifest) into ``dest``, each file atomically.

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
    man = read_manifest(src)
    names = [*sorted(man["files"]), *sorted(man.get("documents", {})), MANIFEST]
    # the manifest goes first and comes back last: an interrupted export has none, and a
    # folder without a manifest is refused by `execopt validate`
    (dest / MANIFEST).unlink(missing_ok=True)
    for name in names:
        written.append(write_bytes(dest / name, (src / name).read_bytes()))
    problems = verify_manifest(dest)
    if problems:  # pragma: no cover - only a failing disk gets here
        raise DataError(f"the exported suite in {dest} does not verify: {'; '.join(problems[:5])}.")
    return written
