"""Command line: `password-complexity score | pwned | serve | predict | predict-dask`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from pwc.config import load_params
from pwc.errors import PwcError
from pwc.text import is_utf8

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


def _read_stdin() -> list[str]:
    data = sys.stdin.buffer.read()
    text = data.decode("utf-8", errors="surrogateescape")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _score(args: argparse.Namespace) -> int:
    # heavy imports only for the command that needs them
    from pwc.scorer import Scorer, response_json, result_rows

    params = load_params(args.params)
    passwords = args.passwords if args.passwords else _read_stdin()
    bad = [i + 1 for i, p in enumerate(passwords) if not is_utf8(p)]
    if bad:
        raise PwcError(f"input line(s) {bad[:10]} are not valid UTF-8")
    limit = params.validate_.max_length  # the API's limit too (its 422), and batch predict's
    if long := [i + 1 for i, p in enumerate(passwords) if len(p) > limit]:
        raise PwcError(f"input line {long[0]}: over {limit} characters")  # as the meter's CLI
    if args.meter:
        folder = args.meter if args.meter != "-" else params.paths.meter
        scorer = _meter(folder, passwords, "extended" if args.extended else "core")
    elif args.extended:
        raise PwcError("--extended is the browser meter's: use it with --meter")
    else:
        use_lookup = False if args.no_lookup else None
        scorer = Scorer.from_params(params, args.model, use_lookup=use_lookup)
        if args.breach_index:
            from pwc.breach.lookup import with_breach_index

            scorer = with_breach_index(scorer, args.breach_index)
    columns = scorer(passwords)
    if args.json:
        sys.stdout.write(response_json(scorer.version, columns, indent=2).decode() + "\n")
    else:
        rows = result_rows(columns)
        print(f"{'#':>4}  {'guesses_log10':>13}  {'guesses':>12}  score  source")
        for i, r in enumerate(rows, 1):
            print(
                f"{i:>4}  {r['guesses_log10']:>13.2f}  {r['guesses']:>12.3g}  {r['score']:>5}"
                f"  {r['source']}"
            )
        print(f"model {scorer.version}", file=sys.stderr)
    return 0


def _pwned(args: argparse.Namespace) -> int:
    from pwc.breach import client

    passwords = _read_stdin()
    bad = [i + 1 for i, p in enumerate(passwords) if not is_utf8(p)]
    if bad:
        raise PwcError(f"input line(s) {bad[:10]} are not valid UTF-8")
    found = client.counts(passwords, args.url, args.mode, pad=not args.no_padding)
    if args.json:
        print(json.dumps([{"line": i, "count": n} for i, n in enumerate(found, 1)]))
    else:
        for i, n in enumerate(found, 1):
            print(f"{i}\t{n}")
    return 0


def _meter(folder, passwords: list[str], kind: str):
    """The browser meter's reference as a scorer; the bundle's length rule first."""
    from pwc.meter import bundle

    try:
        meter = bundle.read(folder, kind)
    except FileNotFoundError:
        raise PwcError(f"{folder}: no meter bundle (run `make repro`)") from None
    for i, p in enumerate(passwords, 1):
        if len(p) > meter.max_length:
            raise PwcError(f"input line {i}: over {meter.max_length} characters")

    class Scorer:
        version = meter.version

        def __call__(self, pw):
            return meter.score(pw)

    return Scorer()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    os.environ["PWC_PARAMS"] = str(args.params)  # read by the app factory in the server
    # One OpenMP thread per worker: the boosted trees gain nothing from threads on one request,
    # and spinning OpenMP threads doubled p99 latency under load (benchmarks/load.py).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # each worker writes its metrics here; /metrics, answered by any one, sums them all
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="pwc-metrics-")
    options = {
        "factory": True,
        "host": args.host,
        "port": args.port,
        "log_level": "info",
        "workers": args.workers,
        "access_log": args.access_log,
    }
    if args.workers == 1:
        try:
            uvicorn.run("pwc.serve.app:app", **options)
        except SystemExit as exc:  # uvicorn exits 3 when start-up fails (a taken port, ...)
            if exc.code:
                print(
                    f"error: the server did not start on {args.host}:{args.port} "
                    "(the log above says why)",
                    file=sys.stderr,
                )
                return 1
        return 0
    from pwc.serve.workers import Supervisor

    config = uvicorn.Config("pwc.serve.app:app", **options)
    try:
        Supervisor(config).run()  # a listening socket per worker: connections spread evenly
    except (OSError, ValueError) as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


def _predict(args: argparse.Namespace) -> int:
    from pwc.predict import predict_file
    from pwc.scorer import Scorer

    params = load_params(args.params)
    scorer = Scorer.from_params(params, args.model, use_lookup=False if args.no_lookup else None)
    counts = predict_file(
        scorer, args.input, args.output, params.predict.batch_size, params.validate_.max_length
    )
    print(json.dumps(counts), file=sys.stderr)
    return 0


def _predict_dask(args: argparse.Namespace) -> int:
    from pwc.distributed import predict_dask

    rows = predict_dask(
        args.inputs,
        args.output,
        params_path=args.params,
        model_path=args.model,
        scheduler=args.scheduler,
        workers=args.workers,
        use_lookup=False if args.no_lookup else None,
    )
    print(f"{rows:,} rows scored into {args.output}/part-*.parquet", file=sys.stderr)
    return 0


def _model_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--model", type=Path, default=None, help="model file (default: params)")
    command.add_argument("--no-lookup", action="store_true", help="model estimates only")


def parser() -> argparse.ArgumentParser:
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
        "--breach-index",
        type=Path,
        metavar="IDX",
        help="a breach corpus's sha1 range index: passwords in it answer as leaked",
    )
    _model_options(score)
    score.set_defaults(func=_score)

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
    pwned.set_defaults(func=_pwned)

    predict = sub.add_parser(
        "predict", help="score a file (Parquet `password` column or text) into Parquet or CSV"
    )
    predict.add_argument("input", type=Path)
    predict.add_argument("output", type=Path, help="*.csv for CSV (formulas escaped)")
    _model_options(predict)
    predict.set_defaults(func=_predict)

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
    dask.set_defaults(func=_predict_dask)

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
    serve.set_defaults(func=_serve)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except PwcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
