"""The fast inference path (pwc.model.fast_predict, pwc.model.infer) equals sklearn's own
result exactly, kernel by kernel and end to end: each private sklearn member it uses is pinned
here, so a sklearn upgrade that changes one fails in this file."""

import os
import threading

import numpy as np
import pyarrow as pa
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from pwc import model as model_lib
from pwc.model import fast_predict, infer
from tests.project import section

STACK_WORDS = [f"pw{i}x{i * 7 % 13}" for i in range(3000)]
STACK_CFG = section(
    "train",
    hash_bits=12,
    markov_order=3,
    markov_bits=12,
    neighbour_bits=12,
    neighbour_edits=True,
    neighbour_substitutions=True,
    booster_iter=5,
    rows=800,
    booster_rows=800,
)


def _train_stack():
    ranks = np.arange(1, len(STACK_WORDS) + 1)
    table = pa.table({"password": STACK_WORDS, "rank": ranks, "target": np.log10(ranks)})
    return model_lib.train(table, STACK_CFG, seed=1)


@pytest.fixture(scope="module")
def stacked():
    """A small model with every part: n-grams, hand + Markov features, Ridge, trees."""
    return _train_stack()


def test_stacked_model_saves_byte_identically_and_loads(stacked, tmp_path):
    assert model_lib.to_bytes(stacked) == model_lib.to_bytes(_train_stack())
    model_lib.save(stacked, tmp_path / "m.skops")
    loaded = model_lib.load(tmp_path / "m.skops")
    assert loaded[-1].estimator_.booster_ is not None
    words = STACK_WORDS
    assert np.array_equal(model_lib.predict(stacked, words), model_lib.predict(loaded, words))


def test_fast_feature_path_equals_sklearns_pipeline_exactly(stacked):
    probe = ["", "null", " a\t", "pw12x3", "Zq!9é"] + STACK_WORDS[:50]
    probe = pa.array(probe, pa.large_string())
    fast = fast_predict.transform(stacked[:-1], probe)
    slow = stacked[:-1].transform(probe)
    assert (fast != slow).nnz == 0 and fast.shape == slow.shape
    assert np.array_equal(model_lib.predict(stacked, probe), stacked.predict(probe))


def test_one_password_at_a_time_equals_one_batch(stacked):
    """The API scores one password per request, batch predict 100,000: same numbers."""
    probe = ["", "null", " a\t", "Zq!9é", "aa", "pw12x3pw12x3"] + STACK_WORDS[:100]
    batch, logp = model_lib.predict_with_markov(stacked, probe)
    for i, word in enumerate(probe):
        one, one_logp = model_lib.predict_with_markov(stacked, [word])
        assert one[0] == batch[i] and one_logp[0] == logp[i]
        two, two_logp = model_lib.predict_with_markov(stacked, probe[i : i + 2])
        assert np.array_equal(two, batch[i : i + 2]) and np.array_equal(two_logp, logp[i : i + 2])


def test_threads_score_runs_of_a_batch_to_the_same_numbers(stacked, monkeypatch):
    """A batch split into runs of rows, one thread each (its trees on one OpenMP thread),
    gives one thread's numbers bit for bit, wherever the runs begin."""
    monkeypatch.setattr(infer, "THREAD_ROWS", 1)
    threads_seen = set()
    scored = infer._uncalibrated

    def spy(blocks, docs, n_threads):
        threads_seen.add(threading.current_thread().name)
        return scored(blocks, docs, n_threads)

    monkeypatch.setattr(infer, "_uncalibrated", spy)
    probe = ["", "null", " a\t", "Zq!9é", "aa"] + STACK_WORDS
    one, one_logp = model_lib.predict_with_markov(stacked, probe, threads=1)
    assert threads_seen == {threading.current_thread().name}
    for threads in (2, 3, 7):
        threads_seen.clear()
        many, many_logp = model_lib.predict_with_markov(stacked, probe, threads=threads)
        assert np.array_equal(many, one) and np.array_equal(many_logp, one_logp)
        assert len(threads_seen) > 1 and all(t.startswith("pwc_") for t in threads_seen)


def test_thread_count_follows_openmps_and_the_batch_size():
    """The server's one OpenMP thread per worker keeps a batch on one thread; a short batch
    is not split."""
    with threadpool_limits(limits=1, user_api="openmp"):
        assert infer._threads(10**6, None) == 1
    with threadpool_limits(limits=2, user_api="openmp"):  # and more where OpenMP has more
        assert infer._threads(10**6, None) == min(2, len(os.sched_getaffinity(0)))
    assert infer._threads(10**6, 3) == 3
    assert infer._threads(3 * infer.THREAD_ROWS - 1, 8) == 2
    assert infer._threads(1, 8) == 1


PROBE = ["", "null", " a\t", "pw12x3", "Zq!9é", "aa"] + STACK_WORDS[:200]


def _parts(stacked):
    """(dense feature step, Stacked, Calibrated) of the small model."""
    (_, ngrams), (_, dense) = stacked.named_steps["features"].transformer_list
    regress = stacked.named_steps["regress"]
    return ngrams, dense, regress.estimator_, regress


def test_scaled_is_standard_scalers_transform(stacked):
    _, dense, _, _ = _parts(stacked)
    scaler = dense.named_steps["scale"]
    raw = dense.named_steps["extract"].transform(pa.array(PROBE, pa.large_string()))
    assert raw.dtype == np.float32
    assert np.array_equal(fast_predict.scaled(scaler, raw), scaler.transform(raw))
    as_int = raw.astype(np.int64)  # integer input: float64 like sklearn's
    assert np.array_equal(fast_predict.scaled(scaler, as_int), scaler.transform(as_int))


def test_boosted_is_the_boosters_predict(stacked):
    ngrams, dense, stack, _ = _parts(stacked)
    arr = pa.array(PROBE, pa.large_string())
    X = sp.hstack([ngrams.transform(arr), dense.transform(arr)]).tocsr()  # noqa: N806
    stacked_input = stack.stack(X)
    want = stack.booster_.predict(stacked_input)
    assert np.array_equal(fast_predict.boosted(stack.booster_, stacked_input), want)


def test_the_calibration_is_np_interp_over_the_steps_midpoints(stacked):
    *_, regress = _parts(stacked)
    iso, points = regress.calibrator_, regress.midpoints_
    raw = np.linspace(iso.X_min_ - 1, iso.X_max_ + 1, 2001)  # inside and outside the range
    assert np.array_equal(fast_predict.joined(regress, points, raw), np.interp(raw, *points))
    # one value at a time (the Python-float path), on the knots themselves too, NaN, inf
    between = (points[0][:-1] + points[0][1:]) / 2
    ones = np.concatenate([raw[::7], points[0], between, [np.nan, np.inf, -np.inf]])
    got = [fast_predict.joined(regress, points, ones[i : i + 1])[0] for i in range(ones.size)]
    assert np.array_equal(got, fast_predict.joined(regress, points, ones), equal_nan=True)


def test_the_midpoints_keep_the_steps_and_drop_their_flats():
    from sklearn.isotonic import IsotonicRegression

    rng = np.random.default_rng(3)
    x = rng.uniform(0, 7, 5000)
    y = np.round(x + rng.normal(0, 1.5, x.size))  # noisy: wide flat steps
    iso = IsotonicRegression(out_of_bounds="clip").fit(x, y)
    points = fast_predict.midpoints(iso)
    steps = np.unique(iso.y_thresholds_)
    assert points.shape == (2, steps.size) and np.array_equal(points[1], steps)
    assert (np.diff(points[0]) > 0).all() and (np.diff(points[1]) > 0).all()
    assert np.array_equal(iso.predict(points[0]), points[1])  # each step's value at its middle
    inside = np.linspace(points[0][0], points[0][-1], 10_001)
    assert (np.diff(np.interp(inside, *points)) > 0).all()  # no flat anywhere between
    assert (np.diff(iso.predict(inside)) == 0).mean() > 0.9  # where the steps were flat


def test_one_value_at_the_knots_is_np_interps_bits():
    """At a knot np.interp answers its own value; between knots far apart in magnitude the
    Python-float path must round as numpy's loop does."""
    rng = np.random.default_rng(5)
    xs, ys = np.sort(rng.uniform(0, 7, 60)), np.sort(np.exp(rng.uniform(-20, 20, 60)))
    points = np.stack([xs, ys])
    probe = np.concatenate([xs, (xs[:-1] + xs[1:]) / 2, rng.uniform(-1, 8, 500)])
    owner = type("Owner", (), {})()
    got = [fast_predict.joined(owner, points, probe[i : i + 1])[0] for i in range(probe.size)]
    assert np.array_equal(got, np.interp(probe, xs, ys))


def test_transform_is_the_pipelines_transform(stacked):
    arr = pa.array(PROBE, pa.large_string())
    fast = fast_predict.transform(stacked[:-1], arr)
    slow = stacked[:-1].transform(arr)
    assert (fast != slow).nnz == 0 and fast.shape == slow.shape


def test_predict_blocks_is_predict_on_the_stacked_matrix(stacked):
    ngrams, dense, stack, _ = _parts(stacked)
    arr = pa.array(PROBE, pa.large_string())
    sparse, dense_cols = ngrams.transform(arr), dense.transform(arr)
    want = stack.predict(sp.hstack([sparse, dense_cols]).tocsr())
    assert np.array_equal(stack.predict_blocks(sparse, dense_cols), want)


def test_fast_predict_is_sklearns_predict(stacked):
    arr = pa.array(PROBE, pa.large_string())
    assert np.array_equal(model_lib.predict(stacked, arr), stacked.predict(arr))


def test_the_model_file_does_not_record_the_thread_count():
    """The booster's binner stores the OpenMP thread count it ran with; forget_thread_count
    resets it, so 1 and 2 threads write the same bytes."""
    with threadpool_limits(limits=1, user_api="openmp"):
        one = _train_stack()
    with threadpool_limits(limits=2, user_api="openmp"):
        two = _train_stack()
    assert one[-1].estimator_.booster_._bin_mapper.n_threads is None
    assert model_lib.to_bytes(one) == model_lib.to_bytes(two)


def _booster_inputs(stacked, words):
    ngrams, dense, stack, _ = _parts(stacked)
    arr = pa.array(words, pa.large_string())
    stacked_matrix = sp.hstack([ngrams.transform(arr), dense.transform(arr)]).tocsr()
    return stack.booster_, stack.stack(stacked_matrix)


def test_trees_are_the_boosters_predict_row_by_row(stacked):
    """The plain-Python walk that one- and two-password requests take, on every probe row
    one at a time and two at a time, with NaN in a feature (missing_go_to_left) too."""
    booster, X = _booster_inputs(stacked, PROBE)  # noqa: N806
    trees = fast_predict.Trees(booster)
    want = booster.predict(X)
    one_by_one = [trees.predict(X[i : i + 1]) for i in range(len(X))]
    assert np.array_equal(np.concatenate(one_by_one), want)
    assert np.array_equal(trees.predict(X[:2]), want[:2])
    holes = X.copy()
    holes[::3, 1] = np.nan
    assert np.array_equal(trees.predict(holes), booster.predict(holes))
    # boosted() takes the walk for small batches, sklearn's loop for larger ones: same numbers
    assert np.array_equal(fast_predict.boosted(booster, X[:1]), want[:1])
    assert np.array_equal(fast_predict.boosted(booster, X), want)


def test_trees_walk_deep_trees_with_missing_values_to_sklearns_leaves():
    """Trees of 127 leaves (the production model's size), NaN learned in training so both
    missing_go_to_left directions occur, and NaN and infinities at prediction."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 5))  # noqa: N806
    y = np.sin(X[:, 0] * 3) + X[:, 1] ** 2 + rng.normal(scale=0.1, size=4000)
    X[rng.random(X.shape) < 0.1] = np.nan
    booster = HistGradientBoostingRegressor(max_iter=5, max_leaf_nodes=127, random_state=0)
    booster.fit(X, y)
    nodes = np.concatenate([p[0].nodes for p in booster._predictors])
    splits = nodes[nodes["is_leaf"] == 0]
    assert set(splits["missing_go_to_left"].tolist()) == {0, 1}
    probe = X[:300].copy()
    probe[:10, 2] = np.inf
    probe[10:20, 3] = -np.inf
    trees = fast_predict.Trees(booster)
    assert np.array_equal(
        np.concatenate([trees.predict(probe[i : i + 1]) for i in range(300)]),
        booster.predict(probe),
    )
