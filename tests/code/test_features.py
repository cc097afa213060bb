import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from pwc.features.hand import FEATURE_NAMES, HandFeatures, as_arrow, hand_features


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


# The RE2 definitions the byte-level counts implement (counted / matched per password).
REGEX_DEFINITIONS = {
    "n_lower": r"[a-z]",
    "n_upper": r"[A-Z]",
    "n_digit": r"[0-9]",
    "n_symbol": r"[!-/:-@\[-`{-~ \t]",
    "letter_runs": r"[a-zA-Z]+",
    "digit_runs": r"[0-9]+",
    "symbol_runs": r"[^a-zA-Z0-9]+",
    "starts_upper": r"^[A-Z]",
    "ends_digit": r"[0-9]$",
    "ends_symbol": r"[^a-zA-Z0-9]$",
}
TRICKY = [
    "",
    " ",
    "\t",
    "a",
    "Z9",
    "9Z",
    "ab12cd34!!",
    "peña123",
    "é",
    "€1",
    "1€",
    "x\ny1",
    "AAA",
    "!a!",
    "0",
    "null",
    "NaN",
    "12 34",
    "\u212akelvin",
    "\x7f\x00",
    "a\u0301b",
]


def _random_words(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    alphabet = list("aZz0919!~ \t\n\x7fé€ЖK\u212a") + ["😀", "qwerty", "2019"]
    return ["".join(rng.choice(alphabet, rng.integers(0, 14))) for _ in range(n)]


@pytest.mark.parametrize("name", sorted(REGEX_DEFINITIONS))
def test_byte_counts_equal_their_regex_definition(name):
    words = pa.array(TRICKY + _random_words(5000, seed=3), pa.large_string())
    column = hand_features(words)[:, FEATURE_NAMES.index(name)]
    pattern = REGEX_DEFINITIONS[name]
    if pattern.startswith("^") or pattern.endswith("$"):
        expected = pc.match_substring_regex(words, pattern).to_numpy(zero_copy_only=False)
    else:
        expected = pc.count_substring_regex(words, pattern).to_numpy()
    assert np.array_equal(column, expected.astype(np.float32))


def test_length_and_trailing_digits_equal_their_definitions():
    words = pa.array(TRICKY + _random_words(5000, seed=4), pa.large_string())
    X = hand_features(words)
    length = pc.utf8_length(words).to_numpy()
    trailing = pc.utf8_length(pc.extract_regex(words, r"(?P<d>[0-9]*)$").field("d")).to_numpy()
    assert np.array_equal(X[:, FEATURE_NAMES.index("length")], length.astype(np.float32))
    assert np.array_equal(X[:, FEATURE_NAMES.index("trailing_digits")], trailing.astype(np.float32))
