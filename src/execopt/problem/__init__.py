"""The execution problem, its objective terms, its exact solution and certificates."""

from execopt.problem.basket import Basket, FactorCovariance
from execopt.problem.basket_certificate import BasketCertificate, certify_basket
from execopt.problem.certificate import Certificate
from execopt.problem.dispatch import certify
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.optimum import exact_optimum
from execopt.problem.terms import Drift, MeanVarianceRisk, Term, VaRLimit
from execopt.problem.waterfill import WaterFill, concave_vertex, waterfill

__all__ = [
    "Basket",
    "BasketCertificate",
    "Certificate",
    "Drift",
    "ExecutionProblem",
    "FactorCovariance",
    "MeanVarianceRisk",
    "Term",
    "VaRLimit",
    "WaterFill",
    "certify",
    "certify_basket",
    "concave_vertex",
    "exact_optimum",
    "waterfill",
]
