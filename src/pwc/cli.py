"""Command line: `password-complexity score | pwned | serve | predict | predict-dask`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from pwc import cli_args
from pwc.config import load_params
from pwc.errors import PwcError
from pwc.text import is_utf8


def _read_stdin() -> list[str]:
    data = sys.stdin.buffer.read()
    text = data.decode("utf-8", errors="surrogateescape")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _score(args: argparse.Namespace) -> int:
    # heavy imports only for the command that needs them
    from pwc.answer import full
    from pwc.scorer import Scorer, response_json, result_rows

    params = load_params(args.params)
    passwords = args.passwords if args.passwords else _read_stdin()
    bad = [i + 1 for i, p in enumerate(passwords) if not is_utf8(p)]
    if bad:
        raise PwcError(f"input line(s) {bad[:10]} are not valid UTF-8")
    limit = params.validate_.max_length  # the API's limit too (its 422), and batch predict's
    if long := [i + 1 for i, p in enumerate(passwords) if len(p) > limit]:
        raise PwcError(f"input line {long[0]}: over {limit} characters")  # as the meter's CLI
    user_inputs = _user_inputs(args.user_inputs)
    fuller = args.detail or args.zxcvbn or user_inputs
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
    if fuller:  # JSON: the API's answer to the same request
        fmt = "zxcvbn" if args.zxcvbn else "record"
        out, _ = full.response(scorer, passwords, user_inputs, args.detail, fmt, args.lang, 2)
        sys.stdout.write(out.decode() + "\n")
        return 0
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


def _user_inputs(path) -> list[str]:
    """User inputs from a file, one a line (never from the command line: like passwords,
    they would show in the shell's history and the process list)."""
    from pwc.answer import full

    if path is None:
        return []
    try:
        lines = [line.removesuffix("\r") for line in Path(path).read_text("utf-8").split("\n")]
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not valid UTF-8"
        raise PwcError(f"--user-inputs {path}: {why}") from None
    try:
        return full.check_user_inputs([line for line in lines if line])
    except ValueError as exc:
        raise PwcError(f"--user-inputs {path}: {exc}") from None


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
        scorer = bundle.scorer(folder, kind)
    except FileNotFoundError:
        raise PwcError(f"{folder}: no meter bundle (run `make repro`)") from None
    for i, p in enumerate(passwords, 1):
        if len(p) > scorer.meter.max_length:
            raise PwcError(f"input line {i}: over {scorer.meter.max_length} characters")
    return scorer


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
    from pwc.batch.predict import predict_file
    from pwc.scorer import Scorer

    params = load_params(args.params)
    scorer = Scorer.from_params(params, args.model, use_lookup=False if args.no_lookup else None)
    counts = predict_file(
        scorer, args.input, args.output, params.predict.batch_size, params.validate_.max_length
    )
    print(json.dumps(counts), file=sys.stderr)
    return 0


def _predict_dask(args: argparse.Namespace) -> int:
    from pwc.batch.distributed import predict_dask

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


# What each subcommand runs (its options: pwc.cli_args.COMMANDS)
HANDLERS = {
    "score": _score,
    "pwned": _pwned,
    "predict": _predict,
    "predict-dask": _predict_dask,
    "serve": _serve,
}


def main(argv: list[str] | None = None) -> int:
    args = cli_args.parser().parse_args(argv)
    try:
        return HANDLERS[args.command](args)
    except PwcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
