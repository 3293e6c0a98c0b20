"""Plain JSON values: the one converter every writer of JSON uses.

NumPy arrays and scalars become Python lists and numbers, mappings get string keys, paths become
strings, objects with ``as_dict()`` or ``to_dict()`` (solutions, certificates, models) become
their dictionaries, and non-finite floats become ``null`` (strict JSON has no NaN or infinity;
model parameters that need ``inf`` encode it themselves, see
:func:`execopt.impact.base.encode_array`). ``integral=True`` writes integral floats below 1e15
as integers (shorter files that read back to the same float).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

__all__ = ["plain"]


def plain(obj: Any, *, integral: bool = False) -> Any:
    """``obj`` as plain JSON types (see the module docstring).

    Raises
    ------
    TypeError
        For an object with no JSON form.

    Examples
    --------
    >>> import numpy as np
    >>> plain({"x": np.array([1.0, np.inf]), 2: np.float64(3.0)})
    {'x': [1.0, None], '2': 3.0}
    >>> plain([500.0, 0.25], integral=True)
    [500, 0.25]
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        if not math.isfinite(obj):
            return None
        if integral and obj.is_integer() and abs(obj) < 1e15:
            return int(obj)
        return float(obj)
    if isinstance(obj, Mapping):
        return {str(k): plain(v, integral=integral) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v, integral=integral) for v in obj]
    tolist = getattr(obj, "tolist", None)  # NumPy arrays and scalars
    if callable(tolist):
        return plain(tolist(), integral=integral)
    for name in ("as_dict", "to_dict"):  # Solution, Certificate, Timings, models
        method = getattr(obj, name, None)
        if callable(method):
            return plain(method(), integral=integral)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"cannot convert {type(obj).__name__} to JSON")
