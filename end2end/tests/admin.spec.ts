import { expect, test, type Browser, type Page } from "@playwright/test";
import { hydrated, startOwnServer } from "./helpers";

// A server of its own: its first account is the administrator.
let base: string;
let stop: () => void;

test.beforeAll(async () => {
  ({ base, stop } = await startOwnServer("admin", []));
});

test.afterAll(() => stop?.());

const tokens = new Map<Page, string>();

/** A new browser signed up as `username` (the cookie stays in its context). */
async function signedUp(browser: Browser, username: string, invite?: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.request.post(`${base}/api/auth/register`, {
    data: { username, password: "end-to-end password", ...(invite ? { invite } : {}) },
  });
  expect(response.status()).toBe(201);
  tokens.set(page, (await response.json()).token);
  return page;
}

test("the admin page disables a user: their open page is signed out, and invites let one person in", async ({
  browser,
}) => {
  const admin = await signedUp(browser, "boss");
  const member = await signedUp(browser, "casey");
  const created = await member.request.post(`${base}/api/contexts`, {
    data: { title: "member's chat" },
    // A cookie alone must come with the page's Origin; an API call carries its token.
    headers: { Authorization: `Bearer ${tokens.get(member)}` },
  });
  expect(created.status()).toBe(201);
  const chat = (await created.json()).id;
  await member.goto(`${base}/c/${chat}`);
  await hydrated(member);

  await admin.goto(`${base}/`);
  await hydrated(admin);
  await admin.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Administration" }).click();
  await expect(admin).toHaveURL(/\/admin$/);
  const users = admin.getByRole("table");
  const memberRow = users.getByRole("row", { name: /^casey / });
  await expect(memberRow).toBeInViewport();
  await expect(memberRow.getByRole("cell").first()).toHaveText("member");
  await expect(users).not.toContainText("member's chat");

  // Keyboard only: Tab to the button, Enter.
  const disable = memberRow.getByRole("button", { name: "Disable casey" });
  await disable.focus();
  await admin.keyboard.press("Enter");
  await expect(admin.getByRole("status").filter({ hasText: "casey is disabled and signed out." })).toBeVisible();
  await expect(memberRow.getByRole("cell").first()).toHaveText("disabled");
  await expect(memberRow.getByRole("button", { name: "Enable casey" })).toBeInViewport();

  // The member's open conversation loses its stream, hears 401 and goes to the sign-in page.
  await expect(member).toHaveURL(/\/login\?next=/, { timeout: 20_000 });
  await expect(member.getByRole("button", { name: "Sign in" })).toBeInViewport();
  const refused = await member.request.post(`${base}/api/auth/login`, {
    data: { username: "casey", password: "end-to-end password" },
  });
  expect(refused.status()).toBe(403);

  // The last administrator cannot be demoted: the page says why.
  const bossRow = users.getByRole("row", { name: /^boss / });
  await bossRow.getByRole("button", { name: "Make member: boss" }).click();
  await expect(admin.getByText(/last enabled administrator/)).toBeVisible();

  // Registration by invite: one link, one account.
  await admin.getByRole("radio", { name: /By invite/ }).check();
  await expect(admin.getByText("Saved.")).toBeVisible();
  await admin.getByRole("button", { name: "Create invite link" }).click();
  const link = admin.locator(".invite-link");
  await expect(link).toBeInViewport();
  const url = (await link.textContent())!;
  expect(url).toMatch(/\/register\?invite=/);

  const guest = await (await browser.newContext()).newPage();
  await guest.goto(url);
  await hydrated(guest);
  await expect(guest.getByText("You were invited")).toBeVisible();
  await guest.getByLabel("Username").fill("guest");
  await guest.getByLabel("Password").fill("end-to-end password");
  await guest.getByRole("button", { name: "Create account" }).click();
  await expect(guest).toHaveURL(`${base}/`);

  const second = await (await browser.newContext()).newPage();
  await second.goto(url);
  await hydrated(second);
  await second.getByLabel("Username").fill("another");
  await second.getByLabel("Password").fill("end-to-end password");
  await second.getByRole("button", { name: "Create account" }).click();
  await expect(second.getByRole("alert")).toContainText("invite link cannot be used");
});
