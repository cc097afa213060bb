"""The brute-force bound (pwc.answer.bound): its count, its classes, one answer on both
paths, and no served answer above it."""

import itertools
import math
import random

import numpy as np
import pytest

from pwc.answer.bound import CLASSES, count, lengths_and_sizes, one_bound, passwords_bound_log10
from pwc.scorer import Scorer

PRINTABLE = [chr(c) for c in range(0x20, 0x7F)]
SHORT = PRINTABLE + ["".join(p) for p in itertools.product(PRINTABLE, repeat=2)]


@pytest.mark.parametrize(
    ("password", "size"),
    [("7", 10), ("ab", 26), ("Zq", 52), ("k3#", 69), ("é", 100), ("aA1 é", 195), ("", 0)],
)
def test_the_bound_counts_every_string_of_the_length_over_the_classes_used(password, size):
    length, got = lengths_and_sizes([password])
    assert (length[0], got[0]) == (len(password), size)
    want = math.log10(sum(size**n for n in range(1, len(password) + 1))) if password else 0.0
    assert passwords_bound_log10([password])[0] == pytest.approx(want, rel=1e-13, abs=1e-13)


def test_every_printable_ascii_character_is_in_exactly_one_ascii_class():
    sizes = {size for name, (_, size) in CLASSES.items() if name != "other"}
    for ch in PRINTABLE:
        assert lengths_and_sizes([ch])[1][0] in sizes, ch
        assert one_bound(ch)[1] == lengths_and_sizes([ch])[1][0], ch  # code points: the same
    assert sum(size for name, (_, size) in CLASSES.items() if name != "other") == 95


def test_the_batch_and_the_one_password_paths_agree():
    rng = random.Random(3)
    alphabet = PRINTABLE + ["é", "€", "\t", "\U0001f600", "ı"]
    words = ["".join(rng.choices(alphabet, k=rng.randint(0, 40))) for _ in range(3000)]
    batch = passwords_bound_log10(words)
    one = np.concatenate([passwords_bound_log10([w]) for w in words])
    assert batch.tobytes() == one.tobytes()
    assert (np.diff(passwords_bound_log10(["a" * n for n in range(1, 129)])) > 0).all()


def test_no_answer_exceeds_the_bound_on_the_9120_shortest_strings(monkeypatch):
    """Whatever the model says (here: 10^6 for everything, what ours said of `7`)."""

    def predict_with_markov(model, passwords):
        return np.full(len(passwords), 6.0), None

    monkeypatch.setattr("pwc.scorer.model_lib.predict_with_markov", predict_with_markov)
    scorer = Scorer(None, "v" * 64, (3.0, 6.0, 8.0, 10.0))
    got = scorer(SHORT)
    bound = passwords_bound_log10(SHORT)
    assert len(SHORT) == 9120
    assert (got["guesses_log10"] <= bound).all()
    assert (got["source"] == "brute_force").all()
    assert got["guesses_log10"][PRINTABLE.index("7")] == 1.0  # ten digits: ten guesses
    assert (got["score"][: len(PRINTABLE)] == 0).all()


def test_one_password_in_python_floats_is_the_array_answer():
    """The scorer's one-password path (`one_bound`) gives the batch's bits, count included."""
    rng = random.Random(9)
    alphabet = PRINTABLE + ["é", "€", "\t", "\U0001f600", "ı"]
    words = ["".join(rng.choices(alphabet, k=rng.randint(0, 128))) for _ in range(5000)]
    words += ["", "7", "a" * 128, "é" * 128]
    bounds = passwords_bound_log10(words)
    counts = count(*lengths_and_sizes(words))
    for word, b, c in zip(words, bounds.tolist(), counts.tolist(), strict=True):
        assert one_bound(word) == (b, c), word
