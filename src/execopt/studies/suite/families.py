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

Families since format version 3: ``transient`` (a propagator kernel ``1/2 x^T K x`` and linear
permanent impact on top of any impact cost, optionally with the mean-variance term) and
``basket`` (``M`` legs coupled by covariance risk, cross-impact, a dollar-neutrality band or a
VaR limit; its instances have ``legs`` instead of one ``impact``).
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
    return lambda d: "impact" in d and d["impact"].get("model") == kind


def _has_price_impact(d: Mapping[str, Any]) -> bool:
    """A transient kernel or linear permanent impact (format version 3)."""
    return d.get("transient") is not None or float(d.get("permanent") or 0.0) > 0.0


def _is_basket(d: Mapping[str, Any]) -> bool:
    """Several legs (format version 3): ``legs`` instead of one ``impact``."""
    return "legs" in d


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
    crosschecks : int
        Independent solvers (besides the one that produced the stored optimum) that must agree
        with it before the generator accepts an instance.
    """

    name: str
    title: str
    objective: str
    matches: Callable[[Mapping[str, Any]], bool]
    priority: int = 0
    crosschecks: int = 1


#: Every family, in report order. A new family is one entry here plus its section in
#: ``FORMAT.md`` (and a group builder in the catalogue that yields its instances).
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
        Family(
            "transient",
            "transient (propagator) and permanent price impact over any impact cost",
            "sum_t c_t(x_t) + 1/2 x^T K x + gamma (S^2 - sum_t x_t^2) / 2 [+ k sum_t sigma_t^2 R_t^2],"
            "  K_ts = G(|t - s|)",
            _has_price_impact,
            priority=2,
            crosschecks=2,
        ),
        Family(
            "basket",
            "a basket of orders coupled by covariance risk, cross-impact and mandates",
            "sum_i f_i(x_i) + k sum_t r_t^T C r_t + sum_t x_t^T Hbar x_t,  |sum_i side_i P_i R_it| "
            "<= D,  z sqrt(sum_t r_t^T C r_t) <= L",
            _is_basket,
            priority=3,
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
    model = d["impact"].get("model") if isinstance(d.get("impact"), Mapping) else None
    raise DataError(
        f"instance {d.get('id')!r}: no suite family matches the impact model {model!r}; the "
        f"families are {', '.join(FAMILIES)}."
    )


def _model_cone(d: Mapping[str, Any], where: str) -> int:
    try:
        return CONES.index(model_from_dict(d).cone)
    except InputError as exc:
        raise DataError(f"instance {where}: impact: {exc}") from None


def cone_of(d: Mapping[str, Any]) -> Cone:
    """The smallest cone a solver needs for the instance (asked of the impact model and terms).

    Raises
    ------
    DataError
        If the impact object does not describe a registered model.
    """
    where = repr(d.get("id"))
    qp, socp = CONES.index("qp"), CONES.index("socp")
    if _is_basket(d):
        need = max(_model_cone(leg["impact"], where) for leg in d["legs"])
        if float(d.get("risk_aversion") or 0.0) > 0.0 or d.get("cross_impact") is not None:
            need = max(need, qp)
        if d.get("var_limit") is not None:
            need = max(need, socp)
        return CONES[need]
    need = _model_cone(d["impact"], where)
    if _has_risk(d) or _has_price_impact(d):
        need = max(need, qp)
    if d.get("var_limit") is not None:
        need = max(need, socp)
    return CONES[need]
