"""Group ``badly-scaled``: S = 1e8 with b = 1e-9, tiny orders, mixed magnitudes."""

from __future__ import annotations

import numpy as np

from execopt.studies.suite.catalogue._shapes import (
    Spec,
    _power,
    _pw,
    _quad,
    _rng,
    _sig,
    _spec,
    spread_profile,
    synthetic_book_curve,
    volume_profile,
)

__all__ = ["badly_scaled"]


def badly_scaled() -> list[Spec]:
    """The specs of the ``badly-scaled`` group (instance dictionaries, not yet certified)."""
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
