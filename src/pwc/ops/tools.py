"""Running git and DVC from the ops tools: output captured through files, failures as
PwcError naming the command."""

from __future__ import annotations

import functools
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from pwc.errors import PwcError


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run with stdout and stderr captured through temporary files, not pipes.

    `dvc queue start` leaves queue workers running that inherit its output: with pipes, the
    caller waits for end-of-file until the last worker exits, which a celery worker that
    hangs in its shutdown never does (seen in CI: a sweep test stuck after both experiments
    had succeeded). A file is read when the command itself has exited.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.run(args, stdout=out, stderr=err, **kwargs)
        out.seek(0)
        err.seek(0)
        proc.stdout = out.read().decode(errors="replace")
        proc.stderr = err.read().decode(errors="replace")
    return proc


def git(*args: str) -> str:
    """stdout of `git ARGS`; a failure names the command and git's message."""
    proc = run(["git", *args])
    if proc.returncode != 0:
        raise PwcError(f"`git {' '.join(args)}` failed: {proc.stderr.strip()[-500:]}")
    return proc.stdout


def dvc(*args: str) -> str:
    """stdout of `dvc ARGS` run by this interpreter's DVC (the venv's, whatever PATH says);
    a failure names the command and DVC's message."""
    proc = run([sys.executable, "-m", "dvc", *args])
    if proc.returncode != 0:
        raise PwcError(f"`dvc {' '.join(args)}` failed: {proc.stderr.strip()[-500:]}")
    return proc.stdout


def retried(call: Callable[[], str], tries: int = 5, pause: float = 2.0) -> str:
    """`call()`, tried again up to `tries` times when it raises PwcError, each retry said on
    stdout. Only for reads that are known to race (DVC's queue state, see experiments.wait)."""
    for attempt in range(1, tries):
        try:
            return call()
        except PwcError as exc:
            print(f"{str(exc).splitlines()[0]} (retry {attempt} of {tries - 1})", flush=True)
            time.sleep(pause)
    try:
        return call()
    except PwcError as exc:
        raise PwcError(f"{exc} ({tries} tries)") from None


def user_errors(main: Callable) -> Callable:
    """`main(argv)` returning 1 after one `error:` line on stderr when it fails with a
    PwcError (a failed git or DVC call, a bad sweep file): a user sees what went wrong, not
    a traceback; otherwise what it returns (None: 0)."""

    @functools.wraps(main)
    def run(argv: list[str] | None = None) -> int:
        try:
            return main(argv) or 0
        except PwcError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1

    return run


def entry(main: Callable[[list[str]], int | None]) -> int:
    """A pwc.ops command's exit code: `main` on the command line's arguments, with its
    errors reported as `user_errors` does."""
    return user_errors(main)(sys.argv[1:])
