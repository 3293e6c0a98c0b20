"""Group ``mean-variance``: Almgren–Chriss risk term over quadratic, power and book costs."""

from __future__ import annotations

import numpy as np

from execopt.studies.suite.catalogue._shapes import (
    SIGMA_FROG,
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

__all__ = ["mean_variance"]


def mean_variance() -> list[Spec]:
    """The specs of the ``mean-variance`` group (instance dictionaries, not yet certified)."""
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
