"""Vectorised byte n-grams and the Markov model: checked against plain-Python definitions."""

import numpy as np
import pyarrow as pa

from pwc.markov import MarkovScores
from pwc.ngrams import HashedNgrams, ngram_hashes
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


def test_markov_probabilities_sum_to_one_after_a_context():
    model = MarkovScores(order=4, bits=24).fit_counts(["abc", "abd", "ab", "abc1", "xyz"])
    after_ab = [f"ab{chr(c)}" for c in range(4, 128)]
    logp, rows = model.log10_probs(after_ab)
    third = np.array([logp[rows == i][2] for i in range(len(after_ab))])
    end_logp, _ = model.log10_probs(["ab"])
    # bytes 0-3 and 128-255 keep only their small uniform share
    total = (10.0**third).sum() + 10.0 ** end_logp[2]
    assert 0.98 < total <= 1.0 + 1e-9
    assert third[ord("c") - 4] > third[ord("d") - 4] > third[ord("z") - 4]


def test_markov_scores_common_shapes_as_likelier():
    corpus = [f"pass{i}" for i in range(500)] + [f"love{i}" for i in range(500)]
    model = MarkovScores(order=5, bits=20).fit_counts(corpus)
    scores = model.transform(pa.array(["pass77", "qzx!v#"]))
    assert scores[0, 0] > scores[1, 0]  # log10 P
    assert scores.shape == (2, 3)
    assert model.transform([]).shape == (0, 3)


def test_markov_one_password_at_a_time_is_the_batch_answer():
    """The API's path (a password or two, in plain Python) against the vectorised one: the
    same hashes, the same float32 sums, on seen, unseen and colliding n-grams."""
    rng = np.random.default_rng(13)
    alphabet = list("abcxyz0129!é€") + ["love", "123", "qwerty"]
    words = ["".join(rng.choice(alphabet, size=rng.integers(0, 14))) for _ in range(2500)]
    words += ["", "a", "x" * 60, "ab", "\U0001f600" * 3]
    for order, bits in ((6, 12), (3, 20), (1, 12)):  # 2^12 buckets: many collisions
        model = MarkovScores(order=order, bits=bits).fit_counts(words[:1200] * 2)
        batch = model.transform(pa.array(words, pa.large_string()))
        for i, word in enumerate(words):
            assert np.array_equal(model.transform([word])[0], batch[i]), (order, i, word)
        assert np.array_equal(model.transform(words[:2]), batch[:2])


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


def test_ngram_rows_of_a_password_or_two_are_the_csr_rows():
    """The API's path (HashedNgrams.few_rows, plain Python) against transform's CSR after
    sum_duplicates: the same columns and the same float32 values, repeated n-grams and
    hash collisions (2^10 columns) included."""
    rng = np.random.default_rng(29)
    alphabet = list("abcxyz0129!é€") + ["love", "aaaa", "\U0001f600"]
    words = ["".join(rng.choice(alphabet, size=rng.integers(0, 16))) for _ in range(1500)]
    words += ["", "a", "x" * 80]
    for bits in (10, 20):
        model = HashedNgrams(n_max=4, bits=bits).fit(words[:800])
        for word in words:
            csr = model.transform([word])
            csr.sum_duplicates()
            (pairs,) = model.few_rows([word])
            assert [c for c, _ in pairs] == csr.indices.tolist(), word
            values = np.array([v for _, v in pairs], dtype=np.float32)
            assert values.tobytes() == csr.data.tobytes(), word


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
