import * as path from "node:path";
import { expect, test } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

const chatgptExport = path.resolve(__dirname, "../../server/tests/fixtures/import/chatgpt-conversations.json");

test("a ChatGPT export of several conversations imports from the sidebar, with its progress shown and its branches kept", async ({
  page,
}) => {
  await signUp(page);
  await page.goto("/");
  await hydrated(page);
  // Hold the upload at the server's door, so the progress can be seen as a person would
  // see it with a large file.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/contexts/import", async (route) => {
    await held;
    await route.continue();
  });

  await page.getByLabel("Import…").setInputFiles(chatgptExport);
  const progress = page.getByRole("progressbar", { name: "Import progress" });
  await expect(progress).toBeInViewport();
  release();
  await expect(page.getByText("Imported 2 conversations.")).toBeVisible();
  await expect(progress).toHaveCount(0);

  const sidebar = page.getByRole("complementary", { name: "Conversations" });
  await sidebar.getByRole("link", { name: "Trip in May" }).click();
  const kyoto = page.locator("[data-role=assistant]").filter({ hasText: "Kyoto: late spring, fewer crowds." });
  await expect(kyoto).toBeInViewport();
  await expect(page.getByText("Visit Fushimi Inari early in the morning.")).toBeVisible();
  const versions = kyoto.getByRole("group", { name: "Versions of this message" });
  await expect(versions).toContainText("1/2");
  await versions.getByRole("button", { name: "Next version" }).click();
  await expect(page.getByText("Patagonia, if you like wind.")).toBeVisible();
  await expect(page.getByText("Visit Fushimi Inari early in the morning.")).toHaveCount(0);

  // The same file again duplicates nothing.
  await page.unroute("**/api/contexts/import");
  await page.getByLabel("Import…").setInputFiles(chatgptExport);
  await expect(page.getByText(/Imported 0, skipped 2/)).toBeVisible();
  await expect(sidebar.getByRole("link", { name: "Trip in May" })).toHaveCount(1);
});
