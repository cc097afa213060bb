"""compare: constant, lecture baseline, zxcvbn, our scorer and the browser meter on the same
test rows."""

import numpy as np
import pyarrow.parquet as pq

from pwc import model
from pwc.config import Params, with_changes
from pwc.data.split import TEST_SETS
from pwc.evaluation import compare, evaluate, frequency
from pwc.io import sha256_file, write_json
from pwc.meter import bundle
from pwc.sampling import take_uniform
from pwc.scorer import Scorer
from pwc.stages import log, run


def main(params: Params) -> None:
    paths, cfg = params.paths, params.compare
    ours = model.load(paths.model)
    # Test passwords are held out, so a lookup could not answer them: the served scorer is
    # the model and its beyond-leak extension.
    served = Scorer.build(params, ours, sha256_file(paths.model))
    train = pq.read_table(paths.split("train"), columns=model.train_columns(params.train))
    constant, cap = evaluate.constant_and_cap(train["target"])
    # The lecture baseline, fitted on exactly our linear learner's rows and weights.
    linear_rows = model.draw_rows(train, params.train, params.seed).linear
    baseline_cfg = with_changes(params.train, model="baseline")
    baseline = model.fit(baseline_cfg, linear_rows, params.seed)
    cal = take_uniform(train, cfg.rows, params.seed + 1)
    zx = compare.ZxcvbnCalibrated(cal["password"].to_pylist(), cal["target"].to_numpy())
    meter, extended = (bundle.read(paths.meter, kind) for kind in ("core", "extended"))
    peers = {
        "constant": lambda pw: np.full(len(pw), constant),
        "baseline": lambda pw: model.predict(baseline, pw),
        "zxcvbn": zx,
        "ours": lambda pw: served(pw)["guesses_log10"],
        "ours_model": lambda pw: model.predict(ours, pw),
        "meter": lambda pw: meter.score(pw)["guesses_log10"],
        "meter_extended": lambda pw: extended.score(pw)["guesses_log10"],
    }
    counts = frequency.read_counts(paths.validated)
    results = {}
    for name in TEST_SETS:
        whole = pq.read_table(paths.split(name))
        rows = take_uniform(whole, cfg.rows, params.seed)
        weights = frequency.row_weights(rows, counts)
        sliced = compare.rank_slice_rows(whole, cfg.slice_rows, params.seed)
        results[name] = compare.compare_set(rows, peers, cap, weights, sliced)
        log.info("%s: %s", name, results[name])
    write_json(paths.compare, results)


if __name__ == "__main__":
    run(main)
