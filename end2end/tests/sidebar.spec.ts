import { expect, Page, test } from "@playwright/test";
import { hydrated, openConversation, signUp } from "./helpers";

/** The sidebar's section (Pinned, a folder, Today, ...) with this name. */
function section(page: Page, name: string) {
  return page.getByRole("complementary", { name: "Conversations" }).getByRole("region", { name, exact: true });
}

function line(page: Page, title: string) {
  return page.locator(".context-line", { hasText: title });
}

async function menu(page: Page, title: string) {
  await line(page, title).locator("summary[aria-label='More for this conversation']").click();
}

test("pin, folder and archive are the server's: they survive a reload and show in a second tab at once", async ({
  page,
}) => {
  test.setTimeout(90_000);
  const api = await signUp(page);
  await api.createContext("Apples");
  await api.createContext("Bananas");
  const cherries = await api.createContext("Cherries");
  await openConversation(page, cherries);
  const second = await page.context().newPage();
  await second.goto("/");
  await hydrated(second);
  await expect(section(second, "Today")).toContainText("Apples");

  // Pinned, by the line's menu.
  await menu(page, "Apples");
  await line(page, "Apples").getByRole("button", { name: "Pin" }).click();
  await expect(section(page, "Pinned")).toContainText("Apples");
  await expect(section(second, "Pinned")).toContainText("Apples");

  // A folder, and a conversation moved into it.
  page.once("dialog", (dialog) => dialog.accept("Fruit salad"));
  await page.getByRole("button", { name: "New folder" }).click();
  await expect(section(page, "Fruit salad")).toBeVisible();
  await menu(page, "Bananas");
  await line(page, "Bananas").getByRole("combobox", { name: "Move to folder" }).selectOption({ label: "Fruit salad" });
  await expect(section(page, "Fruit salad")).toContainText("Bananas");
  await expect(section(second, "Fruit salad")).toContainText("Bananas");

  // Archived: gone from the list here and there, listed in the archive, restorable.
  await menu(page, "Cherries");
  await line(page, "Cherries").getByRole("button", { name: "Archive" }).click();
  await expect(line(page, "Cherries")).toHaveCount(0);
  await expect(line(second, "Cherries")).toHaveCount(0);

  await page.reload();
  await hydrated(page);
  await expect(section(page, "Pinned")).toContainText("Apples");
  await expect(section(page, "Fruit salad")).toContainText("Bananas");
  await expect(page.locator(".organized .context-line", { hasText: "Cherries" })).toHaveCount(0);
  await page.getByRole("button", { name: "Archived" }).click();
  const archive = section(page, "Archived");
  await expect(archive).toContainText("Cherries");
  await archive.getByRole("button", { name: "Restore" }).click();
  await expect(section(page, "Today")).toContainText("Cherries");
  await expect(section(second, "Today")).toContainText("Cherries");
});

test("a reply that finishes in the background leaves a dot until opened, and a hidden tab counts it in its title", async ({
  page,
}) => {
  test.setTimeout(60_000);
  const api = await signUp(page);
  const here = await api.createContext("Open here");
  const elsewhere = await api.createContext("Answered elsewhere");
  await openConversation(page, here);
  await expect(line(page, "Answered elsewhere")).toBeVisible();
  // The tab goes to the background (as browsers do it: the event bubbles to the window).
  await page.evaluate(() => {
    Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
    document.dispatchEvent(new Event("visibilitychange", { bubbles: true }));
  });
  await api.send(elsewhere, "Please answer while I look at another conversation");
  await expect(line(page, "Answered elsewhere").locator(".busy-dot")).toBeVisible({ timeout: 10_000 });
  const dot = line(page, "Answered elsewhere").getByRole("img", { name: "new reply" });
  await expect(dot).toBeVisible({ timeout: 20_000 });
  await expect(page).toHaveTitle("(1) Confab");
  // Back to the tab: the count goes; opening the conversation takes the dot away.
  await page.evaluate(() => {
    Object.defineProperty(document, "hidden", { configurable: true, get: () => false });
    document.dispatchEvent(new Event("visibilitychange", { bubbles: true }));
  });
  await expect(page).toHaveTitle("Confab");
  await line(page, "Answered elsewhere").getByRole("link").click();
  await expect(page).toHaveURL(new RegExp(`/c/${elsewhere}`));
  await expect(dot).toHaveCount(0);
});

test("a conversation dragged onto a folder goes into it; a folder is renamed, and deleted without its conversations", async ({
  page,
}) => {
  const api = await signUp(page);
  await api.createContext("Dragged");
  await page.goto("/");
  await hydrated(page);
  page.once("dialog", (dialog) => dialog.accept("Inbox"));
  await page.getByRole("button", { name: "New folder" }).click();
  await expect(section(page, "Inbox")).toBeVisible();
  await line(page, "Dragged").dragTo(section(page, "Inbox"));
  await expect(section(page, "Inbox")).toContainText("Dragged");

  page.once("dialog", (dialog) => dialog.accept("Done"));
  await section(page, "Inbox").getByRole("button", { name: "Rename folder" }).click();
  await expect(section(page, "Done")).toContainText("Dragged");
  page.once("dialog", (dialog) => dialog.accept());
  await section(page, "Done").getByRole("button", { name: "Delete folder" }).click();
  await expect(section(page, "Done")).toHaveCount(0);
  await expect(section(page, "Today")).toContainText("Dragged");
});
