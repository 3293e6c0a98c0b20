"""Participation caps: the largest child order per period, from volume and volatility.

The reference document's rule is ``u_t = min(rate * volume, max_order)``: never more than ``rate`` (10 %) of
the volume the market trades in a period, and never more than ``max_order`` (1,000) shares at
once. :func:`participation_caps` computes it per period and can scale it down where volatility
is high:

    u_t = min(rate * V_t, max_order) * f_t,      f_t = 1 / (1 + vol_factor * max(0, sigma_t / m - 1))

with ``V_t`` the average volume of period ``t`` (over days when several are given, optionally
smoothed over ``window`` neighbouring minutes), ``sigma_t`` the period's volatility and ``m`` its
median over the day. At or below the median volatility ``f_t = 1``; at twice the median and
``vol_factor = 1`` the cap halves. ``vol_factor = 0`` switches the scaling off.

Glossary: ``V`` shares per period, ``rate`` a fraction, ``u`` shares, ``sigma`` any volatility
measure (only its ratio to the median matters), ``f`` a factor in ``(0, 1]``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt.errors import InputError

__all__ = ["participation_caps", "volatility_factor"]

FloatArray = NDArray[np.float64]


def _finite_nonneg(name: str, value: ArrayLike) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 0:
        raise InputError(f"{name} is empty: give one value per period.")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        bad = np.flatnonzero(~(np.isfinite(arr) & (arr >= 0)).ravel())[:5].tolist()
        raise InputError(
            f"{name} must be finite and >= 0 in every period; bad values at flat index {bad}. "
            "Fill missing periods (e.g. with the day's median) before computing caps."
        )
    return arr


def volatility_factor(volatility: ArrayLike, vol_factor: float = 1.0) -> FloatArray:
    """Cap multiplier ``f_t = 1 / (1 + vol_factor * max(0, sigma_t / median(sigma) - 1))``.

    Parameters
    ----------
    volatility : array_like (N,)
        Per-period volatility, any unit (only ratios to its median matter), ``>= 0``.
    vol_factor : float
        Strength of the scaling, ``>= 0`` (0: no scaling).

    Returns
    -------
    ndarray (N,)
        Factors in ``(0, 1]``.
    """
    sig = _finite_nonneg("volatility", volatility)
    if sig.ndim != 1:
        raise InputError(f"volatility must be 1-D (one value per period), got shape {sig.shape}.")
    if not np.isfinite(vol_factor) or vol_factor < 0:
        raise InputError(f"vol_factor must be finite and >= 0, got {vol_factor!r}.")
    med = float(np.median(sig))
    if med <= 0:
        raise InputError(
            "the median volatility is 0, so relative volatility is undefined; pass a volatility "
            "that is positive in most periods, or volatility=None."
        )
    return 1.0 / (1.0 + vol_factor * np.maximum(0.0, sig / med - 1.0))


def participation_caps(
    volume: ArrayLike,
    rate: float = 0.1,
    max_order: float = 1000.0,
    volatility: ArrayLike | None = None,
    vol_factor: float = 1.0,
    window: int = 1,
) -> FloatArray:
    """Per-period caps ``min(rate * V_t, max_order)``, scaled down in volatile periods.

    Parameters
    ----------
    volume : array_like (N,) or (D, N)
        Shares traded per period; with ``D`` days the average over days is used.
    rate : float
        Participation rate, ``0 < rate <= 1`` (the reference document: 10 %).
    max_order : float
        Largest child order, shares, ``> 0`` (the reference document: 1,000; ``inf`` for none).
    volatility : array_like (N,), optional
        Per-period volatility; when given, caps are multiplied by :func:`volatility_factor`.
    vol_factor : float
        Strength of the volatility scaling (see :func:`volatility_factor`).
    window : int
        Centred moving average of the volume over ``window`` periods (odd, ``>= 1``; 1 = none).
        One day's minute volume is lumpy (FROG 2025-04-03 has minutes without a trade), so a
        window of 5-15 gives caps that do not drop to zero at random.

    Returns
    -------
    ndarray (N,)
        Caps in shares.

    Raises
    ------
    InputError
        Negative or non-finite inputs, a rate outside ``(0, 1]``, an even window.

    Examples
    --------
    >>> participation_caps([5000, 20000, 8000]).tolist()
    [500.0, 1000.0, 800.0]
    """
    V = _finite_nonneg("volume", volume)
    if V.ndim == 2:
        V = V.mean(axis=0)
    if V.ndim != 1:
        raise InputError(f"volume must have shape (N,) or (days, N), got {V.shape}.")
    if not (np.isfinite(rate) and 0 < rate <= 1):
        raise InputError(f"rate must be a participation fraction in (0, 1], got {rate!r}.")
    if np.isnan(max_order) or max_order <= 0:
        raise InputError(f"max_order must be > 0 shares (inf for no limit), got {max_order!r}.")
    w = int(window)
    if w < 1 or w % 2 == 0:
        raise InputError(f"window must be an odd integer >= 1, got {window!r}.")
    if w > 1:
        pad = w // 2
        Vp = np.pad(V, pad, mode="edge")
        V = np.convolve(Vp, np.ones(w) / w, mode="valid")
    u = np.minimum(rate * V, max_order)
    if volatility is not None:
        f = volatility_factor(volatility, vol_factor)
        if f.shape != u.shape:
            raise InputError(
                f"volatility has {f.shape[0]} periods but volume has {u.shape[0]}; give one value "
                "per period."
            )
        u = u * f
    return np.asarray(u, dtype=np.float64)
