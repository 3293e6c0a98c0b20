"""Dask client management for the studies: map a function over chunks, results in chunk order.

Three ways to run, chosen by :class:`ParallelConfig`:

* ``workers=1`` (and no scheduler): in process, a plain loop; no Dask start-up cost;
* ``workers=k > 1``: a :class:`dask.distributed.LocalCluster` with ``k`` worker *processes*
  (one thread each) and a real scheduler, started and closed around the study;
* ``scheduler="tcp://host:port"``: an existing cluster; the client connects and disconnects,
  the cluster is left running.

Results never depend on the worker count: the caller fixes the chunking (and one
``SeedSequence`` child per chunk) before anything is sent out, and :func:`map_chunks` returns
the results in chunk order whichever worker finished first.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from time import perf_counter
from typing import Any, TypeVar

from execopt.errors import InputError

__all__ = ["ParallelConfig", "RunStats", "dask_client", "map_chunks"]

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class ParallelConfig:
    """Where the chunks of a study run.

    Parameters
    ----------
    workers : int or None
        Worker processes of a local cluster; ``1`` runs in process; ``None`` (default) uses every
        core.
    scheduler : str or None
        Address of an existing Dask scheduler (``"tcp://host:8786"``); overrides ``workers``.
    threads_per_worker : int
        Threads per worker process (1: NumPy's sorting is single-threaded anyway).
    progress : bool
        Show a tqdm progress bar over completed chunks.
    """

    workers: int | None = None
    scheduler: str | None = None
    threads_per_worker: int = 1
    progress: bool = False

    def __post_init__(self) -> None:
        if self.workers is not None and (not isinstance(self.workers, int) or self.workers < 1):
            raise InputError(f"workers must be an integer >= 1 or None, got {self.workers!r}.")
        if self.threads_per_worker < 1:
            raise InputError("threads_per_worker must be >= 1.")

    @property
    def n_workers(self) -> int:
        """Number of local worker processes this config asks for."""
        return self.workers if self.workers is not None else max(os.cpu_count() or 1, 1)

    @property
    def in_process(self) -> bool:
        """True when chunks run in this process (no Dask)."""
        return self.scheduler is None and self.n_workers == 1

    def describe(self) -> str:
        if self.scheduler:
            return f"dask scheduler {self.scheduler}"
        if self.in_process:
            return "in process"
        return f"dask LocalCluster, {self.n_workers} worker processes"


@dataclass
class RunStats:
    """Wall-clock seconds spent starting the cluster (and importing the task's module on every
    worker) and running the chunks."""

    start: float = 0.0
    compute: float = 0.0
    chunks: int = 0
    where: str = ""


@contextmanager
def dask_client(parallel: ParallelConfig) -> Iterator[Any]:
    """A connected :class:`dask.distributed.Client` for ``parallel`` (closed on exit).

    Yields None for the in-process configuration. A local cluster is started with worker
    processes, its HTTP server on a free port (so no clash with another cluster on 8787), and
    quiet logs; it is shut down on exit.
    """
    if parallel.in_process:
        yield None
        return
    from dask.distributed import Client, LocalCluster

    if parallel.scheduler is not None:
        with Client(parallel.scheduler) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=parallel.n_workers,
            threads_per_worker=parallel.threads_per_worker,
            processes=True,
            # a free port: even with the dashboard off, the scheduler's HTTP server binds one,
            # and the default 8787 warns ("already in use") when another cluster runs
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def map_chunks(
    fn: Callable[[C, T], R],
    shared: C,
    specs: Sequence[T],
    parallel: ParallelConfig,
    *,
    client: Any = None,
    desc: str = "chunks",
    stats: RunStats | None = None,
) -> list[R]:
    """``[fn(shared, spec) for spec in specs]``, on Dask when ``parallel`` asks for it.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled by reference and run on the workers).
    shared : object
        Data every chunk needs (e.g. a parameter distribution); sent to each worker once.
    specs : sequence
        One small description per chunk (sizes, ``SeedSequence`` child).
    parallel : ParallelConfig
    client : dask.distributed.Client, optional
        Re-use a connected client (e.g. one cluster for several studies in a notebook).
    desc : str
        Label of the progress bar.
    stats : RunStats, optional
        Filled with start-up and compute times.

    Returns
    -------
    list
        Results in the order of ``specs``, whatever order the workers finished in.
    """
    tqdm = _tqdm()
    stats = stats if stats is not None else RunStats()
    stats.chunks = len(specs)
    t0 = perf_counter()
    if client is None and parallel.in_process:
        stats.where = parallel.describe()
        out = [fn(shared, s) for s in tqdm(specs, desc=desc, disable=not parallel.progress)]
        stats.compute = perf_counter() - t0
        return out
    if client is not None:
        stats.where = f"dask client {getattr(client, 'scheduler', '')}"
        return _run(fn, shared, specs, client, parallel.progress, desc, stats, t0)
    with dask_client(parallel) as own:
        stats.where = parallel.describe()
        return _run(fn, shared, specs, own, parallel.progress, desc, stats, t0)


def _tqdm() -> Any:
    """tqdm's notebook bar where ipywidgets can draw it, else the plain text bar.

    ``tqdm.auto`` in a Jupyter kernel without ipywidgets warns ("IProgress not found") on import,
    even when every bar is disabled, and the warning lands in executed reports.
    """
    import importlib.util

    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    return tqdm


def _run(
    fn: Callable[[C, T], R],
    shared: C,
    specs: Sequence[T],
    client: Any,
    progress: bool,
    desc: str,
    stats: RunStats,
    t0: float,
) -> list[R]:
    from dask.distributed import as_completed

    tqdm = _tqdm()

    # import the task's module on every worker first, so start-up is not billed as compute
    client.run(importlib.import_module, fn.__module__)
    t1 = perf_counter()
    stats.start = t1 - t0
    shared_f = client.scatter(shared, broadcast=True, hash=False)
    futures = [client.submit(fn, shared_f, s, pure=False) for s in specs]
    index = {f.key: i for i, f in enumerate(futures)}
    results: list[Any] = [None] * len(futures)
    try:
        for fut in tqdm(as_completed(futures), total=len(futures), desc=desc, disable=not progress):
            results[index[fut.key]] = fut.result()
    finally:
        client.cancel([*futures, shared_f])
    stats.compute = perf_counter() - t1
    return results
