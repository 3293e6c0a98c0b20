"""Book walks: exact costs by hand, censoring, the piecewise-linear curve, and the exact solver
on a book curve against a brute-force greedy walk."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import execopt as eo
from execopt.errors import DataError, InputError
from execopt.impact.bookwalk import (
    book_curve,
    book_impact,
    walk_book,
    walk_cost,
    walk_schedule,
)

#: Sums of a few products of cents and whole shares: exact to float rounding.
ATOL = 1e-9

ASK_PX = [[10.01, 10.03]]
ASK_SZ = [[100.0, 200.0]]
BID_PX = [[9.99, 9.98]]
BID_SZ = [[100.0, 50.0]]
MID = [10.0]


def _random_books(rng: np.random.Generator, T: int, L: int) -> tuple[np.ndarray, ...]:
    """Sorted ask books with random gaps and sizes, some absent tail levels."""
    mid = 20 + rng.normal(size=T)
    gaps = rng.integers(1, 4, size=(T, L)) * 0.01
    ask = mid[:, None] + 0.005 + np.cumsum(gaps, axis=1)
    sz = rng.integers(1, 300, size=(T, L)).astype(float)
    n_present = rng.integers(1, L + 1, size=T)
    absent = np.arange(L)[None, :] >= n_present[:, None]
    ask[absent] = np.nan
    sz[absent] = 0.0
    return ask, sz, mid


def test_two_level_buy_by_hand() -> None:
    x = [0, 50, 100, 250, 300, 301]
    w = walk_cost(ASK_PX, ASK_SZ, MID, x, "buy")
    # 50 x 0.01; 100 x 0.01; 100 x 0.01 + 150 x 0.03; 100 x 0.01 + 200 x 0.03; beyond depth
    assert_allclose(w.cost[0, :5], [0.0, 0.5, 1.0, 5.5, 7.0], atol=ATOL)
    assert np.isnan(w.cost[0, 5])
    assert w.censored.tolist() == [[False, False, False, False, False, True]]
    assert w.depth.tolist() == [300.0]
    assert w.cost.shape == (1, 6)


def test_two_level_sell_by_hand() -> None:
    w = walk_cost(BID_PX, BID_SZ, MID, [120, 150, 151], "sell")
    assert_allclose(w.cost[0, :2], [100 * 0.01 + 20 * 0.02, 100 * 0.01 + 50 * 0.02], atol=ATOL)
    assert w.censored[0].tolist() == [False, False, True]


def test_vectorised_over_snapshots_and_sizes(rng: np.random.Generator) -> None:
    ask, sz, mid = _random_books(rng, 7, 5)
    x = np.array([1.0, 10.0, 100.0, 400.0, 2000.0])
    w = walk_cost(ask, sz, mid, x)
    assert w.cost.shape == (7, 5)
    for t in range(7):  # one snapshot at a time agrees with the whole batch
        wt = walk_cost(ask[t : t + 1], sz[t : t + 1], mid[t : t + 1], x)
        assert_allclose(wt.cost[0], w.cost[t], atol=ATOL, equal_nan=True)
    assert np.array_equal(w.censored, x[None, :] > sz.sum(axis=1)[:, None])
    assert np.all(np.isnan(w.cost[w.censored]))
    assert np.all(np.isfinite(w.cost[~w.censored]))


def test_censoring_is_flagged_never_filled_at_the_last_level() -> None:
    w = walk_cost(ASK_PX, ASK_SZ, MID, [299.0, 300.0, 300.5, 1e6])
    assert w.censored[0].tolist() == [False, False, True, True]
    assert np.isnan(w.cost[0, 2:]).all()


def test_one_sided_book_is_unpriced_not_censored() -> None:
    w = walk_cost(
        [[10.01, 10.03], [10.02, np.nan]], [[100, 200], [50, 0]], [10.0, np.nan], [10, 40]
    )
    assert w.no_mid.tolist() == [False, True]
    assert np.isnan(w.cost[1]).all() and not w.censored[1].any()
    assert np.isfinite(w.cost[0]).all()


@pytest.mark.parametrize(
    ("px", "sz", "mid", "x", "side", "error"),
    [
        ([[10.03, 10.01]], [[100, 100]], [10.0], [10], "buy", DataError),  # unsorted asks
        ([[9.98, 9.99]], [[100, 100]], [10.0], [10], "sell", DataError),  # unsorted bids
        ([[10.01, np.nan]], [[100, 5]], [10.0], [10], "buy", DataError),  # size without price
        ([[10.01, 10.02]], [[100, -5]], [10.0], [10], "buy", DataError),  # negative size
        ([[10.01, 10.02]], [[100, 5]], [10.0, 11.0], [10], "buy", InputError),  # mid shape
        ([[10.01, 10.02]], [[100, 5]], [10.0], [-1], "buy", InputError),  # negative x
        ([[10.01, 10.02]], [[100, 5]], [10.0], [10], "long", InputError),  # unknown side
    ],
)
def test_malformed_inputs_raise(
    px: list[list[float]],
    sz: list[list[float]],
    mid: list[float],
    x: list[float],
    side: str,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        walk_cost(px, sz, mid, x, side)  # type: ignore[arg-type]


def test_walk_schedule_is_the_diagonal_of_walk_cost(rng: np.random.Generator) -> None:
    ask, sz, mid = _random_books(rng, 9, 5)
    x = rng.uniform(0, 900, 9)
    x[0] = 0.0
    grid = walk_cost(ask, sz, mid, x)
    diag = walk_schedule(ask, sz, mid, x)
    assert_allclose(diag.cost, np.diagonal(grid.cost), atol=ATOL, equal_nan=True)
    assert np.array_equal(diag.censored, np.diagonal(grid.censored))
    one_sided = walk_schedule([[10.01], [10.02]], [[100], [100]], [10.0, np.nan], [50, 0])
    assert_allclose(one_sided.cost, [0.5, 0.0], atol=ATOL)  # nothing traded: no mid needed
    with pytest.raises(InputError, match="one size per snapshot"):
        walk_schedule(ask, sz, mid, x[:3])


def test_book_curve_cost_equals_walk_cost(rng: np.random.Generator) -> None:
    ask, sz, mid = _random_books(rng, 12, 6)
    curve = book_curve(ask, sz, mid, "buy")
    assert curve.periods == 12
    assert_allclose(curve.capacity, sz.sum(axis=1))
    x = np.linspace(0, 1500, 41)
    w = walk_cost(ask, sz, mid, x, "buy")
    c = curve.cost(np.broadcast_to(x[:, None], (41, 12))).T  # (T, K)
    ok = ~w.censored
    assert_allclose(c[ok], w.cost[ok], atol=ATOL)
    assert np.all(np.isinf(c[w.censored]))


def test_book_curve_sell_side_matches_walk() -> None:
    curve = book_curve(BID_PX, BID_SZ, MID, "sell")
    assert_allclose(curve.slopes, [[0.01, 0.02]], atol=ATOL)
    assert_allclose(curve.cost(np.array([120.0])), [1.4], atol=ATOL)


def test_book_curve_refuses_a_book_without_mid() -> None:
    with pytest.raises(DataError, match="no mid"):
        book_curve([[10.01]], [[100]], [np.nan])


def _greedy(ask: np.ndarray, sz: np.ndarray, mid: np.ndarray, S: int) -> tuple[np.ndarray, float]:
    """Brute force: buy one share at a time in the minute whose next share is cheapest."""
    T = ask.shape[0]
    x = np.zeros(T)
    total = 0.0
    for _ in range(S):
        nxt = np.full(T, np.inf)
        for t in range(T):
            start = np.cumsum(sz[t]) - sz[t]
            level = np.flatnonzero((x[t] >= start) & (x[t] < start + sz[t]) & (sz[t] > 0))
            if level.size:
                nxt[t] = ask[t, level[0]] - mid[t]
        t_best = int(np.argmin(nxt))
        x[t_best] += 1
        total += nxt[t_best]
    return x, total


def test_exact_solver_on_a_book_curve_equals_greedy_walk(rng: np.random.Generator) -> None:
    ask, sz, mid = _random_books(rng, 6, 4)
    S = int(0.6 * sz.sum())
    problem = eo.ExecutionProblem(S, impact=book_curve(ask, sz, mid), periods=6)
    sol = eo.solve(problem, method="exact")
    x_greedy, cost_greedy = _greedy(ask, sz, mid, S)
    assert_allclose(sol.objective, cost_greedy, rtol=1e-12, atol=1e-9)
    # the realised walk of the optimal schedule costs what the solver says
    walked = walk_schedule(ask, sz, mid, sol.schedule)
    assert not walked.censored.any()
    assert_allclose(walked.cost.sum(), sol.objective, rtol=1e-12)
    assert sol.certificate.feasible
    assert_allclose(x_greedy.sum(), sol.schedule.sum())


def test_walk_book_and_book_impact_on_a_known_book() -> None:
    from execopt.data import synthetic_book_from_impact

    a, b, s = 0.02, 0.0005, 100.0
    book = synthetic_book_from_impact(a, b, level_size=s, periods=390)
    x = np.arange(1, 11) * s  # whole levels: the walk cost is exactly a x + b x^2
    w = walk_book(book, x, "buy")
    assert w.cost.shape == (390, 10)
    assert_allclose(w.cost, np.broadcast_to(a * x + b * x * x, (390, 10)), rtol=1e-9)
    ws = walk_book(book, x, "sell")
    assert_allclose(ws.cost, w.cost, rtol=1e-9)
    curve = book_impact(book, "buy")
    assert curve.periods == 390
    problem = eo.ExecutionProblem(10_000, impact=curve, periods=390)
    sol = eo.solve(problem)
    assert sol.certificate.passed()


@given(
    sizes=st.lists(st.integers(1, 500), min_size=1, max_size=6),
    gaps=st.lists(st.integers(1, 5), min_size=6, max_size=6),
)
def test_walk_cost_is_increasing_and_convex(sizes: list[int], gaps: list[int]) -> None:
    L = len(sizes)
    px = 50.0 + 0.005 + 0.01 * np.cumsum(gaps[:L])
    x = np.linspace(0.0, float(sum(sizes)), 57)
    c = walk_cost(px[None, :], np.array(sizes, float)[None, :], [50.0], x).cost[0]
    d = np.diff(c)
    assert np.all(d >= -ATOL)
    assert np.all(np.diff(d) >= -1e-9)
