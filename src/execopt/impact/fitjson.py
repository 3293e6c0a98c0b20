"""The fit file: what ``execopt fit --json`` writes and ``execopt solve --params FILE`` reads.

One model::

    {"schema": "execopt.fit/1",
     "model": "quadratic",                       # or "power"
     "params": {"a": 0.045, "b": 5.3e-05},       # power: {"gamma": ..., "delta": ...}
     "units": {"a": "dollars per share", "b": "dollars per share^2"},
     "ci": {"a": [lo, hi], "b": [lo, hi]}, "ci_level": 0.95,
     "r2": ..., "oos": {"time_split": 0.6, "rmse": ..., "r2": ..., "metric": ...},
     "censored_share": ..., "n_obs": ..., "side": "buy", "symbol": "FROG",
     "source": {"path": ..., "sha256": ...},
     "profile": {"a": [... N ...], "b": [... N ...], "method": "rolling", ...}}   # or null

A power-law file has ``"basis": "per_share"`` (per-share slippage ``gamma x^delta``) and a
profile ``{"gamma": [... N ...], "delta": <whole-day value>}``. ``--model both`` writes
``{"quadratic": {...}, "power": {...}}``. Numbers that are not finite are written as ``null``.

``execopt fit --propagator`` adds a top-level ``"propagator"`` section
(:meth:`~execopt.impact.propagator.PropagatorFit.summary`)::

    "propagator": {"kernel": {"kernel": "exponential", "strength": G0, "half_life": h},
                   "permanent": gamma, "ci": {...}, "ci_level": 0.95, "diagnostics": {...},
                   "sides": {...}, "asymmetry": {...}, "markouts": [...], "caveats": [...], ...}

which :func:`read_propagator` turns into the ``transient=`` kernel and ``permanent=`` gamma of
:class:`~execopt.ExecutionProblem` (lags in minutes: one period of ``execopt solve``).

:func:`impact_from_fit_json` is the one function a consumer calls to turn such a file (or its
parsed dictionary) into an :class:`~execopt.impact.models.ImpactModel`; every malformed file
raises :class:`~execopt.errors.DataError` saying which field is wrong.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from execopt._json import plain
from execopt.errors import DataError, InputError
from execopt.impact.base import ImpactModel, model_from_dict
from execopt.impact.transient import Kernel, kernel_from_dict

if TYPE_CHECKING:  # pragma: no cover
    from execopt.impact.estimation import PowerLawFit, QuadraticFit
    from execopt.impact.profiles import ImpactProfile

__all__ = [
    "SCHEMA",
    "dumps_fit_json",
    "file_source",
    "fit_to_dict",
    "impact_from_fit_json",
    "load_fit_json",
    "read_fit_json",
    "read_propagator",
    "write_fit_json",
]

SCHEMA = "execopt.fit/1"
_PARAMS = {"quadratic": ("a", "b"), "power": ("gamma", "delta")}
_UNITS = {
    "quadratic": {"a": "dollars per share", "b": "dollars per share^2"},
    "power": {"gamma": "dollars per share^(1+delta)", "delta": "exponent of per-share slippage"},
}


# ----------------------------------------------------------------------------- writing
def _clean(v: Any) -> Any:
    """JSON-ready copy (:func:`execopt._json.plain`: non-finite floats to None)."""
    return plain(v)


def file_source(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> dict[str, Any]:
    """``{"path": ..., "sha256": ...}`` of one file (lists of both for several files)."""
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    out_p, out_h = [], []
    for p in items:
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        out_p.append(os.fspath(p))
        out_h.append(h.hexdigest())
    if len(out_p) == 1:
        return {"path": out_p[0], "sha256": out_h[0]}
    return {"path": out_p, "sha256": out_h}


def fit_to_dict(
    fit: QuadraticFit | PowerLawFit,
    *,
    side: str | None = None,
    symbol: str | None = None,
    source: Mapping[str, Any] | None = None,
    profile: ImpactProfile | None = None,
) -> dict[str, Any]:
    """The fit-file dictionary of a fitted estimator (and optionally its per-minute profile).

    Parameters
    ----------
    fit : QuadraticFit or PowerLawFit
        Fitted.
    side, symbol : str, optional
        Recorded as given (``side`` defaults to ``fit.side_`` when :func:`fit_book` set it).
    source : mapping, optional
        Where the data came from, e.g. :func:`file_source` or ``{"preset": "FROG", "seed": 0}``.
    profile : ImpactProfile, optional
        Per-minute values of the same model kind.
    """
    out: dict[str, Any] = {"schema": SCHEMA}
    out.update(fit.summary())
    out["units"] = dict(_UNITS[fit.kind])
    out["side"] = side if side is not None else getattr(fit, "side_", None)
    out["symbol"] = symbol
    out["source"] = dict(source) if source is not None else None
    out["n_filled_minutes"] = getattr(fit, "n_filled_minutes_", None)
    sizes = getattr(fit, "sizes_", None)
    out["sizes"] = None if sizes is None else [float(v) for v in sizes]
    if profile is not None:
        if profile.kind != fit.kind:
            raise InputError(
                f"the profile is {profile.kind!r} but the fit is {fit.kind!r}: pass a profile of "
                "the same model."
            )
        out["profile"] = profile.as_dict()
    else:
        out["profile"] = None
    cleaned: dict[str, Any] = _clean(out)
    return cleaned


def dumps_fit_json(obj: Mapping[str, Any], indent: int | None = 2) -> str:
    """Serialise a fit dictionary (or ``{"quadratic": ..., "power": ...}``) as strict JSON."""
    return json.dumps(_clean(obj), indent=indent, allow_nan=False)


def write_fit_json(obj: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write :func:`dumps_fit_json` of ``obj`` to ``path``; return the path."""
    from execopt._atomic import write_text

    return write_text(path, dumps_fit_json(obj) + "\n")


# ----------------------------------------------------------------------------- reading
def load_fit_json(source: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a fit file; :class:`DataError` if it is missing or not a JSON object."""
    p = Path(source)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read the fit file '{p}': {exc}; check the path.") from exc
    except UnicodeDecodeError as exc:
        raise DataError(
            f"the fit file '{p}' is not UTF-8 text (byte {exc.start}); give the JSON written by "
            "`execopt fit --json`."
        ) from exc
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"the fit file '{p}' is not valid JSON ({exc}); write it with `execopt fit --json`."
        ) from exc
    if not isinstance(obj, dict):
        raise DataError(f"the fit file '{p}' must hold a JSON object, got {type(obj).__name__}.")
    return obj


def _where(origin: str | None) -> str:
    return f"fit file '{origin}'" if origin else "fit JSON"


def _select(obj: Mapping[str, Any], model: str | None, origin: str | None) -> Mapping[str, Any]:
    """The single-model record of ``obj`` (which may be a ``{"quadratic":..,"power":..}``)."""
    if "model" in obj:
        if model is not None and obj["model"] != model:
            raise DataError(
                f"{_where(origin)} holds a {obj['model']!r} fit, not {model!r}; fit that model "
                "with `execopt fit --model ...`."
            )
        return obj
    kinds = [k for k in ("quadratic", "power") if k in obj]
    if not kinds:
        raise DataError(
            f"{_where(origin)} has no 'model' field (and no 'quadratic'/'power' entries); it "
            "must be written by `execopt fit --json`."
        )
    if model is None:
        if len(kinds) > 1:
            raise DataError(
                f"{_where(origin)} holds several models ({', '.join(kinds)}); choose one with "
                "model='quadratic' or model='power'."
            )
        model = kinds[0]
    if model not in kinds:
        raise DataError(f"{_where(origin)} holds {', '.join(kinds)}, not {model!r}.")
    rec = obj[model]
    if not isinstance(rec, Mapping) or rec.get("model", model) != model:
        raise DataError(f"{_where(origin)}: entry {model!r} must be a {model!r} fit object.")
    return rec if "model" in rec else {**rec, "model": model}


def _number(v: Any, what: str, origin: str | None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        raise DataError(f"{_where(origin)}: {what} must be a finite number, got {v!r}.")
    return float(v)


def _numbers(v: Any, what: str, origin: str | None) -> list[float]:
    if not isinstance(v, list) or not v:
        raise DataError(f"{_where(origin)}: {what} must be a non-empty list of numbers.")
    return [_number(x, f"{what}[{i}]", origin) for i, x in enumerate(v)]


def _build(
    kind: str, params: Mapping[str, Any], basis: str, what: str, origin: str | None
) -> ImpactModel:
    d: dict[str, Any] = {"model": kind, **{n: params[n] for n in _PARAMS[kind]}}
    if kind == "power":
        d["basis"] = basis
    try:
        return model_from_dict(d)  # the one reader of model parameters
    except InputError as exc:
        raise DataError(f"{_where(origin)}: {what} is not a valid {kind} model: {exc}") from exc


def _parse(
    obj: Mapping[str, Any], model: str | None, origin: str | None
) -> tuple[str, ImpactModel, ImpactModel | None]:
    if not isinstance(obj, Mapping):
        raise DataError(f"{_where(origin)} must be a JSON object, got {type(obj).__name__}.")
    rec = _select(obj, model, origin)
    kind = rec.get("model")
    if kind not in _PARAMS:
        raise DataError(f"{_where(origin)}: 'model' must be 'quadratic' or 'power', got {kind!r}.")
    names = _PARAMS[kind]
    params = rec.get("params")
    if not isinstance(params, Mapping):
        raise DataError(f"{_where(origin)}: 'params' must be an object with {', '.join(names)}.")
    missing = [n for n in names if n not in params]
    if missing:
        raise DataError(f"{_where(origin)}: 'params' lacks {', '.join(missing)}.")
    vals = {n: _number(params[n], f"params.{n}", origin) for n in names}
    basis = rec.get("basis", "per_share")
    if kind == "power" and basis not in ("per_share", "total"):
        raise DataError(f"{_where(origin)}: 'basis' must be 'per_share' or 'total', got {basis!r}.")
    side = rec.get("side")
    if side is not None and side not in ("buy", "sell"):
        raise DataError(f"{_where(origin)}: 'side' must be 'buy' or 'sell', got {side!r}.")
    ci = rec.get("ci")
    if ci is not None:
        if not isinstance(ci, Mapping):
            raise DataError(f"{_where(origin)}: 'ci' must be an object of [lo, hi] pairs.")
        for n, pair in ci.items():
            if pair is None:
                continue
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or any(
                    v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)))
                    for v in pair
                )
            ):
                raise DataError(f"{_where(origin)}: ci.{n} must be [lo, hi], got {pair!r}.")
            if None not in pair and pair[0] > pair[1]:
                raise DataError(f"{_where(origin)}: ci.{n} has lo > hi ({pair!r}).")
    whole = _build(kind, vals, basis, "params", origin)
    prof_obj = rec.get("profile")
    profile: ImpactModel | None = None
    if prof_obj is not None:
        if not isinstance(prof_obj, Mapping):
            raise DataError(f"{_where(origin)}: 'profile' must be an object or null.")
        if kind == "quadratic":
            for n in names:
                if n not in prof_obj:
                    raise DataError(f"{_where(origin)}: 'profile' lacks {n!r}.")
            pv: dict[str, Any] = {n: _numbers(prof_obj[n], f"profile.{n}", origin) for n in names}
            lengths = {len(v) for v in pv.values()}
        else:
            if "gamma" not in prof_obj:
                raise DataError(f"{_where(origin)}: 'profile' lacks 'gamma'.")
            gam = _numbers(prof_obj["gamma"], "profile.gamma", origin)
            d = prof_obj.get("delta", vals["delta"])
            dv: float | list[float] = (
                _numbers(d, "profile.delta", origin)
                if isinstance(d, list)
                else _number(d, "profile.delta", origin)
            )
            pv = {"gamma": gam, "delta": dv}
            lengths = {len(gam)} | ({len(dv)} if isinstance(dv, list) else set())
        if len(lengths) != 1:
            raise DataError(
                f"{_where(origin)}: the profile arrays have different lengths {sorted(lengths)}."
            )
        profile = _build(kind, pv, basis, "profile", origin)
    return kind, whole, profile


def read_fit_json(
    path: str | os.PathLike[str], model: str | None = None
) -> tuple[str, ImpactModel, ImpactModel | None]:
    """Read and validate a fit file.

    Parameters
    ----------
    path : path
        A file written by ``execopt fit --json`` (or :func:`write_fit_json`).
    model : {"quadratic", "power"}, optional
        Which model of a ``--model both`` file; required there, checked otherwise.

    Returns
    -------
    kind : str
        ``"quadratic"`` or ``"power"``.
    whole_day : ImpactModel
        Scalar parameters.
    profile : ImpactModel or None
        Length-``N`` parameters, when the file has a profile.

    Raises
    ------
    DataError
        Missing file, invalid JSON, or any malformed field.
    """
    return _parse(load_fit_json(path), model, os.fspath(path))


def impact_from_fit_json(
    obj: Mapping[str, Any] | str | os.PathLike[str],
    use_profile: bool = True,
    model: str | None = None,
) -> ImpactModel:
    """The impact model a fit file describes: the single entry point for consumers.

    Parameters
    ----------
    obj : mapping or path
        A parsed fit dictionary, or the path of a fit file.
    use_profile : bool
        Return the per-minute (length-``N``) model when the file has a profile; otherwise, or
        when it has none, the whole-day model.
    model : {"quadratic", "power"}, optional
        Which model of a ``--model both`` file.

    Returns
    -------
    ImpactModel

    Raises
    ------
    DataError
        If the file or dictionary is malformed.

    Examples
    --------
    >>> m = impact_from_fit_json({"model": "quadratic", "params": {"a": 0.02, "b": 0.001}})
    >>> m
    QuadraticImpact(a=0.02, b=0.001)
    """
    if isinstance(obj, (str, os.PathLike)):
        _, whole, profile = read_fit_json(obj, model)
    else:
        _, whole, profile = _parse(obj, model, None)
    return profile if use_profile and profile is not None else whole


def read_propagator(
    obj: Mapping[str, Any] | str | os.PathLike[str],
) -> tuple[Kernel, float] | None:
    """The transient kernel and permanent impact of a fit file's ``"propagator"`` section.

    Parameters
    ----------
    obj : mapping or path
        A parsed fit dictionary, or the path of a fit file.

    Returns
    -------
    (kernel, gamma) or None
        ``kernel`` for :class:`~execopt.ExecutionProblem`'s ``transient=`` (lags in minutes),
        ``gamma`` (dollars per share per share) for ``permanent=``; None when the file has no
        propagator section.

    Raises
    ------
    DataError
        A malformed section (not an object, an invalid kernel, a missing or negative
        ``permanent``), naming the field.

    Examples
    --------
    >>> k, g = read_propagator({"propagator": {"kernel": {"kernel": "exponential",
    ...     "strength": 2e-5, "half_life": 10.0}, "permanent": 1e-6}})
    >>> k, g
    (ExponentialKernel(strength=2e-05, half_life=10), 1e-06)
    """
    origin = os.fspath(obj) if isinstance(obj, (str, os.PathLike)) else None
    doc = load_fit_json(obj) if isinstance(obj, (str, os.PathLike)) else obj
    if not isinstance(doc, Mapping):
        raise DataError(f"{_where(origin)} must be a JSON object, got {type(doc).__name__}.")
    sec = doc.get("propagator")
    if sec is None:
        return None
    if not isinstance(sec, Mapping):
        raise DataError(
            f"{_where(origin)}: 'propagator' must be an object with 'kernel' and 'permanent' "
            "(write it with `execopt fit --propagator`)."
        )
    if "kernel" not in sec or "permanent" not in sec:
        missing = [k for k in ("kernel", "permanent") if k not in sec]
        raise DataError(f"{_where(origin)}: 'propagator' lacks {', '.join(missing)}.")
    try:
        kernel = kernel_from_dict(sec["kernel"])
    except InputError as exc:
        raise DataError(
            f"{_where(origin)}: propagator.kernel is not a valid kernel: {exc}"
        ) from exc
    gamma = _number(sec["permanent"], "propagator.permanent", origin)
    if gamma < 0:
        raise DataError(
            f"{_where(origin)}: propagator.permanent must be >= 0 (dollars per share per share), "
            f"got {gamma!r}."
        )
    return kernel, gamma
