// node advice_node.mjs BUNDLE_DIR < passwords.json: per-password time in Node of the meter's
// score(), advice.js's advise() without and with 5 user inputs, and zxcvbn-ts 4.2.0 (common +
// English dictionaries) with the same inputs, p50 / p99 in microseconds, and the time to
// import advice.js. Run by benchmarks/answer.py (after `make repro`).
import { pathToFileURL } from "node:url";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { createRequire } from "node:module";

// the npm packages pinned for tests/web (make web-deps), resolved from there
const require = createRequire(new URL("../tests/web/package.json", import.meta.url));
const { ZxcvbnFactory } = require("@zxcvbn-ts/core");
const common = require("@zxcvbn-ts/language-common");
const en = require("@zxcvbn-ts/language-en");

const url = (name) => pathToFileURL(resolve(process.argv[2], name)).href;
const meter = await import(url("meter.js"));
let started = performance.now();
const { advise } = await import(url("advice.js"));
const importMs = performance.now() - started;
const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...en.dictionary },
  graphs: common.adjacencyGraphs,
  translations: en.translations,
});

const passwords = JSON.parse(readFileSync(0, "utf8"));
const inputs = ["alice smith", "alice.smith@mail.example", "examplebank", "alice", "smith"];
const REPS = 5; // each password timed over REPS calls: the timer's resolution is coarse

function time(fn) {
  for (const p of passwords.slice(0, 200)) fn(p); // warm up the JIT
  const each = passwords.map((p) => {
    const t = performance.now();
    for (let r = 0; r < REPS; r++) fn(p);
    return ((performance.now() - t) * 1000) / REPS;
  });
  each.sort((a, b) => a - b);
  const at = (q) => Math.round(each[Math.floor(q * (each.length - 1))] * 100) / 100;
  return { p50_us: at(0.5), p99_us: at(0.99) };
}

const out = {
  passwords: passwords.length,
  advice_import_ms: Math.round(importMs * 10) / 10,
  score: time((p) => meter.score(p)),
  advise: time((p) => advise(p)),
  advise_with_5_user_inputs: time((p) => advise(p, { userInputs: inputs })),
  zxcvbn_ts_with_5_user_inputs: time((p) => zxcvbn.check(p, inputs)),
};
process.stdout.write(JSON.stringify(out));
