"""Executing a basket: per-asset books, a covariance estimate, joint policies and a replay that
steps every leg together.

=================================  ==========================================================
piece                              what
=================================  ==========================================================
:func:`estimate_covariance`        one-minute mid changes of the books (dollars per share),
                                   Ledoit–Wolf shrinkage of their correlation toward the
                                   identity, scaled back by the sample volatilities
:func:`co_moving`                  per-minute books whose mids share a common factor with a
                                   target correlation (a labelled synthetic overlay)
:func:`fit_leg`                    one leg's problem from a book: a per-minute quadratic
                                   profile (:func:`~execopt.impact.profiles.fit_profile`)
:func:`basket_from_books`          the :class:`~execopt.problem.basket.Basket` of the books:
                                   fitted legs, arrival prices, covariance given or estimated
:class:`IndependentTWAP`           ``S_i / N`` per leg
:class:`IndependentOptimal`        each leg's own optimum with its own variance ``k C_ii``
                                   (the desk that ignores the other legs)
:class:`JointOptimal`              the basket's optimum, planned once at the open
:class:`JointAdaptive`             re-solves the remaining basket every ``every`` minutes
                                   from the inventory actually left
:func:`simulate_basket`            the replay: at every minute each leg's live book and state,
                                   one joint decision, then each leg filled against its book
=================================  ==========================================================

The replay uses the single-asset simulator (:mod:`execopt.execution.simulator`) leg by leg:
one ``_Replay`` per leg, stepped together; a basket policy sees every leg's
:class:`~execopt.execution.state.MarketState` of the minute before any leg trades.

Covariance (:func:`estimate_covariance`): with ``dP`` the ``T x M`` one-minute mid changes
(dollars per share), ``s`` their sample standard deviations and ``Z = (dP - mean) / s``, the
sample correlation ``R = Z^T Z / T`` is shrunk toward the identity with the Ledoit–Wolf (2004)
intensity ``delta = min(1, sum_t |z_t z_t^T - R|_F^2 / T^2 / |R - I|_F^2)``, and
``C = diag(s) ((1 - delta) R + delta I) diag(s)``. (Shrinking the correlation, not the
covariance, keeps each asset's own variance and does not pull a $9 stock's variance toward a
$47 stock's.)

Glossary: ``M`` legs, ``N`` minutes, ``S`` shares, ``R`` remaining shares, ``P`` prices,
``C`` the covariance of one-minute price changes (dollars^2 per share^2).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from execopt.data.book import BookSeries
from execopt.errors import DataError, ExecoptError, InfeasibleError, InputError
from execopt.execution.simulator import SimConfig, SimResult, _check_shares, _Replay
from execopt.execution.state import MarketState
from execopt.impact.models import QuadraticImpact
from execopt.impact.profiles import fit_profile
from execopt.problem.basket import Basket, FactorCovariance, side_sign, tail_problem
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.api import solve

__all__ = [
    "BasketPolicy",
    "BasketSimResult",
    "CovarianceEstimate",
    "IndependentOptimal",
    "IndependentTWAP",
    "JointAdaptive",
    "JointOptimal",
    "basket_from_books",
    "co_moving",
    "estimate_covariance",
    "fit_leg",
    "ledoit_wolf",
    "plan_schedule",
    "simulate_basket",
]

FloatArray = NDArray[np.float64]

#: Smallest ``b_t`` given to a fitted leg (dollars per share^2): a book so deep that the fit
#: gives ``b = 0`` would make the impact linear and the schedule bang-bang.
MIN_B = 1e-9


# ----------------------------------------------------------------------------- covariance
def ledoit_wolf(Z: ArrayLike) -> tuple[FloatArray, float]:
    """Ledoit–Wolf (2004) shrinkage of the sample covariance of ``Z`` (T x M, demeaned here)
    toward ``mu I``, ``mu`` the mean sample variance.

    Returns
    -------
    covariance : ndarray (M, M)
    delta : float
        The shrinkage intensity in ``[0, 1]``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> C, d = ledoit_wolf(rng.normal(size=(500, 3)))
    >>> C.shape, 0.0 <= d <= 1.0
    ((3, 3), True)
    """
    X = np.asarray(Z, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise InputError("ledoit_wolf needs a (T, M) array with T >= 2 observations.")
    T, M = X.shape
    X = X - X.mean(axis=0)
    S = X.T @ X / T
    mu = float(np.trace(S)) / M
    d2 = float(np.sum((S - mu * np.eye(M)) ** 2))
    # b2 = (1 / T^2) sum_t |x_t x_t^T - S|_F^2 = (1 / T^2) sum_t (|x_t|^4 - 2 x_t^T S x_t) + |S|_F^2 / T
    sq = np.sum(X * X, axis=1)
    b2 = float(np.sum(sq * sq) - 2.0 * np.sum((X @ S) * X)) / T**2 + float(np.sum(S * S)) / T
    b2 = min(max(b2, 0.0), d2)
    delta = b2 / d2 if d2 > 0 else 1.0
    return np.asarray(delta * mu * np.eye(M) + (1.0 - delta) * S), float(delta)


@dataclass(frozen=True)
class CovarianceEstimate:
    """A covariance of one-minute price changes and how it was estimated.

    Attributes
    ----------
    matrix : ndarray (M, M)
        Dollars^2 per share^2 per minute.
    volatility : ndarray (M,)
        Sample standard deviation of one-minute mid changes, dollars per share.
    correlation : ndarray (M, M)
        The shrunk correlation.
    shrinkage : float
        Ledoit–Wolf intensity (0: the sample correlation, 1: the identity).
    n_obs : int
        Minutes used (those where every book has a two-sided mid at both ends).
    method : str
    """

    matrix: FloatArray
    volatility: FloatArray
    correlation: FloatArray
    shrinkage: float
    n_obs: int
    method: str = (
        "Ledoit-Wolf (2004) shrinkage of the correlation of one-minute mid changes toward the "
        "identity, scaled by the sample volatilities"
    )


def _minute_mids(book: BookSeries) -> FloatArray:
    return np.asarray(book.minute_snapshots().mid, dtype=np.float64)


def estimate_covariance(books: Sequence[BookSeries]) -> CovarianceEstimate:
    """Covariance of the books' one-minute mid changes with Ledoit–Wolf shrinkage (see the
    module docstring).

    Raises
    ------
    DataError
        Books with different numbers of minutes, or fewer than 10 usable minutes.

    Examples
    --------
    >>> from execopt.data import synthetic_book
    >>> books = [synthetic_book(p, seed=1, events_per_minute=5) for p in ("FROG", "SOUN")]
    >>> est = estimate_covariance(books)
    >>> est.matrix.shape, est.n_obs
    ((2, 2), 389)
    """
    mids = [_minute_mids(b) for b in books]
    n = {m.shape[0] for m in mids}
    if len(n) != 1:
        raise DataError(
            f"the books have different numbers of minutes {sorted(n)}: a covariance needs the "
            "same session for every book."
        )
    dP = np.diff(np.stack(mids, axis=1), axis=0)
    ok = np.isfinite(dP).all(axis=1)
    dP = dP[ok]
    if dP.shape[0] < 10:
        raise DataError(
            f"only {dP.shape[0]} minutes have a two-sided mid in every book: too few for a "
            "covariance; give the covariance instead."
        )
    sd = dP.std(axis=0)
    if not (sd > 0).all():
        raise DataError("a book's mid never changes: its variance is zero; give the covariance.")
    Z = (dP - dP.mean(axis=0)) / sd
    R, delta = ledoit_wolf(Z)
    d = np.sqrt(np.diag(R))
    R = R / np.outer(d, d)
    C = sd[:, None] * R * sd[None, :]
    return CovarianceEstimate(0.5 * (C + C.T), sd, R, delta, int(dP.shape[0]))


# ----------------------------------------------------------------------------- books
def co_moving(
    books: Sequence[BookSeries],
    correlation: float | ArrayLike,
    *,
    factor: BookSeries | None = None,
    seed: int | np.random.SeedSequence | None = 0,
    tick: float = 0.01,
) -> list[BookSeries]:
    """Per-minute copies of ``books`` whose mids share a common factor (a synthetic overlay).

    Book ``i``'s log mid gains ``beta_i s_i W_t`` with ``W`` a standardised random walk (the
    cumulated one-minute log returns of ``factor``, scaled to unit variance, or a seeded
    Gaussian walk), ``s_i`` the book's own one-minute log-return volatility and
    ``beta_i = rho_i / sqrt(1 - rho_i^2)``: the correlation of its one-minute returns with the
    factor is then about ``rho_i``. Every level moves by the same dollar shift, rounded to the
    tick (spreads and depth unchanged). A book whose ``rho_i`` is 0 is returned as its minute
    snapshots, unchanged; so is ``factor`` itself if it is among ``books``.

    Parameters
    ----------
    books : sequence of BookSeries
    correlation : float or array_like (M,)
        Target correlation with the factor, in ``[0, 1)``.
    factor : BookSeries, optional
        A book whose mid path is the factor (e.g. the real FROG day); default a seeded walk.
    seed : int or SeedSequence
    tick : float
        Price grid, dollars.

    Returns
    -------
    list of BookSeries
        Per-minute series (``minutes`` set), the source labelled ``+comove(rho=...)``.
    """
    snaps = [b.minute_snapshots() for b in books]
    N = {len(s) for s in snaps}
    if len(N) != 1:
        raise DataError("co_moving needs books with the same minutes.")
    n = N.pop()
    rho = np.broadcast_to(np.asarray(correlation, dtype=np.float64), (len(books),))
    if not np.all((rho >= 0) & (rho < 1)):
        raise InputError(f"correlation must be in [0, 1), got {rho.tolist()}.")
    if factor is not None:
        fm = _minute_mids(factor)
        if fm.shape[0] != n:
            raise DataError("the factor book has a different number of minutes.")
        r = np.diff(np.log(fm))
        r = np.where(np.isfinite(r), r, 0.0)
        r = (r - r.mean()) / max(float(r.std()), 1e-300)
    else:
        r = np.random.default_rng(seed).standard_normal(n - 1)
    W = np.concatenate([[0.0], np.cumsum(r)])
    out = []
    for i, s in enumerate(snaps):
        if rho[i] == 0 or (factor is not None and books[i] is factor):
            out.append(s)
            continue
        mid = np.asarray(s.mid, dtype=np.float64)
        lr = np.diff(np.log(mid))
        sig = float(np.nanstd(lr))
        beta = rho[i] / math.sqrt(1.0 - rho[i] ** 2)
        shift = np.nan_to_num(mid * np.expm1(beta * sig * W))
        shift = np.round(shift / tick) * tick
        out.append(
            s.replace(
                bid_px=np.asarray(s.bid_px) + shift[:, None],
                ask_px=np.asarray(s.ask_px) + shift[:, None],
                source=(*s.source, f"+comove(rho={rho[i]:g})"),
            )
        )
    return out


def fit_leg(
    book: BookSeries,
    side: str,
    shares: float,
    *,
    cap: float | ArrayLike | None = None,
    window: int = 30,
) -> ExecutionProblem:
    """One leg's problem: a per-minute quadratic profile fitted on ``book``'s walked costs
    (rolling ``window`` minutes; no bootstrap), ``b_t >= MIN_B``.

    Examples
    --------
    >>> from execopt.data import synthetic_book
    >>> p = fit_leg(synthetic_book("FROG", seed=1, events_per_minute=5), "buy", 5_000, cap=100)
    >>> p.periods, p.shares
    (390, 5000.0)
    """
    side_sign(side)
    prof = fit_profile(
        book,
        "buy" if side == "buy" else "sell",
        "quadratic",
        method="rolling",
        window=window,
        n_boot=0,
        time_split=None,
    )
    impact = QuadraticImpact(np.asarray(prof.a), np.maximum(np.asarray(prof.b), MIN_B))
    c: Any = None if cap is None else np.asarray(cap, dtype=np.float64)
    return ExecutionProblem(float(shares), impact, periods=prof.periods, cap=c)


def arrival_prices(books: Sequence[BookSeries]) -> FloatArray:
    """The first two-sided minute mid of each book, dollars per share."""
    out = []
    for b in books:
        m = _minute_mids(b)
        ok = np.flatnonzero(np.isfinite(m))
        if ok.size == 0:
            raise DataError(f"book {b.symbol!r} has no two-sided minute: no price.")
        out.append(float(m[ok[0]]))
    return np.array(out)


def basket_from_books(
    books: Sequence[BookSeries],
    sides: Sequence[str],
    shares: ArrayLike,
    *,
    caps: Sequence[float | ArrayLike | None] | None = None,
    covariance: ArrayLike | FactorCovariance | CovarianceEstimate | None = None,
    risk_aversion: float = 0.0,
    neutrality_band: float | None = None,
    var_limit: float | None = None,
    fit_books: Sequence[BookSeries] | None = None,
) -> Basket:
    """The basket of ``books``: each leg fitted (:func:`fit_leg`, on ``fit_books`` when given:
    earlier days, so the plan does not see the day it trades), prices the arrival mids,
    covariance given or, when None and ``risk_aversion > 0`` or a VaR limit is set, estimated
    from the books (:func:`estimate_covariance`, on ``fit_books`` when given).

    Raises
    ------
    InputError
        Unequal lengths of books, sides, shares and caps.
    """
    M = len(books)
    S = np.atleast_1d(np.asarray(shares, dtype=np.float64))
    if len(sides) != M or S.shape != (M,) or (caps is not None and len(caps) != M):
        raise InputError(
            f"give one side, one size (and one cap) per book: {M} books, {len(sides)} sides, "
            f"{S.shape[0]} sizes."
        )
    fits = fit_books if fit_books is not None else books
    if len(fits) != M:
        raise InputError(f"fit_books must have {M} books, got {len(fits)}.")
    legs = [
        fit_leg(fits[i], sides[i], float(S[i]), cap=None if caps is None else caps[i])
        for i in range(M)
    ]
    cov: Any = covariance
    if isinstance(cov, CovarianceEstimate):
        cov = cov.matrix
    if cov is None and (risk_aversion > 0 or var_limit is not None):
        cov = estimate_covariance(fits).matrix
    return Basket(
        legs,
        list(sides),
        covariance=cov,
        risk_aversion=risk_aversion,
        prices=arrival_prices(books),
        neutrality_band=neutrality_band,
        var_limit=var_limit,
        symbols=[b.symbol for b in books],
    )


# ----------------------------------------------------------------------------- policies
@runtime_checkable
class BasketPolicy(Protocol):
    """A joint policy: ``name`` and ``decide(states) -> shares per leg`` (an optional
    ``reset()`` before each replay and ``info`` dict).
    """

    name: str

    def decide(self, states: Sequence[MarketState]) -> FloatArray:
        """Shares to send for each leg in period ``states[0].t`` (clipped by the replay)."""
        ...


class BasketSchedulePolicy:
    """Base of the schedule-following basket policies: send ``X_{i,t} - done_i`` per leg, with
    ``X`` the cumulative plan (a shortfall is sent again next period).
    """

    name = "basket-schedule"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the plan (called before each replay)."""
        self.target: FloatArray | None = None
        self.info: dict[str, Any] = {}

    def replan(self, t: int) -> bool:
        """Whether to plan again at period ``t`` (the first call always plans)."""
        return False

    def plan(self, states: Sequence[MarketState]) -> FloatArray:  # pragma: no cover - abstract
        """Schedules for periods ``t..N-1`` of the remaining shares, shape (M, N - t)."""
        raise NotImplementedError

    def decide(self, states: Sequence[MarketState]) -> FloatArray:
        t, N = states[0].t, states[0].N
        done = np.array([s.done for s in states])
        if self.target is None or self.replan(t):
            x = np.asarray(self.plan(states), dtype=np.float64)
            if x.shape != (len(states), N - t):
                raise InputError(
                    f"{self.name}: plan has shape {x.shape}, expected ({len(states)}, {N - t})."
                )
            target = np.empty((len(states), N))
            target[:, :t] = done[:, None]
            target[:, t:] = done[:, None] + np.cumsum(x, axis=1)
            self.target = target
        return np.maximum(self.target[:, t] - done, 0.0)


class IndependentTWAP(BasketSchedulePolicy):
    """Every leg at its own TWAP rate."""

    name = "independent-twap"

    def plan(self, states: Sequence[MarketState]) -> FloatArray:
        n = states[0].periods_left
        return np.repeat(np.array([s.remaining / n for s in states])[:, None], n, axis=1)


def plan_schedule(basket: Basket, method: str = "clarabel") -> tuple[FloatArray, dict[str, Any]]:
    """The optimal schedule of ``basket``: ``exact`` first when it is decoupled (falling back to
    ``method`` where a leg has no exact algorithm, e.g. a binding cap with a risk term), else
    ``method``; with what was used (method, objective, certified, relative bound gap).
    """
    methods = ["exact", method] if basket.decoupled and method != "exact" else [method]
    last: ExecoptError | None = None
    for m in methods:
        try:
            sol = solve(basket, m)
        except ExecoptError as exc:  # e.g. a binding cap with a risk term: not exact
            last = exc
            continue
        return sol.schedule, {
            "method": m,
            "objective": sol.objective,
            "certified": sol.certified,
            "rel_bound_gap": sol.certificate.rel_bound_gap,
        }
    assert last is not None
    raise last


class JointOptimal(BasketSchedulePolicy):
    """The basket's optimum, planned once at the open (``eo.solve(basket, method)``).

    Parameters
    ----------
    basket : Basket
        Its legs' sizes must be the replay's.
    method : str
    """

    name = "joint-optimal"

    def __init__(self, basket: Basket, method: str = "clarabel") -> None:
        self.basket = basket
        self.method = method
        super().__init__()

    def planned(self) -> Basket:
        """The basket this policy plans on."""
        return self.basket

    def plan(self, states: Sequence[MarketState]) -> FloatArray:
        b = self.planned()
        t = states[0].t
        if t > 0:
            R = np.array([s.remaining for s in states])
            b = _tail_basket(b, t, R)
        x, info = plan_schedule(b, self.method)
        self.info.update(info, planned_at=t)
        return x


class IndependentOptimal(JointOptimal):
    """Each leg's own optimum, with its own variance ``k C_ii`` and its own terms: the basket's
    off-diagonal covariance, cross-impact, band and VaR limit are ignored (each desk alone).
    """

    name = "independent-optimal"

    def planned(self) -> Basket:
        b = self.basket
        cov = None
        if b.covariance is not None:
            cov = np.diag(b.cov_diagonal)  # type: ignore[arg-type]
        H = b.hbar
        return Basket(
            b.problems,
            b.sides,
            covariance=cov,
            risk_aversion=b.risk_aversion if cov is not None else 0.0,
            cross_impact=None if H is None else np.diag(np.diag(H)),
            prices=b.prices,
            symbols=b.symbols,
        )


#: Remaining shares below this are rounding dust of earlier fills and count as done (a leg
#: with 2e-8 shares left made a re-solve's scaling degenerate: Clarabel stopped with
#: "insufficient progress").
DUST_SHARES = 1e-6


def _tail_basket(b: Basket, t: int, R: FloatArray) -> Basket:
    """The remaining basket; caps relaxed to ``R_i / n`` per period where the replay left a leg
    more shares than its caps can take (unfilled beyond the visible depth).
    """
    R = np.where(R < DUST_SHARES, 0.0, R)
    try:
        return b.remaining_basket(t, R)
    except InfeasibleError:
        legs = []
        for i, p in enumerate(b.problems):
            n = p.periods - t
            cap = None
            if p.cap is not None:
                c = np.broadcast_to(np.asarray(p.cap, dtype=float), (p.periods,))[t:]
                cap = np.maximum(c, R[i] / n)
            legs.append(dataclasses.replace(p, cap=cap))
        return Basket(
            [tail_problem(q, t, float(R[i])) for i, q in enumerate(legs)],
            b.sides,
            covariance=b.covariance,
            risk_aversion=b.risk_aversion,
            cross_impact=b.cross_impact,
            prices=b.prices,
            neutrality_band=None,
            var_limit=b.var_limit,
            symbols=b.symbols,
        )


class JointAdaptive(JointOptimal):
    """Re-solve the remaining basket every ``every`` minutes from the inventory actually left
    (shares beyond the visible depth, lots, halts make it differ from the plan). When the band
    can no longer be met from there, the re-solve drops it and says so in ``info``.

    Parameters
    ----------
    basket : Basket
    every : int
        Minutes between re-solves (``>= 1``).
    method : str
    """

    name = "joint-adaptive"

    def __init__(self, basket: Basket, every: int = 30, method: str = "clarabel") -> None:
        if int(every) < 1:
            raise InputError(f"every must be >= 1 minute, got {every}.")
        self.every = int(every)
        super().__init__(basket, method)

    def replan(self, t: int) -> bool:
        return t > 0 and t % self.every == 0

    def plan(self, states: Sequence[MarketState]) -> FloatArray:
        try:
            x = super().plan(states)
        except InfeasibleError:
            t = states[0].t
            R = np.array([s.remaining for s in states])
            b = _tail_basket(self.basket, t, R).without_mandate()
            x, info = plan_schedule(b, self.method)
            self.info.update(info, planned_at=t, band_dropped_at=t)
        self.info["replans"] = int(self.info.get("replans", 0)) + 1
        return x


# ----------------------------------------------------------------------------- the replay
@dataclass(frozen=True, eq=False)
class BasketSimResult:
    """Every leg of one basket replay (immutable).

    Attributes
    ----------
    policy : str
    legs : tuple of SimResult
        One single-asset result per leg (fills, costs, events).
    sides : tuple of str
    info : dict
        The policy's notes.
    """

    policy: str
    legs: tuple[SimResult, ...]
    sides: tuple[str, ...]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def shortfall(self) -> float:
        """The basket's implementation shortfall, dollars (the legs' sum)."""
        return float(sum(r.shortfall for r in self.legs))

    @property
    def cost(self) -> float:
        """Dollars paid against each period's mid, all legs."""
        return float(sum(r.cost for r in self.legs))

    def filled(self) -> FloatArray:
        """Shares filled per leg and period, shape (M, N)."""
        return np.stack([r.fills["filled"].to_numpy(dtype=float) for r in self.legs])

    def exposure(self, prices: ArrayLike | None = None) -> FloatArray:
        """Signed inventory after each period (sell ``+R``, buy ``-R``), shares, shape (M, N);
        in dollars when ``prices`` (M,) are given.
        """
        R = np.stack([r.fills["remaining"].to_numpy(dtype=float) for r in self.legs])
        E = np.array([side_sign(s) for s in self.sides])[:, None] * R
        return E if prices is None else E * np.asarray(prices, dtype=float)[:, None]

    def summary(self) -> pd.DataFrame:
        """One row per leg and one for the basket: cost, shortfall (dollars and bp), fill rate."""
        rows = [
            {
                "policy": self.policy,
                "symbol": r.symbol,
                "side": r.side,
                "shares": r.shares,
                "cost": r.cost,
                "shortfall": r.shortfall,
                "shortfall_bps": r.shortfall_bps,
                "fill_rate": r.fill_rate,
            }
            for r in self.legs
        ]
        notional = sum(r.shares * r.arrival_mid for r in self.legs)
        rows.append(
            {
                "policy": self.policy,
                "symbol": "basket",
                "side": "",
                "shares": float(sum(r.shares for r in self.legs)),
                "cost": self.cost,
                "shortfall": self.shortfall,
                "shortfall_bps": 1e4 * self.shortfall / notional if notional > 0 else math.nan,
                "fill_rate": float(
                    sum(r.filled for r in self.legs) / sum(r.shares for r in self.legs)
                ),
            }
        )
        return pd.DataFrame(rows)


class _Leg:
    """The single-asset policy of one leg inside a basket replay: returns the joint decision."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pending = 0.0

    def decide(self, state: MarketState) -> float:
        return self.pending


def simulate_basket(
    books: Sequence[BookSeries],
    policy: BasketPolicy,
    shares: ArrayLike,
    sides: Sequence[str],
    config: SimConfig | Sequence[SimConfig] | None = None,
    *,
    progress: bool = False,
) -> BasketSimResult:
    """Replay a basket against each leg's book at once (see the module docstring).

    Parameters
    ----------
    books : sequence of BookSeries
        One per leg, with the same minutes (per-minute series or event-level days).
    policy : BasketPolicy
    shares : array_like (M,)
    sides : sequence of {"buy", "sell"}
    config : SimConfig or one per leg, optional
        The fill rules; each leg's ``side`` is set from ``sides``.
    progress : bool

    Returns
    -------
    BasketSimResult

    Raises
    ------
    InputError
        Mismatched lengths, bad sizes or sides, a policy answer of the wrong shape or NaN.
    DataError
        Books with different numbers of minutes.

    Examples
    --------
    >>> from execopt.data import synthetic_book
    >>> books = [synthetic_book(p, seed=2, events_per_minute=5, periods=30) for p in ("FROG", "SOUN")]
    >>> r = simulate_basket(books, IndependentTWAP(), [300, 600], ["buy", "sell"],
    ...                     SimConfig(session=None, lot=1))
    >>> [round(x.fill_rate, 3) for x in r.legs]
    [1.0, 1.0]
    """
    M = len(books)
    S = np.atleast_1d(np.asarray(shares, dtype=np.float64))
    if len(sides) != M or S.shape != (M,):
        raise InputError(f"give one size and one side per book: {M} books.")
    for s in sides:
        side_sign(s)
    if config is None or isinstance(config, SimConfig):
        base = config if config is not None else SimConfig()
        cfgs = [dataclasses.replace(base, side=s) for s in sides]  # type: ignore[arg-type]
    else:
        if len(config) != M:
            raise InputError(f"give one SimConfig per leg ({M}), got {len(config)}.")
        cfgs = [dataclasses.replace(c, side=s) for c, s in zip(config, sides, strict=True)]  # type: ignore[arg-type]
    name = str(getattr(policy, "name", type(policy).__name__))
    if hasattr(policy, "reset"):
        policy.reset()
    legs = [_Leg(name) for _ in range(M)]
    replays = [
        _Replay(books[i], legs[i], _check_shares(S[i], cfgs[i].lot), cfgs[i], None, None, None)
        for i in range(M)
    ]
    Ns = {r.N for r in replays}
    if len(Ns) != 1:
        raise DataError(
            f"the books have different numbers of minutes {sorted(Ns)}: a basket replay steps "
            "every leg through the same minutes."
        )
    N = Ns.pop()
    steps: Any = range(N)
    if progress:
        from tqdm import tqdm

        steps = tqdm(steps, desc=name, leave=False, unit="min")
    for t in steps:
        states = [r.preview(t) for r in replays]
        q = np.asarray(policy.decide(states), dtype=np.float64)
        if q.shape != (M,) or np.isnan(q).any():
            raise InputError(
                f"basket policy {name!r} returned {q!r} at period {t}: expected {M} numbers."
            )
        for leg, v in zip(legs, q, strict=True):
            leg.pending = float(v)
        for r in replays:
            r.step(t)
    info = dict(getattr(policy, "info", {}) or {})
    return BasketSimResult(name, tuple(r.result() for r in replays), tuple(sides), info)
