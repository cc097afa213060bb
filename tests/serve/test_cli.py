"""`password-complexity score`: arguments, stdin, JSON; the same numbers as the API."""

import contextlib
import json
import subprocess

from fastapi.testclient import TestClient

from pwc.cli import main
from pwc.serve.app import Settings, create_app

from .conftest import BIN

WORDS = ["123456", "NaN", " lead and trail ", "Xk9#mQ2$vL7!pR4@"]


def run_cli(served, *args, stdin=b""):
    return subprocess.run(
        [str(BIN / "password-complexity"), "--params", str(served), "score", *args],
        input=stdin,
        capture_output=True,
        check=False,
    )


def test_stdin_json_matches_the_api(served):
    proc = run_cli(served, "--json", stdin="".join(w + "\n" for w in WORDS).encode())
    assert proc.returncode == 0, proc.stderr
    cli = json.loads(proc.stdout)
    with TestClient(create_app(Settings(params=served))) as client:
        api = client.post("/v1/score", json={"passwords": WORDS}).json()
    assert cli == api


def test_arguments_and_table(served):
    proc = run_cli(served, "123456", "hunter2")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert lines[0].split() == ["#", "guesses_log10", "guesses", "score", "source"]
    assert [line.split()[0] for line in lines[1:]] == ["1", "2"]
    assert b"hunter2" not in proc.stdout + proc.stderr  # results are by position, not echoed


def test_crlf_stdin_and_invalid_utf8(served):
    ok = run_cli(served, "--json", stdin=b"abc\r\ndef\r\n")
    assert len(json.loads(ok.stdout)["results"]) == 2
    bad = run_cli(served, stdin=b"fine\nbro\xffken\n")
    assert bad.returncode == 1
    assert b"line(s) [2] are not valid UTF-8" in bad.stderr
    assert b"Traceback" not in bad.stderr


def test_help_recommends_stdin(capsys):
    with contextlib.suppress(SystemExit):
        main(["score", "--help"])
    assert "pipe them in on stdin" in capsys.readouterr().out


def test_missing_model_is_a_clear_error(served, tmp_path):
    proc = run_cli(served, "--model", str(tmp_path / "none.skops"), "x")
    assert proc.returncode == 1
    assert b"model file not found" in proc.stderr and b"Traceback" not in proc.stderr
