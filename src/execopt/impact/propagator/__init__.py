"""The propagator fit: transient and permanent impact estimated from a book's own trades.

:class:`PropagatorFit` fits, from one event-level book day, the kernel ``G`` and the permanent
impact ``gamma`` that :class:`~execopt.ExecutionProblem` takes as ``transient=`` and
``permanent=``, with block-bootstrap confidence intervals over whole minutes, buy- and
sell-initiated flow separately (with a test of asymmetry), and mark-outs of the trades at +1 ..
+60 minutes beside the response the fitted kernel implies.

Signing trades
--------------
In Databento MBP-10 a trade record's ``side`` is the aggressor's: ``B`` a buyer lifted the ask,
``A`` a seller hit the bid, ``N`` no side was reported. Verified on FROG 2025-04-03: 1,463 of
the 1,466 ``B`` trades printed at or above the best ask of the book before them and none at the
bid; 887 of the 891 ``A`` trades at or below the best bid. ``N`` trades (1,460 trades, 112,643
of the day's 232,833 shares, including the 42,747-share opening cross) print inside the spread
(non-displayed liquidity) or in the auction. They are left out by default (``unsigned="drop"``,
counted); ``unsigned="quote_rule"`` signs them by the quote rule against the mid just before
the trade (above the mid a buy, below a sell, at the mid left out and counted), which also signs
auction prints.

The model (one discrete convention, the optimiser's)
----------------------------------------------------
Minutes ``t = 0 .. T-1``; ``v_t`` the signed shares of minute ``t`` (buyer-initiated ``+``,
seller-initiated ``-``); ``R(l) = G(l) + gamma`` for lags ``l >= 1`` minutes. A trade moves the
mid by ``G(0)`` per share at once and by ``R(l)`` per share ``l`` minutes later, the decay
taking place at minute boundaries, so the mid at an instant of minute ``t`` is

    ``m = c + sum_{s < t} R(t - s) v_s + G(0) * (signed shares traded so far in minute t) + noise``

and its time average over minute ``t`` is

    ``mbar_t = c + G0 (o_t + sum_{l >= 1} g(l) v_{t-l}) + gamma sum_{s < t} v_s + noise_t``

with ``g = G / G0`` the kernel's shape and ``o_t = sum_i q_i (1 - u_i)`` over minute ``t``'s
trades (signed shares ``q_i`` at fraction ``u_i`` of the minute; ``o_t = v_t / 2`` for flow spread
evenly). This is exactly the price the optimiser charges: a schedule trading ``x_t`` evenly
through minute ``t`` pays ``x_t (sum_{s<t} (G(t-s) + gamma) x_s + G(0) x_t / 2)``, which summed
over ``t`` is ``1/2 x^T K x + gamma (S^2 - sum x^2) / 2``, the transient and permanent terms of
:class:`~execopt.ExecutionProblem`. (The increments of this model are ``Delta mbar_t = G0
Delta(o_t + sum_l g(l) v_{t-l}) + gamma v_{t-1}``; in terms of the kernel, ``Delta m_t = G(0)
v_t + sum_{l >= 1} (R(l) - R(l - 1)) v_{t-l}`` with ``R(0) = G(0)`` -- past flow pulls the price
back as ``G`` decays.) The synthetic generator (:func:`execopt.data.synthetic.propagator_path`)
moves the mid by exactly this model, which is how the estimator is tested.

Estimation
----------
Least squares on the increments ``Delta mbar_t`` (``t = 1 .. T-1``), with a constant per-minute
drift ``mu`` (``fit_intercept``). The model is linear in ``(G0, gamma, mu)`` for a fixed shape
(the half-life ``h`` of ``G(l) = G0 2^(-l/h)``, or the exponent ``beta`` of ``G(l) = G0 (1 +
l/l0)^(-beta)`` with ``l0`` fixed), so the non-linear least squares is solved by variable
projection: the amplitudes by exact non-negative least squares (``G0, gamma >= 0``, the
optimiser's domain), the shape by a scan of a log-spaced grid refined by bounded Brent. With
``by_side=True`` buy and sell flow get their own ``(G0, shape, gamma)`` (a 2-D grid of shapes,
then coordinate-wise Brent), and the buy-minus-sell differences with their bootstrap intervals
are the test of asymmetry.

Uncertainty: a circular block bootstrap over whole minutes (blocks of ``block_minutes``
consecutive regression rows, each row keeping the flow history it was built with); every
replicate re-estimates the shape, so the intervals include the shape's uncertainty. Mark-out
intervals resample minutes of trades in blocks of ``max(block_minutes, horizon)`` minutes,
since mark-outs of overlapping horizons are correlated that long.

What one day can and cannot identify
------------------------------------
See :data:`IDENTIFICATION` (printed by ``execopt fit --propagator`` and in the README): this is
the market's aggregate propagator -- how the mid followed *everybody's* signed flow -- not the
impact of one's own orders; the permanent part cannot be told apart from the day's drift or
from a half-life longer than the day; other traders' flow and information confound it; and the
signal is weak (report R² and the interval widths, and read both).

Glossary: ``T`` minutes, ``v`` signed shares per minute, ``o`` the within-minute time-weighted
signed shares, ``G0`` the kernel's strength and ``gamma`` the permanent impact (dollars per share
per share: mid dollars moved per share traded), ``h`` half-life (minutes), ``beta`` power-law
exponent, ``l0`` its scale (minutes), ``mu`` drift (dollars per minute), ``B`` bootstrap
replicates, ``W`` a (B, n) matrix of row multiplicities.
"""

from __future__ import annotations

from execopt.impact.propagator._shared import (
    BETA_BOUNDS,
    HALF_LIFE_BOUNDS,
    IDENTIFICATION,
    MARKOUT_HORIZONS,
    KernelKind,
    Unsigned,
)
from execopt.impact.propagator.fit import PropagatorFit
from execopt.impact.propagator.flow import MinuteFlow, minute_flow
from execopt.impact.propagator.markouts import Markouts

__all__ = [
    "BETA_BOUNDS",
    "HALF_LIFE_BOUNDS",
    "IDENTIFICATION",
    "MARKOUT_HORIZONS",
    "KernelKind",
    "Markouts",
    "MinuteFlow",
    "PropagatorFit",
    "Unsigned",
    "minute_flow",
]
