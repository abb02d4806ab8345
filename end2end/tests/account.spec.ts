import { expect, request, test } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

test("change the password from the account menu, then make a token, use it, and revoke it", async ({ page }) => {
  const api = await signUp(page);
  await page.goto("/");
  await hydrated(page);
  // Signed in on another device too: that session ends with the change.
  const laptop = await request.newContext({ baseURL: new URL(page.url()).origin });
  const laptopSignIn = await laptop.post("/api/auth/login", {
    data: { username: api.username, password: "end-to-end password" },
  });
  expect(laptopSignIn.status()).toBe(200);
  const laptopToken = (await laptopSignIn.json()).token;
  await page.locator("details.account-settings > summary").click();

  const form = page.getByRole("form", { name: "Change password" });
  await form.getByLabel("Current password").fill("end-to-end password");
  await form.getByLabel("New password").fill("a brand new passphrase");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("status")).toHaveText("Password changed. Your other sessions were signed out.");
  const ended = await laptop.get("/api/auth/me", { headers: { Authorization: `Bearer ${laptopToken}` } });
  expect(ended.status()).toBe(401);
  await laptop.dispose();
  // This page's own session goes on.
  expect((await page.request.get("/api/auth/me")).status()).toBe(200);
  const signIn = await page.request.post("/api/auth/login", {
    data: { username: api.username, password: "a brand new passphrase" },
  });
  expect(signIn.status()).toBe(200);

  const tokenForm = page.getByRole("form", { name: "New API token" });
  await tokenForm.getByLabel("Name").fill("nightly backup");
  await tokenForm.getByRole("button", { name: "Create token" }).click();
  const secret = page.locator(".token-secret");
  await expect(secret).toBeInViewport();
  const token = (await secret.textContent())!;
  expect(token).toMatch(/^confab_pat_/);
  const list = page.getByRole("list", { name: "Personal API tokens" });
  await expect(list).toContainText("nightly backup");
  const withToken = () => page.request.get("/api/contexts", { headers: { Authorization: `Bearer ${token}` } });
  expect((await withToken()).status()).toBe(200);

  const revoke = list.getByRole("button", { name: "Revoke token nightly backup" });
  await expect(revoke).toBeInViewport();
  await revoke.click();
  await expect(list).not.toContainText("nightly backup");
  expect((await withToken()).status()).toBe(401);
});
