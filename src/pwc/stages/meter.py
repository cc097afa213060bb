"""meter: fit the browser meter on the train split and write its bundle (pwc.meter)."""

import pyarrow.parquet as pq

from pwc.config import Params
from pwc.io import atomic_dir, write_json
from pwc.meter import advice, bundle, fit
from pwc.stages import log, run


def main(params: Params) -> None:
    paths, cfg = params.paths, params.meter
    train = pq.read_table(paths.split("train"), columns=["password", "rank", "target"])
    thresholds = params.strength.score_thresholds
    meters = fit.fit(train, cfg, params.seed, thresholds, params.validate_.max_length)
    with atomic_dir(paths.meter) as out:
        bundle.write(meters, out, advice.data_js())
    report = {**bundle.sizes(paths.meter)}
    for kind, meter in meters.items():
        report[kind] = {
            "version": meter.version,
            "trees": int(meter.forest.roots.size),
            "nodes": int(meter.forest.left.size),
            "table_entries": [int(k.size) for k in meter.tables.keys],
        }
    write_json(paths.meter_report, report)
    log.info("meter: %s", report)


if __name__ == "__main__":
    run(main)
