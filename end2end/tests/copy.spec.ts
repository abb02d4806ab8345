import { expect, test } from "@playwright/test";
import { openConversation, signUp } from "./helpers";

const rust = 'fn main() {\n    println!("hi <there> & {}", 1);\n}';
const python = "def add(a, b):\n    return a + b";
const reply = `Two ways:\n\n\`\`\`rust\n${rust}\n\`\`\`\n\nand\n\n\`\`\`python\n${python}\n\`\`\`\n\nDone.`;

test("code blocks show their language and copy their exact code; a message copies its Markdown; titles show as plain text", async ({
  page,
}) => {
  const api = await signUp(page);
  const at = new Date().toISOString();
  const [user, assistant] = [crypto.randomUUID(), crypto.randomUUID()];
  const file = {
    format: "confab.context",
    version: 2,
    title: "Hello! Here is **bold** and `code`",
    created_at: at,
    active_branch: "main",
    branches: [{ name: "main", head_message_id: assistant }],
    messages: [
      { id: user, parent_id: null, role: "user", content: "show me some code", created_at: at },
      { id: assistant, parent_id: user, role: "assistant", content: reply, created_at: at },
    ],
  };
  const imported = await page.request.post("/api/contexts/import?format=confab", {
    data: file,
    headers: { Authorization: `Bearer ${api.token}` },
  });
  expect(imported.status()).toBe(200);
  const id = (await imported.json()).imported[0].id;
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await openConversation(page, id);

  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Hello! Here is bold and code");
  await expect(page.getByRole("link", { name: "Hello! Here is bold and code", exact: true })).toBeVisible();

  const blocks = page.locator("[data-role=assistant] .code-block");
  await expect(blocks).toHaveCount(2);
  await expect(blocks.nth(0).locator(".code-lang")).toHaveText("rust");
  await expect(blocks.nth(1).locator(".code-lang")).toHaveText("python");
  const copyRust = blocks.nth(0).getByRole("button", { name: "Copy code" });
  await expect(copyRust).toBeInViewport();
  await copyRust.click();
  await expect(copyRust).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(rust);
  await blocks.nth(1).getByRole("button", { name: "Copy code" }).click();
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(python);

  await page.locator("[data-role=assistant]").getByRole("button", { name: "Copy message" }).click();
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(reply);
  await page.locator("[data-role=user]").getByRole("button", { name: "Copy message" }).click();
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe("show me some code");
});
