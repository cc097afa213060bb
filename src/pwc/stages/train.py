"""train: fit the configured model on a sample of the train split; save it with skops."""

import pyarrow.parquet as pq

from pwc import model
from pwc.config import Params
from pwc.stages import run


def main(params: Params) -> None:
    table = pq.read_table(params.paths.split("train"), columns=model.train_columns(params.train))
    model.save(model.train(table, params.train, params.seed), params.paths.model)


if __name__ == "__main__":
    run(main)
