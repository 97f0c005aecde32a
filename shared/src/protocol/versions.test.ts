import { describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "./envelope.js";
import { parseAgentFrame, parseServerFrame } from "./frames.js";
import { compareVersions, isUpdateAvailable, parseProtocolHeader, protocolMismatch } from "./versions.js";

describe("protocol compatibility", () => {
  it("accepts the same major and names the side to upgrade otherwise", () => {
    expect(protocolMismatch(PROTOCOL_VERSION, "control plane")).toBeNull();
    expect(protocolMismatch(2, "control plane", 1)).toBe("agent speaks protocol 2, this control plane 1: upgrade the control plane");
    expect(protocolMismatch(0, "control plane", 1)).toBe("agent speaks protocol 0, this control plane 1: upgrade the agent");
    expect(protocolMismatch(2, "agent", 1)).toBe("control plane speaks protocol 2, this agent 1: upgrade the agent");
    expect(protocolMismatch(1, "agent", 2)).toBe("control plane speaks protocol 1, this agent 2: upgrade the control plane");
  });

  it("reads the protocol header only as a decimal integer", () => {
    expect(parseProtocolHeader("2")).toBe(2);
    expect(parseProtocolHeader(" 1 ")).toBe(1);
    expect(parseProtocolHeader(undefined)).toBeNull();
    expect(parseProtocolHeader("1.2")).toBeNull();
    expect(parseProtocolHeader(["1", "2"])).toBeNull();
  });
});

describe("compareVersions", () => {
  it("orders by semver precedence", () => {
    expect(compareVersions("0.1.0", "0.2.0")).toBe(-1);
    expect(compareVersions("1.10.0", "1.9.9")).toBe(1);
    expect(compareVersions("1.0.0", "1.0.0+build.5")).toBe(0);
    expect(compareVersions("1.0.0-rc.1", "1.0.0")).toBe(-1);
    expect(compareVersions("1.0.0-alpha", "1.0.0-alpha.1")).toBe(-1);
    expect(compareVersions("1.0.0-alpha.2", "1.0.0-alpha.10")).toBe(-1);
    expect(compareVersions("1.0.0-1", "1.0.0-alpha")).toBe(-1);
    expect(compareVersions("not-a-version", "1.0.0")).toBeNull();
  });

  it("flags an older agent, not a newer or an unknown one", () => {
    expect(isUpdateAvailable("0.1.0", "0.2.0")).toBe(true);
    expect(isUpdateAvailable("0.2.0", "0.2.0")).toBe(false);
    expect(isUpdateAvailable("0.3.0", "0.2.0")).toBe(false);
    expect(isUpdateAvailable(null, "0.2.0")).toBe(false);
    expect(isUpdateAvailable("0.1.0-test", "garbled")).toBe(false);
  });
});

describe("hello frames of another protocol", () => {
  it("parses a helloAck of protocol 2 far enough to say so, whatever else it carries", () => {
    const frame = JSON.stringify({ type: "helloAck", protocolVersion: 2, agentVersion: "9.0.0", capabilitiesV2: { x: 1 } });
    expect(parseAgentFrame(frame)).toEqual({ ok: true, value: { kind: "incompatible", type: "helloAck", protocolVersion: 2, agentVersion: "9.0.0" } });
  });

  it("parses a hello of protocol 0 as incompatible, not malformed", () => {
    const frame = JSON.stringify({ type: "hello", protocolVersion: 0, somethingOld: true });
    expect(parseServerFrame(frame)).toEqual({ ok: true, value: { kind: "incompatible", type: "hello", protocolVersion: 0 } });
  });

  it("still rejects a hello with no readable protocol number", () => {
    const r = parseServerFrame(JSON.stringify({ type: "hello", protocolVersion: "one" }));
    expect(r.ok).toBe(false);
  });
});
