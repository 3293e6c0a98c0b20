"""Policies: the exact composite re-solve, adaptive vs static on a liquidity shift, the oracle as a
bound, VWAP profiles, Almgren–Chriss, POV, and child-order export."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from execopt.data import BookSeries, synthetic_book, synthetic_book_from_impact
from execopt.errors import InputError
from execopt.execution import (
    POLICIES,
    POV,
    TWAP,
    VWAP,
    Adaptive,
    AlmgrenChriss,
    PerfectForesightOracle,
    Policy,
    SimConfig,
    StaticOptimal,
    child_orders,
    from_result,
    make_policy,
    simulate,
    solve_composite,
    write_orders,
)
from execopt.execution.forecast import fit_window, pooled_book

#: The composite split agrees with Clarabel on the same convex program to this relative gap.
COMPOSITE_RTOL = 1e-6


@pytest.fixture(scope="module")
def day() -> BookSeries:
    """A short synthetic FROG day (90 minutes, few events: fast)."""
    return synthetic_book("FROG", seed=3, periods=90, events_per_minute=8)


def _cfg() -> SimConfig:
    return SimConfig(session=None)


# ----------------------------------------------------------------------------- composite
def _cvx_composite(s, w, cap, a, b, u, R):  # type: ignore[no-untyped-def]
    import cvxpy as cp

    K, M = s.shape[0], a.shape[0]
    start = np.cumsum(w) - w
    icpt = np.cumsum(s * w) - s * w - s * start
    x, y = cp.Variable(), cp.Variable(M)
    cost = cp.max(cp.hstack([s[k] * x + icpt[k] for k in range(K)]))
    cost = cost + a @ y + cp.sum(cp.multiply(b, cp.square(y)))
    cons = [x >= 0, x <= min(cap, w.sum()), y >= 0, y <= u, x + cp.sum(y) == R]
    prob = cp.Problem(cp.Minimize(cost), cons)
    prob.solve(solver=cp.CLARABEL)
    return prob.value


def test_composite_is_exact_against_clarabel(rng: np.random.Generator) -> None:
    for i in range(30):
        K, M = int(rng.integers(1, 8)), int(rng.integers(1, 40))
        s = np.sort(rng.uniform(0.0, 0.06, K))
        if i % 3 == 0:
            s = np.round(s, 2)  # ties between levels
        w = rng.integers(0, 300, K).astype(float)
        a = rng.uniform(0.0, 0.05, M)
        b = rng.uniform(1e-5, 1e-3, M)
        u = rng.uniform(5.0, 200.0, M)
        cap = float(rng.choice([np.inf, rng.uniform(0, 300)]))
        R = float(rng.uniform(0, 0.9 * (min(cap, w.sum()) + u.sum())))
        sol = solve_composite(s, w, cap, a, b, u, R)
        assert sol.feasible
        assert sol.x_now + sol.y.sum() == pytest.approx(R, rel=1e-12, abs=1e-9)
        start = np.cumsum(w) - w
        mine = float(np.sum(np.clip(sol.x_now - start, 0, w) * s) + a @ sol.y + b @ sol.y**2)
        ref = _cvx_composite(s, w, cap, a, b, u, R)
        assert mine <= ref + COMPOSITE_RTOL * max(1.0, abs(ref))


def test_composite_infeasible_takes_everything() -> None:
    sol = solve_composite([0.01], [100.0], np.inf, [0.02], [1e-3], [10.0], 500.0)
    assert not sol.feasible and sol.x_now == 100.0 and sol.y.tolist() == [10.0]


def test_pooled_book_prices_the_option_to_wait() -> None:
    # two books: one tight, one wide; the pooled book starts at the tight one's price
    px = np.array([[10.01, 10.02], [10.05, 10.06]])
    sz = np.array([[100.0, 100.0], [100.0, 100.0]])
    mid = np.array([10.0, 10.0])
    s, w = pooled_book(px, sz, mid, "buy")
    assert_allclose(s, [0.01, 0.02, 0.05, 0.06], atol=1e-12)
    assert_allclose(w, [50.0, 50.0, 50.0, 50.0])
    a_pool, _ = fit_window(px, sz, mid, "buy", 40.0, "pooled")
    a_mean, _ = fit_window(px, sz, mid, "buy", 40.0, "mean")
    assert a_pool == pytest.approx(0.01, abs=1e-9)
    assert a_mean == pytest.approx(0.03, abs=1e-9)


# ----------------------------------------------------------------------------- policies
def test_protocol_and_factory(day: BookSeries) -> None:
    for name in POLICIES:
        p = make_policy(name, book=day)
        assert isinstance(p, Policy) and p.name == name
    with pytest.raises(InputError, match="unknown policy"):
        make_policy("vwop")
    with pytest.raises(InputError, match="needs the day's book"):
        make_policy("oracle")


def test_twap_and_vwap_schedules(day: BookSeries) -> None:
    S = 900
    twap = simulate(day, TWAP(), S, _cfg())
    assert_allclose(twap.fills["requested"], S / 90)
    vwap = simulate(day, VWAP(), S, _cfg())
    assert vwap.info["profile_source"].startswith("U-shape prior")
    req = vwap.fills["requested"].to_numpy()
    assert req[0] > req[45] and req[-1] > req[45]  # the U-shape prior
    prev = synthetic_book("FROG", seed=4, periods=90, events_per_minute=8, date="2025-04-02")
    hist = simulate(day, VWAP(), S, _cfg(), previous=prev)
    assert hist.info["profile_source"] == "history (1 day)"
    vol = prev.minute_volume(session=None)
    assert_allclose(hist.fills["requested"], S * vol / vol.sum(), rtol=1e-9)


def test_static_fits_once(day: BookSeries) -> None:
    res = simulate(day, StaticOptimal(warmup=10), 900, _cfg())
    assert res.info["planned_at"] == 9 and res.info["fitted_on"] == "first 10 minutes"
    # one flat (a, b) and no caps: the optimum is an equal split of what is left (Jensen)
    assert_allclose(res.fills["requested"].iloc[10:], res.fills["requested"].iloc[10], rtol=1e-9)


def test_almgren_chriss_front_loads(day: BookSeries) -> None:
    res = simulate(day, AlmgrenChriss(urgency=3.0, warmup=5), 900, _cfg())
    x = res.fills["requested"].to_numpy()[5:]
    assert res.info["risk_aversion"] > 0 and res.info["solver"] == "mean-variance-banded"
    assert np.all(np.diff(x[:-1]) <= 1e-9) and x[0] > 3 * x[-2]
    flat = simulate(day, AlmgrenChriss(risk_aversion=0.0, warmup=5), 900, _cfg())
    assert_allclose(flat.fills["requested"].iloc[5:], flat.fills["requested"].iloc[5], rtol=1e-9)


def test_pov_follows_volume() -> None:
    vol = np.r_[np.full(10, 1000.0), np.full(10, 3000.0)]
    book = synthetic_book_from_impact(0.01, 1e-4, volume=vol, level_size=500.0)
    res = simulate(book, POV(rate=0.05), 5000, SimConfig(session=None, at_close="report_unfilled"))
    assert_allclose(res.fills["requested"], 0.05 * vol)
    assert res.unfilled == pytest.approx(5000 - 0.05 * vol.sum())


def test_oracle_is_a_lower_bound(day: BookSeries) -> None:
    S = 3000
    costs = {name: simulate(day, make_policy(name, book=day), S, _cfg()).cost for name in POLICIES}
    assert all(costs["oracle"] <= c + 1e-9 for c in costs.values())
    assert costs["adaptive"] < costs["twap"]


@pytest.mark.parametrize("seed", [0, 1])
def test_adaptive_beats_static_when_liquidity_shifts_at_noon(seed: int) -> None:
    # depth x4 from minute 195 (12:45): a plan fitted on the morning cannot know it
    book = synthetic_book("FROG", seed=seed, liquidity_shift=(195, 4.0), events_per_minute=20)
    S = 20_000
    static = simulate(book, StaticOptimal(), S)
    adaptive = simulate(book, Adaptive(), S)
    oracle = simulate(book, PerfectForesightOracle(book), S)
    assert adaptive.cost < 0.8 * static.cost
    assert oracle.cost <= adaptive.cost
    assert adaptive.fill_rate == pytest.approx(1.0) and static.fill_rate == pytest.approx(1.0)
    # the adaptive policy moves volume into the deep afternoon (TWAP and static: 50 %)
    pm = adaptive.fills["filled"].iloc[195:].sum() / S
    assert pm > 0.5


# ----------------------------------------------------------------------------- export
def test_child_orders_round_and_keep_total(tmp_path: Path) -> None:
    x = np.array([0.4, 0.4, 0.4, 0.0, 1.8])
    t = np.array(
        [
            "2025-04-03T13:30",
            "2025-04-03T13:31",
            "2025-04-03T13:32",
            "2025-04-03T13:33",
            "2025-04-03T13:34",
        ],
        dtype="datetime64[ns]",
    )
    orders = child_orders(x, t, side="sell", symbol="FROG")
    assert orders["quantity"].sum() == 3 and (orders["quantity"] > 0).all()
    assert orders["time"].iloc[0].endswith("+00:00") and set(orders["side"]) == {"sell"}
    write_orders(orders, tmp_path / "o.csv")
    write_orders(orders, tmp_path / "o.json")
    doc = json.loads((tmp_path / "o.json").read_text())
    assert sum(o["quantity"] for o in doc["orders"]) == 3
    assert (tmp_path / "o.csv").read_text().splitlines()[0] == "time,symbol,side,quantity"
    with pytest.raises(InputError):
        child_orders([1.0, -1.0], t[:2])


def test_from_result(day: BookSeries) -> None:
    res = simulate(day, TWAP(), 900, SimConfig(session=None, lot=1))
    orders = from_result(res)
    assert orders["quantity"].sum() == 900 and len(orders) == 90
