"""The toolkit validates its own methods with the suite: pass rates, worst gaps, median times.

:func:`self_validation_runs` runs every method on every (applicable) feasible instance through
:func:`~execopt.studies.suite.validate.validate_callable` and returns one tidy row per method and
instance; :func:`self_validation` summarises them per method. A method that does not apply to an
instance counts as ``n/a``, not as a failure:

* the method refuses the problem class (``exact`` on mean-variance instances and coupled
  baskets: NotSupportedError; ``osqp`` on power cones: ConvexityError; the single-asset
  baselines ``slsqp`` and ``de`` on baskets: NotSupportedError);
* the instance is beyond the method's size limit: cvxpy back-ends above
  :data:`~execopt.studies.suite.harness.CVXPY_MAX_N` periods, SLSQP above
  :data:`SLSQP_MAX_N`, differential evolution above :data:`DE_MAX_N` (run with a short time limit).

Instances marked infeasible are left out: :class:`~execopt.ExecutionProblem` refuses them before
any method runs, so they say nothing about a method.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from execopt.errors import ConvexityError, NotSupportedError
from execopt.solvers.api import solve
from execopt.studies.suite.format import Instance, load_suite
from execopt.studies.suite.harness import CVXPY_MAX_N
from execopt.studies.suite.validate import (
    DEFAULT_RTOL,
    InstanceResult,
    as_problem,
    validate_callable,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "DE_MAX_N",
    "DE_TIME_LIMIT",
    "FAST_IDS",
    "METHODS",
    "SLSQP_MAX_N",
    "TIMEOUT",
    "self_validation",
    "self_validation_runs",
    "summarize",
]

#: The methods validated by default (every method of :func:`execopt.solve`).
METHODS: tuple[str, ...] = ("exact", "clarabel", "osqp", "scs", "slsqp", "de")
#: SLSQP's dense QP sub-problems grow as N^3: beyond this N it is not run.
SLSQP_MAX_N = 400
#: Differential evolution is run only on instances with at most this many periods ...
DE_MAX_N = 50
#: ... with this wall-clock limit in seconds (full mode; fast mode uses a tenth of it).
DE_TIME_LIMIT = 5.0
#: Wall-clock limit per call in seconds (full mode; fast mode uses a third of it). A baseline that
#: runs longer fails the ``time`` check: SLSQP spent more than 7 minutes on one N = 390 instance
#: with coefficients spread over eight orders of magnitude. Python-level solvers (SLSQP, DE) are
#: interrupted at the limit; a compiled conic solve finishes first and then fails the check.
TIMEOUT = 60.0
#: The fast subset: every family, mostly N <= 50 (two N = 390 instances, where SLSQP takes
#: seconds, and one N = 100,000 instance, where only the exact method applies), a transient
#: kernel with caps, a coupled basket with a band (exact, SLSQP and DE do not apply) and a
#: decoupled one (exact applies), chosen so that all six methods run in well under a minute.
FAST_IDS: tuple[str, ...] = (
    "q-frog-n10",
    "qi-crwv-n30-caps",
    "qi-frog-n390-caps",
    "pow-soun-n10",
    "powi-soun-n30-cap",
    "pw-frog-n5-caps",
    "pw-frog-n30",
    "mv-frog-n10-k1e-4",
    "mv-frog-n50-k1e-2",
    "bad-q-s1e8",
    "deg-s0-pow",
    "deg-full-pow-caps",
    "deg-ties-q-pairs",
    "deg-zero-cost-uncapped",
    "deg-linear-ties",
    "big-q-n100000",
    "tr-exp-frog-n30-cap",
    "bk-m2-factor-band",
    "bk-m5-decoupled",
)


def _size_limit(method: str, N: int) -> str | None:
    """Why ``method`` is not run at ``N`` periods (None: it is)."""
    if method in ("clarabel", "osqp", "scs") and N > CVXPY_MAX_N:
        return f"N = {N} > {CVXPY_MAX_N}: cvxpy's compilation needs dense memory"
    if method == "slsqp" and N > SLSQP_MAX_N:
        return f"N = {N} > {SLSQP_MAX_N}: SLSQP's dense sub-problems"
    if method == "de" and N > DE_MAX_N:
        return f"N = {N} > {DE_MAX_N}: differential evolution does not scale"
    return None


def _first_sentence(text: str) -> str:
    head = text.split(". ")[0].split("; ")[0]
    return head if head.endswith(".") else head + "."


def _solver(method: str, de_time_limit: float, na: dict[int, str]) -> Any:
    """``f(problem)`` for :func:`validate_callable`; records in ``na`` the problems it refuses."""

    def f(arg: Any) -> Any:
        problem = as_problem(arg)
        opts: dict[str, Any] = {}
        if method == "de":
            opts = {"seed": 0, "time_limit": de_time_limit}
        try:
            return solve(problem, method=method, **opts)
        except (NotSupportedError, ConvexityError) as exc:
            na[id(problem)] = _first_sentence(str(exc))
            raise

    f.__name__ = method
    return f


def self_validation_runs(
    methods: Sequence[str] = METHODS,
    fast: bool = True,
    *,
    suite: Sequence[Instance] | None = None,
    rtol: float = DEFAULT_RTOL,
    progress: bool = False,
) -> pd.DataFrame:
    """Run each method on the suite (or its fast subset); one row per method and instance.

    Columns: ``method, id, family, periods, status`` (``pass``/``fail``/``n/a``), ``reason``
    (the failed checks, or why n/a), ``rel_gap``, ``gap_bps``, ``max_violation``,
    ``schedule_error`` (shares from the unique optimum, where it is unique), ``seconds``. The
    verdict of a conic answer rests on its schedule and KKT conditions too, not only its
    objective.
    ``progress=True`` prints one line per run to stderr.
    """
    import pandas as pd

    insts = list(suite) if suite is not None else load_suite(ids=list(FAST_IDS) if fast else None)
    insts = [i for i in insts if not i.infeasible]
    de_limit = DE_TIME_LIMIT / 10.0 if fast else DE_TIME_LIMIT
    timeout = TIMEOUT / 3.0 if fast else TIMEOUT
    rows: list[dict[str, Any]] = []
    for method in methods:
        na: dict[int, str] = {}
        f = _solver(method, de_limit, na)
        runnable = []
        for inst in insts:
            why = _size_limit(method, inst.periods)
            if why is None:
                runnable.append(inst)
            else:
                rows.append(_row(method, inst, "n/a", why))
        res = validate_callable(
            f,
            runnable,
            rtol=rtol,
            timeout=timeout,
            name=method,
            progress=_printer(method) if progress else None,
        )
        for inst, r in zip(runnable, res.instances, strict=True):
            if id(inst.problem) in na:
                rows.append(_row(method, inst, "n/a", na[id(inst.problem)]))
                continue
            fails = r.failures
            rows.append(
                _row(
                    method,
                    inst,
                    r.verdict,
                    " | ".join(c.message for c in fails),
                    rel_gap=r.rel_gap,
                    gap_bps=r.gap_bps,
                    max_violation=r.max_violation,
                    schedule_error=r.schedule_error,
                    seconds=r.seconds,
                )
            )
    return pd.DataFrame(rows)


def _printer(method: str) -> Callable[[InstanceResult], None]:
    def show(r: InstanceResult) -> None:
        print(
            f"{method:<9s} {r.id:<30s} N={r.periods:<7d} {r.verdict:<5s} {r.seconds or 0.0:8.2f} s",
            file=sys.stderr,
            flush=True,
        )

    return show


def _row(method: str, inst: Instance, status: str, reason: str, **numbers: Any) -> dict[str, Any]:
    return {
        "method": method,
        "id": inst.id,
        "family": inst.family,
        "periods": inst.periods,
        "status": status,
        "reason": reason,
        "rel_gap": numbers.get("rel_gap"),
        "gap_bps": numbers.get("gap_bps"),
        "max_violation": numbers.get("max_violation"),
        "schedule_error": numbers.get("schedule_error"),
        "seconds": numbers.get("seconds"),
    }


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """Per-method summary of :func:`self_validation_runs`.

    Columns: ``method, instances, applicable, passed, failed, n_a, pass_rate`` (passed /
    applicable), ``worst_rel_gap``, ``worst_gap_bps`` (over applicable runs),
    ``median_seconds`` (per call, including certification), ``failed_ids``.
    """
    import pandas as pd

    out = []
    for method, g in runs.groupby("method", sort=False):
        app = g[g["status"] != "n/a"]
        passed = int((app["status"] == "pass").sum())
        failed = int((app["status"] == "fail").sum())
        rg = pd.to_numeric(app["rel_gap"], errors="coerce")
        bp = pd.to_numeric(app["gap_bps"], errors="coerce")
        sec = pd.to_numeric(app["seconds"], errors="coerce")
        out.append(
            {
                "method": method,
                "instances": len(g),
                "applicable": len(app),
                "passed": passed,
                "failed": failed,
                "n_a": len(g) - len(app),
                "pass_rate": passed / len(app) if len(app) else np.nan,
                "worst_rel_gap": float(rg.max()) if rg.notna().any() else np.nan,
                "worst_gap_bps": float(bp.max()) if bp.notna().any() else np.nan,
                "median_seconds": float(sec.median()) if sec.notna().any() else np.nan,
                "failed_ids": ", ".join(app.loc[app["status"] == "fail", "id"]),
            }
        )
    return pd.DataFrame(out)


def self_validation(
    methods: Sequence[str] = METHODS,
    fast: bool = True,
    *,
    suite: Sequence[Instance] | None = None,
    rtol: float = DEFAULT_RTOL,
    progress: bool = False,
) -> pd.DataFrame:
    """Validate the toolkit's own methods on the suite; a per-method table (see :func:`summarize`).

    Parameters
    ----------
    methods : sequence of str
        Methods of :func:`execopt.solve`.
    fast : bool
        Use the :data:`FAST_IDS` subset and a shorter DE time limit (well under a minute);
        ``False`` runs every feasible instance (several minutes).
    suite : sequence of Instance, optional
        Instances to use instead of the packaged suite (or its fast subset).
    rtol : float
        Relative objective gap allowed.
    progress : bool
        Print one line per run to stderr.

    Examples
    --------
    >>> from execopt.studies.suite import self_validation
    >>> t = self_validation(methods=("exact",), fast=True)
    >>> int(t.loc[0, "failed"])
    0
    """
    return summarize(self_validation_runs(methods, fast, suite=suite, rtol=rtol, progress=progress))
