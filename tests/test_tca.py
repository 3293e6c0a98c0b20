"""Transaction-cost analysis: the shortfall's parts add up exactly; benchmarks; mark-outs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import execopt as eo
from execopt.data import BookSeries, Trades, synthetic_book, synthetic_book_from_impact
from execopt.errors import InputError
from execopt.execution import SimConfig, make_policy, simulate
from execopt.execution.tca import SHORTFALL_PARTS, benchmarks, decompose, markouts

#: The parts of the shortfall add up to its total within this many dollars per dollar of
#: notional (sums of a few hundred float64 products: rounding only).
ADD_UP_RTOL = 1e-12


@pytest.fixture(scope="module")
def day() -> BookSeries:
    return synthetic_book("FROG", seed=4, periods=90)


@settings(max_examples=60, deadline=None)
@given(
    policy=st.sampled_from(["twap", "vwap", "static", "adaptive", "ac", "pov", "oracle"]),
    side=st.sampled_from(["buy", "sell"]),
    shares=st.sampled_from([500.0, 5_000.0, 60_000.0]),
    fee=st.sampled_from([0.0, 0.003, -0.002]),
    permanent=st.sampled_from([0.0, 2e-6]),
    transient=st.sampled_from([0.0, 5e-6]),
    drift=st.floats(-0.01, 0.01),
    overflow=st.sampled_from(["carry", "drop"]),
    at_close=st.sampled_from(["force", "report_unfilled"]),
    lot=st.sampled_from([None, 1.0]),
    start=st.integers(0, 60),
)
def test_the_parts_add_up_to_the_shortfall(
    day: BookSeries,
    policy: str,
    side: str,
    shares: float,
    fee: float,
    permanent: float,
    transient: float,
    drift: float,
    overflow: str,
    at_close: str,
    lot: float | None,
    start: int,
) -> None:
    """Random episodes (a window of the day), every policy, fees, own impact, drift, partial
    fills, forced and unforced closes: spread + impact + timing + fees + opportunity equals the
    implementation shortfall, to rounding."""
    snaps = day.minute_snapshots()
    window = snaps.take(slice(start, start + 30))
    cfg = SimConfig(
        side=side,  # type: ignore[arg-type]
        costs=eo.PerShareFee(fee) if fee else None,
        permanent_impact=permanent,
        transient_impact=transient,
        drift=drift,
        overflow=overflow,  # type: ignore[arg-type]
        at_close=at_close,  # type: ignore[arg-type]
        lot=lot,
    )
    res = simulate(
        window,
        make_policy(policy, book=window),
        shares,
        cfg,
        earlier=snaps.take(slice(0, start)) if start else None,
    )
    d = decompose(res)
    scale = res.shares * res.arrival_mid
    assert abs(d.total - res.shortfall) <= ADD_UP_RTOL * scale
    bps = d.bps()
    assert abs(sum(bps[k] for k in SHORTFALL_PARTS) - bps["total"]) <= 1e-8
    assert bps["total"] == pytest.approx(res.shortfall_bps, abs=1e-8)
    assert d.spread >= 0 and d.impact_walk >= -1e-9 * scale
    if not (permanent or transient):
        assert d.impact_own == 0.0
    if not fee:
        assert d.fees == 0.0
    assert d.impact == pytest.approx(d.impact_walk + d.impact_own, abs=1e-12 * scale)
    doc = d.as_dict()
    assert set(doc["dollars"]) == {*SHORTFALL_PARTS, "total"}


def test_each_part_on_a_hand_made_book() -> None:
    """A flat book (mid 10, spread 0.02, 100 shares a level one cent apart) whose mid jumps by
    a dollar at minute 2: every part by hand."""
    N = 4
    minutes = np.datetime64("2025-04-03T13:30", "ns") + np.arange(N) * np.timedelta64(60, "s")
    mid = np.array([10.0, 10.0, 11.0, 11.0])
    lv = np.arange(3) * 0.01
    ask = mid[:, None] + 0.01 + lv
    bid = mid[:, None] - 0.01 - lv
    sz = np.full((N, 3), 100.0)
    tr = Trades(minutes + np.timedelta64(30, "s"), mid, np.full(N, 50.0), np.array(["B"] * N))
    book = BookSeries.from_arrays(minutes, bid, ask, sz, sz, symbol="T", trades=tr)
    res = simulate(book, make_policy("twap"), 600.0, SimConfig(costs=eo.PerShareFee(0.003)))
    d = decompose(res)
    # each minute buys 150: 100 at the touch (+0.01), 50 one cent deeper (+0.02)
    assert d.spread == pytest.approx(4 * 150 * 0.01)
    assert d.impact_walk == pytest.approx(4 * 50 * 0.01)
    assert d.timing == pytest.approx(2 * 150 * 1.0)  # minutes 2 and 3 pay the dollar jump
    assert d.fees == pytest.approx(600 * 0.003)
    assert d.opportunity == 0.0 and d.impact_own == 0.0
    assert d.total == pytest.approx(res.shortfall)
    b = benchmarks(res)
    assert b["prices"]["vwap"] == pytest.approx(10.5) and b["prices"]["twap"] == pytest.approx(10.5)
    assert b["market_volume"] == 200.0
    # the fills' average price: mids 10, 10, 11, 11 plus 0.01 x 100 + 0.02 x 50 per 150
    avg = 10.5 + (0.01 * 100 + 0.02 * 50) / 150
    assert b["avg_price"] == pytest.approx(avg)
    assert b["bps"]["vwap"] == pytest.approx(1e4 * (avg - 10.5) / 10.5)
    assert b["prices"]["vwap_incl_own"] == pytest.approx((200 * 10.5 + 600 * avg) / 800)
    assert b["participation"] == pytest.approx(600 / 800)
    m = markouts(res)
    # +1 minute: the fill of minute 1 sees the jump to 11; minute 3's fill has no minute 4
    p_fill = mid + (0.01 * 100 + 0.02 * 50) / 150
    dollars = 150 * ((10.0 - p_fill[0]) + (11.0 - p_fill[1]) + (11.0 - p_fill[2]))
    assert m["1m"]["dollars"] == pytest.approx(dollars)
    assert m["1m"]["left_out"] == 1 and m["5m"]["left_out"] == 4
    assert np.isnan(m["5m"]["bps"])
    # against a longer day of mids, the 5-minute mark-out exists
    day_mids = np.concatenate([mid, np.full(10, 12.0)])
    m5 = markouts(res, day_mids, offset=0, horizons=[5])
    assert m5["5m"]["left_out"] == 0 and m5["5m"]["dollars"] == pytest.approx(
        150 * float(np.sum(12.0 - p_fill))
    )
    with pytest.raises(InputError, match="horizons"):
        markouts(res, horizons=[0])


def test_sell_side_signs_and_unfilled_shares() -> None:
    book = synthetic_book_from_impact(0.01, 1e-4, level_size=50, levels=2, periods=5)
    # 2,000 shares over 5 minutes with 100 visible per side: most of the order goes unfilled
    res = simulate(
        book,
        make_policy("twap"),
        2000.0,
        SimConfig(side="sell", overflow="drop", at_close="report_unfilled", drift=-0.05),
    )
    d = decompose(res)
    assert res.unfilled > 0
    # the mid falls 5 cents a minute: the seller's timing cost and opportunity are positive
    assert d.timing > 0 and d.opportunity > 0
    assert d.opportunity == pytest.approx(res.unfilled * (res.arrival_mid - res.final_mid))
    assert d.total == pytest.approx(res.shortfall, abs=1e-9)


def test_decompose_refuses_old_results(day: BookSeries) -> None:
    res = simulate(day, make_policy("twap"), 100.0)
    old = type(res)(
        res.policy, res.symbol, res.side, res.shares, res.arrival_mid, res.final_mid,
        res.fills.drop(columns=["notional"]), res.events, res.config, res.session,
    )  # fmt: skip
    with pytest.raises(InputError, match="notional"):
        decompose(old)
