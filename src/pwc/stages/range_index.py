"""range_index: the HIBP-format range index per digest mode (SHA-1, NTLM), from the validated
leak or a hash-only corpus (params.yaml `range`), served at /range/{prefix}."""

import shutil
import time

import pyarrow.parquet as pq

from pwc.breach import build, corpus, engines
from pwc.breach.hashes import MODES
from pwc.config import Params
from pwc.io import write_json
from pwc.stages import log, run


def main(params: Params) -> None:
    paths, settings = params.paths, params.range
    paths.range_dir.mkdir(parents=True, exist_ok=True)
    # the directory is the stage's output: only this run's files (a killed run's spill too)
    for stale in paths.range_dir.iterdir():
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.name.split(".")[0] not in settings.modes:
            stale.unlink()
    leak = None
    report = {}
    for name in settings.modes:
        mode, out, start = MODES[name], paths.range_index(name), time.perf_counter()
        root = settings.corpus.get(name)
        if root is None:
            if leak is None:
                leak = pq.read_table(paths.validated, columns=["password", "times", "block"])
                counts = build.leak_counts(leak["times"], leak["block"])
            entry = build.from_leak(leak["password"], counts, mode, out)
        else:
            limits = corpus.Limits(settings.memory_mb, settings.threads, str(paths.range_dir))
            entry = build.from_corpus(root, mode, out, limits, engines.ENGINES[settings.engine]())
        report[name] = {**entry, **build.describe(out)}
        log.info("range index %s in %.1f s: %s", name, time.perf_counter() - start, report[name])
    write_json(paths.range_report, report)


if __name__ == "__main__":
    run(main)
