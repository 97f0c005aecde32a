import { describe, expect, it } from "vitest";
import { isLoopbackHost } from "./loopback.js";

describe("isLoopbackHost", () => {
  it("accepts this machine's names and addresses, with or without IPv6 brackets", () => {
    for (const host of ["localhost", "LOCALHOST", "agent.localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]", "::ffff:127.0.0.1"]) expect(isLoopbackHost(host), host).toBe(true);
  });
  it("refuses other hosts, including names that only look like loopback", () => {
    for (const host of ["example.com", "127.0.0.1.example.com", "localhost.example.com", "10.0.0.1", "128.0.0.1", "::2", "[::ffff:10.0.0.1]", "0.0.0.0"]) expect(isLoopbackHost(host), host).toBe(false);
  });
});
