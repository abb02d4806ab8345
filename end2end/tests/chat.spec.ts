import { expect, Page, test } from "@playwright/test";
import { hydrated, keepScreenshot, openConversation, sendFromComposer, signUp, status } from "./helpers";

// The built-in model ends every echo reply with this sentence.
const ECHO_END = "to see a tool call that waits for your approval.";

function assistant(page: Page) {
  return page.locator("[data-role=assistant]");
}

function user(page: Page) {
  return page.locator("li[data-role=user]");
}

/** Waits until the reply is visibly under way: streaming, with some of its text on screen. */
async function waitForStreamingText(page: Page) {
  await expect(status(page)).toHaveAttribute("data-status", "streaming");
  await expect(assistant(page).last()).toContainText("You wrote");
}

test("a message is shown at once, its reply streams in, and both survive a reload", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await signUp(page);
  await page.goto("/");
  await hydrated(page);
  await keepScreenshot(page, "welcome");

  await sendFromComposer(page, "Hello, Confab");
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  await expect(user(page)).toHaveCount(1);
  await expect(user(page)).toContainText("Hello, Confab");
  // Streaming: the reply grows while the status says so, then completes.
  await waitForStreamingText(page);
  await expect(page.locator("[data-role=assistant].streaming")).toHaveCount(1);
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  await expect(assistant(page)).toContainText(ECHO_END);
  await expect(page.locator("[data-connection]")).toHaveAttribute("data-connection", "live");
  await keepScreenshot(page, "conversation");

  // A second message from the open conversation: shown once, never doubled.
  await sendFromComposer(page, "And a second one");
  await expect(user(page)).toHaveCount(2);
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  await expect(assistant(page)).toHaveCount(2);

  await page.reload();
  await hydrated(page);
  await expect(user(page)).toHaveCount(2);
  await expect(user(page).first()).toContainText("Hello, Confab");
  await expect(assistant(page)).toHaveCount(2);
  await expect(assistant(page).last()).toContainText(ECHO_END);
  await expect(page.locator("[data-pending]")).toHaveCount(0);
  // The sidebar lists it, under the title the model gave it.
  await expect(page.locator(".context-line a[aria-current=page]")).toContainText("Hello, Confab");
  expect(errors).toEqual([]);
});

test("a reload in the middle of a reply shows the text so far and then the rest", async ({ page }) => {
  const api = await signUp(page);
  const id = await api.createContext("Reload mid-stream");
  await openConversation(page, id);
  await sendFromComposer(page, "Please stream a long reply while I reload the page");
  await waitForStreamingText(page);

  await page.reload();
  await hydrated(page);
  // Still mid-reply after the reload: the page picks the stream up where it is.
  const bubble = assistant(page).last().locator(".bubble");
  const seenAfterReload = normalize(await bubble.innerText());
  expect(seenAfterReload).toContain("You wrote");
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  const final = normalize(await bubble.innerText());
  expect(final.startsWith(seenAfterReload)).toBe(true);
  expect(final.match(/You wrote/g)).toHaveLength(1);
  // Exactly the server's text, nothing doubled or missing.
  const server = await api.state(id);
  const reply = server.context.messages.filter((m: { role: string }) => m.role === "assistant").pop();
  expect(reply.content).toContain(ECHO_END);
  await expect(assistant(page).last()).toContainText(ECHO_END);
  // The bubble shows the Markdown rendered: the same words without the code backticks.
  expect(final).toBe(normalize(reply.content));
});

test("a tool call waits for approval; approved it answers with the time, denied it answers without", async ({
  page,
}) => {
  const api = await signUp(page);
  const id = await api.createContext("Tools");
  await openConversation(page, id);

  await sendFromComposer(page, "what time is it?");
  const card = page.getByRole("group", { name: "Tool call current_time" });
  await expect(card).toBeVisible({ timeout: 20_000 });
  await expect(status(page)).toHaveAttribute("data-status", "awaiting_tool_approval");
  await expect(page.getByRole("textbox", { name: "Message", exact: true })).toBeDisabled();
  await keepScreenshot(page, "approval");
  // The approval survives a reload.
  await page.reload();
  await hydrated(page);
  await expect(card).toBeVisible();
  await card.getByRole("button", { name: "Approve" }).click();
  await expect(assistant(page).last()).toContainText("The current time is", { timeout: 20_000 });
  await expect(status(page)).toHaveAttribute("data-status", "idle");
  await expect(card).toHaveCount(0);
  const result = page.locator("[data-role=tool] details");
  await expect(result).toHaveCount(1);
  await result.locator("summary").click();
  await expect(result.locator("pre")).toBeVisible();
  await keepScreenshot(page, "tool-result");

  await sendFromComposer(page, "and what time is it now?");
  await expect(card).toBeVisible({ timeout: 20_000 });
  await card.getByRole("button", { name: "Deny" }).click();
  await expect(assistant(page).last()).toContainText("I could not use current_time", { timeout: 20_000 });
  await expect(status(page)).toHaveAttribute("data-status", "idle");
  const server = await api.state(id);
  const denied = server.context.messages.flatMap((m: { tool_calls: { approval: string }[] }) => m.tool_calls);
  expect(denied.map((c: { approval: string }) => c.approval)).toEqual(["approved", "denied"]);
});

test("two pages on one conversation stay in step without reloading", async ({ page, context }) => {
  const api = await signUp(page);
  const id = await api.createContext("Two tabs");
  const other = await context.newPage();
  await openConversation(page, id);
  await openConversation(other, id);

  await sendFromComposer(page, "sent from the first tab");
  await expect(user(other)).toContainText("sent from the first tab");
  await expect(assistant(other)).toContainText(ECHO_END, { timeout: 20_000 });

  await sendFromComposer(other, "and this from the second");
  await expect(user(page)).toHaveCount(2);
  await expect(user(page).last()).toContainText("and this from the second");
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  await expect(assistant(page)).toHaveCount(2);
  await other.close();
});

test("with the event stream blocked the page polls, says so, and still gets every message", async ({ page }) => {
  const api = await signUp(page);
  const id = await api.createContext("Polling");
  let blocked = 0;
  // A tab's own stream and the browser's shared one alike.
  await page.route(/\/api\/(contexts\/[^/]+\/)?events/, (route) => {
    blocked += 1;
    return route.abort("connectionrefused");
  });
  await page.goto(`/c/${id}`);
  await hydrated(page);
  await expect(page.locator("[data-connection]")).toHaveAttribute("data-connection", "polling");
  await keepScreenshot(page, "polling");

  await sendFromComposer(page, "does polling work?");
  await expect(user(page)).toHaveCount(1);
  await expect(assistant(page)).toContainText(ECHO_END, { timeout: 20_000 });
  // A message sent elsewhere arrives too.
  await api.send(id, "sent through the API");
  await expect(user(page).last()).toContainText("sent through the API", { timeout: 15_000 });
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  await expect(assistant(page)).toHaveCount(2);
  expect(blocked).toBeGreaterThan(0);
  await expect(page.locator("[data-connection]")).toHaveAttribute("data-connection", "polling");
});

test("Stop in the middle of a reply keeps the text written so far", async ({ page }) => {
  const api = await signUp(page);
  const id = await api.createContext("Stop");
  await openConversation(page, id);
  await sendFromComposer(page, "write something I will interrupt");
  await waitForStreamingText(page);
  await page.getByRole("button", { name: "Stop the reply" }).click();
  await expect(status(page)).toHaveAttribute("data-status", "idle");
  const reply = assistant(page).last();
  await expect(reply.locator(".stopped")).toHaveText("Stopped.");
  await expect(reply).toContainText("You wrote");
  await expect(reply).not.toContainText(ECHO_END);

  await page.reload();
  await hydrated(page);
  await expect(reply).toContainText("You wrote");
  const server = await api.state(id);
  const saved = server.context.messages.filter((m: { role: string }) => m.role === "assistant").pop();
  expect(saved.stop_reason).toBe("cancelled");
  expect(saved.content.length).toBeGreaterThan(0);
  expect(saved.content).not.toContain(ECHO_END);
});

test("Markdown renders, and HTML in a message stays inert text", async ({ page }) => {
  const api = await signUp(page);
  const id = await api.createContext("Markdown");
  await openConversation(page, id);

  await sendFromComposer(page, "Some **bold** words, `code`, a [link](https://example.com/docs)\n\n- first\n- second\n\nThe end.");
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  const reply = assistant(page).last();
  await expect(reply.locator("strong")).toHaveText("bold");
  await expect(reply.locator("code").first()).toHaveText("code");
  await expect(reply.locator("a[href='https://example.com/docs']")).toHaveText("link");
  await expect(reply.locator("li")).toHaveText(["first", "second"]);

  const attack = `<script>window.__confabPwned = 1</script><img src=x onerror="window.__confabPwned = 2">`;
  await sendFromComposer(page, attack);
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  await expect(user(page).last()).toContainText("<script>window.__confabPwned = 1</script>");
  await expect(assistant(page).last()).toContainText("<img src=x onerror=");
  await page.reload();
  await hydrated(page);
  await expect(assistant(page).last()).toContainText("<img src=x onerror=");
  expect(await page.locator(".messages img, .messages script").count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __confabPwned?: number }).__confabPwned)).toBeUndefined();
  await keepScreenshot(page, "markdown");
});

test("the layout works on a 375 px wide screen", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  const api = await signUp(page);
  const id = await api.createContext("Narrow screen");
  await openConversation(page, id);
  const sidebar = page.getByRole("complementary", { name: "Conversations" });
  await expect(sidebar).not.toBeInViewport();
  await page.getByRole("button", { name: "Show conversations" }).click();
  await expect(sidebar).toBeInViewport();
  await sidebar.getByRole("link", { name: "Narrow screen" }).click();
  await sendFromComposer(page, "hello from a phone");
  await expect(status(page)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await keepScreenshot(page, "narrow");
});

/** Text to compare: whitespace collapsed, and without code backticks, which the page renders
 * as code (a half-streamed reply may show one not yet closed). */
function normalize(text: string) {
  return text.replace(/`/g, "").replace(/\s+/g, " ").trim();
}

