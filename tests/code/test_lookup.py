import hashlib

import numpy as np
import pyarrow as pa
import pytest

from pwc import lookup
from pwc.counting.hashing import SMALL_BATCH
from pwc.errors import ModelError

KEY = "0123456789abcdef"
WORDS = [f"user{i}pass" for i in range(5000)] + ["123456", "NaN", " ", "peña", ""]


TABLE = lookup.build(
    pa.array(WORDS, pa.large_string()), np.arange(1, len(WORDS) + 1, dtype=np.float64), None, KEY
)


@pytest.fixture(scope="module")
def table():
    return TABLE


def test_every_built_password_is_found_with_its_rank(table):
    found, rank, times = lookup.LookupTable.find(table, WORDS)
    assert found.all()
    assert rank.tolist() == list(range(1, len(WORDS) + 1))
    assert (times == -1).all()


def test_unknown_passwords_are_not_found(table):
    found, rank, _ = table.find(["not-there", "user5000pass", "123457"])
    assert not found.any() and np.isnan(rank).all()


def test_one_unknown_password_is_not_found_where_its_probe_slot_holds_another():
    """find_one's exact-match check: a miss lands on a slot holding another password's hash
    (every miss below the largest hash does); only the hash compare tells them apart."""
    misses = [f"absent{i}" for i in range(200)]
    for word in misses:
        assert TABLE.find_one([word]) is None, word
    slots = np.searchsorted(TABLE.hashes, lookup.keyed_hash(misses, KEY))
    assert (slots < TABLE.entries).sum() > 150  # the probes really hit occupied slots
    # and the same probe finds what is there
    assert [TABLE.find_one([w]) for w in WORDS[:3]] == [1.0, 2.0, 3.0]


def test_round_trip_is_byte_identical_and_memory_mapped(table, tmp_path):
    lookup.write(table, tmp_path / "a.bin")
    lookup.write(table, tmp_path / "b.bin")
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()
    loaded = lookup.load(tmp_path / "a.bin", KEY)
    assert not loaded.hashes.flags.writeable  # a view on the mapped file, not a copy
    assert np.array_equal(loaded.find(WORDS)[1], table.find(WORDS)[1])


def test_counts_are_kept(tmp_path):
    built = lookup.build(["a", "b", "c"], np.array([1.5, 1.5, 3.0]), np.array([9, 9, 1]), KEY)
    assert built.guess_rank.size == 2  # two tiers
    lookup.write(built, tmp_path / "t.bin")
    found, rank, times = lookup.load(tmp_path / "t.bin", KEY).find(["c", "a", "zz"])
    assert found.tolist() == [True, True, False]
    assert rank[:2].tolist() == [3.0, 1.5] and times.tolist() == [1, 9, -1]


def test_no_plaintext_in_the_file(table, tmp_path):
    lookup.write(table, tmp_path / "t.bin")
    raw = (tmp_path / "t.bin").read_bytes()
    for word in WORDS[::97] + ["123456", "peña"]:
        if word.strip():
            assert word.encode() not in raw


def test_truncated_corrupted_or_wrong_key_is_refused(table, tmp_path):
    path = tmp_path / "t.bin"
    lookup.write(table, path)
    good = path.read_bytes()
    path.write_bytes(good[:-3])
    with pytest.raises(ModelError, match="truncated"):
        lookup.load(path, KEY)
    path.write_bytes(good[:50])
    with pytest.raises(ModelError, match="truncated"):
        lookup.load(path, KEY)
    flipped = bytearray(good)
    flipped[-100] ^= 0xFF
    path.write_bytes(bytes(flipped))
    with pytest.raises(ModelError, match="corrupted"):
        lookup.load(path, KEY)
    path.write_bytes(good)
    with pytest.raises(ModelError, match="another key"):
        lookup.load(path, "fedcba9876543210")
    path.write_bytes(b"X" * len(good))
    with pytest.raises(ModelError, match="not a lookup file"):
        lookup.load(path, KEY)
    with pytest.raises(ModelError, match="not found"):
        lookup.load(tmp_path / "none.bin", KEY)


def test_key_must_be_16_bytes():
    with pytest.raises(ValueError, match="16 bytes"):
        lookup.keyed_hash(["a"], "short")


def test_collisions_are_dropped_and_counted(monkeypatch):
    monkeypatch.setattr(lookup, "keyed_hash", lambda pw, key: np.array([5, 5, 7], dtype=np.uint64))
    built = lookup.build(["a", "b", "c"], np.array([1.0, 2.0, 3.0]), None, KEY)
    assert built.dropped_collisions == 2 and built.entries == 1


def test_small_and_large_batches_hash_alike():
    words = [f"w{i}" for i in range(SMALL_BATCH + 10)] + ["NaN", "peña", ""]
    big = lookup.keyed_hash(pa.array(words, pa.large_string()), KEY)
    small = np.concatenate(
        [lookup.keyed_hash(words[i : i + 100], KEY) for i in range(0, len(words), 100)]
    )
    assert np.array_equal(big, small)


def test_large_batches_hash_a_slice_at_a_time_alike(monkeypatch):
    """Large batches are hashed HASH_CHUNK passwords at a time (bounded memory): slices of
    every size, Arrow chunk boundaries and plain lists give the one-pass hashes."""
    from pwc.counting import hashing

    words = [f"w{i}" for i in range(SMALL_BATCH + 10)] + ["NaN", "peña", ""]
    whole = hashing.siphash(pa.array(words, pa.large_string()))
    monkeypatch.setattr(hashing, "HASH_CHUNK", 999)
    chunked = pa.chunked_array([pa.array(words[:1500]), pa.array(words[1500:])])
    for batch in (pa.array(words, pa.large_string()), chunked, words):
        assert np.array_equal(hashing.siphash(batch), whole)


def _above_every_hash(table, count: int) -> list[str]:
    """Passwords not in `table` whose hashes sort after its last one (the probe slot is past
    the end): the edge an off-by-one in the bounds check reads out of."""
    top = table.hashes[-1] if table.entries else 0
    words = [f"above{i}" for i in range(20_000)]
    hashes = lookup.keyed_hash(words, KEY)
    return [w for w, h in zip(words, hashes, strict=True) if h > top][:count]


@pytest.mark.parametrize("size", [0, 1, 3])
def test_misses_past_the_last_hash_and_tiny_tables(size, tmp_path):
    built = lookup.build(WORDS[:size], np.arange(1.0, size + 1), None, KEY)
    lookup.write(built, tmp_path / "t.bin")
    loaded = lookup.load(tmp_path / "t.bin", KEY)
    assert (tmp_path / "t.bin").stat().st_size == lookup.HEADER_SIZE + size * 10 + size * 16
    misses = _above_every_hash(loaded, 3)
    assert len(misses) == 3
    assert [loaded.find_one([w]) for w in misses] == [None] * 3
    found, rank, times = loaded.find(misses + WORDS[:size])
    assert found.tolist() == [False] * 3 + [True] * size
    assert rank[3:].tolist() == list(np.arange(1.0, size + 1)) and times.tolist()[:3] == [-1] * 3
    assert times.dtype == np.int64 and rank.dtype == np.float64


def test_colliding_hashes_are_dropped_wherever_they_sort(monkeypatch):
    """Both members of a pair go, also when the pair is not first (a one-sided mark would
    keep the first member of a later pair)."""
    fake = np.array([3, 5, 5, 7, 9, 9], dtype=np.uint64)
    monkeypatch.setattr(lookup, "keyed_hash", lambda pw, key: fake)
    built = lookup.build(list("abcdef"), np.arange(1.0, 7.0), None, KEY)
    assert built.hashes.tolist() == [3, 7] and built.dropped_collisions == 4
    assert built.guess_rank[built.tier].tolist() == [1.0, 4.0]


@pytest.mark.parametrize(("tiers", "width"), [(65_535, 2), (65_536, 4), (70_000, 4)])
def test_tier_numbers_widen_past_65535_tiers(tiers, width, tmp_path):
    """One tier per distinct (rank, count): up to 65,535 tiers fit two bytes per entry."""
    words = [f"t{i}" for i in range(tiers)]
    built = lookup.build(words, np.arange(1.0, tiers + 1), np.arange(tiers) % 5, KEY)
    assert built.tier.dtype.itemsize == width
    lookup.write(built, tmp_path / "t.bin")
    loaded = lookup.load(tmp_path / "t.bin", KEY)
    assert loaded.tier.dtype.itemsize == width
    probe = words[-3:] + words[:2]
    found, rank, times = loaded.find(probe)
    assert found.all() and rank.tolist() == [tiers - 2.0, tiers - 1.0, float(tiers), 1.0, 2.0]
    assert times.tolist() == [(tiers - 3) % 5, (tiers - 2) % 5, (tiers - 1) % 5, 0, 1]


def test_the_header_is_its_fields_then_zeros_and_names_the_key(table, tmp_path):
    lookup.write(table, tmp_path / "t.bin")
    raw = (tmp_path / "t.bin").read_bytes()
    fields = lookup._HEADER.unpack_from(raw, 0)
    assert fields[:5] == (lookup.MAGIC, lookup.FORMAT_VERSION, 2, len(WORDS), len(WORDS))
    assert raw[lookup._HEADER.size : lookup.HEADER_SIZE] == bytes(
        lookup.HEADER_SIZE - lookup._HEADER.size
    )
    # the key's id: files written before must keep loading, so it is fixed
    assert fields[5] == hashlib.sha256(b"pwc-lookup-key:" + KEY.encode()).digest()
    other_version = bytearray(raw)
    other_version[8:12] = (lookup.FORMAT_VERSION + 1).to_bytes(4, "little")
    (tmp_path / "v.bin").write_bytes(bytes(other_version))
    with pytest.raises(ModelError, match="not a lookup file of format 1"):
        lookup.load(tmp_path / "v.bin", KEY)


def test_a_bad_key_says_what_a_key_is():
    for key in ("short", "0123456789abcdeé"):
        with pytest.raises(ValueError) as caught:
            lookup.keyed_hash(["a"], key)
        assert str(caught.value) == "lookup key must be exactly 16 bytes of UTF-8 (SipHash-2-4 key)"
