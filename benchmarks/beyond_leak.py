"""Choose `strength.beyond_leak_markov_from` on the validation sets (never the test sets).

For each candidate: how far the served scorer's Spearman and AUC move from the model's on
validation and validation_head (the goal: within 0.002, so answers inside the leak's range
keep their order), the share of validation answers it moves, and the share of random
12- and 16-character strings it lifts to score 4 (>= 10^10 guesses).

    python benchmarks/beyond_leak.py          (after `make repro`; ~1 minute)
"""

from __future__ import annotations

import string

import numpy as np
import pyarrow.parquet as pq

from pwc import model as model_lib
from pwc.config import load_params
from pwc.data.split import VALIDATION_SETS
from pwc.evaluation import evaluate
from pwc.scorer import beyond_leak, strength

CANDIDATES = (10.0, 12.0, 14.0, 16.0, 18.0, 20.0)


def random_strings(length: int, n: int = 2000, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    alphabet = np.array(list(string.ascii_letters + string.digits + "!@#$%^&*()-_=+?"))
    return ["".join(rng.choice(alphabet, length)) for _ in range(n)]


def main() -> None:
    params = load_params()
    s = params.strength
    model = model_lib.load(params.paths.model)
    sets = {}
    for name in VALIDATION_SETS:
        table = pq.read_table(params.paths.split(name))
        pred, log10_prob = model_lib.predict_with_markov(model, table["password"])
        y, once = table["target"].to_numpy(), table["seen_once"].to_numpy(zero_copy_only=False)
        sets[name] = (y, once, pred, log10_prob, evaluate.metrics(y, pred, once))
    randoms = {n: model_lib.predict_with_markov(model, random_strings(n)) for n in (12, 16)}
    print(f"current: beyond_leak_markov_from = {s.beyond_leak_markov_from}")
    header = "| markov_from | " + " | ".join(
        f"{n} Δ Spearman / Δ AUC / moved" for n in VALIDATION_SETS
    )
    print(header + " | random 12 / 16 chars at score 4 |")
    print("|---" * (len(VALIDATION_SETS) + 2) + "|")
    for markov_from in CANDIDATES:
        cells = []
        for y, once, pred, log10_prob, model_m in sets.values():
            served = beyond_leak(
                pred, log10_prob, s.beyond_leak_from, s.beyond_leak_width, markov_from
            )
            m = evaluate.metrics(y, served, once)
            moved = np.mean(np.abs(served - pred) > 0.01)
            cells.append(
                f"{m['spearman'] - model_m['spearman']:+.4f} / "
                f"{m['auc_seen_twice'] - model_m['auc_seen_twice']:+.4f} / {moved:.1%}"
            )
        fours = []
        for pred, log10_prob in randoms.values():
            served = beyond_leak(
                pred, log10_prob, s.beyond_leak_from, s.beyond_leak_width, markov_from
            )
            fours.append(f"{np.mean(strength(served, s.score_thresholds) == 4):.1%}")
        print(f"| {markov_from:g} | " + " | ".join(cells) + f" | {' / '.join(fours)} |")


if __name__ == "__main__":
    main()
