import { expect, test } from "@playwright/test";
import { hydrated, openConversation, signUp, status } from "./helpers";

// A conversation longer than the screen: a few long questions with their long replies.
async function longConversation(page: import("@playwright/test").Page, turns: number) {
  const api = await signUp(page);
  const id = await api.createContext("A long one");
  const question = "Tell me about the river that runs through the old town, and the bridges over it. ".repeat(3);
  for (let turn = 1; turn <= turns; turn++) {
    await api.send(id, `Question ${turn}. ${question}`);
    await api.waitForStatus(id, "idle");
  }
  return { api, id };
}

test("a conversation opens on its newest message, and stays put while the reader reads older ones", async ({ page }) => {
  const { api, id } = await longConversation(page, 6);
  await openConversation(page, id);
  const messages = page.locator(".message-list > li[data-role]");
  await expect(messages.last()).toBeInViewport();
  await expect(messages.first()).not.toBeInViewport();

  // Reading further up: new text arriving below does not pull the page down...
  await page.locator(".messages").evaluate((list) => (list.scrollTop = 0));
  await expect(messages.first()).toBeInViewport();
  await api.send(id, "One more question");
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  await expect(messages.first()).toBeInViewport();
  // ...it offers a way back to the newest message.
  const jump = page.getByRole("button", { name: /Jump to latest/ });
  await expect(jump).toBeInViewport();
  await jump.click();
  await expect(messages.last()).toBeInViewport();
  await expect(jump).toHaveCount(0);
});

test("a reload in the middle of a reply shows the streaming text without scrolling", async ({ page }) => {
  const { api, id } = await longConversation(page, 5);
  await openConversation(page, id);
  await api.send(id, "And now a reply to reload in the middle of");
  await expect(status(page)).toHaveAttribute("data-status", "streaming");
  await page.reload();
  await hydrated(page);
  const reply = page.locator("[data-role=assistant]").last();
  await expect(reply).toContainText("You wrote");
  await expect(reply).toBeInViewport();
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  await expect(reply).toBeInViewport();
});
