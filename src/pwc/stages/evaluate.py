"""evaluate: metrics on test and test_head, the constant baseline beside them, and plots."""

import numpy as np
import pyarrow.parquet as pq
from dvclive import Live

from pwc import evaluate, model
from pwc.config import Params
from pwc.io import atomic_dir
from pwc.stages import log, run

TEST_SETS = ("test", "test_head")


def main(params: Params) -> None:
    paths = params.paths
    fitted = model.load(paths.model)
    train = pq.read_table(paths.split("train"), columns=["target", "times"])
    constant = float(np.mean(train["target"]))  # the constant baseline: mean training target
    times_map = evaluate.TimesMap.from_table(train)  # for RMSLE where the source has counts
    tables = {name: pq.read_table(paths.split(name)) for name in TEST_SETS}
    preds = {name: model.predict(fitted, t["password"]) for name, t in tables.items()}
    results = {
        n: evaluate.evaluate_set(tables[n], preds[n], constant, times_map) for n in TEST_SETS
    }
    for name in TEST_SETS:
        log.info("%s: %s", name, results[name]["model"])

    # dvcyaml=False: dvc.yaml declares these metrics and plots itself.
    with (
        atomic_dir(paths.evaluate_dir) as out,
        Live(str(out), dvcyaml=False, save_dvc_exp=False, report=None) as live,
    ):
        live.summary = {"constant_prediction": round(constant, 6), **results}
        for name in TEST_SETS:
            seen_twice = ~tables[name]["seen_once"].to_numpy(zero_copy_only=False)
            roc = evaluate.roc_points(seen_twice, preds[name])
            live.log_plot(f"roc_{name}", roc, x="fpr", y="tpr", template="simple")
            live.log_plot(
                f"predicted_vs_true_{name}",
                evaluate.scatter_points(
                    tables[name], preds[name], params.evaluate.scatter_points, params.seed
                ),
                x="target",
                y="predicted",
                template="scatter",
            )
        live.log_plot(
            "error_by_length",
            evaluate.error_by_length(results),
            x="length",
            y=[f"rmse_{n}" for n in TEST_SETS],
            template="bar_horizontal",
        )


if __name__ == "__main__":
    run(main)
