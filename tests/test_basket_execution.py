"""Basket execution: the covariance estimate, co-moving books, the joint replay and its
policies, the episode study, and many independent orders on Dask (identical whatever the
number of workers)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import execopt as eo
from execopt.data import synthetic_book
from execopt.execution import SimConfig, simulate
from execopt.execution.basket import (
    IndependentOptimal,
    IndependentTWAP,
    JointAdaptive,
    JointOptimal,
    basket_from_books,
    co_moving,
    estimate_covariance,
    ledoit_wolf,
    simulate_basket,
)
from execopt.execution.policies import TWAP
from execopt.studies.basket_study import (
    BasketStudyConfig,
    episode_stats,
    frontier,
    mandate_price,
    plan_table,
    run_basket_episodes,
)
from execopt.studies.many_orders import Order, random_orders, solve_orders
from execopt.studies.parallel import ParallelConfig

EPM = 8.0  # events per minute: small synthetic books keep the tests fast


@pytest.fixture(scope="module")
def books() -> list:
    raw = [synthetic_book(p, seed=s, events_per_minute=EPM) for p, s in (("FROG", 1), ("SOUN", 2))]
    return co_moving(raw, 0.8, seed=3)


# ----------------------------------------------------------------------------- covariance
def test_ledoit_wolf_recovers_a_known_covariance() -> None:
    rng = np.random.default_rng(0)
    C = np.array([[1.0, 0.6, 0.0], [0.6, 1.0, 0.3], [0.0, 0.3, 1.0]])
    Z = rng.multivariate_normal(np.zeros(3), C, size=20_000)
    S, delta = ledoit_wolf(Z)
    assert delta < 0.01  # plenty of data: almost no shrinkage
    np.testing.assert_allclose(S, C, atol=0.03)
    _, d_small = ledoit_wolf(Z[:20])
    assert d_small > delta  # few observations: more shrinkage
    with pytest.raises(eo.errors.InputError):
        ledoit_wolf(np.ones(5))


def test_estimate_covariance_sees_the_co_movement(books) -> None:
    est = estimate_covariance(books)
    assert est.matrix.shape == (2, 2) and est.n_obs == 389
    assert 0.5 < est.correlation[0, 1] < 0.95  # target 0.8 with the factor each: ~0.64
    np.testing.assert_allclose(np.sqrt(np.diag(est.matrix)), est.volatility, rtol=1e-12)
    indep = [
        synthetic_book(p, seed=s, events_per_minute=EPM) for p, s in (("FROG", 1), ("SOUN", 2))
    ]
    assert abs(estimate_covariance(indep).correlation[0, 1]) < 0.2
    with pytest.raises(eo.errors.DataError, match="different numbers of minutes"):
        short = synthetic_book("FROG", seed=1, periods=30, events_per_minute=EPM)
        estimate_covariance([books[0], short.minute_snapshots(session=None)])


def test_co_moving_keeps_the_books_shape(books) -> None:
    raw = synthetic_book("FROG", seed=1, events_per_minute=EPM).minute_snapshots()
    b = books[0]
    spread0 = np.asarray(raw.ask_px)[:, 0] - np.asarray(raw.bid_px)[:, 0]
    spread1 = np.asarray(b.ask_px)[:, 0] - np.asarray(b.bid_px)[:, 0]
    np.testing.assert_allclose(spread0, spread1, atol=1e-9)
    np.testing.assert_array_equal(np.asarray(raw.ask_sz), np.asarray(b.ask_sz))
    assert "+comove" in b.source[-1]
    with pytest.raises(eo.errors.InputError):
        co_moving(books, 1.0)


# ----------------------------------------------------------------------------- the replay
def test_independent_twap_replay_equals_single_asset_replays(books) -> None:
    S, sides = [3000, 8000], ["sell", "buy"]
    r = simulate_basket(books, IndependentTWAP(), S, sides, SimConfig(lot=1))
    for i, leg in enumerate(r.legs):
        single = simulate(books[i], TWAP(), S[i], SimConfig(side=sides[i], lot=1))
        pd.testing.assert_frame_equal(
            leg.fills.drop(columns="latency_s"), single.fills.drop(columns="latency_s")
        )
    assert r.shortfall == pytest.approx(sum(x.shortfall for x in r.legs))
    s = r.summary()
    assert list(s["symbol"]) == ["FROG", "SOUN", "basket"]
    assert s["fill_rate"].iloc[-1] == pytest.approx(1.0)
    E = r.exposure()
    assert E[0, 0] > 0 > E[1, 0]  # a sell holds inventory, a buy is short what it must buy


def test_joint_policies_follow_their_plans(books) -> None:
    S, sides = [3000, 8000], ["sell", "buy"]
    basket = basket_from_books(
        books, sides, S, caps=[40, 100], risk_aversion=1e-5, neutrality_band=50_000.0
    )
    plan = eo.solve(basket, "clarabel")
    r = simulate_basket(books, JointOptimal(basket), S, sides, SimConfig(lot=None))
    # deep enough books: the replay trades the plan, to rounding
    np.testing.assert_allclose(r.filled(), plan.schedule, atol=1e-6)
    assert r.info["certified"] and r.info["planned_at"] == 0
    ra = simulate_basket(books, JointAdaptive(basket, every=60), S, sides, SimConfig(lot=None))
    assert ra.info["replans"] == 390 // 60 + 1
    # the re-solves start from the traded inventory (solver rounding ~1e-9 relative, dust below
    # 1e-6 shares counted as done): the same plan to a hundredth of a share
    np.testing.assert_allclose(ra.filled(), plan.schedule, atol=1e-2)
    ri = simulate_basket(books, IndependentOptimal(basket), S, sides, SimConfig(lot=1))
    assert ri.info["method"] in ("exact", "clarabel")
    # the joint plan is the better one by the joint model
    assert basket.objective(plan.schedule) <= basket.objective(ri.filled()) + 1e-6


def test_adaptive_recovers_from_unfilled_shares(books) -> None:
    """Orders beyond the visible depth leave shares owed; the adaptive policy re-plans them."""
    S, sides = [60_000, 8000], ["sell", "buy"]
    basket = basket_from_books(books, sides, S, caps=[1000, 100], risk_aversion=1e-6)
    r = simulate_basket(
        books, JointAdaptive(basket, every=30), S, sides, SimConfig(lot=1, overflow="carry")
    )
    assert all(leg.filled + leg.unfilled == pytest.approx(leg.shares) for leg in r.legs)
    assert r.info["replans"] >= 2


def test_replay_input_errors(books) -> None:
    with pytest.raises(eo.errors.InputError, match="one size"):
        simulate_basket(books, IndependentTWAP(), [1, 2, 3], ["buy", "sell"])
    with pytest.raises(eo.errors.InputError, match="'buy' or 'sell'"):
        simulate_basket(books, IndependentTWAP(), [1, 2], ["buy", "short"])

    class Bad:
        name = "bad"

        def decide(self, states):
            return np.array([np.nan] * len(states))

    with pytest.raises(eo.errors.InputError, match="returned"):
        simulate_basket(books, Bad(), [100, 100], ["buy", "sell"])


# ----------------------------------------------------------------------------- studies
def test_episodes_serial_and_dask_are_identical() -> None:
    cfg = BasketStudyConfig(episodes=2, events_per_minute=EPM, adaptive_every=130)
    serial = run_basket_episodes(cfg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        par = run_basket_episodes(
            BasketStudyConfig(
                episodes=2, events_per_minute=EPM, adaptive_every=130,
                parallel=ParallelConfig(workers=2),
            )
        )  # fmt: skip
    pd.testing.assert_frame_equal(serial, par)
    stats = episode_stats(serial)
    assert set(stats["policy"]) == {
        "independent-twap", "independent-optimal", "joint-optimal", "joint-adaptive",
    }  # fmt: skip
    assert (stats["episodes"] == 2).all() and (stats["var_shortfall"] >= 0).all()


def test_plan_table_frontier_and_mandate_price() -> None:
    cfg = BasketStudyConfig(episodes=1, events_per_minute=EPM)
    from execopt.studies.basket_study import plan_basket

    basket, _ = plan_basket(cfg)
    t = plan_table(basket)
    j = t.set_index("plan")
    assert j.loc["joint-optimal", "objective"] <= j.loc["independent-optimal", "objective"] + 1e-6
    assert j.loc["joint-optimal", "certified"]
    f = frontier(basket, [0.0, 1e-6])
    assert list(f["plan"]) == ["joint", "independent"] * 2
    hi = f[f["risk_aversion"] > 0].set_index("plan")
    assert hi.loc["joint", "objective"] <= hi.loc["independent", "objective"] + 1e-6
    m = mandate_price(
        [10_000, 40_000], ["sell", "sell"], [0.01, 0.03], [2e-5, 5e-4],
        [[0.0025, 0.001425], [0.001425, 0.0009]], 1e-4, 60, prices=[50.0, 20.0],
        bands=[200_000.0],
    )  # fmt: skip
    assert m["min_inventory"].iloc[0] < -10_000 and m["min_inventory"].iloc[1] >= -1e-6
    assert (m["extra_cost_pct"].iloc[1:] > 0).all() and m["certified"].iloc[1:].all()
    assert m["extra_cost_pct"].iloc[2] >= m["extra_cost_pct"].iloc[1]


# ----------------------------------------------------------------------------- many orders
def test_many_orders_serial_equals_dask_two_workers() -> None:
    orders = random_orders(60, seed=5)
    serial = solve_orders(orders, chunk=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        par = solve_orders(orders, ParallelConfig(workers=2), chunk=20)
    cols = [c for c in serial.table.columns if c != "seconds"]
    pd.testing.assert_frame_equal(serial.table[cols], par.table[cols])
    assert all(np.array_equal(a, b) for a, b in zip(serial.schedules, par.schedules, strict=True))
    assert serial.table["certified"].all()
    assert set(serial.table["method"]) <= {"exact", "clarabel"}
    assert {o.side for o in orders} == {"buy", "sell"} and len({o.periods for o in orders}) > 2
    o = orders[0]
    assert Order.from_dict(o.to_dict()).problem().objective(serial.schedules[0]) == pytest.approx(
        serial.table["objective"].iloc[0]
    )
    with pytest.raises(eo.errors.InputError):
        solve_orders(orders, chunk=0)


def test_day_basket_replay_and_band_prices() -> None:
    from execopt.studies.basket_study import band_prices, day_basket, replay_day

    cfg = BasketStudyConfig(events_per_minute=EPM, adaptive_every=130)
    frog = synthetic_book("FROG", seed=0, events_per_minute=EPM)
    books, basket, est = day_basket(frog, cfg, seed=0)
    assert basket.labels == ("FROG", "SOUN", "CRWV") and est.correlation[0, 1] > 0.2
    # FROG itself is the factor: unchanged
    np.testing.assert_array_equal(books[0].bid_px, frog.minute_snapshots().bid_px)
    day = replay_day(books, basket, cfg)
    assert set(day["policy"]) == {
        "independent-twap", "independent-optimal", "joint-optimal", "joint-adaptive",
    }  # fmt: skip
    whole = day[day["symbol"] == "basket"]
    assert (
        whole["model_risk"].notna().all()
        and day[day["symbol"] != "basket"]["model_risk"].isna().all()
    )
    gross = float((basket.prices * basket.S).sum())
    bp = band_prices(basket, [0.05 * gross])
    assert np.isinf(bp["band"].iloc[0]) and bp["certified"].all()
    assert bp["max_imbalance"].iloc[1] <= 0.05 * gross * (1 + 1e-6)
    assert bp["extra_cost_pct"].iloc[1] >= -1e-6
