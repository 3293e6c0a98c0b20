"""The objective families of the suite: what an instance asks a solver to minimise.

A *family* names the mathematical form of an instance's objective and constraints (specified in
full, per family, in the suite's ``FORMAT.md``); a *group* names the generator's stress category
(``large``, ``badly-scaled``, ``degenerate``, ...). A family is one :class:`Family` entry here, its
instances come from a group builder, and its specification is one section of ``FORMAT.md``; the
validator's checks are generic (they ask the problem for its objective, gradient and Hessian), so
nothing else changes when a family is added.

The *cone* of an instance is the smallest problem class a solver must accept to solve it:
``lp`` (linear program) < ``qp`` (convex quadratic program) < ``socp`` (second-order cones) <
``power`` (exact power cones). A QP-only solver can attempt every ``lp`` and ``qp`` instance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from execopt.errors import DataError, InputError
from execopt.impact.base import model_from_dict

__all__ = ["CONES", "FAMILIES", "Cone", "Family", "cone_of", "family_of"]

Cone = Literal["lp", "qp", "socp", "power"]
#: The cones in increasing generality (a solver taking one takes those before it).
CONES: tuple[Cone, ...] = ("lp", "qp", "socp", "power")


def _has_risk(d: Mapping[str, Any]) -> bool:
    """The Almgren–Chriss term is present: ``k > 0`` and some ``sigma_t > 0``."""
    vol = np.asarray(d.get("volatility", 0.0), dtype=np.float64)
    return float(d.get("risk_aversion", 0.0)) > 0.0 and bool(np.any(vol > 0.0))


def _model(kind: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda d: d["impact"].get("model") == kind


@dataclass(frozen=True)
class Family:
    """One objective family.

    Attributes
    ----------
    name : str
        The ``family`` field of its instances (``[a-z-]``).
    title : str
        One line for a person.
    objective : str
        The objective in one line of plain-text mathematics (``FORMAT.md`` has the full form).
    matches : callable
        ``matches(instance_dict) -> bool``; families are tried in :data:`FAMILIES` order of
        ``priority`` (terms before impact models: a quadratic cost with a risk term is
        ``mean-variance``).
    priority : int
        Higher is tried first.
    """

    name: str
    title: str
    objective: str
    matches: Callable[[Mapping[str, Any]], bool]
    priority: int = 0


#: Every family, in report order. A new family (transient impact, permanent impact, baskets) is
#: one entry here plus its section in ``FORMAT.md``.
FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "quadratic",
            "quadratic temporary impact (Almgren–Chriss linear slippage)",
            "sum_t a_t x_t + b_t x_t^2",
            _model("quadratic"),
        ),
        Family(
            "power",
            "per-share power-law impact",
            "sum_t gamma_t x_t^(1 + delta_t)",
            _model("power"),
        ),
        Family(
            "piecewise",
            "piecewise-linear cost: walking a limit-order book",
            "sum_t sum_k slopes_tk * (shares of x_t in segment k)",
            _model("piecewise"),
        ),
        Family(
            "mean-variance",
            "any impact cost plus the Almgren–Chriss variance of the unexecuted inventory",
            "sum_t c_t(x_t) + k sum_t sigma_t^2 R_t^2,  R_t = S - sum_{s<=t} x_s",
            _has_risk,
            priority=1,
        ),
    )
}


def family_of(d: Mapping[str, Any]) -> str:
    """The family of an instance dictionary (terms first, then the impact model).

    Raises
    ------
    DataError
        When no family matches (an impact model the suite format does not specify).
    """
    for fam in sorted(FAMILIES.values(), key=lambda f: -f.priority):
        if fam.matches(d):
            return fam.name
    raise DataError(
        f"instance {d.get('id')!r}: no suite family matches the impact model "
        f"{d['impact'].get('model')!r}; the families are {', '.join(FAMILIES)}."
    )


def cone_of(d: Mapping[str, Any]) -> Cone:
    """The smallest cone a solver needs for the instance (asked of the impact model and terms).

    Raises
    ------
    DataError
        If the impact object does not describe a registered model.
    """
    try:
        model_cone: str = model_from_dict(d["impact"]).cone
    except InputError as exc:
        raise DataError(f"instance {d.get('id')!r}: impact: {exc}") from None
    need = CONES.index(model_cone)
    if _has_risk(d):
        need = max(need, CONES.index("qp"))
    if d.get("var_limit") is not None:
        need = max(need, CONES.index("socp"))
    return CONES[need]
