"""pwc.meter: the browser meter's tables, features, trees, file and record (the JavaScript is
checked against this reference in tests/web)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pyarrow as pa
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from pwc.config import with_changes
from pwc.meter import fit as meter_fit
from pwc.meter import tables as tb
from pwc.meter.features import SIMPLE, features, names
from pwc.meter.model import (
    COST_TO_Q,
    MAX_LOG10,
    POWERS,
    STEP_RATIO,
    Meter,
    from_varints,
    step_table,
    varints,
)
from pwc.meter.trees import SCALE, Forest

RNG = np.random.default_rng(20261207)
WORDS = ["password", "monkey", "dragon", "sunshine", "princess", "qwerty", "abc", "iloveyou"]


def _train(n: int = 3000) -> pa.Table:
    """A made-up train split: common words and words with digits at the head, random strings
    in the tail (rank = row number, target = log10 rank)."""
    head = [w + s for w in WORDS for s in ("", "1", "123", "!", "2010")]
    alphabet = list("abcdefghijklmnopqrstuvwxyz0123456789")
    tail = ["".join(RNG.choice(alphabet, size=RNG.integers(4, 12))) for _ in range(n)]
    pw = head + tail
    rank = np.arange(1, len(pw) + 1)
    return pa.table({"password": pw, "rank": rank, "target": np.log10(rank.astype(float))})


@pytest.fixture(scope="module")
def meter(params) -> Meter:
    cfg = with_changes(params.meter, min_counts=[1, 2, 2, 2, 2, 2], rows=2000, trees=10)
    meters = meter_fit.fit(_train(), cfg, params.seed, params.strength.score_thresholds, 128)
    assert set(meters) == {"core", "extended"}
    return meters["core"]


@pytest.mark.parametrize(
    "keys", [[], [0], [0, 127, 128, 16383, 16384, 2**32 - 1], sorted(RNG.choice(2**32, 500))]
)
def test_varints_round_trip(keys):
    keys = np.array(keys, dtype=np.uint32)
    raw = varints(keys)
    assert (from_varints(np.frombuffer(raw, np.uint8), keys.size) == keys).all()
    deltas = np.diff(keys.astype(np.int64), prepend=0)
    assert len(raw) == sum(max(1, math.ceil(int(d).bit_length() / 7)) for d in deltas)


def test_chain_backs_off_one_order_at_a_time():
    values = [np.array([5, 0, 0]), np.array([7, 0, 3]), np.array([0, 0, 9])]
    costs = tb.chain(values, [0, 2, 4])
    assert [c.tolist() for c in costs] == [[5, tb.UNSEEN, tb.UNSEEN], [7, 66, 3], [11, 70, 9]]


def test_table_costs_are_half_bits_of_the_counts():
    passwords = ["ab", "ab", "ac", "b"]
    counts = tb.Counts.of(pa.array(passwords), 2, 32)
    tables = tb.build(pa.array(passwords), counts, [1, 1], [0, 0])
    data, _, scored = tb.padded(["ab"], 2)
    at = np.flatnonzero(scored)
    order1, order2 = tables.values(data, at)
    # 11 predicted bytes (each password's bytes and END): "a" 3 times, "b" 3, END 4
    assert order1.tolist() == [round(2 * math.log2(11 / c)) for c in (3, 3, 4)]
    # after START, "a" 3 of 4 times; after "a", "b" 2 of 3 times; after "b", END 3 of 3
    expected = [round(2 * math.log2(4 / 3)), round(2 * math.log2(3 / 2)), 1]
    assert order2.tolist() == [max(1, e) for e in expected]
    pruned = tb.build(pa.array(passwords), counts, [1, 3], [0, 0])
    assert pruned.values(data, at)[1].tolist() == [1, 0, 1]  # "ab" seen twice: pruned at 3


def test_fewer_key_bits_count_what_counting_at_them_counts():
    passwords = pa.array(_train(500)["password"].to_pylist())
    direct = tb.Counts.of(passwords, 3, 12)
    truncated = tb.Counts.of(passwords, 3, 32).truncated(12)
    for (k1, c1), (k2, c2) in zip(direct.grams, truncated.grams, strict=True):
        assert (k1 == k2).all() and (c1 == c2).all()
    assert truncated.key_bits == 12 and max(k.max() for k, _ in truncated.grams) < 1 << 12


def _half_bits(context: int, gram: int) -> int:
    return min(max(round(2 * math.log2(context / gram)), 1), tb.MAX_COST)


@pytest.mark.parametrize("penalty", [0, 6])
def test_the_gain_of_an_ngram_is_what_backing_off_would_cost(penalty):
    """Order 2 over order 1, counted by hand: an n-gram's gain is |count x (its order-1
    cost + order 2's backoff penalty - its own cost)|; min_gains keeps exactly those that
    reach it."""
    words = ["aaaa", "abab", "abba", "ba", "bb", "b", "aab", "baba", "abab"]
    seqs = [[tb.START, *w.encode(), tb.END] for w in words]
    order1 = {}  # byte -> count over the predicted positions
    pairs = {}  # (previous, byte) -> count
    for s in seqs:
        for prev, b in zip(s, s[1:], strict=False):
            order1[b] = order1.get(b, 0) + 1
            pairs[(prev, b)] = pairs.get((prev, b), 0) + 1
    total = sum(order1.values())
    context = {}
    for (prev, _), c in pairs.items():
        context[prev] = context.get(prev, 0) + c
    gain = {
        (prev, b): c * abs(_half_bits(total, order1[b]) + penalty - _half_bits(context[prev], c))
        for (prev, b), c in pairs.items()
    }
    counts = tb.Counts.of(pa.array(words), 2, 32)
    everything = tb.build(pa.array(words), counts, [1, 1], [0, penalty])
    assert sorted(everything.gains[1].tolist()) == sorted(gain.values())
    least = sorted(gain.values())[len(gain) // 2]
    assert 0 < least < max(gain.values())
    pruned = tb.build(pa.array(words), counts, [1, 1], [0, penalty], [0, least])
    for (prev, b), g in gain.items():
        data = np.array([prev, b], dtype=np.uint8)
        kept = pruned.values(data, np.array([1]))[1][0] > 0
        assert kept == (g >= least), (chr(prev), chr(b), g)


def test_a_row_left_out_reads_the_tables_of_the_other_rows():
    passwords = ["dragon1", "dragon2", "dragon1x", "monkey", "dragon1"]
    counts = tb.Counts.of(pa.array(passwords), 4, 32)
    tables = tb.build(pa.array(passwords), counts, [1, 1, 2, 2], [0] * 4)
    left_out = meter_fit.left_out_values(
        pa.array(["dragon1x"]), counts, tables, [1, 1, 2, 2], [0] * 4
    )
    others = [p for p in passwords if p != "dragon1x"]
    rebuilt = tb.build(
        pa.array(others), tb.Counts.of(pa.array(others), 4, 32), [1, 1, 2, 2], [0] * 4
    )
    data, _, scored = tb.padded(["dragon1x"], 4)
    direct = rebuilt.values(data, np.flatnonzero(scored))
    assert [v.tolist() for v in left_out] == [v.tolist() for v in direct]


def test_a_row_left_out_takes_its_share_of_the_gain():
    """With min_gains, a row's n-gram stays when its gain scaled to the count left reaches the
    bound: "dragon" seen 3 times keeps 2/3 of its gain when one of them is left out."""
    passwords = ["dragon", "dragon", "dragon", "drag", "monkey"]
    counts = tb.Counts.of(pa.array(passwords), 2, 32)
    tables = tb.build(pa.array(passwords), counts, [1, 1], [0, 0])
    data, _, scored = tb.padded(["dragon"], 2)
    at = np.flatnonzero(scored)
    key = tb.gram_keys(data, at, 2, 32)[4]  # "go": in the three "dragon" only
    gain = float(tb.lookup(tables.keys[1], tables.gains[1], key[None], 0.0)[0])
    assert gain > 0
    for least, kept in ((math.floor(gain * 2 / 3), True), (math.floor(gain * 2 / 3) + 1, False)):
        pruned = tb.build(pa.array(passwords), counts, [1, 1], [0, 0], [0, least])
        value = meter_fit.left_out_values(pa.array(["dragon"]), counts, pruned, [1, 1], [0, least])
        assert (value[1][4] > 0) == kept, least


@pytest.mark.parametrize(
    ("password", "simple"),
    [
        ("aB3$", [4, 1, 1, 1, 1, 0, 3, 0, 0, 0]),
        ("abc123", [6, 3, 0, 3, 0, 0, 1, 0, 4, 3]),
        ("aa11a", [5, 3, 0, 2, 0, 0, 2, 2, 0, 0]),
        ("\u00e9", [2, 0, 0, 0, 0, 2, 0, 0, 0, 0]),  # two UTF-8 bytes: 0xC3 0xA9
        ("", [0] * 10),
    ],
)
def test_the_byte_features(meter, password, simple):
    x = features(["pad", password], meter.tables)
    assert x[1, : len(SIMPLE)].tolist() == simple
    assert x.shape[1] == len(names(meter.tables.order))


def test_the_forest_export_predicts_what_sklearn_predicts():
    x = RNG.integers(0, 40, size=(4000, 3))
    y = 0.1 * x[:, 0] + np.sin(x[:, 1]) + RNG.normal(0, 0.1, 4000)
    booster = HistGradientBoostingRegressor(max_iter=20, max_leaf_nodes=15, random_state=0)
    booster.fit(x.astype(float), y)
    forest = Forest.from_booster(booster)
    # integer sums: one rounding of at most half a step per leaf and the baseline
    error = np.abs(forest.predict(x) / SCALE - booster.predict(x.astype(float)))
    assert error.max() <= 21 * 0.5 / SCALE and error.max() > 0


def test_the_file_round_trips_and_refuses_other_bytes(meter):
    raw = meter.to_bytes()
    again = Meter.from_bytes(raw)
    assert again.to_bytes() == raw and again.version == meter.version
    pw = ["password1", "x" * 40, "", "\U0001f600\u00e9"]
    assert (again.quantised(pw) == meter.quantised(pw)).all()
    with pytest.raises(ValueError, match="magic"):
        Meter.from_bytes(b"XXXX" + raw[4:])
    with pytest.raises(ValueError, match="truncated"):
        Meter.from_bytes(raw[:-4])


def test_the_record_is_built_from_the_integer_answer(meter):
    pw = ["password", "qwerty123", "x7#Kp!2zQ9@m", "a" * 60]
    q = meter.quantised(pw)
    out = meter.score(pw)
    assert (out["guesses_log10"] == q / SCALE).all() and set(out["source"]) == {"model"}
    empty = meter.score([""])  # one guess: the empty string, brute-forced
    assert (empty["guesses_log10"][0], empty["source"][0]) == (0.0, "brute_force")
    steps = step_table()
    assert out["guesses"].tolist() == [steps[v % SCALE] * POWERS[v // SCALE] for v in q]
    # 10^(k/SCALE): the ratio correctly rounded, the last step within 4,095 products' rounding
    with mpmath.workprec(120):
        ratio = float(mpmath.power(10, mpmath.mpf(1) / SCALE))
        last = float(mpmath.power(10, 1 - mpmath.mpf(1) / SCALE))
    assert ratio == STEP_RATIO
    assert abs(steps[SCALE - 1] / last - 1) < 1e-12
    assert out["score"].tolist() == [sum(t <= v for t in meter.thresholds) for v in q / SCALE]
    assert set(out["source"]) == {"model"}
    assert q.min() >= 0 and q.max() <= MAX_LOG10 * SCALE


def test_answers_from_beyond_from_rise_by_the_ngram_cost(meter):
    pw = ["".join(RNG.choice(list("abcdefghijklmnopqrstuvwxyz0123456789!@#"), 30)), "abc"]
    trees = meter.forest.predict(features(pw, meter.tables))
    assert (meter.quantised(pw) == trees).all()  # below beyond_from: the trees alone
    past = Meter.from_bytes(meter.to_bytes())
    past.beyond_from_q = int(trees[0])  # the first at the bound, the second below it
    past.beyond_markov_from_q = 16 * SCALE
    cost = features(pw, meter.tables)[:, names(meter.tables.order).index("cost_6")]
    rise = np.maximum(cost * COST_TO_Q // 1024 - 16 * SCALE, 0)
    assert rise[0] > 0
    assert past.quantised(pw).tolist() == [trees[0] + rise[0], trees[1]]


def test_the_api_rules(meter):
    meter.check(["x" * 128, "\U0001f600" * 128, ""])
    for bad in ("x" * 129, "\ud800"):
        with pytest.raises(ValueError) as err:
            meter.check([bad])
        assert bad not in str(err.value)  # no password in an error
