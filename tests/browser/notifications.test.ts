import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api } from "../support/processes.js";
import { captureBothSchemes } from "./support/capture.js";
import { type ConsoleRig, startConsoleRig } from "./support/console-rig.js";

/** A ceiling, not a wait: each step drives a real browser and each capture runs axe twice, on a shared 2-core machine. */
const SLOW = 180_000;

describe("the notifications page, against a real control plane", () => {
  let rig: ConsoleRig;
  let receiver: Server;
  let receiverUrl: string;
  const received: string[] = [];
  beforeAll(async () => {
    // A self-hosted webhook receiver: `/revoked` refuses with its own reason.
    receiver = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        if (req.url === "/revoked") return res.writeHead(410, { "content-type": "application/json" }).end(JSON.stringify({ message: "this hook was removed" }));
        received.push(req.url ?? "");
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    rig = await startConsoleRig();
  }, SLOW);
  afterAll(async () => {
    await rig?.stop();
    await new Promise<void>((r) => receiver?.close(() => r()));
  }, SLOW);

  it("adds a webhook channel with its events, sends a test, and shows a refusal's reason", async () => {
    const { page, problems } = await rig.open("/notifications", { token: rig.adminToken });
    await page.getByRole("heading", { name: "No notification channels yet" }).waitFor();
    expect(await captureBothSchemes(page, "notifications-empty")).toEqual([]);

    await page.getByRole("button", { name: "Add channel" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a notification channel" });
    await dialog.waitFor();
    await dialog.getByRole("textbox", { name: "Name" }).fill("on-call hook");
    await dialog.getByRole("textbox", { name: "URL" }).fill(`${receiverUrl}/hook`);
    expect(await dialog.getByRole("textbox", { name: "Signing secret" }).getAttribute("type")).toBe("password");
    await dialog.getByRole("textbox", { name: "Signing secret" }).fill("short");
    await dialog.getByText("must be at least 16 characters").waitFor();
    await dialog.getByRole("textbox", { name: "Signing secret" }).fill("a-long-enough-signing-secret");
    // "Backup succeeded" is off by default; turned on here.
    expect(await dialog.getByRole("checkbox", { name: "Backup succeeded" }).isChecked()).toBe(false);
    expect(await dialog.getByRole("checkbox", { name: "Backup failed" }).isChecked()).toBe(true);
    await dialog.getByRole("checkbox", { name: "Backup succeeded" }).check();
    expect(await captureBothSchemes(page, "notifications-add-webhook")).toEqual([]);
    await dialog.getByRole("button", { name: "Add channel" }).click();
    await dialog.waitFor({ state: "hidden" });

    const card = page.getByRole("listitem", { name: "on-call hook" });
    await card.getByText(`${receiverUrl}/hook`).waitFor();
    await page.getByText("Nothing sent yet.").waitFor();
    expect(await card.getByText(/Backup succeeded/).count()).toBe(1);
    await card.getByRole("button", { name: "Send test to on-call hook" }).click();
    await card.getByText("Test sent: check that it arrived.").waitFor();
    expect(received).toContain("/hook");

    const revoked = await api(rig.cp, rig.adminToken).post("/notification-channels", { name: "old hook", type: "webhook", config: { url: `${receiverUrl}/revoked`, secret: "a-long-enough-signing-secret" } });
    expect(revoked.status).toBe(201);
    await page.reload();
    const old = page.getByRole("listitem", { name: "old hook" });
    await old.getByRole("button", { name: "Send test to old hook" }).click();
    await old.getByRole("alert").filter({ hasText: "this hook was removed" }).waitFor();
    expect(await captureBothSchemes(page, "notifications-test-refused")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  }, SLOW);
});
