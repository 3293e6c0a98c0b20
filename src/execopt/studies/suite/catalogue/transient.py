"""Group ``transient``: propagator kernels and permanent impact (the ``transient`` family).

Exponential kernels (the Obizhaeva–Wang resilience, from a 5-minute to a 1,000-minute half-life),
power-law kernels (Bouchaud's propagator), tabulated kernels (a two-exponential mixture and a
fitted-looking power law with a cut-off, as an estimator would hand them over), linear permanent
impact with and without a kernel, a mean-variance risk term with a kernel, a per-share power-law
impact with a kernel (power cones), caps that bind, a badly scaled order (S = 1e8, b = 1e-9), the
edge cases S = 0, N = 1, S equal to the sum of the caps, two infeasible orders, and one large
exponential instance (N = 20,000, solved exactly in O(N)).

Kernel strengths are set against the temporary impact ``b``: with half-life ``h`` the transient
cost of TWAP is about ``G0 h / ln 2`` per share squared per period, so ``G0 = 1e-5`` (SOUN,
``b = 3e-4``) at ``h = 30`` makes transient and temporary impact of the same order, the regime in
which the optimum departs most from TWAP.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from execopt.studies.suite.catalogue._shapes import (
    SIGMA_FROG,
    STOCKS,
    Spec,
    _caps_from_volume,
    _exp_kernel,
    _intraday_quadratic,
    _power,
    _power_kernel,
    _quad,
    _rng,
    _sig,
    _spec,
    _tabulated_kernel,
)

__all__ = ["transient"]

#: The group's index in the suite's random streams (``SeedSequence(SUITE_SEED, (9, k))``).
GROUP_STREAM = 9


def transient() -> list[Spec]:
    """The specs of the ``transient`` group (instance dictionaries, not yet certified)."""
    so, fr, cr = STOCKS["soun"], STOCKS["frog"], STOCKS["crwv"]
    out = []

    def add(iid: str, description: str, tags: list[str], **kw: Any) -> None:
        out.append(_spec(iid, "transient", description, ["transient", *tags], **kw))

    soun = {"price": so["price"], "shares": so["S"], "impact": _quad(so["a"], so["b"])}
    frog = {"price": fr["price"], "shares": fr["S"], "impact": _quad(fr["a"], fr["b"])}
    # --- exponential kernels, time-invariant: the optimum front- and back-loads
    for hl in (5.0, 30.0, 1000.0):
        add(
            f"tr-exp-soun-n390-hl{hl:g}",
            f"SOUN seed quadratic plus an exponential kernel G0 = 1e-5 $/share^2, half-life "
            f"{hl:g} min, N = 390: equal allocation is no longer optimal."
            + (
                " A half-life far beyond the horizon: K is nearly the rank-one matrix G0 11^T"
                " (ill-conditioned)."
                if hl > 390
                else ""
            ),
            ["exponential", "quadratic", "time-invariant", "soun"]
            + (["ill-conditioned"] if hl > 390 else []),
            periods=390,
            transient=_exp_kernel(1e-5, hl),
            **soun,
        )
    add(
        "tr-exp-frog-n5",
        "FROG seed quadratic with an exponential kernel (G0 = 3e-5, half-life 2 periods), N = 5.",
        ["exponential", "quadratic", "time-invariant", "frog", "small-N"],
        periods=5,
        transient=_exp_kernel(3e-5, 2.0),
        **frog,
    )
    add(
        "tr-exp-frog-n30-cap",
        "FROG seed quadratic with an exponential kernel (G0 = 3e-4, half-life 10 periods) and a "
        "scalar cap of 450 shares that binds at both ends of the U-shaped optimum, N = 30.",
        ["exponential", "quadratic", "time-invariant", "frog", "caps-bind"],
        periods=30,
        cap=450.0,
        transient=_exp_kernel(3e-4, 10.0),
        **frog,
    )
    rng = _rng(GROUP_STREAM, 0)
    a, b, volume = _intraday_quadratic("frog", 390, rng)
    cap = _caps_from_volume(volume)
    add(
        "tr-exp-frog-n390-intraday-caps",
        "Intraday FROG a_t, b_t with caps from volume and an exponential kernel (G0 = 2e-5, "
        "half-life 20 min), S = half the caps' total.",
        ["exponential", "quadratic", "intraday", "frog", "caps-bind"],
        price=fr["price"],
        shares=float(np.round(0.5 * cap.sum())),
        periods=390,
        impact=_quad(a, b),
        cap=cap,
        transient=_exp_kernel(2e-5, 20.0),
    )
    # --- power-law kernels
    add(
        "tr-pow-soun-n390",
        "SOUN seed quadratic with a power-law kernel G(l) = 1e-5 (1 + l)^-0.5, N = 390 (a slowly "
        "decaying, completely monotone propagator).",
        ["power-law", "quadratic", "time-invariant", "soun"],
        periods=390,
        transient=_power_kernel(1e-5, 0.5, 1.0),
        **soun,
    )
    add(
        "tr-pow-frog-n100-cap",
        "FROG seed quadratic with a power-law kernel G(l) = 5e-5 (1 + l/5)^-1.5 and a scalar cap "
        "of 140 shares, N = 100.",
        ["power-law", "quadratic", "time-invariant", "frog", "caps-bind"],
        periods=100,
        cap=140.0,
        transient=_power_kernel(5e-5, 1.5, 5.0),
        **frog,
    )
    # --- tabulated kernels
    lags = np.arange(60, dtype=np.float64)
    mix = _sig(2e-5 * 0.5**lags + 1e-5 * 0.5 ** (lags / 20.0))
    add(
        "tr-tab-crwv-n60",
        "CRWV seed quadratic with a tabulated kernel: two exponentials (G0 2e-5 at half-life 1, "
        "1e-5 at half-life 20) given as 60 values, N = 60.",
        ["tabulated", "quadratic", "time-invariant", "crwv"],
        price=cr["price"],
        shares=cr["S"],
        periods=60,
        impact=_quad(cr["a"], cr["b"]),
        transient=_tabulated_kernel(mix),
    )
    lags = np.arange(30, dtype=np.float64)
    fitted = _sig(4e-5 * (1.0 + lags) ** -0.7 * np.exp(-lags / 15.0))
    rng = _rng(GROUP_STREAM, 1)
    a, b, volume = _intraday_quadratic("frog", 30, rng)
    add(
        "tr-tab-frog-n30-intraday",
        "Intraday FROG a_t, b_t (N = 30) with a tabulated kernel shaped like a fitted propagator: "
        "4e-5 (1 + l)^-0.7 exp(-l / 15), rounded to 6 digits.",
        ["tabulated", "quadratic", "intraday", "frog"],
        price=fr["price"],
        shares=fr["S"],
        periods=30,
        impact=_quad(a, b),
        transient=_tabulated_kernel(fitted),
    )
    # --- permanent impact
    add(
        "tr-perm-frog-n50",
        "FROG seed quadratic with linear permanent impact gamma = 5e-4 $/share^2 (below 2b: "
        "convex) and no kernel: b_t - gamma/2 per period, N = 50.",
        ["permanent", "quadratic", "time-invariant", "frog"],
        periods=50,
        permanent=5e-4,
        **frog,
    )
    add(
        "tr-exp-perm-soun-n390",
        "SOUN seed quadratic, an exponential kernel (G0 = 1e-5, half-life 30 min) and permanent "
        "impact gamma = 2e-4 $/share^2, N = 390.",
        ["exponential", "permanent", "quadratic", "time-invariant", "soun"],
        periods=390,
        transient=_exp_kernel(1e-5, 30.0),
        permanent=2e-4,
        **soun,
    )
    # --- with a risk term (no exact algorithm: Clarabel's optimum, cross-checked)
    add(
        "tr-exp-mv-frog-n390",
        "FROG seed quadratic, an exponential kernel (G0 = 3e-5, half-life 30 min) and the "
        f"Almgren–Chriss risk term, k = 1e-5, sigma = {SIGMA_FROG} $/share/period, N = 390.",
        ["exponential", "mean-variance", "quadratic", "time-invariant", "frog"],
        periods=390,
        risk_aversion=1e-5,
        volatility=SIGMA_FROG,
        transient=_exp_kernel(3e-5, 30.0),
        **frog,
    )
    add(
        "tr-pow-mv-soun-n100-cap",
        "SOUN seed quadratic, a power-law kernel 1e-5 (1 + l)^-0.6, risk aversion k = 1e-6 with "
        "sigma = 0.02 $/share/period and a scalar cap of 4,000 shares, N = 100.",
        ["power-law", "mean-variance", "quadratic", "time-invariant", "soun", "caps-bind"],
        price=so["price"],
        shares=so["S"],
        periods=100,
        impact=_quad(so["a"], so["b"] * 390.0 / 100.0),
        cap=4000.0,
        risk_aversion=1e-6,
        volatility=0.02,
        transient=_power_kernel(1e-5 * 390.0 / 100.0, 0.6, 1.0),
    )
    # --- a per-share power-law impact with a kernel: exact power cones
    add(
        "tr-exp-powimpact-soun-n30",
        "SOUN per-share power law (gamma = 0.015, delta = 0.67) plus an exponential kernel "
        "(G0 = 1e-6, half-life 5 periods), S = 20,000, N = 30: needs power cones.",
        ["exponential", "power", "time-invariant", "soun"],
        price=so["price"],
        shares=20_000.0,
        periods=30,
        impact=_power(0.015, 0.67),
        transient=_exp_kernel(1e-6, 5.0),
    )
    # --- badly scaled
    add(
        "tr-exp-bad-s1e8",
        "S = 1e8 shares, a = 0.01, b = 1e-9 and an exponential kernel G0 = 3e-11 (half-life "
        "30 min), N = 390: costs of 1e6 dollars from per-share coefficients of 1e-9.",
        ["exponential", "quadratic", "time-invariant", "badly-scaled"],
        price=1.0,
        shares=1e8,
        periods=390,
        impact=_quad(0.01, 1e-9),
        transient=_exp_kernel(3e-11, 30.0),
    )
    rng = _rng(GROUP_STREAM, 2)
    a = _sig(10.0 ** rng.uniform(-4.0, 0.0, 390))
    add(
        "tr-exp-bad-mixed-magnitudes",
        "a_t spread over four orders of magnitude (1e-4 to 1 $/share), b = 3e-4 and a weak "
        "exponential kernel (G0 = 1e-8, half-life 60 min): the kernel moves the optimum by less "
        "than the cheap periods do, and a tight solver must still see it.",
        ["exponential", "quadratic", "intraday", "badly-scaled"],
        price=so["price"],
        shares=so["S"],
        periods=390,
        impact=_quad(a, so["b"]),
        transient=_exp_kernel(1e-8, 60.0),
    )
    # --- edge cases
    add(
        "tr-exp-s0",
        "S = 0 with an exponential kernel: the only feasible schedule is zero.",
        ["exponential", "quadratic", "degenerate", "S=0"],
        price=so["price"],
        shares=0.0,
        periods=390,
        impact=_quad(so["a"], so["b"]),
        transient=_exp_kernel(1e-5, 30.0),
    )
    add(
        "tr-exp-n1",
        "A single period with an exponential kernel: x = S, cost a S + (b + G0/2) S^2.",
        ["exponential", "quadratic", "degenerate", "N=1"],
        periods=1,
        transient=_exp_kernel(3e-5, 30.0),
        **frog,
    )
    capf = np.floor(_rng(GROUP_STREAM, 3).uniform(100.0, 500.0, 30))
    add(
        "tr-exp-full-caps",
        "S equal to the sum of per-period caps with an exponential kernel: the only feasible "
        "schedule trades every cap.",
        ["exponential", "quadratic", "degenerate", "S=sum-caps"],
        price=fr["price"],
        shares=float(capf.sum()),
        periods=30,
        impact=_quad(fr["a"], fr["b"]),
        cap=capf,
        transient=_exp_kernel(3e-5, 10.0),
    )
    add(
        "tr-inf-exp-caps",
        "Infeasible: an exponential kernel and per-period caps that sum to one share less than S.",
        ["exponential", "quadratic", "infeasible"],
        price=fr["price"],
        shares=float(capf.sum()) + 1.0,
        periods=30,
        impact=_quad(fr["a"], fr["b"]),
        cap=capf,
        transient=_exp_kernel(3e-5, 10.0),
        infeasible=True,
    )
    add(
        "tr-inf-tab-zero-caps",
        "Infeasible: a tabulated kernel and every cap zero with S = 100 shares.",
        ["tabulated", "quadratic", "infeasible"],
        price=fr["price"],
        shares=100.0,
        periods=10,
        impact=_quad(fr["a"], fr["b"]),
        cap=0.0,
        transient=_tabulated_kernel(_sig(3e-5 * 0.5 ** np.arange(10.0))),
        infeasible=True,
    )
    # --- large: the O(N) structure of the exponential kernel
    N = 20_000
    add(
        f"tr-exp-big-n{N}-cap",
        f"SOUN-like order of 1e6 shares over N = {N:,} periods with b scaled to the finer "
        "periods, an exponential kernel (half-life 1,500 periods) and a scalar cap of 3 S / N: "
        "solved exactly in O(N) (K^-1 is tridiagonal).",
        ["exponential", "quadratic", "time-invariant", "large-N", "soun"],
        price=so["price"],
        shares=1e6,
        periods=N,
        impact=_quad(so["a"], _sig(so["b"] * 390.0 / N)),
        cap=3.0 * 1e6 / N,
        transient=_exp_kernel(_sig(1e-5 * 390.0 / N), 1500.0),
    )
    return out
