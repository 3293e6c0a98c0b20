"""Solving a :class:`~execopt.problem.basket.Basket`: exact when it decouples, else one conic
problem (Clarabel, OSQP, SCS) assembled from the legs' own formulations.

``exact``
    A :attr:`~execopt.problem.basket.Basket.decoupled` basket is ``M`` independent problems
    (:meth:`~execopt.problem.basket.Basket.legs`). Legs that are separable with a closed-form
    supply linear in the multiplier (quadratic impact, fees, a per-share power law) are solved
    together by one vectorised call of
    :func:`~execopt.problem.waterfill.linear_supply_root_batch`; the others one by one by the
    exact dispatcher. Coupled baskets raise :class:`~execopt.errors.NotSupportedError` naming
    ``method="clarabel"``.
``clarabel`` / ``osqp`` / ``scs``
    One cvxpy problem on ``Y`` of shape (M, N), ``Y_i = X_i / s_i`` with ``s_i = S_i / N``, the
    objective in dollars divided by a common cost scale ``C`` (the mean of the legs' own
    scales). Each leg's impact, its own terms, limits and bounds come from
    :func:`~execopt.solvers.conic.problem_canon` (the single-asset back-end's machinery, loaded
    with the leg's ``s_i`` and the basket's ``C``). The basket's risk is written with factor
    exposures ``f_t = F^T r_t`` as auxiliary variables (``K N`` of them) plus the diagonal
    ``D``: never a dense ``MN x MN`` matrix; a full covariance is factored once (its
    eigenvectors). Cross-impact is ``|L^T x_t|^2`` with ``Hbar = L L^T``; the band is ``2 (N - 1)``
    linear rows; the VaR limit one second-order cone over the factor and idiosyncratic
    exposures. Parameters enter as constants (``ignore_dpp``): a basket is compiled once per
    solve (its structure changes with every remaining-basket re-solve anyway).

Every answer is clipped to each leg's capped simplex and certified
(:func:`~execopt.problem.basket_certificate.certify_basket`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from time import perf_counter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from execopt.errors import (
    ConvergenceWarning,
    ConvexityError,
    InfeasibleError,
    InputError,
    NotSupportedError,
    SolverError,
)
from execopt.impact.base import LinearSupply, Units
from execopt.problem.basket import Basket
from execopt.problem.basket_certificate import BasketCertificate, certify_basket
from execopt.problem.optimum import exact_optimum
from execopt.problem.waterfill import kernel_solved, linear_supply_root_batch, waterfill
from execopt.solvers.basket_qp import risk_scaling, solve_basket_qp, supports
from execopt.solvers.repair import clip_to_feasible, raw_violation
from execopt.solvers.solution import Status, Timings

__all__ = ["BASKET_METHODS", "BasketSolution", "solve_basket"]

FloatArray = NDArray[np.float64]

BASKET_METHODS = ("exact", "clarabel", "osqp", "scs")
#: Tolerances of a second attempt when the pinned ones fail: Clarabel stopped with
#: "insufficient progress" at 1e-9 on a binding VaR cone (M = 10, N = 78; its residual grew
#: after reaching the optimum to ~1e-9) and solved at its defaults, 1e-8. The answer is then
#: reported "inaccurate" and the certificate decides whether it passes.
RELAXED: dict[str, dict[str, float]] = {
    "clarabel": {"tol_gap_abs": 1e-8, "tol_gap_rel": 1e-8, "tol_feas": 1e-8}
}
#: cvxpy's canonicalisation backend for baskets. Measured here (M = 100 legs, N = 390, five
#: factors) the SciPy backend compiles several times faster than the default C++ one, whose
#: coefficient matrices for the legs' slices of one (M, N) variable dominate the build.
CANON_BACKEND = "SCIPY"


@dataclass(frozen=True, eq=False)
class BasketSolution:
    """A basket schedule and the proof of its quality (the basket's :class:`Solution`).

    Attributes
    ----------
    schedule : ndarray (M, N)
        Shares per leg and period, each leg in its own direction (``>= 0``, each row summing to
        its ``S_i``, within its caps).
    objective : float
        Dollars.
    status : {"optimal", "inaccurate", "not_converged"}
    method : str
    timings : Timings
    iterations : int
    certificate : BasketCertificate
    solver_status : str
    info : dict
        Back-end details (raw violation before repair, shares moved by the repair, scales).
    """

    schedule: FloatArray
    objective: float
    status: Status
    method: str
    timings: Timings
    iterations: int
    certificate: BasketCertificate
    solver_status: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def certified(self) -> bool:
        """True when the certificate passes at the default tolerance."""
        return self.certificate.passed()

    def rows(self, basket: Basket) -> list[dict[str, Any]]:
        """One row per leg (symbol, side, shares, objective, first and last period traded,
        largest child order) plus the basket's coupling terms: what tables and JSON show.
        """
        X = self.schedule
        out = []
        for i in range(basket.M):
            x = X[i]
            traded = np.flatnonzero(x > 1e-9 * max(basket.S[i], 1.0))
            out.append(
                {
                    "symbol": basket.labels[i],
                    "side": basket.sides[i],
                    "shares": float(basket.S[i]),
                    "objective": self.certificate.leg_objectives[i],
                    "first_period": int(traded[0]) if traded.size else None,
                    "last_period": int(traded[-1]) if traded.size else None,
                    "max_child": float(x.max()),
                    "lam": self.certificate.lam[i],
                }
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "method": self.method,
            "status": self.status,
            "solver_status": self.solver_status,
            "objective": self.objective,
            "iterations": self.iterations,
            "timings": self.timings.as_dict(),
            "certificate": self.certificate.as_dict(),
            "schedule": self.schedule.tolist(),
            "info": {
                k: v
                for k, v in self.info.items()
                if isinstance(v, (int, float, str, bool, type(None)))
            },
        }


# ----------------------------------------------------------------------------- exact
def _exact(basket: Basket) -> tuple[FloatArray, str, int]:
    """Each leg's exact optimum; LinearSupply legs in one vectorised call."""
    legs = basket.legs()
    M, N = basket.M, basket.N
    X = np.zeros((M, N))
    batch: list[int] = []
    kernels: list[LinearSupply] = []
    for i, p in enumerate(legs):
        k = p.impact.exact_kernel(N) if p.separable else None
        if isinstance(k, LinearSupply):
            batch.append(i)
            kernels.append(k)
    algos: set[str] = set()
    if batch:
        rows = np.array(batch)
        alpha = np.stack([np.broadcast_to(k.alpha, (N,)) for k in kernels])
        z0 = np.stack([np.broadcast_to(k.z0, (N,)) for k in kernels])
        U = basket.upper[rows]
        S = basket.S[rows]
        Xb, _ = linear_supply_root_batch(alpha, z0, U, S)
        X[rows] = Xb
        for j, i in enumerate(batch):
            if not kernel_solved(Xb[j], float(S[j])):
                X[i] = waterfill(legs[i]).x  # the kernel lost accuracy (see kernel_solved)
        algos.add(f"linear_supply_root_batch ({len(batch)} legs)")
    done = set(batch)
    for i, p in enumerate(legs):
        if i in done:
            continue
        try:
            wf = exact_optimum(p)
        except NotSupportedError as exc:
            raise NotSupportedError(
                f"leg {basket.labels[i]} has no exact algorithm: {exc}"
            ) from None
        X[i] = wf.x
        algos.add(wf.algorithm)
    return X, ", ".join(sorted(algos)), 1


def _solve_exact(basket: Basket) -> BasketSolution:
    if not basket.decoupled:
        raise NotSupportedError(
            "method='exact' needs a decoupled basket (no covariance between legs, no "
            "cross-impact between legs, no neutrality band or VaR limit); this one couples its "
            "legs: use method='clarabel'."
        )
    t0 = perf_counter()
    X, algo, it = _exact(basket)
    t1 = perf_counter()
    cert = certify_basket(basket, X, compute_optimum=False)
    obj = cert.objective
    # the exact kernels' answer is the reference optimum (as the single-asset exact solver
    # says); the certificate's own Frank-Wolfe bound checks it
    cert = replace(cert, optimum=obj, gap=0.0, rel_gap=0.0)
    t2 = perf_counter()
    if not cert.feasible:  # pragma: no cover - a kernel bug, never silent
        raise SolverError(
            "internal error: the exact basket solver produced an infeasible schedule "
            f"(sum residual {cert.sum_residual:.3g} shares); use method='clarabel' and report it."
        )
    return BasketSolution(
        X,
        obj,
        "optimal",
        "exact",
        Timings(solve=t1 - t0, certify=t2 - t1, total=t2 - t0),
        it,
        cert,
        algo,
        {"algorithm": algo},
    )


# ----------------------------------------------------------------------------- conic
def _check(basket: Basket, method: str) -> None:
    if method != "osqp":
        return
    bad = []
    for i, p in enumerate(basket.problems):
        cones = [p.impact.cone, *(t.cone for t in (*p.terms, *p.limits))]
        if any(c not in ("lp", "qp") for c in cones):
            bad.append(basket.labels[i])
    if bad or basket.var_limit is not None:
        what = f"legs {', '.join(bad[:5])} need power or second-order cones" if bad else ""
        what += ("; " if what else "") + (
            "the VaR limit is a second-order cone" if basket.var_limit is not None else ""
        )
        raise ConvexityError(
            f"OSQP solves quadratic programs only, and {what}: use method='clarabel' or 'scs'."
        )


def _leg_scales(basket: Basket) -> tuple[FloatArray, float]:
    """``s_i = S_i / N`` shares (1 for an empty leg) and the common cost scale ``C``: the mean
    over the legs of the cost of trading ``s_i`` shares per period (as the single-asset
    back-end scales).
    """
    N = basket.N
    # a leg's unit is S_i / N shares, but never below a millionth of the largest leg's (a leg
    # with a few shares' dust left would otherwise be scaled by 1e-10)
    s = np.maximum(basket.S / N, max(float(basket.S.max()) / N * 1e-6, 1e-12))
    Cs = []
    for i, p in enumerate(basket.problems):
        if p.shares <= 0:
            continue
        xs = np.minimum(np.full(N, s[i]), p.upper)
        c = np.asarray(p.impact.cost(xs), dtype=float) * np.ones(N)
        c = c[np.isfinite(c)]
        if c.size and float(np.mean(c)) > 0:
            Cs.append(float(np.mean(c)))
    C = float(np.mean(Cs)) if Cs else 1.0
    return s, C


@dataclass
class _Built:
    problem: Any
    Y: Any
    build_time: float


def _build(basket: Basket, s: FloatArray, C: float) -> _Built:
    import cvxpy as cp

    from execopt.solvers.conic import problem_canon

    t0 = perf_counter()
    M, N = basket.M, basket.N
    needs_R = basket.has_risk or basket.var_limit is not None or basket.neutrality_band is not None
    # one variable per leg (slices of one (M, N) variable made cvxpy rebuild the slicing for
    # every use: 6.5 of 11 s at M = 100, N = 390)
    ys = [cp.Variable(N, name=f"y_{i}") for i in range(M)]
    cons: list[Any] = []
    cost: Any = 0
    for i, p in enumerate(basket.problems):
        canon = problem_canon(p, ys[i])
        canon.load(p, Units(s=float(s[i]), C=C, S=p.shares, upper=p.upper))
        cost = cost + canon.cost
        cons += canon.constraints
    Rt: Any = None
    if needs_R and N > 1:
        # The remaining shares R_0 .. R_{N-2} (units of s_i) by the recursion
        # R_t = R_{t-1} - y_t (R_{-1} = S / s), and y_{N-1} = R_{N-2}, which is sum_t y_t = S / s.
        # (A cp.cumsum of trades makes every exposure depend on every earlier trade,
        # M N^2 / 2 non-zeros; a row sum joins every period of a leg and, with the factor rows
        # joining every leg in a period, fills the KKT factor densely.)
        Rs = [cp.Variable(N - 1, name=f"R_{i}") for i in range(M)]
        for i in range(M):
            y, R = ys[i], Rs[i]
            cons.append(R[0] == basket.S[i] / s[i] - y[0])
            if N > 2:
                cons.append(R[1:] == R[:-1] - y[1 : N - 1])
            cons.append(y[N - 1] == R[N - 2])
        Rt = cp.vstack(Rs)
    else:
        cons += [cp.sum(ys[i]) == basket.S[i] / s[i] for i in range(M)]
    Y = cp.vstack(ys)
    if Rt is not None and (basket.has_risk or basket.var_limit is not None):
        F, D = basket.risk_factors  # type: ignore[misc]
        w = basket.sgn * s  # signed shares per unit of Rt
        ref, idio = risk_scaling(F, D, w)
        parts: list[Any] = []
        if F.shape[1]:
            f = cp.Variable((F.shape[1], N - 1), name="factor_exposure")
            cons.append(f == ((F * w[:, None]).T / ref) @ Rt)
            parts.append(f)
        if np.any(idio > 0):
            keep = np.flatnonzero(idio > 0)
            parts.append(cp.multiply(idio[keep][:, None], Rt[keep]))
        if basket.has_risk and parts:
            k = basket.risk_aversion * ref * ref / C
            cost = cost + k * sum(cp.sum_squares(q) for q in parts)
        if basket.var_limit is not None:
            stacked = cp.hstack([cp.vec(q, order="F") for q in parts]) if parts else cp.Constant(0)
            cons.append(cp.norm(stacked, 2) <= basket.var_limit / (basket.var_z * ref))
    H = basket.hbar
    if H is not None:
        if np.count_nonzero(H - np.diag(np.diag(H))) == 0:
            h = np.sqrt(np.maximum(np.diag(H), 0.0) / C) * s
            cost = cost + cp.sum_squares(cp.multiply(h[:, None], Y))
        else:
            ev, V = np.linalg.eigh(H)
            pos = ev > 1e-12 * max(float(np.abs(ev).max()), 1e-300)
            L = V[:, pos] * np.sqrt(ev[pos] / C)
            cost = cost + cp.sum_squares((L.T * s[None, :]) @ Y)
    if basket.neutrality_band is not None and Rt is not None:
        a = basket.sgn * basket.prices * s  # type: ignore[operator]
        gross = max(float(np.sum(basket.prices * basket.S)), 1e-300)  # type: ignore[operator]
        imb = (a / gross) @ Rt
        band = basket.neutrality_band / gross
        cons += [imb <= band, imb >= -band]
    prob = cp.Problem(cp.Minimize(cost), cons)
    return _Built(prob, Y, perf_counter() - t0)


def _run(built: _Built, method: str) -> tuple[FloatArray, str, Status, float, float, int]:
    import cvxpy as cp

    from execopt.solvers.conic import SOLVER_SETTINGS, STATUS_MAP, _osqp_settings

    settings = dict(SOLVER_SETTINGS[method])
    if method == "osqp":
        settings = _osqp_settings(settings)
    solver = {"clarabel": cp.CLARABEL, "osqp": cp.OSQP, "scs": cp.SCS}[method]
    relaxed = False
    for attempt in (settings, {**settings, **RELAXED.get(method, {})}):
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"cvxpy\.")
                warnings.filterwarnings(
                    "ignore", message="Solution may be inaccurate", category=UserWarning
                )
                built.problem.solve(
                    solver=solver, ignore_dpp=True, canon_backend=CANON_BACKEND, **attempt
                )
            break
        except cp.error.SolverError as exc:
            if relaxed or method not in RELAXED:
                raise SolverError(f"{method} failed on this basket: {exc}") from exc
            relaxed = True
    raw = str(built.problem.status)
    mapped = STATUS_MAP.get(raw)
    if relaxed and mapped == "optimal":
        raw, mapped = f"{raw} (tolerances relaxed to {RELAXED[method]})", "inaccurate"
    if mapped is None:
        if raw.startswith("infeasible"):
            raise InfeasibleError(
                f"{method} reports the basket infeasible ({raw}): no schedule meets every "
                "constraint (caps, neutrality band, VaR limit); widen the band, loosen the VaR "
                "limit or raise the caps."
            )
        raise SolverError(f"{method} returned status {raw!r} on the basket; try 'clarabel'.")
    stats = built.problem.solver_stats
    compile_time = float(getattr(built.problem, "_compilation_time", 0.0) or 0.0)
    solve_time = float(stats.solve_time or 0.0) + float(stats.setup_time or 0.0)
    if built.Y.value is None:
        raise SolverError(f"{method} returned no point (status {raw!r}).")
    return (
        np.asarray(built.Y.value, dtype=float),
        raw,
        mapped,
        compile_time,
        solve_time,
        int(stats.num_iters or 0),
    )


#: Clarabel's statuses (its own API) -> execopt status (None: an error is raised).
_CLARABEL_STATUS: dict[str, Status | None] = {
    "Solved": "optimal",
    "AlmostSolved": "inaccurate",
    "MaxIterations": "not_converged",
    "MaxTime": "not_converged",
    "InsufficientProgress": "inaccurate",
    "AlmostPrimalInfeasible": None,
    "AlmostDualInfeasible": None,
    "PrimalInfeasible": None,
    "DualInfeasible": None,
    "NumericalError": None,
}


def _attempt(
    basket: Basket, s: FloatArray, C: float, method: str, direct: bool
) -> tuple[FloatArray, str, Status, float, float, float, int]:
    """One solve at cost scale ``C``: ``(Y, raw status, status, build, compile, solve
    seconds, iterations)``; through :mod:`~execopt.solvers.basket_qp` when ``direct``.
    """
    if not direct:
        built = _build(basket, s, C)
        Ys, raw, mapped, t_comp, t_solve, iters = _run(built, method)
        return Ys, raw, mapped, built.build_time, t_comp, t_solve, iters
    Ys, raw, t_build, t_solve, iters = solve_basket_qp(basket, s, C)
    status = _CLARABEL_STATUS.get(raw)
    if status is None or not np.all(np.isfinite(Ys)):
        if "Infeasible" in raw and "Dual" not in raw:
            raise InfeasibleError(
                f"clarabel reports the basket infeasible ({raw}): no schedule meets every "
                "constraint (caps, neutrality band); widen the band or raise the caps."
            )
        raise SolverError(
            f"clarabel returned status {raw!r} on the basket; try method='scs' or 'osqp'."
        )
    return Ys, raw, status, t_build, 0.0, t_solve, iters


def _solve_conic(basket: Basket, method: str) -> BasketSolution:
    _check(basket, method)
    t_start = perf_counter()
    if not np.any(basket.S > 0):
        X0 = np.zeros((basket.M, basket.N))
        cert = certify_basket(basket, X0)
        return BasketSolution(
            X0, cert.objective, "optimal", method, Timings(total=perf_counter() - t_start), 0,
            cert, "trivial",
        )  # fmt: skip
    s, C = _leg_scales(basket)
    direct = method == "clarabel" and supports(basket)
    Ys, raw, mapped, build, t_comp, t_solve, iters = _attempt(basket, s, C, method, direct)
    X_raw = Ys * s[:, None]
    f1 = basket.objective(np.clip(X_raw, 0.0, basket.upper))
    rescaled = False
    if math.isfinite(f1) and 0.0 < f1 < C:
        # as in the single-asset back-end: the solvers' gap tests are relative to
        # max(1, |objective|); re-solve once with the cost scale of the answer (kept only if
        # that solve succeeds: a nearly finished remaining basket can be badly scaled either way)
        C2 = f1 / (basket.N * basket.M)
        try:
            Ys2, raw2, mapped2, b2, tc2, ts2, it2 = _attempt(basket, s, C2, method, direct)
        except SolverError:
            pass
        else:
            build += b2
            Ys, raw, mapped, C, rescaled = Ys2, raw2, mapped2, C2, True
            t_comp, t_solve, iters = t_comp + tc2, t_solve + ts2, iters + it2
            X_raw = Ys * s[:, None]
    viol = max(raw_violation(p, X_raw[i]) for i, p in enumerate(basket.problems))
    X = np.empty_like(X_raw)
    moved = 0.0
    for i, p in enumerate(basket.problems):
        X[i], m = clip_to_feasible(p, X_raw[i])
        moved += m
    t1 = perf_counter()
    cert = certify_basket(basket, X)
    t2 = perf_counter()
    if mapped != "optimal":
        warnings.warn(
            f"{method} stopped with status {raw!r} on the basket (M = {basket.M}, N = "
            f"{basket.N}); the schedule was repaired to feasibility and certified: bound gap "
            f"{cert.bound_gap:.3g} dollars ({cert.rel_bound_gap:.2e} relative).",
            ConvergenceWarning,
            stacklevel=3,
        )
    return BasketSolution(
        schedule=X,
        objective=cert.objective,
        status=mapped,
        method=method,
        timings=Timings(
            build=build, compile=t_comp, solve=t_solve, certify=t2 - t1, total=t2 - t_start
        ),
        iterations=iters,
        certificate=cert,
        solver_status=raw,
        info={
            "raw_violation": viol,
            "repair": moved,
            "scale_cost": C,
            "rescaled": rescaled,
            "variables": int(basket.M * basket.N),
            "formulation": "direct sparse QP (no cvxpy)" if direct else "cvxpy",
        },
    )


def solve_basket(basket: Basket, method: str = "clarabel") -> BasketSolution:
    """Solve a basket and certify the answer (see the module docstring).

    Parameters
    ----------
    basket : Basket
    method : {"exact", "clarabel", "osqp", "scs"}

    Returns
    -------
    BasketSolution

    Raises
    ------
    InputError
        An unknown method.
    NotSupportedError
        ``exact`` on a coupled basket, or a baseline method (``slsqp``, ``de``).
    ConvexityError
        OSQP with a cone (power-law legs, a VaR limit).
    InfeasibleError
        The back-end proves the band, VaR limit and caps cannot all be met.
    SolverError
        Any other back-end failure.

    Examples
    --------
    >>> import execopt as eo
    >>> legs = [eo.ExecutionProblem(5_000, eo.QuadraticImpact(0.01, 1e-4), periods=10)] * 2
    >>> b = eo.Basket(legs, ["sell", "buy"])
    >>> sol = eo.solve(b, method="exact")
    >>> sol.schedule.shape, sol.certified
    ((2, 10), True)
    """
    if not isinstance(basket, Basket):
        raise InputError(f"solve_basket expects a Basket, got {type(basket).__name__}.")
    if method == "exact":
        return _solve_exact(basket)
    if method in ("clarabel", "osqp", "scs"):
        return _solve_conic(basket, method)
    if method in ("slsqp", "de"):
        raise NotSupportedError(
            f"method={method!r} is a single-asset baseline; solve a basket with 'clarabel', "
            "'osqp', 'scs' or (decoupled baskets) 'exact'."
        )
    raise InputError(f"unknown method {method!r}; a basket takes {', '.join(BASKET_METHODS)}.")
