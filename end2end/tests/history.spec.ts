import { expect, test } from "@playwright/test";
import { hydrated, keepScreenshot, openConversation, sendFromComposer, signUp, status } from "./helpers";

test("editing a message answers on a new branch; the switcher goes back, and the choice holds after a reload", async ({
  page,
}) => {
  const api = await signUp(page);
  const id = await api.createContext("Branches");
  await openConversation(page, id);
  await sendFromComposer(page, "the first version");
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });

  const message = page.locator("li[data-role=user]");
  await message.hover();
  await message.getByRole("button", { name: "Edit message" }).click();
  await message.getByRole("textbox", { name: "Edit your message" }).fill("the second version");
  await message.getByRole("button", { name: "Save and answer" }).click();
  await expect(message.locator(".bubble")).toHaveText("the second version");
  await expect(page.locator("[data-role=assistant]")).toContainText('You wrote: "the second version"', {
    timeout: 20_000,
  });
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  const versions = message.getByRole("group", { name: "Versions of this message" });
  await expect(versions).toContainText("2/2");
  await keepScreenshot(page, "edited");

  await versions.getByRole("button", { name: "Previous version" }).click();
  await expect(message.locator(".bubble")).toHaveText("the first version");
  await expect(page.locator("[data-role=assistant]")).toContainText('You wrote: "the first version"');
  await expect(versions).toContainText("1/2");

  await page.reload();
  await hydrated(page);
  await expect(message.locator(".bubble")).toHaveText("the first version");
  await expect(versions).toContainText("1/2");
  await expect(page.locator("[data-role=assistant]")).toHaveCount(1);
});

test("search finds a word from an old message and opens its conversation", async ({ page }) => {
  const api = await signUp(page);
  const id = await api.createContext("Searchable");
  await api.send(id, "remember the word periwinkle");
  await api.waitForStatus(id, "idle");
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("searchbox", { name: "Search your chats" }).fill("periwink");
  const results = page.getByRole("list", { name: "Search results" });
  await expect(results.locator("mark").first()).toHaveText(/periwinkle/i);
  await results.getByRole("link").first().click();
  await expect(page).toHaveURL(new RegExp(`/c/${id}\\?m=`));
  await expect(page.locator("li[data-role=user]")).toContainText("periwinkle");
});
