"""Estimators and profiles: recover known parameters from synthetic costs and books, with CIs.

Noise model of the synthetic costs: each snapshot ``t`` has its own parameters (mean-one
multiplicative noise, so points of one snapshot are correlated, as on a real book) plus
independent per-point noise proportional to the size (per-share noise).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import least_squares, nnls

import execopt as eo
from execopt.errors import DataError, InputError
from execopt.impact.estimation import (
    PowerLawFit,
    QuadraticFit,
    fit_book,
    size_grid,
)
from execopt.impact.profiles import fit_profile, fit_profile_costs, profile_kernel

#: Exact (noise-free) data: recovered to solver rounding.
EXACT_RTOL = 1e-7
#: The power-law grid search refined by Brent: delta to ~1e-6 on exact data.
POWER_RTOL = 1e-5

A_TRUE, B_TRUE = 0.03, 5e-5
GAMMA_TRUE, DELTA_TRUE = 0.01, 0.4
X_GRID = np.unique(np.round(np.geomspace(1, 1000, 25)))


def _quadratic_costs(
    rng: np.random.Generator, T: int = 120, a: float = A_TRUE, b: float = B_TRUE
) -> np.ndarray:
    at = a * (1 + 0.25 * rng.standard_normal(T))
    bt = b * (1 + 0.25 * rng.standard_normal(T))
    x = X_GRID
    noise = 0.003 * x * rng.standard_normal((T, x.size))
    return at[:, None] * x + bt[:, None] * x**2 + noise


def _power_costs(rng: np.random.Generator, T: int = 120) -> np.ndarray:
    g = GAMMA_TRUE * (1 + 0.25 * rng.standard_normal(T))
    x = X_GRID
    return g[:, None] * x ** (1 + DELTA_TRUE) + 0.003 * x * rng.standard_normal((T, x.size))


def _inside(ci: tuple[float, float], v: float) -> bool:
    return ci[0] <= v <= ci[1]


# ----------------------------------------------------------------------------- quadratic
def test_quadratic_exact_data_recovered() -> None:
    x = X_GRID
    fit = QuadraticFit(n_boot=0).fit(x, A_TRUE * x + B_TRUE * x * x)
    assert_allclose([fit.a_, fit.b_], [A_TRUE, B_TRUE], rtol=EXACT_RTOL)
    assert fit.r2_ == pytest.approx(1.0)
    assert isinstance(fit.model_, eo.QuadraticImpact)
    assert_allclose(fit.predict(x), A_TRUE * x + B_TRUE * x * x, rtol=EXACT_RTOL)


@pytest.mark.parametrize("weights", ["per_share", "dollar"])
def test_quadratic_truth_inside_bootstrap_ci(weights: str) -> None:
    # one fixed draw; how often the interval covers is tested below over many draws
    cost = _quadratic_costs(np.random.default_rng(1))
    fit = QuadraticFit(weights=weights, n_boot=400, seed=1).fit(X_GRID, cost)  # type: ignore[arg-type]
    assert fit is not None and fit.n_snapshots_ == 120
    assert _inside(fit.ci_["a"], A_TRUE), fit.ci_
    assert _inside(fit.ci_["b"], B_TRUE), fit.ci_
    for name, v in fit.params_.items():  # the estimate sits inside its own interval
        assert _inside(fit.ci_[name], v)
    assert fit.ci_["a"][1] - fit.ci_["a"][0] < 0.3 * A_TRUE
    assert fit.boot_.shape == (400, 2)


def test_snapshot_bootstrap_covers_where_a_point_bootstrap_does_not() -> None:
    """Points of one snapshot share its parameters: resampling points understates the
    uncertainty; resampling snapshots keeps the CI honest."""
    R = 40
    cover_snap = cover_point = 0
    for r in range(R):
        cost = _quadratic_costs(np.random.default_rng(100 + r))
        snap = QuadraticFit(n_boot=300, seed=r).fit(X_GRID, cost)
        xs = np.broadcast_to(X_GRID, cost.shape).ravel()
        point = QuadraticFit(n_boot=300, seed=r).fit(xs, cost.ravel())  # every point a group
        cover_snap += _inside(snap.ci_["a"], A_TRUE) and _inside(snap.ci_["b"], B_TRUE)
        cover_point += _inside(point.ci_["a"], A_TRUE) and _inside(point.ci_["b"], B_TRUE)
    assert cover_snap / R >= 0.75
    assert cover_point / R <= 0.6
    assert cover_snap > cover_point


def test_groups_in_flat_input_equal_the_matrix_layout() -> None:
    cost = _quadratic_costs(np.random.default_rng(3), T=30)
    m = QuadraticFit(n_boot=50, seed=0).fit(X_GRID, cost)
    xs = np.broadcast_to(X_GRID, cost.shape).ravel()
    groups = np.repeat(np.arange(30), X_GRID.size)
    f = QuadraticFit(n_boot=50, seed=0).fit(xs, cost.ravel(), groups=groups)
    assert_allclose([f.a_, f.b_], [m.a_, m.b_], rtol=1e-12)
    for name in ("a", "b"):
        assert_allclose(f.ci_[name], m.ci_[name], rtol=1e-12)


def test_b_zero_truth_gives_b_zero_not_negative() -> None:
    rng = np.random.default_rng(11)
    x = X_GRID
    # concave-looking noise: unconstrained least squares would give b < 0
    cost = 0.02 * x - 2e-6 * x * x + 0.001 * x * rng.standard_normal((60, x.size))
    fit = QuadraticFit(n_boot=200, seed=0).fit(x, cost)
    assert fit.b_ == 0.0
    assert fit.a_ > 0
    assert fit.ci_["b"][0] >= 0.0 and fit.ci_["a"][0] >= 0.0
    assert np.all(fit.boot_ >= 0)
    lin = np.polyfit(np.broadcast_to(x, cost.shape).ravel(), (cost / x).ravel(), 1)
    assert lin[0] < 0  # the unconstrained slope of per-share slippage is negative


def test_closed_form_nnls_equals_scipy_nnls(rng: np.random.Generator) -> None:
    for _ in range(30):
        x = np.sort(rng.uniform(1, 500, 12))
        a, b = rng.normal(0.02, 0.03), rng.normal(0, 1e-4)
        c = a * x + b * x * x + rng.normal(0, 0.5, x.size)
        for weights, w in (("dollar", np.ones_like(x)), ("per_share", 1 / x)):
            fit = QuadraticFit(weights=weights, n_boot=0, time_split=None).fit(x, c)  # type: ignore[arg-type]
            A = np.stack([x, x * x], 1) * w[:, None]
            ref, _ = nnls(A, c * w)
            ours = np.sum((w * (c - fit.a_ * x - fit.b_ * x * x)) ** 2)
            best = np.sum((w * (c - ref[0] * x - ref[1] * x * x)) ** 2)
            assert ours <= best * (1 + 1e-9) + 1e-12


# ----------------------------------------------------------------------------- power law
def test_power_exact_data_recovered() -> None:
    x = X_GRID
    fit = PowerLawFit(n_boot=0).fit(x, GAMMA_TRUE * x ** (1 + DELTA_TRUE))
    assert_allclose([fit.gamma_, fit.delta_], [GAMMA_TRUE, DELTA_TRUE], rtol=POWER_RTOL)
    assert isinstance(fit.model_, eo.PowerLawImpact)
    assert fit.model_.basis == "per_share"
    assert not fit.at_bound_


def test_power_truth_inside_bootstrap_ci() -> None:
    fit = PowerLawFit(n_boot=300, seed=2).fit(X_GRID, _power_costs(np.random.default_rng(1)))
    assert _inside(fit.ci_["gamma"], GAMMA_TRUE), fit.ci_
    assert _inside(fit.ci_["delta"], DELTA_TRUE), fit.ci_
    assert 0.0 <= fit.ci_["delta"][0] and fit.ci_["delta"][1] <= 3.0


def test_power_fit_matches_scipy_least_squares_in_dollar_space() -> None:
    """The slow reference: scipy's bounded trust-region least squares on the same residuals."""
    cost = _power_costs(np.random.default_rng(9), T=40)
    x = np.broadcast_to(X_GRID, cost.shape).ravel()
    c = cost.ravel()
    fit = PowerLawFit(n_boot=0).fit(X_GRID, cost)

    def resid(th: np.ndarray) -> np.ndarray:
        return (c - th[0] * x ** (1 + th[1])) / x  # per-share weights

    ref = least_squares(resid, [0.02, 1.0], bounds=([1e-12, 0.0], [np.inf, 3.0]), xtol=1e-14)
    ours = np.sum(resid(np.array([fit.gamma_, fit.delta_])) ** 2)
    assert ours <= np.sum(ref.fun**2) * (1 + 1e-9)
    assert_allclose([fit.gamma_, fit.delta_], ref.x, rtol=1e-4)


def test_power_delta_at_bound_is_flagged() -> None:
    x = X_GRID
    fit = PowerLawFit(n_boot=0, delta_bounds=(0.0, 0.5)).fit(x, 0.001 * x**2.5)
    assert fit.delta_ == pytest.approx(0.5)
    assert fit.at_bound_


def test_power_needs_positive_costs() -> None:
    with pytest.raises(DataError, match="gamma > 0"):
        PowerLawFit(n_boot=0).fit(X_GRID, -0.01 * X_GRID)


# ----------------------------------------------------------------------------- diagnostics
def test_censored_points_are_dropped_and_counted() -> None:
    cost = _quadratic_costs(np.random.default_rng(1), T=50)
    cost[:10, -5:] = np.nan
    fit = QuadraticFit(n_boot=20).fit(X_GRID, cost)
    assert fit.n_censored_ == 50
    assert fit.censored_share_ == pytest.approx(50 / cost.size)
    assert fit.n_obs_ == cost.size - 50


def test_out_of_sample_score_uses_a_time_split() -> None:
    rng = np.random.default_rng(4)
    stationary = _quadratic_costs(rng, T=100)
    fit = QuadraticFit(n_boot=0, time_split=0.6).fit(X_GRID, stationary)
    assert fit.n_train_snapshots_ == 60
    assert np.isfinite(fit.oos_rmse_) and fit.oos_r2_ > 0.5
    # the afternoon twice as costly: the morning fit predicts it badly
    shifted = stationary.copy()
    shifted[60:] *= 2
    bad = QuadraticFit(n_boot=0, time_split=0.6).fit(X_GRID, shifted)
    assert bad.oos_rmse_ > 3 * fit.oos_rmse_
    assert bad.oos_params_["a"] == pytest.approx(fit.oos_params_["a"])
    none = QuadraticFit(n_boot=0, time_split=None).fit(X_GRID, stationary)
    assert np.isnan(none.oos_rmse_) and np.isnan(none.oos_r2_)


def test_fit_is_reproducible_and_returns_self() -> None:
    cost = _quadratic_costs(np.random.default_rng(2), T=40)
    est = QuadraticFit(n_boot=100, seed=5)
    assert est.fit(X_GRID, cost) is est
    again = QuadraticFit(n_boot=100, seed=5).fit(X_GRID, cost)
    assert est.ci_ == again.ci_
    assert "QuadraticFit(" in repr(est) and "a=" in repr(est)
    assert est.score(X_GRID, cost) == pytest.approx(est.r2_)


@pytest.mark.parametrize(
    ("x", "cost", "kwargs", "error"),
    [
        ([0.0, 1.0, 2.0], [0.0, 1.0, 2.0], {}, InputError),  # x = 0
        ([1.0, 2.0, 3.0], [1.0, np.inf, 2.0], {}, InputError),  # inf cost
        ([1.0, 2.0, 3.0], [np.nan, np.nan, np.nan], {}, DataError),  # everything censored
        ([5.0, 5.0, 5.0], [1.0, 1.1, 0.9], {}, DataError),  # one distinct size
        ([1.0, 2.0], [1.0, 2.0, 3.0], {}, InputError),  # shape mismatch
        ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], {"weights": "log"}, InputError),
        ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], {"time_split": 1.5}, InputError),
        ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], {"n_boot": -1}, InputError),
    ],
)
def test_bad_input_raises(x: list[float], cost: list[float], kwargs: dict, error: type) -> None:
    with pytest.raises(error):
        QuadraticFit(**kwargs).fit(x, cost)


def test_unfitted_predict_says_what_to_do() -> None:
    with pytest.raises(InputError, match="not fitted"):
        QuadraticFit().predict([1.0])


# ----------------------------------------------------------------------------- books
def test_size_grid_is_whole_shares_up_to_median_depth() -> None:
    g = size_grid([1000, 2000, 3000])
    assert g[0] == 1 and g[-1] == 2000
    assert np.all(g == np.round(g)) and np.all(np.diff(g) > 0)
    with pytest.raises(DataError):
        size_grid([0, 0])


def test_fit_book_recovers_a_known_book() -> None:
    from execopt.data import synthetic_book_from_impact

    rng = np.random.default_rng(0)
    a_t = A_TRUE * (1 + 0.2 * rng.standard_normal(390))
    book = synthetic_book_from_impact(np.abs(a_t), B_TRUE, level_size=100)
    sizes = np.arange(1, 11) * 100.0  # whole levels: the walk is exactly a_t x + b x^2
    fit = fit_book(book, "buy", "quadratic", sizes, n_boot=300)
    assert _inside(fit.ci_["a"], float(np.mean(np.abs(a_t))))
    assert fit.b_ == pytest.approx(B_TRUE, rel=1e-9)
    assert fit.censored_share_ == 0.0
    assert fit.side_ == "buy" and fit.sizes_.tolist() == sizes.tolist()


def test_fit_book_censors_beyond_visible_depth() -> None:
    from execopt.data import synthetic_book_from_impact

    book = synthetic_book_from_impact(0.02, 1e-4, level_size=50, levels=4)
    fit = fit_book(book, "sell", "power", [50, 100, 150, 200, 250, 400], n_boot=10)
    assert fit.censored_share_ == pytest.approx(2 / 6)
    assert fit.n_obs_ == 390 * 4


def test_minutes_without_their_own_book_are_left_out_and_counted() -> None:
    from execopt.data import synthetic_book_from_impact

    book = synthetic_book_from_impact(0.02, 1e-4, level_size=100, periods=10)  # 09:30-09:39
    fit = fit_book(book, "buy", "quadratic", np.arange(1, 6) * 100.0, n_boot=50)
    # the minute grid covers the ten minutes with data (the 380 after them are not covered)
    assert fit.n_snapshots_ == 10 and fit.n_filled_minutes_ == 0
    assert fit.n_obs_ == 50
    prof = fit_profile(book, "buy", "quadratic", "rolling", window=30, n_boot=0)
    assert prof.periods == 10 and prof.minute_of_day[0] == 570
    one = fit_profile(book, "buy", "quadratic", "buckets", bucket_minutes=390, n_boot=0)
    assert one.periods == 10 and np.unique(one.a).size == 1
    # with the book carried over any silence the old 390-minute day comes back, its 380
    # carried minutes left out of the fit, and a 30-minute window without any observed minute
    # is an error that says so
    carried = fit_profile(
        book.minute_snapshots(max_gap=None), "buy", "quadratic", "buckets", bucket_minutes=390,
        n_boot=0,
    )  # fmt: skip
    assert carried.periods == 390 and carried.whole_day.n_filled_minutes_ == 380
    with pytest.raises(DataError, match="widen"):
        fit_profile(
            book.minute_snapshots(max_gap=None), "buy", "quadratic", "rolling", window=30,
            n_boot=0,
        )  # fmt: skip


# ----------------------------------------------------------------------------- profiles
def _u(n: int, amp: float) -> np.ndarray:
    tau = (np.arange(n) + 0.5) / n
    return 1 + amp * ((2 * tau - 1) ** 2 - 1 / 3)


def test_profile_recovers_a_time_varying_book() -> None:
    from execopt.data import synthetic_book_from_impact

    a_t = A_TRUE * _u(390, 1.5)
    b_t = B_TRUE * _u(390, 1.0)
    book = synthetic_book_from_impact(a_t, b_t, level_size=100)
    sizes = np.arange(1, 11) * 100.0
    prof = fit_profile(book, "buy", "quadratic", "rolling", window=5, sizes=sizes, n_boot=20)
    assert prof.periods == 390 and prof.a.shape == (390,) and prof.b.shape == (390,)
    assert np.all(prof.a >= 0) and np.all(prof.b >= 0)
    # a centred 5-minute window of a smooth curve is second-order accurate; the windows cut
    # at the open and the close (first and last 2 minutes) are one-sided, so first-order
    assert_allclose(prof.a[2:-2], a_t[2:-2], rtol=2e-3)
    assert_allclose(prof.b[2:-2], b_t[2:-2], rtol=2e-3)
    assert_allclose(prof.a, a_t, rtol=1e-2)
    assert prof.minute_of_day[0] == 9 * 60 + 30 and prof.minute_of_day[-1] == 15 * 60 + 59
    model = prof.model()
    assert isinstance(model, eo.QuadraticImpact) and model.periods == 390
    sol = eo.solve(eo.ExecutionProblem(10_000, impact=model, periods=390))
    twap = eo.ExecutionProblem(10_000, impact=model, periods=390).objective(
        np.full(390, 10_000 / 390)
    )
    assert sol.objective < twap  # the time variation is what an optimal schedule exploits


@pytest.mark.parametrize(
    ("method", "smoothing"),
    [("rolling", "none"), ("rolling", "gaussian"), ("buckets", "none"), ("buckets", "linear")],
)
@pytest.mark.parametrize("model", ["quadratic", "power"])
def test_profile_methods_give_390_non_negative_minutes(
    method: str, smoothing: str, model: str
) -> None:
    rng = np.random.default_rng(6)
    cost = _quadratic_costs(rng, T=390) * _u(390, 1.0)[:, None]
    settings: dict = {"model": model, "method": method, "smoothing": smoothing, "n_boot": 10}
    prof = fit_profile_costs(X_GRID, cost, **settings)
    assert prof.periods == 390
    for v in prof.params.values():
        assert v.shape == (390,) and np.all(np.isfinite(v)) and np.all(v >= 0)
    m = prof.model()
    assert m.periods == 390
    if model == "power":
        assert np.all(prof.gamma > 0)
        assert np.all(prof.delta == prof.whole_day.delta_)
    if (method, smoothing) == ("buckets", "none"):
        first = prof.params[prof.whole_day.names[0]]
        assert np.unique(first[:30]).size == 1 and first[29] != first[30]
    assert np.all(prof.n_points > 0)


def test_profile_kernel_shapes() -> None:
    K = profile_kernel(np.arange(390), 390, "rolling", window=30)
    assert K.shape == (390, 390) and K[200].sum() == 30 and K[0].sum() == 16
    B = profile_kernel(np.arange(390), 390, "buckets", bucket_minutes=30)
    assert B.shape == (13, 390) and np.all(B.sum(axis=0) == 1)


def test_profile_rejects_mismatched_smoothing() -> None:
    cost = _quadratic_costs(np.random.default_rng(0), T=60)
    with pytest.raises(InputError, match="smoothing"):
        fit_profile_costs(X_GRID, cost, method="rolling", smoothing="linear")
    with pytest.raises(InputError, match="window"):
        fit_profile_costs(X_GRID, cost, window=0)


def test_profile_raises_when_a_window_has_no_data() -> None:
    cost = _quadratic_costs(np.random.default_rng(0), T=60)
    cost[10:30] = np.nan
    with pytest.raises(DataError, match="widen"):
        fit_profile_costs(X_GRID, cost, window=3, n_boot=0)
