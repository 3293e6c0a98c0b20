"""Validate a production solver against the reference suite: schedule files or a Python callable.

Each instance gets a list of checks, each ``pass``, ``fail``, ``n/a`` or ``info``:

``presence``
    a schedule exists (``<id>.csv``, or a callable's return value). For an instance marked
    infeasible the *absence* of a schedule is correct: no file, a file whose first line contains
    ``infeasible``, a callable raising :class:`~execopt.errors.InfeasibleError` or returning None;
    any schedule fails (check ``infeasibility``).
``format``
    the file reads: a ``shares`` header (or ``period,shares``), ``N`` numeric, finite rows; a
    failure names the file and the line.
``feasibility``
    ``|sum x - S|``, negative entries and cap excesses (piecewise books: the visible depth) are
    within ``feas_rtol * max(S, 1)`` shares (default :data:`FEAS_RTOL`, the certificate's own).
``objective``
    the objective is within ``rtol`` of the certified optimum:
    ``f(x) - f* <= rtol |f*| + GAP_ATOL_NOTIONAL * price * max(S, 1)``; the gap is reported in
    dollars, relative, and in basis points of the notional ``S * price``.
``kkt``
    (``info``) the KKT residuals of :func:`execopt.certify`: the multiplier ``lam`` that best
    explains the schedule, stationarity, complementarity and the certified bound gap. They explain
    a failure; the verdict rests on presence, format, feasibility and the objective gap.
``time``
    (callables only) the call returned within ``timeout`` seconds.

An instance passes when none of its checks fails; the suite passes when every instance does.
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
from execopt.problem.certificate import FEAS_ATOL_REL, certify
from execopt.problem.execution_problem import ExecutionProblem
from execopt.problem.schedule_file import (
    ScheduleFile,
    ScheduleFormatError,
    read_schedule_csv,
    write_schedule_csv,
)
from execopt.studies.suite.format import Instance, load_suite, problem_from_instance

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "DEFAULT_RTOL",
    "FEAS_RTOL",
    "GAP_ATOL_NOTIONAL",
    "Check",
    "InstanceResult",
    "ScheduleFile",
    "ScheduleFormatError",
    "ValidationResult",
    "as_problem",
    "evaluate",
    "read_schedule_csv",
    "validate_callable",
    "validate_schedules",
    "write_schedule_csv",
]

FloatArray = NDArray[np.float64]
Status = Literal["pass", "fail", "n/a", "info"]

#: Default relative objective gap a schedule may leave to the certified optimum.
DEFAULT_RTOL = 1e-6
#: Default feasibility tolerance, relative to ``max(S, 1)`` shares (the certificate's).
FEAS_RTOL = FEAS_ATOL_REL
#: Absolute part of the objective tolerance, as a fraction of ``price * max(S, 1)`` dollars
#: (1e-10 of the notional, 1e-6 bp): it only matters when the optimum is (near) zero.
GAP_ATOL_NOTIONAL = 1e-10
#: The check names, in report order.
CHECKS = ("presence", "format", "feasibility", "objective", "kkt", "time")


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


@dataclass(frozen=True)
class InstanceResult:
    """The checks of one instance and the numbers behind them.

    Attributes
    ----------
    id, family : str
    periods : int
    infeasible : bool
        The instance is marked infeasible.
    checks : tuple of Check
    objective, optimum, gap : float or None
        Dollars (``gap = objective - optimum``).
    rel_gap : float or None
        ``gap / |optimum|``.
    gap_bps : float or None
        ``gap`` in basis points of the notional ``S * price``.
    max_violation : float or None
        Largest primal violation, shares.
    lam, stationarity, complementarity, bound_gap : float or None
        From :func:`execopt.certify`.
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
    objective: float | None = None
    optimum: float | None = None
    gap: float | None = None
    rel_gap: float | None = None
    gap_bps: float | None = None
    max_violation: float | None = None
    lam: float | None = None
    stationarity: float | None = None
    complementarity: float | None = None
    bound_gap: float | None = None
    seconds: float | None = None
    source: str = ""

    @property
    def passed(self) -> bool:
        """True when no check failed."""
        return all(c.status != "fail" for c in self.checks)

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "fail"

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    def check(self, name: str) -> Check | None:
        """The check called ``name`` (None if it was not run)."""
        return next((c for c in self.checks if c.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "periods": self.periods,
            "infeasible": self.infeasible,
            "verdict": self.verdict,
            "checks": [c.as_dict() for c in self.checks],
            "objective": _f(self.objective),
            "optimum": _f(self.optimum),
            "gap": _f(self.gap),
            "rel_gap": _f(self.rel_gap),
            "gap_bps": _f(self.gap_bps),
            "max_violation": _f(self.max_violation),
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
        In suite order.
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
    """

    instances: tuple[InstanceResult, ...]
    suite: str
    source: str
    rtol: float
    feas_rtol: float
    unexpected: tuple[str, ...] = ()
    seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every instance passed."""
        return all(r.passed for r in self.instances)

    @property
    def n_passed(self) -> int:
        return sum(r.passed for r in self.instances)

    @property
    def n_failed(self) -> int:
        return len(self.instances) - self.n_passed

    def failures(self) -> list[InstanceResult]:
        return [r for r in self.instances if not r.passed]

    def __getitem__(self, iid: str) -> InstanceResult:
        for r in self.instances:
            if r.id == iid:
                return r
        raise KeyError(iid)

    def summary(self) -> dict[str, Any]:
        """Counts overall and per family, and the worst gaps (JSON-ready)."""
        fam: dict[str, dict[str, Any]] = {}
        for r in self.instances:
            d = fam.setdefault(r.family, {"instances": 0, "passed": 0, "failed": 0})
            d["instances"] += 1
            d["passed" if r.passed else "failed"] += 1
        gaps = [r.rel_gap for r in self.instances if r.rel_gap is not None]
        bps = [r.gap_bps for r in self.instances if r.gap_bps is not None]
        return {
            "passed": self.passed,
            "instances": len(self.instances),
            "n_passed": self.n_passed,
            "n_failed": self.n_failed,
            "worst_rel_gap": max(gaps) if gaps else None,
            "worst_gap_bps": max(bps) if bps else None,
            "by_family": fam,
            "rtol": self.rtol,
            "feas_rtol": self.feas_rtol,
            "seconds": self.seconds,
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: summary, settings and every instance's checks."""
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
                "periods": r.periods,
                "infeasible": r.infeasible,
                "verdict": r.verdict,
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
                stationarity=r.stationarity,
                seconds=r.seconds,
                failures="; ".join(c.message for c in r.failures),
            )
            rows.append(row)
        return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- checks
_Outcome = Literal["schedule", "missing", "infeasible", "unreadable", "error", "timeout"]


def _feasibility(
    iid: str, problem: ExecutionProblem, x: FloatArray, feas_rtol: float
) -> tuple[Check, float]:
    S, u = problem.shares, problem.upper
    tol = feas_rtol * max(S, 1.0)
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
    if problems:
        return (
            Check(
                "feasibility",
                "fail",
                f"{iid}: feasibility: " + "; ".join(problems) + f" (tolerance {tol:.3g} shares).",
            ),
            worst,
        )
    return Check(
        "feasibility", "pass", f"{iid}: feasibility: max violation {worst:.3g} shares <= {tol:.3g}."
    ), worst


def evaluate(
    inst: Instance,
    outcome: _Outcome,
    x: Any = None,
    *,
    rtol: float = DEFAULT_RTOL,
    feas_rtol: float = FEAS_RTOL,
    detail: str = "",
    seconds: float | None = None,
    timeout: float | None = None,
    source: str = "",
) -> InstanceResult:
    """Check one instance's outcome: a schedule, a missing one, an infeasibility claim, an error.

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
    """
    iid = inst.id
    src = f" ({source})" if source else ""
    base: dict[str, Any] = {
        "id": iid,
        "family": inst.family,
        "periods": inst.periods,
        "infeasible": inst.infeasible,
        "optimum": inst.optimum,
        "seconds": seconds,
        "source": source,
    }
    checks: list[Check] = []
    if timeout is not None and seconds is not None:
        if outcome == "timeout" or seconds > timeout:
            checks.append(
                Check("time", "fail", f"{iid}: time: took {seconds:.3g} s, limit {timeout:g} s.")
            )
            if outcome == "timeout":
                return InstanceResult(checks=tuple(checks), **base)
        else:
            checks.append(Check("time", "pass", f"{iid}: time: {seconds:.3g} s <= {timeout:g} s."))

    if inst.infeasible:
        if outcome in ("missing", "infeasible"):
            how = "reported infeasible" if outcome == "infeasible" else "no schedule"
            checks.append(
                Check(
                    "presence",
                    "pass",
                    f"{iid}: presence: {how}, as expected for an infeasible instance.",
                )
            )
        elif outcome == "schedule":
            checks.append(
                Check(
                    "presence",
                    "fail",
                    f"{iid}: presence: a schedule was produced for an instance with no feasible "
                    "schedule (S exceeds what the caps or the visible depth allow); the solver "
                    "should report it infeasible ('infeasible' on the first line of the CSV, or no file).",
                )
            )
        else:
            name = "format" if outcome == "unreadable" else "presence"
            checks.append(Check(name, "fail", f"{iid}: {name}: {detail}"))
        return InstanceResult(checks=tuple(checks), **base)

    problem = inst.problem
    assert problem is not None
    if outcome == "missing":
        checks.append(
            Check("presence", "fail", f"{iid}: presence: no schedule ({detail or 'missing'}).")
        )
        return InstanceResult(checks=tuple(checks), **base)
    if outcome == "infeasible":
        checks.append(
            Check(
                "presence",
                "fail",
                f"{iid}: presence: the solver reported the instance infeasible, but it is feasible "
                f"(certified optimum {inst.optimum:,.6g} dollars).",
            )
        )
        return InstanceResult(checks=tuple(checks), **base)
    if outcome == "error":
        checks.append(Check("presence", "fail", f"{iid}: presence: the solver failed: {detail}"))
        return InstanceResult(checks=tuple(checks), **base)
    checks.append(Check("presence", "pass", f"{iid}: presence: schedule found."))
    if outcome == "unreadable":
        checks.append(Check("format", "fail", f"{iid}: format: {detail}"))
        return InstanceResult(checks=tuple(checks), **base)

    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        checks.append(
            Check("format", "fail", f"{iid}: format{src}: the schedule is not numeric ({exc}).")
        )
        return InstanceResult(checks=tuple(checks), **base)
    arr = arr.reshape(-1) if arr.ndim == 2 and 1 in arr.shape else arr
    N = problem.periods
    if arr.ndim != 1 or arr.shape[0] != N:
        got = f"{arr.shape[0]} rows" if arr.ndim == 1 else f"shape {arr.shape}"
        checks.append(
            Check(
                "format", "fail", f"{iid}: format{src}: {got}, expected N = {N} (one per period)."
            )
        )
        return InstanceResult(checks=tuple(checks), **base)
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr))[:5].tolist()
        checks.append(
            Check("format", "fail", f"{iid}: format{src}: NaN or inf in period(s) {bad}.")
        )
        return InstanceResult(checks=tuple(checks), **base)
    checks.append(Check("format", "pass", f"{iid}: format: {N} finite values."))

    feas, worst = _feasibility(iid, problem, arr, feas_rtol)
    checks.append(feas)
    opt = inst.optimum
    assert opt is not None
    # any schedule from anywhere: a book walk past its depth costs inf, a power law's marginal at
    # 0 may be inf; the certificate reports those values, NumPy need not warn about them
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        cert = certify(problem, arr, optimum=opt)
    obj = cert.objective
    gap = obj - opt
    rel = gap / abs(opt) if opt != 0 else None
    bps = 1e4 * gap / inst.notional if inst.notional > 0 else None
    tol = rtol * abs(opt) + GAP_ATOL_NOTIONAL * inst.price * max(inst.shares, 1.0)
    gap_txt = (
        f"gap {gap:,.6g} dollars"
        + (f", {rel:.3g} relative" if rel is not None else "")
        + (f", {bps:.3g} bp of notional" if bps is not None else "")
    )
    if feas.status == "fail":
        checks.append(
            Check(
                "objective",
                "n/a",
                f"{iid}: objective: not compared (schedule infeasible); {gap_txt}.",
            )
        )
    elif not math.isfinite(obj):
        checks.append(Check("objective", "fail", f"{iid}: objective: not finite ({obj})."))
    elif gap > tol:
        checks.append(
            Check(
                "objective",
                "fail",
                f"{iid}: objective: {obj:,.10g} dollars exceeds the certified optimum {opt:,.10g} "
                f"by more than rtol = {rtol:g} ({gap_txt}).",
            )
        )
    else:
        note = (
            " (below the certified optimum, within the feasibility tolerance)" if gap < -tol else ""
        )
        checks.append(Check("objective", "pass", f"{iid}: objective: {gap_txt}{note}."))
    checks.append(
        Check(
            "kkt",
            "info",
            f"{iid}: kkt: lam {cert.lam:.6g}, stationarity {cert.stationarity:.3g}, "
            f"complementarity {cert.complementarity:.3g} dollars, bound gap {cert.bound_gap:.3g} dollars.",
        )
    )
    return InstanceResult(
        checks=tuple(checks),
        objective=obj,
        gap=gap,
        rel_gap=rel,
        gap_bps=bps,
        max_violation=worst,
        lam=_f(cert.lam),
        stationarity=_f(cert.stationarity),
        complementarity=_f(cert.complementarity),
        bound_gap=_f(cert.bound_gap),
        **base,
    )


# ----------------------------------------------------------------------------- front ends
def _suite(
    suite: Path | Sequence[Instance] | None, ids: Sequence[str] | None
) -> tuple[list[Instance], str]:
    if suite is None or isinstance(suite, (str, Path)):
        insts = load_suite(
            None if suite is None else Path(suite), ids=None if ids is None else list(ids)
        )
        where = str(insts[0].path.parent) if insts else str(suite)
        return insts, where
    insts = list(suite)
    if ids is not None:
        wanted = set(ids)
        insts = [i for i in insts if i.id in wanted]
    return insts, str(insts[0].path.parent) if insts else ""


def validate_schedules(
    schedules: Path,
    suite: Path | Sequence[Instance] | None = None,
    *,
    rtol: float = DEFAULT_RTOL,
    feas_rtol: float = FEAS_RTOL,
    ids: Sequence[str] | None = None,
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

    Raises
    ------
    InputError
        If ``schedules`` is not a folder.
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
    insts, where = _suite(suite, ids)
    results = []
    for inst in insts:
        path = schedules / f"{inst.id}.csv"
        if not path.is_file():
            results.append(
                evaluate(
                    inst,
                    "missing",
                    rtol=rtol,
                    feas_rtol=feas_rtol,
                    detail=f"no file {path.name}",
                    source=str(path),
                )
            )
            continue
        try:
            sf = read_schedule_csv(path)
        except ScheduleFormatError as exc:
            results.append(
                evaluate(
                    inst,
                    "unreadable",
                    rtol=rtol,
                    feas_rtol=feas_rtol,
                    detail=str(exc),
                    source=str(path),
                )
            )
            continue
        outcome: _Outcome = "infeasible" if sf.infeasible else "schedule"
        results.append(
            evaluate(inst, outcome, sf.shares, rtol=rtol, feas_rtol=feas_rtol, source=str(path))
        )
    known = {f"{i.id}.csv" for i in insts}
    unexpected = (
        tuple(sorted(p.name for p in schedules.glob("*.csv") if p.name not in known))
        if ids is None
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
    )


def as_problem(arg: ExecutionProblem | Mapping[str, Any]) -> ExecutionProblem:
    """The problem a validated callable receives, as an :class:`~execopt.ExecutionProblem`.

    :func:`validate_callable` passes instances marked infeasible as their dictionary (an
    ExecutionProblem cannot be built for them); this turns either form into a problem.

    Raises
    ------
    InfeasibleError
        For an infeasible instance's dictionary.
    """
    if isinstance(arg, ExecutionProblem):
        return arg
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
) -> ValidationResult:
    """Validate a Python solver ``f(problem) -> schedule`` on the suite, timing each call.

    Parameters
    ----------
    f : callable
        Called once per instance with its :class:`~execopt.ExecutionProblem`; for instances
        marked infeasible (which ExecutionProblem refuses to build) with the instance's
        dictionary instead; :func:`as_problem` turns either into a problem (raising
        :class:`~execopt.errors.InfeasibleError` for the latter). ``f`` returns the schedule
        (array-like of length N, or anything with a ``.schedule``, e.g. a
        :class:`~execopt.Solution`), or None / raises InfeasibleError when it finds no schedule.
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

    Examples
    --------
    >>> import execopt as eo
    >>> from execopt.studies.suite import as_problem, validate_callable
    >>> res = validate_callable(lambda p: eo.solve(as_problem(p)), ids=["q-frog-n10", "inf-n1"])
    >>> res.passed
    True
    """
    t_all = perf_counter()
    insts, where = _suite(suite, ids)
    results = []
    n_warn = 0
    label = name or getattr(f, "__name__", type(f).__name__)
    for inst in insts:
        arg: Any = inst.data if inst.infeasible else inst.problem
        out: Any = None
        outcome: _Outcome = "schedule"
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
    )
