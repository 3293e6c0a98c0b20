"""The suite's tolerance rules, in one place: what "feasible", "optimal" and "the same schedule"
mean, shared by the generator (which stores the numbers they need) and the validator.

Glossary: ``S`` shares, ``N`` periods, ``x`` the schedule under test, ``x*`` the stored optimum,
``f*`` its objective (dollars), ``lam*`` its multiplier of ``sum x = S`` (dollars per share),
``u_t`` the effective cap (cap and visible depth), ``price`` the instance's reference price.

The rules (``FORMAT.md``, section *Tolerances*, states them for readers of the JSON alone):

* **share scale** ``S_ref = max(S, 1 share)``: below one share every share tolerance is
  absolute. With ``S = 0`` the feasible set is ``{0}`` and the tolerances are
  ``FEAS_RTOL`` shares (1e-9 shares).
* **feasibility** ``tau_feas = feas_rtol * S_ref`` shares, on ``|sum x - S|``, on ``max(-x_t)``
  and on ``max(x_t - u_t)``. The same tolerance decides the cost: the objective is evaluated at
  ``clip(x, 0, u)`` so a schedule within ``tau_feas`` of a cap or of a book's visible depth is
  costed at the bound, never at ``+inf``.
* **objective** ``f(clip(x)) - f* <= tau_f = rtol |f*| + GAP_ATOL_NOTIONAL * price * S_ref``.
* **schedule** (only where the optimum is unique): ``max_t |x_t - x*_t| <= tau_x`` with
  ``tau_x = max(tau_feas, min(sqrt(tau_f / kappa), SCHEDULE_RTOL_MAX * S))``. ``kappa`` is the
  stiffest two-period curvature at the optimum (:func:`curvature_facts`): moving ``d`` shares from
  period ``s`` to ``t`` changes the objective by ``kappa_ts d^2`` to second order (``kappa_ts =
  b_t + b_s`` for quadratic costs), so ``sqrt(tau_f / kappa)`` is the smallest schedule error the
  objective check can see at all; the schedule check demands that accuracy in every direction.
  Where the cost hardly depends on the schedule (a linear part dominates, a tiny order, a
  risk-dominated curvature) that derivation gives no useful bound and the ceiling
  ``SCHEDULE_RTOL_MAX * S`` (1e-4 of the order) applies.
* **KKT with the stored multiplier** (every feasible convex instance): with the non-separable
  terms linearised at ``x`` (``r = grad terms(x)``), period ``t`` must trade what minimises its own
  Lagrangian ``c_t(y) + r_t y - lam* y`` over ``[0, u_t]``, within a price slack ``eta``:
  ``m_t = max(0, x_t - supply_right_t(lam* - r_t + eta)) + max(0, supply_t(lam* - r_t - eta) - x_t)``
  shares are traded above or left untraded below the marginal price (``supply`` is the model's
  smallest minimiser, ``supply_right`` its largest), and ``max_t m_t <= tau_kkt``. Where the
  optimum is not unique (linear programs, ties, free periods) this is the check that catches a
  non-optimal vertex: ``eta = rtol |lam*| + GAP_ATOL_NOTIONAL * price`` and
  ``tau_kkt = max(tau_feas, rtol * S)``. Where it is unique, ``eta`` also allows the change of
  marginal cost a schedule error ``tau_x`` causes (``+ h tau_x``, ``h`` the largest absolute
  Hessian row sum at the optimum) and ``tau_kkt = tau_x``.
* **baskets** (``M`` legs): the share rules hold per leg with its own ``S_ref,i = max(S_i, 1)``
  (a 2,000-share leg is judged to 2e-6 shares, not to 1e-9 of the whole basket); the objective
  tolerance uses the gross notional ``sum_i P_i S_ref,i``; the neutrality band is met within
  ``feas_rtol * sum_i P_i S_ref,i`` dollars and the VaR limit within ``VAR_SLACK * feas_rtol * L``;
  the schedule check compares leg ``i`` within its own ``tau_x,i`` from its own stiffest pair
  curvature ``kappa_i`` (the leg's diagonal Hessian block: impact, risk ``2 k C_ii (N - max(t, s))``
  and cross-impact ``2 Hbar_ii``); the KKT check uses the stored ``lam_i``, band multipliers
  ``nu`` and VaR multiplier (:func:`basket_misallocation`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from execopt.problem.basket import Basket
from execopt.problem.certificate import FEAS_ATOL_REL
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.terms import suffix_sum

__all__ = [
    "ACTIVE_RTOL",
    "DEFAULT_RTOL",
    "FEAS_RTOL",
    "GAP_ATOL_NOTIONAL",
    "SCHEDULE_RTOL_MAX",
    "VAR_SLACK",
    "BasketFacts",
    "BasketTolerances",
    "CurvatureFacts",
    "Tolerances",
    "basket_clip_within",
    "basket_curvature_facts",
    "basket_misallocation",
    "basket_tolerances",
    "clip_within",
    "curvature_facts",
    "misallocation",
    "share_scale",
    "tolerances",
]

FloatArray = NDArray[np.float64]

#: Default relative objective gap a schedule may leave to the certified optimum.
DEFAULT_RTOL = 1e-6
#: Feasibility tolerance relative to ``S_ref = max(S, 1)`` shares (the certificate's own).
FEAS_RTOL = FEAS_ATOL_REL
#: Absolute part of the objective tolerance, as a fraction of ``price * S_ref`` dollars (1e-10 of
#: the notional, 1e-6 bp); per share, ``GAP_ATOL_NOTIONAL * price`` is the absolute price slack.
GAP_ATOL_NOTIONAL = 1e-10
#: Ceiling of the schedule tolerance, relative to ``S``: no period of a unique optimum may be off
#: by more than 1e-4 of the order, whatever the curvature says (1 share in 10,000).
SCHEDULE_RTOL_MAX = 1e-4
#: A period within ``ACTIVE_RTOL * max(S/N, 1)`` shares of 0 or of its cap is at that bound (not
#: free) when the curvature facts are computed.
ACTIVE_RTOL = 1e-7
#: Largest number of free periods for which the dense Hessian of non-separable terms is formed.
DENSE_MAX_N = 4000
#: A basket's VaR limit is met within ``VAR_SLACK * feas_rtol`` of the limit (1e-8 at the
#: default, the certificate's own ``VAR_RTOL``: the conic back-ends meet the cone to ~1e-10).
VAR_SLACK = 10.0


def share_scale(S: float) -> float:
    """``S_ref = max(S, 1)`` shares: the scale of every relative share tolerance."""
    return max(float(S), 1.0)


@dataclass(frozen=True)
class CurvatureFacts:
    """Second-order facts of an optimum (stored in each feasible instance).

    Attributes
    ----------
    unique : bool
        The Hessian restricted to the free periods (strictly inside their bounds) and to
        ``sum dx = 0`` is positive definite: the optimum is unique.
    pair_curvature : float or None
        ``kappa = max_{t != s free} (H_tt + H_ss) / 2 - H_ts``, dollars per share squared: moving
        ``d`` shares between the stiffest pair of free periods costs ``kappa d^2`` (None when not
        unique).
    hessian_bound : float or None
        ``h = max_t sum_s |H_ts|`` over free periods, dollars per share squared: the largest change
        of a marginal cost per share of schedule error (None when not unique).
    free : int
        Number of free periods.
    """

    unique: bool
    pair_curvature: float | None
    hessian_bound: float | None
    free: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _finite(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def curvature_facts(problem: ExecutionProblem, x: FloatArray) -> CurvatureFacts:
    """Uniqueness and the stiffest pair curvature of ``problem`` at its optimum ``x``.

    Asks the impact model for ``curvature(x)`` and each term for ``hessian(x)``; no model class
    is named. O(N) for separable problems, O(F^2) (F free periods) with non-separable terms.
    """
    x = np.asarray(x, dtype=np.float64)
    N, S, u = problem.periods, problem.shares, problem.upper
    act = ACTIVE_RTOL * max(S / N, 1.0)
    free = np.flatnonzero((x > act) & (x < u - act))
    F = int(free.size)
    if F < 2:
        return CurvatureFacts(False, None, None, F)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        d = np.broadcast_to(problem.impact.curvature(x), (N,)).astype(np.float64)[free]
    if not np.all(np.isfinite(d)) or np.any(d < 0):
        return CurvatureFacts(False, None, None, F)
    if not problem.terms:
        if int(np.sum(d <= 0.0)) > 1:  # two flat free periods: shares move freely between them
            return CurvatureFacts(False, None, None, F)
        top = np.sort(d)[-2:]
        return CurvatureFacts(True, float(0.5 * top.sum()), float(d.max()), F)
    if F > DENSE_MAX_N:
        return _structured_facts(problem, x, d, free)
    H = np.diag(d)
    for term in problem.terms:
        H = H + np.asarray(term.hessian(x), dtype=np.float64)[np.ix_(free, free)]
    # restricted to sum dx = 0: an orthonormal basis of the complement of the ones vector
    Q, _ = np.linalg.qr(np.eye(F) - 1.0 / F)
    B = Q[:, : F - 1]
    ev = np.linalg.eigvalsh(B.T @ H @ B)
    if not ev.size or ev[0] <= 1e-12 * max(float(np.abs(ev).max()), 1e-300):
        return CurvatureFacts(False, None, None, F)
    dg = np.diag(H)
    K = 0.5 * (dg[:, None] + dg[None, :]) - H
    np.fill_diagonal(K, -np.inf)
    return CurvatureFacts(True, float(K.max()), float(np.abs(H).sum(axis=1).max()), F)


def _structured_facts(
    problem: ExecutionProblem, x: FloatArray, d: FloatArray, free: NDArray[np.intp]
) -> CurvatureFacts:
    """The facts without a dense Hessian (more than :data:`DENSE_MAX_N` free periods), from each
    term's :meth:`~execopt.problem.terms.Term.hessian_bounds`: the optimum is unique when the
    problem's strong-convexity bound is positive; ``kappa`` is bounded above by the mean of the
    two largest free diagonal entries minus the smallest off-diagonal entry (an upper bound makes
    the schedule check stricter, never looser), and ``h`` by the largest absolute row sum.
    """
    F = int(free.size)
    if not problem.strong_convexity > 0.0:
        return CurvatureFacts(False, None, None, F)
    diag = np.array(d, dtype=np.float64)
    off_min = 0.0
    rows = np.abs(d)
    for term in problem.terms:
        hb = term.hessian_bounds(x)
        diag = diag + hb.diagonal[free]
        off_min += hb.offdiag_min
        rows = rows + hb.abs_row_sum[free]
    top = np.sort(diag)[-2:]
    return CurvatureFacts(True, float(0.5 * top.sum() - off_min), float(rows.max()), F)


@dataclass(frozen=True)
class Tolerances:
    """The resolved tolerances of one instance (see the module docstring).

    Attributes
    ----------
    feasibility : float
        ``tau_feas``, shares.
    objective : float
        ``tau_f``, dollars.
    schedule : float or None
        ``tau_x``, shares (None: the optimum is not unique, no schedule comparison).
    kkt : float
        ``tau_kkt``, shares.
    price : float
        ``eta``, dollars per share.
    """

    feasibility: float
    objective: float
    schedule: float | None
    kkt: float
    price: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def tolerances(
    *,
    shares: float,
    price: float,
    optimum: float,
    lam: float | None,
    pair_curvature: float | None,
    hessian_bound: float | None,
    rtol: float = DEFAULT_RTOL,
    feas_rtol: float = FEAS_RTOL,
) -> Tolerances:
    """Resolve the tolerances of one instance for ``rtol`` and ``feas_rtol``.

    ``pair_curvature`` None means the optimum is not unique (no schedule comparison).
    """
    S = float(shares)
    s_ref = share_scale(S)
    t_feas = feas_rtol * s_ref
    t_obj = rtol * abs(float(optimum)) + GAP_ATOL_NOTIONAL * float(price) * s_ref
    lam_abs = abs(float(lam)) if lam is not None and math.isfinite(lam) else 0.0
    eta = rtol * lam_abs + GAP_ATOL_NOTIONAL * float(price)
    kappa = _finite(pair_curvature)
    if kappa is not None and kappa > 0:
        derived = math.sqrt(t_obj / kappa)
        t_x: float | None = max(t_feas, min(derived, SCHEDULE_RTOL_MAX * S))
        assert t_x is not None
        eta += (_finite(hessian_bound) or 0.0) * t_x
        t_kkt = t_x
    else:
        t_x = None
        t_kkt = max(t_feas, rtol * S)
    return Tolerances(t_feas, t_obj, t_x, t_kkt, eta)


def clip_within(problem: ExecutionProblem, x: FloatArray, t_feas: float) -> FloatArray:
    """``x`` with every entry within ``t_feas`` of 0 or of its cap moved onto that bound.

    The one rule by which feasibility and cost agree: a schedule the feasibility check accepts
    is costed at the bound it touches (a book walk beyond its visible depth would cost ``+inf``).
    Entries further out are left alone (the feasibility check fails them).
    """
    u = problem.upper
    lo = np.where((x < 0.0) & (x >= -t_feas), 0.0, x)
    return np.where((lo > u) & (lo <= u + t_feas), u, lo)


def misallocation(
    problem: ExecutionProblem,
    x: FloatArray,
    lam: float,
    eta: float,
    *,
    var_multiplier: float = 0.0,
    extra_gradient: FloatArray | None = None,
) -> tuple[float, int]:
    """The KKT check with a stored multiplier: the largest number of shares any period trades
    above, or leaves untraded below, the marginal price ``lam`` (within ``eta``).

    Non-separable terms (and a VaR limit with its multiplier) are linearised at ``x``; every
    period must then minimise ``c_t(y) + r_t y - lam y`` over ``[0, u_t]`` (``r`` the terms'
    gradient, plus ``extra_gradient``: what a basket's coupling terms and multipliers add to a
    leg). Returns ``(max_t m_t, t)`` in shares (module docstring).
    """
    x = np.asarray(x, dtype=np.float64)
    N, u = problem.periods, problem.upper
    r = np.zeros(N) if extra_gradient is None else np.asarray(extra_gradient, dtype=np.float64)
    for term in problem.terms:
        r = r + np.asarray(term.gradient(x), dtype=np.float64)
    if var_multiplier > 0:
        for lim in problem.limits:
            r = r + var_multiplier * np.asarray(lim.constraint_gradient(x), dtype=np.float64)
    lt = float(lam) - r
    m = problem.impact
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        hi = np.broadcast_to(m.supply_right(lt + eta, u), (N,))
        lo = np.broadcast_to(m.supply(lt - eta, u), (N,))
        mis = np.maximum(0.0, x - hi) + np.maximum(0.0, lo - x)
    mis = np.where(np.isnan(mis), np.inf, mis)
    t = int(np.argmax(mis))
    return float(mis[t]), t


# ----------------------------------------------------------------------------- baskets
@dataclass(frozen=True)
class BasketFacts:
    """Second-order facts of a basket optimum (stored in each feasible basket instance).

    Attributes
    ----------
    unique : bool
        Every leg with shares to trade is strictly convex (its strong-convexity bound is
        positive; the coupling terms are positive semidefinite): the optimum is unique.
    pair_curvature : list of float or None
        Per leg, ``kappa_i = max_{t != s free} (H_tt + H_ss) / 2 - H_ts`` over its diagonal block
        (None: not unique, or fewer than two free periods in the leg).
    hessian_bound : list of float or None
        Per leg, ``h_i``, the largest absolute row sum of the whole Hessian over its free periods.
    """

    unique: bool
    pair_curvature: list[float | None]
    hessian_bound: list[float | None]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def basket_curvature_facts(basket: Basket, X: FloatArray) -> BasketFacts:
    """Uniqueness and per-leg curvature facts of a basket at its optimum ``X`` (asks the basket
    for its Hessian blocks and row sums; no model class is named).
    """
    X = np.asarray(X, dtype=np.float64)
    M, N = basket.M, basket.N
    trading = basket.S > 0
    unique = bool(trading.any()) and bool(np.all(basket.strong_convexity[trading] > 0.0))
    kap: list[float | None] = [None] * M
    hb: list[float | None] = [None] * M
    if not unique:
        return BasketFacts(False, kap, hb)
    rows = basket.hessian_abs_row_sums(X)
    U = basket.upper
    for i in range(M):
        act = ACTIVE_RTOL * max(float(basket.S[i]) / N, 1.0)
        free = np.flatnonzero((X[i] > act) & (X[i] < U[i] - act))
        if free.size < 2:
            continue
        H = basket.leg_hessian(i, X)[np.ix_(free, free)]
        dg = np.diag(H)
        K = 0.5 * (dg[:, None] + dg[None, :]) - H
        np.fill_diagonal(K, -np.inf)
        kap[i] = float(K.max())
        hb[i] = float(rows[i, free].max())
    return BasketFacts(True, kap, hb)


@dataclass(frozen=True)
class BasketTolerances:
    """The resolved tolerances of one basket instance (module docstring).

    Attributes
    ----------
    feasibility : ndarray (M,)
        ``tau_feas,i``, shares.
    objective : float
        ``tau_f``, dollars.
    schedule : ndarray (M,) or None
        ``tau_x,i``, shares (NaN for a leg without a schedule comparison; None: the optimum is
        not unique).
    kkt : ndarray (M,)
        ``tau_kkt,i``, shares.
    price : ndarray (M,)
        ``eta_i``, dollars per share.
    band : float or None
        Dollars the neutrality band may be exceeded by (None without a band).
    var : float or None
        Dollars the VaR limit may be exceeded by (None without a limit).
    """

    feasibility: FloatArray
    objective: float
    schedule: FloatArray | None
    kkt: FloatArray
    price: FloatArray
    band: float | None
    var: float | None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in asdict(self).items():
            if isinstance(v, np.ndarray):
                out[k] = [None if not math.isfinite(e) else float(e) for e in v.tolist()]
            else:
                out[k] = v
        return out


def basket_tolerances(
    *,
    shares: FloatArray,
    prices: FloatArray,
    optimum: float,
    lam: FloatArray,
    pair_curvature: list[float | None] | None,
    hessian_bound: list[float | None] | None,
    band: float | None,
    var_limit: float | None,
    rtol: float = DEFAULT_RTOL,
    feas_rtol: float = FEAS_RTOL,
) -> BasketTolerances:
    """Resolve a basket's tolerances for ``rtol`` and ``feas_rtol`` (module docstring);
    ``pair_curvature`` None means the optimum is not unique.
    """
    S = np.asarray(shares, dtype=np.float64)
    P = np.asarray(prices, dtype=np.float64)
    M = S.size
    s_ref = np.maximum(S, 1.0)
    t_feas = feas_rtol * s_ref
    gross = float(P @ s_ref)
    t_obj = rtol * abs(float(optimum)) + GAP_ATOL_NOTIONAL * gross
    eta = rtol * np.abs(np.asarray(lam, dtype=np.float64)) + GAP_ATOL_NOTIONAL * P
    t_kkt = np.maximum(t_feas, rtol * S)
    t_x: FloatArray | None = None
    if pair_curvature is not None:
        t_x = np.full(M, np.nan)
        for i in range(M):
            kappa = _finite(pair_curvature[i])
            if kappa is None or kappa <= 0:
                continue
            tx = max(float(t_feas[i]), min(math.sqrt(t_obj / kappa), SCHEDULE_RTOL_MAX * S[i]))
            t_x[i] = tx
            h = _finite(hessian_bound[i]) if hessian_bound is not None else None
            eta[i] += (h or 0.0) * tx
            t_kkt[i] = tx
    return BasketTolerances(
        t_feas,
        t_obj,
        t_x,
        t_kkt,
        eta,
        None if band is None else feas_rtol * gross,
        None if var_limit is None else VAR_SLACK * feas_rtol * float(var_limit),
    )


def basket_clip_within(basket: Basket, X: FloatArray, t_feas: FloatArray) -> FloatArray:
    """:func:`clip_within` leg by leg, each with its own ``tau_feas,i``."""
    X = np.asarray(X, dtype=np.float64)
    return np.stack([clip_within(p, X[i], float(t_feas[i])) for i, p in enumerate(basket.problems)])


def basket_misallocation(
    basket: Basket,
    X: FloatArray,
    lam: FloatArray,
    eta: FloatArray,
    *,
    nu: FloatArray | None = None,
    var_multiplier: float = 0.0,
) -> FloatArray:
    """The KKT check of every leg with the stored multipliers: the basket's coupling terms, the
    band (``nu``) and the VaR limit (its multiplier) linearised at ``X``, then each leg's
    :func:`misallocation` at its own ``lam_i`` and ``eta_i``. Returns, per leg, ``(m_i, t_i)``
    as an array of shape (M, 2) (largest misallocation in shares, and its period).
    """
    X = np.asarray(X, dtype=np.float64)
    G = basket.gradient(X)
    if nu is not None and np.any(np.asarray(nu) != 0.0):
        a = basket.sgn * basket.prices  # type: ignore[operator]
        G = G - a[:, None] * suffix_sum(np.asarray(nu, dtype=np.float64))[None, :]
    if var_multiplier > 0:
        G = G + var_multiplier * basket.var_gradient(X)
    out = np.zeros((basket.M, 2))
    for i, p in enumerate(basket.problems):
        extra = G[i] - p.gradient(X[i])  # what the basket adds to leg i's own gradient
        mis, t = misallocation(p, X[i], float(lam[i]), float(eta[i]), extra_gradient=extra)
        out[i] = (mis, t)
    return out
