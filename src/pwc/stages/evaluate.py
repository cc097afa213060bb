"""evaluate: the served scorer, the browser meter, the model alone and the constant baseline
on the validation and test sets; the lookup end to end; plots of the test sets."""

import pyarrow.parquet as pq
from dvclive import Live

from pwc import lookup, model
from pwc.config import Params
from pwc.data.split import EVAL_SETS, end_to_end_queries
from pwc.evaluation import evaluate, frequency
from pwc.evaluation.served import log_test_plots, served_answers
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
    served = served_answers(scorer, sets)
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
        log_test_plots(live, sets, served, results, params.evaluate.bin_width)


if __name__ == "__main__":
    run(main)
