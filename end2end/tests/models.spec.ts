import { expect, Page, test } from "@playwright/test";
import { hydrated, openConversation, sendFromComposer, signUp, startOwnServer, status } from "./helpers";

// The built-in model ends every echo reply with this sentence.
const ECHO_END = "to see a tool call that waits for your approval.";

/** Opens the conversation's settings panel (it stays open from one conversation to the next). */
async function openSettings(page: Page) {
  const panel = page.locator("details.settings-panel");
  if (!(await panel.evaluate((d) => (d as HTMLDetailsElement).open))) {
    await page.getByLabel("Conversation settings").click();
  }
  const prompt = page.getByRole("textbox", { name: "System prompt", exact: true });
  await expect(prompt).toBeInViewport();
  return prompt;
}

test("settings changed in one tab appear in another and survive a reload; a preset starts a new chat alike", async ({
  page,
  context,
}) => {
  const api = await signUp(page);
  const id = await api.createContext("Settings");
  await openConversation(page, id);
  const other = await context.newPage();
  await openConversation(other, id);

  // The picker names the model and finds it by search; a search that matches nothing says so.
  const picker = page.getByLabel("Model", { exact: true });
  await expect(picker).toHaveText("confab-builtin");
  await picker.click();
  const search = page.getByRole("searchbox", { name: "Search models" });
  await expect(search).toBeInViewport();
  await search.fill("zzz");
  await expect(page.getByText("No model matches")).toBeVisible();
  await search.fill("builtin");
  const option = page.getByRole("button", { name: /confab-builtin/ });
  await expect(option).toBeInViewport();
  await expect(option).toHaveAttribute("aria-pressed", "true");
  await option.click();
  await expect(search).toBeHidden();
  const prompt = await openSettings(page);
  await prompt.fill("Answer like a sea captain.");
  await page.getByLabel("Temperature").fill("0.7");
  await page.getByLabel("Max output tokens").fill("300");
  await page.getByRole("button", { name: "Apply" }).click();

  const otherPrompt = await openSettings(other);
  await expect(otherPrompt).toHaveValue("Answer like a sea captain.");
  await expect(other.getByLabel("Temperature")).toHaveValue("0.7");
  await expect(other.getByLabel("Max output tokens")).toHaveValue("300");

  await other.reload();
  await hydrated(other);
  await expect(await openSettings(other)).toHaveValue("Answer like a sea captain.");
  expect((await api.state(id)).context.settings).toMatchObject({ system_prompt: "Answer like a sea captain.", temperature: 0.7 });

  // Saved as a preset, it starts a new conversation with the same prompt and parameters.
  await page.getByLabel("Preset name").fill("Captain");
  await page.getByRole("button", { name: "Save as preset" }).click();
  await expect(page.getByText("Saved the preset “Captain”")).toBeVisible();
  await page.getByText("Models & presets").click();
  const start = page.getByRole("button", { name: "New chat: Captain" });
  await expect(start).toBeInViewport();
  await start.click();
  await expect(page).not.toHaveURL(new RegExp(id));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("New chat");
  await expect(page.locator("[data-connection]")).toHaveAttribute("data-connection", "live");
  await expect(await openSettings(page)).toHaveValue("Answer like a sea captain.");
  await expect(page.getByLabel("Temperature")).toHaveValue("0.7");
});

test("a reply cut at the length limit says so and Continue extends the same message", async ({ page }) => {
  const api = await signUp(page);
  const id = await api.createContext("Length");
  await openConversation(page, id);
  await openSettings(page);
  await page.getByLabel("Max output tokens").fill("8");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect.poll(async () => (await api.state(id)).context.settings.max_tokens).toBe(8);
  await page.getByLabel("Conversation settings").click();

  await sendFromComposer(page, "Tell me about rivers");
  const reply = page.locator("[data-role=assistant]");
  await expect(page.getByText("Stopped at the length limit.")).toBeInViewport({ timeout: 20_000 });
  const cut = (await reply.locator(".bubble").textContent()) ?? "";
  const more = page.getByRole("button", { name: "Continue" });
  await expect(more).toBeInViewport();

  // Lift the limit, then continue: the same message grows to its end.
  await openSettings(page);
  await page.getByLabel("Max output tokens").fill("");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect.poll(async () => (await api.state(id)).context.settings.max_tokens).toBe(null);
  await page.getByLabel("Conversation settings").click();
  await more.click();
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  await expect(reply).toHaveCount(1);
  await expect(reply).toContainText(ECHO_END);
  expect(((await reply.locator(".bubble").textContent()) ?? "").startsWith(cut.trim().slice(0, 20))).toBe(true);
  await expect(page.getByText("Stopped at the length limit.")).toHaveCount(0);
});

test("reasoning is shown collapsed apart from the answer, and opens on a click", async ({ page }) => {
  const api = await signUp(page);
  const id = await api.createContext("Reasoning");
  await openConversation(page, id);
  await sendFromComposer(page, "think about the sea");
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  const reasoning = page.locator("[data-role=assistant] details.reasoning");
  await expect(reasoning.locator("summary")).toHaveText(/^Thought for/);
  await expect(reasoning.locator("summary")).toBeInViewport();
  const text = reasoning.locator(".reasoning-text");
  await expect(text).toBeHidden();
  await reasoning.locator("summary").click();
  await expect(text).toBeVisible();
  const answer = await page.locator("[data-role=assistant] .bubble").textContent();
  const thought = await text.textContent();
  expect(thought).toBeTruthy();
  expect(answer).not.toContain(thought!.trim().slice(0, 30));
  // The reply says which model wrote it.
  await expect(page.locator(".reply-meta")).toContainText("confab-builtin");
});

// A server of its own whose built-in model has a small context window, so a short
// conversation already leaves its first messages out of what the model sees.
test.describe("a small context window", () => {
  let base: string;
  let stop: () => void;

  test.beforeAll(async () => {
    ({ base, stop } = await startOwnServer("window", ["--builtin-context-length", "1024", "--builtin-token-delay-ms", "1"]));
  });

  test.afterAll(() => stop?.());

  test("a divider shows where the model's view of the conversation starts", async ({ page }) => {
    await page.goto(`${base}/login`);
    const response = await page.request.post(`${base}/api/auth/register`, {
      data: { username: `window${Date.now().toString(36)}`, password: "end-to-end password" },
    });
    expect(response.status()).toBe(201);
    const headers = { Authorization: `Bearer ${(await response.json()).token}` };
    const created = await page.request.post(`${base}/api/contexts`, { data: {}, headers });
    const id = (await created.json()).id;
    const state = async () => (await (await page.request.get(`${base}/api/contexts/${id}/state`, { headers })).json());
    const long = "Rivers carry water from the hills down to the sea, past towns and fields. ".repeat(4);
    for (let turn = 0; turn < 6; turn++) {
      await page.request.post(`${base}/api/contexts/${id}/actions/send_message`, {
        data: { content: `Turn ${turn}. ${long}` },
        headers,
      });
      await expect.poll(async () => (await state()).status, { timeout: 20_000 }).toBe("idle");
    }
    const start = (await state()).context.context_window_start;
    expect(start).toBeTruthy();

    await page.goto(`${base}/c/${id}`);
    await hydrated(page);
    const divider = page.getByRole("separator").filter({ hasText: "Earlier messages are not sent to the model" });
    await expect(divider).toHaveCount(1);
    // It sits just before the first message the model saw.
    const next = divider.locator("xpath=following-sibling::li[1]");
    await expect(next).toHaveAttribute("data-message-id", start);
    await divider.scrollIntoViewIfNeeded();
    await expect(divider).toBeInViewport();
  });
});
