import { expect, request, test } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

test("change the password on the account page, then make a token, use it, and revoke it", async ({ page }) => {
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
  await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { level: 1, name: "Account" })).toBeInViewport();

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

test("see where you are signed in, sign another browser out, and delete the account", async ({ page, browser }) => {
  const api = await signUp(page);
  await page.goto("/account");
  await hydrated(page);
  // Signed in on a phone too.
  const origin = new URL(page.url()).origin;
  const phone = await browser.newContext({
    userAgent: "Mozilla/5.0 (Android 15; Mobile; rv:140.0) Gecko/140.0 Firefox/140.0",
  });
  const phonePage = await phone.newPage();
  const phoneSignIn = await phonePage.request.post(`${origin}/api/auth/login`, {
    data: { username: api.username, password: "end-to-end password" },
  });
  expect(phoneSignIn.status()).toBe(200);
  const conversation = await api.createContext("on the phone");
  await phonePage.goto(`${origin}/c/${conversation}`);
  await hydrated(phonePage);

  await page.reload();
  await hydrated(page);
  const sessions = page.getByRole("list", { name: "Where you are signed in" });
  await expect(sessions).toContainText("this browser");
  const signOutPhone = sessions.getByRole("button", { name: "Sign out Firefox on Android" });
  await signOutPhone.scrollIntoViewIfNeeded();
  await expect(signOutPhone).toBeInViewport();
  await signOutPhone.focus();
  await page.keyboard.press("Enter");
  await expect(page.getByText("Signed out Firefox on Android.")).toBeVisible();
  await expect(sessions).not.toContainText("Firefox on Android");
  // The phone's open conversation loses its stream, hears 401 and goes to the sign-in page.
  await expect(phonePage).toHaveURL(/\/login\?next=/, { timeout: 20_000 });
  await phone.close();

  const zone = page.getByRole("region", { name: "Delete account" });
  await zone.getByLabel("Your password").fill("not my password");
  await zone.getByRole("button", { name: "Delete my account" }).click();
  await zone.getByRole("button", { name: "Yes, delete everything" }).click();
  await expect(zone.getByRole("status")).toContainText("password is not right");
  expect((await page.request.get(`/api/contexts/${conversation}`)).status()).toBe(200);

  await zone.getByLabel("Your password").fill("end-to-end password");
  await zone.getByRole("button", { name: "Delete my account" }).click();
  await expect(zone.getByRole("alert")).toHaveText("Really delete your account and everything in it?");
  await zone.getByRole("button", { name: "Yes, delete everything" }).click();
  await expect(page).toHaveURL(/\/login$/);
  const signIn = await page.request.post("/api/auth/login", {
    data: { username: api.username, password: "end-to-end password" },
  });
  expect(signIn.status()).toBe(401);
});
