"""Constants, types and small helpers of the propagator fit.

Part of :mod:`execopt.impact.propagator` (see its docstring for the model and its limits).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    pass


FloatArray = NDArray[np.float64]
#: Nanoseconds per minute (as :data:`execopt.data.book.NS_PER_MINUTE`; not imported from there
#: so that ``import execopt.impact`` stays free of pandas).
NS_PER_MINUTE = 60 * 10**9
KernelKind = Literal["exponential", "power_law"]
Unsigned = Literal["drop", "quote_rule"]

#: Default search range of the exponential half-life, minutes: from a kernel that has decayed
#: within the minute (2^-10 left after one minute) to one that barely decays over a day.
HALF_LIFE_BOUNDS = (0.1, 2000.0)
#: Default search range of the power-law exponent (``l0 = 1`` minute): from nearly flat over a
#: day (``390^-0.05 = 0.74``) to gone after a minute or two (``2^-5 = 0.03``).
BETA_BOUNDS = (0.05, 5.0)
#: Mark-out horizons, minutes after each trade.
MARKOUT_HORIZONS = (1, 5, 15, 30, 60)
#: Points of the shape grid of the symmetric fit, and per side of the buy/sell fit.
GRID_POINTS = 64
SIDE_GRID_POINTS = 32
#: Tolerance of the bounded Brent refinement of the shape (in log shape), and the number of
#: golden-section steps of the replicates' refinement (the bracket of two grid cells shrinks by
#: 0.618 per step: 30 steps leave ~1e-7 in log shape).
_BRENT_XATOL = 1e-4
_GOLDEN_ITERATIONS = 30

#: What one day of one stock can and cannot identify (printed by the CLI and the README).
IDENTIFICATION = (
    "This is the market's aggregate propagator: how the mid followed the signed flow of every "
    "trader that day, not the impact of one's own orders. Flow that was itself a response to "
    "news or to the price (momentum, stop orders, hedging) is attributed to impact, so the "
    "fit bounds the impact of one's own orders only if they resemble the day's average trade.",
    "The permanent part gamma is identified only from minute-to-minute co-movement of net flow "
    "and price around a constant drift: whether a day's net buying caused that day's trend or "
    "followed it cannot be told apart from one day, and with fit_intercept=False the drift "
    "would be read as impact.",
    "A half-life comparable to or longer than the session cannot be told apart from permanent "
    "impact: the profile of the fit over the half-life is flat there, and the interval says so. "
    "The kernel is resolved at one minute: faster dynamics (seconds) are folded into G(0).",
    "Signal-to-noise is low: the mid moves mostly for reasons other than the day's signed flow "
    "(read R²), so the intervals of the strength, the half-life and gamma are wide; buy and "
    "sell separately, and mark-outs beyond ~15 minutes, are noisier still. Several days "
    "(pooled or compared) are needed for numbers one should trade on.",
)


def readonly(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a``."""
    v = a.view()
    v.flags.writeable = False
    return v


def _as_1d(name: str, v: ArrayLike, n: int | None = None) -> FloatArray:
    a = np.asarray(v, dtype=np.float64)
    if a.ndim != 1 or (n is not None and a.shape[0] != n):
        want = f"({n},)" if n is not None else "one-dimensional"
        raise DataError(f"{name} must have shape {want}, got {a.shape}")
    return a
