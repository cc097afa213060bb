import numpy as np
import pyarrow as pa
import pytest
from scipy.stats import spearmanr

from pwc.evaluation import compare


def test_zxcvbn_handles_empty_and_overlong_inputs():
    got = compare.zxcvbn_log10(["", "x" * 300, "123456"])
    assert got[0] == 0.0 and np.isfinite(got).all()
    assert got[2] < got[1]


def test_calibration_keeps_zxcvbn_order():
    words = [f"{w}{i}" for i in range(40) for w in ("pass", "Zq9!xT", "aaaa")]
    raw = compare.zxcvbn_log10(words)
    target = raw / 2 + 1
    zx = compare.ZxcvbnCalibrated(words, target)
    got = zx(words)
    assert spearmanr(got, raw).statistic > 0.999
    assert np.abs(got - target).max() < 0.01


def test_every_peer_is_scored_on_the_same_rows():
    table = pa.table(
        {
            "password": ["a", "bb", "ccc", "dddd"],
            "target": [1.0, 2.0, 3.0, 4.0],
            "seen_once": [False, False, True, True],
        }
    )
    seen = {}

    def recorder(name, fn):
        def predict(pw):
            seen[name] = list(pw)
            return fn(pw)

        return predict

    peers = {
        "good": recorder("good", lambda pw: np.array([len(p) for p in pw], dtype=float)),
        "flat": recorder("flat", lambda pw: np.full(len(pw), 2.5)),
        # the same order, but the longest answered far beyond the leak's rarest class
        "beyond": recorder("beyond", lambda pw: np.array([1.0, 2.0, 3.0, 30.0])),
    }
    out = compare.compare_set(table, peers, cap=4.0)
    assert seen["good"] == seen["flat"] == seen["beyond"] == ["a", "bb", "ccc", "dddd"]
    assert out["rows"] == 4
    models = out["models"]
    assert models["good"]["spearman"] == 1.0 and models["flat"]["spearman"] == 0.0
    # every peer is scored alike: an answer above the cap counts as the cap
    assert models["beyond"]["spearman"] == 1.0 and models["beyond"]["rmse"] == 0.0
    assert models["beyond"]["rmse_uncapped"] == pytest.approx(13.0)
