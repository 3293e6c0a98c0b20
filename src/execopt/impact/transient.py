"""Transient (propagator) impact kernels: how a trade's price displacement decays.

A child order of ``x_s`` shares in period ``s`` displaces the price by ``G(t - s) x_s`` dollars per
share in every later period ``t``; the transient cost of a schedule is

    1/2 x^T K x,     K_ts = G(|t - s|)   (dollars; G in dollars per share per share)

(each child order pays the decayed displacement of all earlier ones plus half its own). The
problem is free of price manipulation only if ``K`` is positive semidefinite, which holds for
every completely monotone kernel (a positive mixture of exponentials): the exponential and the
power law below. A kernel that is not positive definite (a box kernel, say) admits a round trip
that earns money and is refused (:meth:`Kernel.require_positive_definite`).

==============================  =====================================  ==========================
kernel                          ``G(l)``, ``l`` in periods             structure
==============================  =====================================  ==========================
:class:`ExponentialKernel`      ``G0 2^(-l / half_life)``              ``K^-1`` tridiagonal: O(N)
:class:`PowerLawKernel`         ``G0 (1 + l / l0)^(-beta)``            a sum of exponentials
:class:`TabulatedKernel`        ``values[l]``                          dense
==============================  =====================================  ==========================

Glossary: ``G0`` the strength (dollars per share per share), ``rho = 2^(-1/half_life)`` the
one-period decay, ``beta`` the power-law exponent, ``l0`` its scale (periods), ``N`` periods.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt.errors import ConvexityError, InputError
from execopt.impact.base import decode_array, encode_array

__all__ = [
    "KERNEL_PD_RTOL",
    "SOE_RTOL",
    "ExponentialKernel",
    "ExponentialSum",
    "Kernel",
    "PowerLawKernel",
    "TabulatedKernel",
    "kernel_from_dict",
]

FloatArray = NDArray[np.float64]

#: A kernel whose matrix has an eigenvalue below ``-KERNEL_PD_RTOL * G(0)`` is not positive
#: semidefinite (rounding in an eigen-decomposition of a Toeplitz matrix is ~1e-15 G(0)).
KERNEL_PD_RTOL = 1e-10
#: Target largest relative error of the sum-of-exponentials approximation of a power-law
#: kernel over ``l = 0 .. N-1`` (its optimum is certified against the exact kernel anyway).
SOE_RTOL = 1e-7

_KERNELS: dict[str, type[Kernel]] = {}


def _register(cls: type[Kernel]) -> type[Kernel]:
    _KERNELS[cls.kind] = cls
    return cls


def kernel_from_dict(d: Mapping[str, Any]) -> Kernel:
    """Rebuild a kernel from :meth:`Kernel.to_dict`.

    Raises
    ------
    InputError
        Not a mapping, unknown ``kernel``, unknown fields or invalid values.
    """
    if not isinstance(d, Mapping):
        raise InputError(f"a kernel description must be a JSON object, got {type(d).__name__}.")
    kind = d.get("kernel")
    if kind not in _KERNELS:
        raise InputError(f"unknown kernel {kind!r}; the kernels are {', '.join(sorted(_KERNELS))}.")
    return _KERNELS[str(kind)].from_dict(d)


@dataclass(frozen=True)
class ExponentialSum:
    """``G(l) ~ sum_j weights[j] rho[j]^l`` with ``weights > 0`` and ``0 < rho < 1``.

    Each term is an exponential kernel, so the sum is positive definite and has the O(N) sparse
    formulation of :class:`ExponentialKernel` term by term. ``max_rel_error`` is the largest
    relative error over ``l = 0 .. N-1`` against the kernel it approximates.
    """

    weights: FloatArray
    rho: FloatArray
    max_rel_error: float

    def values(self, N: int) -> FloatArray:
        """``G(0 .. N-1)`` of the approximation."""
        lags = np.arange(N, dtype=np.float64)
        return np.asarray(np.power.outer(self.rho, lags).T @ self.weights, dtype=np.float64)


def _float(name: str, v: Any, *, lower: float, strict: bool) -> float:
    if isinstance(v, (bool, str, bytes)) or v is None:
        raise InputError(f"{name} must be a number, got {type(v).__name__} {v!r}.")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {v!r}.") from None
    if not math.isfinite(f) or (f <= lower if strict else f < lower):
        rel = ">" if strict else ">="
        raise InputError(f"{name} must be a finite number {rel} {lower:g}, got {v!r}.")
    return f


class Kernel:
    """A decay kernel ``G(l)``, ``l = 0, 1, ...`` periods, dollars per share per share."""

    kind: ClassVar[str] = "abstract"

    def values(self, N: int) -> FloatArray:  # pragma: no cover - abstract
        """``G(0), ..., G(N-1)``."""
        raise NotImplementedError

    def matrix(self, N: int) -> FloatArray:
        """The dense ``N x N`` Toeplitz matrix ``K_ts = G(|t - s|)`` (the reference)."""
        g = self.values(N)
        idx = np.abs(np.subtract.outer(np.arange(N), np.arange(N)))
        return np.asarray(g[idx], dtype=np.float64)

    def apply(self, x: ArrayLike) -> FloatArray:
        """``K x`` (the displacement each period sees, dollars per share), shape of ``x``:
        a dense product up to :data:`DENSE_APPLY_N` periods, an FFT convolution beyond.
        """
        x = np.asarray(x, dtype=np.float64)
        N = x.shape[-1]
        if N <= DENSE_APPLY_N:
            return np.asarray(x @ self.matrix(N), dtype=np.float64)
        return _toeplitz_fft(self.values(N), x)

    def cost(self, x: ArrayLike) -> float:
        """``1/2 x^T K x``, dollars."""
        x = np.asarray(x, dtype=np.float64)
        return float(0.5 * x @ self.apply(x))

    def min_eigenvalue(self, N: int) -> float:
        """The smallest eigenvalue of ``K`` (dense; cached per ``N``)."""
        return _min_eig(self, N)

    def require_positive_definite(self, N: int) -> None:
        """Raise :class:`ConvexityError` unless ``K`` is positive semidefinite at ``N``."""
        g0 = float(self.values(1)[0])
        lam = self.min_eigenvalue(N)
        if lam < -KERNEL_PD_RTOL * max(abs(g0), 1e-300):
            raise ConvexityError(
                f"the transient kernel {self!r} is not positive semidefinite over N = {N} "
                f"periods (smallest eigenvalue of K {lam:.3g}): such a kernel admits price "
                "manipulation, a round trip (buy, then sell) whose transient cost 1/2 x^T K x "
                "is negative, so the optimiser would trade for profit rather than to execute. "
                "Use a completely monotone kernel (exponential, power law, or a positive sum of "
                "exponentials)."
            )

    def exponential_sum(self, N: int) -> ExponentialSum | None:
        """A positive sum of exponentials within :data:`SOE_RTOL` of ``G`` on ``0 .. N-1``,
        or None when the kernel has none (the sparse conic formulation then does not apply).
        """
        return None

    def to_dict(self) -> dict[str, Any]:
        """``{"kernel": kind, <parameter>: value, ...}``; :func:`kernel_from_dict` reads it."""
        out: dict[str, Any] = {"kernel": self.kind}
        for f in fields(self):  # type: ignore[arg-type]
            out[f.name] = getattr(self, f.name)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Kernel:
        """Build from :meth:`to_dict` (unknown fields refused by name)."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        extra = set(d) - names - {"kernel"}
        if extra:
            raise InputError(
                f"{cls.kind} kernel: unknown field(s) {sorted(extra)}; it takes {sorted(names)}."
            )
        return cls(**{k: decode_array(v, f"{cls.kind}.{k}") for k, v in d.items() if k != "kernel"})

    def structure_key(self) -> tuple[Any, ...]:
        """What fixes the shape of a conic formulation of ``1/2 x^T K x``."""
        return (self.kind,)


#: Up to this N a kernel's product and smallest eigenvalue use the dense matrix; beyond, an FFT
#: product and Lanczos iterations (an N x N float64 matrix is 80 GB at N = 100,000).
DENSE_APPLY_N = 2_000


def _toeplitz_fft(g: FloatArray, x: FloatArray) -> FloatArray:
    """``K x`` with ``K_ts = g[|t - s|]`` along the last axis, by FFT convolution."""
    from scipy.signal import fftconvolve

    N = x.shape[-1]
    full = np.concatenate([g[:0:-1], g])  # G(N-1) .. G(1), G(0), G(1) .. G(N-1)
    out = fftconvolve(x, full[None, :] if x.ndim > 1 else full, mode="full", axes=-1)
    return np.asarray(out[..., N - 1 : 2 * N - 1], dtype=np.float64)


@lru_cache(maxsize=64)
def _min_eig(kernel: Kernel, N: int) -> float:
    from scipy.linalg import eigvalsh_tridiagonal

    if isinstance(kernel, ExponentialKernel):
        # closed form bound is not needed: the KMS matrix's inverse is tridiagonal, so its
        # eigenvalues are the reciprocals of a tridiagonal matrix's
        rho = kernel.rho
        if N == 1:
            return kernel.strength
        d = np.full(N, (1.0 + rho * rho) / (1.0 - rho * rho))
        d[0] = d[-1] = 1.0 / (1.0 - rho * rho)
        e = np.full(N - 1, -rho / (1.0 - rho * rho))
        top = float(eigvalsh_tridiagonal(d, e, select="i", select_range=(N - 1, N - 1))[0])
        return kernel.strength / top
    if N <= DENSE_APPLY_N:
        return float(np.linalg.eigvalsh(kernel.matrix(N))[0])
    # Szego: the eigenvalues of a symmetric Toeplitz matrix lie within the range of its symbol
    # f(theta) = G(0) + 2 sum_{l>=1} G(l) cos(l theta); its minimum on a fine grid (8N points
    # by FFT) is a lower bound of the smallest eigenvalue (conservative: a kernel refused here
    # could still be positive definite at this N, never the other way round)
    g = kernel.values(N)
    M = 8 * N
    seq = np.zeros(M)
    seq[:N] = g
    seq[M - N + 1 :] = g[1:][::-1]
    return float(np.fft.rfft(seq).real.min())


@_register
@dataclass(frozen=True)
class ExponentialKernel(Kernel):
    """``G(l) = G0 2^(-l / half_life)``: the Obizhaeva–Wang resilience kernel.

    Parameters
    ----------
    strength : float
        ``G0 >= 0``, dollars per share per share (the immediate displacement of one share).
    half_life : float
        Periods, ``> 0``.

    Examples
    --------
    >>> k = ExponentialKernel(strength=1e-5, half_life=30.0)
    >>> round(float(k.values(31)[30] / k.values(1)[0]), 12)
    0.5
    """

    strength: float
    half_life: float
    kind: ClassVar[str] = "exponential"

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "strength", _float("strength (G0)", self.strength, lower=0.0, strict=False)
        )
        object.__setattr__(
            self, "half_life", _float("half_life (periods)", self.half_life, lower=0.0, strict=True)
        )

    @property
    def rho(self) -> float:
        """One-period decay ``2^(-1/half_life)``."""
        return float(2.0 ** (-1.0 / self.half_life))

    def values(self, N: int) -> FloatArray:
        return self.strength * np.power(self.rho, np.arange(N, dtype=np.float64))

    def apply(self, x: ArrayLike) -> FloatArray:
        """``K x`` in O(N): a forward and a backward first-order recursion."""
        x = np.asarray(x, dtype=np.float64)
        return self.strength * _kms_apply(x, self.rho)

    def exponential_sum(self, N: int) -> ExponentialSum:
        return ExponentialSum(np.array([self.strength]), np.array([self.rho]), 0.0)

    def require_positive_definite(self, N: int) -> None:
        """Always positive definite (``0 < rho < 1``, ``G0 >= 0``)."""

    def __repr__(self) -> str:
        return f"ExponentialKernel(strength={self.strength:g}, half_life={self.half_life:g})"


def _kms_apply(x: FloatArray, rho: float) -> FloatArray:
    """``T x`` with ``T_ts = rho^|t-s|``, along the last axis, in O(N): the forward recursion
    ``f_t = x_t + rho f_(t-1)`` plus the backward one, minus ``x``, compiled
    (:func:`execopt._compiled.kms_apply`, ~1 us at N = 390; ``scipy.signal.lfilter`` costs
    ~50 us of Python per call, and the exact solver applies ``T`` several times per step).
    """
    x = np.asarray(x, dtype=np.float64)
    if rho <= 0.0:
        return x.copy()  # T = I (the recursion would turn an inf into NaN after it: 0 * inf)
    from execopt._compiled import kms_apply

    rows = np.ascontiguousarray(x.reshape(-1, x.shape[-1]) if x.ndim != 1 else x[None, :])
    return np.asarray(kms_apply(rows, float(rho))).reshape(x.shape)


@_register
@dataclass(frozen=True)
class PowerLawKernel(Kernel):
    """``G(l) = G0 (1 + l / l0)^(-beta)``: the propagator of Bouchaud et al.

    Completely monotone (a positive mixture of exponentials), hence positive definite. The
    sparse conic formulation uses :meth:`exponential_sum`; the objective and the certificate
    use the exact kernel.

    Parameters
    ----------
    strength : float
        ``G0 >= 0``, dollars per share per share.
    beta : float
        Decay exponent, ``> 0``.
    l0 : float
        Scale, periods, ``> 0``.
    """

    strength: float
    beta: float
    l0: float = 1.0
    kind: ClassVar[str] = "power_law"

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "strength", _float("strength (G0)", self.strength, lower=0.0, strict=False)
        )
        object.__setattr__(self, "beta", _float("beta", self.beta, lower=0.0, strict=True))
        object.__setattr__(self, "l0", _float("l0 (periods)", self.l0, lower=0.0, strict=True))

    def values(self, N: int) -> FloatArray:
        return self.strength * np.power(1.0 + np.arange(N, dtype=np.float64) / self.l0, -self.beta)

    def apply(self, x: ArrayLike) -> FloatArray:
        """``K x`` by FFT convolution (O(N log N))."""
        x = np.asarray(x, dtype=np.float64)
        return _toeplitz_fft(self.values(x.shape[-1]), x)

    def require_positive_definite(self, N: int) -> None:
        """Completely monotone: always positive definite."""

    def exponential_sum(self, N: int) -> ExponentialSum:
        return _power_law_soe(self.beta, self.l0, N, self.strength)

    def __repr__(self) -> str:
        return f"PowerLawKernel(strength={self.strength:g}, beta={self.beta:g}, l0={self.l0:g})"


@lru_cache(maxsize=32)
def _power_law_soe(beta: float, l0: float, N: int, strength: float) -> ExponentialSum:
    """Fit ``(1 + l/l0)^(-beta)`` on ``l = 0..N-1`` by a positive sum of exponentials.

    Candidate rates come from the integral ``(1 + l/l0)^(-beta) = 1/Gamma(beta) int_0^inf
    t^(beta-1) e^(-t) e^(-t l / l0) dt`` discretised on a geometric grid of ``t``; the weights
    are refitted by non-negative least squares in relative error, which keeps a few terms. The
    number of terms and the achieved error are recorded (``max_rel_error``).
    """
    from scipy.optimize import nnls

    lags = np.arange(N, dtype=np.float64)
    target = np.power(1.0 + lags / l0, -beta)
    best: tuple[FloatArray, FloatArray, float] | None = None
    # rates from 1/(N l0) (slower than the horizon) to ~60/l0 (faster than one period); the
    # grid grows until the fit meets SOE_RTOL (measured: 14-20 terms for beta 0.3-2, N = 390)
    for n in range(10, 81, 5):
        t = np.geomspace(0.02 / max(N, 2), 60.0, n)
        rho = np.exp(-t / l0)
        A = np.power.outer(rho, lags).T / target[:, None]  # rows in relative error
        w, _ = nnls(A, np.ones(N), maxiter=50 * n)
        keep = w > 0
        approx = np.power.outer(rho[keep], lags).T @ w[keep]
        err = float(np.max(np.abs(approx / target - 1.0)))
        if best is None or err < best[2]:
            best = (w[keep], rho[keep], err)
        if err <= SOE_RTOL:
            break
    assert best is not None
    w, rho, err = best
    return ExponentialSum(strength * w, rho, err)


@_register
class TabulatedKernel(Kernel):
    """``G(l) = values[l]`` for ``l = 0 .. N-1`` (at least ``N`` values are needed).

    Positive definiteness is checked when a problem is built (a box kernel, for example, is
    refused). The conic back-ends use the dense matrix.

    Parameters
    ----------
    values : array_like
        ``G(0), G(1), ...``, dollars per share per share.
    """

    kind: ClassVar[str] = "tabulated"
    _g: FloatArray

    def __init__(self, values: ArrayLike) -> None:
        if isinstance(values, (str, bytes)) or values is None:
            raise InputError("values must be an array of kernel values G(0), G(1), ...")
        try:
            v = np.array(values, dtype=np.float64, copy=True)
        except (TypeError, ValueError):
            raise InputError("values must be an array of numbers G(0), G(1), ...") from None
        if v.ndim != 1 or v.size == 0 or not np.isfinite(v).all():
            raise InputError(
                "values must be a non-empty 1-D array of finite numbers G(0), G(1), ..."
            )
        v.flags.writeable = False
        object.__setattr__(self, "_g", v)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("TabulatedKernel is immutable")

    @property
    def table(self) -> FloatArray:
        """The tabulated values (read-only)."""
        return self._g

    def __hash__(self) -> int:
        return hash((self.kind, self._g.tobytes()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TabulatedKernel) and np.array_equal(self._g, other._g)

    def values(self, N: int) -> FloatArray:
        if self._g.size < N:
            raise InputError(
                f"the tabulated kernel has {self._g.size} values but the problem has N = {N} "
                "periods: give G(l) for every lag l = 0 .. N-1."
            )
        return np.asarray(self._g[:N])

    def to_dict(self) -> dict[str, Any]:
        return {"kernel": self.kind, "values": encode_array(self._g)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TabulatedKernel:
        extra = set(d) - {"kernel", "values"}
        if extra or "values" not in d:
            raise InputError("a tabulated kernel is {'kernel': 'tabulated', 'values': [...]}.")
        return cls(decode_array(d["values"], "tabulated.values"))

    def structure_key(self) -> tuple[Any, ...]:
        return (self.kind, int(self._g.size))

    def __repr__(self) -> str:
        return f"TabulatedKernel(<{self._g.size} values, G(0) = {self._g[0]:g}>)"
