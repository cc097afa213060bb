"""validate: schema errors stop the run; bad rows are quarantined and counted."""

import pyarrow.parquet as pq

from pwc.config import Params
from pwc.data.validate import validate
from pwc.io import write_json, write_parquet
from pwc.stages import log, run


def main(params: Params) -> None:
    paths = params.paths
    result = validate(
        pq.read_table(paths.ingested), str(paths.ingested), params.validate_.max_length
    )
    write_parquet(paths.validated, result.kept)
    write_parquet(paths.quarantine, result.quarantined)
    write_json(paths.validate_report, result.report)
    log.info(
        "kept %s of %s rows", f"{result.report['rows_kept']:,}", f"{result.report['rows_in']:,}"
    )


if __name__ == "__main__":
    run(main)
