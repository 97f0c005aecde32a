import { describe, expect, it } from "vitest";
import { withConfiguredServer } from "./configured-server.js";

describe("withConfiguredServer", () => {
  const enrolled = { agentId: "agt_1", serverUrl: "https://old.example.com" };

  it("puts the config file's first server in place of the enrolled URL, without a trailing slash", () => {
    expect(withConfiguredServer(enrolled, { servers: ["https://new.example.com:8443/", "https://spare.example.com"] })).toEqual({ agentId: "agt_1", serverUrl: "https://new.example.com:8443" });
  });

  it("keeps the enrolled URL when the file names none", () => {
    expect(withConfiguredServer(enrolled, {})).toBe(enrolled);
  });
});
