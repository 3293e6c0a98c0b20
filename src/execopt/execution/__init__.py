"""Execution layer: policies, a simulator on real or synthetic books, risk controls, regimes,
metrics and export of child orders.

>>> from execopt.data import synthetic_book
>>> from execopt.execution import TWAP, SimConfig, simulate
>>> book = synthetic_book("FROG", seed=0, periods=30, events_per_minute=5)
>>> res = simulate(book, TWAP(), 300, SimConfig(session=None, lot=1))
>>> res.filled + res.unfilled == 300
True
"""

from execopt.execution.basket import (
    BasketSimResult,
    CovarianceEstimate,
    IndependentOptimal,
    IndependentTWAP,
    JointAdaptive,
    JointOptimal,
    basket_from_books,
    co_moving,
    estimate_covariance,
    simulate_basket,
)
from execopt.execution.composite import CompositeSolution, solve_composite
from execopt.execution.episodes import (
    DayContext,
    EpisodeSpec,
    day_contexts,
    plan_episodes,
    run_episode,
)
from execopt.execution.export import child_orders, from_result, write_orders
from execopt.execution.metrics import compare, max_drawdown, savings_stats
from execopt.execution.policies import (
    POLICIES,
    POV,
    TWAP,
    VWAP,
    Adaptive,
    AlmgrenChriss,
    PerfectForesightOracle,
    Policy,
    SchedulePolicy,
    StaticOptimal,
    make_policy,
)
from execopt.execution.regimes import (
    Buffer,
    GarchRegimes,
    RegimeBuffers,
    RegimeDetector,
)
from execopt.execution.risk import (
    BreakerMonitor,
    CircuitBreaker,
    InventoryVaR,
    efficient_frontier,
)
from execopt.execution.simulator import Event, SimConfig, SimResult, simulate, walk_fill
from execopt.execution.state import BookSnapshot, History, MarketState
from execopt.execution.tca import (
    SHORTFALL_PARTS,
    ShortfallDecomposition,
    benchmarks,
    decompose,
    markouts,
)

__all__ = [
    "POLICIES",
    "POV",
    "SHORTFALL_PARTS",
    "TWAP",
    "VWAP",
    "Adaptive",
    "AlmgrenChriss",
    "BasketSimResult",
    "BookSnapshot",
    "BreakerMonitor",
    "Buffer",
    "CircuitBreaker",
    "CompositeSolution",
    "CovarianceEstimate",
    "DayContext",
    "EpisodeSpec",
    "Event",
    "GarchRegimes",
    "History",
    "IndependentOptimal",
    "IndependentTWAP",
    "InventoryVaR",
    "JointAdaptive",
    "JointOptimal",
    "MarketState",
    "PerfectForesightOracle",
    "Policy",
    "RegimeBuffers",
    "RegimeDetector",
    "SchedulePolicy",
    "ShortfallDecomposition",
    "SimConfig",
    "SimResult",
    "StaticOptimal",
    "basket_from_books",
    "benchmarks",
    "child_orders",
    "co_moving",
    "compare",
    "day_contexts",
    "decompose",
    "efficient_frontier",
    "estimate_covariance",
    "from_result",
    "make_policy",
    "markouts",
    "max_drawdown",
    "plan_episodes",
    "run_episode",
    "savings_stats",
    "simulate",
    "simulate_basket",
    "solve_composite",
    "walk_fill",
    "write_orders",
]
