import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect, test } from "@playwright/test";
import { hydrated, keepScreenshot, sendFromComposer, status } from "./helpers";

// This test stops and starts a server of its own (the shared one must stay up for the rest).
const root = path.resolve(__dirname, "../..");
const binary = process.env.CONFAB_E2E_BINARY ?? path.join(root, "target/release/confab");

class OwnServer {
  private process?: ChildProcess;
  readonly port = 40000 + Math.floor(Math.random() * 20000);
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "confab-offline-"));

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    this.process = spawn(
      binary,
      [
        "--addr",
        `127.0.0.1:${this.port}`,
        "--database-url",
        `sqlite://${this.dir}/confab.db`,
        "--builtin-token-delay-ms",
        "5",
      ],
      { cwd: root, env: { ...process.env, LEPTOS_SITE_ROOT: path.join(root, "target/site"), RUST_LOG: "warn" } },
    );
    await expect
      .poll(async () => fetch(`${this.url}/healthz`).then((r) => r.status, () => 0), { timeout: 30_000 })
      .toBe(200);
  }

  async stop() {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }

  cleanup() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

test("a message sent while the server is down waits, shown as offline, and is delivered once when it is back", async ({
  browser,
}) => {
  const server = new OwnServer();
  await server.start();
  try {
    const context = await browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    const registered = await page.request.post("/api/auth/register", {
      data: { username: "offline", password: "end-to-end password" },
    });
    expect(registered.status()).toBe(201);
    const { token } = await registered.json();
    const headers = { Authorization: `Bearer ${token}` };
    const created = await page.request.post("/api/contexts", { data: { title: "Offline" }, headers });
    const { id } = await created.json();
    await page.goto(`/c/${id}`);
    await hydrated(page);
    await expect(page.locator("[data-connection]")).toHaveAttribute("data-connection", "live");

    await server.stop();
    await expect(page.locator("[data-connection]")).toHaveAttribute("data-connection", /offline|polling/);
    await sendFromComposer(page, "written while the server was away");
    const pending = page.locator("li[data-pending=true]");
    await expect(pending).toContainText("written while the server was away");
    await expect(pending).toContainText("Waiting to send");
    await expect(page.locator("[data-connection]")).toHaveAttribute("data-connection", "offline");
    await keepScreenshot(page, "offline");
    // The queue lives in localStorage: a reload while offline would keep it.
    const stored = await page.evaluate((id) => localStorage.getItem(`confab.outbox.${id}`), id);
    expect(stored).toContain("written while the server was away");

    await server.start();
    await expect(pending).toHaveCount(0, { timeout: 30_000 });
    await expect(page.locator("li[data-role=user]")).toHaveCount(1);
    await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
    await expect(page.locator("[data-connection]")).toHaveAttribute("data-connection", /live|polling/);

    const state = await (await page.request.get(`/api/contexts/${id}/state`, { headers })).json();
    const sent = state.context.messages.filter((m: { role: string }) => m.role === "user");
    expect(sent.map((m: { content: string }) => m.content)).toEqual(["written while the server was away"]);
    expect(await page.evaluate((id) => localStorage.getItem(`confab.outbox.${id}`), id)).toBeNull();
    await context.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});
