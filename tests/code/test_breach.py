"""The range index's core: digests, the file, HIBP's answer format, hash-only corpora."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from Crypto.Hash import MD4

from pwc.breach import answer, build, corpus, engines, hashes, index, synthetic
from pwc.errors import DataError

SHA1, NTLM = hashes.MODES["sha1"], hashes.MODES["ntlm"]
# empty, ASCII, every UTF-8 length, and MD4's block edges: 27/28 characters are 54/56 bytes
EDGE = ["", "password", "héllo€", "😀x", "a" * 27, "a" * 28, "b" * 31, "c" * 32, "d" * 300]


def test_ntlm_is_md4_of_utf16le_as_pycryptodome_computes_it():
    rng = np.random.default_rng(1)
    words = EDGE + [
        "".join(map(chr, rng.integers(32, 0x2FF, rng.integers(0, 70)))) for _ in range(300)
    ]
    want = [MD4.new(w.encode("utf-16-le")).digest() for w in words]
    assert [bytes(d) for d in hashes.ntlm(words)] == want
    assert bytes(hashes.ntlm(["password"])[0]).hex() == "8846f7eaee8fb117ad06bdd830b7586c"


def test_sha1_is_of_the_utf8_bytes():
    assert [bytes(d) for d in hashes.sha1(EDGE)] == [
        hashlib.sha1(w.encode()).digest() for w in EDGE
    ]


def _hibp_lines(words, counts, hash_of):
    """What HIBP would answer, computed independently: {prefix: {SUFFIX: count}}."""
    out: dict[str, dict[str, int]] = {}
    for w, c in zip(words, counts, strict=True):
        h = hash_of(w).upper()
        bucket = out.setdefault(h[:5], {})
        bucket[h[5:]] = bucket.get(h[5:], 0) + c
    return out


@pytest.mark.parametrize("mode", ["sha1", "ntlm"])
def test_answers_are_hibps_lines_for_every_prefix(tmp_path, mode):
    kind = hashes.MODES[mode]
    words = [f"pw{i}" for i in range(3000)] + ["pw1", "pw2"]  # repeats: counts summed
    counts = np.array([i % 40 + 1 for i in range(3000)] + [2**40, 7])  # escapes, huge counts
    index.write(tmp_path / "x.idx", kind, kind.digests(words), counts)
    ix = index.RangeIndex(tmp_path / "x.idx")

    def hex_of(w):
        if mode == "sha1":
            return hashlib.sha1(w.encode()).hexdigest()
        return MD4.new(w.encode("utf-16-le")).hexdigest()

    want = _hibp_lines(words, counts.tolist(), hex_of)
    assert ix.entries == sum(map(len, want.values()))
    for prefix, lines in want.items():
        text = answer.answer(ix, int(prefix, 16))
        assert text == "\r\n".join(f"{s}:{c}" for s, c in sorted(lines.items()))
    empty = next(p for p in range(index.PREFIXES) if f"{p:05X}" not in want)
    assert answer.answer(ix, empty) == ""
    assert ix.count(bytes.fromhex(hex_of("pw1"))) == 2 + 2**40
    assert ix.count(bytes.fromhex(hex_of("not in it"))) == 0


def test_a_record_is_the_digest_without_its_prefix_and_a_count_code():
    digest = np.frombuffer(bytes(range(1, 21)), np.uint8)[None, :]
    small, big = index.records(digest, np.array([9])), index.records(digest, np.array([16]))
    assert small.shape == (1, 18)
    assert small.tobytes().hex() == bytes(range(1, 21)).hex()[5:] + "9"
    assert big.tobytes().hex()[-1] == "0"  # 16 > 15: the count is in the escape bytes


def test_leb128_matches_the_format():
    data, sizes = index.leb128(np.array([0, 1, 127, 128, 300, 2**35]))
    assert data.tobytes() == bytes([0, 1, 127, 0x80, 1, 0xAC, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 1])
    assert sizes.tolist() == [1, 1, 1, 2, 2, 6]


def test_padding_follows_hibp(tmp_path):
    index.write(tmp_path / "x.idx", SHA1, SHA1.digests(["password"]), np.array([5]))
    ix = index.RangeIndex(tmp_path / "x.idx")
    prefix = int(hashlib.sha1(b"password").hexdigest()[:5], 16)
    sizes = set()
    for _ in range(20):
        lines = answer.answer(ix, prefix, pad=True).split("\r\n")
        sizes.add(len(lines))
        assert answer.PAD_MIN <= len(lines) <= answer.PAD_MAX
        assert lines == sorted(lines)
        real = [x for x in lines if not x.endswith(":0")]
        assert real == [hashlib.sha1(b"password").hexdigest().upper()[5:] + ":5"]
        assert all(len(x.split(":")[0]) == 35 for x in lines)
    assert len(sizes) > 1  # the size is random, so it says nothing


@pytest.mark.parametrize("text", ["ABCD", "ABCDEF", "ABCDG", "12 45", "", "abcd\n"])
def test_a_prefix_is_five_hex_characters(text):
    with pytest.raises(ValueError, match="5 hexadecimal characters"):
        answer.parse_prefix(text)


def test_prefixes_in_either_case():
    assert answer.parse_prefix("abcDE") == answer.parse_prefix("ABCDE") == 0xABCDE


def test_the_writer_refuses_what_would_make_a_wrong_index(tmp_path):
    d = SHA1.digests(["a", "b", "c"])
    d_sorted, _ = index.sort_unique(d, np.ones(3, np.int64))
    with pytest.raises(DataError, match="ascending"), index.IndexWriter(tmp_path / "x", SHA1) as w:
        w.add(d_sorted[::-1].copy(), np.ones(3, np.int64))
    with pytest.raises(DataError, match="ascending"), index.IndexWriter(tmp_path / "x", SHA1) as w:
        w.add(d_sorted[:2], np.ones(2, np.int64))
        w.add(d_sorted[1:], np.ones(2, np.int64))  # overlaps the chunk before
    with (
        pytest.raises(DataError, match="count below 1"),
        index.IndexWriter(tmp_path / "x", SHA1) as w,
    ):
        w.add(d_sorted, np.array([1, 0, 1]))
    assert not (tmp_path / "x").exists()  # nothing half-written is left


def test_a_damaged_file_is_refused(tmp_path):
    index.write(tmp_path / "x.idx", SHA1, SHA1.digests(["a"]), np.array([1]))
    data = (tmp_path / "x.idx").read_bytes()
    (tmp_path / "cut.idx").write_bytes(data[:-1])
    with pytest.raises(DataError, match="the header says"):
        index.RangeIndex(tmp_path / "cut.idx")
    (tmp_path / "bad.idx").write_bytes(b"X" + data[1:])
    with pytest.raises(DataError, match="not a version-1 range index"):
        index.RangeIndex(tmp_path / "bad.idx")


def test_leak_counts_use_times_else_the_block_from_the_end():
    times = pa.chunked_array([pa.array([5, 1, 2])])
    block = pa.chunked_array([pa.array([0, 2, 1], pa.int32())])
    assert build.leak_counts(times, block).tolist() == [5, 1, 2]
    none = pa.chunked_array([pa.nulls(3, pa.int64())])
    assert build.leak_counts(none, block).tolist() == [3, 1, 2]


def _read_corpus(root: Path, kind: hashes.Mode) -> tuple[np.ndarray, np.ndarray]:
    """The corpus's digests and counts, read line by line here (not by the code under test)."""
    digests, counts = [], []
    for path in sorted(root.glob("*.txt")):
        prefix = path.stem if corpus.PREFIX_FILE.fullmatch(path.name) else ""
        for line in path.read_text().splitlines():
            h, _, c = line.partition(":")
            hexadecimal = all(ch in "0123456789abcdefABCDEF" for ch in h)
            if len(prefix + h) == kind.hex_chars and hexadecimal and c.isdigit() and int(c) > 0:
                digests.append(bytes.fromhex(prefix + h))
                counts.append(int(c))
    d = np.frombuffer(b"".join(digests), np.uint8).reshape(-1, kind.digest_bytes)
    return d, np.array(counts)


@pytest.mark.parametrize("layout", ["prefix", "full"])
def test_a_corpus_indexes_as_its_lines_say(tmp_path, layout):
    root = tmp_path / "corpus"
    synthetic.generate(root, 1000, SHA1, seed=3, layout=layout)
    first = sorted(root.glob("*.txt"))[0]
    good = first.read_text().splitlines()[0]
    # the same digest again in another file: counts summed; and lines to quarantine
    extra = (first.stem if layout == "prefix" else "") + good.split(":")[0] + ":4"
    bad = [
        "ZZZ:1",
        "x" * 40 + ":1",
        extra.split(":")[0] + ":0",
        extra.split(":")[0] + ":-3",
        extra.split(":")[0] + ":1.5",
        extra + ":9",
        "",
    ]
    (root / "more.txt").write_text("\n".join([extra.lower(), *bad]) + "\n")
    spill = tmp_path / "sp'ill"  # quotes in paths stay quotes in DuckDB's SQL
    spill.mkdir()
    report = corpus.ingest(root, SHA1, tmp_path / "c.idx", corpus.Limits(256, 1, str(spill)))
    reasons = [(Path(f).name, n, r) for f, n, r in report["quarantine"].entries]
    assert reasons == [
        ("more.txt", 2, "not 40 hexadecimal characters"),
        ("more.txt", 3, "not 40 hexadecimal characters"),
        ("more.txt", 4, "count not an integer >= 1"),
        ("more.txt", 5, "count not an integer >= 1"),
        ("more.txt", 6, "count not an integer >= 1"),
        ("more.txt", 7, "not HEX:COUNT"),
    ]
    index.write(tmp_path / "ref.idx", SHA1, *_read_corpus(root, SHA1))
    assert (tmp_path / "c.idx").read_bytes() == (tmp_path / "ref.idx").read_bytes()
    assert report["hashes"] == 1000


def test_the_dask_engine_writes_the_same_bytes(tmp_path):
    root = tmp_path / "it's a corpus"  # a quote in a path stays a quote in DuckDB's SQL
    synthetic.generate(root, 2000, NTLM, seed=4)
    limits = corpus.Limits(256, 1, str(tmp_path))
    corpus.ingest(root, NTLM, tmp_path / "local.idx", limits)
    corpus.ingest(root, NTLM, tmp_path / "dask.idx", limits, engines.DaskEngine(workers=2))
    assert (tmp_path / "local.idx").read_bytes() == (tmp_path / "dask.idx").read_bytes()


def test_a_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="no such corpus directory"):
        corpus.ingest(tmp_path / "nope", SHA1, tmp_path / "x.idx", corpus.Limits(64, 1))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no \\*.txt files"):
        corpus.ingest(tmp_path / "empty", SHA1, tmp_path / "x.idx", corpus.Limits(64, 1))


def test_synthetic_corpora_are_seeded(tmp_path):
    synthetic.generate(tmp_path / "a", 500, SHA1, seed=9)
    synthetic.generate(tmp_path / "b", 500, SHA1, seed=9)
    a = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    assert a == {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    _, counts = _read_corpus(tmp_path / "a", SHA1)
    assert (counts == 1).mean() > 0.4 and counts.max() > 20  # Zipf-like: mostly ones, a long tail


def test_a_count_gets_its_ties_mid_rank(tmp_path):
    words = ["a", "b", "c", "d", "e", "f"]
    index.write(tmp_path / "x.idx", SHA1, SHA1.digests(words), np.array([5, 5, 3, 1, 1, 1]))
    ix = index.RangeIndex(tmp_path / "x.idx")
    assert [ix.guess_rank(c) for c in (5, 3, 1)] == [1.5, 3.0, 5.0]
    assert ix.rank_counts.tolist() == [5, 3, 1]


def test_a_breach_index_answers_after_the_lookup(tmp_path):
    from pwc.breach.lookup import BreachLookup, Chained

    index.write(tmp_path / "x.idx", SHA1, SHA1.digests(["a", "b", "c"]), np.array([9, 2, 2]))
    breach = BreachLookup(index.RangeIndex(tmp_path / "x.idx"))
    found, rank, times = breach.find(["zz", "b", "a"])
    assert found.tolist() == [False, True, True] and times.tolist() == [-1, 2, 9]
    assert rank[1:].tolist() == [2.5, 1.0] and np.isnan(rank[0])
    assert breach.find_one(["b"]) == 2.5 and breach.find_one(["zz"]) is None
    first = BreachLookup(index.RangeIndex(tmp_path / "x.idx"))
    index.write(tmp_path / "y.idx", SHA1, SHA1.digests(["a", "q"]), np.array([1, 1]))
    chained = Chained(first, BreachLookup(index.RangeIndex(tmp_path / "y.idx")))
    found, rank, _ = chained.find(["q", "a", "nope"])
    assert found.tolist() == [True, True, False] and rank[:2].tolist() == [1.5, 1.0]
    assert chained.find_one(["q"]) == 1.5 and chained.find_one(["a"]) == 1.0
    index.write(tmp_path / "n.idx", NTLM, NTLM.digests(["a"]), np.array([1]))
    with pytest.raises(ValueError, match="needs a sha1 index"):
        BreachLookup(index.RangeIndex(tmp_path / "n.idx"))


def test_the_stage_indexes_a_corpus_and_writes_its_quarantine(params, tmp_path):
    from pwc.config import with_changes
    from pwc.stages import range_index

    synthetic.generate(tmp_path / "corpus", 500, SHA1, seed=5)
    (tmp_path / "corpus" / "bad.txt").write_text("nothex:1\n")
    paths = with_changes(params.paths, range_dir=tmp_path / "out", range_report=tmp_path / "r.json")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "md5.idx").write_text("an old mode's file")  # gone after the stage
    (tmp_path / "out" / "tmpspill").mkdir()  # a killed run's spill directory: gone too
    settings = with_changes(params.range, modes=["sha1"], corpus={"sha1": tmp_path / "corpus"})
    range_index.main(with_changes(params, paths=paths, range=settings))
    report = json.loads((tmp_path / "r.json").read_text())["sha1"]
    assert report["source"] == "corpus" and report["hashes"] == 500 and report["quarantined"] == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "sha1.idx",
        "sha1.quarantine.csv",
    ]
    rows = (tmp_path / "out" / "sha1.quarantine.csv").read_text().splitlines()
    assert rows == [
        "file,line,reason",
        f"{tmp_path / 'corpus' / 'bad.txt'},1,not 40 hexadecimal characters",
    ]
