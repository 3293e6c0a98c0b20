"""Distributions of impact parameters: what a Monte Carlo study draws from.

A :class:`ParameterDistribution` turns a random generator and a count ``M`` into ``M`` draws of a
quadratic impact model, returned as one batch :class:`~execopt.impact.QuadraticImpact` whose
``a`` and ``b`` have shape ``(M, N)``, exactly what :func:`execopt.solve_batch` consumes.

* :class:`NormalParameters`: explicit means and a covariance, for scalars ``(a, b)`` or per-period
  profiles ``(a_t, b_t)``; optionally on the log scale (log-normal, always positive). On the
  natural scale, draws with a negative ``a`` or a non-positive ``b`` are redrawn (a truncated
  normal) and the acceptance rate is reported, never silently clipped.
* :class:`BootstrapParameters`: resample rows of bootstrap draws ``(B,)`` or ``(B, N)`` (from a
  fit's bootstrap); nothing is assumed about their shape.
* :func:`from_intervals`: a log-normal from point estimates and confidence intervals.
* :func:`from_fit`: whichever of the above a fitted estimator exposes (bootstrap draws first).

Glossary: ``M`` draws, ``N`` periods, ``B`` bootstrap replicates, ``a`` dollars per share, ``b``
dollars per share squared, ``cov`` the covariance of the stacked vector ``(a..., b...)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from execopt.errors import InputError
from execopt.impact.models import QuadraticImpact

__all__ = [
    "BootstrapParameters",
    "NormalParameters",
    "ParameterDistribution",
    "from_fit",
    "from_intervals",
    "seed_distribution",
]

FloatArray = NDArray[np.float64]

#: Rounds of redrawing rejected (negative) draws before giving up with an InputError.
MAX_REDRAW_ROUNDS = 50


class ParameterDistribution(ABC):
    """Draws of quadratic impact parameters for ``N`` periods."""

    @property
    @abstractmethod
    def periods(self) -> int | None:
        """Length of per-period parameters, or None when the draws are scalars."""

    @abstractmethod
    def sample(self, rng: np.random.Generator, M: int) -> QuadraticImpact:
        """``M`` draws as one batch model with ``a``, ``b`` of shape ``(M, N)``.

        Scalar distributions are broadcast to the ``N`` given by :meth:`with_periods`.
        """

    @abstractmethod
    def nominal(self) -> QuadraticImpact:
        """The point estimate (means, or the bootstrap mean): what a planner would use."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """JSON-ready description (kind, sizes, means)."""


def _vec(name: str, v: ArrayLike) -> FloatArray:
    arr = np.atleast_1d(np.asarray(v, dtype=np.float64))
    if arr.ndim != 1 or not np.all(np.isfinite(arr)):
        raise InputError(f"{name} must be a finite scalar or 1-D array, got shape {arr.shape}.")
    return arr


@dataclass(frozen=True, eq=False)
class NormalParameters(ParameterDistribution):
    """Multivariate normal (or log-normal) draws of ``(a, b)``.

    Parameters
    ----------
    a, b : float or array_like of shape (N,)
        Means (a scalar is repeated to match a profile) (on the log scale when ``log=True``: then the *medians* are ``exp(a)``, ``exp(b)``;
        use :func:`from_intervals` to build one from estimates).
    cov : array_like
        Covariance of the stacked vector ``(a_1..a_K, b_1..b_K)`` with ``K = 1`` (scalars) or
        ``K = N``: shape ``(2, 2)`` (the same 2x2 block, independent across periods, when the
        means are profiles), ``(N, 2, 2)`` (one block per period) or ``(2N, 2N)`` (full).
    log : bool
        Draw ``log a``, ``log b`` instead of ``a``, ``b``.
    periods_ : int, optional
        ``N`` for scalar means (the draws are constant over the day).
    source : str
        Where the numbers come from (shown in :meth:`describe`).

    Raises
    ------
    InputError
        Mismatched shapes, a covariance that is not symmetric positive semi-definite.
    """

    a: ArrayLike
    b: ArrayLike
    cov: ArrayLike
    log: bool = False
    periods_: int | None = None
    source: str = ""
    _L: FloatArray = field(init=False, repr=False)
    _block: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        a, b = _vec("a", self.a), _vec("b", self.b)
        if a.size == 1 and b.size > 1:
            a = np.full(b.size, a[0])
        elif b.size == 1 and a.size > 1:
            b = np.full(a.size, b[0])
        if a.size != b.size:
            raise InputError(f"a has {a.size} values and b has {b.size}: give one each per period.")
        K = a.size
        cov = np.asarray(self.cov, dtype=np.float64)
        if not np.all(np.isfinite(cov)):
            raise InputError("cov contains NaN or inf.")
        if cov.shape == (2, 2) and K > 1:
            cov = np.broadcast_to(cov, (K, 2, 2))
        if cov.shape == (K, 2, 2) and K > 1:
            block = True
            sym = np.allclose(cov, np.swapaxes(cov, 1, 2))
            L = np.stack([_chol(c) for c in cov]) if sym else None
        elif cov.shape == (2 * K, 2 * K):
            block = False
            sym = np.allclose(cov, cov.T)
            L = _chol(cov) if sym else None
        else:
            raise InputError(
                f"cov must have shape (2, 2), ({K}, 2, 2) or ({2 * K}, {2 * K}) for {K} value(s) "
                f"of a and b; got {cov.shape}."
            )
        if L is None:
            raise InputError("cov must be symmetric.")
        if not self.log and (np.any(a < 0) or np.any(b <= 0)):
            raise InputError("the means must have a >= 0 and b > 0 (or use log=True).")
        if K > 1 and self.periods_ is not None and self.periods_ != K:
            raise InputError(f"periods_={self.periods_} but the means have {K} values.")
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "cov", cov)
        object.__setattr__(self, "_L", L)
        object.__setattr__(self, "_block", block)

    @property
    def periods(self) -> int | None:
        K = np.asarray(self.a).size
        return K if K > 1 else self.periods_

    def _draw(self, rng: np.random.Generator, M: int) -> tuple[FloatArray, FloatArray]:
        a, b = np.asarray(self.a), np.asarray(self.b)
        K = a.size
        if self._block:
            z = rng.standard_normal((M, K, 2))
            d = np.einsum("kij,mkj->mki", self._L, z)
            da, db = d[..., 0], d[..., 1]
        else:
            z = rng.standard_normal((M, 2 * K))
            d = z @ self._L.T
            da, db = d[:, :K], d[:, K:]
        return a + da, b + db

    def sample(self, rng: np.random.Generator, M: int) -> QuadraticImpact:
        N = self.periods
        if N is None:
            raise InputError("scalar means need periods_=N to draw (M, N) parameters.")
        A, Bv = self._draw(rng, M)
        if self.log:
            A, Bv = np.exp(A), np.exp(Bv)
        else:
            ok = _valid(A, Bv)
            rounds = 0
            while not ok.all():
                rounds += 1
                if rounds > MAX_REDRAW_ROUNDS:
                    raise InputError(
                        f"after {MAX_REDRAW_ROUNDS} rounds {int((~ok).sum())} of {M} draws still "
                        "have a < 0 or b <= 0: the normal puts too much mass there; use log=True "
                        "(from_intervals) or BootstrapParameters."
                    )
                bad = np.flatnonzero(~ok)
                A2, B2 = self._draw(rng, bad.size)
                A[bad], Bv[bad] = A2, B2
                ok = _valid(A, Bv)
        return QuadraticImpact(a=np.broadcast_to(A, (M, N)), b=np.broadcast_to(Bv, (M, N)))

    def acceptance(self, rng: np.random.Generator, M: int = 10_000) -> float:
        """Share of natural-scale draws with ``a >= 0`` and ``b > 0`` (1.0 when ``log``)."""
        if self.log:
            return 1.0
        A, Bv = self._draw(rng, M)
        return float(_valid(A, Bv).mean())

    def nominal(self) -> QuadraticImpact:
        a, b = np.asarray(self.a), np.asarray(self.b)
        if self.log:  # the median of a log-normal is exp(mean of the log)
            a, b = np.exp(a), np.exp(b)
        if a.size == 1:
            return QuadraticImpact(a=float(a[0]), b=float(b[0]))
        return QuadraticImpact(a=a, b=b)

    def describe(self) -> dict[str, Any]:
        a, b = np.asarray(self.a), np.asarray(self.b)
        sd = np.sqrt(np.diagonal(np.asarray(self.cov), axis1=-2, axis2=-1))
        return {
            "kind": "lognormal" if self.log else "normal (truncated at a >= 0, b > 0)",
            "source": self.source,
            "per_period": bool(a.size > 1),
            "periods": self.periods,
            "a_mean": float(np.mean(np.exp(a) if self.log else a)),
            "b_mean": float(np.mean(np.exp(b) if self.log else b)),
            "sd_mean": [float(v) for v in np.atleast_2d(sd).reshape(-1, 2).mean(axis=0)]
            if self._block or a.size == 1
            else [float(sd[: a.size].mean()), float(sd[a.size :].mean())],
        }


def _chol(c: FloatArray) -> FloatArray:
    """Cholesky factor of a PSD matrix (eigen-decomposition when it is singular)."""
    try:
        return np.asarray(np.linalg.cholesky(c), dtype=np.float64)
    except np.linalg.LinAlgError:
        w, V = np.linalg.eigh(c)
        if np.min(w) < -1e-12 * max(np.max(np.abs(w)), 1e-300):
            raise InputError(
                f"cov is not positive semi-definite (smallest eigenvalue {np.min(w):.3g})."
            ) from None
        return np.asarray(V * np.sqrt(np.clip(w, 0.0, None)), dtype=np.float64)


def _valid(A: FloatArray, B: FloatArray) -> NDArray[np.bool_]:
    return np.asarray(np.all(A >= 0, axis=-1) & np.all(B > 0, axis=-1))


@dataclass(frozen=True, eq=False)
class BootstrapParameters(ParameterDistribution):
    """Resample bootstrap draws of ``(a, b)`` with replacement.

    Parameters
    ----------
    a_draws, b_draws : array_like of shape (B,) or (B, N)
        Row ``i`` is bootstrap replicate ``i`` (``a >= 0``, ``b > 0``).
    periods_ : int, optional
        ``N`` when the draws are scalars.
    point : QuadraticImpact, optional
        The point estimate (what :meth:`nominal` returns); default the bootstrap mean.
    source : str
        Where the draws come from (shown in :meth:`describe`).
    notes : tuple of str
        Anything done to the draws on the way (dropped or floored replicates).
    """

    a_draws: ArrayLike
    b_draws: ArrayLike
    periods_: int | None = None
    point: QuadraticImpact | None = None
    source: str = ""
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        A = np.asarray(self.a_draws, dtype=np.float64)
        B = np.asarray(self.b_draws, dtype=np.float64)
        if A.shape != B.shape or A.ndim not in (1, 2) or A.shape[0] < 1:
            raise InputError(
                f"a_draws and b_draws must share a shape (B,) or (B, N); got {A.shape}, {B.shape}."
            )
        if not (np.all(np.isfinite(A)) and np.all(np.isfinite(B))):
            raise InputError("bootstrap draws contain NaN or inf.")
        if np.any(A < 0) or np.any(B <= 0):
            raise InputError(
                "bootstrap draws must have a >= 0 and b > 0 (solve_batch needs b > 0); a fit with "
                "b = 0 in some replicate needs a floor, which the estimator should state."
            )
        if A.ndim == 2 and self.periods_ is not None and self.periods_ != A.shape[1]:
            raise InputError(f"periods_={self.periods_} but the draws have {A.shape[1]} periods.")
        A.flags.writeable = False
        B.flags.writeable = False
        object.__setattr__(self, "a_draws", A)
        object.__setattr__(self, "b_draws", B)

    @property
    def periods(self) -> int | None:
        A = np.asarray(self.a_draws)
        return int(A.shape[1]) if A.ndim == 2 else self.periods_

    def sample(self, rng: np.random.Generator, M: int) -> QuadraticImpact:
        N = self.periods
        if N is None:
            raise InputError("scalar bootstrap draws need periods_=N.")
        A, B = np.asarray(self.a_draws), np.asarray(self.b_draws)
        i = rng.integers(0, A.shape[0], size=M)
        a = A[i] if A.ndim == 2 else A[i][:, None]
        b = B[i] if B.ndim == 2 else B[i][:, None]
        return QuadraticImpact(a=np.broadcast_to(a, (M, N)), b=np.broadcast_to(b, (M, N)))

    def nominal(self) -> QuadraticImpact:
        if self.point is not None:
            return self.point
        A, B = np.asarray(self.a_draws), np.asarray(self.b_draws)
        a, b = A.mean(axis=0), B.mean(axis=0)
        return QuadraticImpact(a=float(a), b=float(b)) if A.ndim == 1 else QuadraticImpact(a, b)

    def describe(self) -> dict[str, Any]:
        A, B = np.asarray(self.a_draws), np.asarray(self.b_draws)
        return {
            "kind": "bootstrap",
            "source": self.source,
            "replicates": int(A.shape[0]),
            "per_period": bool(A.ndim == 2),
            "periods": self.periods,
            "a_mean": float(A.mean()),
            "b_mean": float(B.mean()),
            "nominal": "point estimate" if self.point is not None else "bootstrap mean",
            "notes": list(self.notes),
        }


def from_intervals(
    a: ArrayLike,
    a_ci: ArrayLike,
    b: ArrayLike,
    b_ci: ArrayLike,
    *,
    level: float = 0.95,
    periods: int | None = None,
) -> NormalParameters:
    """A log-normal whose median is the estimate and whose ``level`` interval is the CI.

    Parameters
    ----------
    a, b : float or array_like of shape (N,)
        Point estimates (``> 0``).
    a_ci, b_ci : array_like of shape (2,) or (N, 2)
        Lower and upper confidence limits (``0 < lo <= estimate <= hi``).
    level : float
        Confidence level of the intervals.
    periods : int, optional
        ``N`` when the estimates are scalars.

    Notes
    -----
    The log-scale standard deviation is ``log(hi / lo) / (2 z)`` with ``z`` the normal quantile
    of ``(1 + level) / 2``; a and b are taken as independent (a fit's bootstrap keeps their
    correlation: prefer :class:`BootstrapParameters` when draws are available).
    """
    av, bv = _vec("a", a), _vec("b", b)
    aci = np.asarray(a_ci, dtype=np.float64).reshape(-1, 2)
    bci = np.asarray(b_ci, dtype=np.float64).reshape(-1, 2)
    if np.any(av <= 0) or np.any(bv <= 0) or np.any(aci <= 0) or np.any(bci <= 0):
        raise InputError(
            "from_intervals builds a log-normal: estimates and limits must be > 0; for a = 0 use "
            "NormalParameters on the natural scale."
        )
    if not 0 < level < 1:
        raise InputError(f"level must be in (0, 1), got {level}.")
    z = float(norm.ppf(0.5 * (1 + level)))
    sa = np.log(aci[:, 1] / aci[:, 0]) / (2 * z)
    sb = np.log(bci[:, 1] / bci[:, 0]) / (2 * z)
    K = av.size
    cov = np.zeros((K, 2, 2))
    cov[:, 0, 0] = np.broadcast_to(sa**2, (K,))
    cov[:, 1, 1] = np.broadcast_to(sb**2, (K,))
    return NormalParameters(
        np.log(av), np.log(bv), cov[0] if K == 1 else cov, log=True, periods_=periods
    )


def from_fit(fit: Any, *, periods: int | None = None) -> ParameterDistribution:
    """A distribution from a fitted estimator (duck-typed, scikit-learn style ``*_`` attributes).

    Uses, in order: bootstrap draws (``boot_`` of shape (B, 2) with columns named by ``names``,
    as :class:`execopt.impact.estimation.QuadraticFit` exposes; ``a_draws_``/``b_draws_``), then
    confidence intervals (``a_``, ``b_`` with ``a_ci_``, ``b_ci_`` or a
    ``ci_`` mapping with keys ``a``, ``b``).

    Raises
    ------
    InputError
        When the fit exposes neither.
    """
    name = type(fit).__name__
    point = None
    if getattr(fit, "a_", None) is not None and getattr(fit, "b_", None) is not None:
        point = QuadraticImpact(a=fit.a_, b=fit.b_)
    boot = getattr(fit, "boot_", None)
    names = tuple(getattr(fit, "names", ("a", "b")))
    if boot is not None and np.ndim(boot) == 2 and np.shape(boot)[0] > 0 and names == ("a", "b"):
        B = np.asarray(boot, dtype=np.float64)
        ok = np.all(np.isfinite(B), axis=1) & (B[:, 1] > 0)
        notes: tuple[str, ...] = ()
        if not ok.all():
            notes = (f"{int((~ok).sum())} of {B.shape[0]} replicates dropped (NaN or b = 0)",)
        return BootstrapParameters(
            B[ok, 0], B[ok, 1], periods, point, f"{name} bootstrap (whole day)", notes
        )
    for an, bn in (("a_draws_", "b_draws_"),):
        if getattr(fit, an, None) is not None and getattr(fit, bn, None) is not None:
            return BootstrapParameters(
                getattr(fit, an), getattr(fit, bn), periods, point, f"{name} bootstrap"
            )
    a, b = getattr(fit, "a_", None), getattr(fit, "b_", None)
    ci = getattr(fit, "ci_", None)
    a_ci = getattr(fit, "a_ci_", None)
    b_ci = getattr(fit, "b_ci_", None)
    if ci is not None and a_ci is None:
        try:
            a_ci, b_ci = ci["a"], ci["b"]
        except (KeyError, IndexError, TypeError):
            pass
    if a is not None and b is not None and a_ci is not None and b_ci is not None:
        level = float(getattr(fit, "level", getattr(fit, "ci_level", 0.95)))
        return from_intervals(a, a_ci, b, b_ci, level=level, periods=periods)
    raise InputError(
        f"{name} exposes neither bootstrap draws nor confidence intervals for a and "
        "b; fit with a bootstrap, or build NormalParameters from means and a covariance."
    )


def seed_distribution(
    stock: str, periods: int = 390, rel_sd: tuple[float, float] = (0.1, 0.2)
) -> NormalParameters:
    """The reference document's constant ``(a, b)`` with an *assumed* relative standard error (log-normal).

    The draws are constant through the day, so every draw's optimum is equal allocation and
    its reduction is exactly 0: what the reference document's own parameters imply, whatever their error.
    """
    from execopt import presets

    m = presets.quadratic(stock)
    cov = np.diag(np.log1p(np.asarray(rel_sd, dtype=np.float64)) ** 2)
    return NormalParameters(
        np.log(float(m.a)),
        np.log(float(m.b)),
        cov,
        log=True,
        periods_=periods,
        source=f"{stock.upper()} reference constants a = {float(m.a)}, b = {float(m.b)} with an "
        f"assumed relative error of {rel_sd[0]:.0%} (a) and {rel_sd[1]:.0%} (b), log-normal",
    )
