"""ingest: the configured source -> one Parquet table with guess-rank targets."""

from pwc.config import Params
from pwc.data.sources import ingest
from pwc.io import write_parquet
from pwc.stages import log, run


def main(params: Params) -> None:
    table = ingest(params.data, params.seed)
    write_parquet(params.paths.ingested, table)
    log.info("ingested %s rows from source %s", f"{table.num_rows:,}", params.data.source)


if __name__ == "__main__":
    run(main)
