"""cvxpy back-ends (Clarabel, OSQP, SCS) with scaling, explicit tolerances and a DPP cache.

The problem is solved in scaled units so every number the solver sees is of order one:
``y = x / s`` with ``s = S / N`` shares, and the objective divided by ``C``, the mean cost of
trading ``s`` shares in one period. Each structure (model kind, N, caps present, risk terms,
exponents, number of segments, solver) is built once as a DPP problem with ``cp.Parameter``s
and kept in a small cache; later calls only set parameter values, so build and compile times are
reported separately from the solver's own time.

``cvxpy`` is imported here only, lazily, so ``import execopt`` stays light.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from execopt.errors import (
    ConvergenceWarning,
    ConvexityError,
    InfeasibleError,
    InputError,
    SolverError,
)
from execopt.impact.models import (
    TWO_READINGS,
    ImpactModel,
    PiecewiseLinearImpact,
    PowerLawImpact,
    QuadraticImpact,
)
from execopt.problem.certificate import certify
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.repair import clip_to_feasible, raw_violation
from execopt.solvers.solution import Solution, Status, Timings

__all__ = [
    "CONIC_METHODS",
    "SCS_SCALE",
    "SOLVER_SETTINGS",
    "STATUS_MAP",
    "clear_cache",
    "solve_conic",
]

FloatArray = NDArray[np.float64]

CONIC_METHODS = ("clarabel", "osqp", "scs")

#: SCS's initial dual scale by model, without risk terms (SCS adapts it from there; its default,
#: 0.1, everywhere else). ``make bench`` runs ``benchmarks/scs_scale.py``: on 80 random instances
#: of each model (N = 30 to 1,000, caps or none, time-varying parameters), scaled as here (shares
#: by S/N, cost by C), 0.2 took 29 % less SCS time than 0.1 on the quadratic, every answer within
#: 2e-10 of the exact optimum. On the power cone no scale helped consistently (0.15: +1 to +3 %,
#: 0.2: about +50 % in total, dominated by a few N = 1,000 instances), so it keeps the default.
SCS_SCALE: dict[str, float] = {"quadratic": 0.2}

#: Solver settings, pinned here. On the scaled problem these give objective gaps below 1e-8
#: (Clarabel), 1e-7 (OSQP, polished) and 1e-6 (SCS) relative to the exact optimum. OSQP's default
#: eps = 1e-3 left up to 10 shares of constraint violation on unscaled problems.
SOLVER_SETTINGS: dict[str, dict[str, Any]] = {
    "clarabel": {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9, "max_iter": 200},
    "osqp": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iter": 200_000, "polishing": True},
    "scs": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000},
}

#: cvxpy status -> execopt status (None: an error is raised).
STATUS_MAP: dict[str, Status | None] = {
    "optimal": "optimal",
    "optimal_inaccurate": "inaccurate",
    "user_limit": "not_converged",
    "infeasible": None,
    "infeasible_inaccurate": None,
    "unbounded": None,
    "unbounded_inaccurate": None,
    "infeasible_or_unbounded": None,
    "solver_error": None,
}

_CACHE_SIZE = 32
#: Above this many periods the problem is compiled with its parameters as constants
#: (``ignore_dpp=True``): cvxpy's parametric QP compilation forms a dense
#: (N + 1) x (3N + 2) coefficient array, 224 GiB at N = 100,000. Measured here, DPP re-use
#: pays off at N = 390 (compile ~1 ms instead of ~10 ms) and is impossible at N = 100,000.
DPP_MAX_N = 5_000


@dataclass
class _Compiled:
    """A DPP problem built once, and how to load a problem's numbers into its parameters."""

    problem: Any
    variable: Any
    load: Callable[[ExecutionProblem, float, float], None]
    build_time: float
    solves: int = 0
    #: maps the solver's variable value to the scaled schedule ``y`` (identity by default)
    extract: Callable[[Any], Any] | None = None


_cache: OrderedDict[tuple[Any, ...], _Compiled] = OrderedDict()


def clear_cache() -> None:
    """Forget every compiled problem (the next solve rebuilds)."""
    _cache.clear()


def _structure(problem: ExecutionProblem, method: str) -> tuple[Any, ...]:
    m = problem.impact
    key: tuple[Any, ...] = (
        method,
        m.kind,
        problem.periods,
        problem.capped,
        problem.risk_aversion > 0,
        problem.var_limit is not None,
    )
    if _diagonal_qp(problem):
        key += ("diagonal",)
    if isinstance(m, PowerLawImpact):
        key += (tuple(np.unique(m.exponent).tolist()),)
    if isinstance(m, PiecewiseLinearImpact):
        key += (m.slopes.shape[-1],)
    return key


def _scales(problem: ExecutionProblem) -> tuple[float, float]:
    """Share scale ``s = S/N`` and cost scale ``C`` = mean cost of ``s`` shares per period."""
    N, S = problem.periods, problem.shares
    s = S / N
    if isinstance(problem.impact, PiecewiseLinearImpact):
        xs = np.minimum(np.full(N, s), problem.upper)
    else:
        xs = np.full(N, s)
    c = np.asarray(problem.impact.cost(xs), dtype=float) * np.ones(N)
    C = float(np.mean(c[np.isfinite(c)])) if np.any(np.isfinite(c)) else 1.0
    if not C > 0:
        C = 1.0
    return s, C


#: Power-law exponents that cvxpy's ``power`` atom writes without a power cone.
_NON_CONE_EXPONENTS = (1.0, 2.0)


def _cone_only(m: ImpactModel) -> bool:
    """A power law whose every period is written as an exact power cone ``t >= |y|^p``.

    Then ``y >= 0`` is redundant without a risk term: a negative ``y_t`` costs
    ``gamma_t |y_t|^p > 0`` and forces more shares elsewhere, so setting it to 0 and taking the
    difference off a positive period lowers the cost and keeps every cap. ``cp.power`` would add
    ``y >= 0`` itself, and redundant rows slow first-order solvers (SCS) down.
    """
    return isinstance(m, PowerLawImpact) and not np.any(
        np.isin(np.unique(m.exponent), _NON_CONE_EXPONENTS)
    )


def _risk_terms(problem: ExecutionProblem) -> bool:
    """The formulation has a mean-variance term or a VaR cone (even with zero volatility)."""
    return problem.risk_aversion > 0 or problem.var_limit is not None


def _diagonal_qp(problem: ExecutionProblem) -> bool:
    """Quadratic impact with every ``b_t > 0`` and no risk term: the change of variables
    ``w_t = sqrt(b_t) y_t`` makes the Hessian the identity (see :func:`_build_diagonal`)."""
    m = problem.impact
    return isinstance(m, QuadraticImpact) and m.strictly_convex and not _risk_terms(problem)


def _build_diagonal(problem: ExecutionProblem) -> _Compiled:
    """Quadratic impact as a QP in ``w_t = sqrt(b~_t) y_t`` (``b~`` the scaled coefficient).

    ``minimise sum_t (a~_t / sqrt(b~_t)) w_t + w_t^2`` s.t. ``sum_t w_t / sqrt(b~_t) = S / s``,
    ``0 <= w_t <= sqrt(b~_t) u_t / s``. Every parameter enters linearly (DPP) and the quadratic
    term is a constant identity, so cvxpy hands OSQP/Clarabel an N-variable QP. The direct form
    ``sum_squares(multiply(sqrt_b, y))`` is also DPP but cvxpy introduces N auxiliary variables
    and N equality rows for it: measured here, a cache-hit OSQP solve took 8.4 ms that way and
    2.1 ms this way at N = 390.
    """
    import cvxpy as cp

    t0 = perf_counter()
    N = problem.periods
    w = cp.Variable(N, name="w")
    lin_p = cp.Parameter(N, name="a_over_sqrt_b")
    inv_p = cp.Parameter(N, name="inv_sqrt_b", nonneg=True)
    S_p = cp.Parameter(name="S", nonneg=True)
    cons = [inv_p @ w == S_p, w >= 0]
    ub_p = None
    if problem.capped:
        ub_p = cp.Parameter(N, name="sqrt_b_u", nonneg=True)
        cons.append(w <= ub_p)
    prob = cp.Problem(cp.Minimize(lin_p @ w + cp.sum_squares(w)), cons)
    if not prob.is_dpp():  # pragma: no cover - guarded by tests
        raise SolverError("internal: the diagonal QP formulation is not DPP.")
    scale: dict[str, Any] = {}

    def load(p: ExecutionProblem, s: float, C: float) -> None:
        q = p.impact
        assert isinstance(q, QuadraticImpact)
        rb = np.broadcast_to(np.sqrt(q.b / C) * s, (N,))
        scale["rb"] = rb
        lin_p.value = np.broadcast_to(q.a * s / C, (N,)) / rb
        inv_p.value = 1.0 / rb
        S_p.value = p.shares / s
        if ub_p is not None:
            ub_p.value = rb * np.minimum(p.upper, p.shares) / s

    def extract(value: Any) -> Any:
        return None if value is None else np.asarray(value) / scale["rb"]

    return _Compiled(prob, w, load, perf_counter() - t0, extract=extract)


def _build(problem: ExecutionProblem, method: str) -> _Compiled:
    import cvxpy as cp

    if _diagonal_qp(problem):
        return _build_diagonal(problem)

    t0 = perf_counter()
    N = problem.periods
    m = problem.impact
    y = cp.Variable(N, name="y")
    S_p = cp.Parameter(name="S", nonneg=True)
    cons = [cp.sum(y) == S_p]
    risk = _risk_terms(problem)
    if not isinstance(m, PiecewiseLinearImpact) and (risk or not _cone_only(m)):
        # (piecewise: y >= 0 follows from z >= 0; power cones: see _cone_only)
        cons.append(y >= 0)
    u_p = None
    if problem.capped and not isinstance(m, PiecewiseLinearImpact):  # (piecewise: see below)
        u_p = cp.Parameter(N, name="u", nonneg=True)
        cons.append(y <= u_p)
    loaders: list[Callable[[ExecutionProblem, float, float], None]] = []

    if isinstance(m, QuadraticImpact):
        a_p = cp.Parameter(N, name="a", nonneg=True)
        rb_p = cp.Parameter(N, name="sqrt_b", nonneg=True)
        cost = a_p @ y + cp.sum_squares(cp.multiply(rb_p, y))

        def load_q(p: ExecutionProblem, s: float, C: float) -> None:
            q = p.impact
            assert isinstance(q, QuadraticImpact)
            a_p.value = np.broadcast_to(q.a * s / C, (N,)).copy()
            rb_p.value = np.broadcast_to(np.sqrt(q.b / C) * s, (N,)).copy()

        loaders.append(load_q)
    elif isinstance(m, PowerLawImpact):
        exps = np.unique(m.exponent)
        g_ps = [cp.Parameter(N, name=f"gamma_{i}", nonneg=True) for i in range(exps.size)]
        terms = []
        for i, (g, pv) in enumerate(zip(g_ps, exps, strict=True)):
            if pv in _NON_CONE_EXPONENTS:  # linear, or a square that OSQP can take
                terms.append(g @ cp.power(y, float(pv), approx=False))
                continue
            # the exact power cone t_t >= |y_t|^p written out: cp.power adds y >= 0 (a
            # duplicate of ours); without the redundant rows a cache-hit solve at N = 390 went
            # from 32 to 24 ms (SCS) and from 16 to 13 ms (Clarabel) here (see _cone_only)
            t = cp.Variable(N, name=f"t_{i}")
            cons.append(cp.PowCone3D(t, np.ones(N), y, 1.0 / float(pv)))
            terms.append(g @ t)
        cost = cp.sum(terms) if len(terms) > 1 else terms[0]

        def load_p(p: ExecutionProblem, s: float, C: float) -> None:
            q = p.impact
            assert isinstance(q, PowerLawImpact)
            pe = np.broadcast_to(q.exponent, (N,))
            gam = np.broadcast_to(q.gamma, (N,))
            for g, pv in zip(g_ps, exps, strict=True):
                g.value = np.where(pe == pv, gam * s**pv / C, 0.0)

        loaders.append(load_p)
    elif isinstance(m, PiecewiseLinearImpact):
        # Segment form: z_tk = shares taken from segment k in period t, 0 <= z_tk <= w_tk,
        # cost sum_tk s_tk z_tk (non-decreasing slopes make the LP fill cheap segments first).
        # The epigraph form max_k(s_tk y_t + c_tk) used before is the same LP, but OSQP stalled
        # on it (200,000 iterations, objective gaps ~4e-4, status user_limit); box constraints
        # suit ADMM, and Clarabel and SCS are as accurate on either form. Redundant rows slow
        # ADMM down or stall it, so y >= 0 is left out (it follows from z >= 0) and the caps
        # truncate the segments (z_tk <= clip(u_t - start_tk, 0, w_tk)) instead of y <= u.
        K = m.slopes.shape[-1]
        Z = cp.Variable((N, K), name="z")
        sl_p = cp.Parameter((N, K), name="slopes")
        w_p = cp.Parameter((N, K), name="widths", nonneg=True)
        cons += [cp.sum(Z, axis=1) == y, Z >= 0, Z <= w_p]
        cost = cp.sum(cp.multiply(sl_p, Z))

        def load_pl(p: ExecutionProblem, s: float, C: float) -> None:
            q = p.impact
            assert isinstance(q, PiecewiseLinearImpact)
            sl_p.value = np.broadcast_to(q.slopes * s / C, (N, K)).copy()
            # truncate each period's segments at its cap (and at S, which no period can exceed:
            # this also bounds an infinite last width exactly)
            u = np.minimum(p.upper, p.shares)[:, None]
            st = np.broadcast_to(q.starts, (N, K))
            w = np.clip(u - st, 0.0, np.broadcast_to(q.widths, (N, K)))
            w_p.value = w / s

        loaders.append(load_pl)
    else:  # pragma: no cover - every model kind is handled above
        raise SolverError(f"no cvxpy formulation for {type(m).__name__}.")

    objective = cost
    if risk:
        R = cp.cumsum(y[::-1])[::-1] - y  # shares left after each period, sum_{j>t} y_j
        if problem.risk_aversion > 0:
            rk_p = cp.Parameter(N, name="sqrt_risk", nonneg=True)
            objective = objective + cp.sum_squares(cp.multiply(rk_p, R))

            def load_r(p: ExecutionProblem, s: float, C: float) -> None:
                rk_p.value = np.sqrt(p.risk_aversion * p.sigma2 / C) * s

            loaders.append(load_r)
        if problem.var_limit is not None:
            sg_p = cp.Parameter(N, name="sigma", nonneg=True)
            vl_p = cp.Parameter(name="var_limit", nonneg=True)
            cons.append(cp.norm(cp.multiply(sg_p, R), 2) <= vl_p)

            def load_v(p: ExecutionProblem, s: float, C: float) -> None:
                sg_p.value = np.sqrt(p.sigma2).copy()
                vl_p.value = float(p.var_limit or 0.0) / (p.var_z * s)

            loaders.append(load_v)

    prob = cp.Problem(cp.Minimize(objective), cons)
    if not prob.is_dpp():  # pragma: no cover - guarded by tests
        raise SolverError("internal: the cvxpy formulation is not DPP.")

    def load(p: ExecutionProblem, s: float, C: float) -> None:
        S_p.value = p.shares / s
        if u_p is not None:
            # no period can take more than S shares: min(u, S) is exact and keeps the bound of
            # order N in scaled units (an uncapped period used to get a bound of 1e12)
            u_p.value = np.minimum(p.upper, p.shares) / s
        for f in loaders:
            f(p, s, C)

    return _Compiled(prob, y, load, perf_counter() - t0)


def _osqp_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """OSQP >= 1.0 calls the polish switch ``polishing``; older versions call it ``polish``.

    (Passing ``polish`` to OSQP 1.x emits a DeprecationWarning that cvxpy turns into a
    SolverError when warnings are errors, as in the test suite.)
    """
    import osqp

    major = int(str(getattr(osqp, "__version__", "1")).split(".")[0] or 1)
    if major < 1 and "polishing" in settings:
        settings = dict(settings)
        settings["polish"] = settings.pop("polishing")
    return settings


def _check_applicable(problem: ExecutionProblem, method: str) -> None:
    if not problem.is_convex:
        raise ConvexityError(
            f"method={method!r} is a convex solver and this problem is not convex. {TWO_READINGS}"
        )
    if method == "osqp":
        if isinstance(problem.impact, PowerLawImpact) and np.any(
            np.unique(problem.impact.exponent) != 2.0
        ):
            raise ConvexityError(
                "OSQP solves quadratic programs only; the per-share power law x^(1+delta) needs an "
                "exact power cone: use method='clarabel' or 'scs' (or 'exact'). " + TWO_READINGS
            )
        if problem.var_limit is not None:
            raise ConvexityError(
                "OSQP solves quadratic programs only; a VaR limit is a second-order cone: use "
                "method='clarabel' or 'scs'."
            )


@dataclass(frozen=True)
class _Run:
    """One back-end call: the scaled point, statuses, timings and iterations."""

    y: FloatArray
    raw: str
    mapped: Status
    compile_time: float
    solve_time: float
    iterations: int
    wall: float


def _run(
    comp: _Compiled,
    problem: ExecutionProblem,
    method: str,
    s: float,
    C: float,
    settings: dict[str, Any],
    warm_start: bool,
) -> _Run:
    """Load the parameters in units (s shares, C dollars) and call the back-end once."""
    import cvxpy as cp

    comp.load(problem, s, C)
    solver = {"clarabel": cp.CLARABEL, "osqp": cp.OSQP, "scs": cp.SCS}[method]
    t0 = perf_counter()
    try:
        with warnings.catch_warnings():
            # cvxpy evaluates the objective at the solver's raw point; an entry of -1e-9 in
            # y^(1+delta) makes NumPy warn "invalid value encountered in power". That value is
            # not used: the schedule is clipped, repaired and re-costed in NumPy.
            warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"cvxpy\.")
            # cvxpy's generic "Solution may be inaccurate. Try another solver..." is replaced by
            # the mapped status and a ConvergenceWarning with the certified gap (solve_conic)
            warnings.filterwarnings(
                "ignore", message="Solution may be inaccurate", category=UserWarning
            )
            comp.problem.solve(
                solver=solver,
                warm_start=warm_start,
                ignore_dpp=problem.periods > DPP_MAX_N,
                **settings,
            )
    except cp.error.SolverError as exc:
        raise SolverError(f"{method} failed on this problem: {exc}") from exc
    wall = perf_counter() - t0
    comp.solves += 1
    raw = str(comp.problem.status)
    mapped = STATUS_MAP.get(raw)
    if mapped is None:
        if raw.startswith("infeasible"):
            raise InfeasibleError(
                f"{method} reports the problem infeasible ({raw}): no schedule meets every constraint; "
                "loosen the VaR limit or the caps."
            )
        raise SolverError(f"{method} returned status {raw!r}; try method='clarabel' or 'exact'.")
    stats = comp.problem.solver_stats
    compile_time = float(getattr(comp.problem, "_compilation_time", 0.0) or 0.0)
    solve_time = (
        float(stats.solve_time) if stats.solve_time is not None else max(wall - compile_time, 0.0)
    )
    if stats.setup_time is not None:
        solve_time += float(stats.setup_time)
    y = comp.variable.value if comp.extract is None else comp.extract(comp.variable.value)
    if y is None:
        raise SolverError(f"{method} returned no point (status {raw!r}).")
    return _Run(
        np.asarray(y, dtype=float),
        raw,
        mapped,
        compile_time,
        solve_time,
        int(stats.num_iters or 0),
        wall,
    )


def solve_conic(problem: ExecutionProblem, method: str, *, warm_start: bool = False) -> Solution:
    """Solve with a cvxpy back-end, then clip-and-certify the answer.

    Raises
    ------
    ConvexityError
        Non-convex problem, or a cone problem given to OSQP.
    InfeasibleError
        The back-end proves infeasibility (e.g. a VaR limit no schedule meets).
    SolverError
        Any other back-end failure.
    """
    if not isinstance(warm_start, (bool, np.bool_)):  # input guard: "x" would be truthy
        raise InputError(f"warm_start must be True or False, got {warm_start!r}.")
    _check_applicable(problem, method)
    t_start = perf_counter()
    N = problem.periods
    if problem.shares == 0:
        x = np.zeros(N)
        cert = certify(problem, x, optimum=0.0)
        return Solution(
            x,
            0.0,
            "optimal",
            method,
            Timings(total=perf_counter() - t_start),
            0,
            cert.lam,
            cert,
            "trivial",
        )
    key = _structure(problem, method)
    hit = key in _cache
    if hit:
        comp = _cache.pop(key)
        build = 0.0
    else:
        comp = _build(problem, method)
        build = comp.build_time
    _cache[key] = comp
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    s, C = _scales(problem)
    settings = dict(SOLVER_SETTINGS[method])
    if method == "osqp":
        settings = _osqp_settings(settings)
    if method == "scs" and not _risk_terms(problem) and problem.impact.kind in SCS_SCALE:
        settings.setdefault("scale", SCS_SCALE[problem.impact.kind])
    run = _run(comp, problem, method, s, C, settings, warm_start)
    x_raw = run.y * s
    rescaled = False
    f1 = problem.objective(np.clip(x_raw, 0.0, problem.upper))
    if np.isfinite(f1) and 0.0 < f1 < C:
        # The cost scale C (mean cost of S/N shares per period) overestimates the optimum, so
        # the scaled optimum f1 / C is below 1 and the solvers' gap tests, relative to
        # max(1, |objective|), become absolute: Clarabel stopped 2e-6 (relative) above the
        # optimum on a power law mixing delta = 0 and delta = 1.5. Re-solve once with the cost
        # scale of the answer (scaled optimum ~ N, as for equal allocation).
        C = f1 / N
        first = run
        run = _run(comp, problem, method, s, C, settings, warm_start)
        run = _Run(
            run.y,
            run.raw,
            run.mapped,
            first.compile_time + run.compile_time,
            first.solve_time + run.solve_time,
            first.iterations + run.iterations,
            first.wall + run.wall,
        )
        x_raw = run.y * s
        rescaled = True
    viol = raw_violation(problem, x_raw)
    x, moved = clip_to_feasible(problem, x_raw)
    t1 = perf_counter()
    cert = certify(problem, x)
    t2 = perf_counter()
    if run.mapped != "optimal":
        # not fatal (the schedule is feasible and certified) but never silent
        gap = (
            f"relative gap to the exact optimum {cert.rel_gap:.2e}"
            if cert.rel_gap is not None
            else f"certified suboptimality bound {cert.bound_gap:.3g} dollars"
        )
        warnings.warn(
            f"{method} stopped with status {run.raw!r} (N = {N}); the schedule was repaired to "
            f"feasibility and certified: {gap}. For an exact answer use method='exact' (separable "
            "problems) or 'clarabel'.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return Solution(
        schedule=x,
        objective=cert.objective,
        status=run.mapped,
        method=method,
        timings=Timings(
            build=build,
            compile=run.compile_time,
            solve=run.solve_time,
            certify=t2 - t1,
            total=t2 - t_start,
        ),
        iterations=run.iterations,
        lam=cert.lam,
        certificate=cert,
        solver_status=run.raw,
        info={
            "raw_violation": viol,
            "repair": moved,
            "cache_hit": hit,
            "scale_shares": s,
            "scale_cost": C,
            "rescaled": rescaled,
            "wall": run.wall,
        },
    )
