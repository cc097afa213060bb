import numpy as np
import pyarrow as pa
import pytest

from pwc.features import FEATURE_NAMES, HandFeatures, as_arrow, hand_features


def feats(*passwords):
    X = hand_features(list(passwords))
    return [dict(zip(FEATURE_NAMES, row, strict=True)) for row in X]


def test_shape_and_names():
    X = hand_features(["a", "bb", ""])
    assert X.shape == (3, len(FEATURE_NAMES))
    assert HandFeatures().fit(["x"]).get_feature_names_out().tolist() == list(FEATURE_NAMES)


def test_character_classes():
    (f,) = feats("Passw0rd!")
    assert (f["length"], f["n_upper"], f["n_lower"], f["n_digit"], f["n_symbol"]) == (9, 1, 6, 1, 1)
    assert f["n_classes"] == 4 and f["starts_upper"] == 1 and f["ends_symbol"] == 1


def test_patterns():
    walk, year, digits, repeat = feats("qwerty", "anna1987", "123456", "aaaa")
    assert walk["keyboard_walks"] == 1 and walk["letters_only"] == 1 and walk["lower_only"] == 1
    assert year["years"] == 1 and year["trailing_digits"] == 4
    assert digits["digits_only"] == 1 and digits["sequential"] == 5
    assert repeat["repeats"] == 3 and repeat["unique_share"] == 0.25


def test_non_ascii_and_empty():
    accented, empty = feats("peña", "")
    assert accented["length"] == 4 and accented["n_bytes"] == 5 and accented["n_other"] == 1
    assert all(v == 0 for v in empty.values())


def test_runs_do_not_cross_passwords():
    # "ab" then "c": b->c is sequential only if rows leaked into each other
    a, b = feats("ab", "c")
    assert a["sequential"] == 1 and b["sequential"] == 0


def test_inputs_of_any_sequence_type_agree():
    words = ["x1", "NaN", " "]
    base = hand_features(words)
    for variant in (np.array(words, dtype=object), pa.array(words), pa.chunked_array([words])):
        assert np.array_equal(hand_features(variant), base)
    assert np.array_equal(hand_features(as_arrow(words).slice(1)), base[1:])


def test_null_is_refused():
    with pytest.raises(ValueError, match="null"):
        as_arrow(["a", None])
