import { spawn, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { APIRequestContext, expect, Page, test } from "@playwright/test";

let users = 0;

/**
 * Registers a fresh user through the page's own request context, so the browser holds the
 * session cookie. Returns an API client that acts as the same user with a bearer token
 * (bearer requests need no Origin check).
 */
export async function signUp(page: Page): Promise<Api> {
  const username = `user${Date.now().toString(36)}${users++}`;
  const response = await page.request.post("/api/auth/register", {
    data: { username, password: "end-to-end password" },
  });
  expect(response.status()).toBe(201);
  const { token } = await response.json();
  return new Api(page.request, token, username);
}

export class Api {
  constructor(
    private request: APIRequestContext,
    readonly token: string,
    readonly username: string,
  ) {}

  private get headers() {
    return { Authorization: `Bearer ${this.token}` };
  }

  async createContext(title?: string): Promise<string> {
    const response = await this.request.post("/api/contexts", { data: title ? { title } : {}, headers: this.headers });
    expect(response.status()).toBe(201);
    return (await response.json()).id;
  }

  async send(id: string, content: string) {
    const response = await this.request.post(`/api/contexts/${id}/actions/send_message`, {
      data: { content },
      headers: this.headers,
    });
    expect(response.status()).toBe(200);
    return response.json();
  }

  async state(id: string) {
    const response = await this.request.get(`/api/contexts/${id}/state`, { headers: this.headers });
    expect(response.status()).toBe(200);
    return response.json();
  }

  async waitForStatus(id: string, status: string) {
    await expect.poll(async () => (await this.state(id)).status, { timeout: 20_000 }).toBe(status);
  }
}

/** Waits until the wasm app has taken over the server-rendered page. */
export async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/** Opens a conversation and waits until it is live and in step with the server. */
export async function openConversation(page: Page, id: string) {
  await page.goto(`/c/${id}`);
  await hydrated(page);
  await expect(page.locator("[data-connection]")).toHaveAttribute("data-connection", /live|polling/);
}

/** Types into the composer and sends with Enter, as a person would. */
export async function sendFromComposer(page: Page, text: string) {
  const composer = page.getByRole("textbox", { name: "Message" });
  await expect(composer).toBeEnabled();
  await composer.fill(text);
  await composer.press("Enter");
}

/** The page's status line (`idle`, `streaming`, `awaiting_tool_approval`, ...). */
export function status(page: Page) {
  return page.locator(".status[data-status]");
}

/** Keeps a full-page screenshot with the test's output. */
export async function keepScreenshot(page: Page, name: string) {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
}

/**
 * Starts a confab server of a test's own (the release or debug binary the suite runs), on a
 * free port and a new database, with `args` added; resolves once it answers `/healthz`.
 * Returns its base URL and a way to stop it.
 */
export async function startOwnServer(name: string, args: string[]): Promise<{ base: string; stop: () => void }> {
  const root = path.resolve(__dirname, "../..");
  const binary = process.env.CONFAB_E2E_BINARY ?? path.join(root, "target/release/confab");
  const port = 20000 + Math.floor(Math.random() * 20000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `confab-${name}-`));
  const base = `http://127.0.0.1:${port}`;
  const server: ChildProcess = spawn(
    binary,
    ["--addr", `127.0.0.1:${port}`, "--database-url", `sqlite://${dir}/confab.db`, ...args],
    {
      cwd: root,
      env: { ...process.env, LEPTOS_SITE_ROOT: path.join(root, "target/site"), RUST_LOG: "warn" },
      stdio: "ignore",
    },
  );
  await expect
    .poll(async () => (await fetch(`${base}/healthz`).catch(() => null))?.status, { timeout: 30_000 })
    .toBe(200);
  return { base, stop: () => server.kill("SIGTERM") };
}
