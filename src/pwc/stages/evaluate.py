"""evaluate: the served scorer, the browser meter, the model alone and the constant baseline
on the validation and test sets; the lookup end to end; plots of the test sets."""

import pyarrow.parquet as pq
from dvclive import Live

from pwc import evaluate, frequency, lookup, model
from pwc.config import Params
from pwc.data.split import EVAL_SETS, TEST_SETS, end_to_end_queries
from pwc.errors import DataError
from pwc.io import atomic_dir, sha256_file
from pwc.meter import bundle
from pwc.scorer import Scorer
from pwc.stages import log, run


def main(params: Params) -> None:
    paths = params.paths
    fitted = model.load(paths.model)
    train = pq.read_table(
        paths.split("train"), columns=["password", "guess_rank", "target", "times"]
    )
    constant, cap = evaluate.constant_and_cap(train["target"])
    times_map = evaluate.TimesMap.from_table(train)  # for RMSLE where the source has counts
    # The scorer users get, with a lookup of the training split only: no held-out password
    # can be answered from it, exactly as for a password outside the leak.
    key = params.lookup.key
    table = lookup.build(train["password"], train["guess_rank"].to_numpy(), None, key)
    del train
    scorer = Scorer.build(params, fitted, sha256_file(paths.model), table)
    # the browser bundle's references: what pages answer, before and after loadExtended()
    meters = {
        "meter": bundle.read(paths.meter),
        "meter_extended": bundle.read(paths.meter, "extended"),
    }
    sets = {name: pq.read_table(paths.split(name)) for name in EVAL_SETS}
    counts = frequency.read_counts(paths.validated)
    served = {}
    for name, rows in sets.items():
        out = scorer(rows["password"])
        if (hits := int((out["source"] == "leak").sum())) > 0:
            raise DataError(f"{hits} {name} passwords found in the train-only lookup: split leak")
        served[name] = out["guesses_log10"]
    results = {
        name: evaluate.evaluate_set(
            rows,
            served[name],
            model.predict(fitted, rows["password"]),
            constant,
            times_map,
            cap,
            frequency.row_weights(rows, counts),
            {name: m.score(rows["password"])["guesses_log10"] for name, m in meters.items()},
        )
        for name, rows in sets.items()
    }
    for name in EVAL_SETS:
        log.info("%s: served %s", name, results[name]["served"])
        log.info("%s: meter %s", name, results[name]["meter"])
        log.info("%s: meter_extended %s", name, results[name]["meter_extended"])
    leak = pq.read_table(paths.validated, columns=["password", "rank", "target", "seen_once"])
    queries = end_to_end_queries(
        leak, params.split, params.evaluate.end_to_end_queries, params.seed
    )
    del leak
    out = scorer(queries["password"])
    found = out["source"] == "leak"
    results["lookup_end_to_end"] = evaluate.end_to_end(queries, out["guesses_log10"], found, cap)
    log.info("lookup end to end: %s", results["lookup_end_to_end"])

    # dvcyaml=False: dvc.yaml declares these metrics and plots itself.
    with (
        atomic_dir(paths.evaluate_dir) as out,
        Live(str(out), dvcyaml=False, save_dvc_exp=False, report=None) as live,
    ):
        live.summary = {"constant_prediction": round(constant, 6), **results}
        for name in TEST_SETS:  # plots report: the test sets, of what users get
            seen_twice = ~sets[name]["seen_once"].to_numpy(zero_copy_only=False)
            roc = evaluate.roc_points(seen_twice, served[name])
            live.log_plot(f"roc_{name}", roc, x="fpr", y="tpr", template="simple")
            live.log_plot(
                f"predicted_vs_true_{name}",
                evaluate.binned_quantiles(
                    sets[name]["target"].to_numpy(), served[name], params.evaluate.bin_width
                ),
                x="target",
                y="median",
            )
        live.log_plot(
            "error_by_length",
            evaluate.error_by_length({n: results[n] for n in TEST_SETS}),
            x="length",
            y=[f"rmse_{n}" for n in TEST_SETS],
            template="bar_horizontal",
        )


if __name__ == "__main__":
    run(main)
