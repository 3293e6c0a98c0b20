"""Many independent orders at once: a book of orders of different types solved in parallel.

An :class:`Order` is one parent order (symbol, side, size, horizon ``N``, cap, urgency, impact
model); :func:`random_orders` draws a seeded mix (buys and sells, sizes, horizons from 30 to 390
minutes, caps that bind or not, urgencies from none to high). :func:`solve_orders` solves every
order with ``eo.solve`` (``exact`` where an exact algorithm covers it, else ``fallback``) and
certifies it; the orders are cut into fixed chunks **before** anything is sent out and the
chunks run on Dask through :func:`~execopt.studies.parallel.map_chunks` (a LocalCluster, or in
process with one worker), so the result is identical whatever the number of workers, in the
orders' order, with a progress bar over chunks.

Glossary: ``S`` shares, ``N`` periods, ``k`` risk aversion (the urgency), ``sigma`` dollars per
share per period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from execopt.errors import InputError, NotSupportedError
from execopt.impact.base import ImpactModel, model_from_dict
from execopt.impact.models import QuadraticImpact
from execopt.problem.execution_problem import ExecutionProblem
from execopt.studies.cases import u_shape
from execopt.studies.parallel import ParallelConfig, RunStats, map_chunks

__all__ = ["Order", "OrdersResult", "random_orders", "solve_orders"]

FloatArray = NDArray[np.float64]

#: Orders per chunk: large enough that a chunk's solving time dwarfs Dask's per-task overhead
#: (~1 ms), small enough to balance two workers.
CHUNK = 250


@dataclass(frozen=True)
class Order:
    """One independent parent order.

    Parameters
    ----------
    symbol : str
    side : {"buy", "sell"}
    shares : float
    periods : int
        The horizon ``N``, minutes.
    impact : ImpactModel
        Per-period cost model (length-``N`` or scalar parameters).
    cap : float or None
        Per-period cap, shares.
    urgency : float
        Risk aversion ``k`` (1 / dollars); 0 for none.
    volatility : float
        ``sigma``, dollars per share per period.
    """

    symbol: str
    side: str
    shares: float
    periods: int
    impact: ImpactModel
    cap: float | None = None
    urgency: float = 0.0
    volatility: float = 0.0

    def problem(self) -> ExecutionProblem:
        """The order's :class:`~execopt.problem.ExecutionProblem`."""
        return ExecutionProblem(
            self.shares,
            self.impact,
            periods=self.periods,
            cap=None if self.cap is None else np.asarray(self.cap, dtype=np.float64),
            risk_aversion=self.urgency,
            volatility=self.volatility,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "side": self.side,
            "shares": self.shares,
            "periods": self.periods,
            "impact": self.impact.to_dict(),
            "cap": self.cap,
            "urgency": self.urgency,
            "volatility": self.volatility,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Order:
        return cls(**{**d, "impact": model_from_dict(d["impact"])})


def random_orders(n: int, seed: int = 0) -> list[Order]:
    """``n`` seeded orders of mixed types (see the module docstring).

    Examples
    --------
    >>> orders = random_orders(4, seed=1)
    >>> len(orders), {o.side for o in orders} <= {"buy", "sell"}
    (4, True)
    """
    if n < 0:
        raise InputError(f"n must be >= 0, got {n}.")
    rng = np.random.default_rng(seed)
    horizons = np.array([30, 60, 120, 195, 390])
    out = []
    for i in range(n):
        N = int(rng.choice(horizons))
        price = float(rng.uniform(5.0, 200.0))
        S = float(np.round(rng.lognormal(np.log(5_000.0), 1.0)))
        shape = u_shape(N, float(rng.uniform(0.0, 2.0)))
        a = 3e-4 * price * shape
        b = a.mean() / max(S / N, 1.0) * float(rng.uniform(0.2, 2.0)) * shape
        cap = None if rng.random() < 0.3 else float(np.ceil(S / N * rng.uniform(1.2, 4.0)))
        urgent = rng.random() < 0.5
        sigma = price * 1e-3
        # urgency: kappa N in 0.5..4 (cosh(kappa) = 1 + k sigma^2 / (2 b))
        kap = float(rng.uniform(0.5, 4.0)) / N
        k = 2.0 * float(b.mean()) * (np.cosh(kap) - 1.0) / sigma**2 if urgent else 0.0
        out.append(
            Order(
                symbol=f"S{i:05d}",
                side=str(rng.choice(["buy", "sell"])),
                shares=S,
                periods=N,
                impact=QuadraticImpact(a, b),
                cap=cap,
                urgency=k,
                volatility=sigma if urgent else 0.0,
            )
        )
    return out


@dataclass(frozen=True)
class OrdersResult:
    """Schedules and one row per order (in the orders' order).

    Attributes
    ----------
    table : pandas.DataFrame
        ``symbol, side, shares, periods, method, objective, certified, rel_gap, seconds``.
    schedules : tuple of ndarray
        One schedule per order (lengths differ with the horizons).
    stats : RunStats
        Start-up and compute seconds, where it ran.
    """

    table: pd.DataFrame
    schedules: tuple[FloatArray, ...]
    stats: RunStats = field(default_factory=RunStats)


def _solve_chunk(fallback: str, orders: Sequence[Order]) -> list[tuple[dict[str, Any], FloatArray]]:
    from time import perf_counter

    from execopt.solvers.api import solve

    out = []
    for o in orders:
        t0 = perf_counter()
        p = o.problem()
        try:
            sol = solve(p, "exact")
        except NotSupportedError:  # a binding cap with a risk term: not exact
            sol = solve(p, fallback)
        c = sol.certificate
        gap = c.rel_gap if c.rel_gap is not None else c.bound_gap / max(abs(c.objective), 1e-300)
        out.append(
            (
                {
                    "symbol": o.symbol,
                    "side": o.side,
                    "shares": o.shares,
                    "periods": o.periods,
                    "method": sol.method,
                    "objective": sol.objective,
                    "certified": sol.certified,
                    "rel_gap": gap,
                    "seconds": perf_counter() - t0,
                },
                sol.schedule,
            )
        )
    return out


def _warm() -> None:
    """Import the solvers' heavy dependencies in this process."""
    import cvxpy  # noqa: F401

    from execopt.solvers.conic import clear_cache

    clear_cache()


def solve_orders(
    orders: Sequence[Order],
    parallel: ParallelConfig | None = None,
    *,
    fallback: str = "clarabel",
    chunk: int = CHUNK,
    client: Any = None,
) -> OrdersResult:
    """Solve and certify every order, in fixed chunks, on Dask when ``parallel`` asks for it.

    Parameters
    ----------
    orders : sequence of Order
    parallel : ParallelConfig, optional
        Default: in process. ``progress=True`` shows a bar over chunks.
    fallback : str
        The method for orders without an exact algorithm.
    chunk : int
        Orders per chunk (fixed before sending: results do not depend on the workers).
    client : dask.distributed.Client, optional
        Re-use a running cluster.

    Returns
    -------
    OrdersResult

    Raises
    ------
    ExecoptError
        An order that no method solves (the message names the order).

    Examples
    --------
    >>> r = solve_orders(random_orders(5, seed=2))
    >>> len(r.schedules), bool(r.table["certified"].all())
    (5, True)
    """
    if chunk < 1:
        raise InputError(f"chunk must be >= 1, got {chunk}.")
    par = parallel if parallel is not None else ParallelConfig(workers=1)
    specs = [list(orders[i : i + chunk]) for i in range(0, len(orders), chunk)]
    stats = RunStats()
    if client is not None or par.in_process:
        parts = map_chunks(
            _solve_chunk, fallback, specs, par, client=client, desc="orders", stats=stats
        )
    else:
        from time import perf_counter

        from execopt.studies.parallel import dask_client

        t0 = perf_counter()
        with dask_client(par) as own:
            # import cvxpy and the solvers on every worker before the clock starts (about a
            # second each, which the in-process run has paid once already)
            own.run(_warm)
            warm = perf_counter() - t0
            parts = map_chunks(
                _solve_chunk, fallback, specs, par, client=own, desc="orders", stats=stats
            )
        stats.start += warm
        stats.where = par.describe()
    rows = [r for part in parts for r, _ in part]
    xs = tuple(x for part in parts for _, x in part)
    return OrdersResult(pd.DataFrame(rows), xs, stats)
