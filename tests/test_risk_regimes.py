"""Risk controls (circuit breaker, inventory VaR), GARCH regimes and buffers, and metrics."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from execopt.data import synthetic_book
from execopt.errors import DataError, InputError
from execopt.execution import (
    TWAP,
    Adaptive,
    Buffer,
    CircuitBreaker,
    GarchRegimes,
    InventoryVaR,
    RegimeBuffers,
    RegimeDetector,
    SimConfig,
    compare,
    max_drawdown,
    savings_stats,
    simulate,
)
from execopt.execution.regimes import arch_scale

SPIKE = (40, 60, 6.0)  # spread x6 in minutes [40, 60): ~50-150 bp against ~10-30 bp outside


@pytest.fixture(scope="module")
def spiky():  # type: ignore[no-untyped-def]
    return synthetic_book("FROG", seed=0, periods=120, events_per_minute=10, spread_spike=SPIKE)


def test_circuit_breaker_fires_on_spread_spike_and_report_says_so(spiky) -> None:  # type: ignore[no-untyped-def]
    breaker = CircuitBreaker(max_spread_bps=45.0, resume_after=3)
    res = simulate(spiky, TWAP(), 1200, SimConfig(session=None, lot=1), breaker=breaker)
    halts, resumes = res.events_of("halt"), res.events_of("resume")
    assert [e.period for e in halts] == [40]
    assert "spread" in halts[0].detail
    assert resumes and resumes[0].period == 62  # 3 calm minutes after the spike
    status = res.fills["status"]
    assert (status.iloc[40:62] == "halted").all() and (status.iloc[:40] == "ok").all()
    assert res.fills["filled"].iloc[40:62].sum() == 0
    assert res.summary()["halted_periods"] == 22
    text = res.report()
    assert "circuit breaker: 1 halt(s), 22 period(s) halted" in text and "spread" in text
    assert res.filled == 1200  # the halted shares are caught up afterwards
    assert res.fills["requested"].iloc[62] > 10
    row = compare({"twap": res}).loc["twap"]
    assert row["halted_periods"] == 22


def test_halt_at_the_close_release_or_hold() -> None:
    book = synthetic_book(
        "FROG", seed=1, periods=60, events_per_minute=10, spread_spike=(50, 60, 8.0)
    )
    cfg = SimConfig(session=None, lot=1)
    release = simulate(book, TWAP(), 600, cfg, breaker=CircuitBreaker(max_spread_bps=60.0))
    assert release.unfilled == 0 and release.fills["status"].iloc[-1] == "ok"
    assert "released at the close" in release.events_of("resume")[-1].detail
    hold = simulate(
        book, TWAP(), 600, cfg, breaker=CircuitBreaker(max_spread_bps=60.0, at_close="hold")
    )
    assert hold.unfilled == 100 and hold.events_of("close")
    assert "left unfilled at the close" in hold.report()


def test_band_and_volatility_triggers() -> None:
    book = synthetic_book(
        "FROG", seed=2, periods=120, events_per_minute=10, volatility_regimes=[(60, 8.0)]
    )
    vol = simulate(
        book,
        TWAP(),
        1200,
        SimConfig(session=None),
        breaker=CircuitBreaker(max_volatility_bps=40.0, vol_window=5),
    )
    first = vol.events_of("halt")[0]
    assert first.period >= 60 and "realised volatility" in first.detail
    band = simulate(
        book, TWAP(), 1200, SimConfig(session=None), breaker=CircuitBreaker(band_bps=1.0)
    )
    assert band.events_of("halt") and "from arrival" in band.events_of("halt")[0].detail
    with pytest.raises(InputError):
        CircuitBreaker(max_spread_bps=-1.0)


def test_inventory_var_forces_a_minimum_trade(spiky) -> None:  # type: ignore[no-untyped-def]
    res = simulate(
        spiky, TWAP(), 5000, SimConfig(session=None), var_limit=InventoryVaR(limit=100.0)
    )
    floors = res.events_of("var_floor")
    assert floors and floors[0].period <= 5
    # the floor keeps z sigma R under the limit after the first forced trades
    assert res.fills["requested"].iloc[floors[0].period] > 5000 / 120


# ----------------------------------------------------------------------------- GARCH
def _simulate_garch(
    n: int, omega: float, alpha: float, beta: float, rng: np.random.Generator
) -> np.ndarray:
    r = np.empty(n)
    s2 = omega / (1 - alpha - beta)
    for i in range(n):
        r[i] = np.sqrt(s2) * rng.standard_normal()
        s2 = omega + alpha * r[i] ** 2 + beta * s2
    return r


def test_garch_recovers_known_parameters(rng: np.random.Generator) -> None:
    omega, alpha, beta = 5e-9, 0.1, 0.85  # one-minute returns of ~3e-4
    r = _simulate_garch(4000, omega, alpha, beta, rng)
    g = GarchRegimes().fit(r)
    assert g.source_ == "arch" and g.converged_
    assert arch_scale(r) == 1e4  # basis points: arch's variance check passes
    assert g.alpha_ == pytest.approx(alpha, abs=0.04)
    assert g.beta_ == pytest.approx(beta, abs=0.06)
    assert g.long_run_vol_ == pytest.approx(np.sqrt(omega / (1 - alpha - beta)), rel=0.2)


def test_filter_is_causal_and_flags_high_volatility(rng: np.random.Generator) -> None:
    calm = _simulate_garch(1500, 5e-9, 0.1, 0.85, rng)  # clustered, long-run sd ~3e-4
    wild = 2e-3 * rng.standard_normal(60)
    r = np.r_[calm[-300:], wild]
    g = GarchRegimes().fit(calm)
    assert g.alpha_ > 0.03
    vol = g.filter(r)
    vol2 = g.filter(np.r_[r[:200], 10 * r[200:]])
    assert_allclose(vol[:201], vol2[:201])  # the future does not move the past
    labels = g.classify(vol)
    assert np.mean(labels[310:] == "high") > 0.8
    assert np.mean(labels[50:300] == "high") < 0.25
    assert g.regime(r) == "high"
    with pytest.raises(DataError):
        GarchRegimes().fit(np.zeros(50))


def test_detector_uses_cautious_buffer_until_warm(rng: np.random.Generator) -> None:
    det = RegimeDetector(warmup=20)
    det.reset()
    r = 1e-4 * rng.standard_normal(10)
    assert det.update(10, r) == "high"
    r = np.r_[1e-4 * rng.standard_normal(150)]
    assert det.update(150, r) in ("low", "normal")
    prev = _simulate_garch(1000, 5e-9, 0.1, 0.85, rng)
    det.reset(prev)  # fitted once on earlier days
    assert det.model.source_ == "arch"
    assert det.update(3, np.r_[5e-3, 5e-3, 5e-3]) == "high"


def test_buffers_and_adaptive_regimes() -> None:
    buf = RegimeBuffers()
    assert buf["high"].cap_scale < buf["normal"].cap_scale < buf["low"].cap_scale
    assert buf["high"].reestimate_every < buf["normal"].reestimate_every
    with pytest.raises(InputError):
        buf["extreme"]
    with pytest.raises(InputError):
        Buffer(1.0, 1.5, 5)
    book = synthetic_book(
        "FROG", seed=5, periods=120, events_per_minute=10, volatility_regimes=[(80, 6.0)]
    )
    pol = Adaptive()
    res = simulate(book, pol, 2000, SimConfig(session=None))
    assert res.info["regime_high"] >= 20  # the warm-up minutes, at least
    assert "high" in pol.regime_log[80:]
    off = Adaptive(regimes=False)
    simulate(book, off, 2000, SimConfig(session=None))
    assert off.regime_log == []


# ----------------------------------------------------------------------------- metrics
def test_savings_statistics() -> None:
    s = np.array([10.0, -5.0, 20.0, -30.0, 15.0])
    out = savings_stats(s)
    assert out["n"] == 5 and out["total"] == 10.0
    assert out["sharpe"] == pytest.approx(s.mean() / s.std(ddof=1))
    assert out["hit_rate"] == 0.6
    # cumulative 10, 5, 25, -5, 10: peak 25, trough -5
    assert out["max_drawdown"] == 30.0
    assert max_drawdown([1.0, 2.0, 3.0]) == 0.0
    assert max_drawdown([-1.0, -3.0]) == 3.0
    with pytest.raises(InputError):
        savings_stats([])
