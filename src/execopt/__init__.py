"""execopt: convex-optimisation research toolkit for optimal order execution.

Split a parent order of ``S`` shares over ``N`` periods at minimum temporary market impact, with
impact fitted from real limit-order books, solved exactly (water-filling) and with cvxpy and SciPy
back-ends side by side, every answer carrying a certificate.

>>> import execopt as eo
>>> p = eo.ExecutionProblem(shares=10_000, impact=eo.QuadraticImpact(a=0.024, b=0.0012), cap=1000)
>>> s = eo.solve(p, method="exact")
>>> s.certificate.feasible
True
"""

from execopt import errors, presets
from execopt.impact.base import ImpactModel, model_from_dict, register_model
from execopt.impact.composite import SumImpact
from execopt.impact.fees import PerShareFee
from execopt.impact.piecewise import PiecewiseLinearImpact
from execopt.impact.power import PowerLawImpact
from execopt.impact.propagator import PropagatorFit
from execopt.impact.quadratic import QuadraticImpact
from execopt.impact.transient import (
    ExponentialKernel,
    Kernel,
    PowerLawKernel,
    TabulatedKernel,
    kernel_from_dict,
)
from execopt.problem.basket import Basket, FactorCovariance
from execopt.problem.basket_certificate import BasketCertificate
from execopt.problem.certificate import Certificate
from execopt.problem.dispatch import certify
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.api import METHODS, solve, solve_batch
from execopt.solvers.basket import BasketSolution
from execopt.solvers.solution import Solution, Timings

__version__ = "0.2.1"

__all__ = [
    "METHODS",
    "Basket",
    "BasketCertificate",
    "BasketSolution",
    "Certificate",
    "ExecutionProblem",
    "ExponentialKernel",
    "FactorCovariance",
    "ImpactModel",
    "Kernel",
    "PerShareFee",
    "PiecewiseLinearImpact",
    "PowerLawImpact",
    "PowerLawKernel",
    "PropagatorFit",
    "QuadraticImpact",
    "Solution",
    "SumImpact",
    "TabulatedKernel",
    "Timings",
    "__version__",
    "certify",
    "errors",
    "kernel_from_dict",
    "model_from_dict",
    "presets",
    "register_model",
    "solve",
    "solve_batch",
]
