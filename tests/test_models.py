"""Impact models: NumPy and cvxpy faces agree, and the maths holds (marginals, supply,
homogeneity, convexity, the concave reading), on scalar and time-varying parameters."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import execopt as eo
from execopt import presets
from execopt.errors import ConvexityError
from execopt.impact.models import TWO_READINGS, ImpactModel

#: NumPy cost against the optimal value of the conic formulation at a fixed point, solved by
#: Clarabel at its pinned 1e-9 tolerances (auxiliary epigraph/cone variables are optimised out).
CANON_RTOL = 1e-7
#: Exact identities in floating point (homogeneity, supply formulas).
EXACT_RTOL = 1e-9
#: Forward finite difference of a smooth cost: truncation error O(h c'') with h = 1e-6 x.
FD_RTOL = 1e-4
#: Midpoint convexity inequality, relative to the costs compared (rounding only).
CONVEX_RTOL = 1e-12

N = 7
_rng = np.random.default_rng(7)
_gamma = _rng.uniform(0.005, 0.03, N)
_delta = _rng.choice([0.0, 0.4, 0.67, 1.0], N)
_slopes = np.cumsum(_rng.uniform(0.0, 0.01, (N, 3)), axis=1)
_widths = _rng.uniform(10.0, 200.0, (N, 3))

#: Every convex model shape: scalar / time-varying parameters, piecewise shared / per period.
CONVEX_MODELS: dict[str, ImpactModel] = {
    "quadratic-scalar": eo.QuadraticImpact(a=0.024, b=0.0012),
    "quadratic-varying": eo.QuadraticImpact(
        a=_rng.uniform(0, 0.05, N), b=_rng.uniform(1e-4, 2e-3, N)
    ),
    "quadratic-some-b-zero": eo.QuadraticImpact(
        a=0.01, b=np.array([0, 1e-3, 0, 2e-3, 1e-4, 0, 5e-4])
    ),
    "power-scalar": eo.PowerLawImpact(gamma=0.015, delta=0.67),
    "power-varying-gamma": eo.PowerLawImpact(gamma=_gamma, delta=0.67),
    "power-varying-gamma-delta": eo.PowerLawImpact(gamma=_gamma, delta=_delta),
    "power-linear": eo.PowerLawImpact(gamma=0.02, delta=0.0),
    "power-total-convex": eo.PowerLawImpact(gamma=0.015, delta=1.67, basis="total"),
    "piecewise-shared": eo.PiecewiseLinearImpact(slopes=[0.01, 0.02, 0.05], widths=[100, 50, 300]),
    "piecewise-per-period": eo.PiecewiseLinearImpact(slopes=_slopes, widths=_widths),
    "piecewise-unbounded": eo.PiecewiseLinearImpact(slopes=[0.01, 0.03], widths=[80, np.inf]),
}


def _domain(m: ImpactModel) -> np.ndarray:
    """Largest x per period the model is defined for (the visible depth of a book)."""
    if isinstance(m, eo.PiecewiseLinearImpact):
        return np.minimum(np.broadcast_to(m.capacity, (N,)), 1000.0)
    return np.full(N, 1000.0)


def _points(m: ImpactModel, rng: np.random.Generator, k: int = 5) -> np.ndarray:
    """k random schedules in the model's domain, shape (k, N), with some exact zeros."""
    x = rng.uniform(0.0, 1.0, (k, N)) * _domain(m)
    x[0, ::3] = 0.0
    return x


def canon_cost(m: ImpactModel, x: np.ndarray, s: float = 37.0, C: float = 11.0) -> float:
    """The conic back-ends' own formulation (``canon``, scaled by ``s`` shares and ``C``
    dollars) evaluated at ``y = x / s``: its optimal value with ``y`` fixed, in dollars."""
    import cvxpy as cp

    from execopt.impact.base import Units

    y = cp.Variable(N)
    c = m.canon(y, N)
    c.load(m, Units(s=s, C=C, S=float(x.sum()), upper=np.full(N, np.inf)))
    prob = cp.Problem(cp.Minimize(c.cost), [*c.constraints, y == x / s])
    assert prob.is_dcp() and prob.is_dpp()
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return float(prob.value) * C


# ----------------------------------------------------------------------------- two faces
@pytest.mark.parametrize("name", sorted(CONVEX_MODELS))
def test_numpy_cost_matches_the_conic_formulation(name: str, rng: np.random.Generator) -> None:
    """cost(x) in NumPy and the formulation the conic solvers compile (``canon``) are one formula
    (incl. time-varying exponents and book walks)."""
    m = CONVEX_MODELS[name]
    for x in _points(m, rng, 3):
        assert canon_cost(m, x) == pytest.approx(float(m.cost(x).sum()), rel=CANON_RTOL, abs=1e-9)


def test_total_cost_sums_the_periods(rng: np.random.Generator) -> None:
    m = CONVEX_MODELS["quadratic-varying"]
    X = rng.uniform(0, 100, (4, N))
    assert_allclose(m.total_cost(X), m.cost(X).sum(axis=1), rtol=EXACT_RTOL)
    assert isinstance(m.total_cost(X[0]), float)


def test_seed_values() -> None:
    """The documented examples: 0.024 * 100 + 0.0012 * 100^2 = 14.4; 0.015 * 100^1.67."""
    assert float(eo.QuadraticImpact(0.024, 0.0012).cost(100.0)) == pytest.approx(14.4, rel=1e-12)
    assert float(eo.PowerLawImpact(0.015, 0.67).cost(100.0)) == pytest.approx(
        0.015 * 100**1.67, rel=1e-12
    )
    assert presets.quadratic("crwv").a == pytest.approx(0.024)
    assert presets.quadratic("SOUN").b == pytest.approx(0.0003)
    assert presets.power("SOUN").basis == "per_share"


# ----------------------------------------------------------------------------- marginals
@pytest.mark.parametrize("name", sorted(CONVEX_MODELS))
def test_marginal_is_the_right_derivative(name: str, rng: np.random.Generator) -> None:
    m = CONVEX_MODELS[name]
    x = rng.uniform(0.2, 0.8, N) * _domain(m)
    h = 1e-6 * x
    fd = (m.cost(x + h) - m.cost(x)) / h
    assert_allclose(m.marginal(x) * np.ones(N), fd, rtol=FD_RTOL, atol=1e-10)
    fd_left = (m.cost(x) - m.cost(x - h)) / h
    assert_allclose(m.marginal_left(x) * np.ones(N), fd_left, rtol=FD_RTOL, atol=1e-10)


def test_piecewise_marginals_at_a_breakpoint() -> None:
    """At the end of a segment the left slope is that segment's, the right slope the next's."""
    m = eo.PiecewiseLinearImpact(slopes=[0.01, 0.02, 0.05], widths=[100, 50, 300])
    assert float(m.marginal_left(100.0)) == pytest.approx(0.01)
    assert float(m.marginal(100.0)) == pytest.approx(0.02)
    assert float(m.marginal_left(0.0)) == -np.inf  # nothing to sell back below zero
    assert float(m.marginal(450.0)) == np.inf  # beyond the visible depth
    assert float(m.cost(451.0)) == np.inf
    assert float(m.cost(150.0)) == pytest.approx(0.01 * 100 + 0.02 * 50)


# ----------------------------------------------------------------------------- supply
@pytest.mark.parametrize("name", sorted(CONVEX_MODELS))
@pytest.mark.parametrize("lam", [0.0, 0.005, 0.015, 0.03, 0.2])
def test_supply_minimises_cost_minus_lam_x(name: str, lam: float) -> None:
    """supply(lam, u) and supply_right(lam, u) both minimise c(x) - lam x over [0, u]."""
    m = CONVEX_MODELS[name]
    u = np.minimum(_domain(m), np.linspace(50.0, 400.0, N))
    lo, hi = m.supply(lam, u) * np.ones(N), m.supply_right(lam, u) * np.ones(N)
    assert np.all(lo <= hi + 1e-12)
    assert np.all((lo >= 0) & (hi <= u))
    grid = np.linspace(0.0, 1.0, 4001)[:, None] * u  # (4001, N)
    best = np.min(m.cost(grid) - lam * grid, axis=0)
    for x in (lo, hi):
        val = m.cost(x) - lam * x
        assert np.all(val <= best + 1e-9 * np.maximum(1.0, np.abs(best)))


def test_quadratic_supply_closed_form() -> None:
    a, b = np.array([0.01, 0.02, 0.05]), np.array([1e-3, 2e-3, 1e-3])
    m = eo.QuadraticImpact(a, b)
    u = np.array([np.inf, 2.0, 100.0])
    lam = 0.03
    assert_allclose(m.supply(lam, u), np.clip((lam - a) / (2 * b), 0, u), rtol=EXACT_RTOL)


def test_supply_with_scalar_parameters_and_vector_caps() -> None:
    """Scalar a, b (or gamma, delta) with a length-N cap broadcast to length N.

    Regression: supply_right broadcast the cap to the parameters' scalar shape and raised
    "cannot broadcast a non-scalar to a scalar array" (seen as a crash of the exact solver on
    QuadraticImpact(0, 0) or a scalar linear power law).
    """
    u = np.array([1.0, 2.0, np.inf])
    assert_allclose(eo.QuadraticImpact(0.0, 0.0).supply_right(0.0, u), u)
    assert_allclose(eo.PowerLawImpact(0.5, 0.0).supply_right(1.0, u), u)
    assert_allclose(eo.PowerLawImpact(0.5, 0.0).supply(0.1, u), 0.0)


# ----------------------------------------------------------------------------- homogeneity
@given(
    alpha=st.floats(0.01, 100.0),
    seed=st.integers(0, 2**32 - 1),
    basis=st.sampled_from(["per_share", "total"]),
    varying=st.booleans(),
)
def test_power_law_homogeneity(alpha: float, seed: int, basis: str, varying: bool) -> None:
    """cost(alpha x) = alpha^(1+delta) cost(x) (per share) or alpha^delta cost(x) (total)."""
    rng = np.random.default_rng(seed)
    delta = rng.uniform(0.1, 2.0, N) if varying else float(rng.uniform(0.1, 2.0))
    m = eo.PowerLawImpact(rng.uniform(0.005, 0.03, N), delta, basis=basis)  # type: ignore[arg-type]
    x = rng.uniform(0.0, 500.0, N)
    p = np.asarray(delta) + (1.0 if basis == "per_share" else 0.0)
    assert_allclose(m.cost(alpha * x), alpha**p * m.cost(x), rtol=EXACT_RTOL, atol=1e-300)


@given(alpha=st.floats(0.01, 100.0), seed=st.integers(0, 2**32 - 1))
def test_quadratic_without_linear_term_is_homogeneous_of_degree_two(
    alpha: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    m = eo.QuadraticImpact(0.0, rng.uniform(1e-4, 1e-3, N))
    x = rng.uniform(0.0, 500.0, N)
    assert_allclose(m.cost(alpha * x), alpha**2 * m.cost(x), rtol=EXACT_RTOL)


# ----------------------------------------------------------------------------- convexity
@given(
    name=st.sampled_from(sorted(CONVEX_MODELS)),
    seed=st.integers(0, 2**32 - 1),
)
def test_midpoint_convexity(name: str, seed: int) -> None:
    """c((x + y) / 2) <= (c(x) + c(y)) / 2 in every period, for every convex model."""
    m = CONVEX_MODELS[name]
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0.0, 1.0, (2, N)) * _domain(m)
    mid = m.cost(0.5 * (x + y))
    avg = 0.5 * (m.cost(x) + m.cost(y))
    assert np.all(mid <= avg + CONVEX_RTOL * np.abs(avg) + 1e-15)


@given(seed=st.integers(0, 2**32 - 1))
def test_concave_reading_violates_midpoint_convexity(seed: int) -> None:
    """Read as a total cost with delta = 0.67, gamma x^delta is concave (midpoint >= average)."""
    m = eo.PowerLawImpact(0.015, 0.67, basis="total")
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0.0, 1000.0, (2, N))
    mid = m.cost(0.5 * (x + y))
    avg = 0.5 * (m.cost(x) + m.cost(y))
    assert np.all(mid >= avg - CONVEX_RTOL * np.abs(avg))


def test_concave_reading_is_flagged_and_refused_by_cvxpy_face() -> None:
    import cvxpy as cp

    m = eo.PowerLawImpact(gamma=0.015, delta=0.67, basis="total")
    assert not m.is_convex
    assert eo.PowerLawImpact(0.015, 0.67).is_convex  # per-share reading of the same numbers
    with pytest.raises(ConvexityError, match="concave"):
        m.canon(cp.Variable(3), 3)
    with pytest.raises(ConvexityError, match="per_share"):
        m.supply(0.1, np.ones(3))
    assert "per-share" in TWO_READINGS and "concave" in TWO_READINGS


# ----------------------------------------------------------------------------- value objects
@pytest.mark.parametrize("name", sorted(CONVEX_MODELS))
def test_models_are_immutable(name: str) -> None:
    m = CONVEX_MODELS[name]
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.kind = "other"  # type: ignore[misc]
    for v in vars(m).values():
        if isinstance(v, np.ndarray):
            assert not v.flags.writeable


def test_parameters_are_copied_not_aliased() -> None:
    a = np.array([0.01, 0.02])
    m = eo.QuadraticImpact(a, 0.001)
    a[0] = 99.0
    assert m.a[0] == pytest.approx(0.01)


@pytest.mark.parametrize("name", sorted(CONVEX_MODELS))
def test_to_dict_is_strict_json_and_model_from_dict_rebuilds_the_model(
    name: str, rng: np.random.Generator
) -> None:
    m = CONVEX_MODELS[name]
    text = json.dumps(m.to_dict(), allow_nan=False)  # strict JSON: inf is the string "inf"
    rebuilt = eo.model_from_dict(json.loads(text))
    assert type(rebuilt) is type(m) and rebuilt.kind == m.kind
    x = _points(m, rng, 1)[0]
    assert_allclose(rebuilt.cost(x), m.cost(x), rtol=0, atol=0)
    assert type(m).__name__ in repr(m)


def test_infinite_width_round_trips() -> None:
    """Regression: params() wrote an infinite width as -1 and reading it back raised."""
    m = eo.PiecewiseLinearImpact([0.01, 0.02], [100, np.inf])
    d = m.to_dict()
    assert d["widths"] == [100.0, "inf"]
    back = eo.model_from_dict(json.loads(json.dumps(d)))
    assert np.isinf(back.capacity) and float(back.cost(1e6)) == pytest.approx(
        0.01 * 100 + 0.02 * (1e6 - 100)
    )


@given(
    a=st.floats(0, 1),
    b=st.floats(0, 1),
    fee=st.floats(-0.01, 0.01),
    g=st.floats(1e-4, 1),
    d=st.floats(0, 3),
)
def test_round_trip_property(a: float, b: float, fee: float, g: float, d: float) -> None:
    """model_from_dict(to_dict(m)) gives the same costs for every registered model kind."""
    models = [
        eo.QuadraticImpact(a, b),
        eo.PowerLawImpact(g, d),
        eo.PerShareFee(fee),
        eo.QuadraticImpact(a, b) + eo.PerShareFee(fee),
        eo.PiecewiseLinearImpact([a, a + b], [10.0, np.inf]),
    ]
    x = np.array([0.0, 1.0, 55.5])
    for m in models:
        back = eo.model_from_dict(json.loads(json.dumps(m.to_dict(), allow_nan=False)))
        assert_allclose(back.cost(x), m.cost(x), rtol=0, atol=0)


def test_model_from_dict_refuses_unknown_models_and_fields() -> None:
    with pytest.raises(eo.errors.InputError, match="unknown model"):
        eo.model_from_dict({"model": "cubic"})
    with pytest.raises(eo.errors.InputError, match="unknown field"):
        eo.model_from_dict({"model": "quadratic", "a": 0.1, "b": 0.1, "c": 1})
    with pytest.raises(eo.errors.InputError, match="not a number"):
        eo.model_from_dict({"model": "quadratic", "a": "abc", "b": 0.1})


def test_periods_and_batch_shape() -> None:
    assert eo.QuadraticImpact(0.01, 0.001).periods is None
    assert eo.QuadraticImpact(np.zeros(5), 0.001).periods == 5
    assert eo.QuadraticImpact(np.zeros((3, 5)), 0.001).batch_shape == (3,)
    assert eo.PiecewiseLinearImpact([0.01], [10]).periods is None
    assert eo.PiecewiseLinearImpact(np.zeros((4, 2)), np.ones((4, 2))).periods == 4
