"""Multi-asset execution: a basket of orders with covariance risk, cross-impact and mandates.

A :class:`Basket` holds ``M`` ordinary :class:`~execopt.problem.ExecutionProblem` legs (each
with its own impact model, caps, transient kernel and own risk terms), one side per leg, and the
terms that couple them:

    minimise   sum_i f_i(x_i) + k sum_t r_t^T C r_t + sum_t x_t^T Hbar x_t
    subject to sum_t x_{i,t} = S_i,   0 <= x_{i,t} <= u_{i,t}          (each leg its own direction)
               [ |sum_i side_i P_i R_{i,t}| <= D  for every t ]       (dollar-neutrality band)
               [ z sqrt(sum_t r_t^T C r_t) <= L ]                     (portfolio VaR, one SOC)

with ``R_{i,t} = S_i - sum_{s<=t} x_{i,s}`` the shares of leg ``i`` still to trade after period
``t`` and ``r_t = (side_i R_{i,t})_i`` the signed inventory (a sell leg still holds its shares:
``side = +1``; a buy leg is short what it has yet to buy: ``side = -1``). ``C`` is the
per-period covariance of price changes (dollars^2 per share^2), a full ``(M, M)`` matrix or a
factor model ``F F^T + diag(D)`` (:class:`FactorCovariance`). ``Hbar`` is the symmetric part of
a temporary cross-impact matrix ``H`` acting on the legs' own-direction trades ``x_t >= 0``
(dollars per share per share; for a market cross-impact matrix ``G`` on signed flows pass
``H = diag(side) G diag(side)``).

The mandates are the point: every leg trades in its own direction only (``0 <= x <= u``), so no
leg is shorted through zero to hedge another, which the unbounded closed form does (see
:func:`unconstrained_trajectories`). The feasible set is a product of capped simplices, one per
leg, so the certificate (:func:`certify_basket`) needs one knapsack per leg.

Everything is validated where the basket is built (shapes, equal ``N``, sides, prices > 0,
positive semidefinite ``C`` and ``Hbar``, a band no schedule can meet) with typed errors.

Glossary: ``M`` legs, ``N`` periods, ``S_i`` shares of leg ``i``, ``X`` the ``(M, N)`` schedule,
``R`` the ``(M, N)`` remaining shares, ``E = side * R`` the signed inventory, ``k`` the basket's
risk aversion (1 / dollars), ``P`` prices (dollars per share), ``D`` the band (dollars), ``z``
the normal quantile of the VaR level, ``L`` the VaR limit (dollars).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt.errors import ConvexityError, InfeasibleError, InputError, NotSupportedError
from execopt.impact.base import decode_array, encode_array
from execopt.problem.execution_problem import ExecutionProblem, as_real
from execopt.problem.terms import suffix_sum

__all__ = [
    "PSD_RTOL",
    "Basket",
    "FactorCovariance",
    "Side",
    "side_sign",
    "tail_problem",
    "unconstrained_trajectories",
]

FloatArray = NDArray[np.float64]
Side = Literal["buy", "sell"]

#: A symmetric matrix counts as positive semidefinite when its smallest eigenvalue is at least
#: ``-PSD_RTOL`` times its largest absolute eigenvalue (rounding of a product ``F F^T`` or of a
#: sample covariance is ~1e-16 relative; 1e-10 leaves room and still refuses real negatives).
PSD_RTOL = 1e-10
#: Relative asymmetry ``max|C - C^T| / max|C|`` above which a covariance is refused (a covariance
#: is symmetric; a transposed or mis-shaped input is not).
SYMMETRY_RTOL = 1e-8


def side_sign(side: Any, where: str = "side") -> float:
    """``+1`` for ``"sell"`` (the leg holds inventory), ``-1`` for ``"buy"`` (it is short what it
    has yet to buy).

    Raises
    ------
    InputError
        Anything but ``"buy"`` or ``"sell"``.
    """
    if side == "sell":
        return 1.0
    if side == "buy":
        return -1.0
    raise InputError(
        f"{where} must be 'buy' or 'sell', got {side!r}: every leg trades in one direction "
        "(give the size as a positive number of shares and its side here)."
    )


def _matrix(name: str, v: Any, shape: tuple[int, ...]) -> FloatArray:
    if isinstance(v, (str, bytes, bool)) or v is None:
        raise InputError(f"{name} must be a numeric array of shape {shape}, got {v!r}.")
    try:
        a = np.array(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a numeric array of shape {shape}.") from None
    if a.shape != shape:
        raise InputError(f"{name} must have shape {shape} (one row per leg), got {a.shape}.")
    if not np.isfinite(a).all():
        raise InputError(f"{name} contains NaN or inf: every entry must be a finite number.")
    a.flags.writeable = False
    return a


def _min_eig_ok(A: FloatArray) -> tuple[bool, float]:
    """Whether the symmetric ``A`` is positive semidefinite (see :data:`PSD_RTOL`), and its
    smallest eigenvalue.
    """
    if A.size == 0:
        return True, 0.0
    w = np.linalg.eigvalsh(A)
    scale = max(float(np.abs(w).max()), 1e-300)
    return bool(w[0] >= -PSD_RTOL * scale), float(w[0])


@dataclass(frozen=True, eq=False)
class FactorCovariance:
    """A factor risk model ``C = F F^T + diag(D)`` (dollars^2 per share^2 per period).

    Parameters
    ----------
    F : array_like of shape (M, K)
        Factor loadings, dollars per share per unit factor.
    D : array_like of shape (M,)
        Idiosyncratic variances, ``>= 0``.

    Examples
    --------
    >>> fc = FactorCovariance([[0.1], [0.2]], [0.01, 0.02])
    >>> fc.matrix().round(4).tolist()
    [[0.02, 0.02], [0.02, 0.06]]
    """

    F: FloatArray
    D: FloatArray

    def __post_init__(self) -> None:
        try:
            F = np.array(self.F, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("the factor loadings F must be a numeric (M, K) array.") from None
        if F.ndim != 2:
            raise InputError(f"the factor loadings F must be an (M, K) array, got shape {F.shape}.")
        M = F.shape[0]
        F = _matrix("factor loadings F", F, F.shape)
        D = _matrix("idiosyncratic variances D", self.D, (M,))
        if (D < 0).any():
            raise ConvexityError(
                f"idiosyncratic variances D must be >= 0 (they are variances), got "
                f"{D[D < 0][:3].tolist()}: a negative variance makes the risk term non-convex."
            )
        object.__setattr__(self, "F", F)
        object.__setattr__(self, "D", D)

    @property
    def M(self) -> int:  # noqa: N802 - the maths symbol
        """Number of assets."""
        return int(self.F.shape[0])

    @property
    def K(self) -> int:  # noqa: N802 - the maths symbol
        """Number of factors."""
        return int(self.F.shape[1])

    def matrix(self) -> FloatArray:
        """The dense ``(M, M)`` covariance (for small ``M``; the solvers never form it)."""
        return np.asarray(self.F @ self.F.T + np.diag(self.D))

    def apply(self, E: FloatArray) -> FloatArray:
        """``C @ E`` for ``E`` of shape ``(M, ...)`` without forming ``C``."""
        return np.asarray(self.F @ (self.F.T @ E) + self.D.reshape((-1,) + (1,) * (E.ndim - 1)) * E)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "factor", "F": encode_array(self.F), "D": encode_array(self.D)}


def _covariance_from_dict(d: Any) -> FloatArray | FactorCovariance | None:
    if d is None:
        return None
    if not isinstance(d, Mapping) or d.get("kind") not in ("full", "factor"):
        raise InputError(
            "covariance must be null, {'kind': 'full', 'matrix': [[...]]} or "
            "{'kind': 'factor', 'F': [[...]], 'D': [...]}."
        )
    if d["kind"] == "full":
        return np.asarray(decode_array(d["matrix"], "covariance.matrix"), dtype=np.float64)
    return FactorCovariance(
        decode_array(d["F"], "covariance.F"), decode_array(d["D"], "covariance.D")
    )


@dataclass(frozen=True, eq=False)
class Basket:
    """A basket of execution orders with joint risk, cross-impact and mandates (immutable).

    Parameters
    ----------
    problems : sequence of ExecutionProblem
        One leg per asset, all with the same number of periods ``N``. Each keeps its own impact
        model, caps (visible depth included), transient and permanent impact and its own risk
        terms.
    sides : sequence of {"buy", "sell"}
        The direction of each leg.
    covariance : None, array_like (M, M) or FactorCovariance
        Per-period covariance of price changes, dollars^2 per share^2 (symmetric positive
        semidefinite), or a factor model (``(F, D)`` tuples are accepted).
    risk_aversion : float
        ``k >= 0``, weight of ``sum_t r_t^T C r_t`` (1 / dollars); needs ``covariance``.
    cross_impact : None or array_like (M, M)
        Temporary cross-impact ``H`` on the own-direction trades; its symmetric part must be
        positive semidefinite.
    prices : None or array_like (M,)
        Prices, dollars per share (``> 0``); needed by the neutrality band.
    neutrality_band : None or float
        ``D >= 0`` dollars: ``|sum_i side_i P_i R_{i,t}| <= D`` after every period.
    var_limit : None or float
        ``L > 0`` dollars: ``z sqrt(sum_t r_t^T C r_t) <= L``; needs ``covariance``.
    var_z : float
        Normal quantile of the VaR level (1.645 for 95 %).
    symbols : None or sequence of str
        Labels of the legs (default ``"0"``, ``"1"``, ...).

    Raises
    ------
    InputError
        Wrong shapes or types, unequal ``N``, unknown sides, prices ``<= 0``, a risk term or VaR
        limit without a covariance, a band without prices.
    ConvexityError
        A covariance or the symmetric part of ``H`` that is not positive semidefinite, or a leg
        that is not convex.
    InfeasibleError
        A neutrality band that no schedule can meet after some period (checked with each leg's
        reachable inventory; a solver reports the rarer infeasibilities that need the whole
        trajectory).

    Examples
    --------
    A long and a short leg, positively correlated: holding both hedges, so the joint optimum
    trades slower than each leg would alone.

    >>> import execopt as eo
    >>> legs = [eo.ExecutionProblem(5_000, eo.QuadraticImpact(0.01, 1e-4), periods=10)
    ...         for _ in range(2)]
    >>> b = eo.Basket(legs, ["sell", "buy"], covariance=[[0.04, 0.036], [0.036, 0.04]],
    ...               risk_aversion=1e-3, prices=[30.0, 31.0])
    >>> b.M, b.N, b.decoupled
    (2, 10, False)
    >>> round(b.objective(b.twap()), 2)
    1170.0
    """

    problems: Sequence[ExecutionProblem]
    sides: Sequence[str]
    covariance: FloatArray | FactorCovariance | None = None
    risk_aversion: float = 0.0
    cross_impact: FloatArray | None = None
    prices: FloatArray | None = None
    neutrality_band: float | None = None
    var_limit: float | None = None
    var_z: float = 1.6448536269514722
    symbols: Sequence[str] | None = None
    _cache: dict[str, Any] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        probs = self.problems
        if isinstance(probs, ExecutionProblem) or not isinstance(probs, Sequence) or not probs:
            raise InputError(
                "problems must be a non-empty sequence of ExecutionProblem (one leg per asset)."
            )
        probs = tuple(probs)
        for i, p in enumerate(probs):
            if not isinstance(p, ExecutionProblem):
                raise InputError(
                    f"problems[{i}] must be an ExecutionProblem, got {type(p).__name__}."
                )
            if not p.is_convex:
                raise ConvexityError(
                    f"problems[{i}] is not convex (a concave impact model): a basket is solved "
                    "by convex solvers; use the convex per-share reading of the model."
                )
        object.__setattr__(self, "problems", probs)
        M = len(probs)
        Ns = {p.periods for p in probs}
        if len(Ns) > 1:
            raise InputError(
                f"every leg must have the same number of periods N, got {sorted(Ns)}: the "
                "basket's risk and band couple the legs period by period."
            )
        sides = self.sides
        if isinstance(sides, str) or not isinstance(sides, Sequence) or len(sides) != M:
            raise InputError(
                f"sides must be a sequence of {M} entries 'buy' or 'sell' (one per leg), got "
                f"{sides!r}."
            )
        sgn = np.array([side_sign(s, f"sides[{i}]") for i, s in enumerate(sides)])
        sgn.flags.writeable = False
        object.__setattr__(self, "sides", tuple(sides))
        self._cache["sgn"] = sgn
        if self.symbols is not None:
            sym = tuple(str(s) for s in self.symbols)
            if len(sym) != M:
                raise InputError(f"symbols must have {M} entries (one per leg), got {len(sym)}.")
            object.__setattr__(self, "symbols", sym)
        self._check_covariance(M)
        self._check_cross_impact(M)
        if self.prices is not None:
            P = _matrix("prices", self.prices, (M,))
            if (P <= 0).any():
                raise InputError(
                    f"prices must be > 0 dollars per share, got {P[P <= 0][:3].tolist()}."
                )
            object.__setattr__(self, "prices", P)
        for name in ("var_limit", "neutrality_band"):
            v = getattr(self, name)
            if v is not None:
                f = as_real(name, v, what="a number of dollars or None")
                if not math.isfinite(f) or f < 0 or (name == "var_limit" and f == 0):
                    rel = "> 0" if name == "var_limit" else ">= 0"
                    raise InputError(f"{name} must be a finite number of dollars {rel}, got {v!r}.")
                object.__setattr__(self, name, f)
        z = as_real("var_z", self.var_z, what="a normal quantile > 0 (1.645 for 95 %)")
        if not math.isfinite(z) or z <= 0:
            raise InputError(f"var_z must be a finite normal quantile > 0, got {self.var_z!r}.")
        object.__setattr__(self, "var_z", z)
        if self.var_limit is not None and self.covariance is None:
            raise InputError(
                "var_limit needs a covariance (the portfolio VaR is z sqrt(sum_t r_t^T C r_t)): "
                "give covariance=C or a FactorCovariance."
            )
        if self.neutrality_band is not None:
            if self.prices is None:
                raise InputError(
                    "neutrality_band needs prices (the band is on sum_i side_i P_i R_i,t in "
                    "dollars): give prices=[P_1, ..., P_M]."
                )
            self._check_band()

    # ------------------------------------------------------------------ validation
    def _check_covariance(self, M: int) -> None:
        k = as_real("risk_aversion", self.risk_aversion, what="a number >= 0 (1 / dollars)")
        if not math.isfinite(k) or k < 0:
            raise InputError(f"risk_aversion must be finite and >= 0, got {self.risk_aversion!r}.")
        object.__setattr__(self, "risk_aversion", k)
        cov = self.covariance
        if cov is None:
            if k > 0:
                raise InputError(
                    "risk_aversion > 0 needs a covariance: give covariance=C (M x M, dollars^2 "
                    "per share^2 per period) or a FactorCovariance(F, D)."
                )
            return
        if isinstance(cov, tuple) and len(cov) == 2:
            cov = FactorCovariance(*cov)
        if isinstance(cov, FactorCovariance):
            if cov.M != M:
                raise InputError(f"the factor model has {cov.M} rows but the basket has {M} legs.")
            object.__setattr__(self, "covariance", cov)
            return
        C = _matrix("covariance", cov, (M, M))
        scale = max(float(np.abs(C).max()), 1e-300)
        asym = float(np.abs(C - C.T).max()) / scale
        if asym > SYMMETRY_RTOL:
            raise InputError(
                f"covariance is not symmetric (max |C - C^T| is {asym:.2g} of max |C|): give a "
                "covariance matrix of price changes."
            )
        C = 0.5 * (C + C.T)
        ok, lam = _min_eig_ok(C)
        if not ok:
            raise ConvexityError(
                f"covariance is not positive semidefinite (smallest eigenvalue {lam:.3g}): the "
                "risk term would be non-convex (a 'variance' below zero). Estimate it with "
                "shrinkage (execopt.execution.basket.estimate_covariance) or clip negative "
                "eigenvalues."
            )
        C.flags.writeable = False
        object.__setattr__(self, "covariance", C)

    def _check_cross_impact(self, M: int) -> None:
        if self.cross_impact is None:
            return
        H = _matrix("cross_impact", self.cross_impact, (M, M))
        Hbar = 0.5 * (H + H.T)
        ok, lam = _min_eig_ok(Hbar)
        if not ok:
            raise ConvexityError(
                f"the symmetric part of cross_impact is not positive semidefinite (smallest "
                f"eigenvalue {lam:.3g} dollars per share^2): some combination of trades would "
                "lower every leg's cost, which is price manipulation, not execution. Shrink the "
                "off-diagonal entries or raise the diagonal."
            )
        object.__setattr__(self, "cross_impact", H)
        Hbar.flags.writeable = False
        self._cache["Hbar"] = Hbar

    def _check_band(self) -> None:
        """Necessary condition: after each period the band must be reachable with each leg's
        remaining shares inside ``[S_i - (caps so far), min(S_i, caps still to come)]``.
        """
        D = float(self.neutrality_band)  # type: ignore[arg-type]
        a = self.sgn * self.prices  # type: ignore[operator]
        U = self.upper
        S = self.S[:, None]
        lo = np.maximum(0.0, S - np.cumsum(U, axis=1))
        tail = np.concatenate(
            [np.cumsum(U[:, ::-1], axis=1)[:, ::-1][:, 1:], np.zeros((self.M, 1))], 1
        )
        hi = np.minimum(S, tail)
        with np.errstate(invalid="ignore"):
            bmin = np.sum(np.where(a[:, None] > 0, a[:, None] * lo, a[:, None] * hi), axis=0)
            bmax = np.sum(np.where(a[:, None] > 0, a[:, None] * hi, a[:, None] * lo), axis=0)
        tol = 1e-9 * max(float(np.sum(np.abs(a) * self.S)), 1.0)
        bad = np.flatnonzero((bmin > D + tol) | (bmax < -D - tol))
        if bad.size:
            t = int(bad[0])
            raise InfeasibleError(
                f"the dollar-neutrality band D = ${D:,.2f} cannot be met after period {t}: the "
                f"signed dollar inventory sum_i side_i P_i R_i,t can only lie in "
                f"[${bmin[t]:,.2f}, ${bmax[t]:,.2f}] there (caps and sizes of the legs). Widen "
                "the band, raise the caps, or balance the legs' notionals."
            )

    # ------------------------------------------------------------------ shape and facts
    @property
    def M(self) -> int:  # noqa: N802 - the maths symbol
        """Number of legs."""
        return len(self.problems)

    @property
    def N(self) -> int:  # noqa: N802 - the maths symbol
        """Number of periods."""
        return self.problems[0].periods

    @property
    def sgn(self) -> FloatArray:
        """``side_i``: ``+1`` sell, ``-1`` buy."""
        sgn: FloatArray = self._cache["sgn"]
        return sgn

    @cached_property
    def S(self) -> FloatArray:  # noqa: N802 - the maths symbol
        """Shares of each leg, shape (M,)."""
        return np.array([p.shares for p in self.problems])

    @cached_property
    def upper(self) -> FloatArray:
        """Per-period caps of every leg (visible depth included), shape (M, N)."""
        return np.stack([p.upper for p in self.problems])

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """The legs' symbols, or ``"0"``, ``"1"``, ..."""
        if self.symbols is not None:
            return tuple(self.symbols)
        return tuple(str(i) for i in range(self.M))

    @property
    def hbar(self) -> FloatArray | None:
        """The symmetric part of the cross-impact matrix (None without one)."""
        return self._cache.get("Hbar")

    @cached_property
    def has_risk(self) -> bool:
        """The basket's own risk term is present (``k > 0`` with a covariance)."""
        return self.risk_aversion > 0 and self.covariance is not None

    @cached_property
    def risk_factors(self) -> tuple[FloatArray, FloatArray] | None:
        """``(F, D)`` with ``C = F F^T + diag(D)`` (a full matrix: its eigenvector factor scaled
        by the square roots of its positive eigenvalues, ``D = 0``); None without covariance.
        The conic back-ends write the risk as ``sum_t |F^T r_t|^2 + sum_i D_i r_{i,t}^2``.
        """
        cov = self.covariance
        if cov is None:
            return None
        if isinstance(cov, FactorCovariance):
            return cov.F, cov.D
        if np.count_nonzero(cov - np.diag(np.diag(cov))) == 0:
            return np.zeros((self.M, 0)), np.diag(cov).copy()
        w, V = np.linalg.eigh(cov)
        keep = w > PSD_RTOL * max(float(np.abs(w).max()), 1e-300)
        return V[:, keep] * np.sqrt(w[keep]), np.zeros(self.M)

    @cached_property
    def cov_diagonal(self) -> FloatArray | None:
        """``C_ii``, shape (M,) (None without covariance)."""
        f = self.risk_factors
        return None if f is None else np.sum(f[0] ** 2, axis=1) + f[1]

    @cached_property
    def risk_coupled(self) -> bool:
        """The risk term (or VaR limit) couples the legs (a covariance with off-diagonal
        entries).
        """
        if (not self.has_risk and self.var_limit is None) or self.covariance is None:
            return False
        if self.var_limit is not None:
            return True  # one cone over every leg
        F = self.risk_factors[0]  # type: ignore[index]
        C_off = F @ F.T
        np.fill_diagonal(C_off, 0.0)
        return bool(np.any(C_off != 0.0))

    @cached_property
    def decoupled(self) -> bool:
        """No coupling between legs: no off-diagonal risk or cross-impact, no band, no VaR.
        Then the optimum is each leg's own optimum (with the diagonal terms folded in, see
        :meth:`legs`).
        """
        H = self.hbar
        h_off = H is not None and bool(np.any(H - np.diag(np.diag(H)) != 0.0))
        return (
            not (self.risk_coupled or h_off or self.neutrality_band is not None)
            and self.var_limit is None
        )

    @cached_property
    def strong_convexity(self) -> FloatArray:
        """Per-leg lower bound ``kappa_i >= 0`` on the Hessian's diagonal block (dollars per
        share^2): each leg's own bound (the coupling terms are positive semidefinite and only
        add to it).
        """
        return np.array([p.strong_convexity for p in self.problems])

    # ------------------------------------------------------------------ the objective
    def _X(self, X: ArrayLike) -> FloatArray:  # noqa: N802 - the maths symbol
        x = np.asarray(X, dtype=np.float64)
        if x.shape != (self.M, self.N):
            raise InputError(
                f"a basket schedule has shape (M, N) = ({self.M}, {self.N}) (one row per leg), "
                f"got {x.shape}."
            )
        return x

    def remaining(self, X: ArrayLike) -> FloatArray:
        """``R_{i,t}``: shares of each leg still to trade after period ``t``, shape (M, N)."""
        return self.S[:, None] - np.cumsum(self._X(X), axis=1)

    def exposure(self, X: ArrayLike) -> FloatArray:
        """Signed inventory ``E = side * R`` in shares, shape (M, N) (column ``t`` is ``r_t``)."""
        return self.sgn[:, None] * self.remaining(X)

    def _cov_apply(self, E: FloatArray) -> FloatArray:
        cov = self.covariance
        if isinstance(cov, FactorCovariance):
            return cov.apply(E)
        return np.asarray(cov @ E)  # type: ignore[operator]

    def risk_variance(self, X: ArrayLike) -> float:
        """``sum_t r_t^T C r_t``, dollars^2 (0 without covariance)."""
        if self.covariance is None:
            return 0.0
        E = self.exposure(X)
        return float(np.sum(E * self._cov_apply(E)))

    def risk_cost(self, X: ArrayLike) -> float:
        """The basket's risk term ``k sum_t r_t^T C r_t``, dollars."""
        return self.risk_aversion * self.risk_variance(X) if self.has_risk else 0.0

    def cross_cost(self, X: ArrayLike) -> float:
        """``sum_t x_t^T Hbar x_t``, dollars (0 without cross-impact)."""
        H = self.hbar
        if H is None:
            return 0.0
        x = self._X(X)
        return float(np.sum(x * (H @ x)))

    def leg_objectives(self, X: ArrayLike) -> FloatArray:
        """Each leg's own objective (impact and its own terms), dollars, shape (M,)."""
        x = self._X(X)
        return np.array([p.objective(x[i]) for i, p in enumerate(self.problems)])

    def objective(self, X: ArrayLike) -> float:
        """The basket's objective, dollars: the legs' objectives, the risk and cross-impact."""
        return float(self.leg_objectives(X).sum()) + self.risk_cost(X) + self.cross_cost(X)

    def gradient(self, X: ArrayLike) -> FloatArray:
        """Gradient of :meth:`objective`, dollars per share, shape (M, N)."""
        x = self._X(X)
        g = np.stack([p.gradient(x[i]) for i, p in enumerate(self.problems)])
        if self.has_risk:
            E = self.exposure(x)
            g = g - 2.0 * self.risk_aversion * self.sgn[:, None] * suffix_sum(self._cov_apply(E))
        H = self.hbar
        if H is not None:
            g = g + 2.0 * (H @ x)
        return np.asarray(g, dtype=np.float64)

    # ------------------------------------------------------------------ curvature
    def _cov_dense(self) -> FloatArray | None:
        cov = self.covariance
        if cov is None or not self.has_risk:
            return None
        return cov.matrix() if isinstance(cov, FactorCovariance) else np.asarray(cov)

    def leg_hessian(self, i: int, X: ArrayLike) -> FloatArray:
        """The ``(N, N)`` diagonal block of the objective's Hessian for leg ``i`` at ``X``
        (dollars per share squared): the leg's own (its impact's curvature and its terms'
        Hessians) plus the basket's risk ``2 k C_ii (N - max(t, s))`` and cross-impact
        ``2 Hbar_ii`` on the diagonal.
        """
        x = self._X(X)
        p = self.problems[i]
        N = self.N
        H = np.diag(np.broadcast_to(p.impact.curvature(x[i]), (N,)).astype(np.float64))
        for term in p.terms:
            H = H + np.asarray(term.hessian(x[i]), dtype=np.float64)
        C = self._cov_dense()
        if C is not None:
            idx = np.arange(N)
            H = H + 2.0 * self.risk_aversion * C[i, i] * (N - np.maximum.outer(idx, idx))
        Hb = self.hbar
        if Hb is not None:
            H = H + 2.0 * Hb[i, i] * np.eye(N)
        return np.asarray(H)

    def hessian_abs_row_sums(self, X: ArrayLike) -> FloatArray:
        """``sum_{(j, u)} |H_{(i,t),(j,u)}|`` for every leg ``i`` and period ``t``, shape (M, N):
        the largest change of a marginal cost per share of schedule error (dollars per share
        squared), within the leg and across legs (risk ``2 k |C_ij| (N - max(t, u))``,
        cross-impact ``2 |Hbar_ij|``).
        """
        x = self._X(X)
        M, N = self.M, self.N
        out = np.stack([np.abs(self.leg_hessian(i, x)).sum(axis=1) for i in range(M)])
        C = self._cov_dense()
        if C is not None:
            t = np.arange(N, dtype=np.float64)
            rows = (t + 1.0) * (N - t) + 0.5 * (N - t - 1.0) * (N - t)
            off = np.abs(C).sum(axis=1) - np.abs(np.diag(C))
            out = out + 2.0 * self.risk_aversion * off[:, None] * rows[None, :]
        Hb = self.hbar
        if Hb is not None:
            off_h = np.abs(Hb).sum(axis=1) - np.abs(np.diag(Hb))
            out = out + 2.0 * off_h[:, None]
        return np.asarray(out)

    # ------------------------------------------------------------------ constraints
    def dollar_imbalance(self, X: ArrayLike) -> FloatArray:
        """``sum_i side_i P_i R_{i,t}`` after each period, dollars, shape (N,).

        Raises
        ------
        InputError
            Without prices.
        """
        if self.prices is None:
            raise InputError("the dollar imbalance needs prices: build the basket with prices=.")
        return np.asarray((self.sgn * self.prices) @ self.remaining(X))

    def band_violation(self, X: ArrayLike) -> float:
        """Dollars by which the imbalance leaves the band (0 when met or without a band)."""
        if self.neutrality_band is None:
            return 0.0
        return float(max(0.0, float(np.abs(self.dollar_imbalance(X)).max()) - self.neutrality_band))

    def value_at_risk(self, X: ArrayLike) -> float:
        """``z sqrt(sum_t r_t^T C r_t)``, dollars (0 without covariance)."""
        return float(self.var_z * math.sqrt(max(self.risk_variance(X), 0.0)))

    def var_violation(self, X: ArrayLike) -> float:
        """Dollars above the VaR limit (0 when met or without a limit)."""
        if self.var_limit is None:
            return 0.0
        return max(0.0, self.value_at_risk(X) - self.var_limit)

    def var_gradient(self, X: ArrayLike) -> FloatArray:
        """Gradient of :meth:`value_at_risk`, dollars per share, shape (M, N)."""
        E = self.exposure(X)
        CE = self._cov_apply(E)
        q = float(np.sum(E * CE))
        if q <= 0:
            return np.zeros((self.M, self.N))
        return np.asarray(-self.var_z * self.sgn[:, None] * suffix_sum(CE) / math.sqrt(q))

    # ------------------------------------------------------------------ schedules and views
    def twap(self) -> FloatArray:
        """Equal allocation per leg, ``S_i / N`` per period, shape (M, N) (may exceed caps)."""
        return np.repeat((self.S / self.N)[:, None], self.N, axis=1)

    def legs(self) -> tuple[ExecutionProblem, ...]:
        """The legs with the diagonal coupling terms folded in: leg ``i`` gets the basket's risk
        ``k C_ii R_{i,t}^2`` (added to its own mean-variance term) and ``Hbar_ii x_{i,t}^2``.

        For a :attr:`decoupled` basket the sum of the legs' objectives is the basket's
        objective, so the basket's optimum is the legs' optima.

        Raises
        ------
        NotSupportedError
            The basket is not decoupled, or a leg with its own VaR limit would need its
            volatility changed to absorb the basket's risk.
        """
        if not self.decoupled:
            raise NotSupportedError(
                "the basket couples its legs (covariance with off-diagonal entries, "
                "cross-impact between legs, a neutrality band or a VaR limit): solve it jointly "
                "with method='clarabel'."
            )
        out = []
        cdiag = self.cov_diagonal if self.has_risk else None
        H = self.hbar
        for i, p in enumerate(self.problems):
            q = p
            if H is not None and H[i, i] != 0.0:
                diag = p.impact.diagonal_quadratic(p.periods)
                from execopt.impact.quadratic import QuadraticImpact

                extra = QuadraticImpact(0.0, float(H[i, i]))
                impact = (
                    QuadraticImpact(diag[0], diag[1] + float(H[i, i]))
                    if diag is not None
                    else p.impact + extra
                )
                q = replace(q, impact=impact)
            if cdiag is not None and cdiag[i] > 0:
                if p.var_limit is not None:
                    raise NotSupportedError(
                        f"leg {i} has its own VaR limit on its volatility; folding the basket's "
                        "risk into it would change that limit: use method='clarabel'."
                    )
                own = p.risk_aversion * p.sigma2 if p.risk_aversion > 0 else 0.0
                sig2 = np.broadcast_to(own + self.risk_aversion * cdiag[i], (p.periods,))
                vol: float | FloatArray = (
                    float(np.sqrt(sig2[0])) if np.all(sig2 == sig2[0]) else np.sqrt(sig2)
                )
                q = replace(q, risk_aversion=1.0, volatility=vol)
            out.append(q)
        return tuple(out)

    def independent(self) -> Basket:
        """The same legs without the basket's coupling terms (each leg alone, with its own
        terms): the "independent" baseline.
        """
        return Basket(self.problems, self.sides, prices=self.prices, symbols=self.symbols)

    def with_legs(self, problems: Sequence[ExecutionProblem]) -> Basket:
        """The same coupling terms and mandates on new legs (``dataclasses.replace``)."""
        return replace(self, problems=tuple(problems))

    def remaining_basket(self, t: int, remaining: ArrayLike) -> Basket:
        """The basket still to trade from period ``t`` on: each leg's tail (periods ``t..N-1``,
        parameters, caps and volatility sliced) for its ``remaining`` shares, the same
        coupling terms and mandates (the band still on ``sum_i side_i P_i R_{i,s}``).

        Past fills' transient impact is not carried into the tail (its kernel restarts).

        Raises
        ------
        InputError
            ``t`` outside ``0..N-1`` or ``remaining`` not one non-negative number per leg.
        InfeasibleError
            A leg's remaining shares exceed its remaining caps (the caller may relax them).
        """
        N = self.N
        if not (isinstance(t, (int, np.integer)) and 0 <= t < N):
            raise InputError(f"t must be a period in 0..{N - 1}, got {t!r}.")
        R = np.asarray(remaining, dtype=np.float64)
        if R.shape != (self.M,) or not np.isfinite(R).all() or (R < 0).any():
            raise InputError(
                f"remaining must be {self.M} finite share counts >= 0 (one per leg), got {R!r}."
            )
        legs = [tail_problem(p, int(t), float(R[i])) for i, p in enumerate(self.problems)]
        return replace(self, problems=tuple(legs))

    def without_mandate(self) -> Basket:
        """The basket without its band and VaR limit (the legs' caps stay)."""
        return replace(self, neutrality_band=None, var_limit=None)

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (see :meth:`from_dict`)."""
        cov = self.covariance
        covd: dict[str, Any] | None
        if cov is None:
            covd = None
        elif isinstance(cov, FactorCovariance):
            covd = cov.to_dict()
        else:
            covd = {"kind": "full", "matrix": encode_array(cov)}
        return {
            "kind": "basket",
            "problems": [p.to_dict() for p in self.problems],
            "sides": list(self.sides),
            "covariance": covd,
            "risk_aversion": self.risk_aversion,
            "cross_impact": None if self.cross_impact is None else encode_array(self.cross_impact),
            "prices": None if self.prices is None else encode_array(self.prices),
            "neutrality_band": self.neutrality_band,
            "var_limit": self.var_limit,
            "var_z": self.var_z,
            "symbols": None if self.symbols is None else list(self.symbols),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Basket:
        """Rebuild a basket from :meth:`to_dict`.

        Raises
        ------
        InputError
            Not a mapping, missing ``problems``/``sides``, unknown fields or invalid values.
        """
        if not isinstance(d, Mapping):
            raise InputError(f"a basket description must be a JSON object, got {type(d).__name__}.")
        known = {
            "kind", "problems", "sides", "covariance", "risk_aversion", "cross_impact",
            "prices", "neutrality_band", "var_limit", "var_z", "symbols",
        }  # fmt: skip
        extra = set(d) - known
        if extra:
            raise InputError(f"basket: unknown field(s) {sorted(extra)}; it takes {sorted(known)}.")
        for need in ("problems", "sides"):
            if need not in d:
                raise InputError(f"basket: the field {need!r} is missing.")
        if not isinstance(d["problems"], Sequence):
            raise InputError("basket: 'problems' must be a list of problem descriptions.")
        kw: dict[str, Any] = {
            "problems": [ExecutionProblem.from_dict(p) for p in d["problems"]],
            "sides": list(d["sides"]),
            "covariance": _covariance_from_dict(d.get("covariance")),
        }
        for k in ("risk_aversion", "neutrality_band", "var_limit", "var_z"):
            if d.get(k) is not None:
                kw[k] = d[k]
        for k in ("cross_impact", "prices"):
            if d.get(k) is not None:
                kw[k] = decode_array(d[k], k)
        if d.get("symbols") is not None:
            kw["symbols"] = list(d["symbols"])
        return cls(**kw)

    def describe(self) -> dict[str, Any]:
        """Alias of :meth:`to_dict`."""
        return self.to_dict()


def _slice_tail(v: Any, t: int, N: int) -> Any:
    """Drop the first ``t`` periods of every per-period entry of a ``to_dict`` description
    (lists of length ``N``; nested models and parts recursively).
    """
    if isinstance(v, Mapping):
        return {k: _slice_tail(x, t, N) for k, x in v.items()}
    if isinstance(v, list):
        if len(v) == N and all(not isinstance(x, Mapping) for x in v):
            return v[t:]
        return [_slice_tail(x, t, N) for x in v]
    return v


def tail_problem(problem: ExecutionProblem, t: int, shares: float) -> ExecutionProblem:
    """``problem`` from period ``t`` on, for ``shares`` shares: every per-period parameter,
    cap and volatility sliced to periods ``t..N-1`` (through :meth:`ExecutionProblem.to_dict`,
    so any registered model works). A parameter with one entry per period is recognised by its
    length ``N``.

    Examples
    --------
    >>> import execopt as eo
    >>> p = eo.ExecutionProblem(100, eo.QuadraticImpact([0.01, 0.02, 0.03], 1e-4), periods=3)
    >>> tail_problem(p, 1, 50.0).impact.a.tolist()
    [0.02, 0.03]
    """
    N = problem.periods
    d = problem.to_dict()
    out = {k: _slice_tail(v, t, N) for k, v in d.items() if k in ("impact", "cap", "volatility")}
    return ExecutionProblem.from_dict(
        {**d, **out, "shares": max(float(shares), 0.0), "periods": N - t}
    )


def unconstrained_trajectories(
    shares: ArrayLike,
    sides: Sequence[str],
    eta: ArrayLike,
    covariance: ArrayLike,
    risk_aversion: float,
    periods: int,
) -> FloatArray:
    """The unconstrained multi-asset Almgren–Chriss solution (closed form), shape (M, N).

    Minimises ``sum_t dr_t^T eta dr_t + k sum_t r_t^T C r_t`` over signed inventories ``r``
    with ``r_{-1} = side * S`` and ``r_{N-1} = 0``, *without* the direction mandate. With
    ``z = eta^(1/2) r`` and ``eta^(-1/2) C eta^(-1/2) = Q diag(lam) Q^T`` the trajectories
    decouple in ``w = Q^T z`` into discrete sinh profiles
    ``w_{j,t} = w_{j,-1} sinh(kappa_j (N - 1 - t)) / sinh(kappa_j N)``,
    ``cosh(kappa_j) = 1 + k lam_j / 2`` (linear when ``lam_j = 0``). The linear impact
    coefficients drop out (their total is fixed by ``sum x = S``).

    Parameters
    ----------
    shares : array_like (M,)
    sides : sequence of {"buy", "sell"}
    eta : array_like (M,) or (M, M)
        Quadratic impact, dollars per share^2 (a diagonal ``b_i``, or a symmetric positive
        definite matrix, e.g. ``diag(b) + diag(side) Hbar diag(side)`` with cross-impact).
    covariance : array_like (M, M)
    risk_aversion : float
    periods : int

    Returns
    -------
    ndarray (M, N)
        Trades ``x_{i,t}`` in each leg's own direction; **negative entries** are trades against
        the leg's direction (a sell leg buying), which the mandate forbids.

    Examples
    --------
    >>> x = unconstrained_trajectories([1000, 1000], ["sell", "sell"], [1e-4, 1e-4],
    ...                                [[0.0, 0.0], [0.0, 0.0]], 0.0, 4)
    >>> x.tolist()
    [[250.0, 250.0, 250.0, 250.0], [250.0, 250.0, 250.0, 250.0]]
    """
    S = np.asarray(shares, dtype=np.float64)
    sgn = np.array([side_sign(s) for s in sides])
    M, N = S.shape[0], int(periods)
    e = np.asarray(eta, dtype=np.float64)
    E = np.diag(e) if e.ndim == 1 else 0.5 * (e + e.T)
    C = np.asarray(covariance, dtype=np.float64)
    w_e, V_e = np.linalg.eigh(E)
    if w_e.min() <= 0:
        raise InputError("eta must be positive definite for the closed form.")
    isq = V_e @ np.diag(w_e**-0.5) @ V_e.T
    sq = V_e @ np.diag(w_e**0.5) @ V_e.T
    lam, Q = np.linalg.eigh(isq @ C @ isq)
    w0 = Q.T @ (sq @ (sgn * S))
    t = np.arange(-1, N)
    W = np.empty((M, N + 1))
    for j in range(M):
        kl = risk_aversion * max(float(lam[j]), 0.0)
        if kl <= 1e-300:
            W[j] = w0[j] * (N - 1 - t) / N
        else:
            kap = math.acosh(1.0 + 0.5 * kl)
            if kap * N > 700:  # sinh overflows: the ratio is exp(-kap (t + 1)) to rounding
                W[j] = w0[j] * np.exp(-kap * (t + 1)) * (1.0 - np.exp(-2 * kap * (N - 1 - t)))
            else:
                W[j] = w0[j] * np.sinh(kap * (N - 1 - t)) / math.sinh(kap * N)
    r = isq @ (Q @ W)  # (M, N + 1): r_{-1} .. r_{N-1}
    v = r[:, :-1] - r[:, 1:]  # signed trades reducing the signed inventory
    return np.asarray(sgn[:, None] * v)
