// node score_all.mjs BUNDLE_DIR [--extended] < passwords.json > results.json: the bundle's
// record for each password of a JSON array (any string, newlines included), as a JSON array;
// a thrown error becomes {"error": its class name}. --extended: after loadExtended().
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const meter = await import(pathToFileURL(resolve(process.argv[2], "meter.js")).href);
if (process.argv[3] === "--extended") await meter.loadExtended();
const passwords = JSON.parse(readFileSync(0, "utf8"));
const out = passwords.map((p) => {
  try {
    return meter.score(p);
  } catch (err) {
    return { error: err.constructor.name };
  }
});
process.stdout.write(JSON.stringify(out));
