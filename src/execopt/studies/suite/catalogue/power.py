"""Group ``power``: per-share power laws, seed and intraday, one or two exponents."""

from __future__ import annotations

from typing import Any

import numpy as np

from execopt.studies.suite.catalogue._shapes import (
    STOCKS,
    Spec,
    _caps_from_volume,
    _power,
    _rng,
    _sig,
    _spec,
    _tau,
    spread_profile,
    volume_profile,
)

__all__ = ["power"]


def power() -> list[Spec]:
    """The specs of the ``power`` group (instance dictionaries, not yet certified)."""
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
