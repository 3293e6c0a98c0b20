"""A QP-only adapter written from the suite's ``FORMAT.md`` alone: instance JSON in, ``<id>.csv`` out.

This is what an outside team writes to hold its own QP solver to the reference suite, and the
leaderboard (:mod:`execopt.studies.leaderboard`) runs it for every QP solver ``qpsolvers`` offers.
It deliberately imports nothing from execopt: it reads the exported instance files with ``json``,
builds the quadratic program of sections 2.1–2.4 of ``FORMAT.md`` with NumPy/SciPy, solves it
through ``qpsolvers`` and writes the schedule files of section 4. ``execopt validate DIR
--only-present`` then judges them.

What it does, per instance (FORMAT.md section in brackets):

* ``"infeasible": true`` is not read; infeasibility is *detected*: ``S > sum_t u_t`` with
  ``u_t = min(cap_t, depth_t)`` [1] -> the file says ``infeasible``;
* ``S = 0`` -> zeros without solving [5, S = 0 rule];
* ``cone`` other than ``lp``/``qp`` -> no file (not attempted: a QP solver cannot take a power
  cone or a second-order cone) [2]; a basket (``legs``) -> no file (this adapter solves one
  order at a time) [2.6];
* otherwise the QP in scaled units (``y = x / (S/N)``, objective divided by its largest
  coefficient, so every number is of order one): quadratic ``P = diag(2b), q = a`` [2.1]; a power
  law with exponents 1 or 2 [2.2]; a book walk as segment variables ``0 <= z_tk <= widths_tk``
  truncated at the cap, ``x_t = sum_k z_tk`` [2.3]; the mean-variance term
  ``(P_r)_ts = 2k W_max(t,s), (q_r)_t = -2k S W_t`` [2.4]; permanent impact ``-gamma I`` and a
  transient kernel [2.5]: ``K_ts = G(|t-s|)`` built from the kernel's fields (power law,
  tabulated), or, for an exponential kernel, the chain ``z_t = rho z_{t-1} + x_t`` with the
  diagonal cost ``G0/2 [(1 - rho^2) sum_{t<N-1} z_t^2 + z_{N-1}^2]`` (N more variables and
  equality rows, sparse at any N); ``sum x = S``, ``0 <= x_t <= u_t``
  (``u_t = S`` where uncapped: no period can trade more than the order);
* the answer is repaired onto ``{sum x = S, 0 <= x <= u}`` (clip, then spread the residual over
  the room left, as a production system would before sending orders; the raw violation is
  logged) and written with ``repr`` precision [4].

Every run writes ``adapter_log.json`` (one record per instance: outcome, seconds, raw violation,
the solver's message) beside the schedules. Run ``python -m execopt.studies.qp_adapter --help``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DENSE_MAX_VARIABLES",
    "SETTINGS",
    "TIME_LIMIT",
    "QPForm",
    "build_qp",
    "kernel_values",
    "main",
    "run_adapter",
    "solve_instance",
]

FloatArray = NDArray[np.float64]

#: Solvers that take only dense matrices are not given more variables than this (an N = 100,000
#: dense Hessian is 80 GB); such instances are *refused* by the adapter, and say so.
DENSE_MAX_VARIABLES = 2000
#: Seconds a single solve may take before its answer is discarded as a timeout (the limit is also
#: passed to the solvers that take one).
TIME_LIMIT = 30.0

#: Per solver, the options of the ``tight`` setting (``default`` passes none: each solver's own
#: defaults). Tolerances on the scaled problem; iteration limits raised for the first-order ones.
SETTINGS: dict[str, dict[str, dict[str, Any]]] = {
    "clarabel": {"tight": {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}},
    "cvxopt": {"tight": {"abstol": 1e-10, "reltol": 1e-10, "feastol": 1e-10}},
    "daqp": {"tight": {"primal_tol": 1e-10, "dual_tol": 1e-10}},
    "ecos": {"tight": {"abstol": 1e-10, "reltol": 1e-10, "feastol": 1e-10}},
    "highs": {
        "tight": {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
    },
    "osqp": {"tight": {"eps_abs": 1e-10, "eps_rel": 1e-10, "max_iter": 200_000, "polish": True}},
    "piqp": {"tight": {"eps_abs": 1e-10, "eps_rel": 1e-10}},
    "proxqp": {"tight": {"eps_abs": 1e-10, "eps_rel": 0.0}},
    "qpalm": {"tight": {"eps_abs": 1e-10, "eps_rel": 1e-10, "max_iter": 200_000}},
    "quadprog": {"tight": {}},
    "scs": {"tight": {"eps_abs": 1e-10, "eps_rel": 1e-10, "max_iters": 200_000}},
}
#: The option naming a time limit, per solver (seconds), where the solver has one.
TIME_LIMIT_OPTION = {
    "clarabel": "time_limit",
    "highs": "time_limit",
    "osqp": "time_limit",
    "scs": "time_limit_secs",
}


# ----------------------------------------------------------------------------- the QP
def _per(v: Any, N: int) -> FloatArray:
    """A per-period field: a number (every period) or a list of N numbers [FORMAT.md 1]."""
    return np.broadcast_to(np.asarray(v, dtype=np.float64), (N,)).copy()


@dataclass
class QPForm:
    """``min 1/2 v^T P v + q^T v  s.t.  A v = b,  lb <= v <= ub`` in scaled units; the schedule is
    ``x = M (s v)`` (``M`` None: the identity).
    """

    P: Any
    q: FloatArray
    A: Any
    b: FloatArray
    lb: FloatArray
    ub: FloatArray
    M: Any
    s: float
    N: int
    u: FloatArray


def _upper(d: dict[str, Any]) -> FloatArray:
    """``u_t = min(cap_t, depth_t)`` [FORMAT.md 1, 2.3]."""
    N = int(d["periods"])
    cap = np.full(N, np.inf) if d["cap"] is None else _per(d["cap"], N)
    imp = d["impact"]
    if imp["model"] == "piecewise":
        w = np.broadcast_to(np.asarray(imp["widths"], dtype=np.float64), _book_shape(imp, N))
        cap = np.minimum(cap, w.sum(axis=1))
    return cap


def _book_shape(imp: dict[str, Any], N: int) -> tuple[int, int]:
    K = np.asarray(imp["slopes"], dtype=np.float64).shape[-1]
    return (N, K)


def kernel_values(ker: dict[str, Any], N: int) -> FloatArray:
    """``G(0), ..., G(N-1)`` of a ``transient`` kernel object [FORMAT.md 2.5]."""
    lags = np.arange(N, dtype=np.float64)
    kind = ker["kernel"]
    if kind == "exponential":
        return float(ker["strength"]) * np.power(2.0, -lags / float(ker["half_life"]))
    if kind == "power_law":
        return float(ker["strength"]) * np.power(1.0 + lags / float(ker["l0"]), -float(ker["beta"]))
    if kind == "tabulated":
        return np.asarray(ker["values"][:N], dtype=np.float64)
    raise ValueError(f"kernel {kind!r} is not in FORMAT.md version 3")


def build_qp(d: dict[str, Any]) -> QPForm:
    """The scaled QP of an instance dictionary (sections 2.1–2.5 of FORMAT.md).

    Raises
    ------
    ValueError
        For a model this adapter does not handle as a QP (power exponents other than 1 or 2, a
        basket).
    """
    import scipy.sparse as sp

    if "legs" in d:
        raise ValueError("a basket: this adapter solves single orders")
    N, S = int(d["periods"]), float(d["shares"])
    imp = d["impact"]
    u = _upper(d)
    u_fin = np.minimum(u, S)  # no period can trade more than the order
    M = None
    if imp["model"] == "quadratic":
        P = sp.diags(2.0 * _per(imp["b"], N)).tocsc()
        q = _per(imp["a"], N)
        lb, ub = np.zeros(N), u_fin
    elif imp["model"] == "power":
        p = 1.0 + _per(imp["delta"], N)
        g = _per(imp["gamma"], N)
        if not np.all(np.isin(p, (1.0, 2.0))):
            raise ValueError("power exponents other than 1 or 2 need power cones, not a QP")
        P = sp.diags(np.where(p == 2.0, 2.0 * g, 0.0)).tocsc()
        q = np.where(p == 1.0, g, 0.0)
        lb, ub = np.zeros(N), u_fin
    elif imp["model"] == "piecewise":
        shape = _book_shape(imp, N)
        sl = np.broadcast_to(np.asarray(imp["slopes"], dtype=np.float64), shape)
        w = np.broadcast_to(np.asarray(imp["widths"], dtype=np.float64), shape)
        start = np.cumsum(w, axis=1) - w
        wt = np.clip(u_fin[:, None] - start, 0.0, w)  # segments truncated at the cap
        K = shape[1]
        P = sp.csc_matrix((N * K, N * K))
        q = sl.ravel().copy()
        lb, ub = np.zeros(N * K), wt.ravel().copy()
        M = sp.kron(sp.identity(N), np.ones((1, K))).tocsr()
    else:
        raise ValueError(f"model {imp['model']!r} is not in FORMAT.md version 2")
    # quadratic and linear terms on x itself: risk [2.4], permanent impact and a dense kernel [2.5]
    Px: Any = None
    qx = np.zeros(N)
    sig2 = _per(d["volatility"], N) ** 2
    k = float(d["risk_aversion"])
    if k > 0 and np.any(sig2 > 0):  # the mean-variance term [2.4]
        W = np.cumsum(sig2[::-1])[::-1]
        idx = np.arange(N)
        Px = 2.0 * k * W[np.maximum.outer(idx, idx)]
        qx = qx - 2.0 * k * S * W
    gamma = float(d.get("permanent") or 0.0)
    if gamma > 0:  # gamma (S^2 - sum x^2) / 2 [2.5]
        Px = -gamma * np.eye(N) if Px is None else Px - gamma * np.eye(N)
    ker = d.get("transient")
    chain: tuple[float, float] | None = None
    if ker is not None:
        if ker["kernel"] == "exponential":  # the O(N) chain [2.5]
            chain = (float(ker["strength"]), 2.0 ** (-1.0 / float(ker["half_life"])))
        else:  # K_ts = G(|t - s|) [2.5]
            g = kernel_values(ker, N)
            kmat = g[np.abs(np.subtract.outer(np.arange(N), np.arange(N)))]
            Px = kmat if Px is None else Px + kmat
    if Px is not None:
        Xm = sp.identity(N, format="csr") if M is None else M
        P = sp.csc_matrix(P + sp.csc_matrix(Xm.T @ Px @ Xm))
        q = q + Xm.T @ qx
    n = q.shape[0]
    s = S / N
    A = sp.csc_matrix(np.ones((1, n)))
    b = np.array([S / s])
    if chain is not None:
        # variables (v, z): z_t - rho z_{t-1} - x_t = 0, cost G0/2 [(1 - rho^2) sum_{t<N-1} z_t^2
        # + z_{N-1}^2]; 0 <= z_t <= S (z_t is a decayed sum of x_s >= 0 with sum x = S)
        if M is not None:
            raise ValueError("a book walk with a kernel is not in the suite")
        G0, rho = chain
        dz = np.full(N, G0 * (1.0 - rho * rho))
        dz[-1] = G0
        P = sp.block_diag([P, sp.diags(dz)], format="csc")
        q = np.concatenate([q, np.zeros(N)])
        shift = sp.diags([np.ones(N), np.full(N - 1, -rho)], [0, -1], shape=(N, N))
        rows = sp.hstack([-sp.identity(N), shift])
        A = sp.vstack([sp.hstack([A, sp.csc_matrix((1, N))]), rows], format="csc")
        b = np.concatenate([b, np.zeros(N)])
        lb = np.concatenate([lb, np.zeros(N)])
        ub = np.concatenate([ub, np.full(N, S)])
        M = sp.hstack([sp.identity(N), sp.csc_matrix((N, N))], format="csr")
        n = q.shape[0]
    Ps, qs = P * (s * s), q * s
    Ps = sp.csc_matrix(Ps)
    C = max(float(np.abs(qs).max()), float(abs(Ps).max()) if Ps.nnz else 0.0, 1e-300)
    return QPForm(
        P=(Ps / C).tocsc(),
        q=qs / C,
        A=A,
        b=b,
        lb=lb / s,
        ub=ub / s,
        M=M,
        s=s,
        N=N,
        u=u,
    )


def _repair(x: FloatArray, S: float, u: FloatArray) -> tuple[FloatArray, float]:
    """Clip to ``[0, u]``, then spread the sum residual over the room left; return the schedule
    and the raw violation (shares) before the repair.
    """
    raw = max(abs(float(x.sum()) - S), float(max(0.0, -x.min())), float(max(0.0, (x - u).max())))
    y = np.clip(x, 0.0, u)
    for _ in range(3):
        r = S - float(y.sum())
        if r == 0.0:
            break
        room = (u - y) if r > 0 else y
        room = np.where(np.isfinite(room), room, S)
        tot = float(room.sum())
        if tot <= 0:
            break
        y = np.clip(y + r * room / tot, 0.0, u)
    return y, raw


# ----------------------------------------------------------------------------- solving
@dataclass
class Record:
    """One instance's outcome in the adapter log."""

    id: str
    outcome: str  # solved | infeasible | zero | not-qp | refused | timeout | error
    seconds: float = 0.0
    raw_violation: float | None = None
    message: str = ""
    variables: int = 0


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _write_schedule(path: Path, x: FloatArray) -> None:
    _write_atomic(path, "shares\n" + "".join(f"{v!r}\n" for v in x.tolist()))


def solve_instance(
    d: dict[str, Any],
    solver: str,
    options: dict[str, Any],
    out: Path,
    time_limit: float = TIME_LIMIT,
) -> Record:
    """Solve one instance dictionary with ``solver`` and write ``out/<id>.csv`` (or nothing).

    A solve longer than ``time_limit`` seconds is a timeout (its answer is discarded).
    """
    import qpsolvers

    iid = str(d["id"])
    if "legs" in d:
        return Record(iid, "not-qp", message="a basket: this adapter solves single orders")
    N, S = int(d["periods"]), float(d["shares"])
    path = out / f"{iid}.csv"
    u = _upper(d)
    if S > float(u.sum()) * (1 + 1e-12):
        _write_atomic(path, f"infeasible: S = {S!r} exceeds the sum of the caps\n")
        return Record(iid, "infeasible", message="S above the sum of u_t")
    if S == 0:
        _write_schedule(path, np.zeros(N))
        return Record(iid, "zero")
    if d["cone"] not in ("lp", "qp"):
        return Record(iid, "not-qp", message=f"cone {d['cone']}: not a QP")
    try:
        qp = build_qp(d)
    except ValueError as exc:
        return Record(iid, "not-qp", message=str(exc))
    n = qp.q.shape[0]
    dense = solver not in qpsolvers.sparse_solvers
    if dense and n > DENSE_MAX_VARIABLES:
        return Record(iid, "refused", message=f"dense-only solver, {n} variables", variables=n)
    opts = dict(options)
    if solver in TIME_LIMIT_OPTION:
        opts.setdefault(TIME_LIMIT_OPTION[solver], time_limit)
    P, A = (qp.P.toarray(), qp.A.toarray()) if dense else (qp.P, qp.A)
    problem = qpsolvers.Problem(P, qp.q, None, None, A, qp.b, qp.lb, qp.ub)
    t0 = time.perf_counter()
    try:
        sol = qpsolvers.solve_problem(problem, solver=solver, **opts)
    except Exception as exc:  # any solver error is the solver refusing the problem
        return Record(
            iid,
            "refused",
            time.perf_counter() - t0,
            message=f"{type(exc).__name__}: {exc}"[:300],
            variables=n,
        )
    sec = time.perf_counter() - t0
    if sec > time_limit:
        return Record(iid, "timeout", sec, message=f"{sec:.1f} s > {time_limit:g} s", variables=n)
    if sol is None or not sol.found or sol.x is None or not np.all(np.isfinite(sol.x)):
        return Record(iid, "refused", sec, message="no solution found", variables=n)
    v = np.asarray(sol.x, dtype=np.float64) * qp.s
    x = np.asarray(qp.M @ v) if qp.M is not None else v
    x, raw = _repair(x, S, qp.u)
    _write_schedule(path, x)
    return Record(iid, "solved", sec, raw, variables=n)


@dataclass
class AdapterRun:
    """The outcome of one adapter run: its records and where they went."""

    solver: str
    setting: str
    out: Path
    records: list[Record] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "solver": self.solver,
            "setting": self.setting,
            "records": [asdict(r) for r in self.records],
        }


def run_adapter(
    suite: Path,
    out: Path,
    solver: str,
    setting: str = "default",
    *,
    ids: Iterable[str] | None = None,
    progress: Callable[[Record], None] | None = None,
    time_limit: float = TIME_LIMIT,
    budget: float | None = None,
) -> AdapterRun:
    """Run the adapter on every instance file of ``suite`` (or ``ids``), writing into ``out``.

    After ``budget`` seconds no further instance is started: the rest are recorded as timeouts
    (a solve in progress cannot be interrupted from Python; ``time_limit`` bounds the solvers
    that take a limit).
    """
    import warnings

    suite, out = Path(suite), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((suite / "MANIFEST.json").read_text(encoding="ascii"))
    # fewest periods first: a solver without a time limit of its own (cvxopt, quadprog) cannot
    # be interrupted in the middle of a solve, so an overrun on one of the largest instances
    # (N = 20,000 to 100,000) then costs only the large instances after it, not every family
    names = sorted(manifest["files"], key=lambda n: (_periods(suite / n), n))
    if ids is not None:
        wanted = {f"{i}.json" for i in ids}
        names = [n for n in names if n in wanted]
    options = {} if setting == "default" else SETTINGS.get(solver, {}).get(setting, {})
    run = AdapterRun(solver, setting, out)
    t_start = time.perf_counter()
    for name in names:
        d = json.loads((suite / name).read_text(encoding="ascii"))
        if budget is not None and time.perf_counter() - t_start > budget:
            rec = Record(str(d["id"]), "timeout", message=f"run budget of {budget:g} s exhausted")
            run.records.append(rec)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rec = solve_instance(d, solver, options, out, time_limit)
        run.records.append(rec)
        _write_atomic(out / "adapter_log.json", json.dumps(run.as_dict(), indent=1) + "\n")
        if progress is not None:
            progress(rec)
    return run


def _periods(path: Path) -> int:
    """An instance's number of periods (0 when it has none at the top level: a basket)."""
    n = json.loads(path.read_text(encoding="ascii")).get("periods", 0)
    return int(n) if isinstance(n, int | float) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m execopt.studies.qp_adapter --suite DIR --out DIR --solver NAME``."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--suite", type=Path, required=True, help="folder of `execopt suite export`")
    p.add_argument("--out", type=Path, required=True, help="folder for <id>.csv")
    p.add_argument("--solver", required=True, help="a qpsolvers solver name")
    p.add_argument(
        "--setting",
        nargs="+",
        choices=("default", "tight"),
        default=["default"],
        help="one setting (schedules in --out), or several (in --out/<solver>-<setting>)",
    )
    p.add_argument("--ids", nargs="*", default=None, help="only these instance ids")
    p.add_argument(
        "--time-limit", type=float, default=TIME_LIMIT, help="seconds per solve (default 30)"
    )
    p.add_argument(
        "--budget", type=float, default=None, help="seconds per setting before giving up"
    )
    a = p.parse_args(argv)

    def show(r: Record) -> None:
        print(f"{r.id:<32s} {r.outcome:<10s} {r.seconds:8.3f} s {r.message}", file=sys.stderr)

    for setting in a.setting:
        out = a.out if len(a.setting) == 1 else a.out / f"{a.solver}-{setting}"
        run_adapter(
            a.suite,
            out,
            a.solver,
            setting,
            ids=a.ids,
            progress=show,
            time_limit=a.time_limit,
            budget=a.budget,
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
