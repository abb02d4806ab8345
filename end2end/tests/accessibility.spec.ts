import AxeBuilder from "@axe-core/playwright";
import { expect, Page, test } from "@playwright/test";
import { hydrated, openConversation, signUp } from "./helpers";

/** The serious and critical violations axe finds on the page as it is, every rule on. */
async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

for (const scheme of ["light", "dark"] as const) {
  test(`the main screens have no serious or critical accessibility violations (${scheme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto("/login");
    await hydrated(page);
    expect(await seriousViolations(page), "sign-in").toEqual([]);

    const api = await signUp(page);
    await page.goto("/");
    await hydrated(page);
    expect(await seriousViolations(page), "empty").toEqual([]);

    // A conversation with a reply holding code, then a tool call waiting for approval.
    const id = await api.createContext("Checked");
    await api.send(id, "tell me about the weather");
    await api.waitForStatus(id, "idle");
    await api.send(id, "what time is it");
    await api.waitForStatus(id, "awaiting_tool_approval");
    await openConversation(page, id);
    await expect(page.getByRole("group", { name: /Tool call/ })).toBeVisible();
    expect(await seriousViolations(page), "conversation with an approval").toEqual([]);

    // A reply with highlighted code and math.
    const at = new Date().toISOString();
    const [user, assistant] = [crypto.randomUUID(), crypto.randomUUID()];
    const reply = "Code:\n\n```rust\nfn main() { println!(\"hi\"); }\n```\n\nand $e^{i\\pi}+1=0$.";
    const file = {
      format: "confab.context",
      version: 2,
      title: "Code and math",
      created_at: at,
      active_branch: "main",
      branches: [{ name: "main", head_message_id: assistant }],
      messages: [
        { id: user, parent_id: null, role: "user", content: "code please", created_at: at },
        { id: assistant, parent_id: user, role: "assistant", content: reply, created_at: at },
      ],
    };
    const imported = await page.request.post("/api/contexts/import?format=confab", {
      data: file,
      headers: { Authorization: `Bearer ${api.token}` },
    });
    await openConversation(page, (await imported.json()).imported[0].id);
    await expect(page.locator(".code-block code")).toHaveAttribute("data-highlight", "done");
    expect(await seriousViolations(page), "conversation with code").toEqual([]);

    await page.getByText("Settings", { exact: true }).click();
    expect(await seriousViolations(page), "settings").toEqual([]);
    await page.getByText("Settings", { exact: true }).click();

    await page.keyboard.press("Control+/");
    await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeVisible();
    expect(await seriousViolations(page), "shortcuts").toEqual([]);
  });
}

test("focus is visible on whatever the keyboard reaches, and a finished reply is announced", async ({ page }) => {
  const api = await signUp(page);
  const id = await api.createContext("Announced");
  await openConversation(page, id);
  // Keyboard focus shows a ring: the focused element has a visible outline.
  const composer = page.getByRole("textbox", { name: "Message" });
  await composer.focus();
  await page.keyboard.press("Shift+Tab");
  const outline = await page.evaluate(() => {
    const focused = document.activeElement as HTMLElement;
    const style = getComputedStyle(focused);
    return { tag: focused.tagName, style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
  });
  expect(outline.style, `the focused ${outline.tag}`).not.toBe("none");
  expect(outline.width).toBeGreaterThan(0);

  // The status bar is a polite live region; a finished reply says so in it.
  await composer.fill("hello there");
  await composer.press("Enter");
  const region = page.locator(".status-bar[aria-live=polite]");
  await expect(region.locator("[data-announcement]")).toHaveText("Reply finished", { timeout: 20_000 });
  await api.send(id, "and again");
  await expect(region.locator("[data-announcement]")).toHaveText("", { timeout: 10_000 });
});
