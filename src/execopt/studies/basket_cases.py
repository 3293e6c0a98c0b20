"""Basket instances for the reference suite, and their two-solver cross-check.

:func:`basket_cases` yields seeded :class:`~execopt.problem.basket.Basket` instances (``M = 2``
to 50 legs; factor and full covariance; with and without cross-impact and a dollar-neutrality
band; one family with a binding portfolio VaR limit), each as a :class:`BasketCase` whose
``basket.to_dict()`` is the file form (``Basket.from_dict`` reads it back). :func:`cross_check`
solves one with two back-ends, certifies both and compares them: the row the suite will record
once it adds the family (the suite's format is being reworked elsewhere, so this module does not
write suite files).

How an instance is drawn (:func:`random_basket`): legs with quadratic impact varying through the
day (U-shaped ``a_t``, ``b_t``), caps of 2 to 4 times ``S_i / N`` (some bind), prices $10 to
$100, sides drawn at random and sizes scaled so the buy and sell notionals match (a band is then
feasible: equal allocation keeps the basket neutral); covariance of price changes from a
``K``-factor model (or its dense matrix), per-period volatility 0.1 % to 0.3 % of the price;
risk aversion so that risk and impact are of the same order; cross-impact ``H = c B B^T`` (the
symmetric part is positive semidefinite by construction) at a fraction of the legs' own ``b``.

Glossary: ``M`` legs, ``N`` periods, ``K`` factors, ``S`` shares, ``P`` prices, ``D`` the band.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from execopt.impact.models import QuadraticImpact
from execopt.problem.basket import Basket, FactorCovariance
from execopt.problem.execution_problem import ExecutionProblem
from execopt.studies.cases import u_shape

__all__ = [
    "BasketCase",
    "CovarianceKind",
    "basket_cases",
    "cross_check",
    "random_basket",
]

FloatArray = NDArray[np.float64]
CovarianceKind = Literal["factor", "full", "none"]

#: Two back-ends agree when their objectives differ by at most this, relative (both clip to
#: feasibility; Clarabel and OSQP at the pinned tolerances agree to ~1e-9 here, SCS to ~1e-7).
AGREE_RTOL = 1e-6


@dataclass(frozen=True)
class BasketCase:
    """One named basket instance and how it was drawn."""

    name: str
    basket: Basket
    spec: dict[str, Any] = field(default_factory=dict)


def random_basket(
    seed: int | np.random.SeedSequence,
    M: int,
    N: int = 60,
    *,
    covariance: CovarianceKind = "factor",
    K: int = 3,
    cross_impact: bool = False,
    band: bool = False,
    var_limit: bool = False,
    risk_scale: float = 1.0,
) -> Basket:
    """A seeded random basket (see the module docstring for how it is drawn).

    Parameters
    ----------
    seed : int or SeedSequence
    M, N : int
        Legs and periods.
    covariance : {"factor", "full", "none"}
        A :class:`FactorCovariance`, its dense matrix, or no risk term.
    K : int
        Factors.
    cross_impact, band, var_limit : bool
        Add cross-impact, a dollar-neutrality band of 2 % of the gross notional, a VaR limit
        between the fastest schedule's VaR and equal allocation's (so it binds).
    risk_scale : float
        Multiplies the risk aversion.

    Returns
    -------
    Basket

    Examples
    --------
    >>> b = random_basket(0, 3, 20, band=True)
    >>> b.M, b.N, b.neutrality_band is not None
    (3, 20, True)
    """
    rng = np.random.default_rng(seed)
    P = rng.uniform(10.0, 100.0, M)
    sides = rng.choice(["buy", "sell"], M)
    if M >= 2 and len(set(sides)) == 1:
        sides[-1] = "buy" if sides[0] == "sell" else "sell"
    notional = rng.uniform(2e5, 2e6, M)
    sell, buy = sides == "sell", sides == "buy"
    if sell.any() and buy.any():
        notional[buy] *= notional[sell].sum() / notional[buy].sum()
    S = np.round(notional / P)
    shape = u_shape(N, 1.5)
    legs = []
    for i in range(M):
        # impact: spread cost ~ 5 bp of price, b such that a TWAP child costs ~ as much again
        a = 5e-4 * P[i] * shape * rng.uniform(0.8, 1.2, N)
        b = a.mean() / (S[i] / N) * rng.uniform(0.5, 2.0) * shape
        cap = rng.uniform(2.0, 4.0) * S[i] / N
        legs.append(ExecutionProblem(float(S[i]), QuadraticImpact(a, b), periods=N, cap=cap))
    vol = P * rng.uniform(1e-3, 3e-3, M)  # dollars per share per period
    cov: Any = None
    k = 0.0
    if covariance != "none":
        beta = rng.normal(0.0, 1.0, (M, K))
        beta *= np.sqrt(0.6) / np.sqrt(np.sum(beta**2, axis=1, keepdims=True))
        F = vol[:, None] * beta
        D = 0.4 * vol**2
        fc = FactorCovariance(F, D)
        cov = fc if covariance == "factor" else fc.matrix()
        # risk of TWAP ~ impact of TWAP: k sum_t r^T C r ~ sum_i N b_i (S_i / N)^2
        X0 = np.repeat((S / N)[:, None], N, axis=1)
        R = S[:, None] - np.cumsum(X0, axis=1)
        E = np.where(sell, 1.0, -1.0)[:, None] * R
        var = float(np.sum(E * fc.apply(E)))
        imp = float(sum(p.objective(X0[i]) for i, p in enumerate(legs)))
        k = risk_scale * imp / max(var, 1e-300)
    H = None
    if cross_impact:
        Bm = rng.normal(0.0, 1.0, (M, 2))
        bmean = np.array([float(np.mean(p.impact.diagonal_quadratic(N)[1])) for p in legs])  # type: ignore[index]
        sq = np.sqrt(0.3 * bmean)
        H = (sq[:, None] * (Bm @ Bm.T) * sq[None, :]) / 2.0
        # an antisymmetric part (cross-impact need not be symmetric; only Hbar enters the cost)
        Q = rng.normal(0.0, 0.1, (M, M)) * np.sqrt(np.outer(bmean, bmean))
        H = H + 0.5 * (Q - Q.T)
    gross = float(np.sum(P * S))
    basket = Basket(
        legs,
        list(sides),
        covariance=cov,
        risk_aversion=k,
        cross_impact=H,
        prices=P,
        neutrality_band=0.02 * gross if band else None,
        symbols=[f"A{i:02d}" for i in range(M)],
    )
    if var_limit and cov is not None:
        fast = _fastest(basket)
        v_min, v_twap = basket.value_at_risk(fast), basket.value_at_risk(basket.twap())
        basket = Basket(
            legs,
            list(sides),
            covariance=cov,
            risk_aversion=0.05 * k,
            cross_impact=H,
            prices=P,
            neutrality_band=basket.neutrality_band,
            var_limit=v_min + 0.4 * (v_twap - v_min),
            symbols=basket.symbols,
        )
    return basket


def _fastest(basket: Basket) -> FloatArray:
    """Each leg filled at its caps from the first period (the least inventory risk)."""
    U = np.minimum(basket.upper, basket.S[:, None])
    before = np.concatenate([np.zeros((basket.M, 1)), np.cumsum(U, axis=1)[:, :-1]], axis=1)
    return np.clip(basket.S[:, None] - before, 0.0, U)


def basket_cases(*, fast: bool = False, seed: int = 0) -> Iterator[BasketCase]:
    """The basket family: ``M`` in 2, 5, 10, 20, 50 (2, 5, 10 with ``fast``), each with factor
    and full covariance, with and without cross-impact and band, plus a binding-VaR instance per
    ``M``; seeds spawned from ``seed`` so a case is the same whatever else is drawn.

    Examples
    --------
    >>> cases = list(basket_cases(fast=True))
    >>> len(cases), cases[0].name
    (27, 'M2-factor')
    """
    sizes = (2, 5, 10) if fast else (2, 5, 10, 20, 50)
    N = 30 if fast else 78
    variants: list[tuple[str, dict[str, Any]]] = [
        ("factor", {"covariance": "factor"}),
        ("full", {"covariance": "full"}),
        ("factor-H", {"covariance": "factor", "cross_impact": True}),
        ("full-H", {"covariance": "full", "cross_impact": True}),
        ("factor-band", {"covariance": "factor", "band": True}),
        ("full-band", {"covariance": "full", "band": True}),
        ("factor-H-band", {"covariance": "factor", "cross_impact": True, "band": True}),
        ("full-H-band", {"covariance": "full", "cross_impact": True, "band": True}),
        ("factor-var", {"covariance": "factor", "var_limit": True}),
    ]
    children = np.random.SeedSequence(seed).spawn(len(sizes) * len(variants))
    j = 0
    for M in sizes:
        for label, kw in variants:
            spec = {"M": M, "N": N, **kw}
            yield BasketCase(f"M{M}-{label}", random_basket(children[j], M, N, **kw), spec)
            j += 1


def cross_check(basket: Basket, methods: tuple[str, str] | None = None) -> dict[str, Any]:
    """Solve with two back-ends, certify both, compare: one tidy row.

    The default pair is Clarabel and OSQP, or Clarabel and SCS when a cone (VaR limit) rules
    OSQP out.

    Returns
    -------
    dict
        ``objective_<method>``, ``certified_<method>``, ``rel_bound_gap_<method>``,
        ``seconds_<method>``, ``rel_diff`` (between the two objectives), ``agree``
        (``rel_diff <= AGREE_RTOL``) and ``certified`` (both certified).
    """
    from execopt.solvers.basket import solve_basket

    if methods is None:
        methods = ("clarabel", "scs") if basket.var_limit is not None else ("clarabel", "osqp")
    row: dict[str, Any] = {"M": basket.M, "N": basket.N}
    objs = []
    ok = True
    for m in methods:
        sol = solve_basket(basket, m)
        row[f"objective_{m}"] = sol.objective
        row[f"certified_{m}"] = sol.certified
        row[f"rel_bound_gap_{m}"] = sol.certificate.rel_bound_gap
        row[f"seconds_{m}"] = sol.timings.total
        objs.append(sol.objective)
        ok = ok and sol.certified
    rel = abs(objs[0] - objs[1]) / max(abs(objs[0]), 1e-300)
    row.update(rel_diff=rel, agree=rel <= AGREE_RTOL, certified=ok)
    return row
