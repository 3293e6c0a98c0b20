"""Benchmark of the episodes study: 1,000 parent orders of 60 minutes on the FROG day.

Run from the repository root (``make bench`` runs it after ``bench.py``)::

    .venv/bin/python benchmarks/bench_episodes.py             # real FROG day if found, 2 workers
    .venv/bin/python benchmarks/bench_episodes.py --quick     # smoke run: 40 episodes, in process
    .venv/bin/python benchmarks/bench_episodes.py --workers 1 --episodes 250

The run: ``K`` start times (default 250) spread over the day, two sizes (2,000 and 5,000
shares) and both sides, so 1,000 episodes of ``H = 60`` minutes, each replayed by TWAP, static
optimal, adaptive and the perfect-foresight oracle (4,000 simulations, 240,000 decisions), on a
Dask ``LocalCluster`` of 2 worker processes (:func:`execopt.studies.episodes.run_episodes`), then
the statistics (1,000 bootstrap replicates). The real FROG day 2025-04-03 is used when the data
are found (``EXECOPT_DATA`` or ``../shared/data``), else the seeded synthetic FROG day (said so).

Printed: wall time split into cluster start, episodes and statistics; milliseconds per episode
of each policy (measured in process beforehand on 20 episodes); the peak memory of the whole
process tree (this process and its Dask workers, sampled every 0.1 s: the sum of proportional
set sizes, the physical memory, judged against the target; and the sum of resident sizes, which
counts each shared library once per process); each against
its target (60 s, 1 GB) with MET or MISSED, and the load average, because other processes on
the machine slow every number. Nothing is tuned to pass. Writes ``reports/bench/episodes.json``
and ``episodes.md`` (``--out-dir``; ``FAST=1 make bench`` writes to ``reports/_fast/bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from rich.text import Text

from execopt._atomic import write_text
from execopt.cli.render import Col, console, table
from execopt.data import read_book, synthetic_book
from execopt.data.paths import find_data_root
from execopt.execution import SimConfig
from execopt.execution.episodes import day_contexts, plan_episodes, run_episode
from execopt.studies.episodes import EpisodeConfig, run_episodes
from execopt.studies.parallel import ParallelConfig

__all__ = ["TARGETS", "main", "run"]

ROOT = Path(__file__).resolve().parent.parent
#: Targets: wall seconds for the 1,000 episodes on 2 cores, peak memory of the process tree.
TARGETS = {"wall_s": 60.0, "memory_mb": 1024.0}
POLICIES = ("twap", "static", "adaptive", "oracle")


class _PeakMemory:
    """Peak memory of this process and its children, sampled in a thread: the sum of their
    proportional set sizes (PSS: a page shared by k processes counts 1/k in each, so the sum is
    the physical memory of the tree; the target) and the sum of their resident sizes (RSS:
    counts a shared library once per process: Numba's LLVM, ~100 MB, three times here).
    """

    def __init__(self, every: float = 0.1) -> None:
        import psutil

        self.proc = psutil.Process()
        self.every = every
        self.peak = 0.0  # PSS sum (RSS where the platform has no PSS)
        self.peak_rss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> None:
        import psutil

        pss = rss = 0
        try:
            procs = [self.proc, *self.proc.children(recursive=True)]
        except psutil.Error:  # pragma: no cover - the process tree changed under us
            return
        for p in procs:
            try:
                info = p.memory_full_info()
            except psutil.Error:  # a worker that just ended
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
        self.peak = max(self.peak, pss / 2**20)
        self.peak_rss = max(self.peak_rss, rss / 2**20)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.every)

    def __enter__(self) -> _PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sample()
        self._stop.set()
        self._thread.join()


def _book() -> tuple[Any, str]:
    root = find_data_root(ROOT)
    path = None if root is None else root / "mbp10" / "FROG_2025-04-03.csv.gz"
    if path is not None and path.is_file():
        return read_book(path), "real FROG 2025-04-03"
    return synthetic_book("FROG", seed=0), "synthetic FROG day (seed 0; real data not found)"


def _per_policy(book: Any, n: int) -> dict[str, float]:
    """Milliseconds per episode of each policy, in this process (after one warm-up)."""
    snaps = book.minute_snapshots()
    ctx = day_contexts(snaps)[0]
    specs, _ = plan_episodes(snaps.minute_grid(), episodes=n, horizon=60, sizes=(2000.0,))
    out = {}
    for p in POLICIES:
        run_episode(ctx, specs[0], [p], SimConfig())
        t0 = time.perf_counter()
        for sp in specs:
            run_episode(ctx, sp, [p], SimConfig())
        out[p] = 1e3 * (time.perf_counter() - t0) / len(specs)
    return out


def run(*, starts: int = 250, workers: int = 2, quick: bool = False) -> dict[str, Any]:
    """Run the benchmark; JSON-ready results."""
    book, label = _book()
    if quick:
        starts, workers = 10, 1
    load0 = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    per = _per_policy(book, 5 if quick else 20)
    cfg = EpisodeConfig(
        episodes=starts,
        horizon=60,
        sizes=(2000.0, 5000.0),
        sides=("buy", "sell"),
        policies=POLICIES,
        n_boot=200 if quick else 1000,
        chunk_size=25,
    )
    with _PeakMemory() as mem:
        t0 = time.perf_counter()
        study = run_episodes(book, cfg, ParallelConfig(workers=workers, progress=False))
        wall = time.perf_counter() - t0
    n = study.n_episodes
    tm = study.timings
    res = {
        "data": label,
        "episodes": n,
        "policies": list(POLICIES),
        "horizon": 60,
        "workers": workers,
        "where": tm["where"],
        "wall_s": wall,
        "cluster_start_s": tm["cluster_start"],
        "episodes_s": tm["episodes"],
        "statistics_s": tm["statistics"],
        "ms_per_episode_all_policies": 1e3 * tm["episodes"] / max(n, 1),
        "ms_per_episode_in_process": per,
        "peak_memory_mb": mem.peak,
        "peak_memory_rss_sum_mb": mem.peak_rss,
        "targets": TARGETS,
        "met": {
            "wall_s": wall <= TARGETS["wall_s"],
            "memory_mb": mem.peak <= TARGETS["memory_mb"],
        },
        "quick": quick,
        "cpus": os.cpu_count(),
        "loadavg_start": load0,
        "loadavg_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "mean_shortfall_bps": {
            str(k): float(v) for k, v in study.summary["shortfall_bps_mean"].items()
        },
    }
    return res


def _rows(res: dict[str, Any]) -> list[list[str]]:
    def met(key: str) -> str:
        if res["quick"]:
            return "(quick run)"
        return "MET" if res["met"][key] else "MISSED"

    rows = [
        ["episodes x policies", f"{res['episodes']:,} x {len(res['policies'])}", "", ""],
        ["where", res["where"], "", ""],
        ["wall time, s", f"{res['wall_s']:.1f}", f"<= {TARGETS['wall_s']:.0f}", met("wall_s")],
        ["  cluster start, s", f"{res['cluster_start_s']:.1f}", "", ""],
        ["  episodes, s", f"{res['episodes_s']:.1f}", "", ""],
        ["  statistics, s", f"{res['statistics_s']:.1f}", "", ""],
        ["ms per episode (4 policies)", f"{res['ms_per_episode_all_policies']:.1f}", "", ""],
    ]
    rows.append(["one core, in process:", "", "", ""])
    rows += [
        [f"  {p}, ms per episode", f"{v:.1f}", "", ""]
        for p, v in res["ms_per_episode_in_process"].items()
    ]
    rows.append(
        [
            "peak memory, PSS sum, MB",
            f"{res['peak_memory_mb']:,.0f}",
            f"<= {TARGETS['memory_mb']:,.0f}",
            met("memory_mb"),
        ]
    )
    if "peak_memory_rss_sum_mb" in res:
        rows.append(
            [
                "  RSS sum, MB",
                f"{res['peak_memory_rss_sum_mb']:,.0f}",
                "",
                "",
            ]
        )
    return rows


def _load(v: Any) -> str:
    """A load-average triple as ``0.52 / 0.97 / 1.05`` (1, 5 and 15 minutes)."""
    return " / ".join(f"{float(x):.2f}" for x in v) if v else "n/a"


def markdown(res: dict[str, Any]) -> str:
    lines = [
        f"# Episodes benchmark ({res['data']})",
        "",
        f"{res['episodes']:,} episodes of {res['horizon']} minutes, policies "
        f"{', '.join(res['policies'])}; {res['cpus']} CPUs, load average "
        f"{_load(res['loadavg_start'])} at the start, {_load(res['loadavg_end'])} at the end.",
        "",
        "| measure | value | target | verdict |",
        "|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in _rows(res)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="smoke run: 40 episodes in process")
    ap.add_argument("--episodes", type=int, default=250, help="start times (x 2 sizes x 2 sides)")
    ap.add_argument("--workers", type=int, default=2, help="Dask worker processes (default 2)")
    ap.add_argument("--out-dir", type=Path, default=ROOT / "reports" / "bench")
    a = ap.parse_args(argv)
    res = run(starts=a.episodes, workers=a.workers, quick=a.quick)
    out = console()
    out.print(
        Text(
            f"episodes benchmark on the {res['data']}: {res['cpus']} CPUs, load average "
            f"{_load(res['loadavg_start'])} at the start (other processes slow every number)"
        )
    )
    out.print(
        table("", [Col("measure"), Col("value", "right"), Col("target"), Col("")], _rows(res))
    )
    a.out_dir.mkdir(parents=True, exist_ok=True)
    write_text(a.out_dir / "episodes.json", json.dumps(res, indent=2) + "\n")
    write_text(a.out_dir / "episodes.md", markdown(res))
    out.print(f"wrote {a.out_dir / 'episodes.json'} and {a.out_dir / 'episodes.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
