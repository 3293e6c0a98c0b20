"""Group ``infeasible``: no schedule exists (S above the caps or the visible depth)."""

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
    _spec,
    synthetic_book_curve,
)

__all__ = ["infeasible"]


def infeasible() -> list[Spec]:
    """The specs of the ``infeasible`` group (instance dictionaries, not yet certified)."""
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
