"""Synthetic books: calibration of the presets, determinism, knobs, known impact law."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_helpers import walk_cost
from execopt.data import (
    PRESETS,
    SyntheticPreset,
    intraday_shape,
    synthetic_book,
    synthetic_book_from_impact,
)
from execopt.errors import InputError

# Tolerances on the row means over one 390-minute day (seed 0): the generator matches the
# targets in expectation; these bounds leave room for sampling noise.
MID_RTOL, SPREAD_RTOL, DEPTH_RTOL = 0.01, 0.05, 0.05


@pytest.mark.parametrize("name", ["CRWV", "FROG", "SOUN", "FROG_2025-04-03"])
def test_presets_reproduce_calibration_targets(name: str) -> None:
    p = PRESETS[name]
    assert p.source
    book = synthetic_book(name, seed=0)
    assert book.n_levels == 10
    assert book.validation.rows_dropped == 0
    assert float(np.mean(book.mid)) == pytest.approx(p.mid, rel=MID_RTOL)
    assert float(np.mean(book.spread)) == pytest.approx(p.spread, rel=SPREAD_RTOL)
    assert float(book.depth("bid").mean()) == pytest.approx(p.depth_bid, rel=DEPTH_RTOL)
    assert float(book.depth("ask").mean()) == pytest.approx(p.depth_ask, rel=DEPTH_RTOL)
    assert len(book) == pytest.approx(390 * p.events_per_minute, rel=0.05)
    assert book.trades.size.sum() == pytest.approx(p.daily_volume, rel=0.15)
    # Tick grid and sizes growing with depth.
    ticks = np.asarray(book.bid_px) / p.tick
    np.testing.assert_allclose(ticks, np.round(ticks), atol=1e-6)
    assert book.bid_sz[:, -1].mean() > book.bid_sz[:, 0].mean()
    assert np.all(book.spread >= p.tick - 1e-9)


def test_published_numbers_are_the_readme_numbers() -> None:
    assert (PRESETS["CRWV"].mid, PRESETS["CRWV"].spread) == (46.73, 0.0732)
    assert (PRESETS["FROG"].depth_bid, PRESETS["FROG"].depth_ask) == (1370.0, 1403.0)
    assert (PRESETS["SOUN"].depth_bid, PRESETS["SOUN"].depth_ask) == (35_066.0, 34_796.0)


def test_same_seed_same_book_and_generator_accepted() -> None:
    a = synthetic_book("FROG", seed=7, events_per_minute=5)
    b = synthetic_book("FROG", seed=7, events_per_minute=5)
    c = synthetic_book("FROG", seed=8, events_per_minute=5)
    assert a.equals(b)
    assert not a.equals(c)
    g1 = synthetic_book("FROG", seed=np.random.default_rng(3), events_per_minute=5)
    g2 = synthetic_book("FROG", seed=np.random.default_rng(3), events_per_minute=5)
    assert g1.equals(g2)


def test_intraday_u_shapes() -> None:
    book = synthetic_book("FROG", seed=1)
    snaps = book.minute_snapshots()
    assert snaps.validation.forward_filled_minutes < 5
    vol = book.minute_volume()
    first, mid, last = slice(0, 30), slice(180, 210), slice(360, 390)
    assert vol[first].mean() > 2 * vol[mid].mean() and vol[last].mean() > 2 * vol[mid].mean()
    assert snaps.minutes is not None
    m = (np.asarray(book.ts) - snaps.minutes[0]).view(np.int64) // (60 * 10**9)
    spread, depth = np.asarray(book.spread), book.depth("both")
    for series in (spread, depth):
        assert series[m < 30].mean() > series[(m >= 180) & (m < 210)].mean()
        assert series[m >= 360].mean() > series[(m >= 180) & (m < 210)].mean()
    u = intraday_shape(390, 1.0)
    assert u.mean() == pytest.approx(1.0) and u[0] > u[195] < u[-1]


def test_liquidity_shift_scales_depth_from_the_minute_on() -> None:
    base = synthetic_book("FROG", seed=2, events_per_minute=10)
    shifted = synthetic_book("FROG", seed=2, events_per_minute=10, liquidity_shift=(200, 0.25))
    np.testing.assert_array_equal(base.ts, shifted.ts)
    minute = (np.asarray(base.ts) - base.session_minutes()[0]).view(np.int64) // (60 * 10**9)
    before, after = minute < 200, minute >= 200
    np.testing.assert_array_equal(base.bid_sz[before], shifted.bid_sz[before])
    ratio = shifted.depth("ask")[after].sum() / base.depth("ask")[after].sum()
    assert ratio == pytest.approx(0.25, rel=0.02)
    assert any("liquidity_shift" in n for n in shifted.validation.notes)


def test_spread_spike_and_volatility_regimes() -> None:
    kw = {"seed": 4, "events_per_minute": 10}
    base = synthetic_book("CRWV", **kw)  # type: ignore[arg-type]
    spiked = synthetic_book("CRWV", spread_spike=(100, 120, 4.0), **kw)  # type: ignore[arg-type]
    minute = (np.asarray(base.ts) - base.session_minutes()[0]).view(np.int64) // (60 * 10**9)
    window = (minute >= 100) & (minute < 120)
    assert spiked.spread[window].mean() == pytest.approx(4 * base.spread[window].mean(), rel=0.05)
    np.testing.assert_allclose(spiked.spread[~window], base.spread[~window])
    calm = synthetic_book("FROG", seed=5, events_per_minute=20, volatility_regimes=[(195, 4.0)])
    r = calm.minute_returns()
    assert np.std(r[200:]) > 2 * np.std(r[:190])


def test_bad_knobs_raise() -> None:
    with pytest.raises(InputError, match="unknown preset"):
        synthetic_book("ACME")
    with pytest.raises(InputError, match="spread_spike"):
        synthetic_book("FROG", spread_spike=(10, 5, 2.0))
    with pytest.raises(InputError, match="liquidity_shift"):
        synthetic_book("FROG", liquidity_shift=(10, -1.0))
    with pytest.raises(InputError, match="levels"):
        synthetic_book("FROG", levels=11)
    with pytest.raises(InputError, match="below one tick"):
        SyntheticPreset("X", 10.0, 0.001, 100.0, 100.0, 1e4, 0.02, 10.0, 1.0, 1.0)


def test_custom_preset_and_short_day() -> None:
    p = SyntheticPreset(
        "XYZ",
        mid=20.0,
        spread=0.03,
        depth_bid=500.0,
        depth_ask=600.0,
        daily_volume=1e5,
        daily_volatility=0.02,
        events_per_minute=8.0,
        trades_per_minute=2.0,
        level_gap_ticks=1.5,
        source="test",
    )
    book = synthetic_book(p, seed=0, periods=60, levels=5)
    assert book.symbol == "XYZ" and book.n_levels == 5
    assert len(book.minute_snapshots(session=None)) == 60


# --------------------------------------------------------------------------- known impact


@given(
    a=st.floats(0.0, 0.1),
    b=st.floats(1e-6, 0.01),
    s=st.floats(1.0, 500.0),
    frac=st.floats(0.0, 1.0),
)
@settings(max_examples=60, deadline=None)
def test_walk_cost_is_quadratic_plus_known_error(a: float, b: float, s: float, frac: float) -> None:
    levels = 10
    book = synthetic_book_from_impact(a, b, level_size=s, levels=levels, periods=1, mid=100.0)
    x = frac * levels * s
    r = x - s * np.floor(x / s)
    expected = a * x + b * x**2 + b * r * (s - r)
    for px, sz, sign in (
        (book.ask_px[0], book.ask_sz[0], 1.0),
        (book.bid_px[0], book.bid_sz[0], -1.0),
    ):
        cost = walk_cost(sign * px, sz, sign * 100.0, x)  # selling mirrors buying
        assert cost == pytest.approx(expected, rel=1e-9, abs=1e-9)
    error = expected - (a * x + b * x**2)
    # the subtraction rounds at the size of b x^2 (~2e4 dollars for hypothesis's largest draws):
    # at a half level (r = s/2) the error sits exactly on its bound, up to that rounding
    tol = 1e-12 * (1.0 + a * x + b * x**2)
    assert -tol <= error <= b * s**2 / 4 + tol


def test_least_squares_on_whole_levels_recovers_a_b() -> None:
    rng = np.random.default_rng(0)
    a_t = rng.uniform(0.005, 0.03, 390)
    b_t = rng.uniform(1e-4, 2e-3, 390)
    book = synthetic_book_from_impact(a_t, b_t, level_size=50.0, volume=2000.0)
    snaps = book.minute_snapshots()
    assert len(snaps) == 390 and snaps.validation.forward_filled_minutes == 0
    np.testing.assert_array_equal(book.minute_volume(), 2000.0)
    x = 50.0 * np.arange(1, 11)
    for t in (0, 137, 389):
        c = np.array([walk_cost(snaps.ask_px[t], snaps.ask_sz[t], snaps.mid[t], xi) for xi in x])
        (a_hat, b_hat), *_ = np.linalg.lstsq(np.column_stack([x, x**2]), c, rcond=None)
        assert a_hat == pytest.approx(a_t[t], rel=1e-8)
        assert b_hat == pytest.approx(b_t[t], rel=1e-8)


def test_impact_book_edge_cases() -> None:
    linear = synthetic_book_from_impact(0.02, 0.0, periods=3, level_size=10.0, levels=4)
    assert np.isnan(linear.ask_px[:, 1:]).all() and (linear.ask_sz[:, 0] == 40).all()
    assert walk_cost(linear.ask_px[0], linear.ask_sz[0], 30.0, 25.0) == pytest.approx(0.5)
    ticked = synthetic_book_from_impact(0.013, 0.0004, periods=2, tick=0.01)
    exact = synthetic_book_from_impact(0.013, 0.0004, periods=2)
    for x in (10.0, 333.0, 1000.0):
        gap = walk_cost(ticked.ask_px[0], ticked.ask_sz[0], 30.0, x) - walk_cost(
            exact.ask_px[0], exact.ask_sz[0], 30.0, x
        )
        assert 0.0 <= gap <= 0.01 * x + 1e-9
    with pytest.raises(InputError, match=">= 0"):
        synthetic_book_from_impact(-0.01, 0.001)
    with pytest.raises(InputError, match="length 3"):
        synthetic_book_from_impact([0.01, 0.02, 0.03], [0.001, 0.002])
    with pytest.raises(InputError, match="finite"):
        synthetic_book_from_impact(np.nan, 0.001)
