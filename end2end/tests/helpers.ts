import { APIRequestContext, expect, Page } from "@playwright/test";

/** Creates a conversation through the API and returns its id. */
export async function createContext(request: APIRequestContext, title?: string): Promise<string> {
  const response = await request.post("/api/contexts", { data: title ? { title } : {} });
  expect(response.status()).toBe(201);
  return (await response.json()).id;
}

/** Sends a message through the API. */
export async function sendMessage(request: APIRequestContext, id: string, content: string) {
  const response = await request.post(`/api/contexts/${id}/actions/send_message`, { data: { content } });
  expect(response.status()).toBe(200);
  return response.json();
}

/** Polls the API until the conversation reaches `status`. */
export async function waitForStatus(request: APIRequestContext, id: string, status: string) {
  await expect
    .poll(async () => (await (await request.get(`/api/contexts/${id}/state`)).json()).status, { timeout: 20_000 })
    .toBe(status);
}

/** Waits until the wasm app has taken over the server-rendered page. */
export async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}
