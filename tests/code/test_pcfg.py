"""The PCFG features against a plain dictionary-count grammar."""

import math
import re
from collections import Counter

import numpy as np
import pytest

from pwc.features import pcfg

TRAIN = [
    "iloveyou12!",
    "iloveyou",
    "password1",
    "password12",
    "monkey12",
    "abc123",
    "abc123",
    "123456",
    "qwerty!!",
    "Dragon2020",
    "hello_world",
    "zz9",
    "ñandú88",
]


def _runs(password: str) -> list[tuple[int, int, bytes]]:
    raw = password.encode()
    out = []
    for match in re.finditer(rb"[a-zA-Z]+|[0-9]+|[^a-zA-Z0-9]+", raw):
        text = match.group()
        cls = (
            pcfg.LETTER if text[:1].isalpha() else pcfg.DIGIT if text[:1].isdigit() else pcfg.OTHER
        )
        out.append((cls, len(text), text))
    return out


def _reference(train: list[str], password: str) -> tuple[float, ...]:
    segments = Counter(run for p in train for run in _runs(p))
    totals = Counter((c, n) for p in train for c, n, _ in _runs(p))
    structures = Counter(tuple((c, n) for c, n, _ in _runs(p)) for p in train)
    structure = tuple((c, n) for c, n, _ in _runs(password))
    s = math.log10(structures[structure] + 1) - math.log10(len(train) + len(structures) + 1)
    total, per_class = s, [0.0, 0.0, 0.0]
    for run in _runs(password):
        c, n, _ = run
        logp = math.log10(segments[run] + 1) - math.log10(totals[(c, n)] + pcfg.ALPHABET[c] ** n)
        total += logp
        per_class[c] += logp
    return total, s, *per_class


def test_segments_and_structures():
    seg = pcfg.segments(["iloveyou12!", "abc12", "xyz34", "12abc", ""])
    rows = seg["row"].tolist()
    assert rows == [0, 0, 0, 1, 1, 2, 2, 3, 3]
    assert seg["cls"][:3].tolist() == [pcfg.LETTER, pcfg.DIGIT, pcfg.OTHER]
    assert seg["length"][:3].tolist() == [8, 2, 1]
    structure = seg["structure"]
    assert structure[1] == structure[2] != structure[3]  # L3 D2, L3 D2, D2 L3
    assert len(set(structure.tolist())) == 4  # and the empty password's own


def test_scores_equal_the_dictionary_count_grammar():
    model = pcfg.PcfgScores(bits=20).fit_counts(TRAIN)
    queries = [*TRAIN, "iloveyou99!", "monkey", "Xk9#mQ2$", "", "a" * 40, "1234567890123"]
    got = model.transform(queries)
    assert got.dtype == np.float32 and got.shape == (len(queries), len(pcfg.FEATURES))
    for row, password in zip(got, queries, strict=True):
        expected = _reference(TRAIN, password)
        assert row == pytest.approx(expected, rel=1e-5), password


def test_seen_pieces_score_above_unseen_ones_and_counts_are_needed():
    model = pcfg.PcfgScores(bits=20).fit_counts(TRAIN * 3)
    seen, unseen_segment, unseen_structure = model.transform(["abc123", "qxz123", "123abc"])[:, 0]
    assert seen > unseen_segment and seen > unseen_structure
    with pytest.raises(ValueError, match="fit_counts"):
        pcfg.PcfgScores().fit(["x"])


def test_chunked_counting_is_the_same():
    many = [f"{w}{i}" for i in range(300) for w in ("pass", "abc!", "zz")]
    one = pcfg.PcfgScores(bits=16).fit_counts(many)
    chunked = pcfg.PcfgScores(bits=16).fit_counts(many, chunk=7)
    assert np.array_equal(one.segment_log_counts_, chunked.segment_log_counts_)
    assert np.array_equal(one.transform(many), chunked.transform(many))


def test_left_out_is_the_grammar_counted_without_the_password():
    """leave_one_out (markov.leaving_one_out) scores a counted password as the grammar that
    never counted it: its segments (one repeated in it too), its class-length totals and its
    structure (one only it had) taken out."""
    from pwc.features.leave_one_out import leaving_one_out

    words = sorted(set(TRAIN)) + ["ab12ab", "zz!!zz?Q", "unique~structure~9"]
    model = pcfg.PcfgScores(bits=20).fit_counts(words)
    with leaving_one_out(model):
        left_out = model.transform(words)
    assert not hasattr(model, "_leave_one_out")
    for i, word in enumerate(words):
        without = pcfg.PcfgScores(bits=20).fit_counts(words[:i] + words[i + 1 :])
        assert left_out[i] == pytest.approx(without.transform(words)[i], rel=1e-5), word
