import type { Page } from "playwright-core";
import WebSocket from "ws";
import { AGENT_ROUTES, VERSION_HEADERS, WS_SUBPROTOCOL } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signAgentJwt } from "../support/agent-jwt.js";
import { ADMIN_PASSWORD, api, enrollAgent, waitForAgentStatus } from "../support/processes.js";
import { captureBothSchemes } from "./support/capture.js";
import { type ConsoleRig, signIn, startConsoleRig } from "./support/console-rig.js";

/** An enrolled agent's socket announcing `protocol` and `agentVersion`; answers hello with a helloAck of the same. */
async function linkAs(rig: ConsoleRig, protocol: number, agentVersion: string): Promise<{ agentId: string; socket: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const agent = await enrollAgent(rig.cp);
  const socket = new WebSocket(`${rig.cp.url.replace(/^http/, "ws")}${AGENT_ROUTES.connect}`, WS_SUBPROTOCOL, {
    headers: { authorization: `Bearer ${await signAgentJwt(agent.dataDir)}`, [VERSION_HEADERS.protocol]: String(protocol), [VERSION_HEADERS.agentVersion]: agentVersion },
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  socket.on("message", (data) => {
    const frame = JSON.parse(data.toString()) as { type: string };
    if (frame.type === "hello") socket.send(JSON.stringify({ type: "helloAck", protocolVersion: protocol, agentVersion, hostname: "old-host", lastSequence: 0 }));
  });
  return { agentId: agent.agentId, socket, closed };
}

// What a person sees of agents of other versions: an older one marked "update available", one of
// another protocol marked incompatible with the reason, in the list and on its page.
describe("agents of other versions in the console", () => {
  let rig: ConsoleRig;
  let page: Page;
  let problems: () => Promise<string[]>;
  let older: Awaited<ReturnType<typeof linkAs>>;
  let future: Awaited<ReturnType<typeof linkAs>>;
  const reason = "agent speaks protocol 2, this control plane 1: upgrade the control plane";

  beforeAll(async () => {
    rig = await startConsoleRig();
    older = await linkAs(rig, 1, "0.0.1");
    future = await linkAs(rig, 2, "9.0.0");
    expect(await future.closed).toEqual({ code: 4426, reason });
    // The older agent is online once its helloAck was taken.
    await waitForAgentStatus(api(rig.cp, rig.adminToken), older.agentId, "online");
    ({ page, problems } = await rig.open("/sign-in"));
    await signIn(page, "admin@example.test", ADMIN_PASSWORD);
  }, 120_000);
  afterAll(async () => {
    older?.socket.terminate();
    await rig?.stop();
  });

  it("lists the older agent with 'update available' and the incompatible one with its reason", async () => {
    await page.goto(`${rig.cp.url}/agents`);
    const olderRow = page.getByRole("row").filter({ hasText: older.agentId });
    await olderRow.getByText("update available").waitFor();
    expect(await olderRow.textContent()).toContain("0.0.1");
    const futureRow = page.getByRole("row").filter({ hasText: future.agentId });
    await futureRow.getByText("incompatible", { exact: true }).waitFor();
    expect(await futureRow.getByRole("note").textContent()).toBe(reason);
    expect(await futureRow.getByText("update available").count()).toBe(0);
    await page.mouse.move(0, 0);
    expect(await captureBothSchemes(page, "agents-versions")).toEqual([]);
    expect(await problems()).toEqual([]);
  });

  it("shows the reason on the incompatible agent's page", async () => {
    await page.goto(`${rig.cp.url}/agents/${future.agentId}`);
    await page.getByRole("note").filter({ hasText: reason }).waitFor();
    await page.goto(`${rig.cp.url}/agents/${older.agentId}`);
    await page.getByText("update available").waitFor();
    expect(await problems()).toEqual([]);
  });
});
