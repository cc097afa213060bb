"""compare: constant, lecture baseline, zxcvbn and our model on the same test rows."""

import numpy as np
import pyarrow.parquet as pq

from pwc import compare, model
from pwc.config import Params
from pwc.evaluate import TEST_SETS
from pwc.io import write_json
from pwc.stages import log, run


def main(params: Params) -> None:
    paths, cfg = params.paths, params.compare
    ours = model.load(paths.model)
    train = pq.read_table(paths.split("train"), columns=["password", "rank", "target"])
    constant = float(np.mean(train["target"]))
    # The lecture baseline, trained on exactly the rows and weights our model was trained on.
    baseline_cfg = params.train.model_copy(update={"model": "baseline"})
    baseline = model.train(train, baseline_cfg, params.seed)
    cal = compare.subsample(train, cfg.rows, params.seed + 1)
    zx = compare.ZxcvbnCalibrated(cal["password"].to_pylist(), cal["target"].to_numpy())
    peers = {
        "constant": lambda pw: np.full(len(pw), constant),
        "baseline": lambda pw: model.predict(baseline, pw),
        "zxcvbn": zx,
        "ours": lambda pw: model.predict(ours, pw),
    }
    results = {}
    for name in TEST_SETS:
        rows = compare.subsample(pq.read_table(paths.split(name)), cfg.rows, params.seed)
        results[name] = compare.compare_set(rows, peers)
        log.info("%s: %s", name, results[name])
    write_json(paths.compare, results)


if __name__ == "__main__":
    run(main)
