// What benchmarks/meter_browser.py runs in headless Chromium: one page per scorer, each in a
// fresh browser (a cold cache), served from 127.0.0.1 with cross-origin isolation (so
// performance.now() ticks in 5 us, not 100 us). Prints JSON: per scorer, ms from navigation
// start to the first score, each password's guesses_log10, and per-password times.
//   node meter_browser.mjs BASE_URL CONFIG_JSON
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// the npm packages pinned for tests/web (make web-deps), resolved from there
const require = createRequire(new URL("../tests/web/package.json", import.meta.url));
const puppeteer = require("puppeteer-core");

const [base, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, "utf8"));
const out = {};
for (const page of config.pages) {
  const loads = [];
  const extendedMs = [];
  let scored = null;
  for (let run = 0; run < config.loads; run++) {
    const browser = await puppeteer.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      headless: true,
      protocolTimeout: 3_600_000, // zxcvbn-ts scores ~100k passwords in one call
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"],
    });
    try {
      const tab = await browser.newPage();
      await tab.goto(`${base}/${page.html}`, { waitUntil: "load" });
      await tab.waitForFunction("window.firstScoreMs !== undefined");
      loads.push(await tab.evaluate("window.firstScoreMs"));
      if (page.extended === "true") {
        await tab.waitForFunction("window.extendedMs !== undefined");
        extendedMs.push(await tab.evaluate("window.extendedMs"));
      }
      if (run === 0) {
        scored = await tab.evaluate(
          `window.run(${JSON.stringify(config.passwords)}, ${page.reps})`,
        );
      }
    } finally {
      await browser.close();
    }
  }
  out[page.name] = { first_score_ms: loads, extended_ms: extendedMs, ...scored };
}
process.stdout.write(JSON.stringify(out));
