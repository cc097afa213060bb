import pyarrow as pa
import pytest

from pwc.data.sources import csv_table, wordlist_table
from pwc.data.validate import REASONS, check_schema, validate
from pwc.errors import DataError


def test_rows_in_equals_kept_plus_quarantined_with_reasons():
    raw = "zz\n" + "x" * 200 + "\nbell\x07\n\nabc\tdef \n"
    table = wordlist_table(raw.encode(), "f")
    result = validate(table, "f", max_length=128)
    report = result.report
    assert report["rows_in"] == 5
    assert report["rows_in"] == report["rows_kept"] + report["rows_quarantined"]
    assert report["quarantined"] == {
        **dict.fromkeys(REASONS, 0),
        "too_long": 1,
        "control_char": 1,
        "empty": 1,
    }
    # tabs and trailing spaces are part of a password: kept exactly
    assert result.kept["password"].to_pylist() == ["zz", "abc\tdef "]
    assert sorted(result.quarantined["reason"].to_pylist()) == ["control_char", "empty", "too_long"]


def test_latin1_collision_quarantines_only_the_latin1_row():
    raw = "peña\n".encode() + b"pe\xf1a\n" + b"other\n"
    result = validate(wordlist_table(raw, "f"), "f", max_length=128)
    assert result.kept["password"].to_pylist() == ["peña", "other"]
    assert result.kept["latin1"].to_pylist() == [False, False]
    assert result.quarantined["reason"].to_pylist() == ["decode_collision"]


def test_csv_duplicates_and_bad_counts_are_counted():
    raw = b"Password,Times\nsame,3\nsame,7\nok,2\nbroken,-1\n"
    result = validate(csv_table(raw, "c"), "c", max_length=128)
    assert result.report["quarantined"]["duplicate_password"] == 2
    assert result.report["quarantined"]["bad_times"] == 1
    assert result.kept["password"].to_pylist() == ["ok"]


def test_schema_errors_name_the_file_and_column():
    table = wordlist_table(b"a\n", "f")
    with pytest.raises(DataError, match=r"in\.parquet: missing column\(s\) \['target'\]"):
        check_schema(table.drop_columns(["target"]), "in.parquet")
    bad = table.set_column(4, "guess_rank", pa.array(["1"]))
    with pytest.raises(DataError, match="column 'guess_rank' is string"):
        check_schema(bad, "in.parquet")
    with pytest.raises(DataError, match="no rows"):
        check_schema(table.slice(0, 0), "in.parquet")
