"""Monte Carlo with parameter uncertainty: what the optimal schedule saves when a, b are uncertain.

For each of ``M`` draws ``theta_i = (a_i, b_i)`` from a :class:`ParameterDistribution`:

* ``cost_optimal``: the exact optimum under ``theta_i`` (vectorised water-filling,
  :func:`execopt.solve_batch`): what a planner who *knew* ``theta_i`` would pay;
* ``cost_equal``: equal allocation ``S/N`` under ``theta_i``;
* ``cost_nominal_plan``: the plan optimal for the point estimate, paid under ``theta_i``;
* ``cost_cross_plan``: the plan optimal for another draw (draw ``i - 1`` of the same chunk,
  cyclically), paid under ``theta_i``: the price of planning with the wrong parameters when the
  error is as large as the uncertainty itself.

and from them the reductions vs equal allocation, ``1 - cost / cost_equal`` (percent), and the
regrets ``cost_plan - cost_optimal`` (dollars).

Reproducibility: the draws are cut into chunks of a fixed size (``chunk_size``, part of the
config, never derived from the worker count) and chunk ``k`` draws from
``SeedSequence(seed).spawn(n_chunks)[k]``; chunks run on Dask (or in process) and are put back in
chunk order, so the result is byte-identical for 1, 2 or k workers.

Glossary: ``S`` shares, ``N`` periods, ``M`` draws, ``x`` schedules (shares per period).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import norm

from execopt.errors import InputError
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.api import solve, solve_batch
from execopt.studies.cases import as_cap
from execopt.studies.parallel import ParallelConfig, RunStats, map_chunks
from execopt.studies.uncertainty import ParameterDistribution

__all__ = [
    "METRICS",
    "MonteCarloConfig",
    "MonteCarloResult",
    "run_montecarlo",
    "summarise",
]

FloatArray = NDArray[np.float64]

#: Metric -> (unit, description), in the order of the summary table.
METRICS: dict[str, tuple[str, str]] = {
    "cost_optimal": ("dollars", "optimal cost when the draw is known"),
    "cost_equal": ("dollars", "equal allocation S/N"),
    "cost_nominal_plan": ("dollars", "plan for the point estimate, paid under the draw"),
    "reduction_optimal": ("percent", "1 - cost_optimal / cost_equal"),
    "reduction_nominal_plan": ("percent", "1 - cost_nominal_plan / cost_equal"),
    "regret_nominal_plan": ("dollars", "cost_nominal_plan - cost_optimal"),
    "regret_cross_plan": ("dollars", "plan for another draw, paid under this one, minus optimal"),
}


@dataclass(frozen=True)
class MonteCarloConfig:
    """Settings of a Monte Carlo run (sweep with :func:`dataclasses.replace`).

    Parameters
    ----------
    shares : float
        ``S``.
    periods : int
        ``N`` (must match the distribution's profiles).
    cap : float or None
        Uniform per-period cap ``u``, shares.
    draws : int
        ``M``.
    seed : int
        Root of the ``SeedSequence``.
    chunk_size : int
        Draws per chunk (fixed: results depend on it, never on the worker count); ``>= 2``.
    level : float
        Confidence level of the intervals.
    """

    shares: float = 10_000.0
    periods: int = 390
    cap: float | None = 1000.0
    draws: int = 10_000
    seed: int = 0
    chunk_size: int = 500
    level: float = 0.95

    def __post_init__(self) -> None:
        if self.draws < 1 or self.chunk_size < 2:
            raise InputError("draws must be >= 1 and chunk_size >= 2 (the cross plan pairs draws).")
        if not 0 < self.level < 1:
            raise InputError(f"level must be in (0, 1), got {self.level}.")
        if not self.shares > 0:
            raise InputError(f"shares must be > 0, got {self.shares}.")

    def fast(self) -> MonteCarloConfig:
        """The CI-sized version: at most 400 draws in chunks of 100."""
        return replace(self, draws=min(self.draws, 400), chunk_size=min(self.chunk_size, 100))

    @property
    def n_chunks(self) -> int:
        return -(-self.draws // self.chunk_size)


@dataclass(frozen=True, eq=False)
class _Shared:
    distribution: ParameterDistribution
    shares: float
    cap: FloatArray
    x_equal: FloatArray
    x_nominal: FloatArray


@dataclass(frozen=True)
class _Spec:
    index: int
    size: int
    seed: np.random.SeedSequence


def _chunk(shared: _Shared, spec: _Spec) -> dict[str, FloatArray]:
    """Solve one chunk of draws (runs on a worker)."""
    rng = np.random.default_rng(spec.seed)
    M = spec.size
    model = shared.distribution.sample(rng, M)
    X = solve_batch(np.full(M, shared.shares), model, cap=shared.cap)

    def paid(x: FloatArray) -> FloatArray:
        return np.asarray(model.cost(x).sum(axis=-1), dtype=np.float64)

    return {
        "cost_optimal": paid(X),
        "cost_equal": paid(shared.x_equal),
        "cost_nominal_plan": paid(shared.x_nominal),
        "cost_cross_plan": paid(np.roll(X, 1, axis=0)),
        "a_mean": np.asarray(model.a.mean(axis=1), dtype=np.float64),
        "b_mean": np.asarray(model.b.mean(axis=1), dtype=np.float64),
        "x_sum": X.sum(axis=0),
        "x_sumsq": (X * X).sum(axis=0),
    }


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Per-draw table, summary with confidence intervals, mean schedule, and timings.

    Attributes
    ----------
    draws : DataFrame
        One row per draw: ``draw``, ``chunk``, the costs, reductions and regrets, ``a_mean``,
        ``b_mean`` (the draw's daily means).
    summary : DataFrame
        One row per metric: ``mean``, ``sd``, ``ci_low``/``ci_high`` (interval for the mean),
        ``q_low``/``median``/``q_high`` (central interval of the distribution).
    schedule : DataFrame
        Per period: ``x_mean``, ``x_sd`` of the optimal schedule across draws, ``x_nominal``.
    config : MonteCarloConfig
    distribution : dict
    notes : tuple of str
    timings : dict
        Seconds and where the chunks ran (the only part that depends on the worker count).
    """

    draws: pd.DataFrame
    summary: pd.DataFrame
    schedule: pd.DataFrame
    config: MonteCarloConfig
    distribution: dict[str, Any]
    notes: tuple[str, ...]
    timings: dict[str, Any]

    def to_dict(self, *, draws: bool = False) -> dict[str, Any]:
        """JSON-ready; everything outside ``"timings"`` is identical across worker counts."""
        out: dict[str, Any] = {
            "study": "montecarlo",
            "config": asdict(self.config),
            "distribution": self.distribution,
            "summary": self.summary.to_dict(orient="records"),
            "schedule": self.schedule.to_dict(orient="list"),
            "notes": list(self.notes),
        }
        if draws:
            out["draws"] = self.draws.to_dict(orient="list")
        out["timings"] = self.timings
        return out

    def to_json(self, *, draws: bool = False) -> str:
        return json.dumps(self.to_dict(draws=draws), indent=2, sort_keys=False)


def summarise(values: dict[str, FloatArray], level: float) -> pd.DataFrame:
    """Summary table of the metrics in ``values`` (see :data:`METRICS`)."""
    z = float(norm.ppf(0.5 * (1 + level)))
    qlo, qhi = 0.5 * (1 - level), 0.5 * (1 + level)
    rows = []
    for name, (unit, what) in METRICS.items():
        v = np.asarray(values[name], dtype=np.float64)
        n = v.size
        mean = float(v.mean())
        sd = float(v.std(ddof=1)) if n > 1 else 0.0
        se = sd / np.sqrt(n)
        lo, med, hi = (float(q) for q in np.quantile(v, [qlo, 0.5, qhi]))
        rows.append(
            {
                "metric": name,
                "unit": unit,
                "description": what,
                "n": n,
                "mean": mean,
                "sd": sd,
                "ci_low": mean - z * se,
                "ci_high": mean + z * se,
                "q_low": lo,
                "median": med,
                "q_high": hi,
            }
        )
    return pd.DataFrame(rows)


def run_montecarlo(
    distribution: ParameterDistribution,
    config: MonteCarloConfig | None = None,
    parallel: ParallelConfig | None = None,
    *,
    client: Any = None,
) -> MonteCarloResult:
    """Draw impact parameters, solve every draw exactly, summarise costs and reductions.

    Parameters
    ----------
    distribution : ParameterDistribution
        Where the parameters come from (its ``periods`` must equal ``config.periods``).
    config : MonteCarloConfig, optional
    parallel : ParallelConfig, optional
        Default: a local Dask cluster with one worker process per core.
    client : dask.distributed.Client, optional
        A connected client to re-use.

    Returns
    -------
    MonteCarloResult

    Raises
    ------
    InputError
        Mismatched periods; InfeasibleError when the caps cannot hold ``S``.

    Examples
    --------
    >>> from execopt.studies import NormalParameters, ParallelConfig
    >>> d = NormalParameters(0.018, 0.0009, [[1e-6, 0], [0, 1e-8]], periods_=390)
    >>> r = run_montecarlo(d, MonteCarloConfig(draws=20, chunk_size=10), ParallelConfig(workers=1))
    >>> s = r.summary.set_index("metric")
    >>> bool(abs(s.loc["reduction_optimal", "mean"]) < 1e-9)  # constant a, b: equal is optimal
    True
    """
    config = config or MonteCarloConfig()
    parallel = parallel or ParallelConfig()
    N, S = config.periods, config.shares
    if distribution.periods != N:
        raise InputError(
            f"the distribution has {distribution.periods} periods but config.periods = {N}."
        )
    t0 = perf_counter()
    cap = np.full(N, np.inf if config.cap is None else float(config.cap))
    nominal = ExecutionProblem(S, distribution.nominal(), N, cap=as_cap(config.cap))
    x_nom = solve(nominal, "exact").schedule
    x_eq = np.full(N, S / N)
    notes = []
    if np.any(x_eq > cap):
        notes.append(
            f"equal allocation S/N = {S / N:.6g} exceeds the cap {config.cap}: the baseline is "
            "infeasible and the reductions compare against an uncapped equal split."
        )
    shared = _Shared(distribution, S, cap, x_eq, x_nom)
    K, C = config.n_chunks, config.chunk_size
    children = np.random.SeedSequence(config.seed).spawn(K)  # one stream per chunk, fixed
    sizes = [min(C, config.draws - k * C) for k in range(K)]
    specs = [_Spec(k, sizes[k], children[k]) for k in range(K)]
    stats = RunStats()
    parts = map_chunks(
        _chunk, shared, specs, parallel, client=client, desc="montecarlo", stats=stats
    )
    t1 = perf_counter()
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if not k.startswith("x_")}
    x_sum = np.sum([p["x_sum"] for p in parts], axis=0)
    x_sumsq = np.sum([p["x_sumsq"] for p in parts], axis=0)
    M = config.draws
    eq = cat["cost_equal"]
    cat["reduction_optimal"] = 100.0 * (1.0 - cat["cost_optimal"] / eq)
    cat["reduction_nominal_plan"] = 100.0 * (1.0 - cat["cost_nominal_plan"] / eq)
    cat["regret_nominal_plan"] = cat["cost_nominal_plan"] - cat["cost_optimal"]
    cat["regret_cross_plan"] = cat["cost_cross_plan"] - cat["cost_optimal"]
    draws = pd.DataFrame(
        {
            "draw": np.arange(M),
            "chunk": np.repeat(np.arange(K), sizes),
            **{k: cat[k] for k in (*METRICS, "cost_cross_plan", "a_mean", "b_mean")},
        }
    )
    x_mean = x_sum / M
    x_sd = np.sqrt(np.maximum(x_sumsq / M - x_mean**2, 0.0))
    schedule = pd.DataFrame({"t": np.arange(N), "x_mean": x_mean, "x_sd": x_sd, "x_nominal": x_nom})
    summary = summarise(cat, config.level)
    t2 = perf_counter()
    timings = {
        "where": stats.where,
        "chunks": stats.chunks,
        "cluster_start": stats.start,
        "compute": stats.compute,
        "setup_and_shutdown": t1 - t0 - stats.start - stats.compute,
        "summarise": t2 - t1,
        "total": t2 - t0,
    }
    return MonteCarloResult(
        draws, summary, schedule, config, distribution.describe(), tuple(notes), timings
    )
