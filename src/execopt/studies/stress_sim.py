"""Stress in the simulator: policies replayed on stressed synthetic books, with their buffers.

:mod:`execopt.studies.stress` transforms the *parameters* of a problem; this module stresses the
*market* instead and lets the execution layer show what its safety buffers do. Each
:class:`BookScenario` is a synthetic day (:func:`execopt.data.synthetic_book`) with one of its
stress knobs set: volatility regimes, a liquidity drought (every level's size scaled from a
minute on), a spread blow-up over a window. Every policy trades the same order on every
scenario's book in :func:`execopt.execution.simulate`, filling against the book itself.

Policies: ``twap``; ``static`` (solved once on a warm-up fit); ``adaptive`` (re-estimate and
re-solve every period, with the GARCH regime detector's buffers: smaller caps, a smaller share of
the visible depth and faster re-estimation in high volatility); ``adaptive-fixed`` (the same
without regime buffers); ``oracle`` (sees the whole day: a bound, not a policy). The difference
between ``adaptive`` and ``adaptive-fixed`` is what the buffers cost or save under each stress.

Runs are independent, so they go through :func:`execopt.studies.parallel.map_chunks` (one run
per chunk, results in a fixed order); costs do not depend on the worker count, decision
latencies do.

Glossary: ``S`` shares; costs in dollars against each period's mid (``cost``) and against the
arrival mid (``shortfall``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from execopt.data import BookSeries, synthetic_book
from execopt.errors import InputError
from execopt.execution import (
    TWAP,
    Adaptive,
    PerfectForesightOracle,
    SimConfig,
    StaticOptimal,
    simulate,
)
from execopt.studies.parallel import ParallelConfig, map_chunks

__all__ = [
    "BOOK_SCENARIOS",
    "SIM_POLICIES",
    "BookScenario",
    "SimStressConfig",
    "run_sim_stress",
]

#: Policies the study runs, by name (see the module docstring).
SIM_POLICIES = ("twap", "static", "adaptive", "adaptive-fixed", "oracle")


@dataclass(frozen=True)
class BookScenario:
    """A synthetic day with one stress knob set (factors are assumptions, named in the text).

    Parameters
    ----------
    name, description : str
    volatility_regimes : tuple of (minute, factor), optional
        Mid volatility times ``factor`` from each ``minute`` on.
    liquidity_shift : (minute, factor), optional
        Every level's size times ``factor`` from ``minute`` on.
    spread_spike : (start, end, factor), optional
        Spread times ``factor`` for minutes ``start <= t < end``.
    """

    name: str
    description: str
    volatility_regimes: tuple[tuple[int, float], ...] | None = None
    liquidity_shift: tuple[int, float] | None = None
    spread_spike: tuple[int, int, float] | None = None

    def book(self, stock: str, seed: int, events_per_minute: float | None) -> BookSeries:
        """The scenario's seeded synthetic day for ``stock``."""
        return synthetic_book(
            stock.upper(),
            seed=seed,
            events_per_minute=events_per_minute,
            volatility_regimes=self.volatility_regimes,
            liquidity_shift=self.liquidity_shift,
            spread_spike=self.spread_spike,
        )


BOOK_SCENARIOS: tuple[BookScenario, ...] = (
    BookScenario("baseline", "the calibrated synthetic day"),
    BookScenario("low volatility", "mid volatility x0.5 all day", volatility_regimes=((0, 0.5),)),
    BookScenario("high volatility", "mid volatility x3 all day", volatility_regimes=((0, 3.0),)),
    BookScenario(
        "volatility burst",
        "mid volatility x4 from 11:30 to 13:30, then back",
        volatility_regimes=((120, 4.0), (240, 1.0)),
    ),
    BookScenario("liquidity drought x0.5", "depth halved all day", liquidity_shift=(0, 0.5)),
    BookScenario("afternoon drought x0.2", "depth x0.2 from 12:00 on", liquidity_shift=(150, 0.2)),
    BookScenario("spread blow-up x3", "spread x3 all day", spread_spike=(0, 390, 3.0)),
    BookScenario(
        "opening spread x5", "spread x5 in the first 30 minutes", spread_spike=(0, 30, 5.0)
    ),
)


@dataclass(frozen=True)
class SimStressConfig:
    """Settings of the simulator stress study.

    Parameters
    ----------
    stock : str
    shares : float
        ``S`` (a whole number: the simulator trades whole shares).
    cap : float or None
        Per-period cap of the policies that take one, shares.
    seed : int
        Seed of every scenario's synthetic day (the same seed: only the knob differs).
    events_per_minute : float or None
        Book updates per minute (None: the preset's rate; fewer is faster).
    scenarios : tuple of BookScenario
    policies : tuple of str
    """

    stock: str = "FROG"
    shares: float = 10_000.0
    cap: float | None = 1000.0
    seed: int = 0
    events_per_minute: float | None = None
    scenarios: tuple[BookScenario, ...] = field(default=BOOK_SCENARIOS)
    policies: tuple[str, ...] = SIM_POLICIES

    def __post_init__(self) -> None:
        from execopt.data import PRESETS

        if not isinstance(self.stock, str) or self.stock.upper() not in PRESETS:
            raise InputError(
                f"unknown stock {self.stock!r} for the simulated stress study; choose one of "
                f"{', '.join(PRESETS)}."
            )
        unknown = set(self.policies) - set(SIM_POLICIES)
        if unknown:
            raise InputError(f"unknown policies {sorted(unknown)}; choose from {SIM_POLICIES}.")

    def fast(self) -> SimStressConfig:
        """CI-sized: two scenarios, TWAP and the two adaptive variants, thin books."""
        keep = {"baseline", "afternoon drought x0.2"}
        return replace(
            self,
            events_per_minute=5.0,
            scenarios=tuple(s for s in self.scenarios if s.name in keep),
            policies=("twap", "adaptive", "adaptive-fixed"),
        )


def _policy(name: str, book: BookSeries, cap: float | None) -> Any:
    if name == "twap":
        return TWAP()
    if name == "static":
        return StaticOptimal(cap=cap)
    if name == "adaptive":
        return Adaptive(cap=cap)
    if name == "adaptive-fixed":
        return Adaptive(cap=cap, regimes=False)
    return PerfectForesightOracle(book)


def _run_one(config: SimStressConfig, spec: tuple[int, str]) -> dict[str, Any]:
    """One (scenario, policy) run (module level: it runs on Dask workers)."""
    k, policy_name = spec
    scenario = config.scenarios[k]
    book = scenario.book(config.stock, config.seed, config.events_per_minute)
    policy = _policy(policy_name, book, config.cap)
    res = simulate(book, policy, config.shares, SimConfig(lot=1.0))
    f = res.fills
    log = list(getattr(policy, "regime_log", []))
    return {
        "scenario": scenario.name,
        "policy": policy_name,
        "cost": res.cost,
        "shortfall": float(f["cost_vs_arrival"].sum()),
        "fill_rate": res.fill_rate,
        "unfilled": res.unfilled,
        "beyond_depth": float(f["beyond_depth"].sum()),
        "max_child": float(f["requested"].max()),
        "periods_skipped": int((f["status"] != "ok").sum()),
        "share_high_regime": float(np.mean([r == "high" for r in log])) if log else np.nan,
        "latency_p99_ms": 1e3 * float(f["latency_s"].quantile(0.99)),
        "description": scenario.description,
    }


def run_sim_stress(
    config: SimStressConfig | None = None, parallel: ParallelConfig | None = None
) -> pd.DataFrame:
    """One row per (scenario, policy), with ``saving_vs_twap_pct`` and ``buffer_saving`` columns.

    The toolkit's one sign convention for savings: a saving > 0 means cheaper than the reference.
    ``saving_vs_twap_pct`` is ``100 (cost_TWAP - cost) / cost_TWAP`` on the same book (as
    ``vs_twap_pct`` in :func:`execopt.execution.metrics.compare`); ``buffer_saving`` (adaptive
    rows) is the fixed-buffer adaptive policy's cost minus the adaptive policy's, in dollars:
    positive when the regime buffers saved money under that stress.
    """
    config = config or SimStressConfig()
    parallel = parallel or ParallelConfig(workers=1)
    specs = [(k, p) for k in range(len(config.scenarios)) for p in config.policies]
    rows = map_chunks(_run_one, config, specs, parallel, desc="simulations")
    t = pd.DataFrame(rows)
    twap = t[t["policy"] == "twap"].set_index("scenario")["cost"]
    t["saving_vs_twap_pct"] = [
        100.0 * (twap[s] - c) / abs(twap[s]) if s in twap.index and twap[s] != 0 else np.nan
        for s, c in zip(t["scenario"], t["cost"], strict=True)
    ]
    fixed = t[t["policy"] == "adaptive-fixed"].set_index("scenario")["cost"]
    t["buffer_saving"] = [
        fixed[s] - c if p == "adaptive" and s in fixed.index else np.nan
        for s, p, c in zip(t["scenario"], t["policy"], t["cost"], strict=True)
    ]
    return t
