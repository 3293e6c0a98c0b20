"""Basket studies: joint vs independent policies over replayed episodes, the price of the
mandate, the risk–cost frontier.

:func:`run_basket_episodes` replays every policy on ``episodes`` seeded synthetic days of a
basket (presets of :mod:`execopt.data.synthetic`, mids made to co-move with a seeded common
factor by :func:`~execopt.execution.basket.co_moving`), each leg fitted and the covariance
estimated once on a separate fitting day (so no plan sees the day it trades). Episodes run in
chunks on Dask (:mod:`execopt.studies.parallel`), one ``SeedSequence`` child per episode: the
table is the same whatever the number of workers. :func:`episode_stats` gives, per policy, the
mean and the **realised variance of the basket's shortfall across episodes**, next to the
model's risk term of the plan.

:func:`mandate_price` and :func:`frontier` are solver-only (no replay): the cost of the
direction mandate and of a neutrality band against the unconstrained closed form, and the
impact/variance frontier of a basket over its risk aversion.

Glossary: ``M`` legs, ``N`` minutes, ``S`` shares, ``k`` risk aversion (1 / dollars).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from execopt.data.synthetic import synthetic_book
from execopt.errors import InputError
from execopt.execution.basket import (
    IndependentOptimal,
    IndependentTWAP,
    JointAdaptive,
    JointOptimal,
    basket_from_books,
    co_moving,
    estimate_covariance,
    plan_schedule,
    simulate_basket,
)
from execopt.execution.simulator import SimConfig
from execopt.problem.basket import Basket, unconstrained_trajectories
from execopt.solvers.api import solve
from execopt.studies.parallel import ParallelConfig, RunStats, map_chunks

__all__ = [
    "POLICY_NAMES",
    "BasketStudyConfig",
    "band_prices",
    "day_basket",
    "episode_stats",
    "frontier",
    "mandate_price",
    "plan_basket",
    "plan_table",
    "replay_day",
    "run_basket_episodes",
]

POLICY_NAMES = ("independent-twap", "independent-optimal", "joint-optimal", "joint-adaptive")


@dataclass(frozen=True)
class BasketStudyConfig:
    """A basket replayed over seeded synthetic days.

    Parameters
    ----------
    presets : tuple of str
        Synthetic presets, one per leg.
    sides : tuple of str
    shares : tuple of float
    caps : tuple of float
        Per-period caps, shares.
    correlation : float
        Target correlation of each leg's mid with the common factor (``co_moving``).
    risk_aversion : float
        ``k``, 1 / dollars.
    neutrality_band : float or None
        Dollars.
    episodes : int
    adaptive_every : int
        Minutes between the joint adaptive policy's re-solves.
    events_per_minute : float or None
        Overrides the presets' event rate (fewer events: faster; None: the presets').
    seed : int
    parallel : ParallelConfig
    """

    presets: tuple[str, ...] = ("FROG", "SOUN", "CRWV")
    sides: tuple[str, ...] = ("sell", "buy", "sell")
    shares: tuple[float, ...] = (20_000.0, 140_000.0, 15_000.0)
    caps: tuple[float, ...] = (200.0, 2_000.0, 200.0)
    correlation: float = 0.6
    risk_aversion: float = 1e-6
    neutrality_band: float | None = None
    episodes: int = 20
    adaptive_every: int = 60
    events_per_minute: float | None = None
    seed: int = 0
    parallel: ParallelConfig = field(default_factory=lambda: ParallelConfig(workers=1))

    def __post_init__(self) -> None:
        M = len(self.presets)
        if not (len(self.sides) == len(self.shares) == len(self.caps) == M) or M < 1:
            raise InputError("give one side, size and cap per preset.")
        if self.episodes < 1:
            raise InputError(f"episodes must be >= 1, got {self.episodes}.")

    def fast(self) -> BasketStudyConfig:
        """The CI-sized version: 3 episodes, 10 events per minute."""
        return replace(self, episodes=3, events_per_minute=10.0)


def _books(cfg: BasketStudyConfig, ss: np.random.SeedSequence) -> list[Any]:
    kids = ss.spawn(len(cfg.presets) + 1)
    raw = [
        synthetic_book(p, seed=np.random.default_rng(k), events_per_minute=cfg.events_per_minute)
        for p, k in zip(cfg.presets, kids, strict=False)
    ]
    return co_moving(raw, cfg.correlation, seed=kids[-1])


def plan_basket(cfg: BasketStudyConfig) -> tuple[Basket, Any]:
    """The basket every episode plans on: legs fitted and covariance estimated on a fitting
    day (its own seed), prices its arrival mids.
    """
    fit_ss = np.random.SeedSequence([cfg.seed, 1])
    books = _books(cfg, fit_ss)
    est = estimate_covariance(books)
    b = basket_from_books(
        books,
        list(cfg.sides),
        list(cfg.shares),
        caps=list(cfg.caps),
        covariance=est,
        risk_aversion=cfg.risk_aversion,
        neutrality_band=cfg.neutrality_band,
    )
    return b, est


def _episode(
    shared: tuple[BasketStudyConfig, Basket], spec: tuple[int, Any]
) -> list[dict[str, Any]]:
    cfg, basket = shared
    episode, ss = spec
    books = _books(cfg, ss)
    policies = [
        IndependentTWAP(),
        IndependentOptimal(basket),
        JointOptimal(basket),
        JointAdaptive(basket, every=cfg.adaptive_every),
    ]
    rows: list[dict[str, Any]] = []
    for pol in policies:
        r = simulate_basket(books, pol, list(cfg.shares), list(cfg.sides), SimConfig(lot=1))
        X = r.filled()
        # the model's view of what was traded (impact + risk), on the planning basket
        full = bool(np.allclose(X.sum(axis=1), basket.S, rtol=1e-9))
        model_obj = basket.objective(X) if full else float("nan")
        for rec in r.summary().to_dict("records"):
            row = {str(k): v for k, v in rec.items()}
            row.update(episode=episode, model_objective=model_obj, model_risk=basket.risk_cost(X))
            rows.append(row)
    return rows


def run_basket_episodes(cfg: BasketStudyConfig, *, stats: RunStats | None = None) -> pd.DataFrame:
    """Replay every policy on ``cfg.episodes`` seeded days (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per episode, policy and leg (and one ``symbol == "basket"`` row): ``cost``,
        ``shortfall`` (dollars), ``shortfall_bps``, ``fill_rate``, ``model_objective``,
        ``model_risk`` (the planning basket's objective and risk term of the traded schedule).
    """
    basket, _ = plan_basket(cfg)
    kids = np.random.SeedSequence([cfg.seed, 2]).spawn(cfg.episodes)
    specs = list(enumerate(kids))
    chunks = map_chunks(
        _episode, (cfg, basket), specs, cfg.parallel, desc="basket episodes", stats=stats
    )
    return pd.DataFrame([row for rows in chunks for row in rows])


def episode_stats(table: pd.DataFrame) -> pd.DataFrame:
    """Per policy, over episodes: mean and standard deviation of the basket's shortfall, its
    realised variance, the mean cost against the period mids and the model's risk term.

    Examples
    --------
    >>> t = pd.DataFrame({"policy": ["a", "a"], "symbol": ["basket"] * 2, "episode": [0, 1],
    ...                   "shortfall": [1.0, 3.0], "cost": [1.0, 1.0], "model_risk": [0.5, 0.5],
    ...                   "model_objective": [2.0, 2.0]})
    >>> episode_stats(t)[["policy", "mean_shortfall", "var_shortfall"]].to_dict("records")
    [{'policy': 'a', 'mean_shortfall': 2.0, 'var_shortfall': 2.0}]
    """
    b = table[table["symbol"] == "basket"]
    g = b.groupby("policy", sort=False)
    out = pd.DataFrame(
        {
            "episodes": g["episode"].nunique(),
            "mean_shortfall": g["shortfall"].mean(),
            "std_shortfall": g["shortfall"].std(ddof=1),
            "var_shortfall": g["shortfall"].var(ddof=1),
            "mean_cost": g["cost"].mean(),
            "model_risk": g["model_risk"].mean(),
            "model_objective": g["model_objective"].mean(),
        }
    ).reset_index()
    return out


def day_basket(
    frog: Any,
    cfg: BasketStudyConfig | None = None,
    *,
    seed: int = 0,
) -> tuple[list[Any], Basket, Any]:
    """The report's three-asset basket on one day: ``frog`` (the real FROG day when the data
    are there, else the synthetic one) and the synthetic presets of ``cfg`` after the first,
    whose mids are made to co-move with FROG's (``co_moving`` with FROG's own mid path as the
    factor, correlation ``cfg.correlation``; FROG itself unchanged). Each leg is fitted on this
    same day and the covariance estimated from it (in sample: the plan knows the day's
    liquidity profile and co-movement; the episodes of :func:`run_basket_episodes` do not).

    Returns
    -------
    books, basket, covariance estimate
    """
    c = cfg if cfg is not None else BasketStudyConfig()
    kids = np.random.SeedSequence([seed, 3]).spawn(len(c.presets))
    raw = [frog] + [
        synthetic_book(p, seed=np.random.default_rng(k), events_per_minute=c.events_per_minute)
        for p, k in zip(c.presets[1:], kids[1:], strict=True)
    ]
    rho = [0.0] + [c.correlation] * (len(raw) - 1)
    books = co_moving(raw, rho, factor=frog)
    est = estimate_covariance(books)
    b = basket_from_books(
        books,
        list(c.sides),
        list(c.shares),
        caps=list(c.caps),
        covariance=est,
        risk_aversion=c.risk_aversion,
        neutrality_band=c.neutrality_band,
    )
    return books, b, est


def replay_day(
    books: Sequence[Any], basket: Basket, cfg: BasketStudyConfig | None = None
) -> pd.DataFrame:
    """Every policy replayed on one day's books: :meth:`BasketSimResult.summary` rows, stacked,
    with the model's objective and risk term of what was traded (on the basket rows).
    """
    c = cfg if cfg is not None else BasketStudyConfig()
    frames = []
    for pol in (
        IndependentTWAP(),
        IndependentOptimal(basket),
        JointOptimal(basket),
        JointAdaptive(basket, every=c.adaptive_every),
    ):
        r = simulate_basket(books, pol, list(basket.S), list(basket.sides), SimConfig(lot=1))
        X = r.filled()
        t = r.summary()
        full = bool(np.allclose(X.sum(axis=1), basket.S, rtol=1e-9))
        whole = t["symbol"] == "basket"
        t["model_objective"] = np.where(whole, basket.objective(X) if full else np.nan, np.nan)
        t["model_risk"] = np.where(whole, basket.risk_cost(X), np.nan)
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def plan_table(basket: Basket, methods: Sequence[str] = ("clarabel",)) -> pd.DataFrame:
    """Joint vs independent plans of one basket (no replay): per plan, the legs' impact, the
    basket's risk term (k sum r^T C r), the objective, the VaR and the largest dollar
    imbalance, all from the joint model.

    The independent plan is :class:`~execopt.execution.basket.IndependentOptimal`'s: each
    leg with its own variance only.
    """
    rows = []
    ind = IndependentOptimal(basket).planned()
    plans: dict[str, tuple[Any, bool | None]] = {"independent-twap": (basket.twap(), None)}
    plans["independent-optimal"] = (plan_schedule(ind, methods[0])[0], None)
    for m in methods:
        sol = solve(basket, m)
        name = "joint-optimal" + ("" if len(methods) == 1 else f" ({m})")
        plans[name] = (sol.schedule, sol.certified)
    for name, (X, certified) in plans.items():
        imb = basket.dollar_imbalance(X) if basket.prices is not None else np.zeros(basket.N)
        rows.append(
            {
                "plan": name,
                "impact": float(basket.leg_objectives(X).sum()),
                "risk": basket.risk_cost(X),
                "objective": basket.objective(X),
                "value_at_risk": basket.value_at_risk(X),
                "max_imbalance": float(np.abs(imb).max()),
                "certified": certified,
            }
        )
    return pd.DataFrame(rows)


def mandate_price(
    shares: ArrayLike,
    sides: Sequence[str],
    a: ArrayLike,
    b: ArrayLike,
    covariance: ArrayLike,
    risk_aversion: float,
    periods: int,
    *,
    prices: ArrayLike | None = None,
    bands: Sequence[float] = (),
) -> pd.DataFrame:
    """The price of the mandates on a constant-parameter basket (quadratic impact ``a_i, b_i``).

    Rows: the unconstrained closed form (:func:`~execopt.problem.basket.unconstrained_trajectories`,
    trades against a leg's direction allowed), the direction mandate alone (``x >= 0``), and the
    mandate with each dollar-neutrality band in ``bands``; each with its objective, its extra
    cost over the closed form (%), the most negative inventory any leg reaches (shares: below 0
    a long was sold short) and the largest dollar imbalance.
    """
    from execopt.impact.models import QuadraticImpact
    from execopt.problem.execution_problem import ExecutionProblem

    S = np.asarray(shares, dtype=np.float64)
    av, bv = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    legs = [
        ExecutionProblem(float(S[i]), QuadraticImpact(float(av[i]), float(bv[i])), periods=periods)
        for i in range(S.shape[0])
    ]
    basket = Basket(
        legs,
        list(sides),
        covariance=np.asarray(covariance, dtype=np.float64),
        risk_aversion=risk_aversion,
        prices=None if prices is None else np.asarray(prices, dtype=np.float64),
    )
    X = unconstrained_trajectories(S, sides, bv, covariance, risk_aversion, periods)
    free = float(np.sum(av[:, None] * X + bv[:, None] * X**2)) + basket.risk_cost(X)

    def row(name: str, Y: Any, obj: float, certified: bool | None) -> dict[str, Any]:
        R = basket.remaining(Y)
        imb = basket.dollar_imbalance(Y) if prices is not None else np.zeros(periods)
        return {
            "schedule": name,
            "objective": obj,
            "extra_cost_pct": 100.0 * (obj / free - 1.0),
            "min_inventory": float(R.min()),
            "max_imbalance": float(np.abs(imb).max()),
            "certified": certified,
        }

    rows = [row("unconstrained closed form", X, free, None)]
    sol = solve(basket, "clarabel")
    rows.append(row("direction mandate", sol.schedule, sol.objective, sol.certified))
    for D in bands:
        bb = replace(basket, neutrality_band=float(D))
        s2 = solve(bb, "clarabel")
        rows.append(row(f"mandate + band ${D:,.0f}", s2.schedule, s2.objective, s2.certified))
    return pd.DataFrame(rows)


def band_prices(basket: Basket, bands: Sequence[float], method: str = "clarabel") -> pd.DataFrame:
    """The joint optimum of ``basket`` under each dollar-neutrality band (and without one):
    objective, its extra cost over the optimum without a band (%), the largest dollar
    imbalance, the certificate's relative bound gap and how the bound was obtained.

    Raises
    ------
    InputError
        A basket without prices.
    """
    if basket.prices is None:
        raise InputError("a neutrality band needs prices.")
    base = solve(replace(basket, neutrality_band=None), method)
    rows = []
    for D in (None, *bands):
        sol = base if D is None else solve(replace(basket, neutrality_band=float(D)), method)
        rows.append(
            {
                "band": float("inf") if D is None else float(D),
                "objective": sol.objective,
                "extra_cost_pct": 100.0 * (sol.objective / base.objective - 1.0),
                "max_imbalance": float(np.abs(basket.dollar_imbalance(sol.schedule)).max()),
                "rel_bound_gap": sol.certificate.rel_bound_gap,
                "bound": sol.certificate.bound_method,
                "certified": sol.certified,
            }
        )
    return pd.DataFrame(rows)


def frontier(
    basket: Basket, risk_aversions: Sequence[float], method: str = "clarabel"
) -> pd.DataFrame:
    """The impact/variance frontier of a basket: for each ``k``, the joint optimum's impact
    (the legs' objectives) and variance ``sum_t r_t^T C r_t``, and the same for the independent
    plans (each leg with its own variance).

    Raises
    ------
    InputError
        A basket without covariance.
    """
    if basket.covariance is None:
        raise InputError("a frontier needs a covariance.")
    rows = []
    for k in risk_aversions:
        b = replace(basket, risk_aversion=float(k))
        for name, bb in (("joint", b), ("independent", IndependentOptimal(b).planned())):
            X = plan_schedule(bb, method)[0]
            rows.append(
                {
                    "plan": name,
                    "risk_aversion": float(k),
                    "impact": float(b.leg_objectives(X).sum()),
                    "variance": b.risk_variance(X),
                    "std_dollars": float(np.sqrt(b.risk_variance(X))),
                    "objective": b.objective(X),
                }
            )
    return pd.DataFrame(rows)
