"""A model trained by the pipeline's own code on a seeded RockYou sample (CI has no DVC cache)."""

import pytest

from pwc import model as model_lib
from pwc.config import DataParams, SplitParams
from pwc.data.sources import ingest
from pwc.data.split import inclusion_weights, split, training_rows
from pwc.data.validate import validate


@pytest.fixture(scope="session")
def small_run(params):
    table = ingest(DataParams(sample=400_000, sha256=params.data.sha256), seed=params.seed)
    kept = validate(table, "rockyou", params.validate_.max_length).kept
    parts = split(kept, SplitParams(test_size=20_000, test_head_size=20_000), params.seed)
    train = parts["train"]
    cfg = params.train.model_copy(update={"rows": 150_000})
    ranks = train["rank"].to_numpy()
    idx = training_rows(ranks, cfg.rows, cfg.sampling, params.seed)
    rows = train.take(idx)
    weights = inclusion_weights(ranks, idx)
    fitted = model_lib.fit(
        cfg, rows["password"], rows["target"].to_numpy(), params.seed, weights=weights
    )
    return fitted, parts
