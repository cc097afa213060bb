"""evaluate: metrics on test and test_head, the constant baseline beside them, and plots."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from dvclive import Live

from pwc import evaluate, lookup, model
from pwc.config import Params
from pwc.data.split import log_rank_sample
from pwc.errors import DataError
from pwc.evaluate import TEST_SETS
from pwc.io import atomic_dir
from pwc.stages import log, run


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
    results["lookup_end_to_end"] = lookup_figure(params, fitted, tables)
    log.info("lookup end to end: %s", results["lookup_end_to_end"])

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
            evaluate.error_by_length({n: results[n] for n in TEST_SETS}),
            x="length",
            y=[f"rmse_{n}" for n in TEST_SETS],
            template="bar_horizontal",
        )


def lookup_figure(params: Params, fitted, tables: dict[str, pa.Table]) -> dict:
    """Lookup (built from the training split only) + model, on log-rank draws over all rows."""
    train = pq.read_table(params.paths.split("train"), columns=["password", "guess_rank"])
    table = lookup.build(train["password"], train["guess_rank"].to_numpy(), None, params.lookup.key)
    del train
    for name, test in tables.items():
        hits = int(table.find(test["password"])[0].sum())
        if hits:
            raise DataError(f"{hits} {name} passwords found in the train-only lookup: split leak")
    rows = pq.read_table(
        params.paths.validated, columns=["password", "rank", "target", "seen_once"]
    )
    rows = rows.sort_by("rank")
    rng = np.random.default_rng([params.seed, 7])
    idx = np.sort(log_rank_sample(rows["rank"].to_numpy(), params.split.test_head_size, rng))
    queries = rows.take(idx)
    del rows
    found, rank, _ = table.find(queries["password"])
    return evaluate.end_to_end(queries, found, rank, model.predict(fitted, queries["password"]))


if __name__ == "__main__":
    run(main)
