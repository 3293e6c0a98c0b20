"""An external-solver leaderboard on the reference suite, in the manner of qpbenchmark.

Every QP solver that ``qpsolvers`` finds installed (the ``leaderboard`` extra installs cvxopt,
piqp, proxsuite, daqp, quadprog, ecos, highspy and qpalm beside the core Clarabel, OSQP and SCS)
is run at its default settings and at tight ones, **through the public schedule-file interface
only**: the suite is exported (``execopt suite export``), the QP-only adapter
:mod:`execopt.studies.qp_adapter` (written from ``FORMAT.md`` alone) writes ``<id>.csv`` for
every ``lp``/``qp`` instance in a subprocess per solver, and the files are judged exactly as
``execopt validate DIR --only-present`` judges them (the same function, on the files alone).
Nothing here hands the solvers an :class:`~execopt.ExecutionProblem`.

Per solver, setting and family (and ``all``) the table gives:

* ``success_rate``: instances that pass ``execopt validate`` / QP instances of the family (those
  the adapter can attempt; power-cone and second-order-cone instances are outside a QP solver's
  reach and baskets outside the adapter's, and neither is counted);
* ``shgeom_ms``: the shifted geometric mean of the solve time (qpbenchmark's measure,
  ``exp(mean(log(t + sh))) - sh`` with ``sh`` = :data:`TIME_SHIFT`), instances that did not pass
  counted at the time limit of the run (qpbenchmark's convention), so a fast wrong answer is not
  fast;
* ``worst_rel_gap`` (attempted schedules), ``worst_violation`` (shares, after the adapter's
  repair, as validated) and ``worst_raw_violation`` (shares, the solver's own answer);
* failures by kind: ``wrong_answer`` (objective, schedule or KKT check), ``violation``
  (feasibility, after repair), ``false_infeasible`` (a feasible instance claimed infeasible, or a
  schedule for an infeasible one), ``timeout`` (:data:`~execopt.studies.qp_adapter.TIME_LIMIT`),
  ``refused`` (the solver raised or found no solution; dense-only solvers beyond
  :data:`~execopt.studies.qp_adapter.DENSE_MAX_VARIABLES` variables).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from execopt.studies.qp_adapter import TIME_LIMIT

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "FAST_IDS",
    "FAST_TIME_LIMIT",
    "SETTINGS",
    "SOLVERS",
    "TIME_SHIFT",
    "available_solvers",
    "failure_table",
    "leaderboard",
    "leaderboard_runs",
    "summarize_leaderboard",
]

#: Every QP solver of qpsolvers the leaderboard knows (the ``leaderboard`` extra installs them).
SOLVERS: tuple[str, ...] = (
    "clarabel",
    "cvxopt",
    "daqp",
    "ecos",
    "highs",
    "osqp",
    "piqp",
    "proxqp",
    "qpalm",
    "quadprog",
    "scs",
)
#: The two settings: each solver's defaults, and the tight tolerances of
#: :data:`execopt.studies.qp_adapter.SETTINGS`.
SETTINGS: tuple[str, ...] = ("default", "tight")
#: Shift of the shifted geometric mean of times, seconds (10 ms: sub-millisecond differences on
#: tiny instances do not dominate the mean).
TIME_SHIFT = 0.01
#: Wall-clock budget for one adapter run (one solver, one setting) over the whole suite, seconds;
#: the instances not started when it runs out count as timeouts (ProxQP spent 60-140 s on each
#: 390-period book walk and would otherwise hold the study for most of an hour).
RUN_BUDGET = 300.0
#: Seconds per solve in fast mode (HiGHS's QP solver reached the full 60 s limit on a 30-period
#: mean-variance book walk).
FAST_TIME_LIMIT = 5.0
#: A small, fast subset for CI and the notebook's fast mode: every QP family, both unique and
#: non-unique optima, S = 0, an infeasible instance, a transient kernel as a chain (exponential)
#: and as a dense K (tabulated), a basket the adapter leaves alone; all N <= 390.
FAST_IDS: tuple[str, ...] = (
    "q-frog-n10",
    "qi-crwv-n30-caps",
    "qi-frog-n390-caps",
    "pw-frog-n5-caps",
    "pw-frog-n30",
    "mv-frog-n10-k1e-4",
    "mv-frog-book-n30",
    "bad-q-tiny-order",
    "deg-linear-ties",
    "deg-ties-q-pairs",
    "deg-s0-qi",
    "deg-full-pw-depth",
    "inf-q-cap",
    "pow-soun-n10",
    "tr-exp-frog-n30-cap",
    "tr-tab-frog-n30-intraday",
    "bk-m2-factor",
)


def available_solvers(solvers: Sequence[str] = SOLVERS) -> tuple[list[str], dict[str, str]]:
    """The solvers qpsolvers can run here, and why each other one cannot."""
    try:
        import qpsolvers
    except ImportError:
        return [], {
            s: "qpsolvers is not installed (pip install execopt[leaderboard])" for s in solvers
        }
    have = set(qpsolvers.available_solvers)
    ok = [s for s in solvers if s in have]
    missing = {
        s: f"{s} is not installed (pip install execopt[leaderboard])"
        for s in solvers
        if s not in have
    }
    return ok, missing


def _adapter(
    suite: Path,
    out: Path,
    solver: str,
    settings: Sequence[str],
    ids: Sequence[str] | None,
    budget: float,
    time_limit: float,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Run the adapter for one solver (every setting) in a subprocess, so that a crash or a hang
    of the solver cannot take the study down; its logs by setting and instance id (partial after
    a kill: the instances without a record count as timeouts).
    """
    # one setting: the adapter writes into --out itself; several: into --out/<solver>-<setting>
    target = out / f"{solver}-{settings[0]}" if len(settings) == 1 else out
    args = ["-m", "execopt.studies.qp_adapter", "--suite", str(suite), "--out", str(target)]
    args += ["--solver", solver, "--setting", *settings, "--time-limit", str(time_limit)]
    args += ["--budget", str(budget)]
    if ids is not None:
        args += ["--ids", *ids]
    try:
        subprocess.run(
            [sys.executable, *args],
            capture_output=True,
            text=True,
            # a safety net: the adapter stops starting instances after `budget` per setting,
            # but a solve in progress can hang
            timeout=len(settings) * (budget + 4 * time_limit),
            check=False,
        )
    except subprocess.TimeoutExpired:
        pass
    logs: dict[str, dict[str, dict[str, Any]]] = {}
    for setting in settings:
        (out / f"{solver}-{setting}").mkdir(parents=True, exist_ok=True)
        log = out / f"{solver}-{setting}" / "adapter_log.json"
        recs = json.loads(log.read_text())["records"] if log.is_file() else []
        logs[setting] = {r["id"]: r for r in recs}
    return logs


def leaderboard_runs(
    solvers: Sequence[str] | None = None,
    settings: Sequence[str] = SETTINGS,
    *,
    fast: bool = True,
    ids: Sequence[str] | None = None,
    workdir: Path | None = None,
    budget: float = RUN_BUDGET,
    time_limit: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """One row per solver, setting and instance (the raw material of :func:`leaderboard`).

    Parameters
    ----------
    solvers : sequence of str, optional
        Default: every installed solver of :data:`SOLVERS`.
    settings : sequence of {"default", "tight"}
    fast : bool
        Only the :data:`FAST_IDS` subset (seconds); ``False`` runs the whole suite (minutes).
    ids : sequence of str, optional
        Instances to run instead of the fast subset or the suite.
    workdir : Path, optional
        Where the suite is exported and the schedules written (default: a temporary folder).
    budget : float
        Seconds for one adapter run.
    time_limit : float, optional
        Seconds per solve (default :data:`FAST_TIME_LIMIT` with ``fast``, else
        :data:`~execopt.studies.qp_adapter.TIME_LIMIT`).

    Columns: ``solver, setting, id, family, cone, qp`` (the adapter can attempt it),
    ``outcome`` (the adapter's), ``verdict`` (``execopt validate``'s), ``kind`` (failure kind),
    ``seconds``, ``rel_gap``, ``violation``, ``raw_violation``, ``message``.
    """
    import pandas as pd

    from execopt.studies.suite.format import export_suite
    from execopt.studies.suite.validate import validate_schedules

    have, _ = available_solvers()
    chosen = [s for s in (solvers or have) if s in have]
    sel = list(ids) if ids is not None else (list(FAST_IDS) if fast else None)
    limit = time_limit if time_limit is not None else (FAST_TIME_LIMIT if fast else TIME_LIMIT)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="execopt-leaderboard-") as tmp:
        root = Path(workdir) if workdir is not None else Path(tmp)
        suite = root / "suite"
        export_suite(suite)
        for solver in chosen:
            out = root / "schedules"
            logs = _adapter(suite, out, solver, settings, sel, budget, limit)
            for setting in settings:
                # the same check as `execopt validate DIR --only-present` (the CLI calls it), on
                # the files alone
                res = validate_schedules(
                    out / f"{solver}-{setting}", suite, ids=sel, only_present=True
                )
                for r in res.as_dict()["instances"]:
                    row = _row(solver, setting, r, logs[setting].get(r["id"]))
                    rows.append({**row, "time_limit": limit})
                if progress is not None:
                    done = [x for x in rows if x["solver"] == solver and x["setting"] == setting]
                    ok = sum(x["verdict"] == "pass" for x in done if x["qp"])
                    progress(f"{solver:<9s} {setting:<8s} {ok}/{sum(x['qp'] for x in done)} pass")
    return pd.DataFrame(rows)


#: Why an instance has no record of the adapter: its process was stopped by the safety net.
NOT_REACHED = (
    "not reached: the adapter was stopped at its safety-net limit while an earlier solve ran "
    "past the time limit (a solver without a time limit of its own cannot be interrupted)"
)


def _row(
    solver: str, setting: str, r: dict[str, Any], rec: dict[str, Any] | None
) -> dict[str, Any]:
    """One instance's row: the adapter's record and validate's verdict, and the failure kind."""
    outcome = "timeout" if rec is None else str(rec["outcome"])
    if rec is None:
        rec = {"outcome": outcome, "message": NOT_REACHED}
    # what the QP adapter attempts: LP/QP cones, single orders (it leaves baskets alone)
    qp = r["cone"] in ("lp", "qp") and r["family"] != "basket"
    verdict = r["verdict"]
    kind = None
    if qp:
        if outcome in ("refused", "timeout"):
            kind = outcome
            verdict = "fail"
        elif verdict == "fail":
            k = r.get("failure_kind")
            kind = {
                "wrong-answer": "wrong_answer",
                "violation": "violation",
                "false-infeasible": "false_infeasible",
                "infeasible-answer": "false_infeasible",
                "format": "wrong_answer",
            }.get(str(k), "wrong_answer")
        elif verdict == "not attempted":
            kind, verdict = "refused", "fail"
    return {
        "solver": solver,
        "setting": setting,
        "id": r["id"],
        "family": r["family"],
        "cone": r["cone"],
        "qp": qp,
        "outcome": outcome,
        "verdict": verdict,
        "kind": kind,
        "seconds": None if rec is None else rec.get("seconds"),
        "rel_gap": r.get("rel_gap"),
        "violation": r.get("max_violation"),
        "raw_violation": None if rec is None else rec.get("raw_violation"),
        "message": "" if rec is None else rec.get("message", ""),
        "failures": "; ".join(c["message"] for c in r["checks"] if c["status"] == "fail"),
    }


def _shgeom(t: np.ndarray, shift: float = TIME_SHIFT) -> float:
    if t.size == 0:
        return math.nan
    return float(np.exp(np.mean(np.log(t + shift))) - shift)


KINDS = ("wrong_answer", "violation", "false_infeasible", "timeout", "refused")


def summarize_leaderboard(runs: pd.DataFrame) -> pd.DataFrame:
    """Per solver, setting and family (plus ``all``): success rate, shifted geometric mean of
    time, worst gap and violation, failures by kind (module docstring).
    """
    import pandas as pd

    out = []
    qp = runs[runs["qp"]]
    for (solver, setting), g in qp.groupby(["solver", "setting"], sort=False):
        for fam, h in [*g.groupby("family", sort=False), ("all", g)]:
            passed = h["verdict"] == "pass"
            limit = pd.to_numeric(h.get("time_limit", TIME_LIMIT)).to_numpy(dtype=float)
            sec = pd.to_numeric(h["seconds"], errors="coerce").to_numpy(dtype=float)
            sec = np.where(passed.to_numpy() & np.isfinite(sec), sec, limit)
            gap = pd.to_numeric(h["rel_gap"], errors="coerce")
            vio = pd.to_numeric(h["violation"], errors="coerce")
            raw = pd.to_numeric(h["raw_violation"], errors="coerce")
            row: dict[str, Any] = {
                "solver": solver,
                "setting": setting,
                "family": fam,
                "qp_instances": len(h),
                "passed": int(passed.sum()),
                "success_rate": float(passed.mean()) if len(h) else math.nan,
                "shgeom_ms": 1e3 * _shgeom(sec),
                "worst_rel_gap": float(gap.max()) if gap.notna().any() else math.nan,
                "worst_violation": float(vio.max()) if vio.notna().any() else math.nan,
                "worst_raw_violation": float(raw.max()) if raw.notna().any() else math.nan,
            }
            for k in KINDS:
                row[k] = int((h["kind"] == k).sum())
            row["failed_ids"] = ", ".join(h.loc[~passed, "id"])
            out.append(row)
    return pd.DataFrame(out)


def failure_table(runs: pd.DataFrame, width: int = 160) -> pd.DataFrame:
    """Every QP instance a solver did not pass: solver, setting, id, family, kind, gap, violation
    and the first failed check's message (or the adapter's), cut at ``width`` characters.
    """
    f = runs[runs["qp"] & (runs["verdict"] != "pass")].copy()
    why = [
        (str(a) if isinstance(a, str) and a else str(b)).split("; ")[0][:width]
        for a, b in zip(f["failures"], f["message"], strict=True)
    ]
    f["why"] = why
    return f[["solver", "setting", "id", "family", "kind", "rel_gap", "violation", "why"]]


def leaderboard(
    solvers: Sequence[str] | None = None,
    settings: Sequence[str] = SETTINGS,
    *,
    fast: bool = True,
    ids: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """The leaderboard table (:func:`summarize_leaderboard` of :func:`leaderboard_runs`).

    Examples
    --------
    >>> from execopt.studies.leaderboard import leaderboard
    >>> t = leaderboard(["clarabel"], ["tight"], ids=["q-frog-n10", "pw-frog-n5"])
    >>> t[t["family"] == "all"]["success_rate"].tolist()
    [1.0]
    """
    return summarize_leaderboard(
        leaderboard_runs(solvers, settings, fast=fast, ids=ids, progress=progress)
    )
