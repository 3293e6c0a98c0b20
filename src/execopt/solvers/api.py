"""One entry point for every method: :func:`solve`; and :func:`solve_batch` for many orders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, get_args, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt import _validate as _v
from execopt.errors import InfeasibleError, InputError, NotSupportedError
from execopt.impact.base import ImpactModel, LinearSupply
from execopt.problem.basket import Basket
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.waterfill import kernel_solved, linear_supply_root_batch, waterfill
from execopt.solvers.exact import solve_exact
from execopt.solvers.solution import Method, Solution

if TYPE_CHECKING:  # pragma: no cover
    from execopt.solvers.basket import BasketSolution

__all__ = ["METHODS", "solve", "solve_batch"]

METHODS: tuple[str, ...] = get_args(Method)


@overload
def solve(problem: ExecutionProblem, method: Method | str = ..., **options: Any) -> Solution: ...
@overload
def solve(problem: Basket, method: Method | str = ..., **options: Any) -> BasketSolution: ...


def solve(
    problem: ExecutionProblem | Basket, method: Method | str = "exact", **options: Any
) -> Solution | BasketSolution:
    """Solve ``problem`` with ``method`` and certify the answer.

    Parameters
    ----------
    problem : ExecutionProblem or Basket
        A :class:`~execopt.problem.basket.Basket` goes to
        :func:`~execopt.solvers.basket.solve_basket` (methods ``exact`` for decoupled baskets,
        ``clarabel``, ``osqp``, ``scs``) and returns a
        :class:`~execopt.solvers.basket.BasketSolution`.
    method : {"exact", "clarabel", "osqp", "scs", "slsqp", "de"}
        ``exact`` is KKT water-filling (the reference); ``clarabel``/``osqp``/``scs`` go through
        cvxpy (compiled once per structure and re-used); ``slsqp`` and ``de`` are SciPy baselines.
    **options
        ``warm_start`` (conic); ``maxiter`` (slsqp, de); ``seed``, ``time_limit``, ``popsize`` (de).

    Returns
    -------
    Solution

    Raises
    ------
    InputError
        Unknown method or option.
    ConvexityError
        A convex solver on a non-convex problem, or a cone problem on OSQP.

    Examples
    --------
    >>> import execopt as eo
    >>> p = eo.ExecutionProblem(10_000, eo.QuadraticImpact(a=0.024, b=0.0012), periods=390)
    >>> round(eo.solve(p).objective, 2)
    547.69
    """
    if isinstance(problem, Basket):
        from execopt.solvers.basket import solve_basket

        _no_options(str(method), options, set())
        return solve_basket(problem, str(method))
    if not isinstance(problem, ExecutionProblem):
        raise InputError(
            f"solve expects an ExecutionProblem or a Basket, got {type(problem).__name__}."
        )
    if method == "exact":
        if options:
            _no_options(method, options, set())
        return solve_exact(problem)
    if method in ("clarabel", "osqp", "scs"):
        from execopt.solvers.conic import solve_conic

        _no_options(method, options, {"warm_start"})
        return solve_conic(problem, method, **options)
    if method == "slsqp":
        from execopt.solvers.baselines import solve_slsqp

        _no_options(method, options, {"maxiter"})
        return solve_slsqp(problem, **options)
    if method == "de":
        from execopt.solvers.baselines import solve_de

        _no_options(method, options, {"seed", "time_limit", "maxiter", "popsize"})
        return solve_de(problem, **options)
    raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}.")


def _no_options(method: str, options: dict[str, Any], allowed: set[str]) -> None:
    extra = set(options) - allowed
    if extra:
        raise InputError(
            f"method={method!r} takes no option(s) {sorted(extra)}; it accepts {sorted(allowed) or 'none'}."
        )


def _resolve_inaccurate_rows(
    X: NDArray[np.float64], S: NDArray[np.float64], impact: ImpactModel, u: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Re-solve, one by one with :func:`waterfill`, the rows the vectorised kernel got wrong.

    The kernel loses accuracy when a row's supply slopes span more than ~1e16 (see
    :func:`execopt.problem.waterfill.kernel_solved`); such rows used to be returned as they were.
    """
    M, N = X.shape
    for i in range(M):
        if not kernel_solved(X[i], float(S[i])):
            row = impact.row(i) if impact.batch_shape else impact
            p = ExecutionProblem(float(S[i]), row, periods=N, cap=u[i])
            X[i] = waterfill(p).x
    return X


def solve_batch(
    shares: ArrayLike, impact: ImpactModel, cap: ArrayLike | None = None, periods: int | None = None
) -> NDArray[np.float64]:
    """Exact optimal schedules of ``M`` orders at once (vectorised water-filling).

    Parameters
    ----------
    shares : array_like of shape (M,)
        Order sizes, shares.
    impact : QuadraticImpact or PowerLawImpact (per-share, one exponent > 1)
        Parameters may be scalars, shape (N,) (shared by every order) or (M, N) (one row each).
    cap : None, float, (N,) or (M, N)
        Per-period caps, shares.
    periods : int, optional
        ``N`` when every parameter is a scalar.

    Returns
    -------
    ndarray of shape (M, N)

    Raises
    ------
    InputError, InfeasibleError, NotSupportedError
    """
    # input guards: types and shapes (a mis-shaped cap used to raise a bare ValueError)
    _v.check_array("shares", shares, max_ndim=None, unit="shares")
    if not isinstance(impact, ImpactModel):
        raise InputError(
            f"impact must be a QuadraticImpact or PowerLawImpact, got {_v.describe(impact)}."
        )
    _v.check_int("periods", periods, minimum=1, maximum=_v.MAX_PERIODS, allow_none=True)
    _v.check_array("cap", cap, max_ndim=None, allow_none=True, unit="shares")
    S = np.atleast_1d(np.asarray(shares, dtype=np.float64))
    if S.ndim != 1 or not np.all(np.isfinite(S)) or np.any(S < 0):
        raise InputError("shares must be a 1-D array of finite order sizes >= 0 (shares).")
    M = S.shape[0]
    N = impact.periods or periods
    if N is None:
        raise InputError("give periods=N when every impact parameter is a scalar.")
    if periods is not None and periods != N:
        raise InputError(f"periods={periods} but the impact parameters have N = {N} periods.")
    bs = impact.batch_shape
    if bs and bs != (M,):
        raise InputError(
            f"impact parameters are for {bs[0]} orders but {M} order sizes were given."
        )
    c = None if cap is None else np.asarray(cap, dtype=float)
    if c is not None and c.shape not in ((), (N,), (M, N)):
        raise InputError(
            f"cap must be None, a scalar, shape (N,) = ({N},) or (M, N) = ({M}, {N}); got "
            f"shape {c.shape}."
        )
    u = np.full((M, N), np.inf) if c is None else np.broadcast_to(c, (M, N)).copy()
    if np.any(np.isnan(u)) or np.any(u < 0):
        raise InputError("cap must be >= 0 and not NaN (shares).")
    short = S > u.sum(axis=1) * (1 + 1e-12)
    if np.any(short):
        i = int(np.flatnonzero(short)[0])
        raise InfeasibleError(
            f"order {i}: shares {S[i]:,.6g} exceed the sum of its caps {u[i].sum():,.6g}; "
            f"{int(short.sum())} order(s) are infeasible: raise the caps or trade fewer shares."
        )
    kernel = impact.exact_kernel(N) if impact.is_convex else None
    if isinstance(kernel, LinearSupply):
        alpha = np.broadcast_to(kernel.alpha, (M, N))
        z0 = np.broadcast_to(kernel.z0, (M, N))
        X, _ = linear_supply_root_batch(alpha, z0, u, S)
        return _resolve_inaccurate_rows(X, S, impact, u)
    raise NotSupportedError(
        "solve_batch handles models whose supply is linear in the multiplier (quadratic impact with "
        "b > 0, plus fees; the per-share power law with one exponent > 1); solve other models "
        "one by one with solve()."
    )
