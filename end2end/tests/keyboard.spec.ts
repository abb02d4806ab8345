import { expect, test } from "@playwright/test";
import { openConversation, sendFromComposer, signUp } from "./helpers";

test("keyboard shortcuts do what they say, checked by their effect", async ({ page }) => {
  const api = await signUp(page);
  const id = await api.createContext("Keys");
  await openConversation(page, id);
  const composer = page.getByRole("textbox", { name: "Message" });
  const shortcuts = page.getByRole("dialog", { name: "Keyboard shortcuts" });

  // `?` is a character while typing, and the list of shortcuts elsewhere.
  await composer.focus();
  await page.keyboard.press("?");
  await expect(composer).toHaveValue("?");
  await expect(shortcuts).toBeHidden();
  await composer.fill("");
  await page.getByRole("heading", { level: 1 }).click();
  await page.keyboard.press("?");
  await expect(shortcuts).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(shortcuts).toBeHidden();
  await page.keyboard.press("Control+/");
  await expect(shortcuts).toBeVisible();
  await shortcuts.getByRole("button", { name: "Close" }).click();

  // Ctrl+K: the search box, with focus.
  await page.keyboard.press("Control+k");
  await expect(page.getByRole("searchbox", { name: "Search your chats" })).toBeFocused();

  // Up in an empty composer: the last message, open for editing.
  await sendFromComposer(page, "my first words");
  await api.waitForStatus(id, "idle");
  await composer.focus();
  await page.keyboard.press("ArrowUp");
  const edit = page.getByRole("textbox", { name: "Edit your message" });
  await expect(edit).toBeFocused();
  await expect(edit).toHaveValue("my first words");
  await page.keyboard.press("Escape");
  await expect(edit).toHaveCount(0);
  await expect(composer).toBeFocused();

  // Esc while a reply is being written: the reply stops.
  await sendFromComposer(page, "a question with a long answer");
  await expect(page.locator("[data-status]")).toHaveAttribute("data-status", "streaming");
  await page.keyboard.press("Escape");
  await expect(page.getByText("Stopped.")).toBeVisible();
  await api.waitForStatus(id, "idle");

  // Ctrl+Shift+O: a new conversation, open.
  await page.keyboard.press("Control+Shift+O");
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  await expect(page).not.toHaveURL(new RegExp(id));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("New chat");
});
