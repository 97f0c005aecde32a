import { describe, expect, it } from "vitest";
import { configuredServers, withConfiguredServer } from "./configured-server.js";

describe("withConfiguredServer", () => {
  const enrolled = { agentId: "agt_1", serverUrl: "https://old.example.com" };

  it("puts the config file's first server in place of the enrolled URL, without a trailing slash", () => {
    expect(withConfiguredServer(enrolled, { servers: ["https://new.example.com:8443/", "https://spare.example.com"] })).toEqual({ agentId: "agt_1", serverUrl: "https://new.example.com:8443" });
  });

  it("keeps the enrolled URL when the file names none", () => {
    expect(withConfiguredServer(enrolled, {})).toBe(enrolled);
  });
});

describe("configuredServers", () => {
  it("is the configured list, normalized and without repeats, else the enrolled URL", () => {
    expect(configuredServers({ serverUrl: "https://old.example.com" }, { servers: ["https://a.example/", "https://b.example", "https://a.example"] })).toEqual(["https://a.example", "https://b.example"]);
    expect(configuredServers({ serverUrl: "https://old.example.com" }, {})).toEqual(["https://old.example.com"]);
  });
});
