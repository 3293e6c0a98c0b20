"""The execution problem, its exact KKT solution (water-filling) and certificates."""

from execopt.problem.certificate import Certificate, certify
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.waterfill import WaterFill, concave_vertex, waterfill

__all__ = ["Certificate", "ExecutionProblem", "WaterFill", "certify", "concave_vertex", "waterfill"]
