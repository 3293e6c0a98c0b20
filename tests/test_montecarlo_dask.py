"""Monte Carlo on a real Dask LocalCluster: byte-identical to the in-process run for one seed.

The chunking (and one ``SeedSequence`` child per chunk) is fixed by the config, never by the
worker count, and results are reassembled in chunk order; so the JSON of a run (without its
``"timings"``) must be the same bytes for 1 and 2 workers. Each test starts and closes its own
two-process cluster, so its start and shutdown are tested (a few seconds); the others share one
module-scoped cluster, reached through a client and through ``--scheduler ADDR``. The draws are
kept small.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from execopt.studies import (
    MonteCarloConfig,
    NormalParameters,
    ParallelConfig,
    dask_client,
    map_chunks,
    run_montecarlo,
    u_shape,
)

pytest.importorskip("dask.distributed")

N = 390
CONFIG = MonteCarloConfig(draws=600, chunk_size=100, seed=20240611)


def _distribution() -> NormalParameters:
    # a profile, so the reductions are not identically 0
    b = 0.0009 * u_shape(N, 2.0)
    return NormalParameters(
        0.018, b, np.diag([(0.1 * 0.018) ** 2, (0.2 * 0.0009) ** 2]), periods_=N
    )


def _without_timings(doc: dict) -> str:
    doc = dict(doc)
    doc.pop("timings")
    return json.dumps(doc, sort_keys=True)


def _square(shared: int, spec: int) -> int:
    return shared + spec * spec


def test_two_worker_cluster_is_byte_identical_to_in_process() -> None:
    d = _distribution()
    local = run_montecarlo(d, CONFIG, ParallelConfig(workers=1))
    # with Dask's default port 8787 taken (another cluster), the start must not warn
    with socket.socket() as busy:
        with contextlib.suppress(OSError):  # already taken by someone else: just as good
            busy.bind(("127.0.0.1", 8787))
            busy.listen()
        dist = run_montecarlo(d, CONFIG, ParallelConfig(workers=2))
    assert local.timings["where"] == "in process"
    assert "2 worker processes" in dist.timings["where"]
    assert _without_timings(local.to_dict(draws=True)) == _without_timings(dist.to_dict(draws=True))
    assert local.draws.equals(dist.draws)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A two-process LocalCluster shared by the tests below, closed at the end of the module."""
    with dask_client(ParallelConfig(workers=2)) as c:
        yield c


def test_map_chunks_on_a_shared_client_keeps_chunk_order(client: Any) -> None:
    out = map_chunks(_square, 10, list(range(12)), ParallelConfig(workers=2), client=client)
    assert out == [10 + k * k for k in range(12)]
    r = run_montecarlo(_distribution(), CONFIG, client=client)
    ref = run_montecarlo(_distribution(), CONFIG, ParallelConfig(workers=1))
    assert _without_timings(r.to_dict()) == _without_timings(ref.to_dict())


def test_cli_montecarlo_json_is_identical_across_workers(
    client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from execopt.cli import study

    parser = argparse.ArgumentParser(prog="execopt")
    study.register(parser.add_subparsers(dest="command"))
    docs = []
    for where in (["--workers", "1"], ["--scheduler", client.scheduler.address]):
        args = parser.parse_args(
            ["study", "montecarlo", "--fast", "--json", "--source", "synthetic", *where]
        )
        assert study.run(args) == 0
        docs.append(json.loads(capsys.readouterr().out))
    assert docs[0]["timings"]["where"] != docs[1]["timings"]["where"]
    assert _without_timings(docs[0]) == _without_timings(docs[1])
