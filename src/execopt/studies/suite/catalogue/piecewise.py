"""Group ``piecewise``: walks of synthetic FROG-, CRWV- and SOUN-shaped 10-level books."""

from __future__ import annotations

from typing import Any

import numpy as np

from execopt.studies.suite.catalogue._shapes import (
    STOCKS,
    Spec,
    _caps_from_volume,
    _pw,
    _rng,
    _spec,
    synthetic_book_curve,
    volume_profile,
)

__all__ = ["piecewise"]


def piecewise() -> list[Spec]:
    """The specs of the ``piecewise`` group (instance dictionaries, not yet certified)."""
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
