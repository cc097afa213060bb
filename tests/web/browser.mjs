// node browser.mjs URL SCRIPT_JSON: open URL in headless Chromium (puppeteer-core driving the
// system's Chromium, CHROMIUM or /usr/bin/chromium), run the steps of SCRIPT_JSON and print
// their results as JSON. Steps: {"eval": "expression"} (awaited in the page), {"type": text,
// "into": selector}, {"screenshot": path}, {"text": selector}, {"class": selector}.
import { readFileSync } from "node:fs";
import puppeteer from "puppeteer-core";

const [url, scriptPath] = process.argv.slice(2);
const steps = JSON.parse(readFileSync(scriptPath, "utf8"));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"],
});
const out = [];
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  page.on("requestfailed", (req) => errors.push(`request failed: ${req.url()}`));
  const started = Date.now();
  await page.goto(url, { waitUntil: "load" });
  for (const step of steps) {
    if ("eval" in step) out.push(await page.evaluate(step.eval));
    else if ("type" in step) {
      await page.type(step.into, step.type);
      out.push(null);
    } else if ("screenshot" in step) {
      await page.screenshot({ path: step.screenshot });
      out.push(null);
    } else if ("text" in step) out.push(await page.$eval(step.text, (e) => e.textContent));
    else if ("class" in step) out.push(await page.$eval(step.class, (e) => e.className));
    else if ("wait" in step) out.push(await page.waitForFunction(step.wait).then(() => true));
  }
  process.stdout.write(JSON.stringify({ results: out, errors, ms: Date.now() - started }));
} finally {
  await browser.close();
}
