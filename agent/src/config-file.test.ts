import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HoldfastError } from "@holdfast/shared";
import { loadEnv } from "./env.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Writes `content` (an object is written as JSON) to a fresh agent.json with `mode`. */
function configFile(content: unknown, mode = 0o600): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "holdfast-agent-config-"));
  dirs.push(dir);
  const file = path.join(dir, "agent.json");
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content), { mode });
  fs.chmodSync(file, mode);
  return file;
}

describe("the agent's config file", () => {
  it("supplies every setting the variables do", () => {
    const file = configFile({
      dataDir: "/var/lib/holdfast-agent",
      logLevel: "debug",
      heartbeatMs: 2000,
      reconnectBaseMs: 100,
      reconnectCapMs: 9000,
      maxQueueSize: 7,
      queueTtlMs: 1000,
      artifactTtlMs: 2000,
      idempotencyWindowMs: 3000,
      servers: ["https://cp.example.com:8443/"],
    });
    const env = loadEnv({}, { HOLDFAST_AGENT_CONFIG: file });
    expect(env).toMatchObject({ dataDir: "/var/lib/holdfast-agent", logLevel: "debug", heartbeatMs: 2000, reconnectBaseMs: 100, reconnectCapMs: 9000, configFile: file });
    expect(env.limits).toEqual({ maxQueueSize: 7, queueTtlMs: 1000, artifactTtlMs: 2000, idempotencyWindowMs: 3000 });
    expect(env.servers).toEqual(["https://cp.example.com:8443/"]);
  });

  it("loses to the environment, which loses to the flags", () => {
    const file = configFile({ dataDir: "/from/file", logLevel: "debug", heartbeatMs: 2000 });
    const env = loadEnv({ dataDir: "/from/flag" }, { HOLDFAST_AGENT_CONFIG: file, HOLDFAST_LOG_LEVEL: "warn", HOLDFAST_HEARTBEAT_MS: "" });
    expect(env).toMatchObject({ dataDir: "/from/flag", logLevel: "warn", heartbeatMs: 2000 });
    expect(loadEnv({}, { HOLDFAST_AGENT_CONFIG: file, HOLDFAST_DATA_DIR: "/from/env" }).dataDir).toBe("/from/env");
  });

  it("is found by --config as well as by HOLDFAST_AGENT_CONFIG, the flag first", () => {
    const flagged = configFile({ dataDir: "/flagged" });
    const variable = configFile({ dataDir: "/variable" });
    expect(loadEnv({ config: flagged }, { HOLDFAST_AGENT_CONFIG: variable }).dataDir).toBe("/flagged");
  });

  it("takes `server` as a one-entry list, and not both", () => {
    expect(loadEnv({}, { HOLDFAST_AGENT_CONFIG: configFile({ dataDir: "/d", server: "http://127.0.0.1:8080" }) }).servers).toEqual(["http://127.0.0.1:8080"]);
    expect(() => loadEnv({}, { HOLDFAST_AGENT_CONFIG: configFile({ dataDir: "/d", server: "http://a", servers: ["http://b"] }) })).toThrowError(/either server or servers/);
  });

  it("stops start-up naming an unknown key", () => {
    const file = configFile({ dataDir: "/d", heartbeatMS: 2000 });
    expect(() => loadEnv({}, { HOLDFAST_AGENT_CONFIG: file })).toThrowError(/heartbeatMS/);
  });

  it("stops start-up naming a bad value", () => {
    const bad = (content: unknown) => () => loadEnv({}, { HOLDFAST_AGENT_CONFIG: configFile(content) });
    expect(bad({ dataDir: "/d", heartbeatMs: "soon" })).toThrowError(/heartbeatMs/);
    expect(bad({ dataDir: "/d", logLevel: "loud" })).toThrowError(/logLevel/);
    expect(bad({ dataDir: "/d", maxQueueSize: 0 })).toThrowError(/maxQueueSize/);
    expect(bad({ dataDir: "relative/dir" })).toThrowError(/dataDir: must be an absolute path/);
    expect(bad({ dataDir: "/d", servers: ["ftp://cp"] })).toThrowError(/servers\.0/);
    expect(bad("{ not json")).toThrowError(/not valid JSON/);
    expect(bad(["an", "array"])).toThrowError(HoldfastError);
  });

  it("refuses a file other users can read, with the chmod to run", () => {
    for (const mode of [0o644, 0o640, 0o604]) {
      const file = configFile({ dataDir: "/d" }, mode);
      expect(() => loadEnv({}, { HOLDFAST_AGENT_CONFIG: file })).toThrowError(`run chmod 600 ${file}`);
    }
  });

  it("refuses a missing file and a symbolic link by name", () => {
    const file = configFile({ dataDir: "/d" });
    expect(() => loadEnv({}, { HOLDFAST_AGENT_CONFIG: `${file}.missing` })).toThrowError(`${file}.missing does not exist`);
    const link = path.join(path.dirname(file), "link.json");
    fs.symlinkSync(file, link);
    expect(() => loadEnv({}, { HOLDFAST_AGENT_CONFIG: link })).toThrowError(/is a symbolic link/);
  });

  it("is not read when neither the flag nor the variable names one", () => {
    const env = loadEnv({ dataDir: "/d" }, { HOLDFAST_AGENT_CONFIG: "  " });
    expect(env.configFile).toBeUndefined();
    expect(env.servers).toBeUndefined();
  });
});
