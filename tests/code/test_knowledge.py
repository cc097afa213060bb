"""Knowledge features against a plain per-password reference, and the rule that no other
leak's passwords are used."""

import numpy as np
import pyarrow as pa
import pytest
from zxcvbn.adjacency_graphs import ADJACENCY_GRAPHS
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from pwc.errors import ModelError
from pwc.features import knowledge

COLUMN = {name: i for i, name in enumerate(knowledge.FEATURE_NAMES)}


def _words() -> dict[bytes, tuple[float, bool, bool]]:
    """pattern -> (best rank, is a name, reversed), straight from the lists."""
    best: dict[str, tuple[int, bool]] = {}
    for name in knowledge.WORD_LISTS:
        for rank, word in enumerate(FREQUENCY_LISTS[name], start=1):
            if len(word) >= knowledge.MIN_WORD and word.isascii() and word.isalpha():
                r, is_name = best.get(word, (rank, False))
                best[word] = (min(r, rank), is_name or name in knowledge.NAME_LISTS)
    out = {w.encode(): (r, n, False) for w, (r, n) in best.items()}
    for w, (r, n) in best.items():
        out.setdefault(w[::-1].encode(), (r, n, True))
    return out


WORDS = _words()
LONGEST = max(len(w) for w in WORDS)
FOLD = {ord(s): ord(letter) for s, letter in knowledge.L33T.items()}


def _reference_words(password: str) -> dict[str, float]:
    """Leftmost-longest reading, one start position at a time."""
    raw = password.encode()
    folded = bytes(FOLD.get(b, b + 32 if 65 <= b <= 90 else b) for b in raw)
    found, i = [], 0
    while i < len(folded):
        for size in range(min(LONGEST, len(folded) - i), knowledge.MIN_WORD - 1, -1):
            if folded[i : i + size] in WORDS:
                found.append((i, size, *WORDS[folded[i : i + size]]))
                i += size
                break
        else:
            i += 1
    if not found:
        return {"word_longest": 0, "word_best_log_rank": knowledge.NO_WORD, "word_segments": 0}
    longest = max(s for _, s, *_ in found)
    l33t = [s for i, s, *_ in found if any(chr(b) in knowledge.L33T for b in raw[i : i + s])]
    return {
        "word_longest": longest,
        "word_longest_log_rank": np.log10(min(r for _, s, r, *_ in found if s == longest)),
        "word_best_log_rank": np.log10(min(r for _, _, r, *_ in found)),
        "word_share": sum(s for _, s, *_ in found) / len(raw),
        "word_segments": len(found),
        "name_longest": max([s for _, s, _, n, _ in found if n], default=0),
        "l33t_word_longest": max(l33t, default=0),
        "reversed_word_longest": max([s for _, s, _, _, rev in found if rev], default=0),
    }


def _longest(raw: bytes, together) -> int:
    best = run = 0
    for a, b in zip(raw, raw[1:], strict=False):
        run = run + 1 if together(a, b) else 0
        best = max(best, run)
    return best + 1 if best else 0


def _adjacent(graph: str):
    pairs = {
        (ord(a), ord(b))
        for key, neighbours in ADJACENCY_GRAPHS[graph].items()
        for n in neighbours
        if n is not None
        for a in key
        for b in n
    }
    return lambda a, b: (a, b) in pairs


def _passwords(n: int = 3000) -> list[str]:
    """Words, names, l33t, reversed, walks, dates, repeats, random bytes and non-ASCII."""
    rng = np.random.default_rng(5)
    words = [w for name in knowledge.WORD_LISTS for w in FREQUENCY_LISTS[name][:3000]]
    alphabet = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%&*é€ ")
    leet = str.maketrans({"a": "@", "e": "3", "o": "0", "s": "$", "i": "1", "t": "7"})
    out = ["", "a", "qwertyuiop", "1qaz2wsx", "zxcvbnm", "aaaaaa", "abcdef", "fedcba"]
    for _ in range(n):
        kind = rng.integers(6)
        word = str(rng.choice(words))
        tail = "".join(rng.choice(alphabet, size=rng.integers(0, 5)))
        if kind == 0:
            out.append(word + tail)
        elif kind == 1:
            out.append(word.capitalize().translate(leet) + tail)
        elif kind == 2:
            out.append(tail + word[::-1] + str(rng.choice(words)))
        elif kind == 3:
            out.append(
                f"{word}{rng.integers(1, 29):02d}{rng.integers(1, 13):02d}19{rng.integers(50, 99)}"
            )
        elif kind == 4:
            out.append("".join(rng.choice(alphabet, size=rng.integers(1, 16))))
        else:
            out.append(str(rng.choice(["qwer", "asdf", "1234", "7410", "zxcv"])) * 2 + tail)
    return out


def test_every_feature_equals_the_per_password_reference():
    passwords = _passwords()
    got = knowledge.knowledge_features(passwords)
    assert got.shape == (len(passwords), len(knowledge.FEATURE_NAMES)) and got.dtype == np.float32
    graphs = {g: _adjacent(g) for g in knowledge.KEYBOARDS}
    for row, password in zip(got, passwords, strict=True):
        raw = password.encode()
        expected = _reference_words(password)
        for name, g in graphs.items():
            expected[f"walk_{name}"] = _longest(raw, g)
        expected["repeat_longest"] = _longest(raw, lambda a, b: a == b)
        expected["sequence_longest"] = max(
            _longest(raw, lambda a, b: b - a == 1), _longest(raw, lambda a, b: a - b == 1)
        )
        for name, value in expected.items():
            assert row[COLUMN[name]] == pytest.approx(value, rel=1e-6), (name, len(password))


def test_examples_a_reader_can_check():
    rows = dict(
        zip(
            ["jennifer1990", "r3gin@ld", "qwertyuiop", "drowssap", "xK9#mQ2z", "12051987"],
            knowledge.knowledge_features(
                ["jennifer1990", "r3gin@ld", "qwertyuiop", "drowssap", "xK9#mQ2z", "12051987"]
            ),
            strict=True,
        )
    )
    assert rows["jennifer1990"][COLUMN["name_longest"]] == 8
    assert rows["r3gin@ld"][COLUMN["l33t_word_longest"]] == 8  # reginald, read through l33t
    assert rows["qwertyuiop"][COLUMN["walk_qwerty"]] == 10
    assert rows["drowssap"][COLUMN["reversed_word_longest"]] >= 4
    assert rows["xK9#mQ2z"][COLUMN["word_longest"]] == 0
    assert rows["12051987"][COLUMN["dates"]] >= 1 and rows["xK9#mQ2z"][COLUMN["dates"]] == 0


def test_no_other_leaks_passwords_are_used():
    assert "passwords" not in knowledge.WORD_LISTS
    only_in_leak = [
        p
        for p in FREQUENCY_LISTS["passwords"][:200]
        if p.isalpha()
        and len(p) >= 6
        and all(p not in FREQUENCY_LISTS[n] for n in knowledge.WORD_LISTS)
    ]
    assert len(only_in_leak) > 20  # e.g. "password", "monkey", "dragon"
    longest = knowledge.knowledge_features(only_in_leak)[:, COLUMN["word_longest"]]
    # each is found, if at all, as shorter dictionary words inside it, never whole
    assert (longest < np.array([len(p) for p in only_in_leak])).all()


def test_arrow_input_chunked_and_empty():
    chunked = pa.chunked_array([["abc", "password1"], ["", "qwerty"]], type=pa.large_string())
    flat = knowledge.knowledge_features(["abc", "password1", "", "qwerty"])
    assert np.array_equal(knowledge.knowledge_features(chunked), flat)
    assert knowledge.knowledge_features([]).shape == (0, len(knowledge.FEATURE_NAMES))
    one = knowledge.knowledge_features(["password1"])
    assert np.array_equal(one[0], flat[1])  # a row does not depend on its neighbours


def test_a_model_refuses_other_word_lists():
    fitted = knowledge.KnowledgeFeatures().fit(["x"])
    assert fitted.transform(["abc"]).shape == (1, len(knowledge.FEATURE_NAMES))
    fitted.lists_sha256_ = "0" * 64  # fitted with lists that are not installed here
    with pytest.raises(ModelError, match="zxcvbn"):
        fitted.transform(["abc"])
