"""HIBP's range API on our server: the answer format, padding, bad requests, the k-anonymity
CLI client, a real HIBP client from npm, and nothing but prefixes in logs and metrics."""

import hashlib
import json
import logging
import secrets
import subprocess

import httpx
import numpy as np
import pytest
from Crypto.Hash import MD4
from fastapi.testclient import TestClient

from pwc.breach import answer, build, client, index
from pwc.breach.hashes import MODES
from pwc.serve import range as range_api
from pwc.serve.app import Settings, create_app
from pwc.serve.limits import covered
from tests.web.conftest import NODE_BIN, NODE_ENV, WEB

from .conftest import BIN

HEX = {
    "sha1": lambda p: hashlib.sha1(p.encode()).hexdigest().upper(),
    "ntlm": lambda p: MD4.new(p.encode("utf-16-le")).hexdigest().upper(),
}


@pytest.fixture(scope="module")
def app_client(served):
    with TestClient(create_app(Settings(params=served))) as c:
        yield c


@pytest.fixture(scope="module")
def leaked(small_run):
    """(password, count) pairs of the training split, as the range_index stage counts them."""
    _, parts = small_run
    train = parts["train"]
    counts = build.leak_counts(train["times"], train["block"])
    rows = list(
        zip(train["password"].to_pylist()[:2000:97], counts[:2000:97].tolist(), strict=True)
    )
    return rows + [(train["password"][-1].as_py(), int(counts[-1]))]


def random_password() -> str:
    return "not-leaked-" + secrets.token_hex(12)


@pytest.mark.parametrize("mode", ["sha1", "ntlm"])
def test_a_leaked_password_is_under_its_prefix_with_its_count(app_client, leaked, mode):
    for password, count in leaked:
        digest = HEX[mode](password)
        query = {"mode": mode} if mode == "ntlm" else {}
        resp = app_client.get(f"/range/{digest[:5].lower()}", params=query)  # either case
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/plain")
        lines = resp.text.split("\r\n")
        assert f"{digest[5:]}:{count}" in lines
        assert lines == sorted(lines) and all(
            len(x.split(":")[0]) == len(digest) - 5 for x in lines
        )


def test_padding_hides_the_answer_size(app_client, leaked):
    password, count = leaked[0]
    digest = HEX["sha1"](password)
    lines = app_client.get(f"/range/{digest[:5]}", headers={"Add-Padding": "true"}).text.split(
        "\r\n"
    )
    assert answer.PAD_MIN <= len(lines) <= answer.PAD_MAX
    assert f"{digest[5:]}:{count}" in lines
    plain = app_client.get(f"/range/{digest[:5]}").text.split("\r\n")
    assert [x for x in lines if not x.endswith(":0")] == plain


@pytest.mark.parametrize("prefix", ["ABCD", "ABCDEF", "GHIJK", "hunter2", "12%2045"])
def test_a_bad_prefix_is_400_naming_the_rule_never_the_text(app_client, prefix):
    resp = app_client.get(f"/range/{prefix}")
    assert resp.status_code == 400
    assert resp.json() == {
        "detail": "the prefix must be exactly 5 hexadecimal characters (0-9, A-F)"
    }


def test_an_unknown_mode_is_400_and_a_missing_index_404(app_client, served, tmp_path):
    resp = app_client.get("/range/ABCDE", params={"mode": "md5"})
    assert resp.status_code == 400 and "mode must be one of ntlm, sha1" in resp.text
    (tmp_path / "range").mkdir()
    raw = served.read_text().replace(str(served.parent / "range"), str(tmp_path / "range"))
    (tmp_path / "params.yaml").write_text(raw)
    with TestClient(create_app(Settings(params=tmp_path / "params.yaml"))) as other:
        resp = other.get("/range/ABCDE")
    assert resp.status_code == 404 and resp.json() == {
        "detail": "no sha1 range index on this server"
    }


def test_range_requests_are_load_shed_like_scoring():
    paths = ("/v1/score", range_api.PATH)
    assert covered("/range/ABCDE", paths) and covered("/v1/score", paths)
    assert not covered("/health", paths) and not covered("/rangeX", paths)


def test_the_access_log_keeps_a_prefix_and_redacts_anything_else():
    redact = range_api.RedactRangePaths()

    def logged(path):
        record = logging.LogRecord(
            "uvicorn.access", 20, "", 0, '%s - "%s %s" %d', ("c", "GET", path, 200), None
        )
        redact.filter(record)
        return record.getMessage()

    assert "/range/ABCDE?mode=ntlm" in logged("/range/ABCDE?mode=ntlm")
    range_api.redact_access_log()
    range_api.redact_access_log()
    installed = logging.getLogger("uvicorn.access").filters
    assert sum(isinstance(f, range_api.RedactRangePaths) for f in installed) == 1
    assert "hunter2" not in logged("/range/hunter2") and "(not a prefix)" in logged(
        "/range/hunter2"
    )


def run_pwned(url, *args, stdin: bytes):
    cmd = [str(BIN / "password-complexity"), "pwned", "--url", url, "--json", *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, check=False, timeout=120)


def test_pwned_cli_and_npm_hibp_find_leaked_passwords_and_only_prefixes_reach_the_server(
    server, leaked
):
    canary_leaked = leaked[1][0]
    fresh = random_password()
    passwords = [canary_leaked, fresh, leaked[2][0]]
    stdin = "".join(p + "\n" for p in passwords).encode()
    for mode in ("sha1", "ntlm"):
        out = run_pwned(server.url, "--mode", mode, stdin=stdin)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout) == [
            {"line": 1, "count": leaked[1][1]},
            {"line": 2, "count": 0},
            {"line": 3, "count": leaked[2][1]},
        ]
        assert not [p for p in passwords if p in out.stdout.decode() + out.stderr.decode()]
    # a real HIBP client from the npm registry, pointed at our server
    script = (
        "import { pwnedPassword, pwnedPasswordRange } from 'hibp';"
        "const [url, a, b] = process.argv.slice(1);"
        "const o = { baseUrl: url, addPadding: true };"
        "const r = await pwnedPasswordRange(process.argv[4], { ...o, mode: 'ntlm' });"
        "const n = [await pwnedPassword(a, o), await pwnedPassword(b, o)];"
        "console.log(JSON.stringify([...n, r[process.argv[5]] ?? 0]));"
    )
    ntlm = HEX["ntlm"](canary_leaked)
    node = subprocess.run(
        [
            str(NODE_BIN / "node"),
            "--input-type=module",
            "-e",
            script,
            server.url,
            canary_leaked,
            fresh,
            ntlm[:5],
            ntlm[5:],
        ],
        cwd=WEB,
        env=NODE_ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert node.returncode == 0, node.stderr
    assert json.loads(node.stdout) == [leaked[1][1], 0, leaked[1][1]]
    with httpx.Client(base_url=server.url) as http:
        http.get("/range/" + canary_leaked)  # a password where a prefix belongs: redacted
        metrics = http.get("/metrics").text
    assert 'route="/range/{prefix}"' in metrics
    log = server.stop()
    assert "GET /range/" in log  # the access log is on: the search below means something
    for password in passwords:
        full = [HEX[m](password) for m in HEX]
        for text in (log, metrics):
            assert password not in text and not [h for h in full if h in text or h.lower() in text]


def test_the_pwned_cli_refuses_an_unknown_mode_in_one_line():
    out = run_pwned("http://127.0.0.1:9", "--mode", "md5", stdin=b"hunter2\n")
    assert out.returncode == 1 and out.stderr == b"error: mode must be one of ntlm, sha1\n"


def test_the_client_says_which_server_failed_never_the_password():
    with pytest.raises(Exception) as failure:
        client.counts(["hunter2"], "http://127.0.0.1:9")
    assert "127.0.0.1:9" in str(failure.value) and "hunter2" not in str(failure.value)
    assert HEX["sha1"]("hunter2") not in str(failure.value)


def test_the_scorer_answers_leak_from_a_breach_corpus(served, tmp_path):
    """A password in no training leak but in a hash-only corpus: "leak", its count's rank."""
    fresh, other = random_password(), random_password()
    kind = MODES["sha1"]
    index.write(tmp_path / "b.idx", kind, kind.digests([fresh, "x1", "x2"]), np.array([40, 50, 1]))
    settings = Settings(params=served, breach_index=tmp_path / "b.idx")
    with TestClient(create_app(settings)) as app:
        one = app.post("/v1/score", json={"passwords": [fresh]}).json()["results"][0]
        both = app.post("/v1/score", json={"passwords": [other, fresh]}).json()["results"]
    assert one["source"] == "leak" and one["guesses"] == 2.0  # below the count-50 digest
    assert both[1] == one and both[0]["source"] == "model"
    out = subprocess.run(
        [
            str(BIN / "password-complexity"),
            "--params",
            str(served),
            "score",
            "--json",
            "--breach-index",
            str(tmp_path / "b.idx"),
        ],
        input=(fresh + "\n").encode(),
        capture_output=True,
        check=True,
    )
    assert json.loads(out.stdout)["results"][0] == one
