import { expect, Page, test } from "@playwright/test";
import { keepScreenshot, openConversation, sendFromComposer, signUp, status } from "./helpers";

function lastReply(page: Page) {
  return page.locator("[data-role=assistant]").last();
}

test("'Always allow' on a card runs the next call without one; revoked in the Tools panel, the card comes back", async ({
  page,
}) => {
  const api = await signUp(page);
  const id = await api.createContext("Policies");
  await openConversation(page, id);
  const card = page.getByRole("group", { name: "Tool call calculator" });

  await sendFromComposer(page, "calc 6*7");
  await expect(card).toBeInViewport({ timeout: 20_000 });
  const always = card.getByRole("button", { name: "Always allow" });
  await expect(always).toBeVisible();
  await always.click();
  await expect(lastReply(page)).toContainText("42", { timeout: 20_000 });
  await expect(status(page)).toHaveAttribute("data-status", "idle");

  // The next call runs at once: the conversation never waits for a person.
  await sendFromComposer(page, "calc 9*9");
  await expect(lastReply(page)).toContainText("81", { timeout: 20_000 });
  await expect(status(page)).toHaveAttribute("data-status", "idle");
  await expect(card).toHaveCount(0);

  // The Tools panel shows the policy, and revokes it.
  await page.locator("details.tool-settings > summary").click();
  const policies = page.getByRole("list", { name: "Tool policies" });
  const row = policies.locator("li", { hasText: "calculator" });
  await expect(row).toContainText("Always allowed");
  const revoke = row.getByRole("button", { name: "Revoke always allowing calculator" });
  await expect(revoke).toBeInViewport();
  await keepScreenshot(page, "tool-policies");
  await revoke.click();
  await expect(row).toContainText("Asks");
  await expect(row.getByRole("button", { name: "Always allow calculator" })).toBeVisible();
  await page.locator("details.tool-settings > summary").click();

  await sendFromComposer(page, "calc 1+1");
  await expect(card).toBeInViewport({ timeout: 20_000 });
  await expect(status(page)).toHaveAttribute("data-status", "awaiting_tool_approval");
});

test("'Allow in this conversation' lets the tool run here without asking, and only here", async ({ page }) => {
  const api = await signUp(page);
  const id = await api.createContext("Here only");
  await openConversation(page, id);
  const card = page.getByRole("group", { name: "Tool call calculator" });

  await sendFromComposer(page, "calc 2+3");
  await expect(card).toBeInViewport({ timeout: 20_000 });
  await card.getByRole("button", { name: "Allow in this conversation" }).click();
  await expect(lastReply(page)).toContainText("5", { timeout: 20_000 });
  await sendFromComposer(page, "calc 4*4");
  await expect(lastReply(page)).toContainText("16", { timeout: 20_000 });
  await expect(card).toHaveCount(0);

  const other = await api.createContext("Elsewhere");
  await openConversation(page, other);
  await sendFromComposer(page, "calc 3*3");
  await expect(card).toBeInViewport({ timeout: 20_000 });
});
