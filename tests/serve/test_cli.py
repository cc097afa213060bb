"""The command line: `score` (arguments, stdin, JSON, the same numbers as the API,
--no-lookup), `predict` and `predict-dask` (the same numbers as the Scorer)."""

import contextlib
import json
import subprocess

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from pwc.cli import main
from pwc.config import load_params
from pwc.scorer import Scorer
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


def test_the_cli_refuses_what_the_api_refuses_by_length(served):
    """One input, one answer: over validate.max_length the API says 422 and the CLI says which
    line, never the password."""
    limit = load_params(served).validate_.max_length
    too_long = "x" * (limit + 32)
    proc = run_cli(served, stdin=f"fine\n{too_long}\n".encode())
    assert proc.returncode == 1
    assert f"error: input line 2: over {limit} characters\n".encode() in proc.stderr
    assert too_long.encode() not in proc.stdout + proc.stderr and b"Traceback" not in proc.stderr
    with TestClient(create_app(Settings(params=served))) as client:
        assert client.post("/v1/score", json={"passwords": [too_long]}).status_code == 422
    assert run_cli(served, stdin=("x" * limit + "\n").encode()).returncode == 0  # at the limit


def test_a_leaked_passwords_guesses_are_its_guess_rank_exactly(served, small_run):
    """Not 10^log10(rank) (10278.999999999995 for a rank of 10279): the rank itself, in the
    batch path and the one-password path alike."""
    train = small_run[1]["train"]
    picked = train.take([0, 1, 2, 3, 500, 5000])
    passwords = picked["password"].to_pylist()
    ranks = picked["guess_rank"].to_pylist()
    with TestClient(create_app(Settings(params=served))) as client:
        batch = client.post("/v1/score", json={"passwords": passwords}).json()["results"]
        ones = [
            client.post("/v1/score", json={"passwords": [p]}).json()["results"][0]
            for p in passwords
        ]
    for got in (batch, ones):
        assert [r["source"] for r in got] == ["leak"] * len(passwords)
        assert [r["guesses"] for r in got] == ranks


def test_help_recommends_stdin(capsys):
    with contextlib.suppress(SystemExit):
        main(["score", "--help"])
    assert "pipe them in on stdin" in capsys.readouterr().out


def test_missing_model_is_a_clear_error(served, tmp_path):
    proc = run_cli(served, "--model", str(tmp_path / "none.skops"), "x")
    assert proc.returncode == 1
    assert b"model file not found" in proc.stderr and b"Traceback" not in proc.stderr


def test_no_lookup_answers_from_the_model_only(served, small_run):
    _, parts = small_run
    leaked = parts["train"]["password"][0].as_py()  # in the served lookup (train split)
    with_lookup = json.loads(run_cli(served, "--json", stdin=f"{leaked}\n".encode()).stdout)
    with_lookup = with_lookup["results"][0]
    proc = run_cli(served, "--json", "--no-lookup", stdin=f"{leaked}\n".encode())
    assert proc.returncode == 0, proc.stderr
    without = json.loads(proc.stdout)["results"][0]
    assert with_lookup["source"] == "leak" and without["source"] == "model"
    assert without["guesses_log10"] != with_lookup["guesses_log10"]


def test_predict_and_predict_dask_commands_write_what_the_scorer_says(served, tmp_path):
    words = ["123456", "NaN", "=1+1", "x" * 200, "Xk9#mQ2$vL7!pR4@"]
    (tmp_path / "in.txt").write_text("".join(w + "\n" for w in words))
    cli = [str(BIN / "password-complexity"), "--params", str(served)]
    proc = subprocess.run(
        [*cli, "predict", str(tmp_path / "in.txt"), str(tmp_path / "out.parquet")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == {
        "rows": 5,
        "scored": 4,
        "too_long": 1,
    }
    out = pq.read_table(tmp_path / "out.parquet")
    assert out["password"].to_pylist() == words
    scorer = Scorer.from_params(load_params(served))
    want = scorer(words[:3] + words[4:])
    got = out.filter(pc.not_equal(out["source"], "too_long"))
    assert got["guesses_log10"].to_pylist() == want["guesses_log10"].tolist()
    assert got["source"].to_pylist() == want["source"].tolist()

    pq.write_table(pa.table({"password": words}), tmp_path / "in.parquet", row_group_size=2)
    proc = subprocess.run(
        [
            *cli,
            "predict-dask",
            str(tmp_path / "in.parquet"),
            "--output",
            str(tmp_path / "parts"),
            "--workers",
            "1",
            "--no-lookup",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "5 rows scored" in proc.stderr
    parts = sorted((tmp_path / "parts").glob("part-*.parquet"))
    assert len(parts) == 3  # one per row group
    sources = [s for f in parts for s in pq.read_table(f)["source"].to_pylist()]
    # --no-lookup honoured: no "leak"; brute force takes fewer guesses than the model says
    # for the short ones, and for the random 16 characters than the beyond-leak extension
    assert sources == ["model", "brute_force", "brute_force", "too_long", "brute_force"]


def test_serve_on_a_taken_port_ends_in_one_error_line(served):
    """A port another process holds: exit 1 and a line naming the address, for one worker
    (uvicorn's own bind error) and for several (the supervisor's), never a traceback."""
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = str(holder.getsockname()[1])
        for workers in ("1", "2"):
            proc = subprocess.run(
                [str(BIN / "password-complexity"), "--params", str(served), "serve"]
                + ["--host", "127.0.0.1", "--port", port, "--workers", workers],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert proc.returncode == 1, (workers, proc.stderr[-2000:])
            assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
            assert f"127.0.0.1:{port}" in proc.stderr or f"('127.0.0.1', {port})" in proc.stderr
