// node advise_all.mjs BUNDLE_DIR [--extended] < requests.json > answers.json: advice.js's full
// answer for each request of a JSON array ({password, userInputs?, lang?}), as a JSON array;
// a thrown error becomes {"error": its class name, "message": its text}.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const url = (name) => pathToFileURL(resolve(process.argv[2], name)).href;
const meter = await import(url("meter.js"));
const { advise } = await import(url("advice.js"));
if (process.argv[3] === "--extended") await meter.loadExtended();
const requests = JSON.parse(readFileSync(0, "utf8"));
const out = requests.map(({ password, userInputs, lang }) => {
  try {
    return advise(password, { userInputs, lang });
  } catch (err) {
    return { error: err.constructor.name, message: err.message };
  }
});
process.stdout.write(JSON.stringify(out));
