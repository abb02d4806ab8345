import { expect, test } from "@playwright/test";
import { hydrated, openConversation, signUp, status } from "./helpers";

// Browsers give a host six connections over HTTP/1.1; a stream per tab used them all up, and
// a seventh tab never loaded. The tabs of a browser now share one stream, held by a leader.
test("ten tabs on one conversation share one stream, all stay live, an eleventh page loads, and the stream survives its leader", async ({
  page,
}) => {
  test.setTimeout(180_000);
  const context = page.context();
  let streams = 0;
  context.on("request", (request) => {
    if (/\/api\/(contexts\/[^/]+\/)?events/.test(request.url())) streams += 1;
  });
  const api = await signUp(page);
  const id = await api.createContext("Many tabs");
  const tabs = [page];
  await openConversation(page, id);
  for (let n = 1; n < 10; n++) {
    const tab = await context.newPage();
    await openConversation(tab, id);
    tabs.push(tab);
  }
  for (const tab of tabs) {
    await expect(tab.locator("[data-connection]")).toHaveAttribute("data-connection", "live");
  }
  expect(streams, "one stream for the whole browser").toBe(1);

  // A message sent elsewhere reaches every tab, reply and all.
  await api.send(id, "hello to every tab");
  for (const tab of tabs) {
    await expect(tab.locator("[data-role=user]").last()).toContainText("hello to every tab");
    await expect(status(tab)).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
    await expect(tab.locator("[data-role=assistant]")).toHaveCount(1);
  }

  // An eleventh page, of another conversation, loads at once and is live too.
  const other = await api.createContext("The eleventh");
  const eleventh = await context.newPage();
  await eleventh.goto(`/c/${other}`, { timeout: 5_000 });
  await hydrated(eleventh);
  await expect(eleventh.locator("[data-connection]")).toHaveAttribute("data-connection", "live");
  await api.send(other, "and to the eleventh");
  await expect(eleventh.locator("[data-role=user]").last()).toContainText("and to the eleventh");

  // The leader (the first tab) goes: another tab takes the stream over.
  await tabs[0].close();
  await api.send(id, "after the leader left");
  for (const tab of tabs.slice(1)) {
    await expect(tab.locator("[data-role=user]").last()).toContainText("after the leader left", { timeout: 15_000 });
  }
  await expect(status(tabs[1])).toHaveAttribute("data-status", "idle", { timeout: 20_000 });
  await expect(tabs[1].locator("[data-connection]")).toHaveAttribute("data-connection", "live");
});
