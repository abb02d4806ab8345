import { expect, test } from "@playwright/test";
import { openConversation, signUp } from "./helpers";

test("a share link shows the conversation to a visitor with no account and no JavaScript, until revoked", async ({
  page,
  browser,
}) => {
  const api = await signUp(page);
  const id = await api.createContext("Weather talk");
  await api.send(id, "tell me about the weather");
  await api.waitForStatus(id, "idle");
  const other = await api.createContext("A private conversation");
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await openConversation(page, id);

  await page.getByLabel("Share this conversation").click();
  await page.getByLabel("Link expires").selectOption({ label: "7 days" });
  await page.getByRole("button", { name: "Create link" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Link created and copied" })).toBeVisible();
  const field = page.getByRole("textbox", { name: "Share link", exact: true });
  await expect(field).toBeInViewport();
  await expect(page.getByText(/^Works until \d{4}-/)).toBeVisible();
  const url = await field.inputValue();
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/s\/[0-9a-f]{32}$/);
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
  await api.send(id, "said after sharing");

  // A fresh browser: no cookies, and scripts off, to show the page needs neither.
  const visitor = await browser.newContext({ javaScriptEnabled: false });
  const view = await visitor.newPage();
  expect((await view.goto(url))?.status()).toBe(200);
  await expect(view.getByRole("heading", { name: "Weather talk" })).toBeInViewport();
  await expect(view.getByText("tell me about the weather", { exact: true })).toBeVisible();
  await expect(view.getByText(/built-in offline model/)).toBeVisible();
  await expect(view.getByText("said after sharing")).toHaveCount(0);
  await expect(view.getByRole("complementary", { name: "Conversations" })).toHaveCount(0);
  await expect(view.getByText("A private conversation")).toHaveCount(0);
  const token = url.split("/s/")[1];
  const links = await view.locator("a").evaluateAll((anchors) => anchors.map((a) => a.getAttribute("href")));
  expect(links).toEqual([`/login?next=/s/${token}`]);
  expect(await visitor.cookies()).toEqual([]);
  // Nothing else of the owner's opens for the visitor.
  await view.goto(`/c/${other}`);
  await expect(view).toHaveURL(/\/login\?next=/);

  await page.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Link revoked" })).toBeVisible();
  await expect(field).toHaveCount(0);
  expect((await view.goto(url))?.status()).toBe(404);
  await expect(view.getByRole("heading", { name: "This link does not work" })).toBeVisible();
  await visitor.close();
});

test("a signed-in viewer continues a shared conversation in their own account", async ({ page, browser }) => {
  const owner = await signUp(page);
  const id = await owner.createContext("Shared plans");
  await owner.send(id, "tell me about the weather");
  await owner.waitForStatus(id, "idle");
  const created = await page.request.post(`/api/contexts/${id}/shares`, {
    data: {},
    headers: { Authorization: `Bearer ${owner.token}` },
  });
  expect(created.status()).toBe(201);
  const { url } = await created.json();

  const viewerContext = await browser.newContext();
  const viewerPage = await viewerContext.newPage();
  await signUp(viewerPage);
  await viewerPage.goto(url);
  await viewerPage.getByRole("button", { name: "Continue in my account" }).click();
  await expect(viewerPage).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  expect(viewerPage.url()).not.toContain(id);
  await expect(viewerPage.locator("[data-role=user]")).toContainText("tell me about the weather");
  await expect(viewerPage.getByRole("heading", { name: "Shared plans" })).toBeVisible();
  await viewerContext.close();
});
