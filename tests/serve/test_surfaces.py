"""One rule on every surface: the API, the CLI and batch predict give the same answer to the
same passwords and user inputs (the record, the detail and the zxcvbn shape), refuse the same
bad input, and never echo a user input."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from pwc.cli import main
from pwc.serve.app import Settings, create_app

from .test_cli import run_cli

WORDS = [
    "alice1987",
    "ecila",
    "Al1ce!!",
    "examplebank2024",
    "7",
    "qwertyuiop",
    "123456",
    "correct-kettle-orbit-93",
]
INPUTS = ["Alice", "alice@mail.example", "examplebank"]


def _api(served, body: dict, **query) -> dict:
    with TestClient(create_app(Settings(params=served))) as client:
        resp = client.post("/v1/score", json=body, params=query)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _cli(served, tmp_path, *flags) -> dict:
    inputs = tmp_path / "inputs.txt"
    inputs.write_text("".join(u + "\n" for u in INPUTS))
    stdin = "".join(w + "\n" for w in WORDS).encode()
    proc = run_cli(served, "--json", "--user-inputs", str(inputs), *flags, stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    for secret in INPUTS:
        assert secret.encode() not in proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def test_the_record_with_user_inputs_is_the_same_on_every_surface(served, tmp_path):
    api = _api(served, {"passwords": WORDS, "user_inputs": INPUTS})
    assert _cli(served, tmp_path) == api
    sources = [r["source"] for r in api["results"]]
    assert sources[:4] == ["user_input"] * 4 and sources[4] == "brute_force"
    assert all(r["score"] <= 1 for r in api["results"][:4])
    src, dst = tmp_path / "in.parquet", tmp_path / "out.parquet"
    table = pa.table({"password": WORDS, "user_inputs": [INPUTS] * len(WORDS)})
    pq.write_table(table, src)
    assert main(["--params", str(served), "predict", str(src), str(dst)]) == 0
    batch = pq.read_table(dst).to_pylist()
    fields = ("guesses_log10", "guesses", "score", "source")
    assert [{k: row[k] for k in fields} for row in batch] == api["results"]


def test_detail_and_zxcvbn_shape_are_the_same_from_the_api_and_the_cli(served, tmp_path):
    body = {"passwords": WORDS, "user_inputs": INPUTS}
    api = _api(served, body, detail="true")
    cli = _cli(served, tmp_path, "--detail")
    assert [r["feedback"] for r in cli["results"]] == [r["feedback"] for r in api["results"]]
    assert [r["sequence"] for r in cli["results"]] == [r["sequence"] for r in api["results"]]
    codes = [r["feedback"]["warning"] and r["feedback"]["warning"]["code"] for r in api["results"]]
    assert codes[:4] == ["warning.user_input"] * 4 and codes[4] == "warning.short"
    shaped = _api(served, body, format="zxcvbn")
    assert [r["score"] for r in shaped["results"]] == [r["score"] for r in api["results"]]
    zx = _cli(served, tmp_path, "--zxcvbn")
    assert [sorted(r) for r in zx["results"]] == [sorted(r) for r in shaped["results"]]


def test_bad_user_inputs_are_refused_alike_without_their_text(served, tmp_path):
    secret = "s3cret-user-input-" + "x" * 100
    with TestClient(create_app(Settings(params=served))) as client:
        resp = client.post("/v1/score", json={"passwords": ["a"], "user_inputs": [secret]})
        many = client.post("/v1/score", json={"passwords": ["a"], "user_inputs": ["u"] * 21})
        lang = client.post("/v1/score", json={"passwords": ["a"]}, params={"lang": "zz"})
    assert (resp.status_code, many.status_code, lang.status_code) == (422, 422, 422)
    assert secret not in resp.text
    path = tmp_path / "inputs.txt"
    path.write_text(secret + "\n")
    proc = run_cli(served, "--user-inputs", str(path), stdin=b"a\n")
    assert proc.returncode == 1 and b"over 100 characters" in proc.stderr
    assert secret.encode() not in proc.stderr + proc.stdout
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"password": ["a"], "user_inputs": [[secret]]}), src)
    assert main(["--params", str(served), "predict", str(src), str(tmp_path / "o.parquet")]) == 1
