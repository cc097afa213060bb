"""The password-complexity command's options: one function per subcommand, named in
`COMMANDS` (pwc.cli runs each by its name)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from pwc.answer.messages import languages

SCORE_HELP = """\
Score passwords with the pipeline's model. Prints, per password in input order, the same
fields as the API: guesses_log10, guesses, score (0-4, zxcvbn's scale) and source ("leak":
the password is in the leak and its rank is exact; "model": estimated).

Passwords given as arguments end up in your shell history and in the process list, where
other users can see them. For real secrets, pipe them in on stdin, one a line (the default
when no PASSWORD is given):

    password-complexity score < passwords.txt
    printf '%s\\n' "$candidate" | password-complexity score --json

With --meter, the browser meter's Python reference scores them instead (no lookup): the
answers the bundle gives in a page, and what its Node scorer prints.
"""


def _model_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--model", type=Path, default=None, help="model file (default: params)")
    command.add_argument("--no-lookup", action="store_true", help="model estimates only")


def _score(sub) -> None:
    score = sub.add_parser(
        "score",
        help="score passwords (stdin is the safe default)",
        description=SCORE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score.add_argument("passwords", nargs="*", metavar="PASSWORD", help="unsafe: see above")
    score.add_argument("--json", action="store_true", help="print JSON instead of a table")
    score.add_argument(
        "--meter",
        nargs="?",
        const="-",
        metavar="DIR",
        help="score with the browser meter's reference (DIR: its bundle; default paths.meter)",
    )
    score.add_argument("--extended", action="store_true", help="with --meter: its extended model")
    score.add_argument(
        "--user-inputs",
        type=Path,
        metavar="FILE",
        help="the site's and the user's words (one a line): passwords built on them score low",
    )
    score.add_argument(
        "--detail", action="store_true", help="JSON with feedback, crack times and spans"
    )
    score.add_argument("--zxcvbn", action="store_true", help="JSON in zxcvbn's result shape")
    score.add_argument(
        "--lang", default="en", choices=languages(), help="the feedback's language (default en)"
    )
    score.add_argument(
        "--breach-index",
        type=Path,
        metavar="IDX",
        help="a breach corpus's sha1 range index: passwords in it answer as leaked",
    )
    _model_options(score)


def _pwned(sub) -> None:
    pwned = sub.add_parser(
        "pwned",
        help="breach counts from an HIBP-compatible range server (sends 5-character prefixes)",
        description="Reads passwords on stdin, one a line; prints each line's number and its "
        "count in the server's corpus (0: not found). Only the first 5 hex characters of each "
        "digest leave this process, and answers are padded.",
    )
    pwned.add_argument(
        "--url",
        default=os.environ.get("PWC_PWNED_URL", "http://127.0.0.1:8000"),
        help="the server (default: $PWC_PWNED_URL or this project's API on 127.0.0.1:8000; "
        "HIBP's is https://api.pwnedpasswords.com)",
    )
    pwned.add_argument("--mode", default="sha1", help="sha1 (default) or ntlm")
    pwned.add_argument("--no-padding", action="store_true", help="do not ask for Add-Padding")
    pwned.add_argument("--json", action="store_true", help="print JSON instead of lines")


def _predict(sub) -> None:
    predict = sub.add_parser(
        "predict", help="score a file (Parquet `password` column or text) into Parquet or CSV"
    )
    predict.add_argument("input", type=Path)
    predict.add_argument("output", type=Path, help="*.csv for CSV (formulas escaped)")
    _model_options(predict)


def _predict_dask(sub) -> None:
    dask = sub.add_parser(
        "predict-dask", help="score Parquet files on a Dask cluster (one task per row group)"
    )
    dask.add_argument("inputs", type=Path, nargs="+", metavar="INPUT")
    dask.add_argument("--output", type=Path, required=True, help="directory for part-*.parquet")
    dask.add_argument(
        "--scheduler",
        default=os.environ.get("DASK_SCHEDULER_ADDRESS"),
        help="tcp://host:8786 of a running cluster (default: a LocalCluster here)",
    )
    dask.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    _model_options(dask)


def _serve(sub) -> None:
    serve = sub.add_parser("serve", help="run the HTTP API (settings: PWC_* variables)")
    serve.add_argument("--host", default=os.environ.get("PWC_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PWC_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("PWC_WORKERS", "1")))
    # Off by default: a line per request is a large share of a single-password request's time
    # (benchmarks/RESULTS.md, "Figures behind the code's choices"); /metrics counts requests,
    # and the proxy in front logs them.
    serve.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=os.environ.get("PWC_ACCESS_LOG", "off").lower() in {"on", "1", "true"},
        help="uvicorn's line per request (no password in it); default off, PWC_ACCESS_LOG=on",
    )


COMMANDS = {
    "score": _score,
    "pwned": _pwned,
    "predict": _predict,
    "predict-dask": _predict_dask,
    "serve": _serve,
}


def parser() -> argparse.ArgumentParser:
    """The command's parser: each of COMMANDS adds its subcommand."""
    top = argparse.ArgumentParser(
        prog="password-complexity", description="How guessable is a password?"
    )
    top.add_argument(
        "--params",
        type=Path,
        default=Path(os.environ.get("PWC_PARAMS", "params.yaml")),
        help="params.yaml path (default: $PWC_PARAMS or ./params.yaml)",
    )
    sub = top.add_subparsers(dest="command", required=True)
    for add in COMMANDS.values():
        add(sub)
    return top
