"""The estimator :class:`PropagatorFit` (scikit-learn style).

Part of :mod:`execopt.impact.propagator` (see its docstring for the model and its limits).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from numpy.typing import ArrayLike

from execopt.errors import DataError, InputError
from execopt.impact.transient import ExponentialKernel, Kernel, PowerLawKernel

if TYPE_CHECKING:  # pragma: no cover
    from execopt.data.book import BookSeries, Session
from execopt.impact.propagator._shared import (
    _BRENT_XATOL,
    _GOLDEN_ITERATIONS,
    BETA_BOUNDS,
    GRID_POINTS,
    HALF_LIFE_BOUNDS,
    IDENTIFICATION,
    MARKOUT_HORIZONS,
    SIDE_GRID_POINTS,
    FloatArray,
    KernelKind,
    Unsigned,
)
from execopt.impact.propagator.flow import (
    MinuteFlow,
    minute_flow,
)
from execopt.impact.propagator.markouts import (
    _impact_at,
    _markouts,
)
from execopt.impact.propagator.regression import (
    _block_weights,
    _Regression,
)


def _check_int(name: str, v: Any, lo: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or int(v) < lo:
        raise InputError(f"{name} must be an integer >= {lo}, got {v!r}.")
    return int(v)


class PropagatorFit:
    """Fit a transient kernel and permanent impact to a book's own trades (see module doc).

    Parameters
    ----------
    kernel : {"exponential", "power_law"}
        ``G(l) = G0 2^(-l / half_life)`` or ``G(l) = G0 (1 + l / l0)^(-beta)``.
    l0 : float
        Power-law scale, minutes (fixed, not fitted). Default 1.
    shape_bounds : (float, float), optional
        Search range of the half-life (minutes; default :data:`HALF_LIFE_BOUNDS`) or of
        ``beta`` (default :data:`BETA_BOUNDS`).
    fit_intercept : bool
        Fit a constant drift per minute (default True; without it the day's drift is read as
        impact).
    by_side : bool
        Also fit buy- and sell-initiated flow with their own kernels, and test the differences.
    unsigned : {"drop", "quote_rule"}
        Trades without an aggressor side (see :func:`minute_flow`).
    n_boot : int
        Bootstrap replicates (0: no intervals).
    block_minutes : int
        Bootstrap block length, minutes.
    ci_level : float
        Interval level, default 0.95.
    markout_horizons : sequence of int
        Minutes after each trade (default :data:`MARKOUT_HORIZONS`).
    min_minutes : int
        Fewer usable minutes than this is refused (default 60).
    seed : int, SeedSequence or None
        Seed of the bootstrap.
    tz, session
        The session's minutes (see :func:`minute_flow`).

    Attributes
    ----------
    kernel_ : ExponentialKernel or PowerLawKernel
        The fitted ``G`` (lags in minutes, dollars per share per share).
    permanent_ : float
        ``gamma``, dollars per share per share.
    drift_ : float
        ``mu``, dollars per minute.
    params_ : dict
        ``strength``, ``half_life`` or ``beta``, ``permanent``, ``drift``.
    ci_ : dict of (lo, hi)
        Bootstrap percentile intervals of the same names.
    boot_ : ndarray of shape (n_boot, 4)
        Replicates (columns in the order of ``params_``).
    r2_, rmse_ : float
        Of the minute-mean mid increments (dollars).
    r2_flow_ : float
        Share of the increments' variance the flow terms explain beyond the drift alone.
    n_minutes_, n_obs_ : int
        Minutes in the session, regression rows used (increments with a mid at both ends).
    at_bound_ : list of str
        Parameters on a bound (``strength``/``permanent`` at 0, the shape at a search bound).
    profile_ : dict
        ``theta`` (the shape grid) and ``rss`` (the residual sum of squares, dollars², of the
        best amplitudes at each shape): flat means the shape is not identified.
    sides_ : dict or None
        ``{"buy": {"params", "ci"}, "sell": {...}}`` with ``by_side``.
    asymmetry_ : dict or None
        Per parameter ``{"diff": buy - sell, "ci": [lo, hi], "p": two-sided bootstrap p}``.
    markouts_ : Markouts
    caveats_ : list of str
        What this fit did not identify, from its own numbers.
    flow_ : MinuteFlow

    Examples
    --------
    >>> import numpy as np
    >>> from execopt.data import synthetic_book
    >>> G = 4e-5 * 2.0 ** (-np.arange(390) / 5.0)
    >>> book = synthetic_book("FROG", seed=1, transient=G, permanent=1e-5)
    >>> fit = PropagatorFit(n_boot=0, by_side=False).fit(book)
    >>> bool(abs(fit.kernel_.strength / 4e-5 - 1) < 0.3)
    True
    """

    def __init__(
        self,
        kernel: KernelKind = "exponential",
        *,
        l0: float = 1.0,
        shape_bounds: tuple[float, float] | None = None,
        fit_intercept: bool = True,
        by_side: bool = True,
        unsigned: Unsigned = "drop",
        n_boot: int = 200,
        block_minutes: int = 10,
        ci_level: float = 0.95,
        markout_horizons: Sequence[int] = MARKOUT_HORIZONS,
        min_minutes: int = 60,
        seed: int | np.random.SeedSequence | None = 0,
        tz: str = "America/New_York",
        session: Session | None = ("09:30", "16:00"),
    ) -> None:
        self.kernel = kernel
        self.l0 = l0
        self.shape_bounds = shape_bounds
        self.fit_intercept = fit_intercept
        self.by_side = by_side
        self.unsigned = unsigned
        self.n_boot = n_boot
        self.block_minutes = block_minutes
        self.ci_level = ci_level
        self.markout_horizons = markout_horizons
        self.min_minutes = min_minutes
        self.seed = seed
        self.tz = tz
        self.session = session

    # ------------------------------------------------------------------ settings
    @property
    def shape_name(self) -> str:
        """``"half_life"`` or ``"beta"``."""
        return "half_life" if self.kernel == "exponential" else "beta"

    def _validate(self) -> tuple[float, float]:
        if self.kernel not in ("exponential", "power_law"):
            raise InputError(f"kernel must be 'exponential' or 'power_law', got {self.kernel!r}.")
        l0_ok = isinstance(self.l0, (int, float)) and not isinstance(self.l0, bool)
        if not (l0_ok and np.isfinite(self.l0) and self.l0 > 0):
            raise InputError(f"l0 must be a finite number of minutes > 0, got {self.l0!r}.")
        _check_int("n_boot", self.n_boot, 0)
        _check_int("block_minutes", self.block_minutes, 1)
        _check_int("min_minutes", self.min_minutes, 3)
        if not (isinstance(self.ci_level, float) and 0.0 < self.ci_level < 1.0):
            raise InputError(f"ci_level must be a fraction in (0, 1), got {self.ci_level!r}.")
        hs = tuple(self.markout_horizons)
        if not hs or any(_check_int("markout horizon", h, 1) != h for h in hs):
            raise InputError(f"markout_horizons must be integers >= 1, got {hs!r}.")
        if self.unsigned not in ("drop", "quote_rule"):
            raise InputError(f"unsigned must be 'drop' or 'quote_rule', got {self.unsigned!r}.")
        default = HALF_LIFE_BOUNDS if self.kernel == "exponential" else BETA_BOUNDS
        lo, hi = default if self.shape_bounds is None else self.shape_bounds
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
            raise InputError(
                f"shape_bounds must be (lo, hi) with 0 < lo < hi, got {self.shape_bounds!r}."
            )
        return float(lo), float(hi)

    # ------------------------------------------------------------------ fit
    def fit(self, data: BookSeries | MinuteFlow) -> Self:
        """Fit to an event-level book day (or its :class:`MinuteFlow`).

        Returns
        -------
        self

        Raises
        ------
        InputError
            Invalid settings.
        DataError
            No signed trades, fewer than ``min_minutes`` usable minutes, NaN or negative
            volumes, a per-minute or several-day series (see :func:`minute_flow`).
        """
        lo, hi = self._validate()
        if isinstance(data, MinuteFlow):
            flow = data
        else:
            flow = minute_flow(data, unsigned=self.unsigned, tz=self.tz, session=self.session)
        T = flow.T
        if flow.trade_ts.size == 0 or not np.any(flow.buy_volume + flow.sell_volume > 0):
            raise DataError(
                f"the {flow.symbol or 'book'} day has no signed trades "
                f"({int(flow.counts.get('trades', 0)):,} trades, "
                f"{int(flow.counts.get('unsigned_dropped', 0)):,} without an aggressor side "
                "dropped): the propagator is fitted to signed trades. Use a file with trade "
                "records (action T), or sign side-N trades with unsigned='quote_rule'."
            )
        reg = _Regression(flow, self.fit_intercept)
        n_obs = int(reg.valid.sum())
        if T < self.min_minutes or n_obs < self.min_minutes - 1:
            raise DataError(
                f"the {flow.symbol or 'book'} day has {T} minutes ({n_obs} minute-to-minute mid "
                f"changes with a two-sided book at both ends); the propagator fit needs at least "
                f"{self.min_minutes} minutes. Use a longer book (a full session) or lower "
                "min_minutes knowingly."
            )
        self.flow_ = flow
        self.n_minutes_ = T
        self.n_obs_ = n_obs
        grid = np.geomspace(lo, hi, GRID_POINTS)
        ss = (
            np.random.SeedSequence(self.seed)
            if not isinstance(self.seed, np.random.SeedSequence)
            else self.seed
        )
        s_boot, s_mark = ss.spawn(2)
        B = int(self.n_boot)
        W_all = np.ones((1, reg.n))
        W_boot = (
            _block_weights(reg.n, self.block_minutes, B, np.random.default_rng(s_boot))
            if B
            else np.zeros((0, reg.n))
        )
        # --- symmetric fit: point estimate and replicates together
        W = np.vstack([W_all, W_boot])
        theta, coef, mu, rss, prof = self._fit_symmetric(reg, W, grid, lo, hi, T)
        G0 = float(coef[0, 0] * reg.sy / reg.sx) + 0.0  # + 0.0: no "-0.0" from the NNLS
        gam = float(coef[0, 1] * reg.sy / reg.sx) + 0.0
        self.profile_ = {"theta": grid.tolist(), "rss": (prof * reg.sy**2).tolist()}
        self.kernel_ = self._make_kernel(G0, theta[0])
        self.permanent_ = float(gam)
        self.drift_ = float(mu[0] * reg.sy)
        names = ("strength", self.shape_name, "permanent", "drift")
        self.params_ = dict(
            zip(names, (float(G0), float(theta[0]), float(gam), self.drift_), strict=True)
        )
        self.boot_ = np.column_stack(
            [
                coef[1:, 0] * reg.sy / reg.sx,
                theta[1:],
                coef[1:, 1] * reg.sy / reg.sx,
                mu[1:] * reg.sy,
            ]
        )
        self.ci_ = self._intervals(self.boot_, names)
        tss = reg.tss() * reg.sy**2
        self.rss_ = float(rss[0] * reg.sy**2)
        self.r2_ = 1.0 - self.rss_ / tss if tss > 0 else float("nan")
        self.rmse_ = float(np.sqrt(self.rss_ / max(n_obs, 1)))
        y_ok = reg.y_raw[reg.valid]
        tss_drift = float(np.sum((y_ok - y_ok.mean()) ** 2)) if self.fit_intercept else tss
        self.r2_flow_ = 1.0 - self.rss_ / tss_drift if tss_drift > 0 else float("nan")
        self.at_bound_ = self._bounds_hit(self.params_, lo, hi, grid)
        # --- buy and sell
        self.sides_: dict[str, Any] | None = None
        self.asymmetry_: dict[str, Any] | None = None
        if self.by_side:
            self._fit_sides(reg, W, lo, hi, T)
        # --- mark-outs
        G = self.kernel_.values(T)
        self.markouts_ = _markouts(
            flow,
            tuple(int(h) for h in self.markout_horizons),
            G,
            self.permanent_,
            B,
            int(self.block_minutes),
            float(self.ci_level),
            s_mark,
        )
        self.caveats_ = self._caveats(lo, hi)
        return self

    def bootstrap_kernels(self) -> list[tuple[Kernel, float]]:
        """``(kernel, permanent gamma)`` of every bootstrap replicate (for Monte Carlo over the
        calibration's uncertainty, e.g. :func:`execopt.studies.transient_impact.kernel_draws`).

        Raises
        ------
        InputError
            Before :meth:`fit`.
        """
        if not hasattr(self, "boot_"):
            raise InputError("the propagator is not fitted: call fit(book) first.")
        return [
            (self._make_kernel(max(float(g0), 0.0), float(th)), max(float(gam), 0.0))
            for g0, th, gam, _ in self.boot_
        ]

    def _make_kernel(self, G0: float, theta: float) -> Kernel:
        if self.kernel == "exponential":
            return ExponentialKernel(strength=float(G0), half_life=float(theta))
        return PowerLawKernel(strength=float(G0), beta=float(theta), l0=float(self.l0))

    def _intervals(self, boot: FloatArray, names: Sequence[str]) -> dict[str, tuple[float, float]]:
        alpha = 1.0 - float(self.ci_level)
        if boot.shape[0] < 2:
            return {n: (float("nan"), float("nan")) for n in names}
        q = np.quantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
        return {n: (float(q[0, i]), float(q[1, i])) for i, n in enumerate(names)}

    def _bounds_hit(
        self, params: dict[str, float], lo: float, hi: float, grid: FloatArray
    ) -> list[str]:
        out = [n for n in ("strength", "permanent") if params.get(n, 1.0) <= 0.0]
        th = params[self.shape_name]
        step = float(grid[1] / grid[0])
        if th <= lo * step**0.5 or th >= hi / step**0.5:
            out.append(self.shape_name)
        return out

    def _refine(
        self,
        objective: Any,
        log_lo: float,
        log_hi: float,
        log_start: float,
        step: float,
    ) -> float:
        """Bounded Brent on ``log theta`` in the grid cell around ``log_start``."""
        from scipy.optimize import minimize_scalar

        a = max(log_lo, log_start - step)
        b = min(log_hi, log_start + step)
        if b - a <= 0:
            return log_start
        res = minimize_scalar(
            objective, bounds=(a, b), method="bounded", options={"xatol": _BRENT_XATOL}
        )
        if float(res.fun) < float(objective(log_start)):
            return float(res.x)
        return log_start

    def _fit_symmetric(
        self, reg: _Regression, W: FloatArray, grid: FloatArray, lo: float, hi: float, T: int
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """Best shape per weight row: the grid, then a golden-section search in ``log theta``
        over the grid cells either side of each row's best grid point, all rows at once.

        Returns ``(theta (B,), coef (B, 2) scaled, mu (B,) scaled, rss (B,) scaled, the
        point fit's rss over the grid)``.
        """
        kind, l0 = self.kernel, float(self.l0)
        cols_grid = reg.transient("both", kind, grid, T, l0)  # (J, n)
        perm = reg.permanent("both")
        _, rss = reg.solve(W, [cols_grid, perm])  # (B, J)
        j = np.argmin(rss, axis=1)
        log_grid = np.log(grid)
        step = float(log_grid[1] - log_grid[0])

        def evaluate(lt: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
            cols = reg.transient("both", kind, np.exp(lt), T, l0)  # (B, n)
            return reg.solve_paired(W, [cols, perm])

        lt_best = log_grid[j]
        a = np.maximum(lt_best - step, log_grid[0])
        b = np.minimum(lt_best + step, log_grid[-1])
        invphi = (np.sqrt(5.0) - 1.0) / 2.0
        c = b - invphi * (b - a)
        d = a + invphi * (b - a)
        fc, fd = evaluate(c)[1], evaluate(d)[1]
        for _ in range(_GOLDEN_ITERATIONS):
            left = fc < fd  # the minimum lies in [a, d]
            b = np.where(left, d, b)
            a = np.where(left, a, c)
            d_new = np.where(left, c, a + invphi * (b - a))
            c_new = np.where(left, b - invphi * (b - a), d)
            fd_new = np.where(left, fc, np.nan)
            fc_new = np.where(left, np.nan, fd)
            c, d = c_new, d_new
            need_c, need_d = np.isnan(fc_new), np.isnan(fd_new)
            fc_eval = evaluate(c)[1]
            fd_eval = evaluate(d)[1]
            fc = np.where(need_c, fc_eval, fc_new)
            fd = np.where(need_d, fd_eval, fd_new)
        lt_gs = (a + b) / 2.0
        _, rss_gs, _ = evaluate(lt_gs)
        lt = np.where(rss_gs <= rss[np.arange(W.shape[0]), j], lt_gs, lt_best)
        coef, rss_best, mu = evaluate(lt)
        return np.exp(lt), coef, mu, rss_best, rss[0]

    def _fit_sides(self, reg: _Regression, W: FloatArray, lo: float, hi: float, T: int) -> None:
        """Buy and sell kernels: a 2-D shape grid, then coordinate-wise Brent (two sweeps)."""
        kind, l0 = self.kernel, float(self.l0)
        grid = np.geomspace(lo, hi, SIDE_GRID_POINTS)
        log_grid = np.log(grid)
        step = float(log_grid[1] - log_grid[0])
        J = grid.shape[0]
        cb = reg.transient("buy", kind, grid, T, l0)  # (J, n)
        cs = -reg.transient("sell", kind, grid, T, l0)
        pb, ps = reg.permanent("buy"), -reg.permanent("sell")
        # all (i, j) pairs of shapes as a (J*J, n) stack
        colb = np.repeat(cb, J, axis=0)
        cols = np.tile(cs, (J, 1))
        Bn = W.shape[0]
        coef_grid, rss_grid = reg.solve(W, [colb, cols, pb, ps])  # (B, J*J, 4), (B, J*J)
        best = np.argmin(rss_grid, axis=1)
        lbs, lss = log_grid[best // J], log_grid[best % J]
        k = reg.sy / reg.sx
        out = np.empty((Bn, 7))  # G0b, thb, gb, G0s, ths, gs, mu
        for b in range(Bn):
            Wb = W[b : b + 1]
            lb, ls = float(lbs[b]), float(lss[b])
            if b == 0:  # the point estimate: coordinate-wise Brent from the grid, two sweeps
                for _sweep in range(2):

                    def obj_b(lt: float, ls: float = ls) -> float:
                        c1 = reg.transient("buy", kind, np.array([np.exp(lt)]), T, l0)[0]
                        c2 = -reg.transient("sell", kind, np.array([np.exp(ls)]), T, l0)[0]
                        return float(reg.solve(W[:1], [c1, c2, pb, ps])[1][0])

                    lb = self._refine(obj_b, log_grid[0], log_grid[-1], lb, step)

                    def obj_s(lt: float, lb: float = lb) -> float:
                        c1 = reg.transient("buy", kind, np.array([np.exp(lb)]), T, l0)[0]
                        c2 = -reg.transient("sell", kind, np.array([np.exp(lt)]), T, l0)[0]
                        return float(reg.solve(W[:1], [c1, c2, pb, ps])[1][0])

                    ls = self._refine(obj_s, log_grid[0], log_grid[-1], ls, step)
                c1 = reg.transient("buy", kind, np.array([np.exp(lb)]), T, l0)[0]
                c2 = -reg.transient("sell", kind, np.array([np.exp(ls)]), T, l0)[0]
                coef = reg.solve(Wb, [c1, c2, pb, ps])[0][0]
            else:  # replicates stop at the grid (a shape step finer than their spread)
                i, j = divmod(int(best[b]), J)
                c1, c2 = cb[i], cs[j]
                coef = coef_grid[b, best[b]]
            mu = reg.intercept(Wb, [c1, c2, pb, ps], coef[None, :])[0]
            out[b] = [
                coef[0] * k,
                np.exp(lb),
                coef[2] * k,
                coef[1] * k,
                np.exp(ls),
                coef[3] * k,
                mu * reg.sy,
            ]
        out = out + 0.0  # no "-0.0" from the NNLS
        names = ("strength", self.shape_name, "permanent")
        sides: dict[str, Any] = {}
        for s, cols_idx in (("buy", (0, 1, 2)), ("sell", (3, 4, 5))):
            sp = {n: float(out[0, c]) for n, c in zip(names, cols_idx, strict=True)}
            ci = self._intervals(out[1:, list(cols_idx)], names)
            sides[s] = {
                "params": sp,
                "ci": {n: [v[0], v[1]] for n, v in ci.items()},
                "at_bound": self._bounds_hit(sp, lo, hi, grid),
            }
        sides["drift"] = float(out[0, 6])
        asym: dict[str, Any] = {}
        for n, (ib, is_) in zip(names, ((0, 3), (1, 4), (2, 5)), strict=True):
            if n == self.shape_name:  # compare shapes on the log scale
                d0 = float(np.log(out[0, ib] / out[0, is_]))
                d = np.log(out[1:, ib] / out[1:, is_])
                label = f"log({n} buy / {n} sell)"
            else:
                d0 = float(out[0, ib] - out[0, is_])
                d = out[1:, ib] - out[1:, is_]
                label = f"{n} buy - {n} sell"
            if d.size >= 2:
                alpha = 1.0 - float(self.ci_level)
                q = np.quantile(d, [alpha / 2, 1 - alpha / 2])
                lo_d, hi_d = float(q[0]), float(q[1])
                tail = min(float(np.mean(d <= 0)), float(np.mean(d >= 0)))
                pv = min(1.0, 2.0 * tail)
            else:
                lo_d = hi_d = pv = float("nan")
            asym[n] = {"what": label, "diff": d0, "ci": [lo_d, hi_d], "p": pv}
        self.sides_ = sides
        self.boot_sides_ = out[1:]
        self.asymmetry_ = asym

    def _caveats(self, lo: float, hi: float) -> list[str]:
        out: list[str] = []
        sh = self.shape_name
        th_lo, th_hi = self.ci_.get(sh, (float("nan"), float("nan")))
        unit = " min" if sh == "half_life" else ""
        if sh in self.at_bound_:
            out.append(
                f"{sh} is at the edge of its search range [{lo:g}, {hi:g}]{unit}: the day does "
                "not pin it down"
            )
        if np.isfinite(th_lo) and np.isfinite(th_hi) and th_lo > 0 and th_hi / th_lo > 10:
            out.append(
                f"{sh} is not identified: its {round(100 * self.ci_level)}% interval spans "
                f"{th_lo:.3g} .. {th_hi:.3g}{unit} (a factor {th_hi / th_lo:.0f})"
            )
        if sh == "half_life" and self.params_[sh] > self.n_minutes_ / 3:
            out.append(
                f"the half-life {self.params_[sh]:.3g} min is long against the {self.n_minutes_}-"
                "minute day: transient and permanent impact are not separable here"
            )
        for n, label in (("strength", "G0"), ("permanent", "gamma")):
            c_lo, _ = self.ci_.get(n, (float("nan"), float("nan")))
            if np.isfinite(c_lo) and c_lo <= 0.0:
                out.append(f"{label} is not distinguishable from 0 at this level")
        if np.isfinite(self.r2_) and self.r2_ < 0.2:
            out.append(
                f"R² = {self.r2_:.3f}: the signed flow explains little of the minute-mean mid "
                "changes"
            )
        m = getattr(self, "markouts_", None)
        if m is not None and m.n.size and np.all(np.isfinite(m.ci[0])):
            lo_m, hi_m = float(m.ci[0, 0]), float(m.ci[0, 1])
            if not lo_m <= float(m.model[0]) <= hi_m:
                out.append(
                    f"the +{m.horizons[0]}-minute mark-out of a trade, ${m.data[0]:.4f} "
                    f"[{lo_m:.4f}, {hi_m:.4f}], is not what the fitted kernel implies "
                    f"(${m.model[0]:.4f}): single trades do not follow the per-minute "
                    "linear-in-volume model (impact concave in size, or trades that anticipate "
                    "the price)"
                )
        if self.asymmetry_ is not None:
            sig = [n for n, a in self.asymmetry_.items() if np.isfinite(a["p"]) and a["p"] < 0.05]
            if sig:
                out.append(f"buy and sell differ in {', '.join(sig)} (bootstrap p < 0.05)")
            else:
                out.append("no significant buy/sell asymmetry (every bootstrap p >= 0.05)")
        return out

    # ------------------------------------------------------------------ results
    def _check_fitted(self) -> None:
        if not hasattr(self, "kernel_"):
            raise InputError("this PropagatorFit is not fitted yet: call fit(book).")

    def impact_path(self, times: ArrayLike) -> FloatArray:
        """The fitted model's mid displacement (dollars) at UTC ``times`` of the fitted day."""
        self._check_fitted()
        t = np.asarray(times).astype("datetime64[ns]")
        G = self.kernel_.values(self.flow_.T)
        return _impact_at(self.flow_, G, self.permanent_, t, strict=False)

    def settings(self) -> dict[str, Any]:
        """The constructor's settings, JSON-ready."""
        return {
            "kernel": self.kernel,
            "l0": float(self.l0),
            "shape_bounds": list(self.shape_bounds) if self.shape_bounds else None,
            "fit_intercept": bool(self.fit_intercept),
            "by_side": bool(self.by_side),
            "unsigned": self.unsigned,
            "n_boot": int(self.n_boot),
            "block_minutes": int(self.block_minutes),
            "ci_level": float(self.ci_level),
            "markout_horizons": [int(h) for h in self.markout_horizons],
            "min_minutes": int(self.min_minutes),
            "seed": self.seed
            if isinstance(self.seed, int) or self.seed is None
            else "SeedSequence",
        }

    def summary(self) -> dict[str, Any]:
        """The ``"propagator"`` section of the fit file (JSON-ready; see :mod:`fitjson`)."""
        self._check_fitted()
        f = self.flow_
        c = f.counts
        return {
            "kernel": self.kernel_.to_dict(),
            "permanent": self.permanent_,
            "params": dict(self.params_),
            "ci": {k: [v[0], v[1]] for k, v in self.ci_.items()},
            "ci_level": float(self.ci_level),
            "units": {
                "strength": "dollars per share per share (mid dollars moved per share traded)",
                "permanent": "dollars per share per share",
                "half_life": "minutes (one period of execopt solve)",
                "beta": "dimensionless (lags in minutes, l0 in minutes)",
                "drift": "dollars per minute",
                "markouts": "dollars per trade, signed by the aggressor side",
            },
            "convention": (
                "mid_t = c + sum_{s<t} (G(t-s) + gamma) v_s + G(0) * (signed shares so far in "
                "minute t); fitted on the minute-mean mid; matches 1/2 x'Kx + gamma (S^2 - "
                "sum x^2)/2 for a schedule trading evenly through each minute"
            ),
            "diagnostics": {
                "r2": self.r2_,
                "r2_flow": self.r2_flow_,
                "rmse": self.rmse_,
                "n_minutes": self.n_minutes_,
                "n_obs": self.n_obs_,
                "at_bound": list(self.at_bound_),
                "profile": dict(self.profile_),
                "counts": {k: float(v) for k, v in c.items()},
                "unsigned": f.unsigned,
                "net_signed_shares": float(f.signed_volume.sum()),
                "day_mid_change": float(
                    f.mid_mean[np.isfinite(f.mid_mean)][-1] - f.mid_mean[np.isfinite(f.mid_mean)][0]
                ),
            },
            "sides": self.sides_,
            "asymmetry": self.asymmetry_,
            "markouts": self.markouts_.rows(),
            "caveats": list(self.caveats_),
            "identification": list(IDENTIFICATION),
            "settings": self.settings(),
        }

    def __repr__(self) -> str:
        fitted = ", ".join(f"{k}={v:.4g}" for k, v in getattr(self, "params_", {}).items())
        return (
            f"PropagatorFit(kernel={self.kernel!r}, n_boot={self.n_boot}, "
            f"block_minutes={self.block_minutes}, by_side={self.by_side}, "
            f"unsigned={self.unsigned!r}){' -> ' + fitted if fitted else ''}"
        )
