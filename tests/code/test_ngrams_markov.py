"""Vectorised byte n-grams and the Markov model: checked against plain-Python definitions."""

import numpy as np
import pyarrow as pa

from pwc import numerics
from pwc.features import markov
from pwc.features.markov import FEATURES, MarkovScores
from pwc.features.ngrams import HashedNgrams, ngram_hashes
from pwc.text import END, START, padded_bytes

WORDS = ["ab", "", "abc", "é1", "null", " a\t", "aaaa"]


def test_padded_bytes_put_markers_around_each_password():
    data, offsets = padded_bytes(WORDS)
    for i, word in enumerate(WORDS):
        expected = bytes([START]) + word.encode() + bytes([END])
        assert data[offsets[i] : offsets[i + 1]].tobytes() == expected


def test_every_ngram_of_every_password_and_equal_ngrams_share_a_column():
    columns, indptr = ngram_hashes(WORDS, 3, 20)
    seen: dict[bytes, int] = {}
    for i, word in enumerate(WORDS):
        padded = bytes([START]) + word.encode() + bytes([END])
        expected = [
            padded[p : p + n] for p in range(len(padded)) for n in (1, 2, 3) if p + n <= len(padded)
        ]
        row = columns[indptr[i] : indptr[i + 1]]
        assert len(row) == len(expected), word
        for gram, column in zip(expected, row, strict=True):
            assert seen.setdefault(gram, column) == column  # one column per distinct n-gram
    assert len(set(seen.values())) == len(seen)  # no collisions among these few


def test_rows_are_idf_weighted_and_normalised_over_occurrences():
    features = HashedNgrams(4, 16).fit(WORDS).transform(WORDS)
    features.sum_duplicates()
    norms = np.sqrt(features.multiply(features).sum(axis=1)).A1
    repeats = np.array([w in ("null", "aaaa") for w in WORDS])  # words repeating an n-gram
    assert np.allclose(norms[~repeats], 1.0, atol=1e-5)
    assert (norms[repeats] > 1.0).all()  # occurrences add up in the column, not in the norm
    assert features.shape == (len(WORDS), 1 << 16)


def test_a_row_does_not_depend_on_its_batch():
    """Each row is normalised by its own squares: row i of a large batch is password i's row
    alone (a running sum of squares over the batch, differenced, changed its last bits, so
    the batch scorer and the API answered the same password differently)."""
    rng = np.random.default_rng(5)
    words = [
        "".join(rng.choice(list("abcxyz0129!"), size=rng.integers(1, 16))) for _ in range(50_000)
    ]
    model = HashedNgrams(n_max=4, bits=16).fit(words[:1000])
    batch = model.transform(pa.array(words, pa.large_string()))
    backwards = model.transform(pa.array(words[::-1], pa.large_string()))[::-1]
    assert np.array_equal(batch.indptr, backwards.indptr)
    assert np.array_equal(batch.data, backwards.data)  # every row after other rows than before
    for i in [0, 1, 25_000, 49_999]:
        alone = model.transform(pa.array(words[i : i + 1], pa.large_string()))
        assert np.array_equal(batch[i].data, alone.data), i


def test_document_frequency_does_not_depend_on_the_fit_chunks():
    """fit counts each (row, n-gram) pair a chunk of rows at a time: the same IDF as one pass,
    and a pair repeated in a row (`aa` in `aaaa`) still counts once."""
    words = ["aaaa", "abab", "password1", "password1", "", "zz"] * 7
    whole = HashedNgrams(n_max=3, bits=12).fit(words, chunk=len(words))
    chunked = HashedNgrams(n_max=3, bits=12).fit(words, chunk=5)
    assert np.array_equal(whole.idf_, chunked.idf_)
    once = HashedNgrams(n_max=1, bits=12).fit(["aaaa", "b"], chunk=1)
    a_column = int(ngram_hashes(["a"], 1, 12)[0][1])  # [start, a, end]: the middle n-gram
    assert once.idf_[a_column] == np.float32(numerics.log(3 / 2) + 1)


def test_markov_probabilities_sum_to_one_after_a_context():
    model = MarkovScores(order=4, bits=24).fit_counts(["abc", "abd", "ab", "abc1", "xyz"])
    after_ab = [f"ab{chr(c)}" for c in range(4, 128)]
    scored = model.symbol_scores(after_ab)
    logp, rows = scored["log10_prob"], scored["row"]
    third = np.array([logp[rows == i][2] for i in range(len(after_ab))])
    end_logp = model.symbol_scores(["ab"])["log10_prob"]
    # bytes 0-3 and 128-255 keep only their small uniform share
    total = (10.0**third).sum() + 10.0 ** end_logp[2]
    assert 0.98 < total <= 1.0 + 1e-9
    assert third[ord("c") - 4] > third[ord("d") - 4] > third[ord("z") - 4]


def test_markov_scores_common_shapes_as_likelier():
    corpus = [f"pass{i}" for i in range(500)] + [f"love{i}" for i in range(500)]
    model = MarkovScores(order=5, bits=20).fit_counts(corpus)
    scores = model.transform(pa.array(["passxy", "qzx!v#"]))
    assert scores.shape == (2, len(FEATURES))
    column = dict(zip(FEATURES, scores.T, strict=True))
    assert column["log10_prob"][0] > column["log10_prob"][1]
    assert column["short_log10_prob"][0] > column["short_log10_prob"][1]
    # of "passxy"'s 7 symbols (END too), x, y and END end a never-counted n-gram ("passx",
    # "assxy", "ssxy" + END); every one of "qzx!v#"'s ("q" follows START in no password)
    assert column["unseen_share"].tolist() == [np.float32(3 / 7), 1.0]
    assert model.transform([]).shape == (0, len(FEATURES))


def test_markov_per_order_sizes_are_the_one_size_model_where_they_agree():
    """A list of equal sizes is the one-number model (same tables); different sizes give
    each order's tables their own size, counting the same n-grams."""
    words = [f"{w}{i}" for w in ("pass", "love", "dragon", "x!") for i in range(300)]
    one = MarkovScores(order=4, bits=14).fit_counts(words)
    listed = MarkovScores(order=4, bits=[14, 14, 14, 14]).fit_counts(words)
    assert np.array_equal(one.gram_counts_, listed.gram_counts_)
    assert np.array_equal(one.distinct_, listed.distinct_)
    sized = MarkovScores(order=4, bits=[10, 12, 14, 16]).fit_counts(words)
    assert [t.size for t in sized.gram_counts_] == [1 << 10, 1 << 12, 1 << 14, 1 << 16]
    assert [t.size for t in sized.distinct_] == [1 << 10, 1 << 12, 1 << 14]  # per context
    # each order counts the same n-grams, whatever its table's size
    assert [float(t.sum()) for t in sized.gram_counts_] == [
        float(t.sum()) for t in one.gram_counts_
    ]
    # order 4's contexts are bucketed at order 3's 14 bits in both; its n-grams at 16 bits
    # (a 14-bit bucket is a 16-bit one's top bits) only come apart: never fewer distinct
    assert (sized.distinct_[2] >= one.distinct_[2]).all()
    assert (sized.distinct_[2] > one.distinct_[2]).any()


def test_markov_one_password_rounds_sums_float32_cannot_hold_as_the_batch_does():
    """Counts of `count` sampling are fractional, and large ones pass 2^24: there the
    one-password path must round the denominator to float32 as numpy's float32 sum does."""
    rng = np.random.default_rng(14)
    words = ["".join(rng.choice(list("ab1!"), size=rng.integers(1, 8))) for _ in range(600)]
    weights = rng.choice([0.3, 1.7, 3.0e7, 1.0], size=len(words))
    model = MarkovScores(order=4, bits=12).fit_counts(words, weights)
    assert (model.gram_counts_ > 1 << 24).any() and (model.gram_counts_ % 1 > 0).any()
    batch = model.transform(pa.array(words, pa.large_string()))
    for i, word in enumerate(words):
        assert np.array_equal(model.transform([word])[0], batch[i]), (i, word)


def test_markov_counts_weighted_like_the_rows_repeated():
    """`count` sampling weighs each row by its count: the tables are those of the rows
    repeated that many times."""
    words, weights = ["abc", "xyz", "ab", "bca"], [3.0, 1.0, 2.0, 5.0]
    weighted = MarkovScores(order=3, bits=12).fit_counts(words, np.array(weights))
    repeated = [w for w, n in zip(words, weights, strict=True) for _ in range(int(n))]
    plain = MarkovScores(order=3, bits=12).fit_counts(repeated)
    assert weighted.total_ == plain.total_
    assert np.array_equal(weighted.gram_counts_, plain.gram_counts_)
    assert np.array_equal(weighted.distinct_, plain.distinct_)
    probes = ["abc", "ab", "zzz", ""]
    assert np.array_equal(weighted.transform(probes), plain.transform(probes))
    # and the weights matter: counted once each, the tables differ
    once = MarkovScores(order=3, bits=12).fit_counts(words)
    assert not np.array_equal(once.gram_counts_, plain.gram_counts_)


def test_markov_left_out_is_the_model_counted_without_the_password():
    """leave_one_out scores each counted password as a model that never counted it does:
    its own n-grams (repeated ones too), its contexts and the continuations only it gave are
    taken out. Exact where nothing collides (2^24 buckets for a few thousand n-grams)."""
    from pwc.features.leave_one_out import leaving_one_out

    rng = np.random.default_rng(31)
    alphabet = list("abcxyz0129!é") + ["love", "aaaa", "qwerty"]
    words = list({"".join(rng.choice(alphabet, size=rng.integers(1, 10))) for _ in range(400)})
    words += ["zq\u00fe~unique", "\U0001f600"]  # bytes no other password has
    model = MarkovScores(order=4, bits=[16, 20, 24, 24]).fit_counts(words)
    with leaving_one_out(model):
        left_out = model.transform(pa.array(words))
    assert not hasattr(model, "_leave_one_out")  # nothing of the switch is saved
    for i in [0, 5, 17, len(words) - 2, len(words) - 1]:
        without = MarkovScores(order=4, bits=[16, 20, 24, 24])
        without.fit_counts(words[:i] + words[i + 1 :])
        expected = without.transform(pa.array(words))[i]
        assert np.allclose(left_out[i], expected, rtol=1e-6, atol=1e-6), (i, words[i])
    # and not what the model says of a password it counted
    assert (left_out[:, 0] < model.transform(pa.array(words))[:, 0]).all()


def test_markov_counts_in_chunks_are_the_whole_batch_counts():
    """Each chunk's counts are added to the tables (a bincount where the table is small, the
    buckets present where it is large) and its distinct (context, n-gram) pairs merged into
    the known ones: any chunking gives the same tables, bit for bit, as one chunk with a
    whole-table bincount and one sort of every pair (what fit_counts did before)."""
    rng = np.random.default_rng(7)
    alphabet = list("abcxyz0129!é") + ["love", "123"]
    words = ["".join(rng.choice(alphabet, size=rng.integers(0, 12))) for _ in range(3000)]
    bits = [8, 12, 18, 22]  # small tables (bincount) and large ones (buckets present)
    whole = MarkovScores(order=4, bits=bits).fit_counts(words, chunk=len(words))
    data, offsets = padded_bytes(pa.array(words))
    for k, predicted, inside, gram, context in markov.ngram_windows(data, offsets, 4):
        used = inside & predicted
        g = markov._bucket(gram[inside if k == 1 else used], np.uint64(k), bits[k - 1])
        counts = np.zeros(1 << bits[k - 1], np.float32)
        counts += np.bincount(g, None, counts.size)
        assert np.array_equal(whole.gram_counts_[k - 1], counts), k
        if k > 1:
            g = markov._bucket(gram[used], np.uint64(k), bits[k - 1])
            c = markov._bucket(context[used], np.uint64(k - 1), bits[k - 2])
            pairs = np.unique((c << bits[k - 1]) | g)
            per_context = np.bincount(pairs >> bits[k - 1], minlength=1 << bits[k - 2])
            assert np.array_equal(whole.distinct_[k - 2], np.minimum(per_context, 255)), k
    for chunk in (1, 7, 500):
        chunked = MarkovScores(order=4, bits=bits).fit_counts(words, chunk=chunk)
        for ours, theirs in zip(chunked.gram_counts_, whole.gram_counts_, strict=True):
            assert ours.tobytes() == theirs.tobytes(), chunk
        for ours, theirs in zip(chunked.distinct_, whole.distinct_, strict=True):
            assert ours.tobytes() == theirs.tobytes(), chunk
