"""Where a corpus's partitions run: here, one after another, or as tasks on a Dask cluster.

Both hand the partitions to the index writer in partition order, so the index bytes do not
depend on the engine, the number of workers or the order tasks finish in (tested).

    PWC_DASK_SCHEDULER=tcp://host:8786   use that cluster (default: a 2-worker LocalCluster)
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator

from pwc.breach.corpus import Engine, partition

LOOKAHEAD = 4  # partitions computed ahead of the writer: bounds the client's memory


class DaskEngine(Engine):
    """Partitions as Dask tasks; every worker must see the corpus and spill paths."""

    def __init__(self, scheduler: str | None = None, workers: int = 2):
        self.scheduler = scheduler or os.environ.get("PWC_DASK_SCHEDULER")
        self.workers = workers

    def map(self, tasks: list[tuple]) -> Iterator[tuple]:
        from distributed import Client, LocalCluster

        if self.scheduler:
            client, cluster = Client(self.scheduler), None
        else:
            cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)
        try:
            pending: deque = deque()
            for task in tasks:
                pending.append(client.submit(partition, *task, pure=False))
                if len(pending) > LOOKAHEAD:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


ENGINES = {"local": Engine, "dask": DaskEngine}
