import numpy as np
import pyarrow.parquet as pq
import pytest

from pwc import model as model_lib
from pwc.config import TrainParams
from pwc.errors import DataError
from pwc.predict import Scorer, predict_file, strength

T = (3.0, 6.0, 8.0, 10.0)


@pytest.fixture(scope="module")
def model():
    words = [f"{w}{i}" for i in range(200) for w in ("abc", "Zq!9", "")]
    fitted = model_lib.fit(TrainParams(hash_bits=12), words, np.arange(len(words)) % 7, seed=1)
    return Scorer(fitted, "v1" + "0" * 62, T)


def test_strength_uses_zxcvbn_style_thresholds():
    got = strength(np.array([0.0, 2.99, 3.0, 6.5, 9.0, 12.0]), (3.0, 6.0, 8.0, 10.0))
    assert got.tolist() == [0, 0, 1, 2, 3, 4]


def test_score_fields(model):
    out = model(["abc1", "Zq!9x"])
    assert np.all(out["guesses_log10"] >= 0)
    assert out["source"].tolist() == ["model", "model"]  # no lookup loaded
    assert np.allclose(out["guesses"], 10 ** out["guesses_log10"])


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_text_and_parquet_inputs_stream_to_the_same_result(model, tmp_path, batch_size):
    words = ["NaN", " spaced ", "peña", "", "x" * 50] * 9
    src = tmp_path / "in.txt"
    src.write_bytes("".join(w + "\n" for w in words).encode())
    rows = predict_file(model, src, tmp_path / "out.parquet", batch_size)
    out = pq.read_table(tmp_path / "out.parquet")
    assert rows == out.num_rows == len(words)
    assert out["password"].to_pylist() == words
    assert set(out["model_version"].to_pylist()) == {"v1" + "0" * 10}
    direct = model(words)["guesses_log10"]
    assert np.array_equal(out["guesses_log10"].to_numpy(), direct)

    predict_file(model, tmp_path / "out.parquet", tmp_path / "again.parquet", 5)
    again = pq.read_table(tmp_path / "again.parquet")
    assert np.array_equal(again["guesses_log10"].to_numpy(), direct)


def test_text_chunks_split_mid_line(model, tmp_path, monkeypatch):
    monkeypatch.setattr("pwc.predict.TEXT_CHUNK_BYTES", 5)
    words = [f"word{i}" for i in range(50)]
    (tmp_path / "in.txt").write_text("\n".join(words))  # no final newline
    predict_file(model, tmp_path / "in.txt", tmp_path / "o.parquet", 4)
    assert pq.read_table(tmp_path / "o.parquet")["password"].to_pylist() == words


def test_bad_inputs(model, tmp_path):
    with pytest.raises(DataError, match="input file not found"):
        predict_file(model, tmp_path / "none.txt", tmp_path / "o.parquet", 5)
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(DataError, match="empty.txt: file is empty"):
        predict_file(model, tmp_path / "empty.txt", tmp_path / "o.parquet", 5)
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        predict_file(model, tmp_path / "bad.parquet", tmp_path / "o.parquet", 5)
    assert not (tmp_path / "o.parquet").exists()
