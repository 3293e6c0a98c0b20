"""Studies: solver comparison, sensitivity, Monte Carlo with parameter uncertainty, stress, audit.

Every study takes a frozen config (sweep with :func:`dataclasses.replace`; ``config.fast()`` is
the CI-sized version), returns tidy pandas tables and never plots. The Monte Carlo runs on Dask
through :class:`ParallelConfig` with a fixed chunking, so its results do not depend on the number
of workers.

The names below are imported on first use (PEP 562), so ``import execopt.studies.suite``
(``execopt validate``) does not pay for SciPy's statistics, Dask and the audit.

=============================  =================================================================
module                         what
=============================  =================================================================
:mod:`.solver_comparison`      every method on quadratic, power-law, book-walk and concave cases
:mod:`.sensitivity`            sweeps; ``lam = d opt / dS``; envelope-theorem derivatives
:mod:`.montecarlo`             parameter uncertainty (:mod:`.uncertainty`, :mod:`.fitted`)
:mod:`.stress`                 regimes and stress scenarios as parameter transformations
:mod:`.stress_sim`             policies replayed in the simulator on stressed synthetic books
:mod:`.episodes`               many parent orders per day: shortfall decomposition, savings
                               with intervals, Sharpe/drawdown of savings, the frontier
:mod:`.audit`                  the reference document's claims, re-derived, with verdicts
:mod:`.basket_study`           baskets: joint vs independent episodes, mandate price, frontier
:mod:`.basket_cases`           basket instances for the reference suite, two-solver cross-check
:mod:`.many_orders`            many independent orders solved in parallel on Dask
:mod:`.parallel`               Dask client management
:mod:`.suite`                  the reference suite: catalogue, harness, checks, validation
:mod:`.qp_adapter`             a QP-only suite adapter written from ``FORMAT.md`` alone
:mod:`.leaderboard`            external QP solvers through the adapter and ``execopt validate``
=============================  =================================================================
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from execopt.studies.audit import AuditConfig, AuditResult, run_audit
    from execopt.studies.basket_cases import BasketCase, basket_cases, cross_check
    from execopt.studies.basket_study import (
        BasketStudyConfig,
        episode_stats,
        run_basket_episodes,
    )
    from execopt.studies.cases import build_case, u_shape, volume_caps
    from execopt.studies.episodes import EpisodeConfig, EpisodeStudy, run_episodes
    from execopt.studies.fitted import book_distribution, profile_bootstrap
    from execopt.studies.many_orders import Order, random_orders, solve_orders
    from execopt.studies.montecarlo import MonteCarloConfig, MonteCarloResult, run_montecarlo
    from execopt.studies.parallel import ParallelConfig, dask_client, map_chunks
    from execopt.studies.sensitivity import (
        SensitivityConfig,
        SensitivityResult,
        envelope_check,
        marginal_check,
        run_sensitivity,
        sweep,
    )
    from execopt.studies.solver_comparison import SolverComparisonConfig, run_solver_comparison
    from execopt.studies.stress import SCENARIOS, Scenario, StressConfig, run_stress
    from execopt.studies.stress_sim import (
        BOOK_SCENARIOS,
        BookScenario,
        SimStressConfig,
        run_sim_stress,
    )
    from execopt.studies.uncertainty import (
        BootstrapParameters,
        NormalParameters,
        ParameterDistribution,
        from_fit,
        from_intervals,
        seed_distribution,
    )

_LAZY: dict[str, str] = {
    "BasketCase": "execopt.studies.basket_cases",
    "BasketStudyConfig": "execopt.studies.basket_study",
    "Order": "execopt.studies.many_orders",
    "basket_cases": "execopt.studies.basket_cases",
    "cross_check": "execopt.studies.basket_cases",
    "episode_stats": "execopt.studies.basket_study",
    "random_orders": "execopt.studies.many_orders",
    "run_basket_episodes": "execopt.studies.basket_study",
    "solve_orders": "execopt.studies.many_orders",
    "AuditConfig": "execopt.studies.audit",
    "AuditResult": "execopt.studies.audit",
    "BOOK_SCENARIOS": "execopt.studies.stress_sim",
    "BookScenario": "execopt.studies.stress_sim",
    "BootstrapParameters": "execopt.studies.uncertainty",
    "EpisodeConfig": "execopt.studies.episodes",
    "EpisodeStudy": "execopt.studies.episodes",
    "MonteCarloConfig": "execopt.studies.montecarlo",
    "MonteCarloResult": "execopt.studies.montecarlo",
    "NormalParameters": "execopt.studies.uncertainty",
    "ParallelConfig": "execopt.studies.parallel",
    "ParameterDistribution": "execopt.studies.uncertainty",
    "SCENARIOS": "execopt.studies.stress",
    "Scenario": "execopt.studies.stress",
    "SensitivityConfig": "execopt.studies.sensitivity",
    "SensitivityResult": "execopt.studies.sensitivity",
    "SimStressConfig": "execopt.studies.stress_sim",
    "SolverComparisonConfig": "execopt.studies.solver_comparison",
    "StressConfig": "execopt.studies.stress",
    "book_distribution": "execopt.studies.fitted",
    "build_case": "execopt.studies.cases",
    "dask_client": "execopt.studies.parallel",
    "envelope_check": "execopt.studies.sensitivity",
    "from_fit": "execopt.studies.uncertainty",
    "from_intervals": "execopt.studies.uncertainty",
    "map_chunks": "execopt.studies.parallel",
    "marginal_check": "execopt.studies.sensitivity",
    "profile_bootstrap": "execopt.studies.fitted",
    "run_audit": "execopt.studies.audit",
    "run_episodes": "execopt.studies.episodes",
    "run_montecarlo": "execopt.studies.montecarlo",
    "run_sensitivity": "execopt.studies.sensitivity",
    "run_sim_stress": "execopt.studies.stress_sim",
    "run_solver_comparison": "execopt.studies.solver_comparison",
    "run_stress": "execopt.studies.stress",
    "seed_distribution": "execopt.studies.uncertainty",
    "sweep": "execopt.studies.sensitivity",
    "u_shape": "execopt.studies.cases",
    "volume_caps": "execopt.studies.cases",
}


def __getattr__(name: str) -> Any:
    """Import a study's public name on first use."""
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'execopt.studies' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "BOOK_SCENARIOS",
    "SCENARIOS",
    "AuditConfig",
    "AuditResult",
    "BasketCase",
    "BasketStudyConfig",
    "BookScenario",
    "BootstrapParameters",
    "EpisodeConfig",
    "EpisodeStudy",
    "MonteCarloConfig",
    "MonteCarloResult",
    "NormalParameters",
    "Order",
    "ParallelConfig",
    "ParameterDistribution",
    "Scenario",
    "SensitivityConfig",
    "SensitivityResult",
    "SimStressConfig",
    "SolverComparisonConfig",
    "StressConfig",
    "basket_cases",
    "book_distribution",
    "build_case",
    "cross_check",
    "dask_client",
    "envelope_check",
    "episode_stats",
    "from_fit",
    "from_intervals",
    "map_chunks",
    "marginal_check",
    "profile_bootstrap",
    "random_orders",
    "run_audit",
    "run_basket_episodes",
    "run_episodes",
    "run_montecarlo",
    "run_sensitivity",
    "run_sim_stress",
    "run_solver_comparison",
    "run_stress",
    "seed_distribution",
    "solve_orders",
    "sweep",
    "u_shape",
    "volume_caps",
]
