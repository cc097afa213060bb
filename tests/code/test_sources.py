import numpy as np
import pyarrow.parquet as pq
import pytest

from pwc.data.lines import decode_lines, split_lines
from pwc.data.sources import block_targets, csv_table, ingest, sample_rows, wordlist_table
from pwc.errors import DataError
from pwc.io import write_parquet
from tests.project import section

NA_LIKE = ["null", "NaN", "NA", "None", "nan", " ", "0", "N/A", "#N/A", "  x\t"]


def lines_of(raw: bytes) -> list[bytes]:
    return split_lines(raw, "f").to_pylist()


def test_split_lines_with_and_without_final_newline():
    assert lines_of(b"a\nbb\n") == [b"a", b"bb"]
    assert lines_of(b"a\nbb") == [b"a", b"bb"]
    assert lines_of(b"a\n\nb\n") == [b"a", b"", b"b"]


def test_crlf_file_is_stripped_but_a_lone_cr_is_kept():
    assert lines_of(b"a\r\nb\r\n") == [b"a", b"b"]
    assert lines_of(b"a\r\nb\n") == [b"a\r", b"b"]


def test_bom_is_dropped():
    assert lines_of(b"\xef\xbb\xbfabc\nd\n") == [b"abc", b"d"]


@pytest.mark.parametrize("raw", [b"", b"\n\n", b"\xef\xbb\xbf"])
def test_empty_file_is_an_error_naming_the_file(raw):
    with pytest.raises(DataError, match=r"^words\.txt: file is empty"):
        split_lines(raw, "words.txt")


def test_nul_bytes_name_the_line():
    with pytest.raises(DataError, match=r"words\.txt: NUL byte at line 2"):
        split_lines(b"ok\nbad\x00line\n", "words.txt")


def test_invalid_utf8_line_is_decoded_as_latin1_and_flagged():
    lines = split_lines("peña\n".encode() + b"peque\xf1a\nabc\n", "f")
    text, latin1 = decode_lines(lines, "f")
    assert text.to_pylist() == ["peña", "pequeña", "abc"]
    assert latin1.tolist() == [False, True, False]


def test_binary_junk_is_refused():
    rng = np.random.default_rng(0)
    junk = bytes(rng.integers(0x80, 0xFF, size=20_000, dtype=np.uint8))
    junk = b"\n".join(junk[i : i + 9] for i in range(0, len(junk), 9))
    with pytest.raises(DataError, match="not a UTF-8 text file"):
        decode_lines(split_lines(junk, "junk.bin"), "junk.bin")


def test_blocks_end_where_bytes_increase_and_share_the_mid_rank():
    lines = split_lines(b"c\nb\na\nz\ny\nq\n", "f")
    cols = block_targets(lines)
    assert cols["block"].tolist() == [0, 0, 0, 1, 1, 1]
    assert cols["guess_rank"].tolist() == [2.0, 2.0, 2.0, 5.0, 5.0, 5.0]
    assert np.allclose(cols["target"], np.log10(cols["guess_rank"]))
    assert cols["seen_once"].tolist() == [False] * 3 + [True] * 3


def test_na_like_passwords_survive_ingest_and_parquet(tmp_path):
    raw = "".join(f"{p}\n" for p in sorted(NA_LIKE, reverse=True)).encode()
    table = wordlist_table(raw, "f")
    write_parquet(tmp_path / "t.parquet", table)
    back = pq.read_table(tmp_path / "t.parquet").to_pandas()
    assert sorted(back["password"].tolist()) == sorted(NA_LIKE)
    assert back["password"].isna().sum() == 0


def csv_bytes(rows, header="Password,Times"):
    body = "".join(f"{p},{t}\n" for p, t in rows)
    return f"{header}\n{body}".encode()


def test_csv_ranks_from_counts_with_ties_at_mid_rank():
    table = csv_table(csv_bytes([("a", 1), ("b", 5), ("c", 3), ("d", 3), ("e", 1), ("f", 1)]), "c")
    got = dict(zip(table["password"].to_pylist(), table["guess_rank"].to_pylist(), strict=True))
    assert got == {"b": 1.0, "c": 2.5, "d": 2.5, "a": 5.0, "e": 5.0, "f": 5.0}
    assert table["times"].to_pylist() == [1, 5, 3, 3, 1, 1]
    assert table["seen_once"].to_pylist() == [True, False, False, False, True, True]


def test_csv_keeps_na_like_passwords_and_spaces():
    rows = [(f'"{p}"', 2) for p in NA_LIKE]
    table = csv_table(csv_bytes(rows), "c")
    assert table["password"].to_pylist() == NA_LIKE


@pytest.mark.parametrize("times", ["0", "-3", "2.5", "many", "", "1e300"])
def test_csv_bad_times_leave_the_row_unranked(times):
    table = csv_table(csv_bytes([("good", 4), ("bad", times)]), "c")
    assert table["rank"].to_pylist() == [1, None]
    assert table["times"].to_pylist() == [4, None]


def test_csv_wrong_header_names_the_file_without_echoing_the_line():
    with pytest.raises(DataError, match=r"^c\.csv: first line is not the header") as err:
        csv_table(b"hunter2,5\nabc,1\n", "c.csv")
    assert "hunter2" not in str(err.value)


@pytest.mark.parametrize("raw", [b"", b"\n", b"\xef\xbb\xbf"])
def test_csv_empty(raw):
    with pytest.raises(DataError, match="c.csv: file is empty"):
        csv_table(raw, "c.csv")


def test_csv_binary_junk():
    with pytest.raises(DataError, match="NUL"):
        csv_table(b"Password,Times\n\x00\x01\x02,1\n", "c.csv")


def test_csv_bom_crlf_and_invalid_utf8():
    raw = b"\xef\xbb\xbfPassword,Times\r\nabc,2\r\npeque\xf1a,1\r\n"
    table = csv_table(raw, "c")
    assert table["password"].to_pylist() == ["abc", "pequeña"]
    assert table["latin1"].to_pylist() == [False, True]


def test_sample_is_deterministic_and_in_file_order():
    table = wordlist_table(b"".join(b"%06d\n" % i for i in range(999, -1, -1)), "f")
    a, b = sample_rows(table, 100, seed=1), sample_rows(table, 100, seed=1)
    assert a.equals(b)
    assert a.num_rows == 100
    assert np.all(np.diff(a["rank"].to_numpy()) > 0)
    assert not a.equals(sample_rows(table, 100, seed=2))


def test_ingest_file_sources(tmp_path):
    (tmp_path / "w.txt").write_bytes(b"b\na\n")
    table = ingest(section("data", source="wordlist", path=tmp_path / "w.txt", sha256=None), seed=0)
    assert table["password"].to_pylist() == ["b", "a"]
    with pytest.raises(DataError, match="does not exist"):
        ingest(section("data", source="csv", path=tmp_path / "missing.csv", sha256=None), seed=0)
    with pytest.raises(DataError, match="sha256 does not match"):
        ingest(section("data", source="wordlist", path=tmp_path / "w.txt", sha256="0" * 64), seed=0)
