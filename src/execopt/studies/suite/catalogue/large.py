"""Group ``large``: N from 1,000 to 100,000 periods."""

from __future__ import annotations

import numpy as np

from execopt.studies.suite.catalogue._shapes import (
    STOCKS,
    Spec,
    _caps_from_volume,
    _intraday_quadratic,
    _power,
    _pw,
    _quad,
    _rng,
    _sig,
    _spec,
    synthetic_book_curve,
    volume_profile,
)

__all__ = ["large"]


def large() -> list[Spec]:
    """The specs of the ``large`` group (instance dictionaries, not yet certified)."""
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
