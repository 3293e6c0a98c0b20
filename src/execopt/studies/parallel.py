"""Dask client management for the studies: map a function over chunks, results in chunk order.

Three ways to run, chosen by :class:`ParallelConfig`:

* ``workers=1`` (and no scheduler): in process, a plain loop; no Dask start-up cost;
* ``workers=k > 1``: a :class:`dask.distributed.LocalCluster` with ``k`` worker *processes*
  (one thread each) and a real scheduler, started and closed around the study. ``k`` is capped
  at the cores this process may run on (:func:`available_cores`): more processes than cores
  only add start-up time and memory. ``oversubscribe=True`` lifts the cap;
* ``scheduler="tcp://host:port"``: an existing cluster; the client connects and disconnects,
  the cluster is left running.

Results never depend on the worker count: the caller fixes the chunking (and one
``SeedSequence`` child per chunk) before anything is sent out, and :func:`map_chunks` returns
the results in chunk order whichever worker finished first.

An unreachable scheduler is an :class:`~execopt.errors.InputError` after
:data:`CONNECT_TIMEOUT` seconds, naming the address.
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

from execopt._validate import check_int
from execopt.errors import InputError

__all__ = [
    "CONNECT_TIMEOUT",
    "ParallelConfig",
    "RunStats",
    "available_cores",
    "dask_client",
    "map_chunks",
]

#: Seconds to wait for an existing Dask scheduler before giving up.
CONNECT_TIMEOUT = 10.0


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity; ``os.cpu_count()`` where unknown)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        return max(os.cpu_count() or 1, 1)


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
        available core. More than :func:`available_cores` is capped there unless
        ``oversubscribe``.
    scheduler : str or None
        Address of an existing Dask scheduler (``"tcp://host:8786"``); overrides ``workers``.
    threads_per_worker : int
        Threads per worker process (1: NumPy's sorting is single-threaded anyway).
    progress : bool
        Show a tqdm progress bar (stderr) over completed chunks.
    oversubscribe : bool
        Start ``workers`` processes even when there are fewer cores.
    """

    workers: int | None = None
    scheduler: str | None = None
    threads_per_worker: int = 1
    progress: bool = False
    oversubscribe: bool = False

    def __post_init__(self) -> None:
        check_int("workers", self.workers, minimum=1, allow_none=True)
        check_int("threads_per_worker", self.threads_per_worker, minimum=1)
        if self.scheduler is not None and (
            not isinstance(self.scheduler, str) or not self.scheduler.strip()
        ):
            raise InputError(
                f"scheduler must be an address such as 'tcp://host:8786' or None, got "
                f"{self.scheduler!r}."
            )

    @property
    def requested(self) -> int:
        """Worker processes asked for (every available core when ``workers`` is None)."""
        return self.workers if self.workers is not None else available_cores()

    @property
    def n_workers(self) -> int:
        """Worker processes that will be started: :attr:`requested`, capped at the available
        cores unless ``oversubscribe``.
        """
        if self.oversubscribe:
            return self.requested
        return min(self.requested, available_cores())

    @property
    def capped(self) -> bool:
        """True when fewer workers are started than asked for (see :attr:`n_workers`)."""
        return self.scheduler is None and self.n_workers < self.requested

    @property
    def in_process(self) -> bool:
        """True when chunks run in this process (no Dask)."""
        return self.scheduler is None and self.n_workers == 1

    def cap_note(self) -> str | None:
        """A sentence for the user when the worker count was capped, else None."""
        if not self.capped:
            return None
        return (
            f"workers: asked for {self.requested:,}, starting {self.n_workers} (the cores this "
            f"process may use); more processes than cores only add start-up time and memory. "
            "Pass --oversubscribe (oversubscribe=True) to start them all."
        )

    def describe(self) -> str:
        if self.scheduler:
            return f"dask scheduler {self.scheduler}"
        if self.in_process:
            where = "in process"
        else:
            where = f"dask LocalCluster, {self.n_workers} worker processes"
        if self.capped:
            where += f" (capped from {self.requested:,} at the available cores)"
        return where


@dataclass
class RunStats:
    """Wall-clock seconds spent starting the cluster (and importing the task's module on every
    worker) and running the chunks.
    """

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
        try:
            client = Client(parallel.scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise InputError(
                f"cannot reach the Dask scheduler at {parallel.scheduler!r} within "
                f"{CONNECT_TIMEOUT:g} s ({' '.join(str(exc).split())[:200]}): check the address "
                "and that a scheduler runs there (`dask scheduler`), or leave out --scheduler "
                "to start a local cluster."
            ) from exc
        with client:
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
    """Tqdm's notebook bar where ipywidgets can draw it, else the plain text bar.

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
