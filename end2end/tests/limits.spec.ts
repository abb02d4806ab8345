import { spawn, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect, test } from "@playwright/test";
import { hydrated } from "./helpers";

// A server of its own with the default rate limits (the shared one raises them for the
// many sign-ups of the other tests): guessing passwords from one address is stopped, and
// the person at the form is told when to try again.
const root = path.resolve(__dirname, "../..");
const binary = process.env.CONFAB_E2E_BINARY ?? path.join(root, "target/debug/confab");
let server: ChildProcess;
let base: string;

test.beforeAll(async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "confab-limits-"));
  base = `http://127.0.0.1:${port}`;
  server = spawn(binary, ["--addr", `127.0.0.1:${port}`, "--database-url", `sqlite://${dir}/confab.db`], {
    cwd: root,
    env: { ...process.env, LEPTOS_SITE_ROOT: path.join(root, "target/site"), RUST_LOG: "warn" },
    stdio: "ignore",
  });
  await expect
    .poll(async () => (await fetch(`${base}/healthz`).catch(() => null))?.status, { timeout: 30_000 })
    .toBe(200);
});

test.afterAll(() => {
  server?.kill("SIGTERM");
});

test("guessing passwords from one address is refused with a time to come back", async ({ page }) => {
  await page.goto(`${base}/login`);
  await hydrated(page);
  const alert = page.getByRole("alert");
  let limited = false;
  for (let n = 0; n < 15 && !limited; n++) {
    await page.getByLabel("Username").fill(`guess${n}`);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(alert).not.toBeEmpty();
    limited = /too many requests/.test((await alert.textContent()) ?? "");
    if (!limited) {
      await expect(alert).toContainText("wrong username or password");
    }
  }
  expect(limited).toBe(true);
  await expect(alert).toBeInViewport();
  await expect(alert).toContainText(/try again in \d+ s/);
});
