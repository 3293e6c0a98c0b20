"""One :func:`certify` for every problem type: a single order or a basket.

``eo.certify(problem, schedule)`` certifies a schedule of shape (N,) for an
:class:`~execopt.problem.ExecutionProblem` (:func:`execopt.problem.certificate.certify`) and a
schedule of shape (M, N) for a :class:`~execopt.problem.basket.Basket`
(:func:`execopt.problem.basket_certificate.certify_basket`).
"""

from __future__ import annotations

from typing import Any, overload

from numpy.typing import ArrayLike

from execopt.problem.basket import Basket
from execopt.problem.basket_certificate import BasketCertificate, certify_basket
from execopt.problem.certificate import Certificate
from execopt.problem.certificate import certify as certify_single
from execopt.problem.execution_problem import ExecutionProblem

__all__ = ["certify"]


@overload
def certify(problem: ExecutionProblem, schedule: ArrayLike, **options: Any) -> Certificate: ...
@overload
def certify(problem: Basket, schedule: ArrayLike, **options: Any) -> BasketCertificate: ...


def certify(
    problem: ExecutionProblem | Basket, schedule: ArrayLike, **options: Any
) -> Certificate | BasketCertificate:
    """Certify any schedule: feasibility, objective, KKT residuals and a solver-free lower bound.

    Parameters
    ----------
    problem : ExecutionProblem or Basket
    schedule : array_like
        Shape (N,) for a problem, (M, N) for a basket.
    **options
        ``optimum``, ``lam`` (a problem: see :func:`execopt.problem.certificate.certify`);
        ``optimum``, ``multipliers`` (a basket: see
        :func:`execopt.problem.basket_certificate.certify_basket`).

    Returns
    -------
    Certificate or BasketCertificate

    Examples
    --------
    >>> import execopt as eo
    >>> p = eo.ExecutionProblem(1000, eo.QuadraticImpact(0.01, 1e-4), periods=4)
    >>> eo.certify(p, [250, 250, 250, 250]).passed()
    True
    """
    if isinstance(problem, Basket):
        return certify_basket(problem, schedule, **options)
    return certify_single(problem, schedule, **options)
