"""lookup: the leak lookup artifact (keyed hashes -> guess rank) from all validated rows."""

import os

import pyarrow.parquet as pq

from pwc import lookup
from pwc.config import Params
from pwc.io import write_json
from pwc.stages import log, run


def main(params: Params) -> None:
    paths = params.paths
    rows = pq.read_table(paths.validated, columns=["password", "guess_rank", "times"])
    times = rows["times"]
    counts = None if times.null_count == len(times) else times.fill_null(-1).to_numpy()
    table = lookup.build(rows["password"], rows["guess_rank"].to_numpy(), counts, params.lookup.key)
    lookup.write(table, paths.lookup)
    report = {
        "entries": table.entries,
        "tiers": int(table.guess_rank.size),
        "dropped_collisions": table.dropped_collisions,
        "bytes": os.path.getsize(paths.lookup),
    }
    write_json(paths.lookup_report, report)
    log.info("lookup: %s", report)


if __name__ == "__main__":
    run(main)
