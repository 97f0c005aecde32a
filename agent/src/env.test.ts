import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HoldfastError } from "@holdfast/shared";
import { loadEnv } from "./env.js";

describe("loadEnv", () => {
  it("prefers the --data-dir flag over HOLDFAST_DATA_DIR", () => {
    const env = loadEnv({ dataDir: "/srv/flag" }, { HOLDFAST_DATA_DIR: "/srv/env" });
    expect(env.dataDir).toBe("/srv/flag");
  });

  it("falls back to HOLDFAST_DATA_DIR, resolved to an absolute path", () => {
    const env = loadEnv({}, { HOLDFAST_DATA_DIR: "rel/dir" });
    expect(env.dataDir).toBe(path.resolve("rel/dir"));
  });

  it("refuses to start without any data dir", () => {
    expect(() => loadEnv({}, {})).toThrowError(HoldfastError);
  });

  it("applies the documented defaults", () => {
    const env = loadEnv({ dataDir: "/d" }, {});
    expect(env).toMatchObject({ heartbeatMs: 15000, logLevel: "info", reconnectBaseMs: 500, reconnectCapMs: 60000 });
    expect(env.tmpDir).toBe(os.tmpdir());
    expect(env.limits).toEqual({ maxQueueSize: 20, queueTtlMs: 6 * 3600_000, artifactTtlMs: 24 * 3600_000, idempotencyWindowMs: 24 * 3600_000 });
  });

  it("reads the queue and retention limits", () => {
    const env = loadEnv(
      { dataDir: "/d" },
      { HOLDFAST_MAX_QUEUE_SIZE: "5", HOLDFAST_QUEUE_TTL_MS: "1000", HOLDFAST_ARTIFACT_TTL_MS: "2000", HOLDFAST_IDEMPOTENCY_WINDOW_MS: "3000" },
    );
    expect(env.limits).toEqual({ maxQueueSize: 5, queueTtlMs: 1000, artifactTtlMs: 2000, idempotencyWindowMs: 3000 });
    expect(() => loadEnv({ dataDir: "/d" }, { HOLDFAST_MAX_QUEUE_SIZE: "0" })).toThrowError(/maxQueueSize/);
  });

  it("reads where the PostgreSQL client majors live, absolute paths only", () => {
    expect(loadEnv({ dataDir: "/d" }, {}).pgBinRoot).toBeUndefined();
    expect(loadEnv({ dataDir: "/d" }, { HOLDFAST_PG_BIN_ROOT: "/opt/pg" }).pgBinRoot).toBe("/opt/pg");
    expect(() => loadEnv({ dataDir: "/d" }, { HOLDFAST_PG_BIN_ROOT: "opt/pg" })).toThrowError(/pgBinRoot/);
  });

  it("reads the tools' default priority and refuses what nice and ionice cannot do", () => {
    const env = loadEnv({ dataDir: "/d" }, { HOLDFAST_TOOL_NICE: "10", HOLDFAST_TOOL_IO_CLASS: "best-effort", HOLDFAST_TOOL_IO_LEVEL: "7" });
    expect(env.limits).toMatchObject({ toolNice: 10, toolIoClass: "best-effort", toolIoLevel: 7 });
    expect(() => loadEnv({ dataDir: "/d" }, { HOLDFAST_TOOL_NICE: "-5" })).toThrowError(/toolNice/);
    expect(() => loadEnv({ dataDir: "/d" }, { HOLDFAST_TOOL_IO_CLASS: "realtime" })).toThrowError(/toolIoClass/);
    expect(() => loadEnv({ dataDir: "/d" }, { HOLDFAST_TOOL_IO_CLASS: "idle", HOLDFAST_TOOL_IO_LEVEL: "3" })).toThrowError(/idle/);
  });

  it("reads numbers from the environment and rejects nonsense", () => {
    expect(loadEnv({ dataDir: "/d" }, { HOLDFAST_HEARTBEAT_MS: "2000" }).heartbeatMs).toBe(2000);
    expect(() => loadEnv({ dataDir: "/d" }, { HOLDFAST_HEARTBEAT_MS: "soon" })).toThrowError(/heartbeatMs/);
    expect(() => loadEnv({ dataDir: "/d" }, { HOLDFAST_LOG_LEVEL: "loud" })).toThrowError(HoldfastError);
    expect(() => loadEnv({ dataDir: "/d" }, { HOLDFAST_RECONNECT_BASE_MS: "1000", HOLDFAST_RECONNECT_CAP_MS: "10" })).toThrowError(/CAP/);
  });

  it("takes the control planes from --server, else HOLDFAST_SERVERS (comma-separated), and refuses what is not an http(s) URL", () => {
    expect(loadEnv({ dataDir: "/d", servers: ["https://a.example", "https://b.example"] }, { HOLDFAST_SERVERS: "https://c.example" }).servers).toEqual(["https://a.example", "https://b.example"]);
    expect(loadEnv({ dataDir: "/d", servers: [] }, { HOLDFAST_SERVERS: " https://c.example , https://d.example:8443 ," }).servers).toEqual(["https://c.example", "https://d.example:8443"]);
    expect(loadEnv({ dataDir: "/d" }, {}).servers).toBeUndefined();
    expect(() => loadEnv({ dataDir: "/d" }, { HOLDFAST_SERVERS: "https://c.example,c.example" })).toThrowError(/servers\.1/);
    expect(() => loadEnv({ dataDir: "/d", servers: ["ftp://x"] }, {})).toThrowError(/http\(s\) URL/);
  });
});
