"""The served scorer on the evaluation sets: its answers (a held-out password found in the
train-only lookup is a split leak) and the test sets' plots of what users get."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pwc.data.split import TEST_SETS
from pwc.errors import DataError
from pwc.evaluation import evaluate


def served_answers(scorer, sets: dict[str, pa.Table]) -> dict[str, np.ndarray]:
    """Each set's served guesses_log10 from a scorer whose lookup holds the train split only:
    no held-out password may be answered from it (a DataError naming the set otherwise)."""
    served = {}
    for name, rows in sets.items():
        out = scorer(rows["password"])
        if (hits := int((out["source"] == "leak").sum())) > 0:
            raise DataError(f"{hits} {name} passwords found in the train-only lookup: split leak")
        served[name] = out["guesses_log10"]
    return served


def log_test_plots(live, sets, served, results, bin_width: float) -> None:
    """dvclive plots of the test sets (what users get): ROC of seen-twice, predicted against
    true by bins of `bin_width`, error by length."""
    for name in TEST_SETS:
        seen_twice = ~sets[name]["seen_once"].to_numpy(zero_copy_only=False)
        roc = evaluate.roc_points(seen_twice, served[name])
        live.log_plot(f"roc_{name}", roc, x="fpr", y="tpr", template="simple")
        target = sets[name]["target"].to_numpy()
        live.log_plot(
            f"predicted_vs_true_{name}",
            evaluate.binned_quantiles(target, served[name], bin_width),
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
