"""Objective terms beyond the separable impact model, and constraint terms.

The objective of an :class:`~execopt.problem.ExecutionProblem` is a sum of terms: the separable
impact model (``impact``, a :class:`~execopt.impact.ImpactModel`) plus the terms here, each a
small frozen object that declares its value and gradient in NumPy, its cvxpy formulation
(:class:`~execopt.impact.base.Canon`, scaled and DPP) and its structure. Constraint terms (a VaR
limit) declare a violation instead of a value. No solver names a term class: each asks the terms.

==============================  ==========================================  ==================
term                            value, dollars                              formulation
==============================  ==========================================  ==================
:class:`MeanVarianceRisk`       ``k sum_t sigma_t^2 R_t^2``                 QP (sum of squares)
:class:`TransientImpact`        ``1/2 x^T K x``, ``K_ts = G(|t-s|)``        O(N) chains per
                                                                            exponential; dense
:class:`PermanentImpact`        ``gamma (S^2 - sum_t x_t^2) / 2``           diagonal (merged)
:class:`Drift`                  ``sum_t mu_t R_t``                          linear (diagonal)
:class:`VaRLimit` (constraint)  ``z ||sigma R||_2 <= L``                    second-order cone
==============================  ==========================================  ==================

The permanent term is Almgren–Chriss's discrete convention: a child order pays the permanent
impact of every earlier one, not its own, so ``sum_t x_t gamma sum_{s<t} x_s``; with
``sum_t x_t = S`` that is ``gamma (S^2 - sum_t x_t^2) / 2``. Alone it is concave: the problem is
convex only with enough curvature elsewhere (``2 b_t`` of quadratic impact, the kernel), which
:class:`~execopt.problem.ExecutionProblem` checks when it is built.

The drift term is the expected cost of holding inventory while the mid drifts: with ``mu_t`` the
expected mid change from period ``t`` to ``t + 1`` *against the order* (up for a buy, down for a
sell), a fill in period ``t`` pays ``sum_{s<t} mu_s`` over the arrival mid, so the expected timing
cost of a schedule is ``sum_t x_t sum_{s<t} mu_s = sum_t mu_t R_t``. It is linear in ``x``
(``-sum_{s>=t} mu_s`` per share, up to the constant ``S sum_t mu_t``), so it declares itself as a
diagonal quadratic with zero curvature and every solver takes it with no other change:
water-filling (a per-share rate), the banded and active-set kernels, the conic back-ends. An
alpha signal enters the same way.

Glossary: ``S`` shares, ``N`` periods, ``x`` the schedule, ``R_t = S - sum_{s<=t} x_s`` the
shares still to trade after period ``t``, ``k`` the risk aversion (1 / dollars), ``sigma_t`` the
price volatility per period (dollars per share), ``z`` the normal quantile of the VaR level,
``L`` the VaR limit (dollars), ``mu_t`` the expected adverse drift (dollars per share per
period).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from execopt.impact.base import Canon, Cone, Units

if TYPE_CHECKING:  # pragma: no cover
    import cvxpy as cp

__all__ = [
    "Drift",
    "HessianBounds",
    "MeanVarianceRisk",
    "PermanentImpact",
    "Term",
    "TransientImpact",
    "VaRLimit",
    "remaining",
    "suffix_sum",
]

FloatArray = NDArray[np.float64]


def remaining(S: float, x: FloatArray) -> FloatArray:
    """``R_t = S - sum_{s<=t} x_s``, shares still to trade after each period."""
    return S - np.cumsum(x, axis=-1)


def suffix_sum(v: FloatArray) -> FloatArray:
    """``sum_{s>=t} v_s`` for every ``t`` (the adjoint of the cumulative sum)."""
    return np.cumsum(v[..., ::-1], axis=-1)[..., ::-1]


@dataclass(frozen=True)
class HessianBounds:
    """What the suite's checks need of a term's Hessian ``H`` without forming it (large N).

    Attributes
    ----------
    diagonal : ndarray (N,)
        ``H_tt``, dollars per share squared.
    offdiag_min : float
        A lower bound on every off-diagonal entry ``H_ts`` (``t != s``).
    abs_row_sum : ndarray (N,)
        An upper bound on ``sum_s |H_ts|`` for every row ``t``.
    """

    diagonal: FloatArray
    offdiag_min: float
    abs_row_sum: FloatArray

    @classmethod
    def of_matrix(cls, H: FloatArray) -> HessianBounds:
        """The bounds of a dense Hessian (exact)."""
        H = np.asarray(H, dtype=np.float64)
        N = H.shape[0]
        off = H[~np.eye(N, dtype=bool)]
        return cls(
            np.diag(H).copy(),
            float(off.min()) if off.size else 0.0,
            np.abs(H).sum(axis=1),
        )


def _remaining_expr(y: cp.Variable) -> Any:
    """``R_t / s = sum_{j>t} y_j`` in scaled units (uses ``sum y = S / s``)."""
    import cvxpy as cp

    return cp.cumsum(y[::-1])[::-1] - y


class Term:
    """A non-separable objective term: value, gradient, cvxpy formulation, structure."""

    name: ClassVar[str] = "term"
    cone: ClassVar[Cone] = "qp"
    #: A constraint (no value of its own): see :meth:`violation`.
    constraint: ClassVar[bool] = False

    def value(self, x: FloatArray) -> float:
        """Dollars, for one schedule of shape (N,)."""
        return float(self.batch_value(x))

    def batch_value(self, X: FloatArray) -> FloatArray:  # pragma: no cover - abstract
        """Dollars for each schedule of ``X`` (shape (..., N)), shape (...)."""
        raise NotImplementedError

    def gradient(self, x: FloatArray) -> FloatArray:  # pragma: no cover - abstract
        """Dollars per share."""
        raise NotImplementedError

    def value_and_gradient(self, x: FloatArray) -> tuple[float, FloatArray]:
        """:meth:`value` and :meth:`gradient` at once (terms that share the work override it)."""
        return self.value(x), self.gradient(x)

    def hessian(self, x: FloatArray) -> FloatArray:  # pragma: no cover - abstract
        """Dense Hessian of :meth:`value`, dollars per share squared, shape (N, N)."""
        raise NotImplementedError

    def hessian_bounds(self, x: FloatArray) -> HessianBounds:
        """Diagonal, smallest off-diagonal entry and absolute row sums of :meth:`hessian`
        (exact from the dense matrix here; structured terms give them in O(N) for large N).
        """
        return HessianBounds.of_matrix(self.hessian(x))

    def canon(self, y: cp.Variable, N: int) -> Canon:  # pragma: no cover - abstract
        """The DPP formulation in scaled units."""
        raise NotImplementedError

    def structure_key(self) -> tuple[Any, ...]:
        return (self.name,)

    def diagonal_quadratic(self, N: int) -> tuple[FloatArray, FloatArray] | None:
        """``(l, q)`` when the term is ``sum_t l_t x_t + q_t x_t^2`` up to a constant, or None
        (the conic back-ends merge such terms with the impact model's own).
        """
        return None

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class MeanVarianceRisk(Term):
    """The Almgren–Chriss variance penalty ``k sum_t sigma_t^2 R_t^2``, dollars.

    Parameters
    ----------
    shares : float
        ``S``.
    risk_aversion : float
        ``k > 0``, 1 / dollars.
    sigma2 : ndarray (N,)
        ``sigma_t^2``, dollars^2 per share^2 per period.
    """

    shares: float
    risk_aversion: float
    sigma2: FloatArray
    name: ClassVar[str] = "mean_variance"

    def batch_value(self, X: FloatArray) -> FloatArray:
        R = remaining(self.shares, X)
        return np.asarray(self.risk_aversion * np.sum(self.sigma2 * R * R, axis=-1))

    def gradient(self, x: FloatArray) -> FloatArray:
        wR = self.sigma2 * remaining(self.shares, x)
        return np.asarray(-2.0 * self.risk_aversion * suffix_sum(wR))

    def hessian(self, x: FloatArray) -> FloatArray:
        """``H_ts = 2 k sum_{j >= max(t, s)} sigma_j^2`` (constant: the term is quadratic)."""
        W = suffix_sum(np.asarray(self.sigma2, dtype=np.float64))
        N = W.shape[-1]
        idx = np.arange(N)
        return np.asarray(2.0 * self.risk_aversion * W[np.maximum.outer(idx, idx)])

    def hessian_bounds(self, x: FloatArray) -> HessianBounds:
        """O(N): ``H_ts = 2k W_max(t,s)`` with ``W`` non-increasing, so the smallest off-diagonal
        entry is ``2k W_{N-1}`` and row ``t`` sums to ``2k ((t + 1) W_t + sum_{s>t} W_s)``.
        """
        W = suffix_sum(np.broadcast_to(np.asarray(self.sigma2, dtype=np.float64), np.shape(x)))
        N = W.shape[-1]
        k2 = 2.0 * self.risk_aversion
        tail = np.append(suffix_sum(W)[1:], 0.0)
        return HessianBounds(
            k2 * W, k2 * float(W[-1]) if N > 1 else 0.0, k2 * ((np.arange(N) + 1.0) * W + tail)
        )

    def canon(self, y: cp.Variable, N: int) -> Canon:
        import cvxpy as cp

        rk_p = cp.Parameter(N, name="sqrt_risk", nonneg=True)

        def load(t: Any, u: Units) -> None:
            rk_p.value = np.sqrt(t.risk_aversion * t.sigma2 / u.C) * u.s

        return Canon(cp.sum_squares(cp.multiply(rk_p, _remaining_expr(y))), [], load)

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.name, "risk_aversion": self.risk_aversion}


@dataclass(frozen=True, eq=False)
class VaRLimit(Term):
    """The value-at-risk limit ``z sqrt(sum_t sigma_t^2 R_t^2) <= L`` (a second-order cone).

    Parameters
    ----------
    shares : float
        ``S``.
    sigma2 : ndarray (N,)
        ``sigma_t^2``.
    z : float
        Normal quantile of the VaR level, ``> 0`` (1.645 for 95 %).
    limit : float
        ``L > 0``, dollars.
    """

    shares: float
    sigma2: FloatArray
    z: float
    limit: float
    name: ClassVar[str] = "var_limit"
    cone: ClassVar[Cone] = "power"  # a second-order cone: not a QP
    constraint: ClassVar[bool] = True

    def value_at_risk(self, x: FloatArray) -> float:
        """``z ||sigma R||_2``, dollars."""
        R = remaining(self.shares, x)
        return float(self.z * np.sqrt(np.sum(self.sigma2 * R * R)))

    def violation(self, x: FloatArray) -> float:
        """Dollars above the limit (0 when met)."""
        return max(0.0, self.value_at_risk(x) - self.limit)

    def batch_value(self, X: FloatArray) -> FloatArray:
        return np.zeros(np.shape(X)[:-1])

    def gradient(self, x: FloatArray) -> FloatArray:
        return np.zeros(np.shape(x))

    def hessian(self, x: FloatArray) -> FloatArray:
        """Zero: a constraint adds nothing to the objective."""
        N = np.shape(x)[-1]
        return np.zeros((N, N))

    def hessian_bounds(self, x: FloatArray) -> HessianBounds:
        N = np.shape(x)[-1]
        return HessianBounds(np.zeros(N), 0.0, np.zeros(N))

    def constraint_gradient(self, x: FloatArray) -> FloatArray:
        """Gradient of ``VaR(x)`` in dollars per share (for the certificate's dual)."""
        R = remaining(self.shares, x)
        v = np.sqrt(np.sum(self.sigma2 * R * R))
        if v == 0:
            return np.zeros(np.shape(x))
        return np.asarray(-self.z * suffix_sum(self.sigma2 * R) / v)

    def canon(self, y: cp.Variable, N: int) -> Canon:
        import cvxpy as cp

        sg_p = cp.Parameter(N, name="sigma", nonneg=True)
        vl_p = cp.Parameter(name="var_limit", nonneg=True)

        def load(t: Any, u: Units) -> None:
            sg_p.value = np.sqrt(t.sigma2).copy()
            vl_p.value = t.limit / (t.z * u.s)

        con = cp.norm(cp.multiply(sg_p, _remaining_expr(y)), 2) <= vl_p
        return Canon(cp.Constant(0.0), [con], load)

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.name, "z": self.z, "limit": self.limit}


@dataclass(frozen=True, eq=False)
class TransientImpact(Term):
    """Transient (propagator) impact ``1/2 x^T K x`` with ``K_ts = G(|t - s|)``, dollars.

    Parameters
    ----------
    kernel : Kernel
        :class:`~execopt.impact.transient.ExponentialKernel`, ``PowerLawKernel`` or
        ``TabulatedKernel``.
    periods : int
        ``N``.

    Notes
    -----
    The conic formulation writes each exponential ``w rho^|t-s|`` of the kernel (one for the
    exponential kernel, a fitted positive sum for the power law) with a chain variable
    ``z_t = rho z_{t-1} + x_t``: then ``x^T T x = (1 - rho^2) sum_{t<N-1} z_t^2 + z_{N-1}^2``
    (expand ``z_t^2 - rho^2 z_{t-1}^2 = x_t^2 + 2 rho z_{t-1} x_t``), O(N) rows instead of the
    dense ``N^2``. A kernel without such a sum (tabulated) uses the dense matrix.
    """

    kernel: Any
    periods: int
    name: ClassVar[str] = "transient"

    def batch_value(self, X: FloatArray) -> FloatArray:
        return np.asarray(0.5 * np.sum(X * self.kernel.apply(X), axis=-1))

    def gradient(self, x: FloatArray) -> FloatArray:
        return np.asarray(self.kernel.apply(x), dtype=np.float64)

    def value_and_gradient(self, x: FloatArray) -> tuple[float, FloatArray]:
        # K x once; the value summed as batch_value sums it (bit-identical to value(x))
        kx = np.asarray(self.kernel.apply(x), dtype=np.float64)
        return float(0.5 * np.sum(x * kx, axis=-1)), kx

    def hessian(self, x: FloatArray) -> FloatArray:
        """``K`` itself (dense; the term is quadratic)."""
        return self.kernel.matrix(np.shape(x)[-1])

    def hessian_bounds(self, x: FloatArray) -> HessianBounds:
        """O(N) from the Toeplitz structure: ``H_tt = G(0)``, off-diagonal entries ``G(l)``,
        ``l >= 1``, and row ``t`` sums ``|G(0)| + sum_{l=1}^{t} |G(l)| + sum_{l=1}^{N-1-t} |G(l)|``.
        """
        N = np.shape(x)[-1]
        g = np.asarray(self.kernel.values(N), dtype=np.float64)
        c = np.concatenate([[0.0], np.cumsum(np.abs(g[1:]))])  # c[m] = sum_{l=1}^{m} |G(l)|
        t = np.arange(N)
        return HessianBounds(
            np.full(N, g[0]), float(g[1:].min()) if N > 1 else 0.0, abs(g[0]) + c[t] + c[N - 1 - t]
        )

    def structure_key(self) -> tuple[Any, ...]:
        soe = self.kernel.exponential_sum(self.periods)
        if soe is None:
            return (self.name, "dense", self.kernel)
        return (self.name, "chains", int(soe.weights.size))

    def canon(self, y: cp.Variable, N: int) -> Canon:
        import cvxpy as cp

        soe = self.kernel.exponential_sum(N)
        if soe is None:
            K = self.kernel.matrix(N)
            sc_p = cp.Parameter(nonneg=True, name="transient_scale")

            def load_dense(t: Any, u: Units) -> None:
                sc_p.value = 0.5 * u.s * u.s / u.C

            return Canon(sc_p * cp.quad_form(y, cp.psd_wrap(K)), [], load_dense)
        J = soe.weights.size
        cons: list[Any] = []
        cost = 0
        params: list[tuple[Any, Any, Any]] = []
        for j in range(J):
            z = cp.Variable(N, name=f"z_transient_{j}")
            rho_p = cp.Parameter(nonneg=True, name=f"rho_{j}")
            c1 = cp.Parameter(nonneg=True, name=f"c1_{j}")
            c2 = cp.Parameter(nonneg=True, name=f"c2_{j}")
            cons.append(z[0] == y[0])
            if N > 1:
                cons.append(z[1:] == cp.multiply(rho_p, z[:-1]) + y[1:])
                cost = cost + cp.sum_squares(c1 * z[:-1])
            cost = cost + cp.square(c2 * z[N - 1])
            params.append((rho_p, c1, c2))

        def load(t: Any, u: Units) -> None:
            s = t.kernel.exponential_sum(N)
            unit = u.s * u.s / u.C
            for (rho_p, c1, c2), w, r in zip(params, s.weights, s.rho, strict=True):
                rho_p.value = float(r)
                c1.value = float(np.sqrt(0.5 * w * (1.0 - r * r) * unit))
                c2.value = float(np.sqrt(0.5 * w * unit))

        return Canon(cost, cons, load)

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.name, "kernel": self.kernel.to_dict()}


@dataclass(frozen=True, eq=False)
class PermanentImpact(Term):
    """Linear permanent impact in Almgren–Chriss's discrete convention,
    ``gamma (S^2 - sum_t x_t^2) / 2`` dollars (see the module docstring).

    Parameters
    ----------
    shares : float
        ``S``.
    gamma : float
        ``gamma >= 0``, dollars per share per share.
    """

    shares: float
    gamma: float
    name: ClassVar[str] = "permanent"

    def batch_value(self, X: FloatArray) -> FloatArray:
        return np.asarray(0.5 * self.gamma * (self.shares**2 - np.sum(X * X, axis=-1)))

    def gradient(self, x: FloatArray) -> FloatArray:
        return np.asarray(-self.gamma * x, dtype=np.float64)

    def hessian(self, x: FloatArray) -> FloatArray:
        """``-gamma I`` (the term is concave alone; see the module docstring)."""
        return -self.gamma * np.eye(np.shape(x)[-1])

    def hessian_bounds(self, x: FloatArray) -> HessianBounds:
        N = np.shape(x)[-1]
        return HessianBounds(np.full(N, -self.gamma), 0.0, np.full(N, self.gamma))

    def diagonal_quadratic(self, N: int) -> tuple[FloatArray, FloatArray]:
        return np.zeros(N), np.full(N, -0.5 * self.gamma)

    def canon(self, y: cp.Variable, N: int) -> Canon:  # pragma: no cover - merged
        raise NotImplementedError(
            "the permanent term is concave alone; the conic back-end merges it with the "
            "diagonal quadratic terms (see execopt.solvers.conic)."
        )

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.name, "gamma": self.gamma}


@dataclass(frozen=True, eq=False)
class Drift(Term):
    """The expected cost of the mid's drift on the unexecuted inventory, ``sum_t mu_t R_t``.

    Parameters
    ----------
    shares : float
        ``S``.
    mu : ndarray (N,)
        Expected mid change from period ``t`` to ``t + 1`` against the order, dollars per share
        (a buy loses when the mid rises: pass the expected rise; a sell: the expected fall,
        i.e. ``-`` the mid's drift). Any sign: a favourable drift rewards waiting.

    Examples
    --------
    >>> import numpy as np
    >>> d = Drift(100.0, np.full(4, 0.01))
    >>> x = np.array([100.0, 0, 0, 0])  # all at once: no inventory left to drift
    >>> d.value(x), d.value(np.full(4, 25.0))
    (0.0, 1.5)
    >>> d.diagonal_quadratic(4)[0]  # dollars per share of trading in each period
    array([-0.04, -0.03, -0.02, -0.01])
    """

    shares: float
    mu: FloatArray
    name: ClassVar[str] = "drift"
    cone: ClassVar[Cone] = "lp"

    def rate(self, N: int) -> FloatArray:
        """``-sum_{s>=t} mu_s``: the term's gradient, dollars per share (constant in ``x``)."""
        mu = np.broadcast_to(np.asarray(self.mu, dtype=np.float64), (N,))
        return np.asarray(-suffix_sum(mu), dtype=np.float64)

    def batch_value(self, X: FloatArray) -> FloatArray:
        R = remaining(self.shares, X)
        return np.asarray(np.sum(self.mu * R, axis=-1))

    def gradient(self, x: FloatArray) -> FloatArray:
        return self.rate(np.shape(x)[-1]) + 0.0 * x

    def diagonal_quadratic(self, N: int) -> tuple[FloatArray, FloatArray]:
        return self.rate(N), np.zeros(N)

    def hessian(self, x: FloatArray) -> FloatArray:
        N = np.shape(x)[-1]
        return np.zeros((N, N))

    def hessian_bounds(self, x: FloatArray) -> HessianBounds:
        N = np.shape(x)[-1]
        return HessianBounds(np.zeros(N), 0.0, np.zeros(N))

    def canon(self, y: cp.Variable, N: int) -> Canon:
        import cvxpy as cp

        r_p = cp.Parameter(N, name="drift_rate")

        def load(t: Any, u: Units) -> None:
            r_p.value = t.rate(N) * u.s / u.C

        return Canon(r_p @ y, [], load)

    def to_dict(self) -> dict[str, Any]:
        mu = np.asarray(self.mu, dtype=float)
        return {"term": self.name, "mu": float(mu) if mu.ndim == 0 else mu.tolist()}
