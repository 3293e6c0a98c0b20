"""Deterministic generator of the reference suite (``scripts/make_suite.py`` runs :func:`main`).

Every instance is built from its own random stream,
``SeedSequence(SUITE_SEED, spawn_key=(family, k))``, so an instance does not depend on which
others are generated (regenerating a few reproduces their bytes exactly), and is then certified:

1. the optimum is computed by the exact water-filling solver (``exact``); for mean-variance
   instances, which water-filling does not cover, by Clarabel at its pinned tight tolerances;
2. independent solvers cross-check its objective: Clarabel, SCS (and OSQP on quadratic
   programs) through cvxpy, or, for ``N > CVXPY_MAX_N`` (where cvxpy's compilation needs dense
   memory), Clarabel called directly on a sparse QP (``clarabel-direct``). Those that agree within
   ``CROSSCHECK_RTOL`` (plus a tiny absolute part, see :mod:`.format`) are listed in
   ``certified_by``; at least one independent solver must agree, and generation stops if any
   solver finds a *lower* objective (the optimum would not be optimal). A solver that stops above
   the optimum (OSQP on some linear programs) is recorded in ``crosscheck`` only;
3. the KKT certificate of the stored schedule must show it feasible with a duality (or
   Frank–Wolfe) bound gap within ``BOUND_RTOL``.

Families (``family`` field; counts in the manifest): ``quadratic`` (reference presets, time-invariant),
``quadratic-intraday`` (U-shaped liquidity, caps from volume), ``power`` (per-share power law),
``piecewise`` (walks of synthetic 10-level books shaped like FROG: $0.01 tick, $0.05–0.07
spread, 50–500 shares per level growing with depth), ``mean-variance`` (Almgren–Chriss risk
term), ``large`` (N up to 100,000), ``badly-scaled`` (S = 1e8 with b = 1e-9, tiny orders, mixed
magnitudes), ``degenerate`` (S = 0, S = sum of caps, ties, zero-cost periods, linear costs) and
``infeasible`` (no schedule exists; no optimum).

The synthetic books are generated here (not by :mod:`execopt.data.synthetic`) so that the frozen
suite cannot change when that generator is recalibrated. No real market data is used.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from execopt.errors import InfeasibleError, NotSupportedError, SolverError
from execopt.problem.certificate import FEAS_ATOL_REL, certify, knapsack_min
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.api import solve
from execopt.studies.suite.format import (
    CROSSCHECK_ATOL_NOTIONAL,
    FORMAT_VERSION,
    MANIFEST,
    SUITE_VERSION,
    problem_from_instance,
    to_json_value,
    write_instance,
    write_manifest,
)

__all__ = [
    "BOUND_RTOL",
    "CROSSCHECK_RTOL",
    "CVXPY_MAX_N",
    "FAMILIES",
    "STOCKS",
    "SUITE_SEED",
    "build_instance",
    "clarabel_direct",
    "default_output",
    "frank_wolfe_gap",
    "generate_suite",
    "instance_specs",
    "main",
    "spread_profile",
    "synthetic_book_curve",
    "volume_profile",
]

FloatArray = NDArray[np.float64]
Spec = dict[str, Any]

#: Root seed of the suite (the FROG sample's date).
SUITE_SEED = 20250403
#: Relative agreement every cross-checking solver must reach with the stored optimum.
CROSSCHECK_RTOL = 1e-6
#: Largest certificate bound gap (objective minus the dual / Frank–Wolfe lower bound), relative to
#: the objective, accepted for a stored optimum.
BOUND_RTOL = 1e-6
#: Largest N solved through cvxpy when cross-checking (above it cvxpy 1.9's parameter tensor is
#: dense: N = 100,000 asked for 224 GiB); larger quadratic instances use ``clarabel-direct``.
CVXPY_MAX_N = 20_000
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


def _compact(v: Any) -> Any:
    """A per-period array whose entries are all equal becomes a scalar (see the format)."""
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
    family: str,
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
) -> Spec:
    imp = dict(impact)
    for k in ("a", "b", "gamma", "delta"):
        if k in imp:
            imp[k] = _compact(imp[k])
    if imp["model"] == "piecewise":
        imp["slopes"] = _compact(imp["slopes"])
        imp["widths"] = _compact(imp["widths"])
    cap_v = _compact(cap)
    tags = list(dict.fromkeys(tags))
    if cap_v is None:
        tags.append("uncapped")
    else:
        tags.append("cap:scalar" if np.ndim(cap_v) == 0 else "cap:per-period")
    return {
        "id": id,
        "version": FORMAT_VERSION,
        "family": family,
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


def _quad(a: Any, b: Any) -> dict[str, Any]:
    return {"model": "quadratic", "a": a, "b": b}


def _power(gamma: Any, delta: Any) -> dict[str, Any]:
    return {"model": "power", "gamma": gamma, "delta": delta, "basis": "per_share"}


def _pw(slopes: Any, widths: Any) -> dict[str, Any]:
    return {"model": "piecewise", "slopes": slopes, "widths": widths}


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


# ----------------------------------------------------------------------------- families
def _fam_quadratic() -> list[Spec]:
    out = []
    for stock, st in STOCKS.items():
        for N in (1, 10, 390):
            out.append(
                _spec(
                    f"q-{stock}-n{N}",
                    "quadratic",
                    f"{stock.upper()} seed quadratic (a = {st['a']}, b = {st['b']}), time-invariant: "
                    "the optimum is equal allocation S/N (Jensen).",
                    ["quadratic", "time-invariant", stock],
                    price=st["price"],
                    shares=st["S"],
                    periods=N,
                    impact=_quad(st["a"], st["b"]),
                )
            )
        out.append(
            _spec(
                f"q-{stock}-n390-cap",
                "quadratic",
                f"{stock.upper()} seed quadratic with a non-binding scalar cap (1.5 S/N).",
                ["quadratic", "time-invariant", stock],
                price=st["price"],
                shares=st["S"],
                periods=390,
                impact=_quad(st["a"], st["b"]),
                cap=float(np.ceil(1.5 * st["S"] / 390)),
            )
        )
    return out


def _fam_quadratic_intraday() -> list[Spec]:
    out = []
    k = 0
    for stock, st in STOCKS.items():
        for N in (30, 390):
            for capkind in ("none", "scalar", "per-period"):
                rng = _rng(1, k)
                k += 1
                a, b, volume = _intraday_quadratic(stock, N, rng)
                S = st["S"]
                cap: Any = None
                if capkind == "scalar":
                    cap = float(np.ceil(1.6 * S / N))
                elif capkind == "per-period":
                    cap = _caps_from_volume(volume)
                    S = float(np.round(0.5 * cap.sum()))
                suffix = {"none": "", "scalar": "-cap", "per-period": "-caps"}[capkind]
                out.append(
                    _spec(
                        f"qi-{stock}-n{N}{suffix}",
                        "quadratic-intraday",
                        f"{stock.upper()}-like quadratic with intraday U-shaped liquidity "
                        f"(a_t spread-like, b_t inverse volume), N = {N}"
                        + (
                            ""
                            if cap is None
                            else ", caps u_t = min(0.1 volume_t, 1000)"
                            if capkind == "per-period"
                            else ", binding scalar cap"
                        ),
                        ["quadratic", "intraday", stock],
                        price=st["price"],
                        shares=S,
                        periods=N,
                        impact=_quad(a, b),
                        cap=cap,
                    )
                )
    return out


def _fam_power() -> list[Spec]:
    st = STOCKS["soun"]
    g0, d0, S0 = 0.015, 0.67, 20_000.0
    out = []
    for N in (10, 390):
        out.append(
            _spec(
                f"pow-soun-n{N}",
                "power",
                "SOUN seed power law g(x) = 0.015 x^0.67 per share (c = 0.015 x^1.67), "
                "time-invariant: equal allocation.",
                ["power", "time-invariant", "soun"],
                price=st["price"],
                shares=S0,
                periods=N,
                impact=_power(g0, d0),
            )
        )
    k = 0
    for N in (30, 390):
        for capkind in ("none", "scalar", "per-period"):
            rng = _rng(2, k)
            k += 1
            vol = volume_profile(N, rng)
            gamma = _sig(g0 * spread_profile(N, rng) / np.sqrt(vol) * (390.0 / N) ** 0.2)
            S = S0
            cap: Any = None
            if capkind == "scalar":
                cap = float(np.ceil(1.5 * S / N))
            elif capkind == "per-period":
                cap = _caps_from_volume(st["volume"] * (390.0 / N) * vol * 0.02, hard=1e4)
                S = float(np.round(0.6 * cap.sum()))
            suffix = {"none": "", "scalar": "-cap", "per-period": "-caps"}[capkind]
            out.append(
                _spec(
                    f"powi-soun-n{N}{suffix}",
                    "power",
                    f"SOUN-like per-share power law (delta = {d0}) with intraday gamma_t, N = {N}.",
                    ["power", "intraday", "soun"],
                    price=st["price"],
                    shares=S,
                    periods=N,
                    impact=_power(gamma, d0),
                    cap=cap,
                )
            )
    for j, d in enumerate((0.3, 0.5, 1.0)):
        rng = _rng(2, 100 + j)
        gamma = _sig(g0 / np.sqrt(volume_profile(390, rng)))
        out.append(
            _spec(
                f"powi-delta{str(d).replace('.', 'p')}-n390",
                "power",
                f"Per-share power law with delta = {d} and intraday gamma_t (delta = 1 is a "
                "quadratic in disguise).",
                ["power", "intraday"],
                price=st["price"],
                shares=S0,
                periods=390,
                impact=_power(gamma, d),
            )
        )
    rng = _rng(2, 200)
    N = 390
    gamma = _sig(g0 / np.sqrt(volume_profile(N, rng)))
    delta = np.where(_tau(N) < 0.5, 0.5, 0.8)
    out.append(
        _spec(
            "powi-twodelta-n390-cap",
            "power",
            "Per-share power law whose exponent changes at noon (0.5 then 0.8), scalar cap: two "
            "exact power cones, solved exactly by bisection on lam.",
            ["power", "intraday", "time-varying-exponent"],
            price=st["price"],
            shares=S0,
            periods=N,
            impact=_power(gamma, delta),
            cap=120.0,
        )
    )
    rng = _rng(2, 201)
    fr = STOCKS["frog"]
    vol = volume_profile(N, rng)
    gamma = _sig(0.004 * spread_profile(N, rng) / vol**0.5)
    cap = _caps_from_volume(fr["volume"] * vol)
    out.append(
        _spec(
            "powi-frog-n390-caps",
            "power",
            "FROG-like per-share power law (gamma ~ 0.004, delta = 0.5), caps from volume.",
            ["power", "intraday", "frog"],
            price=fr["price"],
            shares=float(np.round(0.4 * cap.sum())),
            periods=N,
            impact=_power(gamma, 0.5),
            cap=cap,
        )
    )
    return out


def _fam_piecewise() -> list[Spec]:
    out = []
    fr = STOCKS["frog"]
    k = 0
    for N, S in ((5, 5_000.0), (30, 30_000.0), (390, 200_000.0)):
        for capkind in ("none", "scalar", "per-period"):
            rng = _rng(3, k)
            k += 1
            sl, w = synthetic_book_curve(rng, N, spread_ticks=fr["spread_ticks"], size=fr["size"])
            cap: Any = None
            SS = S
            if capkind == "scalar":
                cap = float(np.ceil(1.3 * S / N))
            elif capkind == "per-period":
                vol = volume_profile(N, rng)
                cap = np.floor(0.5 * w.sum(axis=1) * np.clip(vol, 0.3, 2.0))
                SS = float(np.round(0.6 * cap.sum()))
            suffix = {"none": "", "scalar": "-cap", "per-period": "-caps"}[capkind]
            out.append(
                _spec(
                    f"pw-frog-n{N}{suffix}",
                    "piecewise",
                    f"Walk of synthetic FROG-shaped 10-level books (tick $0.01, spread 5-7 ticks, "
                    f"50-500 shares per level), N = {N}.",
                    ["piecewise", "book", "intraday", "frog"],
                    price=fr["price"],
                    shares=SS,
                    periods=N,
                    impact=_pw(sl, w),
                    cap=cap,
                )
            )
    cr, so = STOCKS["crwv"], STOCKS["soun"]
    rng = _rng(3, 100)
    sl, w = synthetic_book_curve(rng, 390, spread_ticks=cr["spread_ticks"], size=cr["size"])
    out.append(
        _spec(
            "pw-crwv-n390",
            "piecewise",
            "Walk of synthetic CRWV-shaped books (spread 6-8 ticks), N = 390, uncapped.",
            ["piecewise", "book", "intraday", "crwv"],
            price=cr["price"],
            shares=300_000.0,
            periods=390,
            impact=_pw(sl, w),
        )
    )
    rng = _rng(3, 101)
    sl, w = synthetic_book_curve(rng, 390, spread_ticks=so["spread_ticks"], size=so["size"])
    vol = volume_profile(390, rng)
    cap = _caps_from_volume(so["volume"] * vol, hard=5000.0)
    out.append(
        _spec(
            "pw-soun-n390-caps",
            "piecewise",
            "Walk of synthetic SOUN-shaped books (1-2 tick spread, 500-5000 shares per level), "
            "caps from volume.",
            ["piecewise", "book", "intraday", "soun"],
            price=so["price"],
            shares=float(np.round(0.5 * cap.sum())),
            periods=390,
            impact=_pw(sl, w),
            cap=cap,
        )
    )
    rng = _rng(3, 102)
    sl, w = synthetic_book_curve(rng, 1, spread_ticks=fr["spread_ticks"], size=fr["size"])
    vol = volume_profile(390, rng)
    cap = _caps_from_volume(fr["volume"] * vol)
    out.append(
        _spec(
            "pw-frog-shared-n390-caps",
            "piecewise",
            "One FROG-shaped book shared by every period ([K] slopes and widths) with caps from "
            "volume: the caps alone shape the schedule.",
            ["piecewise", "book", "time-invariant", "frog"],
            price=fr["price"],
            shares=float(np.round(0.7 * cap.sum())),
            periods=390,
            impact=_pw(sl[0], w[0]),
            cap=cap,
        )
    )
    rng = _rng(3, 103)
    sl, w = synthetic_book_curve(rng, 1, spread_ticks=fr["spread_ticks"], size=fr["size"])
    out.append(
        _spec(
            "pw-frog-n1",
            "piecewise",
            "A single period: walk one FROG-shaped book for 1,500 shares.",
            ["piecewise", "book", "frog", "N=1"],
            price=fr["price"],
            shares=1500.0,
            periods=1,
            impact=_pw(sl, w),
        )
    )
    return out


def _fam_mean_variance() -> list[Spec]:
    fr = STOCKS["frog"]
    out = []
    for N in (10, 390):
        for k_ra in (1e-6, 1e-4):
            out.append(
                _spec(
                    f"mv-frog-n{N}-k{k_ra:.0e}".replace("e-0", "e-"),
                    "mean-variance",
                    f"Almgren–Chriss: FROG seed quadratic plus risk aversion k = {k_ra:g} with "
                    f"sigma = {SIGMA_FROG} $/share/period, N = {N}: a front-loaded trajectory.",
                    ["mean-variance", "quadratic", "time-invariant", "frog"],
                    price=fr["price"],
                    shares=fr["S"],
                    periods=N,
                    impact=_quad(fr["a"], fr["b"]),
                    risk_aversion=k_ra,
                    volatility=SIGMA_FROG,
                )
            )
    out.append(
        _spec(
            "mv-frog-n390-k1e-4-cap",
            "mean-variance",
            "Almgren–Chriss with k = 1e-4 and a scalar cap that binds in the first periods.",
            ["mean-variance", "quadratic", "time-invariant", "frog"],
            price=fr["price"],
            shares=fr["S"],
            periods=390,
            impact=_quad(fr["a"], fr["b"]),
            risk_aversion=1e-4,
            volatility=SIGMA_FROG,
            cap=60.0,
        )
    )
    rng = _rng(4, 0)
    a, b, volume = _intraday_quadratic("frog", 390, rng)
    sig = _sig(SIGMA_FROG * np.sqrt(volume_profile(390, rng, noise=0.1)))
    out.append(
        _spec(
            "mv-frog-n390-intraday",
            "mean-variance",
            "Mean-variance with intraday a_t, b_t and U-shaped volatility sigma_t, k = 1e-5.",
            ["mean-variance", "quadratic", "intraday", "frog"],
            price=fr["price"],
            shares=fr["S"],
            periods=390,
            impact=_quad(a, b),
            risk_aversion=1e-5,
            volatility=sig,
        )
    )
    cap = _caps_from_volume(volume)
    out.append(
        _spec(
            "mv-frog-n390-intraday-caps",
            "mean-variance",
            "Mean-variance with intraday parameters, U-shaped volatility and caps from volume.",
            ["mean-variance", "quadratic", "intraday", "frog"],
            price=fr["price"],
            shares=float(np.round(0.5 * cap.sum())),
            periods=390,
            impact=_quad(a, b),
            cap=cap,
            risk_aversion=1e-5,
            volatility=sig,
        )
    )
    so = STOCKS["soun"]
    out.append(
        _spec(
            "mv-soun-power-n390",
            "mean-variance",
            "Mean-variance with the SOUN per-share power law (exact power cone plus a quadratic "
            "risk term), k = 1e-4.",
            ["mean-variance", "power", "time-invariant", "soun"],
            price=so["price"],
            shares=20_000.0,
            periods=390,
            impact=_power(0.015, 0.67),
            risk_aversion=1e-4,
            volatility=0.02,
        )
    )
    rng = _rng(4, 1)
    sl, w = synthetic_book_curve(rng, 30, spread_ticks=fr["spread_ticks"], size=fr["size"])
    out.append(
        _spec(
            "mv-frog-book-n30",
            "mean-variance",
            "Mean-variance over synthetic FROG-shaped book walks, N = 30, k = 1e-4.",
            ["mean-variance", "piecewise", "book", "frog"],
            price=fr["price"],
            shares=20_000.0,
            periods=30,
            impact=_pw(sl, w),
            risk_aversion=1e-4,
            volatility=SIGMA_FROG * np.sqrt(13.0),
        )
    )
    out.append(
        _spec(
            "mv-frog-n1",
            "mean-variance",
            "Mean-variance with a single period (the risk term is zero: R_1 = 0).",
            ["mean-variance", "quadratic", "N=1", "frog"],
            price=fr["price"],
            shares=fr["S"],
            periods=1,
            impact=_quad(fr["a"], fr["b"]),
            risk_aversion=1e-4,
            volatility=SIGMA_FROG,
        )
    )
    out.append(
        _spec(
            "mv-frog-n50-k1e-2",
            "mean-variance",
            "Very risk-averse (k = 1e-2): almost everything in the first periods.",
            ["mean-variance", "quadratic", "time-invariant", "frog"],
            price=fr["price"],
            shares=fr["S"],
            periods=50,
            impact=_quad(fr["a"], fr["b"]),
            risk_aversion=1e-2,
            volatility=SIGMA_FROG,
        )
    )
    out.append(
        _spec(
            "mv-frog-n390-zerovol",
            "mean-variance",
            "Risk aversion k = 1e-4 but zero volatility: the risk term vanishes (equal allocation).",
            ["mean-variance", "quadratic", "time-invariant", "frog", "degenerate"],
            price=fr["price"],
            shares=fr["S"],
            periods=390,
            impact=_quad(fr["a"], fr["b"]),
            risk_aversion=1e-4,
            volatility=0.0,
        )
    )
    return out


def _fam_large() -> list[Spec]:
    fr = STOCKS["frog"]
    out = []
    rng = _rng(5, 0)
    a, b, volume = _intraday_quadratic("frog", 1000, rng)
    cap = _caps_from_volume(volume)
    out.append(
        _spec(
            "big-qi-n1000-caps",
            "large",
            "Intraday quadratic over N = 1,000 periods with caps from volume.",
            ["quadratic", "intraday", "large-N", "frog"],
            price=fr["price"],
            shares=float(np.round(0.5 * cap.sum())),
            periods=1000,
            impact=_quad(a, b),
            cap=cap,
        )
    )
    N = 10_000
    rng = _rng(5, 1)
    vol = volume_profile(N, rng)
    b = _sig(fr["b"] * (N / 390.0) / vol, 5)  # finer periods: less volume, steeper impact
    cap = _caps_from_volume(fr["volume"] * (390.0 / N) * vol)
    out.append(
        _spec(
            "big-qi-n10000-caps",
            "large",
            "Quadratic with intraday b_t over N = 10,000 periods (scalar a), caps from volume.",
            ["quadratic", "intraday", "large-N", "frog"],
            price=fr["price"],
            shares=float(np.round(0.6 * cap.sum())),
            periods=N,
            impact=_quad(fr["a"], b),
            cap=cap,
        )
    )
    rng = _rng(5, 2)
    gamma = _sig(0.015 * 39.0**0.2 / np.sqrt(volume_profile(N, rng)), 5)
    out.append(
        _spec(
            "big-powi-n10000-cap",
            "large",
            "Per-share power law (delta = 0.67) with intraday gamma_t over N = 10,000, scalar cap.",
            ["power", "intraday", "large-N", "soun"],
            price=STOCKS["soun"]["price"],
            shares=300_000.0,
            periods=N,
            impact=_power(gamma, 0.67),
            cap=45.0,
        )
    )
    rng = _rng(5, 3)
    sl, w = synthetic_book_curve(rng, 1, spread_ticks=fr["spread_ticks"], size=fr["size"])
    vol = volume_profile(2000, rng)
    cap = np.floor(np.clip(300.0 * vol, 1.0, 2000.0))
    out.append(
        _spec(
            "big-pw-n2000-caps",
            "large",
            "One FROG-shaped book shared by N = 2,000 periods, caps from volume.",
            ["piecewise", "book", "large-N", "frog"],
            price=fr["price"],
            shares=float(np.round(0.7 * cap.sum())),
            periods=2000,
            impact=_pw(sl[0], w[0]),
            cap=cap,
        )
    )
    N = 100_000
    out.append(
        _spec(
            "big-q-n100000",
            "large",
            "FROG seed quadratic over N = 100,000 periods, uncapped: equal allocation.",
            ["quadratic", "time-invariant", "large-N", "frog"],
            price=fr["price"],
            shares=2_500_000.0,
            periods=N,
            impact=_quad(fr["a"], fr["b"]),
        )
    )
    rng = _rng(5, 4)
    cap = rng.integers(1, 61, N).astype(float)
    out.append(
        _spec(
            "big-q-n100000-caps",
            "large",
            "FROG seed quadratic over N = 100,000 periods with random whole-share caps 1-60: "
            "x_t = min(u_t, z), most periods at their cap.",
            ["quadratic", "time-invariant", "large-N", "frog"],
            price=fr["price"],
            shares=float(np.round(0.97 * cap.sum())),
            periods=N,
            impact=_quad(fr["a"], fr["b"]),
            cap=cap,
        )
    )
    out.append(
        _spec(
            "big-q-n100000-full",
            "large",
            "N = 100,000 periods with a scalar cap of 25 shares and S = 25 N: the only feasible "
            "schedule is x_t = 25.",
            ["quadratic", "time-invariant", "large-N", "degenerate", "S=sum-caps", "frog"],
            price=fr["price"],
            shares=2_500_000.0,
            periods=N,
            impact=_quad(fr["a"], fr["b"]),
            cap=25.0,
        )
    )
    return out


def _fam_badly_scaled() -> list[Spec]:
    out = []
    N = 390
    out.append(
        _spec(
            "bad-q-s1e8",
            "badly-scaled",
            "S = 1e8 shares with a = 0.01, b = 1e-9 (costs span 1e6 dollars, b x^2 tiny per share).",
            ["quadratic", "time-invariant", "badly-scaled"],
            price=1.0,
            shares=1e8,
            periods=N,
            impact=_quad(0.01, 1e-9),
        )
    )
    rng = _rng(6, 0)
    vol = volume_profile(N, rng)
    cap = np.floor(1e6 * vol)
    out.append(
        _spec(
            "bad-qi-s1e8-caps",
            "badly-scaled",
            "S = 1e8, intraday a_t ~ 0.01, b_t ~ 1e-9 / volume_t, caps ~ 1e6 shares.",
            ["quadratic", "intraday", "badly-scaled"],
            price=1.0,
            shares=float(np.round(0.5 * cap.sum())),
            periods=N,
            impact=_quad(_sig(0.01 * spread_profile(N, rng)), _sig(1e-9 / vol)),
            cap=cap,
        )
    )
    out.append(
        _spec(
            "bad-q-s1e8-a0-cap",
            "badly-scaled",
            "S = 1e8, pure quadratic (a = 0, b = 1e-9), scalar cap 4e5: a tiny objective scale.",
            ["quadratic", "time-invariant", "badly-scaled", "zero-linear"],
            price=1.0,
            shares=1e8,
            periods=N,
            impact=_quad(0.0, 1e-9),
            cap=4e5,
        )
    )
    rng = _rng(6, 1)
    out.append(
        _spec(
            "bad-powi-s1e8",
            "badly-scaled",
            "S = 1e8 with a per-share power law gamma_t ~ 1e-6, delta = 0.5.",
            ["power", "intraday", "badly-scaled"],
            price=1.0,
            shares=1e8,
            periods=N,
            impact=_power(_sig(1e-6 / np.sqrt(volume_profile(N, rng))), 0.5),
        )
    )
    rng = _rng(6, 2)
    sl, w = synthetic_book_curve(rng, 30, spread_ticks=(1, 2), size=(1e5, 1e6))
    out.append(
        _spec(
            "bad-pw-s1e7",
            "badly-scaled",
            "Book walks with 1e5-1e6 shares per level and S = 1e7 over N = 30.",
            ["piecewise", "book", "badly-scaled"],
            price=1.0,
            shares=1e7,
            periods=30,
            impact=_pw(sl, w),
        )
    )
    out.append(
        _spec(
            "bad-q-tiny-order",
            "badly-scaled",
            "A tiny order, S = 0.001 shares, with the FROG seed quadratic over N = 390.",
            ["quadratic", "time-invariant", "badly-scaled", "frog"],
            price=31.45,
            shares=1e-3,
            periods=N,
            impact=_quad(0.018, 0.0009),
        )
    )
    rng = _rng(6, 3)
    b = _sig(10.0 ** rng.uniform(-9.0, -1.0, N))
    a = _sig(10.0 ** rng.uniform(-4.0, -1.0, N))
    out.append(
        _spec(
            "bad-qi-mixed-magnitudes",
            "badly-scaled",
            "b_t spread over eight orders of magnitude (1e-9 to 1e-1), a_t over three, S = 1e6.",
            ["quadratic", "intraday", "badly-scaled"],
            price=10.0,
            shares=1e6,
            periods=N,
            impact=_quad(a, b),
        )
    )
    out.append(
        _spec(
            "bad-mv-s1e8",
            "badly-scaled",
            "Mean-variance at S = 1e8: b = 1e-9, k = 1e-12, sigma = 0.05, N = 50.",
            ["mean-variance", "quadratic", "badly-scaled"],
            price=1.0,
            shares=1e8,
            periods=50,
            impact=_quad(0.01, 1e-9),
            risk_aversion=1e-12,
            volatility=0.05,
        )
    )
    return out


def _fam_degenerate() -> list[Spec]:
    fr = STOCKS["frog"]
    out = []
    rng = _rng(7, 0)
    a, b, volume = _intraday_quadratic("frog", 390, rng)
    base = ["degenerate"]
    out.append(
        _spec(
            "deg-s0-qi",
            "degenerate",
            "S = 0: nothing to trade (intraday quadratic).",
            [*base, "S=0", "quadratic", "intraday"],
            price=fr["price"],
            shares=0.0,
            periods=390,
            impact=_quad(a, b),
        )
    )
    out.append(
        _spec(
            "deg-s0-pow",
            "degenerate",
            "S = 0 with the SOUN power law, N = 30, scalar cap.",
            [*base, "S=0", "power"],
            price=STOCKS["soun"]["price"],
            shares=0.0,
            periods=30,
            impact=_power(0.015, 0.67),
            cap=100.0,
        )
    )
    sl, w = synthetic_book_curve(_rng(7, 1), 30)
    out.append(
        _spec(
            "deg-s0-pw",
            "degenerate",
            "S = 0 with FROG-shaped book walks, N = 30.",
            [*base, "S=0", "piecewise", "book"],
            price=fr["price"],
            shares=0.0,
            periods=30,
            impact=_pw(sl, w),
        )
    )
    out.append(
        _spec(
            "deg-s0-mv",
            "degenerate",
            "S = 0 with a mean-variance term, N = 10.",
            [*base, "S=0", "mean-variance", "quadratic"],
            price=fr["price"],
            shares=0.0,
            periods=10,
            impact=_quad(fr["a"], fr["b"]),
            risk_aversion=1e-4,
            volatility=SIGMA_FROG,
        )
    )
    out.append(
        _spec(
            "deg-full-q-cap",
            "degenerate",
            "S = N x cap (scalar cap 30, N = 390): the only feasible schedule is x_t = 30.",
            [*base, "S=sum-caps", "quadratic", "intraday"],
            price=fr["price"],
            shares=30.0 * 390,
            periods=390,
            impact=_quad(a, b),
            cap=30.0,
        )
    )
    cap = _caps_from_volume(volume)
    out.append(
        _spec(
            "deg-full-qi-caps",
            "degenerate",
            "S equal to the sum of per-period caps: x_t = u_t is the only feasible schedule.",
            [*base, "S=sum-caps", "quadratic", "intraday"],
            price=fr["price"],
            shares=float(cap.sum()),
            periods=390,
            impact=_quad(a, b),
            cap=cap,
        )
    )
    sl, w = synthetic_book_curve(_rng(7, 2), 30)
    out.append(
        _spec(
            "deg-full-pw-depth",
            "degenerate",
            "S equal to the total visible depth of 30 books: every level is swept.",
            [*base, "S=sum-caps", "piecewise", "book"],
            price=fr["price"],
            shares=float(w.sum()),
            periods=30,
            impact=_pw(sl, w),
        )
    )
    rng = _rng(7, 3)
    cap_p = np.floor(rng.uniform(50, 200, 30))
    out.append(
        _spec(
            "deg-full-pow-caps",
            "degenerate",
            "S equal to the sum of per-period caps with a power law, N = 30.",
            [*base, "S=sum-caps", "power"],
            price=STOCKS["soun"]["price"],
            shares=float(cap_p.sum()),
            periods=30,
            impact=_power(0.015, 0.67),
            cap=cap_p,
        )
    )
    pair_a = np.repeat(_sig(rng.uniform(0.01, 0.03, 20)), 2)
    pair_b = np.repeat(_sig(rng.uniform(0.0005, 0.0015, 20)), 2)
    out.append(
        _spec(
            "deg-ties-q-pairs",
            "degenerate",
            "Twenty pairs of identical periods and a binding scalar cap: tied periods must get "
            "the same shares.",
            [*base, "ties", "quadratic"],
            price=fr["price"],
            shares=3000.0,
            periods=40,
            impact=_quad(pair_a, pair_b),
            cap=90.0,
        )
    )
    sl, w = synthetic_book_curve(_rng(7, 4), 1)
    out.append(
        _spec(
            "deg-ties-pw-same-book",
            "degenerate",
            "The same book in all 50 periods, uncapped: every level price is tied across periods "
            "(the optimum splits equally).",
            [*base, "ties", "piecewise", "book", "time-invariant"],
            price=fr["price"],
            shares=20_000.0,
            periods=50,
            impact=_pw(sl[0], w[0]),
        )
    )
    sl, w = synthetic_book_curve(_rng(7, 5), 40, spread_ticks=(5,), open_widening=False)
    out.append(
        _spec(
            "deg-ties-pw-grid",
            "degenerate",
            "40 books on one price grid (same spread, level prices tied across periods) but "
            "different sizes: the marginal level is shared by many periods.",
            [*base, "ties", "piecewise", "book"],
            price=fr["price"],
            shares=25_000.0,
            periods=40,
            impact=_pw(sl, w),
        )
    )
    out.append(
        _spec(
            "deg-zero-linear",
            "degenerate",
            "a = 0 in every period (no linear cost), intraday b_t, N = 390.",
            [*base, "zero-linear", "quadratic", "intraday"],
            price=fr["price"],
            shares=fr["S"],
            periods=390,
            impact=_quad(0.0, b),
        )
    )
    za = np.asarray(a, dtype=float).copy()
    zb = np.asarray(b, dtype=float).copy()
    free = np.zeros(390, dtype=bool)
    free[::20] = True
    za[free], zb[free] = 0.0, 0.0
    out.append(
        _spec(
            "deg-zero-cost-cap",
            "degenerate",
            "20 zero-cost periods (a_t = b_t = 0) and a scalar cap of 100: the free periods fill "
            "to the cap first, the rest is water-filled.",
            [*base, "zero-cost", "quadratic", "intraday"],
            price=fr["price"],
            shares=fr["S"],
            periods=390,
            impact=_quad(za, zb),
            cap=100.0,
        )
    )
    zq_a = np.r_[np.zeros(5), np.full(5, 0.018)]
    zq_b = np.r_[np.zeros(5), np.full(5, 0.0009)]
    out.append(
        _spec(
            "deg-zero-cost-uncapped",
            "degenerate",
            "Five free periods without caps: the optimum is 0 dollars and any split among the "
            "free periods attains it (the schedule is not unique).",
            [*base, "zero-cost", "non-unique", "quadratic"],
            price=fr["price"],
            shares=1000.0,
            periods=10,
            impact=_quad(zq_a, zq_b),
        )
    )
    sl, w = synthetic_book_curve(_rng(7, 6), 30)
    sl = sl.copy()
    sl[::3, 0] = 0.0
    out.append(
        _spec(
            "deg-zero-slope-pw",
            "degenerate",
            "Book walks where every third book has a free first level (slope 0, e.g. midpoint "
            "liquidity).",
            [*base, "zero-cost", "piecewise", "book"],
            price=fr["price"],
            shares=15_000.0,
            periods=30,
            impact=_pw(sl, w),
        )
    )
    rng = _rng(7, 7)
    la = _sig(rng.uniform(0.01, 0.03, 30))
    out.append(
        _spec(
            "deg-linear-caps",
            "degenerate",
            "Linear costs (b = 0) with per-period a_t and a scalar cap: a linear program whose "
            "optimum fills the cheapest periods.",
            [*base, "linear", "quadratic"],
            price=fr["price"],
            shares=1000.0,
            periods=30,
            impact=_quad(la, 0.0),
            cap=150.0,
        )
    )
    la2 = np.asarray(la).copy()
    la2[:6] = float(np.min(la))
    out.append(
        _spec(
            "deg-linear-ties",
            "degenerate",
            "Linear costs with six periods tied at the cheapest a_t and a cap: the tie is split "
            "(many optimal schedules, one optimal objective).",
            [*base, "linear", "ties", "non-unique", "quadratic"],
            price=fr["price"],
            shares=1000.0,
            periods=30,
            impact=_quad(la2, 0.0),
            cap=150.0,
        )
    )
    out.append(
        _spec(
            "deg-n1-cap-equals-s",
            "degenerate",
            "One period with a cap equal to S.",
            [*base, "N=1", "S=sum-caps", "quadratic"],
            price=fr["price"],
            shares=fr["S"],
            periods=1,
            impact=_quad(fr["a"], fr["b"]),
            cap=fr["S"],
        )
    )
    return out


def _fam_infeasible() -> list[Spec]:
    fr = STOCKS["frog"]
    out = []
    base = ["infeasible"]
    out.append(
        _spec(
            "inf-q-cap",
            "infeasible",
            "S = 10,000 but a scalar cap of 20 over 390 periods (7,800).",
            [*base, "quadratic"],
            price=fr["price"],
            shares=10_000.0,
            periods=390,
            impact=_quad(fr["a"], fr["b"]),
            cap=20.0,
            infeasible=True,
        )
    )
    rng = _rng(8, 0)
    a, b, volume = _intraday_quadratic("frog", 390, rng)
    cap = _caps_from_volume(volume)
    out.append(
        _spec(
            "inf-qi-caps-plus-one",
            "infeasible",
            "S one share above the sum of per-period caps.",
            [*base, "quadratic", "intraday"],
            price=fr["price"],
            shares=float(cap.sum()) + 1.0,
            periods=390,
            impact=_quad(a, b),
            cap=cap,
            infeasible=True,
        )
    )
    out.append(
        _spec(
            "inf-n1",
            "infeasible",
            "One period with a cap below S.",
            [*base, "quadratic", "N=1"],
            price=fr["price"],
            shares=1000.0,
            periods=1,
            impact=_quad(fr["a"], fr["b"]),
            cap=999.0,
            infeasible=True,
        )
    )
    sl, w = synthetic_book_curve(_rng(8, 1), 30)
    out.append(
        _spec(
            "inf-pw-depth",
            "infeasible",
            "S above the total visible depth of 30 books (no caps): the book cannot absorb it.",
            [*base, "piecewise", "book"],
            price=fr["price"],
            shares=float(w.sum()) + 100.0,
            periods=30,
            impact=_pw(sl, w),
            infeasible=True,
        )
    )
    sl, w = synthetic_book_curve(_rng(8, 2), 30)
    out.append(
        _spec(
            "inf-pw-caps",
            "infeasible",
            "Book walks with a scalar cap of 200 over 30 periods and S = 6,500.",
            [*base, "piecewise", "book"],
            price=fr["price"],
            shares=6500.0,
            periods=30,
            impact=_pw(sl, w),
            cap=200.0,
            infeasible=True,
        )
    )
    capp = np.floor(_rng(8, 3).uniform(10, 100, 30))
    out.append(
        _spec(
            "inf-pow-caps",
            "infeasible",
            "Power law with per-period caps summing to less than S.",
            [*base, "power"],
            price=STOCKS["soun"]["price"],
            shares=float(capp.sum()) * 1.5,
            periods=30,
            impact=_power(0.015, 0.67),
            cap=capp,
            infeasible=True,
        )
    )
    out.append(
        _spec(
            "inf-mv-cap",
            "infeasible",
            "Mean-variance with a scalar cap too small for S.",
            [*base, "mean-variance", "quadratic"],
            price=fr["price"],
            shares=10_000.0,
            periods=50,
            impact=_quad(fr["a"], fr["b"]),
            cap=150.0,
            risk_aversion=1e-4,
            volatility=SIGMA_FROG,
            infeasible=True,
        )
    )
    out.append(
        _spec(
            "inf-bad-s1e8",
            "infeasible",
            "S = 1e8 + 1 against caps summing to exactly 1e8 (badly scaled, off by one share).",
            [*base, "quadratic", "badly-scaled"],
            price=1.0,
            shares=1e8 + 1.0,
            periods=400,
            impact=_quad(0.01, 1e-9),
            cap=250_000.0,
            infeasible=True,
        )
    )
    out.append(
        _spec(
            "inf-zero-caps",
            "infeasible",
            "Every cap is zero but S = 100.",
            [*base, "quadratic"],
            price=fr["price"],
            shares=100.0,
            periods=20,
            impact=_quad(fr["a"], fr["b"]),
            cap=0.0,
            infeasible=True,
        )
    )
    return out


#: Family name -> spec builder, in suite order.
FAMILIES: dict[str, Callable[[], list[Spec]]] = {
    "quadratic": _fam_quadratic,
    "quadratic-intraday": _fam_quadratic_intraday,
    "power": _fam_power,
    "piecewise": _fam_piecewise,
    "mean-variance": _fam_mean_variance,
    "large": _fam_large,
    "badly-scaled": _fam_badly_scaled,
    "degenerate": _fam_degenerate,
    "infeasible": _fam_infeasible,
}


def instance_specs(ids: Iterable[str] | None = None) -> list[Spec]:
    """Every instance's problem definition (no optimum yet), in suite order; cheap.

    Raises
    ------
    SolverError
        If two instances share an id (a generator bug).
    """
    specs = [s for build in FAMILIES.values() for s in build()]
    seen = Counter(s["id"] for s in specs)
    dup = sorted(k for k, v in seen.items() if v > 1)
    if dup:  # pragma: no cover - a generator bug
        raise SolverError(f"duplicate instance ids in the generator: {dup}.")
    if ids is not None:
        wanted = set(ids)
        unknown = sorted(wanted - set(seen))
        if unknown:
            from execopt.errors import InputError

            raise InputError(f"no instance(s) {', '.join(unknown)} in the generator.")
        specs = [s for s in specs if s["id"] in wanted]
    return specs


# ----------------------------------------------------------------------------- certification
def _crosscheck_methods(problem: ExecutionProblem) -> list[str]:
    if problem.periods > CVXPY_MAX_N:
        if problem.separable and problem.impact.diagonal_quadratic(problem.periods) is not None:
            return ["clarabel-direct"]
        return []
    if problem.impact.cone == "qp" and problem.impact.smooth:
        return ["clarabel", "scs", "osqp"]
    return ["clarabel", "scs"]


def clarabel_direct(problem: ExecutionProblem) -> FloatArray:
    """Solve a separable quadratic problem with Clarabel's own API on a sparse, scaled QP.

    Used to cross-check instances too large for cvxpy. Variables ``y = x / (S/N)``, objective
    divided by the mean cost of ``S/N`` shares; returns the schedule after clip-to-feasible.
    """
    import clarabel
    import scipy.sparse as sp

    from execopt.solvers.repair import clip_to_feasible

    N, S = problem.periods, problem.shares
    diag = problem.impact.diagonal_quadratic(N)
    if diag is None or not problem.separable:  # pragma: no cover - guarded
        raise SolverError("clarabel_direct handles separable quadratic problems only.")
    if S == 0:
        return np.zeros(N)
    s = S / N
    a, b = (np.asarray(v, dtype=float) for v in diag)
    C = float(np.mean(a * s + b * s * s)) or 1.0
    P = sp.diags(2.0 * b * s * s / C, format="csc")
    q = a * s / C
    u = problem.upper
    fin = np.flatnonzero(np.isfinite(u))
    A = sp.vstack(
        [
            sp.csc_matrix(np.ones((1, N))),
            -sp.identity(N, format="csc"),
            sp.identity(N, format="csc")[fin],
        ],
        format="csc",
    )
    rhs = np.concatenate([[S / s], np.zeros(N), u[fin] / s])
    cones = [clarabel.ZeroConeT(1), clarabel.NonnegativeConeT(N + fin.size)]
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = 1e-10
    settings.tol_gap_rel = 1e-10
    settings.tol_feas = 1e-10
    sol = clarabel.DefaultSolver(P, q, A, rhs, cones, settings).solve()
    if str(sol.status) not in ("Solved", "AlmostSolved"):
        raise SolverError(f"clarabel (direct) returned status {sol.status}.")
    x, _ = clip_to_feasible(problem, np.asarray(sol.x, dtype=float) * s)
    return x


def frank_wolfe_gap(problem: ExecutionProblem, x: FloatArray) -> float:
    """``grad f(x)^T x - min_{y feasible} grad f(x)^T y``: a bound on ``f(x) - f*`` (convex f).

    The linear minimisation over ``{sum y = S, 0 <= y <= u}`` fills the periods with the smallest
    gradient first. Returns ``inf`` when the gradient is not finite (e.g. a book walk at its
    visible depth).
    """
    g = np.broadcast_to(problem.gradient(np.clip(x, 0.0, problem.upper)), x.shape)
    if not np.all(np.isfinite(g)):
        return float("inf")
    return float(g @ x) - knapsack_min(np.asarray(g, dtype=float), problem.upper, problem.shares)


def _solve_quiet(problem: ExecutionProblem, method: str) -> tuple[FloatArray, float, float]:
    """Schedule, objective and lam of ``method`` with solver chatter silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "clarabel-direct":
            x = clarabel_direct(problem)
            return x, problem.objective(x), float("nan")
        sol = solve(problem, method=method)
    return sol.schedule, float(sol.objective), float(sol.lam)


def _agrees(f: float, ref: float, spec: Spec) -> bool:
    atol = CROSSCHECK_ATOL_NOTIONAL * float(spec["shares"]) * float(spec["price"])
    return abs(f - ref) <= CROSSCHECK_RTOL * abs(ref) + atol


def build_instance(spec: Spec) -> Spec:
    """Certify one spec: add ``optimum``, ``crosscheck``, ``crosscheck_rtol`` and ``certificate``.

    Raises
    ------
    SolverError
        If a cross-checking solver disagrees, the certificate does not pass, or an instance
        marked infeasible can be built (or one marked feasible cannot).
    """
    data = dict(spec)
    iid = data["id"]
    if data["infeasible"]:
        try:
            problem_from_instance(data)
        except InfeasibleError:
            pass
        else:
            raise SolverError(f"{iid} is marked infeasible but ExecutionProblem accepts it.")
        data.update(optimum=None, crosscheck=None, crosscheck_rtol=None, certificate=None)
        return data
    try:
        problem = problem_from_instance(data)
    except InfeasibleError as exc:
        raise SolverError(f"{iid} is marked feasible but {exc}") from None
    try:
        x, f, lam = _solve_quiet(problem, "exact")
        first = "exact"
    except NotSupportedError:
        x, f, lam = _solve_quiet(problem, "clarabel")
        first = "clarabel"
    f = problem.objective(x)
    cross: dict[str, float] = {}
    certified_by = [first]
    for m in _crosscheck_methods(problem):
        _, fm, _ = (x, f, lam) if m == first else _solve_quiet(problem, m)
        cross[m] = fm
        if _agrees(fm, f, data):
            if m != first:
                certified_by.append(m)
        elif fm < f:
            raise SolverError(
                f"{iid}: {m} reached {fm!r}, below the {first} optimum {f!r} (relative "
                f"difference {(fm - f) / max(abs(f), 1e-300):.3g}): the optimum is not optimal."
            )
        # a solver stopping above the optimum is recorded in "crosscheck" but not in certified_by
    if len(certified_by) < 2:
        raise SolverError(f"{iid}: no independent solver cross-checked the {first} optimum.")
    cert = certify(problem, x, optimum=f)
    if not cert.feasible:
        raise SolverError(f"{iid}: the stored schedule is not feasible: {cert}.")
    tol = BOUND_RTOL * abs(f) + CROSSCHECK_ATOL_NOTIONAL * float(data["shares"]) * float(
        data["price"]
    )
    gap = min(cert.bound_gap, frank_wolfe_gap(problem, x))
    # A book walk with a risk term is non-smooth and not separable: neither the dual bound nor
    # Frank-Wolfe with one-sided derivatives bounds it; the cross-checks carry the proof there.
    nonsmooth_risk = problem.impact.kind == "piecewise" and problem.has_risk
    if gap > tol and not nonsmooth_risk:
        raise SolverError(
            f"{iid}: the optimality bound gap {gap:.3g} (certificate {cert.bound_gap:.3g}) "
            f"exceeds {BOUND_RTOL:g} of the objective {f:.6g}."
        )
    if first != "exact" and not np.isfinite(lam):
        lam = cert.lam
    data["optimum"] = {
        "objective": f,
        "schedule": _compact(x),
        "lam": lam if np.isfinite(lam) else None,
        "certified_by": certified_by,
    }
    data["crosscheck"] = cross
    data["crosscheck_rtol"] = CROSSCHECK_RTOL
    data["certificate"] = to_json_value(cert.as_dict())
    return data


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("execopt", "numpy", "scipy", "cvxpy", "clarabel", "scs", "osqp"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover
            out[pkg] = "missing"
    return out


def generate_suite(
    out: Path,
    *,
    ids: Iterable[str] | None = None,
    manifest: bool = True,
    progress: bool = False,
) -> list[Path]:
    """Generate (all or some) instances into ``out`` and, by default, write the manifest.

    Parameters
    ----------
    out : Path
        Target folder (created if missing). Existing instance files are overwritten.
    ids : iterable of str, optional
        Only these instances (the bytes are the same as in a full run).
    manifest : bool
        Write ``MANIFEST.json`` for the instance files present in ``out`` afterwards.
    progress : bool
        Print one line per instance to stderr.

    Returns
    -------
    list of Path
        The instance files written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    specs = instance_specs(ids)
    written = []
    for i, spec in enumerate(specs, 1):
        t0 = perf_counter()
        data = build_instance(spec)
        written.append(write_instance(out, data))
        if progress:
            by = ",".join(data["optimum"]["certified_by"]) if data["optimum"] else "infeasible"
            off = sorted(set(data["crosscheck"] or {}) - set(by.split(",")))
            by += f" ({', '.join(off)} stopped above it)" if off else ""
            print(
                f"[{i:3d}/{len(specs)}] {spec['id']:<32s} N={spec['periods']:<7d} {by:<30s} "
                f"{perf_counter() - t0:6.2f} s",
                file=sys.stderr,
                flush=True,
            )
    if manifest:
        families = Counter(s["family"] for s in instance_specs())
        write_manifest(
            out,
            {
                "version": SUITE_VERSION,
                "format": FORMAT_VERSION,
                "seed": SUITE_SEED,
                "generator": {"script": "scripts/make_suite.py", **_versions()},
                "families": dict(families),
                "tolerances": {
                    "crosscheck_rtol": CROSSCHECK_RTOL,
                    "crosscheck_atol_notional": CROSSCHECK_ATOL_NOTIONAL,
                    "bound_rtol": BOUND_RTOL,
                    "feas_atol_rel": FEAS_ATOL_REL,
                },
            },
        )
    return written


def default_output() -> Path:
    """Where the packaged suite lives in a source checkout (``src/execopt/studies/suite/data/v1``)."""
    return Path(__file__).resolve().parent / "data" / f"v{SUITE_VERSION}"


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry of ``scripts/make_suite.py``."""
    p = argparse.ArgumentParser(
        description="Regenerate execopt's reference suite deterministically (fixed seeds)."
    )
    p.add_argument("--out", type=Path, default=default_output(), help="target folder")
    p.add_argument("--only", nargs="*", default=None, metavar="ID", help="only these instance ids")
    p.add_argument("--list", action="store_true", help="list the instance ids and exit")
    args = p.parse_args(None if argv is None else list(argv))
    if args.list:
        for s in instance_specs():
            print(f"{s['id']:<32s} {s['family']:<20s} N={s['periods']}")
        return 0
    t0 = perf_counter()
    files = generate_suite(args.out, ids=args.only, manifest=args.only is None, progress=True)
    size = sum(f.stat().st_size for f in files)
    print(
        f"wrote {len(files)} instances ({size / 1e6:.2f} MB) to {args.out} in "
        f"{perf_counter() - t0:.1f} s"
        + ("" if args.only is None else f"; {MANIFEST} not rewritten"),
        file=sys.stderr,
    )
    return 0
