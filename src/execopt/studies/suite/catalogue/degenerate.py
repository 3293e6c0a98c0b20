"""Group ``degenerate``: S = 0, S = sum of caps, ties, zero-cost periods, linear costs."""

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
)

__all__ = ["degenerate"]


def degenerate() -> list[Spec]:
    """The specs of the ``degenerate`` group (instance dictionaries, not yet certified)."""
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
