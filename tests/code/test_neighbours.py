"""The neighbour features against a plain-Python reference: dictionaries of the counted
passwords, of their proper prefixes and suffixes, of their last-byte siblings, of their
one-byte deletions and of their one-byte wildcards, neighbours built with str/bytes
operations."""

import re
from collections import Counter

import numpy as np
import pytest

from pwc.counting import hashing, keytable
from pwc.counting.hashing import GRAM_STEP
from pwc.features.leave_one_out import leaving_one_out
from pwc.features.neighbours import scores as neighbours

M = (1 << 64) - 1
K_INV = pow(int(GRAM_STEP), -1, 1 << 64)

TRAIN = [
    "jessica1",
    "Jessica",
    "jessica",
    "jessica12",
    "jessica123",
    "1jessica",
    "acissej",
    "monkey",
    "monkey1",
    "monkey12",
    "Monkey",
    "123456",
    "dragon",
    "ñandú88",
    "ñandú",
    "ab",
    "a",
    "x",
    "jessica2",
    "jessica3",
    "xjessica",
    "jesica",
    "jessca",
    "aab",
    "abb",
    "jessica99",
]
QUERIES = [
    "Jessica1",
    "JESSICA",
    "jessica",
    "jessica1",
    "jessica2",
    "1jessica2",
    "acissej",
    "jessica",
    "monkey123",
    "123monkey",
    "mon-key",
    "MONKEY12",
    "ñandú888",
    "Ñandú",
    "12345",
    "123456",
    "a",
    "b",
    "ab",
    "7",
    "never seen",
]


def _hash(raw: bytes) -> int:
    h, weight = 0, 1
    for byte in raw:
        h = (h + (byte + 1) * weight) & M
        weight = weight * K_INV & M
    return h


def _key(raw: bytes, kind: int) -> int:
    z = (_hash(raw) + len(raw) * 0x9E3779B97F4A7C15 + kind * 0xD6E8FEB86659FD93) & M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)


def _lower(raw: bytes) -> bytes:
    return bytes(b + 32 if 65 <= b <= 90 else b for b in raw)


def _neighbours(raw: bytes) -> list[bytes]:
    low = _lower(raw)
    capital = low[:1].upper() + low[1:] if low[:1].isalpha() else low
    return [
        low,
        capital,
        raw[::-1],
        raw[:-1],
        raw[1:],
        re.sub(rb"[0-9]+$", b"", raw),
        re.sub(rb"^[0-9]+", b"", raw),
        bytes(b for b in raw if (65 <= b <= 90) or (97 <= b <= 122)),
    ]


def _digits_as_zero(raw: bytes) -> bytes:
    return re.sub(rb"[0-9]", b"0", raw)


def _wildcards(raw: bytes) -> list[tuple[bytes, int]]:
    return [(raw[:i], raw[i + 1 :]) for i in range(len(raw))]


def _reference(
    train: list[str],
    target: list[float],
    queries: list[str],
    edits: bool = False,
    substitutions: bool = False,
) -> np.ndarray:
    rarest = max(target)
    full = {
        p.encode(): int(min(max((rarest - t) * 4.0 // 1 + 1, 1), 15))
        for p, t in zip(train, target, strict=True)
    }
    counted = [p.encode() for p in train]
    extended = Counter(p[:i] for p in counted for i in range(1, len(p)))
    ending = Counter(p[i:] for p in counted for i in range(1, len(p)))
    siblings = Counter((p[:-1], len(p)) for p in counted if p)
    deleted = Counter(d for p in counted for d in {p[:i] + p[i + 1 :] for i in range(len(p))})
    variants = Counter(_digits_as_zero(p) for p in counted)
    wild = Counter(w for p in counted for w in _wildcards(p))
    out = []
    for query in queries:
        raw = query.encode()
        row = [full.get(n, 0) if n and n != raw else 0 for n in _neighbours(raw)]
        row.append(min(extended.get(raw, 0).bit_length(), 15))
        if edits and raw:
            inserted = deleted.get(raw, 0)
            row += [
                min(ending.get(raw, 0).bit_length(), 15),
                min(siblings.get((raw[:-1], len(raw)), 0), 15),
                min(inserted.bit_length(), 15) if inserted >= 2 else 0,
                min(variants.get(_digits_as_zero(raw), 0).bit_length(), 15),
            ]
        elif edits:
            row += [0, 0, 0, 0]
        if substitutions:
            found = [wild.get(w, 0) for w in _wildcards(raw)]
            levels = [min(c.bit_length(), 15) if c >= 2 else 0 for c in found]
            row += [sum(levels), max(levels, default=0)]
        out.append(row)
    return np.array(out, dtype=np.float32)


def _targets(n: int) -> list[float]:
    return [7.0 - 0.37 * i for i in range(n)]  # distinct levels, the first the rarest


@pytest.fixture(scope="module")
def fitted():
    return neighbours.NeighbourScores(bits=16).fit_counts(TRAIN, _targets(len(TRAIN)))


@pytest.fixture(scope="module")
def with_edits():
    model = neighbours.NeighbourScores(bits=16, edits=True)
    return model.fit_counts(TRAIN, _targets(len(TRAIN)), chunk=5)  # keys across chunks


@pytest.fixture(scope="module")
def with_substitutions():
    model = neighbours.NeighbourScores(bits=16, edits=True, substitutions=True)
    return model.fit_counts(TRAIN, _targets(len(TRAIN)), chunk=5)


def test_features_match_the_plain_reference(fitted):
    got = fitted.transform(QUERIES)
    assert got.shape == (len(QUERIES), len(neighbours.FEATURES))
    np.testing.assert_array_equal(got, _reference(TRAIN, _targets(len(TRAIN)), QUERIES))
    # the reference is not trivially zero: most neighbour kinds and extensions are found
    assert (got > 0).any(axis=0).sum() >= 8


def test_edit_features_match_the_plain_reference(with_edits):
    got = with_edits.transform(QUERIES + [""])
    assert got.shape == (len(QUERIES) + 1, len(neighbours.FEATURES) + len(neighbours.EDITS))
    ref = _reference(TRAIN, _targets(len(TRAIN)), QUERIES + [""], edits=True)
    np.testing.assert_array_equal(got, ref)
    edits = got[:, len(neighbours.FEATURES) :]
    assert (edits > 0).all(axis=0).sum() == 0 and (edits > 0).any(axis=0).all()
    # "jessica": 1jessica and xjessica end with it (level 2 for two), it is its own only
    # sibling and digit variant (counted: leaving one out takes it away), five give it with
    # a byte deleted
    assert edits[QUERIES.index("jessica")].tolist() == [2, 1, 3, 1]
    assert ref[QUERIES.index("jessica1")][-3] == 3  # jessica1, jessica2, jessica3
    # one password per string a deletion gives: "ab" from "aab" and "abb" once each
    assert ref[QUERIES.index("ab")][-2] == 2


def test_substitution_features_match_the_plain_reference(with_substitutions):
    got = with_substitutions.transform(QUERIES + [""])
    ref = _reference(TRAIN, _targets(len(TRAIN)), QUERIES + [""], True, substitutions=True)
    np.testing.assert_array_equal(got, ref)
    total, most = got[:, -2], got[:, -1]
    # jessica1, jessica2, jessica3 (and jessica99's kin) differ from "jessica9" in its last
    # byte alone: three, level 2; no other byte of it has two
    row = with_substitutions.transform(["jessica9", "zzzzzzzz"])
    assert row[0, -2:].tolist() == [2, 2] and row[1, -2:].tolist() == [0, 0]
    # "jessica": it and "Jessica" differ in the first byte alone (two, level 2); "Jessica1"
    # is one byte from "jessica1" alone (one is never kept)
    assert got[QUERIES.index("jessica"), -2:].tolist() == [2, 2]
    assert total[QUERIES.index("Jessica1")] == 0 and (total >= most).all()
    assert (most > 0).sum() >= 3


def test_leaving_one_out_takes_a_counted_password_from_its_substitutions(
    with_substitutions, with_edits
):
    counted = ["jessica2", "jessica1", "jessica", "ab", "x", "a", "123456"]
    plain = with_substitutions.transform(counted)
    with leaving_one_out(with_substitutions):
        left_out = with_substitutions.transform(counted)
        few = with_substitutions.transform(counted[:1])
    wild = Counter(w for p in TRAIN for w in _wildcards(p.encode()))
    expected = []
    for p in counted:  # each was counted once: one fewer at each of its bytes
        less = [wild[w] - 1 for w in _wildcards(p.encode())]
        levels = [min(c.bit_length(), 15) if c >= 2 else 0 for c in less]
        expected.append([sum(levels), max(levels, default=0)])
    np.testing.assert_array_equal(left_out[:, -2:], expected)
    np.testing.assert_array_equal(few[0], left_out[0])
    # jessica1/2/3 at the last byte: three with itself (level 2), two without (level 2);
    # a and x: two one-byte strings (level 2), one left (0); the rest of the row unchanged
    assert plain[:2, -2:].tolist() == [[2, 2], [2, 2]] and left_out[:2, -2:].tolist() == [
        [2, 2],
        [2, 2],
    ]
    assert plain[4:6, -2:].tolist() == [[2, 2], [2, 2]] and left_out[4:6, -2:].tolist() == [
        [0, 0],
        [0, 0],
    ]
    with leaving_one_out(with_edits):  # the other columns are the edits model's
        np.testing.assert_array_equal(with_edits.transform(counted), left_out[:, :-2])


def test_leaving_one_out_takes_a_counted_password_from_its_counts(with_edits):
    counted = ["jessica2", "jessica1", "a", "ab", "x", "jessica12", "123456"]
    plain = with_edits.transform(counted)
    with leaving_one_out(with_edits):
        left_out = with_edits.transform(counted)
        few = with_edits.transform(counted[:1])
    assert not hasattr(with_edits, "_leave_one_out")
    sib = len(neighbours.FEATURES) + neighbours.EDITS.index("siblings")
    variants = len(neighbours.FEATURES) + neighbours.EDITS.index("digit_variants")
    expected = plain.copy()
    expected[:, sib] -= 1  # each of these was counted once
    families = Counter(_digits_as_zero(p.encode()) for p in TRAIN)
    less = [families[_digits_as_zero(p.encode())] - 1 for p in counted]
    expected[:, variants] = [min(c.bit_length(), 15) for c in less]
    np.testing.assert_array_equal(left_out, expected)
    np.testing.assert_array_equal(few[0], expected[0])
    assert left_out[:, sib].tolist() == [2, 2, 1, 0, 1, 0, 0]  # a, x: one-byte siblings
    # jessica0: three (level 2 either way); jessica00: two, one left (the key of one fewer);
    # a, ab, x and 123456: alone in their family
    assert plain[:, variants].tolist() == [2, 2, 1, 1, 1, 2, 1]
    assert left_out[:, variants].tolist() == [2, 2, 0, 0, 0, 1, 0]


def test_substring_and_reverse_hashes_equal_hashing_the_bytes():
    raw = "xÑandú12ab".encode()
    sums = hashing.SubstringHashes(np.frombuffer(raw, dtype=np.uint8), reverse=True)
    for a in range(len(raw) + 1):
        for e in range(a, len(raw) + 1):
            assert int(sums.forward(np.array([a]), np.array([e]))[0]) == _hash(raw[a:e])
            assert int(sums.reverse(np.array([a]), np.array([e]))[0]) == _hash(raw[a:e][::-1])
    got = hashing.string_key(np.array([_hash(raw)], dtype=np.uint64), np.array([len(raw)]), 2)
    assert int(got[0]) == _key(raw, 2)


def test_a_password_never_reads_its_own_entry(fitted):
    # counted passwords: their neighbours equal to themselves read 0, not their own level
    got = fitted.transform(["jessica", "monkey", "acissej", "a"])
    ref = _reference(TRAIN, _targets(len(TRAIN)), ["jessica", "monkey", "acissej", "a"])
    np.testing.assert_array_equal(got, ref)
    assert got[0, neighbours.FEATURES.index("lower")] == 0  # "jessica" is its own lowercase
    assert got[2, neighbours.FEATURES.index("reversed")] > 0  # "jessica" counted
    # "a": every neighbour empty or itself; "ab", "aab", "abb" and "acissej" extend it
    # (level 3 for four), its own counted entry is never read
    assert got[3].tolist() == [0] * len(neighbours.NEIGHBOURS) + [3]


@pytest.mark.parametrize("model", ["fitted", "with_edits", "with_substitutions"])
def test_rows_do_not_depend_on_their_batch(model, request):
    model = request.getfixturevalue(model)
    forward = model.transform(QUERIES)
    backward = model.transform(QUERIES[::-1])
    np.testing.assert_array_equal(forward, backward[::-1])
    for i, query in enumerate(QUERIES):  # one password: the plain-Python path
        np.testing.assert_array_equal(model.transform([query])[0], forward[i])


def _build(packed, bits, **chunk):
    slots, used = keytable.empty_table(bits)
    return slots, keytable.insert(slots, used, packed, **chunk)


def test_full_buckets_drop_keys_deterministically():
    keys = np.arange(40, dtype=np.uint64) * np.uint64(7919) << np.uint64(4)  # one bucket
    levels = np.ones(40, dtype=np.uint16)
    slots, dropped = _build(keytable.pack(keys, levels), 4, chunk=7)
    assert dropped == 40 - keytable.SLOTS
    assert (slots[0] > 0).all() and not slots[1:].any()
    # the SLOTS smallest keys are kept, whatever the input order and the chunking
    again, _ = _build(keytable.pack(keys[::-1], levels), 4)
    np.testing.assert_array_equal(slots, again)
    kept = np.sort(keytable.fingerprint(keys[: keytable.SLOTS]))
    np.testing.assert_array_equal(np.sort(slots[0] >> 4), kept)


def test_a_group_inserted_later_finds_the_earlier_groups_slots_taken():
    keys = np.arange(40, dtype=np.uint64) * np.uint64(7919) << np.uint64(4)  # one bucket
    levels = np.ones(40, dtype=np.uint16)
    slots, used = keytable.empty_table(4)
    assert keytable.insert(slots, used, keytable.pack(keys[30:], levels[30:])) == 0
    assert used.tolist() == [10] + [0] * 15
    dropped = keytable.insert(slots, used, keytable.pack(keys[:30], levels[:30]), chunk=7)
    assert dropped == 24 and used[0] == keytable.SLOTS
    # the first group's ten keys all kept, then the second group's six smallest
    kept = np.sort(keytable.fingerprint(np.concatenate([keys[30:], keys[:6]])))
    np.testing.assert_array_equal(np.sort(slots[0] >> 4), kept)


def test_levels():
    counts = np.array([1, 2, 3, 4, 7, 8, 10**9])
    want = [1, 2, 2, 3, 3, 4, 15]
    for chunk in (1, 3, 1 << 22):  # a slice at a time (memory): the same levels, in order
        np.testing.assert_array_equal(keytable.count_levels(counts, chunk), want)
        assert keytable.count_levels(counts.astype(np.uint32), chunk).dtype == np.uint16
    np.testing.assert_array_equal(
        keytable.target_levels(np.array([7.0, 6.9, 6.75, 6.7, 0.0]), 7.0), [1, 1, 2, 2, 15]
    )
    np.testing.assert_array_equal(
        keytable.exact_levels(np.array([1, 2, 14, 15, 99])), [1, 2, 14, 15, 15]
    )


@pytest.mark.parametrize(
    ("size", "high", "least", "chunk"),
    [(0, 5, 1, 3), (1000, 50, 1, 7), (1000, 50, 2, 7), (1000, 3, 1, 5), (300, 1, 2, 4)],
)
def test_distinct_counts_by_slices_are_numpys(size, high, least, chunk):
    # runs longer than a slice, slices ending inside a run: the counts np.unique gives
    keys = np.random.default_rng(size + high).integers(0, high, size).astype(np.uint64)
    unique, counts = np.unique(keys, return_counts=True)
    got_keys, got_counts = keytable.distinct_counts(keys.copy(), least, chunk)
    np.testing.assert_array_equal(got_keys, unique[counts >= least])
    np.testing.assert_array_equal(got_counts, counts[counts >= least])


def test_empty_batch_and_unfitted():
    model = neighbours.NeighbourScores(bits=8)
    with pytest.raises(ValueError, match="fit_counts"):
        model.fit(["a"])
    model.fit_counts(["abc"], [1.0])
    assert model.transform([]).shape == (0, len(neighbours.FEATURES))
