"""gate: stop the pipeline when the model fails validation; record the decision."""

import json

from pwc.config import Params
from pwc.errors import GateError
from pwc.evaluation.gate import decide, failures
from pwc.io import write_json
from pwc.stages import log, run


def main(params: Params) -> None:
    metrics_file = params.paths.evaluate_metrics
    decision = decide(json.loads(metrics_file.read_text()), params.gate)
    write_json(params.paths.gate, decision)
    if not decision["passed"]:
        raise GateError(f"model rejected: {failures(decision)}")
    log.info("model passed all %d checks", len(decision["checks"]))


if __name__ == "__main__":
    run(main)
