"""SCS's initial dual scale on random execution problems: ``python benchmarks/scs_scale.py``.

The evidence behind :data:`execopt.solvers.conic.SCS_SCALE`. For each model (per-share power law,
quadratic), ``--instances`` random problems are drawn once (seeded): N from {30, 100, 390, 1,000},
log-normal time-varying impact around the reference document's constants, no caps or caps of 1.5x / 3x the
equal split, S from 20 % to 100 % of 500 shares a period. Each is solved by ``eo.solve(p, "scs")``
with every candidate scale (a cache hit: compile time excluded), and the table gives SCS's
iterations and solve time summed over the instances, with the worst relative gap to the exact
optimum. Lower is better; the answers must all stay certified.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import warnings
from typing import Any

import numpy as np

import execopt as eo
from execopt.cli.render import console, table
from execopt.solvers import conic

__all__ = ["instances", "main", "run"]

SCALES = (0.1, 0.15, 0.2, 0.25)


def instances(kind: str, n: int, seed: int) -> list[eo.ExecutionProblem]:
    """``n`` random problems of one model (``"power"`` or ``"quadratic"``), seeded."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        N = int(rng.choice([30, 100, 390, 1000]))
        level = np.exp(rng.normal(0.0, 0.4, N))
        if kind == "power":
            delta = float(rng.choice([0.3, 0.5, 0.67, 0.9, 1.5]))
            m: eo.ImpactModel = eo.PowerLawImpact(gamma=0.015 * level, delta=delta)
        else:
            m = eo.QuadraticImpact(a=0.02 * level, b=0.0012 * level)
        S = float(rng.uniform(0.2, 1.0) * N * 500)
        cap = rng.choice([0.0, 1.5, 3.0])
        out.append(eo.ExecutionProblem(S, m, periods=N, cap=None if cap == 0 else cap * S / N))
    return out


def run(kind: str, n: int, seed: int, scales: tuple[float, ...] = SCALES) -> list[dict[str, Any]]:
    """One row per scale: iterations, solve time and the worst gap over the instances."""
    problems = instances(kind, n, seed)
    saved = dict(conic.SCS_SCALE)
    rows = []
    try:
        for scale in scales:
            conic.SCS_SCALE[problems[0].impact.kind] = scale  # restored below
            its, secs, gaps, certified = [], [], [], 0
            for p in problems:
                conic.clear_cache()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    eo.solve(p, "scs")  # build and compile; the next call is a cache hit
                    sol = eo.solve(p, "scs")
                its.append(sol.iterations)
                secs.append(sol.timings.solve)
                gaps.append(sol.certificate.rel_gap or 0.0)
                certified += sol.certified
            rows.append(
                {
                    "scale": scale,
                    "iterations": sum(its),
                    "solve_s": sum(secs),
                    "median_ms": 1e3 * statistics.median(secs),
                    "max_gap": max(gaps),
                    "certified": certified,
                }
            )
    finally:
        conic.SCS_SCALE.clear()
        conic.SCS_SCALE.update(saved)
        conic.clear_cache()
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=80, help="problems per model (default 80)")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)
    for kind in ("power", "quadratic"):
        rows = run(kind, args.instances, args.seed)
        base = next(r for r in rows if r["scale"] == 0.1)
        chosen = conic.SCS_SCALE.get(kind, 0.1)  # 0.1: SCS's default
        console().print(
            table(
                f"SCS scale · {kind} · {args.instances} instances (seed {args.seed}); "
                f"execopt uses {chosen}",
                ["scale", "iterations", "solve time", "vs 0.1", "median", "worst gap", "certified"],
                [
                    [
                        f"{r['scale']:g}",
                        str(r["iterations"]),
                        f"{r['solve_s']:.2f} s",
                        f"{100 * (r['solve_s'] / base['solve_s'] - 1):+.0f} %",
                        f"{r['median_ms']:.1f} ms",
                        f"{r['max_gap']:.1e}",
                        f"{r['certified']}/{args.instances}",
                    ]
                    for r in rows
                ],
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
