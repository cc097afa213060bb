import copy
import importlib
import re
import zipfile
from collections import Counter
from contextlib import nullcontext

import numpy as np
import pyarrow as pa
import pytest
import skops.io as sio
from sklearn.linear_model import LinearRegression

from pwc import model as model_lib
from pwc.config import with_changes
from pwc.counting.hashing import password_hash
from pwc.errors import ModelError
from tests.project import section

WORDS = [f"{w}{i}" for i in range(300) for w in ("pass", "Dragon!", "x")]


@pytest.fixture(scope="module", params=["baseline", "ngram_ridge"])
def fitted(request):
    cfg = section(
        "train",
        model=request.param,
        hash_bits=12,
        ngram_max=3,
        markov_order=0,
        pcfg_bits=0,
        neighbour_bits=0,
        booster_iter=0,
    )
    y = np.array([len(w) / 3 for w in WORDS])
    return cfg, model_lib.fit(cfg, model_lib.Rows(WORDS, y), seed=5)


def test_fit_is_deterministic_and_files_are_byte_identical(fitted, tmp_path):
    cfg, model = fitted
    again = model_lib.fit(cfg, model_lib.Rows(WORDS, np.array([len(w) / 3 for w in WORDS])), seed=5)
    model_lib.save(model, tmp_path / "a.skops")
    model_lib.save(again, tmp_path / "b.skops")
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()
    # the file, written a zip member at a time, holds to_bytes' bytes
    assert (tmp_path / "a.skops").read_bytes() == model_lib.to_bytes(model)
    with zipfile.ZipFile(tmp_path / "a.skops") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_round_trip_predicts_the_same(fitted, tmp_path):
    _, model = fitted
    model_lib.save(model, tmp_path / "m.skops")
    loaded = model_lib.load(tmp_path / "m.skops")
    words = ["123456", "correct horse", ""]
    assert np.array_equal(model_lib.predict(loaded, words), model_lib.predict(model, words))


def test_untrusted_types_are_refused(tmp_path):
    class Sneaky(LinearRegression):
        pass

    path = tmp_path / "evil.skops"
    sio.dump(Sneaky().fit([[0.0], [1.0]], [0.0, 1.0]), path)
    with pytest.raises(ModelError, match="refusing to load untrusted types"):
        model_lib.load(path)


def test_corrupt_and_missing_files(tmp_path, fitted):
    _, model = fitted
    path = tmp_path / "m.skops"
    model_lib.save(model, path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelError, match="not a loadable model file"):
        model_lib.load(path)
    with pytest.raises(ModelError, match="not found"):
        model_lib.load(tmp_path / "none.skops")


def test_a_model_of_another_format_is_refused(tmp_path, fitted):
    _, model = fitted
    old = sio.loads(model_lib.to_bytes(model), trusted=model_lib.trusted_types())
    del old.pwc_format_  # as written before formats were recorded
    (tmp_path / "old.skops").write_bytes(sio.dumps(old))
    with pytest.raises(ModelError, match="model format None but this code reads format"):
        model_lib.load(tmp_path / "old.skops")
    old.pwc_format_ = model_lib.MODEL_FORMAT + 1  # from a newer release
    (tmp_path / "new.skops").write_bytes(sio.dumps(old))
    with pytest.raises(ModelError, match="retrain"):
        model_lib.load(tmp_path / "new.skops")


def test_non_pipeline_is_refused(tmp_path):
    path = tmp_path / "lr.skops"
    path.write_bytes(sio.dumps(LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])))
    with pytest.raises(ModelError, match="expected an sklearn Pipeline"):
        model_lib.load(path)


def _split(times: list | None) -> pa.Table:
    """A train split of three equal-count blocks of 12 rows (counts 3, 2, 1 from the tail)."""
    block = np.repeat(np.arange(3, dtype=np.int32), 12)
    rank = np.arange(1, 37)
    return pa.table(
        {
            "password": [f"p{i}w" for i in range(36)],
            "rank": rank,
            "target": np.log10(rank.astype(float)),
            "block": block,
            "guess_rank": np.array([6.5, 18.5, 30.5])[block],
            "times": pa.array(times, pa.int64()) if times else pa.nulls(36, pa.int64()),
        }
    )


@pytest.mark.parametrize("times", [None, [7 + i for i in range(36)]])
def test_count_sampled_markov_rows_weigh_their_count_in_the_leak(times):
    cfg = section(
        "train", markov_samplings=["log_rank", "count"], markov_rows=100, counts_on="part"
    )
    table = _split(times)
    drawn = model_lib.draw_rows(table, cfg, seed=3).counts
    assert drawn["log_rank"].weights is None  # the other samplings count each row once
    rows = {p: i for i, p in enumerate(table["password"].to_pylist())}
    index = [rows[p] for p in drawn["count"].passwords.to_pylist()]
    assert len(index) > 3  # the Markov third of 36 rows, every one of them
    # RockYou has no counts: its blocks give them (the tail's k-th block from the end has
    # count k); a source with counts (the course CSV's Times) weighs by those
    want = np.array(times)[index] if times else 3 - table["block"].to_numpy()[index]
    assert drawn["count"].weights.tolist() == want.astype(float).tolist()
    assert set(model_lib.train_columns(cfg)) >= {"block", "guess_rank", "times"}
    assert "block" not in model_lib.train_columns(section("train", markov_samplings=["uniform"]))


def _ranked_words(n: int) -> pa.Table:
    """A train split of `n` passwords w0, w1, ... at ranks 1, 2, ..."""
    ranks = np.arange(1, n + 1)
    words = [f"w{i}" for i in range(n)]
    return pa.table({"password": words, "rank": ranks, "target": np.log10(ranks.astype(float))})


def test_the_trees_rows_are_drawn_by_their_own_sampling():
    """`sampling` draws the linear model's rows, `booster_sampling` the trees'."""
    n = 30_000
    table = _ranked_words(n)
    ranks = {p: i + 1 for i, p in enumerate(table["password"].to_pylist())}

    def median_ranks(sampling, booster_sampling):
        sizes = {"rows": 2_000, "booster_rows": 2_000, "counts_on": "all"}
        cfg = section("train", **sizes, sampling=sampling, booster_sampling=booster_sampling)
        drawn = model_lib.draw_rows(table, cfg, seed=5)
        return [
            np.median([ranks[p] for p in rows.passwords.to_pylist()])
            for rows in (drawn.linear, drawn.booster)
        ]

    head_linear, uniform_trees = median_ranks("log_rank", "uniform")
    uniform_linear, head_trees = median_ranks("uniform", "log_rank")
    assert head_linear < n / 5 < n / 3 < uniform_trees  # log-rank draws favour the head
    assert head_trees < n / 5 < n / 3 < uniform_linear
    # the other learner's sampling leaves a learner's rows alone
    assert median_ranks("log_rank", "log_rank")[0] == head_linear


def test_learners_get_disjoint_parts_of_the_split_in_the_shares_proportions():
    """Every row goes to one learner; equal shares are the thirds of `password_hash` mod 3
    (the parts every model before `shares` was trained on), unequal ones move rows."""
    n = 30_000
    table = _ranked_words(n)
    big = {"rows": n, "markov_rows": n, "booster_rows": n, "sampling": "uniform"}

    def parts(counts_on="part", **shares):
        shared = with_changes(section("train").shares, **shares)
        cfg = section("train", **big, shares=shared, counts_on=counts_on)
        drawn = model_lib.draw_rows(table, cfg, seed=1)
        got = [drawn.linear, drawn.counts["log_rank"], drawn.booster]
        return [set(rows.passwords.to_pylist()) for rows in got]

    equal = parts(linear=1, counts=1, booster=1)
    third = (password_hash(table["password"]) >> np.uint64(32)) % np.uint64(3)
    words = np.array(table["password"].to_pylist())
    assert equal == [set(words[third == i]) for i in range(3)]
    linear, counts, booster = parts(linear=1, counts=3, booster=1)
    assert not (linear & counts or linear & booster or counts & booster)
    assert len(linear | counts | booster) == n
    assert 0.58 < len(counts) / n < 0.62 and 0.18 < len(linear) / n < 0.22
    # counts_on: all — the count models count every row, the others share the split
    linear, counts, booster = parts(counts_on="all", linear=1, counts=3, booster=1)
    assert counts == set(words) and not linear & booster
    assert len(linear | booster) == n and 0.48 < len(linear) / n < 0.52


COUNTED_WORDS = [f"{w}{i}" for i in range(500) for w in ("pass", "Dragon!", "x", "qq")]


def _counting_every_row():
    """A train split of COUNTED_WORDS and a small model config whose count models count
    every row (counts_on: all)."""
    rank = np.arange(1, len(COUNTED_WORDS) + 1)
    target = np.log10(rank.astype(float))
    table = pa.table({"password": COUNTED_WORDS, "rank": rank, "target": target})
    cfg = section(
        "train",
        rows=600,
        booster_rows=600,
        hash_bits=12,
        markov_order=3,
        markov_bits=[10, 12, 14],
        pcfg_bits=12,
        neighbour_bits=12,
        neighbour_edits=True,
        neighbour_substitutions=True,
        booster_iter=5,
        counts_on="all",
    )
    return table, cfg


def _count_models(fitted) -> dict:
    dense = fitted.named_steps["features"].transformer_list[1][1].named_steps["extract"]
    return {name: step for name, step in dense.transformer_list if name != "hand"}


def test_counting_every_row_counts_them_all_and_saves_no_switch(tmp_path):
    """counts_on: all — the Markov model and the PCFG count every train row (the other
    learners' rows among them, scored left out), and the saved model is byte-identical
    across fits and holds nothing of the leave-one-out switch."""
    table, cfg = _counting_every_row()
    fitted = model_lib.train(table, cfg, seed=3)
    counted = _count_models(fitted)
    total = sum(len(w) + 1 for w in COUNTED_WORDS)  # bytes + END
    assert counted["markov_log_rank"].total_ == total
    # the neighbour table: every word and every distinct proper prefix, one slot each, and
    # with edits every distinct proper suffix, last-byte sibling key and deletion of two words,
    # with substitutions every one-byte wildcard of two words
    prefixes = {w[:i] for w in COUNTED_WORDS for i in range(1, len(w))}
    keys = len(set(COUNTED_WORDS)) + len(prefixes)
    if cfg.neighbour_edits:
        deleted = Counter(
            d for w in COUNTED_WORDS for d in {w[:i] + w[i + 1 :] for i in range(len(w))}
        )
        keys += len({w[i:] for w in COUNTED_WORDS for i in range(1, len(w))})
        keys += len({(w[:-1], len(w)) for w in COUNTED_WORDS})
        keys += sum(count >= 2 for count in deleted.values())
        variants = Counter(re.sub("[0-9]", "0", w) for w in COUNTED_WORDS)
        keys += len(variants) + sum(c >= 2 and c & (c - 1) == 0 for c in variants.values())
    if cfg.neighbour_substitutions:  # from two, and a key of one fewer at powers of two
        wild = Counter((w[:i], w[i + 1 :]) for w in COUNTED_WORDS for i in range(len(w)))
        keys += sum(c >= 2 for c in wild.values())
        keys += sum(c >= 2 and c & (c - 1) == 0 for c in wild.values())
    neighbours = counted["neighbours"]
    assert neighbours.dropped_ == 0
    assert (neighbours.slots_ > 0).sum() == keys
    assert not any(hasattr(step, "_leave_one_out") for step in counted.values())
    model_lib.save(fitted, tmp_path / "a.skops")
    model_lib.save(model_lib.train(table, cfg, seed=3), tmp_path / "b.skops")
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()


@pytest.mark.parametrize("threads", [1, 3])
def test_features_in_chunks_are_the_one_call_matrix(threads, monkeypatch):
    """The learners' rows are transformed a chunk at a time (memory), `threads` chunks at
    once: the stacked chunks are the one-call matrix entry for entry, in the same order, left
    out or not."""
    from pwc.features.leave_one_out import leaving_one_out
    from pwc.model.chunks import fit_features, stack_in_chunks, transform_in_chunks

    monkeypatch.setattr(importlib.import_module("pwc.model.chunks"), "usable", lambda: threads)

    table, cfg = _counting_every_row()
    fitted = model_lib.train(table, cfg, seed=3)
    features = fitted[:-1]
    counted = [_count_models(fitted)[name] for name in ("markov_log_rank", "pcfg")]
    inputs = pa.array(COUNTED_WORDS, pa.large_string())
    stacker = fitted[-1].estimator_
    for switch in (leaving_one_out(*counted), nullcontext()):
        with switch:
            whole = features.transform(inputs)
            chunked = transform_in_chunks(features, inputs, rows=7)
            stacked = stack_in_chunks(features, stacker, inputs, rows=7)
        assert chunked.shape == whole.shape and chunked.dtype == whole.dtype
        for part in ("indptr", "indices", "data"):
            assert np.array_equal(getattr(chunked, part), getattr(whole, part)), part
            assert getattr(chunked, part).dtype == getattr(whole, part).dtype, part
        # the trees' input, stacked a chunk at a time: what stacking the whole matrix gives,
        # in the trees' own dtype (else their fit copies it)
        once = stacker.stack(whole)
        assert stacked.dtype == np.float64 and stacked.shape == once.shape
        np.testing.assert_array_equal(stacked, once)
    # and the linear learner's features, fitted on all its rows then transformed in chunks,
    # are what one fit_transform call gives
    with leaving_one_out(*counted):
        refit = transform_in_chunks(features.fit(inputs), inputs, rows=7)
        once = features.fit_transform(inputs)
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(refit, part), getattr(once, part)), part
    # fit_features (the scaler's columns a chunk at a time) leaves what Pipeline.fit leaves
    with leaving_one_out(*counted):
        sklearn_fit = copy.deepcopy(features).fit(inputs)
        ours = fit_features(copy.deepcopy(features), inputs, None, rows=7)

    def scaler(f):
        return f.named_steps["features"].transformer_list[1][1].named_steps["scale"]

    for stat in ("mean_", "var_", "scale_", "n_samples_seen_"):
        assert np.array_equal(getattr(scaler(ours), stat), getattr(scaler(sklearn_fit), stat))
    assert np.array_equal(ours.transform(inputs).data, sklearn_fit.transform(inputs).data)
