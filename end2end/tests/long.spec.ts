import { expect, Page, test } from "@playwright/test";
import { Api, hydrated, openConversation, sendFromComposer, signUp, status } from "./helpers";

// A conversation of `count` messages, questions and answers with a code block each,
// imported in one request. Message n says "Message n." first.
async function importLong(page: Page, api: Api, count: number, special: Record<number, string> = {}): Promise<string> {
  const at = new Date().toISOString();
  const ids = Array.from({ length: count }, () => crypto.randomUUID());
  const messages = ids.map((id, i) => ({
    id,
    parent_id: i === 0 ? null : ids[i - 1],
    role: i % 2 === 0 ? "user" : "assistant",
    content:
      special[i + 1] ??
      (i % 2 === 0 ? `Message ${i + 1}. How do I reverse a list?` : `Message ${i + 1}.\n\n\`\`\`python\nitems.reverse()\n\`\`\``),
    created_at: at,
  }));
  const file = {
    format: "confab.context",
    version: 2,
    title: `${count} messages`,
    created_at: at,
    active_branch: "main",
    branches: [{ name: "main", head_message_id: ids[count - 1] }],
    messages,
  };
  const imported = await page.request.post("/api/contexts/import?format=confab", {
    data: file,
    headers: { Authorization: `Bearer ${api.token}` },
  });
  expect(imported.status()).toBe(200);
  return (await imported.json()).imported[0].id;
}

test("a 2,000-message conversation opens on its newest message, holds a window of it, and scrolls up to message 1", async ({ page }) => {
  test.setTimeout(120_000);
  const api = await signUp(page);
  const id = await importLong(page, api, 2_000);
  await openConversation(page, id);
  const messages = page.locator(".message-list > li[data-role]");
  await expect(messages.last()).toContainText("Message 2000.");
  await expect(messages.last()).toBeInViewport();
  // The page holds a window, not the whole conversation.
  expect(await messages.count()).toBeLessThanOrEqual(100);
  await expect(page.getByRole("button", { name: "Show earlier messages (1900)" })).toBeAttached();

  // The reader scrolls up, and up: each page comes in above, and the place is kept.
  const list = page.locator(".messages");
  const first = messages.filter({ hasText: "Message 1. How do I" });
  for (let page_ = 0; page_ < 30 && (await first.count()) === 0; page_++) {
    const top = messages.first();
    const text = (await top.textContent()) ?? "";
    await list.evaluate((element) => (element.scrollTop = 0));
    await expect(messages.first()).not.toHaveText(text, { timeout: 10_000 });
    // The message that was on top is still where the reader was looking.
    await expect(messages.filter({ hasText: text }).first()).toBeInViewport();
  }
  await list.evaluate((element) => (element.scrollTop = 0));
  await expect(first).toBeInViewport();
  await expect(page.getByRole("button", { name: /Show earlier messages/ })).toHaveCount(0);
  // However far up the reader went, the page renders a bounded run of messages.
  expect(await messages.count()).toBeLessThanOrEqual(250);

  // Back down, a run at a time, the place kept each time, to the newest message.
  const newest = messages.filter({ hasText: "Message 2000." });
  for (let page_ = 0; page_ < 30 && (await newest.count()) === 0; page_++) {
    const bottom = messages.last();
    const text = (await bottom.textContent()) ?? "";
    await list.evaluate((element) => (element.scrollTop = element.scrollHeight));
    await expect(messages.last()).not.toHaveText(text, { timeout: 10_000 });
    await expect(messages.filter({ hasText: text }).first()).toBeInViewport();
    expect(await messages.count()).toBeLessThanOrEqual(250);
  }
  await expect(newest).toHaveCount(1);

  // Far up again, "Jump to latest" brings the newest message back, live: a new message and
  // its reply arrive after message 2000, in view.
  await expect(async () => {
    await list.evaluate((element) => (element.scrollTop = 0));
    await expect(newest).toHaveCount(0, { timeout: 1_000 });
  }).toPass({ timeout: 10_000 });
  await page.getByRole("button", { name: "Jump to latest ↓" }).click();
  await expect(newest).toBeInViewport();
  await sendFromComposer(page, "And a tuple?");
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  await expect(page.locator("[data-role=user]").last()).toContainText("And a tuple?");
  await expect(page.locator("[data-role=assistant]").last()).toBeInViewport();
  expect(await messages.count()).toBeLessThanOrEqual(250);
});

test("a search hit in message 10 of 2,000 opens with that message in view", async ({ page }) => {
  test.setTimeout(60_000);
  const api = await signUp(page);
  const id = await importLong(page, api, 2_000, { 10: "Message 10. And what is a kumquat, exactly?" });
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("searchbox", { name: "Search your chats" }).fill("kumquat");
  const results = page.getByRole("list", { name: "Search results" });
  await expect(results.locator("mark").first()).toHaveText(/kumquat/i);
  await results.getByRole("link").first().click();
  await expect(page).toHaveURL(new RegExp(`/c/${id}\\?m=`));
  const hit = page.locator(".message-list > li[data-role]", { hasText: "what is a kumquat" });
  await expect(hit).toBeInViewport({ timeout: 10_000 });
});
