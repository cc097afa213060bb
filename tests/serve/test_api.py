"""The HTTP API in-process (TestClient): contract, validation, parity with batch predict."""

import gc
import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from pwc import numerics
from pwc.batch.predict import predict_file
from pwc.config import load_params
from pwc.errors import ModelError
from pwc.scorer import Scorer
from pwc.serve.app import Settings, create_app

from ..conftest import ROOT

WORDS = ["123456", "password", "Xk9#mQ2$vL7!pR4@", "NaN", " ", "peña", "tab\tinside", "0"]


@pytest.fixture(scope="module")
def client(served):
    with TestClient(create_app(Settings(params=served, max_batch=50))) as c:
        yield c


def test_health_and_version(client, served):
    health = client.get("/health").json()
    assert health["status"] == "ok" and len(health["model_version"]) == 12
    version = client.get("/version").json()
    assert version["model_version"] == health["model_version"]
    assert len(version["model_sha256"]) == 64 and version["git_commit"]
    assert version["params"]["train"]["model"] == load_params(served).train.model
    assert version["metrics"]["test_head"]["spearman"] == 0.5
    assert version["gate"]["passed"] is True
    assert version["lookup"]["enabled"] is True and len(version["lookup"]["sha256"]) == 64
    assert version["lookup"]["entries"] > 0


def test_loaded_model_is_frozen_out_of_garbage_collection(served):
    """A full collection walking the model's objects stalls every queued request (~60 ms).
    An app of its own: freezing is process-wide, and another test's app shutting down
    unfreezes it, so the module's client would pass or fail by test order."""
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(Settings(params=served))) as own:
        assert own.get("/health").status_code == 200 and gc.get_freeze_count() > 1000
    assert gc.get_freeze_count() == 0  # shutdown hands the objects back to the collector


def test_the_api_serves_the_browser_meter_and_its_demo(client, meter_dir):
    page = client.get("/meter/demo.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'from "./meter.js"' in page.text
    for name in ("meter.js", "model.js"):
        module = client.get(f"/meter/{name}")
        assert module.status_code == 200
        assert "javascript" in module.headers["content-type"]  # browsers refuse other types
        assert module.content == (meter_dir / name).read_bytes()
    assert client.get("/meter/nothing-here.js").status_code == 404


def test_health_answers_503_until_the_model_is_loaded(served):
    """Before the lifespan has loaded the model (a client outside `with` never starts it),
    /health says so: a load balancer keeps the worker out of rotation."""
    loading = TestClient(create_app(Settings(params=served)))
    answer = loading.get("/health")
    assert answer.status_code == 503 and answer.json() == {"status": "loading"}


def test_leaked_passwords_get_exact_ranks_and_others_the_model(client, small_run):
    _, parts = small_run
    train, test = parts["train"].slice(0, 50), parts["test"].slice(0, 50)
    leaked = client.post("/v1/score", json={"passwords": train["password"].to_pylist()}).json()
    assert {r["source"] for r in leaked["results"]} == {"leak"}
    # the server's own log10 (pwc.numerics): np.log10 is the CPU's libm or numpy's SIMD
    # code, and differs in the last bit for some ranks on some CPUs
    expected = np.maximum(numerics.log10(train["guess_rank"].to_numpy()), 0).tolist()
    assert [r["guesses_log10"] for r in leaked["results"]] == expected
    fresh = client.post("/v1/score", json={"passwords": test["password"].to_pylist()}).json()
    assert {r["source"] for r in fresh["results"]} == {"model"}


def test_lookup_can_be_switched_off_at_serve_time(served, small_run, monkeypatch):
    _, parts = small_run
    words = parts["train"]["password"].to_pylist()[:20]
    monkeypatch.setenv("PWC_PARAMS", str(served))
    monkeypatch.setenv("PWC_LOOKUP", "off")
    settings = Settings()
    with TestClient(create_app(settings)) as client:
        body = client.post("/v1/score", json={"passwords": words}).json()
        assert {r["source"] for r in body["results"]} == {"model"}
        assert client.get("/version").json()["lookup"]["enabled"] is False


def test_score_returns_one_result_per_password_in_order(client):
    body = client.post("/v1/score", json={"passwords": WORDS}).json()
    results = body["results"]
    assert len(results) == len(WORDS)
    for r in results:
        assert r["guesses"] == pytest.approx(10 ** r["guesses_log10"])
        assert 0 <= r["score"] <= 4
    single = client.post("/v1/score", json={"passwords": [WORDS[2]]}).json()["results"][0]
    assert single == results[2]


def test_train_serve_parity_with_batch_predict(client, served, tmp_path):
    src = tmp_path / "words.txt"
    src.write_text("".join(w + "\n" for w in WORDS))
    scorer = Scorer.from_params(load_params(served))
    predict_file(scorer, src, tmp_path / "out.parquet", batch_size=3)
    batch = pq.read_table(tmp_path / "out.parquet")
    api = client.post("/v1/score", json={"passwords": WORDS}).json()
    assert api["model_version"] == batch["model_version"][0].as_py()
    assert [r["guesses_log10"] for r in api["results"]] == batch["guesses_log10"].to_pylist()
    assert [r["score"] for r in api["results"]] == batch["score"].to_pylist()
    assert [r["source"] for r in api["results"]] == batch["source"].to_pylist()


BAD_BODIES = [
    ({"passwords": []}, 422),
    ({"passwords": ["x" * 129]}, 422),
    ({"passwords": ["ok"] * 51}, 422),
    ({"passwords": "not-a-list"}, 422),
    ({"passwords": [1, 2]}, 422),
    ({"passwords": [None]}, 422),
    ({"pw": ["x"]}, 422),
    ({"passwords": ["x"], "extra": 1}, 422),
]


@pytest.mark.parametrize(("body", "status"), BAD_BODIES)
def test_bad_bodies_get_4xx_without_echo(client, body, status):
    resp = client.post("/v1/score", json=body)
    assert resp.status_code == status
    assert all("input" not in item for item in resp.json()["detail"])


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b'{"passwords": ["\\ud800"]}', b"\xff\xfe", b"\xc3\x28", b"[]", b"null"],
)
def test_malformed_bodies_are_422_like_every_bad_body(client, raw):
    """422, the status the schema documents, in its shape; never 400 (found by schemathesis:
    a body that is not UTF-8 got FastAPI's undocumented 400)."""
    resp = client.post("/v1/score", content=raw, headers={"content-type": "application/json"})
    assert resp.status_code == 422
    assert {"loc", "msg", "type"} == set(resp.json()["detail"][0])


def test_oversized_request_is_413(client):
    big = b'{"passwords": ["' + b"a" * (2 << 20) + b'"]}'
    resp = client.post("/v1/score", content=big, headers={"content-type": "application/json"})
    assert resp.status_code == 413


def test_streamed_oversized_request_is_413(client):
    def chunks():
        for _ in range(40):
            yield b"a" * 65536

    resp = client.post("/v1/score", content=chunks(), headers={"content-type": "application/json"})
    assert resp.status_code == 413


def test_passwords_never_in_urls():
    """No route takes text in its URL but the range API's prefix (5 hex characters of a
    digest: what k-anonymity sends) and its mode; /v1/score's options are a flag and two
    fixed lists, never free text."""
    paths = create_app(Settings(params=ROOT / "params.yaml")).openapi()["paths"]
    for path, ops in paths.items():
        for op in ops.values():
            params = [p for p in op.get("parameters", []) if p["in"] in ("query", "path")]
            in_url = {p["name"] for p in params}
            if path == "/range/{prefix}":
                assert in_url == {"prefix", "mode"}
            elif path == "/v1/score":
                assert in_url == {"detail", "format", "lang"}
                for p in params:
                    schema = p["schema"]
                    assert schema.get("type") == "boolean" or "enum" in schema or "const" in schema
            else:
                assert "{" not in path and not in_url


def test_committed_openapi_matches_the_app():
    committed = json.loads((ROOT / "docs/openapi.json").read_text())
    live = create_app(Settings(params=ROOT / "params.yaml")).openapi()
    assert live == committed, "run `make openapi` and commit docs/openapi.json"


def test_refuses_to_start_on_a_corrupt_model(served, tmp_path):
    raw = served.read_text().replace(str(served.parent / "model.skops"), str(tmp_path / "m"))
    (tmp_path / "m").write_bytes(b"PK\x03\x04 definitely not a model")
    (tmp_path / "params.yaml").write_text(raw)
    app = create_app(Settings(params=tmp_path / "params.yaml"))
    with pytest.raises(ModelError, match="not a loadable model file"), TestClient(app):
        pass


def test_scores_are_deterministic(client):
    a = client.post("/v1/score", json={"passwords": WORDS}).json()
    b = client.post("/v1/score", json={"passwords": WORDS}).json()
    assert a == b
    assert np.isfinite([r["guesses_log10"] for r in a["results"]]).all()


def test_limits_come_from_the_environment(served, monkeypatch):
    env = {"PWC_PARAMS": str(served), "PWC_MAX_BATCH": "2", "PWC_MAX_LENGTH": "5", "PWC_MODEL": ""}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.model is None  # empty: unset
    assert (settings.max_batch, settings.max_length) == (2, 5)
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/score", json={"passwords": ["a", "b"]}).status_code == 200
        assert client.post("/v1/score", json={"passwords": ["a", "b", "c"]}).status_code == 422
        assert client.post("/v1/score", json={"passwords": ["toolong"]}).status_code == 422
