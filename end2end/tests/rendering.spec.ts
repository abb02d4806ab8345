import { expect, Page, test } from "@playwright/test";
import { Api, openConversation, sendFromComposer, signUp, status } from "./helpers";

/** Imports a conversation of one question and `reply` (a Confab export), and opens it. */
async function conversationWithReply(page: Page, api: Api, title: string, question: string, reply: string) {
  const at = new Date().toISOString();
  const [user, assistant] = [crypto.randomUUID(), crypto.randomUUID()];
  const file = {
    format: "confab.context",
    version: 2,
    title,
    created_at: at,
    active_branch: "main",
    branches: [{ name: "main", head_message_id: assistant }],
    messages: [
      { id: user, parent_id: null, role: "user", content: question, created_at: at },
      { id: assistant, parent_id: user, role: "assistant", content: reply, created_at: at },
    ],
  };
  const imported = await page.request.post("/api/contexts/import?format=confab", {
    data: file,
    headers: { Authorization: `Bearer ${api.token}` },
  });
  expect(imported.status()).toBe(200);
  await openConversation(page, (await imported.json()).imported[0].id);
}

const rust = 'fn main() {\n    println!("hi <there> & {}", 1);\n}';
const python = "def add(a, b):\n    return a + b";
const reply = `Two ways:\n\n\`\`\`rust\n${rust}\n\`\`\`\n\nand\n\n\`\`\`python\n${python}\n\`\`\`\n\nDone.`;

test("code blocks show their language and copy their exact code; a message copies its Markdown; titles show as plain text", async ({
  page,
}) => {
  const api = await signUp(page);
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await conversationWithReply(page, api, "Hello! Here is **bold** and `code`", "show me some code", reply);

  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Hello! Here is bold and code");
  await expect(page.getByRole("link", { name: "Hello! Here is bold and code", exact: true })).toBeVisible();

  const blocks = page.locator("[data-role=assistant] .code-block");
  await expect(blocks).toHaveCount(2);
  await expect(blocks.nth(0).locator(".code-lang")).toHaveText("rust");
  await expect(blocks.nth(1).locator(".code-lang")).toHaveText("python");
  // Highlighted by the server: the keywords are coloured spans, the text is unchanged.
  await expect(blocks.nth(0).locator("code")).toHaveAttribute("data-highlight", "done");
  await expect(blocks.nth(1).locator("code")).toHaveAttribute("data-highlight", "done");
  const fnKeyword = blocks.nth(0).locator("code span", { hasText: /^fn$/ });
  await expect(fnKeyword).toHaveClass(/hl-storage/);
  await expect(blocks.nth(1).locator("code span.hl-keyword", { hasText: /^def$/ })).toBeVisible();
  const colour = await fnKeyword.evaluate((element) => getComputedStyle(element).color);
  const plain = await blocks.nth(0).locator("code").evaluate((element) => getComputedStyle(element).color);
  expect(colour).not.toBe(plain);
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

test("math renders as MathML, and a formula that cannot be read shows its source", async ({ page }) => {
  const api = await signUp(page);
  const reply = "Euler: $e^{i\\pi}+1=0$, and \\[\\sum_{n=1}^{\\infty} \\frac{1}{n^2} = \\frac{\\pi^2}{6}\\]\n\nbroken: $\\frac{1}$ end; code `\\(x\\)` stays.";
  await conversationWithReply(page, api, "Math", "some math", reply);
  const message = page.locator("[data-role=assistant]");
  const inline = message.locator("math").first();
  await expect(inline).toBeInViewport();
  await expect(inline).toHaveAttribute("display", "inline");
  await expect(inline.locator("mi", { hasText: "π" })).toHaveCount(1);
  await expect(message.locator('math[display="block"]')).toBeVisible();
  await expect(message.locator("math")).toHaveCount(2);
  await expect(message.locator("code.math-source")).toHaveText("$\\frac{1}$");
  await expect(message.locator("code", { hasText: "\\(x\\)" })).toBeVisible();
});

test("math in a reply written while the page is open is drawn by the server, and none is left as source", async ({
  page,
}) => {
  const api = await signUp(page);
  await openConversation(page, await api.createContext("Math, live"));
  // The page carries no LaTeX parser: it asks the server for the formulas it shows.
  const drawn = page.waitForResponse((r) => r.url().endsWith("/api/math") && r.status() === 200);
  // The built-in model quotes the message, so its reply has these formulas.
  await sendFromComposer(page, "Euler: $e^{i\\pi}+1=0$\n\nbroken: $\\frac{1}$ here.\n\nAnd more.");
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  await drawn;
  const reply = page.locator("[data-role=assistant]").last();
  const formula = reply.locator("math").first();
  await expect(formula).toBeVisible();
  await expect(formula).toHaveAttribute("display", "inline");
  await expect(formula.locator("mi", { hasText: "π" })).toHaveCount(1);
  await expect(reply.locator("code.math-source")).toHaveText("$\\frac{1}$");
  await expect(reply.locator("code.math-pending")).toHaveCount(0);
});

test("a reply being written redraws only its last block: the blocks above it stay the same elements", async ({
  page,
}) => {
  const api = await signUp(page);
  await openConversation(page, await api.createContext("Growing"));
  // The built-in model quotes the message, so its reply has these paragraphs, then more.
  await sendFromComposer(page, "First block, *settled* early.\n\nSecond block.\n\nThird block.");
  const reply = page.locator("[data-role=assistant].streaming .bubble");
  const first = reply.locator(".md-block").first();
  // Settled once the next paragraph is under way.
  await expect(reply.locator(".md-block").nth(1)).toContainText("Second block.");
  await expect(first).toContainText("First block, settled early.");
  await expect(first.locator("em")).toHaveText("settled");
  await first.evaluate((element) => ((element as HTMLElement & { kept?: boolean }).kept = true));
  // Many tokens later, still writing: the first block is the element it was.
  await expect(reply).toContainText("built-in offline model");
  await expect(page.locator("[data-role=assistant].streaming")).toHaveCount(1);
  expect(await first.evaluate((element) => (element as HTMLElement & { kept?: boolean }).kept === true)).toBe(true);
  // Finished, the reply is drawn whole: the same text, as Markdown renders it at once.
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  const done = page.locator("[data-role=assistant]").last().locator(".bubble");
  await expect(done.locator("p").first()).toContainText("First block, settled early.");
  await expect(done.locator("p")).toHaveCount(3);
});
