import { describe, expect, it } from "vitest";
import { agentRunCommand } from "./enrollment-tokens.js";

describe("agentRunCommand", () => {
  it("starts the agent on the data dir the enroll command wrote to", () => {
    expect(agentRunCommand(["holdfast-agent", "enroll", "--server", "https://cp.example", "--data-dir", "/srv/agent"])).toBe("holdfast-agent run --data-dir /srv/agent");
  });
  it("falls back to the install script's folder when the enroll command names none", () => {
    expect(agentRunCommand(["holdfast-agent", "enroll", "--server", "https://cp.example"])).toBe("holdfast-agent run --data-dir /var/lib/holdfast-agent");
  });
});
