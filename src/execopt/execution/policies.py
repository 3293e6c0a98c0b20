"""Execution policies: how many shares to send in each period.

A policy is any object with a ``name`` and ``decide(state) -> shares`` (:class:`Policy`); the
simulator calls ``reset()`` (if present) before a run and ``decide`` once per period with a
:class:`~execopt.execution.state.MarketState` (the live book, the past, the order's progress).
The simulator clips the answer to ``[0, remaining]`` and records the raw value.

Schedule-following policies (TWAP, VWAP, static optimal, Almgren–Chriss, the oracle) hold a
target cumulative schedule ``X_t`` and send ``X_t - done`` each period, where ``done`` counts
shares filled or dropped: under ``overflow="carry"`` a shortfall (shares beyond the visible depth,
a skipped or halted period) is therefore sent again in the next period; under ``"drop"`` it is
not.

=================================  ==========================================================
policy                             decision
=================================  ==========================================================
:class:`TWAP`                      ``S / N`` per period
:class:`VWAP`                      ``S`` times the expected volume share of the period: earlier
                                   days' minute volume if given, else a U-shaped prior
:class:`StaticOptimal`             solve once with ``eo.solve`` on a forecast fitted on history:
                                   earlier days' per-minute profile if given, else the first
                                   ``warmup`` minutes (traded at the TWAP rate meanwhile)
:class:`Adaptive`                  every period: the live book's exact walk now, a quadratic
                                   forecast (re-estimated on a rolling window every ``k``
                                   minutes) later; re-solve the remaining shares exactly
:class:`AlmgrenChriss`             risk-averse mean-variance schedule (closed form / banded KKT)
:class:`POV`                       a fixed fraction of the period's traded volume
:class:`PerfectForesightOracle`    **not a real policy**: sees every future book and follows
                                   the exact optimum over all of them (an upper bound)
=================================  ==========================================================

Glossary: ``S`` shares, ``N`` periods, ``t`` period, ``R`` remaining shares, ``a`` dollars per
share, ``b`` dollars per share squared, ``k`` risk aversion (1 / dollars), ``sigma`` dollars per
share per period.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt.data.book import BookSeries
from execopt.data.synthetic import intraday_shape
from execopt.errors import DataError, InputError, NotSupportedError
from execopt.execution.composite import solve_composite
from execopt.execution.forecast import (
    CostForecast,
    _cached,
    align_to_clock,
    fit_window,
    history_profile,
    make_forecast,
    seasonal_shape,
    volume_profile,
)
from execopt.execution.regimes import Buffer, RegimeBuffers, RegimeDetector
from execopt.execution.state import MarketState, Policy, book_status
from execopt.impact.base import ImpactModel
from execopt.impact.bookwalk import book_curve, book_side
from execopt.impact.fees import PerShareFee
from execopt.impact.models import PiecewiseLinearImpact, QuadraticImpact
from execopt.impact.transient import Kernel
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.mean_variance import solve_mean_variance
from execopt.solvers.api import solve

__all__ = [
    "POLICIES",
    "POV",
    "TWAP",
    "VWAP",
    "Adaptive",
    "AlmgrenChriss",
    "FixedSchedule",
    "PerfectForesightOracle",
    "Policy",
    "SchedulePolicy",
    "StaticOptimal",
    "make_policy",
]

FloatArray = NDArray[np.float64]

#: Amplitude of the intraday U-shaped prior on impact costs that the adaptive policy uses when
#: no earlier day is given (:func:`execopt.data.synthetic.intraday_shape`; 1.0: the first and last
#: minutes cost 2.5 times midday). An assumption, not a fit: spreads are widest at the open.
COST_PRIOR_AMPLITUDE = 1.0


def _cap_array(cap: float | ArrayLike | None, N: int) -> FloatArray:
    if cap is None:
        return np.full(N, np.inf)
    c = np.asarray(cap, dtype=float)
    if c.ndim == 0:
        c = np.full(N, float(c))
    if c.shape != (N,) or np.any(np.isnan(c)) or np.any(c < 0):
        raise InputError(
            f"cap must be None, a number or an array of N = {N} caps >= 0 (shares); got shape "
            f"{c.shape}."
        )
    return c


def _footprint_rate(state: MarketState, kernel: Kernel | None) -> FloatArray:
    """Dollars per share that the decaying displacement of the order's earlier fills adds to
    each remaining period ``tau = t .. N-1``: ``sum_{s<t} G(tau - s) f_s``. (Permanent impact
    adds ``gamma sum_{s<t} f_s`` to every remaining share alike, which does not change the
    plan.) A linear, separable cost: the planner adds it as a per-share fee.
    """
    n = state.periods_left
    if kernel is None or state.t == 0:
        return np.zeros(n)
    f = np.asarray(state.history.filled[: state.t], dtype=np.float64)
    g = kernel.values(state.N)
    return np.asarray(np.convolve(f, g)[state.t : state.N], dtype=np.float64)


def _drift_arg(drift: float | ArrayLike) -> float | FloatArray:
    """Validate a policy's expected mid drift (dollars per share per period, price direction)."""
    if isinstance(drift, (bool, str)) or drift is None:
        raise InputError(
            f"drift must be a number or an array (dollars per share per period), got {drift!r}."
        )
    d = np.asarray(drift, dtype=float)
    if d.ndim > 1 or not np.all(np.isfinite(d)):
        raise InputError("drift must be finite: a number or one value per period.")
    return float(d) if d.ndim == 0 else d


def _adverse_drift(drift: float | FloatArray, state: MarketState) -> FloatArray | None:
    """The problem's drift for periods ``t..N-1``: the expected mid move against the order
    (``side`` times the mid's drift), or None when there is none.
    """
    d = np.asarray(drift, dtype=float)
    if not np.any(d):
        return None
    if d.ndim == 1 and d.shape[0] != state.N:
        raise InputError(f"drift has {d.shape[0]} values but the order has N = {state.N} periods.")
    sgn = 1.0 if state.side == "buy" else -1.0
    full = np.broadcast_to(d, (state.N,))
    return np.asarray(sgn * full[state.t :], dtype=np.float64)


def _available(state: MarketState) -> int:
    """Minutes of books observed so far: the order's own and the same day's earlier ones."""
    e = state.history.earlier
    return state.t + 1 + (e.N if e is not None else 0)


def _impact_terms(transient: Kernel | None, permanent: float) -> tuple[Kernel | None, float]:
    """Validate a policy's own-impact options (they are handed to ExecutionProblem)."""
    if transient is not None and not isinstance(transient, Kernel):
        raise InputError(f"transient must be a kernel or None, got {type(transient).__name__}.")
    g = float(permanent)
    if not (np.isfinite(g) and g >= 0):
        raise InputError(
            f"permanent must be finite and >= 0 (dollars per share^2), got {permanent}."
        )
    return transient, g


def _quadratic_of_book(curve: PiecewiseLinearImpact) -> tuple[float, float]:
    """``(a, b)`` of the least-squares quadratic through a book walk's cost at its level ends."""
    w = np.asarray(curve.widths, dtype=np.float64)
    x = np.cumsum(w)
    c = np.cumsum(np.asarray(curve.slopes, dtype=np.float64) * w)
    A = np.column_stack([x, x * x])
    coef, *_ = np.linalg.lstsq(A, c, rcond=None)
    a = max(float(coef[0]), 0.0)
    b = max(float(coef[1]), 1e-12)
    return a, b


class SchedulePolicy:
    """Base of the schedule-following policies: send ``X_t - done`` (see the module docstring).

    Subclasses implement :meth:`plan`, which returns the schedule of periods ``t..N-1`` for the
    remaining shares once they can (``None`` to keep trading at the TWAP rate meanwhile).

    Attributes
    ----------
    target : ndarray (N,) or None
        The cumulative target ``X_t`` once planned.
    info : dict
        What the plan was built from (JSON-ready values).
    """

    name = "schedule"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the plan (called by the simulator before each run)."""
        self.target: FloatArray | None = None
        self.info: dict[str, Any] = {}

    def plan(self, state: MarketState) -> FloatArray | None:  # pragma: no cover - abstract
        """Schedule for periods ``t..N-1`` summing to ``state.remaining``, or None (not yet)."""
        raise NotImplementedError

    def decide(self, state: MarketState) -> float:
        if self.target is None:
            x = self.plan(state)
            if x is not None:
                x = np.asarray(x, dtype=float)
                if x.shape != (state.periods_left,):
                    raise InputError(
                        f"{self.name}: plan has {x.shape} entries, expected {state.periods_left}."
                    )
                target = np.full(state.N, np.nan)
                target[: state.t] = state.done
                target[state.t :] = state.done + np.cumsum(x)
                target[-1] = state.S if state.remaining > 0 else target[-1]
                self.target = target
        if self.target is None:  # before the plan: the TWAP rate
            goal = state.S * (state.t + 1) / state.N
        else:
            goal = float(self.target[state.t])
        return max(goal - state.done, 0.0)


class TWAP(SchedulePolicy):
    """Time-weighted average price: ``S / N`` shares per period."""

    name = "twap"

    def plan(self, state: MarketState) -> FloatArray:
        self.info = {"plan": "equal split"}
        return np.full(state.periods_left, state.remaining / state.periods_left)


class VWAP(SchedulePolicy):
    """Volume-weighted: ``S`` times each period's expected share of the day's volume.

    The profile is the average minute volume of earlier days (``history.previous``) at the
    order's minutes of the day when given, else a U-shaped prior over the session;
    ``info["profile_source"]`` says which.
    """

    name = "vwap"

    def plan(self, state: MarketState) -> FloatArray:
        prev = state.history.previous
        w, source = volume_profile(
            prev,
            state.N,
            clock=state.clock if prev is not None else None,
            position=state.position,
            session_length=state.session_length,
        )
        rest = w[state.t :]
        if not rest.sum() > 0:
            rest = np.ones(state.periods_left)
        self.info = {"profile_source": source}
        return state.remaining * rest / rest.sum()


def _warmup_fit(
    state: MarketState, window: int, x_max: float, how: Literal["pooled", "mean"] = "mean"
) -> tuple[float, float]:
    px, sz, mid = state.history.window(window, state.side)
    return fit_window(px, sz, mid, state.side, x_max, how)


class FixedSchedule(SchedulePolicy):
    """Follow a schedule given in advance (e.g. an optimum planned on a model), minute by minute.

    Parameters
    ----------
    schedule : array_like (N,)
        Shares per period; rescaled to the order's size if it sums to something else.
    name : str
        The policy's label in results.
    """

    def __init__(self, schedule: ArrayLike, name: str = "fixed") -> None:
        x = np.asarray(schedule, dtype=np.float64)
        if x.ndim != 1 or not np.all(np.isfinite(x)) or np.any(x < 0) or not x.sum() > 0:
            raise InputError("schedule must be a 1-D array of shares >= 0 with a positive sum.")
        self.schedule = x
        self.name = name
        super().__init__()

    def plan(self, state: MarketState) -> FloatArray | None:
        if self.schedule.shape[0] != state.N:
            raise InputError(
                f"the schedule has {self.schedule.shape[0]} periods but the day has {state.N}."
            )
        rest = self.schedule[state.t :]
        total = float(rest.sum())
        if total <= 0:
            return np.full(state.periods_left, state.remaining / state.periods_left)
        return rest * (state.remaining / total)


class StaticOptimal(SchedulePolicy):
    """Solve once on a forecast fitted on history, then follow the schedule.

    With earlier days (``history.previous``) the forecast is their per-minute quadratic profile
    (:func:`~execopt.impact.profiles.fit_profile`, rolling 30 minutes) read at the order's
    minutes of the day, and the plan is made at arrival. Without, a quadratic is fitted on the
    last ``warmup`` minutes of books: the same day's minutes before the order arrived count
    (an order that starts mid-day plans at once), otherwise the first minutes are traded at
    the TWAP rate until ``warmup`` minutes exist. With one ``(a, b)`` and no binding caps this
    is an equal split (Jensen), as it should be, unless a drift is expected.

    Parameters
    ----------
    warmup : int
        Minutes of books to fit on when there is no earlier day.
    cap : None, float or array (N,)
        Per-period caps passed to the problem.
    method : str
        ``eo.solve`` method (default ``"exact"``).
    transient : Kernel or None
        The order's own transient impact (a calibrated propagator): the plan adds
        ``1/2 x^T K x`` over the remaining periods and the decaying displacement of the fills
        so far (a per-share rate), so it front- and back-loads as the kernel says.
    permanent : float
        Own permanent impact ``gamma`` (dollars per share^2) in the plan.
    drift : float or array (N,)
        Expected drift of the mid per period, dollars per share, in the price's direction (an
        alpha signal): the plan adds :class:`~execopt.problem.terms.Drift` (``side`` times it
        against the remaining inventory), front-loading a buy when the mid is expected to rise.
    """

    name = "static"

    def __init__(
        self,
        warmup: int = 30,
        cap: float | ArrayLike | None = None,
        method: str = "exact",
        transient: Kernel | None = None,
        permanent: float = 0.0,
        drift: float | ArrayLike = 0.0,
    ) -> None:
        if int(warmup) < 1:
            raise InputError(f"warmup must be >= 1 minute, got {warmup}.")
        self.warmup = int(warmup)
        self.cap = cap
        self.method = method
        self.transient, self.permanent = _impact_terms(transient, permanent)
        self.drift = _drift_arg(drift)
        super().__init__()

    def _model(self, state: MarketState) -> tuple[QuadraticImpact, str] | None:
        prev = state.history.previous
        if prev is not None:
            prof = history_profile(prev, state.side)
            mod = np.asarray(prof.minute_of_day)
            clock = state.clock[state.t :]
            a = align_to_clock(np.asarray(prof.a), mod, clock, "impact profile")
            b = np.maximum(align_to_clock(np.asarray(prof.b), mod, clock, "impact profile"), 1e-8)
            return QuadraticImpact(a=a, b=b), "earlier days' per-minute profile"
        if _available(state) < self.warmup and state.periods_left > 1:
            return None
        a0, b0 = _warmup_fit(state, self.warmup, 4.0 * state.S / state.N)
        n = state.periods_left
        before = _available(state) - state.t - 1
        if before == 0:
            source = f"first {state.t + 1} minutes"
        else:
            seen = min(self.warmup, _available(state))
            source = f"last {seen} minutes of books ({min(before, seen)} before arrival)"
        return QuadraticImpact(a=np.full(n, a0), b=np.full(n, max(b0, 1e-8))), source

    def plan(self, state: MarketState) -> FloatArray | None:
        got = self._model(state)
        if got is None:
            return None
        model, source = got
        u = _cap_array(self.cap, state.N)[state.t :]
        n = state.periods_left
        if u.sum() < state.remaining:
            u = np.maximum(u, state.remaining / n)
        impact: ImpactModel = model
        rate = _footprint_rate(state, self.transient)
        if np.any(rate):
            impact = model + PerShareFee(rate)
        p = ExecutionProblem(
            state.remaining,
            impact,
            n,
            cap=None if self.cap is None else u,
            transient=self.transient,
            permanent=self.permanent,
            drift=_adverse_drift(self.drift, state),
        )
        sol = solve(p, self.method)
        self.info = {"fitted_on": source, "planned_at": state.t, "objective": sol.objective}
        if p.drift is not None:
            self.info["drift"] = "expected drift in the plan"
        if self.transient is not None or self.permanent:
            self.info["own_impact"] = "transient/permanent terms in the plan"
        return np.asarray(sol.schedule)


class AlmgrenChriss(SchedulePolicy):
    """Risk-averse Almgren–Chriss schedule via :mod:`execopt.problem.mean_variance`.

    ``a, b`` are fitted like :class:`StaticOptimal` (one level); ``sigma`` (dollars per share per
    minute) is the mid times the standard deviation of one-minute log returns (earlier days if
    given, else the warm-up minutes). The risk aversion is ``risk_aversion`` if given, else the
    one that makes ``kappa * periods = urgency`` (``cosh(kappa) = 1 + k sigma^2 / (2 b)``).

    Parameters
    ----------
    risk_aversion : float, optional
        ``k``, 1 / dollars.
    urgency : float
        ``kappa`` times the planned periods when ``risk_aversion`` is None (0: TWAP; 2: the
        holdings fall to about 1/e after about 40 % of the day).
    warmup : int
        Minutes of books and returns to fit on when there is no earlier day.
    cap : None, float or array (N,)
    drift : float or array (N,)
        Expected drift of the mid per period (dollars per share, price direction): the
        Almgren–Chriss schedule with drift (:class:`~execopt.problem.terms.Drift`).
    """

    name = "ac"

    def __init__(
        self,
        risk_aversion: float | None = None,
        urgency: float = 2.0,
        warmup: int = 30,
        cap: float | ArrayLike | None = None,
        drift: float | ArrayLike = 0.0,
    ) -> None:
        self.drift = _drift_arg(drift)
        if risk_aversion is not None and not (np.isfinite(risk_aversion) and risk_aversion >= 0):
            raise InputError(f"risk_aversion must be finite and >= 0, got {risk_aversion}.")
        if not (np.isfinite(urgency) and urgency >= 0):
            raise InputError(f"urgency must be finite and >= 0, got {urgency}.")
        self.risk_aversion = risk_aversion
        self.urgency = urgency
        self.warmup = int(warmup)
        self.cap = cap
        super().__init__()

    def plan(self, state: MarketState) -> FloatArray | None:
        h = state.history
        prev = state.history.previous
        if prev is None and _available(state) < self.warmup and state.periods_left > 1:
            return None
        if prev is not None:
            x_max = 4.0 * state.S / state.N

            def level() -> tuple[float, float, FloatArray, float]:
                snaps = prev.minute_snapshots()
                px, sz, mid = book_side(snaps, state.side)
                a, b = fit_window(px, sz, mid, state.side, x_max)
                return a, b, np.asarray(prev.minute_returns()), float(np.nanmean(mid))

            a0, b0, r, price = _cached(prev, ("ac", state.side, round(x_max, 6)), level)
        else:
            a0, b0 = _warmup_fit(state, self.warmup, 4.0 * state.S / state.N)
            r = h.returns_with_earlier()[-max(self.warmup, state.t) :]
            price = float(np.nanmean(h.window(self.warmup, state.side)[2]))
        r = r[np.isfinite(r)]
        sigma = price * float(np.std(r)) if r.size > 1 else 0.0
        b0 = max(b0, 1e-8)
        n = state.periods_left
        if self.risk_aversion is not None:
            k = float(self.risk_aversion)
        else:
            kappa = self.urgency / n
            k = 2.0 * b0 * (np.cosh(kappa) - 1.0) / sigma**2 if sigma > 0 else 0.0
        u = _cap_array(self.cap, state.N)[state.t :]
        p = ExecutionProblem(
            state.remaining,
            QuadraticImpact(a=a0, b=b0),
            n,
            cap=None if self.cap is None else u,
            risk_aversion=k,
            volatility=sigma,
            drift=_adverse_drift(self.drift, state),
        )
        try:
            x = solve_mean_variance(p.fold_linear_terms()).x
            how = "mean-variance-banded"
        except NotSupportedError:
            x = solve(p, "clarabel").schedule
            how = "clarabel"
        self.info = {
            "a": a0,
            "b": b0,
            "sigma": sigma,
            "risk_aversion": k,
            "solver": how,
            "planned_at": state.t,
        }
        return x


class POV:
    """Percentage of volume: ``min(rate * V_t, max_order)`` shares in period ``t``.

    ``V_t`` is the volume traded in minute ``t``, complete at the decision (taken at the
    minute's last book). POV does not aim to finish: what is left at the close follows the
    simulator's ``at_close`` rule.
    """

    name = "pov"

    def __init__(self, rate: float = 0.1, max_order: float = 1000.0) -> None:
        if not (np.isfinite(rate) and 0 < rate <= 1):
            raise InputError(f"rate must be in (0, 1], got {rate}.")
        if not max_order > 0:
            raise InputError(f"max_order must be > 0 shares, got {max_order}.")
        self.rate = rate
        self.max_order = max_order

    def decide(self, state: MarketState) -> float:
        v = float(state.history.volume[-1])
        return min(self.rate * v, self.max_order, state.remaining)


class PerfectForesightOracle(SchedulePolicy):
    """PERFECT-FORESIGHT ORACLE, not a real policy: it is given the whole day's books.

    It solves the exact optimum over every minute's real book curve (a piecewise-linear
    problem; water-filling over all levels of all minutes) and follows it. No policy that
    decides from the past can beat it on the replayed book; it measures how much any policy
    could save. Crossed or empty minutes get no capacity. With simulated impact (synthetic
    mode) it plans on the unshifted books, so it is then no longer an exact bound.

    Parameters
    ----------
    book : BookSeries
        The same day the simulator replays (its minute snapshots must match the periods).
    cap : None, float or array (N,)
    """

    name = "oracle"

    def __init__(self, book: BookSeries, cap: float | ArrayLike | None = None) -> None:
        self.book = book
        self.cap = cap
        super().__init__()

    def _day(self, state: MarketState) -> BookSeries:
        """The oracle's own copy of the day, aligned with the simulated periods."""
        minutes = state.history.minutes
        for session in ("default", None):
            snaps = (
                self.book.minute_snapshots()
                if session == "default"
                else self.book.minute_snapshots(session=None)
            )
            m = snaps.minutes
            if m is not None and len(snaps) == state.N and m[0] == minutes[0]:
                return snaps
        raise InputError(
            "the oracle's book does not cover the simulated periods: give it the same day "
            "the simulator replays."
        )

    def plan(self, state: MarketState) -> FloatArray:
        snaps = self._day(state)
        px, sz, mid = (np.array(v, dtype=float) for v in book_side(snaps, state.side))
        bid0, ask0 = np.asarray(snaps.bid_px[:, 0]), np.asarray(snaps.ask_px[:, 0])
        bad = np.array(
            [book_status(bid0[i : i + 1], ask0[i : i + 1], sz[i]) != "ok" for i in range(len(mid))]
        )
        sz[bad] = 0.0  # crossed or empty minutes: no capacity
        mid = np.nan_to_num(mid, nan=0.0)
        curves = book_curve(px[state.t :], sz[state.t :], mid[state.t :], state.side)
        n = state.periods_left
        u = _cap_array(self.cap, state.N)[state.t :]
        R = state.remaining
        depth = np.minimum(curves.capacity, u)
        if R > depth.sum():
            self.info = {"infeasible": f"visible depth {depth.sum():,.0f} < {R:,.0f} shares"}
            return depth
        p = ExecutionProblem(R, curves, n, cap=None if self.cap is None else u)
        sol = solve(p, "exact")
        self.info = {"objective": sol.objective, "lam": sol.lam, "bad_minutes": int(bad.sum())}
        return sol.schedule


class Adaptive:
    """Re-estimate and re-solve at every decision (exact, with the live book).

    At period ``t`` the remaining ``R`` shares are split between the live book (its exact walk,
    a piecewise-linear cost known at that moment) and the later periods, whose costs are a
    quadratic forecast fitted on the last ``window`` minutes of books and re-estimated every
    ``reestimate_every`` minutes (times the earlier days' intraday shape when
    ``history.previous`` is given).

    The forecast (``forecast=``) is fitted either to the window's pooled book (``"pooled"``,
    default: what a later period costs a policy that waits for the cheap levels of books like
    these) or to the average book walk (``"mean"``). With ``"mean"``, the deterministic
    forecast ignores the value of waiting: every live book cheaper than the window's average
    looks like a bargain and the policy over-trades whenever the day's early books are dearer
    than its later ones (on FROG 2025-04-03 the opening spread is six times the day's mean). The split is exact (:func:`solve_composite`); the policy
    sends the part for now. With a :class:`RegimeDetector`, the regime's :class:`Buffer`
    scales the cap, limits the share of the visible depth taken, and sets the re-estimation
    interval.

    An order that starts mid-day (an episode) fits its first forecast on the same day's earlier
    minutes (``history.window``), reads the earlier days' shape at its own minutes of the day,
    and refits the regimes on the session's clock so orders of one day share their fits.

    Parameters
    ----------
    reestimate_every : int
        Minutes between forecast re-estimations (without regimes).
    window : int
        Minutes of books in each estimation.
    forecast : {"pooled", "mean"}
        What the quadratic is fitted to (see above).
    prior_amplitude : float
        Without earlier days, the forecast level is carried along a U-shaped intraday prior of
        this amplitude (:data:`COST_PRIOR_AMPLITUDE`; 0: flat).
    cap : None, float or array (N,)
        Largest child order per period, shares.
    depth_fraction : float
        Largest share of the live book's visible depth per period (without regimes).
    regimes : RegimeDetector, bool or None
        ``True`` (default): a new :class:`RegimeDetector` (GARCH(1,1), cautious ``"high"``
        buffer until 20 returns exist); ``False``/None: no regimes, the fixed buffer above.
    buffers : RegimeBuffers
    transient : Kernel or None
        The order's own transient impact. With it (or ``permanent``) the remaining problem is
        no longer separable: the live period's cost is then the least-squares quadratic of its
        book walk, the later periods keep the forecast, the kernel adds ``1/2 x^T K x`` and the
        earlier fills' decaying displacement a per-share rate; the exact active-set solver
        (:mod:`execopt.problem.transient_qp`) splits the shares.
    permanent : float
        Own permanent impact ``gamma`` (dollars per share^2).
    drift : float or array (N,)
        Expected drift of the mid per period (dollars per share, price direction): its
        per-share rate (:class:`~execopt.problem.terms.Drift`) is added to every period's cost.
    """

    name = "adaptive"

    def __init__(
        self,
        reestimate_every: int = 5,
        window: int = 30,
        forecast: Literal["pooled", "mean"] = "pooled",
        prior_amplitude: float = COST_PRIOR_AMPLITUDE,
        cap: float | ArrayLike | None = None,
        depth_fraction: float = 1.0,
        regimes: RegimeDetector | bool | None = True,
        buffers: RegimeBuffers | None = None,
        transient: Kernel | None = None,
        permanent: float = 0.0,
        drift: float | ArrayLike = 0.0,
    ) -> None:
        self.transient, self.permanent = _impact_terms(transient, permanent)
        self.drift = _drift_arg(drift)
        self.base = Buffer(1.0, depth_fraction, reestimate_every)
        if int(window) < 1:
            raise InputError(f"window must be >= 1 minute, got {window}.")
        self.window = int(window)
        if forecast not in ("pooled", "mean"):
            raise InputError(f"forecast must be 'pooled' or 'mean', got {forecast!r}.")
        self.how: Literal["pooled", "mean"] = forecast
        if not (np.isfinite(prior_amplitude) and 0 <= prior_amplitude < 1.5):
            raise InputError(f"prior_amplitude must be in [0, 1.5), got {prior_amplitude}.")
        self.prior_amplitude = float(prior_amplitude)
        self.cap = cap
        if regimes is True:
            regimes = RegimeDetector()
        self.regimes: RegimeDetector | None = regimes or None
        self.buffers = buffers if buffers is not None else RegimeBuffers()
        self.reset()

    def reset(self) -> None:
        """Forget forecasts and regimes (called by the simulator before a run)."""
        self.forecast: CostForecast | None = None
        self._level: tuple[float, float] | None = None
        self._shape: tuple[FloatArray, FloatArray] | None = None
        self._shape_tried = False
        self._caps: FloatArray | None = None
        self.fits = 0
        self.regime_log: list[str] = []
        self.info: dict[str, Any] = {"forecast": self.how}
        if self.transient is not None or self.permanent > 0:
            self.info["own_impact"] = "transient/permanent terms in the plan"
        if self.regimes is not None:
            self.regimes.reset()
        self._regimes_ready = False

    def _buffer(self, state: MarketState) -> Buffer:
        if self.regimes is None:
            return self.base
        if not self._regimes_ready:
            prev = state.history.previous
            self.regimes.reset(None if prev is None else prev.minute_returns())
            self._regimes_ready = True
        label = self.regimes.update(
            state.t, state.history.returns_with_earlier(), position=int(state.position[state.t])
        )
        self.regime_log.append(label)
        self.info[f"regime_{label}"] = self.info.get(f"regime_{label}", 0) + 1
        return self.buffers[label]

    def _refresh(self, state: MarketState, every: int) -> None:
        if self._level is not None and self.forecast is not None:
            if state.t - self.forecast.fitted_at < every:
                return
        h = state.history
        if not self._shape_tried:
            self._shape_tried = True
            if h.previous is not None:
                try:
                    self._shape = seasonal_shape(h.previous, state.side, state.N, state.clock)
                    self.info["shape"] = "earlier days' per-minute profile"
                except DataError as exc:
                    self.info["shape_error"] = str(exc)
            if self._shape is None and self.prior_amplitude > 0:
                L = max(state.session_length, 1)
                u = intraday_shape(L, self.prior_amplitude)[np.clip(state.position, 0, L - 1)]
                self._shape = (u, u)
                self.info["shape"] = f"U-shape prior (amplitude {self.prior_amplitude:g})"
        x_max = 4.0 * state.remaining / max(state.periods_left, 1)
        try:
            self._level = _warmup_fit(state, self.window, x_max, self.how)
        except DataError:
            if self._level is None:
                raise
        assert self._level is not None
        lo = max(0, state.t + 1 - self.window)
        self.info["fits"] = self.fits + 1
        self.forecast = make_forecast(
            self._level,
            np.arange(state.t + 1, state.N),
            state.t,
            self._shape,
            np.arange(lo, state.t + 1),
        )
        self.fits += 1

    def decide(self, state: MarketState) -> float:
        R = state.remaining
        if state.periods_left <= 1 or R <= 0:
            return R
        if self._caps is None:
            self._caps = _cap_array(self.cap, state.N)
        buf = self._buffer(state)
        self._refresh(state, int(buf.reestimate_every))
        fc = self.forecast
        assert fc is not None
        offset = state.t + 1 - (fc.fitted_at + 1)
        a, b = fc.a[offset:], fc.b[offset:]
        caps = self._caps * buf.cap_scale
        book = state.book
        if book.status != "ok":
            return 0.0
        cap_now = min(float(caps[state.t]), buf.depth_fraction * book.depth)
        mu = _adverse_drift(self.drift, state)
        if self.transient is not None or self.permanent > 0:
            return self._decide_with_own_impact(state, book.curve(), cap_now, a, b, caps, mu)
        slopes, widths = book.segments()
        if mu is not None:  # the drift's per-share rate, shifted to be >= 0 (sum x is fixed)
            rate = -np.cumsum(mu[::-1])[::-1]
            rate = rate - rate.min()
            slopes, a = slopes + rate[0], a + rate[1:]
        sol = solve_composite(slopes, widths, cap_now, a, b, caps[state.t + 1 :], R)
        return float(sol.x_now)

    def _decide_with_own_impact(
        self,
        state: MarketState,
        curve: PiecewiseLinearImpact,
        cap_now: float,
        a: FloatArray,
        b: FloatArray,
        caps: FloatArray,
        mu: FloatArray | None = None,
    ) -> float:
        a0, b0 = _quadratic_of_book(curve)
        impact: ImpactModel = QuadraticImpact(
            np.concatenate([[a0], a]), np.concatenate([[b0], np.maximum(b, 1e-12)])
        )
        rate = _footprint_rate(state, self.transient)
        if np.any(rate):
            impact = impact + PerShareFee(rate)
        u = np.concatenate([[cap_now], caps[state.t + 1 :]])
        R = state.remaining
        if u.sum() < R:
            u = np.maximum(u, R / state.periods_left)
        p = ExecutionProblem(
            R,
            impact,
            state.periods_left,
            cap=u,
            transient=self.transient,
            permanent=self.permanent,
            drift=mu,
        )
        return float(solve(p, "exact").schedule[0])


#: Policy names accepted by :func:`make_policy` and ``execopt backtest --policy``.
POLICIES: tuple[str, ...] = ("twap", "vwap", "static", "adaptive", "ac", "pov", "oracle")

_FACTORIES: dict[str, Callable[..., Any]] = {
    "twap": TWAP,
    "vwap": VWAP,
    "static": StaticOptimal,
    "adaptive": Adaptive,
    "ac": AlmgrenChriss,
    "pov": POV,
    "oracle": PerfectForesightOracle,
}


def make_policy(name: str, book: BookSeries | None = None, **options: Any) -> Policy:
    """Build a policy by name (``oracle`` needs the ``book`` it may see in full).

    Raises
    ------
    InputError
        Unknown name, or the oracle without a book.
    """
    key = name.strip().lower()
    if key not in _FACTORIES:
        raise InputError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}.")
    if key == "oracle":
        if book is None:
            raise InputError("the perfect-foresight oracle needs the day's book: pass book=.")
        return PerfectForesightOracle(book, **options)
    policy: Policy = _FACTORIES[key](**options)
    return policy
