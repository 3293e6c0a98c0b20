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
    NotSupportedError,
    SolverError,
)
from execopt.impact.base import Canon, Units
from execopt.impact.power import TWO_READINGS
from execopt.problem.certificate import certify
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.terms import TransientImpact
from execopt.solvers.repair import clip_to_feasible, raw_violation
from execopt.solvers.solution import Solution, Status, Timings

__all__ = [
    "CONIC_METHODS",
    "SCS_SCALE",
    "SOLVER_SETTINGS",
    "STATUS_MAP",
    "clear_cache",
    "problem_canon",
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
SCS_SCALE: dict[str, float] = {"diagonal": 0.2}

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
#: The last element of a structure key whose formulation holds one problem's own numbers.
_NO_CACHE = "no-cache"


def _alternatives(method: str, problem: ExecutionProblem) -> str:
    """What to try instead of ``method`` (never the method that just failed)."""
    others = [m for m in ("clarabel", "scs") if m != method]
    exact = "method='exact' (it covers this problem)" if problem.separable else None
    tries = ([exact] if exact else []) + [f"method='{m}'" for m in others]
    return "try " + " or ".join(tries)


def clear_cache() -> None:
    """Forget every compiled problem (the next solve rebuilds)."""
    _cache.clear()


def _diagonal(problem: ExecutionProblem) -> tuple[FloatArray, FloatArray] | None:
    """``(l, q)`` when the whole objective is ``sum_t l_t x_t + q_t x_t^2`` with every
    ``q_t > 0`` and there is no constraint beyond the bounds (see :func:`_build_diagonal`).
    """
    if problem.limits:
        return None
    N = problem.periods
    parts = [problem.impact.diagonal_quadratic(N)]
    parts += [getattr(t, "diagonal_quadratic", lambda n: None)(N) for t in problem.terms]
    if any(d is None for d in parts):
        return None
    lin = np.sum([d[0] for d in parts if d is not None], axis=0)
    quad = np.sum([d[1] for d in parts if d is not None], axis=0)
    if not np.all(quad > 0):
        return None
    return lin, quad


def _structure(problem: ExecutionProblem, method: str) -> tuple[Any, ...]:
    """What fixes the compiled formulation: a cache hit re-uses it with new parameter values.

    A dense merged quadratic holds the problem's own matrix: its key ends in ``_NO_CACHE`` and
    it is compiled afresh for each problem (the dense form is the reference, not the fast
    path).
    """
    key: tuple[Any, ...] = (method, problem.periods, problem.capped)
    if _diagonal(problem) is not None:
        return (*key, "diagonal")
    mode = _merge_mode(problem)
    key = (
        *key,
        mode,
        problem.impact.structure_key(),
        tuple(t.structure_key() for t in problem.terms),
        tuple(t.structure_key() for t in problem.limits),
    )
    return (*key, _NO_CACHE) if mode.startswith("dense") else key


def _scales(problem: ExecutionProblem) -> tuple[float, float]:
    """Share scale ``s = S/N`` and cost scale ``C`` = mean cost of ``s`` shares per period."""
    N, S = problem.periods, problem.shares
    s = S / N
    xs = np.minimum(np.full(N, s), problem.upper)
    c = np.asarray(problem.impact.cost(xs), dtype=float) * np.ones(N)
    C = float(np.mean(c[np.isfinite(c)])) if np.any(np.isfinite(c)) else 1.0
    if not C > 0:
        C = 1.0
    return s, C


def _units(problem: ExecutionProblem, s: float, C: float) -> Units:
    return Units(s=s, C=C, S=problem.shares, upper=problem.upper)


def _build_diagonal(problem: ExecutionProblem) -> _Compiled:
    """A diagonal QP in ``w_t = sqrt(q~_t) y_t`` (``q~`` the scaled quadratic coefficient).

    ``minimise sum_t (l~_t / sqrt(q~_t)) w_t + w_t^2`` s.t. ``sum_t w_t / sqrt(q~_t) = S / s``,
    ``0 <= w_t <= sqrt(q~_t) u_t / s``. Every parameter enters linearly (DPP) and the quadratic
    term is a constant identity, so cvxpy hands OSQP/Clarabel an N-variable QP. The direct form
    ``sum_squares(multiply(sqrt_q, y))`` is also DPP but cvxpy introduces N auxiliary variables
    and N equality rows for it: measured here, a cache-hit OSQP solve took 8.4 ms that way and
    2.1 ms this way at N = 390. Any objective whose terms all declare ``diagonal_quadratic``
    (quadratic impact, fees, a power law with exponent 2) takes this path.
    """
    import cvxpy as cp

    t0 = perf_counter()
    N = problem.periods
    w = cp.Variable(N, name="w")
    lin_p = cp.Parameter(N, name="l_over_sqrt_q")
    inv_p = cp.Parameter(N, name="inv_sqrt_q", nonneg=True)
    S_p = cp.Parameter(name="S", nonneg=True)
    cons = [inv_p @ w == S_p, w >= 0]
    ub_p = None
    if problem.capped:
        ub_p = cp.Parameter(N, name="sqrt_q_u", nonneg=True)
        cons.append(w <= ub_p)
    prob = cp.Problem(cp.Minimize(lin_p @ w + cp.sum_squares(w)), cons)
    if not prob.is_dpp():  # pragma: no cover - guarded by tests
        raise SolverError("internal: the diagonal QP formulation is not DPP.")
    scale: dict[str, Any] = {}

    def load(p: ExecutionProblem, s: float, C: float) -> None:
        d = _diagonal(p)
        assert d is not None
        rq = np.sqrt(d[1] / C) * s
        scale["rq"] = rq
        lin_p.value = d[0] * s / C / rq
        inv_p.value = 1.0 / rq
        S_p.value = p.shares / s
        if ub_p is not None:
            ub_p.value = rq * np.minimum(p.upper, p.shares) / s

    def extract(value: Any) -> Any:
        return None if value is None else np.asarray(value) / scale["rq"]

    return _Compiled(prob, w, load, perf_counter() - t0, extract=extract)


def _merge_mode(problem: ExecutionProblem) -> str:
    """How terms that are concave alone (permanent impact, ``-gamma/2 x^2``) are written.

    ``"none"``: no such term. ``"diag"``: merged with the impact model's diagonal quadratic
    (``b_t - gamma/2 >= 0``). ``"dense"``: merged with the impact's diagonal and the transient
    kernel into one dense positive semidefinite matrix (checked when the problem was built).
    ``"dense-kernel"``: merged with the kernel only (the impact model is not quadratic).
    """
    N = problem.periods
    diags = [d for d in (t.diagonal_quadratic(N) for t in problem.terms) if d is not None]
    if not diags:
        return "none"
    diag = problem.impact.diagonal_quadratic(N)
    if diag is not None:
        q = diag[1] + _diag_terms(problem)[1]
        if np.all(q >= 0):
            return "diag"
    if not any(np.any(d[1] < 0) for d in diags):
        return "none"  # linear or convex terms (drift): each compiles with its own canon
    kernels = [t for t in problem.terms if isinstance(t, TransientImpact)]
    if kernels:
        return "dense" if diag is not None else "dense-kernel"
    raise NotSupportedError(
        "permanent impact is concave on its own (gamma (S^2 - sum x^2) / 2) and this impact "
        f"model ({problem.impact!r}) has no quadratic part to absorb it in a conic formulation; "
        "use method='slsqp' (certified by the Frank-Wolfe bound) or a quadratic impact model."
    )


def _diag_terms(problem: ExecutionProblem) -> tuple[FloatArray, FloatArray]:
    """The summed ``(l, q)`` of the non-separable terms that are diagonal quadratics."""
    N = problem.periods
    lin, quad = np.zeros(N), np.zeros(N)
    for t in problem.terms:
        d = t.diagonal_quadratic(N)
        if d is not None:
            lin, quad = lin + d[0], quad + d[1]
    return lin, quad


def _merged_canon(problem: ExecutionProblem, y: Any, mode: str) -> tuple[Canon, set[int]]:
    """The canon of the merged quadratic terms and the indices of ``problem.terms`` it covers
    (the impact model is covered too unless the mode is ``"dense-kernel"``).
    """
    import cvxpy as cp

    N = problem.periods
    covered = {i for i, t in enumerate(problem.terms) if t.diagonal_quadratic(N) is not None}
    lin_p = cp.Parameter(N, name="merged_l")
    if mode == "diag":
        rq_p = cp.Parameter(N, name="merged_sqrt_q", nonneg=True)

        def load_diag(p: ExecutionProblem, u: Units) -> None:
            d = p.impact.diagonal_quadratic(N)
            assert d is not None
            dl, dq = _diag_terms(p)
            lin_p.value = (d[0] + dl) * u.s / u.C
            rq_p.value = np.sqrt(np.maximum(d[1] + dq, 0.0) / u.C) * u.s

        return Canon(lin_p @ y + cp.sum_squares(cp.multiply(rq_p, y)), [], load_diag), covered
    # dense: 1/2 y^T (2 diag(q) + K) y with every kernel merged in (constant matrix, rebuilt per
    # problem: the cache key holds the problem's own numbers)
    H = np.zeros((N, N))
    for i, t in enumerate(problem.terms):
        if isinstance(t, TransientImpact):
            H += t.kernel.matrix(N)
            covered.add(i)
    dl, dq = _diag_terms(problem)
    lin = dl
    if mode == "dense":
        d = problem.impact.diagonal_quadratic(N)
        assert d is not None
        lin, dq = lin + d[0], dq + d[1]
    H[np.diag_indices(N)] += 2.0 * dq
    H = 0.5 * (H + H.T)
    sc_p = cp.Parameter(nonneg=True, name="merged_scale")

    def load_dense(p: ExecutionProblem, u: Units) -> None:
        lin_p.value = lin * u.s / u.C
        sc_p.value = 0.5 * u.s * u.s / u.C

    cost = lin_p @ y + sc_p * cp.quad_form(y, cp.psd_wrap(H))
    return Canon(cost, [], load_dense), covered


def problem_canon(problem: ExecutionProblem, y: Any) -> Canon:
    """One problem's objective and constraints on a given scaled variable ``y`` (shape (N,)).

    The impact model, the merged diagonal/dense quadratic terms, every other term, the limits
    (VaR), and the bounds ``0 <= y <= u / s`` where no term implies them; everything but
    ``sum y = S / s``, which the caller adds (one leg of a basket, or :func:`_build`). The
    returned ``load(problem, units)`` sets the parameters from a problem of the same structure
    in the given :class:`~execopt.impact.base.Units` (``units.C`` may be a basket's common cost
    scale: every term is then in dollars / ``C``).
    """
    import cvxpy as cp

    N = problem.periods
    cons: list[Any] = []
    mode = _merge_mode(problem)
    covered: set[int] = set()
    merged: Canon | None = None
    if mode != "none":
        merged, covered = _merged_canon(problem, y, mode)
    own_impact = mode in ("none", "dense-kernel")
    impact = problem.impact.canon(y, N) if own_impact else None
    rest = [i for i in range(len(problem.terms)) if i not in covered]
    others = [problem.terms[i].canon(y, N) for i in rest]
    others += [lim.canon(y, N) for lim in problem.limits]
    alone = not others and merged is None
    implies_nonneg = impact is not None and (
        impact.implies_nonneg or (alone and impact.nonneg_redundant_alone)
    )
    if not implies_nonneg:
        cons.append(y >= 0)
    u_p = None
    if problem.capped and not (impact is not None and impact.enforces_caps):
        u_p = cp.Parameter(N, name="u", nonneg=True)
        cons.append(y <= u_p)
    pieces = [c for c in (impact, merged, *others) if c is not None]
    objective = pieces[0].cost
    for c in pieces[1:]:
        objective = objective + c.cost
    for c in pieces:
        cons += c.constraints

    def load(p: ExecutionProblem, units: Units) -> None:
        if u_p is not None:
            # no period can take more than S shares: min(u, S) is exact and keeps the bound of
            # order N in scaled units (an uncapped period used to get a bound of 1e12)
            u_p.value = np.minimum(p.upper, p.shares) / units.s
        if impact is not None:
            impact.load(p.impact, units)
        if merged is not None:
            merged.load(p, units)
        for c, t in zip(others, (*(p.terms[i] for i in rest), *p.limits), strict=True):
            c.load(t, units)

    return Canon(objective, cons, load, implies_nonneg=implies_nonneg)


def _build(problem: ExecutionProblem, method: str) -> _Compiled:
    """Assemble the DPP problem from the terms' own formulations (:class:`Canon`)."""
    import cvxpy as cp

    if _diagonal(problem) is not None:
        return _build_diagonal(problem)

    t0 = perf_counter()
    N = problem.periods
    y = cp.Variable(N, name="y")
    S_p = cp.Parameter(name="S", nonneg=True)
    canon = problem_canon(problem, y)
    prob = cp.Problem(cp.Minimize(canon.cost), [cp.sum(y) == S_p, *canon.constraints])
    if not prob.is_dpp():  # pragma: no cover - guarded by tests
        raise SolverError("internal: the cvxpy formulation is not DPP.")

    def load(p: ExecutionProblem, s: float, C: float) -> None:
        S_p.value = p.shares / s
        canon.load(p, _units(p, s, C))

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
        needs = [
            (problem.impact.cone, f"the impact model {problem.impact!r}"),
            *((t.cone, f"the {t.name} term") for t in (*problem.terms, *problem.limits)),
        ]
        cones = [what for cone, what in needs if cone not in ("lp", "qp")]
        if cones:
            raise ConvexityError(
                f"OSQP solves quadratic programs only, and {', '.join(cones)} needs a power cone "
                "or a second-order cone: use method='clarabel' or 'scs' (or 'exact' where it "
                "applies). " + TWO_READINGS
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
        raise SolverError(f"{method} returned status {raw!r}; {_alternatives(method, problem)}.")
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
    if key[-1] != _NO_CACHE:
        _cache[key] = comp
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    s, C = _scales(problem)
    settings = dict(SOLVER_SETTINGS[method])
    if method == "osqp":
        settings = _osqp_settings(settings)
    if method == "scs" and key[-1] in SCS_SCALE:
        settings.setdefault("scale", SCS_SCALE[key[-1]])
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
            f"feasibility and certified: {gap}. For a tighter answer: "
            f"{_alternatives(method, problem)}.",
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
