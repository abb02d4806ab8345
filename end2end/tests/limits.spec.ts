import { expect, test } from "@playwright/test";
import { hydrated, startOwnServer } from "./helpers";

// A server of its own with the default rate limits (the shared one raises them for the
// many sign-ups of the other tests): guessing passwords from one address is stopped, and
// the person at the form is told when to try again.
let base: string;
let stop: () => void;

test.beforeAll(async () => {
  ({ base, stop } = await startOwnServer("limits", []));
});

test.afterAll(() => stop?.());

test("guessing passwords from one address is refused with a time to come back", async ({ page }) => {
  await page.goto(`${base}/login`);
  await hydrated(page);
  const alert = page.getByRole("alert");
  let limited = false;
  for (let n = 0; n < 15 && !limited; n++) {
    await page.getByLabel("Username").fill(`guess${n}`);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(alert).not.toBeEmpty();
    limited = /too many requests/.test((await alert.textContent()) ?? "");
    if (!limited) {
      await expect(alert).toContainText("wrong username or password");
    }
  }
  expect(limited).toBe(true);
  await expect(alert).toBeInViewport();
  await expect(alert).toContainText(/try again in \d+ s/);
});
