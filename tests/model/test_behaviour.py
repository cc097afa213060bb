"""What a strength estimator must do, whatever its metrics (Made-With-ML's behaviour tests)."""

import numpy as np

from pwc import evaluate
from pwc import model as model_lib

COMMON = ["123456", "password", "iloveyou", "qwerty", "abc123", "111111"]
RANDOM_16 = ["Xk9#mQ2$vL7!pR4@", "t8&Wz!3qLp0^Ny6e", "G5%rb@9Kx!2mVq7#"]


def test_common_passwords_are_far_weaker_than_random_strings(small_run):
    model, _ = small_run
    common = model_lib.predict(model, COMMON)
    random = model_lib.predict(model, RANDOM_16)
    assert common.max() + 1.0 < random.min(), (common, random)


def test_appending_random_characters_never_makes_weaker(small_run):
    model, parts = small_run
    rng = np.random.default_rng(0)
    alphabet = np.array(
        list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%&*")
    )
    base = parts["test_head"]["password"].to_pylist()[:2000]
    longer = ["".join([p, *rng.choice(alphabet, size=4)]) for p in base]
    before, after = model_lib.predict(model, base), model_lib.predict(model, longer)
    # a little slack for the linear n-gram terms; never an order of magnitude
    assert np.min(after - before) > -0.5
    assert np.mean(after >= before - 0.05) > 0.97


def test_predictions_are_repeatable_and_order_free(small_run):
    model, _ = small_run
    words = COMMON + RANDOM_16
    first = model_lib.predict(model, words)
    assert np.array_equal(first, model_lib.predict(model, words))
    assert np.array_equal(first[::-1], model_lib.predict(model, words[::-1]))
    assert np.array_equal(first[:1], model_lib.predict(model, words[:1]))


def test_beats_the_constant_baseline_on_held_out_rows(small_run):
    model, parts = small_run
    for name in ("test", "test_head"):
        table = parts[name]
        pred = model_lib.predict(model, table["password"])
        out = evaluate.evaluate_set(table, pred, constant=float(np.mean(table["target"])))
        assert out["model"]["spearman"] > 0.2, name
        assert out["model"]["auc_seen_twice"] > 0.65, name
