import numpy as np
import pyarrow as pa

from pwc.counting.hashing import password_hash
from pwc.data.sources import wordlist_table
from pwc.data.split import EVAL_SETS, bucket_of, heldout_mask, split
from pwc.sampling import log_rank_sample, uniform_sample
from tests.project import section


def test_hash_is_pinned():
    # If these change, every password could change split: bump the data version knowingly.
    got = password_hash(pa.array(["password", "123456", ""], pa.large_string()))
    assert got.tolist() == [PINNED["password"], PINNED["123456"], PINNED[""]]


PINNED = {
    "password": 53271461062908061,
    "123456": 18343389438317934064,
    "": 1760245841805064774,
}


def fake_table(n: int):
    words = b"".join(b"w%07d\n" % i for i in range(n - 1, -1, -1))
    return wordlist_table(words, "f")


SIZES = {"test_size": 1000, "test_head_size": 1000}
SIZES |= {"validation_size": 1000, "validation_head_size": 1000}


def test_no_password_in_two_splits_and_sizes():
    table = fake_table(40_000)
    params = section("split", **SIZES)
    parts = split(table, params, seed=3)
    assert set(parts) == {"train", *EVAL_SETS}
    train = set(parts["train"]["password"].to_pylist())
    test = set(parts["test"]["password"].to_pylist()) | set(parts["test_head"]["password"])
    validation = set(parts["validation"]["password"].to_pylist())
    validation |= set(parts["validation_head"]["password"].to_pylist())
    assert not train & test and not train & validation and not test & validation
    for name in EVAL_SETS:
        assert len(set(parts[name]["password"].to_pylist())) == parts[name].num_rows == 1000
    buckets = bucket_of(table["password"], params)
    assert parts["train"].num_rows == int((buckets >= 20).sum())
    assert {int(b) for b in bucket_of(parts["validation"]["password"], params)} <= set(
        range(10, 20)
    )


def test_test_sets_are_the_ones_drawn_before_validation_existed():
    """Adding the validation buckets took rows from train only: the test sets are the same
    draws as with test buckets alone (the old split's code, kept here as the reference)."""
    table = fake_table(20_000)
    params = section("split", **SIZES)
    parts = split(table, params, seed=5)
    held = table.filter(pa.array(heldout_mask(table["password"], params))).sort_by("rank")
    rng = np.random.default_rng(5)
    test = held.take(uniform_sample(held.num_rows, 1000, rng))
    head = held.take(np.sort(log_rank_sample(held["rank"].to_numpy(), 1000, rng)))
    assert parts["test"].equals(test) and parts["test_head"].equals(head)


def test_heldout_membership_survives_data_growth():
    params = section("split")
    small = fake_table(5_000)["password"]
    grown = fake_table(50_000)["password"]
    small_held = dict(zip(small.to_pylist(), heldout_mask(small, params), strict=True))
    grown_held = dict(zip(grown.to_pylist(), heldout_mask(grown, params), strict=True))
    assert all(grown_held[p] == h for p, h in small_held.items())
    share = np.mean(list(grown_held.values()))
    assert 0.08 < share < 0.12  # 10 of 100 buckets


def test_split_is_deterministic_and_seeded():
    table = fake_table(10_000)
    params = section("split", test_size=500, test_head_size=500)
    a, b = split(table, params, seed=1), split(table, params, seed=1)
    assert all(a[k].equals(b[k]) for k in a)
    assert not a["test"].equals(split(table, params, seed=2)["test"])


def test_head_set_is_capped_at_half_the_heldout_rows():
    table = fake_table(2_000)
    parts = split(table, section("split", **{k: 10**6 for k in SIZES}), seed=0)
    held = int(heldout_mask(table["password"], section("split")).sum())
    assert parts["test"].num_rows == held
    assert parts["test_head"].num_rows == held // 2
    validation = int(((bucket_of(table["password"], section("split")) // 10) == 1).sum())
    assert parts["validation"].num_rows == validation
    assert parts["validation_head"].num_rows == validation // 2
