"""One parity harness for every feature family: its plain-Python path (`few`, a password or
two) gives the batch path's (`many`) numbers bit for bit, on rows it never counted, rows it
counted, and edge strings; and `transform` switches between them in one place."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import scipy.sparse as sp

from pwc import numerics
from pwc.features import (
    FAMILIES,
    HandFeatures,
    HashedNgrams,
    KnowledgeFeatures,
    MarkovScores,
    NeighbourScores,
    PcfgScores,
    paths,
)

_RNG = np.random.default_rng(31)
_ALPHABET = list("aZq9 !~é€ıİſ\u212a") + ["love", "123", "qwerty", "1987", "P@ss", "\U0001f600"]


def _words(n: int) -> list[str]:
    return ["".join(_RNG.choice(_ALPHABET, size=_RNG.integers(0, 14))) for _ in range(n)]


COUNTED = _words(1200)
HELD_OUT = [w for w in _words(1500) if w not in set(COUNTED)]
EDGES = ["", "a", "7", "#", "Z", "x" * 128, "1" * 100 + "x", "Password1!", "12051987", "a\tb"]
EDGES += ["\U0001f600" * 3, "poıu", "POİU", "\u212aqwerty", "qwertyuiop", "aaaaaaaa", "abcdef"]
EDGES += ["l\u212ajh", "a\u017fdf", "\x00", "12051987 31121999", "ÀÉ€qwerty", "1qaz2wsx"]
TARGETS = [7.0 - 6.0 * i / len(COUNTED) for i in range(len(COUNTED))]  # rarest first

# How each family is fitted for the harness (its variants): small tables, so buckets
# collide too; the Markov tables per order of different sizes.
FITTED = {
    "hand": [lambda: HandFeatures().fit(COUNTED)],
    "knowledge": [lambda: KnowledgeFeatures().fit(COUNTED)],
    "ngrams": [
        lambda: HashedNgrams(n_max=4, bits=10).fit(pa.array(COUNTED, pa.large_string())),
        lambda: HashedNgrams(n_max=4, bits=20).fit(pa.array(COUNTED, pa.large_string())),
    ],
    "markov": [
        lambda: MarkovScores(order=4, bits=[10, 13, 11, 12]).fit_counts(COUNTED),
        lambda: MarkovScores(order=6, bits=12).fit_counts(COUNTED * 2),
        lambda: MarkovScores(order=1, bits=12).fit_counts(COUNTED),
    ],
    "pcfg": [lambda: PcfgScores(bits=14).fit_counts(COUNTED)],
    "neighbours": [
        lambda: NeighbourScores(bits=16).fit_counts(COUNTED, TARGETS),
        lambda: NeighbourScores(bits=16, edits=True, substitutions=True).fit_counts(
            COUNTED, TARGETS, chunk=300
        ),
    ],
}
VARIANTS = [(family, i) for family, fits in FITTED.items() for i in range(len(fits))]


def _dense(matrix) -> np.ndarray:
    """A feature matrix as an array: CSR rows with their repeated n-grams summed."""
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)


def test_every_family_is_in_the_harness():
    assert set(FITTED) == set(FAMILIES)
    assert all(issubclass(cls, paths.TwoPaths) for cls in FAMILIES.values())


@pytest.mark.parametrize(("family", "variant"), VARIANTS)
@pytest.mark.parametrize("rows", ["held_out", "counted", "edges"])
def test_the_plain_python_path_is_the_batch_path(family, variant, rows):
    words = {"held_out": HELD_OUT[:600], "counted": COUNTED[:300], "edges": EDGES}[rows]
    model = FITTED[family][variant]()
    batch = _dense(model.many(pa.array(words, pa.large_string())))
    assert batch.shape[0] == len(words)
    for i, word in enumerate(words):  # one at a time, the API's usual request
        assert _dense(model.few([word])).tobytes() == batch[i : i + 1].tobytes(), (family, i)
    for i in range(0, len(words) - 1, 2):  # two at a time
        pair = _dense(model.few(words[i : i + 2]))
        assert pair.tobytes() == batch[i : i + 2].tobytes(), (family, i)
    empty = _dense(model.few([]))
    assert empty.shape == (0, batch.shape[1])


def test_the_switch_is_one_rule():
    """Up to numerics.FEW rows go the plain-Python way, never while leaving rows out."""
    assert [paths.few_path(n) for n in range(numerics.FEW + 2)] == [True] * (numerics.FEW + 1) + [
        False
    ]
    assert not paths.few_path(1, leave_one_out=True)


@pytest.mark.parametrize("family", ["hand", "knowledge", "markov", "pcfg", "neighbours"])
def test_transform_takes_the_path_the_switch_names(family, monkeypatch):
    model = FITTED[family][0]()
    taken = []
    cls = type(model)
    monkeypatch.setattr(cls, "few", lambda self, w: taken.append("few") or np.zeros((0, 0)))
    monkeypatch.setattr(cls, "many", lambda self, a: taken.append("many") or np.zeros((0, 0)))
    for n in (1, numerics.FEW, numerics.FEW + 1, 50):
        model.transform(["ab"] * n)
    assert taken == ["few", "few", "many", "many"]
