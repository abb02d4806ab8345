// A long conversation in the browser: the page's HTML, the time to a hydrated page, the
// time from a keystroke in the composer to the next frame, and the longest main-thread task
// while a reply streams. Prints JSON for the benchmark tool.
//   node end2end/perf/long.mjs <base url> <session token> <path>
import { chromium } from "@playwright/test";

const [base, token, path] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 900 } });
const url = new URL(base);
await context.addCookies([{ name: "confab_session", value: token, domain: url.hostname, path: "/" }]);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// The HTML as the server sends it (uncompressed).
const html = await (await context.request.get(path)).text();

// A warm-up visit fetches and compiles the wasm, as a returning visitor has it cached.
const hydrations = [];
for (let i = 0; i < 4; i++) {
  const page = await context.newPage();
  const started = Date.now();
  await page.goto(path);
  await page.locator("body[data-hydrated=true]").waitFor();
  if (i > 0) hydrations.push(Date.now() - started);
  await page.close();
}

const page = await context.newPage();
await page.goto(path);
await page.locator("body[data-hydrated=true]").waitFor();
// Keystroke to frame: from the input event's creation to the frame after it was handled.
await page.evaluate(() => {
  window.__keys = [];
  const box = document.getElementById("composer-input");
  box.addEventListener("input", (event) => {
    const created = event.timeStamp;
    requestAnimationFrame(() => setTimeout(() => window.__keys.push(performance.now() - created), 0));
  });
  window.__tasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__tasks.push(entry.duration);
  }).observe({ type: "longtask", buffered: false });
});
const composer = page.getByRole("textbox", { name: "Message" });
await composer.click();
await composer.pressSequentially("How long is the river that runs through the old town?", { delay: 40 });
const keys = await page.evaluate(() => window.__keys);
// Long tasks while a reply streams in, from Enter until the conversation is idle again.
await page.evaluate(() => (window.__tasks = []));
await composer.press("Enter");
await page.locator("[data-status=streaming]").waitFor({ timeout: 20_000 });
await page.locator("[data-status=idle]").waitFor({ timeout: 60_000 });
const tasks = await page.evaluate(() => window.__tasks);
const nodes = await page.evaluate(() => document.getElementsByTagName("*").length);
await browser.close();
console.log(JSON.stringify({
  html_bytes: html.length,
  hydrated_ms: median(hydrations),
  hydrated_runs_ms: hydrations,
  key_p50_ms: median(keys),
  key_max_ms: Math.max(...keys),
  longest_task_ms: tasks.length ? Math.max(...tasks) : 0,
  dom_nodes: nodes,
}));
