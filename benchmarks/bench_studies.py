"""Benchmarks of the studies layer: ``python benchmarks/bench_studies.py [--quick] [--json PATH]``.

Sections (wall clock on this machine; nothing is tuned to pass the target):

1. Monte Carlo with parameter uncertainty, ``draws`` x 390 periods, every draw solved exactly by
   ``eo.solve_batch``: in process (``workers=1``) and on a local Dask cluster of 2 worker
   processes (cluster start-up reported apart from compute). The parameter distribution is the
   snapshot bootstrap of the profile fitted on a seeded synthetic FROG book (its build time is
   reported too). Performance target: 10,000 draws x 390 periods in <= 30 s. The two runs must
   give the same bytes (checked and printed).
2. ``eo.solve_batch`` alone on one 10,000 x 390 batch (the kernel's throughput).
3. Each study end to end: sensitivity, stress on parameters, stress in the simulator (40 runs of
   five policies on eight stressed synthetic days, in process and on 2 Dask workers), solver
   comparison (fast unless ``--full``: the full one runs differential evolution for up to 20 s
   per problem), audit.

Run from the repository root. ``--quick`` is a smoke run (1,000 draws, fast studies).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from typing import Any

import numpy as np

#: The Monte Carlo performance target, seconds for 10,000 draws x 390 periods.
MC_TARGET_S = 30.0


def _mc(draws: int, workers: int, dist: Any) -> tuple[dict[str, Any], str]:
    from execopt.studies import MonteCarloConfig, ParallelConfig, run_montecarlo

    t0 = time.perf_counter()
    r = run_montecarlo(dist, MonteCarloConfig(draws=draws), ParallelConfig(workers=workers))
    wall = time.perf_counter() - t0
    doc = r.to_dict()
    timings = doc.pop("timings")
    s = r.summary.set_index("metric")
    return {
        "workers": workers,
        "draws": draws,
        "wall_s": wall,
        "cluster_start_s": timings["cluster_start"],
        "compute_s": timings["compute"],
        "draws_per_s": draws / wall,
        "reduction_mean_pct": float(s.loc["reduction_optimal", "mean"]),
    }, json.dumps(doc, sort_keys=True)


def run(quick: bool = False, full: bool = False) -> dict[str, Any]:
    """Every section; returns a JSON-ready dictionary."""
    import execopt as eo
    from execopt.studies import (
        AuditConfig,
        ParallelConfig,
        SensitivityConfig,
        SimStressConfig,
        SolverComparisonConfig,
        StressConfig,
        book_distribution,
        run_audit,
        run_sensitivity,
        run_sim_stress,
        run_solver_comparison,
        run_stress,
    )

    draws = 1_000 if quick else 10_000
    out: dict[str, Any] = {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "quick": quick,
    }
    t0 = time.perf_counter()
    dist = book_distribution("FROG", "synthetic", seed=0, n_boot=200)
    out["distribution_build_s"] = time.perf_counter() - t0
    mc, texts = [], []
    for workers in (1, 2):
        row, text = _mc(draws, workers, dist)
        mc.append(row)
        texts.append(text)
    out["montecarlo"] = mc
    out["montecarlo_identical_across_workers"] = texts[0] == texts[1]
    out["montecarlo_target"] = {
        "target_s": MC_TARGET_S,
        "draws": draws,
        "best_wall_s": min(r["wall_s"] for r in mc),
        "met": draws >= 10_000 and min(r["wall_s"] for r in mc) <= MC_TARGET_S,
    }

    rng = np.random.default_rng(0)
    model = dist.sample(rng, draws)
    t0 = time.perf_counter()
    eo.solve_batch(np.full(draws, 10_000.0), model, cap=1000.0)
    kernel = time.perf_counter() - t0
    out["solve_batch"] = {"draws": draws, "seconds": kernel, "draws_per_s": draws / kernel}

    studies: dict[str, float] = {}
    sc = SensitivityConfig()
    t0 = time.perf_counter()
    run_sensitivity(sc.fast() if quick else sc)
    studies["sensitivity"] = time.perf_counter() - t0
    st = StressConfig()
    t0 = time.perf_counter()
    run_stress(st.fast() if quick else st)
    studies["stress (parameters)"] = time.perf_counter() - t0
    ss = SimStressConfig()
    for workers in (1, 2):
        t0 = time.perf_counter()
        run_sim_stress(ss.fast() if quick else ss, ParallelConfig(workers=workers))
        studies[f"stress (simulator, {workers} worker{'s' if workers > 1 else ''})"] = (
            time.perf_counter() - t0
        )
    cc = SolverComparisonConfig()
    t0 = time.perf_counter()
    run_solver_comparison(cc if full else cc.fast())
    studies["solvers" + ("" if full else " (fast)")] = time.perf_counter() - t0
    ac = AuditConfig()
    t0 = time.perf_counter()
    run_audit(ac.fast() if quick else ac)
    studies["audit"] = time.perf_counter() - t0
    out["studies_s"] = studies
    return out


def _print(res: dict[str, Any]) -> None:
    from execopt.cli.render import console, table

    c = console()
    c.print(
        f"distribution build (profile bootstrap, 200 replicates): {res['distribution_build_s']:.2f} s"
    )
    c.print(
        table(
            "1. Monte Carlo, draws x 390 periods, exact (solve_batch)",
            [("workers", "right"), ("draws", "right"), ("wall s", "right"),
             ("cluster start s", "right"), ("compute s", "right"), ("draws/s", "right"),
             ("mean reduction %", "right")],
            (
                [r["workers"], f"{r['draws']:,}", f"{r['wall_s']:.2f}",
                 f"{r['cluster_start_s']:.2f}", f"{r['compute_s']:.2f}",
                 f"{r['draws_per_s']:,.0f}", f"{r['reduction_mean_pct']:.4f}"]
                for r in res["montecarlo"]
            ),
        )
    )  # fmt: skip
    t = res["montecarlo_target"]
    verdict = "MET" if t["met"] else ("MISSED" if t["draws"] >= 10_000 else "not run at size")
    c.print(
        f"target 10,000 draws x 390 <= {t['target_s']:.0f} s: best {t['best_wall_s']:.2f} s "
        f"for {t['draws']:,} draws -> {verdict}; identical across workers: "
        f"{res['montecarlo_identical_across_workers']}"
    )
    sb = res["solve_batch"]
    c.print(
        f"2. solve_batch alone: {sb['draws']:,} x 390 in {sb['seconds']:.2f} s "
        f"({sb['draws_per_s']:,.0f} draws/s)"
    )
    c.print(
        table(
            "3. studies end to end",
            ["study", ("seconds", "right")],
            ([k, f"{v:.2f}"] for k, v in res["studies_s"].items()),
        )
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="smoke run: 1,000 draws, fast studies")
    p.add_argument("--full", action="store_true", help="full solver comparison (minutes)")
    p.add_argument("--json", default=None, metavar="PATH", help="also write the results here")
    args = p.parse_args(argv)
    res = run(quick=args.quick, full=args.full)
    _print(res)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(res, fh, indent=2)
    return 0


if __name__ == "__main__":  # the guard Dask's worker processes need
    sys.exit(main())
