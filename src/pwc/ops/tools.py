"""Running git and DVC from the ops tools: output captured through files, failures as
PwcError naming the command."""

from __future__ import annotations

import subprocess
import sys
import tempfile

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
