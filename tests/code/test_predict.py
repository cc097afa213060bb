import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pwc import lookup as lookup_lib
from pwc import model as model_lib
from pwc import numerics
from pwc.answer.bound import count, lengths_and_sizes, passwords_bound_log10
from pwc.batch.predict import predict_file
from pwc.config import with_changes
from pwc.errors import DataError
from pwc.scorer import (
    OUTPUT_SCHEMA,
    RESULT_FIELDS,
    Scorer,
    ScoreResponse,
    beyond_leak,
    response_json,
    result_rows,
    strength,
)
from pwc.text import as_arrow
from tests.project import section

T = (3.0, 6.0, 8.0, 10.0)


@pytest.fixture(scope="module")
def model():
    words = [f"{w}{i}" for i in range(200) for w in ("abc", "Zq!9", "")]
    fitted = model_lib.fit(
        section(
            "train", hash_bits=12, markov_order=0, pcfg_bits=0, neighbour_bits=0, booster_iter=0
        ),
        model_lib.Rows(words, np.arange(len(words)) % 7),
        seed=1,
    )
    return Scorer(fitted, "v1" + "0" * 62, T)


def test_strength_uses_zxcvbn_style_thresholds():
    got = strength(np.array([0.0, 2.99, 3.0, 6.5, 9.0, 12.0]), (3.0, 6.0, 8.0, 10.0))
    assert got.tolist() == [0, 0, 1, 2, 3, 4]


def test_one_password_exactly_at_each_threshold_gets_the_higher_score(model):
    """A password whose guesses_log10 equals a threshold has reached it (zxcvbn's rule, and
    strength()'s side="right"): the one-password path and the batch path agree there. The
    leak answers exact powers of ten, so each lands on a threshold to the bit."""
    ranks = np.array([1e3, 1e6, 1e8, 1e10, 999.0])
    words = [f"leaked{i}" for i in range(ranks.size)]
    table = lookup_lib.build(words, ranks, None, "0123456789abcdef")
    scorer = Scorer(model.model, model.model_sha256, T, table)
    ones = [scorer([w]) for w in words]
    assert [float(one["guesses_log10"][0]) for one in ones][:4] == list(T)  # on the thresholds
    assert [int(one["score"][0]) for one in ones] == [1, 2, 3, 4, 0]
    assert scorer(words)["score"].tolist() == [1, 2, 3, 4, 0]


def test_score_fields(model):
    out = model(["abc1", "Zq!9x"])
    assert np.all(out["guesses_log10"] >= 0)
    assert out["source"].tolist() == ["model", "model"]  # no lookup loaded
    assert np.allclose(out["guesses"], 10 ** out["guesses_log10"])


def test_the_api_answer_is_the_validated_records_bytes(model):
    """The API writes its answer from the columns, skipping a pydantic model per password:
    byte for byte what the validated ScoreResponse gives, at the extremes too."""
    columns = model(["abc1", "Zq!9x", "", "x" * 40])
    columns["guesses_log10"][:2] = [0.0, 308.0]  # 1 guess and the largest answer (1e+308)
    columns["guesses"] = 10.0 ** columns["guesses_log10"]
    for indent in (None, 2):
        validated = ScoreResponse(model_version="v1", results=result_rows(columns))
        expected = validated.model_dump_json(indent=indent).encode()
        assert response_json("v1", columns, indent=indent) == expected


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_text_and_parquet_inputs_stream_to_the_same_result(model, tmp_path, batch_size):
    words = ["NaN", " spaced ", "peña", "", "x" * 50] * 9
    src = tmp_path / "in.txt"
    src.write_bytes("".join(w + "\n" for w in words).encode())
    counts = predict_file(model, src, tmp_path / "out.parquet", batch_size)
    out = pq.read_table(tmp_path / "out.parquet")
    assert counts == {"rows": len(words), "scored": len(words), "too_long": 0}
    assert out.num_rows == len(words)
    assert out["password"].to_pylist() == words
    assert set(out["model_version"].to_pylist()) == {"v1" + "0" * 10}
    direct = model(words)["guesses_log10"]
    assert np.array_equal(out["guesses_log10"].to_numpy(), direct)

    predict_file(model, tmp_path / "out.parquet", tmp_path / "again.parquet", 5)
    again = pq.read_table(tmp_path / "again.parquet")
    assert np.array_equal(again["guesses_log10"].to_numpy(), direct)


def test_text_chunks_split_mid_line(model, tmp_path, monkeypatch):
    monkeypatch.setattr("pwc.batch.predict.TEXT_CHUNK_BYTES", 5)
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


def test_beyond_leak_extends_only_improbable_answers_near_the_top():
    from pwc.scorer import beyond_leak

    pred = np.array([0.5, 3.0, 6.9, 6.9, 6.9, 7.1])
    log10_prob = np.array([-40.0, -9.0, -40.0, -12.0, -15.9, -26.0])
    out = beyond_leak(pred, log10_prob, start=6.5, width=0.25, markov_from=16.0)
    assert out[0] - pred[0] < 0.01  # far below the top: (almost) unchanged
    assert out[1] == pred[1]
    assert out[2] > 25 and out[5] > 16  # near the top and improbable: raised by the excess
    # likely to the Markov model as leaked passwords are: the model's answer, unchanged, so
    # answers inside the leak's range keep their order
    assert out[3] == pred[3] and out[4] == pred[4]
    assert (out >= pred).all()
    assert beyond_leak(pred, None, 6.5, 0.25, 16.0) is pred


def test_blank_chunks_crlf_and_a_10mb_line_stream(model, tmp_path, monkeypatch):
    monkeypatch.setattr("pwc.batch.predict.TEXT_CHUNK_BYTES", 64)
    words = ["\ufeffnot-a-bom-here", "a", *([""] * 40), "b ", "\tc", "d"]
    raw = "\r\n".join(words[1:]).encode() + b"\r\n"
    (tmp_path / "crlf.txt").write_bytes(b"\xef\xbb\xbf" + raw)  # BOM + CRLF + blank chunks
    counts = predict_file(model, tmp_path / "crlf.txt", tmp_path / "o.parquet", 4)
    assert pq.read_table(tmp_path / "o.parquet")["password"].to_pylist() == words[1:]
    assert counts["rows"] == len(words) - 1

    monkeypatch.setattr("pwc.batch.predict.TEXT_CHUNK_BYTES", 1 << 20)
    huge = "y" * (10 << 20)
    (tmp_path / "huge.txt").write_text(f"short\n{huge}\nafter\n")
    counts = predict_file(model, tmp_path / "huge.txt", tmp_path / "h.parquet", 4, max_length=128)
    out = pq.read_table(tmp_path / "h.parquet")
    assert counts == {"rows": 3, "scored": 2, "too_long": 1}
    assert out["source"].to_pylist() == ["model", "too_long", "model"]
    assert out["guesses_log10"].null_count == 1 and out["password"][1].as_py() == huge


def test_csv_output_escapes_formulas_and_keeps_spaces(model, tmp_path):
    words = ["=cmd|' /C calc'!A0", "+1+1", "@SUM(1)", "-2", " lead", "trail\t", "plain", "a=b"]
    (tmp_path / "in.txt").write_text("".join(w + "\n" for w in words))
    predict_file(model, tmp_path / "in.txt", tmp_path / "out.csv", 3)
    import csv

    with open(tmp_path / "out.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cells = [r["password"] for r in rows]
    assert cells[:4] == ["'" + w for w in words[:4]]  # a spreadsheet shows text, runs nothing
    assert cells[4:] == words[4:]  # spaces and tabs kept exactly; '=' inside is harmless
    assert not any(c[:1] in "=+-@" for c in cells)
    parquet = tmp_path / "out.parquet"
    predict_file(model, tmp_path / "in.txt", parquet, 3)
    assert pq.read_table(parquet)["password"].to_pylist() == words  # Parquet: exact


def test_a_parquet_input_without_a_password_column_is_named(model, tmp_path):
    pq.write_table(pa.table({"pass": ["abc"]}), tmp_path / "in.parquet")
    with pytest.raises(DataError, match=r"in\.parquet: no 'password' column"):
        predict_file(model, tmp_path / "in.parquet", tmp_path / "out.parquet", 10)
    assert not (tmp_path / "out.parquet").exists()  # no partial output either


def _fake_predictions(monkeypatch, with_markov: bool = True):
    """The model's answers as a function of the password alone (length): the scorer is what
    is tested here, the model's own numbers elsewhere."""

    def predict_with_markov(model, passwords):
        lengths = np.array([len(p) for p in as_arrow(passwords).to_pylist()], dtype=np.float64)
        return lengths * 0.7 + 1.0, (-lengths * 1.3 if with_markov else None)

    monkeypatch.setattr("pwc.scorer.model_lib.predict_with_markov", predict_with_markov)


def test_the_one_password_path_is_the_batch_path_leaked_or_not(model, monkeypatch):
    """Leaked passwords (ranks below 1 and past float range too: clipped to 0, and to the
    brute-force bound) and model answers lifted beyond the leak (one past the bound): each
    password alone gives the batch's bits."""
    _fake_predictions(monkeypatch)
    words = ["leaked-a", "leaked-b", "leaked-c", "x", "abcdefgh", "a-much-longer-one!"]
    table = lookup_lib.build(words[:3], np.array([0.5, 12345.0, np.inf]), None, "0123456789abcdef")
    beyond = (5.0, 1.5, 1.0)
    scorer = Scorer(model.model, model.model_sha256, T, table, "l" * 64, beyond)
    batch = scorer(words)
    leaked = numerics.log10(np.array([12345.0]))[0]
    lengths = np.array([1.0, 8.0, 18.0])
    lifted = beyond_leak(lengths * 0.7 + 1.0, -lengths * 1.3, *beyond)
    assert (lifted > lengths * 0.7 + 1.0).all()  # the lift happened, for each
    answers = np.array([0.0, leaked, 308.0, *lifted])
    bound = passwords_bound_log10(words)
    forced = answers > bound  # "leaked-c" (rank past float range) and "x" (1.7) at least
    assert forced.tolist()[:4] == [False, False, True, True]
    assert batch["guesses_log10"].tolist() == np.where(forced, bound, answers).tolist()
    kind = np.array(["leak"] * 3 + ["model"] * 3)
    assert batch["source"].tolist() == np.where(forced, "brute_force", kind).tolist()
    assert batch["guesses"][:2].tolist() == [1.0, 12345.0]
    # brute-forced: the count itself; else 10^log10
    exact = np.where(
        forced, count(*lengths_and_sizes(words)), numerics.exp10(batch["guesses_log10"])
    )
    assert batch["guesses"][2:].tolist() == exact[2:].tolist()
    for i, word in enumerate(words):
        one = scorer([word])
        for field in RESULT_FIELDS:
            assert one[field].tolist() == batch[field][i : i + 1].tolist(), (word, field)
            if field != "source":  # text: "<U4" or "<U5", as the values need
                assert one[field].dtype == batch[field].dtype, (word, field)


def test_without_markov_or_beyond_the_model_answer_is_kept(model, monkeypatch):
    _fake_predictions(monkeypatch, with_markov=False)
    plain = Scorer(model.model, model.model_sha256, T)
    lifted = Scorer(model.model, model.model_sha256, T, beyond_leak=(5.0, 1.5, 2.0))
    for scorer in (plain, lifted):
        # "x": 1.7 from the model, past the 26 guesses that brute force needs
        assert scorer(["abcdefgh", "x"])["guesses_log10"].tolist() == [6.6, math.log10(26)]
        assert scorer(["abcdefgh"])["guesses_log10"].tolist() == [6.6]
    _fake_predictions(monkeypatch)
    assert plain(["abcdefgh"])["guesses_log10"].tolist() == [6.6]  # no lift asked for


def test_from_params_loads_the_model_the_lookup_and_the_strength_settings(model, tmp_path):
    import hashlib

    from tests.project import PARAMS

    model_lib.save(model.model, tmp_path / "model.skops")
    table = lookup_lib.build(["leaked"], np.array([10.0]), None, PARAMS.lookup.key)
    lookup_lib.write(table, tmp_path / "lookup.bin")
    paths = with_changes(
        PARAMS.paths, model=tmp_path / "model.skops", lookup=tmp_path / "lookup.bin"
    )
    params = with_changes(PARAMS, paths=paths)
    names = ("model.skops", "lookup.bin")
    digest = {n: hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() for n in names}
    scorer = Scorer.from_params(params)
    s = params.strength
    assert (
        scorer.model_sha256 == digest["model.skops"]
        and scorer.lookup_sha256 == digest["lookup.bin"]
    )
    assert scorer.thresholds == tuple(s.score_thresholds)
    assert scorer.beyond_leak == (
        s.beyond_leak_from,
        s.beyond_leak_width,
        s.beyond_leak_markov_from,
    )
    assert scorer(["leaked", "other"])["source"].tolist() == ["leak", "model"]
    assert scorer.lookup.entries == 1
    off = Scorer.from_params(params, use_lookup=False)
    assert off.lookup is None and off.lookup_sha256 is None
    assert off(["leaked"])["source"].tolist() == ["model"]
    disabled = with_changes(params, lookup=with_changes(params.lookup, enabled=False))
    assert Scorer.from_params(disabled).lookup is None
    assert Scorer.from_params(disabled, use_lookup=True).lookup.entries == 1
    # another model file than params.yaml's
    (tmp_path / "other.skops").write_bytes((tmp_path / "model.skops").read_bytes())
    moved = with_changes(params, paths=with_changes(paths, model=tmp_path / "gone"))
    assert Scorer.from_params(moved, tmp_path / "other.skops").model_sha256 == digest["model.skops"]


def test_result_columns_become_records_and_arrow_types():
    columns = {
        "guesses_log10": np.array([1.5, 2.0]),
        "guesses": np.array([31.6, 100.0]),
        "score": np.array([0, 1], dtype=np.int8),
        "source": np.array(["leak", "model"]),
    }
    assert result_rows(columns) == [
        {"guesses_log10": 1.5, "guesses": 31.6, "score": 0, "source": "leak"},
        {"guesses_log10": 2.0, "guesses": 100.0, "score": 1, "source": "model"},
    ]
    with pytest.raises(ValueError):
        result_rows({**columns, "score": np.array([0], dtype=np.int8)})  # a column short
    types = {f.name: f.type for f in OUTPUT_SCHEMA}
    assert types == {
        "password": pa.large_string(),
        "guesses_log10": pa.float64(),
        "guesses": pa.float64(),
        "score": pa.int8(),
        "source": pa.string(),
        "model_version": pa.string(),
    }


def test_batch_user_inputs_skip_nulls_inside_a_row_list(model, tmp_path, monkeypatch):
    """A null inside a row's `user_inputs` list is no input (it crashed the matcher)."""
    _fake_predictions(monkeypatch)
    src, dst = tmp_path / "in.parquet", tmp_path / "out.parquet"
    rows = {"password": ["alice1987", "alice1987"], "user_inputs": [["alice", None], None]}
    pq.write_table(pa.table(rows), src)
    predict_file(model, src, dst, batch_size=10)
    assert pq.read_table(dst)["source"].to_pylist() == ["user_input", "model"]
