"""Transaction-cost analysis of one simulated order: where the shortfall went, and against what.

**Shortfall decomposition.** The implementation shortfall of an order of ``S`` shares that
arrived at mid ``m_0`` is, in dollars (``sgn = +1`` buy, ``-1`` sell; a fill of ``f_t`` shares
for ``N_t`` dollars in period ``t``; ``U`` shares unfilled at the end, marked at the last mid
``m_end``)::

    IS = sum_t [sgn (N_t - f_t m_0) + h_t] + fees + sgn U (m_end - m_0)

(``h_t = 1/2 G(0) f_t^2``, the half of its own transient displacement a child order pays when
own impact is simulated). With ``m_t`` the live mid of the book the fill walked, ``s_t`` its
quoted spread, ``mm_t`` the market mid (the live mid without the order's own impact), and
``touch_t = m_t + sgn s_t / 2``, every fill's term splits exactly::

    sgn (N_t - f_t m_0) + h_t =   f_t s_t / 2                        spread (half-spread paid)
                                + sgn (N_t - f_t touch_t)            impact: book walk beyond the touch
                                + sgn f_t (m_t - mm_t) + h_t         impact: own transient/permanent
                                + sgn f_t (mm_t - m_0)               timing (mid drift since arrival)

so ``spread + impact + timing + fees + opportunity = IS`` to rounding, which
:func:`decompose` returns and the tests check on random orders. Basis points are of ``S m_0``.

**Benchmarks** (:func:`benchmarks`): the arrival mid; the market's interval VWAP over the
order's minutes (the replayed trades, which never include the simulated fills: the VWAP
*ex own*), the VWAP including the simulated fills as if they had printed, and the TWAP price
(the mean market mid of the order's valid minutes). The shortfall of the filled shares against
each, ``sgn (avg_price - benchmark)``, in basis points of the benchmark (> 0: paid more).

**Mark-outs** (:func:`markouts`): the value of the fills ``h`` minutes later against the market
mid then, ``sgn (mm_{t+h} - p_t)`` per share, share-weighted over the fills, in basis points of
the fill price (> 0: the price moved past the fill in the order's favour; the immediate mark-out
is minus the half-spread and walk paid). Fills whose ``t + h`` falls after the day's last minute
or on a minute without a mid are left out and counted. Mark-outs use the market mid: the order's
own simulated impact after the fill is not in them.

Glossary: ``S`` shares, ``f`` shares filled, ``N`` dollars exchanged, ``m`` mids (dollars).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from execopt.errors import InputError
from execopt.execution.simulator import SimResult

__all__ = [
    "MARKOUT_HORIZONS",
    "SHORTFALL_PARTS",
    "ShortfallDecomposition",
    "benchmarks",
    "decompose",
    "markouts",
]

FloatArray = NDArray[np.float64]

#: The parts of the shortfall, in the order they are reported (JSON key
#: ``shortfall_decomposition``, with ``total``).
SHORTFALL_PARTS: tuple[str, ...] = ("spread", "impact", "timing", "fees", "opportunity")
#: Mark-out horizons, minutes.
MARKOUT_HORIZONS: tuple[int, ...] = (1, 5, 30)


@dataclass(frozen=True)
class ShortfallDecomposition:
    """The implementation shortfall of one order split into its parts (dollars).

    Attributes
    ----------
    spread, impact, timing, fees, opportunity : float
        Dollars (> 0: a cost). ``impact`` holds the book walk beyond the touch plus the
        order's own simulated transient and permanent impact (``impact_walk`` and
        ``impact_own`` separately).
    impact_walk, impact_own : float
    notional : float
        ``S m_0``, dollars: the basis of the basis points.

    Examples
    --------
    >>> d = ShortfallDecomposition(1.0, 2.0, -0.5, 0.25, 0.0, 2.0, 0.0, 10_000.0)
    >>> d.total, d.bps()["total"]
    (2.75, 2.75)
    """

    spread: float
    impact: float
    timing: float
    fees: float
    opportunity: float
    impact_walk: float
    impact_own: float
    notional: float

    @property
    def total(self) -> float:
        """``spread + impact + timing + fees + opportunity``, dollars."""
        return self.spread + self.impact + self.timing + self.fees + self.opportunity

    def dollars(self) -> dict[str, float]:
        """The five parts and ``total``, dollars."""
        out = {k: float(getattr(self, k)) for k in SHORTFALL_PARTS}
        out["total"] = self.total
        return out

    def bps(self) -> dict[str, float]:
        """The five parts and ``total``, basis points of ``S m_0``."""
        if not self.notional > 0:
            return {k: float("nan") for k in (*SHORTFALL_PARTS, "total")}
        return {k: 1e4 * v / self.notional for k, v in self.dollars().items()}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"dollars": {...}, "bps": {...}, "impact_detail": {...}}``."""
        return {
            "dollars": self.dollars(),
            "bps": self.bps(),
            "impact_detail": {"walk": self.impact_walk, "own": self.impact_own},
        }


def _col(res: SimResult, name: str) -> FloatArray:
    return np.asarray(res.column(name), dtype=np.float64)


def decompose(result: SimResult) -> ShortfallDecomposition:
    """Split ``result.shortfall`` into spread, impact, timing, fees and opportunity (dollars).

    The parts add up to :attr:`~execopt.execution.simulator.SimResult.shortfall` to rounding
    (see the module docstring for the identity).

    Parameters
    ----------
    result : SimResult
        A simulated order (its ``fills`` carry ``notional``, ``mid``, ``market_mid``,
        ``spread`` and ``own_impact``).
    """
    if "notional" not in result.fills or "market_mid" not in result.fills:
        raise InputError(
            "this SimResult has no notional/market_mid columns (made by an older simulator): "
            "re-run simulate()."
        )
    sgn = 1.0 if result.side == "buy" else -1.0
    f = _col(result, "filled")
    traded = f > 0
    f = f[traded]
    notional = _col(result, "notional")[traded]
    mid = _col(result, "mid")[traded]
    mmid = _col(result, "market_mid")[traded]
    half = 0.5 * _col(result, "spread")[traded]
    own_total = _col(result, "own_impact")[traded]
    m0 = result.arrival_mid
    spread = float(np.sum(f * half))
    walk = float(np.sum(sgn * notional - sgn * f * mid - f * half))
    # own impact as recorded: f x (own shift of the book walked) + the own half charge
    own = float(np.sum(own_total))
    timing = float(np.sum(sgn * f * (mmid - m0)))
    # the bookkeeping identity: the four fill parts equal the fills' cost vs arrival; the
    # recorded own shift and sgn (mid - market mid) differ only by rounding
    return ShortfallDecomposition(
        spread=spread,
        impact=walk + own,
        timing=timing,
        fees=result.model_cost,
        opportunity=result.opportunity_cost,
        impact_walk=walk,
        impact_own=own,
        notional=result.shares * m0,
    )


def benchmarks(result: SimResult) -> dict[str, Any]:
    """Benchmark prices of the order's interval and the filled shares' shortfall against each.

    Returns
    -------
    dict
        ``prices`` (``arrival``, ``vwap`` (market trades in the order's minutes: ex own),
        ``vwap_incl_own``, ``twap``; dollars, NaN when not defined), ``bps`` (``sgn
        (avg_price - benchmark) / benchmark``, basis points, > 0: paid more than the benchmark),
        ``market_volume`` (shares traded by the market in the interval) and
        ``participation`` (filled / (market volume + filled)).
    """
    sgn = 1.0 if result.side == "buy" else -1.0
    f = _col(result, "filled")
    notional = _col(result, "notional")
    filled = float(f.sum())
    avg = float(notional.sum() / filled) if filled > 0 else float("nan")
    mvol, mnot = 0.0, 0.0
    book = result.book
    if book is not None and len(book.trades) and book.minutes is not None and len(book):
        start = np.asarray(book.minutes)[0]
        end = np.asarray(book.minutes)[-1] + np.timedelta64(60 * 10**9, "ns")
        tr = book.trades.between(start, end)
        mvol = float(np.sum(tr.size))
        mnot = float(np.sum(tr.size * tr.price))
    vwap = mnot / mvol if mvol > 0 else float("nan")
    total_v = mvol + filled
    vwap_own = (mnot + float(notional.sum())) / total_v if total_v > 0 else float("nan")
    ok = np.asarray(result.column("status")) != "missing"
    mm = _col(result, "market_mid")[ok]
    mm = mm[np.isfinite(mm)]
    twap = float(mm.mean()) if mm.size else float("nan")
    prices = {"arrival": result.arrival_mid, "vwap": vwap, "vwap_incl_own": vwap_own, "twap": twap}

    def bp(b: float) -> float:
        if not (np.isfinite(b) and b > 0 and np.isfinite(avg)):
            return float("nan")
        return 1e4 * sgn * (avg - b) / b

    return {
        "prices": prices,
        "avg_price": avg,
        "bps": {k: bp(v) for k, v in prices.items()},
        "market_volume": mvol,
        "participation": filled / total_v if total_v > 0 else float("nan"),
    }


def markouts(
    result: SimResult,
    mids: FloatArray | None = None,
    offset: int = 0,
    horizons: Sequence[int] = MARKOUT_HORIZONS,
) -> dict[str, Any]:
    """Mark-outs of the order's fills at ``+h`` minutes (see the module docstring).

    Parameters
    ----------
    result : SimResult
    mids : ndarray, optional
        Market mids of the whole day, one per minute of its grid (NaN where missing); default
        the order's own ``market_mid`` column (no mark-out beyond its last period).
    offset : int
        Position of the order's period 0 in ``mids``.
    horizons : sequence of int
        Minutes, ``>= 1``.

    Returns
    -------
    dict
        Per horizon ``"<h>m"``: ``bps`` (share-weighted, basis points of the fill price),
        ``dollars`` (total over the fills), ``shares`` (shares of the fills counted) and
        ``left_out`` (fills without a mid ``h`` minutes later).
    """
    hs = [int(h) for h in horizons]
    if any(h < 1 for h in hs):
        raise InputError(f"mark-out horizons must be whole minutes >= 1, got {list(horizons)}.")
    sgn = 1.0 if result.side == "buy" else -1.0
    f = _col(result, "filled")
    notional = _col(result, "notional")
    day = _col(result, "market_mid") if mids is None else np.asarray(mids, dtype=float)
    base = 0 if mids is None else int(offset)
    t = np.flatnonzero(f > 0)
    out: dict[str, Any] = {}
    for h in hs:
        k = base + t + h
        inside = k < day.shape[0]
        later = np.full(t.shape[0], np.nan)
        later[inside] = day[k[inside]]
        ok = np.isfinite(later)
        ff, nn = f[t[ok]], notional[t[ok]]
        dollars = float(np.sum(sgn * (ff * later[ok] - nn)))
        paid = float(np.sum(nn))
        out[f"{h}m"] = {
            "bps": 1e4 * dollars / paid if paid > 0 else float("nan"),
            "dollars": dollars,
            "shares": float(ff.sum()),
            "left_out": int((~ok).sum()),
        }
    return out
