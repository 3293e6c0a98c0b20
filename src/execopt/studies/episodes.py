"""Evidence over many episodes: shortfall, its parts, risk, and policy comparisons with intervals.

:func:`run_episodes` plans parent orders inside every day of a book (rolling start times,
sizes, sides; :func:`~execopt.execution.episodes.plan_episodes`), replays each with every
policy on Dask (:mod:`execopt.studies.parallel`: a fixed chunking, results in episode order, so
the table is identical whatever the number of workers), and summarises the tidy table of one
row per episode and policy:

* ``summary``: per policy, the mean and standard deviation of the shortfall and of each part
  (spread, impact, timing, fees, opportunity; basis points of ``S`` times the arrival mid), the
  impact cost against each minute's mid, benchmarks, mark-outs and fill rates;
* ``savings``: per policy, the saving against TWAP on the same episodes (``IS_twap - IS``, > 0:
  cheaper), its mean in basis points and dollars, its Sharpe ratio (mean / sd per episode, not
  annualised) and the maximum drawdown of the cumulative saving in time order, the reference
  framework document's two strategy figures computed from the episodes, each with bootstrap
  intervals;
* ``pairs``: paired tests of every two policies' shortfalls;
* ``frontier``: each policy's mean against its standard deviation of shortfall (and
  Almgren–Chriss over a range of urgencies when asked), with the efficient ones marked.

**Intervals.** Episodes that overlap in time share their market moves, so they are not
independent draws. Intervals resample *blocks* of consecutive start times (a circular block
bootstrap over the day's start times, block length the number of starts whose windows overlap,
``ceil(H / stride)``, every size and side of a start kept together), and, when the run has two
or more days, whole *days* (a cluster bootstrap), reported side by side. With fewer than
:data:`MIN_BLOCKS` independent blocks (a short day: 60 one-hour orders in a 138-minute
morning overlap almost entirely) no interval over start times is given (NaN): the data hold
too few independent hours to say how much the mean would vary. Paired tests give the
block-bootstrap p-value, the naive paired t-test (labelled: it assumes independent episodes) and,
with three or more days, a t-test on the days' mean differences.

**The oracle** minimises the impact cost with every book of its window known in advance: an
impact-only bound. It ignores the drift, so its shortfall can be worse than TWAP's (it may wait
for cheap books while the price runs away); it is labelled so and kept out of the frontier's
efficient set.

Glossary: ``IS`` implementation shortfall (bp of ``S`` times the arrival mid), ``H`` horizon.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from execopt.data.book import BookSeries
from execopt.data.grid import DEFAULT_MAX_GAP
from execopt.errors import DataError, InputError
from execopt.execution.episodes import (
    DayContext,
    EpisodeSpec,
    day_contexts,
    plan_episodes,
    run_episode,
)
from execopt.execution.metrics import max_drawdown
from execopt.execution.policies import POLICIES
from execopt.execution.simulator import SimConfig
from execopt.execution.tca import MARKOUT_HORIZONS, SHORTFALL_PARTS
from execopt.impact.fees import PerShareFee
from execopt.impact.transient import Kernel
from execopt.studies.parallel import ParallelConfig, RunStats, map_chunks

__all__ = [
    "ORACLE_LABEL",
    "EpisodeConfig",
    "EpisodeStudy",
    "block_bootstrap_indices",
    "run_episodes",
    "summarise",
]

FloatArray = NDArray[np.float64]

#: How the oracle is named wherever a person reads it.
ORACLE_LABEL = "oracle (impact-only bound)"
#: Confidence level of every interval.
CI_LEVEL = 0.95
#: Fewest independent blocks (start times / block length) an interval over start times needs:
#: with fewer, resampled blocks mostly repeat the sample itself (with one block every replicate is
#: the sample in another order, a zero-width "interval"), so no interval is given.
MIN_BLOCKS = 4.0
#: Paired differences of shortfall below this many basis points are rounding (two policies that
#: sent the same orders), counted as exact ties.
TIE_ATOL_BPS = 1e-9

#: The policies that plan with the simulated own impact when ``plan_own_impact`` is set.
PLANNERS = ("static", "adaptive")


@dataclass(frozen=True)
class EpisodeConfig:
    """What to run: the episodes, the policies, the simulator and the statistics (immutable).

    Parameters
    ----------
    episodes : int or None
        ``K``, start times per day (None: every ``stride`` minutes, or every minute).
    horizon : int
        ``H``, minutes each order has.
    stride : int or None
        Minutes between start times (default: ``K`` starts spread over the day).
    sizes : tuple of float
        Order sizes, shares.
    sides : tuple of str
        ``"buy"``, ``"sell"`` or both.
    policies : tuple of str
        Policy names (:data:`~execopt.execution.policies.POLICIES`); TWAP is added when missing
        (the savings need it).
    ac_urgencies : tuple of float
        Almgren–Chriss urgencies (``kappa H``) to add as policies ``ac(u=...)`` for the frontier.
    overflow, at_close, lot
        The simulator's rules (:class:`~execopt.execution.SimConfig`).
    fee : float
        Taker fee, dollars per share (negative: a rebate), charged on every fill through
        :class:`~execopt.impact.PerShareFee`. Every child order is marketable, so the taker
        side of a maker/taker schedule is the one that applies.
    permanent_impact, transient_impact : float
        Simulated own impact (synthetic mode; 0 for a pure replay).
    transient : Kernel or None
        Simulated own transient impact with this kernel (a calibrated propagator,
        :func:`execopt.impact.fitjson.read_propagator`); overrides ``transient_impact``.
    plan_own_impact : bool
        The static and adaptive policies plan with the simulated own impact (``transient`` and
        ``permanent_impact`` as their ``transient=`` and ``permanent=``); False: they plan
        without it and only the market responds.
    drift : float
        Simulated drift of the mid, dollars per share per minute (0 for a pure replay).
    history : bool
        Give each day's episodes the earlier days of the run as history.
    n_boot : int
        Bootstrap replicates of every interval.
    seed : int
        Seed of the bootstrap (the episodes themselves are deterministic).
    chunk_size : int
        Episodes per Dask task (fixed: results do not depend on the workers).
    markout_horizons : tuple of int
        Minutes.
    max_gap : int or None
        The minute grid's longest carried silence (:mod:`execopt.data.grid`).
    """

    episodes: int | None = 20
    horizon: int = 60
    stride: int | None = None
    sizes: tuple[float, ...] = (5_000.0,)
    sides: tuple[str, ...] = ("buy",)
    policies: tuple[str, ...] = ("twap", "static", "adaptive", "oracle")
    ac_urgencies: tuple[float, ...] = ()
    overflow: str = "carry"
    at_close: str = "force"
    lot: float | None = None
    fee: float = 0.0
    permanent_impact: float = 0.0
    transient_impact: float = 0.0
    transient: Kernel | None = None
    plan_own_impact: bool = False
    drift: float = 0.0
    history: bool = True
    n_boot: int = 1000
    seed: int = 0
    chunk_size: int = 10
    markout_horizons: tuple[int, ...] = MARKOUT_HORIZONS
    max_gap: int | None = DEFAULT_MAX_GAP

    def __post_init__(self) -> None:
        unknown = [p for p in self.policies if p not in POLICIES]
        if unknown or not self.policies:
            raise InputError(
                f"unknown policy {', '.join(unknown) or '(none)'}; choose from "
                f"{', '.join(POLICIES)}."
            )
        if isinstance(self.n_boot, bool) or not isinstance(self.n_boot, int) or self.n_boot < 0:
            raise InputError(f"n_boot must be a whole number >= 0, got {self.n_boot!r}.")
        if isinstance(self.chunk_size, bool) or not isinstance(self.chunk_size, int):
            raise InputError(f"chunk_size must be a whole number >= 1, got {self.chunk_size!r}.")
        if self.chunk_size < 1:
            raise InputError(f"chunk_size must be >= 1, got {self.chunk_size}.")
        for u in self.ac_urgencies:
            if not (math.isfinite(u) and u >= 0):
                raise InputError(f"ac_urgencies must be finite and >= 0, got {u}.")
        if not math.isfinite(self.fee):
            raise InputError(f"fee must be finite (dollars per share), got {self.fee}.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the kernel by its own ``to_dict``)."""
        d = {f: getattr(self, f) for f in self.__dataclass_fields__}
        d["transient"] = None if self.transient is None else self.transient.to_dict()
        return d

    def fast(self) -> EpisodeConfig:
        """CI-sized: a handful of episodes, 200 replicates."""
        return replace(self, episodes=min(self.episodes or 6, 6), n_boot=200)

    def labels(self) -> list[str]:
        """The policy labels of the table: the policies (TWAP first), then ``ac(u=...)``."""
        names = list(dict.fromkeys(("twap", *self.policies)))
        return names + [f"ac(u={u:g})" for u in self.ac_urgencies]

    def policy_options(self) -> dict[str, dict[str, Any]]:
        """Constructor options per label (the Almgren–Chriss urgencies; the own impact of the
        planning policies when ``plan_own_impact``).
        """
        opts: dict[str, dict[str, Any]] = {
            f"ac(u={u:g})": {"policy": "ac", "urgency": float(u)} for u in self.ac_urgencies
        }
        if self.plan_own_impact and (self.transient is not None or self.permanent_impact > 0):
            for name in PLANNERS:
                if name in self.policies:
                    opts[name] = {
                        "policy": name,
                        "transient": self.transient,
                        "permanent": self.permanent_impact,
                    }
        return opts

    def sim_config(self) -> SimConfig:
        return SimConfig(
            overflow=self.overflow,  # type: ignore[arg-type]
            at_close=self.at_close,  # type: ignore[arg-type]
            lot=self.lot,
            costs=PerShareFee(self.fee) if self.fee else None,
            permanent_impact=self.permanent_impact,
            transient_impact=self.transient_impact,
            transient=self.transient,
            drift=self.drift,
            max_gap=self.max_gap,
        )


@dataclass(frozen=True)
class _Shared:
    contexts: tuple[DayContext, ...]
    labels: tuple[str, ...]
    sim: SimConfig
    options: dict[str, dict[str, Any]]
    horizons: tuple[int, ...]


def _run_chunk(shared: _Shared, specs: Sequence[EpisodeSpec]) -> list[dict[str, Any]]:
    """Every episode of one chunk, every policy (runs on a worker)."""
    rows: list[dict[str, Any]] = []
    for spec in specs:
        rows += run_episode(
            shared.contexts[spec.day],
            spec,
            shared.labels,
            shared.sim,
            policy_options=shared.options,
            horizons=shared.horizons,
        )
    return rows


@dataclass(frozen=True, eq=False)
class EpisodeStudy:
    """The episodes' table and its summaries (see the module docstring).

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per episode and policy (:func:`~execopt.execution.episodes.episode_row`).
    summary, savings, pairs, frontier : pandas.DataFrame
    config : EpisodeConfig
    span : dict
        The minute grid the episodes ran on (:meth:`MinuteGrid.describe`).
    days : list of dict
        Per day: minutes, starts used and why fewer.
    timings : dict
    """

    rows: pd.DataFrame
    summary: pd.DataFrame
    savings: pd.DataFrame
    pairs: pd.DataFrame
    frontier: pd.DataFrame
    config: EpisodeConfig
    span: dict[str, Any]
    days: list[dict[str, Any]]
    timings: dict[str, Any] = field(default_factory=dict)

    @property
    def n_episodes(self) -> int:
        return int(self.rows["episode"].nunique()) if len(self.rows) else 0

    def to_dict(self, *, rows: bool = False) -> dict[str, Any]:
        """JSON-ready. Per policy under ``policies``: the summary, the saving against TWAP and a
        ``shortfall_decomposition`` (mean of each part and of the total, dollars and bp).
        """
        pol: dict[str, Any] = {}
        for label, s in self.summary.iterrows():
            sub = self.rows[self.rows["policy"] == label]
            decomposition = {
                "bps": {k: float(sub[f"{k}_bps"].mean()) for k in SHORTFALL_PARTS},
                "dollars": {k: float(sub[k].mean()) for k in SHORTFALL_PARTS},
            }
            decomposition["bps"]["total"] = float(sub["shortfall_bps"].mean())
            decomposition["dollars"]["total"] = float(sub["shortfall"].mean())
            entry = {k: _json(v) for k, v in s.items()}
            entry["shortfall_decomposition"] = decomposition
            if label in self.savings.index:
                sv = self.savings.loc[str(label)]
                entry["savings_vs_twap"] = {str(k): _json(v) for k, v in sv.items()}
            pol[str(label)] = entry
        out = {
            "study": "episodes",
            "config": self.config.to_dict(),
            "episodes": self.n_episodes,
            "span": self.span,
            "days": self.days,
            "policies": pol,
            "pairs": [{k: _json(v) for k, v in r.items()} for r in self.pairs.to_dict("records")],
            "frontier": [
                {k: _json(v) for k, v in r.items()} for r in self.frontier.to_dict("records")
            ],
            "timings": self.timings,
        }
        if rows:
            out["rows"] = [
                {k: _json(v) for k, v in r.items()} for r in self.rows.to_dict("records")
            ]
        return out


def _json(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        return float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _chunks(specs: list[EpisodeSpec], size: int) -> list[list[EpisodeSpec]]:
    """Fixed chunks of at most ``size`` episodes, never across days (one context a task)."""
    out: list[list[EpisodeSpec]] = []
    for s in specs:
        if out and len(out[-1]) < size and out[-1][-1].day == s.day:
            out[-1].append(s)
        else:
            out.append([s])
    return out


def run_episodes(
    book: BookSeries,
    config: EpisodeConfig | None = None,
    parallel: ParallelConfig | None = None,
    *,
    client: Any = None,
) -> EpisodeStudy:
    """Plan, replay and summarise episodes on every day of ``book``.

    Parameters
    ----------
    book : BookSeries
        One or several days (event-level or per-minute); its minute grid (regular session,
        covered minutes only) holds the episodes.
    config : EpisodeConfig, optional
    parallel : ParallelConfig, optional
        Default: one worker per core on a local Dask cluster; ``workers=1`` in process.
    client : dask.distributed.Client, optional

    Returns
    -------
    EpisodeStudy

    Examples
    --------
    >>> from execopt.data import synthetic_book
    >>> from execopt.studies import ParallelConfig
    >>> book = synthetic_book("FROG", seed=0, periods=120)
    >>> cfg = EpisodeConfig(episodes=4, horizon=30, policies=("twap", "static"), n_boot=50)
    >>> st = run_episodes(book, cfg, ParallelConfig(workers=1))
    >>> st.n_episodes, sorted(st.summary.index)
    (4, ['static', 'twap'])
    >>> r = st.rows
    >>> bool(abs((r[["spread", "impact", "timing", "fees", "opportunity"]].sum(axis=1)
    ...           - r["shortfall"]).max()) < 1e-9)
    True
    """
    config = config or EpisodeConfig()
    parallel = parallel or ParallelConfig()
    t0 = perf_counter()
    try:
        snaps = book.minute_snapshots(max_gap=config.max_gap)
    except DataError:  # no book state in the regular session: the data's own span
        snaps = book.minute_snapshots(session=None, max_gap=config.max_gap)
    grid = snaps.minute_grid()
    specs, days = plan_episodes(
        grid,
        episodes=config.episodes,
        horizon=config.horizon,
        stride=config.stride,
        sizes=config.sizes,
        sides=config.sides,
    )
    contexts = tuple(day_contexts(snaps, history=config.history))
    labels = tuple(config.labels())
    shared = _Shared(
        contexts, labels, config.sim_config(), config.policy_options(),
        tuple(config.markout_horizons),
    )  # fmt: skip
    chunks = _chunks(specs, config.chunk_size)
    stats = RunStats()
    t1 = perf_counter()
    parts = map_chunks(
        _run_chunk, shared, chunks, parallel, client=client, desc="episodes", stats=stats
    )
    t2 = perf_counter()
    rows = pd.DataFrame([r for part in parts for r in part])
    summary, savings, pairs, frontier = summarise(rows, config)
    t3 = perf_counter()
    timings = {
        "prepare": t1 - t0,
        "cluster_start": stats.start,
        "episodes": stats.compute,
        "statistics": t3 - t2,
        "total": t3 - t0,
        "where": stats.where,
        "chunks": stats.chunks,
    }
    return EpisodeStudy(
        rows, summary, savings, pairs, frontier, config, grid.describe(), days, timings
    )


# ---------------------------------------------------------------------------- statistics
def block_bootstrap_indices(
    groups: NDArray[np.intp], block: int, n_boot: int, rng: np.random.Generator
) -> list[NDArray[np.intp]]:
    """Circular block bootstrap over the ordered ``groups`` (start times): each replicate is a
    sequence of row indices made of ``ceil(G / block)`` runs of ``block`` consecutive groups.

    Parameters
    ----------
    groups : ndarray of int, shape (n,)
        Group number of each row, ``0 .. G-1`` in time order (rows of one group stay together).
    block : int
        Groups per block (>= 1).
    n_boot : int
    rng : numpy.random.Generator
    """
    G = int(groups.max()) + 1 if groups.size else 0
    members = [np.flatnonzero(groups == g) for g in range(G)]
    L = max(1, min(int(block), G))
    n_blocks = math.ceil(G / L) if G else 0
    out = []
    for _ in range(n_boot):
        starts = rng.integers(0, G, n_blocks)
        seq = ((starts[:, None] + np.arange(L)[None, :]) % G).ravel()[:G]
        out.append(np.concatenate([members[g] for g in seq]) if G else np.zeros(0, np.intp))
    return out


def _interval(values: FloatArray) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    if v.size < 2:
        return float("nan"), float("nan")
    a = (1.0 - CI_LEVEL) / 2.0
    lo, hi = np.quantile(v, [a, 1.0 - a])
    return float(lo), float(hi)


def _sharpe(d: FloatArray) -> float:
    if d.size < 2:
        return float("nan")
    sd = float(np.std(d, ddof=1))
    return float(np.mean(d) / sd) if sd > 0 else float("nan")


def _block_length(rows: pd.DataFrame, horizon: int) -> int:
    """Starts whose windows overlap: ``ceil(H / median gap between consecutive starts)``."""
    gaps = []
    for _, g in rows.groupby("day"):
        s = np.unique(g["start_index"].to_numpy())
        if s.size > 1:
            gaps.append(np.diff(s))
    if not gaps:
        return 1
    med = float(np.median(np.concatenate(gaps)))
    return max(1, math.ceil(horizon / max(med, 1.0)))


def summarise(
    rows: pd.DataFrame, config: EpisodeConfig
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``summary, savings, pairs, frontier`` of an episodes table (see the module docstring)."""
    labels = [p for p in config.labels() if p in set(rows["policy"])]
    summary = _summary(rows, labels)
    wide_bps = rows.pivot(index="episode", columns="policy", values="shortfall_bps")[labels]
    wide_usd = rows.pivot(index="episode", columns="policy", values="shortfall")[labels]
    meta = (
        rows.drop_duplicates("episode")
        .set_index("episode")
        .loc[wide_bps.index, ["day", "start_index"]]
        .sort_values(["day", "start_index"], kind="stable")
    )
    order = meta.index.to_numpy()
    wide_bps, wide_usd = wide_bps.loc[order], wide_usd.loc[order]
    starts = meta[["day", "start_index"]].to_numpy()
    _, group = np.unique(starts[:, 0] * 10**6 + starts[:, 1], return_inverse=True)
    day = meta["day"].to_numpy()
    rng = np.random.default_rng(np.random.SeedSequence(config.seed))
    block = _block_length(rows, config.horizon)
    n_blocks = (int(group.max()) + 1) / block if group.size else 0.0
    reps = (
        block_bootstrap_indices(group.astype(np.intp), block, config.n_boot, rng)
        if n_blocks >= MIN_BLOCKS
        else []
    )
    day_ids = np.unique(day)
    day_rows = [np.flatnonzero(day == d) for d in day_ids]
    day_reps: list[NDArray[np.intp]] = []
    if day_ids.size >= 2:
        for _ in range(config.n_boot):
            pick = rng.integers(0, day_ids.size, day_ids.size)
            day_reps.append(np.concatenate([day_rows[i] for i in pick]))
    savings = _savings(wide_bps, wide_usd, labels, reps, day_reps, block)
    savings["blocks"] = n_blocks
    pairs = _pairs(wide_bps, labels, reps, day)
    frontier = _frontier(summary, config)
    return summary, savings, pairs, frontier


def _summary(rows: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    cols = [
        "shortfall_bps", *(f"{k}_bps" for k in SHORTFALL_PARTS), "impact_walk_bps",
        "impact_own_bps", "cost_bps", "vs_vwap_bps", "vs_twap_price_bps",
    ]  # fmt: skip
    marks = [c for c in rows.columns if c.startswith("markout_") and c.endswith("_bps")]
    out = {}
    for label in labels:
        g = rows[rows["policy"] == label]
        r: dict[str, Any] = {
            "label": ORACLE_LABEL if label == "oracle" else label,
            "episodes": len(g),
        }
        for c in cols:
            v = g[c].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            r[f"{c}_mean"] = float(v.mean()) if v.size else float("nan")
            r[f"{c}_sd"] = float(v.std(ddof=1)) if v.size > 1 else float("nan")
        for c in marks:
            v = g[c].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            r[f"{c}_mean"] = float(v.mean()) if v.size else float("nan")
        r["shortfall_usd_mean"] = float(g["shortfall"].mean())
        r["fill_rate_mean"] = float(g["fill_rate"].mean())
        r["fill_rate_min"] = float(g["fill_rate"].min())
        r["missing_periods"] = int(g["missing_periods"].sum())
        r["latency_p50_ms"] = float(g["latency_p50_ms"].median())
        r["latency_max_ms"] = float(g["latency_max_ms"].max())
        out[label] = r
    return pd.DataFrame.from_dict(out, orient="index")


def _savings(
    wide_bps: pd.DataFrame,
    wide_usd: pd.DataFrame,
    labels: list[str],
    reps: list[NDArray[np.intp]],
    day_reps: list[NDArray[np.intp]],
    block: int,
) -> pd.DataFrame:
    twap_b = wide_bps["twap"].to_numpy(dtype=float)
    twap_u = wide_usd["twap"].to_numpy(dtype=float)
    out = {}
    for label in labels:
        if label == "twap":
            continue
        d = twap_b - wide_bps[label].to_numpy(dtype=float)  # > 0: cheaper than TWAP
        du = twap_u - wide_usd[label].to_numpy(dtype=float)
        tie = np.abs(d) < TIE_ATOL_BPS
        d[tie], du[tie] = 0.0, 0.0
        r: dict[str, Any] = {
            "label": ORACLE_LABEL if label == "oracle" else label,
            "n": int(d.size),
            "mean_bps": float(d.mean()),
            "sd_bps": float(d.std(ddof=1)) if d.size > 1 else float("nan"),
            "mean_usd": float(du.mean()),
            "hit_rate": float(np.mean(d > 0)),
            "sharpe": _sharpe(d),
            "max_drawdown_usd": max_drawdown(np.cumsum(du)),
            "block": block,
        }
        for tag, rr in (("", reps), ("_days", day_reps)):
            if not rr:
                for k in ("mean_bps", "sharpe", "max_drawdown_usd"):
                    r[f"{k}{tag}_lo"] = r[f"{k}{tag}_hi"] = float("nan")
                r[f"p{tag}"] = float("nan")
                continue
            m = np.array([d[i].mean() for i in rr])
            sh = np.array([_sharpe(d[i]) for i in rr])
            dd = np.array([max_drawdown(np.cumsum(du[i])) for i in rr])
            r[f"mean_bps{tag}_lo"], r[f"mean_bps{tag}_hi"] = _interval(m)
            r[f"sharpe{tag}_lo"], r[f"sharpe{tag}_hi"] = _interval(sh)
            r[f"max_drawdown_usd{tag}_lo"], r[f"max_drawdown_usd{tag}_hi"] = _interval(dd)
            r[f"p{tag}"] = _boot_p(m, float(d.mean()))
        out[label] = r
    return pd.DataFrame.from_dict(out, orient="index")


def _boot_p(replicates: FloatArray, estimate: float) -> float:
    """Two-sided bootstrap p-value of ``mean = 0``: the replicates centred on 0 (shifted by the
    estimate) reaching at least ``|estimate|``.
    """
    r = replicates[np.isfinite(replicates)]
    if r.size == 0:
        return float("nan")
    centred = r - r.mean()
    return float(min(1.0, (np.sum(np.abs(centred) >= abs(estimate)) + 1) / (r.size + 1)))


def _pairs(
    wide: pd.DataFrame, labels: list[str], reps: list[NDArray[np.intp]], day: NDArray[Any]
) -> pd.DataFrame:
    from scipy import stats

    rows = []
    days = np.unique(day)
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            d = wide[a].to_numpy(dtype=float) - wide[b].to_numpy(dtype=float)  # > 0: b cheaper
            d[np.abs(d) < TIE_ATOL_BPS] = 0.0
            m = np.array([d[k].mean() for k in reps]) if reps else np.zeros(0)
            lo, hi = _interval(m) if reps else (float("nan"), float("nan"))
            naive = stats.ttest_1samp(d, 0.0).pvalue if d.size > 1 and d.std() > 0 else np.nan
            p_days = float("nan")
            if days.size >= 3:
                dm = np.array([d[day == x].mean() for x in days])
                if dm.std() > 0:
                    p_days = float(stats.ttest_1samp(dm, 0.0).pvalue)
            rows.append(
                {
                    "a": a,
                    "b": b,
                    "n": int(d.size),
                    "mean_diff_bps": float(d.mean()),
                    "ci_lo": lo,
                    "ci_hi": hi,
                    "p_block_bootstrap": _boot_p(m, float(d.mean())) if reps else float("nan"),
                    "p_naive_t": float(naive),
                    "p_days_t": p_days,
                }
            )
    return pd.DataFrame(rows)


def _frontier(summary: pd.DataFrame, config: EpisodeConfig) -> pd.DataFrame:
    rows = []
    for label, s in summary.iterrows():
        kind = (
            "bound" if label == "oracle" else ("ac" if str(label).startswith("ac(") else "policy")
        )
        rows.append(
            {
                "policy": label,
                "label": s["label"],
                "kind": kind,
                "mean_bps": float(s["shortfall_bps_mean"]),
                "sd_bps": float(s["shortfall_bps_sd"]),
                "impact_mean_bps": float(s["impact_bps_mean"]),
                "timing_sd_bps": float(s["timing_bps_sd"]),
            }
        )
    f = pd.DataFrame(rows)
    real = f["kind"] != "bound"
    eff = []
    for _, r in f.iterrows():
        if r["kind"] == "bound":
            eff.append(False)
            continue
        tol = TIE_ATOL_BPS
        dominated = (
            real
            & (f["mean_bps"] <= r["mean_bps"] + tol)
            & (f["sd_bps"] <= r["sd_bps"] + tol)
            & ((f["mean_bps"] < r["mean_bps"] - tol) | (f["sd_bps"] < r["sd_bps"] - tol))
        )
        eff.append(not bool(dominated.any()))
    f["efficient"] = eff
    return f
