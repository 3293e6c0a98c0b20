"""Sensitivity: the optimum and the schedule as functions of the parameters, and their derivatives.

Three tables:

* :func:`sweep`: cost, reduction vs equal allocation, ``lam`` and the shape of the schedule as one
  parameter moves (``a``, ``b``, ``gamma``, ``delta``, ``S``, the cap, the risk aversion), with
  the schedules themselves in long form;
* :func:`marginal_check`: ``lam``, the marginal cost of the last share, against the central finite
  difference ``(opt(S + h) - opt(S - h)) / 2h``. By the KKT conditions (LP/convex duality) they
  agree wherever the optimum is differentiable in ``S``;
* :func:`envelope_check`: derivatives of the optimum with respect to parameters by the envelope
  theorem, ``d opt / d a_t = x_t*``, ``d opt / d b_t = x_t*^2``, ``d opt / d gamma_t =
  x_t*^(1+delta)``, ``d opt / d u_t = -max(0, lam - c'_t(u_t))``, against finite differences of
  re-solved optima.

Glossary: ``S`` shares, ``N`` periods, ``x*`` the optimal schedule, ``lam`` dollars per share,
``a`` dollars per share, ``b`` dollars per share squared, ``gamma``/``delta`` power-law scale and
exponent, ``u`` caps, ``k`` risk aversion (1/dollars), ``sigma`` dollars per share per period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from execopt.errors import InputError
from execopt.impact.models import ImpactModel, PowerLawImpact
from execopt.problem.execution_problem import ExecutionProblem
from execopt.solvers.api import solve
from execopt.studies.cases import (
    DEFAULT_AMPLITUDE,
    as_cap,
    build_case,
    seed_quadratic,
    u_shape,
)

__all__ = [
    "FD_REL_STEP",
    "Parameter",
    "SensitivityConfig",
    "SensitivityResult",
    "envelope_check",
    "marginal_check",
    "run_sensitivity",
    "sweep",
    "with_parameter",
]

FloatArray = NDArray[np.float64]
Parameter = Literal["a", "b", "gamma", "delta", "S", "cap", "risk_aversion"]

#: Relative step of the central finite differences: the truncation error is O(h^2) and the
#: rounding error of an exact optimum (1e-13 relative) over 2h stays below 1e-6 relative.
FD_REL_STEP = 1e-4


@dataclass(frozen=True)
class SensitivityConfig:
    """Settings of the sensitivity study.

    Parameters
    ----------
    stock : str
        Seed preset for the quadratic model (the power law is SOUN's, the only one stated).
    shares, periods, cap : float, int, float or None
    amplitude : float
        U-shape amplitude of ``b_t`` and ``gamma_t`` (0: constant parameters, for which the
        schedule is flat whatever the level: Jensen).
    factors : tuple of float
        Multipliers applied to ``a``, ``b``, ``gamma`` and ``S``.
    deltas : tuple of float
        Power-law exponents (per-share basis).
    cap_multiples : tuple of float
        Caps as multiples of ``S/N`` (``inf``: uncapped).
    risk_aversions : tuple of float
        ``k``, 1/dollars (solved with Clarabel: the risk term is not separable).
    volatility : float
        ``sigma``, dollars per share per period, for the risk-aversion sweep.
    check_periods : tuple of int
        Periods whose parameters the envelope check bumps (negative counts from the end).
    """

    stock: str = "FROG"
    shares: float = 10_000.0
    periods: int = 390
    cap: float | None = 1000.0
    amplitude: float = DEFAULT_AMPLITUDE
    factors: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
    deltas: tuple[float, ...] = (0.25, 0.5, 0.67, 1.0, 1.5)
    cap_multiples: tuple[float, ...] = (1.05, 1.25, 1.5, 2.0, 4.0, float("inf"))
    risk_aversions: tuple[float, ...] = (0.0, 1e-7, 1e-6, 1e-5, 1e-4)
    volatility: float = 0.032
    check_periods: tuple[int, ...] = (0, 1, 97, 195, -2, -1)

    def fast(self) -> SensitivityConfig:
        """CI-sized: 60 periods, three points per sweep."""
        return replace(
            self,
            periods=60,
            shares=min(self.shares, 3000.0),
            factors=(0.5, 1.0, 2.0),
            deltas=(0.5, 0.67, 1.0),
            cap_multiples=(1.25, 2.0, float("inf")),
            risk_aversions=(0.0, 1e-5),
            check_periods=(0, 30, -1),
        )

    def quadratic_problem(self) -> ExecutionProblem:
        """The study's quadratic base problem (reference constants, U-shaped ``b_t``)."""
        m = seed_quadratic(self.stock, self.periods, self.amplitude)
        return ExecutionProblem(self.shares, m, self.periods, cap=as_cap(self.cap))

    def power_problem(self) -> ExecutionProblem:
        """The study's power-law base problem (SOUN, U-shaped ``gamma_t``, per-share basis)."""
        g = 0.015 * u_shape(self.periods, self.amplitude)
        m = PowerLawImpact(gamma=g, delta=0.67)
        return ExecutionProblem(self.shares, m, self.periods, cap=as_cap(self.cap))


def _partial(m: Any, name: str, x: FloatArray) -> FloatArray:
    """``dc_t/dtheta_t`` at ``x`` for a coefficient the cost is linear in (``a``, ``b``,
    ``gamma``): the cost of the model with that coefficient 1 and the other linear ones 0.
    """
    linear = [f.name for f in fields(m) if f.init and f.name in ("a", "b", "gamma")]
    return np.asarray(replace(m, **{n: float(n == name) for n in linear}).cost(x), dtype=float)


def with_parameter(problem: ExecutionProblem, name: Parameter, value: Any) -> ExecutionProblem:
    """A copy of ``problem`` with one parameter replaced (``dataclasses.replace`` throughout).

    ``a``, ``b``, ``gamma``, ``delta`` replace the impact model's field (a scalar or a profile);
    ``S`` the shares, ``cap`` the cap (None or inf: uncapped), ``risk_aversion`` the risk weight.
    """
    m = problem.impact
    if name in ("a", "b", "gamma", "delta"):
        if name not in {f.name for f in fields(m)}:  # type: ignore[arg-type]
            raise InputError(
                f"{name} is not a parameter of the model {type(m).__name__} (its parameters: "
                f"{', '.join(f.name for f in fields(m) if f.init)})."  # type: ignore[arg-type]
            )
        new = replace(m, **{name: value})  # type: ignore[type-var]
        return replace(problem, impact=new)
    if name == "S":
        return replace(problem, shares=float(value))
    if name == "cap":
        cap = None if value is None or np.all(np.isinf(value)) else value
        return replace(problem, cap=cap)
    if name == "risk_aversion":
        return replace(problem, risk_aversion=float(value))
    raise InputError(f"unknown parameter {name!r}.")


def _method(problem: ExecutionProblem) -> str:
    return "clarabel" if problem.has_risk else "exact"


def _row(problem: ExecutionProblem, **labels: Any) -> tuple[dict[str, Any], FloatArray]:
    sol = solve(problem, _method(problem))
    x = sol.schedule
    N = problem.periods
    eq = problem.objective(problem.equal_allocation())
    u = problem.upper
    act = 1e-7 * max(problem.shares / N, 1.0)
    half = N // 2
    row = {
        **labels,
        "method": sol.method,
        "cost": sol.objective,
        "cost_equal": eq,
        "reduction_pct": 100.0 * (1.0 - sol.objective / eq) if eq > 0 else 0.0,
        "lam": sol.lam,
        "x_first": float(x[0]),
        "x_mid": float(x[half]),
        "x_last": float(x[-1]),
        "x_max": float(x.max()),
        "front_share": float(x[:half].sum() / max(problem.shares, 1e-300)),
        "n_at_cap": int(np.sum(np.isfinite(u) & (x >= u - act))),
        "n_zero": int(np.sum(x <= act)),
        "rel_gap": sol.certificate.rel_gap if sol.certificate.rel_gap is not None else np.nan,
    }
    return row, x


def sweep(
    problem: ExecutionProblem, name: Parameter, values: Sequence[Any], *, scale: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Solve ``problem`` with ``name`` set to each of ``values``.

    Parameters
    ----------
    problem : ExecutionProblem
    name : Parameter
    values : sequence
        Multipliers of the base value when ``scale`` (profiles keep their shape), else values.
    scale : bool

    Returns
    -------
    summary, schedules : DataFrame, DataFrame
        One row per value (``parameter``, ``factor``, ``value``, cost, reduction, ``lam``, schedule
        shape), and the schedules in long form (``parameter``, ``value``, ``t``, ``x``).
    """
    base: Any = _base_value(problem, name)
    rows, longs = [], []
    for v in values:
        new = np.asarray(base) * v if scale and base is not None else v
        if name == "S":
            new = float(new)
        p = with_parameter(problem, name, new)
        shown = float(np.mean(new)) if new is not None else float("inf")
        row, x = _row(p, parameter=name, factor=float(v) if scale else np.nan, value=shown)
        rows.append(row)
        longs.append(
            pd.DataFrame({"parameter": name, "value": shown, "t": np.arange(x.size), "x": x})
        )
    return pd.DataFrame(rows), pd.concat(longs, ignore_index=True)


def _base_value(problem: ExecutionProblem, name: Parameter) -> Any:
    m = problem.impact
    if name in ("a", "b", "gamma", "delta"):
        return getattr(m, name)
    if name == "S":
        return problem.shares
    if name == "cap":
        return problem.shares / problem.periods
    return None


def marginal_check(
    problem: ExecutionProblem,
    shares: Sequence[float] | None = None,
    *,
    rel_step: float = FD_REL_STEP,
) -> pd.DataFrame:
    """``lam`` from the exact solver against ``d opt / dS`` by central differences.

    Returns
    -------
    DataFrame
        ``model``, ``S``, ``lam``, ``fd``, ``abs_err``, ``rel_err``.
    """
    if problem.has_risk:
        raise InputError(
            "lam equals d opt / dS for the separable problem only (with a risk term, S also "
            "enters the inventory R_t)."
        )
    rows = []
    for S in shares if shares is not None else (problem.shares,):
        h = rel_step * S
        lam = solve(with_parameter(problem, "S", S), "exact").lam
        up = solve(with_parameter(problem, "S", S + h), "exact").objective
        dn = solve(with_parameter(problem, "S", S - h), "exact").objective
        fd = (up - dn) / (2 * h)
        rows.append(
            {
                "model": problem.impact.kind,
                "S": float(S),
                "lam": lam,
                "fd": fd,
                "abs_err": abs(fd - lam),
                "rel_err": abs(fd - lam) / max(abs(lam), 1e-300),
            }
        )
    return pd.DataFrame(rows)


def _bumped(m: ImpactModel, name: str, t: int, h: float, N: int) -> ImpactModel:
    v = np.array(np.broadcast_to(getattr(m, name), (N,)), dtype=np.float64)
    v[t] += h
    return replace(m, **{name: v})  # type: ignore[type-var]


def envelope_check(
    problem: ExecutionProblem,
    periods: Sequence[int] = (0, -1),
    *,
    rel_step: float = FD_REL_STEP,
) -> pd.DataFrame:
    """Envelope-theorem derivatives of the optimum against finite differences.

    Parameters
    ----------
    problem : ExecutionProblem
        Quadratic or per-share power law, without a risk term.
    periods : sequence of int
        Periods whose parameters are bumped one at a time.

    Returns
    -------
    DataFrame
        ``parameter`` (``a_t``, ``b_t``, ``gamma_t``, ``u_t``), ``t``, ``x``, ``analytic``, ``fd``,
        ``abs_err``, ``rel_err`` (relative to ``max(|analytic|, scale)``; the scale is the
        derivative's typical size, so a zero derivative is not divided by zero).
    """
    if problem.has_risk:
        raise InputError("the envelope check covers the separable problem (no risk term).")
    m, N = problem.impact, problem.periods
    sol = solve(problem, "exact")
    x, lam, u = sol.schedule, sol.lam, problem.upper
    # envelope theorem: d opt / d theta_t = dc_t/dtheta_t at the optimum x (multiplier terms
    # vanish); the partial derivative comes from the model itself, not from its class
    scale_names = [n for n in ("a", "b", "gamma") if n in {f.name for f in fields(m)}]  # type: ignore[arg-type]
    if not scale_names or not getattr(m, "is_convex", False):
        raise InputError(
            "envelope_check needs a convex model with a linear coefficient a, b or gamma "
            f"(quadratic, per-share power law); got {type(m).__name__}."
        )
    analytic = {n: _partial(m, n, x) for n in scale_names}
    xbar = max(problem.shares / N, 1.0)
    p_exp = float(np.mean(np.broadcast_to(getattr(m, "exponent", 2.0), (N,))))
    fallback = {"a": abs(lam), "b": abs(lam) / xbar, "gamma": abs(lam) / xbar ** (p_exp - 1)}
    rows = []
    for t in (t0 % N for t0 in periods):
        for name, d in analytic.items():
            values = np.broadcast_to(getattr(m, name), (N,))
            base = float(values[t])
            # the step's scale: the parameter's size; for a (possibly 0) at least lam, whose
            # units it shares; for b, gamma all zero (linear costs) the size lam implies
            size = max(abs(base), float(np.mean(np.abs(values))))
            if name == "a":
                size = max(size, abs(lam))
            h = rel_step * (size if size > 0 else max(fallback[name], 1e-300))

            def opt(step: float, name: str = name, t: int = t) -> float:
                return solve(
                    replace(problem, impact=_bumped(m, name, t, step, N)), "exact"
                ).objective

            if base - h >= 0:  # central difference, O(h^2)
                fd = (opt(h) - opt(-h)) / (2 * h)
            else:  # at the lower bound (a_t = 0): second-order one-sided difference
                fd = (-3 * problem.objective(x) + 4 * opt(h) - opt(2 * h)) / (2 * h)
            rows.append(_deriv_row(f"{name}_t", t, x[t], float(d[t]), fd))
        if np.isfinite(u[t]):
            g = float(np.broadcast_to(m.marginal(u), (N,))[t])
            d_u = -max(0.0, lam - g) if x[t] >= u[t] * (1 - 1e-12) else 0.0
            h = rel_step * u[t]
            caps = np.array(u)
            caps[t] += h
            up = solve(replace(problem, cap=caps.copy()), "exact").objective
            caps[t] -= 2 * h
            dn = solve(replace(problem, cap=caps), "exact").objective
            rows.append(_deriv_row("u_t", t, x[t], d_u, (up - dn) / (2 * h)))
    out = pd.DataFrame(rows)
    scale = max(float(np.median(np.abs(out["analytic"]))), 1e-12) if len(out) else 1.0
    out["rel_err"] = out["abs_err"] / np.maximum(np.abs(out["analytic"]), scale)
    return out


def _deriv_row(name: str, t: int, x: float, analytic: float, fd: float) -> dict[str, Any]:
    return {
        "parameter": name,
        "t": int(t),
        "x": float(x),
        "analytic": analytic,
        "fd": fd,
        "abs_err": abs(fd - analytic),
    }


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """Tables of the sensitivity study (all tidy)."""

    sweeps: pd.DataFrame
    schedules: pd.DataFrame
    marginal: pd.DataFrame
    envelope: pd.DataFrame
    config: SensitivityConfig
    timings: dict[str, float] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "sweeps": self.sweeps,
            "marginal": self.marginal,
            "envelope": self.envelope,
            "schedules": self.schedules,
        }


def run_sensitivity(config: SensitivityConfig | None = None) -> SensitivityResult:
    """Every sweep, the ``lam = d opt / dS`` check and the envelope checks for ``config``."""
    from time import perf_counter

    config = config or SensitivityConfig()
    t0 = perf_counter()
    q, pw = config.quadratic_problem(), config.power_problem()
    S, N = config.shares, config.periods
    parts = [
        sweep(q, "a", config.factors),
        sweep(q, "b", config.factors),
        sweep(q, "S", config.factors),
        sweep(q, "cap", config.cap_multiples),
        sweep(pw, "gamma", config.factors),
        sweep(pw, "delta", config.deltas, scale=False),
    ]
    t1 = perf_counter()
    risky = replace(q, volatility=config.volatility)
    parts.append(sweep(risky, "risk_aversion", config.risk_aversions, scale=False))
    t2 = perf_counter()
    sweeps = pd.concat([p[0] for p in parts], ignore_index=True)
    schedules = pd.concat([p[1] for p in parts], ignore_index=True)
    shares = [S * f for f in (0.5, 1.0, 2.0)]
    book, _ = build_case("piecewise", N, seed=0)
    # a book walk's optimum is piecewise linear in S: probe between its breakpoints
    on_book = [book.shares * f + 0.37 for f in (0.5, 1.0, 1.5)]
    marginal = pd.concat(
        [marginal_check(q, shares), marginal_check(pw, shares), marginal_check(book, on_book)],
        ignore_index=True,
    )
    tight = with_parameter(q, "cap", config.cap_multiples[0] * S / N)
    envelope = pd.concat(
        [
            envelope_check(q, config.check_periods).assign(model="quadratic"),
            envelope_check(tight, config.check_periods).assign(model="quadratic, tight cap"),
            envelope_check(pw, config.check_periods).assign(model="power"),
        ],
        ignore_index=True,
    )
    t3 = perf_counter()
    timings = {
        "separable_sweeps": t1 - t0,
        "risk_sweep": t2 - t1,
        "checks": t3 - t2,
        "total": t3 - t0,
        "periods": float(N),
    }
    return SensitivityResult(sweeps, schedules, marginal, envelope, config, timings)
