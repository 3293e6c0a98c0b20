"""Validate a production solver against the reference suite: schedule files or a Python callable.

Each instance gets a list of checks, each ``pass``, ``fail``, ``n/a`` or ``info``; the tolerance
rules are :mod:`execopt.studies.suite.checks` (stated for readers of the JSON in ``FORMAT.md``):

``presence``
    a schedule exists (``<id>.csv``, or a callable's return value). For an instance marked
    infeasible the *absence* of a schedule is correct: no file, a file whose first line contains
    ``infeasible``, a callable raising :class:`~execopt.errors.InfeasibleError` or returning None;
    any schedule fails. With ``only_present=True`` a missing schedule means *not attempted*: the
    instance is reported in the coverage but neither passes nor fails (write ``infeasible`` to
    claim an infeasible instance).
``format``
    the file reads: a ``shares`` header (or ``period,shares``), ``N`` numeric, finite rows; a
    failure names the file and the line.
``feasibility``
    ``|sum x - S|``, negative entries and cap excesses (piecewise books: the visible depth) are
    within ``tau_feas = feas_rtol * max(S, 1)`` shares. The same tolerance decides the cost: the
    objective, schedule and KKT checks see ``x`` with every entry within ``tau_feas`` of a bound
    moved onto it.
``objective``
    ``f(x) - f* <= rtol |f*| + GAP_ATOL_NOTIONAL * price * max(S, 1)``; the gap is reported in
    dollars, relative, and in basis points of the notional ``S * price``.
``schedule``
    where the optimum is unique, ``max_t |x_t - x*_t| <= tau_x`` (derived from the objective
    tolerance and the stiffest pair curvature, at most 1e-4 of S); ``n/a`` otherwise.
``kkt``
    with the stored multiplier ``lam*``: no period trades more than ``tau_kkt`` shares above, or
    leaves more than ``tau_kkt`` untraded below, the marginal price (the KKT conditions with the
    stored dual; it is the check that stops a non-optimal vertex where the optimum is not unique).
``certificate``
    (``info``) the residuals of :func:`execopt.certify` on the schedule: its own best multiplier,
    stationarity, complementarity and the certified bound gap.
``time``
    (callables only) the call returned within ``timeout`` seconds.

A basket instance (family ``basket``) takes an ``(M, N)`` schedule (a file with columns
``leg_0 .. leg_{M-1}``, one row per period) and the same checks leg by leg: feasibility of every
leg against its own ``tau_feas,i`` plus the neutrality band and the VaR limit; the basket's
objective; the schedule of every leg within its own ``tau_x,i``; the KKT conditions of every leg
with its stored ``lam_i``, the band multipliers ``nu`` and the VaR multiplier (each message names
the leg and the period); the basket certificate as information.

An attempted instance passes when none of its checks fails; the validation passes when at least
one instance was attempted and every attempted instance passed.
"""

from __future__ import annotations

import math
import signal
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from execopt.errors import InfeasibleError, InputError
from execopt.problem.basket import Basket
from execopt.problem.basket_certificate import certify_basket
from execopt.problem.certificate import certify
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.schedule_file import (
    ScheduleFile,
    ScheduleFormatError,
    read_schedule_csv,
    write_schedule_csv,
)
from execopt.studies.suite import checks as rules
from execopt.studies.suite.checks import (
    DEFAULT_RTOL,
    FEAS_RTOL,
    GAP_ATOL_NOTIONAL,
    BasketTolerances,
    Tolerances,
)
from execopt.studies.suite.families import FAMILIES
from execopt.studies.suite.format import (
    Instance,
    basket_from_instance,
    is_basket,
    load_suite,
    problem_from_instance,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "CHECKS",
    "DEFAULT_RTOL",
    "FEAS_RTOL",
    "GAP_ATOL_NOTIONAL",
    "Check",
    "InstanceResult",
    "ScheduleFile",
    "ScheduleFormatError",
    "ValidationResult",
    "as_problem",
    "basket_instance_tolerances",
    "evaluate",
    "read_schedule_csv",
    "select_families",
    "validate_callable",
    "validate_schedules",
    "write_schedule_csv",
]

FloatArray = NDArray[np.float64]
Status = Literal["pass", "fail", "n/a", "info"]

#: The check names, in report order.
CHECKS = (
    "presence",
    "format",
    "feasibility",
    "objective",
    "schedule",
    "kkt",
    "certificate",
    "time",
)


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Check:
    """One check of one instance: its name, status and a message naming both."""

    name: str
    status: Status
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "message": self.message}


def _f(v: Any) -> float | None:
    """A JSON-safe float (None for missing, NaN or inf)."""
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _fs(v: Any) -> float | list[float | None] | None:
    """:func:`_f`, element-wise for a basket's per-leg lists."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_f(e) for e in v]
    return _f(v)


@dataclass(frozen=True)
class InstanceResult:
    """The checks of one instance and the numbers behind them.

    Attributes
    ----------
    id, family, group, cone : str
    periods : int
    infeasible : bool
        The instance is marked infeasible.
    checks : tuple of Check
    attempted : bool
        False when the schedule was missing under ``only_present`` (not attempted).
    objective, optimum, gap : float or None
        Dollars (``gap = objective - optimum``).
    rel_gap : float or None
        ``gap / |optimum|``.
    gap_bps : float or None
        ``gap`` in basis points of the notional ``S * price``.
    max_violation : float or None
        Largest primal violation, shares.
    schedule_error : float or None
        ``max_t |x_t - x*_t|``, shares (unique optima only).
    misallocation : float or None
        The KKT check's largest misallocation with the stored multiplier, shares.
    tolerances : dict or None
        The resolved tolerances (:class:`~execopt.studies.suite.checks.Tolerances`).
    lam, stationarity, complementarity, bound_gap : float or None
        From :func:`execopt.certify` (information).
    seconds : float or None
        Wall time of the call (callables only).
    source : str
        The schedule file, or ``"callable"``.
    """

    id: str
    family: str
    periods: int
    infeasible: bool
    checks: tuple[Check, ...]
    group: str = ""
    cone: str = ""
    attempted: bool = True
    objective: float | None = None
    optimum: float | None = None
    gap: float | None = None
    rel_gap: float | None = None
    gap_bps: float | None = None
    max_violation: float | None = None
    schedule_error: float | None = None
    misallocation: float | None = None
    tolerances: dict[str, Any] | None = None
    lam: float | None = None
    stationarity: float | None = None
    complementarity: float | None = None
    bound_gap: float | None = None
    seconds: float | None = None
    source: str = ""

    @property
    def passed(self) -> bool:
        """True when the instance was attempted and no check failed."""
        return self.attempted and all(c.status != "fail" for c in self.checks)

    @property
    def verdict(self) -> str:
        """``pass``, ``fail`` or ``not attempted``."""
        if not self.attempted:
            return "not attempted"
        return "pass" if self.passed else "fail"

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    def failure_kind(self) -> str | None:
        """What went wrong, in one word (None when it passed or was not attempted):
        ``false-infeasible``, ``missing``, ``error``, ``timeout``, ``format``, ``infeasible-answer``
        (a schedule for an infeasible instance), ``violation``, ``wrong-answer``.
        """
        if not self.attempted or self.passed:
            return None
        names = {c.name for c in self.failures}
        msgs = " ".join(c.message for c in self.failures)
        if "time" in names:
            return "timeout"
        if "presence" in names:
            if "reported the instance infeasible" in msgs:
                return "false-infeasible"
            if self.infeasible:
                return "infeasible-answer"
            return "error" if "the solver failed" in msgs else "missing"
        if "format" in names:
            return "format"
        if "feasibility" in names:
            return "violation"
        return "wrong-answer"

    def check(self, name: str) -> Check | None:
        """The check called ``name`` (None if it was not run)."""
        return next((c for c in self.checks if c.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "group": self.group,
            "cone": self.cone,
            "periods": self.periods,
            "infeasible": self.infeasible,
            "attempted": self.attempted,
            "verdict": self.verdict,
            "failure_kind": self.failure_kind(),
            "checks": [c.as_dict() for c in self.checks],
            "objective": _f(self.objective),
            "optimum": _f(self.optimum),
            "gap": _f(self.gap),
            "rel_gap": _f(self.rel_gap),
            "gap_bps": _f(self.gap_bps),
            "max_violation": _f(self.max_violation),
            "schedule_error": _f(self.schedule_error),
            "misallocation": _f(self.misallocation),
            "tolerances": None
            if self.tolerances is None
            else {k: _fs(v) for k, v in self.tolerances.items()},
            "lam": _f(self.lam),
            "stationarity": _f(self.stationarity),
            "complementarity": _f(self.complementarity),
            "bound_gap": _f(self.bound_gap),
            "seconds": _f(self.seconds),
            "source": self.source,
        }


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of validating one solver on (part of) the suite.

    Attributes
    ----------
    instances : tuple of InstanceResult
        In suite order (only the selected families).
    suite : str
        The suite folder used.
    source : str
        The schedules folder, or a description of the callable.
    rtol, feas_rtol : float
        The tolerances applied.
    unexpected : tuple of str
        Schedule files that match no instance (ignored).
    seconds : float
        Wall time of the whole validation.
    only_present : bool
        Missing schedules counted as not attempted.
    families : tuple of str or None
        The families selected (None: all).
    """

    instances: tuple[InstanceResult, ...]
    suite: str
    source: str
    rtol: float
    feas_rtol: float
    unexpected: tuple[str, ...] = ()
    seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    only_present: bool = False
    families: tuple[str, ...] | None = None

    @property
    def attempted(self) -> list[InstanceResult]:
        return [r for r in self.instances if r.attempted]

    @property
    def passed(self) -> bool:
        """True when at least one instance was attempted and every attempted one passed."""
        att = self.attempted
        return bool(att) and all(r.passed for r in att)

    @property
    def n_passed(self) -> int:
        return sum(r.passed for r in self.instances)

    @property
    def n_attempted(self) -> int:
        return len(self.attempted)

    @property
    def n_failed(self) -> int:
        return self.n_attempted - self.n_passed

    @property
    def n_not_attempted(self) -> int:
        return len(self.instances) - self.n_attempted

    def failures(self) -> list[InstanceResult]:
        return [r for r in self.instances if r.attempted and not r.passed]

    def __getitem__(self, iid: str) -> InstanceResult:
        for r in self.instances:
            if r.id == iid:
                return r
        raise KeyError(iid)

    def coverage(self) -> dict[str, dict[str, Any]]:
        """Per family: instances, attempted, passed, failed, not attempted, coverage (attempted /
        instances) and pass rate (passed / attempted).
        """
        out: dict[str, dict[str, Any]] = {}
        order = {f: i for i, f in enumerate(FAMILIES)}
        for r in sorted(self.instances, key=lambda r: order.get(r.family, len(order))):
            d = out.setdefault(
                r.family,
                {"instances": 0, "attempted": 0, "passed": 0, "failed": 0, "not_attempted": 0},
            )
            d["instances"] += 1
            if not r.attempted:
                d["not_attempted"] += 1
                continue
            d["attempted"] += 1
            d["passed" if r.passed else "failed"] += 1
        for d in out.values():
            d["coverage"] = d["attempted"] / d["instances"] if d["instances"] else None
            d["pass_rate"] = d["passed"] / d["attempted"] if d["attempted"] else None
        return out

    def summary(self) -> dict[str, Any]:
        """Counts overall and per family (with coverage), and the worst gaps (JSON-ready)."""
        att = self.attempted
        gaps = [r.rel_gap for r in att if r.rel_gap is not None]
        bps = [r.gap_bps for r in att if r.gap_bps is not None]
        return {
            "passed": self.passed,
            "instances": len(self.instances),
            "attempted": self.n_attempted,
            "not_attempted": self.n_not_attempted,
            "n_passed": self.n_passed,
            "n_failed": self.n_failed,
            "coverage": self.n_attempted / len(self.instances) if self.instances else None,
            "worst_rel_gap": max(gaps) if gaps else None,
            "worst_gap_bps": max(bps) if bps else None,
            "by_family": self.coverage(),
            "rtol": self.rtol,
            "feas_rtol": self.feas_rtol,
            "only_present": self.only_present,
            "families": None if self.families is None else list(self.families),
            "seconds": self.seconds,
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: summary (with coverage), settings and every instance's checks."""
        return {
            "suite": self.suite,
            "source": self.source,
            "summary": self.summary(),
            "unexpected_files": list(self.unexpected),
            "instances": [r.as_dict() for r in self.instances],
            **({"meta": self.meta} if self.meta else {}),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per instance: id, family, N, verdict, one column per check status, gaps."""
        import pandas as pd

        rows = []
        for r in self.instances:
            row: dict[str, Any] = {
                "id": r.id,
                "family": r.family,
                "group": r.group,
                "cone": r.cone,
                "periods": r.periods,
                "infeasible": r.infeasible,
                "verdict": r.verdict,
                "failure_kind": r.failure_kind(),
            }
            for name in CHECKS:
                c = r.check(name)
                row[name] = None if c is None else c.status
            row.update(
                objective=r.objective,
                optimum=r.optimum,
                gap=r.gap,
                rel_gap=r.rel_gap,
                gap_bps=r.gap_bps,
                max_violation=r.max_violation,
                schedule_error=r.schedule_error,
                misallocation=r.misallocation,
                stationarity=r.stationarity,
                seconds=r.seconds,
                failures="; ".join(c.message for c in r.failures),
            )
            rows.append(row)
        return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- checks
Outcome = Literal["schedule", "missing", "infeasible", "unreadable", "error", "timeout"]


@dataclass
class _Run:
    """What :func:`evaluate` accumulates: the checks so far and the numbers behind them."""

    inst: Instance
    source: str
    checks: list[Check] = field(default_factory=list)
    numbers: dict[str, Any] = field(default_factory=dict)
    attempted: bool = True

    def add(self, name: str, status: Status, message: str) -> Check:
        c = Check(name, status, f"{self.inst.id}: {name}: {message}")
        self.checks.append(c)
        return c

    def result(self, seconds: float | None) -> InstanceResult:
        inst = self.inst
        return InstanceResult(
            id=inst.id,
            family=inst.family,
            group=inst.group,
            cone=inst.cone,
            periods=inst.periods,
            infeasible=inst.infeasible,
            checks=tuple(self.checks),
            attempted=self.attempted,
            optimum=inst.optimum,
            seconds=seconds,
            source=self.source,
            **self.numbers,
        )


def _time_step(run: _Run, outcome: Outcome, seconds: float | None, timeout: float | None) -> bool:
    """The ``time`` check (callables with a limit); True when nothing else can be checked."""
    if timeout is None or seconds is None:
        return False
    if outcome == "timeout" or seconds > timeout:
        run.add("time", "fail", f"took {seconds:.3g} s, limit {timeout:g} s.")
        return outcome == "timeout"
    run.add("time", "pass", f"{seconds:.3g} s <= {timeout:g} s.")
    return False


def _infeasible_step(run: _Run, outcome: Outcome, detail: str, only_present: bool) -> None:
    """Presence for an instance marked infeasible: no schedule is the right answer."""
    if outcome == "infeasible" or (outcome == "missing" and not only_present):
        how = "reported infeasible" if outcome == "infeasible" else "no schedule"
        run.add("presence", "pass", f"{how}, as expected for an infeasible instance.")
    elif outcome == "missing":
        run.attempted = False
        run.add("presence", "n/a", "not attempted (no file; write 'infeasible' to claim it).")
    elif outcome == "schedule":
        run.add(
            "presence",
            "fail",
            "a schedule was produced for an instance with no feasible schedule (S exceeds what "
            "the caps or the visible depth allow, or a basket's band cannot be met); the solver "
            "should report it infeasible ('infeasible' on the first line of the CSV, or no "
            "file).",
        )
    elif outcome == "unreadable":
        run.add("format", "fail", detail)
    else:
        run.add("presence", "fail", f"the solver failed: {detail}")


def _presence_step(run: _Run, outcome: Outcome, detail: str, only_present: bool) -> bool:
    """Presence for a feasible instance; True when there is a schedule to check."""
    if outcome == "missing":
        if only_present:
            run.attempted = False
            run.add("presence", "n/a", f"not attempted ({detail or 'no schedule'}).")
        else:
            run.add("presence", "fail", f"no schedule ({detail or 'missing'}).")
        return False
    if outcome == "infeasible":
        run.add(
            "presence",
            "fail",
            "the solver reported the instance infeasible, but it is feasible (certified optimum "
            f"{run.inst.optimum:,.6g} dollars).",
        )
        return False
    if outcome in ("error", "timeout"):
        run.add("presence", "fail", f"the solver failed: {detail or outcome}")
        return False
    run.add("presence", "pass", "schedule found.")
    if outcome == "unreadable":
        run.add("format", "fail", detail)
        return False
    return True


def _format_step(run: _Run, x: Any, N: int, src: str) -> FloatArray | None:
    """A numeric, finite array of N entries (a column or row of one is accepted)."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        run.add("format", "fail", f"the schedule{src} is not numeric ({exc}).")
        return None
    arr = arr.reshape(-1) if arr.ndim == 2 and 1 in arr.shape else arr
    if arr.ndim != 1 or arr.shape[0] != N:
        got = f"{arr.shape[0]} rows" if arr.ndim == 1 else f"shape {arr.shape}"
        run.add("format", "fail", f"{got}, expected N = {N} (one per period){src}.")
        return None
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr))[:5].tolist()
        run.add("format", "fail", f"NaN or inf in period(s) {bad}{src}.")
        return None
    run.add("format", "pass", f"{N} finite values.")
    return arr


def _feasibility_step(run: _Run, problem: ExecutionProblem, x: FloatArray, tol: float) -> bool:
    """Sum, signs and caps (visible depth included) within ``tol`` shares; True when feasible."""
    S, u = problem.shares, problem.upper
    total = float(x.sum())
    sum_res = abs(total - S)
    neg = float(max(0.0, -x.min()))
    over_v = x - u
    over = float(max(0.0, over_v.max()))
    problems = []
    if sum_res > tol:
        problems.append(
            f"the schedule sums to {total:,.10g}, not S = {S:,.10g} (off by {total - S:,.6g} shares)"
        )
    if neg > tol:
        t = int(np.argmin(x))
        more = int((x < -tol).sum()) - 1
        problems.append(
            f"negative entry {x[t]:.6g} in period {t}" + (f" (and {more} more)" if more else "")
        )
    if over > tol:
        t = int(np.argmax(over_v))
        cap_t = np.inf if problem.cap is None else float(np.broadcast_to(problem.cap, u.shape)[t])
        what = "cap" if cap_t <= u[t] else "visible depth"
        problems.append(
            f"period {t} trades {x[t]:,.6g} shares over its {what} {u[t]:,.6g} "
            f"({int((over_v > tol).sum())} period(s) over)"
        )
    worst = max(sum_res, neg, over)
    run.numbers["max_violation"] = worst
    if problems:
        run.add("feasibility", "fail", "; ".join(problems) + f" (tolerance {tol:.3g} shares).")
        return False
    run.add("feasibility", "pass", f"max violation {worst:.3g} shares <= {tol:.3g}.")
    return True


def _objective_step(
    run: _Run,
    problem: ExecutionProblem | Basket,
    xb: FloatArray,
    tol: Tolerances | BasketTolerances,
    feasible: bool,
    rtol: float,
) -> None:
    """The objective gap to the certified optimum, at the schedule moved onto its bounds."""
    inst = run.inst
    opt = inst.optimum
    assert opt is not None
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        obj = problem.objective(xb)
    gap = obj - opt
    rel = gap / abs(opt) if opt != 0 else None
    bps = 1e4 * gap / inst.notional if inst.notional > 0 else None
    run.numbers.update(objective=obj, gap=gap, rel_gap=rel, gap_bps=bps)
    gap_txt = (
        f"gap {gap:,.6g} dollars"
        + (f", {rel:.3g} relative" if rel is not None else "")
        + (f", {bps:.3g} bp of notional" if bps is not None else "")
    )
    if not feasible:
        run.add("objective", "n/a", f"not compared (schedule infeasible); {gap_txt}.")
    elif not math.isfinite(obj):
        run.add("objective", "fail", f"not finite ({obj}).")
    elif gap > tol.objective:
        run.add(
            "objective",
            "fail",
            f"{obj:,.10g} dollars exceeds the certified optimum {opt:,.10g} by more than "
            f"rtol = {rtol:g} ({gap_txt}; tolerance {tol.objective:.3g} dollars).",
        )
    else:
        note = (
            " (below the certified optimum, within the feasibility tolerance)"
            if gap < -tol.objective
            else ""
        )
        run.add("objective", "pass", f"{gap_txt}{note}.")


def _schedule_step(run: _Run, xb: FloatArray, tol: Tolerances, feasible: bool) -> None:
    """Where the optimum is unique: the schedule itself against the stored optimum."""
    xs = run.inst.schedule
    if tol.schedule is None or xs is None:
        run.add(
            "schedule",
            "n/a",
            "the optimum is not unique (linear pieces, ties or free periods): schedules are not "
            "compared; the KKT check with the stored multiplier applies.",
        )
        return
    diff = np.abs(xb - xs)
    t = int(np.argmax(diff))
    err = float(diff[t])
    run.numbers["schedule_error"] = err
    S = run.inst.shares
    rel = f" ({err / S:.3g} of S)" if S > 0 else ""
    if not feasible:
        run.add("schedule", "n/a", f"not compared (schedule infeasible); max |x - x*| {err:.6g}.")
    elif err > tol.schedule:
        run.add(
            "schedule",
            "fail",
            f"period {t} trades {xb[t]:,.10g} shares, the unique optimum {xs[t]:,.10g}: off by "
            f"{err:.6g} shares{rel}, tolerance {tol.schedule:.3g} shares.",
        )
    else:
        run.add("schedule", "pass", f"max |x - x*| {err:.3g} shares{rel} <= {tol.schedule:.3g}.")


def _kkt_step(
    run: _Run, problem: ExecutionProblem, xb: FloatArray, tol: Tolerances, feasible: bool
) -> None:
    """The KKT conditions with the stored multiplier, in shares misallocated."""
    lam = run.inst.lam
    if lam is None or not problem.is_convex:
        run.add("kkt", "n/a", "no stored multiplier.")
        return
    if not feasible:
        run.add("kkt", "n/a", "not checked (schedule infeasible).")
        return
    mu = float(run.inst.data["optimum"].get("var_multiplier") or 0.0)
    mis, t = rules.misallocation(problem, xb, lam, tol.price, var_multiplier=mu)
    run.numbers["misallocation"] = mis
    if mis > tol.kkt:
        run.add(
            "kkt",
            "fail",
            f"period {t} trades {xb[t]:,.10g} shares, {mis:.6g} shares away from what minimises "
            f"its cost at the optimal marginal price lam* = {lam:.10g} $/share (within "
            f"{tol.price:.3g} $/share): shares bought above, or left unbought below, the "
            f"marginal price of the optimum (tolerance {tol.kkt:.3g} shares).",
        )
    else:
        run.add(
            "kkt", "pass", f"misallocation {mis:.3g} shares <= {tol.kkt:.3g} at lam* {lam:.6g}."
        )


def _certificate_step(run: _Run, problem: ExecutionProblem, xb: FloatArray) -> None:
    """The certificate's own residuals (information: they explain a failure)."""
    try:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            cert = certify(problem, xb, optimum=run.inst.optimum)
    except InputError as exc:  # a schedule beating the stored optimum: said, not hidden
        run.add("certificate", "info", f"not computed ({exc})")
        return
    run.numbers.update(
        lam=_f(cert.lam),
        stationarity=_f(cert.stationarity),
        complementarity=_f(cert.complementarity),
        bound_gap=_f(cert.bound_gap),
    )
    run.add(
        "certificate",
        "info",
        f"lam {cert.lam:.6g}, stationarity {cert.stationarity:.3g}, complementarity "
        f"{cert.complementarity:.3g} dollars, bound gap {cert.bound_gap:.3g} dollars.",
    )


def basket_instance_tolerances(
    inst: Instance, *, rtol: float = DEFAULT_RTOL, feas_rtol: float = FEAS_RTOL
) -> BasketTolerances:
    """The resolved tolerances of a feasible basket instance (:func:`.checks.basket_tolerances`)."""
    opt = inst.data["optimum"]
    unique = bool(opt.get("unique"))
    return rules.basket_tolerances(
        shares=inst.leg_shares,
        prices=inst.leg_prices,
        optimum=float(opt["objective"]),
        lam=np.asarray(opt["lam"], dtype=np.float64),
        pair_curvature=opt.get("pair_curvature") if unique else None,
        hessian_bound=opt.get("hessian_bound") if unique else None,
        band=inst.data.get("neutrality_band"),
        var_limit=inst.data.get("var_limit"),
        rtol=rtol,
        feas_rtol=feas_rtol,
    )


def instance_tolerances(
    inst: Instance, *, rtol: float = DEFAULT_RTOL, feas_rtol: float = FEAS_RTOL
) -> Tolerances:
    """The resolved tolerances of a feasible instance (:func:`.checks.tolerances`)."""
    opt = inst.data["optimum"]
    return rules.tolerances(
        shares=inst.shares,
        price=inst.price,
        optimum=float(opt["objective"]),
        lam=inst.lam,
        pair_curvature=opt.get("pair_curvature") if opt.get("unique") else None,
        hessian_bound=opt.get("hessian_bound"),
        rtol=rtol,
        feas_rtol=feas_rtol,
    )


def evaluate(
    inst: Instance,
    outcome: Outcome,
    x: Any = None,
    *,
    rtol: float = DEFAULT_RTOL,
    feas_rtol: float = FEAS_RTOL,
    detail: str = "",
    seconds: float | None = None,
    timeout: float | None = None,
    source: str = "",
    only_present: bool = False,
) -> InstanceResult:
    """Check one instance's outcome: a schedule, a missing one, an infeasibility claim, an error.

    The steps, in order (each adds its check; a step that fails stops those that need it):
    time, presence, format, feasibility, objective, schedule, kkt, certificate.

    Parameters
    ----------
    inst : Instance
    outcome : {"schedule", "missing", "infeasible", "unreadable", "error", "timeout"}
    x : array_like, optional
        The schedule when ``outcome == "schedule"``.
    rtol, feas_rtol : float
        Objective and feasibility tolerances (see the module docstring).
    detail : str
        The reason for ``unreadable``/``error`` (the format error, the exception).
    seconds, timeout : float, optional
        Wall time of the call and the limit (callables).
    source : str
        Where the schedule came from (for the report).
    only_present : bool
        A missing schedule is *not attempted* rather than a failure.
    """
    run = _Run(inst, source)
    if _time_step(run, outcome, seconds, timeout):
        return run.result(seconds)
    if inst.infeasible:
        _infeasible_step(run, outcome, detail, only_present)
        return run.result(seconds)
    if not _presence_step(run, outcome, detail, only_present):
        return run.result(seconds)
    if isinstance(inst.problem, Basket):
        _evaluate_basket(run, inst.problem, x, rtol, feas_rtol, f" ({source})" if source else "")
        return run.result(seconds)
    problem = inst.problem
    assert problem is not None
    arr = _format_step(run, x, problem.periods, f" ({source})" if source else "")
    if arr is None:
        return run.result(seconds)
    tol = instance_tolerances(inst, rtol=rtol, feas_rtol=feas_rtol)
    run.numbers["tolerances"] = tol.as_dict()
    feasible = _feasibility_step(run, problem, arr, tol.feasibility)
    # one tolerance decides feasibility and cost: entries within it of a bound sit on the bound
    xb = rules.clip_within(problem, arr, tol.feasibility)
    _objective_step(run, problem, xb, tol, feasible, rtol)
    _schedule_step(run, xb, tol, feasible)
    _kkt_step(run, problem, xb, tol, feasible)
    _certificate_step(run, problem, xb)
    return run.result(seconds)


# ----------------------------------------------------------------------------- baskets
def _basket_format_step(run: _Run, x: Any, M: int, N: int, src: str) -> FloatArray | None:
    """A numeric, finite ``(M, N)`` array: one row per leg."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        run.add("format", "fail", f"the schedule{src} is not numeric ({exc}).")
        return None
    if arr.shape != (M, N):
        run.add(
            "format",
            "fail",
            f"shape {arr.shape}, expected (M, N) = ({M}, {N}): one row per leg, one column per "
            f"period (a schedule file has the header leg_0,...,leg_{M - 1} and N rows){src}.",
        )
        return None
    if not np.all(np.isfinite(arr)):
        i, t = (int(v) for v in np.argwhere(~np.isfinite(arr))[0])
        run.add("format", "fail", f"NaN or inf in leg {i}, period {t}{src}.")
        return None
    run.add("format", "pass", f"{M} legs x {N} finite values.")
    return arr


def _leg(basket: Basket, i: int) -> str:
    return f"leg {i} ({basket.labels[i]})"


def _basket_feasibility_step(
    run: _Run, basket: Basket, X: FloatArray, tol: BasketTolerances
) -> bool:
    """Every leg's sum, signs and caps within its own ``tau_feas,i``; the band and the VaR
    limit within their dollar tolerances. True when feasible.
    """
    S, U = basket.S, basket.upper
    sums = X.sum(axis=1)
    res = np.abs(sums - S)
    neg = np.maximum(0.0, -X.min(axis=1))
    over = np.maximum(0.0, (X - U).max(axis=1))
    worst = np.maximum(np.maximum(res, neg), over)
    run.numbers["max_violation"] = float(worst.max())
    tf = tol.feasibility
    problems = []
    for i in np.flatnonzero(res > tf):
        problems.append(
            f"{_leg(basket, int(i))} sums to {sums[i]:,.10g}, not S = {S[i]:,.10g} (off by "
            f"{sums[i] - S[i]:,.6g} shares; tolerance {tf[i]:.3g})"
        )
    for i in np.flatnonzero(neg > tf):
        t = int(np.argmin(X[i]))
        problems.append(
            f"{_leg(basket, int(i))} trades {X[i, t]:.6g} shares in period {t}: against its "
            f"direction (tolerance {tf[i]:.3g})"
        )
    for i in np.flatnonzero(over > tf):
        t = int(np.argmax(X[i] - U[i]))
        problems.append(
            f"{_leg(basket, int(i))} trades {X[i, t]:,.6g} shares in period {t}, over its cap "
            f"{U[i, t]:,.6g} (tolerance {tf[i]:.3g})"
        )
    if basket.neutrality_band is not None and tol.band is not None:
        imb = basket.dollar_imbalance(X)
        t = int(np.argmax(np.abs(imb)))
        excess = abs(float(imb[t])) - basket.neutrality_band
        if excess > tol.band:
            problems.append(
                f"the dollar imbalance after period {t} is ${imb[t]:,.2f}, outside the "
                f"neutrality band of +-${basket.neutrality_band:,.2f} by ${excess:,.4g} "
                f"(tolerance ${tol.band:.3g})"
            )
    if basket.var_limit is not None and tol.var is not None:
        excess = basket.value_at_risk(X) - basket.var_limit
        if excess > tol.var:
            problems.append(
                f"the value at risk ${basket.value_at_risk(X):,.2f} exceeds the limit "
                f"${basket.var_limit:,.2f} by ${excess:,.4g} (tolerance ${tol.var:.3g})"
            )
    if problems:
        run.add("feasibility", "fail", "; ".join(problems) + ".")
        return False
    run.add(
        "feasibility",
        "pass",
        f"max violation {worst.max():.3g} shares (every leg within its tolerance"
        + (", band met" if basket.neutrality_band is not None else "")
        + (", VaR limit met" if basket.var_limit is not None else "")
        + ").",
    )
    return True


def _basket_schedule_step(run: _Run, Xb: FloatArray, tol: BasketTolerances, feasible: bool) -> None:
    """Where the optimum is unique: every leg against the stored optimum, within its ``tau_x,i``."""
    Xs = run.inst.schedule
    basket = run.inst.problem
    assert isinstance(basket, Basket) and Xs is not None
    if tol.schedule is None:
        run.add("schedule", "n/a", "the optimum is not unique: schedules are not compared.")
        return
    diff = np.abs(Xb - Xs)
    run.numbers["schedule_error"] = float(diff.max())
    tx = np.where(np.isfinite(tol.schedule), tol.schedule, np.inf)
    ratio = diff.max(axis=1) / tx
    i = int(np.argmax(ratio))
    t = int(np.argmax(diff[i]))
    if not feasible:
        run.add(
            "schedule", "n/a", f"not compared (schedule infeasible); max |x - x*| {diff.max():.6g}."
        )
    elif ratio[i] > 1.0:
        rel = f" ({diff[i, t] / basket.S[i]:.3g} of S_i)" if basket.S[i] > 0 else ""
        run.add(
            "schedule",
            "fail",
            f"{_leg(basket, i)} trades {Xb[i, t]:,.10g} shares in period {t}, the unique optimum "
            f"{Xs[i, t]:,.10g}: off by {diff[i, t]:.6g} shares{rel}, tolerance {tx[i]:.3g} shares.",
        )
    else:
        run.add(
            "schedule",
            "pass",
            f"every leg within its tolerance (worst {_leg(basket, i)}: {diff[i].max():.3g} <= "
            f"{tx[i]:.3g} shares).",
        )


def _basket_kkt_step(
    run: _Run, basket: Basket, Xb: FloatArray, tol: BasketTolerances, feasible: bool
) -> None:
    """Every leg's KKT conditions with the stored ``lam_i``, band multipliers and VaR multiplier."""
    opt = run.inst.data["optimum"]
    if not feasible:
        run.add("kkt", "n/a", "not checked (schedule infeasible).")
        return
    lam = np.asarray(opt["lam"], dtype=np.float64)
    nu = None if opt.get("nu") is None else np.asarray(opt["nu"], dtype=np.float64)
    mu = float(opt.get("var_multiplier") or 0.0)
    mis = rules.basket_misallocation(basket, Xb, lam, tol.price, nu=nu, var_multiplier=mu)
    run.numbers["misallocation"] = float(mis[:, 0].max())
    ratio = mis[:, 0] / tol.kkt
    i = int(np.argmax(ratio))
    t = int(mis[i, 1])
    if ratio[i] > 1.0:
        run.add(
            "kkt",
            "fail",
            f"{_leg(basket, i)} period {t} trades {Xb[i, t]:,.10g} shares, {mis[i, 0]:.6g} shares "
            f"away from what minimises its cost at the leg's optimal marginal price lam*_{i} = "
            f"{lam[i]:.10g} $/share (band and VaR multipliers included; within {tol.price[i]:.3g} "
            f"$/share): shares bought above, or left unbought below, the marginal price of the "
            f"optimum (tolerance {tol.kkt[i]:.3g} shares).",
        )
    else:
        run.add(
            "kkt",
            "pass",
            f"every leg within its tolerance (worst {_leg(basket, i)}: {mis[i, 0]:.3g} <= "
            f"{tol.kkt[i]:.3g} shares).",
        )


def _basket_certificate_step(run: _Run, basket: Basket, Xb: FloatArray) -> None:
    """The basket certificate's own bound (information)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        cert = certify_basket(basket, Xb, compute_optimum=False)
    run.numbers.update(stationarity=_f(cert.stationarity), bound_gap=_f(cert.bound_gap))
    run.add(
        "certificate",
        "info",
        f"stationarity {cert.stationarity:.3g}, bound gap {cert.bound_gap:.3g} dollars "
        f"({cert.bound_method}).",
    )


def _evaluate_basket(
    run: _Run, basket: Basket, x: Any, rtol: float, feas_rtol: float, src: str
) -> None:
    """The checks of a basket instance (module docstring), after presence."""
    arr = _basket_format_step(run, x, basket.M, basket.N, src)
    if arr is None:
        return
    tol = basket_instance_tolerances(run.inst, rtol=rtol, feas_rtol=feas_rtol)
    run.numbers["tolerances"] = tol.as_dict()
    feasible = _basket_feasibility_step(run, basket, arr, tol)
    Xb = rules.basket_clip_within(basket, arr, tol.feasibility)
    _objective_step(run, basket, Xb, tol, feasible, rtol)
    _basket_schedule_step(run, Xb, tol, feasible)
    _basket_kkt_step(run, basket, Xb, tol, feasible)
    _basket_certificate_step(run, basket, Xb)


# ----------------------------------------------------------------------------- front ends
def select_families(insts: Sequence[Instance], families: Sequence[str] | None) -> list[Instance]:
    """The instances of the given families (all when None).

    Raises
    ------
    InputError
        Naming any family that is not one of the suite's (:data:`~.catalogue.FAMILIES`).
    """
    if families is None:
        return list(insts)
    wanted = [f.strip() for f in families if f.strip()]
    unknown = sorted(set(wanted) - set(FAMILIES))
    if unknown or not wanted:
        raise InputError(
            f"unknown famil{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown) or '(none)'}: "
            f"choose among {', '.join(FAMILIES)} (comma-separated)."
        )
    return [i for i in insts if i.family in set(wanted)]


def _suite(
    suite: Path | Sequence[Instance] | None,
    ids: Sequence[str] | None,
    families: Sequence[str] | None = None,
) -> tuple[list[Instance], str]:
    if suite is None or isinstance(suite, (str, Path)):
        insts = load_suite(
            None if suite is None else Path(suite), ids=None if ids is None else list(ids)
        )
        where = str(insts[0].path.parent) if insts else str(suite)
        return select_families(insts, families), where
    insts = list(suite)
    if ids is not None:
        wanted = set(ids)
        insts = [i for i in insts if i.id in wanted]
    return select_families(insts, families), str(insts[0].path.parent) if insts else ""


def validate_schedules(
    schedules: Path,
    suite: Path | Sequence[Instance] | None = None,
    *,
    rtol: float = DEFAULT_RTOL,
    feas_rtol: float = FEAS_RTOL,
    ids: Sequence[str] | None = None,
    only_present: bool = False,
    families: Sequence[str] | None = None,
) -> ValidationResult:
    """Validate a folder of schedule files ``<id>.csv`` against the suite.

    Parameters
    ----------
    schedules : Path
        Folder with one CSV per instance (see :func:`read_schedule_csv`).
    suite : Path or sequence of Instance, optional
        A suite folder (``execopt suite export``) or loaded instances; default the packaged one.
    rtol, feas_rtol : float
        Objective and feasibility tolerances.
    ids : sequence of str, optional
        Validate only these instances.
    only_present : bool
        A missing ``<id>.csv`` is *not attempted* (reported in the coverage) rather than a
        failure; the validation passes when every attempted instance passes.
    families : sequence of str, optional
        Only instances of these families (``quadratic``, ``power``, ``piecewise``,
        ``mean-variance``, ``transient``, ``basket``).

    Raises
    ------
    InputError
        If ``schedules`` is not a folder, or a family is unknown.
    DataError
        If the suite does not match its manifest.
    """
    t0 = perf_counter()
    schedules = Path(schedules)
    if not schedules.is_dir():
        raise InputError(
            f"schedules folder {schedules} does not exist: give the folder holding one <id>.csv "
            "per suite instance."
        )
    insts, where = _suite(suite, ids, families)
    common: dict[str, Any] = {"rtol": rtol, "feas_rtol": feas_rtol, "only_present": only_present}
    results = []
    for inst in insts:
        path = schedules / f"{inst.id}.csv"
        if not path.is_file():
            results.append(
                evaluate(inst, "missing", detail=f"no file {path.name}", source=str(path), **common)
            )
            continue
        try:
            sf = read_schedule_csv(path)
        except ScheduleFormatError as exc:
            results.append(
                evaluate(inst, "unreadable", detail=str(exc), source=str(path), **common)
            )
            continue
        outcome: Outcome = "infeasible" if sf.infeasible else "schedule"
        results.append(evaluate(inst, outcome, sf.shares, source=str(path), **common))
    known = {f"{i.id}.csv" for i in insts}
    unexpected = (
        tuple(sorted(p.name for p in schedules.glob("*.csv") if p.name not in known))
        if ids is None and families is None
        else ()
    )
    return ValidationResult(
        instances=tuple(results),
        suite=where,
        source=str(schedules),
        rtol=rtol,
        feas_rtol=feas_rtol,
        unexpected=unexpected,
        seconds=perf_counter() - t0,
        only_present=only_present,
        families=None if families is None else tuple(families),
    )


def as_problem(arg: ExecutionProblem | Basket | Mapping[str, Any]) -> ExecutionProblem | Basket:
    """The problem a validated callable receives, as an :class:`~execopt.ExecutionProblem` (a
    :class:`~execopt.Basket` for a basket instance).

    :func:`validate_callable` passes instances marked infeasible as their dictionary (neither
    can be built for them); this turns either form into a problem.

    Raises
    ------
    InfeasibleError
        For an infeasible instance's dictionary.
    """
    if isinstance(arg, (ExecutionProblem, Basket)):
        return arg
    if is_basket(arg):
        return basket_from_instance(arg)
    return problem_from_instance(arg)


class _Timeout(BaseException):
    """Raised by SIGALRM inside a timed call (a BaseException, so ``except Exception`` in the
    callable does not swallow it).
    """


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Interrupt the block after ``seconds`` with SIGALRM (main thread on POSIX only)."""
    usable = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise _Timeout

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))  # type: ignore[arg-type]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, old)


def validate_callable(
    f: Callable[[Any], Any],
    suite: Path | Sequence[Instance] | None = None,
    rtol: float = DEFAULT_RTOL,
    timeout: float | None = None,
    *,
    feas_rtol: float = FEAS_RTOL,
    ids: Sequence[str] | None = None,
    name: str | None = None,
    capture_warnings: bool = True,
    progress: Callable[[InstanceResult], None] | None = None,
    only_present: bool = False,
    families: Sequence[str] | None = None,
) -> ValidationResult:
    """Validate a Python solver ``f(problem) -> schedule`` on the suite, timing each call.

    Parameters
    ----------
    f : callable
        Called once per instance with its :class:`~execopt.ExecutionProblem` (a
        :class:`~execopt.Basket` for a basket instance); for instances marked infeasible (which
        neither accepts) with the instance's dictionary instead; :func:`as_problem` turns either
        into a problem (raising :class:`~execopt.errors.InfeasibleError` for the latter). ``f``
        returns the schedule (array-like of length N, or (M, N) for a basket, or anything with a
        ``.schedule``, e.g. a :class:`~execopt.Solution`), or None / raises InfeasibleError when
        it finds no schedule.
        Any other exception fails the instance with its message.
    suite : Path or sequence of Instance, optional
        Default: the packaged suite.
    rtol : float
        Relative objective gap allowed.
    timeout : float, optional
        Seconds per call. Where possible (POSIX, main thread) the call is interrupted with
        SIGALRM; code inside a C extension is interrupted when it returns to Python. A call that
        returns after the limit fails the ``time`` check either way.
    feas_rtol : float
        Feasibility tolerance relative to ``max(S, 1)`` shares.
    ids : sequence of str, optional
        Only these instances.
    name : str, optional
        How to name ``f`` in the report (default its ``__name__``).
    capture_warnings : bool
        Record warnings ``f`` emits (e.g. ConvergenceWarning) instead of letting them propagate;
        they are counted in ``result.meta["warnings"]``.
    progress : callable, optional
        Called with each instance's result as soon as it is checked (e.g. to print progress).
    only_present : bool
        A None return for a feasible instance is *not attempted* rather than a failure (a
        solver that does not take a problem class returns None for it).
    families : sequence of str, optional
        Only instances of these families.

    Examples
    --------
    >>> import execopt as eo
    >>> from execopt.studies.suite import as_problem, validate_callable
    >>> res = validate_callable(lambda p: eo.solve(as_problem(p)), ids=["q-frog-n10", "inf-n1"])
    >>> res.passed
    True
    """
    t_all = perf_counter()
    insts, where = _suite(suite, ids, families)
    results = []
    n_warn = 0
    label = name or getattr(f, "__name__", type(f).__name__)
    for inst in insts:
        arg: Any = inst.data if inst.infeasible else inst.problem
        out: Any = None
        outcome: Outcome = "schedule"
        detail = ""
        t0 = perf_counter()
        try:
            with warnings.catch_warnings(record=capture_warnings) as caught, _time_limit(timeout):
                if capture_warnings:
                    warnings.simplefilter("always")
                out = f(arg)
            if caught:
                n_warn += len(caught)
        except _Timeout:
            outcome = "timeout"
        except InfeasibleError:
            outcome = "infeasible"
        except Exception as exc:
            outcome, detail = "error", f"{type(exc).__name__}: {exc}"
        seconds = perf_counter() - t0
        if outcome == "schedule":
            if out is None:
                outcome, detail = "missing", "the callable returned None"
            else:
                out = getattr(out, "schedule", out)
        results.append(
            evaluate(
                inst,
                outcome,
                out,
                rtol=rtol,
                feas_rtol=feas_rtol,
                detail=detail,
                seconds=seconds,
                timeout=timeout,
                source=f"callable {label}",
                only_present=only_present,
            )
        )
        if progress is not None:
            progress(results[-1])
    return ValidationResult(
        instances=tuple(results),
        suite=where,
        source=f"callable {label}",
        rtol=rtol,
        feas_rtol=feas_rtol,
        seconds=perf_counter() - t_all,
        meta={"warnings": n_warn} if capture_warnings else {},
        only_present=only_present,
        families=None if families is None else tuple(families),
    )
