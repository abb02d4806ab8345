import { expect, test } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

test("the server-rendered pages list conversations and show one, then hydrate", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const api = await signUp(page);
  const id = await api.createContext("Foundation check");
  await api.send(id, "hello from the end-to-end test");
  await api.waitForStatus(id, "idle");

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

test("signing in from the sign-in page leads to the app", async ({ page, browser }) => {
  const api = await signUp(page);
  const fresh = await browser.newPage();
  await fresh.goto("/");
  await expect(fresh).toHaveURL(/\/login\?next=\//);
  await hydrated(fresh);
  await fresh.getByLabel("Username").fill(api.username);
  await fresh.getByLabel("Password").fill("wrong password");
  await fresh.getByRole("button", { name: "Sign in" }).click();
  await expect(fresh.getByRole("alert")).toContainText("wrong username or password");
  await fresh.getByLabel("Password").fill("end-to-end password");
  await fresh.getByRole("button", { name: "Sign in" }).click();
  await expect(fresh).toHaveURL(/\/$/);
  await expect(fresh.getByRole("link", { name: "Confab" })).toBeVisible();
  await expect(fresh.getByRole("heading", { name: "New conversation" })).toBeVisible();
  await fresh.close();
});
