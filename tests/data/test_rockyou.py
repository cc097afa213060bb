"""Facts about the real RockYou file (docs/data.md), checked on every run."""

import numpy as np
import pyarrow.compute as pc
import pytest

from pwc.data.sources import ingest, read_rockyou
from pwc.data.validate import validate
from pwc.errors import DataError
from tests.project import section

ROCKYOU_SHA256 = "a8b8c7e44b29051ef3d65778ac44944986532cdeba9126c738d81e4b360169d6"


@pytest.fixture(scope="module")
def rockyou():
    return ingest(section("data", source="rockyou", sha256=ROCKYOU_SHA256), seed=0)


def test_pinned_sha_matches_params(params):
    assert params.data.sha256 == ROCKYOU_SHA256


def test_line_and_block_counts(rockyou):
    assert rockyou.num_rows == 14_344_391
    assert rockyou["block"].to_numpy().max() + 1 == 1_566


def test_count_one_block(rockyou):
    seen_once = rockyou["seen_once"].to_numpy(zero_copy_only=False)
    ranks = rockyou["rank"].to_numpy()[seen_once]
    assert (ranks.min(), ranks.max(), ranks.size) == (2_459_760, 14_344_391, 11_884_632)
    mid = (2_459_760 + 14_344_391) / 2
    assert np.allclose(rockyou["guess_rank"].to_numpy()[seen_once], mid)


def test_next_blocks_from_the_end(rockyou):
    sizes = np.bincount(rockyou["block"].to_numpy())
    assert sizes[-6:][::-1].tolist() == [11_884_632, 1_323_615, 389_854, 183_292, 109_267, 73_006]


def test_top_of_the_list(rockyou):
    assert rockyou["password"][0].as_py() == "123456"
    target = rockyou["target"].to_numpy()
    assert np.all(np.diff(target) >= 0)  # frequency order: never easier further down


def test_decoding_and_quality_facts(rockyou):
    assert int(pc.sum(rockyou["latin1"]).as_py()) == 218
    empty = np.flatnonzero(pc.utf8_length(rockyou["password"]).to_numpy() == 0) + 1
    assert empty.tolist() == [4_751]
    report = validate(rockyou, "rockyou", max_length=128).report
    assert report["quarantined"]["decode_collision"] == 36
    assert report["rows_in"] == report["rows_kept"] + report["rows_quarantined"]


def test_spaces_are_never_stripped(rockyou):
    pw = rockyou["password"]
    edged = pc.or_(pc.starts_with(pw, " "), pc.ends_with(pw, " "))
    assert int(pc.sum(edged).as_py()) == 1_008


def test_wrong_sha_is_refused():
    with pytest.raises(DataError, match="does not match data.sha256"):
        read_rockyou("0" * 64)
