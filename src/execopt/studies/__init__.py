"""Studies: solver comparison, sensitivity, Monte Carlo with parameter uncertainty, stress, audit.

Every study takes a frozen config (sweep with :func:`dataclasses.replace`; ``config.fast()`` is
the CI-sized version), returns tidy pandas tables and never plots. The Monte Carlo runs on Dask
through :class:`ParallelConfig` with a fixed chunking, so its results do not depend on the number
of workers.

=============================  =================================================================
module                         what
=============================  =================================================================
:mod:`.solver_comparison`      every method on quadratic, power-law, book-walk and concave cases
:mod:`.sensitivity`            sweeps; ``lam = d opt / dS``; envelope-theorem derivatives
:mod:`.montecarlo`             parameter uncertainty (:mod:`.uncertainty`, :mod:`.fitted`)
:mod:`.stress`                 regimes and stress scenarios as parameter transformations
:mod:`.stress_sim`             policies replayed in the simulator on stressed synthetic books
:mod:`.audit`                  the seed's claims, re-derived, with verdicts
:mod:`.parallel`               Dask client management
=============================  =================================================================
"""

from execopt.studies.audit import AuditConfig, AuditResult, run_audit
from execopt.studies.cases import build_case, u_shape, volume_caps
from execopt.studies.fitted import book_distribution, profile_bootstrap
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
from execopt.studies.stress_sim import BOOK_SCENARIOS, BookScenario, SimStressConfig, run_sim_stress
from execopt.studies.uncertainty import (
    BootstrapParameters,
    NormalParameters,
    ParameterDistribution,
    from_fit,
    from_intervals,
    seed_distribution,
)

__all__ = [
    "BOOK_SCENARIOS",
    "SCENARIOS",
    "AuditConfig",
    "AuditResult",
    "BookScenario",
    "BootstrapParameters",
    "MonteCarloConfig",
    "MonteCarloResult",
    "NormalParameters",
    "ParallelConfig",
    "ParameterDistribution",
    "Scenario",
    "SensitivityConfig",
    "SensitivityResult",
    "SimStressConfig",
    "SolverComparisonConfig",
    "StressConfig",
    "book_distribution",
    "build_case",
    "dask_client",
    "envelope_check",
    "from_fit",
    "from_intervals",
    "map_chunks",
    "marginal_check",
    "profile_bootstrap",
    "run_audit",
    "run_montecarlo",
    "run_sensitivity",
    "run_sim_stress",
    "run_solver_comparison",
    "run_stress",
    "seed_distribution",
    "sweep",
    "u_shape",
    "volume_caps",
]
