import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// One real confab server for the run, on a port and a database of its own, so a server
// left over on :3000 can never answer for it. Set here once; workers inherit the env.
if (!process.env.CONFAB_E2E_PORT) {
  process.env.CONFAB_E2E_PORT = String(20000 + Math.floor(Math.random() * 20000));
}
if (!process.env.CONFAB_E2E_DIR) {
  process.env.CONFAB_E2E_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "confab-e2e-"));
}
const port = process.env.CONFAB_E2E_PORT;
const root = path.resolve(__dirname, "..");
const binary = process.env.CONFAB_E2E_BINARY ?? path.join(root, "target/release/confab");

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: "chromium",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command:
      `${binary} --addr 127.0.0.1:${port} ` +
      `--database-url sqlite://${process.env.CONFAB_E2E_DIR}/confab.db ` +
      `--builtin-token-delay-ms 25 ` +
      // Every test signs a new user up from this one address: raise the per-address budgets
      // (limits.spec.ts runs a server of its own with the defaults).
      `--rate-limit-sign-in 10000 --rate-limit-reads 100000 --rate-limit-actions 100000`,
    url: `http://127.0.0.1:${port}/healthz`,
    cwd: root,
    env: { LEPTOS_SITE_ROOT: path.join(root, "target/site"), RUST_LOG: "warn" },
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
