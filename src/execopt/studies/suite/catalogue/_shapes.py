"""Shared shapes of the catalogue: stock-like profiles, intraday curves, synthetic books and
the instance dictionary (:func:`_spec`).

The synthetic books are generated here (not by :mod:`execopt.data.synthetic`) so that the frozen
suite cannot change when that generator is recalibrated. No real market data is used. Every
instance draws from its own stream ``SeedSequence(SUITE_SEED, spawn_key=(group, k))``, so an
instance does not depend on which others are generated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from execopt.studies.suite.families import cone_of, family_of
from execopt.studies.suite.format import FORMAT_VERSION
from execopt.studies.suite.format import compact_value as _compact

__all__ = [
    "DIGITS",
    "SIGMA_FROG",
    "STOCKS",
    "SUITE_SEED",
    "TICK",
    "Spec",
    "spread_profile",
    "synthetic_book_curve",
    "volume_profile",
]

FloatArray = NDArray[np.float64]
Spec = dict[str, Any]

#: Root seed of the suite (the FROG sample's date).
SUITE_SEED = 20250403
#: Significant digits kept for generated parameters (what is stored is exact; this only keeps
#: the files short).
DIGITS = 6

#: Stock-like profiles: reference price, seed quadratic constants (DESIGN.md), traded shares per
#: minute, a typical order, the quoted spread in ticks and the level sizes of a synthetic book.
STOCKS: dict[str, dict[str, Any]] = {
    "crwv": {
        "price": 46.73,
        "a": 0.024,
        "b": 0.0012,
        "volume": 3000.0,
        "S": 20_000.0,
        "spread_ticks": (6, 7, 8),
        "size": (50.0, 500.0),
    },
    "frog": {
        "price": 31.45,
        "a": 0.018,
        "b": 0.0009,
        "volume": 1500.0,
        "S": 10_000.0,
        "spread_ticks": (5, 6, 7),
        "size": (50.0, 500.0),
    },
    "soun": {
        "price": 9.37,
        "a": 0.008,
        "b": 0.0003,
        "volume": 20_000.0,
        "S": 200_000.0,
        "spread_ticks": (1, 1, 2),
        "size": (500.0, 5000.0),
    },
}
#: FROG-like per-minute price volatility, dollars per share (3 % a day over 390 minutes).
SIGMA_FROG = 0.0478
TICK = 0.01


# ----------------------------------------------------------------------------- helpers
def _rng(family: int, k: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(SUITE_SEED, spawn_key=(family, k)))


def _sig(v: Any, digits: int = DIGITS) -> Any:
    """Round to ``digits`` significant figures (scalars and arrays)."""
    arr = np.asarray(v, dtype=np.float64)
    out = np.array([float(f"{e:.{digits}g}") for e in arr.ravel()]).reshape(arr.shape)
    return float(out) if out.ndim == 0 else out


def _tau(N: int) -> FloatArray:
    """Session fraction of each period's midpoint."""
    return (np.arange(N) + 0.5) / N


def volume_profile(N: int, rng: np.random.Generator, noise: float = 0.15) -> FloatArray:
    """Intraday traded volume, mean one: a U-shape with an opening and a closing burst."""
    t = _tau(N)
    v = 1.0 + 1.5 * (2.0 * t - 1.0) ** 2 + 1.2 * np.exp(-t / 0.03) + 0.8 * np.exp(-(1.0 - t) / 0.02)
    v = v * rng.lognormal(0.0, noise, N) if noise > 0 else v
    return np.asarray(v / v.mean(), dtype=np.float64)


def spread_profile(N: int, rng: np.random.Generator, noise: float = 0.05) -> FloatArray:
    """Relative quoted spread through the day, mean one: wide at the open, narrowing."""
    t = _tau(N)
    s = 1.0 + 1.0 * np.exp(-t / 0.05)
    s = s * rng.lognormal(0.0, noise, N) if noise > 0 else s
    return np.asarray(s / s.mean(), dtype=np.float64)


def _caps_from_volume(volume: FloatArray, frac: float = 0.1, hard: float = 1000.0) -> FloatArray:
    """``u_t = floor(min(frac * volume_t, hard))`` whole shares (at least one)."""
    return np.maximum(np.floor(np.minimum(frac * volume, hard)), 1.0)


def synthetic_book_curve(
    rng: np.random.Generator,
    N: int,
    *,
    levels: int = 10,
    spread_ticks: Sequence[int] = (5, 6, 7),
    size: tuple[float, float] = (50.0, 500.0),
    open_widening: bool = True,
) -> tuple[FloatArray, FloatArray]:
    """Ask-side walk cost of ``N`` synthetic books: slopes (price minus mid) and level sizes.

    Shaped like the FROG statistics: ``$0.01`` tick, a quoted spread of ``spread_ticks`` ticks
    (wider in the first minutes when ``open_widening``), level gaps of one tick (two with
    probability 0.2), sizes between ``size[0]`` and ``size[1]`` shares growing with depth.

    Returns
    -------
    slopes, widths : ndarray of shape (N, levels)
        Dollars per share above the mid, and whole shares.
    """
    lo, hi = size
    ticks = rng.choice(np.asarray(spread_ticks), size=N)
    if open_widening:
        ticks = ticks + (np.exp(-_tau(N) / 0.05) * 2.0).round().astype(int)
    half = ticks * (TICK / 2.0)
    gaps = np.where(rng.random((N, levels)) < 0.2, 2, 1)
    gaps[:, 0] = 0
    offsets = np.cumsum(gaps, axis=1) * TICK
    slopes = np.round(half[:, None] + offsets, 4)
    base = rng.uniform(lo, lo + 0.2 * (hi - lo), N)
    growth = 1.0 + 0.35 * np.arange(levels)
    sizes = base[:, None] * growth[None, :] * rng.lognormal(0.0, 0.2, (N, levels))
    widths = np.clip(np.round(sizes), lo, hi)
    return slopes, widths


def _spec(
    id: str,
    group: str,
    description: str,
    tags: Iterable[str],
    *,
    price: float,
    shares: float,
    periods: int,
    impact: dict[str, Any],
    cap: Any = None,
    risk_aversion: float = 0.0,
    volatility: Any = 0.0,
    infeasible: bool = False,
    transient: dict[str, Any] | None = None,
    permanent: float = 0.0,
) -> Spec:
    # every numeric parameter (per period, or [N][K] for a book walk) stored compactly
    imp = {k: v if isinstance(v, str) else _compact(v) for k, v in impact.items()}
    cap_v = _compact(cap)
    tags = list(dict.fromkeys(tags))
    if cap_v is None:
        tags.append("uncapped")
    else:
        tags.append("cap:scalar" if np.ndim(cap_v) == 0 else "cap:per-period")
    out: Spec = {
        "id": id,
        "version": FORMAT_VERSION,
        "family": "",
        "group": group,
        "cone": "",
        "description": description,
        "tags": tags,
        "price": price,
        "shares": float(shares),
        "periods": int(periods),
        "impact": imp,
        "cap": cap_v,
        "risk_aversion": float(risk_aversion),
        "volatility": _compact(volatility),
        "infeasible": bool(infeasible),
    }
    # the price-impact fields of format version 3 appear only where they are used
    if transient is not None:
        out["transient"] = {
            k: v if isinstance(v, str) else (list(v) if np.ndim(v) else float(v))
            for k, v in transient.items()
        }
    if permanent:
        out["permanent"] = float(permanent)
    out["family"] = family_of(out)
    out["cone"] = cone_of(out)
    return out


def _quad(a: Any, b: Any) -> dict[str, Any]:
    return {"model": "quadratic", "a": a, "b": b}


def _power(gamma: Any, delta: Any) -> dict[str, Any]:
    return {"model": "power", "gamma": gamma, "delta": delta, "basis": "per_share"}


def _pw(slopes: Any, widths: Any) -> dict[str, Any]:
    return {"model": "piecewise", "slopes": slopes, "widths": widths}


def _exp_kernel(strength: float, half_life: float) -> dict[str, Any]:
    return {"kernel": "exponential", "strength": strength, "half_life": half_life}


def _power_kernel(strength: float, beta: float, l0: float) -> dict[str, Any]:
    return {"kernel": "power_law", "strength": strength, "beta": beta, "l0": l0}


def _tabulated_kernel(values: Any) -> dict[str, Any]:
    return {"kernel": "tabulated", "values": [float(v) for v in np.asarray(values).ravel()]}


def _intraday_quadratic(
    stock: str, N: int, rng: np.random.Generator
) -> tuple[Any, Any, FloatArray]:
    """U-shaped ``a_t`` (spread-like), ``b_t`` (inverse volume) and per-period volume, shares."""
    st = STOCKS[stock]
    vol = volume_profile(N, rng)
    spr = spread_profile(N, rng)
    a = _sig(st["a"] * spr)
    b = _sig(st["b"] / vol * (390.0 / N))  # coarser periods: more volume, flatter impact
    volume = st["volume"] * (390.0 / N) * vol
    return a, b, volume
