#!/usr/bin/env node
// Passwords one per line on stdin -> the JSON `password-complexity score --json --meter`
// prints, byte for byte (the project's tests compare them); --extended: the extended model,
// as `--meter --extended`. Exit 1 with one line on stderr for input that is not UTF-8 or a
// password over the length limit; no password is printed.
import * as meter from "./meter.js";

const { formatFloat, maxLength, score } = meter;
const args = process.argv.slice(2);
if (args.some((a) => a !== "--extended")) {
  process.stderr.write("usage: password-complexity-meter [--extended] < passwords\n");
  process.exit(2);
}
if (args.includes("--extended")) await meter.loadExtended();

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const data = Buffer.concat(chunks);
const lines = [];
let start = 0;
for (let i = 0; i <= data.length; i++) {
  if (i === data.length || data[i] === 0x0a) {
    if (i < data.length || start < data.length) lines.push(data.subarray(start, i));
    start = i + 1;
  }
}
const decoder = new TextDecoder("utf-8", { fatal: true });
const passwords = [];
const bad = [];
lines.forEach((line, i) => {
  const body = line.length && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
  try {
    passwords.push(decoder.decode(body));
  } catch {
    bad.push(i + 1);
  }
});
function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}
if (bad.length) fail(`input line(s) [${bad.slice(0, 10).join(", ")}] are not valid UTF-8`);
const long = passwords.findIndex((p) => Array.from(p).length > maxLength);
if (long >= 0) fail(`input line ${long + 1}: over ${maxLength} characters`);

const rows = passwords.map((p) => {
  const r = score(p);
  return [
    "    {",
    `      "guesses_log10": ${formatFloat(r.guesses_log10)},`,
    `      "guesses": ${formatFloat(r.guesses)},`,
    `      "score": ${r.score},`,
    `      "source": "${r.source}"`,
    "    }",
  ].join("\n");
});
const results = rows.length ? `[\n${rows.join(",\n")}\n  ]` : "[]";
process.stdout.write(`{\n  "model_version": "${meter.version}",\n  "results": ${results}\n}\n`);
