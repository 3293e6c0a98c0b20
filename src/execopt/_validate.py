"""Type and shape checks for the public API: one :class:`~execopt.errors.InputError` per bad
argument, naming the argument, the expected type and what was given.

The checks guard the top of public functions and constructors, before NumPy or Python would
raise a bare ``TypeError``/``ValueError`` ("could not convert string to float") or, worse,
accept the input silently (``True`` as a count of periods, ``"abc"`` as a cap). They only
check; converting and range checks stay with the caller, which knows the units.

Rules: ``None``, strings, bytes, mappings, sets and booleans are not numbers (``True`` is not
one period and not one share); a number is a Python or NumPy real, or a 0-d real array; an
array is anything :func:`numpy.asarray` turns into a real (integer or float) array of at most
``max_ndim`` dimensions, without ragged rows.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping, Sequence, Set
from typing import Any

import numpy as np

from execopt.errors import InputError

__all__ = [
    "MAX_PERIODS",
    "check_array",
    "check_choice",
    "check_date",
    "check_int",
    "check_path",
    "check_paths",
    "check_real",
    "check_seed",
    "check_str",
    "check_timezone",
    "describe",
]

#: The largest number of periods accepted: one float64 array of 10^8 periods is 0.8 GB, and a
#: solve needs several.
MAX_PERIODS = 100_000_000


def describe(value: Any) -> str:
    """A short description of ``value`` for an error message (type, and the value if short)."""
    if value is None:
        return "None"
    name = type(value).__name__
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{name} {text}"


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _not_a_number(value: Any) -> bool:
    return (
        value is None
        or _is_bool(value)
        or isinstance(value, (str, bytes, bytearray, Mapping, Set))
        or callable(value)
    )


def check_real(
    name: str, value: Any, *, allow_none: bool = False, finite: bool = False, unit: str = ""
) -> None:
    """Raise :class:`InputError` unless ``value`` is a real number (not a bool).

    Parameters
    ----------
    name : str
        The argument's name, as the caller spells it.
    value : object
    allow_none : bool
        Accept ``None`` (an optional argument).
    finite : bool
        Also refuse NaN and +-inf.
    unit : str
        Unit shown in the message (``"shares"``).
    """
    if value is None and allow_none:
        return
    if type(value) in (float, int) and not finite:  # the common case, checked fast
        return
    what = f"a number{f' of {unit}' if unit else ''}"
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if _not_a_number(value) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise InputError(
            f"{name} must be {what}{' or None' if allow_none else ''}, got {describe(value)}."
        )
    if finite and not np.isfinite(float(value)):
        raise InputError(
            f"{name} must be a finite number{f' of {unit}' if unit else ''}, got {value!r}."
        )


def check_int(
    name: str,
    value: Any,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    allow_none: bool = False,
) -> None:
    """Raise :class:`InputError` unless ``value`` is an integer (not a bool, not a float) in
    ``[minimum, maximum]``.
    """
    if value is None and allow_none:
        return
    if (
        type(value) is int
        and (minimum is None or value >= minimum)
        and (maximum is None or value <= maximum)
    ):  # the common case, checked fast
        return
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if _is_bool(value) or not isinstance(value, (numbers.Integral, np.integer)):
        hint = " (True/False are not counts)" if _is_bool(value) else ""
        lo = "" if minimum is None else f" >= {minimum}"
        raise InputError(f"{name} must be an integer{lo}, got {describe(value)}{hint}.")
    v = int(value)
    if minimum is not None and v < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {v}.")
    if maximum is not None and v > maximum:
        raise InputError(f"{name} must be an integer <= {maximum:,}, got {v:,}.")


def check_array(
    name: str,
    value: Any,
    *,
    max_ndim: int | None = 1,
    allow_none: bool = False,
    unit: str = "",
) -> None:
    """Raise :class:`InputError` unless ``value`` converts to a real array of at most
    ``max_ndim`` dimensions (a scalar, a list of numbers, a NumPy array, a pandas Series);
    ``max_ndim=None`` leaves the shape to the caller.

    Refused: ``None`` (unless ``allow_none``), strings, mappings, booleans (also arrays of
    booleans), complex numbers, ragged nested lists, lists holding ``None`` or strings.
    """
    if value is None and allow_none:
        return
    if type(value) in (float, int) or (  # the common cases, checked fast
        type(value) is np.ndarray
        and value.dtype.kind in "iuf"
        and (max_ndim is None or value.ndim <= max_ndim)
    ):
        return
    if max_ndim is None:
        shape = "a number or an array"
    elif max_ndim <= 1:
        shape = "a number or a 1-D array"
    else:
        shape = f"a number or an array (<= {max_ndim}-D)"
    what = f"{shape}{f' of {unit}' if unit else ''}"
    if _not_a_number(value):
        raise InputError(f"{name} must be {what}, got {describe(value)}.")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):  # ragged nested sequences
        raise InputError(
            f"{name} must be {what}; got a nested sequence whose rows differ in length."
        ) from None
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (ValueError, TypeError):
            raise InputError(
                f"{name} must be {what} holding numbers only; it holds "
                f"{sorted({type(v).__name__ for v in arr.ravel().tolist()})}."
            ) from None
    if arr.dtype.kind == "b":
        raise InputError(f"{name} must be {what}; got booleans (True/False are not numbers).")
    if arr.dtype.kind not in "iuf":
        raise InputError(f"{name} must be {what}; got {describe(value)}.")
    if max_ndim is not None and arr.ndim > max_ndim:
        raise InputError(f"{name} must be {what}; got shape {arr.shape}.")


def check_choice(name: str, value: Any, choices: Sequence[str]) -> None:
    """Raise :class:`InputError` unless ``value`` is one of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise InputError(
            f"{name} must be one of {', '.join(repr(c) for c in choices)}, got {describe(value)}."
        )


def check_str(name: str, value: Any, *, allow_none: bool = False, what: str = "a string") -> None:
    """Raise :class:`InputError` unless ``value`` is a ``str`` (or None when allowed)."""
    if value is None and allow_none:
        return
    if not isinstance(value, str):
        raise InputError(
            f"{name} must be {what}{' or None' if allow_none else ''}, got {describe(value)}."
        )


def check_date(name: str, value: Any, *, allow_none: bool = False) -> None:
    """Raise :class:`InputError` unless ``value`` is an ISO date string ``"YYYY-MM-DD"``."""
    import datetime as _dt

    check_str(name, value, allow_none=allow_none, what="a date 'YYYY-MM-DD'")
    if value is None:
        return
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name} must be a date 'YYYY-MM-DD', got {value!r}.") from None


def check_timezone(name: str, value: Any) -> None:
    """Raise :class:`InputError` unless ``value`` names an IANA time zone."""
    import zoneinfo

    check_str(name, value, what="an IANA time zone such as 'America/New_York'")
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"{name} {value!r} is not a known time zone; give an IANA name such as "
            "'America/New_York'."
        ) from None


def check_path(name: str, value: Any) -> None:
    """Raise :class:`InputError` unless ``value`` is a path (``str`` or ``os.PathLike``)."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value:
        raise InputError(
            f"{name} must be a path (a non-empty str or pathlib.Path), got {describe(value)}."
        )
    if "\x00" in value:
        raise InputError(f"{name} contains a NUL character: {value!r} is not a path.")


def check_paths(name: str, value: Any) -> None:
    """Raise :class:`InputError` unless ``value`` is a path or a non-empty list of paths."""
    if isinstance(value, (str, os.PathLike)):
        check_path(name, value)
        return
    if not isinstance(value, (list, tuple)):
        raise InputError(
            f"{name} must be a path, a folder, a glob pattern or a list of them, "
            f"got {describe(value)}."
        )
    for i, item in enumerate(value):
        check_path(f"{name}[{i}]", item)


def check_seed(name: str, value: Any, *, sequence: bool = False, upper: int | None = 2**32) -> None:
    """Raise :class:`InputError` unless ``value`` is None, an integer in ``[0, upper)``, a
    :class:`numpy.random.Generator` or ``RandomState`` (or, when ``sequence``, a
    ``SeedSequence``). ``upper=None``: any integer >= 0 (NumPy's ``default_rng``).
    """
    if value is None:
        return
    kinds: tuple[type, ...] = (np.random.Generator, np.random.RandomState)
    if sequence:
        kinds += (np.random.SeedSequence,)
    if isinstance(value, kinds):
        return
    bound = "" if upper is None else f" and < {upper:,}"
    if _is_bool(value) or not isinstance(value, (numbers.Integral, np.integer)):
        raise InputError(
            f"{name} must be None, an integer >= 0{bound} or a numpy.random.Generator; got "
            f"{describe(value)}."
        )
    if int(value) < 0 or (upper is not None and int(value) >= upper):
        raise InputError(f"{name} must be an integer >= 0{bound}, got {int(value)}.")
