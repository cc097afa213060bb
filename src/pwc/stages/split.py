"""split: the train split, the validation sets and the test sets (test, test_head), by a
stable hash of each password."""

import pyarrow.parquet as pq

from pwc.config import Params
from pwc.data.split import split
from pwc.io import write_parquet
from pwc.stages import log, run


def main(params: Params) -> None:
    parts = split(pq.read_table(params.paths.validated), params.split, params.seed)
    for name, table in parts.items():
        write_parquet(params.paths.split(name), table)
        log.info("%s: %s rows", name, f"{table.num_rows:,}")


if __name__ == "__main__":
    run(main)
