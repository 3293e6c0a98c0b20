"""One plot style for every figure execopt draws (reports, the CLI's ``--plot`` files, the docs).

* A fixed colour per solver method and per execution policy (:data:`COLOURS`), so "clarabel" is
  the same blue in every plot and a reader can compare plots side by side.
* Titles that say which problem is drawn: :func:`problem_title` adds S, N and the cap.
* Tick labels without offset notation (``1e-13+6.415384615e-2``): :func:`plain_ticks` installs
  ``ScalarFormatter(useOffset=False)`` on linear axes.
* :func:`new_figure` builds a :class:`matplotlib.figure.Figure` directly (no pyplot, no global
  backend switch), with the style's rc parameters applied when it is saved or shown.

Glossary: ``S`` shares of the parent order, ``N`` periods, ``cap`` the per-period cap in shares.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

__all__ = [
    "COLOURS",
    "RC",
    "TWAP_LABEL",
    "colour",
    "fmt_cap",
    "new_figure",
    "plain_ticks",
    "problem_title",
]

#: One colour per method and per policy, the same in every figure (matplotlib's tab10 order).
COLOURS: dict[str, str] = {
    # solver methods
    "exact": "#000000",
    "clarabel": "#1f77b4",
    "osqp": "#ff7f0e",
    "scs": "#2ca02c",
    "slsqp": "#9467bd",
    "de": "#8c564b",
    # execution policies (TWAP / equal allocation is the grey reference everywhere)
    "twap": "#7f7f7f",
    "equal": "#7f7f7f",
    "vwap": "#17becf",
    "static": "#d62728",
    "adaptive": "#1f77b4",
    "adaptive-fixed": "#aec7e8",
    "ac": "#9467bd",
    "pov": "#bcbd22",
    "oracle": "#e377c2",
    # basket plans and policies (independent: each leg alone; joint: the basket's optimum)
    "independent-twap": "#7f7f7f",
    "independent-optimal": "#ff7f0e",
    "independent": "#ff7f0e",
    "joint-optimal": "#1f77b4",
    "joint": "#1f77b4",
    "joint-adaptive": "#17becf",
    "unconstrained": "#d62728",
    # fitted models
    "quadratic": "#1f77b4",
    "power": "#ff7f0e",
    "walked books": "#000000",
}

#: Extra colours for names not in :data:`COLOURS`, handed out in order of first use.
_SPARE = ("#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#5254a3", "#6b6ecf")

#: Label of the equal-allocation reference in every figure.
TWAP_LABEL = "TWAP (equal allocation S/N)"

#: rc parameters every figure is drawn with (applied by :func:`new_figure`).
RC: Any = {
    "axes.formatter.useoffset": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 10,
}


def colour(name: str) -> str:
    """The fixed colour of a method, policy or model; unknown names get a stable spare colour.

    The name is matched case-insensitively on its first word (``"oracle (book walk)"`` is
    ``oracle``; ``"fitted optimum"`` is ``static``, the schedule a static plan would trade).
    """
    key = str(name).strip().lower()
    if key in COLOURS:
        return COLOURS[key]
    first = key.split()[0] if key else key
    if first in COLOURS:
        return COLOURS[first]
    if key.startswith("fitted"):
        return COLOURS["static"]
    if key.startswith("ac("):  # Almgren-Chriss at one urgency: the family's colour
        return COLOURS["ac"]
    return _SPARE[sum(map(ord, key)) % len(_SPARE)]


def fmt_cap(cap: float | np.ndarray | None) -> str:
    """``"cap 1,000 shares/period"``, ``"caps 120-1,000 shares/period"`` or ``"no cap"``."""
    if cap is None:
        return "no cap"
    u = np.asarray(cap, dtype=float)
    if u.size == 0 or not np.isfinite(u).any():
        return "no cap"
    lo, hi = float(np.nanmin(u)), float(np.nanmax(u))
    if lo == hi:
        return f"cap {lo:,.0f} shares/period"
    return f"caps {lo:,.0f}-{hi:,.0f} shares/period"


def problem_title(
    what: str, *, S: float | None = None, N: int | None = None, cap: Any = "unset"
) -> str:
    """A title naming the problem: ``"<what>: S = 10,000 shares, N = 390 periods, no cap"``.

    ``cap`` is a number, an array of per-period caps or None (no cap); leave it out when the
    figure is not about one capped problem.
    """
    parts = []
    if S is not None:
        parts.append(f"S = {S:,.0f} shares")
    if N is not None:
        parts.append(f"N = {N:,} periods")
    if not (isinstance(cap, str) and cap == "unset"):
        parts.append(fmt_cap(cap))
    return f"{what}: {', '.join(parts)}" if parts else what


def plain_ticks(axes: Axes | Iterable[Axes]) -> None:
    """No offset notation on the linear axes of ``axes`` (log axes keep their formatter)."""
    for ax in [axes] if isinstance(axes, Axes) else list(axes):
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            if scale == "linear" and isinstance(axis.get_major_formatter(), ScalarFormatter):
                axis.set_major_formatter(ScalarFormatter(useOffset=False))


class _StyledFigure(Figure):
    """A Figure that draws (and so saves) under :data:`RC`, and removes offset notation."""

    def draw(self, renderer: Any) -> None:
        import matplotlib

        with matplotlib.rc_context(RC):
            plain_ticks(self.axes)
            super().draw(renderer)


def new_figure(
    nrows: int = 1, ncols: int = 1, w: float = 8.0, h: float = 4.0, **subplots: Any
) -> tuple[Figure, np.ndarray]:
    """A constrained-layout figure of ``nrows x ncols`` axes (returned flattened) in the style."""
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = _StyledFigure(figsize=(w, h), layout="constrained")
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False, **subplots)).ravel()
    return fig, axes
