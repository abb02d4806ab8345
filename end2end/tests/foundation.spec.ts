import { expect, test } from "@playwright/test";
import { createContext, hydrated, sendMessage, waitForStatus } from "./helpers";

test("the server-rendered pages list conversations and show one, then hydrate", async ({ page, request }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const id = await createContext(request, "Foundation check");
  await sendMessage(request, id, "hello from the end-to-end test");
  await waitForStatus(request, id, "idle");

  await page.goto("/");
  await hydrated(page);
  await expect(page.getByRole("link", { name: "Foundation check" })).toBeVisible();

  await page.goto(`/c/${id}`);
  await hydrated(page);
  await expect(page.locator("[data-role=user]")).toContainText("hello from the end-to-end test");
  await expect(page.locator("[data-role=assistant]")).toContainText("You wrote");
  await expect(page.locator("[data-status]").first()).toHaveAttribute("data-status", "idle");
  expect(errors).toEqual([]);
});
