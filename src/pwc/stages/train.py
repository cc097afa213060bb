"""train: fit the configured model on a sample of the train split; save it with skops."""

import time

import pyarrow.parquet as pq

from pwc import model
from pwc.config import Params
from pwc.data.split import inclusion_weights, training_rows
from pwc.stages import log, run


def main(params: Params) -> None:
    cfg = params.train
    table = pq.read_table(params.paths.split("train"), columns=["password", "rank", "target"])
    idx = training_rows(table["rank"].to_numpy(), cfg.rows, cfg.sampling, params.seed)
    rows = table.take(idx)
    ranks = table["rank"].to_numpy()
    weights = inclusion_weights(ranks, idx) if cfg.calibrate else None
    log.info("training %s on %s %s-sampled rows", cfg.model, f"{len(idx):,}", cfg.sampling)
    start = time.perf_counter()
    fitted = model.fit(
        cfg, rows["password"], rows["target"].to_numpy(), params.seed, weights=weights
    )
    log.info("fitted in %.1f s", time.perf_counter() - start)
    model.save(fitted, params.paths.model)


if __name__ == "__main__":
    run(main)
