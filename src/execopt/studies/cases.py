"""Reference problems shared by the studies: reference constants, intraday profiles, book walks.

The reference framework document quotes constant parameters, and for time-invariant convex costs equal allocation is the
exact optimum, so a study that wants a schedule to *move* needs parameters that vary through the
day. This module names the few shapes the studies use, each with an explicit amplitude:

* :func:`u_shape`: ``w_t = (1 + A q_t) / mean(1 + A q)`` with ``q_t = (2 t / (N - 1) - 1)^2``;
  mean one (so ``b_t = b w_t`` keeps the reference document's average ``b``), and ``w`` at the open and close is
  ``1 + A`` times ``w`` at midday.
* the ``piecewise`` case: the exact walk of a seeded synthetic FROG book day
  (:func:`execopt.data.synthetic_book`, :func:`execopt.impact.bookwalk.book_impact`).

Glossary: ``S`` shares, ``N`` periods, ``A`` amplitude of a profile, ``a`` dollars per share,
``b`` dollars per share squared, ``gamma``/``delta`` power-law scale and exponent, ``u`` caps.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from execopt import presets
from execopt.data import synthetic_book
from execopt.errors import InputError
from execopt.impact.bookwalk import book_impact
from execopt.impact.models import PiecewiseLinearImpact, PowerLawImpact, QuadraticImpact
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.participation import participation_caps

__all__ = [
    "CASES",
    "DEFAULT_AMPLITUDE",
    "Case",
    "as_cap",
    "build_case",
    "seed_quadratic",
    "u_shape",
    "volume_caps",
]

FloatArray = NDArray[np.float64]
Case = Literal["quadratic", "power", "piecewise", "concave"]
CASES: tuple[Case, ...] = ("quadratic", "power", "piecewise", "concave")

#: Default U-shape amplitude of the studies' time-varying cases: the open and close are 3x as
#: expensive as midday (an assumption for illustration, not a fit).
DEFAULT_AMPLITUDE = 2.0


def as_cap(cap: float | ArrayLike | None) -> FloatArray | None:
    """A cap as :class:`~execopt.problem.ExecutionProblem` stores it (None: uncapped)."""
    return None if cap is None else np.asarray(cap, dtype=np.float64)


def u_shape(N: int, amplitude: float) -> FloatArray:
    """Mean-one U-shaped parameter profile, ``1 + amplitude`` times higher at the ends than
    midday (the studies' intraday ``b_t`` or ``gamma_t``; the synthetic books' activity shape is
    :func:`execopt.data.synthetic.intraday_shape`, a different curve).

    Parameters
    ----------
    N : int
        Number of periods.
    amplitude : float
        ``A >= 0``; 0 gives a flat profile.

    Returns
    -------
    ndarray of shape (N,)

    Examples
    --------
    >>> w = u_shape(5, 3.0)
    >>> round(float(w.mean()), 12), round(float(w[0] / w[2]), 12)
    (1.0, 4.0)
    """
    if not np.isfinite(amplitude) or amplitude < 0:
        raise InputError(f"amplitude must be a finite number >= 0, got {amplitude!r}.")
    if N < 1:
        raise InputError(f"N must be >= 1, got {N}.")
    q = np.linspace(-1.0, 1.0, N) ** 2 if N > 1 else np.zeros(1)
    w = 1.0 + amplitude * q
    return np.asarray(w / w.mean(), dtype=np.float64)


def seed_quadratic(stock: str, N: int, amplitude: float = 0.0) -> QuadraticImpact:
    """The reference document's quadratic constants for ``stock`` with ``b_t = b u_shape(N, amplitude)_t``."""
    m = presets.quadratic(stock)
    b = float(m.b) * u_shape(N, amplitude) if amplitude > 0 else float(m.b)
    return QuadraticImpact(a=float(m.a), b=b)


def _book_walk(N: int, seed: int) -> tuple[PiecewiseLinearImpact, str]:
    """Walk of a seeded synthetic FROG book day, ``N`` minutes spread evenly over the day."""
    model = book_impact(synthetic_book("FROG", seed=seed), "buy")
    T = model.slopes.shape[0]
    idx = np.unique(np.round(np.linspace(0, T - 1, N)).astype(int)) if N <= T else np.arange(T)
    if idx.size != N:
        raise InputError(f"a synthetic book day has {T} minutes; N = {N} periods do not fit.")
    book = PiecewiseLinearImpact(model.slopes[idx], model.widths[idx])
    return book, f"synthetic FROG book walk (seed {seed}, {N} of {T} minutes)"


def build_case(
    case: Case,
    N: int,
    *,
    shares: float | None = None,
    amplitude: float = DEFAULT_AMPLITUDE,
    seed: int = 0,
) -> tuple[ExecutionProblem, str]:
    """A reference problem of class ``case`` with ``N`` periods, and a one-line description.

    ``quadratic``: FROG reference constants with a U-shaped ``b_t``; ``power``: SOUN's per-share power
    law with a U-shaped ``gamma_t``; ``concave``: the literal reading ``gamma_t x^0.67`` (basis
    ``total``); these three trade 10,000 shares under one cap of ``max(1000, 2 S / N)``.
    ``piecewise``: the walk of a synthetic FROG day, trading 25 % of its visible depth (which
    caps every period).
    """
    if case == "piecewise":
        book, what = _book_walk(N, seed)
        S = float(np.floor(0.25 * book.capacity.sum())) if shares is None else shares
        return ExecutionProblem(S, book, N), what
    S = 10_000.0 if shares is None else shares
    w = u_shape(N, amplitude)
    p = presets.power("SOUN")
    impact: QuadraticImpact | PowerLawImpact
    if case == "quadratic":
        impact = seed_quadratic("FROG", N, amplitude)
        what = f"FROG a=0.018, b=0.0009 x U(A={amplitude:g})"
    elif case == "power":
        impact = PowerLawImpact(gamma=float(p.gamma) * w, delta=float(p.delta))
        what = f"SOUN gamma=0.015 x U(A={amplitude:g}), delta=0.67 per share"
    elif case == "concave":
        impact = PowerLawImpact(gamma=float(p.gamma) * w, delta=float(p.delta), basis="total")
        what = f"SOUN gamma x^0.67 read as total cost (concave) x U(A={amplitude:g})"
    else:
        raise InputError(f"unknown case {case!r}; choose one of {', '.join(CASES)}.")
    return ExecutionProblem(S, impact, N, cap=as_cap(max(1000.0, 2.0 * S / N))), what


def volume_caps(
    stock: str = "FROG",
    seed: int = 0,
    *,
    participation: float = 0.1,
    max_child: float = 1000.0,
) -> FloatArray:
    """The reference document's caps ``u_t = min(participation * volume_t, max_child)`` on a synthetic day.

    ``volume_t`` is the traded volume of minute ``t`` of a seeded synthetic book of ``stock``
    (calibrated daily volume and U-shape, :func:`execopt.data.synthetic_book`).
    """
    vol = synthetic_book(stock.upper(), seed=seed).minute_volume()
    return participation_caps(vol, rate=participation, max_order=max_child)
