"""The propagator regression: variable projection with exact non-negative amplitudes, and the block
bootstrap's weights.

Part of :mod:`execopt.impact.propagator` (see its docstring for the model and its limits).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # pragma: no cover
    pass
from execopt.impact.propagator._shared import (
    FloatArray,
)
from execopt.impact.propagator.flow import (
    MinuteFlow,
)


def _shape(kind: str, theta: FloatArray, T: int, l0: float) -> FloatArray:
    """Normalised kernel ``g(l) = G(l) / G0``, ``l = 0 .. T-1``, for each shape (shape (J, T))."""
    th = np.atleast_1d(np.asarray(theta, dtype=np.float64))[:, None]
    lags = np.arange(T, dtype=np.float64)[None, :]
    if kind == "exponential":
        return np.asarray(np.power(2.0, -lags / th), dtype=np.float64)
    return np.asarray(np.power(1.0 + lags / l0, -th), dtype=np.float64)


def _carried(v: FloatArray, g: FloatArray) -> FloatArray:
    """``sum_{l >= 1} g(l) v_{t-l}`` for each row of ``g`` (shape (J, T)), by FFT."""
    from scipy.signal import fftconvolve

    T = v.shape[0]
    gg = g.copy()
    gg[:, 0] = 0.0
    out = fftconvolve(v[None, :], gg, mode="full", axes=1)[:, :T]
    return np.asarray(out, dtype=np.float64)


def _transient_columns(v: FloatArray, o: FloatArray, g: FloatArray) -> FloatArray:
    """``Delta (o_t + sum_{l>=1} g(l) v_{t-l})`` for ``t = 1 .. T-1``, shape (J, T-1)."""
    level = o[None, :] + _carried(v, g)
    return np.asarray(np.diff(level, axis=1), dtype=np.float64)


def _subsets(k: int) -> NDArray[np.bool_]:
    """All ``2^k`` inclusion masks of ``k`` columns, shape (2^k, k)."""
    return np.array([[(i >> j) & 1 for j in range(k)] for i in range(2**k)], dtype=bool)


def _nnls(C: FloatArray, c: FloatArray, cyy: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Exact non-negative least squares from centred normal equations, batched.

    Minimises ``cyy - 2 b'c + b'C b`` over ``b >= 0`` for every leading index of ``C`` (shape
    (..., k, k)), ``c`` (..., k), ``cyy`` (...): the optimum is the best *feasible* one among the
    unconstrained solutions on every support (at most 16 for k = 4). Returns ``(b, rss)``.
    """
    k = C.shape[-1]
    lead = C.shape[:-2]
    best_rss = np.full(lead, np.inf)
    best_b = np.zeros((*lead, k))
    scale = np.maximum(np.einsum("...ii->...", C) / k, 1e-300)
    for mask in _subsets(k):
        m = mask.astype(np.float64)
        Cm = C * np.outer(m, m) + np.diag(1.0 - m)
        Cm = Cm + 1e-12 * scale[..., None, None] * np.diag(m)  # ridge against collinearity
        cm = c * m
        b = np.linalg.solve(Cm, cm[..., None])[..., 0] * m
        rss = cyy - np.einsum("...i,...i->...", b, c)
        ok = np.all(b >= 0, axis=-1) & (rss < best_rss)
        best_rss = np.where(ok, rss, best_rss)
        best_b = np.where(ok[..., None], b, best_b)
    return best_b, best_rss


class _Regression:
    """Weighted sufficient statistics of ``y`` on fixed columns plus shape-dependent ones.

    ``y`` and columns are scaled to order one (``y / sy``, column ``/ sx``) so the normal
    equations are well conditioned; coefficients are scaled back by the caller.
    """

    def __init__(self, flow: MinuteFlow, fit_intercept: bool) -> None:
        mid = np.asarray(flow.mid_mean)
        y = np.diff(mid)
        self.valid = np.isfinite(y)
        self.y_raw = np.where(self.valid, y, 0.0)
        self.n = y.shape[0]
        self.fit_intercept = fit_intercept
        vb, vs = np.asarray(flow.buy_volume), np.asarray(flow.sell_volume)
        ob, os_ = np.asarray(flow.buy_own), np.asarray(flow.sell_own)
        self.flows = {
            "both": (vb - vs, ob - os_),
            "buy": (vb, ob),
            "sell": (vs, os_),
        }
        # permanent columns: Delta sum_{s<t} v_s = v_{t-1}, t = 1..T-1
        self.perm = {k: np.asarray(v[:-1], dtype=np.float64) for k, (v, _) in self.flows.items()}
        y_ok = self.y_raw[self.valid]
        self.sy = float(np.std(y_ok)) if y_ok.size > 1 and np.std(y_ok) > 0 else 1.0
        v_all = vb + vs
        self.sx = float(np.std(v_all)) if np.std(v_all) > 0 else 1.0
        self.y = self.y_raw / self.sy

    def transient(self, side: str, kind: str, theta: FloatArray, T: int, l0: float) -> FloatArray:
        v, o = self.flows[side]
        return _transient_columns(v, o, _shape(kind, theta, T, l0)) / self.sx

    def permanent(self, side: str) -> FloatArray:
        return self.perm[side] / self.sx

    def solve(self, W: FloatArray, cols: list[FloatArray]) -> tuple[FloatArray, FloatArray]:
        """NNLS of ``y`` on ``cols`` (each (..., n) broadcasting against W's leading (B, n)).

        ``W`` has shape (B, n); every column has shape (n,) or (J..., n) with the same shape
        after the row axis for all shape-dependent columns. Returns ``(coef, rss)`` with coef in
        scaled units, shape (B, J..., k), rss (B, J...).
        """
        Wv = W * self.valid[None, :]
        # broadcast columns to a common (J..., n)
        shapes = [c.shape[:-1] for c in cols]
        lead = np.broadcast_shapes(*shapes) if shapes else ()
        X = np.stack([np.broadcast_to(c, (*lead, self.n)) for c in cols], axis=-1)  # (J..,n,k)
        y = self.y
        nw = Wv.sum(axis=1)  # (B,)
        extra = (1,) * len(lead)
        nw_ = nw.reshape(-1, *extra)
        sy = (Wv @ y).reshape(-1, *extra)
        syy = (Wv @ (y * y)).reshape(-1, *extra)
        # weighted sums over rows as matrix products: (B, J.., k) and (B, J.., k, k)
        k = X.shape[-1]
        Xf = X.reshape(-1, self.n, k)  # (J, n, k)
        sx = np.tensordot(Wv, Xf, axes=([1], [1])).reshape(Wv.shape[0], *lead, k)
        sxy = np.tensordot(Wv * y[None, :], Xf, axes=([1], [1])).reshape(sx.shape)
        XX = Xf[:, :, :, None] * Xf[:, :, None, :]  # (J, n, k, k)
        sxx = np.tensordot(Wv, XX, axes=([1], [1])).reshape(*sx.shape, k)
        if self.fit_intercept:
            safe = np.where(nw_ > 0, nw_, 1.0)
            C = sxx - sx[..., :, None] * sx[..., None, :] / safe[..., None, None]
            c = sxy - sx * (sy / safe)[..., None]
            cyy = syy - sy * sy / safe
        else:
            C, c, cyy = sxx, sxy, syy
        coef, rss = _nnls(C, c, cyy)
        return coef, rss

    def solve_paired(
        self, W: FloatArray, cols: list[FloatArray]
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """As :meth:`solve` with row ``b`` of ``W`` paired with row ``b`` of every (B, n)
        column (fixed columns have shape (n,)). Returns ``(coef (B, k), rss (B,), mu (B,))``
        in scaled units.
        """
        Wv = W * self.valid[None, :]
        Bn = W.shape[0]
        X = np.stack([np.broadcast_to(c, (Bn, self.n)) for c in cols], axis=-1)  # (B, n, k)
        y = self.y
        nw = Wv.sum(axis=1)
        sy = Wv @ y
        syy = Wv @ (y * y)
        sx = np.einsum("bn,bnk->bk", Wv, X)
        sxy = np.einsum("bn,bnk->bk", Wv * y[None, :], X)
        sxx = np.einsum("bn,bnk,bnl->bkl", Wv, X, X)
        if self.fit_intercept:
            safe = np.where(nw > 0, nw, 1.0)
            C = sxx - sx[:, :, None] * sx[:, None, :] / safe[:, None, None]
            c = sxy - sx * (sy / safe)[:, None]
            cyy = syy - sy * sy / safe
        else:
            C, c, cyy = sxx, sxy, syy
        coef, rss = _nnls(C, c, cyy)
        if self.fit_intercept:
            mu = (sy - np.einsum("bk,bk->b", sx, coef)) / np.where(nw > 0, nw, 1.0)
        else:
            mu = np.zeros(Bn)
        return coef, rss, mu

    def intercept(self, W: FloatArray, cols: list[FloatArray], coef: FloatArray) -> FloatArray:
        """Drift (scaled units) of a single-shape fit: ``(sum w y - b' sum w x) / sum w``."""
        if not self.fit_intercept:
            return np.zeros(W.shape[0])
        Wv = W * self.valid[None, :]
        X = np.stack([np.broadcast_to(cc, (self.n,)) for cc in cols], axis=-1)
        nw = Wv.sum(axis=1)
        return np.asarray((Wv @ self.y - np.einsum("bk,bk->b", Wv @ X, coef)) / nw)

    def tss(self) -> float:
        y = self.y[self.valid]
        if self.fit_intercept:
            return float(np.sum((y - y.mean()) ** 2))
        return float(np.sum(y * y))


def _block_weights(n: int, block: int, B: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Row multiplicities of a circular block bootstrap: (B, n), each row summing to ``n``."""
    b = max(1, min(int(block), n))
    k = -(-n // b)
    starts = rng.integers(0, n, size=(B, k))
    idx = (starts[:, :, None] + np.arange(b)[None, None, :]).reshape(B, -1)[:, :n] % n
    W = np.zeros((B, n))
    np.add.at(W, (np.repeat(np.arange(B), n), idx.ravel()), 1.0)
    return W
