"""One thin entry point per dvc.yaml stage: read params, call the core, write outputs."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pwc.config import Params, load_params
from pwc.errors import PwcError

log = logging.getLogger("pwc")


def run(stage: Callable[[Params], None]) -> None:
    """Run a stage with params.yaml; a PwcError ends it with its message and exit code 1.

    Messages never contain passwords, so they are safe to print and to keep in CI logs.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    name = Path(sys.argv[0]).stem  # run as `python -m pwc.stages.<name>`
    start = time.perf_counter()
    try:
        stage(load_params())
    except PwcError as exc:
        print(f"error in stage {name}: {exc}", file=sys.stderr)
        sys.exit(1)
    log.info("stage %s done in %.1f s", name, time.perf_counter() - start)
