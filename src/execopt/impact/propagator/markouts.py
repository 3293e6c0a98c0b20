"""Mark-outs of trades at +1 .. +60 minutes, in the data and in a fitted model.

Part of :mod:`execopt.impact.propagator` (see its docstring for the model and its limits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # pragma: no cover
    pass
from execopt.impact.propagator._shared import (
    NS_PER_MINUTE,
    FloatArray,
)
from execopt.impact.propagator.flow import (
    MinuteFlow,
)
from execopt.impact.propagator.regression import (
    _block_weights,
)


@dataclass(frozen=True)
class Markouts:
    """Signed mid moves after trades, the fitted model's, and a lone trade's kernel response.

    For each horizon ``h`` (minutes), over the signed trades ``i`` whose ``tau_i + h`` falls in
    the session: ``data = mean_i eps_i (m(tau_i + h) - m(tau_i-))`` (dollars; ``m(tau-)`` the
    mid just before the trade), its ``buy`` and ``sell`` parts, the same average of the fitted
    model's impact path (``model``: the kernel applied to the day's whole signed flow, so it
    includes the trades that followed), and ``lone = (G(h) + gamma) * mean size`` (one average
    trade alone). ``drift`` is the mean *unsigned* mid move over the same windows: a buy's
    mark-out is roughly impact plus drift and a sell's impact minus drift, so on a trending
    day ``buy`` and ``sell`` separately mostly show the trend. Intervals: block bootstrap over
    minutes of trades, blocks of ``max(block, h)`` minutes.
    """

    horizons: tuple[int, ...]
    n: NDArray[np.int64]
    data: FloatArray
    ci: FloatArray  # (H, 2)
    buy: FloatArray
    buy_ci: FloatArray
    sell: FloatArray
    sell_ci: FloatArray
    model: FloatArray
    lone: FloatArray
    drift: FloatArray
    mean_mid: float
    mean_size: float

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-ready row per horizon (dollars; ``*_bp`` relative to the mean mid)."""
        out = []
        bp = 1e4 / self.mean_mid if self.mean_mid > 0 else float("nan")
        for i, h in enumerate(self.horizons):
            out.append(
                {
                    "horizon_min": int(h),
                    "n_trades": int(self.n[i]),
                    "data": float(self.data[i]),
                    "ci": [float(self.ci[i, 0]), float(self.ci[i, 1])],
                    "data_bp": float(self.data[i] * bp),
                    "buy": float(self.buy[i]),
                    "buy_ci": [float(self.buy_ci[i, 0]), float(self.buy_ci[i, 1])],
                    "sell": float(self.sell[i]),
                    "sell_ci": [float(self.sell_ci[i, 0]), float(self.sell_ci[i, 1])],
                    "model": float(self.model[i]),
                    "lone_trade": float(self.lone[i]),
                    "drift": float(self.drift[i]),
                }
            )
        return out


def _impact_at(
    flow: MinuteFlow, G: FloatArray, gamma: float, t: np.ndarray, strict: bool
) -> FloatArray:
    """The model's displacement at times ``t`` (dollars): carried minutes plus own minute.

    ``strict``: count trades of the own minute strictly before ``t`` (else at or before).
    """
    T = flow.T
    v = flow.signed_volume
    R = np.asarray(G, dtype=np.float64) + gamma
    carried = np.convolve(v, np.concatenate([[0.0], R[1:T]]))[:T]
    k = np.searchsorted(flow.minutes, t, side="right") - 1
    q = flow.trade_sign * flow.trade_size
    cum = np.concatenate([[0.0], np.cumsum(q)])
    upto = np.searchsorted(flow.trade_ts, t, side="left" if strict else "right")
    first = np.searchsorted(flow.trade_ts, flow.minutes, side="left")
    kk = np.clip(k, 0, T - 1)
    own = cum[upto] - cum[first[kk]]
    return np.asarray(carried[kk] + G[0] * own, dtype=np.float64)


def _markouts(
    flow: MinuteFlow,
    horizons: Sequence[int],
    G: FloatArray,
    gamma: float,
    n_boot: int,
    block: int,
    ci_level: float,
    seed: np.random.SeedSequence,
) -> Markouts:
    T = flow.T
    ts = flow.trade_ts
    eps = flow.trade_sign
    kmin = flow.trade_minute
    pre = flow.mid_before(ts)
    imp_pre = _impact_at(flow, G, gamma, ts, strict=True)
    H = len(horizons)
    n = np.zeros(H, dtype=np.int64)
    data, model, lone = np.full(H, np.nan), np.full(H, np.nan), np.full(H, np.nan)
    buy, sell, drift = np.full(H, np.nan), np.full(H, np.nan), np.full(H, np.nan)
    ci, buy_ci, sell_ci = (np.full((H, 2), np.nan) for _ in range(3))
    alpha = 1.0 - ci_level
    seeds = seed.spawn(H)
    mean_size = float(flow.trade_size.mean()) if ts.size else float("nan")
    for i, h in enumerate(horizons):
        later = ts + np.timedelta64(int(h) * NS_PER_MINUTE, "ns")
        post = flow.mid_at(later)
        ok = (later < flow.end) & np.isfinite(pre) & np.isfinite(post)
        mo = eps * (post - pre)
        n[i] = int(ok.sum())
        lone[i] = (G[min(int(h), T - 1)] + gamma) * mean_size if int(h) < T else gamma * mean_size
        if n[i] == 0:
            continue
        imp_post = _impact_at(flow, G, gamma, later, strict=False)
        mm = eps * (imp_post - imp_pre)
        data[i] = float(mo[ok].mean())
        model[i] = float(mm[ok].mean())
        drift[i] = float((post - pre)[ok].mean())
        b_ok, s_ok = ok & (eps > 0), ok & (eps < 0)
        buy[i] = float(mo[b_ok].mean()) if b_ok.any() else np.nan
        sell[i] = float(mo[s_ok].mean()) if s_ok.any() else np.nan
        if n_boot <= 0:
            continue
        W = _block_weights(T, max(block, int(h)), n_boot, np.random.default_rng(seeds[i]))
        for mask, target in ((ok, ci), (b_ok, buy_ci), (s_ok, sell_ci)):
            S = np.bincount(kmin[mask], weights=mo[mask], minlength=T)
            C = np.bincount(kmin[mask], minlength=T).astype(np.float64)
            den = W @ C
            with np.errstate(invalid="ignore", divide="ignore"):
                rep = (W @ S) / den
            rep = rep[den > 0]
            if rep.size >= 2:
                target[i] = np.quantile(rep, [alpha / 2, 1 - alpha / 2])
    mids = flow.mid_mean[np.isfinite(flow.mid_mean)]
    return Markouts(
        horizons=tuple(int(h) for h in horizons),
        n=n,
        data=data,
        ci=ci,
        buy=buy,
        buy_ci=buy_ci,
        sell=sell,
        sell_ci=sell_ci,
        model=model,
        lone=lone,
        drift=drift,
        mean_mid=float(mids.mean()) if mids.size else float("nan"),
        mean_size=mean_size,
    )
