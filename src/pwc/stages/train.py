"""train: fit the configured model on a sample of the train split; save it with skops."""

import pyarrow.parquet as pq

from pwc import model
from pwc.config import Params
from pwc.data.split import inclusion_weights, training_rows
from pwc.stages import log, run


def main(params: Params) -> None:
    cfg = params.train
    table = pq.read_table(params.paths.split("train"), columns=["password", "rank", "target"])
    ranks = table["rank"].to_numpy()
    idx = training_rows(ranks, cfg.rows, cfg.sampling, params.seed)
    rows = table.take(idx)
    weights = inclusion_weights(ranks, idx) if cfg.calibrate else None
    log.info("training %s on %s %s-sampled rows", cfg.model, f"{len(idx):,}", cfg.sampling)
    fitted = model.fit(cfg, rows["password"], rows["target"].to_numpy(), params.seed, weights)
    model.save(fitted, params.paths.model)


if __name__ == "__main__":
    run(main)
