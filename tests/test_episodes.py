"""Episodes: planning on the minute grid, only earlier data, identical results for any worker
count, the parts of the shortfall, and the risk-adjusted statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from execopt.data import BookSeries, synthetic_book, synthetic_days
from execopt.data.grid import build_grid
from execopt.errors import DataError, InputError
from execopt.execution import SimConfig, simulate
from execopt.execution.episodes import day_contexts, plan_episodes, run_episode
from execopt.execution.state import MarketState
from execopt.execution.tca import SHORTFALL_PARTS
from execopt.studies.episodes import (
    ORACLE_LABEL,
    EpisodeConfig,
    block_bootstrap_indices,
    run_episodes,
)
from execopt.studies.parallel import ParallelConfig

DAY = np.datetime64("2025-04-03T13:30", "ns")
MIN = np.timedelta64(60 * 10**9, "ns")


@pytest.fixture(scope="module")
def two_days() -> BookSeries:
    return synthetic_days("FROG", 2, seed=7, periods=120, events_per_minute=8)


# ----------------------------------------------------------------------------- planning
def test_plan_on_partial_days_and_strides() -> None:
    ts = np.concatenate(
        [DAY + np.arange(210) * MIN, DAY + np.timedelta64(1, "D") + np.arange(50) * MIN]
    )
    grid = build_grid(ts)
    specs, days = plan_episodes(grid, episodes=5, horizon=60, sizes=(100.0, 200.0))
    assert [d["minutes"] for d in days] == [210, 50]
    assert days[1]["starts"] == 0 and "shorter than the horizon" in days[1]["note"]
    assert len(specs) == 5 * 2 and {s.day for s in specs} == {0}
    assert sorted({s.start for s in specs}) == [0, 38, 75, 112, 150]
    rolling, _ = plan_episodes(grid, episodes=None, horizon=60, stride=30)
    assert [s.start for s in rolling] == [0, 30, 60, 90, 120, 150]
    capped, d2 = plan_episodes(grid, episodes=50, horizon=60, stride=30)
    assert len(capped) == 6 and "room for 6 start(s) of 50" in d2[0]["note"]
    everyone, _ = plan_episodes(grid, episodes=None, horizon=200)
    assert [s.start for s in everyone] == list(range(11))
    with pytest.raises(DataError, match="shorter than the horizon"):
        plan_episodes(grid, episodes=3, horizon=300)
    for bad in ({"horizon": 0}, {"episodes": 0}, {"stride": -1}, {"sizes": ()},
                {"sizes": (-5,)}, {"sides": ("up",)}, {"horizon": 2.5}):  # fmt: skip
        kw = {"episodes": 3, "horizon": 60, **bad}
        with pytest.raises(InputError):
            plan_episodes(grid, **kw)  # type: ignore[arg-type]


def test_a_missing_minute_is_not_a_start() -> None:
    keep = np.r_[0:40, 70:200]  # minutes 40-69 silent: 30 missing minutes
    grid = build_grid(DAY + keep * MIN + np.timedelta64(5, "s"))
    assert grid.n_missing == 30
    specs, _ = plan_episodes(grid, episodes=None, horizon=30, stride=10)
    assert [s.start for s in specs] == [
        0,
        10,
        20,
        30,
        70,
        80,
        90,
        100,
        110,
        120,
        130,
        140,
        150,
        160,
        170,
    ]


# ----------------------------------------------------------------------------- only earlier data
class _Spy:
    """Records what the policy may see at each decision."""

    name = "spy"

    def __init__(self) -> None:
        self.seen: list[tuple[int, int, np.datetime64, int]] = []

    def decide(self, state: MarketState) -> float:
        h = state.history
        px, _, _ = h.window(10_000, state.side)
        prev = h.previous
        last_prev = np.asarray(prev.minutes)[-1] if prev is not None else np.datetime64("NaT")
        self.seen.append((state.t, px.shape[0], last_prev, h.mid.shape[0]))
        return state.remaining / state.periods_left


def test_each_episode_sees_only_earlier_data(two_days: BookSeries) -> None:
    snaps = two_days.minute_snapshots()
    ctxs = day_contexts(snaps)
    assert ctxs[0].previous is None and ctxs[1].previous is not None
    first_of_day1 = np.asarray(ctxs[1].snaps.minutes)[0]
    assert np.asarray(ctxs[1].previous.minutes)[-1] < first_of_day1
    assert len(ctxs[1].previous.trades) and ctxs[1].previous.trades.ts[-1] < first_of_day1
    ctx, s, H = ctxs[1], 40, 30
    window = ctx.snaps.take(slice(s, s + H))
    spy = _Spy()
    res = simulate(window, spy, 300.0, SimConfig(), previous=ctx.previous,
                   earlier=ctx.snaps.take(slice(0, s)))  # fmt: skip
    for t, seen, last_prev, own in spy.seen:
        assert seen == s + t + 1 and own == t + 1  # the day's minutes up to now, nothing later
        assert last_prev < first_of_day1
    assert res.arrival_mid == pytest.approx(float(ctx.market_mid[s]))


def test_rows_arrival_and_parts(two_days: BookSeries) -> None:
    snaps = two_days.minute_snapshots()
    ctxs = day_contexts(snaps)
    specs, _ = plan_episodes(snaps.minute_grid(), episodes=3, horizon=30, sides=("buy", "sell"))
    rows = pd.DataFrame(
        [r for sp in specs for r in run_episode(ctxs[sp.day], sp, ["twap", "oracle"], SimConfig())]
    )
    assert len(rows) == len(specs) * 2
    for _, r in rows.iterrows():
        assert r["arrival_mid"] == pytest.approx(float(ctxs[r["day"]].market_mid[r["start_index"]]))
        parts = sum(r[k] for k in SHORTFALL_PARTS)
        assert parts == pytest.approx(r["shortfall"], abs=1e-9)
    assert set(rows["start"]) >= {"09:30"}
    with pytest.raises(InputError, match="unknown policy"):
        run_episode(ctxs[0], specs[0], ["nope"], SimConfig())


# ----------------------------------------------------------------------------- the study
@pytest.mark.slow  # a study on a 2-worker Dask cluster, in its small (fast) size
def test_identical_whatever_the_worker_count(two_days: BookSeries) -> None:
    cfg = EpisodeConfig(
        episodes=3, horizon=30, sizes=(800.0,), sides=("buy", "sell"),
        policies=("twap", "static", "adaptive", "oracle"), n_boot=50, chunk_size=2,
    )  # fmt: skip
    one = run_episodes(two_days, cfg, ParallelConfig(workers=1))
    two = run_episodes(two_days, cfg, ParallelConfig(workers=2))
    clocks = [c for c in one.rows.columns if c.startswith("latency")]
    pd.testing.assert_frame_equal(one.rows.drop(columns=clocks), two.rows.drop(columns=clocks))
    pd.testing.assert_frame_equal(one.savings, two.savings)
    pd.testing.assert_frame_equal(one.pairs, two.pairs)
    assert two.timings["where"].startswith("dask LocalCluster")
    assert one.n_episodes == 2 * 3 * 2


@pytest.mark.slow  # the risk-adjusted statistics on a fast-sized study
def test_statistics(two_days: BookSeries) -> None:
    cfg = EpisodeConfig(
        episodes=6, horizon=30, stride=10, sizes=(2000.0,),
        policies=("static", "adaptive", "oracle"), ac_urgencies=(0.5, 4.0), n_boot=200,
        history=False,
    )  # fmt: skip
    st = run_episodes(two_days, cfg, ParallelConfig(workers=1))
    assert list(st.summary.index) == [
        "twap",
        "static",
        "adaptive",
        "oracle",
        "ac(u=0.5)",
        "ac(u=4)",
    ]
    assert st.summary.loc["oracle", "label"] == ORACLE_LABEL
    sv = st.savings
    # without earlier days static plans an equal split on one flat forecast: TWAP's orders
    assert sv.loc["static", "mean_bps"] == 0.0 and np.isnan(sv.loc["static", "sharpe"])
    assert sv.loc["static", "p"] == 1.0
    assert sv.loc["adaptive", "block"] == 3  # 30-minute windows, starts 10 minutes apart
    for label in ("adaptive", "oracle"):
        r = sv.loc[label]
        assert r["mean_bps_lo"] <= r["mean_bps"] <= r["mean_bps_hi"]
        assert np.isfinite(r["mean_bps_days_lo"])  # two days: the day bootstrap too
        assert r["max_drawdown_usd"] >= 0
    # the oracle's cost against each minute's mid (spread + book walk) is the lowest: it
    # minimises that with the books known; its timing is whatever the market did
    cost = st.summary["cost_bps_mean"]
    assert cost["oracle"] <= cost.min() + 1e-9
    f = st.frontier.set_index("policy")
    assert f.loc["oracle", "kind"] == "bound" and not f.loc["oracle", "efficient"]
    assert f.loc["ac(u=4)", "kind"] == "ac" and f["efficient"].any()
    assert len(st.pairs) == 6 * 5 // 2
    doc = st.to_dict()
    dec = doc["policies"]["adaptive"]["shortfall_decomposition"]
    assert set(dec["bps"]) == {*SHORTFALL_PARTS, "total"}
    assert sum(dec["bps"][k] for k in SHORTFALL_PARTS) == pytest.approx(dec["bps"]["total"])
    assert doc["span"]["days"][0]["minutes"] == 120 and "rows" not in doc
    assert len(st.to_dict(rows=True)["rows"]) == len(st.rows)


def test_block_bootstrap_keeps_groups_together() -> None:
    groups = np.repeat(np.arange(10), 3)  # 10 start times, 3 rows each
    reps = block_bootstrap_indices(groups, 4, 20, np.random.default_rng(0))
    for idx in reps:
        assert idx.size == 30
        g = groups[idx].reshape(10, 3)
        assert (g == g[:, :1]).all()  # each start's rows stay together
    assert (
        block_bootstrap_indices(np.zeros(0, np.intp), 3, 2, np.random.default_rng(0))[0].size == 0
    )


def test_config_checks() -> None:
    with pytest.raises(InputError, match="unknown policy"):
        EpisodeConfig(policies=("twap", "magic"))
    with pytest.raises(InputError, match="n_boot"):
        EpisodeConfig(n_boot=-1)
    with pytest.raises(InputError, match="chunk_size"):
        EpisodeConfig(chunk_size=0)
    with pytest.raises(InputError, match="ac_urgencies"):
        EpisodeConfig(ac_urgencies=(-1.0,))
    with pytest.raises(InputError, match="fee"):
        EpisodeConfig(fee=float("nan"))
    assert EpisodeConfig(episodes=50).fast().episodes == 6
    assert EpisodeConfig(policies=("oracle",)).labels() == ["twap", "oracle"]


def test_an_early_close_day() -> None:
    book = synthetic_book("SOUN", seed=2, periods=210, events_per_minute=6)  # 09:30-13:00
    st = run_episodes(
        book, EpisodeConfig(episodes=4, horizon=60, policies=("twap",), n_boot=20),
        ParallelConfig(workers=1),
    )  # fmt: skip
    assert st.span["days"][0]["end"] == "13:00" and st.span["uncovered"][0]["minutes"] == 180
    assert st.rows["start_index"].max() == 150


def test_too_few_independent_hours_give_no_interval() -> None:
    """60 one-hour orders in a 138-minute morning overlap almost entirely: one block of start
    times, so no interval (not a zero-width one)."""
    book = synthetic_book("FROG", seed=5, periods=138, events_per_minute=6)
    st = run_episodes(
        book, EpisodeConfig(episodes=60, horizon=60, policies=("twap", "oracle"), n_boot=50),
        ParallelConfig(workers=1),
    )  # fmt: skip
    r = st.savings.loc["oracle"]
    assert r["blocks"] < 4 and np.isnan(r["mean_bps_lo"]) and np.isnan(r["p"])
    assert np.isfinite(r["mean_bps"]) and np.isnan(st.pairs["ci_lo"]).all()
