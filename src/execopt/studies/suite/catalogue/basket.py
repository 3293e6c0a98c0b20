"""Group ``basket``: baskets of orders coupled by risk, cross-impact and mandates (the ``basket``
family).

Built on :func:`execopt.studies.basket_cases.random_basket` (legs with U-shaped intraday
quadratic impact and caps of 2 to 4 times ``S_i / N``, prices $10 to $100, buy and sell
notionals matched, a ``K = 3`` factor covariance or its dense matrix, cross-impact of a fraction
of the legs' own ``b``, a dollar-neutrality band of 2 % of the gross notional, a VaR limit between
the fastest schedule's and TWAP's), each instance drawn from its own stream
``SeedSequence(SUITE_SEED, spawn_key=(10, k))``: ``M = 2`` in every variant (factor or full
covariance, with and without cross-impact and band, a binding VaR limit), ``M = 5, 10, 20, 50`` in
a selection of them, one ``M = 2`` basket over N = 390 periods, one decoupled basket (no
covariance: each leg's own water-filling is exact), one with an empty leg, and two infeasible
baskets (a leg whose caps cannot hold its shares; a one-sided basket under a zero band).

As every catalogue instance, the parameters are rounded to :data:`~._shapes.DIGITS` significant
digits, except the cross-impact matrix (its symmetric part has rank two: rounding would make it
indefinite, which the basket refuses) and the shares (whole numbers already).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from execopt.problem.basket import Basket, FactorCovariance
from execopt.studies.basket_cases import random_basket
from execopt.studies.suite.catalogue._shapes import (
    SUITE_SEED,
    Spec,
    _compact,
    _sig,
)
from execopt.studies.suite.families import cone_of, family_of
from execopt.studies.suite.format import FORMAT_VERSION

__all__ = ["VARIANTS", "basket", "basket_spec"]

#: The group's index in the suite's random streams.
GROUP_STREAM = 10
#: Periods of the baskets (5-minute bars of a 6.5-hour day), as :func:`basket_cases` uses.
N_BASKET = 78
#: Variant name -> keyword arguments of :func:`random_basket` (as in :func:`basket_cases`).
VARIANTS: dict[str, dict[str, Any]] = {
    "factor": {"covariance": "factor"},
    "full": {"covariance": "full"},
    "factor-h": {"covariance": "factor", "cross_impact": True},
    "full-h": {"covariance": "full", "cross_impact": True},
    "factor-band": {"covariance": "factor", "band": True},
    "full-band": {"covariance": "full", "band": True},
    "factor-h-band": {"covariance": "factor", "cross_impact": True, "band": True},
    "full-h-band": {"covariance": "full", "cross_impact": True, "band": True},
    "factor-var": {"covariance": "factor", "var_limit": True},
    "decoupled": {"covariance": "none"},
}
#: ``(M, variant)`` of the drawn instances, in suite order.
SELECTION: tuple[tuple[int, str], ...] = (
    *((2, v) for v in VARIANTS if v != "decoupled"),
    (5, "factor"),
    (5, "full-h-band"),
    (5, "factor-var"),
    (5, "decoupled"),
    (10, "full"),
    (10, "factor-h-band"),
    (10, "factor-var"),
    (20, "factor-h"),
    (20, "full-band"),
    (50, "factor-h-band"),
    (50, "full"),
    (50, "factor-var"),
)

_COVARIANCE = {"factor": "a 3-factor covariance", "full": "a full covariance matrix"}
_DESCRIBE = {
    "cross_impact": "cross-impact",
    "band": "a dollar-neutrality band of 2 % of the gross notional",
    "var_limit": "a binding portfolio VaR limit",
}


def _rounded(v: Any) -> Any:
    return _compact(_sig(np.asarray(v, dtype=np.float64)))


def _matrix(v: Any) -> list[list[float]]:
    return [[float(e) for e in row] for row in np.asarray(v, dtype=np.float64)]


def basket_spec(
    iid: str, description: str, tags: list[str], basket: Basket, *, infeasible: bool = False
) -> Spec:
    """The instance dictionary of ``basket`` (FORMAT.md section 2.6), parameters rounded to the
    catalogue's digits (the cross-impact matrix kept exact).
    """
    P = basket.prices if basket.prices is not None else np.ones(basket.M)
    legs = []
    for i, p in enumerate(basket.problems):
        imp = p.impact.to_dict()
        legs.append(
            {
                "symbol": basket.labels[i],
                "side": basket.sides[i],
                "price": float(_sig(P[i])),
                "shares": float(p.shares),
                "impact": {k: v if isinstance(v, str) else _rounded(v) for k, v in imp.items()},
                "cap": None if p.cap is None else _rounded(p.cap),
            }
        )
    cov = basket.covariance
    covd: dict[str, Any] | None = None
    if isinstance(cov, FactorCovariance):
        covd = {"kind": "factor", "F": _matrix(_sig(cov.F)), "D": [float(e) for e in _sig(cov.D)]}
    elif cov is not None:
        C = np.asarray(cov, dtype=np.float64)
        covd = {"kind": "full", "matrix": _matrix(_sig(0.5 * (C + C.T)))}
    H = basket.cross_impact
    band = basket.neutrality_band
    out: Spec = {
        "id": iid,
        "version": FORMAT_VERSION,
        "family": "",
        "group": "basket",
        "cone": "",
        "description": description,
        "tags": ["basket", *dict.fromkeys(tags)],
        "periods": int(basket.N),
        "legs": legs,
        "covariance": covd,
        "risk_aversion": float(_sig(basket.risk_aversion)) if basket.has_risk else 0.0,
        "cross_impact": None if H is None else _matrix(H),
        "neutrality_band": None if band is None else float(_sig(band)),
        "var_limit": None if basket.var_limit is None else float(_sig(basket.var_limit)),
        "var_z": float(basket.var_z),
        "infeasible": bool(infeasible),
    }
    out["family"] = family_of(out)
    out["cone"] = cone_of(out)
    return out


def _seed(k: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(SUITE_SEED, spawn_key=(GROUP_STREAM, k))


def _drawn(k: int, M: int, variant: str, N: int = N_BASKET) -> Spec:
    kw = VARIANTS[variant]
    b = random_basket(_seed(k), M, N, **kw)
    parts = [_COVARIANCE.get(kw["covariance"], "no covariance (decoupled legs)")]
    parts += [_DESCRIBE[key] for key in ("cross_impact", "band", "var_limit") if kw.get(key)]
    sides = f"{sum(s == 'buy' for s in b.sides)} buy and {sum(s == 'sell' for s in b.sides)} sell"
    tags = [variant.split("-")[0] if variant != "decoupled" else "decoupled"]
    tags += [t for key, t in (("cross_impact", "cross-impact"), ("band", "band")) if kw.get(key)]
    tags += ["var-limit"] if kw.get("var_limit") else []
    tags += ["intraday", f"M={M}"]
    return basket_spec(
        f"bk-m{M}-{variant}" + (f"-n{N}" if N != N_BASKET else ""),
        f"{M} legs ({sides}) over N = {N} periods with intraday quadratic impact, caps of 2-4 "
        f"S_i/N, and {', '.join(parts)}.",
        tags,
        b,
    )


def basket() -> list[Spec]:
    """The specs of the ``basket`` group (instance dictionaries, not yet certified)."""
    out = [_drawn(k, M, v) for k, (M, v) in enumerate(SELECTION)]
    k = len(SELECTION)
    out.append(_drawn(k, 2, "full-h-band", N=390))
    # an empty leg: its only schedule is zero; the other legs still hedge against it
    b = random_basket(_seed(k + 1), 3, 30, covariance="full", cross_impact=True)
    legs = list(b.problems)
    legs[1] = replace(legs[1], shares=0.0)
    out.append(
        basket_spec(
            "bk-m3-empty-leg",
            "3 legs over N = 30 with a full covariance and cross-impact, the second leg with "
            "S = 0 (its only schedule is zero).",
            ["full", "cross-impact", "degenerate", "S=0", "M=3"],
            b.with_legs(legs),
        )
    )
    # infeasible: a leg whose caps hold one share less than its order
    b = random_basket(_seed(k + 2), 3, 30, covariance="factor")
    spec = basket_spec(
        "bk-inf-leg-caps",
        "Infeasible: 3 legs with a factor covariance; the third leg's caps (a scalar cap over "
        "30 periods) hold one share less than its order.",
        ["factor", "infeasible", "M=3"],
        b,
        infeasible=True,
    )
    cap = float(spec["legs"][2]["cap"])
    spec["legs"][2]["shares"] = float(np.floor(cap) * 30 + 1.0)
    spec["legs"][2]["cap"] = float(np.floor(cap))
    out.append(spec)
    # infeasible: every leg buys, and the band asks for dollar neutrality after every period
    b = random_basket(_seed(k + 3), 2, 30, covariance="factor", band=True)
    spec = basket_spec(
        "bk-inf-one-sided-band",
        "Infeasible: two buy legs under a zero dollar-neutrality band (the signed inventory of "
        "two buys cannot be zero before the end).",
        ["factor", "band", "infeasible", "M=2"],
        b,
        infeasible=True,
    )
    for leg in spec["legs"]:
        leg["side"] = "buy"
    spec["neutrality_band"] = 0.0
    out.append(spec)
    return out
