"""The simulator: conservation, realised (book-walk) costs, overflow and close rules, bad books,
simulated impact, and the reference measurement on the real FROG day."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from execopt.data import BookSeries, synthetic_book_from_impact
from execopt.data.paths import find_data_root
from execopt.errors import DataError, InputError
from execopt.execution import (
    POV,
    TWAP,
    Adaptive,
    PerfectForesightOracle,
    SimConfig,
    simulate,
    walk_fill,
)
from execopt.execution.state import MarketState
from execopt.impact.bookwalk import walk_cost

#: Reference measurement from the issue: walking each minute's last book of FROG 2025-04-03.
FROG_TWAP_5000 = 230.65
FROG_ORACLE_5000 = 55.94


def _book(
    N: int = 30,
    *,
    a: float = 0.02,
    b: float = 2e-4,
    level: float = 50.0,
    volume: float | None = 2000.0,
) -> BookSeries:
    rng = np.random.default_rng(N)
    return synthetic_book_from_impact(
        a * rng.uniform(0.5, 1.5, N),
        b * rng.uniform(0.5, 1.5, N),
        level_size=level,
        levels=5,
        mid=30.0 + 0.05 * np.cumsum(rng.standard_normal(N)),
        volume=volume,
    )


class RandomPolicy:
    """Sends a random multiple of the TWAP rate (seeded): a stress test for the bookkeeping."""

    name = "random"

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def decide(self, state: MarketState) -> float:
        return float(self.rng.uniform(-0.5, 3.0) * state.remaining / state.periods_left)


@settings(max_examples=25)
@given(
    S=st.integers(1, 4000),
    overflow=st.sampled_from(["carry", "drop"]),
    at_close=st.sampled_from(["force", "report_unfilled"]),
    which=st.sampled_from(["twap", "random", "adaptive", "pov"]),
    seed=st.integers(0, 2**16),
    level=st.sampled_from([5.0, 40.0, 400.0]),
)
def test_conservation_exact_with_whole_shares(
    S: int, overflow: str, at_close: str, which: str, seed: int, level: float
) -> None:
    book = _book(20, level=level)
    policy = {
        "twap": TWAP(),
        "random": RandomPolicy(seed),
        "adaptive": Adaptive(regimes=False),
        "pov": POV(rate=0.05),
    }[which]
    cfg = SimConfig(overflow=overflow, at_close=at_close, lot=1, session=None)  # type: ignore[arg-type]
    res = simulate(book, policy, S, cfg)
    f = res.fills
    # whole shares: every quantity is an integer, so the identity holds exactly
    assert res.filled + res.unfilled == S
    assert np.all(f["filled"] == np.round(f["filled"]))
    assert np.all(f["filled"] <= f["requested"] + 1e-12)
    assert np.all(f["requested"] >= 0)
    assert np.all(f["carried"] + f["dropped"] == f["unfilled"])
    if at_close == "force":
        assert res.unfilled == f["dropped"].sum()  # nothing left at the close
    if overflow == "carry":
        assert f["dropped"].sum() == 0


@settings(max_examples=15)
@given(S=st.floats(1.0, 5000.0), seed=st.integers(0, 1000))
def test_conservation_fractional_to_rounding(S: float, seed: int) -> None:
    res = simulate(
        _book(15, level=30.0),
        RandomPolicy(seed),
        S,
        SimConfig(at_close="report_unfilled", session=None),
    )
    assert abs(res.filled + res.unfilled - S) <= 1e-9 * S


def test_walk_fill_matches_book_walk(rng: np.random.Generator) -> None:
    for _ in range(50):
        L = int(rng.integers(1, 8))
        px = 10.0 + np.cumsum(rng.uniform(0.01, 0.05, L))
        sz = rng.integers(0, 300, L).astype(float)
        px = np.where(sz > 0, px, np.nan)
        mid = 9.99
        depth = sz.sum()
        for q in rng.uniform(0, 1.5 * depth + 1, 5):
            f, c, notional = walk_fill(px, sz, mid, q, "buy")
            assert f == pytest.approx(min(q, depth))
            if q <= depth and depth > 0:
                ref = walk_cost(px[None, :], sz[None, :], [mid], [q], "buy").cost[0, 0]
                assert c == pytest.approx(ref, abs=1e-9)
            if f > 0:
                assert notional / f >= np.nanmin(px) - 1e-12


def test_realised_cost_is_the_book_walk_not_a_model() -> None:
    book = _book(10, level=100.0)
    res = simulate(book, TWAP(), 1000, SimConfig(session=None))
    f = res.fills
    ask, sz, mid = np.asarray(book.ask_px), np.asarray(book.ask_sz), np.asarray(book.mid)
    ref = walk_cost(ask, sz, mid, [100.0], "buy").cost[:, 0]
    assert_allclose(f["cost_vs_mid"], ref, rtol=1e-12)
    assert res.cost == pytest.approx(ref.sum())
    assert_allclose(f["avg_price"], mid + ref / 100.0, rtol=1e-12)
    # against the arrival mid: the same fills, priced from mid_0
    assert res.cost_vs_arrival == pytest.approx(np.sum((f["avg_price"] - mid[0]) * 100.0))
    assert res.shortfall_bps == pytest.approx(1e4 * res.shortfall / (1000 * mid[0]))


def test_overflow_carry_and_drop() -> None:
    book = _book(10, level=10.0)  # 50 shares of visible depth per minute
    S = 1000  # TWAP asks 100 a minute: half of every child order does not fill
    carry = simulate(
        book,
        TWAP(),
        S,
        SimConfig(overflow="carry", lot=1, session=None, at_close="report_unfilled"),
    )
    drop = simulate(
        book, TWAP(), S, SimConfig(overflow="drop", lot=1, session=None, at_close="report_unfilled")
    )
    assert carry.fills["requested"].iloc[1] > 100  # the shortfall is sent again
    assert drop.fills["requested"].iloc[1] == 100
    assert drop.fills["dropped"].sum() == 500 and drop.unfilled == 500
    assert carry.unfilled == S - carry.filled == carry.fills["remaining"].iloc[-1]
    assert carry.events_of("close")
    forced = simulate(book, TWAP(), S, SimConfig(overflow="carry", lot=1, session=None))
    assert forced.unfilled == 0
    assert forced.fills["beyond_depth"].iloc[-1] > 0
    assert forced.events_of("forced")
    assert "extrapolated" in forced.report()


def test_crossed_and_empty_books_mid_run_do_not_crash() -> None:
    base = _book(30, level=100.0)
    bp, ap = np.array(base.bid_px), np.array(base.ask_px)
    bs, as_ = np.array(base.bid_sz), np.array(base.ask_sz)
    bp[10, 0] = ap[10, 0] + 0.05  # crossed
    ap[15], as_[15] = np.nan, 0.0  # no asks
    bp[20], ap[20], bs[20], as_[20] = np.nan, np.nan, 0.0, 0.0  # empty
    ap[29], as_[29] = np.nan, 0.0  # the close itself has no asks
    book = BookSeries(
        "BAD", base.ts, bp, ap, bs, as_, trades=base.trades, minutes=np.asarray(base.ts)
    )
    for policy in (TWAP(), Adaptive(), PerfectForesightOracle(book), POV(rate=0.005)):
        res = simulate(book, policy, 600, SimConfig(lot=1))
        st_ = res.fills["status"]
        assert st_.iloc[10] == "skipped:crossed"
        assert st_.iloc[15] == "skipped:empty" and st_.iloc[20] == "skipped:empty"
        if res.fills["remaining"].iloc[28] > 0:  # shares left for the close: forced
            assert st_.iloc[29] == "forced_on_last_valid:empty"
        assert res.filled + res.unfilled == 600 and res.unfilled == 0
        assert {e.period for e in res.events_of("skipped")} >= {10, 15, 20}
        assert res.fills.loc[[10, 15, 20], "filled"].sum() == 0
    twap = simulate(book, TWAP(), 600, SimConfig(lot=1))
    assert twap.fills["requested"].iloc[11] == 40  # the skipped minute's 20 shares follow


def test_all_books_bad_raises() -> None:
    base = _book(5)
    nan = np.full_like(np.asarray(base.ask_px), np.nan)
    zero = np.zeros_like(nan)
    book = BookSeries("X", base.ts, nan, nan, zero, zero, minutes=np.asarray(base.ts))
    with pytest.raises(DataError, match="no period has a valid"):
        simulate(book, TWAP(), 100)


def test_permanent_and_transient_impact_shift_later_books() -> None:
    book = _book(20, level=1000.0)
    plain = simulate(book, TWAP(), 2000, SimConfig(session=None))
    perm = simulate(book, TWAP(), 2000, SimConfig(session=None, permanent_impact=1e-4))
    trans = simulate(
        book, TWAP(), 2000, SimConfig(session=None, transient_impact=1e-4, transient_half_life=2.0)
    )
    # the walk against each period's (shifted) mid is unchanged; the price paid is not
    assert perm.cost == pytest.approx(plain.cost)
    assert perm.cost_vs_arrival > plain.cost_vs_arrival
    shift = perm.fills["mid"].to_numpy() - np.asarray(book.mid)
    assert_allclose(shift, 1e-4 * 100 * np.arange(20), atol=1e-9)
    assert plain.cost_vs_arrival < trans.cost_vs_arrival < perm.cost_vs_arrival
    sell = simulate(book, TWAP(), 2000, SimConfig(session=None, side="sell", permanent_impact=1e-4))
    assert sell.fills["mid"].iloc[-1] < float(book.mid[-1])


def test_inputs_are_checked() -> None:
    book = _book(5)
    with pytest.raises(InputError, match="multiple of the lot"):
        simulate(book, TWAP(), 10.5, SimConfig(lot=1, session=None))
    with pytest.raises(InputError):
        simulate(book, TWAP(), -5)
    with pytest.raises(InputError):
        SimConfig(overflow="keep")  # type: ignore[arg-type]

    class Bad:
        name = "nan"

        def decide(self, state: MarketState) -> float:
            return float("nan")

    with pytest.raises(InputError, match="NaN"):
        simulate(book, Bad(), 100, SimConfig(session=None))


def test_latency_recorded_for_every_decision() -> None:
    res = simulate(_book(25), Adaptive(), 800, SimConfig(session=None))
    lat = res.fills["latency_s"]
    called = res.fills["status"] == "ok"
    assert lat[called].notna().all() and (lat[called] > 0).all()
    s = res.summary()
    assert s["decisions"] == int(called.sum())
    assert s["latency_p50_ms"] <= s["latency_p99_ms"]


# ----------------------------------------------------------------------------- real data
def _frog() -> Path:
    root = find_data_root(Path(__file__).resolve().parent.parent)
    path = None if root is None else root / "mbp10" / "FROG_2025-04-03.csv.gz"
    if path is None or not path.is_file():
        pytest.skip("real FROG data not found (set EXECOPT_DATA or provide ../shared/data)")
    return path


@pytest.mark.data
def test_reference_measurement_on_real_frog_day() -> None:
    from execopt.data import read_book

    book = read_book(_frog())
    twap = simulate(book, TWAP(), 5000)
    oracle = simulate(book, PerfectForesightOracle(book), 5000)
    assert len(twap.fills) == 390 and twap.session.startswith("regular session")
    assert twap.cost == pytest.approx(FROG_TWAP_5000, abs=0.005)
    assert oracle.cost == pytest.approx(FROG_ORACLE_5000, abs=0.01)  # $55.945
    assert twap.fill_rate == pytest.approx(1.0) and oracle.fill_rate == pytest.approx(1.0)
    assert twap.fills["beyond_depth"].sum() == 0
