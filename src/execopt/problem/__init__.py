"""The execution problem, its objective terms, its exact solution and certificates."""

from execopt.problem.certificate import Certificate, certify
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.optimum import exact_optimum
from execopt.problem.terms import Drift, MeanVarianceRisk, Term, VaRLimit
from execopt.problem.waterfill import WaterFill, concave_vertex, waterfill

__all__ = [
    "Certificate",
    "Drift",
    "ExecutionProblem",
    "MeanVarianceRisk",
    "Term",
    "VaRLimit",
    "WaterFill",
    "certify",
    "concave_vertex",
    "exact_optimum",
    "waterfill",
]
