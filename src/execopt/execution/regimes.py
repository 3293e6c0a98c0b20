"""Volatility regimes from one-minute returns: GARCH(1,1) with ``arch``, and safety buffers.

Volatility clusters: a large move is followed by more large moves. A GARCH(1,1) model,

    sigma2_t = omega + alpha r_{t-1}^2 + beta sigma2_{t-1},

gives the conditional volatility of the next one-minute return from the returns seen so far, in
O(1) per update. A period is in the ``"high"`` regime when that volatility exceeds ``high`` times
the model's long-run volatility ``sqrt(omega / (1 - alpha - beta))``, ``"low"`` below ``low``
times it, else ``"normal"``.

Why GARCH and not a two-state hidden Markov model: ``arch`` is installed and well kept (its
maximum likelihood fit, with standard errors and a convergence flag, is one call); the filter
is causal by construction, so a backtest cannot peek (an HMM's smoothed state probabilities use
the future unless one is careful to filter); and a continuous volatility lets the thresholds be
tuned without refitting. An HMM would need a new dependency (``hmmlearn``) or a hand-written EM.

Scaling: ``arch`` warns (``DataScaleWarning``) unless the variance of its input lies in
``[0.1, 1e4)``. One-minute log returns have standard deviations near 1e-3, so even percent
returns (about 0.1 %) are too small; :func:`arch_scale` picks the power of ten that puts the
standard deviation between about 3 and 30 (basis points, 1e4, for FROG and SOUN minutes).

:class:`RegimeBuffers` maps each regime to a safety buffer for the adaptive policy: in high
volatility smaller child orders (a lower cap and less of the visible depth) and more frequent
re-estimation; in low volatility more aggressive.

Glossary: ``r`` one-minute log returns, ``sigma`` their conditional standard deviation (same
unit), ``omega, alpha, beta`` the GARCH(1,1) parameters in the unit of ``r``.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt.errors import ConvergenceWarning, DataError, InputError

__all__ = [
    "PRIOR_ALPHA",
    "PRIOR_BETA",
    "Buffer",
    "GarchRegimes",
    "Regime",
    "RegimeBuffers",
    "RegimeDetector",
    "arch_scale",
]

FloatArray = NDArray[np.float64]
Regime = Literal["low", "normal", "high"]

#: Maximum-likelihood fits remembered per process, keyed by the returns' bytes: the episodes of
#: one day refit on the same returns (:meth:`RegimeDetector.update` with ``position``).
FIT_CACHE_SIZE = 512
_FIT_CACHE: OrderedDict[tuple[bytes, int], dict[str, object]] = OrderedDict()
_FITTED = (
    "scale_", "n_obs_", "source_", "converged_", "omega_", "alpha_", "beta_", "long_run_vol_",
)  # fmt: skip

#: Prior GARCH(1,1) coefficients used until enough returns exist to fit (typical intraday
#: values: persistence 0.95). ``omega`` is then set so the long-run variance is the sample's.
PRIOR_ALPHA = 0.10
PRIOR_BETA = 0.85


def _clean(returns: ArrayLike) -> FloatArray:
    r = np.asarray(returns, dtype=np.float64).ravel()
    return r[np.isfinite(r)]


def arch_scale(returns: ArrayLike) -> float:
    """Power of ten ``10^k`` that brings the standard deviation of ``returns`` to about 3-30.

    Raises
    ------
    DataError
        If the returns have no variation.
    """
    r = _clean(returns)
    sd = float(np.std(r)) if r.size else 0.0
    if not sd > 0:
        raise DataError("the returns are constant (no variation): volatility cannot be modelled.")
    k = int(np.round(-np.log10(sd))) + 1
    return float(10.0**k)


class GarchRegimes:
    """GARCH(1,1) volatility regimes (scikit-learn style: settings in ``__init__``, ``fit``).

    Parameters
    ----------
    high, low : float
        A period is ``"high"`` when the conditional volatility exceeds ``high`` times the long-run
        volatility, ``"low"`` below ``low`` times it.
    min_obs : int
        Fewest finite returns :meth:`fit` accepts for a maximum-likelihood fit; with fewer it uses
        the prior coefficients (:data:`PRIOR_ALPHA`, :data:`PRIOR_BETA`).

    Attributes
    ----------
    omega_, alpha_, beta_ : float
        Coefficients in the unit of the returns (``omega_`` in squared return units).
    long_run_vol_ : float
        ``sqrt(omega / (1 - alpha - beta))`` (the sample volatility if ``alpha + beta >= 1``).
    scale_ : float
        Multiplier applied to the returns before ``arch`` saw them.
    source_ : str
        ``"arch"`` (maximum likelihood) or ``"prior"``.
    converged_ : bool
        The optimiser's verdict (True for the prior).
    n_obs_ : int

    Examples
    --------
    >>> import numpy as np
    >>> r = np.random.default_rng(0).standard_normal(500) * 1e-3
    >>> g = GarchRegimes().fit(r)
    >>> g.regime(r) in ("low", "normal", "high")
    True
    """

    def __init__(self, high: float = 1.5, low: float = 0.75, min_obs: int = 100) -> None:
        self.high = high
        self.low = low
        self.min_obs = min_obs

    def _validate(self) -> None:
        if not (np.isfinite(self.high) and np.isfinite(self.low) and 0 < self.low < 1 < self.high):
            raise InputError(
                f"need 0 < low < 1 < high (ratios to the long-run volatility), got low={self.low}, "
                f"high={self.high}."
            )
        if int(self.min_obs) < 10:
            raise InputError(f"min_obs must be >= 10 returns, got {self.min_obs}.")

    def fit(self, returns: ArrayLike) -> GarchRegimes:
        """Fit on one-minute log returns (NaN dropped); returns ``self``.

        Raises
        ------
        DataError
            Fewer than 10 finite returns, or no variation.

        Warns
        -----
        ConvergenceWarning
            When the maximum-likelihood fit does not converge (the prior is used instead).
        """
        self._validate()
        r = _clean(returns)
        key = (r.tobytes(), int(self.min_obs)) if r.size >= int(self.min_obs) else None
        if key is not None and key in _FIT_CACHE:
            # the same returns were fitted before (episodes of one day share their refits)
            for name, value in _FIT_CACHE[key].items():
                setattr(self, name, value)
            _FIT_CACHE.move_to_end(key)
            return self
        if r.size < 10:
            raise DataError(
                f"only {r.size} finite returns: GARCH needs at least 10 (and {self.min_obs} for a "
                "maximum-likelihood fit)."
            )
        scale = arch_scale(r)
        self.scale_ = scale
        self.n_obs_ = int(r.size)
        var = float(np.var(r))
        self.source_ = "prior"
        self.converged_ = True
        alpha, beta = PRIOR_ALPHA, PRIOR_BETA
        omega = var * (1.0 - alpha - beta)
        if r.size >= int(self.min_obs):
            from arch import arch_model

            y = r * scale
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res = arch_model(y, mean="Zero", vol="GARCH", p=1, q=1, rescale=False).fit(
                    disp="off", show_warning=False
                )
            ok = int(res.convergence_flag) == 0 and not any(
                "converge" in str(w.message).lower() for w in caught
            )
            if ok:
                p = res.params
                omega = float(p["omega"]) / scale**2
                alpha, beta = float(p["alpha[1]"]), float(p["beta[1]"])
                self.source_ = "arch"
            else:
                self.converged_ = False
                warnings.warn(
                    f"GARCH(1,1) did not converge on {r.size} returns (flag "
                    f"{res.convergence_flag}); using the prior alpha={PRIOR_ALPHA}, "
                    f"beta={PRIOR_BETA} with the sample variance.",
                    ConvergenceWarning,
                    stacklevel=2,
                )
        self.omega_, self.alpha_, self.beta_ = omega, alpha, beta
        persistence = alpha + beta
        self.long_run_vol_ = (
            float(np.sqrt(omega / (1.0 - persistence))) if persistence < 1 else float(np.sqrt(var))
        )
        if key is not None:
            _FIT_CACHE[key] = {n: getattr(self, n) for n in _FITTED}
            while len(_FIT_CACHE) > FIT_CACHE_SIZE:
                _FIT_CACHE.popitem(last=False)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "omega_"):
            raise InputError("GarchRegimes is not fitted: call fit(returns) first.")

    def filter(self, returns: ArrayLike) -> FloatArray:
        """Conditional volatility before each return and after the last (length ``n + 1``).

        Element ``i`` uses returns ``0..i-1`` only (a causal filter); the last element is the
        forecast for the next, unseen return. NaN returns are treated as zero moves.
        """
        from scipy.signal import lfilter

        self._check_fitted()
        r = np.nan_to_num(np.asarray(returns, dtype=np.float64).ravel(), nan=0.0)
        s2 = np.empty(r.size + 1)
        s2[0] = self.long_run_vol_**2
        w, a, b = self.omega_, self.alpha_, self.beta_
        if r.size:
            # s2[i + 1] = (w + a r_i r_i) + b s2[i]: a first-order linear recursion, in C
            x = w + a * r * r
            s2[1:] = lfilter([1.0], [1.0, -b], x, zi=[b * s2[0]])[0]
        return np.sqrt(s2)

    def classify(self, vol: ArrayLike) -> NDArray[np.str_]:
        """Regime labels of conditional volatilities (see the class docstring)."""
        self._check_fitted()
        ratio = np.asarray(vol, dtype=np.float64) / self.long_run_vol_
        return np.where(ratio > self.high, "high", np.where(ratio < self.low, "low", "normal"))

    def regime(self, returns: ArrayLike) -> Regime:
        """The regime of the next period given the returns so far."""
        label = str(self.classify(self.filter(returns)[-1:])[0])
        return label  # type: ignore[return-value]


@dataclass(frozen=True)
class Buffer:
    """A safety buffer: multipliers on the child-order cap and how often to re-estimate.

    Attributes
    ----------
    cap_scale : float
        Multiplies the policy's cap (``> 0``).
    depth_fraction : float
        Largest share of the live book's visible depth to take in one period, ``(0, 1]``.
    reestimate_every : int
        Minutes between re-estimations of the cost forecast (``>= 1``).
    """

    cap_scale: float
    depth_fraction: float
    reestimate_every: int

    def __post_init__(self) -> None:
        if not (np.isfinite(self.cap_scale) and self.cap_scale > 0):
            raise InputError(f"cap_scale must be > 0, got {self.cap_scale}.")
        if not 0 < self.depth_fraction <= 1:
            raise InputError(f"depth_fraction must be in (0, 1], got {self.depth_fraction}.")
        if int(self.reestimate_every) < 1:
            raise InputError(f"reestimate_every must be >= 1, got {self.reestimate_every}.")


@dataclass(frozen=True)
class RegimeBuffers:
    """The buffer of each regime. Defaults: high volatility halves the cap, takes at most 40 %
    of the visible depth and re-estimates every 2 minutes; low volatility allows 25 % larger
    orders, all of the visible depth, and re-estimates every 10 minutes.
    """

    low: Buffer = field(default_factory=lambda: Buffer(1.25, 1.0, 10))
    normal: Buffer = field(default_factory=lambda: Buffer(1.0, 0.8, 5))
    high: Buffer = field(default_factory=lambda: Buffer(0.5, 0.4, 2))

    def __getitem__(self, regime: str) -> Buffer:
        if regime not in ("low", "normal", "high"):
            raise InputError(f"regime must be 'low', 'normal' or 'high', got {regime!r}.")
        buf: Buffer = getattr(self, regime)
        return buf


class RegimeDetector:
    """Online regimes for a backtest: fit on earlier days once, or on the day so far.

    With ``previous`` returns (earlier days, at least ``model.min_obs``) the model is fitted on
    them once and filtered through today's returns. Otherwise it is fitted on today's returns
    so far every ``refit_every`` minutes (the prior coefficients until ``min_obs`` returns
    exist), and reports ``warmup_regime`` until ``warmup`` returns exist: ``"high"`` by default,
    because a volatility nobody has measured yet calls for the cautious buffer (and the first
    minutes of a session are the most volatile). Either way only returns up to the decision are
    used.

    Parameters
    ----------
    model : GarchRegimes, optional
    refit_every : int
        Minutes between refits on the day's own returns.
    warmup : int
        Returns needed before the model is used.
    warmup_regime : {"low", "normal", "high"}
        Regime reported before that.
    """

    def __init__(
        self,
        model: GarchRegimes | None = None,
        refit_every: int = 30,
        warmup: int = 20,
        warmup_regime: Regime = "high",
    ) -> None:
        self.model = model if model is not None else GarchRegimes()
        self.refit_every = int(refit_every)
        self.warmup = int(warmup)
        if warmup_regime not in ("low", "normal", "high"):
            raise InputError(f"warmup_regime must be low, normal or high, got {warmup_regime!r}.")
        self.warmup_regime: Regime = warmup_regime
        if self.refit_every < 1 or self.warmup < 10:
            raise InputError("refit_every must be >= 1 and warmup >= 10 returns.")
        self.reset()

    def reset(self, previous: ArrayLike | None = None) -> None:
        """Forget today's fit; optionally fit once on earlier days' returns.

        Also imports ``arch`` (about 3 s the first time in a process) so that the cost falls
        here, before a run, and not on a timed decision.
        """
        import arch  # noqa: F401  (warm-up import, see the docstring)

        self._fitted_at = -(10**9)
        self._fixed = False
        self.history: list[tuple[int, Regime]] = []
        if previous is not None:
            r = _clean(previous)
            if r.size >= int(self.model.min_obs):
                self.model.fit(r)
                self._fixed = True

    def update(self, t: int, returns: ArrayLike, position: int | None = None) -> Regime:
        """Regime for period ``t`` from the returns observed up to it.

        With ``position`` (the minute within the session of period ``t``; ``returns`` then run
        from the day's first minute), refits happen on the session's clock: the model is
        fitted on the returns up to the last multiple of ``refit_every`` minutes, so orders
        that start at different times of one day share their fits (and a process fits each
        once: :data:`FIT_CACHE_SIZE`). Without it, every ``refit_every`` periods of the order.
        """
        r = np.asarray(returns, dtype=np.float64)
        if not self._fixed:
            never = self._fitted_at == -(10**9)
            # once fitted, the returns so far have varied (their spread cannot fall back to 0)
            if never and (int(np.isfinite(r).sum()) < self.warmup or not np.nanstd(r) > 0):
                self.history.append((t, self.warmup_regime))
                return self.warmup_regime
            if position is None:
                if t - self._fitted_at >= self.refit_every:
                    self.model.fit(r)
                    self._fitted_at = t
            else:
                block = int(position) // self.refit_every
                if block != self._fitted_at:
                    cut = r[: max(r.size - int(position) % self.refit_every, 0)]
                    enough = int(np.isfinite(cut).sum()) >= self.warmup and np.nanstd(cut) > 0
                    self.model.fit(cut if enough else r)
                    self._fitted_at = block
        label = self.model.regime(r)
        self.history.append((t, label))
        return label
