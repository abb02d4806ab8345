import { expect, Page, test } from "@playwright/test";
import { keepScreenshot, openConversation, signUp, status } from "./helpers";

/** A real PNG drawn by the page's own canvas, pasted into the composer as a screenshot is. */
async function pasteImage(page: Page, name: string) {
  await page.getByRole("textbox", { name: "Message" }).evaluate(async (composer, name) => {
    const canvas = document.createElement("canvas");
    canvas.width = 120;
    canvas.height = 80;
    const drawing = canvas.getContext("2d")!;
    drawing.fillStyle = "#3654d6";
    drawing.fillRect(0, 0, 120, 80);
    drawing.fillStyle = "#ffffff";
    drawing.fillRect(20, 20, 40, 40);
    const blob: Blob = await new Promise((resolve) => canvas.toBlob((b) => resolve(b!), "image/png"));
    const clipboard = new DataTransfer();
    clipboard.items.add(new File([blob], name, { type: "image/png" }));
    composer.dispatchEvent(new ClipboardEvent("paste", { clipboardData: clipboard, bubbles: true, cancelable: true }));
  }, name);
}

/** Drops a text file onto the conversation, as a person drags one from their desktop. */
async function dropTextFile(page: Page, name: string, text: string) {
  const files = await page.evaluateHandle(
    ([name, text]) => {
      const data = new DataTransfer();
      data.items.add(new File([text], name, { type: "text/plain" }));
      return data;
    },
    [name, text],
  );
  await page.dispatchEvent("section.chat", "dragover", { dataTransfer: files });
  await page.dispatchEvent("section.chat", "drop", { dataTransfer: files });
}

async function expectSentFiles(page: Page) {
  const sent = page.locator("[data-role=user]").last();
  const image = sent.getByRole("img", { name: "screenshot.png" });
  await expect(image).toBeInViewport({ timeout: 20_000 });
  // Loaded from the server, not a broken image.
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(120);
  await expect(sent.getByRole("link", { name: /notes\.txt/ })).toBeInViewport();
  await expect(sent).toContainText("what are these?");
}

test("an image pasted and a file dropped go with the message, and show after a reload and in a second tab", async ({
  page,
}) => {
  const api = await signUp(page);
  const id = await api.createContext("Files");
  await openConversation(page, id);

  await pasteImage(page, "screenshot.png");
  await dropTextFile(page, "notes.txt", "buy milk\nwater the plants\n");
  const tray = page.getByRole("list", { name: "Files to send" });
  await expect(tray.locator(".tray-chip[data-state=ready]")).toHaveCount(2, { timeout: 20_000 });
  await expect(tray.getByText("screenshot.png")).toBeInViewport();
  await expect(tray.getByText("notes.txt")).toBeInViewport();
  await expect(tray.locator(".chip-thumbnail")).toHaveCount(1);

  const composer = page.getByRole("textbox", { name: "Message" });
  await composer.fill("what are these?");
  await composer.press("Enter");
  await expect(tray).toHaveCount(0);
  await expectSentFiles(page);
  const reply = page.locator("[data-role=assistant]").last();
  await expect(reply).toContainText("I received 2 files: screenshot.png (an image", { timeout: 20_000 });
  await expect(status(page)).toHaveAttribute("data-status", "idle");
  await keepScreenshot(page, "attachments-sent");

  await page.reload();
  await openConversation(page, id);
  await expectSentFiles(page);

  const second = await page.context().newPage();
  await openConversation(second, id);
  await expectSentFiles(second);
});

test("a file picked with the paperclip can be removed before sending; a refused file says why", async ({ page }) => {
  const api = await signUp(page);
  const id = await api.createContext("Paperclip");
  await openConversation(page, id);
  const picker = page.locator(".composer input[type=file]");
  await expect(page.getByRole("button", { name: "Attach files" })).toBeVisible();
  await picker.setInputFiles([
    { name: "keep.md", mimeType: "text/markdown", buffer: Buffer.from("# Kept\n") },
    { name: "drop.txt", mimeType: "text/plain", buffer: Buffer.from("not this one") },
    { name: "blob.bin", mimeType: "application/octet-stream", buffer: Buffer.from([0, 1, 2, 3, 255, 0]) },
  ]);
  const tray = page.getByRole("list", { name: "Files to send" });
  const refused = tray.locator(".tray-chip[data-state=failed]");
  await expect(refused).toContainText("cannot be attached", { timeout: 20_000 });
  const send = page.getByRole("button", { name: "Send message" });
  await expect(send).toBeDisabled();
  await tray.getByRole("button", { name: "Remove blob.bin" }).click();
  await tray.getByRole("button", { name: "Remove drop.txt" }).click();
  await expect(tray.locator(".tray-chip")).toHaveCount(1);
  await expect(send).toBeEnabled();
  await send.click();
  const sent = page.locator("[data-role=user]").last();
  await expect(sent.getByRole("link", { name: /keep\.md/ })).toBeInViewport({ timeout: 20_000 });
  await expect(sent.getByRole("link", { name: /drop\.txt/ })).toHaveCount(0);
  const state = await api.state(id);
  expect(state.context.messages[0].attachments.map((f: { name: string }) => f.name)).toEqual(["keep.md"]);
});

test("an SVG with a script, opened in the browser, shows as text and runs nothing", async ({ page }) => {
  const api = await signUp(page);
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" onload="fetch(\'/api/pwned-by-onload\')">' +
    "<script>fetch('/api/pwned-by-script'); document.title = 'pwned';</script><circle r=\"40\"/></svg>";
  const uploaded = await page.request.post("/api/attachments", {
    headers: { Authorization: `Bearer ${api.token}` },
    multipart: { file: { name: "drawing.svg", mimeType: "image/svg+xml", buffer: Buffer.from(svg) } },
  });
  expect(uploaded.status()).toBe(201);
  const file = await uploaded.json();
  expect(file.media_type).toBe("text/plain; charset=utf-8");

  const pwned: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("pwned")) pwned.push(request.url());
  });
  // Opened on its own, as a person who follows the file's link does.
  const response = await page.goto(`/api/attachments/${file.id}`);
  expect(response!.status()).toBe(200);
  await expect(page.locator("body")).toContainText("<script>fetch('/api/pwned-by-script')");
  expect(await page.title()).not.toBe("pwned");
  expect(pwned).toEqual([]);
  // The sandbox made it an origin of its own: nothing of the app's is reachable from it.
  expect(await page.evaluate(() => window.origin)).toBe("null");
});
