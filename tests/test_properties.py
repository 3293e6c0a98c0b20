"""Property-based tests (hypothesis) on random execution problems.

Instances: N from 1 to 2,000 (mostly small), time-varying or scalar parameters, some ``b_t = 0``,
caps (none, scalar, per period, some zero), ``S`` from 0 up to exactly the sum of the caps, badly
scaled orders (``S = 1e8`` with ``b = 1e-9`` and ``a = 0``), per-share power laws with scalar and
time-varying ``gamma`` and ``delta``, and random convex piecewise-linear books.

For every instance the exact solver's certificate must show KKT residuals of ~0 and a dual lower
bound equal to the objective; every convex cvxpy back-end must land within its named tolerance of
the exact optimum; ``certify`` must agree with the exact solver and reject perturbed schedules.

Instances are drawn as a handful of structural choices (hypothesis) plus a seed for NumPy, so a
2,000-period instance costs no more to generate than a 2-period one; failures print the seed.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

import execopt as eo
from execopt.errors import ConvergenceWarning
from execopt.impact.models import ImpactModel
from execopt.problem.certificate import FEAS_ATOL_REL, KKT_POINT_RTOL, certify_kkt_point
from execopt.problem.waterfill import waterfill

# ----------------------------------------------------------------------------- tolerances
#: The exact solver against its own certificate: water-filling is exact to rounding.
EXACT_RTOL = 1e-9
#: Relative KKT stationarity residual of the exact solution (dimensionless, rounding only).
STAT_TOL = 1e-9
#: Clarabel (interior point, gap tolerances 1e-9 on the scaled problem). Looser than EXACT_RTOL:
#: an interior point stops a little inside the feasible set, and the power cone converges to
#: ~1e-8 relative.
CLARABEL_RTOL = 1e-7
#: OSQP (first-order ADMM, eps 1e-9 and polishing). Looser again: a polish that fails leaves the
#: ADMM iterate, accurate to ~1e-7 relative on these instances.
OSQP_RTOL = 1e-6
#: SCS (first-order splitting, eps 1e-9). Loosest: SCS's cone projections converge linearly and
#: stop at ~1e-6 relative on the power-cone problems.
SCS_RTOL = 1e-5
#: Per-method tolerances on the objective, relative to the exact optimum.
METHOD_RTOL = {"clarabel": CLARABEL_RTOL, "osqp": OSQP_RTOL, "scs": SCS_RTOL}
#: Feasibility, shares relative to max(S, 1): the certificate's own tolerance.
FEAS_RTOL = FEAS_ATOL_REL
#: Absolute floor for objective comparisons, dollars (optima can be exactly 0 when S = 0).
ATOL_DOLLARS = 1e-9

#: cvxpy tests compile a problem per instance: few examples, small N (keeps the file < 60 s).
CVXPY_EXAMPLES = max(8, settings().max_examples // 3)
CVXPY_MAX_N = 24
#: Examples of the large-N test (N = 1,000 and 2,000; exact and certify only).
LARGE_EXAMPLES = max(6, settings().max_examples // 4)


# ----------------------------------------------------------------------------- strategies
class Instance:
    """A random problem and how it was drawn (printed by hypothesis on failure)."""

    def __init__(self, problem: eo.ExecutionProblem, family: str, recipe: dict[str, Any]):
        self.problem = problem
        self.family = family
        self.recipe = recipe

    def __repr__(self) -> str:
        return f"Instance({self.family}, N={self.problem.N}, S={self.problem.S:.6g}, {self.recipe})"


#: Share of examples by size of N (hypothesis's own one_of weighting is not controllable).
SIZE_BUCKETS = ("small",) * 6 + ("medium",) * 3 + ("large",)


@st.composite
def sizes(draw: st.DrawFn, max_n: int, large: bool = False) -> int:
    """Mostly small N (1-30); some medium (31-400); one in ten large (1,000 to ``max_n``).

    ``large=True`` draws only large N (the few examples of the ci profile rarely reach them).
    """
    bucket = "large" if large else draw(st.sampled_from(SIZE_BUCKETS))  # shrinks to "small"
    if bucket == "small" or max_n <= 30:
        return draw(st.integers(1, min(30, max_n)))
    if bucket == "medium" or max_n < 1000:
        return draw(st.integers(31, min(400, max_n)))
    return draw(st.sampled_from(sorted({1000, max_n})))


def _caps(draw: st.DrawFn, rng: np.random.Generator, N: int, unit: float) -> np.ndarray | None:
    kind = draw(st.sampled_from(["none", "scalar", "per_period", "per_period_zeros"]))
    if kind == "none":
        return None
    if kind == "scalar":
        return np.asarray(unit * rng.uniform(0.5, 3.0))
    u = unit * rng.uniform(0.1, 3.0, N)
    if kind == "per_period_zeros":
        u[rng.random(N) < 0.3] = 0.0
    return u


def _shares(draw: st.DrawFn, rng: np.random.Generator, total: float, unit: float, N: int) -> float:
    """S from 0 to the sum of the caps, including 0 and exactly the sum."""
    where = draw(st.sampled_from(["zero", "inside", "inside", "inside", "full"]))
    if not np.isfinite(total):
        return 0.0 if where == "zero" else float(unit * N * rng.uniform(0.1, 2.0))
    if where == "zero":
        return 0.0
    if where == "full":
        return float(total)
    return float(total * rng.uniform(0.01, 0.99))


def _upper(cap: np.ndarray | None, N: int, capacity: Any = np.inf) -> np.ndarray:
    u = np.full(N, np.inf) if cap is None else np.broadcast_to(cap, (N,)).astype(float)
    return np.minimum(u, np.broadcast_to(capacity, (N,)))


@st.composite
def quadratic_instances(draw: st.DrawFn, max_n: int = 2000, large: bool = False) -> Instance:
    N = draw(sizes(max_n, large))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scaling = draw(st.sampled_from(["seed", "seed", "seed", "bad"]))
    if scaling == "bad":
        # S = 1e8 shares with b = 1e-9 and a = 0: costs and sizes far from order one
        S = 1e8
        a: Any = 0.0
        b: Any = draw(st.sampled_from(["scalar", "varying"]))
        b = 1e-9 if b == "scalar" else 1e-9 * rng.uniform(0.5, 2.0, N)
        cap_kind = draw(st.sampled_from(["none", "scalar", "per_period", "full"]))
        unit = S / N
        cap: Any = None
        if cap_kind == "scalar":
            cap = unit * rng.uniform(1.0, 3.0)
        elif cap_kind == "per_period":
            cap = unit * rng.uniform(1.0, 3.0, N)
        elif cap_kind == "full":
            cap = np.full(N, unit)  # S equals the sum of the caps (to rounding)
            S = float(cap.sum())
        recipe = {"seed": seed, "scaling": "bad", "cap": cap_kind}
        p = eo.ExecutionProblem(S, eo.QuadraticImpact(a, b), periods=N, cap=cap)
        return Instance(p, "quadratic", recipe)
    a_kind = draw(st.sampled_from(["zero", "scalar", "varying"]))
    b_kind = draw(st.sampled_from(["scalar", "varying", "varying", "some_zero"]))
    a = {"zero": 0.0, "scalar": rng.uniform(0.005, 0.03), "varying": rng.uniform(0, 0.05, N)}[
        a_kind
    ]
    if b_kind == "scalar":
        b = rng.uniform(1e-4, 2e-3)
    else:
        b = rng.uniform(1e-4, 2e-3, N) * rng.lognormal(0.0, 0.5, N)
        if b_kind == "some_zero":
            b[rng.random(N) < 0.3] = 0.0
    unit = float(10 ** rng.uniform(1, 3))  # shares per period
    cap = _caps(draw, rng, N, unit)
    S = _shares(draw, rng, float(_upper(cap, N).sum()), unit, N)
    recipe = {"seed": seed, "a": a_kind, "b": b_kind, "cap": _cap_kind(cap)}
    p = eo.ExecutionProblem(S, eo.QuadraticImpact(a, b), periods=N, cap=cap)
    return Instance(p, "quadratic", recipe)


def _cap_kind(cap: Any) -> str:
    return "none" if cap is None else ("scalar" if np.ndim(cap) == 0 else "per_period")


#: Exponents drawn for the per-share power law (delta = 0 is the linear limit; delta = 0.01
#: makes the water-filling slopes (p gamma)^(-1/delta) span ~1e80, see kernel_solved).
DELTAS = (0.0, 0.01, 0.3, 0.5, 0.67, 1.0, 1.5)


@st.composite
def power_instances(draw: st.DrawFn, max_n: int = 2000, large: bool = False) -> Instance:
    N = draw(sizes(max_n, large))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    g_kind = draw(st.sampled_from(["scalar", "varying"]))
    d_kind = draw(st.sampled_from(["scalar", "scalar", "varying"]))
    gamma: Any = rng.uniform(0.005, 0.03) if g_kind == "scalar" else rng.uniform(0.005, 0.03, N)
    if d_kind == "scalar":
        delta: Any = draw(st.sampled_from(DELTAS))
    else:
        choices = np.array(draw(st.lists(st.sampled_from(DELTAS), min_size=1, max_size=3)))
        delta = rng.choice(choices, N)
    unit = float(10 ** rng.uniform(1, 3))
    cap = _caps(draw, rng, N, unit)
    S = _shares(draw, rng, float(_upper(cap, N).sum()), unit, N)
    recipe = {"seed": seed, "gamma": g_kind, "delta": d_kind, "cap": _cap_kind(cap)}
    p = eo.ExecutionProblem(S, eo.PowerLawImpact(gamma, delta), periods=N, cap=cap)
    return Instance(p, "power", recipe)


@st.composite
def piecewise_instances(draw: st.DrawFn, max_n: int = 2000, large: bool = False) -> Instance:
    N = draw(sizes(max_n, large))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    K = draw(st.integers(1, 5))
    shared = draw(st.booleans())  # one book for every period, or one per period
    shape = (K,) if shared else (N, K)
    # non-decreasing slopes, some equal (ties), from a random best price
    steps = rng.uniform(0.0, 0.02, shape) * (rng.random(shape) > 0.2)
    slopes = rng.uniform(0.0, 0.02, (*shape[:-1], 1)) + np.cumsum(steps, axis=-1)
    widths = rng.uniform(0.0, 200.0, shape) * (rng.random(shape) > 0.1)
    unbounded = draw(st.booleans())
    if unbounded:
        widths[..., -1] = np.inf
    m = eo.PiecewiseLinearImpact(slopes, widths)
    unit = 100.0
    cap = _caps(draw, rng, N, unit)
    total = float(_upper(cap, N, m.capacity).sum())
    S = _shares(draw, rng, total, unit, N)
    recipe = {"seed": seed, "K": K, "shared": shared, "unbounded": unbounded}
    recipe["cap"] = _cap_kind(cap)
    p = eo.ExecutionProblem(S, m, periods=N, cap=cap)
    return Instance(p, "piecewise", recipe)


def convex_instances(max_n: int = 2000, large: bool = False) -> st.SearchStrategy[Instance]:
    return st.one_of(
        quadratic_instances(max_n, large),
        power_instances(max_n, large),
        piecewise_instances(max_n, large),
    )


# ----------------------------------------------------------------------------- helpers
def feas_tol(p: eo.ExecutionProblem) -> float:
    return FEAS_RTOL * max(p.S, 1.0)


def assert_feasible(p: eo.ExecutionProblem, x: np.ndarray) -> None:
    tol = feas_tol(p)
    assert x.shape == (p.N,)
    assert np.all(np.isfinite(x))
    assert abs(x.sum() - p.S) <= tol, f"sum x - S = {x.sum() - p.S:.3g}"
    assert x.min() >= -tol, f"negative entry {x.min():.3g}"
    assert np.all(x <= p.upper + tol), f"cap excess {np.max(x - p.upper):.3g}"


def obj_tol(reference: float, rtol: float) -> float:
    return rtol * abs(reference) + ATOL_DOLLARS


def methods_for(p: eo.ExecutionProblem) -> list[str]:
    """Convex cvxpy back-ends that accept the problem (OSQP: QPs and LPs only)."""
    if isinstance(p.impact, eo.PowerLawImpact):
        return ["clarabel", "scs"]
    return ["clarabel", "osqp", "scs"]


def perturb(p: eo.ExecutionProblem, x: np.ndarray) -> tuple[np.ndarray, bool] | None:
    """Move shares between two periods, keeping feasibility, in the direction that costs most.

    Returns the new schedule and whether the move must strictly increase the cost (first-order
    increase or a strictly convex cost in either period), or None if no feasible move exists.
    """
    m: ImpactModel = p.impact
    u = p.upper
    src = np.flatnonzero(x > 1e-6 * max(p.S / p.N, 1.0))
    dst = np.flatnonzero(x < u - 1e-6 * max(p.S / p.N, 1.0))
    if src.size == 0 or dst.size == 0 or p.S == 0:
        return None
    g_left = np.broadcast_to(m.marginal_left(x), (p.N,))
    g_right = np.broadcast_to(m.marginal(x), (p.N,))
    # choose (i -> j) maximising the first-order cost increase g_right[j] - g_left[i]
    i = src[np.argmin(g_left[src])]
    j = dst[np.argmax(g_right[dst])]
    if i == j:  # the best source is the best destination: take the next best partner
        other_src, other_dst = src[src != j], dst[dst != i]
        if other_src.size:
            i = other_src[np.argmin(g_left[other_src])]
        elif other_dst.size:
            j = other_dst[np.argmax(g_right[other_dst])]
        else:
            return None
    step = 0.5 * min(x[i], u[j] - x[j])
    y = x.copy()
    y[i] -= step
    y[j] += step
    first_order = g_right[j] - g_left[i] > 1e-12 * max(abs(g_right[j]), abs(g_left[i]), 1e-300)
    strictly = _strictly_convex(m, i, p.N) or _strictly_convex(m, j, p.N)
    return y, bool(first_order or strictly)


def _strictly_convex(m: ImpactModel, t: int, N: int) -> bool:
    if isinstance(m, eo.QuadraticImpact):
        return bool(np.broadcast_to(m.b, (N,))[t] > 0)
    if isinstance(m, eo.PowerLawImpact):
        return bool(np.broadcast_to(m.exponent, (N,))[t] > 1)
    return False


# ----------------------------------------------------------------------------- properties
@given(convex_instances())
def test_exact_certificate_is_tight(inst: Instance) -> None:
    """Exact is feasible; stationarity and complementarity ~0; dual bound == objective."""
    check_exact_certificate(inst)


@settings(max_examples=LARGE_EXAMPLES)
@given(convex_instances(large=True))
def test_exact_certificate_is_tight_for_large_n(inst: Instance) -> None:
    """The same, and certify's agreement, on N = 1,000 and 2,000 periods."""
    check_exact_certificate(inst)
    check_certify_agrees(inst)


def check_exact_certificate(inst: Instance) -> None:
    p = inst.problem
    event(f"family: {inst.family}")
    event(f"N: {'1-60' if p.N <= 60 else '61-400' if p.N <= 400 else '401-2000'}")
    sol = eo.solve(p, "exact")
    cert = sol.certificate
    assert_feasible(p, sol.schedule)
    assert cert.feasible
    assert cert.convex
    assert cert.stationarity <= STAT_TOL, cert
    assert cert.complementarity <= obj_tol(sol.objective, EXACT_RTOL), cert
    assert np.isfinite(cert.lower_bound)
    assert abs(cert.lower_bound - sol.objective) <= obj_tol(sol.objective, EXACT_RTOL), cert
    assert cert.gap == 0.0
    assert cert.passed()
    assert sol.status == "optimal"


@given(convex_instances())
def test_certify_agrees_with_exact(inst: Instance) -> None:
    """certify(x_exact) reproduces the optimum; a perturbed schedule is worse and still bounded."""
    check_certify_agrees(inst)


def check_certify_agrees(inst: Instance) -> None:
    p = inst.problem
    sol = eo.solve(p, "exact")
    cert = eo.certify(p, sol.schedule)
    assert cert.optimum is not None
    assert cert.optimum == pytest.approx(sol.objective, rel=EXACT_RTOL, abs=ATOL_DOLLARS)
    assert cert.gap is not None and cert.gap >= -obj_tol(sol.objective, EXACT_RTOL)
    moved = perturb(p, sol.schedule)
    if moved is None:  # S = 0, S = sum of caps, or one period: no other feasible schedule
        return
    y, strict = moved
    c2 = eo.certify(p, y)
    assert c2.feasible
    assert c2.optimum == pytest.approx(sol.objective, rel=EXACT_RTOL, abs=ATOL_DOLLARS)
    assert c2.gap is not None
    assert c2.gap >= -obj_tol(sol.objective, EXACT_RTOL)
    if strict:
        assert c2.gap > 0, (c2, inst)
        assert not c2.passed(rtol=0.0, atol=0.0)
    # a certified lower bound never exceeds the optimum
    assert c2.lower_bound <= sol.objective + obj_tol(sol.objective, EXACT_RTOL), c2
    assert c2.bound_gap >= c2.gap - obj_tol(sol.objective, EXACT_RTOL)


@given(convex_instances())
def test_kkt_point_certificate_matches_certify(inst: Instance) -> None:
    """The exact solver's O(N) certificate reports what the full certify reports."""
    check_kkt_point_certificate(inst)


@settings(max_examples=LARGE_EXAMPLES)
@given(convex_instances(large=True))
def test_kkt_point_certificate_matches_certify_for_large_n(inst: Instance) -> None:
    check_kkt_point_certificate(inst)


def check_kkt_point_certificate(inst: Instance) -> None:
    p = inst.problem
    wf = waterfill(p)
    lean = certify_kkt_point(p, wf.x, wf.lam)
    full = eo.certify(p, wf.x, lam=wf.lam)
    tol = obj_tol(full.objective, EXACT_RTOL)
    event(f"algorithm: {wf.algorithm}")
    if not wf.algorithm.endswith("breakpoints"):
        # only the breakpoint kernels hand their answer to the O(N) certificate; for the others
        # lam is bracketed, not exact, and it must still never overstate the lower bound
        assert lean.lower_bound <= full.optimum + tol
        return
    # the claim the O(N) certificate rests on: the kernel's x is supply(lam)
    np.testing.assert_allclose(
        p.impact.supply(wf.lam, p.upper), wf.x, rtol=1e-9, atol=FEAS_RTOL * max(p.S, 1.0)
    )
    assert lean.feasible == full.feasible
    assert lean.sum_residual == pytest.approx(full.sum_residual, abs=FEAS_RTOL * max(p.S, 1.0))
    assert lean.objective == pytest.approx(full.objective, rel=1e-12, abs=ATOL_DOLLARS)
    assert lean.lam == full.lam
    assert lean.stationarity <= STAT_TOL and full.stationarity <= STAT_TOL
    assert lean.complementarity == pytest.approx(full.complementarity, abs=tol)
    assert lean.lower_bound == pytest.approx(full.lower_bound, abs=tol)
    assert lean.optimum == pytest.approx(full.optimum, rel=EXACT_RTOL, abs=ATOL_DOLLARS)
    assert lean.passed() and full.passed()
    # a schedule that is not supply(lam) is not waved through: the full certificate runs
    moved = perturb(p, wf.x)
    if moved is not None and moved[1]:
        y, _ = moved
        c = certify_kkt_point(p, y, wf.lam)
        assert c.stationarity > KKT_POINT_RTOL, c
        assert c.gap is not None and c.gap > 0, c
        assert c.lower_bound <= c.optimum + tol


def solve_checked(p: eo.ExecutionProblem, method: str) -> eo.Solution:
    """Solve and check the warning contract: a ConvergenceWarning iff the status is not optimal.

    A back-end that stops early (OSQP on some LPs, Clarabel on caps of exactly 0) must say so
    with a typed :class:`ConvergenceWarning`, never with a foreign warning or silently.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sol = eo.solve(p, method)
    foreign = [w for w in caught if not issubclass(w.category, ConvergenceWarning)]
    assert not foreign, [str(w.message) for w in foreign]
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    assert warned == (sol.status != "optimal"), (sol.status, sol.solver_status)
    event(f"{method}: {sol.status}")
    return sol


@pytest.mark.parametrize("method", ["clarabel", "osqp", "scs"])
@settings(max_examples=CVXPY_EXAMPLES)
@given(inst=convex_instances(max_n=CVXPY_MAX_N))
def test_convex_methods_match_exact(method: str, inst: Instance) -> None:
    """Every applicable convex back-end is feasible and within its tolerance of exact.

    A run the back-end itself reports as inaccurate or not converged (with a ConvergenceWarning;
    seen for SCS and OSQP on a few LPs) is held to honesty instead: feasible, and its
    certificate's gap is its true distance to the optimum.
    """
    p = inst.problem
    assume(method in methods_for(p))
    exact = eo.solve(p, "exact")
    sol = solve_checked(p, method)
    assert sol.method == method
    assert_feasible(p, sol.schedule)
    assert sol.certificate.feasible
    rtol = METHOD_RTOL[method]
    assert sol.certificate.gap == pytest.approx(
        sol.objective - exact.objective, rel=1e-6, abs=obj_tol(exact.objective, EXACT_RTOL)
    )
    if sol.status != "optimal":  # "inaccurate" or "not_converged": warned, and the gap is true
        return
    assert sol.objective <= exact.objective + obj_tol(exact.objective, rtol), (sol.objective, inst)
    # a feasible schedule cannot beat the optimum beyond the feasibility tolerance
    assert sol.objective >= exact.objective - obj_tol(exact.objective, EXACT_RTOL) - (
        feas_tol(p) * max(abs(sol.lam), abs(exact.lam), 0.0)
    )
    assert sol.certificate.optimum == pytest.approx(exact.objective, rel=EXACT_RTOL)
    assert sol.certificate.lower_bound <= exact.objective + obj_tol(exact.objective, EXACT_RTOL)


@settings(max_examples=CVXPY_EXAMPLES)
@given(
    inst=st.one_of(
        quadratic_instances(max_n=CVXPY_MAX_N),
        power_instances(max_n=CVXPY_MAX_N),
        piecewise_instances(max_n=CVXPY_MAX_N),
    )
)
def test_reported_objective_is_the_numpy_cost_of_the_schedule(inst: Instance) -> None:
    """The objective a Solution reports is the NumPy objective of its own schedule."""
    p = inst.problem
    for method in ["exact", *methods_for(p)[:1]]:
        sol = solve_checked(p, method)
        assert sol.objective == pytest.approx(
            p.objective(sol.schedule), rel=EXACT_RTOL, abs=ATOL_DOLLARS
        )
