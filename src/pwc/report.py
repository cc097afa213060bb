"""A short summary of the last pipeline run, printed at the end of `make repro`."""

from __future__ import annotations

import json
import sys

from pwc.config import Params, load_params


def summary(params: Params) -> str:
    paths = params.paths
    lines = []
    report = json.loads(paths.validate_report.read_text())
    lines.append(
        f"data      {params.data.source}: {report['rows_in']:,} rows in, "
        f"{report['rows_kept']:,} kept, {report['rows_quarantined']:,} quarantined "
        f"{ {k: v for k, v in report['quarantined'].items() if v} }"
    )
    results = json.loads((paths.evaluate_dir / "metrics.json").read_text())
    lines.append(f"model     {params.train.model} ({paths.model})")
    lines.append("          spearman  rmse    auc     (constant baseline: rmse)")
    for name in ("test", "test_head"):
        m, c = results[name]["model"], results[name]["constant"]
        lines.append(
            f"{name:<10}{m['spearman']:<10.3f}{m['rmse']:<8.3f}{m['auc_seen_twice']:<8.3f}"
            f"({c['rmse']:.3f})"
        )
    gate = json.loads(paths.gate.read_text())
    lines.append(f"gate      {'passed' if gate['passed'] else 'FAILED'}")
    lines.append(f"predict   {paths.predictions_dir}/{params.predict.input.stem}.parquet")
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        print(summary(load_params()))
    except FileNotFoundError as exc:
        sys.exit(f"no complete run to summarise ({exc.filename} is missing): run `make repro`")
